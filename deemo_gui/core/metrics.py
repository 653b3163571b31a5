"""Classification metrics per task and averaged: AUROC (Mann–Whitney, ties averaged) and AUPR
(average precision, as scikit-learn defines it). Own implementation; tests check it against sklearn."""

from __future__ import annotations

import numpy as np


def average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks with ties given their average rank (scipy.stats.rankdata's default)."""
    values = np.asarray(values).ravel()
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    first_of_tie = np.r_[True, ordered[1:] != ordered[:-1]]
    starts = np.flatnonzero(first_of_tie)
    ends = np.r_[starts[1:], len(values)]
    ranks = np.empty(len(values), dtype=np.float64)
    ranks[order] = ((starts + 1 + ends) / 2.0)[np.cumsum(first_of_tie) - 1]
    return ranks


def auroc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve; NaN if only one class is present."""
    y = np.asarray(y).astype(bool)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = average_ranks(score)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def aupr(y: np.ndarray, score: np.ndarray) -> float:
    """Average precision: sum over thresholds of (recall step) × precision; NaN without positives."""
    y = np.asarray(y).astype(bool)
    n_pos = int(y.sum())
    if n_pos == 0:
        return float("nan")
    order = np.argsort(-np.asarray(score), kind="mergesort")
    s, t = np.asarray(score)[order], y[order]
    last_of_tie = np.r_[np.diff(s) != 0, True]
    tp = np.cumsum(t)[last_of_tie]
    predicted = (np.arange(1, len(s) + 1))[last_of_tie]
    precision = tp / predicted
    recall_step = np.diff(np.r_[0, tp]) / n_pos
    return float(np.sum(recall_step * precision))


def classification_report(y: np.ndarray, score: np.ndarray, task_names: list[str]) -> dict:
    """`{"auroc", "aupr", "n", "per_task": {name: {"auroc", "aupr", "positives"}}}`, means over tasks."""
    y = np.asarray(y).reshape(len(y), -1)
    score = np.asarray(score).reshape(len(score), -1)
    per_task = {}
    for i, name in enumerate(task_names):
        per_task[name] = {
            "auroc": auroc(y[:, i], score[:, i]),
            "aupr": aupr(y[:, i], score[:, i]),
            "positives": int(y[:, i].sum()),
        }
    return {
        "auroc": float(np.nanmean([m["auroc"] for m in per_task.values()])),
        "aupr": float(np.nanmean([m["aupr"] for m in per_task.values()])),
        "n": int(len(y)),
        "per_task": per_task,
    }
