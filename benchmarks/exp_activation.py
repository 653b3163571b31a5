"""Koo & Ploenzke (Nat. Mach. Intell. 2021): an exponential first-layer activation makes first-layer filters
learn whole motifs even where max-pooling is small. `koo-cnn-<pool>` with `first_layer_activation` relu vs
exp on the Koo & Eddy synthetic set, same seed, data and budget; filters scored as in
`benchmarks/koo_synthetic.py` (Tomtom vs JASPAR 2016, E < 0.1), plus how far the first layer moved
(`core.verdict.first_layer_correlation`).

    python benchmarks/exp_activation.py --pools 4 --n 10000 --epochs 15
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.koo_synthetic import BATCH_SIZE, as_set, filter_matches  # noqa: E402
from benchmarks.report import replace_section  # noqa: E402
from deemo_gui.core import synthetic  # noqa: E402
from deemo_gui.core.explain.filters import filter_pwms  # noqa: E402
from deemo_gui.core.motifs import JasparDB  # noqa: E402
from deemo_gui.core.sequences import one_hot  # noqa: E402
from deemo_gui.core.training import TrainingConfig, evaluate, train  # noqa: E402
from deemo_gui.core.verdict import first_layer_correlation  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "exp_activation.json"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pools", default="4")
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--epochs", type=int, default=15)
    args = ap.parse_args(argv)
    data = synthetic.generate(n=args.n, length=200, seed=0)
    targets = JasparDB("JASPAR2016").all(collection="CORE", tax_group="vertebrates")
    rows = []
    for pool in map(int, args.pools.split(",")):
        for activation in ("relu", "exp"):
            config = TrainingConfig(
                preset=f"koo-cnn-{pool}",
                seed=0,
                device="cpu",
                max_epochs=args.epochs,
                patience=5,
                batch_size=BATCH_SIZE,
                baselines=False,
                overrides={"first_layer_activation": activation},
            )
            start = time.perf_counter()
            done = train(as_set(data.train, "train"), config, valid=as_set(data.valid, "valid"))
            matches = filter_matches(filter_pwms(done.model, one_hot(data.test.sequences)), targets)
            rows.append(
                {
                    "pool": pool,
                    "activation": activation,
                    "n": args.n,
                    "test_auroc": evaluate(done.model, as_set(data.test, "test"))["auroc"],
                    "epochs": done.epochs_run,
                    "seconds": round(time.perf_counter() - start, 1),
                    "first_layer_r": first_layer_correlation(done.model),
                    **{k: matches[k] for k in ("match_jaspar", "match_ground_truth", "tfs_found")},
                }
            )
            print(json.dumps(rows[-1]), flush=True)
    RESULTS.write_text(json.dumps(rows, indent=1) + "\n")
    lines = [
        "| model | first activation | test AUROC | epochs | first layer r vs init | match JASPAR | "
        "match ground truth | TFs found (of 12) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| koo-cnn-{r['pool']} | {r['activation']} | {r['test_auroc']:.3f} | {r['epochs']} | "
        f"{r['first_layer_r']:.2f} | {r['match_jaspar']:.3f} | {r['match_ground_truth']:.3f} | "
        f"{len(r['tfs_found'])} |"
        for r in rows
    ]
    replace_section(
        "exp-activation",
        f"### Exponential first-layer activation (synthetic, {args.n:,} × 200 nt, "
        f"{args.epochs} epochs max)\n\n" + "\n".join(lines),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
