"""Motifs: the PWM type, offline JASPAR, MEME/JASPAR files, Tomtom comparison and scanning.

Qt-free. memelite (Tomtom, FIMO) is imported lazily, on first comparison or scan; its numba
kernels compile on first use, so apps call `warm_up()` from a background thread at start-up.
"""

from deemo_gui.core.motifs.jaspar import JasparDB, newest_release, releases
from deemo_gui.core.motifs.meme import read_jaspar, read_meme, read_motifs, write_jaspar, write_meme
from deemo_gui.core.motifs.pwm import ALPHABET, PWM, UNIFORM
from deemo_gui.core.motifs.scan import average_affinity, max_scores, position_scores, scan
from deemo_gui.core.motifs.scan import warm_up as warm_up_fimo
from deemo_gui.core.motifs.tomtom import COLUMNS as TOMTOM_COLUMNS
from deemo_gui.core.motifs.tomtom import LOW_INFORMATION_BITS, benjamini_hochberg, best_match, compare, low_information
from deemo_gui.core.motifs.tomtom import warm_up as warm_up_tomtom

# Note: the attribute `scan` of this package is the function; the module is
# `sys.modules["deemo_gui.core.motifs.scan"]` (use `from deemo_gui.core.motifs.scan import ...`).


def warm_up() -> float:
    """Compile memelite's Tomtom and FIMO kernels (~1-2 min the first time on a laptop, then
    cached on disk; well under a second afterwards). Returns the seconds taken."""
    return warm_up_tomtom() + warm_up_fimo()


__all__ = [
    "ALPHABET",
    "PWM",
    "UNIFORM",
    "JasparDB",
    "releases",
    "newest_release",
    "read_meme",
    "write_meme",
    "read_jaspar",
    "write_jaspar",
    "read_motifs",
    "compare",
    "best_match",
    "benjamini_hochberg",
    "TOMTOM_COLUMNS",
    "low_information",
    "LOW_INFORMATION_BITS",
    "scan",
    "max_scores",
    "average_affinity",
    "position_scores",
    "warm_up",
    "warm_up_tomtom",
    "warm_up_fimo",
]
