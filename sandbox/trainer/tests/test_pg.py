"""`pg`: a policy-gradient step on RL-export rows with the tiny model: loss only on the response, the loss
falls and the higher-advantage action becomes more likely; recorded logprobs switch on the clipped ratio."""

import json

import pytest
import torch
from peft import PeftModel
from transformers import AutoModelForCausalLM

from conftest import BASH_TOOL, run_trainer, tool_call, write_jsonl
from rollout_trainer.errors import TrainerError
from rollout_trainer.pg import _render_ids, _response_ids, _token_logprobs, load_steps, policy_gradient_loss, tokenize_steps
from rollout_trainer.training import load_tokenizer

PROMPT = [{"role": "system", "content": "You are a coding agent."}, {"role": "user", "content": "Look at the repository."}]
GOOD = {"role": "assistant", "content": None, "tool_calls": [tool_call("c1", "ls -la")]}
BAD = {"role": "assistant", "content": "I cannot do that."}


def _rows(count=8):
    rows = []
    for index in range(count):
        for response, advantage in ((GOOD, 1.0), (BAD, -1.0)):
            rows.append({
                "prompt": PROMPT, "response": response, "tools": [BASH_TOOL], "advantage": advantage,
                "turn_index": 0, "return": advantage, "metadata": {"task_id": f"t{index % 2}", "run_id": f"r{index}"},
            })
    return rows


def _drifted_row(tokenizer, prompt):
    """A GOOD row as recorded by a server whose tokenizer split the prompt's text one character a token: ids the
    chat template does not give, as a retokenization drift would."""
    rendered = _render_ids(tokenizer, prompt, [BASH_TOOL], add_generation_prompt=True)
    response_ids, _ = _response_ids(tokenizer, prompt, rendered, {"response": GOOD, "tools": [BASH_TOOL], "token_ids": None})
    prompt_token_ids = [token for char in tokenizer.decode(rendered) for token in tokenizer.encode(char, add_special_tokens=False)]
    assert prompt_token_ids != rendered
    return {
        "prompt": prompt, "response": GOOD, "tools": [BASH_TOOL], "advantage": 1.0, "prompt_token_ids": prompt_token_ids,
        "token_ids": response_ids, "logprobs": [-0.5] * len(response_ids), "loss_mask": [1] * (len(response_ids) - 1) + [0],
    }


def _tokenized(tmp_path, tokenizer, row, max_length=4096, truncation="drop"):
    return tokenize_steps(tokenizer, load_steps(write_jsonl(tmp_path / "rl.jsonl", [row]), "trajectory"), max_length, truncation)


def _response_logprob(model, tokenizer, response) -> float:
    prompt_ids = _render_ids(tokenizer, PROMPT, [BASH_TOOL], add_generation_prompt=True)
    step = {"response": response, "tools": [BASH_TOOL], "token_ids": None}
    response_ids, _ = _response_ids(tokenizer, PROMPT, prompt_ids, step)
    ids = torch.tensor([prompt_ids + response_ids])
    with torch.no_grad():
        logprobs = _token_logprobs(model, ids, torch.ones_like(ids))
    return float(logprobs[0, len(prompt_ids) - 1 :].sum())


def _train(tmp_path, tiny_model, rows, *extra):
    data = write_jsonl(tmp_path / "rl.jsonl", rows)
    code, events, stderr = run_trainer(
        "pg", "--data", data, "--base-model", tiny_model, "--out", str(tmp_path / "out"), "--device", "cpu",
        "--max-steps", "12", "--batch-size", "4", "--lr", "5e-3", "--lr-scheduler", "constant", "--save-steps", "1000", *extra,
    )
    assert code == 0, stderr
    return events


def test_the_higher_advantage_action_becomes_more_likely_and_the_loss_falls(tmp_path, tiny_model):
    events = _train(tmp_path, tiny_model, _rows())
    prepared = next(event for event in events if event["event"] == "prepared")
    assert prepared == {"event": "prepared", "rows": 16, "recorded_prompt_ids": 0, "truncated": 0, "dropped_too_long": 0, "skipped_unmaskable": 0, "with_logprobs": 0, "kept": 16}
    losses = [event["loss"] for event in events if event["event"] == "progress"]
    assert len(losses) == 12
    assert sum(losses[-3:]) / 3 < sum(losses[:3]) / 3 - 0.5
    tokenizer = load_tokenizer(tiny_model)
    base = AutoModelForCausalLM.from_pretrained(tiny_model)
    before = _response_logprob(base, tokenizer, GOOD) - _response_logprob(base, tokenizer, BAD)
    tuned = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_model), events[-1]["adapter"])
    after = _response_logprob(tuned, tokenizer, GOOD) - _response_logprob(tuned, tokenizer, BAD)
    assert after > before + 5  # log-odds of the rewarded action over the penalised one


