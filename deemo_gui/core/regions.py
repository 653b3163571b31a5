"""Genomic regions from BED / narrowPeak files, and where a sequence came from in the genome.

BED3 (chrom start end), BED6 (+ name score strand) and longer BED lines, and ENCODE narrowPeak
(BED6 + signalValue pValue qValue peak: column 10 is the summit's offset from the start, -1 for
none). Coordinates are BED's: 0-based start, end exclusive. `track`, `browser` and `#` lines are
skipped; columns are tab-separated (whitespace also accepted). Any other row is one DataError
naming the file and line.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass

from deemo_gui.core.errors import DataError
from deemo_gui.core.inputfile import read_text

STRANDS = ("+", "-", ".")


@dataclass(frozen=True)
class Origin:
    """Where a sequence comes from: `chrom`, 0-based `start`, exclusive `end` and `strand` ("+" or "-";
    a "-" sequence is the reverse complement of the genome's `[start, end)`). Part of the window may lie
    past a chromosome end (N-padded): `start` < 0 or `end` > the chromosome's length."""

    chrom: str
    start: int
    end: int
    strand: str = "+"

    def __len__(self) -> int:
        return self.end - self.start

    def genome_position(self, i: int) -> int:
        """The 0-based genome coordinate of base `i` (0-based) of the sequence."""
        return self.start + i if self.strand != "-" else self.end - 1 - i

    def position_label(self, i: int) -> str:
        """Base `i` of the sequence as a genome browser shows it: "chr8:1,234,567" (1-based)."""
        return f"{self.chrom}:{self.genome_position(i) + 1:,}"

    @property
    def record_id(self) -> str:
        """`chrom:start-end(strand)`, BED coordinates, as `bedtools getfasta -s` names its records."""
        return f"{self.chrom}:{self.start}-{self.end}({self.strand})"


@dataclass(frozen=True)
class Region:
    """One BED row: 0-based `start`, exclusive `end`, `strand` ("." when unknown), the absolute
    0-based `summit` of a narrowPeak (None otherwise), and the `line` it was read from."""

    chrom: str
    start: int
    end: int
    name: str = ""
    strand: str = "."
    summit: int | None = None
    line: int = 0

    @property
    def centre(self) -> int:
        """The base windows are centred on: the summit, else the middle of the region."""
        return self.summit if self.summit is not None else (self.start + self.end) // 2


def _int(text: str, what: str, where: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise DataError(f"{where}: {what} must be a whole number, found {text[:30]!r}") from None


def parse_line(line: str, where: str, lineno: int = 0) -> Region:
    """One BED/narrowPeak row as a Region; DataError naming `where` for a bad row."""
    fields = line.rstrip("\r\n").split("\t")
    if len(fields) < 3:
        fields = line.split()
    if len(fields) < 3:
        raise DataError(
            f"{where}: {len(fields)} column(s); a BED row has at least chrom, start and end "
            f"(tab-separated), found {line.strip()[:60]!r}"
        )
    chrom = fields[0].strip()
    if not chrom or not chrom.isprintable():
        raise DataError(f"{where}: no chromosome name in the first column")
    start = _int(fields[1].strip(), "start (column 2)", where)
    end = _int(fields[2].strip(), "end (column 3)", where)
    if start < 0 or end <= start:
        raise DataError(f"{where}: start {start} and end {end} do not make a region (BED needs 0 <= start < end)")
    name = fields[3].strip() if len(fields) > 3 else ""
    strand = fields[5].strip() if len(fields) > 5 else "."
    if strand not in STRANDS:
        raise DataError(f"{where}: strand (column 6) must be +, - or ., found {strand[:20]!r}")
    summit = None
    if len(fields) == 10:  # narrowPeak: column 10 is the summit's offset from the start
        offset = _int(fields[9].strip(), "the narrowPeak summit (column 10)", where)
        if offset != -1:
            if not 0 <= offset < end - start:
                raise DataError(f"{where}: the narrowPeak summit offset {offset} is outside the {end - start}-bp peak")
            summit = start + offset
    return Region(chrom, start, end, name, strand, summit, lineno)


def read_regions(path) -> list[Region]:
    """Every region of a BED/narrowPeak file (plain or gzip), in file order."""
    name = os.fspath(path)
    _, text = read_text(name, "BED file")
    regions = []
    for lineno, line in enumerate(io.StringIO(text), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "track", "browser")):
            continue
        regions.append(parse_line(line, f"{name}, line {lineno}", lineno))
    if not regions:
        raise DataError(f"{name}: no regions (a BED file has tab-separated chrom, start, end lines)")
    return regions


def merge_intervals(intervals) -> list[tuple[int, int]]:
    """Sorted, merged half-open intervals (overlapping or touching ones joined)."""
    out: list[list[int]] = []
    for start, end in sorted(intervals):
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(s, e) for s, e in out]
