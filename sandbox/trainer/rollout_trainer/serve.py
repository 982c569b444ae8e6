"""`serve`: an OpenAI-compatible chat-completions server for a base model plus a LoRA adapter.

GET /v1/models, POST /v1/chat/completions with tools and tool calls, temperature, top_p, seed,
max_tokens / max_completion_tokens (up to the model's context; absent: all of it that the prompt leaves),
logprobs + top_logprobs (of the model's own distribution, before temperature and top-p), vLLM's
`return_token_ids` (`prompt_token_ids` on the response, `token_ids` on the choice), and `stream`:
server-sent events, one chunk per generated token as it is sampled. A prompt longer than the context is
a 400 with the numbers, as vLLM answers. One generation at a time; requests queue behind a lock.

`--engine vllm` runs vLLM's own OpenAI server instead (where vLLM is installed and a GPU is visible; it
serves the adapter natively). Either engine prints one `serving` line with the URL and the `openai:`
policy string once it answers.
"""

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.util import find_spec

import torch

from . import stop
from .data import normalise_messages
from .device import resolve_placement
from .errors import TrainerError
from .progress import emit
from .toolcalls import parse_tool_calls
from .training import load_tokenizer

TOOL_CALL_OPEN = "<tool_call>"
MAX_TOP_LOGPROBS = 20
VLLM_READY_TIMEOUT_S = 900


class RequestError(Exception):
    """A request the server refuses with a 400 and this message."""


def locate_model(model_dir: str, base_override: str | None):
    """Returns (base model, adapter folder or None, tokenizer folder) for a `rollout train`
    output folder, an adapter folder or a plain model folder."""
    if not os.path.isdir(model_dir):
        raise TrainerError("usage", f"--model {model_dir!r} is not a folder")
    summary_path = os.path.join(model_dir, "rollout-trainer.json")
    if os.path.isfile(summary_path) and os.path.isdir(os.path.join(model_dir, "adapter")):
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
        self.context_length = int(model.config.max_position_embeddings)
        stops = model.generation_config.eos_token_id
        self.stop_ids = {self.tokenizer.eos_token_id, *(stops if isinstance(stops, list) else [stops])} - {None}
        self.lock = threading.Lock()

    def plan(self, request: dict) -> dict:
        """Validates a request and returns what to generate: prompt ids and sampling settings."""
        try:
            messages = normalise_messages(request.get("messages"), "request")
        except TrainerError as error:
            raise RequestError(error.message.removeprefix("request: ")) from error
        prompt = list(
            self.tokenizer.apply_chat_template(
                messages, tools=request.get("tools") or None, add_generation_prompt=True, return_dict=True
            )["input_ids"]
        )
        room = self.context_length - len(prompt)
        asked = request.get("max_completion_tokens") or request.get("max_tokens")
        if asked is not None and int(asked) < 1:
            raise RequestError("max_tokens must be at least 1")
        if room <= 0 or (asked is not None and int(asked) > room):
            raise RequestError(
                f"This model's maximum context length is {self.context_length} tokens. However, you requested "
                f"{len(prompt) + int(asked or 0)} tokens ({len(prompt)} in the messages, {int(asked or 0)} in the "
                "completion). Please reduce the length of the messages or completion."
            )
        top = request.get("top_logprobs") or 0
        if not 0 <= int(top) <= MAX_TOP_LOGPROBS:
            raise RequestError(f"top_logprobs must be between 0 and {MAX_TOP_LOGPROBS}")
        return {
            "prompt": prompt,
            "max_new": int(asked) if asked is not None else room,
            "temperature": float(request.get("temperature", 1.0)),
            "top_p": float(request.get("top_p", 1.0)),
            "seed": request.get("seed"),
            "logprobs": bool(request.get("logprobs")),
            "top_logprobs": int(top),
        }

    def tokens(self, plan: dict):
        """Yields (token id, its logprob, top alternatives) as each token is sampled. Logprobs are of the model's
        distribution before temperature and top-p, which only shape the sampling."""
        generator = torch.Generator(device=self.device)
        if plan["seed"] is not None:
            generator.manual_seed(int(plan["seed"]))
        ids = torch.tensor([plan["prompt"]], device=self.device)
        cache = None
        with self.lock, torch.no_grad():
            for _ in range(plan["max_new"]):
                output = self.model(input_ids=ids, past_key_values=cache, use_cache=True)
                cache = output.past_key_values
                logits = output.logits[0, -1].float()
                token = self._sample(logits, plan["temperature"], plan["top_p"], generator)
                logprobs = logits.log_softmax(-1) if plan["logprobs"] else None
                top = []
                if logprobs is not None and plan["top_logprobs"]:
                    values, indices = logprobs.topk(plan["top_logprobs"])
                    top = list(zip(indices.tolist(), values.tolist()))
                yield token, (float(logprobs[token]) if logprobs is not None else None), top
                if token in self.stop_ids:
                    return
                ids = torch.tensor([[token]], device=self.device)

    @staticmethod
    def _sample(logits, temperature, top_p, generator) -> int:
        if temperature <= 0:
            return int(logits.argmax())
        probabilities = (logits / temperature).softmax(-1)
        if top_p < 1:
            ordered, order = probabilities.sort(descending=True)
            outside = ordered.cumsum(-1) - ordered >= top_p  # keep the smallest set whose mass reaches top_p
            probabilities = torch.zeros_like(probabilities).scatter(0, order, ordered.masked_fill(outside, 0))
        return int(torch.multinomial(probabilities, 1, generator=generator))

    def token_entry(self, token, logprob, top) -> dict:
        def described(token_id, value):
            text = self.tokenizer.decode([token_id])
            return {"token": text, "logprob": value, "bytes": list(text.encode("utf-8"))}

        return {**described(token, logprob), "top_logprobs": [described(t, v) for t, v in top]}


