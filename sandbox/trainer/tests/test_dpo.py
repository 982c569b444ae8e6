"""`dpo` with TRL's DPOTrainer and a LoRA adapter on the tiny model."""

import os

from conftest import agent_conversation, run_trainer, write_jsonl


def test_dpo_runs_a_few_steps_and_prefers_the_chosen_answer(tmp_path, tiny_model):
    rows = []
    for index in range(6):
        conversation = agent_conversation(index, 1)["messages"]
        rows.append({
            "prompt": conversation[:2],
            "chosen": conversation[2:],
            "rejected": [{"role": "assistant", "content": "I cannot do that."}],
            "tools": agent_conversation(index, 1)["tools"],
        })
    data = write_jsonl(tmp_path / "dpo.jsonl", rows)
    code, events, stderr = run_trainer(
        "dpo", "--data", data, "--base-model", tiny_model, "--out", str(tmp_path / "out"), "--device", "cpu",
        "--max-steps", "3", "--batch-size", "2", "--lr", "5e-3",
    )
    assert code == 0, stderr
    losses = [event["loss"] for event in events if event["event"] == "progress"]
    assert len(losses) == 3
    assert abs(losses[0] - 0.6931) < 1e-3  # log 2: the policy starts equal to its reference
    assert losses[-1] < losses[0]
    assert events[-1]["event"] == "done"
    assert os.path.isfile(os.path.join(events[-1]["adapter"], "adapter_model.safetensors"))


def test_a_pair_that_parts_at_a_tool_message_is_skipped_and_counted_never_a_failed_job(tmp_path, tiny_model):
    rows = []
    for index in range(4):
        conversation = agent_conversation(index, 1)["messages"]
        rows.append({"prompt": conversation[:2], "chosen": conversation[2:], "rejected": [{"role": "assistant", "content": "No."}],
                     "tools": agent_conversation(index, 1)["tools"]})
    # Two attempts that first differ in a tool's output: no assistant turn to prefer.
    conversation = agent_conversation(9, 1)["messages"]
    rows.append({"prompt": conversation[:3], "chosen": conversation[3:], "rejected": [{"role": "tool", "tool_call_id": "c0", "content": "timeout"}]})
    data = write_jsonl(tmp_path / "dpo.jsonl", rows)
    code, events, stderr = run_trainer(
        "dpo", "--data", data, "--base-model", tiny_model, "--out", str(tmp_path / "out"), "--device", "cpu",
        "--max-steps", "1", "--batch-size", "2",
    )
    assert code == 0, stderr
    prepared = next(event for event in events if event["event"] == "prepared")
    assert prepared["pairs"] == 4 and prepared["skipped"] == 1
    assert prepared["skipped_examples"][0].endswith("dpo.jsonl:5: chosen[0].role: a completion must start with an assistant turn")
    assert events[-1]["event"] == "done"


def test_pairs_render_tool_arguments_as_objects_not_quoted_twice(tiny_model):
    from rollout_trainer.data import normalise_messages
    from rollout_trainer.dpo import preference_rows
    from rollout_trainer.data import PreferencePair
    from rollout_trainer.training import load_tokenizer

    tokenizer = load_tokenizer(tiny_model)
    conversation = agent_conversation(0, 1)
    for mode, expected in (("object", '"arguments": {"command": "ls -la"}'), ("string", '"arguments": {"command": "ls -la"}')):
        messages = normalise_messages(conversation["messages"], "x:1", tool_arguments=mode)
        pair = PreferencePair(messages[:2], messages[2:3], [{"role": "assistant", "content": "No."}], conversation["tools"], "x:1")
        rows, skipped = preference_rows(tokenizer, [pair])
        assert skipped == []
        assert expected in rows[0]["chosen"]
        assert '\\"command\\"' not in rows[0]["chosen"]
