from collections import Counter

import numpy as np

from deemo_gui.core.sequences import read_sequences
from deemo_gui.core.shuffle import dinucleotide_shuffle, shuffle_all


def dinucs(s):
    return Counter(s[i : i + 2] for i in range(len(s) - 1))


def test_dinucleotide_counts_exactly_preserved_on_real_peaks(data_dir):
    seqs = read_sequences(data_dir / "deepbind_encode" / "REST_GM12878_AC.seq.gz").seqs[:300]
    shuffled = shuffle_all(seqs, seed=3)
    for s, t in zip(seqs, shuffled):
        assert dinucs(s) == dinucs(t)
        assert s[0] == t[0] and s[-1] == t[-1]
    assert sum(s != t for s, t in zip(seqs, shuffled)) > 290


def test_seeded_and_reproducible():
    seqs = ["ACGTTGCAAGGCTTACGNNACGT" * 3] * 5
    assert shuffle_all(seqs, seed=1) == shuffle_all(seqs, seed=1)
    assert shuffle_all(seqs, seed=1) != shuffle_all(seqs, seed=2)


def test_uniform_over_valid_walks():
    # Exactly two sequences share ACAGCA's dinucleotides and ends (ACAGCA, AGCACA): the
    # Altschul-Erickson shuffle must draw them about equally often.
    rng = np.random.default_rng(0)
    s = "ACAGCA"
    outs = Counter(dinucleotide_shuffle(s, rng) for _ in range(6000))
    for t in outs:
        assert dinucs(t) == dinucs(s)
    counts = np.array(list(outs.values()))
    assert set(outs) == {"ACAGCA", "AGCACA"}
    assert counts.min() / counts.max() > 0.85


def test_short_sequences_unchanged():
    rng = np.random.default_rng(0)
    assert dinucleotide_shuffle("AC", rng) == "AC"
