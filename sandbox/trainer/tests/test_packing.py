"""Padding-free packing: one row per batch, conversations do not see each other, same loss."""

import torch
from transformers import AutoModelForCausalLM
from trl.trainer.sft_trainer import DataCollatorForLanguageModeling

from conftest import agent_conversation
from rollout_trainer.data import normalise_messages
from rollout_trainer.prepare import IGNORE, prepare_examples
from rollout_trainer.data import Conversation


def _examples(tokenizer, count=4):
    conversations = [
        Conversation(normalise_messages(row["messages"], "t"), row["tools"], f"t:{i}")
        for i, row in enumerate(agent_conversation(i, 1 + i) for i in range(count))
    ]
    return prepare_examples(tokenizer, conversations)[0]


def test_packed_forward_equals_separate_forwards(tiny_model, plain_tokenizer):
    model = AutoModelForCausalLM.from_pretrained(tiny_model, attn_implementation="sdpa").eval()
    examples = _examples(plain_tokenizer)
    packed = DataCollatorForLanguageModeling(pad_token_id=plain_tokenizer.pad_token_id, padding_free=True)(examples)
    lengths = [len(example["input_ids"]) for example in examples]
    assert packed["input_ids"].shape == (1, sum(lengths))  # no padding at all
    assert "attention_mask" not in packed
    with torch.no_grad():
        packed_logits = model(input_ids=packed["input_ids"], position_ids=packed["position_ids"], use_cache=False).logits[0]
        offset = 0
        for example, length in zip(examples, lengths):
            alone = model(input_ids=torch.tensor([example["input_ids"]]), use_cache=False).logits[0]
            torch.testing.assert_close(packed_logits[offset : offset + length], alone, atol=1e-4, rtol=1e-4)
            assert packed["labels"][0, offset] == IGNORE  # never predict the next conversation's start
            offset += length


def test_packed_and_padded_batches_give_the_same_loss(tiny_model, plain_tokenizer):
    model = AutoModelForCausalLM.from_pretrained(tiny_model, attn_implementation="sdpa").eval()
    examples = _examples(plain_tokenizer)
    padded = DataCollatorForLanguageModeling(pad_token_id=plain_tokenizer.pad_token_id)(examples)
    packed = DataCollatorForLanguageModeling(pad_token_id=plain_tokenizer.pad_token_id, padding_free=True)(examples)
    assert padded["input_ids"].numel() > packed["input_ids"].numel()
    with torch.no_grad():
        padded_loss = model(**padded, use_cache=False).loss
        packed_loss = model(**packed, use_cache=False).loss
    torch.testing.assert_close(packed_loss, padded_loss, atol=1e-5, rtol=1e-5)


def test_the_loss_on_trained_positions_only_equals_the_models_loss(tiny_model, plain_tokenizer):
    """The SFT trainer's head-on-trained-positions loss is the causal LM loss, padded and packed."""
    from types import SimpleNamespace

    from rollout_trainer.sft import TrainedPositionsSFTTrainer

    model = AutoModelForCausalLM.from_pretrained(tiny_model, attn_implementation="sdpa").eval()
    examples = _examples(plain_tokenizer)
    trainer = SimpleNamespace(args=SimpleNamespace(average_tokens_across_devices=False))
    for padding_free in (False, True):
        batch = DataCollatorForLanguageModeling(pad_token_id=plain_tokenizer.pad_token_id, padding_free=padding_free)(examples)
        with torch.no_grad():
            expected = model(**batch, use_cache=False).loss
            ours = TrainedPositionsSFTTrainer.compute_loss(trainer, model, dict(batch))
            counted = TrainedPositionsSFTTrainer.compute_loss(trainer, model, dict(batch), num_items_in_batch=(batch["labels"] != IGNORE).sum())
        torch.testing.assert_close(ours, expected, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(counted, expected, atol=1e-5, rtol=1e-5)
