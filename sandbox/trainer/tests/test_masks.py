"""Assistant-only masks: exactly the assistant tokens, for templates with and without markers."""

import pytest

from conftest import BASH_TOOL, agent_conversation
from rollout_trainer.data import normalise_messages
from rollout_trainer.errors import TrainerError
from rollout_trainer.masks import tokenize_with_assistant_mask

CONVERSATIONS = [agent_conversation(i, turns) for i, turns in enumerate([0, 1, 2, 3, 5])]


def _messages(row):
    return normalise_messages(row["messages"], "test")


@pytest.mark.parametrize("row", CONVERSATIONS, ids=lambda row: f"{len(row['messages'])}-messages")
def test_masks_equal_trl_generation_masks(marked_tokenizer, row):
    """With `{% generation %}` markers transformers/TRL compute the mask; ours must be identical."""
    messages = _messages(row)
    reference = marked_tokenizer.apply_chat_template(
        messages, tools=[BASH_TOOL], tokenize=True, return_dict=True, return_assistant_tokens_mask=True
    )
    ids, mask = tokenize_with_assistant_mask(marked_tokenizer, messages, [BASH_TOOL])
    assert ids == list(reference["input_ids"])
    assert mask == list(reference["assistant_masks"])
    assert sum(mask) > 0


@pytest.mark.parametrize("row", CONVERSATIONS, ids=lambda row: f"{len(row['messages'])}-messages")
def test_masks_without_markers_match_the_marked_template(marked_tokenizer, plain_tokenizer, row):
    """The same template without markers (what most models ship) gives the same mask."""
    messages = _messages(row)
    marked = tokenize_with_assistant_mask(marked_tokenizer, messages, [BASH_TOOL])
    plain = tokenize_with_assistant_mask(plain_tokenizer, messages, [BASH_TOOL])
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


LLAMA3_STYLE = (
    "{{- '<|begin_of_text|>' }}{%- for m in messages %}"
    "{{- '<|start_header_id|>' + m.role + '<|end_header_id|>\\n\\n' + (m.content or '') + '<|eot_id|>' }}"
    "{%- endfor %}{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}"
)


def test_masks_for_a_template_of_another_family(plain_tokenizer):
    """A Llama-3-style template without markers: the assistant text and its end-of-turn token only."""
    tokenizer = plain_tokenizer
    original = tokenizer.chat_template
    tokenizer.chat_template = LLAMA3_STYLE
    try:
        messages = [
            {"role": "user", "content": "Say ok."},
            {"role": "assistant", "content": "ok"},
            {"role": "user", "content": "Again."},
            {"role": "assistant", "content": "ok again"},
        ]
        ids, mask = tokenize_with_assistant_mask(tokenizer, messages)
        assert tokenizer.decode([t for t, keep in zip(ids, mask) if keep]) == "ok<|eot_id|>ok again<|eot_id|>"
    finally:
        tokenizer.chat_template = original


def test_a_template_that_drops_assistant_turns_is_rejected_with_the_turn(plain_tokenizer):
    original = plain_tokenizer.chat_template
    plain_tokenizer.chat_template = "{%- for m in messages %}{%- if m.role != 'assistant' %}{{ m.content }}{%- endif %}{%- endfor %}"
    try:
        with pytest.raises(TrainerError) as raised:
            tokenize_with_assistant_mask(plain_tokenizer, [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}], source="d.jsonl:4")
        assert raised.value.kind == "bad_data"
        assert "d.jsonl:4: messages[1]" in raised.value.message
    finally:
        plain_tokenizer.chat_template = original
