"""Renders exported rows through transformers' apply_chat_template with real model chat templates.

    python render_chat_templates.py ROWS.json OUT.json

ROWS.json: {"families": [...], "conversations": [{"messages": [...], "tools": [...]}, ...]}. The templates are the
original Qwen2.5, Llama 3.1 and Qwen3 templates that TRL ships in the installed package (`trl/chat_templates/`),
read at run time, never copied. Writes {"trl": version, "renders": {family: [text | {"error": message}, ...]}}.
"""

import json
import os
import sys

import trl
from transformers import PreTrainedTokenizerFast
from tokenizers import Tokenizer, models

TEMPLATES = os.path.join(os.path.dirname(trl.__file__), "chat_templates")


def tokenizer_with(template_file):
    # Rendering needs no vocabulary: an empty tokenizer carries the template and special token names.
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=Tokenizer(models.BPE()), bos_token="<|begin_of_text|>")
    with open(os.path.join(TEMPLATES, template_file), encoding="utf-8") as handle:
        tokenizer.chat_template = handle.read()
    return tokenizer


def main():
    request = json.load(open(sys.argv[1], encoding="utf-8"))
    renders = {}
    for family in request["families"]:
        tokenizer = tokenizer_with(f"{family}.jinja")
        renders[family] = []
        for conversation in request["conversations"]:
            try:
                text = tokenizer.apply_chat_template(
                    conversation["messages"], tools=conversation.get("tools") or None, tokenize=False
                )
                renders[family].append(text)
            except Exception as error:  # a template refusing a conversation is a finding, reported per row
                renders[family].append({"error": f"{type(error).__name__}: {error}"})
    with open(sys.argv[2], "w", encoding="utf-8") as handle:
        json.dump({"trl": trl.__version__, "renders": renders}, handle)


if __name__ == "__main__":
    main()
