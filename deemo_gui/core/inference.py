"""Batched prediction with the model's mode and device restored afterwards."""

from __future__ import annotations

import numpy as np
import torch

from deemo_gui.core.device import full_float32

# Sequences per forward pass: the fastest on CPU for the zoo's networks (benchmarks/reading.py; the
# time per sequence rises again past it as activations outgrow the caches).
BATCH_SIZE = 256


@torch.no_grad()
def predict_logits(model: torch.nn.Module, X, batch_size: int = BATCH_SIZE, device=None) -> np.ndarray:
    """Logits `(N, T)` for one-hot `X` `(N, 4, L)` (numpy or tensor), in eval mode."""
    param = next(model.parameters())
    device = full_float32(torch.device(device) if device is not None else param.device)
    was_training, old_device = model.training, param.device
    # Only touch the model when its mode or device must change: `.to()` re-flattens LSTM weights,
    # which breaks a forward pass of the same model in another thread (the app's workers).
    if was_training:
        model.eval()
    if device != old_device:
        model.to(device)
    try:
        X = torch.as_tensor(np.asarray(X) if not torch.is_tensor(X) else X, dtype=torch.float32)
        out = [model(X[i : i + batch_size].to(device)).float().cpu() for i in range(0, len(X), batch_size)]
    finally:
        if device != old_device:
            model.to(old_device)
        if was_training:
            model.train()
    if not out:
        return np.zeros((0, getattr(model, "n_tasks", 1)), dtype=np.float32)
    return torch.cat(out).numpy()


def predict_proba(model: torch.nn.Module, X, batch_size: int = BATCH_SIZE, device=None) -> np.ndarray:
    """P(bound) per task, `(N, T)` = sigmoid of the logits."""
    return 1.0 / (1.0 + np.exp(-predict_logits(model, X, batch_size, device)))
