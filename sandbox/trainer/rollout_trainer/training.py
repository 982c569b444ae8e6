"""What `sft` and `dpo` share: loading the base model, LoRA, checkpoints, cancel and outputs."""

import json
import os
import time

from peft import LoraConfig
from transformers import AutoModelForCausalLM, AutoTokenizer
from transformers.trainer_utils import get_last_checkpoint

from .device import is_out_of_memory, out_of_memory_error
from . import stop
from .errors import TrainerError
from .launch import distributed_strategy
from .progress import emit, is_main_process

# Recorded in the adapter's metadata: every option that shapes what is trained.
RECORDED_OPTIONS = (
    "max_steps", "epochs", "batch_size", "grad_accum", "lr", "lr_scheduler", "warmup_steps", "max_length", "truncation",
    "seed", "lora_r", "lora_alpha", "lora_dropout", "lora_targets", "gradient_checkpointing", "padding_free", "beta",
    "advantage", "clip_epsilon", "distributed", "processes", "tool_arguments",
)


def load_tokenizer(base_model: str):
    try:
        tokenizer = AutoTokenizer.from_pretrained(base_model)
    except (OSError, ValueError) as error:
        raise TrainerError("model", f"cannot load the tokenizer of {base_model!r}: {error}") from error
    if not tokenizer.chat_template:
        raise TrainerError("model", f"{base_model!r} has no chat template; pick an instruct/chat model")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_model(base_model: str, placement):
    try:
        model = AutoModelForCausalLM.from_pretrained(base_model, dtype=placement.dtype, attn_implementation=placement.attention)
    except (OSError, ValueError) as error:
        raise TrainerError("model", f"cannot load the base model {base_model!r}: {error}") from error
    # Under torchrun the Trainer places each process's copy on its own device (or shards it, FSDP).
    return model if distributed_strategy() else model.to(placement.device)


def lora_targets(value: str):
    """`all-linear` (peft's shorthand) or a comma-separated list of module names."""
    if value == "all-linear":
        return value
    names = [name.strip() for name in value.split(",") if name.strip()]
    if not names:
        raise TrainerError("usage", f"--lora-targets: no module names in {value!r}")
    return names


def lora_config(options) -> LoraConfig:
    return LoraConfig(
        r=options.lora_r,
        lora_alpha=options.lora_alpha,
        lora_dropout=options.lora_dropout,
        target_modules=lora_targets(options.lora_targets),
        task_type="CAUSAL_LM",
    )


def _distributed_arguments() -> dict:
    strategy = distributed_strategy()
    if strategy == "fsdp":
        return {"fsdp": "full_shard auto_wrap", "fsdp_config": {"use_orig_params": True}}
    if strategy == "ddp":
        return {"ddp_find_unused_parameters": False}  # frozen base weights are not unused parameters
    return {}


def common_training_arguments(options, placement, checkpoints_dir: str) -> dict:
    """TrainingArguments shared by SFT and DPO. Checkpoints every --save-steps steps (and on
    on a stop request) so that a rerun of the same command resumes where the last one stopped."""
    return {
        "output_dir": checkpoints_dir,
        "max_steps": options.max_steps,
        "num_train_epochs": options.epochs,
        "per_device_train_batch_size": options.batch_size,
        "gradient_accumulation_steps": options.grad_accum,
        "learning_rate": options.lr,
        "lr_scheduler_type": options.lr_scheduler,
        "warmup_steps": options.warmup_steps,
        "logging_steps": 1,
        "save_strategy": "steps",
        "save_steps": options.save_steps,
        "save_total_limit": 2,
        "seed": options.seed,
        "bf16": placement.device == "cuda" and str(placement.dtype) == "torch.bfloat16",
        "fp16": placement.device == "cuda" and str(placement.dtype) == "torch.float16",
        "use_cpu": placement.device == "cpu",
        "gradient_checkpointing": placement.gradient_checkpointing,
        # the non-reentrant variant works with frozen inputs (LoRA) and under DDP
        "gradient_checkpointing_kwargs": {"use_reentrant": False} if placement.gradient_checkpointing else None,
        **_distributed_arguments(),
        "report_to": [],
        "disable_tqdm": True,
        "dataloader_num_workers": 0,
        "include_num_input_tokens_seen": "non_padding",
    }


def train_resuming(trainer, checkpoints_dir: str):
    """Trains from the last checkpoint in checkpoints_dir when there is one. Returns
    (train metrics, whether the run was cancelled)."""
    resume = get_last_checkpoint(checkpoints_dir) if os.path.isdir(checkpoints_dir) else None
    if resume:
        emit("resume", checkpoint=resume)
    started = time.monotonic()
    try:
        output = trainer.train(resume_from_checkpoint=resume)
    except RuntimeError as error:
        if is_out_of_memory(error):
            raise out_of_memory_error(error) from error
        raise
    metrics = dict(output.metrics)
    metrics["wall_s"] = time.monotonic() - started
    return metrics, stop.requested.is_set()


def train_and_save(trainer, tokenizer, options, method: str, placement, prepared: dict) -> dict:
    """Trains (resuming from the last checkpoint), then saves the adapter and the summary; a cancelled run
    returns where its checkpoints are instead."""
    metrics, cancelled = train_resuming(trainer, trainer.args.output_dir)
    if cancelled:
        checkpoints = os.path.abspath(trainer.args.output_dir)
        return {"cancelled": True, "step": trainer.state.global_step, "checkpoints": checkpoints}
    return write_outputs(trainer, tokenizer, options, method, metrics, {"prepare": prepared, "placement": placement.describe()})


def recorded_options(options) -> dict:
    return {name: getattr(options, name) for name in RECORDED_OPTIONS if hasattr(options, name)}


def write_outputs(trainer, tokenizer, options, method: str, metrics: dict, extra: dict) -> dict:
    """Saves the adapter with its tokenizer (so `serve` needs only this folder and the base) and the
    run's summary with every training option, in the output folder and in the adapter folder."""
    adapter_dir = os.path.join(options.out, "adapter")
    trainer.save_model(adapter_dir)  # every process takes part (FSDP gathers the shards); rank 0 writes
    if not is_main_process():
        return {}
    tokenizer.save_pretrained(adapter_dir)
    summary = {
        "method": method,
        "base_model": os.path.abspath(options.base_model) if os.path.isdir(options.base_model) else options.base_model,
        "data": os.path.abspath(options.data),
        "adapter": os.path.abspath(adapter_dir),
        "steps": trainer.state.global_step,
        "final_loss": _last_loss(trainer),
        "tokens_seen": trainer.state.num_input_tokens_seen,
        "options": recorded_options(options),
        "metrics": metrics,
        **extra,
    }
    summary_path = os.path.join(options.out, "rollout-trainer.json")
    for path in (summary_path, os.path.join(adapter_dir, "rollout-trainer.json")):
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(summary, handle, indent=2)
    return {"adapter": summary["adapter"], "checkpoints": os.path.abspath(trainer.args.output_dir), "summary": os.path.abspath(summary_path), "steps": summary["steps"], "final_loss": summary["final_loss"]}


def _last_loss(trainer):
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    return losses[-1] if losses else None
