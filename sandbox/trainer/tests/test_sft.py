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


def test_every_training_option_reaches_the_trainer_and_the_adapters_metadata(tmp_path, tiny_model, sft_dataset):
    code, events, stderr = run_trainer(
        "sft", "--data", sft_dataset, "--base-model", tiny_model, "--out", str(tmp_path), "--device", "cpu",
        "--max-steps", "2", "--batch-size", "2", "--grad-accum", "2", "--lr", "1e-3", "--lr-scheduler", "cosine",
        "--warmup-steps", "1", "--max-length", "450", "--truncation", "drop", "--lora-r", "4", "--lora-alpha", "8",
        "--lora-dropout", "0.05", "--lora-targets", "q_proj,v_proj", "--gradient-checkpointing", "on",
        "--padding-free", "on", "--seed", "7", "--save-steps", "1000",
    )
    assert code == 0, stderr
    placement = next(event for event in events if event["event"] == "placement")
    assert placement["padding_free"] is True and placement["gradient_checkpointing"] is True
    prepared = next(event for event in events if event["event"] == "prepared")
    assert prepared["max_length"] == 450 and prepared["truncation"] == "drop"
    assert (prepared["examples"], prepared["dropped_too_long"]) == (6, 6)  # 319…419 tokens kept, 483…572 dropped
    done = events[-1]
    with open(os.path.join(done["adapter"], "adapter_config.json")) as handle:
        adapter = json.load(handle)
    assert (adapter["r"], adapter["lora_alpha"], adapter["lora_dropout"]) == (4, 8, 0.05)
    assert sorted(adapter["target_modules"]) == ["q_proj", "v_proj"]
    with open(os.path.join(done["adapter"], "rollout-trainer.json")) as handle:
        recorded = json.load(handle)["options"]
    assert recorded == {
        "max_steps": 2, "epochs": 1.0, "batch_size": 2, "grad_accum": 2, "lr": 1e-3, "lr_scheduler": "cosine",
        "warmup_steps": 1, "max_length": 450, "truncation": "drop", "seed": 7, "lora_r": 4, "lora_alpha": 8,
        "lora_dropout": 0.05, "lora_targets": "q_proj,v_proj", "gradient_checkpointing": "on", "padding_free": "on",
        "distributed": "auto", "processes": 0, "tool_arguments": "object",
    }
    assert [event["step"] for event in events if event["event"] == "progress"] == [1, 2]
