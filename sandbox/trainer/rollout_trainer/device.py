"""Where training runs: CUDA in bf16 when present (or asked for), CPU in fp32 otherwise."""

from dataclasses import dataclass
from importlib.util import find_spec

import torch

from .errors import TrainerError

# transformers loads this flash-attention build through the `kernels` package (requirements-attention.txt).
HUB_FLASH_KERNEL = "kernels-community/flash-attn2"


@dataclass
class Placement:
    device: str  # "cuda" or "cpu"
    dtype: torch.dtype
    attention: str  # transformers' attn_implementation
    padding_free: bool
    gradient_checkpointing: bool
    note: str = ""  # why a faster path is not taken, for the progress line

    def describe(self) -> dict:
        described = {
            "device": self.device,
            "dtype": str(self.dtype).removeprefix("torch."),
            "attention": self.attention,
            "padding_free": self.padding_free,
            "gradient_checkpointing": self.gradient_checkpointing,
        }
        if self.note:
            described["note"] = self.note
        return described


def variable_length_attention() -> str | None:
    """A CUDA attention kernel that runs packed rows without a mask: flash-attn, else the hub kernel via `kernels`."""
    if find_spec("flash_attn") is not None:
        return "flash_attention_2"
    if find_spec("kernels") is not None:
        return HUB_FLASH_KERNEL
    return None


def _switch(value: str, automatic: bool) -> bool:
    return value == "on" or (value == "auto" and automatic)


def resolve_placement(requested: str, padding_free: str = "auto", gradient_checkpointing: str = "auto") -> Placement:
    """`requested` is auto, cuda or cpu. On CUDA: bf16, a flash-attention kernel with padding-free batches when
    one is installed, sdpa with padded batches otherwise (said in `note`), gradient checkpointing on. On CPU:
    fp32, sdpa, padded batches and no checkpointing unless asked (see docs/trainer.md)."""
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
        kernel = variable_length_attention()
        packed = _switch(padding_free, kernel is not None)
        note = ""
        if kernel is None:
            # Without a variable-length kernel, sdpa would run a packed row under a dense block-diagonal
            # mask and lose its fused kernels: pad instead unless told otherwise.
            note = "no flash-attention kernel installed (sandbox/trainer/requirements-attention.txt): "
            note += "packed rows under sdpa, slower" if packed else "padded batches"
        return Placement(
            device="cuda",
            dtype=torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16,
            attention=kernel or "sdpa",
            padding_free=packed,
            gradient_checkpointing=_switch(gradient_checkpointing, True),
            note=note,
        )
    return Placement(
        device="cpu",
        dtype=torch.float32,
        attention="sdpa",
        padding_free=padding_free == "on",
        gradient_checkpointing=gradient_checkpointing == "on",
    )


def is_out_of_memory(error: BaseException) -> bool:
    return isinstance(error, torch.OutOfMemoryError) or "out of memory" in str(error).lower()


def out_of_memory_error(error: BaseException) -> TrainerError:
    return TrainerError(
        "oom",
        f"out of memory while training ({str(error).splitlines()[0] if str(error) else type(error).__name__}); "
        "lower --batch-size (raise --grad-accum to keep the effective batch), lower --max-length, "
        "turn on --gradient-checkpointing, or use a smaller base model",
    )
