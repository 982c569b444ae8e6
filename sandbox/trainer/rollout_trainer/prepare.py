"""`prepare`: chat template + assistant-only labels for every conversation of an SFT export."""

import json
import os

from .data import load_conversations
from .masks import tokenize_with_assistant_mask

IGNORE = -100


def prepare_examples(tokenizer, conversations, max_length=None):
    """Returns ({input_ids, labels} examples, statistics). Conversations longer than
    `max_length` are cut at the end; one left with no assistant token is dropped."""
    examples = []
    stats = {"conversations": len(conversations), "truncated": 0, "dropped": 0, "tokens": 0, "assistant_tokens": 0}
    for conversation in conversations:
        input_ids, mask = tokenize_with_assistant_mask(tokenizer, conversation.messages, conversation.tools, conversation.source)
        if max_length is not None and len(input_ids) > max_length:
            input_ids, mask = input_ids[:max_length], mask[:max_length]
            stats["truncated"] += 1
        if not any(mask):
            stats["dropped"] += 1
            continue
        labels = [token if keep else IGNORE for token, keep in zip(input_ids, mask)]
        examples.append({"input_ids": input_ids, "labels": labels})
        stats["tokens"] += len(input_ids)
        stats["assistant_tokens"] += sum(mask)
    return examples, stats


def prepare_file(tokenizer, data_path, out_dir, max_length=None, tool_arguments="object"):
    """Writes `prepared.jsonl` ({input_ids, labels} per line) and `prepare-stats.json` into out_dir."""
    examples, stats = prepare_examples(tokenizer, load_conversations(data_path, tool_arguments), max_length)
    os.makedirs(out_dir, exist_ok=True)
    examples_path = os.path.join(out_dir, "prepared.jsonl")
    with open(examples_path, "w", encoding="utf-8") as handle:
        for example in examples:
            handle.write(json.dumps(example) + "\n")
    stats_path = os.path.join(out_dir, "prepare-stats.json")
    with open(stats_path, "w", encoding="utf-8") as handle:
        json.dump(stats, handle, indent=2)
    return examples_path, stats_path, stats
