"""TF-MoDISco (core.modisco): the real engine on a small Koo & Eddy synthetic set, seqlet coordinates
against the planted instances, windows of longer sequences, attributions, the report and the CLI."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from deemo_gui.core import modisco_engine
from deemo_gui.core.modisco import (
    ModiscoSettings,
    Pattern,
    Seqlet,
    _pattern,
    discover,
    hypothetical_scores,
    scores_job,
    trim_bounds,
)

pytestmark = pytest.mark.skipif(bool(modisco_engine.available()), reason="modisco-lite is not installed")


def _drain(gen):
    while True:
        try:
            next(gen)
        except StopIteration as stop:
            return stop.value


def _planted(n=200, length=200, seed=0):
    """Koo & Eddy sequences with CTCF (MA0139.1) planted, and oracle hypothetical scores: the planted
    matrix's log-odds (mean over letters removed) on each instance, small noise elsewhere."""
    from deemo_gui.core.sequences import one_hot
    from deemo_gui.core.synthetic import generate

    data = generate(motifs=["MA0139.1"], n=n, length=length, seed=seed, split=(1.0, 0.0, 0.0))
    rng = np.random.default_rng(seed)
    X = one_hot(data.train.sequences)
    hyp = rng.normal(0, 0.05, size=X.shape).astype(np.float32)
    m = data.motifs[0].probs
    for r in data.truth.itertuples(index=False):
        mat = m if r.strand == "+" else m[::-1, ::-1]
        lo = np.log2((mat + 0.01) / 0.25)
        hyp[r.index, :, r.start : r.end] = lo - lo.mean(axis=0, keepdims=True)
    return data, X, hyp


@pytest.fixture(scope="module")
def planted():
    """The real engine once on 200 Koo & Eddy sequences of 200 nt (~20 s; numba compiles on first use)."""
    data, X, hyp = _planted()
    t0 = time.perf_counter()
    result = _drain(
        scores_job(data.train.sequences, X, hyp, ids=data.train.ids, settings=ModiscoSettings(leiden_runs=2))
    )
    assert time.perf_counter() - t0 < 300
    return data, result


def test_real_engine_recovers_the_planted_motif_and_its_positions(planted):
    data, result = planted
    top = result.patterns[0]
    assert top.metacluster == "pos" and top.n_seqlets >= 100
    assert top.best["target_name"] == "CTCF" and top.best["q"] < 1e-5, top.matches
    assert top.matched
    # every seqlet of the top pattern lies on a planted instance of its record, on the right strand
    truth = {}
    for r in data.truth.itertuples(index=False):
        truth.setdefault(r.index, []).append((r.start, r.end, r.strand))
    rel = {}
    hits = 0
    for s in top.seqlets:
        over = [
            (a, b, st)
            for a, b, st in truth.get(s.record, [])
            if min(b, s.end) - max(a, s.start) >= 0.8 * (s.end - s.start)
        ]
        if over:
            hits += 1
            rel[(s.strand == over[0][2])] = rel.get(s.strand == over[0][2], 0) + 1
    assert hits >= 0.95 * top.n_seqlets
    # one orientation of the pattern is the planted matrix's: seqlet strands agree with the truth's
    assert max(rel.values()) >= 0.95 * hits
    # the seqlet's bases read as the pattern on its strand
    s = top.seqlets[0]
    assert len(result.seqlet_text(s)) == s.end - s.start == top.trim[1] - top.trim[0]


def _raw(rc: int):
    W = 10
    cwm = np.zeros((W, 4), np.float32)
    cwm[3:7, 0] = 1.0  # core: columns 3..6
    return {
        "metacluster": "pos",
        "index": 0,
        "ppm": np.full((W, 4), 0.25, np.float32),
        "cwm": cwm,
        "hcwm": cwm,
        "seqlets": np.array([[0, 20, 30, rc]]),
    }


def _span(pattern):
    return pattern.seqlets[0].start, pattern.seqlets[0].end


def test_seqlets_map_back_through_strands_and_windows():
    contrib = np.ones((1, 50), np.float32)
    fwd = _pattern(_raw(0), contrib, np.array([0]), [50])
    assert fwd.trim == (3, 7) and fwd.seqlets == [Seqlet(0, 23, 27, "+", 4.0)]
    rev = _pattern(_raw(1), contrib, np.array([0]), [50])
    assert rev.seqlets == [Seqlet(0, 23, 27, "-", 4.0)]  # columns 3..6 of the rc: window 30-7 .. 30-3
    raw = _raw(1)
    raw["cwm"] = np.roll(raw["cwm"], 2, axis=0)  # core columns 5..8 -> rc window 30-9 .. 30-5
    assert _span(_pattern(raw, contrib, np.array([0]), [50])) == (21, 25)
    # a window at offset 400 of a 1,000-nt sequence; an N-padded one at offset -5, clipped to the sequence
    assert _span(_pattern(_raw(0), contrib, np.array([400]), [1000])) == (423, 427)
    assert _span(_pattern(_raw(0), contrib, np.array([-25]), [30])) == (0, 2)


def test_trim_is_modisco_lites_report_rule():
    cwm = np.zeros((4, 9))
    cwm[0] = [0.1, 0.2, 1.0, 0.5, 0.29, 0.31, 0.0, 0.35, 0.1]
    assert trim_bounds(cwm) == (2, 8)
    assert trim_bounds(np.zeros((4, 5))) == (0, 5)


