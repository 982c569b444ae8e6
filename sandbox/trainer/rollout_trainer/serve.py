"""`serve`: an OpenAI-compatible chat-completions server for a base model plus a LoRA adapter.

GET /v1/models, POST /v1/chat/completions (tools, tool calls, temperature, top_p, max_tokens,
logprobs, stream). One generation at a time; requests queue behind a lock. Prints one `serving`
line with the URL and the `openai:` policy string once it listens.
"""

import json
import os
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import torch

from . import stop
from .data import normalise_messages
from .device import resolve_placement
from .errors import TrainerError
from .progress import emit
from .toolcalls import parse_tool_calls
from .training import load_tokenizer


def locate_model(model_dir: str, base_override: str | None):
    """Returns (base model, adapter folder or None, tokenizer folder) for a `rollout train`
    output folder, an adapter folder or a plain model folder."""
    if not os.path.isdir(model_dir):
        raise TrainerError("usage", f"--model {model_dir!r} is not a folder")
    summary_path = os.path.join(model_dir, "rollout-trainer.json")
    if os.path.isfile(summary_path):
        with open(summary_path, encoding="utf-8") as handle:
            summary = json.load(handle)
        adapter = os.path.join(model_dir, "adapter")
        return base_override or summary["base_model"], adapter, adapter
    adapter_config = os.path.join(model_dir, "adapter_config.json")
    if os.path.isfile(adapter_config):
        with open(adapter_config, encoding="utf-8") as handle:
            base = base_override or json.load(handle).get("base_model_name_or_path")
        if not base:
            raise TrainerError("usage", f"{adapter_config} names no base model: pass --base-model")
        return base, model_dir, model_dir
    return model_dir, None, model_dir


class ChatModel:
    def __init__(self, base_model, adapter_dir, tokenizer_dir, placement):
        from transformers import AutoModelForCausalLM

        self.tokenizer = load_tokenizer(tokenizer_dir)
        model = AutoModelForCausalLM.from_pretrained(base_model, dtype=placement.dtype)
        if adapter_dir:
            from peft import PeftModel

            model = PeftModel.from_pretrained(model, adapter_dir).merge_and_unload()
        self.model = model.to(placement.device).eval()
        self.device = placement.device
        self.lock = threading.Lock()

    def complete(self, request: dict) -> dict:
        messages = normalise_messages(request.get("messages"), "request")
        tools = request.get("tools") or None
        encoded = self.tokenizer.apply_chat_template(
            messages, tools=tools, add_generation_prompt=True, return_dict=True, return_tensors="pt"
        ).to(self.device)
        temperature = float(request.get("temperature", 1.0))
        max_new = int(request.get("max_completion_tokens") or request.get("max_tokens") or 512)
        sampling = {"do_sample": temperature > 0}
        if temperature > 0:
            sampling.update(temperature=temperature, top_p=float(request.get("top_p", 1.0)))
        if "seed" in request:
            torch.manual_seed(int(request["seed"]))
        with self.lock, torch.no_grad():
            output = self.model.generate(
                **encoded,
                max_new_tokens=max_new,
                eos_token_id=self.tokenizer.eos_token_id,
                pad_token_id=self.tokenizer.pad_token_id,
                return_dict_in_generate=True,
                output_scores=bool(request.get("logprobs")),
                **sampling,
            )
        prompt_length = encoded["input_ids"].shape[1]
        new_tokens = output.sequences[0, prompt_length:]
        finished = len(new_tokens) > 0 and int(new_tokens[-1]) == self.tokenizer.eos_token_id
        text = self.tokenizer.decode(new_tokens, skip_special_tokens=True)
        content, calls = parse_tool_calls(text)
        message = {"role": "assistant", "content": content}
        if calls:
            message["tool_calls"] = calls
        choice = {
            "index": 0,
            "message": message,
            "finish_reason": "tool_calls" if calls else ("stop" if finished else "length"),
        }
        if request.get("logprobs"):
            choice["logprobs"] = {"content": self._token_logprobs(output, new_tokens)}
        return {
            "choices": [choice],
            "usage": {"prompt_tokens": prompt_length, "completion_tokens": len(new_tokens), "total_tokens": prompt_length + len(new_tokens)},
        }

    def _token_logprobs(self, output, new_tokens):
        scores = self.model.compute_transition_scores(output.sequences, output.scores, normalize_logits=True)[0]
        return [
            {"token": self.tokenizer.decode([int(token)]), "logprob": float(score), "top_logprobs": []}
            for token, score in zip(new_tokens, scores)
        ]


def _handler(chat: ChatModel, model_name: str):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format, *args):  # noqa: A002 - keep request logs off stdout
            pass

        def _send_json(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status, message, kind="invalid_request_error"):
            self._send_json(status, {"error": {"message": message, "type": kind}})

        def do_GET(self):
            if self.path.rstrip("/") == "/v1/models":
                self._send_json(200, {"object": "list", "data": [{"id": model_name, "object": "model", "owned_by": "rollout-studio"}]})
            else:
                self._error(404, f"no route {self.path}")

        def do_POST(self):
            if self.path.rstrip("/") != "/v1/chat/completions":
                self._error(404, f"no route {self.path}")
                return
            try:
                length = int(self.headers.get("Content-Length", 0))
                request = json.loads(self.rfile.read(length) or b"{}")
                result = chat.complete(request)
            except json.JSONDecodeError as error:
                self._error(400, f"request body is not JSON: {error.msg}")
                return
            except TrainerError as error:
                self._error(400, error.message)
                return
            except Exception as error:  # the server keeps serving after a failed generation
                self._error(500, f"{type(error).__name__}: {error}", "server_error")
                return
            completion = {
                "id": f"chatcmpl-{uuid.uuid4().hex}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model_name,
                **result,
            }
            if request.get("stream"):
                self._stream(completion)
            else:
                self._send_json(200, completion)

        def _stream(self, completion):
            """Server-sent events: the finished message as one delta, then the finish reason."""
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            choice = completion["choices"][0]
            delta = {"role": "assistant", "content": choice["message"]["content"]}
            if "tool_calls" in choice["message"]:
                delta["tool_calls"] = [{"index": i, **call} for i, call in enumerate(choice["message"]["tool_calls"])]
            base = {key: completion[key] for key in ("id", "created", "model")}
            chunks = [
                {**base, "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta, "finish_reason": None}]},
                {**base, "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {}, "finish_reason": choice["finish_reason"]}], "usage": completion["usage"]},
            ]
            for chunk in chunks:
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
            self.close_connection = True

    return Handler


def run_server(options) -> dict:
    base, adapter, tokenizer_dir = locate_model(options.model, options.base_model)
    placement = resolve_placement(options.device)
    chat = ChatModel(base, adapter, tokenizer_dir, placement)
    if stop.requested.is_set():
        return {"stopped": True, "url": None}
    name = options.name or os.path.basename(os.path.abspath(options.model))
    server = ThreadingHTTPServer((options.host, options.port), _handler(chat, name))
    host, port = server.server_address[:2]
    url = f"http://{host}:{port}/v1"
    # The serving loop runs in a thread so that the main thread only waits for the stop request.
    loop = threading.Thread(target=server.serve_forever, daemon=True)
    loop.start()
    emit("serving", url=url, model=name, policy=f"openai:{name}@{url}", base_model=base, adapter=adapter, device=placement.device)
    stop.requested.wait()
    server.shutdown()
    server.server_close()
    return {"stopped": True, "url": url}
