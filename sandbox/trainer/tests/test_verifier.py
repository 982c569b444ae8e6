"""`verifier`: trains on feature records, exports ONNX (opset 17), scores match the exported graph."""

import json
import random

import onnx
import pytest

from conftest import run_trainer, write_jsonl
from rollout_trainer.errors import TrainerError
from rollout_trainer.verifier import feature_names, load_runs


def verifier_runs(seed=3, tasks=40, attempts=4):
    """Runs whose reward follows `last_test_passed` most of the time, with noisy other features."""
    rng = random.Random(seed)
    rows = []
    for task in range(tasks):
        for attempt in range(attempts):
            solved = rng.random() < 0.5
            features = {name: rng.randint(0, 40) for name in feature_names()}
            features["last_test_passed"] = int(solved if rng.random() < 0.9 else not solved)
            features["submitted"] = 1
            rows.append({"task_id": f"task-{task}", "run_id": f"task-{task}-{attempt}", "features": features, "reward": float(solved)})
    return rows


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("verifier")
    data = write_jsonl(folder / "runs.jsonl", verifier_runs())
    code, events, stderr = run_trainer("verifier", "--data", data, "--out", str(folder / "out"))
    assert code == 0, stderr
    return events[-1]


def test_export_is_a_valid_opset_17_model_with_named_io(exported):
    model = onnx.load(exported["onnx"])
    onnx.checker.check_model(model)
    assert model.opset_import[0].version == 17
    assert [i.name for i in model.graph.input] == ["features"] and [o.name for o in model.graph.output] == ["score"]
    assert len(model.graph.initializer) > 0  # weights inside the one file


def test_the_verifier_learns_the_outcome_on_tasks_it_never_saw(exported):
    """`last_test_passed` agrees with the outcome 90 % of the time; a verifier that learnt it scores well above
    held-out tasks, far above always guessing the common outcome (which is what 0.5 would be)."""
    with open(exported["card"]) as handle:
        card = json.load(handle)
    assert card["features"] == feature_names()
    assert card["holdout_runs"] == 40 and len(card["holdout_tasks"]) == 10
    assert card["holdout_accuracy"] >= 0.75
    assert card["holdout_accuracy"] >= card["holdout_majority_accuracy"] + 0.2


def test_scores_file_has_one_probability_per_run(exported):
    with open(exported["scores"]) as handle:
        scores = [json.loads(line) for line in handle]
    assert len(scores) == 160 and all(0 <= row["score"] <= 1 for row in scores)


def test_a_missing_feature_names_line_and_field(tmp_path):
    rows = verifier_runs(tasks=1, attempts=2)
    del rows[1]["features"]["edits"]
    data = write_jsonl(tmp_path / "runs.jsonl", rows)
    with pytest.raises(TrainerError) as raised:
        load_runs(data, feature_names())
    assert raised.value.message == f"{data}:2: features.edits: must be a non-negative number, got None"