def test_recorded_logprobs_use_the_clipped_ratio_and_the_kl_is_reported(tmp_path, tiny_model):
    tokenizer = load_tokenizer(tiny_model)
    base = AutoModelForCausalLM.from_pretrained(tiny_model)
    rows = _rows(4)
    for row in rows:  # as a vLLM-style server returns them: the sampled ids and their logprobs
        steps, _ = tokenize_steps(tokenizer, load_steps(write_jsonl(tmp_path / "one.jsonl", [row]), "trajectory"), 4096, "drop")
        ids = torch.tensor([steps[0]["input_ids"]])
        start = steps[0]["loss_mask"].index(1)
        with torch.no_grad():
            logprobs = _token_logprobs(base, ids, torch.ones_like(ids))[0]
        row["prompt_token_ids"] = steps[0]["input_ids"][:start]
        row["token_ids"] = steps[0]["input_ids"][start:]
        row["logprobs"] = logprobs[start - 1 :].tolist()
    events = _train(tmp_path, tiny_model, rows, "--beta", "0.1")
    prepared = next(event for event in events if event["event"] == "prepared")
    assert prepared["with_logprobs"] == 8 and prepared["recorded_prompt_ids"] == 8
    progress = [event for event in events if event["event"] == "progress"]
    assert progress[-1]["loss"] < progress[0]["loss"]
    with open(events[-1]["summary"]) as handle:
        summary = json.load(handle)
    assert summary["method"] == "pg" and summary["options"]["beta"] == 0.1 and summary["options"]["advantage"] == "trajectory"


def test_the_clipped_ratio_stops_the_gradient_outside_the_trust_region():
    new = torch.tensor([[0.0, 0.5]], requires_grad=True)
    old = torch.tensor([[0.0, 0.0]])  # ratio 1 and e^0.5 ≈ 1.65 > 1.2
    loss, _ = policy_gradient_loss(new, old, torch.tensor([True]), None, torch.ones(1, 2), torch.tensor([1.0]), 0.2, 0.0)
    loss.backward()
    assert new.grad[0, 0] < 0 and new.grad[0, 1] == 0  # only the token inside the clip range pushes


def test_turn_advantages_come_from_returns_against_the_task_mean(tmp_path):
    rows = _rows(2)
    for row, value in zip(rows, [3.0, 1.0, 2.0, 2.0]):
        row["return"] = value
    steps = load_steps(write_jsonl(tmp_path / "rl.jsonl", rows), "turn")
    credits = [round(step["credit"], 3) for step in steps]
    assert credits == [0.707, -0.707, 0.0, 0.0]  # task t0: returns 3 and 1 (mean 2, sample std 1.414); t1: equal


def test_a_row_is_trained_on_its_recorded_prompt_ids_not_on_the_template(tmp_path, tiny_model):
    tokenizer = load_tokenizer(tiny_model)
    row = _drifted_row(tokenizer, PROMPT)
    rows, stats = _tokenized(tmp_path, tokenizer, row)
    prompt_length = len(row["prompt_token_ids"])
    assert rows[0]["input_ids"] == row["prompt_token_ids"] + row["token_ids"]
    assert rows[0]["loss_mask"] == [0] * prompt_length + row["loss_mask"]
    assert rows[0]["old_logprobs"] == [0.0] * prompt_length + row["logprobs"]
    assert stats["recorded_prompt_ids"] == 1 and stats["kept"] == 1


def test_recorded_prompt_ids_without_token_ids_are_ignored(tmp_path, tiny_model):
    tokenizer = load_tokenizer(tiny_model)
    row = _drifted_row(tokenizer, PROMPT)
    del row["token_ids"], row["logprobs"], row["loss_mask"]
    rows, stats = _tokenized(tmp_path, tokenizer, row)
    rendered = _render_ids(tokenizer, PROMPT, [BASH_TOOL], add_generation_prompt=True)
    assert rows[0]["input_ids"][: len(rendered)] == rendered and rows[0]["loss_mask"].index(1) == len(rendered)
    assert stats["recorded_prompt_ids"] == 0


def test_recorded_prompt_ids_that_are_not_integers_name_the_line_and_field(tmp_path):
    row = {"prompt": PROMPT, "response": GOOD, "advantage": 1.0, "prompt_token_ids": [1, "2"], "token_ids": [3]}
    path = write_jsonl(tmp_path / "rl.jsonl", [row])
    with pytest.raises(TrainerError) as raised:
        load_steps(path, "trajectory")
    assert raised.value.kind == "bad_data"
    assert raised.value.message == f"{path}:1: prompt_token_ids: must be a list of integers"


def test_recorded_ids_over_max_length_fall_back_to_the_rendered_prompt_cut_by_truncation(tmp_path, tiny_model):
    tokenizer = load_tokenizer(tiny_model)
    earlier_turn = [GOOD, {"role": "tool", "tool_call_id": "c1", "content": "src/app.py tests/test_app.py README.md"}]
    row = _drifted_row(tokenizer, PROMPT + earlier_turn + earlier_turn)
    cut_prompt = PROMPT + earlier_turn
    cut = _render_ids(tokenizer, cut_prompt, [BASH_TOOL], add_generation_prompt=True)
    max_length = len(cut) + len(row["token_ids"])
    assert max_length < len(_render_ids(tokenizer, row["prompt"], [BASH_TOOL], add_generation_prompt=True)) + len(row["token_ids"])
    rows, stats = _tokenized(tmp_path, tokenizer, row, max_length, "keep-latest-turns")
    assert rows[0]["input_ids"] == cut + row["token_ids"]
    assert stats["recorded_prompt_ids"] == 0 and stats["truncated"] == 1
    rows, stats = _tokenized(tmp_path, tokenizer, row, max_length, "drop")
    assert rows == [] and stats["dropped_too_long"] == 1
