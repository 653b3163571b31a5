"""Built-in baselines a trained network is compared with: the best single JASPAR matrix and a
gapped k-mer logistic regression, both fitted on the training split only.

    pwm = best_pwm(train)                  # PWMBaseline: one JASPAR matrix per task
    kmer = kmer_model(train)               # KmerBaseline: one L2 logistic regression per task
    figures = fit_baselines(train, valid, test)   # JSON-ready AUROCs for the model file

Both `score(...)` methods take strings (any lengths, N allowed) or one-hot `(N, 4, L)` arrays and
return `(N, T)` scores, one column per task, like a network's logits. A task whose training labels
have one class only gets no baseline: its column is NaN and `fit_baselines` says why.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from deemo_gui.core.errors import ConfigError, DataError
from deemo_gui.core.metrics import auroc
from deemo_gui.core.motifs.jaspar import JasparDB
from deemo_gui.core.motifs.pwm import PWM
from deemo_gui.core.motifs.scan import max_scores
from deemo_gui.core.sequences import SequenceSet, decode, require_labels

PSEUDOCOUNT = 0.01  # scan.max_scores' default: the best-PWM score is the classic one
SCREEN = 2000  # training records every matrix is scanned over ...
FINALISTS = 25  # ... and the matrices rescored on the whole training split
# inverse L2 strengths tried on an internal split of train: on the data of benchmarks/baselines.py the
# best test AUROC was at 1e-4 to 3e-3 (features standardised), falling off on both sides
C_GRID = (1e-4, 3e-4, 1e-3, 3e-3)

_COMPLEMENT = {"A": "T", "C": "G", "G": "C", "T": "A", ".": "."}
_CODE = np.full(256, 4, dtype=np.int8)  # A C G T -> 0..3, anything else (N, IUPAC) -> 4
for _i, _b in enumerate("ACGT"):
    _CODE[ord(_b)] = _CODE[ord(_b.lower())] = _i


def _as_strings(X_or_seqs) -> list[str]:
    if isinstance(X_or_seqs, str):
        return [X_or_seqs]
    if isinstance(X_or_seqs, (list, tuple)) and (not X_or_seqs or isinstance(X_or_seqs[0], str)):
        return list(X_or_seqs)
    X = np.asarray(X_or_seqs.detach().cpu() if hasattr(X_or_seqs, "detach") else X_or_seqs)
    if X.ndim != 3 or X.shape[1] != 4:
        raise DataError(f"sequences must be strings or one-hot (N, 4, L) with rows A C G T, got shape {X.shape}")
    return decode(X)


def _codes(seqs: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """`(N, Lmax)` int8 codes (4 = N, ambiguity code or padding) and the lengths."""
    lengths = np.array([len(s) for s in seqs], dtype=np.int64)
    C = np.full((len(seqs), int(lengths.max(initial=0))), 4, dtype=np.int8)
    for i, s in enumerate(seqs):
        try:
            C[i, : len(s)] = _CODE[np.frombuffer(s.encode("ascii"), dtype=np.uint8)]
        except UnicodeEncodeError:
            raise DataError(f"sequence {i + 1}: contains non-ASCII characters; use A C G T (N allowed)") from None
    return C, lengths


def _train_labels(train: SequenceSet) -> np.ndarray:
    y = require_labels(train, "the baselines")
    if len(train) < 2:
        raise DataError(f"{train.source}: the baselines need at least 2 training records, got {len(train)}")
    return y


def _two_classes(y: np.ndarray) -> bool:
    return 0 < y.sum() < len(y)


# ---------------------------------------------------------------------------------------------
# Best single PWM


def pwm_max_scores(pwms: list[PWM], X_or_seqs, chunk_nt: int = 8192) -> np.ndarray:
    """`(N, K)` float32: the best log2-odds window score of every sequence for every matrix,
    over all positions and both strands — `scan.max_scores` (uniform background, pseudocount
    0.01) for many matrices at once.

    Matrices of one width are stacked with their reverse complements into one `(2K, 4W)` matrix
    that multiplies the sequences' unfolded windows; N counts 0, windows running past the end
    of a shorter sequence are left out, sequences shorter than a matrix get -inf.
    """
    seqs = _as_strings(X_or_seqs)
    C, lengths = _codes(seqs)
    N, L = C.shape
    onehot = torch.from_numpy(np.eye(5, 4, dtype=np.float32)[C].transpose(0, 2, 1).copy())  # code 4 -> zeros
    out = np.full((N, len(pwms)), -np.inf, dtype=np.float32)
    widths = np.array([p.width for p in pwms])
    step = max(1, chunk_nt // max(L, 1))
    ragged = N > 0 and lengths.min() < L
    for W in np.unique(widths):
        if W > L:
            continue
        idx = np.flatnonzero(widths == W)
        lo = np.stack([pwms[i].log_odds(pseudocount=PSEUDOCOUNT) for i in idx])
        lo = np.concatenate([lo, lo[:, ::-1, ::-1]])  # + then - strand
        M = torch.from_numpy(lo.reshape(2 * len(idx), 4 * W).astype(np.float32))
        past_end = torch.from_numpy(np.arange(L - W + 1)[None, :] + W > lengths[:, None])  # (N, P)
        for a in range(0, N, step):
            x = onehot[a : a + step]
            windows = x.unfold(2, W, 1).permute(0, 1, 3, 2).reshape(x.shape[0], 4 * W, -1)  # (n, 4W, P)
            s = M @ windows  # (n, 2K, P)
            if ragged:
                s.masked_fill_(past_end[a : a + step, None, :], -np.inf)
            s = s.amax(dim=2)
            out[a : a + step, idx] = torch.maximum(s[:, : len(idx)], s[:, len(idx) :]).numpy()
    return out


@dataclass
class PWMBaseline:
    """The JASPAR matrix with the highest training AUROC, per task (None: task skipped)."""

    pwms: list[PWM | None]
    release: str
    train_auroc: list[float]
    task_names: list[str]
    screened: int  # training records all matrices were scanned over

    def score(self, X_or_seqs) -> np.ndarray:
        """`(N, T)`: best log2-odds score over positions and both strands (`scan.max_scores`)."""
        seqs = _as_strings(X_or_seqs)
        cols = [
            np.full(len(seqs), np.nan) if p is None else max_scores(p, seqs, pseudocount=PSEUDOCOUNT) for p in self.pwms
        ]
        return np.stack(cols, axis=1)


def best_pwm(
    train: SequenceSet,
    release: str | None = None,
    collection: str | None = "CORE",
    tax_group: str | None = "vertebrates",
    screen: int = SCREEN,
    seed: int = 0,
) -> PWMBaseline:
    """For each task, the matrix of a JASPAR collection (newest offline release by default) whose
    best log-odds score (`pwm_max_scores`) has the highest AUROC on the training split.

    Scanning all ~1,000 CORE vertebrate matrices costs ~0.6 s per 1,000 records of 400 nt on two
    cores, so every matrix is scanned over a seeded random `screen` records of the training split
    (all of them if fewer), and the `FINALISTS` best per task are rescored on the whole split.
    """
    y = _train_labels(train)
    db = JasparDB(release)
    pwms = db.all(collection=collection, tax_group=tax_group)
    if not pwms:
        raise DataError(f"{db.release} has no matrices in collection {collection!r}, taxonomic group {tax_group!r}")
    sub = np.sort(np.random.default_rng(seed).permutation(len(train))[:screen])
    screen_scores = pwm_max_scores(pwms, [train.seqs[i] for i in sub])
    finalists: dict[int, list[int]] = {}  # task -> matrices to rescore; tasks with one class are skipped
    for t in (t for t in range(train.n_tasks) if _two_classes(y[:, t])):
        aucs = np.array([auroc(y[sub, t], screen_scores[:, k]) for k in range(len(pwms))])
        finalists[t] = list(np.argsort(-np.nan_to_num(aucs, nan=-1.0), kind="stable")[:FINALISTS])
    union = sorted({k for ks in finalists.values() for k in ks})
    full = dict(zip(union, pwm_max_scores([pwms[k] for k in union], train.seqs).T))
    chosen: list[PWM | None] = [None] * train.n_tasks
    train_auc = [float("nan")] * train.n_tasks
    for t, ks in finalists.items():
        full_aucs = [auroc(y[:, t], full[k]) for k in ks]
        best = int(np.argmax(np.nan_to_num(full_aucs, nan=-1.0)))  # first of ties: the better screened one
        chosen[t], train_auc[t] = pwms[ks[best]], full_aucs[best]
    return PWMBaseline(chosen, db.release, train_auc, list(train.task_names), len(sub))


# ---------------------------------------------------------------------------------------------
# Gapped k-mer logistic regression


class KmerFeatures:
    """Counts of contiguous and gapped k-mers, reverse-complement collapsed, per base of sequence.

    A feature is a word over A C G T at fixed offsets (a *mask*); its value for a sequence is the
    number of windows matching it on either strand, divided by the number of A/C/G/T bases in the
    sequence. Masks: the contiguous k-mers of length 1..`max_k`, and, for `gapped=(l, k)`, every
    set of `k` informative positions spanning at most `l` nt (first and last informative) — the
    gapped k-mers of gkm-SVM (Ghandi et al. 2014 PLoS Comput Biol 10:e1003711), each occurrence
    counted once. A word and its reverse complement (offsets mirrored) are one feature, named by
    the lexicographically smaller of the two with `.` for gaps ("AC.G" = "C.GT"). Windows with N or
    another ambiguity code are skipped. Default (6, (8, 4)): 7,188 features.
    """

    def __init__(self, max_k: int = 6, gapped: tuple[int, int] | None = (8, 4)):
        if not 1 <= max_k <= 8:
            raise ConfigError(f"k-mer length must be between 1 and 8, got {max_k}")
        masks = {tuple(range(k)) for k in range(1, max_k + 1)}
        if gapped is not None:
            l, k = gapped
            if not 2 <= k <= min(l, 8) or l > 16:
                raise ConfigError(
                    f"gapped k-mers need 2 <= k <= 8 informative positions in l <= 16 nt, got (l, k) = {gapped}"
                )
            masks |= {
                (0, *mid, span - 1)
                for span in range(k, l + 1)
                for mid in itertools.combinations(range(1, span - 1), k - 2)
            }
        self.max_k, self.gapped = max_k, gapped
        self.masks = sorted(masks, key=lambda m: (len(m), m[-1], m))
        names: dict[str, int] = {}
        tables = []
        for m in self.masks:
            span = m[-1] + 1
            words = np.array(list(itertools.product("ACGT", repeat=len(m))))
            grid = np.full((len(words), span), ".")
            grid[:, list(m)] = words
            fwd = ["".join(r) for r in grid]
            rev = ["".join(r) for r in np.vectorize(_COMPLEMENT.get)(grid[:, ::-1])]
            tables.append([names.setdefault(min(f, r), len(names)) for f, r in zip(fwd, rev)])
        self.names = list(names)
        self._tables = [np.array(t, dtype=np.int64) for t in tables]

    def describe(self) -> str:
        gapped = f" + gapped ({self.gapped[0]}, {self.gapped[1]})-mers" if self.gapped else ""
        return f"1-{self.max_k}-mers{gapped}, reverse-complement collapsed, {len(self.names):,} features"

    def __call__(self, X_or_seqs, chunk: int = 128) -> np.ndarray:
        """`(N, F)` float32 feature matrix, columns in the order of `names`."""
        C, _ = _codes(_as_strings(X_or_seqs))
        N, L = C.shape
        F = len(self.names)
        out = np.zeros((N, F), dtype=np.float32)
        for a in range(0, N, chunk):
            c = C[a : a + chunk].astype(np.int64)
            n = c.shape[0]
            cols = []
            for m, table in zip(self.masks, self._tables):
                P = L - m[-1]
                if P <= 0:
                    continue
                word, bad = np.zeros((n, P), dtype=np.int64), np.zeros((n, P), dtype=bool)
                for o in m:
                    word = word * 4 + np.minimum(c[:, o : o + P], 3)
                    bad |= c[:, o : o + P] == 4
                cols.append(np.where(bad, F, table[word]) + (F + 1) * np.arange(n)[:, None])
            if cols:
                flat = np.concatenate([x.ravel() for x in cols])
                out[a : a + n] = np.bincount(flat, minlength=n * (F + 1)).reshape(n, F + 1)[:, :F]
        out /= np.maximum((C < 4).sum(axis=1), 1)[:, None].astype(np.float32)
        return out


def logistic_regression(
    F, y, C: float, init: np.ndarray | None = None, max_iter: int = 500
) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression by L-BFGS (torch): weights `(d,)` (dtype of `F`) and intercept.

    Minimises `C * sum_i logloss_i + |w|^2 / 2` with the intercept unpenalised — scikit-learn's
    `LogisticRegression(C=C)` objective — in the dtype of `F`.
    """
    X = torch.as_tensor(F)
    t = torch.as_tensor(np.asarray(y), dtype=X.dtype)
    theta = torch.zeros(X.shape[1] + 1, dtype=X.dtype) if init is None else torch.tensor(init, dtype=X.dtype)
    theta.requires_grad_(True)
    scale = 1.0 / (C * len(t))  # objective / (C n): a mean log-loss, so tolerances mean the same everywhere
    opt = torch.optim.LBFGS(
        [theta],
        lr=1,
        max_iter=max_iter,
        history_size=20,
        tolerance_grad=1e-6,
        tolerance_change=1e-10,
        line_search_fn="strong_wolfe",
    )

    def closure():
        opt.zero_grad()
        z = X @ theta[:-1] + theta[-1]
        loss = torch.nn.functional.binary_cross_entropy_with_logits(z, t) + 0.5 * scale * theta[:-1].square().sum()
        loss.backward()
        return loss

    with torch.enable_grad():  # also inside a caller's torch.no_grad()
        opt.step(closure)
    w = theta.detach().numpy()
    return w[:-1], float(w[-1])


