"""Scanning sequences with a PWM: significant hits (FIMO), the best score per sequence, and the
average motif affinity.

Sequences are given as one-hot `(N, 4, L)` arrays (A C G T; all-zero columns = N) or as a list of
strings. Positions are 0-based and `end` is exclusive; on the "-" strand `start`/`end` are still
forward-strand coordinates of the window, which the reverse complement of the motif matches.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from deemo_gui.core.errors import DataError
from deemo_gui.core.motifs._threads import keep_torch_threads
from deemo_gui.core.motifs.pwm import PWM, UNIFORM

HIT_COLUMNS = ["motif_id", "seq_index", "start", "end", "strand", "score", "p"]

_ONEHOT = np.zeros((256, 4), dtype=np.float32)
for _i, _b in enumerate("ACGT"):
    _ONEHOT[ord(_b), _i] = 1.0
    _ONEHOT[ord(_b.lower()), _i] = 1.0


def _one_hot(seqs) -> tuple[np.ndarray, np.ndarray]:
    """Strings -> (N, 4, Lmax) float32 padded with all-zero (N) columns, and the true lengths."""
    seqs = [str(s) for s in seqs]
    lengths = np.array([len(s) for s in seqs], dtype=np.int64)
    L = int(lengths.max()) if len(seqs) else 0
    X = np.zeros((len(seqs), 4, L), dtype=np.float32)
    for i, s in enumerate(seqs):
        if s:
            try:
                buf = np.frombuffer(s.encode("ascii"), dtype=np.uint8)
            except UnicodeEncodeError:
                raise DataError(f"sequence {i + 1}: contains non-ASCII characters; use A C G T (N allowed)") from None
            X[i, :, : len(s)] = _ONEHOT[buf].T
    return X, lengths


def _as_onehot(X_or_seqs) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(X_or_seqs, str):
        X_or_seqs = [X_or_seqs]
    if isinstance(X_or_seqs, (list, tuple)) and (len(X_or_seqs) == 0 or isinstance(X_or_seqs[0], str)):
        return _one_hot(X_or_seqs)
    if hasattr(X_or_seqs, "detach"):  # torch tensor
        X_or_seqs = X_or_seqs.detach().cpu().numpy()
    X = np.asarray(X_or_seqs)
    if X.ndim == 2 and X.shape[0] == 4:
        X = X[None]
    if X.ndim != 3 or X.shape[1] != 4:
        raise DataError(f"sequences must be one-hot (N, 4, L) with rows A C G T, got shape {X.shape}")
    return X, np.full(X.shape[0], X.shape[2], dtype=np.int64)


# ---------------------------------------------------------------------------------------------
# Log-odds scores, vectorised


def position_scores(
    pwm: PWM, X_or_seqs, background=UNIFORM, pseudocount: float = 0.01, both_strands: bool = True, chunk: int = 4096
) -> np.ndarray:
    """Log2-odds score of every window: `(N, 2, L - W + 1)` (strand 0 "+", 1 "-"), or
    `(N, 1, L - W + 1)` with `both_strands=False`.

    Score of the window at `i` on "+": `sum_j sum_c X[c, i + j] * LO[c, j]`, LO =
    `pwm.log_odds(background, pseudocount)`; on "-" the same with the reverse-complement matrix,
    so both strands share window coordinates. N (all-zero) positions contribute 0. Windows that
    run past the end of a shorter string sequence are -inf.
    """
    X, lengths = _as_onehot(X_or_seqs)
    N, _, L = X.shape
    W = pwm.width
    n_win = L - W + 1
    n_strands = 2 if both_strands else 1
    if n_win <= 0:
        return np.full((N, n_strands, 0), -np.inf)
    LO = pwm.log_odds(background, pseudocount)
    mats = [LO, LO[::-1, ::-1]] if both_strands else [LO]
    out = np.empty((N, n_strands, n_win), dtype=np.float64)
    for a in range(0, N, chunk):
        Xc = np.asarray(X[a : a + chunk], dtype=np.float64)
        for s, M in enumerate(mats):
            acc = np.zeros((Xc.shape[0], n_win))
            for j in range(W):
                # (n, 4, n_win) . (4,) -> (n, n_win)
                acc += np.einsum("nci,c->ni", Xc[:, :, j : j + n_win], M[:, j])
            out[a : a + chunk, s] = acc
    short = lengths < L
    if np.any(short):
        pos = np.arange(n_win)[None, :]
        out[(pos + W > lengths[:, None])[:, None, :].repeat(n_strands, axis=1)] = -np.inf
    return out


def max_scores(
    pwm: PWM, X_or_seqs, background=UNIFORM, pseudocount: float = 0.01, both_strands: bool = True
) -> np.ndarray:
    """Best log2-odds window score of each sequence over all positions (and both strands): `(N,)`.

    The classic single-PWM classifier score; -inf for sequences shorter than the motif.
    """
    s = position_scores(pwm, X_or_seqs, background, pseudocount, both_strands)
    if s.shape[-1] == 0:
        return np.full(s.shape[0], -np.inf)
    return s.max(axis=(1, 2))


def average_affinity(
    pwm: PWM, X_or_seqs, background=UNIFORM, pseudocount: float = 0.01, both_strands: bool = True, log2: bool = False
) -> np.ndarray:
    """Average motif affinity (AMA) of each sequence: `(N,)`.

    Definition (MEME suite AMA, Buske et al. 2010 Bioinformatics 26:860, "avg-odds" scoring):
    the mean over every window position, and over both strands, of the odds ratio
    `2 ** score` (likelihood of the window under the motif / under the background), i.e.
    `mean(2 ** position_scores(...))`. Unlike `max_scores` it rewards several weak sites.
    `log2=True` returns `log2(AMA)`. Sequences shorter than the motif get 0 (or -inf).
    """
    s = position_scores(pwm, X_or_seqs, background, pseudocount, both_strands)
    if s.shape[-1] == 0:
        out = np.zeros(s.shape[0])
    else:
        odds = np.exp2(s)  # -inf windows (past a short sequence's end) give 0 ...
        valid = np.isfinite(s).sum(axis=(1, 2))  # ... and are left out of the mean
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(valid > 0, odds.sum(axis=(1, 2)) / np.maximum(valid, 1), 0.0)
    if log2:
        with np.errstate(divide="ignore"):
            return np.log2(out)
    return out


# ---------------------------------------------------------------------------------------------
# FIMO


def _fimo_matrix(pwm: PWM) -> np.ndarray:
    return np.ascontiguousarray(pwm.probs, dtype=np.float64)


def scan(
    pwm, X_or_seqs, p_threshold: float = 1e-4, reverse_complement: bool = True, bin_size: float = 0.1, eps: float = 1e-4
) -> pd.DataFrame:
    """Motif hits with p < `p_threshold` on both strands, via memelite's FIMO (Grant et al. 2011).

    `pwm`: one PWM or a list. Returns columns `motif_id, seq_index, start, end, strand, score, p`
    sorted by motif, sequence, start, strand. `score` is memelite's: the sum over the window of
    `log2((p + eps) / 0.25)` (bits, uniform background, `eps` added to every probability);
    `p` is the p-value of that score from memelite's table, binned at `bin_size` bits.
    On "-" the window `[start, end)` matches the reverse complement of the motif.
    """
    from memelite import fimo

    pwms = [pwm] if isinstance(pwm, PWM) else list(pwm)
    if not pwms:
        return pd.DataFrame({c: [] for c in HIT_COLUMNS})
    if not 0 < p_threshold <= 1:
        raise DataError(f"p-value threshold must be in (0, 1], got {p_threshold}")
    X, lengths = _as_onehot(X_or_seqs)
    if X.shape[0] == 0 or X.shape[2] == 0:
        return pd.DataFrame({c: [] for c in HIT_COLUMNS})
    # keys are positions in `pwms`: motif ids need not be unique
    motifs = {str(k): _fimo_matrix(p) for k, p in enumerate(pwms)}
    with warnings.catch_warnings(), keep_torch_threads():
        warnings.simplefilter("ignore")
        hits = fimo(
            motifs,
            np.ascontiguousarray(X, dtype=np.float32),
            threshold=p_threshold,
            reverse_complement=reverse_complement,
            bin_size=bin_size,
            eps=eps,
        )
    frames = []
    for k, df in enumerate(hits):
        if len(df) == 0:
            continue
        frames.append(
            pd.DataFrame(
                {
                    "motif_id": pwms[k].id,
                    "seq_index": df["sequence_name"].to_numpy().astype(np.int64),
                    "start": df["start"].to_numpy().astype(np.int64),
                    "end": df["end"].to_numpy().astype(np.int64),
                    "strand": df["strand"].to_numpy().astype(str),
                    "score": df["score"].to_numpy().astype(np.float64),
                    "p": df["p-value"].to_numpy().astype(np.float64),
                    "_k": k,
                }
            )
        )
    if not frames:
        return pd.DataFrame(
            {
                c: pd.Series(dtype=t)
                for c, t in zip(HIT_COLUMNS, [object, np.int64, np.int64, np.int64, object, np.float64, np.float64])
            }
        )
    out = pd.concat(frames, ignore_index=True)
    # windows running into the N-padding of a shorter string sequence are not real hits
    out = out[out["end"].to_numpy() <= lengths[out["seq_index"].to_numpy()]]
    out = out.sort_values(["_k", "seq_index", "start", "strand"], kind="stable")
    return out.drop(columns="_k").reset_index(drop=True)[HIT_COLUMNS]


def warm_up() -> float:
    """Compile memelite's FIMO kernels on a tiny input (seconds taken). Safe in any thread."""
    import time

    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    pwm = PWM.from_probs(rng.dirichlet(np.ones(4), size=8).T, id="warm")
    X = np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(2, 50))].transpose(0, 2, 1)
    scan(pwm, X, p_threshold=1e-2)
    return time.perf_counter() - t0
