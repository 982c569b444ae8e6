"""Trained-token throughput of rollout_trainer's `sft` against TRL's SFTTrainer with its defaults,
on the same model, data and batch order, in one run. Called by bench/train/index.ts; prints
progress to stderr and one JSON object on the last stdout line.

Held equal between the two so the losses can be compared step by step: the model, the data, the
LoRA adapter, the seed (so the sampler's batch order), learning rate (TRL's default 2e-5), batch
size (TRL's default 8), max length (TRL's default 1024), precision (fp32 on CPU, bf16 on CUDA) and
the objective (assistant-only loss: TRL gets the same template with `{% generation %}` markers).
Left at TRL's defaults in the baseline: everything that decides speed (padding, gradient
checkpointing, attention kernel). `sft` picks its own (docs/trainer.md).
"""

import argparse
import json
import os
import random
import sys
import tempfile
import time
from types import SimpleNamespace

import torch
from datasets import Dataset
from transformers import AutoModelForCausalLM, TrainerCallback
from trl import SFTConfig, SFTTrainer

from rollout_trainer.data import normalise_messages, Conversation
from rollout_trainer.device import resolve_placement
from rollout_trainer.prepare import prepare_examples
from rollout_trainer.sft import build_sft_trainer
from rollout_trainer.tiny import build_tiny_model, build_tokenizer
from rollout_trainer.training import lora_config, load_tokenizer

BASH = {"type": "function", "function": {"name": "bash", "description": "Run a shell command", "parameters": {"type": "object", "properties": {"command": {"type": "string"}}}}}


def trajectories(count: int, seed: int):
    """Agent conversations whose lengths vary wildly: 1 to 12 tool turns, outputs of 1 to 40 lines."""
    rng = random.Random(seed)
    rows = []
    for index in range(count):
        messages = [{"role": "system", "content": "You are a coding agent."}, {"role": "user", "content": f"Fix failing test {index}."}]
        for turn in range(rng.choice([1, 1, 2, 3, 6, 12])):
            messages.append({"role": "assistant", "content": None, "tool_calls": [{"type": "function", "function": {"name": "bash", "arguments": {"command": f"pytest -q tests/test_{turn}.py"}}}]})
            messages.append({"role": "tool", "content": "FAILED tests/test_app.py::test_add - assert -1 == 5\n" * rng.randint(1, 40)})
        messages.append({"role": "assistant", "content": f"Fixed test {index}: the subtraction is an addition now."})
        rows.append({"messages": messages, "tools": [BASH]})
    return rows


class StepClock(TrainerCallback):
    """Time and non-padding tokens at each step end."""

    def __init__(self):
        self.marks = []

    def on_step_end(self, args, state, control, **kwargs):
        self.marks.append((time.perf_counter(), state.num_input_tokens_seen))

    def step_seconds(self):
        return [b[0] - a[0] for a, b in zip(self.marks, self.marks[1:])]

    def timed_tokens(self):
        """Tokens of every step but the first (warm-up and allocation are not throughput)."""
        return self.marks[-1][1] - self.marks[0][1]


def best_rate(clocks):
    """Tokens/s from the fastest time of each step over the rounds: the machine is shared, and
    other load only ever adds time, so the minimum is the closest to the code's own cost."""
    fastest = [min(times) for times in zip(*(clock.step_seconds() for clock in clocks))]
    return clocks[0].timed_tokens() / sum(fastest), fastest


def losses(trainer):
    return [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]


def run_ours(model_dir, rows, out_dir, steps, placement):
    torch.manual_seed(42)  # the LoRA matrices are drawn before the Trainer seeds itself
    tokenizer = load_tokenizer(model_dir)
    conversations = [Conversation(normalise_messages(row["messages"], f"bench:{i}"), row["tools"], f"bench:{i}") for i, row in enumerate(rows)]
    examples, _ = prepare_examples(tokenizer, conversations, max_length=1024)
    options = SimpleNamespace(
        out=out_dir, base_model=model_dir, max_steps=steps, epochs=1.0, batch_size=8, grad_accum=1, lr=2e-5, lr_scheduler="linear",
        warmup_steps=0, save_steps=10_000, seed=42, lora_r=16, lora_alpha=32, lora_dropout=0.0,
    )
    clock = StepClock()
    trainer = build_sft_trainer(options, placement, tokenizer, examples, [clock])
    trainer.train()
    return clock, losses(trainer)


