"""What the viewer's jobs ask of a model (a `ModelEntry` or a torch network) and the few helpers
they share: its network, name, input length and kind, the JASPAR release compared with, logo
heights, and draining a job generator. One place for `analysis` and `motif_jobs`."""

from __future__ import annotations

import numpy as np

# The JASPAR release of the known motifs in `core.zoo.PWM_BASELINE`, the default of every panel.
JASPAR_RELEASE = "JASPAR2024"


def module_of(model):
    """The torch network of a `ModelEntry` (loads it) or the network itself."""
    return model.module if hasattr(model, "module") and hasattr(model, "metadata") else model


def _unloaded_preset(model) -> str | None:
    """A lazily listed entry's preset (from its metadata), None once loaded or for a network."""
    if hasattr(model, "metadata") and not getattr(model, "loaded", True):
        return str(model.metadata.get("preset", ""))
    return None


def model_name(model) -> str:
    """An entry's name; for a bare network its preset and identity (cache keys of scripts)."""
    name = getattr(model, "name", None)
    if isinstance(name, str) and hasattr(model, "metadata"):
        return name
    return f"{getattr(model, 'preset', type(model).__name__)}@{id(model):x}"


def input_length(model) -> int:
    """The model's input length, from an entry's metadata (no loading) or the network; 0 if unknown."""
    if hasattr(model, "metadata") and hasattr(model, "input_length") and not callable(model.input_length):
        try:
            value = int(model.input_length)
        except (TypeError, ValueError):
            value = 0
        if value:
            return value
    return int(getattr(module_of(model), "input_length", 0) or 0)


def is_recurrent(model) -> bool:
    """True for networks with temporal output scores (rnn*, cnn-rnn* presets); reads only the
    metadata of an unloaded entry."""
    preset = _unloaded_preset(model)
    if preset is not None:
        return preset.startswith("rnn") or preset.startswith("cnn-rnn")
    return bool(getattr(module_of(model), "is_recurrent", False))


def has_first_conv(model) -> bool:
    """Whether filter / activation motifs apply (a first convolution over the letters); reads
    only the metadata of an unloaded entry."""
    preset = _unloaded_preset(model)
    if preset is not None:
        return not preset.startswith("rnn")
    from torch import nn

    return isinstance(getattr(module_of(model), "first_conv", None), nn.Conv1d)


def has_relu(model) -> bool:
    """Whether guided backpropagation differs from the gradient: only `nn.ReLU` modules are guided."""
    import torch

    return any(isinstance(m, torch.nn.ReLU) for m in module_of(model).modules())


def logo_heights(pwm) -> np.ndarray:
    """Classic logo heights (4, W) of a PWM (or its probabilities): probabilities x column
    information in bits against a uniform background (Schneider & Stephens 1990)."""
    probs = np.asarray(getattr(pwm, "probs", pwm), dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(probs > 0, probs * np.log2(probs), 0.0)
    return probs * (2.0 + plogp.sum(axis=0))[None, :]


def drain(gen, on_item=None):
    """Run a generator to its end (calling `on_item(item)` for each yield) and return its return value."""
    while True:
        try:
            item = next(gen)
        except StopIteration as stop:
            return stop.value
        if on_item is not None:
            on_item(item)
