"""The attribution methods, registered once (Captum's uniform `attribute(...)`): name, labels, which
networks each applies to, the compute function and its defaults. The app's analyses
(`viewer.analysis`), the Saliency panel and `deemo explain` look methods up here. Importing this
module imports no torch: each method's module is imported when it first computes.

Every `compute(model, X, target, **options)` returns `{output name: array}`: `attributions`
(N, 4, L) for attribution maps (plus `convergence_delta` (N,) for DeepLIFT/SHAP), `forward` and
`backward` (N, L) for temporal output scores.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from deemo_gui.core.errors import ConfigError

RECURRENT_ONLY = "temporal output scores need a recurrent network (rnn, cnn-rnn presets)"
NOT_RECURRENT = "DeepLIFT/SHAP has no rule for LSTM gates: not for recurrent networks"


@dataclass(frozen=True)
class Method:
    """One attribution method; see the module docstring."""

    name: str  # the app's key ("integrated_gradients")
    cli: str  # `deemo explain --method` ("ig")
    label: str  # progress texts ("integrated gradients")
    title: str  # the Saliency panel's choice ("Integrated gradients")
    description: str  # its tooltip: what it computes, after whom
    compute: Callable
    track: tuple[str, ...] = ("attributions",)  # outputs forming one sequence's array (stacked if several)
    options: tuple[str, ...] = ()  # keyword options `compute` takes (the CLI's flags)
    defaults: dict = field(default_factory=dict)  # the app's settings
    recurrent: bool | None = None  # True: recurrent networks only; False: never; None: any

    def unavailable(self, model) -> str:
        """Why the method does not apply to `model` ("" when it does)."""
        recurrent = bool(getattr(model, "is_recurrent", False))
        if self.recurrent is True and not recurrent:
            return RECURRENT_ONLY
        if self.recurrent is False and recurrent:
            return NOT_RECURRENT
        return ""


def _saliency(model, X, target, **kw):
    from deemo_gui.core import explain

    return {"attributions": explain.saliency(model, X, target, **kw)}


def _guided(model, X, target, **kw):
    from deemo_gui.core import explain

    return {"attributions": explain.guided(model, X, target, **kw)}


def _ism(model, X, target, **kw):
    from deemo_gui.core import explain

    return {"attributions": explain.ism(model, X, target, **kw)}


def _integrated_gradients(model, X, target, **kw):
    from deemo_gui.core import explain

    return {"attributions": explain.integrated_gradients(model, X, target, **kw)}


def _deeplift(model, X, target, **kw):
    from deemo_gui.core import explain

    attr, delta = explain.deep_lift_shap(model, X, target, return_delta=True, **kw)
    return {"attributions": attr, "convergence_delta": delta}


def _temporal(model, X, target, **kw):
    from deemo_gui.core import explain

    forward, backward = explain.temporal(model, X, target, **kw)
    return {"forward": forward, "backward": backward}


METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method(
            "saliency",
            "saliency",
            "saliency (gradient x input)",
            "Gradient × input",
            "The gradient of the logit at the observed base (Deep Motif Dashboard sec. 3.1): how much a small "
            "increase of that base's one-hot value raises the score",
            _saliency,
            options=("kind", "batch_size"),
            defaults={"kind": "grad_x_input"},
        ),
        Method(
            "guided",
            "guided",
            "guided backpropagation",
            "Guided backprop × input",
            "Guided backpropagation (Springenberg et al. 2015; Koo & Eddy 2019) at the observed base: only "
            "positive evidence flows back through each ReLU (networks without ReLUs, the rnn presets, give the "
            "plain gradient)",
            _guided,
            options=("kind", "batch_size"),
            defaults={"kind": "gradient"},
        ),
        Method(
            "integrated_gradients",
            "ig",
            "integrated gradients",
            "Integrated gradients",
            "Integrated gradients (Sundararajan et al. 2017) from a uniform 0.25 baseline: per position, the "
            "positions add up to logit(sequence) − logit(baseline)",
            _integrated_gradients,
            options=("baseline", "n_steps", "n_baselines", "seed", "batch_size"),
            defaults={"baseline": "uniform"},
        ),
        Method(
            "ism",
            "ism",
            "in-silico mutagenesis",
            "In-silico mutagenesis",
            "The logit change of every single-base substitution (0 at the observed base)",
            _ism,
            options=("start", "end", "output", "batch_size"),
        ),
        Method(
            "deeplift",
            "deeplift",
            "DeepLIFT/SHAP",
            "DeepLIFT/SHAP",
            "DeepLIFT/SHAP (Shrikumar et al. 2017; Lundberg & Lee 2017) with 20 dinucleotide-shuffled "
            "references, as tangermeme's deep_lift_shap: the positions add up to logit(sequence) − mean "
            "logit(references); the title gives the convergence delta. Not for recurrent models (no rule for "
            "LSTM gates): use IG, ISM or gradient × input there",
            _deeplift,
            options=("n_shuffles", "seed", "hypothetical", "batch_size"),
            recurrent=False,
        ),
        Method(
            "temporal",
            "temporal",
            "temporal output scores",
            "Temporal output scores",
            "Forward and backward output scores P(+) of each prefix and suffix (Deep Motif Dashboard sec. 3.2)",
            _temporal,
            track=("forward", "backward"),
            options=("definition", "batch_size"),
            recurrent=True,
        ),
    )
}
CLI_NAMES = {m.cli: m for m in METHODS.values()}


def method(name: str) -> Method:
    """A method by its app key or CLI name; ConfigError listing the methods otherwise."""
    found = METHODS.get(name) or CLI_NAMES.get(name)
    if found is None:
        raise ConfigError(f"unknown attribution method {name!r}; choose from {', '.join(METHODS)}")
    return found
