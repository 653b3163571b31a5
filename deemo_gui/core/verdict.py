"""The trust verdict: can a biologist believe this model's explanations? Computed from the model file.

Each check gives one line a user can act on; the level is the worst of them:
- **untrusted**: the network does not beat the baselines stored in its file (best single JASPAR PWM,
  gapped k-mer logistic regression): its held-out AUROC is more than `BASELINE_MARGIN` below the
  better one; or its AUROC is near chance (under `NEAR_CHANCE`);
- **caution**: the evaluation set is too small to tell (the AUROC's standard error, Hanley & McNeil
  1982, is over `MAX_AUROC_SE`), there is no held-out evaluation, training stopped at its epoch cap
  or its time limit while still improving, the first-layer filters barely moved from their
  initialisation (Pearson r over `MAX_INIT_CORRELATION`: the Filters panel would draw mostly the
  random start), or the file records no baselines.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

BASELINE_MARGIN = 0.01
NEAR_CHANCE = 0.6
MAX_AUROC_SE = 0.03
MAX_INIT_CORRELATION = 0.9
LEVELS = ("trusted", "caution", "untrusted")
_KEY = {"test": "test_auroc", "validation": "valid_auroc"}  # the baselines' figures (core.baselines)


@dataclass
class Verdict:
    level: str = "trusted"
    items: list[tuple[str, str]] = field(default_factory=list)  # (level, reason)

    def add(self, level: str, reason: str) -> None:
        self.items.append((level, reason))
        if LEVELS.index(level) > LEVELS.index(self.level):
            self.level = level

    @property
    def reasons(self) -> list[str]:
        """The reasons, the gravest first."""
        return [r for _, r in sorted(self.items, key=lambda item: -LEVELS.index(item[0]))]

    @property
    def summary(self) -> str:
        """One line: the level and the first reason."""
        if self.level == "trusted":
            return "trusted: matches or beats its baselines on held-out data"
        return f"{self.level}: " + "; ".join(self.reasons)


def auroc_standard_error(auc: float, n_pos: int, n_neg: int) -> float:
    """Hanley & McNeil (1982) standard error of an AUROC from n_pos positives and n_neg negatives."""
    if n_pos < 1 or n_neg < 1:
        return math.inf
    q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
    var = (auc * (1 - auc) + (n_pos - 1) * (q1 - auc * auc) + (n_neg - 1) * (q2 - auc * auc)) / (n_pos * n_neg)
    return math.sqrt(max(var, 0.0))


def _held_out(meta: dict) -> tuple[str, float | None, int, int]:
    """(which set, AUROC, positives, negatives): the test set when there is one, else validation."""
    test, training = meta.get("test") or {}, meta.get("training") or {}
    if test.get("auroc") is not None:
        per_task = test.get("per_task") or {}
        n = int(test.get("n") or 0)
        pos = sum(int((t or {}).get("positives") or 0) for t in per_task.values()) if per_task else n // 2
        return "test", float(test["auroc"]), pos, max(n - pos, 0)
    n = int(training.get("n_valid") or 0)
    pos = int(training.get("valid_positives") or n // 2)
    value = training.get("valid_auroc")
    return "validation", None if value is None else float(value), pos, n - pos


def verdict(meta: dict, first_layer_r: float | None = None) -> Verdict:
    """The verdict for a model's metadata; `first_layer_r` from `first_layer_correlation` when known."""
    v = Verdict()
    which, auc, n_pos, n_neg = _held_out(meta)
    if auc is None:
        v.add("caution", "not evaluated on held-out data")
    else:
        if auc < NEAR_CHANCE:
            v.add("untrusted", f"{which} AUROC {auc:.3f} is near chance (0.5)")
        se = auroc_standard_error(auc, n_pos, n_neg)
        if se > MAX_AUROC_SE:
            v.add(
                "caution",
                f"the {which} set is too small to tell ({n_pos + n_neg} sequences: AUROC {auc:.3f} ± {se:.3f})",
            )
        _check_baselines(v, meta.get("baselines"), which, auc)
    training = meta.get("training") or {}
    ensemble = training.get("ensemble") or {}
    runs = (
        list(zip(ensemble.get("stopped") or [], ensemble.get("best_epochs") or [], ensemble.get("epochs_run") or []))
        if ensemble
        else [(training.get("stopped"), training.get("best_epoch"), training.get("epochs_run"))]
    )
    capped = [run for stopped, best, run in runs if stopped == "max epochs" and best == run]
    if capped:
        n = capped[0]
        how = (
            "raise --epochs"
            if ensemble or training.get("converge")
            else "to convergence: `deemo train --converge`, or tick To convergence in the Train panel"
        )
        v.add(
            "caution",
            f"training stopped at its cap ({n} epoch{'s' if n != 1 else ''}) while still improving; "
            f"train longer ({how})",
        )
    timed = training.get("stopped") == "time limit" and training.get("best_epoch") == training.get("epochs_run")
    if timed and not ensemble:  # an ensemble's last member ending at the limit is how the recipe stops
        n = training.get("epochs_run")
        v.add(
            "caution",
            f"training stopped at its time limit after {n} epoch{'s' if n != 1 else ''} while still improving; "
            "give it more time (--time, or the Train panel's Time limit)",
        )
    if first_layer_r is not None and first_layer_r > MAX_INIT_CORRELATION:
        v.add(
            "caution",
            f"first-layer filters barely moved from their random initialisation (r = {first_layer_r:.2f}): "
            "filter motifs show mostly the starting weights",
        )
    return v


