"""DeepLIFT / DeepSHAP: attributions that add up to the score's change from shuffled references.

Sources: Shrikumar, Greenside & Kundaje 2017, "Learning important features through propagating
activation differences", ICML (the rescale rule: a nonlinearity's multiplier is the secant
Δout/Δin between the input and the reference instead of the tangent); Lundberg & Lee 2017, "A
unified approach to interpreting model predictions", NeurIPS (DeepSHAP: DeepLIFT averaged over a
distribution of references). For DNA the references are dinucleotide shuffles of each sequence,
20 by default, and the attribution of a position is placed on its observed letter, as in
tangermeme's ``deep_lift_shap`` (jmschrei/tangermeme, the field's reference implementation).

Rules, applied on a private copy of the network whose modules are swapped for rule modules (the
batch holds the sequences in its first half and their references in the second):

- ReLU, sigmoid, tanh, exp (and other elementwise activations): rescale rule; the plain gradient
  where |Δin| < 1e-6 (tangermeme/Captum's threshold).
- Max pooling (``MaxPool1d``, global ``AdaptiveMaxPool1d``): Captum's/tangermeme's rule: the change
  of each pooled value is routed to the winning positions of the sequence and of the reference.
- Products inside highway layers (gate × transform, (1 − gate) × carry): the midpoint rule,
  m_a = (b + b_ref)/2 (tangermeme ``BilinearOp``), exact for a product of two terms.
- Convolutions, linear layers, batch norm (eval), average pooling, dropout (eval): linear.

Every rule satisfies Δout = Σ m·Δin exactly, so the attributions of a sequence sum to
f(x) − mean f(refs) (completeness; the logit of task ``target``). LSTM gates have no rule here:
recurrent models are refused with a message naming the methods that do apply.
"""

from __future__ import annotations

import copy
import types
import warnings
import zlib

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from deemo_gui.core.errors import ConfigError, DataError
from deemo_gui.core.networks.layers import Exp, Highway
from deemo_gui.core.sequences import decode, one_hot
from deemo_gui.core.shuffle import dinucleotide_shuffle

from ._common import (
    as_onehot,
    batches,
    check_batch_size,
    check_target,
    evaluating,
    to_numpy,
)

# 20 shuffles per sequence: tangermeme deep_lift_shap n_shuffles=20 (also its DeepSHAP tutorials).
N_SHUFFLES = 20
# Warn when |sum(attributions) - (f(x) - mean f(refs))| exceeds this (logit units): tangermeme
# deep_lift_shap warning_threshold=0.001. float32 sums over a 101-nt window stay near 1e-5.
TOLERANCE = 1e-3
# Below this |Δin| the rescale rule falls back to the gradient (tangermeme `_rescale`, Captum).
EPS = 1e-6
RECURRENT_MESSAGE = (
    "DeepLIFT/SHAP is not defined for recurrent models here: its rescale rule has no form for the "
    "LSTM's multiplicative gates, so the attributions would not add up to the score; use integrated "
    "gradients, ISM or saliency for this model"
)

_ELEMENTWISE = (nn.ReLU, nn.Sigmoid, nn.Tanh, Exp, nn.ELU, nn.GELU, nn.Softplus, nn.LeakyReLU, nn.SiLU)
_LINEAR = (
    nn.Conv1d,
    nn.Linear,
    nn.BatchNorm1d,
    nn.Dropout,
    nn.Flatten,
    nn.AdaptiveAvgPool1d,
    nn.AvgPool1d,
    nn.Identity,
)


def _half(t: torch.Tensor) -> torch.Tensor:
    return t[: t.shape[0] // 2]


def _both(g: torch.Tensor) -> torch.Tensor:
    """The sequences' gradient for both halves (the references' half is never read)."""
    return torch.cat([g, g])


class _RescaleFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z, fn):
        y = fn(z)
        ctx.fn = fn
        ctx.save_for_backward(z, y)
        return y

    @staticmethod
    def backward(ctx, g):
        z, y = ctx.saved_tensors
        zx, zr = z.chunk(2)
        yx, yr = y.chunk(2)
        dz = zx - zr
        small = dz.abs() < EPS
        m = (yx - yr) / torch.where(small, torch.ones_like(dz), dz)
        if bool(small.any()):
            with torch.enable_grad():
                zg = zx.detach().requires_grad_(True)
                (slope,) = torch.autograd.grad(ctx.fn(zg).sum(), zg)
            m = torch.where(small, slope, m)
        return _both(_half(g) * m), None


