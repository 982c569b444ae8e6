"""`pg`: a policy-gradient update of a LoRA adapter on recorded multi-turn trajectories (the RL export).

Each RL row is one step: the request the model saw (`prompt`, `tools`, and `prompt_token_ids`, the prompt as
the server tokenized it), what it answered (`response`, and the sampled `token_ids` / `logprobs` when the
server returned them) and the credit for it (`advantage`, `turn_advantage`, `return`). A row with both
`prompt_token_ids` and `token_ids` is trained on them as they are, so the recorded logprobs meet the context
they were sampled in; the others render `prompt` with the chat template. The loss is on the response's
tokens only: prompt, tool and user tokens are context. Per token t of the response, with A the row's advantage:

- recorded logprobs (the sampling policy's, aligned with `token_ids`): PPO's clipped surrogate,
  -min(r·A, clip(r, 1-ε, 1+ε)·A) with r = exp(logp_new(t) - logp_old(t));
- none recorded: REINFORCE, -A·logp_new(t); the advantage is already measured against a baseline (the
  task group's mean reward, or for `--advantage turn` its mean return);
- plus β·KL to the base model (the adapter switched off), with the k3 estimator exp(d) - d - 1,
  d = logp_base(t) - logp_new(t), as TRL's GRPO does.

Token losses are averaged per row, then over the batch. Rows the template cannot tokenize consistently
are skipped and counted. Recorded ids over --max-length cannot be cut at a turn boundary as --truncation cuts
messages, so such a row is read as one without them: its prompt rendered, then cut.
"""

import os
import statistics

import torch
from datasets import Dataset
from peft import get_peft_model
from transformers import Trainer, TrainingArguments

from .data import normalise_messages, read_jsonl
from .device import resolve_placement
from .errors import bad_data
from .prepare import prompt_candidates
from .progress import ProgressCallback, emit
from .training import common_training_arguments, load_model, load_tokenizer, lora_config, train_and_save

ADVANTAGE_EPSILON = 1e-4  # TRL's GRPO


def _number(record, name, source, required=True):
    value = record.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise bad_data(source, f"{name}: must be a number, got {value!r}")
    return float(value)


def _token_ids(record, name, source):
    ids = record.get(name)
    if ids is not None and (not isinstance(ids, list) or not all(isinstance(t, int) and not isinstance(t, bool) for t in ids)):
        raise bad_data(source, f"{name}: must be a list of integers")
    return ids


def load_steps(path: str, advantage: str, tool_arguments: str = "object") -> list[dict]:
    """RL export rows, validated, with the advantage `--advantage` asks for."""
    steps = []
    for source, record in read_jsonl(path):
        for name in ("prompt", "response"):
            if name not in record:
                raise bad_data(source, f"{name}: missing (expected the RL export: prompt, response, advantage)")
        prompt = normalise_messages(record["prompt"], source, "prompt", tool_arguments)
        response = normalise_messages([record["response"]], source, "response", tool_arguments)[0]
        if response["role"] != "assistant":
            raise bad_data(source, "response.role: must be assistant")
        token_ids = _token_ids(record, "token_ids", source)
        # without the response's ids the prompt's cannot be used: a rendered response continues a rendered prompt
        prompt_token_ids = _token_ids(record, "prompt_token_ids", source) if token_ids else None
        logprobs = record.get("logprobs") if token_ids else None
        if logprobs is not None and (not isinstance(logprobs, list) or len(logprobs) != len(token_ids)):
            raise bad_data(source, "logprobs: must be a list of numbers, one per token id")
        steps.append({
            "source": source,
            "prompt": prompt,
            "response": response,
            "tools": record.get("tools") or None,
            "prompt_token_ids": prompt_token_ids,
            "token_ids": token_ids,
            "logprobs": logprobs,
            "loss_mask": record.get("loss_mask") if token_ids else None,
            "advantage": _number(record, "advantage", source),
            "turn_advantage": _number(record, "turn_advantage", source, required=False),
            "return": _number(record, "return", source, required=False),
            "task": (record.get("metadata") or {}).get("task_id", source),
        })
    if not steps:
        raise bad_data(path, "the dataset has no RL rows")
    if advantage == "turn":
        _turn_advantages(steps)
    else:
        for step in steps:
            step["credit"] = step["advantage"]
    return steps


