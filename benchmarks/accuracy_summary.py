"""Deep Motif Dashboard Tables 2 and 3, our analogue: test AUROC per preset summarised over the
data sets (mean, median, s.d.) with the single-PWM row, and a paired test between presets.

Paired test: the exact two-sided sign-flip permutation test of the mean paired difference, over the
data sets both presets were run on (all 2^n sign patterns; n = 11 gives 2,048). It assumes only that,
under the null, each data set's difference is as likely positive as negative -- no normality, which
11 AUROC differences could not support. With n data sets the smallest possible p is 2 / 2^n.
"""

from __future__ import annotations

import itertools

import numpy as np


def paired_permutation_p(a, b) -> float:
    """Exact two-sided p of mean(a - b) under random sign flips of the paired differences: all 2^n flips,
    counted meet-in-the-middle (the sums of each half's 2^(n/2) flips), so 24 sets take milliseconds."""
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    if len(d) == 0:
        return float("nan")
    threshold = abs(d.sum()) - 1e-12
    if threshold <= 0:
        return 1.0

    def flip_sums(x: np.ndarray) -> np.ndarray:
        return np.array(list(itertools.product((1.0, -1.0), repeat=len(x)))) @ x if len(x) else np.zeros(1)

    half = len(d) // 2
    left, right = flip_sums(d[:half]), np.sort(flip_sums(d[half:]))
    above = len(right) - np.searchsorted(right, threshold - left, side="left")  # left + right >= threshold
    below = np.searchsorted(right, -threshold - left, side="right")  # left + right <= -threshold
    return float((above + below).sum() / 2 ** len(d))


def by_preset(runs: dict) -> dict[str, dict[str, float]]:
    """{preset: {dataset: test AUROC}}."""
    out: dict[str, dict[str, float]] = {}
    for r in runs.values():
        out.setdefault(r["preset"], {})[r["dataset"]] = r["test_auroc"]
    return out


def summary_table(runs: dict, pwm: dict[str, float], presets: list[str]) -> str:
    """Table 2 analogue: one row per preset and the single-PWM row."""
    scores = by_preset(runs)
    lines = [
        "### Summary over data sets (Deep Motif Dashboard Table 2 analogue)",
        "",
        "| model | data sets | mean AUROC | median | s.d. | beats the PWM on |",
        "|---|---|---|---|---|---|",
    ]
    values = np.array(list(pwm.values()))
    lines.append(
        f"| single PWM (JASPAR) | {len(values)} | {values.mean():.3f} | {np.median(values):.3f} | "
        f"{values.std(ddof=1):.3f} | – |"
    )
    for p in presets:
        s = scores.get(p, {})
        v = np.array(list(s.values()))
        beats = sum(auc > pwm[name] for name, auc in s.items())
        lines.append(
            f"| {p} | {len(v)} | {v.mean():.3f} | {np.median(v):.3f} | "
            f"{v.std(ddof=1) if len(v) > 1 else float('nan'):.3f} | {beats} / {len(v)} |"
        )
    return "\n".join(lines)


def paired_table(runs: dict, presets: list[str]) -> str:
    """Table 3 analogue: mean paired AUROC difference (row − column) and its exact p-value."""
    scores = by_preset(runs)
    lines = [
        "### Paired comparison of presets (Table 3 analogue)",
        "",
        "Cell: mean AUROC difference row − column over the data sets both were run on (n), and the exact "
        "two-sided sign-flip permutation p-value (see `benchmarks/accuracy_summary.py`).",
        "",
        *paired_rows(scores, presets),
    ]
    return "\n".join(lines)


def paired_rows(scores: dict[str, dict[str, float]], presets: list[str]) -> list[str]:
    """The Markdown table of `paired_table` from `{preset: {data set: AUROC}}` (cells need 3 shared sets)."""
    lines = ["| row − column | " + " | ".join(presets) + " |", "|---|" + "---|" * len(presets)]
    for a in presets:
        cells = []
        for b in presets:
            shared = sorted(set(scores.get(a, {})) & set(scores.get(b, {})))
            if a == b or len(shared) < 3:
                cells.append("–")
                continue
            x = [scores[a][n] for n in shared]
            y = [scores[b][n] for n in shared]
            diff = float(np.mean(np.subtract(x, y)))
            cells.append(f"{diff:+.3f} (p={paired_permutation_p(x, y):.2g}, n={len(shared)})")
        lines.append(f"| {a} | " + " | ".join(cells) + " |")
    return lines
