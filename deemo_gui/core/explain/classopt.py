"""Class optimization: the input that the network finds most typical of the positive class.

Source: Lanchantin et al. 2017 (Deep Motif Dashboard, PSB) sec. 3.3 and Lanchantin et al. 2016
(Deep Motif, arXiv:1605.01133) sec. 2.2, after Simonyan et al. 2014: with the weights frozen, find
X = argmax S_+(X) - lam ||X||^2 by gradient steps on the input. Their code
(QData/DeepMotif, class_optimization.lua) fixes the details we follow:

- start from ``torch.rand(1, 101, 4)``: every entry uniform in [0, 1) (``init="random"``; we also
  offer ``init="uniform"``, 0.25 everywhere);
- minimise NLL(output, positive) + lam ||X||^2 with lam = 0.009, i.e. maximise
  log P(+) - lam ||X||^2 (``objective="log_prob"``; ``"logit"`` maximises the pre-sigmoid score
  as written in the papers, ``"prob"`` the probability itself);
- ``optim.rmsprop`` with learningRate 0.05 for 1000 iterations (the ``momentum=0.9`` in their config
  is ignored by Torch7's rmsprop); Torch7's rmsprop (alpha 0.99, epsilon 1e-8, epsilon added to
  the root) is the update of ``torch.optim.RMSprop`` with its defaults (written out in ``_rmsprop_step``);
- X is not constrained while optimising; afterwards it is clamped to [0, 1], divided by its
  maximum, 0.01 is added to every entry ("smoothing constant") and each position is normalised to
  sum to 1: that is the PWM.

``parametrization="simplex"`` (ours, after the issue a methods reviewer raised: the DeMo recipe
drives the unconstrained input towards 0 and its PWM is jitter rescaled by the maximum) keeps the
input a PWM while optimising: X = softmax(Z) over the four bases at each position, Z optimised by
Adam (lr 0.1, 300 steps), the same objective and penalty (lam ||X||^2 is smallest for a uniform
column, so positions the network ignores stay flat); the PWM is X itself, with no post-processing.

Restarts (different random starts) are optimised together as one batch: the optimisers act element
by element and the rows do not interact, so this is the same as running them one after another.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from deemo_gui.core.errors import ConfigError

from ._common import check_target, evaluating, grad_context

# Defaults: QData/DeepMotif class_optimization.lua.
LAMBDA = 0.009
LR = 0.05
STEPS = 1000
SMOOTHING = 0.01
OBJECTIVES = ("log_prob", "logit", "prob")
INITS = ("random", "uniform")
PARAMETRIZATIONS = ("demo", "simplex")
# The simplex parametrisation's optimiser (ours): Adam, lr and steps chosen on the zoo's REST cnn (its
# motif matches MA0138 REST at q 1e-7; the DeMo recipe's best match is NR6A1). BENCHMARKS.md compares the
# two recipes on every zoo model ("Class-optimized motifs vs JASPAR").
SIMPLEX_LR = 0.1
SIMPLEX_STEPS = 300


@dataclass
class ClassOptProgress:
    """Yielded every ``every`` steps: the best restart so far and its current PWM (4, L)."""

    step: int
    steps: int
    restart: int
    score: float  # P(+) of the best restart's current input
    scores: np.ndarray  # P(+) of every restart's current input
    pwm: np.ndarray  # (4, L) probabilities of the best restart, processed as the final PWM


@dataclass
class ClassOptResult:
    """The optimised input of the best restart, as a PWM and as the raw array, and the history."""

    pwm: object  # deemo_gui.core.motifs.PWM, (4, L)
    score: float  # P(+) of the optimised (raw, relaxed) input of the best restart: not a DNA sequence
    consensus_score: float  # P(+) of the one-hot consensus sequence (argmax of the optimised input per position)
    restart: int
    X: np.ndarray  # (4, L) raw optimised input of the best restart
    history: np.ndarray  # (restarts, steps + 1) P(+) after each step (column 0: the start)
    objective: str = "log_prob"
    settings: dict = field(default_factory=dict)


def to_pwm_probs(X: np.ndarray, smoothing: float = SMOOTHING) -> np.ndarray:
    """The DeMo code's post-processing of an optimised input (4, L) (or (R, 4, L)) to probabilities."""
    X = np.clip(np.asarray(X, dtype=np.float64), 0.0, 1.0)
    peak = X.max(axis=(-2, -1), keepdims=True)
    X = np.divide(X, peak, out=np.zeros_like(X), where=peak > 0)
    X = X + smoothing
    return X / X.sum(axis=-2, keepdims=True)


