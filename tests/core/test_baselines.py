"""Built-in baselines against independent computations: brute-force k-mer counts and log-odds
scans in plain Python, scikit-learn's LogisticRegression, and the REST matrix on REST ChIP-seq."""

from __future__ import annotations

import itertools
import json
import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch

from deemo_gui.core import baselines
from deemo_gui.core.errors import ConfigError, DataError
from deemo_gui.core.metrics import auroc
from deemo_gui.core.motifs.jaspar import JasparDB
from deemo_gui.core.motifs.pwm import PWM
from deemo_gui.core.sequences import SequenceSet, load_dataset, one_hot

DATA = Path(__file__).resolve().parents[2] / "resources" / "data" / "deepbind_encode"
COMPLEMENT = {"A": "T", "C": "G", "G": "C", "T": "A", ".": "."}
SEQS = ["ACGTTGCAAC", "acgNNtgcATTAGCG", "GGGCCCAAATTT", "AC", "TTTTTTTTNACGT", "CGCGATATCGCG"]


def rc(word: str) -> str:
    return "".join(COMPLEMENT[c] for c in reversed(word))


@pytest.fixture(scope="module")
def rest_b() -> SequenceSet:
    return load_dataset(DATA / "REST_GM12878_B.seq.gz")  # 500 bound + 500 shuffled, 101 bp


def brute_kmer_counts(seq: str, max_k: int, l: int, k: int) -> Counter:
    """Occurrences of every word (gaps '.') at every contiguous or gapped mask, strand collapsed."""
    masks = {tuple(range(n)) for n in range(1, max_k + 1)}
    masks |= {(0, *rest) for rest in itertools.combinations(range(1, l), k - 1)}
    seq = seq.upper()
    counts = Counter()
    for m in masks:
        for i in range(len(seq) - m[-1]):
            letters = [seq[i + o] for o in m]
            if any(c not in "ACGT" for c in letters):
                continue
            word = ["."] * (m[-1] + 1)
            for o, c in zip(m, letters):
                word[o] = c
            word = "".join(word)
            counts[min(word, rc(word))] += 1
    return counts


def test_kmer_features_match_brute_force_counts():
    features = baselines.KmerFeatures(max_k=3, gapped=(5, 3))
    Z = features(SEQS)
    assert Z.shape == (len(SEQS), len(features.names))
    everything = brute_kmer_counts("".join(np.random.default_rng(0).choice(list("ACGT"), 3000)), 3, 5, 3)
    assert set(features.names) == set(everything)  # every feature, each once, strand collapsed
    for seq, row in zip(SEQS, Z):
        bases = sum(c in "ACGT" for c in seq.upper())
        want = {name: n / bases for name, n in brute_kmer_counts(seq, 3, 5, 3).items()}
        got = {name: v for name, v in zip(features.names, row) if v}
        assert got.keys() == want.keys()
        assert all(math.isclose(got[n], want[n], rel_tol=1e-6) for n in want)
    by_name = dict(zip(features.names, Z[0]))
    # ACGTTGCAAC: "AC" occurs at 0 and 8, its reverse complement "GT" at 2: 3 of 10 bases
    assert by_name["AC"] == pytest.approx(3 / 10)
    # the palindrome ACGT at 0 reads AC.T on both strands: its feature "A.GT" (= AC.T) counts it twice
    assert "AC.T" not in by_name and by_name["A.GT"] == pytest.approx(2 / 10)
    assert baselines.KmerFeatures().describe().endswith("7,188 features")


def test_kmer_features_from_one_hot_equal_strings():
    features = baselines.KmerFeatures(max_k=4, gapped=None)
    seqs = ["ACGTNACGTT", "TTGACCANNG"]
    np.testing.assert_array_equal(features(one_hot(seqs)), features(seqs))


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-4), (np.float32, 1e-3)])
def test_logistic_regression_matches_sklearn(dtype, tol):
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(1)
    Z = rng.normal(size=(300, 40))
    y = (Z[:, :3].sum(axis=1) + rng.normal(size=300) > 0.5).astype(float)
    for C in (0.01, 1.0):
        ref = LogisticRegression(C=C, tol=1e-10, max_iter=10_000).fit(Z, y)
        w, b = baselines.logistic_regression(Z.astype(dtype), y, C)
        np.testing.assert_allclose(w, ref.coef_[0], atol=tol * max(1, np.abs(ref.coef_).max()))
        assert b == pytest.approx(ref.intercept_[0], abs=tol * 10)
        p = 1 / (1 + np.exp(-(Z @ w + b)))
        np.testing.assert_allclose(p, ref.predict_proba(Z)[:, 1], atol=tol)


