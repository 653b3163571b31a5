"""deemo_gui.core.motifs: PWM maths, JASPAR, MEME/JASPAR files, Tomtom, FIMO and PWM scanning.

Oracles are independent of the code under test: hand-computed information content, memelite's
own MEME reader, a brute-force numpy log-odds scan, and the REST single-PWM AUROC published in
resources/data/SOURCES.md. The first Tomtom/FIMO call compiles memelite's numba kernels
(~1-2 min, once per environment; cached on disk afterwards).
"""

from __future__ import annotations

import gzip
import warnings

import numpy as np
import pandas as pd
import pytest

from deemo_gui.core.errors import DataError
from deemo_gui.core.motifs import (
    LOW_INFORMATION_BITS,
    PWM,
    TOMTOM_COLUMNS,
    JasparDB,
    average_affinity,
    benjamini_hochberg,
    best_match,
    compare,
    low_information,
    max_scores,
    position_scores,
    read_jaspar,
    read_meme,
    read_motifs,
    releases,
    scan,
    write_jaspar,
    write_meme,
)

RELEASE = "JASPAR2024" if "JASPAR2024" in releases() else releases()[-1]


@pytest.fixture(scope="module")
def db() -> JasparDB:
    return JasparDB(RELEASE)


@pytest.fixture(scope="module")
def vertebrates(db) -> list[PWM]:
    return db.all("CORE", "vertebrates")


@pytest.fixture(scope="module")
def ctcf(db) -> PWM:
    return db.get("MA0139")


@pytest.fixture(scope="module")
def rest(db) -> PWM:
    return db.get("MA0138")


def _onehot(seqs: list[str]) -> np.ndarray:
    idx = np.array([["ACGT".index(c) for c in s] for s in seqs])
    return np.eye(4, dtype=np.float32)[idx].transpose(0, 2, 1)


# ---------------------------------------------------------------------------------------------
# PWM


def test_information_content_matches_hand_computation():
    probs = np.array(
        [
            [1.0, 0.25, 0.5, 0.7],
            [0.0, 0.25, 0.5, 0.1],
            [0.0, 0.25, 0.0, 0.1],
            [0.0, 0.25, 0.0, 0.1],
        ]
    )
    pwm = PWM.from_probs(probs, id="hand")
    # 2 - H: H(1,0,0,0) = 0; H(uniform) = 2; H(.5,.5) = 1;
    # H(.7,.1,.1,.1) = -(.7 log2 .7 + 3 x .1 log2 .1) = 0.360201 + 0.996578 = 1.356779
    np.testing.assert_allclose(pwm.information_content(), [2.0, 0.0, 1.0, 0.643221], atol=1e-6)
    assert pwm.total_ic == pytest.approx(3.643221, abs=1e-6)
    assert pwm.width == 4
    assert pwm.consensus() == "AAAA"  # ties go to the first letter


def test_from_counts_pseudocount_and_validation():
    pwm = PWM.from_counts([[3, 0], [1, 0], [0, 0], [0, 4]], pseudocount=1.0, id="c")
    np.testing.assert_allclose(pwm.probs[:, 0], [4 / 8, 2 / 8, 1 / 8, 1 / 8])
    np.testing.assert_allclose(pwm.probs[:, 1], [1 / 8, 1 / 8, 1 / 8, 5 / 8])
    assert pwm.nsites == 4
    with pytest.raises(DataError, match="no counts"):
        PWM.from_counts([[1, 0], [0, 0], [0, 0], [0, 0]], id="empty-col")
    with pytest.raises(DataError, match="negative"):
        PWM.from_probs([[0.5], [0.5], [0.1], [-0.1]], id="neg")
    with pytest.raises(DataError, match="shape"):
        PWM.from_probs(np.ones((3, 5)), id="three-rows")
    with pytest.raises(DataError, match="sums to"):
        PWM(id="x", name="x", probs=np.full((4, 2), 0.3))


