"""`verifier`: a small outcome model, trajectory features → probability the run succeeded.

Input JSONL, one run per line: {"task_id", "run_id", "features": {name: number}, "reward"}.
The model takes the raw features in the order of verifier_features.json: log1p and the training
set's standardisation are part of the graph, so whoever scores it (onnxruntime-node in
`rollout select`) feeds raw counts. Accuracy is reported on tasks held out of training, so two
attempts at one task never sit on both sides of the split.
"""

import hashlib
import json
import os

import torch
from torch import nn

from .data import read_jsonl
from .errors import bad_data

FEATURES_FILE = os.path.join(os.path.dirname(__file__), "verifier_features.json")
OPSET = 17


def feature_names() -> list[str]:
    with open(FEATURES_FILE, encoding="utf-8") as handle:
        return [feature["name"] for feature in json.load(handle)["features"]]


def load_runs(path: str, names: list[str]):
    runs = []
    for source, record in read_jsonl(path):
        features = record.get("features")
        if not isinstance(features, dict):
            raise bad_data(source, "features: missing or not an object")
        values = []
        for name in names:
            value = features.get(name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise bad_data(source, f"features.{name}: must be a non-negative number, got {value!r}")
            values.append(float(value))
        reward = record.get("reward")
        if isinstance(reward, bool) or not isinstance(reward, (int, float)) or not 0 <= reward <= 1:
            raise bad_data(source, f"reward: must be a number in [0, 1], got {reward!r}")
        task = record.get("task_id")
        if not isinstance(task, str) or not task:
            raise bad_data(source, "task_id: missing or not a string")
        runs.append({"task_id": task, "run_id": record.get("run_id", source), "values": values, "reward": float(reward)})
    if len(runs) < 2:
        raise bad_data(path, "the verifier needs at least two runs")
    return runs


class OutcomeModel(nn.Module):
    def __init__(self, mean: torch.Tensor, std: torch.Tensor, hidden: int = 16):
        super().__init__()
        self.register_buffer("mean", mean)
        self.register_buffer("std", std)
        self.net = nn.Sequential(nn.Linear(len(mean), hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def logits(self, raw: torch.Tensor) -> torch.Tensor:
        return self.net((torch.log1p(raw) - self.mean) / self.std).squeeze(-1)

    def forward(self, raw: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.logits(raw))


def split_by_task(runs, holdout: float, seed: int):
    """Deterministic task-level split: a task's hash with the seed decides its side."""
    tasks = sorted({run["task_id"] for run in runs})
    def rank(task):
        return hashlib.sha256(f"{seed}:{task}".encode()).hexdigest()
    held = set(sorted(tasks, key=rank)[: round(len(tasks) * holdout)]) if len(tasks) > 1 else set()
    return [run for run in runs if run["task_id"] not in held], [run for run in runs if run["task_id"] in held]


def _labels(runs) -> torch.Tensor:
    return torch.tensor([run["reward"] >= 0.5 for run in runs])


def _accuracy(model, runs):
    if not runs:
        return None
    with torch.no_grad():
        scores = model(torch.tensor([run["values"] for run in runs]))
    return float(((scores >= 0.5) == _labels(runs)).float().mean())


def _majority_accuracy(train_runs, held_runs):
    """What always answering the training set's more common outcome scores on the held-out runs: the bar a
    verifier must clear to have learnt anything."""
    if not held_runs or not train_runs:
        return None
    majority = bool(_labels(train_runs).float().mean() >= 0.5)
    return float((_labels(held_runs) == majority).float().mean())


def train_outcome_model(train_runs, epochs: int, seed: int) -> OutcomeModel:
    torch.manual_seed(seed)
    inputs = torch.tensor([run["values"] for run in train_runs])
    targets = torch.tensor([run["reward"] for run in train_runs])
    logged = torch.log1p(inputs)
    model = OutcomeModel(logged.mean(0), logged.std(0, unbiased=False).clamp_min(1e-3))
    optimiser = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=5e-2)
    loss_fn = nn.BCEWithLogitsLoss()
    for _ in range(epochs):
        optimiser.zero_grad()
        loss = loss_fn(model.logits(inputs), targets)
        loss.backward()
        optimiser.step()
    return model.eval()


def export_onnx(model: OutcomeModel, names: list[str], path: str) -> None:
    example = torch.zeros(1, len(names))
    torch.onnx.export(
        model,
        (example,),
        path,
        input_names=["features"],
        output_names=["score"],
        dynamic_axes={"features": {0: "runs"}, "score": {0: "runs"}},
        opset_version=OPSET,
        dynamo=False,  # one self-contained file; the dynamo exporter writes weights beside it
    )


def run_verifier(options) -> dict:
    names = feature_names()
    runs = load_runs(options.data, names)
    train_runs, held_runs = split_by_task(runs, options.holdout, options.seed)
    model = train_outcome_model(train_runs, options.epochs, options.seed)
    os.makedirs(options.out, exist_ok=True)
    onnx_path = os.path.join(options.out, "verifier.onnx")
    export_onnx(model, names, onnx_path)
    with torch.no_grad():
        scores = model(torch.tensor([run["values"] for run in runs])).tolist()
    scores_path = os.path.join(options.out, "verifier-scores.jsonl")
    with open(scores_path, "w", encoding="utf-8") as handle:
        for run, score in zip(runs, scores):
            handle.write(json.dumps({"run_id": run["run_id"], "task_id": run["task_id"], "score": score}) + "\n")
    card = {
        "features": names,
        "input": "features",
        "output": "score",
        "opset": OPSET,
        "train_runs": len(train_runs),
        "holdout_runs": len(held_runs),
        "holdout_tasks": sorted({run["task_id"] for run in held_runs}),
        "train_accuracy": _accuracy(model, train_runs),
        "holdout_accuracy": _accuracy(model, held_runs),
        "holdout_majority_accuracy": _majority_accuracy(train_runs, held_runs),
    }
    card_path = os.path.join(options.out, "verifier.json")
    with open(card_path, "w", encoding="utf-8") as handle:
        json.dump(card, handle, indent=2)
    return {"onnx": os.path.abspath(onnx_path), "card": os.path.abspath(card_path), "scores": os.path.abspath(scores_path),
            "holdout_accuracy": card["holdout_accuracy"], "holdout_majority_accuracy": card["holdout_majority_accuracy"],
            "train_accuracy": card["train_accuracy"]}