def test_kmer_model_on_kmer_features_matches_sklearn(rest_b):
    from sklearn.linear_model import LogisticRegression

    data = rest_b.subset(np.arange(0, 1000, 5))
    with torch.no_grad():  # as a caller in inference code might
        model = baselines.kmer_model(data, max_k=3, gapped=None, C=0.05)
    Z = (model.features(data.seqs) - model.mean) / model.scale
    ref = LogisticRegression(C=0.05, tol=1e-8, max_iter=10_000).fit(Z.astype(np.float64), data.labels[:, 0])
    np.testing.assert_allclose(model.score(data.seqs)[:, 0], ref.decision_function(Z), atol=2e-3)


def test_kmer_model_separates_rest_peaks_from_shuffles(rest_b):
    order = np.random.default_rng(0).permutation(len(rest_b))
    train, test = rest_b.subset(order[:700]), rest_b.subset(order[700:])
    model = baselines.kmer_model(train)
    assert model.C[0] in baselines.C_GRID
    assert auroc(test.labels[:, 0], model.score(test.seqs)[:, 0]) > 0.9


def brute_max_score(pwm: PWM, seq: str) -> float:
    """Best log2-odds over positions and strands, the reverse strand scored as its complement."""
    b, pc = 0.25, 0.01
    lo = {
        c: [math.log2((pwm.probs[r, j] + pc * b) / (1 + pc) / b) for j in range(pwm.width)]
        for r, c in enumerate("ACGT")
    }
    seq = seq.upper()
    best = -math.inf
    for i in range(len(seq) - pwm.width + 1):
        for window in (seq[i : i + pwm.width], rc(seq[i : i + pwm.width].replace("N", "."))):
            best = max(best, sum(lo[c][j] for j, c in enumerate(window) if c in lo))
    return best


def test_pwm_scores_match_brute_force_scan():
    db = JasparDB()
    pwms = [db.get("MA0138"), db.get("MA0139"), PWM.from_probs([[1, 0, 1], [0, 1, 0], [0, 0, 0], [1, 1, 1]], id="tiny")]
    seqs = SEQS + ["GGAGCTGTCCATGGTGCTGAANNTTCAGCACCATGGACAGCGCC", "ccgcgNggcgctgg" * 3]
    got = baselines.pwm_max_scores(pwms, seqs)
    want = np.array([[brute_max_score(p, s) for p in pwms] for s in seqs])
    assert np.array_equal(np.isinf(got), np.isinf(want))  # sequences shorter than the matrix
    np.testing.assert_allclose(got[np.isfinite(want)], want[np.isfinite(want)], atol=1e-4)
    model = baselines.PWMBaseline(pwms[1:2], db.release, [0.5], ["bound"], len(seqs))
    np.testing.assert_allclose(model.score(seqs)[:, 0], want[:, 1], atol=1e-9)


def test_best_pwm_on_rest_is_the_rest_matrix(rest_b):
    model = baselines.best_pwm(rest_b)
    assert model.pwms[0].id.startswith("MA0138") and model.pwms[0].name == "REST"
    assert model.train_auroc[0] == pytest.approx(0.957, abs=0.002)  # data README: 0.956
    assert model.screened == 1000


def test_fit_baselines_is_json_ready_and_skips_one_class_tasks(rest_b):
    data = SequenceSet(rest_b.ids, rest_b.seqs, np.c_[rest_b.labels, np.ones(len(rest_b))], ["rest", "always"])
    order = np.random.default_rng(0).permutation(len(data))
    train, valid = data.subset(order[:800]), data.subset(order[800:])
    out = json.loads(json.dumps(baselines.fit_baselines(train, valid), allow_nan=False))
    assert out["pwm"]["per_task"]["rest"]["id"].startswith("MA0138")
    assert (
        out["pwm"]["per_task"]["always"]
        == out["kmer"]["per_task"]["always"]
        == {"skipped": "the training split has one class only for this task"}
    )
    assert "id" not in out["pwm"]  # top level only with one task
    assert out["pwm"]["valid_auroc"] == out["pwm"]["per_task"]["rest"]["valid_auroc"] > 0.9
    assert out["kmer"]["valid_auroc"] > 0.9 and out["kmer"]["test_auroc"] is None
    assert set(out["seconds"]) == {"pwm", "kmer"}


def test_errors():
    unlabelled = SequenceSet(["a", "b"], ["ACGT", "TTGA"], source="x.fa")
    with pytest.raises(DataError, match="no labels"):
        baselines.best_pwm(unlabelled)
    with pytest.raises(ConfigError, match="k-mer length"):
        baselines.KmerFeatures(max_k=9)
    with pytest.raises(ConfigError, match="gapped"):
        baselines.KmerFeatures(gapped=(4, 6))
    with pytest.raises(DataError, match="one-hot"):
        baselines.KmerFeatures()(np.zeros((2, 5, 10)))