def run_trl_defaults(model_dir, rows, out_dir, steps, placement):
    torch.manual_seed(42)
    tokenizer = load_tokenizer(model_dir)
    tokenizer.chat_template = build_tokenizer(generation_markers=True).chat_template
    config = SFTConfig(
        output_dir=out_dir, max_steps=steps, seed=42, report_to=[], disable_tqdm=True, save_strategy="no",
        logging_steps=1, include_num_input_tokens_seen="non_padding", assistant_only_loss=True,
        bf16=placement.device == "cuda", use_cpu=placement.device == "cpu",
    )
    clock = StepClock()
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=placement.dtype).to(placement.device)
    trainer = SFTTrainer(model=model, args=config, train_dataset=Dataset.from_list(rows), processing_class=tokenizer, peft_config=lora_config(SimpleNamespace(lora_r=16, lora_alpha=32, lora_dropout=0.0)), callbacks=[clock])
    trainer.train()
    return clock, losses(trainer)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--conversations", type=int, default=96)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--padding-free", default="auto", choices=["auto", "on", "off"], help="override sft's choice, to compare")
    options = parser.parse_args()
    placement = resolve_placement("auto", options.padding_free)
    work = tempfile.mkdtemp(prefix="bench-train-")
    model_dir = build_tiny_model(os.path.join(work, "model"), hidden_size=options.hidden, layers=options.layers)
    rows = trajectories(options.conversations, seed=1)
    print(f"device {placement.describe()}; {options.conversations} conversations; model hidden {options.hidden} x {options.layers} layers", file=sys.stderr)
    clocks = {"trl": [], "ours": []}
    loss_runs = {"trl": [], "ours": []}
    for round_index in range(options.rounds):  # alternated, so slow spells on the shared machine hit both
        for name, run in (("trl", run_trl_defaults), ("ours", run_ours)):
            clock, run_losses = run(model_dir, rows, os.path.join(work, f"{name}-{round_index}"), options.steps, placement)
            clocks[name].append(clock)
            loss_runs[name].append(run_losses)
            print(f"round {round_index + 1} {name}: steps {[round(t, 2) for t in clock.step_seconds()]} s", file=sys.stderr)
    trl_rate, _ = best_rate(clocks["trl"])
    ours_rate, _ = best_rate(clocks["ours"])
    trl_tokens, ours_tokens = clocks["trl"][0].timed_tokens(), clocks["ours"][0].timed_tokens()
    trl_losses, ours_losses = loss_runs["trl"][0], loss_runs["ours"][0]
    print(f"TRL SFTTrainer defaults: {trl_rate:.0f} tokens/s; rollout_trainer sft: {ours_rate:.0f} tokens/s", file=sys.stderr)
    loss_gap = max(abs(a - b) for ours in loss_runs["ours"] for trl in loss_runs["trl"] for a, b in zip(ours, trl))
    print(json.dumps({
        "device": placement.device,
        "dtype": str(placement.dtype).removeprefix("torch."),
        "attention": placement.attention,
        "padding_free": placement.padding_free,
        "gradient_checkpointing": placement.gradient_checkpointing,
        "steps": options.steps,
        "timed_steps": options.steps - 1,
        "rounds": options.rounds,
        "trl_defaults_tokens_per_s": round(trl_rate, 1),
        "sft_tokens_per_s": round(ours_rate, 1),
        "ratio": round(ours_rate / trl_rate, 3),
        "same_tokens": ours_tokens == trl_tokens,
        "max_loss_gap": loss_gap,
        "same_loss_1e-3": loss_gap <= 1e-3 and len(ours_losses) == len(trl_losses),
        "losses": [round(loss, 5) for loss in ours_losses],
        "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
