"""`sft` with real transformers/peft/trl on the tiny model: the loss falls, reruns resume."""

import json
import os

from conftest import run_trainer


def _train(dataset, model, out, steps):
    return run_trainer(
        "sft", "--data", dataset, "--base-model", model, "--out", out, "--device", "cpu",
        "--max-steps", str(steps), "--save-steps", "4", "--batch-size", "4", "--lr", "5e-3", "--lr-scheduler", "constant",
    )


def test_sft_trains_a_lora_adapter_and_the_loss_falls(tmp_path, tiny_model, sft_dataset):
    code, events, stderr = _train(sft_dataset, tiny_model, str(tmp_path), 8)
    assert code == 0, stderr
    progress = [event for event in events if event["event"] == "progress"]
    assert [event["step"] for event in progress] == list(range(1, 9))
    for event in progress:
        assert event["tokens_per_s"] > 0 and event["lr"] == 5e-3 and event["eta_s"] >= 0
    assert progress[-1]["loss"] < progress[0]["loss"] - 0.5
    done = events[-1]
    assert done["event"] == "done" and done["steps"] == 8
    with open(os.path.join(done["adapter"], "adapter_config.json")) as handle:
        adapter = json.load(handle)
    assert adapter["base_model_name_or_path"] == tiny_model and adapter["peft_type"] == "LORA"
    assert os.path.isfile(os.path.join(done["adapter"], "adapter_model.safetensors"))
    assert os.path.isfile(os.path.join(done["adapter"], "tokenizer.json"))  # serve needs only this folder + base
    prepared = next(event for event in events if event["event"] == "prepared")
    assert prepared["conversations"] == 12 and 0 < prepared["assistant_tokens"] < prepared["tokens"]


def test_a_rerun_resumes_from_the_last_checkpoint(tmp_path, tiny_model, sft_dataset):
    code, events, stderr = _train(sft_dataset, tiny_model, str(tmp_path), 4)
    assert code == 0, stderr
    code, events, stderr = _train(sft_dataset, tiny_model, str(tmp_path), 6)
    assert code == 0, stderr
    resume = next(event for event in events if event["event"] == "resume")
    assert resume["checkpoint"].endswith("checkpoints/checkpoint-4")
    assert [event["step"] for event in events if event["event"] == "progress"] == [5, 6]


def test_prepare_writes_labels_only_on_assistant_tokens(tmp_path, tiny_model, sft_dataset):
    code, events, stderr = run_trainer("prepare", "--data", sft_dataset, "--base-model", tiny_model, "--out", str(tmp_path))
    assert code == 0, stderr
    with open(events[-1]["prepared"]) as handle:
        rows = [json.loads(line) for line in handle]
    assert len(rows) == 12
    for row in rows:
        kept = [label for label in row["labels"] if label != -100]
        assert 0 < len(kept) < len(row["input_ids"])
        assert all(label == token for label, token in zip(row["labels"], row["input_ids"]) if label != -100)