def test_pattern_logos_both_strands():
    p = Pattern(
        name="pos_patterns.pattern_0",
        metacluster="pos",
        index=0,
        ppm=np.eye(4)[:, [0, 1, 2, 2]],
        cwm=np.eye(4)[:, [0, 1, 2, 2]],
        hcwm=np.eye(4)[:, [0, 1, 2, 2]],
        trim=(0, 4),
        seqlets=[],
    )
    assert p.pwm().consensus() == "ACGG" and p.pwm(reverse=True).consensus() == "CCGT"
    assert np.array_equal(p.trimmed("cwm", reverse=True), p.cwm[::-1, ::-1])


def test_hypothetical_scores_agree_with_the_attribution_maps():
    from deemo_gui.core.explain import integrated_gradients, saliency
    from deemo_gui.core.sequences import one_hot
    from tests.core._explain_models import alx4_model, alx4_reads

    model = alx4_model()
    X = one_hot(alx4_reads()[0][:8])
    g = saliency(model, X, kind="gradient")
    hyp = hypothetical_scores(model, X, "saliency")
    np.testing.assert_allclose(hyp, g - g.mean(axis=1, keepdims=True), atol=1e-6)
    # hypothetical x one-hot is the IG map summed over letters (uniform baseline)
    ig = integrated_gradients(model, X, baseline="uniform")
    hyp = hypothetical_scores(model, X, "ig")
    np.testing.assert_allclose((hyp * X).sum(axis=1), ig.sum(axis=1), atol=1e-4)
    try:
        from deemo_gui.core.explain import deep_lift_shap
    except ImportError:
        return
    hyp = hypothetical_scores(model, X, "deeplift")
    np.testing.assert_allclose(hyp * X, deep_lift_shap(model, X), atol=1e-5)


def test_closing_the_job_kills_the_engine(monkeypatch):
    data, X, hyp = _planted(n=50)
    started = []
    real = modisco_engine._Child

    class Spy(real):
        def __init__(self, folder):
            super().__init__(folder)
            started.append(self)

    monkeypatch.setattr(modisco_engine, "_Child", Spy)
    gen = scores_job(data.train.sequences, X, hyp, release=None)
    next(gen)
    gen.close()
    assert started and started[0].wait(0) is not None  # reaped
    with pytest.raises(ProcessLookupError):
        os.kill(started[0].pid, 0)


def test_too_few_sequences_give_no_pattern_and_a_clear_error(tmp_path, capsys):
    from deemo_gui.cli.main import main

    fa = tmp_path / "few.fa"
    fa.write_text(">a\n" + "ACGT" * 25 + "\n>b\n" + "TTGCA" * 20 + "\n")
    model = "models/REST_GM12878_cnn.safetensors"
    out = tmp_path / "p.meme"
    assert (
        main(
            ["motifs", model, "--method", "modisco", "--data", str(fa), "--attribution", "saliency", "--out", str(out)]
        )
        == 2
    )
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("deemo: error: TF-MoDISco found no pattern in 2 sequences") and "--data" in err
    assert not out.exists()
    assert (
        main(["motifs", model, "--method", "modisco", "--data", str(fa), "--max-seqlets", "0", "--out", str(out)]) == 2
    )
    assert "max seqlets must be a positive whole number" in capsys.readouterr().err
    assert main(["motifs", model, "--method", "modisco", "--out", str(out)]) == 2
    assert "needs sequences: give --data FILE" in capsys.readouterr().err


def test_report_embeds_every_image(planted, tmp_path):
    from deemo_gui.core.modisco_report import seqlets_tsv, write_report

    data, result = planted
    path = write_report(result, tmp_path / "r.html")
    text = Path(path).read_text(encoding="utf-8")
    n_img = text.count("<img ")
    assert n_img >= 5 * len(result.patterns) and text.count('src="data:image/png;base64,') == n_img
    assert 'src="http' not in text and "<link" not in text and "<script" not in text
    assert "CTCF" in text and data.train.ids[result.patterns[0].seqlets[0].record] in text
    rows = seqlets_tsv(result).splitlines()
    assert len(rows) == 1 + sum(p.n_seqlets for p in result.patterns)


@pytest.mark.slow
@pytest.mark.parametrize(
    "tf,fa,jaspar", [("REST_GM12878", "REST_GM12878_test.fa", "MA0138"), ("CTCF", "CTCF_test.fa", "MA0139")]
)
def test_rest_and_ctcf_peaks_find_their_jaspar_motif(tf, fa, jaspar):
    import deemo_gui
    from deemo_gui.core.sequences import load_dataset

    model = deemo_gui.load_model(f"models/{tf}_cnn.safetensors")
    data = load_dataset(f"resources/examples/{fa}")
    keep = np.flatnonzero(data.labels[:, 0] == 1)
    result = discover(model, [data.seqs[i] for i in keep], ids=[data.ids[i] for i in keep])
    ranks = [
        k
        for k, p in enumerate(result.patterns)
        if p.matches is not None and any(p.matches["target_id"].str.startswith(jaspar) & (p.matches["q"] < 0.05))
    ]
    assert ranks and ranks[0] <= 1, [(p.name, p.n_seqlets, p.best) for p in result.patterns]


def test_the_desktop_bundle_says_modisco_is_left_out(monkeypatch):
    """The frozen bundle excludes modisco-lite (packaging/deemo-gui.spec): one line that says why."""
    import importlib.util
    import sys

    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    why = modisco_engine.available()
    assert "not in the desktop bundle" in why and "pip install" in why
    spec = (Path(__file__).resolve().parents[2] / "packaging" / "deemo-gui.spec").read_text()
    assert '"modiscolite"' in spec
