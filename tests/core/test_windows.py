"""Sliding windows for sequences of any length (`core.windows`), checked against brute force: the
model run on each window's own one-hot."""

from pathlib import Path

import numpy as np
import pytest

from deemo_gui.core.errors import ConfigError
from deemo_gui.core.inference import predict_proba
from deemo_gui.core.modelfile import load_model
from deemo_gui.core.sequences import one_hot, read_fasta, reverse_complement
from deemo_gui.core.windows import (
    MAX_WINDOWS,
    auto_stride,
    clamp_start,
    scan,
    score_sequences,
    window_sequence,
    window_starts,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cnn():
    return load_model(ROOT / "models" / "REST_GM12878_cnn.safetensors")


@pytest.fixture(scope="module")
def region():
    """1,010 nt of real sequence: 6 REST negatives, a REST peak (606-707), 3 more negatives."""
    data = read_fasta(ROOT / "resources" / "examples" / "REST_GM12878_test.fa")
    neg = [s for s, y in zip(data.seqs, data.labels[:, 0]) if y == 0]
    pos = [s for s, y in zip(data.seqs, data.labels[:, 0]) if y == 1]
    return "".join(neg[:6]) + pos[0] + "".join(neg[6:9])


def test_window_starts_cover_every_base_and_end_at_the_last_start():
    assert window_starts(101, 101).tolist() == [0]
    assert window_starts(60, 101).tolist() == [-20]  # N-padded, centred (20 left, 21 right)
    assert window_starts(110, 101, 4).tolist() == [0, 4, 8, 9]
    starts = window_starts(1000, 101, 7)
    covered = np.zeros(1000, bool)
    for s in starts:
        covered[s : s + 101] = True
    assert covered.all() and starts[-1] == 899
    with pytest.raises(ConfigError, match="stride"):
        window_starts(1000, 101, 0)


def test_window_sequence_pads_with_n_and_clamp_keeps_starts_valid():
    assert window_sequence("ACGT", -2, 8) == "NNACGTNN"
    assert window_sequence("ACGTACGT", 2, 4) == "GTAC"
    assert clamp_start(-5, 300, 101) == 0 and clamp_start(500, 300, 101) == 199 and clamp_start(7, 60, 101) == -20


def test_auto_stride_caps_the_number_of_windows():
    assert auto_stride(1000, 101, 1) == 1
    stride = auto_stride(1_000_000, 101, 1)
    assert len(window_starts(1_000_000, 101, stride)) <= MAX_WINDOWS


@pytest.mark.parametrize("stride", [1, 7])
def test_scan_equals_the_model_on_each_window(cnn, region, stride):
    result = scan(cnn, region, stride=stride)
    windows = [region[s : s + 101] for s in result.starts]
    brute = predict_proba(cnn, one_hot(windows))
    np.testing.assert_allclose(result.probs, brute, rtol=1e-5, atol=1e-6)
    assert result.scanned and not result.padded
    best = int(np.argmax(brute[:, 0]))
    assert result.best_start() == result.starts[best]
    assert result.score()[0] == pytest.approx(brute[best, 0])
    # The REST peak (bases 606-707) holds the best window: the one that reads the whole peak scores highest.
    assert 560 <= result.best_start() <= 650, result.best_start()


def test_reverse_complement_scores_the_better_strand(cnn, region):
    result = scan(cnn, region[:300], stride=10, reverse_complement=True)
    fwd = predict_proba(cnn, one_hot([region[s : s + 101] for s in result.starts]))
    rev = predict_proba(cnn, one_hot([reverse_complement(region[s : s + 101]) for s in result.starts]))
    np.testing.assert_allclose(result.probs, np.maximum(fwd, rev), rtol=1e-5, atol=1e-6)
    assert ((result.strands == -1) == (rev > fwd)).all()


def test_score_sequences_mixes_lengths(cnn, region):
    seqs = [region[600:701], region, region[620:680], region.lower()]
    got = score_sequences(cnn, seqs, stride=3)
    assert got[0, 0] == pytest.approx(predict_proba(cnn, one_hot([seqs[0]]))[0, 0], rel=1e-5)
    assert got[1, 0] == pytest.approx(scan(cnn, region, stride=3).score()[0], rel=1e-6)
    padded = "N" * 20 + seqs[2] + "N" * 21
    assert got[2, 0] == pytest.approx(predict_proba(cnn, one_hot([padded]))[0, 0], rel=1e-5)
    assert got[3, 0] == pytest.approx(got[1, 0], rel=1e-6)  # soft-masked lower case scores the same


def test_deemo_explain_explains_each_record_on_its_window(cnn, region, tmp_path, capsys):
    from deemo_gui.cli.main import main
    from deemo_gui.core.explain import saliency

    fasta = tmp_path / "mixed.fa"
    fasta.write_text(f">long\n{region}\n>exact\n{region[600:701]}\n>short\n{region[620:680]}\n")
    out = tmp_path / "sal.npz"
    assert (
        main(
            [
                "explain",
                str(ROOT / "models" / "REST_GM12878_cnn.safetensors"),
                str(fasta),
                "--method",
                "saliency",
                "--out",
                str(out),
                "--device",
                "cpu",
            ]
        )
        == 0
    )
    err = capsys.readouterr().err
    assert "1 of 3 sequences are longer than the model's 101 nt" in err and "N-padded" in err
    saved = np.load(out)
    best = scan(cnn, region).best_start()
    assert saved["window_starts"].tolist() == [best, 0, -20]
    windows = [
        window_sequence(s, int(o), 101)
        for s, o in zip([region, region[600:701], region[620:680]], saved["window_starts"])
    ]
    np.testing.assert_allclose(saved["attributions"], saliency(cnn, one_hot(windows)), rtol=1e-5, atol=1e-7)
    assert (
        main(
            [
                "explain",
                str(ROOT / "models" / "REST_GM12878_cnn.safetensors"),
                str(fasta),
                "--method",
                "saliency",
                "--out",
                str(out),
                "--window",
                "centre",
            ]
        )
        == 0
    )
    assert np.load(out)["window_starts"].tolist() == [454, 0, -20]


def test_deemo_predict_scores_longer_sequences_by_their_best_window(cnn, region, tmp_path, caplog):
    import csv

    from deemo_gui.cli.main import main

    fasta = tmp_path / "mixed.fa"
    seqs = [region, region[600:701], region[620:680]]
    fasta.write_text("".join(f">r{i}\n{s}\n" for i, s in enumerate(seqs)))
    model = str(ROOT / "models" / "REST_GM12878_cnn.safetensors")
    for extra, expected in (
        (["--stride", "3"], score_sequences(cnn, seqs, 3)),
        (["--both-strands"], score_sequences(cnn, seqs, 1, True)),
    ):
        out = tmp_path / "p.csv"
        assert main(["predict", model, str(fasta), "--out", str(out), *extra]) == 0
        rows = list(csv.reader(out.open()))[1:]
        assert [r[0] for r in rows] == ["r0", "r1", "r2"]
        np.testing.assert_allclose([float(r[1]) for r in rows], expected[:, 0], atol=1e-6)
    assert "1 of 3 sequences were longer than 101 nt and were scanned with windows" in caplog.text
    assert main(["predict", model, str(fasta), "--out", str(out), "--window", "centre"]) == 0
    centre = predict_proba(cnn, one_hot([region[454:555]]))[0, 0]
    assert float(list(csv.reader(out.open()))[1][1]) == pytest.approx(float(centre), abs=1e-6)
    # The centre window on both strands: the larger of the centre window and its reverse complement.
    assert main(["predict", model, str(fasta), "--out", str(out), "--window", "centre", "--both-strands"]) == 0
    both = score_sequences(cnn, [region[454:555]], 1, True)[0, 0]
    assert float(list(csv.reader(out.open()))[1][1]) == pytest.approx(float(both), abs=1e-6)
