"""Attribution mass inside JASPAR/FIMO hits (`core.motifs.hit_attribution`) against a brute-force
loop, on the JASPAR 2024 REST matrix planted on both strands of a random sequence."""

import numpy as np
import pytest

from deemo_gui.core.motifs import JasparDB, scan
from deemo_gui.core.motifs.hit_attribution import (
    ATTRIBUTION_COLUMNS,
    attribution_text,
    hit_attribution,
)


@pytest.fixture(scope="module")
def rest():
    return JasparDB("JASPAR2024").get("MA0138")


def _planted(rest, rng, n=200):
    seq = list(rng.choice(list("ACGT"), n))
    cons = rest.consensus()
    rc = rest.reverse_complement().consensus()
    seq[20 : 20 + rest.width] = cons
    seq[120 : 120 + rest.width] = rc
    seq[60] = "N"
    return "".join(seq)


def _brute(hits, pwm, attr, seq):
    rows = []
    obs_all = [attr["ACGT".index(b), i] if b in "ACGT" else 0.0 for i, b in enumerate(seq)]
    seen_all = [not all(np.isnan(attr[:, i])) for i in range(len(seq))]
    total = sum(abs(o) for o, s in zip(obs_all, seen_all) if s)
    for _, h in hits.iterrows():
        probs = pwm.reverse_complement().probs if h["strand"] == "-" else pwm.probs
        a_obs = a_pwm = mag = 0.0
        seen = 0
        for j in range(h["end"] - h["start"]):
            i = h["start"] + j
            if not seen_all[i]:
                continue
            seen += 1
            a_obs += obs_all[i]
            mag += abs(obs_all[i])
            for b in range(4):
                if not np.isnan(attr[b, i]):
                    a_pwm += probs[b, j] * attr[b, i]
        rows.append((a_obs, a_pwm, mag / total, seen) if seen else (np.nan, np.nan, np.nan, 0))
    return np.array(rows, dtype=float).reshape(-1, 4)


@pytest.mark.parametrize("kind", ["all_letters", "grad_x_input"])
def test_hit_attribution_matches_a_loop_on_both_strands_with_an_unseen_edge(rest, kind):
    rng = np.random.default_rng(1)
    seq = _planted(rest, rng)
    hits = scan(rest, [seq], p_threshold=1e-4)
    assert {"+", "-"} <= set(hits["strand"])
    attr = rng.normal(size=(4, len(seq)))
    if kind == "grad_x_input":  # zero off the observed base, as the Dashboard's saliency
        from deemo_gui.core.sequences import one_hot

        attr = attr * one_hot([seq])[0]
    attr[:, 125:] = np.nan  # the model's window ends inside the "-" hit
    out = hit_attribution(hits, [rest], attr, seq)
    assert list(out.columns[-4:]) == ATTRIBUTION_COLUMNS and len(out) == len(hits)
    ref = _brute(hits, rest, attr, seq)
    np.testing.assert_allclose(out[ATTRIBUTION_COLUMNS].to_numpy(dtype=float), ref, rtol=1e-12, atol=1e-12)
    cut = out[(out["start"] < 125) & (out["end"] > 125)].iloc[0]
    assert cut["attribution_seen"] == 125 - cut["start"] and "bases seen" in attribution_text(cut)
    full = out[out["start"] == 20].iloc[0]
    assert full["attribution_seen"] == rest.width and "% of the sequence's" in attribution_text(full)


def test_hit_outside_the_window_is_nan_and_a_peak_inside_the_hit_dominates(rest):
    rng = np.random.default_rng(2)
    seq = _planted(rest, rng)
    hits = scan(rest, [seq], p_threshold=1e-4)
    attr = np.full((4, len(seq)), np.nan)
    attr[:, :101] = 0.01 * rng.normal(size=(4, 101))
    attr[:, 25:30] = 1.0  # a peak inside the + hit at 20
    out = hit_attribution(hits, rest, attr, seq)
    far = out[out["start"] >= 101]
    assert len(far) and far["attribution"].isna().all() and (far["attribution_seen"] == 0).all()
    assert attribution_text(far.iloc[0]) == "attribution: outside the model's window"
    near = out[out["start"] == 20].iloc[0]
    assert near["attribution"] > 4.9 and near["attribution_share"] > 0.8  # 5 of ~5.8 in |attribution|
    # PWM weighting: a column of 1s in every letter adds exactly 1 (the probabilities sum to 1)
    rest_cols = [j for j in range(rest.width) if not 5 <= j < 10]
    expected = 5.0 + float(np.sum(rest.probs[:, rest_cols] * attr[:, [20 + j for j in rest_cols]]))
    assert near["attribution_pwm"] == pytest.approx(expected, rel=1e-12)
