"""Sequences from peaks: fixed-length windows of a genome centred on each region's summit.

A window of length L is centred on the narrowPeak summit (else the region's middle): it covers
`[centre - L // 2, centre - L // 2 + L)`, so the centre base is at index L // 2 (0-based) of a "+"
window. A "-" region's window is the reverse complement of the same genome interval. Windows that
run past a chromosome end are N-padded (`off_end="pad"`, the default: N is all-zero in the one-hot
encoding, no evidence either way) or dropped (`off_end="skip"`); either way a warning says how many.
Soft-masked (lower-case) genome bases are kept in `SequenceSet.soft_masked`, and each record's
genome coordinates in `SequenceSet.origins`; ids are `chrom:start-end(strand)` in BED coordinates,
as `bedtools getfasta -s` writes them.
"""

from __future__ import annotations

import logging
import os

import numpy as np

from deemo_gui.core.errors import ConfigError, DataError
from deemo_gui.core.genome import Genome
from deemo_gui.core.regions import Origin, Region, read_regions
from deemo_gui.core.sequences import SequenceSet, lower_case_runs

log = logging.getLogger(__name__)

# The length of DeepBind's ENCODE windows and of every shipped model (Alipanahi et al. 2015).
DEFAULT_LENGTH = 101
OFF_END = ("pad", "skip")
_COMPLEMENT_ANY_CASE = str.maketrans("ACGTRYSWKMBDHVNacgtryswkmbdhvn", "TGCAYRSWMKVHDBNtgcayrswmkvhdbn")


def reverse_complement_keep_case(seq: str) -> str:
    """Reverse complement with each base's case kept (a soft-masked base stays lower case)."""
    return seq.translate(_COMPLEMENT_ANY_CASE)[::-1]


def check_length(length) -> int:
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 1:
        raise ConfigError(f"window length must be a positive whole number, got {length!r}")
    return int(length)


def window_of(region: Region, length: int) -> Origin:
    """The `length`-bp window centred on the region's summit (or middle), on the region's strand."""
    start = region.centre - length // 2
    return Origin(region.chrom, start, start + length, "-" if region.strand == "-" else "+")


def fetch_window(genome: Genome, origin: Origin) -> tuple[str, int]:
    """The window's bases (case kept, reverse-complemented on "-", N past the chromosome ends) and how
    many N were added."""
    seq, padded = genome.fetch_padded(origin.chrom, origin.start, origin.end)
    return (reverse_complement_keep_case(seq) if origin.strand == "-" else seq), padded


def windows_to_set(genome: Genome, origins: list[Origin], source: str, labels=None, task_names=None) -> SequenceSet:
    """A SequenceSet of the windows, upper case, with their soft-masked runs and origins."""
    ids, seqs, masked = [], [], {}
    for i, origin in enumerate(origins):
        raw, _ = fetch_window(genome, origin)
        runs = lower_case_runs(raw)
        if runs:
            masked[i] = runs
        ids.append(origin.record_id)
        seqs.append(raw.upper())
    return SequenceSet(
        ids=ids,
        seqs=seqs,
        labels=labels,
        task_names=list(task_names or ["bound"]),
        source=source,
        soft_masked=masked,
        origins=list(origins),
    )


def peak_origins(
    regions: list[Region], genome: Genome, length: int, off_end: str = "pad", source: str = ""
) -> list[Origin]:
    """The window of each region; regions on chromosomes the genome lacks are a DataError naming the line."""
    length = check_length(length)
    if off_end not in OFF_END:
        raise ConfigError(f"off_end must be one of {', '.join(OFF_END)}, got {off_end!r}")
    out, off = [], 0
    for region in regions:
        if region.chrom not in genome:
            shown = ", ".join(genome.names[:6]) + (", …" if len(genome.names) > 6 else "")
            raise DataError(
                f"{source or 'regions'}, line {region.line}: chromosome {region.chrom!r} is not in "
                f"{genome.path} (it has {shown}); is the BED file for another assembly or naming?"
            )
        origin = window_of(region, length)
        if origin.start < 0 or origin.end > genome.length(region.chrom):
            off += 1
            if off_end == "skip":
                continue
        out.append(origin)
    if off:
        what = "dropped" if off_end == "skip" else "N-padded past the end"
        log.warning(
            "%s: %d of %d windows of %d bp run off a chromosome end and were %s",
            source or "regions",
            off,
            len(regions),
            length,
            what,
        )
    return out


def peak_sequences(bed, genome, length: int = DEFAULT_LENGTH, off_end: str = "pad") -> SequenceSet:
    """The `length`-bp windows of every peak of the BED/narrowPeak file `bed` in the genome FASTA `genome`
    (a path or an open `Genome`), unlabelled, in file order."""
    name = os.fspath(bed)
    regions = read_regions(name)
    g = genome if isinstance(genome, Genome) else Genome(genome)
    try:
        origins = peak_origins(regions, g, length, off_end, name)
        if not origins:
            raise DataError(f"{name}: every window runs off a chromosome end; use off_end='pad' or a shorter length")
        return windows_to_set(g, origins, f"{name} ({length}-bp windows of {os.path.basename(g.path)})")
    finally:
        if g is not genome:
            g.close()


def to_fasta(data: SequenceSet, width: int = 60) -> str:
    """The set as FASTA text, soft-masked bases lower case, `label=0|1` in the headers when labelled."""
    from deemo_gui.core.sequences import apply_soft_mask

    lines = []
    for i, (rid, seq) in enumerate(zip(data.ids, data.seqs)):
        header = f">{rid}"
        if data.labels is not None and data.labels.shape[1] == 1:
            header += f" label={int(data.labels[i, 0])}"
        lines.append(header)
        seq = apply_soft_mask(seq, data.soft_masked.get(i, ()))
        lines += [seq[k : k + width] for k in range(0, len(seq), width)]
    return "\n".join(lines) + "\n"
