"""Koo & Eddy (2019) synthetic data: instance counts, planted sites, labels, placement, splits, CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chisquare

from deemo_gui.core.errors import ConfigError, DataError
from deemo_gui.core.motifs import PWM
from deemo_gui.core.synthetic import (
    DEFAULT_MOTIFS,
    INSTANCE_COUNT_PROBS,
    SPLIT_FRACTIONS,
    TRUTH_COLUMNS,
    _split_sizes,
    generate,
)

_RC = str.maketrans("ACGT", "TGCA")
L = 200


@pytest.fixture(scope="module")
def data():
    return generate(n=4000, length=L, seed=1)


def _all(data):
    """Whole data set in generation order: ids, sequences, labels."""
    parts = [data.train, data.valid, data.test]
    ids = sum((p.ids for p in parts), [])
    seqs = sum((p.sequences for p in parts), [])
    return ids, seqs, np.vstack([p.labels for p in parts])


def test_defaults_are_the_papers_12_jaspar2016_matrices(data):
    assert data.task_names == [
        "Arid3a",
        "CEBPB",
        "FOSL1",
        "Gabpa",
        "MAFK",
        "MAX",
        "MEF2A",
        "NFYB",
        "SP1",
        "SRF",
        "STAT1",
        "YY1",
    ]
    assert [m.id for m in data.motifs] == list(DEFAULT_MOTIFS)
    assert {m.source for m in data.motifs} == {"JASPAR2016"}


def test_instance_count_distribution(data):
    per_seq = data.truth.groupby("id").size()
    assert len(per_seq) == 4000  # every sequence has at least one instance
    observed = np.bincount(per_seq.to_numpy(), minlength=6)[1:6]
    assert observed.sum() == 4000
    expected = np.array(INSTANCE_COUNT_PROBS) * 4000
    assert chisquare(observed, expected).pvalue > 1e-3
    np.testing.assert_allclose(observed / 4000, INSTANCE_COUNT_PROBS, atol=0.03)


def test_planted_instances_follow_their_matrices(data):
    """Letters found at the recorded positions (reverse-complemented on '-') have the matrix's
    column frequencies; a wrong position or strand would give ~uniform columns."""
    ids, seqs, _ = _all(data)
    seq_of = dict(zip(ids, seqs))
    truth = data.truth
    for motif in data.motifs:
        rows = truth[truth["motif_id"] == motif.id]
        assert 200 < len(rows) < 1000
        assert 0.4 < (rows["strand"] == "+").mean() < 0.6
        sites = []
        for r in rows.itertuples():
            site = seq_of[r.id][r.start : r.end]
            sites.append(site.translate(_RC)[::-1] if r.strand == "-" else site)
        assert {len(s) for s in sites} == {motif.width}
        idx = np.array([["ACGT".index(c) for c in s] for s in sites])
        freq = np.stack([(idx == b).mean(axis=0) for b in range(4)])
        np.testing.assert_allclose(freq, motif.probs, atol=0.09)


def test_background_is_uniform_outside_motifs(data):
    ids, seqs, _ = _all(data)
    mask = np.ones((len(seqs), L), dtype=bool)
    row = {i: k for k, i in enumerate(ids)}
    for r in data.truth.itertuples():
        mask[row[r.id], r.start : r.end] = False
    letters = np.frombuffer("".join(seqs).encode(), dtype=np.uint8).reshape(len(seqs), L)[mask]
    freq = np.array([(letters == ord(b)).mean() for b in "ACGT"])
    np.testing.assert_allclose(freq, 0.25, atol=0.005)


def test_labels_match_truth(data):
    ids, _, labels = _all(data)
    expected = np.zeros_like(labels)
    row = {i: k for k, i in enumerate(ids)}
    col = {t: k for k, t in enumerate(data.task_names)}
    for r in data.truth.itertuples():
        expected[row[r.id], col[r.tf]] = 1
    np.testing.assert_array_equal(labels, expected)
    assert labels.dtype == np.float32 and labels.shape == (4000, 12)
    assert np.all(labels.sum(axis=1) >= 1)


def test_instances_do_not_overlap_and_keep_one_nt_apart(data):
    truth = data.truth.sort_values(["id", "start"])
    assert truth["start"].min() >= 1 and truth["end"].max() <= L - 1
    same = truth["id"].to_numpy()[1:] == truth["id"].to_numpy()[:-1]
    gaps = truth["start"].to_numpy()[1:] - truth["end"].to_numpy()[:-1]
    assert np.all(gaps[same] >= 1)
    assert gaps[same].min() == 1  # the 1-nt minimum is reached, not a larger hidden margin


def test_splits_truth_table_and_determinism(data):
    assert (len(data.train), len(data.valid), len(data.test)) == (2800, 400, 800)
    ids, seqs, _ = _all(data)
    assert len(set(ids)) == 4000 and {len(s) for s in seqs} == {L}
    assert list(data.truth.columns) == TRUTH_COLUMNS
    for name in ("train", "valid", "test"):
        part = data.split(name)
        rows = data.truth[data.truth["split"] == name]
        assert set(rows["id"]) == set(part.ids)
        assert all(part.ids[r.index] == r.id for r in rows.itertuples())
    a, b = generate(n=300, seed=5), generate(n=300, seed=5)
    assert a.train.sequences == b.train.sequences and a.test.sequences == b.test.sequences
    pd.testing.assert_frame_equal(a.truth, b.truth)
    assert generate(n=300, seed=6).train.sequences != a.train.sequences
    # the paper's 25,000 sequences: 17,500 / 2,500 / 5,000 (floating-point cumsum must not lose one)
    assert _split_sizes(25000, SPLIT_FRACTIONS) == [17500, 2500, 5000]


def test_custom_motifs_and_errors(data):
    sp1 = data.motifs[8]
    other = PWM(id="my_sp1", name="SP1", probs=sp1.reverse_complement().probs)
    gen = generate(motifs=[sp1, other], n=50, length=60, seed=2)
    assert gen.task_names == [f"SP1_{sp1.id}", "SP1_my_sp1"]
    assert set(gen.truth["motif_id"]) == {sp1.id, "my_sp1"}
    with pytest.raises(ConfigError, match="duplicates"):
        generate(motifs=[sp1, sp1], n=10)
    with pytest.raises(ConfigError, match="too short|do not fit"):
        generate(motifs=[sp1], n=10, length=sp1.width + 1)
    with pytest.raises(DataError, match="no matrix MA9999"):
        generate(motifs=["MA9999.1"], n=10)
    with pytest.raises(ConfigError):
        generate(n=0)


def test_cli_writes_tsv_files(tmp_path):
    from deemo_gui.cli.main import main

    out = tmp_path / "synth"
    assert (
        main(
            [
                "synth",
                "--motifs",
                "MA0139.1,MA0138.2",
                "--n",
                "300",
                "--length",
                "100",
                "--seed",
                "3",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    names = sorted(os.listdir(out))
    assert names == ["test.tsv", "train.tsv", "truth.tsv", "valid.tsv"]
    train = pd.read_csv(out / "train.tsv", sep="\t")
    assert list(train.columns) == ["id", "sequence", "CTCF", "REST"]
    assert len(train) == 210 and set(np.unique(train[["CTCF", "REST"]])) <= {0, 1}
    assert train["sequence"].str.len().eq(100).all()
    truth = pd.read_csv(out / "truth.tsv", sep="\t")
    seqs = pd.concat([pd.read_csv(out / f"{s}.tsv", sep="\t") for s in ("train", "valid", "test")])
    seq_of = dict(zip(seqs["id"], seqs["sequence"]))
    assert len(seqs) == 300 and set(truth["id"]) == set(seqs["id"])
    labelled = {(r.id, t) for r in seqs.itertuples() for t in ("CTCF", "REST") if getattr(r, t) == 1}
    assert labelled == set(zip(truth["id"], truth["tf"]))
    assert all(len(seq_of[r.id][r.start : r.end]) == r.end - r.start for r in truth.itertuples())
    # the project's own sequence reader takes the files as multi-task TSV, when it is there
    try:
        from deemo_gui.core.sequences import read_sequences
    except ImportError:
        return
    back = read_sequences(str(out / "valid.tsv"))
    assert back.task_names == ["CTCF", "REST"] and len(back) == 30


def test_cli_console_script_and_error(tmp_path):
    script = Path(sys.executable).with_name("deemo")
    if not script.exists():
        pytest.skip("deemo console script not installed in this environment")
    ok = subprocess.run(
        [str(script), "synth", "--n", "20", "--length", "60", "--out", str(tmp_path / "a")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "a" / "truth.tsv").exists()
    bad = subprocess.run(
        [str(script), "synth", "--motifs", "MA9999.1", "--n", "5", "--out", str(tmp_path / "b")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0 and "MA9999.1" in bad.stderr
