"""Assistant-only loss masks that work with any chat template.

TRL's `assistant_only_loss` needs `{% generation %}` markers in the template, which most model
templates lack. Instead we find each assistant turn by rendering the conversation up to it:
the text the template adds for assistant turn i is what lies between the rendering of
messages[:i] (with the generation prompt) and the rendering of messages[:i+1]. Trailing
whitespace after the end-of-turn token is layout between turns, not something the model
generates, so it is left out (as the generation markers of templates that have them do).
When a template renders earlier turns differently once later ones exist, the turn's text is
searched for in the full rendering instead; if it cannot be found the conversation is rejected.
"""

import os

from .errors import bad_data


def _render(tokenizer, messages, tools, add_generation_prompt):
    return tokenizer.apply_chat_template(messages, tools=tools, tokenize=False, add_generation_prompt=add_generation_prompt)


def _common_prefix_length(a: str, b: str) -> int:
    return len(os.path.commonprefix([a, b]))


def assistant_spans(tokenizer, messages, tools, source="conversation"):
    """Returns (rendered text, [(start, end) character spans of assistant output])."""
    full = _render(tokenizer, messages, tools, False)
    spans = []
    cursor = 0
    for index, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        before = _render(tokenizer, messages[:index], tools, True) if index else ""
        through = _render(tokenizer, messages[: index + 1], tools, False)
        start = _common_prefix_length(before, through)
        turn = through[start:].rstrip()
        if not turn:
            raise bad_data(source, f"messages[{index}]: the chat template renders this assistant turn as nothing")
        if full.startswith(through[: start + len(turn)]) and start >= cursor:
            spans.append((start, start + len(turn)))
        else:
            found = full.find(turn, cursor)
            if found < 0:
                raise bad_data(
                    source,
                    f"messages[{index}]: cannot locate this assistant turn in the rendered conversation "
                    "(the chat template rewrites earlier turns)",
                )
            spans.append((found, found + len(turn)))
        cursor = spans[-1][1]
    return full, spans


def tokenize_with_assistant_mask(tokenizer, messages, tools=None, source="conversation"):
    """Token ids of the rendered conversation and a 0/1 mask of the tokens the assistant generated.
    A token counts as assistant output when any of its characters lies in an assistant span."""
    text, spans = assistant_spans(tokenizer, messages, tools, source)
    encoding = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    mask = []
    span_index = 0
    for token_start, token_end in encoding["offset_mapping"]:
        while span_index < len(spans) and spans[span_index][1] <= token_start:
            span_index += 1
        inside = span_index < len(spans) and token_start < spans[span_index][1] and token_end > spans[span_index][0]
        mask.append(1 if inside else 0)
    return list(encoding["input_ids"]), mask
