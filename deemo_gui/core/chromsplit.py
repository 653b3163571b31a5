"""Chromosome hold-out splits: whole chromosomes for testing and validation, the rest for training.

Random splits of peaks leak: neighbouring and repeated sequences land on both sides. The field holds
out whole chromosomes instead. Defaults: test chr8 and chr9, as DeepSEA (Zhou & Troyanskaya 2015,
Nature Methods 12:931) and its successors; validation chr6 and chr7, Selene's default hold-out
(Chen et al. 2019, Nature Methods 16:315; `selene_sdk.samplers.OnlineSampler`:
`validation_holdout=["chr6", "chr7"]`, `test_holdout=["chr8", "chr9"]`). Genomes that name
chromosomes without "chr" (Ensembl: "8") are matched either way.
"""

from __future__ import annotations

import logging

import numpy as np

from deemo_gui.core.errors import ConfigError, DataError

log = logging.getLogger(__name__)

DEFAULT_TEST_CHROMS = ("chr8", "chr9")
DEFAULT_VALID_CHROMS = ("chr6", "chr7")


def parse_chroms(text: str | None, default: tuple[str, ...]) -> tuple[str, ...]:
    """ "chr8,chr9" (commas or spaces) as a tuple; `default` for None; () for "none" or ""."""
    if text is None:
        return tuple(default)
    if isinstance(text, (list, tuple)):
        return tuple(str(t).strip() for t in text if str(t).strip())
    if text.strip().lower() in ("", "none"):
        return ()
    return tuple(t for t in text.replace(",", " ").split() if t)


def _alias(name: str, available) -> str:
    """`name` as `available` spells it ("chr8" <-> "8"), or `name` unchanged."""
    if name in available:
        return name
    other = name[3:] if name.lower().startswith("chr") else f"chr{name}"
    return other if other in available else name


def split_by_chromosome(
    chroms: list[str], test: tuple[str, ...], valid: tuple[str, ...], source: str = ""
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(train, valid, test) indices of records on chromosomes `chroms`. DataError when no record lies on
    a test chromosome or none is left to train on; an empty validation part is allowed (the caller falls
    back to a random split of the training part)."""
    present = set(chroms)
    test_set = {_alias(c, present) for c in test}
    valid_set = {_alias(c, present) for c in valid}
    both = sorted(test_set & valid_set)
    if both:
        raise ConfigError(f"{', '.join(both)} cannot be both a test and a validation chromosome")
    kind = np.array([2 if c in test_set else 1 if c in valid_set else 0 for c in chroms], dtype=np.int8)
    listed = ", ".join(sorted(present, key=_chrom_key)[:12]) + (", …" if len(present) > 12 else "")
    if test and not (kind == 2).any():
        raise DataError(
            f"{source or 'peaks'}: no peak lies on the test chromosomes {', '.join(test)} (the peaks are "
            f"on {listed}); choose test chromosomes from those (--test-chroms)"
        )
    if not (kind == 0).any():
        raise DataError(
            f"{source or 'peaks'}: every peak lies on a test or validation chromosome, none is left to "
            f"train on (the peaks are on {listed}); hold out fewer chromosomes"
        )
    if valid and not (kind == 1).any():
        log.warning(
            "%s: no peak lies on the validation chromosomes %s; 10%% of the training chromosomes' windows "
            "are held out at random for validation instead",
            source or "peaks",
            ", ".join(valid),
        )
    return np.flatnonzero(kind == 0), np.flatnonzero(kind == 1), np.flatnonzero(kind == 2)


def _chrom_key(name: str):
    core = name[3:] if name.lower().startswith("chr") else name
    return (0, int(core), "") if core.isdigit() else (1, 0, core)