def _turn_advantages(steps):
    """The export's per-turn advantage, else each turn's return against its task's turns (mean, sample std)."""
    by_task = {}
    for step in steps:
        if step["turn_advantage"] is None and step["return"] is None:
            raise bad_data(step["source"], "--advantage turn needs `turn_advantage` or `return` on every row")
        by_task.setdefault(step["task"], []).append(step)
    for group in by_task.values():
        returns = [step["return"] for step in group if step["return"] is not None]
        mean = statistics.fmean(returns) if returns else 0.0
        spread = statistics.stdev(returns) if len(returns) > 1 else 0.0
        for step in group:
            if step["turn_advantage"] is not None:
                step["credit"] = step["turn_advantage"]
            else:
                step["credit"] = (step["return"] - mean) / (spread + ADVANTAGE_EPSILON)


def _render_ids(tokenizer, messages, tools, add_generation_prompt=False) -> list[int]:
    encoded = tokenizer.apply_chat_template(
        messages, tools=tools, tokenize=True, return_dict=True, add_generation_prompt=add_generation_prompt
    )
    return list(encoded["input_ids"])


def _recorded_response(step):
    return step["token_ids"], step["loss_mask"] or [1] * len(step["token_ids"])


def _response_ids(tokenizer, prompt, prompt_ids, step):
    """The response's tokens: as sampled when recorded, else the rendering's continuation of the prompt without
    the layout after the turn's last token. None when the template does not render the prompt as a prefix."""
    if step["token_ids"]:
        return _recorded_response(step)
    full = _render_ids(tokenizer, prompt + [step["response"]], step["tools"])
    if full[: len(prompt_ids)] != prompt_ids:
        return None
    response = full[len(prompt_ids) :]
    while response and not tokenizer.decode(response[-1:]).strip():
        response = response[:-1]
    return (response, [1] * len(response)) if response else None


def _fitted_ids(tokenizer, step, max_length, truncation, stats):
    """(prompt ids, response ids, response mask) within max_length: the recorded ids when they fit, else the rendered
    prompt, cut by `truncation`. None when the row cannot be used; every choice is counted in `stats`."""
    if step["prompt_token_ids"]:
        response_ids, response_mask = _recorded_response(step)
        if len(step["prompt_token_ids"]) + len(response_ids) <= max_length:
            stats["recorded_prompt_ids"] += 1
            return step["prompt_token_ids"], response_ids, response_mask
    for prompt in prompt_candidates(step["prompt"], truncation):
        prompt_ids = _render_ids(tokenizer, prompt, step["tools"], add_generation_prompt=True)
        response = _response_ids(tokenizer, prompt, prompt_ids, step)
        if response is None:
            stats["skipped_unmaskable"] += 1
            return None
        if len(prompt_ids) + len(response[0]) <= max_length:
            stats["truncated"] += prompt is not step["prompt"]
            return prompt_ids, *response
    stats["dropped_too_long"] += 1
    return None


def tokenize_steps(tokenizer, steps, max_length, truncation):
    """Token rows {input_ids, loss_mask, old_logprobs, has_old, advantage} and statistics."""
    rows = []
    stats = {
        "rows": len(steps),
        "recorded_prompt_ids": 0,
        "truncated": 0,
        "dropped_too_long": 0,
        "skipped_unmaskable": 0,
        "with_logprobs": 0,
    }
    for step in steps:
        fitted = _fitted_ids(tokenizer, step, max_length, truncation, stats)
        if fitted is None:
            continue
        prompt_ids, response_ids, response_mask = fitted
        has_old = step["logprobs"] is not None
        stats["with_logprobs"] += has_old
        rows.append({
            "input_ids": prompt_ids + response_ids,
            "loss_mask": [0] * len(prompt_ids) + list(response_mask),
            "old_logprobs": [0.0] * len(prompt_ids) + (step["logprobs"] if has_old else [0.0] * len(response_ids)),
            "has_old": has_old,
            "advantage": step["credit"],
        })
    stats["kept"] = len(rows)
    return rows, stats


