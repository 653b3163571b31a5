"""Scatter and gather for genome-wide scoring: split the input into chunks that `deemo predict` scores in
parallel, then join the chunks' tables in input order (and a per-position track when a genome is given).

- A sequence file is split into `n` runs of consecutive records (`chunk_NNN.fa`).
- A genome (or the regions of a BED file on it) is tiled: tile `k` of a region covers
  `[start + k·tile, start + (k+1)·tile)`; the tiles go into `n` consecutive BED chunks, and
  `deemo peaks --model M` turns each into the model-length windows centred on its tiles. A tile's score is
  its window's P, so the track has one value per `tile` bases.
"""

from __future__ import annotations

import csv
import logging
import os
from pathlib import Path

from deemo_gui.core.atomic import atomic_path
from deemo_gui.core.errors import DataError

log = logging.getLogger(__name__)


def chunk_names(n: int, ext: str) -> list[str]:
    return [f"chunk_{i:03d}.{ext}" for i in range(n)]


def _bounds(total: int, n: int) -> list[int]:
    """n + 1 cut points splitting `total` items into `n` runs that differ by at most one."""
    return [total * i // n for i in range(n + 1)]


def split_records(path, out_dir, n: int) -> list[Path]:
    """Write the records of a sequence file as `n` FASTA chunks of consecutive records (two streaming passes)."""
    from deemo_gui.core.predict_stream import records

    total = sum(len(ids) for ids, _ in records(path))
    if total == 0:
        raise DataError(f"{os.fspath(path)}: no sequences to score")
    cuts, outs = _bounds(total, n), [Path(out_dir) / name for name in chunk_names(n, "fa")]
    stream = ((i, s) for ids, seqs in records(path) for i, s in zip(ids, seqs))
    for k, out in enumerate(outs):
        with atomic_path(out) as tmp, open(tmp, "w") as fh:
            for _ in range(cuts[k + 1] - cuts[k]):
                rid, seq = next(stream)
                fh.write(f">{rid}\n{seq}\n")
    return outs


def tiles(genome, regions_path=None, tile: int = 50) -> list[tuple[str, int, int]]:
    """(chrom, start, end) tiles of `tile` bases over the regions of a BED file, else every chromosome."""
    from deemo_gui.core.regions import merge_intervals, read_regions

    if regions_path:  # overlapping regions are merged, so each base is scored once (and the track is valid)
        by_chrom: dict[str, list] = {}
        for r in read_regions(regions_path):
            by_chrom.setdefault(r.chrom, []).append((max(0, r.start), r.end))
        missing = sorted(c for c in by_chrom if c not in genome)
        if missing:
            raise DataError(
                f"{os.fspath(regions_path)}: chromosome {missing[0]} is not in {genome.path}; "
                "use the genome the regions were called on"
            )
        spans = [
            (c, s, min(e, genome.length(c)))
            for c in genome.names
            if c in by_chrom
            for s, e in merge_intervals(by_chrom[c])
        ]
    else:
        spans = [(c, 0, genome.length(c)) for c in genome.names]
    return [(c, s, min(s + tile, e)) for c, start, e in spans for s in range(start, e, tile)]


def split_tiles(genome_path, out_dir, n: int, regions=None, tile: int = 50) -> list[Path]:
    """Write the tiles of the genome (or of `regions`) as `n` BED chunks of consecutive tiles."""
    from deemo_gui.core.genome import Genome

    with Genome(genome_path) as genome:
        rows = tiles(genome, regions, tile)
    if not rows:
        raise DataError(f"{os.fspath(regions or genome_path)}: no bases to score")
    cuts, outs = _bounds(len(rows), n), [Path(out_dir) / name for name in chunk_names(n, "bed")]
    for k, out in enumerate(outs):
        with atomic_path(out) as tmp, open(tmp, "w") as fh:
            fh.writelines(f"{c}\t{s}\t{e}\n" for c, s, e in rows[cuts[k] : cuts[k + 1]])
    return outs


def gather_tables(parts: list, out) -> int:
    """Join the prediction CSVs `parts` (same header) into `out`, in the order given; returns the rows."""
    n, header = 0, None
    with atomic_path(out) as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.writer(fh)
        for part in parts:
            with open(part, newline="") as src:
                rows = csv.reader(src)
                head = next(rows, None)
                if head is None:
                    raise DataError(f"{os.fspath(part)}: empty prediction table; delete it and run the workflow again")
                if header is None:
                    header = head
                    writer.writerow(header)
                elif head != header:
                    raise DataError(f"{os.fspath(part)}: columns {head} differ from the first chunk's {header}")
                for row in rows:
                    writer.writerow(row)
                    n += 1
    return n


def write_track(tile_parts: list, table, genome_path, out) -> str:
    """The first task's P of each tile as a bigWig (pyBigWig) or, without it, a bedGraph; returns the format."""
    from deemo_gui.core.genome import Genome

    with open(table, newline="") as fh:
        scores = [float(row[1]) for row in list(csv.reader(fh))[1:]]
    spans = [line.split("\t")[:3] for part in tile_parts for line in Path(part).read_text().splitlines() if line]
    if len(spans) != len(scores):
        raise DataError(
            f"{os.fspath(table)}: {len(scores)} scores for {len(spans)} tiles; delete the score "
            "folder and run the workflow again"
        )
    with Genome(genome_path) as genome:
        sizes = [(c, genome.length(c)) for c in genome.names]
    order: dict[str, list] = {}  # the tiles are in genome order already (split_tiles)
    for (c, s, e), p in zip(spans, scores):
        order.setdefault(c, []).append((int(s), int(e), p))
    if str(out).endswith((".bw", ".bigWig", ".bigwig")):
        import pyBigWig

        with atomic_path(out) as tmp:
            bw = pyBigWig.open(tmp, "w")
            bw.addHeader(sizes)
            for c, rows in order.items():
                bw.addEntries(
                    [c] * len(rows),
                    [s for s, _, _ in rows],
                    ends=[e for _, e, _ in rows],
                    values=[p for _, _, p in rows],
                )
            bw.close()
        return "bigWig"
    with atomic_path(out) as tmp, open(tmp, "w") as fh:
        fh.writelines(f"{c}\t{s}\t{e}\t{p:.6g}\n" for c, rows in order.items() for s, e, p in rows)
    return "bedGraph"
