#!/usr/bin/env bash
# The trainer's GPU check, in one command on a machine with one or more NVIDIA GPUs:
#
#   bash bench/train/gpu-check.sh [MODEL]          # MODEL: a folder or hub id (default Qwen/Qwen2.5-0.5B-Instruct)
#
# Builds the CUDA trainer environment with the attention kernel and vLLM (sandbox/trainer/setup-venv.sh
# --variant cuda --with attention --with vllm; pip's own configuration picks the index), then runs, on MODEL:
# SFT with padding-free batches, SFT over every GPU with DDP when there are two or more, DPO, the PG step,
# `serve --engine vllm` answering one chat completion with the adapter, and bench/train --gpu (sft against
# TRL's SFTTrainer). Each step's outcome and figures go into one JSON line, printed last; a step that fails
# is recorded with its error and the others still run. Logs: $GPU_CHECK_DIR (default a fresh temp folder).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
model="${1:-Qwen/Qwen2.5-0.5B-Instruct}"
work="${GPU_CHECK_DIR:-$(mktemp -d /tmp/gpu-check-XXXXXX)}"
mkdir -p "$work"

if ! nvidia-smi -L >/dev/null 2>&1; then
  echo '{"gpu_check": "skipped", "reason": "nvidia-smi finds no GPU"}'
  exit 1
fi
python="$(bash "$root/sandbox/trainer/setup-venv.sh" --variant cuda --with attention --with vllm 2>"$work/setup.log" | tail -1)"
[ -f "$root/out/bench/train/index.js" ] || (cd "$root" && npm run build >"$work/build.log" 2>&1) || true
PYTHONPATH="$root/sandbox/trainer" exec "$python" "$root/bench/train/gpu_check.py" --model "$model" --work "$work" --root "$root"
