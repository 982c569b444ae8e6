"""Several devices: the training command runs again under torchrun, one process per device.

`--distributed auto` launches one process per visible CUDA device when there are several: DDP, or FSDP
(parameters sharded across the devices) when the base model's weights would take more than
FSDP_SHARE of one device's memory. `--processes N` forces N processes (on CPU too, with the gloo
backend: how the tests run this path). The launching process passes the workers' stdout through,
where only rank 0 writes events (progress.py), forwards a stop request, and exits with the code the
last event names, so the driver sees one runner whatever the process count.
"""

import glob
import json
import os
import subprocess
import sys
import threading

from . import stop
from .errors import EXIT_CODES
from .progress import emit, write_event_line

STRATEGY_ENV = "ROLLOUT_DISTRIBUTED"
FSDP_SHARE = 0.6  # weights above this share of a device's memory leave too little for activations


def distributed_strategy() -> str | None:
    """ddp or fsdp inside a launched worker, None in a single process."""
    return os.environ.get(STRATEGY_ENV) if os.environ.get("LOCAL_RANK") is not None else None


def _weights_bytes(base_model: str) -> int | None:
    if not os.path.isdir(base_model):
        return None  # a hub id: its size is not known before it is downloaded
    files = glob.glob(os.path.join(base_model, "*.safetensors")) or glob.glob(os.path.join(base_model, "*.bin"))
    return sum(os.path.getsize(path) for path in files) or None


def _device_count(options) -> int:
    import torch

    return torch.cuda.device_count() if options.device in ("auto", "cuda") and torch.cuda.is_available() else 0


def launch_plan(options) -> dict | None:
    """{"processes", "strategy"} when this command should run as several processes, else None."""
    if os.environ.get("LOCAL_RANK") is not None or options.distributed == "off":
        return None
    processes = options.processes or _device_count(options)
    if processes < 2:
        return None
    strategy = options.distributed
    if strategy == "auto":
        strategy = "ddp"
        weights = _weights_bytes(options.base_model)
        if weights is not None and _device_count(options):
            import torch

            if weights > FSDP_SHARE * torch.cuda.get_device_properties(0).total_memory:
                strategy = "fsdp"
    return {"processes": processes, "strategy": strategy}


def _exit_code(last: dict | None, launcher_code: int) -> int:
    if last is None:
        return launcher_code or 1
    if last.get("event") == "done":
        return 0
    if last.get("event") == "cancelled":
        return 130
    if last.get("event") == "error":
        return EXIT_CODES.get(last.get("kind"), 1)
    return launcher_code or 1


def relaunch(plan: dict, argv: list[str]) -> int:
    emit("launch", launcher="torchrun", **plan)
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={plan['processes']}"]
    command += ["-m", "rollout_trainer", *argv]
    child = subprocess.Popen(
        command, stdout=subprocess.PIPE, text=True, env={**os.environ, STRATEGY_ENV: plan["strategy"]}
    )

    def forward_stop():
        stop.requested.wait()
        if child.poll() is None:
            child.send_signal(stop.FIRST_SIGNAL)  # torchrun passes it to every worker

    threading.Thread(target=forward_stop, daemon=True).start()
    last = None
    for line in child.stdout:
        write_event_line(line)
        try:
            last = json.loads(line)
        except json.JSONDecodeError:
            continue
    return _exit_code(last, child.wait())