@dataclass
class KmerBaseline:
    """Per task: logistic regression on standardised `KmerFeatures` (None: task skipped)."""

    features: KmerFeatures
    mean: np.ndarray
    scale: np.ndarray
    weights: list[np.ndarray | None]
    intercepts: list[float]
    C: list[float]
    task_names: list[str]

    def score(self, X_or_seqs) -> np.ndarray:
        """`(N, T)` logits."""
        Z = (self.features(X_or_seqs) - self.mean) / self.scale
        return np.stack(
            [np.full(len(Z), np.nan) if w is None else Z @ w + b for w, b in zip(self.weights, self.intercepts)], axis=1
        )


def kmer_model(
    train: SequenceSet, max_k: int = 6, gapped: tuple[int, int] | None = (8, 4), C: float | None = None, seed: int = 0
) -> KmerBaseline:
    """Fit one L2 logistic regression per task on `KmerFeatures(max_k, gapped)` of the training
    split, features standardised with the training mean and standard deviation.

    `C=None`: the inverse regularisation strength is the one of `C_GRID` with the best AUROC on a
    seeded 20% of the training split (fitted on the other 80%); the model is then refitted on all
    of it. About 8 s for 10,000 × 400 nt (or 12,800 × 101 nt) on two cores; the feature matrix
    takes 4 bytes × records × features (290 MB for 10,000 records).
    """
    y = _train_labels(train)
    features = KmerFeatures(max_k, gapped)
    order = np.random.default_rng(seed).permutation(len(train))  # rows shuffled: the inner split is two views
    Z, y = features([train.seqs[i] for i in order]), y[order]
    mean = Z.mean(axis=0)
    Z -= mean
    scale = np.sqrt(np.einsum("ij,ij->j", Z, Z) / len(Z))  # the standard deviation without a copy of Z
    scale[scale == 0] = 1.0
    Z /= scale
    n_valid = max(1, len(order) // 5)
    weights: list[np.ndarray | None] = []
    intercepts: list[float] = []
    chosen: list[float] = []
    for yt in y.T:
        if not _two_classes(yt):
            weights.append(None)
            intercepts.append(float("nan"))
            chosen.append(float("nan"))
            continue
        best_C, init = (C_GRID[0] if C is None else C), None
        if C is None:
            best, fits = -np.inf, {}
            for c in C_GRID:  # weakest penalty last, each fit starting from the previous one
                w, b = logistic_regression(Z[n_valid:], yt[n_valid:], c, init)
                init = fits[c] = np.r_[w, b]
                a = np.nan_to_num(auroc(yt[:n_valid], Z[:n_valid] @ w + b), nan=0.0)  # NaN: strongest C wins
                if a > best:
                    best, best_C = a, c
            init = fits[best_C]
        w, b = logistic_regression(Z, yt, best_C, init)
        weights.append(w)
        intercepts.append(b)
        chosen.append(best_C)
    return KmerBaseline(features, mean, scale, weights, intercepts, chosen, list(train.task_names))


# ---------------------------------------------------------------------------------------------
# Both, as figures for the model file


def _aurocs(model, data: SequenceSet | None, fitted: list[bool]) -> list[float | None]:
    """Per task: AUROC on `data` rounded to 4 decimals; None without data, fit or both classes."""
    if data is None:
        return [None] * len(fitted)
    scores, labels = model.score(data.seqs), require_labels(data, "the baselines")
    out: list[float | None] = []
    for t, ok in enumerate(fitted):
        a = auroc(labels[:, t], scores[:, t]) if ok else float("nan")
        out.append(None if np.isnan(a) else round(a, 4))
    return out


def _mean(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(float(np.mean(known)), 4) if known else None


def fit_baselines(
    train: SequenceSet, valid: SequenceSet, test: SequenceSet | None = None, release: str | None = None, seed: int = 0
) -> dict:
    """Fit `best_pwm` and `kmer_model` on `train`, score them on `valid` (and `test`): JSON-ready

        {"pwm": {"release", "valid_auroc", "test_auroc", "per_task": {task: {"id", "name",
                 "train_auroc", "valid_auroc", "test_auroc"} | {"skipped": why}}, "id", "name"},
         "kmer": {"features", "valid_auroc", "test_auroc", "per_task": {task: {"C", "valid_auroc",
                  "test_auroc"} | {"skipped": why}}},
         "seconds": {"pwm", "kmer"}}

    AUROCs are rounded to 4 decimals, None where undefined (one class, no test set); the top-level
    ones are means over the tasks that have them. "id"/"name" are top level for one task only.
    """
    _train_labels(train)
    for data in (valid, test):
        if data is not None and require_labels(data, "the baselines").shape[1] != train.n_tasks:
            raise DataError(f"{data.source}: {data.n_tasks} tasks, the training data has {train.n_tasks}")
    t0 = time.perf_counter()
    pwm = best_pwm(train, release=release, seed=seed)
    t1 = time.perf_counter()
    kmer = kmer_model(train, seed=seed)
    t2 = time.perf_counter()

    def pwm_about(t: int) -> dict[str, Any]:
        p = pwm.pwms[t]
        return {} if p is None else {"id": p.id, "name": p.name, "train_auroc": round(pwm.train_auroc[t], 4)}

    about: dict[str, Callable[[int], dict[str, Any]]] = {"pwm": pwm_about, "kmer": lambda t: {"C": kmer.C[t]}}
    out: dict[str, Any] = {}
    for key, model, fitted in (
        ("pwm", pwm, [p is not None for p in pwm.pwms]),
        ("kmer", kmer, [w is not None for w in kmer.weights]),
    ):
        valid_auc, test_auc = _aurocs(model, valid, fitted), _aurocs(model, test, fitted)
        per_task = {
            task: {**about[key](t), "valid_auroc": valid_auc[t], "test_auroc": test_auc[t]}
            if fitted[t]
            else {"skipped": "the training split has one class only for this task"}
            for t, task in enumerate(train.task_names)
        }
        out[key] = {"valid_auroc": _mean(valid_auc), "test_auroc": _mean(test_auc), "per_task": per_task}
    out["pwm"]["release"] = pwm.release
    if train.n_tasks == 1 and pwm.pwms[0] is not None:
        out["pwm"].update(id=pwm.pwms[0].id, name=pwm.pwms[0].name)
    out["kmer"]["features"] = kmer.features.describe()
    out["seconds"] = {"pwm": round(t1 - t0, 2), "kmer": round(t2 - t1, 2)}
    return out
