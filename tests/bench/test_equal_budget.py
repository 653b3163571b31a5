"""benchmarks/equal_budget.py: the seed spread and the per-size paired comparisons of the report."""

import numpy as np

from benchmarks import equal_budget


def _row(data, preset, seed, test, n):
    return dict(data=data, preset=preset, seed=seed, test=test, best=5, epochs=10, reason="early stopping", n=n)


def test_seed_spread_is_the_mean_over_sets_of_the_sd_over_seeds():
    groups = [[_row("a", "cnn", s, t, 800) for s, t in enumerate((0.8, 0.9))], [_row("b", "cnn", 0, 0.7, 800)]]
    assert equal_budget._seed_spread(groups) == f"{np.std([0.8, 0.9], ddof=1):.3f}"  # one-seed sets left out
    assert equal_budget._seed_spread([groups[1]]) == "–"


def test_report_compares_presets_on_the_small_and_large_sets_apart(monkeypatch):
    rows = []
    for i in range(4):
        for name, n in ((f"small{i}", 800), (f"large{i}", 10000)):
            rows.append(dict(data=name, preset="baselines", seed=0, kmer=0.8, pwm=0.7))
            for seed in range(2):
                rows.append(_row(name, "cnn", seed, 0.80 + 0.01 * seed, n))
                rows.append(_row(name, "demo", seed, (0.85 if n < 2000 else 0.75) + 0.01 * seed, n))
    monkeypatch.setattr(equal_budget, "_rows", lambda: rows)
    monkeypatch.setattr(equal_budget, "default_recipe", lambda: {})
    text = equal_budget.report()
    small = text.split("on the small sets")[1].split("on the large sets")[0]
    large = text.split("on the large sets")[1]
    assert "| demo | +0.050 (p=0.12, n=4) | – |" in small
    assert "| cnn | – | +0.050 (p=0.12, n=4) |" in large
    assert "| cnn | – | -0.050 (p=0.12, n=4) |" in small  # the same pair, the other way round


def test_a_run_cut_by_a_shorter_time_limit_is_trained_again_and_named_in_the_report(monkeypatch):
    cut = dict(_row("a", "demo", 0, 0.9, 10000), reason="time limit", seconds=590.0)
    stopped = _row("a", "cnn", 0, 0.9, 10000)
    old_cap = dict(_row("a", "rnn", 0, 0.9, 10000), reason="max epochs", cap=100)
    assert equal_budget._needs_rerun(cut, 1800) and not equal_budget._needs_rerun(cut, 600)
    assert not equal_budget._needs_rerun(stopped, 1800)  # early stopping: the same run under any limit
    assert equal_budget._needs_rerun(old_cap, 600)
    rerun = dict(cut, test=0.95, reason="early stopping", seconds=900.0, time_limit=1800.0)
    assert not equal_budget._needs_rerun(rerun, 1800)
    rows = [dict(data="a", preset="baselines", seed=0, kmer=0.8, pwm=0.7), cut, stopped, rerun]
    monkeypatch.setattr(
        equal_budget, "_rows", lambda: list({(r["data"], r["preset"], r["seed"]): r for r in rows}.values())
    )
    monkeypatch.setattr(equal_budget, "default_recipe", lambda: {})
    text = equal_budget.report()
    assert "a demo seed 0 (early stopping, 15 min)" in text and "under a 30-minute limit" in text
    # the rerun replaced the cut run: its AUROC, and converged (the last column pair: passed, converged)
    assert "| demo | 1 | 1 | 0.950 | 0.950 | 0.000 | 1 / 1 | 1 / 1 |" in text
