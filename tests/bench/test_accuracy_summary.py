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


def test_accuracy_table_marks_the_runs_trained_on_a_gpu():
    from benchmarks.accuracy import table

    def run(dataset: str, auroc: float, device: str) -> dict:
        return {
            "preset": "demo", "dataset": dataset, "test_auroc": auroc, "test_aupr": auroc, "pwm_auroc": 0.8,
            "n_train": 1000, "epochs_run": 12, "best_epoch": 9, "stopped": "early stopping",
            "seconds_per_epoch": 1.0, "train_seq_per_s": 1000.0,
            "command": f"deemo train {dataset}.fa --arch demo --device {device} --out m.safetensors --converge",
        }  # fmt: skip

    runs = {"demo/a": run("a", 0.9, "cuda"), "demo/b": run("b", 0.7, "cpu")}
    text = table({"runs": runs}, pwm={"a": 0.8, "b": 0.8})
    assert "| a | 0.800 | 0.900 † |" in text and "| b | 0.800 | 0.700 ✗ |" in text
    assert "† = trained on a GPU" in text
    assert "| early stopping | GPU |" in text and "| early stopping | CPU |" in text
    assert "†" not in table({"runs": {"demo/b": runs["demo/b"]}}, pwm={"a": 0.8, "b": 0.8})
    recorded = dict(runs["demo/b"], device="cuda")  # the device the model file records wins over the command
    assert "0.700 ✗ †" in table({"runs": {"demo/b": recorded}}, pwm={"a": 0.8, "b": 0.8})


def test_accuracy_table_marks_the_runs_at_a_fixed_budget():
    from benchmarks.accuracy import table

    def run(dataset: str, command: str, **extra) -> dict:
        return {
            "preset": "cnn-small", "dataset": dataset, "test_auroc": 0.9, "test_aupr": 0.9, "pwm_auroc": 0.8,
            "n_train": 1000, "epochs_run": 12, "best_epoch": 9, "stopped": "early stopping",
            "seconds_per_epoch": 1.0, "train_seq_per_s": 1000.0, "command": command, **extra,
        }  # fmt: skip

    fixed = run("a", "deemo train a.fa --arch cnn-small --out m.safetensors")
    flagged = run("b", "deemo train b.fa --arch cnn-small --out m.safetensors", converge=True)
    by_command = run("b", "deemo train b.fa --arch cnn-small --converge --out m.safetensors")
    text = table({"runs": {"cnn-small/a": fixed, "cnn-small/b": flagged}}, pwm={"a": 0.8, "b": 0.8})
    assert "| a | 0.800 | 0.900 ° |" in text and "| b | 0.800 | 0.900 |" in text
    assert "° = at the preset's own fixed budget" in text
    assert "°" not in table({"runs": {"cnn-small/b": by_command}}, pwm={"a": 0.8, "b": 0.8})
