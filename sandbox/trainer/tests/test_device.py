"""Device placement: CUDA in bf16 when there is a GPU, a clear error when one is asked for and absent."""

from importlib.util import find_spec

import torch

from conftest import run_trainer
from rollout_trainer.device import is_out_of_memory, out_of_memory_error, resolve_placement


def test_requesting_cuda(tmp_path, tiny_model, sft_dataset):
    if torch.cuda.is_available():
        placement = resolve_placement("cuda")
        flash = find_spec("flash_attn") is not None
        assert (placement.device, placement.dtype) == ("cuda", torch.bfloat16)
        assert (placement.attention, placement.padding_free) == (("flash_attention_2", True) if flash else ("sdpa", False))
    else:
        code, events, _ = run_trainer("sft", "--data", sft_dataset, "--base-model", tiny_model, "--out", str(tmp_path), "--device", "cuda")
        assert code == 4
        assert events[-1]["kind"] == "no_gpu"
        assert events[-1]["message"].startswith("--device cuda was requested but torch sees no CUDA GPU")


def test_cpu_placement_is_fp32_with_padding_unless_asked():
    assert resolve_placement("cpu").describe() == {
        "device": "cpu", "dtype": "float32", "attention": "sdpa", "padding_free": False, "gradient_checkpointing": False,
    }
    assert resolve_placement("cpu", "on").padding_free is True


def test_out_of_memory_is_recognised_and_explained():
    error = torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
    assert is_out_of_memory(error)
    explained = out_of_memory_error(error)
    assert explained.kind == "oom"
    assert "lower --batch-size" in explained.message and "Tried to allocate 2.00 GiB" in explained.message