def _check_baselines(v: Verdict, baselines, which: str, auc: float) -> None:
    if not isinstance(baselines, dict):
        v.add(
            "caution",
            "no baselines in the model file (trained before they were built in): it may not beat a single PWM",
        )
        return
    scored = []
    for key, label in (("kmer", "k-mer"), ("pwm", "best PWM")):
        b = baselines.get(key) or {}
        value = b.get(_KEY[which])
        if isinstance(value, (int, float)) and math.isfinite(value):
            name = f"{label} ({b['name']})" if key == "pwm" and b.get("name") else label
            scored.append((float(value), name))
    if not scored:
        return
    best, name = max(scored)
    if auc < best - BASELINE_MARGIN:
        v.add("untrusted", f"does not beat the baselines: {which} AUROC {auc:.3f} vs {name} {best:.3f}")


def baseline_line(meta: dict, network_label: str | None = None) -> str | None:
    """'cnn 0.951 · k-mer 0.930 · best PWM (IRF8) 0.960' on the held-out set, or None without baselines."""
    which, auc, _, _ = _held_out(meta)
    baselines = meta.get("baselines")
    if auc is None or not isinstance(baselines, dict):
        return None
    ensemble = (meta.get("training") or {}).get("ensemble")
    # an ensemble without a test set has only its first member's validation AUROC (the others trained on it)
    default = ("ensemble" if which == "test" else "first member") if ensemble else meta.get("preset", "network")
    parts = [f"{network_label or default} {auc:.3f}"]
    for key, label in (("kmer", "k-mer"), ("pwm", "best PWM")):
        b = baselines.get(key) or {}
        value = b.get(_KEY[which])
        if isinstance(value, (int, float)):
            parts.append(
                f"{label} ({b['name']}) {value:.3f}" if key == "pwm" and b.get("name") else f"{label} {value:.3f}"
            )
    return " · ".join(parts) + f" ({which} AUROC)"


def for_model(model) -> Verdict:
    """The verdict of a loaded network (its metadata plus the first-layer check)."""
    return verdict(getattr(model, "metadata", None) or {}, first_layer_correlation(model))


def first_layer_correlation(model) -> float | None:
    """Pearson r between the first convolution's weights and the same network freshly initialised with the
    training seed (the Trainer seeds torch and then builds the network, so the start is reproducible)."""
    import torch

    meta = getattr(model, "metadata", None) or {}
    training = meta.get("training") or {}
    seed = training.get("seed")
    first = next((m for m in model.modules() if isinstance(m, torch.nn.Conv1d)), None)
    if seed is None or first is None:
        return None
    weights = first.weight.detach().cpu().double()
    ensemble = training.get("ensemble") or {}
    if ensemble.get("member_hparams"):
        return _ensemble_first_layer_correlation(model, weights, ensemble)

    start = _first_weights(model, model.hparams, int(seed))
    a, b = weights.flatten(), start.flatten()
    if a.shape != b.shape:
        return None
    return float(torch.corrcoef(torch.stack([a, b]))[0, 1])


def _first_weights(model, hparams: dict, seed: int):
    """The first convolution's weights of `model`'s network built afresh with `hparams` after seeding torch."""
    import torch

    from deemo_gui.core.networks import build_network

    state = torch.random.get_rng_state()
    try:
        torch.manual_seed(seed)
        fresh = build_network(model.preset, n_tasks=model.n_tasks, input_length=model.input_length, **hparams)
    finally:
        torch.random.set_rng_state(state)
    return next(m for m in fresh.modules() if isinstance(m, torch.nn.Conv1d)).weight.detach().double()


def _ensemble_first_layer_correlation(model, weights, ensemble: dict) -> float | None:
    """r for a folded ensemble (core.ensemble): each member's forward-strand detectors against that member's
    own initialisation. Each filter is scaled to unit length first, on both sides: the batch norm folded into
    the detectors rescales each one, which says nothing about whether its pattern moved."""
    import torch

    hparams, seeds = ensemble["member_hparams"], ensemble.get("seeds") or []
    M, k = int(hparams.get("n_motifs", 0)), int(hparams.get("motif_length", 0))
    if not seeds or weights.shape[0] < len(seeds) * M:
        return None
    trained, start = [], []
    for e, seed in enumerate(seeds):
        block = weights[e * M : (e + 1) * M]
        block = block[:, :, block.shape[2] - k :]  # an even length was padded with a zero column first
        fresh = _first_weights(model, hparams, int(seed))
        if block.shape != fresh.shape:
            return None
        trained.append(block)
        start.append(fresh)

    def unit(w):
        flat = torch.cat(w).flatten(1)
        return (flat / flat.norm(dim=1, keepdim=True).clamp_min(1e-12)).flatten()

    return float(torch.corrcoef(torch.stack([unit(trained), unit(start)]))[0, 1])
