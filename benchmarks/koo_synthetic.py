"""Koo & Eddy 2019, Table 1, on our generated data: pooling size vs what first-layer filters learn.

For each `koo-cnn-<pool>` preset (first max-pool 2, 4, 10, 25, 50, 100) we train on the synthetic
12-TF data set (`deemo_gui.core.synthetic.generate`: 25,000 x 200 nt, split 0.7/0.1/0.2), and report
the test AUROC (mean over the 12 tasks) and what the 30 first-layer filters represent:

- filter PWMs: `filter_pwms` on the *test* sequences, activation > 0.5 x max, 19-nt windows, then
  trimmed (IC 0.5 bits, pad 3) -- Koo's 1_train_synthetic.py (activation_pwm threshold=0.5,
  window=19) and helper.clip_filters(threshold=0.5, pad=3);
- Tomtom against JASPAR 2016 CORE vertebrates, hits with E < 0.1 (Koo's 2_tomtom_synthetic.sh:
  `tomtom -evalue -thresh 0.1`; Tomtom via memelite here);
- "match JASPAR": fraction of the 30 filters with any hit; "match ground truth": fraction whose hits
  include one of the 12 planted TFs, counting the JASPAR versions/paralogs Koo listed for each
  (3_match_statistics_synthetic.py); "TFs found": how many of the 12 TFs some filter matches.

Training: Adam lr 1e-3, batch 100 (Koo's fit.train_minibatch batch_size=100), weight decay 1e-6,
early stopping on validation AUROC. Koo trained up to 100 epochs with patience 20; on CPU we cap at
`--epochs` (default 30) with patience 5.

    python benchmarks/koo_synthetic.py                  # all six pools, one trial
    python benchmarks/koo_synthetic.py --pools 2,25 --trials 2
    python benchmarks/koo_synthetic.py --table          # only rewrite BENCHMARKS.md from the JSON
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.report import replace_section  # noqa: E402
from deemo_gui.core import synthetic  # noqa: E402
from deemo_gui.core.explain.filters import filter_pwms  # noqa: E402
from deemo_gui.core.motifs import JasparDB  # noqa: E402
from deemo_gui.core.motifs.tomtom import compare  # noqa: E402
from deemo_gui.core.sequences import SequenceSet, one_hot  # noqa: E402
from deemo_gui.core.training import TrainingConfig, evaluate, train  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "koo_synthetic.json"
POOLS = (2, 4, 10, 25, 50, 100)
E_THRESHOLD = 0.1  # Koo & Eddy: tomtom -evalue -thresh 0.1
N_FILTERS = 30  # koo-cnn first layer
BATCH_SIZE = 100  # Koo & Eddy 1_train_synthetic.py
# Koo & Eddy 3_match_statistics_synthetic.py: JASPAR IDs that count as each planted TF.
GROUND_TRUTH_IDS = {
    "Arid3a": ["MA0151.1", "MA0601.1", "PB0001.1"],
    "CEBPB": ["MA0466.1", "MA0466.2"],
    "FOSL1": ["MA0477.1"],
    "GABPA": ["MA0062.1", "MA0062.2"],
    "MAFK": ["MA0496.1", "MA0496.2"],
    "MAX": ["MA0058.1", "MA0058.2", "MA0058.3"],
    "MEF2A": ["MA0052.1", "MA0052.2", "MA0052.3"],
    "NFYB": ["MA0502.1", "MA0060.1", "MA0060.2"],
    "SP1": ["MA0079.1", "MA0079.2", "MA0079.3"],
    "SRF": ["MA0083.1", "MA0083.2", "MA0083.3"],
    "STAT1": ["MA0137.1", "MA0137.2", "MA0137.3", "MA0660.1", "MA0773.1"],
    "YY1": ["MA0095.1", "MA0095.2"],
}
TRUTH_OF_ID = {mid: tf for tf, ids in GROUND_TRUTH_IDS.items() for mid in ids}


def as_set(split, name: str) -> SequenceSet:
    return SequenceSet(
        ids=split.ids,
        seqs=split.sequences,
        labels=split.labels,
        task_names=split.task_names,
        source=f"synthetic/{name}",
    )


def filter_matches(pwms, targets) -> dict:
    """Koo's match statistics for one model's filter PWMs against `targets`."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hits = compare(pwms, targets)
    hits = hits[hits["E"] < E_THRESHOLD]
    per_filter = {}
    for query, rows in hits.groupby("query", sort=False):
        truth = sorted({TRUTH_OF_ID[t] for t in rows["target_id"] if t in TRUTH_OF_ID})
        best = rows.iloc[0]
        per_filter[query] = {
            "best_id": best["target_id"],
            "best_name": best["target_name"],
            "best_E": float(best["E"]),
            "ground_truth": truth,
        }
    any_match = len(per_filter)
    relevant = sum(1 for f in per_filter.values() if f["ground_truth"])
    found = sorted({tf for f in per_filter.values() for tf in f["ground_truth"]})
    return {
        "n_filter_pwms": len(pwms),
        "match_jaspar": any_match / N_FILTERS,
        "match_ground_truth": relevant / N_FILTERS,
        "tfs_found": found,
        "filters": per_filter,
    }


