"""Trained-token throughput of rollout_trainer's `sft` against TRL's SFTTrainer twice, on the same model,
data and batch order, in one run: TRL with its defaults, and TRL configured as `sft` configures itself
(the same gradient checkpointing, padding-free choice and attention kernel), so that what remains of
the difference is the method (sft computes the LM head and the loss only at trained positions).
Called by bench/train/index.ts; prints progress to stderr and one JSON object on the last stdout line.

Held equal between all three so the losses can be compared step by step: the model, the data (every
conversation fits the max length, so no truncation differs), the LoRA adapter, the seed (so the
sampler's batch order), learning rate (TRL's default 2e-5), batch size (TRL's default 8), max length
(TRL's default 1024), precision (fp32 on CPU, bf16 on CUDA) and the objective (assistant-only loss: TRL
gets the same template with `{% generation %}` markers, or its own training template for a real model).
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
    """Agent conversations whose lengths vary widely (1 to 5 tool turns, outputs of 1 to 6 lines), all within
    1024 tokens."""
    rng = random.Random(seed)
    rows = []
    for index in range(count):
        messages = [{"role": "system", "content": "You are a coding agent."}, {"role": "user", "content": f"Fix failing test {index}."}]
        for turn in range(rng.choice([1, 1, 2, 3, 5])):
            messages.append({"role": "assistant", "content": None, "tool_calls": [{"type": "function", "function": {"name": "bash", "arguments": {"command": f"pytest -q tests/test_{turn}.py"}}}]})
            messages.append({"role": "tool", "content": "FAILED tests/test_app.py::test_add - assert -1 == 5\n" * rng.randint(1, 6)})
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
    examples, stats = prepare_examples(tokenizer, conversations, max_length=1024)
    assert stats["truncated"] == stats["dropped_too_long"] == stats["skipped_unmaskable"] == 0, stats
    options = SimpleNamespace(
        out=out_dir, base_model=model_dir, max_steps=steps, epochs=1.0, batch_size=8, grad_accum=1, lr=2e-5, lr_scheduler="linear",
        warmup_steps=0, save_steps=10_000, seed=42, lora_r=16, lora_alpha=32, lora_dropout=0.0, lora_targets="all-linear",
    )
    clock = StepClock()
    trainer = build_sft_trainer(options, placement, tokenizer, examples, [clock])
    trainer.train()
    return clock, losses(trainer)


def run_trl(model_dir, rows, out_dir, steps, placement, configured):
    """TRL's SFTTrainer with its defaults, or (configured) with sft's gradient checkpointing, padding-free choice and
    attention kernel."""
    torch.manual_seed(42)
    tokenizer = load_tokenizer(model_dir)
    if is_tiny(model_dir):
        tokenizer.chat_template = build_tokenizer(generation_markers=True).chat_template
    speed = {}
    if configured:
        speed = {"gradient_checkpointing": placement.gradient_checkpointing, "padding_free": placement.padding_free}
        if placement.gradient_checkpointing:
            speed["gradient_checkpointing_kwargs"] = {"use_reentrant": False}
        if placement.padding_free:
            speed["max_length"] = None  # TRL: padding-free without packing leaves lengths to the data (all fit)
    config = SFTConfig(
        output_dir=out_dir, max_steps=steps, seed=42, report_to=[], disable_tqdm=True, save_strategy="no",
        logging_steps=1, include_num_input_tokens_seen="non_padding", assistant_only_loss=True,
        bf16=placement.device == "cuda", use_cpu=placement.device == "cpu", **speed,
    )
    clock = StepClock()
    attention = {"attn_implementation": placement.attention} if configured else {}
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=placement.dtype, **attention).to(placement.device)
    lora = lora_config(SimpleNamespace(lora_r=16, lora_alpha=32, lora_dropout=0.0, lora_targets="all-linear"))
    trainer = SFTTrainer(model=model, args=config, train_dataset=Dataset.from_list(rows), processing_class=tokenizer, peft_config=lora, callbacks=[clock])
    trainer.train()
    return clock, losses(trainer)


def is_tiny(model_dir) -> bool:
    return os.path.isfile(os.path.join(model_dir, "README.md")) and "Tiny random Llama" in open(os.path.join(model_dir, "README.md")).read()


def loss_gap(first, second):
    return max(abs(a - b) for ones in first for others in second for a, b in zip(ones, others))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--conversations", type=int, default=96)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--model", help="a model folder or Hugging Face id instead of the tiny random model (GPU runs)")
    parser.add_argument("--padding-free", default="auto", choices=["auto", "on", "off"], help="override sft's choice, to compare")
    parser.add_argument("--gradient-checkpointing", default="auto", choices=["auto", "on", "off"])
    options = parser.parse_args()
    placement = resolve_placement("auto", options.padding_free, options.gradient_checkpointing)
    work = tempfile.mkdtemp(prefix="bench-train-")
    model_dir = options.model or build_tiny_model(os.path.join(work, "model"), hidden_size=options.hidden, layers=options.layers)
    rows = trajectories(options.conversations, seed=1)
    print(f"device {placement.describe()}; {options.conversations} conversations; model {options.model or f'tiny, hidden {options.hidden} x {options.layers} layers'}", file=sys.stderr)
    runs = {
        "trl_defaults": lambda out: run_trl(model_dir, rows, out, options.steps, placement, configured=False),
        "trl_configured": lambda out: run_trl(model_dir, rows, out, options.steps, placement, configured=True),
        "sft": lambda out: run_ours(model_dir, rows, out, options.steps, placement),
    }
    clocks = {name: [] for name in runs}
    loss_runs = {name: [] for name in runs}
    for round_index in range(options.rounds):
        # alternated, and every other round in reverse, so that a machine growing busier or quieter favours none
        order = list(runs.items()) if round_index % 2 == 0 else list(reversed(runs.items()))
        for name, run in order:
            clock, run_losses = run(os.path.join(work, f"{name}-{round_index}"))
            clocks[name].append(clock)
            loss_runs[name].append(run_losses)
            print(f"round {round_index + 1} {name}: steps {[round(t, 2) for t in clock.step_seconds()]} s", file=sys.stderr)
    rates = {name: best_rate(clocks[name])[0] for name in runs}
    print("TRL SFTTrainer defaults: {trl_defaults:.0f} tokens/s; TRL configured as sft: {trl_configured:.0f} tokens/s; "
          "rollout_trainer sft: {sft:.0f} tokens/s".format(**rates), file=sys.stderr)
    gap_defaults = loss_gap(loss_runs["sft"], loss_runs["trl_defaults"])
    gap_configured = loss_gap(loss_runs["sft"], loss_runs["trl_configured"])
    same_tokens = len({clocks[name][0].timed_tokens() for name in runs}) == 1
    print(json.dumps({
        "device": placement.device,
        "model": options.model or f"tiny-llama-{options.hidden}x{options.layers}",
        "dtype": str(placement.dtype).removeprefix("torch."),
        "attention": placement.attention,
        "padding_free": placement.padding_free,
        "gradient_checkpointing": placement.gradient_checkpointing,
        "steps": options.steps,
        "timed_steps": options.steps - 1,
        "rounds": options.rounds,
        "trl_defaults_tokens_per_s": round(rates["trl_defaults"], 1),
        "trl_configured_tokens_per_s": round(rates["trl_configured"], 1),
        "sft_tokens_per_s": round(rates["sft"], 1),
        "ratio_vs_trl_defaults": round(rates["sft"] / rates["trl_defaults"], 3),
        "ratio_vs_trl_configured": round(rates["sft"] / rates["trl_configured"], 3),
        "same_tokens": same_tokens,
        "max_loss_gap_vs_trl_defaults": gap_defaults,
        "max_loss_gap_vs_trl_configured": gap_configured,
        "same_loss_1e-3": max(gap_defaults, gap_configured) <= 1e-3,
        "losses": [round(loss, 5) for loss in loss_runs["sft"][0]],
        "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