def test_reverse_complement(ctcf):
    pwm = PWM.from_probs(np.eye(4)[:, [0, 1, 2]], id="ACG")  # consensus ACG
    assert pwm.consensus() == "ACG"
    assert pwm.reverse_complement().consensus() == "CGT"
    twice = ctcf.reverse_complement().reverse_complement()
    np.testing.assert_array_equal(twice.probs, ctcf.probs)
    np.testing.assert_array_equal(twice.counts, ctcf.counts)
    # A at column j becomes T at column W-1-j
    rc = ctcf.reverse_complement()
    np.testing.assert_array_equal(rc.probs[3, ::-1], ctcf.probs[0])


def test_trim_drops_uninformative_flanks(ctcf):
    flank = np.full((4, 3), 0.25)
    padded = PWM.from_probs(np.hstack([flank, ctcf.probs, flank[:, :2]]), id="padded")
    trimmed = padded.trim(min_ic=0.25)
    core = ctcf.trim(min_ic=0.25)
    np.testing.assert_allclose(trimmed.probs, core.probs)
    assert padded.trim(min_ic=0.25, pad=1).width == core.width + 2
    uniform = PWM.from_probs(np.full((4, 5), 0.25), id="u")
    assert uniform.trim().width == 5  # nothing informative: unchanged


def test_log_odds_and_dataframe(ctcf):
    pwm = PWM.from_probs(np.eye(4)[:, [0, 3]], id="AT")
    lo = pwm.log_odds(pseudocount=0.01)
    # p' = (p + 0.01 x 0.25) / 1.01
    assert lo[0, 0] == pytest.approx(np.log2((1 + 0.0025) / 1.01 / 0.25))
    assert lo[1, 0] == pytest.approx(np.log2(0.0025 / 1.01 / 0.25))
    df = ctcf.to_dataframe()
    assert list(df.columns) == list("ACGT") and df.shape == (ctcf.width, 4)
    np.testing.assert_allclose(df.sum(axis=1), 1.0)
    info = ctcf.to_dataframe("information")
    np.testing.assert_allclose(info.sum(axis=1), ctcf.information_content())


# ---------------------------------------------------------------------------------------------
# MEME and JASPAR files


def test_meme_round_trip_readable_by_memelite(tmp_path, ctcf, rest):
    from memelite.io import read_meme as memelite_read_meme

    rng = np.random.default_rng(0)
    rand = PWM.from_probs(rng.dirichlet(np.ones(4), size=7).T, id="filter 3", name="")
    path = tmp_path / "motifs.meme"
    write_meme([ctcf, rest, rand], path)
    back = read_meme(path)
    assert [p.id for p in back] == [ctcf.id, rest.id, "filter_3"]
    assert [p.name for p in back] == ["CTCF", "REST", ""]
    for a, b in zip([ctcf, rest, rand], back):
        np.testing.assert_allclose(b.probs, a.probs, atol=1e-6)
    assert back[0].nsites == pytest.approx(ctcf.nsites)
    # an independent reader of the format
    other = memelite_read_meme(str(path))
    np.testing.assert_allclose(other[f"{ctcf.id} CTCF"], ctcf.probs, atol=1e-6)


MEME_OK = """MEME version 5

ALPHABET= ACGT

strands: + -

Background letter frequencies
A 0.3 C 0.2 G 0.2 T 0.3

MOTIF M1 first
letter-probability matrix: alength= 4 w= 3 nsites= 10 E= 1e-5
 0.9  0.05 0.05 0.0
 0.1  0.1  0.1  0.7
 0.25 0.25 0.25 0.25
URL http://example.org

MOTIF M2
letter-probability matrix: alength= 4
0.5 0.5 0.0 0.0
0.0 0.0 0.6 0.6

"""