def run_one(pool: int, trial: int, data, targets, max_epochs: int, patience: int) -> dict:
    preset = f"koo-cnn-{pool}"
    config = TrainingConfig(
        preset=preset, seed=trial, device="cpu", max_epochs=max_epochs, patience=patience, batch_size=BATCH_SIZE
    )
    start = time.perf_counter()
    done = train(as_set(data.train, "train"), config, valid=as_set(data.valid, "valid"))
    seconds = time.perf_counter() - start
    report = evaluate(done.model, as_set(data.test, "test"), device="cpu")
    pwms = filter_pwms(done.model, one_hot(data.test.sequences))
    row = {
        "preset": preset,
        "pool": pool,
        "trial": trial,
        "test_auroc": report["auroc"],
        "test_aupr": report["aupr"],
        "epochs_run": done.epochs_run,
        "best_epoch": done.best_epoch,
        "stopped": done.reason,
        "train_seconds": round(seconds, 1),
    }
    row.update(filter_matches(pwms, targets))
    return row


def load_results(path: Path = RESULTS) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def merged_results() -> dict:
    """All koo_synthetic*.json files (parallel runs write their own) merged for the table."""
    merged: dict = {}
    for path in sorted(RESULTS.parent.glob("koo_synthetic*.json")):
        merged.update(load_results(path))
    return merged


def save_results(results: dict, path: Path = RESULTS) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")


def _mean_sd(values) -> str:
    values = np.asarray(values, dtype=float)
    return f"{values.mean():.3f}" if len(values) == 1 else f"{values.mean():.3f} ± {values.std():.3f}"


def table(results: dict) -> str:
    rows = [
        "Koo & Eddy (2019) Table 1 on our generated data (`deemo synth` defaults: the paper's 12 JASPAR 2016 "
        "motifs, 25,000 × 200 nt, seed 0). Filters: 30 first-layer PWMs from the test sequences "
        "(activation > 0.5 × max, trimmed); Tomtom vs JASPAR 2016 CORE vertebrates, E < 0.1. "
        "Regenerate: `python benchmarks/koo_synthetic.py`.",
        "",
        "| model | first pool | trials | test AUROC | epochs | match JASPAR | match ground truth | TFs found (of 12) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    by_pool: dict[int, list] = {}
    for row in results.values():
        by_pool.setdefault(row["pool"], []).append(row)
    for pool in sorted(by_pool):
        runs = by_pool[pool]
        rows.append(
            f"| koo-cnn-{pool} | {pool} | {len(runs)} | {_mean_sd([r['test_auroc'] for r in runs])} "
            f"| {', '.join(str(r['epochs_run']) for r in runs)} "
            f"| {_mean_sd([r['match_jaspar'] for r in runs])} | {_mean_sd([r['match_ground_truth'] for r in runs])} "
            f"| {', '.join(str(len(r['tfs_found'])) for r in runs)} |"
        )
    rows += [
        "",
        "Expected (Koo & Eddy): with a first pool ≥ 10 nearly all filters learn whole motifs that match the "
        "ground truth, while small pools (2, 4) learn partial motifs that match little, at similar AUROC.",
        "Differences from the paper: one trial per model unless stated (the paper averages 5); training capped "
        "at 30 epochs with patience 5 on validation AUROC (paper: 100 epochs, patience 20 on validation loss); "
        "Tomtom is memelite's re-implementation, and the synthetic set is regenerated with our generator (same "
        "recipe, different draws).",
    ]
    return "\n".join(rows)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pools", default=",".join(map(str, POOLS)))
    ap.add_argument("--trials", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--patience", type=int, default=5)
    ap.add_argument("--n", type=int, default=25000, help="synthetic sequences (paper: 25,000)")
    ap.add_argument("--redo", action="store_true", help="re-run models already in the results")
    ap.add_argument("--table", action="store_true", help="only rewrite the BENCHMARKS.md section")
    ap.add_argument(
        "--results",
        type=Path,
        default=RESULTS,
        help="JSON file for this run (parallel runs: one each, named koo_synthetic*.json)",
    )
    args = ap.parse_args(argv)
    results = load_results(args.results)
    if not args.table:
        data = synthetic.generate(n=args.n, seed=0)
        targets = JasparDB("JASPAR2016").all(collection="CORE", tax_group="vertebrates")
        for trial in range(args.trials):
            for pool in (int(p) for p in args.pools.split(",")):
                key = f"koo-cnn-{pool}/trial{trial}"
                if key in merged_results() and not args.redo:
                    continue
                row = run_one(pool, trial, data, targets, args.epochs, args.patience)
                results[key] = row
                save_results(results, args.results)
                print(
                    f"{key}: AUROC {row['test_auroc']:.3f}, match JASPAR {row['match_jaspar']:.2f}, "
                    f"ground truth {row['match_ground_truth']:.2f}, TFs {len(row['tfs_found'])}/12, "
                    f"{row['epochs_run']} epochs in {row['train_seconds']:.0f} s",
                    flush=True,
                )
    replace_section("koo_synthetic", table(merged_results()))
    return 0


if __name__ == "__main__":
    torch.set_num_threads(1)
    sys.exit(main())
