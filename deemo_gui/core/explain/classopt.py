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
  the root) is the update of ``torch.optim.RMSprop`` with its defaults;
- X is not constrained while optimising; afterwards it is clamped to [0, 1], divided by its
  maximum, 0.01 is added to every entry ("smoothing constant") and each position is normalised to
  sum to 1: that is the PWM.

Restarts (different random starts) are optimised together as one batch: RMSprop acts element by
element and the rows do not interact, so this is the same as running them one after another.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from ._common import check_target, evaluating, grad_context
from deemo_gui.core.errors import ConfigError

# Defaults: QData/DeepMotif class_optimization.lua.
LAMBDA = 0.009
LR = 0.05
STEPS = 1000
SMOOTHING = 0.01
OBJECTIVES = ("log_prob", "logit", "prob")
INITS = ("random", "uniform")


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


def _objective(logit: torch.Tensor, X: torch.Tensor, lam: float, objective: str) -> torch.Tensor:
    if objective == "log_prob":
        gain = F.logsigmoid(logit)
    elif objective == "logit":
        gain = logit
    else:
        gain = torch.sigmoid(logit)
    return -(gain - lam * X.pow(2).sum(dim=(1, 2)))  # one loss per restart


def class_optimization_steps(
    model: torch.nn.Module, target: int = 0, length: int | None = None, lam: float = LAMBDA, lr: float = LR,
    steps: int = STEPS, restarts: int = 1, seed: int = 0, every: int = 25, init: str = "random",
    objective: str = "log_prob", device=None,
) -> Iterator[ClassOptProgress | ClassOptResult]:
    """Generator: yields ``ClassOptProgress`` at step 0, every ``every`` steps and at the end, then
    one ``ClassOptResult``. Closing the generator cancels; the model's mode and device are restored.
    """
    from deemo_gui.core.motifs import PWM

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
        X = X0.to(dev).requires_grad_(True)
        opt = torch.optim.RMSprop([X], lr=lr, alpha=0.99, eps=1e-8)
        for step in range(steps + 1):
            with grad_context(dev, model):  # never held across a yield: the cuDNN switch is global
                logit = model(X)[:, target]
                p = torch.sigmoid(logit.detach()).double().cpu().numpy()
                history[:, step] = p
                if step < steps:
                    loss = _objective(logit, X, lam, objective).sum()
                    (g,) = torch.autograd.grad(loss, X)
            if step % every == 0 or step == steps:
                best = int(np.argmax(p))
                yield ClassOptProgress(step, steps, best, float(p[best]), p.copy(),
                                       to_pwm_probs(X.detach()[best].cpu().numpy()))
            if step == steps:
                break
            X.grad = g
            opt.step()
            opt.zero_grad(set_to_none=True)
        final = X.detach().cpu()
        with torch.no_grad():
            p_final = torch.sigmoid(model(final.to(dev))[:, target].float()).cpu().numpy()
            best = int(np.argmax(p_final))
            probs = to_pwm_probs(final[best].numpy())
            consensus = torch.zeros(1, 4, length)  # argmax of the raw input: clipping at 1 would make ties
            consensus[0, final[best].argmax(dim=0), torch.arange(length)] = 1.0
            p_consensus = float(torch.sigmoid(model(consensus.to(dev))[0, target].float()))
    name = getattr(model, "preset", type(model).__name__)
    pwm = PWM.from_probs(probs, id="classopt", name=f"class optimization task {target}",
                         source=f"class optimization of {name} (lam={lam}, lr={lr}, {steps} steps); P(+) "
                                f"{p_consensus:.3f} of its one-hot consensus, {float(p_final[best]):.3f} of the "
                                "relaxed input")
    yield ClassOptResult(
        pwm=pwm, score=float(p_final[best]), consensus_score=p_consensus, restart=best,
        X=final[best].numpy().astype(np.float32), history=history, objective=objective,
        settings={"lam": lam, "lr": lr, "steps": steps, "restarts": restarts, "seed": seed, "init": init,
                  "target": target, "length": length},
    )


def class_optimization(model: torch.nn.Module, target: int = 0, length: int | None = None, lam: float = LAMBDA,
                       lr: float = LR, steps: int = STEPS, restarts: int = 1, seed: int = 0,
                       init: str = "random", objective: str = "log_prob", device=None) -> ClassOptResult:
    """Run :func:`class_optimization_steps` to the end and return its ``ClassOptResult``."""
    result = None
    for item in class_optimization_steps(model, target, length, lam, lr, steps, restarts, seed,
                                         every=max(int(steps), 1), init=init, objective=objective, device=device):
        result = item
    return result
