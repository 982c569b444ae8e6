"""`serve`: a real HTTP chat completion from base + adapter, with the tool call parsed out."""

import json
import signal
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from conftest import BASH_TOOL, TRAINER_ROOT, run_trainer, tool_call, write_jsonl
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
    yield serving, process
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0
    assert json.loads(process.stdout.readline())["event"] == "done"


def _post(url, body):
    request = urllib.request.Request(url + "/chat/completions", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.read().decode()


def test_serving_line_gives_the_openai_policy_string(server):
    serving, _ = server
    assert serving["policy"] == f"openai:tiny@{serving['url']}"
    with urllib.request.urlopen(serving["url"] + "/models", timeout=10) as response:
        assert json.load(response)["data"][0]["id"] == "tiny"


def test_chat_completion_returns_the_parsed_tool_call(server):
    serving, _ = server
    completion = json.loads(_post(serving["url"], {"model": "tiny", "messages": LIST_FILES, "tools": [BASH_TOOL], "temperature": 0, "max_tokens": 40}))
    choice = completion["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] is None
    call = choice["message"]["tool_calls"][0]
    assert call["type"] == "function" and call["id"].startswith("call_")
    assert call["function"] == {"name": "bash", "arguments": '{"command": "ls"}'}
    assert completion["usage"]["completion_tokens"] > 0


def test_streamed_completion_carries_the_tool_call(server):
    serving, _ = server
    body = _post(serving["url"], {"model": "tiny", "messages": LIST_FILES, "tools": [BASH_TOOL], "temperature": 0, "max_tokens": 40, "stream": True})
    events = [line.removeprefix("data: ") for line in body.splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    first, last = json.loads(events[0]), json.loads(events[-2])
    assert first["choices"][0]["delta"]["tool_calls"][0]["function"]["name"] == "bash"
    assert last["choices"][0]["finish_reason"] == "tool_calls"


def test_a_bad_request_is_a_400_naming_the_field(server):
    serving, _ = server
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
