"""Regenerate the example files from the bundled data (run from the repository root):

    .venv/bin/python resources/examples/build.py

- `<TF>_<cell>_test.fa`: each ENCODE set's test sequences (DeepBind `_B` files: 500 bound peaks and
  500 dinucleotide-shuffled copies), labelled in the header (`label=1` bound, `label=0` shuffled).
- `CTCF_test.fa`: the CTCF test set (Keras-genomics), labelled in the header.
- `synthetic/`: 1,000 Koo & Eddy synthetic sequences (200 nt, the paper's 12 JASPAR 2016 motifs)
  with multi-task labels and a truth table of the embedded motif positions (`deemo synth`, seed 0).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from deemo_gui.cli.main import main as deemo  # noqa: E402
from deemo_gui.core.sequences import load_dataset  # noqa: E402

OUT = ROOT / "resources" / "examples"
DATA = ROOT / "resources" / "data"


def write_labelled_fasta(data, path: Path) -> None:
    with open(path, "w") as fh:
        for rid, seq, y in zip(data.ids, data.seqs, data.labels[:, 0]):
            fh.write(f">{rid} label={int(y)}\n{seq}\n")


def main() -> int:
    for path in sorted((DATA / "deepbind_encode").glob("*_B.seq.gz")):
        name = path.name.removesuffix("_B.seq.gz")
        write_labelled_fasta(load_dataset(path), OUT / f"{name}_test.fa")
    ctcf = DATA / "ctcf_gifford"
    write_labelled_fasta(load_dataset(ctcf / "ctcf_test.fa", labels=ctcf / "ctcf_test.target"), OUT / "CTCF_test.fa")
    return deemo(["synth", "--n", "1000", "--length", "200", "--seed", "0", "--out", str(OUT / "synthetic")])


if __name__ == "__main__":
    sys.exit(main())