class _MaxPoolFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z, pool):
        y, idx = pool(z)
        ctx.save_for_backward(z, y, idx)
        return y

    @staticmethod
    def backward(ctx, g):
        z, y, idx = ctx.saved_tensors
        zx, zr = z.chunk(2)
        yx, yr = y.chunk(2)
        ix, ir = idx.chunk(2)
        gx = _half(g)
        top = torch.maximum(yx, yr)
        routed = torch.zeros_like(zx)
        routed.scatter_add_(-1, ix, gx * (top - yr))  # the sequence's share, at its own maxima
        routed.scatter_add_(-1, ir, gx * (yx - top))  # what the reference's maxima lost
        dz = zx - zr
        zero = dz == 0
        plain = torch.zeros_like(zx).scatter_add_(-1, ix, gx)  # no change there: any multiplier sums right
        return _both(torch.where(zero, plain, routed / torch.where(zero, torch.ones_like(dz), dz))), None


class _ProductFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ax, ar = a.chunk(2)
        bx, br = b.chunk(2)
        gx = _half(g)
        return _both(gx * 0.5 * (bx + br)), _both(gx * 0.5 * (ax + ar))


class Rescale(nn.Module):
    """An elementwise activation with the rescale rule's backward pass."""

    def __init__(self, inner: nn.Module):
        super().__init__()
        self.inner = inner

    def forward(self, z):
        return _RescaleFn.apply(z, self.inner)


class MaxPoolRule(nn.Module):
    """A max pool with the DeepLIFT max-pool rule's backward pass."""

    def __init__(self, inner: nn.Module):
        super().__init__()
        self.inner = inner

    def _pool(self, z):
        p = self.inner
        if isinstance(p, nn.AdaptiveMaxPool1d):
            return F.adaptive_max_pool1d(z, p.output_size, return_indices=True)
        return F.max_pool1d(z, p.kernel_size, p.stride, p.padding, p.dilation, p.ceil_mode, return_indices=True)

    def forward(self, z):
        return _MaxPoolFn.apply(z, self._pool)


def _highway_forward(self, x):
    """`Highway.forward` with its two products under the midpoint rule (the activations are rule modules)."""
    t = self.sigmoid(self.gate(x))
    return _ProductFn.apply(t, self.relu(self.transform(x))) + _ProductFn.apply(1 - t, x)


def _swap_rules(module: nn.Module) -> None:
    for name, child in module.named_children():
        if isinstance(child, _ELEMENTWISE):
            setattr(module, name, Rescale(child))
        elif isinstance(child, (nn.MaxPool1d, nn.AdaptiveMaxPool1d)):
            setattr(module, name, MaxPoolRule(child))
        elif isinstance(child, nn.RNNBase):
            raise ConfigError(RECURRENT_MESSAGE)
        elif isinstance(child, _LINEAR):
            continue
        elif not any(True for _ in child.children()):
            raise ConfigError(
                f"DeepLIFT/SHAP has no rule for the {type(child).__name__} layer of this model; "
                "use integrated gradients, ISM or saliency"
            )
        else:
            _swap_rules(child)
            if isinstance(child, Highway):
                child.forward = types.MethodType(_highway_forward, child)  # type: ignore[method-assign]  # this instance's rule


def deeplift_network(model: nn.Module) -> nn.Module:
    """A private copy of ``model`` whose layers carry the DeepLIFT rules (the model is untouched);
    ConfigError for recurrent models and layers without a rule."""
    if getattr(model, "is_recurrent", False) or any(isinstance(m, nn.RNNBase) for m in model.modules()):
        raise ConfigError(RECURRENT_MESSAGE)
    net = copy.deepcopy(model)  # the rules replace modules for good: never the caller's network
    _swap_rules(net)
    return net


