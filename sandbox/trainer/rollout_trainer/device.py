"""Where training runs: CUDA in bf16 when present (or asked for), CPU in fp32 otherwise."""

from dataclasses import dataclass
from importlib.util import find_spec

import torch

from .errors import TrainerError


@dataclass
class Placement:
    device: str  # "cuda" or "cpu"
    dtype: torch.dtype
    attention: str  # transformers' attn_implementation
    padding_free: bool
    gradient_checkpointing: bool

    def describe(self) -> dict:
        return {
            "device": self.device,
            "dtype": str(self.dtype).removeprefix("torch."),
            "attention": self.attention,
            "padding_free": self.padding_free,
            "gradient_checkpointing": self.gradient_checkpointing,
        }


def resolve_placement(requested: str, padding_free: str = "auto") -> Placement:
    """`requested` is auto, cuda or cpu. On CUDA, flash-attention-2 with padding-free packing when the
    `flash_attn` package is installed (its variable-length kernel), sdpa with padding otherwise; on
    CPU sdpa with plain padding, which measured fastest there (see docs/trainer.md)."""
    if requested not in ("auto", "cuda", "cpu"):
        raise TrainerError("usage", f"--device must be auto, cuda or cpu, not {requested!r}")
    has_cuda = torch.cuda.is_available()
    if requested == "cuda" and not has_cuda:
        raise TrainerError(
            "no_gpu",
            "--device cuda was requested but torch sees no CUDA GPU "
            f"(torch {torch.__version__}, CUDA build: {torch.version.cuda or 'no'}); "
            "install a CUDA build of torch or run with --device cpu",
        )
    if requested == "cuda" or (requested == "auto" and has_cuda):
        bf16 = torch.cuda.is_bf16_supported()
        flash = find_spec("flash_attn") is not None
        return Placement(
            device="cuda",
            dtype=torch.bfloat16 if bf16 else torch.float16,
            attention="flash_attention_2" if flash else "sdpa",
            # Without a variable-length kernel, sdpa would run the packed row under a dense
            # block-diagonal mask and lose its fused kernels: pad instead unless told otherwise.
            padding_free=padding_free == "on" or (padding_free == "auto" and flash),
            gradient_checkpointing=True,
        )
    return Placement(device="cpu", dtype=torch.float32, attention="sdpa", padding_free=padding_free == "on", gradient_checkpointing=False)


def is_out_of_memory(error: BaseException) -> bool:
    return isinstance(error, torch.OutOfMemoryError) or "out of memory" in str(error).lower()


def out_of_memory_error(error: BaseException) -> TrainerError:
    return TrainerError(
        "oom",
        f"out of memory while training ({str(error).splitlines()[0] if str(error) else type(error).__name__}); "
        "lower --batch-size (raise --grad-accum to keep the effective batch), lower --max-length, "
        "or use a smaller base model",
    )
