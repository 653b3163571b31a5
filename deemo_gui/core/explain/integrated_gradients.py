"""Integrated gradients: the path integral of the gradient from a baseline to the sequence.

Source: Sundararajan, Taly & Yan 2017, "Axiomatic attribution for deep networks", ICML (eq. 1):
IG_i(x) = (x_i - b_i) * int_0^1 dS(b + a (x - b)) / dx_i da. Completeness: the attributions sum to
S(x) - S(b). The integral uses the Gauss-Legendre rule with ``n_steps`` nodes on [0, 1] (Captum's
default ``method="gausslegendre"``) or the trapezoid rule (``"riemann_trapezoid"``).

Baselines for DNA: ``"uniform"`` = 0.25 for every letter (the average one-hot column, the
"no information" input), or ``"shuffle"``: ``n_baselines`` dinucleotide shuffles of each sequence
(``deemo_gui.core.shuffle``, Altschul & Erickson 1985), whose IG maps are averaged — the reference
distribution DeepLIFT/SHAP uses for genomics (Lundberg & Lee 2017; tangermeme ``deep_lift_shap``,
``n_shuffles=20``). Completeness then holds against the mean score of the shuffles.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch

from deemo_gui.core.errors import ConfigError
from deemo_gui.core.sequences import decode, one_hot
from deemo_gui.core.shuffle import shuffle_all

from ._common import (
    as_onehot,
    batches,
    check_batch_size,
    check_target,
    evaluating,
    grad_context,
    logits_of,
    to_numpy,
)

BASELINES = ("uniform", "shuffle")
METHODS = ("gausslegendre", "riemann_trapezoid")
# n_steps 50: Captum IntegratedGradients.attribute default; Sundararajan et al. found 20-300 enough.
N_STEPS = 50
# 20 shuffles per sequence: tangermeme deep_lift_shap n_shuffles=20.
N_BASELINES = 20
# Warn when |sum(IG) - (S(x) - S(b))| exceeds this fraction of max(|S(x) - S(b)|, 1) (tangermeme
# warns on DeepLIFT convergence deltas the same way; Sundararajan et al. suggest a few percent).
COMPLETENESS_TOLERANCE = 0.05


def _nodes(n_steps: int, method: str) -> tuple[np.ndarray, np.ndarray]:
    if method == "gausslegendre":
        x, w = np.polynomial.legendre.leggauss(n_steps)
        return 0.5 * (x + 1.0), 0.5 * w
    if n_steps < 2:
        raise ConfigError("riemann_trapezoid needs n_steps >= 2")
    alphas = np.linspace(0.0, 1.0, n_steps)
    w = np.full(n_steps, 1.0 / (n_steps - 1))
    w[0] = w[-1] = 0.5 / (n_steps - 1)
    return alphas, w


def shuffled_baselines(X: torch.Tensor, n_baselines: int, seed: int = 0) -> torch.Tensor:
    """(n_baselines, N, 4, L) dinucleotide shuffles of each sequence (unknown bases shuffle as N)."""
    seqs = decode(X.numpy())
    out = [torch.from_numpy(one_hot(shuffle_all(seqs, seed=seed + k))) for k in range(n_baselines)]
    return torch.stack(out)


def integrated_gradients(
    model: torch.nn.Module,
    X,
    target: int = 0,
    baseline="uniform",
    n_steps: int = N_STEPS,
    n_baselines: int = N_BASELINES,
    method: str = "gausslegendre",
    batch_size: int = 256,
    seed: int = 0,
    device=None,
    return_delta: bool = False,
):
    """Integrated-gradients map (N, 4, L) of the logit of task ``target``.

    ``baseline``: ``"uniform"`` (0.25 everywhere), ``"shuffle"`` (``n_baselines`` dinucleotide
    shuffles per sequence, seeded by ``seed``, maps averaged), or an array broadcastable to X.
    ``batch_size`` counts interpolated inputs per backward pass. Warns when the completeness error
    exceeds ``COMPLETENESS_TOLERANCE``; ``return_delta=True`` also returns the per-sequence error
    sum(IG) - (S(x) - mean S(b)).
    """
    if method not in METHODS:
        raise ConfigError(f"integration method must be one of {', '.join(METHODS)}, got {method!r}")
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 1:
        raise ConfigError(f"n_steps must be a positive integer, got {n_steps!r}")
    X = as_onehot(X)
    target = check_target(model, target)
    batch_size = check_batch_size(batch_size)
    if isinstance(baseline, str):
        if baseline == "uniform":
            bases = torch.full_like(X, 0.25)[None]
        elif baseline == "shuffle":
            if isinstance(n_baselines, bool) or not isinstance(n_baselines, (int, np.integer)) or n_baselines < 1:
                raise ConfigError(f"n_baselines must be a positive integer, got {n_baselines!r}")
            bases = shuffled_baselines(X, int(n_baselines), seed)
        else:
            raise ConfigError(f"baseline must be one of {', '.join(BASELINES)} or an array, got {baseline!r}")
    else:
        b = torch.as_tensor(np.asarray(baseline) if not torch.is_tensor(baseline) else baseline).float().cpu()
        try:
            bases = torch.broadcast_to(b, X.shape).clone()[None]
        except RuntimeError:
            raise ConfigError(f"baseline of shape {tuple(b.shape)} does not broadcast to X {tuple(X.shape)}") from None
    alphas, weights = _nodes(int(n_steps), method)
    alphas_t = torch.tensor(alphas, dtype=torch.float32)
    weights_t = torch.tensor(weights, dtype=torch.float32)
    n_steps = len(alphas)
    N = len(X)
    total = torch.zeros_like(X)
    base_scores = torch.zeros(N)
    per_chunk = max(1, batch_size // n_steps)
    with evaluating(model, device) as dev:
        fx = logits_of(model, X, target, batch_size, dev)
        for B in bases:
            base_scores += logits_of(model, B, target, batch_size, dev)
            diff = X - B
            for s in batches(N, per_chunk):
                n = s.stop - s.start
                path = B[s, None] + alphas_t[None, :, None, None] * diff[s, None]  # (n, steps, 4, L)
                path = path.reshape(n * n_steps, *X.shape[1:]).to(dev).requires_grad_(True)
                with grad_context(dev, model):
                    (g,) = torch.autograd.grad(model(path)[:, target].sum(), path)
                g = g.float().cpu().reshape(n, n_steps, *X.shape[1:])
                total[s] += diff[s] * (g * weights_t[None, :, None, None]).sum(dim=1)
    attr = total / len(bases)
    delta = attr.sum(dim=(1, 2)) - (fx - base_scores / len(bases))
    scale = torch.clamp((fx - base_scores / len(bases)).abs(), min=1.0)
    worst = float((delta.abs() / scale).max()) if N else 0.0
    if worst > COMPLETENESS_TOLERANCE:
        warnings.warn(
            f"integrated gradients: completeness error up to {worst:.1%} of the score difference "
            f"with n_steps={n_steps}; raise n_steps for a more exact integral",
            stacklevel=2,
        )
    if return_delta:
        return to_numpy(attr), delta.numpy()
    return to_numpy(attr)