def test_meme_reader_details(tmp_path):
    path = tmp_path / "ok.meme"
    path.write_text(MEME_OK)
    with pytest.warns(UserWarning, match="M2.*renormalized"):
        pwms = read_meme(path)
    assert [p.id for p in pwms] == ["M1", "M2"]
    assert pwms[0].name == "first" and pwms[0].nsites == 10 and pwms[0].width == 3
    assert pwms[0].consensus() == "ATA"
    np.testing.assert_allclose(pwms[1].probs[:, 1], [0, 0, 0.5, 0.5])  # row summing to 1.2
    gz = tmp_path / "ok.meme.gz"
    gz.write_bytes(gzip.compress(MEME_OK.encode()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert len(read_motifs(gz)) == 2


@pytest.mark.parametrize(
    "text, pattern",
    [
        ("", "empty file"),
        ("MEME version 4\n\nALPHABET= ACGT\n", "no 'MOTIF' lines"),
        (
            "MOTIF bad\nletter-probability matrix: alength= 4 w= 2\n0.25 0.25 0.5\n0.25 0.25 0.25 0.25\n",
            r"line 3: motif 'bad' row 1: 3 values, expected 4",
        ),
        (
            "MOTIF neg\nletter-probability matrix: alength= 4 w= 2\n0.5 0.5 0 0\n0.5 0.6 -0.1 0\n",
            r"line 4: motif 'neg' row 2: negative",
        ),
        ("MOTIF nan\nletter-probability matrix: alength= 4 w= 1\n0.5 nan 0.25 0.25\n", "'nan'.*NaN"),
        (
            "MOTIF short\nletter-probability matrix: alength= 4 w= 3\n0.5 0.5 0 0\n0.5 0.5 0 0\n\nMOTIF x\n",
            "'short' has 2 rows but w= 3",
        ),
        ("MOTIF long\nletter-probability matrix: alength= 4 w= 1\n0.5 0.5 0 0\n0.5 0.5 0 0\n", "more rows than w= 1"),
        ("MOTIF lo\nlog-odds matrix: alength= 4 w= 1\n1 -1 -1 -1\n", "no 'letter-probability matrix:'"),
        ("ALPHABET= ACDEFGHIKLMNPQRSTVWY\nMOTIF p\n", "not DNA"),
        ("MOTIF zero\nletter-probability matrix: alength= 4 w= 1\n0 0 0 0\n", "row 1 is all zero"),
    ],
)
def test_meme_reader_errors_name_file_motif_and_line(tmp_path, text, pattern):
    path = tmp_path / "bad.meme"
    path.write_text(text)
    with pytest.raises(DataError, match=pattern) as err:
        read_meme(path)
    assert "bad.meme" in str(err.value) and "\n" not in str(err.value)


def test_meme_missing_file(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_meme(tmp_path / "nope.meme")


def test_jaspar_format_round_trip_and_errors(tmp_path, ctcf, rest):
    path = tmp_path / "m.jaspar"
    write_jaspar([ctcf, rest], path)
    back = read_jaspar(path)
    assert [(p.id, p.name) for p in back] == [(ctcf.id, "CTCF"), (rest.id, "REST")]
    np.testing.assert_allclose(back[0].counts, ctcf.counts)
    np.testing.assert_allclose(back[1].probs, rest.probs)
    assert [p.id for p in read_motifs(path)] == [ctcf.id, rest.id]
    # rows in another order, no brackets; a raw .pfm without header
    (tmp_path / "x.jaspar").write_text(">X1 foo\nT 0 1\nG 0 1\nC 0 1\nA 4 1\n")
    x = read_jaspar(tmp_path / "x.jaspar")[0]
    np.testing.assert_allclose(x.probs[:, 0], [1, 0, 0, 0])
    (tmp_path / "raw.pfm").write_text("1 2\n1 2\n1 2\n1 2\n")
    assert read_jaspar(tmp_path / "raw.pfm")[0].width == 2
    (tmp_path / "bad.jaspar").write_text(">B1 bad\nA [ 1 2 3 ]\nC [ 1 2 ]\nG [ 1 2 3 ]\nT [ 1 2 3 ]\n")
    with pytest.raises(DataError, match=r"bad.jaspar, line 2: matrix 'B1' rows differ in length"):
        read_jaspar(tmp_path / "bad.jaspar")
    (tmp_path / "three.jaspar").write_text(">B2\nA 1\nC 1\nG 1\n")
    with pytest.raises(DataError, match="'B2' has 3 rows"):
        read_jaspar(tmp_path / "three.jaspar")


# ---------------------------------------------------------------------------------------------
# JASPAR database


def test_jaspar_lookup_by_id_and_name(db, ctcf, rest):
    assert {"JASPAR2016", "JASPAR2024"} <= set(releases())
    assert ctcf.name == "CTCF" and ctcf.id.startswith("MA0139.")
    assert rest.name == "REST" and rest.id.startswith("MA0138.")
    v1 = db.get("MA0139.1")
    assert v1.id == "MA0139.1" and v1.width == 19 and v1.consensus() == "TGGCCACCAGGGGGCGCTA"
    assert db.get("ma0139.1").id == "MA0139.1"
    np.testing.assert_allclose(ctcf.probs.sum(axis=0), 1.0)
    assert ctcf.counts is not None and ctcf.source == RELEASE
    assert ctcf.id in [p.id for p in db.search("CTCF")]
    assert all(p.name == "CTCF" for p in db.search("CTCF"))
    assert rest.id in [p.id for p in db.search("rest")]
    assert "CTCFL" in {p.name for p in db.search("ctcf", exact=False)}
    with pytest.raises(DataError, match="no matrix MA9999"):
        db.get("MA9999")
    with pytest.raises(DataError, match="not a JASPAR matrix ID"):
        db.get("CTCF")
    with pytest.raises(DataError, match="not available offline"):
        JasparDB("JASPAR1999")


def test_jaspar_all_is_cached_and_read_only(db, vertebrates):
    assert len(vertebrates) > 500
    again = db.all("CORE", "vertebrates")
    assert again[0] is vertebrates[0]
    with pytest.raises(ValueError):
        vertebrates[0].probs[0, 0] = 1.0
    assert len({p.id for p in vertebrates}) == len(vertebrates)


# ---------------------------------------------------------------------------------------------
# Tomtom


def test_benjamini_hochberg_by_hand():
    # sorted .01 .03 .04 .2 -> x4/rank: .04 .06 .0533 .2 -> running min from the top
    np.testing.assert_allclose(benjamini_hochberg([0.01, 0.04, 0.03, 0.2]), [0.04, 0.16 / 3, 0.16 / 3, 0.2])


def test_tomtom_finds_ctcf_from_a_noisy_copy(ctcf, vertebrates):
    rng = np.random.default_rng(7)
    noisy = np.stack([rng.dirichlet(30 * col + 0.5) for col in ctcf.probs.T], axis=1)
    query = PWM.from_probs(noisy[:, 1:], id="noisy_ctcf")  # noise + one column trimmed
    query_rc = PWM.from_probs(noisy[:, 1:][::-1, ::-1], id="noisy_ctcf_rc")
    df = compare([query, query_rc], vertebrates)
    assert list(df.columns) == TOMTOM_COLUMNS
    assert len(df) == 2 * len(vertebrates)
    assert list(df["query"].unique()) == ["noisy_ctcf", "noisy_ctcf_rc"]
    fwd = df[df["query"] == "noisy_ctcf"]
    assert np.all(np.diff(fwd["p"].to_numpy()) >= 0)
    top = fwd.iloc[0]
    assert top.target_id == ctcf.id and top.target_name == "CTCF"
    assert top.E < 1e-6 and top.strand == "+" and top.offset == 1 and top.overlap == ctcf.width - 1
    np.testing.assert_allclose(fwd["E"], fwd["p"] * len(vertebrates))
    assert np.all(fwd["q"].to_numpy() >= fwd["p"].to_numpy() - 1e-300)
    rc_top = df[df["query"] == "noisy_ctcf_rc"].iloc[0]
    # the reverse-complemented query sits at column 0 of the reverse-complemented target
    assert rc_top.target_id == ctcf.id and rc_top.strand == "-" and rc_top.offset == 0
    assert rc_top.E < 1e-6


def test_too_flat_is_judged_on_the_informative_core(db):
    """A real site padded with flat columns is not "too flat" for its padding; a flat motif, or one
    informative column or two in flat padding, still is."""
    from deemo_gui.core.motifs.tomtom import informative_core

    rng = np.random.default_rng(1)
    rest = db.get("MA0138")
    start = int(np.argmax(np.convolve(rest.information_content(), np.ones(9), "valid")))
    core = rest.slice(start, start + 9)
    pad = rng.dirichlet([50.0] * 4, size=15).T  # ~0.02 bits per column
    padded = PWM.from_probs(np.concatenate([pad, core.probs, pad], axis=1), id="padded")
    assert padded.total_ic < LOW_INFORMATION_BITS * padded.width  # the padded width's mean: "flat"
    assert informative_core(padded).width <= 11 and not low_information(padded)
    spike = np.concatenate([pad, np.eye(4)[:, [0, 3]], pad], axis=1) * 0.97 + 0.0075
    assert low_information(PWM.from_probs(spike / spike.sum(axis=0), id="spike"))  # 2 columns: no motif
    assert low_information(PWM.from_probs(rng.dirichlet([20.0] * 4, size=30).T, id="flat30"))


def test_near_flat_queries_match_by_chance_and_are_flagged(db, vertebrates):
    """Why `low_information` exists: random near-flat 9-column queries get E < 1e-6 "matches" (the
    flat stretches of long matrices), while 9-column cores of real matrices pass the guard."""
    rng = np.random.default_rng(0)
    flat = [PWM.from_probs(rng.dirichlet([20.0] * 4, size=9).T, id=f"flat{k}") for k in range(8)]
    best = compare(flat, vertebrates).groupby("query", sort=False).head(1)
    assert (best["E"] < 1e-6).all(), best
    assert all(low_information(q) for q in flat)
    assert all(q.total_ic < 0.1 * LOW_INFORMATION_BITS * q.width for q in flat)
    # Nearer the cutoff (0.05-0.25 bits per column) random queries still "match" at E < 0.05.
    weak = [PWM.from_probs(rng.dirichlet([3.0] * 4, size=9).T, id=f"weak{k}") for k in range(8)]
    assert all(0.05 * 9 < q.total_ic < 0.25 * 9 and low_information(q) for q in weak)
    best = compare(weak, vertebrates).groupby("query", sort=False).head(1)
    assert (best["E"] < 0.05).mean() >= 0.75, best
    for jaspar_id in ("MA0139", "MA0138", "MA0058", "MA0148", "MA0079"):  # CTCF REST MAX FOXA1 SP1
        pwm = db.get(jaspar_id)
        w = min(9, pwm.width)
        start = int(np.argmax(np.convolve(pwm.information_content(), np.ones(w), "valid")))
        assert not low_information(pwm.slice(start, start + w)), jaspar_id
    assert low_information(PWM.from_probs(np.full((4, 6), 0.25)))


def test_tomtom_offset_semantics(ctcf, vertebrates):
    piece = ctcf.slice(3, 13)
    m = best_match(piece, vertebrates)
    assert (m.target_id, m.strand, m.offset, m.overlap) == (ctcf.id, "+", 3, 10)
    m = best_match(piece.reverse_complement(), vertebrates)
    # rc(piece) = columns W-13 .. W-4 of rc(ctcf)
    assert (m.target_id, m.strand, m.offset) == (ctcf.id, "-", ctcf.width - 13)
    assert compare([], vertebrates).columns.tolist() == TOMTOM_COLUMNS


# ---------------------------------------------------------------------------------------------
# Scanning


def _brute_fimo_scores(pwm: PWM, seqs: list[str]) -> np.ndarray:
    """memelite's FIMO score, log2((p + 1e-4) / 0.25) summed, for every window; (N, 2, n_win)."""
    lo = np.log2(pwm.probs + 1e-4) - np.log2(0.25)
    rc = lo[::-1, ::-1]
    W = pwm.width
    out = []
    for s in seqs:
        idx = np.array(["ACGT".index(c) for c in s])
        n_win = len(s) - W + 1
        f = [lo[idx[i : i + W], np.arange(W)].sum() for i in range(n_win)]
        r = [rc[idx[i : i + W], np.arange(W)].sum() for i in range(n_win)]
        out.append([f, r])
    return np.array(out)


def test_fimo_hits_agree_with_brute_force(ctcf):
    rng = np.random.default_rng(3)
    seqs = ["".join(rng.choice(list("ACGT"), size=120)) for _ in range(40)]
    cons = ctcf.consensus()
    rc_cons = cons.translate(str.maketrans("ACGT", "TGCA"))[::-1]
    seqs[0] = seqs[0][:30] + cons + seqs[0][30 + len(cons) :]
    seqs[1] = seqs[1][:70] + rc_cons + seqs[1][70 + len(rc_cons) :]
    hits = scan(ctcf, _onehot(seqs), p_threshold=1e-4)
    assert list(hits.columns) == ["motif_id", "seq_index", "start", "end", "strand", "score", "p"]
    brute = _brute_fimo_scores(ctcf, seqs)
    strand_ix = {"+": 0, "-": 1}
    for h in hits.itertuples():
        assert h.end - h.start == ctcf.width and h.p < 1e-4
        assert h.score == pytest.approx(brute[h.seq_index, strand_ix[h.strand], h.start], abs=1e-6)
    # every window scoring above the weakest reported hit is reported
    found = {(h.seq_index, strand_ix[h.strand], h.start) for h in hits.itertuples()}
    above = {tuple(ix) for ix in np.argwhere(brute > hits["score"].min() + 1e-6)}
    assert above <= found
    # the planted sites are the top hits
    best = hits.sort_values("score", ascending=False).iloc[:2]
    assert {(r.seq_index, r.start, r.strand) for r in best.itertuples()} == {(0, 30, "+"), (1, 70, "-")}
    assert np.unravel_index(brute.argmax(), brute.shape) in [(0, 0, 30), (1, 1, 70)]
    # strings give the same hits as one-hot
    pd.testing.assert_frame_equal(scan(ctcf, seqs, p_threshold=1e-4), hits)


def test_position_and_max_scores_match_brute_force(ctcf):
    rng = np.random.default_rng(5)
    seqs = ["".join(rng.choice(list("ACGT"), size=60)) for _ in range(5)]
    lo = ctcf.log_odds(pseudocount=0.01)
    W = ctcf.width
    got = position_scores(ctcf, _onehot(seqs))
    for n, s in enumerate(seqs):
        idx = np.array(["ACGT".index(c) for c in s])
        for i in range(len(s) - W + 1):
            fwd = sum(lo[idx[i + j], j] for j in range(W))
            # the reverse complement of the window scored with the forward matrix
            rev = sum(lo[3 - idx[i + W - 1 - j], j] for j in range(W))
            assert got[n, 0, i] == pytest.approx(fwd) and got[n, 1, i] == pytest.approx(rev)
    np.testing.assert_allclose(max_scores(ctcf, seqs), got.max(axis=(1, 2)))
    # AMA: mean odds over positions and strands
    np.testing.assert_allclose(average_affinity(ctcf, seqs), np.exp2(got).mean(axis=(1, 2)))
    # shorter string sequences: windows past their end are ignored
    short = max_scores(ctcf, [seqs[0], seqs[1][:30]])
    assert short[1] == pytest.approx(got[1, :, : 30 - W + 1].max())
    assert max_scores(ctcf, ["ACGT"])[0] == -np.inf


def test_rest_matrix_auroc_on_deepbind_test_set(data_dir, rest):
    from sklearn.metrics import roc_auc_score

    df = pd.read_csv(data_dir / "deepbind_encode" / "REST_GM12878_B.seq.gz", sep="\t")
    assert len(df) == 1000
    X = _onehot(df["seq"].tolist())
    auc = roc_auc_score(df["Bound"], max_scores(rest, X))
    # SOURCES.md: the JASPAR 2024 REST matrix alone, best log-odds over both strands: 0.956
    assert auc == pytest.approx(0.956, abs=0.02)
    ama = average_affinity(rest, X)
    assert ama[df["Bound"] == 1].mean() > ama[df["Bound"] == 0].mean()


def test_fimo_and_tomtom_leave_torch_thread_count_alone():
    """memelite's numba kernels reset OpenMP's thread count, which is torch's too (see motifs/_threads)."""
    import torch

    from deemo_gui.core.motifs import JasparDB
    from deemo_gui.core.motifs.scan import scan
    from deemo_gui.core.motifs.tomtom import compare

    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        db = JasparDB("JASPAR2024")
        ctcf = db.get("MA0139")
        scan(ctcf, ["ACGT" * 30, "CCGCGNGGNGGCAG" * 5])
        assert torch.get_num_threads() == 1
        compare([ctcf], db.all()[:60])
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
