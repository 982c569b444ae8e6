"""prepare: long conversations keep their opening and latest whole turns (or are dropped), never cut inside a
turn; the preparation is cached by hash and read back."""

import json
import os

from conftest import BASH_TOOL, agent_conversation, run_trainer, write_jsonl
from rollout_trainer.data import Conversation, normalise_messages
from rollout_trainer.prepare import IGNORE, prepare_examples, prepared_dataset


def _conversation(turns, index=0):
    return Conversation(normalise_messages(agent_conversation(index, turns)["messages"], "t"), [BASH_TOOL], f"t:{index}")


def test_keep_latest_turns_keeps_the_opening_and_whole_latest_turns(plain_tokenizer):
    conversation = _conversation(6)
    full, _ = prepare_examples(plain_tokenizer, [conversation])
    length = len(full[0]["input_ids"])
    examples, stats = prepare_examples(plain_tokenizer, [conversation], max_length=length - 40)
    assert stats["truncated"] == 1 and stats["turns_dropped"] >= 1 and stats["dropped_too_long"] == 0
    ids, labels = examples[0]["input_ids"], examples[0]["labels"]
    assert len(ids) <= length - 40
    text = plain_tokenizer.decode(ids)
    assert text.startswith("<|im_start|>system\n") and "Fix failing test 0." in text  # the task stays
    trained = plain_tokenizer.decode([t for t, label in zip(ids, labels) if label != IGNORE])
    assert trained.endswith("Fixed test 0: the subtraction is an addition now.<|im_end|>")  # the last turn, whole
    assert trained.count("<|im_end|>") == trained.count("<tool_call>") + 1  # every kept turn ends with its end token
    assert text.count("<tool_response>") == trained.count("<tool_call>")  # dropped turns go with their tool results


def test_drop_leaves_long_rows_out_and_counts_them(plain_tokenizer):
    short, long = _conversation(0, 1), _conversation(6, 2)
    limit = len(prepare_examples(plain_tokenizer, [short])[0][0]["input_ids"])
    examples, stats = prepare_examples(plain_tokenizer, [short, long], max_length=limit, truncation="drop")
    assert len(examples) == 1 and stats["dropped_too_long"] == 1 and stats["truncated"] == 0
    examples, stats = prepare_examples(plain_tokenizer, [short, long], max_length=10)
    assert examples == [] and stats["dropped_too_long"] == 2  # not even the last turn fits


def test_the_preparation_is_cached_by_hash(tmp_path, plain_tokenizer):
    data = write_jsonl(tmp_path / "sft.jsonl", [agent_conversation(i, 1 + i % 3) for i in range(5)])
    first, stats = prepared_dataset(plain_tokenizer, data, str(tmp_path / "cache"), 4096, "keep-latest-turns")
    again, cached = prepared_dataset(plain_tokenizer, data, str(tmp_path / "cache"), 4096, "keep-latest-turns")
    assert not stats["cached"] and cached["cached"] and again == first and cached["prepared"] == stats["prepared"]
    other, changed = prepared_dataset(plain_tokenizer, data, str(tmp_path / "cache"), 4096, "drop")
    assert not changed["cached"] and changed["prepared"] != stats["prepared"]
    with open(data, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(agent_conversation(9, 1)) + "\n")
    _, grown = prepared_dataset(plain_tokenizer, data, str(tmp_path / "cache"), 4096, "keep-latest-turns")
    assert not grown["cached"] and grown["examples"] == 6
    assert len(os.listdir(tmp_path / "cache")) == 6  # three preparations, examples + statistics each


def test_prepare_command_writes_labels_only_on_assistant_tokens(tmp_path, tiny_model, sft_dataset):
    code, events, stderr = run_trainer("prepare", "--data", sft_dataset, "--base-model", tiny_model, "--out", str(tmp_path))
    assert code == 0, stderr
    done = events[-1]
    assert done["examples"] == 12 and done["template"] == "scan" and done["skipped_unmaskable"] == 0
    with open(done["prepared"]) as handle:
        rows = [json.loads(line) for line in handle]
    assert len(rows) == 12
    for row in rows:
        kept = [label for label in row["labels"] if label != -100]
        assert 0 < len(kept) < len(row["input_ids"])
        assert all(label == token for label, token in zip(row["labels"], row["input_ids"]) if label != -100)
