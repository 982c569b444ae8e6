"""`prepare`: chat template + assistant-only labels for every conversation of an SFT export.

Each conversation is rendered and tokenized once (masks.py). One longer than --max-length is never cut
inside a turn: `keep-latest-turns` keeps what comes before the first assistant turn (system prompt and
task) and the latest whole turns that fit, `drop` leaves the row out. Rows whose turns the template
cannot mask are skipped; every skip and cut is counted in the statistics. The result is cached under
the output folder by a hash of the data, the tokenizer, the template and these settings, so a rerun or
a resume reads it back instead of preparing again.
"""

import hashlib
import json
import os
from itertools import islice

from .data import load_conversations
from .errors import bad_data
from .masks import UnmaskableRow, masking_template, tokenize_with_assistant_mask

IGNORE = -100
TRUNCATION = ("keep-latest-turns", "drop")
PREPARE_VERSION = 2  # bump when the output of prepare_examples changes for the same inputs
REASONS_KEPT = 5


def prompt_candidates(prompt, truncation):
    """The prompt, then (keep-latest-turns) ever shorter versions of it: its opening (everything before its first
    assistant turn) plus its latest whole turns, down to the opening alone. For DPO and PG rows, whose
    completion must stay whole."""
    yield prompt
    if truncation != "keep-latest-turns":
        return
    assistant_at = [index for index, message in enumerate(prompt) if message["role"] == "assistant"]
    if assistant_at:
        head = prompt[: assistant_at[0]]
        for start in assistant_at[1:]:
            yield head + prompt[start:]
        yield head


def _latest_turns_that_fit(tokenizer, conversation, ids, mask, max_length, masking):
    """(ids, mask, turns dropped) of the opening plus the latest whole turns within max_length, or None."""
    messages = conversation.messages
    turns = sum(message["role"] == "assistant" for message in messages)
    run_starts = [i for i, keep in enumerate(mask) if keep and (i == 0 or not mask[i - 1])]
    first = 1
    if len(run_starts) == turns:  # skip the cuts the one tokenization already shows to be too long
        while first < turns and run_starts[0] + len(ids) - run_starts[first] > max_length:
            first += 1
    for dropped, kept in enumerate(islice(prompt_candidates(messages, "keep-latest-turns"), first, turns), start=first):
        try:
            cut_ids, cut_mask = tokenize_with_assistant_mask(tokenizer, kept, conversation.tools, masking)
        except UnmaskableRow:
            return None
        if len(cut_ids) <= max_length and any(cut_mask):
            return cut_ids, cut_mask, dropped
    return None


def prepare_examples(tokenizer, conversations, max_length=None, truncation="keep-latest-turns"):
    """Returns ({input_ids, labels} examples, statistics)."""
    if truncation not in TRUNCATION:
        raise ValueError(f"truncation must be one of {TRUNCATION}, not {truncation!r}")
    masking = masking_template(tokenizer)
    examples = []
    stats = {
        "conversations": len(conversations),
        "examples": 0,
        "truncated": 0,
        "turns_dropped": 0,
        "dropped_too_long": 0,
        "skipped_unmaskable": 0,
        "skipped_reasons": [],
        "tokens": 0,
        "assistant_tokens": 0,
        "max_length": max_length,
        "truncation": truncation,
        **masking.describe(),
    }
    for conversation in conversations:
        try:
            input_ids, mask = tokenize_with_assistant_mask(tokenizer, conversation.messages, conversation.tools, masking)
            if not any(mask):
                raise UnmaskableRow("no assistant token in the rendering")
        except UnmaskableRow as reason:
            stats["skipped_unmaskable"] += 1
            if len(stats["skipped_reasons"]) < REASONS_KEPT:
                stats["skipped_reasons"].append(f"{conversation.source}: {reason}")
            continue
        if max_length is not None and len(input_ids) > max_length:
            cut = None
            if truncation == "keep-latest-turns":
                cut = _latest_turns_that_fit(tokenizer, conversation, input_ids, mask, max_length, masking)
            if cut is None:
                stats["dropped_too_long"] += 1
                continue
            input_ids, mask, dropped = cut
            stats["truncated"] += 1
            stats["turns_dropped"] += dropped
        labels = [token if keep else IGNORE for token, keep in zip(input_ids, mask)]
        examples.append({"input_ids": input_ids, "labels": labels})
        stats["tokens"] += len(input_ids)
        stats["assistant_tokens"] += sum(mask)
    stats["examples"] = len(examples)
    return examples, stats


def _file_digest(path: str) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as error:
        raise bad_data(path, f"cannot read the dataset ({error.strerror})") from error
    return digest.hexdigest()


def preparation_key(tokenizer, data_path, max_length, truncation, tool_arguments) -> str:
    """What the prepared examples depend on: the data's bytes, the tokenizer, its template and the settings."""
    digest = hashlib.sha256()
    for part in (
        str(PREPARE_VERSION),
        _file_digest(data_path),
        tokenizer.backend_tokenizer.to_str(),
        tokenizer.chat_template,
        json.dumps([max_length, truncation, tool_arguments]),
    ):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:20]


def _write_atomically(path: str, write) -> None:
    partial = f"{path}.{os.getpid()}.partial"  # under torchrun every process prepares; the last rename wins
    with open(partial, "w", encoding="utf-8") as handle:
        write(handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)


def prepared_dataset(tokenizer, data_path, cache_dir, max_length, truncation, tool_arguments="object", conversations=None):
    """The prepared examples of data_path (its `conversations`, when the caller has read them already), from the
    cache when this exact preparation was done before. Returns (examples, statistics with `cached` and
    `prepared` (the cache file))."""
    key = preparation_key(tokenizer, data_path, max_length, truncation, tool_arguments)
    examples_path = os.path.join(cache_dir, f"{key}.jsonl")
    stats_path = os.path.join(cache_dir, f"{key}.json")
    if os.path.isfile(examples_path) and os.path.isfile(stats_path):
        with open(stats_path, encoding="utf-8") as handle:
            stats = json.load(handle)
        with open(examples_path, encoding="utf-8") as handle:
            examples = [json.loads(line) for line in handle]
        return examples, {**stats, "cached": True, "prepared": os.path.abspath(examples_path)}
    conversations = load_conversations(data_path, tool_arguments) if conversations is None else conversations
    examples, stats = prepare_examples(tokenizer, conversations, max_length, truncation)
    if not examples:
        raise bad_data(data_path, f"no conversation could be prepared for training ({_why_none(stats)})")
    os.makedirs(cache_dir, exist_ok=True)
    _write_atomically(examples_path, lambda handle: handle.writelines(json.dumps(row) + "\n" for row in examples))
    _write_atomically(stats_path, lambda handle: json.dump(stats, handle, indent=2))
    return examples, {**stats, "cached": False, "prepared": os.path.abspath(examples_path)}


def _why_none(stats) -> str:
    parts = []
    if stats["skipped_unmaskable"]:
        parts.append(f"{stats['skipped_unmaskable']} unmaskable, e.g. {stats['skipped_reasons'][0]}")
    if stats["dropped_too_long"]:
        parts.append(f"{stats['dropped_too_long']} longer than --max-length {stats['max_length']}")
    return "; ".join(parts) or "the dataset is empty"
