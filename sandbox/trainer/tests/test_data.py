"""Bad dataset lines give errors that name the file, the line and the field."""

import json

import pytest

from conftest import agent_conversation, run_trainer, write_jsonl
from rollout_trainer.data import load_conversations, load_preference_pairs
from rollout_trainer.errors import TrainerError


def _error(callable_, *args):
    with pytest.raises(TrainerError) as raised:
        callable_(*args)
    assert raised.value.kind == "bad_data"
    return raised.value.message


def test_invalid_json_names_file_and_line(tmp_path):
    path = tmp_path / "sft.jsonl"
    path.write_text(f'{json.dumps(agent_conversation(0, 1))}\n\n{{"messages": [}}\n')
    assert _error(load_conversations, str(path)) == f"{path}:3: not valid JSON (Expecting value at column 15)"


def test_bad_tool_call_arguments_name_the_field(tmp_path):
    row = agent_conversation(0, 1)
    row["messages"][2]["tool_calls"][0]["function"]["arguments"] = "{not json"
    path = write_jsonl(tmp_path / "sft.jsonl", [agent_conversation(1, 1), row])
    message = _error(load_conversations, path)
    assert message.startswith(f"{path}:2: messages[2].tool_calls[0].function.arguments: not valid JSON")


def test_unknown_role_and_missing_fields(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [{"messages": [{"role": "robot", "content": "x"}]}])
    assert "a.jsonl:1: messages[0].role: 'robot' is not one of" in _error(load_conversations, path)
    path = write_jsonl(tmp_path / "b.jsonl", [{"messages": [{"role": "user", "content": "x"}]}])
    assert _error(load_conversations, path).endswith("b.jsonl:1: messages: no assistant turn to train on")
    path = write_jsonl(tmp_path / "c.jsonl", [{"prompt": [{"role": "user", "content": "x"}], "chosen": [{"role": "assistant", "content": "y"}]}])
    assert "c.jsonl:1: rejected: missing" in _error(load_preference_pairs, path)


def test_arguments_strings_become_objects_for_the_template(tmp_path):
    path = write_jsonl(tmp_path / "sft.jsonl", [agent_conversation(0, 1)])
    call = load_conversations(path)[0].messages[2]["tool_calls"][0]
    assert call["function"]["arguments"] == {"command": "ls -la"}


def test_the_cli_reports_a_bad_line_as_a_json_error_and_exit_code(tmp_path, tiny_model):
    path = tmp_path / "sft.jsonl"
    path.write_text('{"messages": "not a list"}\n')
    code, events, _ = run_trainer("sft", "--data", str(path), "--base-model", tiny_model, "--out", str(tmp_path / "out"), "--device", "cpu")
    assert code == 3
    assert events[-1] == {"event": "error", "kind": "bad_data", "message": f"{path}:1: messages: must be a non-empty list"}
