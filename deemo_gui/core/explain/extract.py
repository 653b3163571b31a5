"""Motif extraction from the visualizations, for comparison with JASPAR (Tomtom).

Source: Lanchantin et al. 2017 (Deep Motif Dashboard, PSB) sec. 3.4 ("Extracting motifs"):

- saliency: in each positive sequence take the contiguous 9-nt window with the largest summed
  saliency (``position_saliency``, the dashboard's track); stack the 9-mers and count them into a PWM;
- temporal output: in each positive sequence take the 9-nt window that "shows the strongest score
  change from negative to positive": it ends where the forward temporal score crosses P(+) = 0.5
  from below, the largest such step when there are several. Crossings in the first ``width``
  positions are excluded (ours): there the prefix is shorter than the motif, and a CNN-RNN's scores
  swing at the start of every sequence; sequences with no later switch are left out and counted.
  ``rule="largest-rise"`` is this module's earlier rule (the largest rise anywhere, no crossing
  needed, windows near the start clamped). Stack and count.
  The windows are stacked as they lie: not re-aligned by offset or strand, so
  the pooled PWM blurs when the sites sit at different offsets within the windows or on both
  strands (``saliency_window_starts``/``temporal_window_starts`` give the windows one by one);
- class optimization: the most informative window (largest summed information content) of the
  optimized PWM, 9 columns wide by default, or as wide as a known motif when given its width;
- the baseline they compare with, DeepBind's "convolution activation" (Alipanahi et al. 2015,
  Nat Biotechnol 33:831, Supplementary Notes, visualising motif detectors): for each first-layer
  filter and each sequence whose largest activation is positive, the window at that largest
  activation; the aligned windows of a filter make its PWM.

Width 9: DeMo Dashboard sec. 3.4 (9-mers). Counts become probabilities with a pseudocount of 0.01
per letter (ours; keeps unseen letters finite for Tomtom and scanning).
"""

from __future__ import annotations

import numpy as np

from deemo_gui.core.errors import ConfigError, DataError

from ._common import as_onehot
from .filters import _counts_to_pwm, _first_layers, first_layer_activations, left_padding, windows_pwm

WIDTH = 9  # DeMo Dashboard sec. 3.4
PSEUDOCOUNT = 0.01  # ours


def _check_width(width: int, L: int) -> int:
    if isinstance(width, bool) or not isinstance(width, (int, np.integer)) or not 1 <= width <= L:
        raise ConfigError(f"motif width must be an integer in 1..{L} (the sequence length), got {width!r}")
    return int(width)


def _kmers_pwm(X: np.ndarray, starts: np.ndarray, width: int, **meta):
    from deemo_gui.core.motifs import PWM

    counts, _ = windows_pwm(X, np.arange(len(X)), starts, width)
    return PWM.from_counts(counts, pseudocount=PSEUDOCOUNT, nsites=float(len(X)), **meta)


def best_windows(track: np.ndarray, width: int) -> np.ndarray:
    """Start (N,) of the ``width``-long window with the largest sum of ``track`` (N, L) per row."""
    track = np.asarray(track, dtype=np.float64)
    c = np.cumsum(np.pad(track, ((0, 0), (1, 0))), axis=1)
    sums = c[:, width:] - c[:, :-width]
    return sums.argmax(axis=1)


def saliency_window_starts(attr: np.ndarray, width: int = WIDTH) -> np.ndarray:
    """Start (N,) of each sequence's best ``width``-nt window of per-position saliency |attr|."""
    from .saliency import position_saliency

    return best_windows(position_saliency(np.asarray(attr)), width)


TEMPORAL_RULES = ("switch", "largest-rise")


def temporal_window_starts(forward: np.ndarray, width: int = WIDTH, rule: str = "switch") -> np.ndarray:
    """Start (N,) of each sequence's ``width``-nt temporal window, -1 where it has none.

    ``rule="switch"`` (the paper's): the window ends at the step where the forward score goes from
    below 0.5 to 0.5 or above, the largest such step; steps ending before position ``width`` (0-based:
    a prefix no longer than the motif) are the start transient and do not count. ``"largest-rise"``:
    the window ends at the largest rise anywhere, clamped into the sequence (never -1).
    """
    forward = np.asarray(forward, dtype=np.float64)
    L = forward.shape[1]
    if L < 2:
        raise DataError("temporal motif extraction needs sequences of at least 2 nt")
    if rule not in TEMPORAL_RULES:
        raise ConfigError(f"temporal rule must be one of {', '.join(TEMPORAL_RULES)}, got {rule!r}")
    rise = np.diff(forward, axis=1)  # rise[:, t - 1]: the step into position t
    if rule == "largest-rise":
        end = rise.argmax(axis=1) + 1  # the window ends at `end` (inclusive)
        return np.clip(end - width + 1, 0, L - width)
    switch = (forward[:, :-1] < 0.5) & (forward[:, 1:] >= 0.5)
    switch[:, : max(width - 1, 0)] = False  # ends at t < width: the start transient
    score = np.where(switch, rise, -np.inf)
    end = score.argmax(axis=1) + 1
    return np.where(switch.any(axis=1), end - width + 1, -1)


