"""Saliency maps: the derivative of the class score with respect to the one-hot input.

Source: Lanchantin, Singh, Wang & Qi 2017, "Deep Motif Dashboard: Visualizing and Understanding
Genomic Sequences Using Deep Neural Networks", PSB 22:254, sec. 3.1, after Simonyan, Vedaldi &
Zisserman 2014 ("Deep inside convolutional networks", arXiv:1312.6034): a first-order Taylor
expansion of the class score S_c(X) ~ w^T X + b around the sequence, w = dS_c/dX. The released code
(QData/DeepMotif, saliency_map.lua) multiplies |w| by the one-hot input, i.e. it keeps the gradient
at the observed letter of each position, and draws that as a heat map along the sequence.

Here the class score is the logit of task ``target`` (before the sigmoid), as in Simonyan et al.
"""

from __future__ import annotations

import numpy as np
import torch

from deemo_gui.core.errors import ConfigError

from ._common import as_onehot, check_batch_size, check_target, evaluating, input_gradients, to_numpy

KINDS = ("grad_x_input", "gradient", "signed")


def saliency(
    model: torch.nn.Module, X, target: int = 0, kind: str = "grad_x_input", batch_size: int = 256, device=None
) -> np.ndarray:
    """Saliency map (N, 4, L) of the logit of task ``target`` for one-hot ``X`` (N, 4, L).

    kind:
      - ``"grad_x_input"`` (default): gradient x input. Zero except at the observed letter, where it
        is the gradient there; ``position_saliency`` of it is the DeMo Dashboard track. Equals
        Captum ``InputXGradient``.
      - ``"gradient"``: the raw gradient for all four letters at every position (the "hypothetical"
        contribution of each letter). Equals Captum ``Saliency(abs=False)``.
      - ``"signed"``: the gradient minus its mean over the four letters at each position. One-hot
        inputs live on the simplex, so the component of the gradient common to all four letters is
        meaningless noise; removing it (Majdandzic, Rajesh & Koo 2023, "Correcting gradient-based
        interpretations of deep neural networks for genomics", Genome Biology 24:109) gives signed
        per-letter effects relative to the average letter, suited to logos with negative heights.

    ``batch_size`` 256: the DeMo code's batch size (QData/DeepMotif main.lua -batch_size 256).
    """
    if kind not in KINDS:
        raise ConfigError(f"saliency kind must be one of {', '.join(KINDS)}, got {kind!r}")
    X = as_onehot(X)
    target = check_target(model, target)
    batch_size = check_batch_size(batch_size)
    with evaluating(model, device) as dev:
        grad = input_gradients(model, X, target, batch_size, dev)
    return to_numpy(_apply_kind(grad, X, kind))


def _apply_kind(grad: torch.Tensor, X: torch.Tensor, kind: str) -> torch.Tensor:
    if kind == "gradient":
        return grad
    if kind == "grad_x_input":
        return grad * X
    return grad - grad.mean(dim=1, keepdim=True)


def position_saliency(attr) -> np.ndarray:
    """Per-position magnitude (N, L) of an attribution map (N, 4, L) (a single (4, L) map gives (1, L)).

    The sum over the four letters of |attr|. For gradient x input this is |dS/dx| at the observed
    letter: exactly the DeMo Dashboard's saliency track (QData/DeepMotif saliency_map.lua:
    ``abs(inputGrads) * X``, one value per position). Positions with an unknown base (all-zero
    one-hot column) get 0. For other maps (raw gradient, ISM) it is their total magnitude there.
    """
    a = np.asarray(attr, dtype=np.float32)
    if a.ndim == 2:
        a = a[None]
    if a.ndim != 3 or a.shape[1] != 4:
        raise ConfigError(f"attributions must have shape (N, 4, L), got {a.shape}")
    return np.abs(a).sum(axis=1)