def _pwm_probs(X: np.ndarray, simplex: bool) -> np.ndarray:
    """The PWM probabilities of an optimised input: itself on the simplex, else `to_pwm_probs`."""
    X = np.asarray(X, dtype=np.float64)
    return X / X.sum(axis=-2, keepdims=True) if simplex else to_pwm_probs(X)


def _rmsprop_step(
    X: torch.Tensor, g: torch.Tensor, square_avg: torch.Tensor, lr: float, alpha: float = 0.99, eps: float = 1e-8
) -> None:
    """One step of `torch.optim.RMSprop` with its defaults (no momentum, not centred), in place:
    the same arithmetic, written out because importing `torch.optim` pulls in `torch._dynamo`
    (about a second at the app's start)."""
    with torch.no_grad():
        square_avg.mul_(alpha).addcmul_(g, g, value=1 - alpha)
        X.addcdiv_(g, square_avg.sqrt().add_(eps), value=-lr)


def _adam_step(
    Z: torch.Tensor,
    g: torch.Tensor,
    m: torch.Tensor,
    v: torch.Tensor,
    t: int,
    lr: float,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
) -> None:
    """One step of Adam (Kingma & Ba 2015, `torch.optim.Adam`'s defaults), in place; written out for
    the same reason as `_rmsprop_step`."""
    b1, b2 = betas
    with torch.no_grad():
        m.mul_(b1).add_(g, alpha=1 - b1)
        v.mul_(b2).addcmul_(g, g, value=1 - b2)
        denom = (v / (1 - b2**t)).sqrt_().add_(eps)
        Z.addcdiv_(m, denom, value=-lr / (1 - b1**t))


def _objective(logit: torch.Tensor, X: torch.Tensor, lam: float, objective: str) -> torch.Tensor:
    if objective == "log_prob":
        gain = F.logsigmoid(logit)
    elif objective == "logit":
        gain = logit
    else:
        gain = torch.sigmoid(logit)
    return -(gain - lam * X.pow(2).sum(dim=(1, 2)))  # one loss per restart


