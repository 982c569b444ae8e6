"""`sft`: LoRA supervised fine-tuning on the SFT export with TRL's SFTTrainer, assistant-only loss."""

import os

import torch.nn.functional as F
from datasets import Dataset
from trl import SFTConfig, SFTTrainer

from .data import load_conversations
from .device import resolve_placement
from .prepare import IGNORE, prepared_dataset
from .progress import ProgressCallback, emit
from .training import common_training_arguments, load_model, load_tokenizer, lora_config, train_and_save


class TrainedPositionsSFTTrainer(SFTTrainer):
    """SFTTrainer whose loss runs the LM head only at the positions that predict a trained (assistant) token.

    Agent trajectories are mostly tool output and prompt: projecting every position onto the vocabulary, as a
    causal LM's own loss does, spends most of the head's work (and its [tokens × vocabulary] logits) on
    positions whose loss is ignored. The loss is the same sum of cross-entropies over the trained tokens,
    divided the same way (by the trained tokens of the whole accumulated batch), so it equals TRL's."""

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        inputs = {name: value for name, value in inputs.items() if not name.startswith("_")}
        targets = inputs.pop("labels")[:, 1:]
        positions = (targets != IGNORE).any(0).nonzero().squeeze(-1)  # shared by the batch's rows
        outputs = model(**inputs, use_cache=False, logits_to_keep=positions)
        chosen = targets[:, positions]
        total = F.cross_entropy(outputs.logits.float().flatten(0, 1), chosen.flatten(), ignore_index=IGNORE, reduction="sum")
        if num_items_in_batch is None:
            loss = total / (chosen != IGNORE).sum().clamp_min(1)
        else:
            loss = total / num_items_in_batch
            if self.args.average_tokens_across_devices:
                loss = loss * self.accelerator.num_processes  # the Trainer averages the processes' gradients
        return (loss, outputs) if return_outputs else loss


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
        max_length=None,  # prepare already fitted conversations to --max-length
        padding_free=placement.padding_free,
    )
    return TrainedPositionsSFTTrainer(
        model=load_model(options.base_model, placement),
        args=config,
        train_dataset=Dataset.from_list(examples),
        processing_class=tokenizer,
        peft_config=lora_config(options),
        callbacks=list(callbacks),
    )


def run_sft(options) -> dict:
    conversations = load_conversations(options.data, options.tool_arguments)  # a bad line fails before any model loads
    placement = resolve_placement(options.device, options.padding_free, options.gradient_checkpointing)
    emit("placement", **placement.describe())
    tokenizer = load_tokenizer(options.base_model)
    cache = os.path.join(options.out, "prepared")  # a rerun or resume reads the preparation back
    examples, stats = prepared_dataset(
        tokenizer, options.data, cache, options.max_length, options.truncation, options.tool_arguments, conversations
    )
    emit("prepared", **stats)
    trainer = build_sft_trainer(options, placement, tokenizer, examples, [ProgressCallback()])
    return train_and_save(trainer, tokenizer, options, "sft", placement, stats)
