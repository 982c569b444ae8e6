"""Shared fixtures: a tiny model built from a config (nothing downloaded) and small datasets."""

import json
import os
import subprocess
import sys

import pytest

TRAINER_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, TRAINER_ROOT)

from rollout_trainer.tiny import build_tiny_model, build_tokenizer  # noqa: E402

BASH_TOOL = {
    "type": "function",
    "function": {
        "name": "bash",
        "description": "Run a shell command",
        "parameters": {"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]},
    },
}


def tool_call(call_id, command):
    return {"id": call_id, "type": "function", "function": {"name": "bash", "arguments": json.dumps({"command": command})}}


def agent_conversation(index: int, turns: int):
    """A multi-turn agent trajectory in the SFT export's shape (arguments as JSON strings)."""
    messages = [{"role": "system", "content": "You are a coding agent."}, {"role": "user", "content": f"Fix failing test {index}."}]
    for turn in range(turns):
        command = "pytest -q" if turn % 2 else "ls -la"
        messages.append({"role": "assistant", "content": "Let me look." if turn == 0 else None, "tool_calls": [tool_call(f"c{turn}", command)]})
        messages.append({"role": "tool", "tool_call_id": f"c{turn}", "content": "1 failed, 3 passed in 0.02s\n" * (1 + (index + turn) % 3)})
    messages.append({"role": "assistant", "content": f"Fixed test {index}: the subtraction is an addition now."})
    return {"messages": messages, "tools": [BASH_TOOL], "metadata": {"task_id": f"t{index}"}}


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")
    return str(path)


def run_trainer(*args, timeout=600):
    """Runs the real CLI; returns (exit code, parsed JSON lines from stdout, stderr)."""
    completed = subprocess.run(
        [sys.executable, "-m", "rollout_trainer", *args], cwd=TRAINER_ROOT, capture_output=True, text=True, timeout=timeout
    )
    events = [json.loads(line) for line in completed.stdout.splitlines() if line.strip()]
    return completed.returncode, events, completed.stderr


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    return build_tiny_model(str(tmp_path_factory.mktemp("tiny-model")))


@pytest.fixture(scope="session")
def sft_dataset(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "sft.jsonl"
    return write_jsonl(path, [agent_conversation(i, 1 + i % 4) for i in range(12)])


@pytest.fixture(scope="session")
def marked_tokenizer():
    return build_tokenizer(generation_markers=True)


@pytest.fixture(scope="session")
def plain_tokenizer():
    return build_tokenizer(generation_markers=False)
