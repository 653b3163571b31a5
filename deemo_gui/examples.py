"""The bundled example the app opens when started with nothing: ENCODE REST ChIP-seq test peaks
(labelled in the headers) with every shipped REST model."""
from __future__ import annotations

import sys
from pathlib import Path

DEFAULT_EXAMPLE = "REST_GM12878"


def resources_dir() -> Path:
    """`resources/` of the repository, or of the frozen app."""
    if getattr(sys, "frozen", False) and hasattr(sys, "_MEIPASS"):
        return Path(sys._MEIPASS) / "resources"
    return Path(__file__).resolve().parents[1] / "resources"


def default_example() -> tuple[list[str], list[str]]:
    """(sequence files, model files) of the default example; empty lists where they are missing."""
    from deemo_gui.core.zoo import zoo_dir

    fasta = resources_dir() / "examples" / f"{DEFAULT_EXAMPLE}_test.fa"
    models = sorted(str(p) for p in zoo_dir().glob(f"{DEFAULT_EXAMPLE}_*.safetensors"))
    return ([str(fasta)] if fasta.exists() else []), models
