"""`sft`: LoRA supervised fine-tuning on the SFT export with TRL's SFTTrainer, assistant-only loss."""

import os

from datasets import Dataset
from trl import SFTConfig, SFTTrainer

from .data import load_conversations
from .device import resolve_placement
from .prepare import prepare_examples
from .progress import ProgressCallback, emit
from .training import common_training_arguments, load_model, load_tokenizer, lora_config, train_resuming, write_outputs


def build_sft_trainer(options, placement, tokenizer, examples, callbacks=()):
    """An SFTTrainer over already tokenized {input_ids, labels} examples (TRL keeps our labels).

    Padding-free packing: with `padding_free`, TRL's collator concatenates the batch's
    conversations into one row whose position ids restart at 0 for each conversation, with no
    attention mask; flash-attention-2 then runs its variable-length kernel over the conversation
    boundaries, and sdpa/eager get transformers' packed-sequence (block-diagonal) mask, which
    holds because training runs without the KV cache. The label at each conversation's first
    token is ignored, so no conversation learns to predict the next one's start."""
    checkpoints_dir = os.path.join(options.out, "checkpoints")
    config = SFTConfig(
        **common_training_arguments(options, placement, checkpoints_dir),
        max_length=None,  # prepare already cut conversations to --max-length
        padding_free=placement.padding_free,
    )
    return SFTTrainer(
        model=load_model(options.base_model, placement),
        args=config,
        train_dataset=Dataset.from_list(examples),
        processing_class=tokenizer,
        peft_config=lora_config(options),
        callbacks=list(callbacks),
    )


def run_sft(options) -> dict:
    conversations = load_conversations(options.data, options.tool_arguments)  # a bad line fails before any model loads
    placement = resolve_placement(options.device, options.padding_free)
    emit("placement", **placement.describe())
    tokenizer = load_tokenizer(options.base_model)
    examples, stats = prepare_examples(tokenizer, conversations, options.max_length)
    emit("prepared", **stats)
    trainer = build_sft_trainer(options, placement, tokenizer, examples, [ProgressCallback()])
    metrics, cancelled = train_resuming(trainer, trainer.args.output_dir)
    if cancelled:
        return {"cancelled": True, "step": trainer.state.global_step, "checkpoints": os.path.abspath(trainer.args.output_dir)}
    return write_outputs(trainer, tokenizer, options, "sft", metrics, {"prepare": stats, "placement": placement.describe()})
