"""Progress as JSON lines on stdout: one object per line, each with an `event` field.

Events: `launch` (several processes), `placement`, `prepared`, `start`, `resume`, `progress` (step,
loss, lr, tokens_per_s, eta_s), `checkpoint`, `cancelled`, `error`, `done` (the output paths), and
`serving` for the server. Everything else the libraries print goes to stderr, so stdout stays
machine-readable. Under torchrun only rank 0 writes events.
"""

import json
import os
import sys
import time

import torch
import torch.distributed as dist
from transformers import TrainerCallback

from . import stop

_stdout = sys.stdout


def is_main_process() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


def write_event_line(line: str) -> None:
    _stdout.write(line if line.endswith("\n") else line + "\n")
    _stdout.flush()


def emit(event: str, **fields) -> None:
    if is_main_process():
        write_event_line(json.dumps({"event": event, **fields}))


def route_library_output_to_stderr() -> None:
    """Libraries print banners and warnings to stdout; only our JSON lines may go there."""
    sys.stdout = sys.stderr


class ProgressCallback(TrainerCallback):
    """Reports each logged step and stops training cleanly on a stop request (stop.py), saving a
    checkpoint so that a rerun resumes from it."""

    def __init__(self):
        self.started_at = None
        self.start_step = None

    def on_train_begin(self, args, state, control, **kwargs):
        self.started_at = time.monotonic()
        emit("start", max_steps=state.max_steps, device=str(args.device))

    def on_step_begin(self, args, state, control, **kwargs):
        # A resumed run's state is loaded only after on_train_begin; by its first step it is.
        if self.start_step is None:
            self.start_step = state.global_step

    def on_log(self, args, state, control, logs=None, **kwargs):
        logs = logs or {}
        if "loss" not in logs:
            return
        elapsed = max(time.monotonic() - self.started_at, 1e-9)
        steps_done = state.global_step - self.start_step
        eta = elapsed / steps_done * (state.max_steps - state.global_step) if steps_done else None
        emit(
            "progress",
            step=state.global_step,
            max_steps=state.max_steps,
            loss=logs["loss"],
            lr=logs.get("learning_rate"),
            # the Trainer's own count for this process: non-padding tokens since training began
            tokens_per_s=logs.get("train_tokens_per_second"),
            eta_s=eta,
            epoch=state.epoch,
        )

    def on_step_end(self, args, state, control, **kwargs):
        if _stop_requested_anywhere(args.device):
            control.should_save = True
            control.should_training_stop = True
        return control

    def on_save(self, args, state, control, **kwargs):
        emit("checkpoint", step=state.global_step, path=f"{args.output_dir}/checkpoint-{state.global_step}")


def _stop_requested_anywhere(device) -> bool:
    """Every process must stop at the same step, or the others wait forever in their next all-reduce."""
    requested = stop.requested.is_set()
    if not (dist.is_available() and dist.is_initialized()):
        return requested
    flag = torch.tensor([int(requested)], device=device)
    dist.all_reduce(flag, op=dist.ReduceOp.MAX)
    return bool(flag.item())
