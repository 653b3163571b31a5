"""The paired test and summary of benchmarks/accuracy_summary.py against scipy as the oracle."""

import numpy as np
import pytest
from scipy.stats import permutation_test

from benchmarks.accuracy_summary import paired_permutation_p, paired_table, summary_table


@pytest.mark.parametrize("seed", range(4))
def test_sign_flip_p_equals_scipy_exact_paired_permutation(seed):
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.7, 1.0, 9)
    b = a - rng.normal(0.01 * seed, 0.02, 9)
    oracle = permutation_test(
        (a, b), lambda x, y: np.mean(x - y), permutation_type="samples", n_resamples=np.inf, alternative="two-sided"
    ).pvalue
    assert paired_permutation_p(a, b) == pytest.approx(oracle, rel=1e-9)


def test_always_better_on_11_sets_gives_the_smallest_p():
    a, b = np.linspace(0.8, 0.9, 11), np.linspace(0.8, 0.9, 11) - 0.01
    assert paired_permutation_p(a, b) == pytest.approx(2 / 2**11)


def test_tables_summarise_and_compare_presets():
    runs = {
        f"{p}/{d}": {"preset": p, "dataset": d, "test_auroc": v}
        for p, off in (("cnn", 0.0), ("rnn", -0.02))
        for d, v in zip("abcd", (0.9 + off, 0.8 + off, 0.95 + off, 0.7 + off))
    }
    pwm = dict(zip("abcd", (0.85, 0.85, 0.9, 0.6)))
    text = summary_table(runs, pwm, ["cnn", "rnn"])
    assert "| cnn | 4 | 0.838 | 0.850 |" in text and "| 3 / 4 |" in text
    assert "| single PWM (JASPAR) | 4 | 0.800 |" in text
    assert "+0.020 (p=0.12, n=4)" in paired_table(runs, ["cnn", "rnn"])
