"""python -m rollout_trainer {prepare,sft,dpo,pg,serve,verifier,tiny-model} …  (see docs/trainer.md)

stdout carries only JSON lines (see progress.py); the last one is `done` with the output paths,
or `error` with a `kind` (usage, bad_data, no_gpu, oom, model) and a message, or `cancelled`.
"""

import argparse
import os
import sys
import traceback

from .errors import EXIT_CODES, TrainerError

CANCELLED_EXIT = 130


LR_SCHEDULES = ["linear", "cosine", "constant", "constant_with_warmup", "cosine_with_restarts", "polynomial"]


def _training_options(parser):
    """The options every training method shares. Each is recorded in the adapter's metadata."""
    parser.add_argument("--data", required=True, help="JSONL dataset (the SFT, DPO or RL export)")
    parser.add_argument("--base-model", required=True, help="model folder or Hugging Face id")
    parser.add_argument("--out", required=True, help="output folder: adapter/, checkpoints/, prepared/, rollout-trainer.json")
    parser.add_argument("--device", default="auto", choices=["auto", "cuda", "cpu"])
    parser.add_argument("--max-steps", type=int, default=-1, help="stop after this many optimizer steps (-1: use --epochs)")
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--batch-size", type=int, default=4, help="per device")
    parser.add_argument("--grad-accum", type=int, default=1, help="gradient accumulation steps")
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--lr-scheduler", default="linear", choices=LR_SCHEDULES)
    parser.add_argument("--warmup-steps", type=int, default=0)
    parser.add_argument("--max-length", type=int, default=4096, help="tokens per row; see --truncation")
    parser.add_argument(
        "--truncation", default="keep-latest-turns", choices=["keep-latest-turns", "drop"],
        help="a longer row keeps its opening and its latest whole turns, or is dropped; never cut inside a turn",
    )
    parser.add_argument("--save-steps", type=int, default=50)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--lora-r", type=int, default=16)
    parser.add_argument("--lora-alpha", type=int, default=32)
    parser.add_argument("--lora-dropout", type=float, default=0.0)
    parser.add_argument("--lora-targets", default="all-linear", help="all-linear, or module names: q_proj,v_proj")
    parser.add_argument("--gradient-checkpointing", default="auto", choices=["auto", "on", "off"], help="auto: on for CUDA")
    parser.add_argument("--distributed", default="auto", choices=["auto", "off", "ddp", "fsdp"],
                        help="auto: DDP over every visible GPU when there are several, FSDP when the model does not fit one")
    parser.add_argument("--processes", type=int, default=0, help="processes to launch (0: one per visible GPU)")
    _tool_arguments_option(parser)


