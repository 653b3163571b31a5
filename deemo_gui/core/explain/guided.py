"""Guided backpropagation and the Koo & Eddy saliency logo.

Guided backpropagation: Springenberg, Dosovitskiy, Brox & Riedmiller 2015, "Striving for
simplicity: the all convolutional net" (ICLR workshop, arXiv:1412.6806), sec. 3.4: at every ReLU the
backward signal is zeroed where the forward input was negative (the ordinary ReLU gradient) *and*
where the incoming gradient is negative. Used for genomic CNNs by Koo & Eddy 2019 ("Representation
learning of genomic sequence motifs with convolutional neural networks", PLoS Comput Biol
15:e1007560, Methods), from the logit: their code takes the layer before the output activation
(p-koo/learning_sequence_motifs, code/deepomics/saliency.py: ``layer = list(nnmodel.network.keys())[-2]``).

Only ``nn.ReLU`` modules are guided, as in Captum's ``GuidedBackprop``; ``F.relu`` calls and other
non-linearities (the LSTM's sigmoids and tanh, highway gates) keep their ordinary gradient. For the
pure recurrent presets (rnn*) there is no ReLU at all and guided backpropagation equals the gradient.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
from torch import nn

from deemo_gui.core.errors import ConfigError

from ._common import (
    as_onehot,
    check_batch_size,
    check_target,
    evaluating,
    input_gradients,
    private_copy,
    to_numpy,
)

KINDS = ("gradient", "grad_x_input")
# Koo & Eddy's saliency logos: p-koo/learning_sequence_motifs code/deepomics/visualize.py
# plot_pos_saliency(..., norm_factor=3) -> utils.normalize_pwm(W, factor=3).
SALIENCY_LOGO_LAMBDA = 3.0


def _positive(grad: torch.Tensor) -> torch.Tensor:
    return grad.clamp(min=0)


def _guided_forward(x: torch.Tensor) -> torch.Tensor:
    # ReLU whose output passes only positive gradients back; the ReLU's own backward then zeroes
    # them where the input was negative: grad_in = max(grad_out, 0) * [x > 0].
    out = torch.relu(x)
    if out.requires_grad:
        out.register_hook(_positive)
    return out


class guided_relus:
    """Context manager: every ``nn.ReLU`` of ``model`` back-propagates the guided way inside it.

    The ReLU modules' ``forward`` is replaced for the block (an instance attribute, removed on exit),
    so hooks other code registered on them still run.
    """

    def __init__(self, model: nn.Module):
        self.model = model
        self.patched: list[nn.ReLU] = []

    def __enter__(self):
        relus = [m for m in self.model.modules() if isinstance(m, nn.ReLU)]
        if any(m.inplace for m in relus):
            raise ConfigError("guided backpropagation needs out-of-place ReLUs (nn.ReLU(inplace=False))")
        for m in relus:
            m.forward = _guided_forward
            self.patched.append(m)
        return len(relus)

    def __exit__(self, *exc):
        for m in self.patched:
            del m.forward
        self.patched.clear()
        return False


def guided(
    model: nn.Module, X, target: int = 0, kind: str = "gradient", batch_size: int = 256, device=None
) -> np.ndarray:
    """Guided-backpropagation map (N, 4, L) of the logit of task ``target``.

    kind ``"gradient"`` (default; Captum ``GuidedBackprop`` and Koo & Eddy's saliency) or
    ``"grad_x_input"`` (times the one-hot input). Warns when the model has no ``nn.ReLU`` (then the
    result is the plain gradient).
    """
    if kind not in KINDS:
        raise ConfigError(f"guided kind must be one of {', '.join(KINDS)}, got {kind!r}")
    X = as_onehot(X)
    target = check_target(model, target)
    batch_size = check_batch_size(batch_size)
    model = private_copy(model)  # patched ReLUs must not leak into other threads' gradients
    with evaluating(model, device) as dev, guided_relus(model) as n_relu:
        if n_relu == 0:
            warnings.warn(
                f"{getattr(model, 'preset', type(model).__name__)} has no nn.ReLU modules: guided "
                "backpropagation equals the plain gradient",
                stacklevel=2,
            )
        grad = input_gradients(model, X, target, batch_size, dev)
    return to_numpy(grad * X if kind == "grad_x_input" else grad)


def saliency_logo(attr, lam: float = SALIENCY_LOGO_LAMBDA) -> np.ndarray:
    """Koo & Eddy's saliency logo heights (N, 4, L) from an attribution map (N, 4, L).

    Per sequence (p-koo/learning_sequence_motifs, code/deepomics/utils.py ``normalize_pwm`` and
    visualize.py ``seq_logo``):

    1. S = attr / max|attr| over the sequence's whole (4, L) map;
    2. P = exp(lam * S), normalised so each position's four values sum to 1 (a Boltzmann
       distribution over letters; lam = 3 in their plots);
    3. heights = P x IC, IC = 2 - H(P) bits per position (the classic sequence-logo scaling,
       Schneider & Stephens 1990).

    A map that is all zero gives zero heights.
    """
    a = np.asarray(attr, dtype=np.float64)
    if a.ndim == 2:
        a = a[None]
    if a.ndim != 3 or a.shape[1] != 4:
        raise ConfigError(f"attributions must have shape (N, 4, L), got {a.shape}")
    peak = np.abs(a).max(axis=(1, 2), keepdims=True)
    S = np.divide(a, peak, out=np.zeros_like(a), where=peak > 0)
    P = np.exp(lam * S)
    P /= P.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(P > 0, P * np.log2(P), 0.0)
    ic = 2.0 + plogp.sum(axis=1, keepdims=True)
    return (P * ic).astype(np.float32)
