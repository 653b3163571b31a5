"""Motif-to-motif comparison with Tomtom (Gupta et al. 2007, Genome Biology 8:R24), as
implemented by memelite (`memelite.tomtom`, Schreiber; numba, the "complete score" version).

Output semantics (one row per query x target, columns exactly
`query, target_id, target_name, p, E, q, offset, strand, overlap`):

- `p`: memelite's p-value of the best alignment. With both strands, memelite takes the smaller
  of the two strands' p-values and corrects it for the two tries, `1 - (1 - p)^2`.
- `E = p x number of targets` (MEME Tomtom's E-value: expected number of targets matching this
  well by chance).
- `q`: Benjamini-Hochberg adjusted p-value over this query's p-values against all targets
  (one family per query, so adding queries does not change a query's q-values). MEME Tomtom
  estimates q-values with Storey's method; BH is its conservative pi0 = 1 special case.
- `strand`: "+" if the query aligns best to the target as stored, "-" if to the target's
  reverse complement (memelite picks the strand by alignment score).
- `offset`: where the query sits on the target, in the coordinates of the strand given by
  `strand` (the target for "+", `target.reverse_complement()` for "-"): query column i is
  aligned with that matrix's column `i + offset`. Negative: the query starts before the target.
  Example: a query equal to columns 3.. of a target gives offset 3 on "+".
- `overlap`: number of aligned columns.

Numba compiles memelite's kernels on first use (about 40-80 s on 2 cores; cached on disk after
that). Call `warm_up()` in a background thread at start-up to pay it before the user asks.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from deemo_gui.core.errors import DataError
from deemo_gui.core.motifs._threads import keep_torch_threads
from deemo_gui.core.motifs.pwm import PWM

COLUMNS = ["query", "target_id", "target_name", "p", "E", "q", "offset", "strand", "overlap"]
# How these matches are scored, for wherever they are shown: memelite scores a column pair by minus
# their Euclidean distance (memelite.tomtom `_column_distances`), and `q` is our Benjamini-Hochberg.
METHOD = "memelite Tomtom: Euclidean column distance, Benjamini–Hochberg q"
METHOD_NOTE = METHOD + " (not MEME's Tomtom: Pearson correlation, Storey q)"

# Tomtom scores a query column by its Euclidean distance to each target column, against a null made
# of the distances to every target column. A near-flat query column is about equally far from all of
# them, so tiny differences look significant: random 9-column queries "match" the flat stretches of
# long matrices (JASPAR 2024 MA1930.2 CTCF, 35 columns) at E ~ 1e-11 when near-flat (< 0.1 bits per
# column), E 1e-10 to 1e-3 at 0.1-0.3 bits per column, and E 1e-3 to 1 at 0.36-0.59 (random
# Dirichlet(1) columns; see tests/core/test_motifs.py). Ours, from that measurement: below this mean
# information per column a match is no evidence at all. It is a floor, not a cure: just above it,
# random queries still reach E ~ 1e-3 now and then, so weak motifs' E-values deserve care.
LOW_INFORMATION_BITS = 0.5
# The mean is taken over the motif's informative core, not its padded width (ours): flanks under
# CORE_MIN_IC bits are trimmed first (`PWM.trim`'s default), so a real site inside a wide window (a
# 10.6-bit Irf1 match in a 24-column DeepBind detector) is not called flat for its padding. A core
# narrower than CORE_MIN_WIDTH columns is too short to be a motif (JASPAR's shortest are ~5-6 wide).
CORE_MIN_IC = 0.25
CORE_MIN_WIDTH = 4


def informative_core(pwm: PWM) -> PWM:
    """`pwm` without its flanks of columns under `CORE_MIN_IC` bits."""
    return pwm.trim(min_ic=CORE_MIN_IC)


def low_information(pwm: PWM) -> bool:
    """Whether `pwm` carries too little information for its Tomtom matches to mean anything: its
    informative core (`informative_core`) is under `CORE_MIN_WIDTH` columns or averages under
    `LOW_INFORMATION_BITS` bits per column."""
    if pwm.width == 0:
        return True
    core = informative_core(pwm)
    return core.width < min(CORE_MIN_WIDTH, pwm.width) or core.total_ic < LOW_INFORMATION_BITS * core.width


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """BH step-up adjusted p-values (q-values), same order as `p`, capped at 1."""
    p = np.asarray(p, dtype=np.float64)
    m = p.size
    if m == 0:
        return p.copy()
    order = np.argsort(p, kind="stable")
    ranked = p[order] * m / np.arange(1, m + 1)
    q_sorted = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty(m)
    q[order] = np.minimum(q_sorted, 1.0)
    return q


def _matrix(pwm: PWM) -> np.ndarray:
    # float64, C-ordered: the layout memelite's cached kernels were compiled for.
    return np.ascontiguousarray(pwm.probs, dtype=np.float64)


def _raw(queries, targets, reverse_complement=True, **kwargs):
    from memelite import tomtom as _tomtom

    Q = [_matrix(q) for q in queries]
    T = [_matrix(t) for t in targets]
    try:
        with keep_torch_threads():
            p, score, offset, overlap, strand = _tomtom(Q, T, reverse_complement=reverse_complement, **kwargs)
    except ValueError as exc:  # e.g. an all-zero matrix
        raise DataError(f"Tomtom cannot compare these motifs: {exc}") from None
    return p, score, offset, overlap, strand


def compare(
    queries,
    targets,
    *,
    reverse_complement: bool = True,
    n_score_bins: int = 100,
    n_median_bins: int = 1000,
    n_target_bins: int | None = 100,
    n_jobs: int = -1,
) -> pd.DataFrame:
    """Tomtom every query against every target; rows sorted by query (input order), then p.

    `queries`/`targets`: PWMs (a single PWM is accepted for `queries`). Tomtom's null model uses
    the target columns as background, so p-values are only meaningful against a database-sized
    target list (memelite warns below 25 targets; MEME below 50).
    """
    if isinstance(queries, PWM):
        queries = [queries]
    queries, targets = list(queries), list(targets)
    if not queries or not targets:
        return pd.DataFrame({c: [] for c in COLUMNS})
    p, _score, offset, overlap, strand = _raw(
        queries,
        targets,
        reverse_complement=reverse_complement,
        n_score_bins=n_score_bins,
        n_median_bins=n_median_bins,
        n_target_bins=n_target_bins,
        n_jobs=n_jobs,
    )
    nq, nt = p.shape
    q = np.vstack([benjamini_hochberg(row) for row in p])
    df = pd.DataFrame(
        {
            "query": np.repeat([qq.id for qq in queries], nt),
            "target_id": np.tile([t.id for t in targets], nq),
            "target_name": np.tile([t.name for t in targets], nq),
            "p": p.ravel(),
            "E": p.ravel() * nt,
            "q": q.ravel(),
            "offset": offset.ravel().astype(np.int64),
            "strand": np.where(strand.ravel() > 0, "-", "+"),
            "overlap": overlap.ravel().astype(np.int64),
        }
    )
    order = np.lexsort((np.tile(np.arange(nt), nq), df["p"].to_numpy(), np.repeat(np.arange(nq), nt)))
    return df.iloc[order].reset_index(drop=True)[COLUMNS]


def best_match(pwm: PWM, targets, **kwargs) -> pd.Series:
    """The best (smallest p) row of `compare([pwm], targets)`."""
    df = compare([pwm], targets, **kwargs)
    if df.empty:
        raise DataError("best_match needs at least one target motif")
    return df.iloc[0]


def warm_up() -> float:
    """Compile memelite's Tomtom kernels on a tiny input (seconds taken). Safe in any thread."""
    import time

    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    targets = [PWM.from_probs(rng.dirichlet(np.ones(4), size=w).T, id=f"t{k}") for k, w in enumerate([6, 8, 10] * 9)]
    query = PWM.from_probs(rng.dirichlet(np.ones(4), size=7).T, id="q")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _raw([query], targets)
    return time.perf_counter() - t0
