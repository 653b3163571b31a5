"""Motifs: the PWM type, offline JASPAR, MEME/JASPAR files, Tomtom comparison and scanning.

Qt-free. memelite (Tomtom, FIMO) is imported lazily, on first comparison or scan; its numba
kernels compile on first use, so apps call `warm_up()` from a background thread at start-up.
"""
from deemo_gui.core.motifs.jaspar import JasparDB, newest_release, releases
from deemo_gui.core.motifs.meme import read_jaspar, read_meme, read_motifs, write_jaspar, write_meme
from deemo_gui.core.motifs.pwm import ALPHABET, PWM, UNIFORM
from deemo_gui.core.motifs.scan import average_affinity, max_scores, position_scores, scan
from deemo_gui.core.motifs.tomtom import COLUMNS as TOMTOM_COLUMNS
from deemo_gui.core.motifs.tomtom import benjamini_hochberg, best_match, compare


def warm_up() -> float:
    """Compile memelite's Tomtom and FIMO kernels (~1-2 min the first time on a laptop, then
    cached on disk; well under a second afterwards). Returns the seconds taken."""
    from deemo_gui.core.motifs import scan as _scan
    from deemo_gui.core.motifs import tomtom as _tomtom

    return _tomtom.warm_up() + _scan.warm_up()


__all__ = [
    "ALPHABET", "PWM", "UNIFORM", "JasparDB", "releases", "newest_release",
    "read_meme", "write_meme", "read_jaspar", "write_jaspar", "read_motifs",
    "compare", "best_match", "benjamini_hochberg", "TOMTOM_COLUMNS",
    "scan", "max_scores", "average_affinity", "position_scores", "warm_up",
]