def class_optimization_steps(
    model: torch.nn.Module,
    target: int = 0,
    length: int | None = None,
    lam: float = LAMBDA,
    lr: float | None = LR,
    steps: int | None = STEPS,
    restarts: int = 1,
    seed: int = 0,
    every: int = 25,
    init: str = "random",
    objective: str = "log_prob",
    device=None,
    parametrization: str = "demo",
) -> Generator[ClassOptProgress | ClassOptResult, None, None]:
    """Generator: yields ``ClassOptProgress`` at step 0, every ``every`` steps and at the end, then
    one ``ClassOptResult``. Closing the generator cancels; the model's mode and device are restored.
    ``lr`` and ``steps`` of None: the parametrization's defaults (LR/STEPS, SIMPLEX_LR/SIMPLEX_STEPS).
    """
    from deemo_gui.core.motifs import PWM

    if parametrization not in PARAMETRIZATIONS:
        raise ConfigError(f"parametrization must be one of {', '.join(PARAMETRIZATIONS)}, got {parametrization!r}")
    simplex = parametrization == "simplex"
    lr = (SIMPLEX_LR if simplex else LR) if lr is None else lr
    steps = (SIMPLEX_STEPS if simplex else STEPS) if steps is None else steps
    target = check_target(model, target)
    length = int(length if length is not None else getattr(model, "input_length", 101))
    for name, value in (("length", length), ("steps", steps), ("restarts", restarts), ("every", every)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ConfigError(f"{name} must be a positive integer, got {value!r}")
    if init not in INITS:
        raise ConfigError(f"init must be one of {', '.join(INITS)}, got {init!r}")
    if objective not in OBJECTIVES:
        raise ConfigError(f"objective must be one of {', '.join(OBJECTIVES)}, got {objective!r}")
    if lam < 0 or lr <= 0:
        raise ConfigError(f"lam must be >= 0 and lr > 0, got lam={lam}, lr={lr}")
    gen = torch.Generator().manual_seed(int(seed))
    if init == "random":
        X0 = torch.rand(restarts, 4, length, generator=gen)
    else:
        X0 = torch.full((restarts, 4, length), 0.25)
    history = np.zeros((restarts, steps + 1), dtype=np.float64)
    with evaluating(model, device) as dev:
        # the parameter optimised: the input itself (demo) or the logits of its columns (simplex)
        P = (torch.log(X0.clamp_min(1e-3)) if simplex else X0).to(dev).requires_grad_(True)
        state = (torch.zeros_like(P), torch.zeros_like(P))
        for step in range(steps + 1):
            with grad_context(dev, model):  # never held across a yield: the cuDNN switch is global
                X = torch.softmax(P, dim=1) if simplex else P
                logit = model(X)[:, target]
                p = torch.sigmoid(logit.detach()).double().cpu().numpy()
                history[:, step] = p
                if step < steps:
                    loss = _objective(logit, X, lam, objective).sum()
                    (g,) = torch.autograd.grad(loss, P)
            if step % every == 0 or step == steps:
                best = int(np.argmax(p))
                yield ClassOptProgress(
                    step, steps, best, float(p[best]), p.copy(), _pwm_probs(X.detach()[best].cpu().numpy(), simplex)
                )
            if step == steps:
                break
            if simplex:
                _adam_step(P, g, *state, step + 1, lr)
            else:
                _rmsprop_step(P, g, state[0], lr)
        final = (torch.softmax(P, dim=1) if simplex else P).detach().cpu()
        with torch.no_grad():
            p_final = torch.sigmoid(model(final.to(dev))[:, target].float()).cpu().numpy()
            best = int(np.argmax(p_final))
            probs = _pwm_probs(final[best].numpy(), simplex)
            consensus = torch.zeros(1, 4, length)  # argmax of the raw input: clipping at 1 would make ties
            consensus[0, final[best].argmax(dim=0), torch.arange(length)] = 1.0
            p_consensus = float(torch.sigmoid(model(consensus.to(dev))[0, target].float()))
    name = getattr(model, "preset", type(model).__name__)
    pwm = PWM.from_probs(
        probs,
        id="classopt",
        name=f"class optimization task {target}",
        source=f"class optimization of {name} ({parametrization}, lam={lam}, lr={lr}, {steps} "
        f"steps); P(+) "
        f"{p_consensus:.3f} of its one-hot consensus, {float(p_final[best]):.3f} of the "
        "relaxed input",
    )
    yield ClassOptResult(
        pwm=pwm,
        score=float(p_final[best]),
        consensus_score=p_consensus,
        restart=best,
        X=final[best].numpy().astype(np.float32),
        history=history,
        objective=objective,
        settings={
            "lam": lam,
            "lr": lr,
            "steps": steps,
            "restarts": restarts,
            "seed": seed,
            "init": init,
            "target": target,
            "length": length,
            "parametrization": parametrization,
        },
    )


def class_optimization(
    model: torch.nn.Module,
    target: int = 0,
    length: int | None = None,
    lam: float = LAMBDA,
    lr: float | None = LR,
    steps: int | None = STEPS,
    restarts: int = 1,
    seed: int = 0,
    init: str = "random",
    objective: str = "log_prob",
    device=None,
    parametrization: str = "demo",
) -> ClassOptResult:
    """Run :func:`class_optimization_steps` to the end and return its ``ClassOptResult``."""
    result = None
    for item in class_optimization_steps(
        model,
        target,
        length,
        lam,
        lr,
        steps,
        restarts,
        seed,
        every=10**9,
        init=init,
        objective=objective,
        device=device,
        parametrization=parametrization,
    ):
        result = item
    assert isinstance(result, ClassOptResult), "class_optimization_steps ends with its result"
    return result