def _before_tool_call(text: str) -> str:
    """The text before the first tool call, less a tail that may be the start of one."""
    safe = text.split(TOOL_CALL_OPEN, 1)[0]
    for length in range(min(len(TOOL_CALL_OPEN) - 1, len(safe)), 0, -1):
        if TOOL_CALL_OPEN.startswith(safe[-length:]):
            return safe[:-length]
    return safe


class ReplyStream:
    """Turns sampled tokens into content deltas, holding back text that may be the start of a tool call, and
    into the finished message at the end. The deltas join to exactly the finished content, as OpenAI's do."""

    def __init__(self, tokenizer, stop_ids):
        self.tokenizer = tokenizer
        self.stop_ids = stop_ids
        self.ids = []
        self.sent = ""

    def text(self) -> str:
        return self.tokenizer.decode(self.ids, skip_special_tokens=True)

    def add(self, token) -> None:
        """A token of a reply that is not streamed."""
        self.ids.append(token)

    def push(self, token) -> str:
        """The content that can be shown now."""
        self.ids.append(token)
        # The finished content is stripped (parse_tool_calls), and a delta cannot be taken back: whitespace at
        # either end is shown only once text follows it.
        text = self.text().lstrip()
        if text.endswith("\ufffd") or text.startswith("{"):
            return ""  # an unfinished character, or a reply that may be one bare JSON tool call
        safe = _before_tool_call(text).rstrip()
        delta = safe[len(self.sent) :] if safe.startswith(self.sent) else ""
        self.sent += delta
        return delta

    def finish(self):
        """(the content not sent yet, tool calls, finish reason)."""
        content, calls = parse_tool_calls(self.text())
        finished = bool(self.ids) and self.ids[-1] in self.stop_ids
        reason = "tool_calls" if calls else ("stop" if finished else "length")
        rest = (content or "")[len(self.sent) :] if (content or "").startswith(self.sent) else ""
        return content, rest, calls, reason


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
                card = {"id": model_name, "object": "model", "owned_by": "rollout-studio", "max_model_len": chat.context_length}
                self._send_json(200, {"object": "list", "data": [card]})
            else:
                self._error(404, f"no route {self.path}")

        def do_POST(self):
            if self.path.rstrip("/") != "/v1/chat/completions":
                self._error(404, f"no route {self.path}")
                return
            try:
                length = int(self.headers.get("Content-Length", 0))
                request = json.loads(self.rfile.read(length) or b"{}")
                plan = chat.plan(request)
            except json.JSONDecodeError as error:
                self._error(400, f"request body is not JSON: {error.msg}")
                return
            except (RequestError, ValueError, TypeError) as error:
                self._error(400, str(error))
                return
            head = {"id": f"chatcmpl-{uuid.uuid4().hex}", "created": int(time.time()), "model": model_name}
            try:
                if request.get("stream"):
                    self._stream(request, plan, head)
                else:
                    self._send_json(200, self._complete(request, plan, head))
            except Exception as error:  # the server keeps serving after a failed generation
                if not request.get("stream"):
                    self._error(500, f"{type(error).__name__}: {error}", "server_error")

        def _usage(self, plan, generated):
            prompt = len(plan["prompt"])
            return {"prompt_tokens": prompt, "completion_tokens": generated, "total_tokens": prompt + generated}

        def _complete(self, request, plan, head):
            reply = ReplyStream(chat.tokenizer, chat.stop_ids)
            entries = []
            for token, logprob, top in chat.tokens(plan):
                reply.add(token)
                if plan["logprobs"]:
                    entries.append(chat.token_entry(token, logprob, top))
            content, _, calls, reason = reply.finish()
            message = {"role": "assistant", "content": content}
            if calls:
                message["tool_calls"] = calls
            choice = {"index": 0, "message": message, "finish_reason": reason, "logprobs": {"content": entries} if plan["logprobs"] else None}
            completion = {**head, "object": "chat.completion", "choices": [choice], "usage": self._usage(plan, len(reply.ids))}
            if request.get("return_token_ids"):
                completion["prompt_token_ids"] = plan["prompt"]
                choice["token_ids"] = reply.ids
            return completion

        def _stream(self, request, plan, head):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            with_ids = bool(request.get("return_token_ids"))

            def send(delta, finish_reason=None, tokens=(), entries=(), **extra):
                choice = {"index": 0, "delta": delta, "finish_reason": finish_reason}
                if plan["logprobs"]:
                    choice["logprobs"] = {"content": list(entries)}
                if with_ids:
                    choice["token_ids"] = list(tokens)
                chunk = {**head, "object": "chat.completion.chunk", "choices": [choice], **extra}
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()

            send({"role": "assistant", "content": ""}, **({"prompt_token_ids": plan["prompt"]} if with_ids else {}))
            reply = ReplyStream(chat.tokenizer, chat.stop_ids)
            held, held_entries = [], []  # tokens whose text is held back (a possible tool call)
            try:
                for token, logprob, top in chat.tokens(plan):
                    held.append(token)
                    if plan["logprobs"]:
                        held_entries.append(chat.token_entry(token, logprob, top))
                    delta = reply.push(token)
                    if delta:
                        send({"content": delta}, tokens=held, entries=held_entries)
                        held, held_entries = [], []
                _, rest, calls, reason = reply.finish()
                final = {}
                if rest:
                    final["content"] = rest
                if calls:
                    final["tool_calls"] = [{"index": i, **call} for i, call in enumerate(calls)]
                send(final, tokens=held, entries=held_entries)
                send({}, reason, usage=self._usage(plan, len(reply.ids)))
            except Exception as error:  # headers are out: the error travels as an event
                body = {"error": {"message": f"{type(error).__name__}: {error}", "type": "server_error"}}
                self.wfile.write(f"data: {json.dumps(body)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

    return Handler


def vllm_python() -> str | None:
    """The python that has vLLM: this one, or the venv `setup-venv.sh --with vllm` builds beside it."""
    if find_spec("vllm") is not None:
        return sys.executable
    beside = f"{sys.prefix}-vllm/bin/python"
    return beside if os.path.isfile(beside) else None


def choose_engine(requested: str, cuda: bool, installed: bool | None = None) -> str:
    """bundled or vllm: vLLM where it is installed and a GPU is visible (auto), or when asked for."""
    installed = vllm_python() is not None if installed is None else installed
    if requested == "vllm":
        if not installed:
            raise TrainerError(
                "usage",
                "--engine vllm: vLLM is not installed in the trainer environment; on a GPU machine run "
                "`sandbox/trainer/setup-venv.sh --with vllm` (requirements-vllm.txt), or serve with --engine bundled",
            )
        if not cuda:
            raise TrainerError("no_gpu", "--engine vllm needs a CUDA GPU and torch sees none; serve with --engine bundled")
        return "vllm"
    if requested == "bundled":
        return "bundled"
    return "vllm" if installed and cuda else "bundled"


def _tool_call_parser(chat_template: str) -> str | None:
    """vLLM's parser for the tool-call format the model's template teaches."""
    if "<tool_call>" in chat_template:
        return "hermes"
    if "<|python_tag|>" in chat_template or "ipython" in chat_template:
        return "llama3_json"
    return None


def vllm_command(base, adapter, name, host, port, chat_template, lora_rank=None, python=None) -> list[str]:
    """vLLM's OpenAI server for base (+ adapter, served under `name`)."""
    command = [python or sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", base, "--host", host, "--port", str(port)]
    if adapter:
        command += ["--served-model-name", f"{name}-base", "--enable-lora", "--lora-modules", f"{name}={adapter}"]
        if lora_rank:
            command += ["--max-lora-rank", str(lora_rank)]
    else:
        command += ["--served-model-name", name]
    parser = _tool_call_parser(chat_template or "")
    if parser:
        command += ["--enable-auto-tool-choice", "--tool-call-parser", parser]
    return command


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def _serve_with_vllm(options, base, adapter, tokenizer_dir, name) -> dict:
    port = options.port or _free_port(options.host)
    rank = None
    if adapter:
        with open(os.path.join(adapter, "adapter_config.json"), encoding="utf-8") as handle:
            rank = json.load(handle).get("r")
    template = load_tokenizer(tokenizer_dir).chat_template
    command = vllm_command(base, adapter, name, options.host, port, template, rank, python=vllm_python())
    server = subprocess.Popen(command, stdout=sys.stderr)  # vLLM's logs are not events
    url = f"http://{options.host}:{port}/v1"
    deadline = time.monotonic() + VLLM_READY_TIMEOUT_S
    while not stop.requested.is_set():
        if server.poll() is not None:
            raise TrainerError("model", f"vLLM exited (code {server.returncode}) before it answered; its log is above")
        try:
            with urllib.request.urlopen(url + "/models", timeout=5):
                break
        except OSError:
            if time.monotonic() > deadline:
                server.terminate()
                raise TrainerError("model", f"vLLM did not answer at {url} within {VLLM_READY_TIMEOUT_S} s")
            time.sleep(2)
    if not stop.requested.is_set():
        emit("serving", url=url, model=name, policy=f"openai:{name}@{url}", base_model=base, adapter=adapter, device="cuda", engine="vllm")
        stop.requested.wait()
    server.terminate()
    server.wait(timeout=60)
    return {"stopped": True, "url": url}


def run_server(options) -> dict:
    base, adapter, tokenizer_dir = locate_model(options.model, options.base_model)
    placement = resolve_placement(options.device)
    name = options.name or os.path.basename(os.path.abspath(options.model))
    if choose_engine(options.engine, placement.device == "cuda") == "vllm":
        return _serve_with_vllm(options, base, adapter, tokenizer_dir, name)
    chat = ChatModel(base, adapter, tokenizer_dir, placement)
    if stop.requested.is_set():
        return {"stopped": True, "url": None}
    server = ThreadingHTTPServer((options.host, options.port), _handler(chat, name))
    host, port = server.server_address[:2]
    url = f"http://{host}:{port}/v1"
    # The serving loop runs in a thread so that the main thread only waits for the stop request.
    loop = threading.Thread(target=server.serve_forever, daemon=True)
    loop.start()
    emit(
        "serving", url=url, model=name, policy=f"openai:{name}@{url}", base_model=base, adapter=adapter,
        device=placement.device, engine="bundled", context_length=chat.context_length,
    )
    stop.requested.wait()
    server.shutdown()
    server.server_close()
    return {"stopped": True, "url": url}
