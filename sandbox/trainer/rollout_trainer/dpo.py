"""`dpo`: LoRA direct preference optimisation on the DPO export with TRL's DPOTrainer.

With a peft adapter the reference model is the base with the adapter switched off, so no second
copy of the model is loaded. Each pair is rendered with the model's chat template here, tool-call
arguments as the template wants them (`--tool-arguments`), and handed to TRL as text: message lists
going through Arrow would have every row's argument objects merged into one struct (keys of other
rows rendered as nulls). A pair the template cannot split into prompt and completion is skipped and
counted, never a failed job. A pair longer than --max-length loses its prompt's earliest whole turns
(`keep-latest-turns`) or is dropped (`drop`); TRL is given no max length, as it would cut inside a turn.
TRL's padding-free mode is unavailable for DPO in the pinned version, so DPO always pads.
"""

import os
from dataclasses import replace

from datasets import Dataset
from trl import DPOConfig, DPOTrainer

from .data import load_preference_pairs
from .errors import bad_data
from .device import resolve_placement
from .prepare import prompt_candidates
from .progress import ProgressCallback, emit
from .training import common_training_arguments, load_model, load_tokenizer, lora_config, train_and_save


def _render(tokenizer, messages, tools, add_generation_prompt):
    return tokenizer.apply_chat_template(messages, tools=tools, tokenize=False, add_generation_prompt=add_generation_prompt)


def _without_auto_bos(tokenizer, text):
    """TRL tokenizes text rows with special tokens on: a BOS the template wrote would be doubled."""
    bos = tokenizer.bos_token
    if bos and text.startswith(bos) and tokenizer("x")["input_ids"][:1] == [tokenizer.bos_token_id]:
        return text[len(bos) :]
    return text


def preference_rows(tokenizer, pairs):
    """Text rows {prompt, chosen, rejected} and one `FILE:LINE: problem` per pair that could not be rendered:
    the prompt is the conversation so far with the generation prompt, a completion is what the template adds
    for the answer (up to its end-of-turn token)."""
    rows, skipped = [], []
    for pair in pairs:
        prompt = _render(tokenizer, pair.prompt, pair.tools, True)
        completions = []
        for name, completion in (("chosen", pair.chosen), ("rejected", pair.rejected)):
            full = _render(tokenizer, pair.prompt + completion, pair.tools, False)
            text = full[len(prompt) :].rstrip() if full.startswith(prompt) else ""
            if not text:
                skipped.append(f"{pair.source}: {name}: the chat template does not render it after the prompt")
                break
            completions.append(text)
        else:
            rows.append({"prompt": _without_auto_bos(tokenizer, prompt), "chosen": completions[0], "rejected": completions[1]})
    return rows, skipped


def _length(tokenizer, messages, tools) -> int:
    return len(tokenizer.apply_chat_template(messages, tools=tools, tokenize=True, return_dict=True)["input_ids"])


def fit_pairs(tokenizer, pairs, max_length, truncation):
    """Pairs within max_length tokens (prompt + the longer completion), never cut inside a turn:
    `keep-latest-turns` drops the prompt's earliest turns after its opening, `drop` drops the pair.
    Returns (pairs, statistics)."""
    fitted = []
    stats = {"truncated": 0, "dropped_too_long": 0, "max_length": max_length, "truncation": truncation}
    for pair in pairs:
        for prompt in prompt_candidates(pair.prompt, truncation):
            longest = max(_length(tokenizer, prompt + answer, pair.tools) for answer in (pair.chosen, pair.rejected))
            if longest <= max_length:
                stats["truncated"] += prompt is not pair.prompt
                fitted.append(replace(pair, prompt=prompt))
                break
        else:
            stats["dropped_too_long"] += 1
    return fitted, stats


def run_dpo(options) -> dict:
    pairs, skipped = load_preference_pairs(options.data, options.tool_arguments)  # before any model loads
    placement = resolve_placement(options.device, "off", options.gradient_checkpointing)
    emit("placement", **placement.describe())
    tokenizer = load_tokenizer(options.base_model)
    pairs, fitting = fit_pairs(tokenizer, pairs, options.max_length, options.truncation)
    rows, unrendered = preference_rows(tokenizer, pairs)
    skipped += unrendered
    stats = {"pairs": len(rows), "skipped": len(skipped), "skipped_examples": skipped[:5], **fitting}
    emit("prepared", **stats)
    if not rows:
        why = skipped[0] if skipped else f"every pair is longer than --max-length {options.max_length}"
        raise bad_data(options.data, f"no pair could be used: {why}")
    checkpoints_dir = os.path.join(options.out, "checkpoints")
    config = DPOConfig(**common_training_arguments(options, placement, checkpoints_dir), beta=options.beta, max_length=None)
    trainer = DPOTrainer(
        model=load_model(options.base_model, placement),
        args=config,
        train_dataset=Dataset.from_list(rows),
        processing_class=tokenizer,
        peft_config=lora_config(options),
        callbacks=[ProgressCallback()],
    )
    return train_and_save(trainer, tokenizer, options, "dpo", placement, stats)