def motif_from_saliency(X, attr=None, model=None, target: int = 0, width: int = WIDTH, **saliency_kwargs):
    """PWM of the best ``width``-nt saliency window of every sequence of ``X`` (give positives).

    ``attr`` (N, 4, L): a precomputed map (any method); otherwise gradient x input of ``model``.
    """
    from .saliency import saliency

    X = as_onehot(X)
    width = _check_width(width, X.shape[2])
    if attr is None:
        if model is None:
            raise ConfigError("motif_from_saliency needs a model or precomputed attributions")
        attr = saliency(model, X, target=target, **saliency_kwargs)
    attr = np.asarray(attr)
    if attr.shape != tuple(X.shape):
        raise DataError(f"attributions {attr.shape} do not match the sequences {tuple(X.shape)}")
    starts = saliency_window_starts(attr, width)
    return _kmers_pwm(
        X.numpy(),
        starts,
        width,
        id="saliency",
        name=f"saliency {width}-mers",
        source=f"best {width}-nt saliency window of {len(X)} sequences",
    )


def motif_from_temporal(
    X, forward=None, model=None, target: int = 0, width: int = WIDTH, rule: str = "switch", **temporal_kwargs
):
    """PWM of the ``width``-nt windows ending where the forward temporal score switches from negative
    to positive (``temporal_window_starts``); sequences without a switch are left out (DataError when
    none has one)."""
    from .temporal import temporal

    X = as_onehot(X)
    N, _, L = X.shape
    width = _check_width(width, L)
    if forward is None:
        if model is None:
            raise ConfigError("motif_from_temporal needs a model or precomputed forward scores")
        forward, _ = temporal(model, X, target=target, **temporal_kwargs)
    forward = np.asarray(forward, dtype=np.float64)
    if forward.shape != (N, L):
        raise DataError(f"forward scores {forward.shape} do not match the sequences ({N}, {L})")
    starts = temporal_window_starts(forward, width, rule)
    keep = np.flatnonzero(starts >= 0)
    if rule == "largest-rise":
        how = f"{width}-nt windows ending at the largest forward-score rise, {N} sequences"
    else:
        how = (
            f"{width}-nt windows ending where the forward score switches to P(+) >= 0.5 after the first "
            f"{width} positions, {len(keep)} of {N} sequences (the others never switch there)"
        )
    if not len(keep):
        raise DataError(
            f"no sequence's forward temporal score switches from P(+) < 0.5 to >= 0.5 after its "
            f"first {width} positions: no temporal motif"
        )
    return _kmers_pwm(X.numpy()[keep], starts[keep], width, id="temporal", name=f"temporal {width}-mers", source=how)


def motif_from_class_optimization(result, width: int = WIDTH):
    """The ``width`` most informative consecutive columns of a class-optimization PWM.

    ``result``: a ``ClassOptResult`` or a PWM. Pass a JASPAR motif's ``.width`` to match its size.
    """
    pwm = getattr(result, "pwm", result)
    width = _check_width(width, pwm.width)
    ic = pwm.information_content()
    start = int(best_windows(ic[None, :], width)[0])
    out = pwm.slice(start, start + width)
    out.id, out.name = "classopt", f"class optimization, {width} most informative columns"
    out.source = f"{pwm.source}; columns {start}..{start + width - 1}"
    return out


def activation_pwms(model, X, min_sites: int = 10, batch_size: int = 256, device=None) -> list:
    """DeepBind-style PWM of each first-layer filter: one window per sequence, at the filter's largest
    activation when it is positive. ``min_sites`` (ours): filters active in fewer sequences are left out."""
    conv, _ = _first_layers(model)
    X = as_onehot(X)
    k = conv.kernel_size[0]
    acts = first_layer_activations(model, X, batch_size, device)  # (N, F, L_out)
    Xn = X.numpy()
    name = getattr(model, "preset", type(model).__name__)
    out = []
    for j in range(acts.shape[1]):
        a = acts[:, j, :]
        pos = a.argmax(axis=1)
        seq_idx = np.flatnonzero(a[np.arange(len(a)), pos] > 0)
        if len(seq_idx) < max(int(min_sites), 1):
            continue
        counts, totals = windows_pwm(Xn, seq_idx, pos[seq_idx] - left_padding(conv), k)
        out.append(
            _counts_to_pwm(
                counts + PSEUDOCOUNT * (totals > 0),
                totals + 4 * PSEUDOCOUNT * (totals > 0),
                id=f"activation{j}",
                name=f"filter {j} activation",
                nsites=float(len(seq_idx)),
                source=f"DeepBind-style max activation of filter {j} of {name}",
            )
        )
    return out


METHODS = ("filters", "saliency", "temporal", "classopt", "activation")


def extract_motifs(model, method: str, X=None, target: int = 0, width: int = WIDTH, **kwargs) -> list:
    """Motifs of ``model`` by ``method`` (one of METHODS) as a list of PWMs.

    ``X``: the sequences to use (positives for saliency and temporal); not needed for classopt.
    Extra keyword arguments go to the underlying function (``filter_pwms``, ``class_optimization``...).
    """
    if method not in METHODS:
        raise ConfigError(f"motif method must be one of {', '.join(METHODS)}, got {method!r}")
    if method == "classopt":
        from .classopt import class_optimization

        return [motif_from_class_optimization(class_optimization(model, target=target, **kwargs), width)]
    if X is None:
        raise ConfigError(f"motif method {method!r} needs sequences")
    if method == "filters":
        from .filters import filter_pwms

        return filter_pwms(model, X, **kwargs)
    if method == "activation":
        return activation_pwms(model, X, **kwargs)
    if method == "saliency":
        return [motif_from_saliency(X, model=model, target=target, width=width, **kwargs)]
    return [motif_from_temporal(X, model=model, target=target, width=width, **kwargs)]
