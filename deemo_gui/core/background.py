"""GC-matched genomic background: negative windows drawn from the genome outside every peak.

For each chromosome with positives, windows of the positives' length are drawn uniformly at random
(seeded) from that chromosome and kept when they overlap no peak and no positive window (each widened
by `flank` bp on both sides), hold at most `max_n` unknown bases, and fall in a GC bin that still
needs negatives: the positives' GC content is histogrammed in bins of `bin_width` (0.02, the 2-decimal
rounding of ChromBPNet's `get_gc_matched_negatives`: Pampari et al. 2024, kundajelab/chrombpnet) and
each bin gets `ratio` times as many negatives as it has positives. A bin the draws cannot fill takes
windows from the nearest bins within `tolerance` bins; what is still missing is a warning. Negatives may
overlap each other, never a peak. Matching per chromosome keeps each chromosome hold-out split (test,
validation) GC-balanced on its own.
"""

from __future__ import annotations

import logging
import math
from bisect import bisect_right
from dataclasses import dataclass, field

import numpy as np

from deemo_gui.core.errors import ConfigError
from deemo_gui.core.genome import Genome
from deemo_gui.core.regions import Origin, Region, merge_intervals

log = logging.getLogger(__name__)

BIN_WIDTH = 0.02
MAX_N = 0.05  # at most 5% unknown bases in a negative window
TOLERANCE_BINS = 2  # a short bin borrows from bins up to 2 away (GC within +-0.04 of its bin)
DRAWS_PER_NEGATIVE = 200


def gc_of(seq: str) -> float:
    """GC fraction among the A C G T bases of `seq` (NaN when it has none)."""
    s = seq.upper()
    acgt = s.count("A") + s.count("C") + s.count("G") + s.count("T")
    return (s.count("G") + s.count("C")) / acgt if acgt else float("nan")


def gc_bin(gc: float, bin_width: float = BIN_WIDTH) -> int:
    n_bins = round(1 / bin_width)
    return min(int(gc / bin_width), n_bins - 1)


@dataclass
class BackgroundReport:
    """What the sampling did: negatives per chromosome, how many came from a neighbouring GC bin, how many
    could not be found."""

    chosen: dict[str, int] = field(default_factory=dict)
    borrowed: int = 0
    missing: int = 0
    draws: int = 0


class _Excluded:
    """Merged excluded intervals of one chromosome, for overlap tests in O(log n)."""

    def __init__(self, intervals):
        merged = merge_intervals(intervals)
        self.starts = [s for s, _ in merged]
        self.ends = [e for _, e in merged]

    def overlaps(self, start: int, end: int) -> bool:
        k = bisect_right(self.starts, end - 1) - 1
        return k >= 0 and self.ends[k] > start


def gc_matched_background(
    genome: Genome,
    positives: list[Origin],
    positive_seqs: list[str],
    peaks: list[Region],
    ratio: float = 1.0,
    flank: int = 0,
    max_n: float = MAX_N,
    bin_width: float = BIN_WIDTH,
    tolerance: int = TOLERANCE_BINS,
    seed: int = 0,
) -> tuple[list[Origin], BackgroundReport]:
    """Negative windows ("+" strand) matched to the GC content of `positives` (with their sequences
    `positive_seqs`), chromosome by chromosome, avoiding every region of `peaks` and every positive window."""
    if not ratio > 0:
        raise ConfigError(f"negatives per positive must be positive, got {ratio!r}")
    if flank < 0 or not 0 <= max_n <= 1 or not 0 < bin_width <= 0.5:
        raise ConfigError(
            f"flank {flank}, max_n {max_n}, bin width {bin_width}: give flank >= 0, 0 <= max_n <= 1, "
            "0 < bin width <= 0.5"
        )
    rng = np.random.default_rng(seed)
    report = BackgroundReport()
    by_chrom: dict[str, list[int]] = {}
    for i, o in enumerate(positives):
        by_chrom.setdefault(o.chrom, []).append(i)
    out: list[Origin] = []
    for chrom, members in by_chrom.items():
        length = len(positives[members[0]])
        excluded = _Excluded(
            [(r.start - flank, r.end + flank) for r in peaks if r.chrom == chrom]
            + [(positives[i].start - flank, positives[i].end + flank) for i in members]
        )
        gcs = [gc_of(positive_seqs[i]) for i in members]
        need = _needed(gcs, ratio, bin_width)
        starts = _draw(genome, chrom, length, excluded, need, max_n, bin_width, tolerance, rng, report)
        report.chosen[chrom] = len(starts)
        out += [Origin(chrom, s, s + length, "+") for s in starts]
    if report.missing:
        log.warning(
            "GC-matched background: %d of %d negatives could not be found outside the peaks within the GC "
            "tolerance (%d bins of %.2f); the training set has fewer negatives than asked",
            report.missing,
            report.missing + len(out),
            tolerance,
            bin_width,
        )
    if report.borrowed:
        log.info("GC-matched background: %d negatives came from a neighbouring GC bin", report.borrowed)
    return out, report


def _needed(gcs: list[float], ratio: float, bin_width: float) -> np.ndarray:
    n_bins = round(1 / bin_width)
    counts = np.zeros(n_bins, dtype=np.int64)
    for gc in gcs:
        if not math.isnan(gc):  # not NaN: windows of N only have no GC content to match
            counts[gc_bin(gc, bin_width)] += 1
    return np.round(counts * ratio).astype(np.int64)


def _draw(
    genome: Genome,
    chrom: str,
    length: int,
    excluded: _Excluded,
    need: np.ndarray,
    max_n: float,
    bin_width: float,
    tolerance: int,
    rng: np.random.Generator,
    report: BackgroundReport,
) -> list[int]:
    """Random window starts on `chrom` filling the GC bins of `need` (then neighbouring bins)."""
    chrom_length = genome.length(chrom)
    total = int(need.sum())
    if total == 0 or chrom_length < length:
        report.missing += total
        return []
    need = need.copy()
    chosen: list[int] = []
    spare: dict[int, list[int]] = {}
    seen: set[int] = set()
    budget = DRAWS_PER_NEGATIVE * total + 1000
    while need.sum() > 0 and budget > 0:
        batch = rng.integers(0, chrom_length - length + 1, size=min(4096, budget))
        budget -= len(batch)
        for start in batch.tolist():
            report.draws += 1
            if start in seen or excluded.overlaps(start, start + length):
                continue
            seen.add(start)
            seq = genome.fetch(chrom, start, start + length).upper()
            acgt = seq.count("A") + seq.count("C") + seq.count("G") + seq.count("T")
            if length - acgt > max_n * length or acgt == 0:
                continue
            b = gc_bin((seq.count("G") + seq.count("C")) / acgt, bin_width)
            if need[b] > 0:
                need[b] -= 1
                chosen.append(start)
                if need.sum() == 0:
                    break
            elif len(spare.setdefault(b, [])) < 4 * total:
                spare[b].append(start)
    for b in np.flatnonzero(need).tolist():  # the bins the draws could not fill: borrow from neighbours
        for d in range(1, tolerance + 1):
            for nb in (b - d, b + d):
                while need[b] > 0 and spare.get(nb):
                    chosen.append(spare[nb].pop())
                    need[b] -= 1
                    report.borrowed += 1
    report.missing += int(need.sum())
    return sorted(chosen)