def _tool_arguments_option(parser):
    parser.add_argument(
        "--tool-arguments",
        default="object",
        choices=["object", "string"],
        help="hand tool-call arguments to the chat template as a mapping (object: Qwen2.5, Llama 3.x, Qwen3 apply tojson) "
        "or as JSON text (string: templates that print them as they are)",
    )


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m rollout_trainer", description="Rollout Studio fine-tune runner")
    commands = parser.add_subparsers(dest="command", required=True)

    prepare = commands.add_parser("prepare", help="apply the chat template and assistant-only labels")
    prepare.add_argument("--data", required=True)
    prepare.add_argument("--base-model", required=True)
    prepare.add_argument("--out", required=True)
    prepare.add_argument("--max-length", type=int, default=4096)
    prepare.add_argument("--truncation", default="keep-latest-turns", choices=["keep-latest-turns", "drop"])
    _tool_arguments_option(prepare)

    sft = commands.add_parser("sft", help="LoRA supervised fine-tuning (TRL SFTTrainer)")
    _training_options(sft)
    sft.add_argument("--padding-free", default="auto", choices=["auto", "on", "off"], help="auto: on for CUDA with a flash-attention kernel")

    dpo = commands.add_parser("dpo", help="LoRA direct preference optimisation (TRL DPOTrainer)")
    _training_options(dpo)
    dpo.add_argument("--beta", type=float, default=0.1, help="DPO temperature")

    pg = commands.add_parser("pg", help="LoRA policy-gradient step on the RL export (clipped ratio or REINFORCE, KL to the base)")
    _training_options(pg)
    pg.add_argument("--beta", type=float, default=0.04, help="weight of the KL penalty to the base model (adapter off)")
    pg.add_argument("--advantage", default="trajectory", choices=["trajectory", "turn"],
                    help="trajectory: the row's `advantage`; turn: its `turn_advantage`, else its return against its task's mean")
    pg.add_argument("--clip-epsilon", type=float, default=0.2, help="PPO clip range when rows carry recorded logprobs")

    serve = commands.add_parser("serve", help="OpenAI-compatible chat completions for base model + adapter")
    serve.add_argument("--model", required=True, help="an `rollout train` output folder, an adapter folder or a model folder")
    serve.add_argument("--base-model", help="base model, when the adapter does not name a reachable one")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0, help="0 picks a free port")
    serve.add_argument("--name", help="model name to serve under (default: the folder's name)")
    serve.add_argument("--device", default="auto", choices=["auto", "cuda", "cpu"])
    serve.add_argument("--engine", default="auto", choices=["auto", "bundled", "vllm"],
                       help="auto: vLLM where it is installed and a GPU is visible, else the bundled server")

    verifier = commands.add_parser("verifier", help="train the outcome model and export it to ONNX")
    verifier.add_argument("--data", required=True, help="JSONL of {task_id, features: {…}, reward}")
    verifier.add_argument("--out", required=True)
    verifier.add_argument("--epochs", type=int, default=200)
    verifier.add_argument("--holdout", type=float, default=0.25, help="fraction of tasks held out for accuracy")
    verifier.add_argument("--seed", type=int, default=0)

    tiny = commands.add_parser("tiny-model", help="write a tiny random model + tokenizer (tests, smoke checks)")
    tiny.add_argument("--out", required=True)
    tiny.add_argument("--generation-markers", action="store_true", help="put TRL's {% generation %} markers in the template")
    return parser


def run(options) -> dict:
    if options.command == "prepare":
        from .prepare import prepared_dataset
        from .training import load_tokenizer

        tokenizer = load_tokenizer(options.base_model)
        _, stats = prepared_dataset(tokenizer, options.data, options.out, options.max_length, options.truncation, options.tool_arguments)
        return stats
    if options.command == "sft":
        from .sft import run_sft

        return run_sft(options)
    if options.command == "dpo":
        from .dpo import run_dpo

        return run_dpo(options)
    if options.command == "pg":
        from .pg import run_pg

        return run_pg(options)
    if options.command == "serve":
        from .serve import run_server

        return run_server(options)
    if options.command == "verifier":
        from .verifier import run_verifier

        return run_verifier(options)
    from .tiny import build_tiny_model

    return {"model": os.path.abspath(build_tiny_model(options.out, options.generation_markers))}


LONG_RUNNING = ("sft", "dpo", "pg", "serve")
TRAINING = ("sft", "dpo", "pg")


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    options = build_parser().parse_args(argv)
    if options.command in LONG_RUNNING:
        from . import stop

        stop.install()  # before the heavy imports, see stop.py
    from .progress import emit, route_library_output_to_stderr

    route_library_output_to_stderr()
    try:
        if options.command in TRAINING:
            from .launch import launch_plan, relaunch

            plan = launch_plan(options)
            if plan is not None:
                return relaunch(plan, argv)
        result = run(options)
    except TrainerError as error:
        emit("error", kind=error.kind, message=error.message)
        print(f"rollout_trainer: {error.message}", file=sys.stderr)
        return EXIT_CODES[error.kind]
    except KeyboardInterrupt:
        emit("cancelled", checkpoint=None)
        return CANCELLED_EXIT
    except Exception as error:  # an unexpected failure still ends with one machine-readable line
        from .device import is_out_of_memory, out_of_memory_error

        if is_out_of_memory(error):
            oom = out_of_memory_error(error)
            emit("error", kind=oom.kind, message=oom.message)
            return EXIT_CODES[oom.kind]
        traceback.print_exc()
        emit("error", kind="internal", message=f"{type(error).__name__}: {error}")
        return 1
    if result.get("cancelled"):
        emit("cancelled", step=result["step"], checkpoints=result["checkpoints"])
        return CANCELLED_EXIT
    emit("done", **result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