class StepCollator:
    """Right-pads a batch of token rows into tensors."""

    def __init__(self, pad_token_id: int):
        self.pad_token_id = pad_token_id

    def __call__(self, rows):
        width = max(len(row["input_ids"]) for row in rows)

        def padded(name, fill, dtype):
            return torch.tensor([row[name] + [fill] * (width - len(row[name])) for row in rows], dtype=dtype)

        return {
            "input_ids": padded("input_ids", self.pad_token_id, torch.long),
            "attention_mask": torch.tensor([[1] * len(row["input_ids"]) + [0] * (width - len(row["input_ids"])) for row in rows]),
            "loss_mask": padded("loss_mask", 0, torch.float32),
            "old_logprobs": padded("old_logprobs", 0.0, torch.float32),
            "has_old": torch.tensor([row["has_old"] for row in rows]),
            "advantage": torch.tensor([row["advantage"] for row in rows], dtype=torch.float32),
        }


def _token_logprobs(model, input_ids, attention_mask):
    """log p(token t | tokens before t) for t = 1…T-1."""
    logits = model(input_ids=input_ids, attention_mask=attention_mask, use_cache=False).logits[:, :-1].float()
    return torch.gather(logits.log_softmax(-1), 2, input_ids[:, 1:].unsqueeze(-1)).squeeze(-1)


def policy_gradient_loss(new, old, has_old, base, mask, advantage, clip_epsilon, beta):
    """The per-row-averaged loss and its KL term (module docstring); all tensors are [rows, tokens]."""
    advantage = advantage.unsqueeze(1)
    ratio = torch.exp(new - old)
    clipped = -torch.minimum(ratio * advantage, ratio.clamp(1 - clip_epsilon, 1 + clip_epsilon) * advantage)
    reinforce = -advantage * new
    token_loss = torch.where(has_old.unsqueeze(1), clipped, reinforce)
    kl = torch.zeros_like(new)
    if base is not None:
        difference = base - new
        kl = torch.exp(difference) - difference - 1
        token_loss = token_loss + beta * kl
    tokens = mask.sum(1).clamp_min(1)
    return ((token_loss * mask).sum(1) / tokens).mean(), ((kl * mask).sum(1) / tokens).mean()


class PolicyGradientTrainer(Trainer):
    def __init__(self, *args, beta: float, clip_epsilon: float, **kwargs):
        super().__init__(*args, **kwargs)
        self.beta = beta
        self.clip_epsilon = clip_epsilon
        self._kl = []

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        input_ids, attention_mask = inputs["input_ids"], inputs["attention_mask"]
        new = _token_logprobs(model, input_ids, attention_mask)
        base = None
        if self.beta > 0:
            with torch.no_grad(), self.accelerator.unwrap_model(model).disable_adapter():
                base = _token_logprobs(model, input_ids, attention_mask)
        loss, kl = policy_gradient_loss(
            new,
            inputs["old_logprobs"][:, 1:],
            inputs["has_old"],
            base,
            inputs["loss_mask"][:, 1:],
            inputs["advantage"],
            self.clip_epsilon,
            self.beta,
        )
        self._kl.append(float(kl.detach()))
        return loss

    def log(self, logs, *args, **kwargs):
        if self._kl and "loss" in logs:
            logs["kl"] = statistics.fmean(self._kl)
            self._kl = []
        super().log(logs, *args, **kwargs)


def run_pg(options) -> dict:
    steps = load_steps(options.data, options.advantage, options.tool_arguments)  # a bad line fails before any model loads
    placement = resolve_placement(options.device, "off", options.gradient_checkpointing)
    emit("placement", **placement.describe())
    tokenizer = load_tokenizer(options.base_model)
    rows, stats = tokenize_steps(tokenizer, steps, options.max_length, options.truncation)
    emit("prepared", **stats)
    if not rows:
        raise bad_data(options.data, f"no RL row could be used ({stats})")
    checkpoints_dir = os.path.join(options.out, "checkpoints")
    model = get_peft_model(load_model(options.base_model, placement), lora_config(options))
    if placement.gradient_checkpointing:
        model.enable_input_require_grads()
    trainer = PolicyGradientTrainer(
        model=model,
        args=TrainingArguments(**common_training_arguments(options, placement, checkpoints_dir), remove_unused_columns=False),
        train_dataset=Dataset.from_list(rows),
        data_collator=StepCollator(tokenizer.pad_token_id),
        processing_class=tokenizer,
        callbacks=[ProgressCallback()],
        beta=options.beta,
        clip_epsilon=options.clip_epsilon,
    )
    return train_and_save(trainer, tokenizer, options, "pg", placement, stats)
