"""Labelled training data from peaks alone: peak windows as positives, negatives from the genome.

Negatives are GC-matched genomic background outside every peak (`negatives="gc"`, `core.background`)
or a dinucleotide shuffle of each positive (`"shuffle"`, Altschul–Erickson as DeepBind did). With a
chromosome hold-out (`core.chromsplit`) the positives are split first and each part gets its own
negatives (background from its own chromosomes, shuffles of its own positives), so no test
chromosome's sequence reaches training.
"""

from __future__ import annotations

import logging
import os

import numpy as np

from deemo_gui.core.background import gc_matched_background
from deemo_gui.core.chromsplit import (
    DEFAULT_TEST_CHROMS,
    DEFAULT_VALID_CHROMS,
    split_by_chromosome,
)
from deemo_gui.core.errors import ConfigError
from deemo_gui.core.genome import Genome
from deemo_gui.core.peaks import DEFAULT_LENGTH, peak_origins, windows_to_set
from deemo_gui.core.regions import Region, read_regions
from deemo_gui.core.sequences import SequenceSet
from deemo_gui.core.shuffle import shuffle_all

log = logging.getLogger(__name__)

NEGATIVES = ("gc", "shuffle")


def add_negatives(
    positives: SequenceSet,
    genome: Genome,
    peaks: list[Region],
    how: str = "gc",
    ratio: float = 1.0,
    flank: int = 0,
    seed: int = 0,
    **background,
) -> SequenceSet:
    """`positives` (label 1) followed by their negatives (label 0); origins kept (None for shuffles)."""
    if how not in NEGATIVES:
        raise ConfigError(f"negatives must be one of {', '.join(NEGATIVES)} with a genome, got {how!r}")
    n = len(positives)
    assert positives.origins is not None, "positives read from peaks carry their genome positions"
    if how == "shuffle":
        neg = SequenceSet(
            ids=[f"{i}_shuf" for i in positives.ids], seqs=shuffle_all(positives.seqs, seed=seed), origins=[None] * n
        )
        how_text = f"dinucleotide-shuffled negatives (seed {seed})"
    else:
        origins, _ = gc_matched_background(
            genome, positives.origins, positives.seqs, peaks, ratio=ratio, flank=flank, seed=seed, **background
        )
        neg = windows_to_set(genome, origins, "")
        how_text = f"GC-matched genomic background negatives (seed {seed}, {len(neg)} for {n} peaks)"
    masked = dict(positives.soft_masked)
    masked.update({n + k: runs for k, runs in neg.soft_masked.items()})
    y = np.concatenate([np.ones(n), np.zeros(len(neg))]).astype(np.float32)[:, None]
    return SequenceSet(
        ids=positives.ids + neg.ids,
        seqs=positives.seqs + neg.seqs,
        labels=y,
        task_names=["bound"],
        source=f"{positives.source} + {how_text}",
        soft_masked=masked,
        origins=list(positives.origins) + list(neg.origins or ()),
    )


def _positives(bed, genome: Genome, length: int, off_end: str) -> tuple[list[Region], SequenceSet]:
    name = os.fspath(bed)
    regions = read_regions(name)
    origins = peak_origins(regions, genome, length, off_end, name)
    data = windows_to_set(genome, origins, f"{name} ({length}-bp windows of {os.path.basename(genome.path)})")
    return regions, data


def peak_training_set(
    bed,
    genome: Genome,
    length: int = DEFAULT_LENGTH,
    negatives: str = "gc",
    ratio: float = 1.0,
    flank: int = 0,
    seed: int = 0,
    off_end: str = "pad",
) -> SequenceSet:
    """Peak windows and their negatives as one labelled set (no split)."""
    regions, pos = _positives(bed, genome, length, off_end)
    return add_negatives(pos, genome, regions, negatives, ratio, flank, seed)


def peak_datasets(
    bed,
    genome: Genome,
    length: int = DEFAULT_LENGTH,
    negatives: str = "gc",
    test_chroms=DEFAULT_TEST_CHROMS,
    valid_chroms=DEFAULT_VALID_CHROMS,
    ratio: float = 1.0,
    flank: int = 0,
    seed: int = 0,
    off_end: str = "pad",
) -> tuple[SequenceSet, SequenceSet | None, SequenceSet | None]:
    """(train, valid, test) split by chromosome, each with its own negatives. `valid` is None when no peak
    lies on the validation chromosomes (or none were given): training then holds out a random 10%;
    `test` is None when no test chromosomes were given."""
    regions, pos = _positives(bed, genome, length, off_end)
    assert pos.origins is not None
    chroms = [o.chrom for o in pos.origins]
    i_train, i_valid, i_test = split_by_chromosome(chroms, tuple(test_chroms), tuple(valid_chroms), pos.source)
    parts: list[SequenceSet | None] = []
    for k, (index, what) in enumerate(((i_train, "training"), (i_valid, "validation"), (i_test, "test"))):
        if len(index) == 0:
            parts.append(None)
            continue
        part = pos.subset(index)
        on = sorted({chroms[i] for i in index}, key=lambda c: (len(c), c))
        shown = ", ".join(on[:8]) + (", …" if len(on) > 8 else "")
        part.source = (
            f"{pos.source}, {what} chromosomes {shown}"
            if what != "training"
            else f"{pos.source}, all but the held-out chromosomes"
        )
        parts.append(add_negatives(part, genome, regions, negatives, ratio, flank, seed + k))
    train, valid, test = parts
    assert train is not None, "split_by_chromosome leaves training peaks or raises"
    return train, valid, test
