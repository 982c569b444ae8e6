"""Several processes: `--processes 2` relaunches the command under torchrun (gloo on CPU, as NCCL on GPUs), each
process trains on its share of every batch, only rank 0 reports, and the driver sees one runner."""

import json
from types import SimpleNamespace

from conftest import run_trainer
from rollout_trainer.launch import _exit_code, launch_plan


def test_two_processes_train_one_adapter(tmp_path, tiny_model, sft_dataset):
    code, events, stderr = run_trainer(
        "sft", "--data", sft_dataset, "--base-model", tiny_model, "--out", str(tmp_path), "--device", "cpu",
        "--processes", "2", "--max-steps", "2", "--batch-size", "2", "--save-steps", "1000",
    )
    assert code == 0, stderr
    assert events[0] == {"event": "launch", "launcher": "torchrun", "processes": 2, "strategy": "ddp"}
    progress = [event for event in events if event["event"] == "progress"]
    assert [event["step"] for event in progress] == [1, 2]  # one report per step: rank 0 only
    assert abs(progress[0]["epoch"] - 4 / 12) < 1e-6  # two processes × two rows of the twelve per step
    assert [event["event"] for event in events].count("done") == 1 and events[-1]["event"] == "done"
    with open(events[-1]["summary"]) as handle:
        assert json.load(handle)["options"]["processes"] == 2


def test_the_plan_and_the_exit_code():
    options = SimpleNamespace(distributed="auto", processes=0, device="cpu", base_model="m")
    assert launch_plan(options) is None  # no GPU, no request: one process
    assert launch_plan(SimpleNamespace(**{**vars(options), "processes": 2})) == {"processes": 2, "strategy": "ddp"}
    assert launch_plan(SimpleNamespace(**{**vars(options), "processes": 2, "distributed": "off"})) is None
    assert launch_plan(SimpleNamespace(**{**vars(options), "processes": 2, "distributed": "fsdp"}))["strategy"] == "fsdp"
    assert _exit_code({"event": "error", "kind": "bad_data"}, 1) == 3
    assert _exit_code({"event": "cancelled"}, 1) == 130 and _exit_code({"event": "done"}, 0) == 0
    assert _exit_code(None, 0) == 1
