"""`serve`: a real HTTP chat completion from base + adapter, with the tool call parsed out."""

import json
import random
import signal
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
import torch
from peft import PeftModel
from transformers import AutoModelForCausalLM

from conftest import BASH_TOOL, TRAINER_ROOT, run_trainer, tool_call, write_jsonl
from rollout_trainer.errors import TrainerError
from rollout_trainer.serve import ReplyStream, choose_engine, vllm_command
from rollout_trainer.toolcalls import parse_tool_calls

LIST_FILES = [{"role": "user", "content": "List the files."}]


@pytest.fixture(scope="module")
def server(tmp_path_factory, tiny_model):
    """An adapter overfitted on one tool call, served on a free port."""
    folder = tmp_path_factory.mktemp("serve")
    answer = {"role": "assistant", "content": None, "tool_calls": [tool_call("c1", "ls")]}
    data = write_jsonl(folder / "one-call.jsonl", [{"messages": LIST_FILES + [answer], "tools": [BASH_TOOL]}] * 4)
    code, events, stderr = run_trainer(
        "sft", "--data", data, "--base-model", tiny_model, "--out", str(folder / "model"), "--device", "cpu",
        "--max-steps", "40", "--lr", "5e-3", "--save-steps", "1000",
    )
    assert code == 0, stderr
    process = subprocess.Popen(
        [sys.executable, "-m", "rollout_trainer", "serve", "--model", str(folder / "model"), "--port", "0", "--name", "tiny"],
        cwd=TRAINER_ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    serving = json.loads(process.stdout.readline())
    assert serving["event"] == "serving", serving
    yield serving, process, str(folder / "model")
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0
    assert json.loads(process.stdout.readline())["event"] == "done"


@pytest.fixture(scope="module")
def adapter_model(server, tiny_model):
    return PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_model), server[2] + "/adapter").eval()


