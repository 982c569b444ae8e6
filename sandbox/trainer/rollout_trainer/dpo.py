"""`dpo`: LoRA direct preference optimisation on the DPO export with TRL's DPOTrainer.

With a peft adapter the reference model is the base with the adapter switched off, so no second
copy of the model is loaded. Tool-call arguments and tool schemas travel as JSON strings: the
dataset goes through Arrow, which would otherwise merge every row's argument objects into one
struct and render keys of other rows as nulls (templates accept string arguments).
"""

import json
import os

from datasets import Dataset
from trl import DPOConfig, DPOTrainer

from .data import load_preference_pairs
from .device import resolve_placement
from .progress import ProgressCallback, emit
from .training import common_training_arguments, load_model, load_tokenizer, lora_config, train_resuming, write_outputs


def _arrow_safe(messages):
    safe = []
    for message in messages:
        message = dict(message)
        if "tool_calls" in message:
            message["tool_calls"] = [
                {**call, "function": {**call["function"], "arguments": json.dumps(call["function"]["arguments"])}}
                for call in message["tool_calls"]
            ]
        safe.append(message)
    return safe


def preference_rows(pairs):
    rows = []
    for pair in pairs:
        row = {"prompt": _arrow_safe(pair.prompt), "chosen": _arrow_safe(pair.chosen), "rejected": _arrow_safe(pair.rejected)}
        if pair.tools:
            row["tools"] = json.dumps(pair.tools)
        rows.append(row)
    return rows


def run_dpo(options) -> dict:
    pairs = load_preference_pairs(options.data)  # a bad line fails before any model loads
    placement = resolve_placement(options.device)
    emit("placement", **placement.describe())
    tokenizer = load_tokenizer(options.base_model)
    emit("prepared", pairs=len(pairs))
    checkpoints_dir = os.path.join(options.out, "checkpoints")
    config = DPOConfig(**common_training_arguments(options, placement, checkpoints_dir), beta=options.beta, max_length=options.max_length)
    trainer = DPOTrainer(
        model=load_model(options.base_model, placement),
        args=config,
        train_dataset=Dataset.from_list(preference_rows(pairs)),
        processing_class=tokenizer,
        peft_config=lora_config(options),
        callbacks=[ProgressCallback()],
    )
    metrics, cancelled = train_resuming(trainer, checkpoints_dir)
    if cancelled:
        return {"cancelled": True, "step": trainer.state.global_step, "checkpoints": os.path.abspath(checkpoints_dir)}
    return write_outputs(trainer, tokenizer, options, "dpo", metrics, {"pairs": len(pairs), "placement": placement.describe()})
