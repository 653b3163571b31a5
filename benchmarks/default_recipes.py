"""Toward a `deemo train` default that beats the built-in baselines: training recipes on hard real sets.

    python benchmarks/default_recipes.py TF_23_CHIP_100_genomic,ZBED2 cnn,cnn-auto-rc   # run, append results
    python benchmarks/default_recipes.py --report                                       # the BENCHMARKS.md section

Sets: DREAM5 `TF_<id>_CHIP_100_genomic` (80/20 split, seed 1), `ZBED2` (Koo & Ploenzke's splits), an ENCODE
name such as `ARID3A_K562` (10,000 of positives + shuffles; the B file as test). Each run is capped at 10
minutes (`TrainingConfig.time_limit`); the first recipe of a run also fits the baselines.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from deemo_gui.core.sequences import load_dataset  # noqa: E402
from deemo_gui.core.training import DoneEvent, Trainer, TrainingConfig, evaluate, split_validation  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
RESULTS = Path(__file__).resolve().parent / "results" / "default_recipes.jsonl"


def auto_batch(n: int) -> int:
    """About 40 or more steps an epoch: a power of two from 32 to 256."""
    return int(min(256, max(32, 2 ** int(np.log2(max(n, 1) / 40)))))


RECIPES = {
    "cnn": lambda n: dict(preset="cnn"),
    "cnn-auto-rc": lambda n: dict(preset="cnn", batch_size=auto_batch(n), rc_augment=True, max_epochs=100, patience=10),
    "deepbind-auto-rc": lambda n: dict(
        preset="deepbind", batch_size=auto_batch(n), rc_augment=True, max_epochs=100, patience=10
    ),
    "koo25-auto-rc": lambda n: dict(preset="koo-cnn-25", batch_size=auto_batch(n), rc_augment=True, patience=10),
    "cnn-rnn-auto-rc": lambda n: dict(
        preset="cnn-rnn", batch_size=auto_batch(n), rc_augment=True, max_epochs=60, patience=8
    ),
}


def data_set(name: str):
    """(train, valid or None, test)."""
    if name.startswith("TF_"):
        train, test = split_validation(load_dataset(SHARED / "dream5_chipseq" / f"{name}.seq.gz"), 0.2, 1)
        return train, None, test
    if name == "ZBED2":
        z = SHARED / "zbed2_koo"
        f = lambda s: load_dataset(z / f"ZBED2_{s}.fa.gz", labels=z / f"ZBED2_{s}.labels")  # noqa: E731
        return f("train"), f("valid"), f("test")
    encode = ROOT / "resources" / "data" / "deepbind_encode"
    data = load_dataset(encode / f"{name}_AC.seq.gz", negatives="shuffle")
    keep = np.sort(np.random.default_rng(0).choice(len(data), min(len(data), 10000), replace=False))
    return data.subset(keep), None, load_dataset(encode / f"{name}_B.seq.gz")


def run(names: list[str], recipes: list[str]) -> None:
    for name in names:
        train, valid, test = data_set(name)
        for k, recipe in enumerate(recipes):
            start = time.perf_counter()
            config = TrainingConfig(
                seed=0, device="cpu", time_limit=600, baselines=k == 0, **RECIPES[recipe](len(train))
            )
            done = next(e for e in Trainer(train, config, valid, test).run() if isinstance(e, DoneEvent))
            b = done.metadata.get("baselines")
            row = dict(
                data=name,
                recipe=recipe,
                test=round(evaluate(done.model, test)["auroc"], 4),
                epochs=done.epochs_run,
                best=done.best_epoch,
                reason=done.reason,
                seconds=round(time.perf_counter() - start, 1),
                n=len(train),
                kmer=b and b["kmer"]["test_auroc"],
                pwm=b and b["pwm"]["test_auroc"],
            )
            print(json.dumps(row), flush=True)
            with RESULTS.open("a") as fh:
                fh.write(json.dumps(row) + "\n")


def report() -> str:
    rows = [json.loads(line) for line in RESULTS.read_text().splitlines() if line.strip()]
    names = list(dict.fromkeys(r["data"] for r in rows))
    recipes = list(dict.fromkeys(r["recipe"] for r in rows))
    base = {r["data"]: (r["kmer"], r["pwm"]) for r in rows if r["kmer"] is not None}
    lines = ["| data (n train) | k-mer | best PWM | " + " | ".join(recipes) + " |", "|---" * (3 + len(recipes)) + "|"]
    for name in names:
        kmer, pwm = base.get(name, (None, None))
        cells = []
        for recipe in recipes:
            r = next((r for r in rows if r["data"] == name and r["recipe"] == recipe), None)
            if r is None:
                cells.append("–")
                continue
            beat = kmer is not None and r["test"] >= max(kmer, pwm) - 0.01
            cells.append(f"{r['test']:.3f}{' ✓' if beat else ''} ({r['seconds']:.0f} s, best epoch {r['best']})")
        n = next(r["n"] for r in rows if r["data"] == name)
        lines.append(f"| {name} ({n:,}) | {kmer:.3f} | {pwm:.3f} | " + " | ".join(cells) + " |")
    return "\n".join(
        lines
        + [
            "",
            "✓ = at least max(k-mer, PWM) − 0.01 test AUROC; – = not run yet. `auto`: batch "
            "sized for ≥ 40 steps an epoch (32–256), `rc`: reverse-complement augmentation; up to "
            "100 epochs (cnn-rnn 60), patience 10 (8), 10-minute cap.",
        ]
    )


if __name__ == "__main__":
    logging.disable(logging.WARNING)
    if sys.argv[1:] == ["--report"]:
        from benchmarks.report import replace_section

        body = report()
        print(body)
        replace_section("default-recipes", "### Training recipes vs the built-in baselines (test AUROC)\n\n" + body)
    else:
        run(sys.argv[1].split(","), sys.argv[2].split(","))
