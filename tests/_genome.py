"""A small test genome built from real sequences, with REST peaks at known coordinates.

Each "chromosome" is a run of real 101-bp genomic ChIP-seq sequences of FOXA1 (HepG2; AT-rich) and SP1
(GM12878; GC-rich) peaks from the bundled DeepBind data, a wide real GC range for the background. Real
REST peak sequences (GM12878) are inserted at known positions: on "+" as they are, on "-" reverse-
complemented (so the "-" window, reverse-complemented back, is the REST sequence again). Each REST
peak is written to the narrowPeak file as a wider region whose summit is the inserted sequence's
centre, so a 101-bp window on the summit is exactly the inserted sequence. chr1 starts with a 300-bp
N gap (a telomere), one region of chr2 is soft-masked (lower case), and chr2's last peak runs off its
end. Deterministic (seed 0); FASTA lines of 60 bases.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from deemo_gui.core.sequences import reverse_complement

DATA = Path(__file__).resolve().parents[1] / "resources" / "data" / "deepbind_encode"
CHROMS = ("chr1", "chr2", "chr6", "chr7", "chr8", "chr9")
BLOCKS = 160  # background sequences per chromosome (~16 kb)
PEAKS_PER_CHROM = 8


def _bound(name: str) -> list[str]:
    with gzip.open(DATA / name, "rt") as fh:
        next(fh)
        return [row.split("\t")[2] for row in fh if row.rstrip("\n").endswith("\t1")]


@dataclass
class TestGenome:
    fasta: Path
    bed: Path
    chroms: dict[str, str]  # the chromosomes as written (case kept)
    peaks: list[dict] = field(default_factory=list)  # chrom, insert start, strand, REST sequence, region, summit


def build(folder: Path) -> TestGenome:
    rng = np.random.default_rng(0)
    background = _bound("FOXA1_HepG2_B.seq.gz") + _bound("SP1_GM12878_B.seq.gz")
    rest = _bound("REST_GM12878_B.seq.gz")
    order = rng.permutation(len(background))
    rest_order = rng.permutation(len(rest))
    chroms, peaks = {}, []
    k = r = 0
    for chrom in CHROMS:
        pieces, pos = [], 0
        if chrom == "chr1":
            pieces.append("N" * 300)
            pos = 300
        slots = set(rng.choice(np.arange(5, BLOCKS - 5), PEAKS_PER_CHROM, replace=False).tolist())
        if chrom == "chr2":
            slots.add(BLOCKS - 1)  # the last block: its region's window runs off the end
        for b in range(BLOCKS):
            if b in slots:
                seq = rest[rest_order[r]]
                r += 1
                strand = "-" if (len(peaks) % 3 == 2) else "+"
                pieces.append(seq if strand == "+" else reverse_complement(seq))
                summit = pos + 50
                if b == BLOCKS - 1:
                    start, end, summit = pos + 40, pos + 101, pos + 95  # summit 6 bp from the end
                else:
                    start, end = pos - int(rng.integers(5, 40)), pos + 101 + int(rng.integers(5, 40))
                peaks.append(
                    {
                        "chrom": chrom,
                        "insert": pos,
                        "strand": strand,
                        "seq": seq,
                        "start": start,
                        "end": end,
                        "summit": summit,
                        "off_end": b == BLOCKS - 1,
                    }
                )
            else:
                seq = background[order[k % len(order)]]
                k += 1
                if chrom == "chr2" and b == 20:
                    seq = seq[:30] + seq[30:80].lower() + seq[80:]  # a soft-masked repeat
                pieces.append(seq)
            pos += 101
        chroms[chrom] = "".join(pieces)
    folder.mkdir(parents=True, exist_ok=True)
    fasta = folder / "genome.fa"
    with open(fasta, "w") as fh:
        for chrom, seq in chroms.items():
            fh.write(f">{chrom} test chromosome\n")
            fh.write("".join(seq[i : i + 60] + "\n" for i in range(0, len(seq), 60)))
    bed = folder / "peaks.narrowPeak"
    lines = ["track type=narrowPeak name=REST", "# REST peaks inserted at known coordinates"]
    for i, p in enumerate(peaks):
        lines.append(
            "\t".join(
                map(
                    str,
                    [
                        p["chrom"],
                        p["start"],
                        p["end"],
                        f"peak{i}",
                        1000,
                        p["strand"],
                        12.5,
                        -1,
                        -1,
                        p["summit"] - p["start"],
                    ],
                )
            )
        )
    bed.write_text("\n".join(lines) + "\n")
    return TestGenome(fasta, bed, chroms, peaks)
