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