def _post(url, body):
    request = urllib.request.Request(url + "/chat/completions", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.read().decode()


def test_serving_line_gives_the_openai_policy_string(server):
    serving = server[0]
    assert serving["policy"] == f"openai:tiny@{serving['url']}"
    with urllib.request.urlopen(serving["url"] + "/models", timeout=10) as response:
        assert json.load(response)["data"][0]["id"] == "tiny"


def test_chat_completion_returns_the_parsed_tool_call(server):
    serving = server[0]
    completion = json.loads(_post(serving["url"], {"model": "tiny", "messages": LIST_FILES, "tools": [BASH_TOOL], "temperature": 0, "max_tokens": 40}))
    choice = completion["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] is None
    call = choice["message"]["tool_calls"][0]
    assert call["type"] == "function" and call["id"].startswith("call_")
    assert call["function"] == {"name": "bash", "arguments": '{"command": "ls"}'}
    assert completion["usage"]["completion_tokens"] > 0


def _events(body):
    return [line.removeprefix("data: ") for line in body.splitlines() if line.startswith("data: ")]


def test_streaming_sends_one_chunk_per_token_with_the_tool_call_last(server):
    serving = server[0]
    request = {"model": "tiny", "messages": LIST_FILES, "tools": [BASH_TOOL], "temperature": 0, "stream": True, "return_token_ids": True}
    events = _events(_post(serving["url"], request))
    assert events[-1] == "[DONE]"
    chunks = [json.loads(event) for event in events[:-1]]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""} and chunks[0]["prompt_token_ids"]
    streamed_ids = [token for chunk in chunks for token in chunk["choices"][0]["token_ids"]]
    whole = json.loads(_post(serving["url"], {**request, "stream": False}))
    assert streamed_ids == whole["choices"][0]["token_ids"] and len(streamed_ids) == whole["usage"]["completion_tokens"]
    calls = [call for chunk in chunks for call in chunk["choices"][0]["delta"].get("tool_calls", [])]
    assert [call["function"] for call in calls] == [{"name": "bash", "arguments": '{"command": "ls"}'}]
    assert "<tool_call>" not in "".join(chunk["choices"][0]["delta"].get("content") or "" for chunk in chunks)
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_plain_text_streams_token_by_token(server):
    serving = server[0]
    request = {"model": "tiny", "messages": [{"role": "user", "content": "Say something."}], "temperature": 1.0, "seed": 3, "max_tokens": 12, "stream": True}
    chunks = [json.loads(event) for event in _events(_post(serving["url"], request))[:-1]]
    texts = [chunk["choices"][0]["delta"].get("content") for chunk in chunks[1:-1]]
    whole = json.loads(_post(serving["url"], {**request, "stream": False}))
    assert len([text for text in texts if text]) > 2  # not one chunk after the fact
    assert "".join(text or "" for text in texts) == (whole["choices"][0]["message"]["content"] or "")
    assert chunks[-1]["choices"][0]["finish_reason"] == whole["choices"][0]["finish_reason"]


# Replies whose streamed deltas once joined to more than the finished (stripped) content, and other edges.
REPLIES = {
    "a trailing newline": "The tests pass now.\n",
    "leading whitespace": "\n  The tests pass.",
    "whitespace only str.strip knows": "\x1cok\x1c",
    "text before a tool call": 'Running it.\n<tool_call>\n{"name": "bash", "arguments": {"command": "ls"}}\n'
    "</tool_call>",
    "a bare JSON tool call after a newline": '\n{"name": "bash", "arguments": {}}',
    "a character split over tokens": "Fixed \u20ac",
}


def _streamed_and_whole(tokenizer, ids):
    """(the deltas of the tokens streamed, the last one from finish; the content of the same tokens not streamed)."""
    streamed = ReplyStream(tokenizer, {tokenizer.eos_token_id})
    deltas = [streamed.push(token) for token in ids]
    deltas.append(streamed.finish()[1])
    whole = ReplyStream(tokenizer, {tokenizer.eos_token_id})
    for token in ids:
        whole.add(token)
    return deltas, whole.finish()[0]


@pytest.mark.parametrize("reply", REPLIES.values(), ids=REPLIES.keys())
def test_streamed_deltas_join_to_the_finished_content(plain_tokenizer, reply):
    deltas, content = _streamed_and_whole(plain_tokenizer, plain_tokenizer.encode(reply, add_special_tokens=False))
    assert "".join(deltas) == (content or "")
    assert not any("\ufffd" in delta for delta in deltas)


def test_a_reply_cut_off_inside_a_character_sends_it_at_the_end(plain_tokenizer):
    ids = plain_tokenizer.encode("Fixed \u20ac", add_special_tokens=False)[:-1]
    deltas, content = _streamed_and_whole(plain_tokenizer, ids)
    assert content == "Fixed \ufffd" and "".join(deltas) == content
    assert "\ufffd" not in "".join(deltas[:-1])


def test_streamed_deltas_join_to_the_finished_content_for_any_tokens(plain_tokenizer):
    """The tiny model samples arbitrary tokens: broken UTF-8 pieces, whitespace, tool-call fragments."""
    rng = random.Random(0)
    for _ in range(300):
        ids = [rng.randrange(len(plain_tokenizer)) for _ in range(rng.randint(1, 16))]
        deltas, content = _streamed_and_whole(plain_tokenizer, ids)
        assert "".join(deltas) == (content or ""), ids


def test_logprobs_are_of_the_unmodified_distribution(server, adapter_model):
    """With temperature and top-p, the sampled tokens' logprobs are still log-softmax of the raw logits."""
    serving = server[0]
    request = {"model": "tiny", "messages": LIST_FILES, "temperature": 1.7, "top_p": 0.9, "seed": 5, "max_tokens": 8,
               "logprobs": True, "top_logprobs": 3, "return_token_ids": True}
    completion = json.loads(_post(serving["url"], request))
    choice = completion["choices"][0]
    ids = completion["prompt_token_ids"] + choice["token_ids"]
    with torch.no_grad():
        logits = adapter_model(input_ids=torch.tensor([ids])).logits[0].float()
    expected = logits.log_softmax(-1)[len(completion["prompt_token_ids"]) - 1 : -1]
    for position, entry in enumerate(choice["logprobs"]["content"]):
        token = choice["token_ids"][position]
        assert abs(entry["logprob"] - float(expected[position, token])) < 1e-4
        assert len(entry["top_logprobs"]) == 3 and entry["top_logprobs"][0]["logprob"] >= entry["logprob"] - 1e-6


def test_the_context_bounds_max_tokens_and_the_prompt(server):
    serving = server[0]
    with urllib.request.urlopen(serving["url"] + "/models", timeout=10) as response:
        context = json.load(response)["data"][0]["max_model_len"]
    assert context == serving["context_length"] == 32768
    with pytest.raises(urllib.error.HTTPError) as raised:
        _post(serving["url"], {"model": "tiny", "messages": LIST_FILES, "max_tokens": context})
    assert raised.value.code == 400
    assert "maximum context length is 32768 tokens" in json.load(raised.value)["error"]["message"]
    with pytest.raises(urllib.error.HTTPError) as raised:
        _post(serving["url"], {"model": "tiny", "messages": [{"role": "user", "content": "ls -la " * 20000}]})
    assert raised.value.code == 400


def test_a_bad_request_is_a_400_naming_the_field(server):
    serving = server[0]
    with pytest.raises(urllib.error.HTTPError) as raised:
        _post(serving["url"], {"model": "tiny", "messages": [{"role": "robot", "content": "x"}]})
    assert raised.value.code == 400
    assert "messages[0].role" in json.load(raised.value)["error"]["message"]


def test_tool_call_parser_shapes():
    content, calls = parse_tool_calls('Running it.\n<tool_call>\n{"name": "bash", "arguments": {"command": "ls"}}\n</tool_call>')
    assert content == "Running it." and calls[0]["function"]["arguments"] == '{"command": "ls"}'
    content, calls = parse_tool_calls('{"name": "view", "parameters": {"path": "a.py"}}')
    assert content is None and calls[0]["function"] == {"name": "view", "arguments": '{"path": "a.py"}'}
    content, calls = parse_tool_calls("<tool_call>{not json}</tool_call>")
    assert calls == [] and content == "<tool_call>{not json}</tool_call>"
    assert len(parse_tool_calls('<tool_call>{"name": "a", "arguments": {}}</tool_call><tool_call>{"name": "b", "arguments": {}}</tool_call>')[1]) == 2


def test_serve_rejects_a_missing_model_folder(tmp_path):
    code, events, _ = run_trainer("serve", "--model", str(tmp_path / "nope"))
    assert code == 2 and events[-1] == {"event": "error", "kind": "usage", "message": f"--model {str(tmp_path / 'nope')!r} is not a folder"}


def test_engine_choice():
    assert choose_engine("auto", cuda=True, installed=True) == "vllm"
    assert choose_engine("auto", cuda=False, installed=True) == "bundled"
    assert choose_engine("auto", cuda=True, installed=False) == "bundled"
    assert choose_engine("bundled", cuda=True, installed=True) == "bundled"
    with pytest.raises(TrainerError) as raised:
        choose_engine("vllm", cuda=True, installed=False)
    assert raised.value.kind == "usage" and "requirements-vllm.txt" in raised.value.message
    with pytest.raises(TrainerError) as raised:
        choose_engine("vllm", cuda=False, installed=True)
    assert raised.value.kind == "no_gpu"


def test_vllm_serves_the_adapter_under_the_policy_name():
    command = vllm_command("/m/base", "/m/out/adapter", "ft", "127.0.0.1", 8001, "…<tool_call>…", lora_rank=16)
    assert command[1:3] == ["-m", "vllm.entrypoints.openai.api_server"]
    joined = " ".join(command)
    assert "--model /m/base" in joined and "--enable-lora --lora-modules ft=/m/out/adapter --max-lora-rank 16" in joined
    assert "--enable-auto-tool-choice --tool-call-parser hermes" in joined and "--port 8001" in joined


def test_engine_vllm_without_vllm_is_a_clear_error(tiny_model):
    code, events, _ = run_trainer("serve", "--model", tiny_model, "--engine", "vllm", "--device", "cpu")
    assert code == 2 and events[-1]["kind"] == "usage"
    assert events[-1]["message"].startswith("--engine vllm: vLLM is not installed in the trainer environment")
