"""Assistant-only loss masks from one rendering of each conversation.

Which template renders the conversation is decided once per tokenizer (`MaskingTemplate`):
- a template with TRL's `{% generation %}` markers is used as it is, and transformers computes the mask
  (`return_assistant_tokens_mask`), exactly as TRL's `assistant_only_loss` does;
- a template TRL knows a training variant of (Qwen2.5, Qwen3, Llama 3 and the other families of
  `trl.chat_template_utils.get_training_chat_template`) is swapped for that variant, as TRL's SFTTrainer
  does, so the tokens and the mask are the ones TRL would train on;
- any other template is rendered once and its assistant turns are found in the text: each starts after
  the template's generation prompt (the assistant header) and ends with its end-of-turn text, both learnt
  from two probe renderings. A turn that cannot be found that way makes the row unmaskable: the caller
  skips it and counts it (`UnmaskableRow`), the job goes on.
"""

from dataclasses import dataclass

PROBE = "\u2063probe\u2063"  # invisible separators: text no real conversation contains


class UnmaskableRow(Exception):
    """This conversation's assistant turns cannot be located in its rendering; the row is skipped."""


@dataclass
class MaskingTemplate:
    chat_template: str
    source: str  # "markers" (the model's own), "trl-training" (TRL's variant of a known family) or "scan"
    assistant_header: str = ""  # scan only: the generation prompt
    end_of_turn: str = ""  # scan only: what the template closes an assistant turn with

    def describe(self) -> dict:
        described = {"template": self.source}
        if self.source == "scan":
            described.update(assistant_header=self.assistant_header, end_of_turn=self.end_of_turn)
        return described


def _has_markers(template: str) -> bool:
    return "{% generation %}" in template.replace("{%-", "{%").replace("-%}", "%}")


def masking_template(tokenizer) -> MaskingTemplate:
    """The template masks are computed with, and how (see the module docstring)."""
    template = tokenizer.chat_template
    if _has_markers(template):
        return MaskingTemplate(template, "markers")
    from trl.chat_template_utils import get_training_chat_template

    try:
        training = get_training_chat_template(tokenizer)
    except ValueError:  # a template TRL has no training variant of
        training = None
    if training is not None and _has_markers(training):
        return MaskingTemplate(training, "trl-training")
    return _scan_template(tokenizer, template)


def _render(tokenizer, template, messages, tools=None, add_generation_prompt=False) -> str:
    return tokenizer.apply_chat_template(
        messages, tools=tools, chat_template=template, tokenize=False, add_generation_prompt=add_generation_prompt
    )


def _scan_template(tokenizer, template) -> MaskingTemplate:
    opening = [{"role": "user", "content": PROBE}]
    without = _render(tokenizer, template, opening)
    with_prompt = _render(tokenizer, template, opening, add_generation_prompt=True)
    header = with_prompt[len(without) :] if with_prompt.startswith(without) else ""
    answered = _render(tokenizer, template, opening + [{"role": "assistant", "content": PROBE}])
    after = answered.rsplit(PROBE, 1)[1] if answered.count(PROBE) == 2 else ""
    return MaskingTemplate(template, "scan", assistant_header=header, end_of_turn=after.rstrip())


def _assistant_spans_by_scan(text: str, messages, masking: MaskingTemplate) -> list[tuple[int, int]]:
    """Character spans of each assistant turn's output in `text`, in order."""
    header, end = masking.assistant_header, masking.end_of_turn
    if not header.strip() or not end:
        raise UnmaskableRow("the chat template has no assistant header or no end-of-turn text to find turns by")
    spans = []
    cursor = 0
    for index, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        opened = text.find(header, cursor)
        if opened < 0:
            raise UnmaskableRow(f"messages[{index}]: the rendering has no assistant header for this turn")
        start = opened + len(header)
        closed = text.find(end, start)
        if closed < 0:
            raise UnmaskableRow(f"messages[{index}]: the rendering does not close this assistant turn")
        span = (start, closed + len(end))
        _check_turn_text(text[span[0] : span[1]], message, index)
        spans.append(span)
        cursor = span[1]
    return spans


def _check_turn_text(turn: str, message, index: int) -> None:
    """The located span must hold what the message says: its closing words and every tool call's name."""
    content = (message.get("content") or "").split("</think>")[-1].strip()
    if content and content[-40:] not in turn:
        raise UnmaskableRow(f"messages[{index}]: the located turn does not hold the message's content")
    for call in message.get("tool_calls") or []:
        if call["function"]["name"] not in turn:
            raise UnmaskableRow(f"messages[{index}]: the located turn does not hold its tool call")


def _mask_from_spans(offsets, spans) -> list[int]:
    """A token is assistant output when any of its characters lies in an assistant span."""
    mask = []
    span_index = 0
    for token_start, token_end in offsets:
        while span_index < len(spans) and spans[span_index][1] <= token_start:
            span_index += 1
        inside = span_index < len(spans) and token_start < spans[span_index][1] and token_end > spans[span_index][0]
        mask.append(1 if inside else 0)
    return mask


def tokenize_with_assistant_mask(tokenizer, messages, tools=None, masking: MaskingTemplate | None = None):
    """Token ids of the rendered conversation and a 0/1 mask of the tokens the assistant generated.
    Raises UnmaskableRow when the turns cannot be located (scan templates only)."""
    masking = masking or masking_template(tokenizer)
    if masking.source != "scan":
        encoded = tokenizer.apply_chat_template(
            messages,
            tools=tools,
            chat_template=masking.chat_template,
            tokenize=True,
            return_dict=True,
            return_assistant_tokens_mask=True,
        )
        return list(encoded["input_ids"]), list(encoded["assistant_masks"])
    text = _render(tokenizer, masking.chat_template, messages, tools)
    spans = _assistant_spans_by_scan(text, messages, masking)
    encoding = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    return list(encoding["input_ids"]), _mask_from_spans(encoding["offset_mapping"], spans)