def shuffled_references(X, n_shuffles: int = N_SHUFFLES, seed: int = 0) -> torch.Tensor:
    """(N, n_shuffles, 4, L) dinucleotide shuffles of each sequence of one-hot ``X``.

    Each sequence's shuffles are seeded by ``seed`` and its own text, so a sequence gets the same
    references whether it is explained alone (the app) or in a file (the CLI). Unknown bases (N)
    stay N at their own positions, so they get no attribution.
    """
    X = as_onehot(X)
    out = np.zeros((len(X), n_shuffles, *X.shape[1:]), dtype=np.float32)
    for i, seq in enumerate(decode(X.numpy())):
        rng = np.random.default_rng([int(seed), zlib.crc32(seq.encode())])
        out[i] = one_hot([dinucleotide_shuffle(seq, rng) for _ in range(n_shuffles)])
    known = (X.sum(dim=1, keepdim=True) > 0).numpy()[:, None]
    return torch.from_numpy(out * known)


def _check_count(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ConfigError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def deep_lift_shap(
    model: nn.Module,
    X,
    target: int = 0,
    n_shuffles: int = N_SHUFFLES,
    seed: int = 0,
    references=None,
    hypothetical: bool = False,
    batch_size: int = 128,
    device=None,
    return_delta: bool = False,
    tolerance: float = TOLERANCE,
):
    """DeepLIFT/SHAP attributions (N, 4, L) of the logit of task ``target``.

    References: ``n_shuffles`` dinucleotide shuffles per sequence (seeded, `shuffled_references`),
    or ``references`` (N, K, 4, L). The attribution of each (sequence, reference) pair is
    multipliers × (x − ref); the map is their mean over the references, summed over the letters at
    each position and placed on the observed letter (tangermeme's default). ``hypothetical=True``
    returns instead what each of the four letters would contribute there (tangermeme's
    ``hypothetical=True``, the input of TF-MoDISco). ``batch_size`` counts sequence-reference pairs.

    ``return_delta=True`` also returns the per-sequence convergence delta
    sum(attributions) − (f(x) − mean f(refs)); a warning is issued when |delta| > ``tolerance``.
    """
    X = as_onehot(X)
    target = check_target(model, target)
    batch_size = check_batch_size(batch_size)
    net = deeplift_network(model)
    if references is None:
        refs = shuffled_references(X, _check_count(n_shuffles, "n_shuffles"), seed)
    else:
        refs = references.detach() if torch.is_tensor(references) else torch.as_tensor(np.asarray(references))
        refs = refs.to("cpu", torch.float32)
        if refs.ndim != 4 or refs.shape[0] != X.shape[0] or refs.shape[2:] != X.shape[1:] or refs.shape[1] < 1:
            raise DataError(
                f"references must have shape (N, K, 4, L) = ({X.shape[0]}, K, {X.shape[1]}, "
                f"{X.shape[2]}), got {tuple(refs.shape)}"
            )
    N, K = refs.shape[:2]
    pair_seq = torch.arange(N).repeat_interleave(K)
    flat_refs = refs.reshape(N * K, *X.shape[1:])
    hyp = torch.zeros_like(X)
    fx = torch.zeros(N)
    fref = torch.zeros(N)
    with evaluating(net, device) as dev:
        for s in batches(N * K, batch_size):
            seqs = pair_seq[s]
            x, r = X[seqs], flat_refs[s]
            inp = torch.cat([x, r]).to(dev).requires_grad_(True)
            with torch.enable_grad():
                out = net(inp)[:, target]
                (g,) = torch.autograd.grad(out[: len(x)].sum(), inp)
            m = g[: len(x)].detach().float().cpu()
            out = out.detach().float().cpu()
            # what each letter would contribute: m_letter - sum_c ref_c m_c (tangermeme hypothetical_attributions)
            hyp.index_add_(0, seqs, m - (r * m).sum(dim=1, keepdim=True))
            fx.index_add_(0, seqs, out[: len(x)])
            fref.index_add_(0, seqs, out[len(x) :])
    hyp /= K
    attr = hyp * X
    delta = attr.sum(dim=(1, 2)) - (fx - fref) / K
    worst = float(delta.abs().max()) if N else 0.0
    if worst > tolerance:
        warnings.warn(
            f"DeepLIFT/SHAP: convergence delta up to {worst:.3g} logit (tolerance {tolerance:g}): "
            "the attributions do not add up to f(x) − mean f(refs); a layer may lack a rule",
            stacklevel=2,
        )
    result = to_numpy(hyp if hypothetical else attr)
    if return_delta:
        return result, delta.numpy()
    return result
