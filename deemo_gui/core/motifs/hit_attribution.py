"""The attribution mass inside each motif hit: how much of a model's explanation of a sequence
falls on a JASPAR/FIMO hit, Qt-free.

For a hit `[start, end)` on `strand` of a motif with probabilities `p` (the reverse complement's
on "-", so column `j` of the matrix is base `start + j` of the sequence) and an attribution
`a` `(4, n)` in sequence coordinates (rows A C G T; NaN where the model saw no base):

- ``attribution``: sum over the hit's columns of `a` at the observed base, `Σ_j a[x_j, start+j]`;
- ``attribution_pwm``: the PWM-weighted sum, `Σ_j Σ_b p_j(b) · a[b, start+j]` (for an attribution
  that is zero off the observed base, as gradient x input is, `Σ_j p_j(x_j) · a[x_j, start+j]`:
  attribution on bases the motif expects counts, on bases it does not, hardly);
- ``attribution_share``: `Σ_j |a[x_j, start+j]|` over the hit / the same over every base of the
  sequence the model saw -- the fraction of the sequence's attribution magnitude inside the hit;
- ``attribution_seen``: how many of the hit's columns the model saw. Unseen columns (NaN) are left
  out of the sums; a hit the model did not see at all gets NaN.

Ambiguous bases (N) have no observed letter and add nothing to ``attribution``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ATTRIBUTION_COLUMNS = ["attribution", "attribution_pwm", "attribution_share", "attribution_seen"]


def _observed(seq: str, n: int) -> np.ndarray:
    from deemo_gui.core.sequences import one_hot

    seq = str(seq).upper()
    if len(seq) != n:
        raise ValueError(f"the attribution has {n} columns but the sequence {len(seq)} bases")
    return one_hot([seq])[0].astype(np.float64)


def observed_track(attribution, seq: str) -> np.ndarray:
    """`(n,)` the attribution at the observed base of each position; NaN where the model saw none."""
    a = np.asarray(attribution, dtype=np.float64)
    if a.ndim != 2 or a.shape[0] != 4:
        raise ValueError(f"attribution must be (4, n), got shape {a.shape}")
    seen = ~np.isnan(a).all(axis=0)
    track = np.nansum(a * _observed(seq, a.shape[1]), axis=0)
    track[~seen] = np.nan
    return track


def hit_attribution(hits: pd.DataFrame, pwms, attribution, seq: str) -> pd.DataFrame:
    """`hits` (a `core.motifs.scan` table of one sequence: `motif_id, start, end, strand`) with the
    `ATTRIBUTION_COLUMNS` added (see the module docstring). `pwms`: the scanned PWMs (by `id`);
    `attribution`: `(4, n)` in the coordinates of `seq`."""
    from deemo_gui.core.motifs.pwm import PWM

    a = np.asarray(attribution, dtype=np.float64)
    track = observed_track(a, seq)
    total = float(np.nansum(np.abs(track)))
    by_id = {p.id: p for p in ([pwms] if isinstance(pwms, PWM) else pwms) if p is not None}
    out = hits.copy()
    cols = {c: np.full(len(out), np.nan) for c in ATTRIBUTION_COLUMNS}
    cols["attribution_seen"] = np.zeros(len(out), dtype=np.int64)
    strand_probs: dict[tuple, np.ndarray] = {}
    for k, (mid, start, end, strand) in enumerate(zip(out["motif_id"], out["start"], out["end"], out["strand"])):
        start, end = int(start), int(end)
        key = (mid, strand == "-")
        if key not in strand_probs:
            pwm = by_id[mid]
            strand_probs[key] = (pwm.reverse_complement() if key[1] else pwm).probs.astype(np.float64)
        probs = strand_probs[key]
        if probs.shape[1] != end - start:
            raise ValueError(f"hit {mid} {start}-{end} is {end - start} wide but the motif {probs.shape[1]}")
        window = a[:, start:end]
        seen = ~np.isnan(window).all(axis=0)
        cols["attribution_seen"][k] = int(seen.sum())
        if not seen.any():
            continue
        obs = track[start:end][seen]
        cols["attribution"][k] = obs.sum()
        cols["attribution_pwm"][k] = np.nansum(probs[:, seen] * window[:, seen])
        cols["attribution_share"][k] = np.abs(obs).sum() / total if total > 0 else np.nan
    for c, v in cols.items():
        out[c] = v
    return out


def attribution_text(row, pct: bool = True) -> str:
    """ "attribution 2.3 (34% of the sequence's)" for one row of `hit_attribution`; "not seen by
    the model" where it saw none of the hit, "(k of W bases seen)" where it saw part."""
    if row["attribution_seen"] == 0 or np.isnan(row["attribution"]):
        return "attribution: outside the model's window"
    text = f"attribution {row['attribution']:.3g}"
    if pct and np.isfinite(row["attribution_share"]):
        text += f" ({100 * row['attribution_share']:.0f}% of the sequence's)"
    width = int(row["end"]) - int(row["start"])
    if row["attribution_seen"] < width:
        text += f" ({int(row['attribution_seen'])} of {width} bases seen)"
    return text


def scan_with_attribution(pwms, seqs, attributions, p_threshold: float = 1e-4) -> pd.DataFrame:
    """FIMO hits (`core.motifs.scan`, both strands) of `pwms` in every sequence of `seqs`, each with
    the attribution inside it (`hit_attribution` on `attributions[i]`, `(N, 4, L_i)` or a list)."""
    from deemo_gui.core.motifs.pwm import PWM
    from deemo_gui.core.motifs.scan import scan

    pwms = [pwms] if isinstance(pwms, PWM) else [p for p in pwms if p is not None]
    seqs = [str(s).upper() for s in seqs]
    hits = scan(pwms, seqs, p_threshold=p_threshold)
    parts = [
        hit_attribution(group, pwms, attributions[int(i)], seqs[int(i)])
        for i, group in hits.groupby("seq_index", sort=True)
    ]
    if not parts:
        empty = hits.copy()
        for c in ATTRIBUTION_COLUMNS:
            empty[c] = pd.Series(dtype=np.int64 if c == "attribution_seen" else np.float64)
        return empty
    return pd.concat(parts).loc[hits.index]
