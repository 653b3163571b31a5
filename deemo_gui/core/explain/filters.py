"""First-layer filters as PWMs: align the sequence windows that activate each filter strongly.

Source: Koo & Eddy 2019, "Representation learning of genomic sequence motifs with convolutional
neural networks", PLoS Comput Biol 15:e1007560, Methods ("Filter visualization"), and their code
(p-koo/learning_sequence_motifs, code/deepomics/visualize.py ``activation_pwm``, called from
code/plot_conv_filters_*.py). For each filter of the first convolution, take its activations
(after the activation function, ``model.first_activation``) over all sequences; every position whose
activation exceeds ``threshold`` x the filter's maximum over the whole data set contributes the
sequence window that the filter saw there; the aligned windows are counted into a position
probability matrix.

- ``threshold``: their code uses 0.5 (``activation_pwm(fmap, X, threshold=0.5, ...)``); their
  Methods text says 70% of the maximum. Default 0.5 as in the code.
- ``window``: the filter width (their in-vivo script uses window=19 for 19-wide filters).
- ``weighted=True``: each window counts with its activation as weight, as in their code (``seq*weight``
  summed and divided by the summed weights of the windows present at that column).
- Windows that hang over a sequence end contribute nothing to the missing columns (their zero
  buffer); a column with no letters at all becomes uniform.
- ``trim_ic``/``trim_pad``: trim low-information flanks, keeping ``trim_pad`` columns beyond the
  first and last with IC >= ``trim_ic`` bits: Koo & Eddy's ``clip_filters(W, threshold=0.5, pad=3)``
  (code/helper.py), applied before Tomtom. ``trim_ic=None`` keeps the full width.
- ``min_sites``: filters with fewer activating windows are left out (ours: with a handful of
  sites the matrix is mostly noise). The PWM's ``nsites`` holds the number of windows.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from deemo_gui.core.errors import ConfigError

from ._common import as_onehot, batches, check_batch_size, evaluating, private_copy

THRESHOLD = 0.5  # Koo & Eddy code; their text: 0.7
TRIM_IC = 0.5  # Koo & Eddy helper.clip_filters threshold (bits)
TRIM_PAD = 3  # Koo & Eddy helper.clip_filters pad
MIN_SITES = 10  # ours


class _Stop(Exception):
    pass


def _first_layers(model: nn.Module) -> tuple[nn.Conv1d, nn.Module]:
    conv = getattr(model, "first_conv", None)
    act = getattr(model, "first_activation", None)
    if not isinstance(conv, nn.Conv1d) or act is None:
        name = getattr(model, "preset", type(model).__name__)
        raise ConfigError(f"{name!r} has no first convolution layer (first_conv): filter motifs need a CNN preset")
    if conv.stride[0] != 1 or conv.dilation[0] != 1 or conv.in_channels != 4:
        raise ConfigError("filter motifs need a first convolution over the 4 letters with stride 1 and no dilation")
    return conv, act


def left_padding(conv: nn.Conv1d) -> int:
    """Columns of padding left of the input: output position p sees inputs p - pad .. p - pad + k - 1."""
    k = conv.kernel_size[0]
    if conv.padding == "same":
        return (k - 1) // 2  # PyTorch pads the extra column of an even kernel on the right
    if conv.padding == "valid":
        return 0
    return int(conv.padding[0])


def first_layer_activations(model: nn.Module, X, batch_size: int = 256, device=None) -> np.ndarray:
    """Activations (N, F, L_out) of ``model.first_activation`` for one-hot X (N, 4, L).

    The forward pass stops right after that module (nothing downstream runs). The hook goes on a
    private copy of the model, never on the caller's.
    """
    _first_layers(model)
    model = private_copy(model)
    _, act = _first_layers(model)
    X = as_onehot(X)
    batch_size = check_batch_size(batch_size)
    captured = []

    def hook(module, inputs, output):
        captured.append(output.detach().float().cpu())
        raise _Stop

    out = []
    with evaluating(model, device) as dev, torch.no_grad():
        handle = act.register_forward_hook(hook)
        try:
            for s in batches(len(X), batch_size):
                captured.clear()
                try:
                    model(X[s].to(dev))
                except _Stop:
                    pass
                out.append(captured[0])
        finally:
            handle.remove()
    return torch.cat(out).numpy()


def windows_pwm(
    X: np.ndarray, seq_idx: np.ndarray, starts: np.ndarray, width: int, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted letter counts (4, width) of X[seq_idx, :, start:start+width] and per-column totals.

    Windows may start before 0 or end after L: the missing columns count nothing.
    """
    X = np.asarray(X, dtype=np.float64)
    N, _, L = X.shape
    padded = np.zeros((N, 4, L + 2 * width))
    padded[:, :, width : width + L] = X
    w = np.ones(len(seq_idx)) if weights is None else np.asarray(weights, dtype=np.float64)
    cols = starts[:, None] + width + np.arange(width)[None, :]  # (n, width) into padded
    win = padded[seq_idx[:, None], :, cols]  # (n, width, 4)
    counts = np.einsum("n,nwb->bw", w, win)
    return counts, counts.sum(axis=0)


def _counts_to_pwm(counts: np.ndarray, totals: np.ndarray, **meta):
    from deemo_gui.core.motifs import PWM

    probs = np.where(totals[None, :] > 0, counts / np.where(totals > 0, totals, 1.0)[None, :], 0.25)
    return PWM(probs=probs, **meta)


def filter_pwms(
    model: nn.Module,
    X,
    threshold: float = THRESHOLD,
    min_sites: int = MIN_SITES,
    trim_ic: float | None = TRIM_IC,
    trim_pad: int = TRIM_PAD,
    window: int | None = None,
    weighted: bool = True,
    batch_size: int = 256,
    device=None,
) -> list:
    """One PWM per first-layer filter that has ``min_sites`` activating windows (ids ``filter<j>``).

    See the module docstring for the method and where each default comes from.
    """
    if not 0 <= threshold < 1:
        raise ConfigError(f"threshold is a fraction of each filter's maximum activation in [0, 1), got {threshold}")
    conv, _ = _first_layers(model)
    X = as_onehot(X)
    k = conv.kernel_size[0]
    width = int(window) if window is not None else k
    if width < 1:
        raise ConfigError(f"window must be a positive width, got {window}")
    offset = left_padding(conv) + (width - k) // 2  # centre a window of another width on the filter's
    acts = first_layer_activations(model, X, batch_size, device)  # (N, F, L_out)
    Xn = X.numpy()
    name = getattr(model, "preset", type(model).__name__)
    pwms = []
    for j in range(acts.shape[1]):
        a = acts[:, j, :]
        peak = float(a.max())
        if not peak > 0:
            continue
        seq_idx, pos = np.nonzero(a > threshold * peak)
        if len(seq_idx) < max(int(min_sites), 1):
            continue
        weights = a[seq_idx, pos] if weighted else None
        counts, totals = windows_pwm(Xn, seq_idx, pos - offset, width, weights)
        pwm = _counts_to_pwm(
            counts,
            totals,
            id=f"filter{j}",
            name=f"filter {j}",
            nsites=float(len(seq_idx)),
            source=f"first-layer filter {j} of {name} (>{threshold:g} x max activation)",
        )
        if trim_ic is not None:
            pwm = pwm.trim(min_ic=trim_ic, pad=trim_pad)
        pwms.append(pwm)
    return pwms
