"""The bundled example the app opens when started with nothing: ENCODE REST ChIP-seq test peaks
(labelled in the headers) with every shipped REST model."""

from __future__ import annotations

from pathlib import Path

from deemo_gui import data_paths

DEFAULT_EXAMPLE = "REST_GM12878"


def resources_dir() -> Path:
    """`resources/` of the frozen app, the installed package or the repository (deemo_gui.data_paths)."""
    return data_paths.resources_dir()


def default_example() -> tuple[list[str], list[str]]:
    """(sequence files, model files) of the default example; empty lists where they are missing."""
    from deemo_gui.core.zoo import zoo_dir

    fasta = resources_dir() / "examples" / f"{DEFAULT_EXAMPLE}_test.fa"
    models = sorted(str(p) for p in zoo_dir().glob(f"{DEFAULT_EXAMPLE}_*.safetensors"))
    return ([str(fasta)] if fasta.exists() else []), models
