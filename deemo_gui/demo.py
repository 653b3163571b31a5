"""The example job for a machine without a display (`./dev.sh run` headless, `python -m deemo_gui.demo`):
train a model on the bundled REST ChIP-seq data, evaluate it on the held-out test set, predict
the first test sequences, and say where the model file is."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from deemo_gui.cli.main import main as deemo
from deemo_gui.data_paths import resource

DATA = resource("data", "deepbind_encode")


def _short(arg: str) -> str:
    """A path relative to the working folder when it lies below it, else as given."""
    if os.path.exists(arg) and not os.path.relpath(arg).startswith(".."):
        return os.path.relpath(arg)
    return arg


def main(argv: list[str] | None = None) -> int:
    out = Path(tempfile.gettempdir()) / "deemo-example"
    out.mkdir(exist_ok=True)
    model = out / "REST_GM12878_deepbind.safetensors"
    train, test = DATA / "REST_GM12878_AC.seq.gz", DATA / "REST_GM12878_B.seq.gz"
    print(f"deemo example: training a DeepBind-style model on {train.name} (ENCODE REST ChIP-seq)")
    steps = [
        [
            "train",
            str(train),
            "--negatives",
            "shuffle",
            "--arch",
            "deepbind",
            "--epochs",
            "10",
            "--test",
            str(test),
            "--out",
            str(model),
            "--device",
            "cpu",
        ],
        ["evaluate", str(model), str(test)],
        ["predict", str(model), str(test), "--out", str(out / "predictions.csv")],
    ]
    for step in steps:
        print("$ deemo " + " ".join(_short(a) for a in step), flush=True)
        rc = deemo(step)
        if rc:
            return rc
    print(f"model and predictions are in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
