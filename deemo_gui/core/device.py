"""Device choice in one place: `auto` = CUDA, then Apple MPS, then CPU."""

from __future__ import annotations

import torch

from deemo_gui.core.errors import ConfigError

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


def full_float32(device: torch.device) -> torch.device:
    """`device`, with cuDNN's TF32 convolutions switched off when it is a CUDA GPU (PyTorch turns them
    on by default; its matrix products already run in full float32). With TF32 an H200 moved a cnn's
    logits by up to 6.5e-4 and one DeepLIFT attribution by 1.3 % against the CPU; without it they agree
    to 1e-4 (tests/core/test_cuda.py). Mixed precision (`--amp`) is the fast option. Process-wide and
    never switched back, so threads cannot race on it."""
    if device.type == "cuda":
        torch.backends.cudnn.allow_tf32 = False
    return device


def resolve_device(name: str | torch.device = "auto") -> torch.device:
    """A `torch.device` for `name` (full float32 on CUDA: `full_float32`); asking for a device that is
    not there is a ConfigError."""
    if isinstance(name, torch.device):
        return full_float32(name)
    name = str(name).lower()
    if name == "auto":
        if torch.cuda.is_available():
            return full_float32(torch.device("cuda"))
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ConfigError("device 'cuda' asked for, but no CUDA GPU is available here; use --device cpu or auto")
        return full_float32(torch.device(name))
    if name == "mps":
        if not (getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()):
            raise ConfigError("device 'mps' asked for, but Apple MPS is not available here; use --device cpu or auto")
        return torch.device("mps")
    if name == "cpu":
        return torch.device("cpu")
    raise ConfigError(f"unknown device {name!r}; choose one of {', '.join(DEVICE_CHOICES)}")


def available_devices() -> list[str]:
    """Devices a user can pick here, for menus."""
    out = ["auto", "cpu"]
    if torch.cuda.is_available():
        out.append("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        out.append("mps")
    return out
