#!/usr/bin/env bash
# Builds (or finds) the trainer's virtual environment and prints its python on the last line.
#
#   sandbox/trainer/setup-venv.sh [--variant cpu|cuda] [--print-dir] [--with attention|vllm]…
#
# The venv lives in ${ROLLOUT_CACHE:-$HOME/.cache/rollout-studio}/trainer-venv-<variant>-<key>, where
# <key> hashes requirements.txt and the torch file of the variant: an unchanged pin set is never
# reinstalled, a changed one gets a fresh venv. The variant defaults to cuda when nvidia-smi finds a
# GPU, cpu otherwise. pip options (index, find-links) come from pip's own config or PIP_* variables.
# src/core/train/venv.ts computes the same key; keep the two in step.
#
# Optional extras for GPU machines (neither is in the local wheel store; they come from the index pip reaches):
#   --with attention   requirements-attention.txt into the venv: a flash-attention kernel, so CUDA training packs
#                      batches without padding (without it, batches are padded and the progress line says so)
#   --with vllm        requirements-vllm.txt into a venv of its own, <venv>-vllm, for `rollout serve --engine vllm`
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
variant=""
print_dir=0
extras=()
while [ $# -gt 0 ]; do
  case "$1" in
    --variant) variant="$2"; shift 2 ;;
    --print-dir) print_dir=1; shift ;;
    --with) extras+=("$2"); shift 2 ;;
    *) echo "setup-venv.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
if [ -z "$variant" ]; then
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then variant=cuda; else variant=cpu; fi
fi
torch_file="$here/requirements-torch-$variant.txt"
[ -f "$torch_file" ] || { echo "setup-venv.sh: no torch pin for variant '$variant' ($torch_file)" >&2; exit 2; }

key="$(cat "$here/requirements.txt" "$torch_file" | sha256sum | cut -c1-16)"
cache="${ROLLOUT_CACHE:-$HOME/.cache/rollout-studio}"
venv="$cache/trainer-venv-$variant-$key"
if [ "$print_dir" = 1 ]; then echo "$venv"; exit 0; fi

python_bin="${ROLLOUT_PYTHON:-python3}"
if [ ! -f "$venv/.complete" ]; then
  # No marker means an interrupted build: discard it rather than trust it.
  rm -rf "$venv"
  mkdir -p "$cache"
  echo "setup-venv.sh: building $venv" >&2
  # A machine whose pip reads a local wheel store as an extra index must not wait on the unreachable
  # default one: the local store becomes the index unless PIP_INDEX_URL already names one.
  if [ -z "${PIP_INDEX_URL:-}" ]; then
    stores=$("$python_bin" -m pip config get global.extra-index-url 2>/dev/null || true)
    first=${stores%% *}
    case "$first" in
      file://*) export PIP_INDEX_URL="$first"; rest=${stores#"$first"}; [ -n "${rest# }" ] && export PIP_EXTRA_INDEX_URL="${rest# }" ;;
    esac
  fi
  "$python_bin" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r "$torch_file" -r "$here/requirements.txt" >&2
  "$venv/bin/python" -m pip check >&2
  touch "$venv/.complete"
fi
for extra in "${extras[@]}"; do
  case "$extra" in
    attention)
      "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements-attention.txt" >&2 ;;
    vllm)
      if [ ! -f "$venv-vllm/.complete" ]; then
        rm -rf "$venv-vllm"
        "$python_bin" -m venv "$venv-vllm"
        "$venv-vllm/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements-vllm.txt" >&2
        touch "$venv-vllm/.complete"
      fi ;;
    *) echo "setup-venv.sh: unknown extra '$extra' (attention or vllm)" >&2; exit 2 ;;
  esac
done
echo "$venv/bin/python"
