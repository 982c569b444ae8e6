"""Assistant-only masks: equal to TRL's own (fixtures/trl-masks, produced by running TRL 1.13.0's SFTTrainer with
`assistant_only_loss=True`), for real and look-alike templates of three families; rows a template cannot mask are
skipped and counted, never the job aborted."""

import pytest

from conftest import BASH_TOOL, agent_conversation
from rollout_trainer.data import Conversation, normalise_messages
from rollout_trainer.masks import UnmaskableRow, masking_template, tokenize_with_assistant_mask
from rollout_trainer.prepare import prepare_examples
from template_families import FAMILIES, family_tokenizer, load_conversations, load_oracle

CONVERSATIONS = [agent_conversation(i, turns) for i, turns in enumerate([0, 1, 2, 3, 5])]


def _messages(row):
    return normalise_messages(row["messages"], "test")


@pytest.mark.parametrize("family", list(FAMILIES))
def test_masks_equal_what_trl_trains_on(family):
    """The template without generation markers (as most models ship it) gives TRL's ids and mask exactly."""
    tokenizer = family_tokenizer(family, markers=False)
    masking = masking_template(tokenizer)
    assert masking.source == ("trl-training" if FAMILIES[family][0].startswith("trl:") else "scan")
    rows = load_conversations(FAMILIES[family][1])
    oracle = load_oracle(family)
    assert len(oracle) == len(rows)
    for row, expected in zip(rows, oracle):
        ids, mask = tokenize_with_assistant_mask(tokenizer, _messages(row), row["tools"], masking)
        assert ids == expected["input_ids"]
        assert mask == expected["assistant_masks"]
        assert 0 < sum(mask) < len(mask)


def test_a_think_block_on_the_last_turn_only_is_masked_there():
    tokenizer = family_tokenizer("qwen3-like")
    row = load_conversations("tools")[1]
    ids, mask = tokenize_with_assistant_mask(tokenizer, _messages(row), row["tools"])
    trained = tokenizer.decode([t for t, keep in zip(ids, mask) if keep])
    assert trained.count("<think>") == 1
    assert trained.endswith("<think>\nThe diff is one character.\n</think>\n\nFixed test 1: the subtraction is an addition now.<|im_end|>")


@pytest.mark.parametrize("row", CONVERSATIONS, ids=lambda row: f"{len(row['messages'])}-messages")
def test_masks_without_markers_match_the_marked_template(marked_tokenizer, plain_tokenizer, row):
    messages = _messages(row)
    marked = tokenize_with_assistant_mask(marked_tokenizer, messages, [BASH_TOOL])
    plain = tokenize_with_assistant_mask(plain_tokenizer, messages, [BASH_TOOL])
    assert masking_template(marked_tokenizer).source == "markers" and masking_template(plain_tokenizer).source == "scan"
    assert plain == marked


def test_masked_tokens_are_every_assistant_turn_and_nothing_else(plain_tokenizer):
    messages = _messages(agent_conversation(7, 2))
    ids, mask = tokenize_with_assistant_mask(plain_tokenizer, messages, [BASH_TOOL])
    masked_text = plain_tokenizer.decode([t for t, keep in zip(ids, mask) if keep])
    expected = (
        'Let me look.\n<tool_call>\n{"name": "bash", "arguments": {"command": "ls -la"}}\n</tool_call><|im_end|>'
        '<tool_call>\n{"name": "bash", "arguments": {"command": "pytest -q"}}\n</tool_call><|im_end|>'
        "Fixed test 7: the subtraction is an addition now.<|im_end|>"
    )
    assert masked_text == expected


def test_a_row_the_template_cannot_mask_is_skipped_and_counted():
    tokenizer = family_tokenizer("chatml-like")
    # a template that rewrites what the assistant said: that turn cannot be found in the rendering
    tokenizer.chat_template = tokenizer.chat_template.replace(
        "{{- message.content or '' }}", "{{- (message.content or '').replace('subtraction', 'minus') }}"
    )
    good = Conversation(_messages({"messages": [{"role": "user", "content": "Say ok."}, {"role": "assistant", "content": "ok"}]}), None, "d.jsonl:1")
    odd = Conversation(_messages(agent_conversation(2, 0)), [BASH_TOOL], "d.jsonl:2")
    with pytest.raises(UnmaskableRow):
        tokenize_with_assistant_mask(tokenizer, odd.messages, odd.tools)
    examples, stats = prepare_examples(tokenizer, [good, odd])
    assert len(examples) == 1 and stats["examples"] == 1 and stats["skipped_unmaskable"] == 1
    assert stats["skipped_reasons"] == ["d.jsonl:2: messages[2]: the located turn does not hold the message's content"]


def test_a_template_without_an_assistant_header_skips_every_row(plain_tokenizer):
    tokenizer = family_tokenizer("chatml-like")
    tokenizer.chat_template = "{%- for m in messages %}{{ m.content }}{%- endfor %}"
    examples, stats = prepare_examples(tokenizer, [Conversation(_messages(agent_conversation(1, 1)), None, "d.jsonl:4")])
    assert examples == [] and stats["skipped_unmaskable"] == 1
    assert "no assistant header" in stats["skipped_reasons"][0]
