"""`dpo`: LoRA direct preference optimisation on the DPO export with TRL's DPOTrainer.

With a peft adapter the reference model is the base with the adapter switched off, so no second
copy of the model is loaded. Each pair is rendered with the model's chat template here, tool-call
arguments as the template wants them (`--tool-arguments`), and handed to TRL as text: message lists
going through Arrow would have every row's argument objects merged into one struct (keys of other
rows rendered as nulls). A pair the template cannot split into prompt and completion is skipped and
counted, never a failed job.
"""

import os

from datasets import Dataset
from trl import DPOConfig, DPOTrainer

from .data import load_preference_pairs
from .errors import bad_data
from .device import resolve_placement
from .progress import ProgressCallback, emit
from .training import common_training_arguments, load_model, load_tokenizer, lora_config, train_resuming, write_outputs


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


def run_dpo(options) -> dict:
    pairs, skipped = load_preference_pairs(options.data, options.tool_arguments)  # before any model loads
    placement = resolve_placement(options.device)
    emit("placement", **placement.describe())
    tokenizer = load_tokenizer(options.base_model)
    rows, unrendered = preference_rows(tokenizer, pairs)
    skipped += unrendered
    emit("prepared", pairs=len(rows), skipped=len(skipped), skipped_examples=skipped[:5])
    if not rows:
        raise bad_data(options.data, f"no pair could be rendered with this model's chat template: {skipped[0]}")
    checkpoints_dir = os.path.join(options.out, "checkpoints")
    config = DPOConfig(**common_training_arguments(options, placement, checkpoints_dir), beta=options.beta, max_length=options.max_length)
    trainer = DPOTrainer(
        model=load_model(options.base_model, placement),
        args=config,
        train_dataset=Dataset.from_list(rows),
        processing_class=tokenizer,
        peft_config=lora_config(options),
        callbacks=[ProgressCallback()],
    )
    metrics, cancelled = train_resuming(trainer, checkpoints_dir)
    if cancelled:
        return {"cancelled": True, "step": trainer.state.global_step, "checkpoints": os.path.abspath(checkpoints_dir)}
    summary = {"pairs": len(rows), "skipped": len(skipped), "placement": placement.describe()}
    return write_outputs(trainer, tokenizer, options, "dpo", metrics, summary)
