"""Chat-template families for the mask parity tests (tests/test_masks.py, fixtures/trl-masks/).

Two kinds:
- the real templates of Qwen2.5, Llama 3 and Qwen3 as the pinned TRL ships them (read from the installed
  package, not copied): TRL's SFTTrainer swaps each for its training variant, and so does prepare;
- templates of our own that behave like those families but that TRL does not know (so prepare finds the
  turns by scanning the one rendering): ChatML with Hermes tool calls, Llama-3-style headers, and a
  Qwen3-like template that renders a think block on the last assistant turn only. Each is written with
  TRL's `{% generation %}` markers, which is what TRL needs to compute its mask; prepare gets the same
  template without them, as most model templates ship.
"""

import json
import os

from rollout_trainer.tiny import CHATML_WITH_TOOLS, build_tokenizer

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "trl-masks")
EXTRA_SPECIAL_TOKENS = ["<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]
BOS = "<|begin_of_text|>"

LLAMA3_LIKE = (
    "{{- '<|begin_of_text|>' }}{%- for m in messages %}"
    "{{- '<|start_header_id|>' + m.role + '<|end_header_id|>\\n\\n' }}"
    "{%- if m.role == 'assistant' %}{%- generation %}{{- (m.content or '') + '<|eot_id|>' }}{%- endgeneration %}"
    "{%- else %}{{- (m.content or '') + '<|eot_id|>' }}{%- endif %}"
    "{%- endfor %}{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}"
)

QWEN3_LIKE = r"""{%- for message in messages %}
    {%- if message.role == 'system' or message.role == 'user' %}
        {{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>\n' }}
    {%- elif message.role == 'assistant' %}
        {{- '<|im_start|>assistant\n' }}
        {%- generation %}
        {%- if loop.last %}
            {{- '<think>\n' + (message.reasoning_content or '') + '\n</think>\n\n' }}
        {%- endif %}
        {{- message.content or '' }}
        {%- for call in message.tool_calls or [] %}
            {{- '\n<tool_call>\n{"name": "' + call.function.name + '", "arguments": ' + (call.function.arguments | tojson) + '}\n</tool_call>' }}
        {%- endfor %}
        {{- '<|im_end|>' }}
        {%- endgeneration %}
        {{- '\n' }}
    {%- elif message.role == 'tool' %}
        {{- '<|im_start|>user\n<tool_response>\n' + message.content + '\n</tool_response><|im_end|>\n' }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\n' }}
{%- endif %}"""

# family → (where the template comes from, conversations it renders)
FAMILIES = {
    "qwen2_5": ("trl:qwen2_5.jinja", "tools"),
    "llama3": ("trl:llama3.jinja", "text"),
    "qwen3": ("trl:qwen3.jinja", "tools"),
    "chatml-like": ("own:chatml", "tools"),
    "llama3-like": ("own:llama3", "text"),
    "qwen3-like": ("own:qwen3", "tools"),
}


def strip_markers(template: str) -> str:
    for marker in ("{%- generation %}", "{%- endgeneration %}", "{% generation %}", "{% endgeneration %}"):
        template = template.replace(marker, "")
    return template


def trl_template(name: str) -> str:
    import trl

    with open(os.path.join(os.path.dirname(trl.__file__), "chat_templates", name), encoding="utf-8") as handle:
        return handle.read()


def family_template(family: str, markers: bool) -> str:
    """The family's template: TRL's shipped model template, or ours with or without generation markers."""
    source = FAMILIES[family][0]
    if source.startswith("trl:"):
        return trl_template(source.removeprefix("trl:"))
    own = {"own:chatml": CHATML_WITH_TOOLS, "own:llama3": LLAMA3_LIKE, "own:qwen3": QWEN3_LIKE}[source]
    return own if markers else strip_markers(own)


def family_tokenizer(family: str, markers: bool = False):
    tokenizer = build_tokenizer(extra_special_tokens=EXTRA_SPECIAL_TOKENS)
    tokenizer.bos_token = BOS
    tokenizer.chat_template = family_template(family, markers)
    return tokenizer


def load_conversations(kind: str) -> list[dict]:
    with open(os.path.join(FIXTURES, f"conversations-{kind}.jsonl"), encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def load_oracle(family: str) -> list[dict]:
    with open(os.path.join(FIXTURES, f"{family}.jsonl"), encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]
