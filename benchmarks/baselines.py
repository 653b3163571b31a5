"""Built-in baselines (deemo_gui/core/baselines.py) on real data: test AUROC of the best JASPAR matrix and
of the gapped k-mer logistic regression, and the time to fit them, next to the figures of
../shared/data/README.md. Training data are split 90/10 into train/validation as `Trainer` does.

    python benchmarks/baselines.py            # table on stdout, JSON in benchmarks/results/baselines.json
    python benchmarks/baselines.py --full     # also choose the PWM by scanning the whole training split
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from deemo_gui.core.baselines import best_pwm, fit_baselines  # noqa: E402
from deemo_gui.core.metrics import auroc  # noqa: E402
from deemo_gui.core.motifs.jaspar import JasparDB  # noqa: E402
from deemo_gui.core.sequences import SequenceSet, load_dataset, reverse_complement  # noqa: E402
from deemo_gui.core.training import split_validation  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
RESULTS = Path(__file__).resolve().parent / "results" / "baselines.json"


def datasets():
    """(name, train, valid, test, README figures)."""
    z = SHARED / "zbed2_koo"
    zbed2 = {
        s: load_dataset(z / f"ZBED2_{s}.fa.gz", labels=z / f"ZBED2_{s}.labels") for s in ("train", "valid", "test")
    }
    yield "ZBED2 (Koo)", zbed2["train"], zbed2["valid"], zbed2["test"], "PWM 0.828 (MA1971.2), k-mer 0.884"
    for tf in (23, 25, 31, 44):
        data = load_dataset(SHARED / "dream5_chipseq" / f"TF_{tf}_CHIP_100_genomic.seq.gz")
        train, test = split_validation(data, 0.2, 0)
        yield f"DREAM5 TF_{tf} genomic", *split_validation(train, 0.1, 0), test, "PWM and k-mer ~0.65-0.80"
    rest = ROOT / "resources" / "data" / "deepbind_encode"
    train = load_dataset(rest / "REST_GM12878_AC.seq.gz", negatives="shuffle")
    test = load_dataset(rest / "REST_GM12878_B.seq.gz")
    yield "REST GM12878", *split_validation(train, 0.1, 0), test, "PWM 0.956 (MA0138)"
    # timing only: ZBED2's 4,902 records and their reverse complements, 9,804 x 400 nt (its validation
    # AUROCs mean nothing: the validation split holds reverse complements of training records)
    seqs = sum((d.seqs for d in zbed2.values()), [])
    labels = np.concatenate([d.labels for d in zbed2.values()])
    big = SequenceSet(
        [str(i) for i in range(2 * len(seqs))],
        seqs + [reverse_complement(s) for s in seqs],
        np.concatenate([labels, labels]),
        source="ZBED2 + reverse complements",
    )
    yield "10k x 400 nt (timing)", *split_validation(big, 0.1, 0), None, ""


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true", help="also choose the PWM on the whole training split")
    args = parser.parse_args(argv)
    JasparDB().all()  # the one-time read of the JASPAR SQLite file (~2 s) is not a fitting cost
    rows = []
    lines = [
        "| data | n train x nt | best PWM | PWM test | k-mer test | PWM s | k-mer s | README |",
        "|---|---|---|---|---|---|---|---|",
    ]
    print(f"torch threads: {torch.get_num_threads()}")
    print("\n".join(lines))
    for name, train, valid, test, readme in datasets():
        out = fit_baselines(train, valid, test)
        row = {"data": name, "n_train": len(train), "length": len(train.seqs[0]), **out}
        if args.full and test is not None:
            t0 = time.perf_counter()
            full = best_pwm(train, screen=len(train))
            row["pwm_full_scan"] = {
                "id": full.pwms[0].id,
                "name": full.pwms[0].name,
                "seconds": round(time.perf_counter() - t0, 2),
                "test_auroc": round(auroc(test.labels[:, 0], full.score(test.seqs)[:, 0]), 4),
            }
        rows.append(row)
        pwm, kmer, sec = out["pwm"], out["kmer"], out["seconds"]
        lines.append(
            f"| {name} | {len(train):,} x {len(train.seqs[0])} | {pwm['name']} {pwm['id']} | "
            f"{pwm['test_auroc']} | {kmer['test_auroc']} | {sec['pwm']} | {sec['kmer']} | {readme} |"
        )
        print(lines[-1], flush=True)
    RESULTS.write_text(json.dumps(rows, indent=1) + "\n")
    from benchmarks.report import replace_section

    replace_section(
        "baselines",
        "### Built-in baselines on real data (test AUROC, fitting seconds)\n\n"
        + "\n".join(lines)
        + "\n\nk-mer features: "
        + rows[0]["kmer"]["features"]
        + ".",
    )


if __name__ == "__main__":
    main()
