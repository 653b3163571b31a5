"""Reading variants: VCF (plain or gzip/bgzip) or a TSV with chrom, pos, ref, alt columns.

VCF: the fixed columns CHROM POS ID REF ALT (1-based POS, REF starting at POS, indels with their
anchor base as VCF writes them). A multi-allelic ALT ("A,T") becomes one variant per allele. Alleles
that are not sequence — symbolic (`<DEL>`, `<INS:ME>`), breakends (`G]17:198982]`, `.A`), the
spanning deletion `*` and the missing `.` — are skipped, and a warning counts them. TSV: a header
naming `chrom`, `pos`, `ref`, `alt` (any case; `chromosome`/`chr`, `position`, optional `id`).
"""

from __future__ import annotations

import io
import logging
import os
from collections import Counter
from dataclasses import dataclass

from deemo_gui.core.errors import DataError
from deemo_gui.core.inputfile import read_text

log = logging.getLogger(__name__)

_BASES = frozenset("ACGTNacgtn")
_TSV_NAMES = {
    "chrom": ("chrom", "#chrom", "chromosome", "chr", "seqnames"),
    "pos": ("pos", "position", "start"),
    "ref": ("ref",),
    "alt": ("alt",),
    "id": ("id", "name", "rsid"),
}


@dataclass(frozen=True)
class Variant:
    """One ALT allele: `chrom`, 1-based `pos` of the first REF base, `id` as in the file ("." for none),
    `ref` and `alt` (upper case), and the file `line`."""

    chrom: str
    pos: int
    id: str
    ref: str
    alt: str
    line: int = 0

    @property
    def label(self) -> str:
        """`chr8:1,234,567 A>G` (and the id when there is one)."""
        text = f"{self.chrom}:{self.pos:,} {self.ref}>{self.alt}"
        return f"{self.id} {text}" if self.id not in ("", ".") else text

    @property
    def is_snv(self) -> bool:
        return len(self.ref) == 1 and len(self.alt) == 1


def _kind_of_alt(alt: str) -> str | None:
    """Why an ALT allele is skipped ("symbolic", "breakend", "missing"), or None for a sequence allele."""
    if alt.startswith("<"):
        return "symbolic"
    if "[" in alt or "]" in alt or alt.startswith(".") or alt.endswith(".") and len(alt) > 1:
        return "breakend"
    if alt in ("*", "."):
        return "missing"
    return None


def _allele(text: str, what: str, where: str) -> str:
    if not text or not set(text) <= _BASES:
        raise DataError(f"{where}: {what} allele {text[:30]!r} is not a DNA sequence (A C G T N)")
    return text.upper()


def _pos(text: str, where: str) -> int:
    try:
        pos = int(text)
    except ValueError:
        raise DataError(f"{where}: POS must be a whole number, found {text[:30]!r}") from None
    if pos < 1:
        raise DataError(f"{where}: POS {pos} is not a 1-based position")
    return pos


def _add(out: list[Variant], skipped: Counter, chrom, pos, vid, ref, alts: str, where: str, lineno: int) -> None:
    for alt in alts.split(","):
        alt = alt.strip()
        kind = _kind_of_alt(alt)
        if kind is not None:
            skipped[kind] += 1
            continue
        alt = _allele(alt, "ALT", where)
        if alt == ref:
            raise DataError(f"{where}: ALT {alt} equals REF; nothing changes")
        out.append(Variant(chrom, pos, vid or ".", ref, alt, lineno))


def parse_variants(text: str, name: str) -> tuple[list[Variant], Counter]:
    """(variants in file order, Counter of skipped ALT alleles by kind)."""
    out: list[Variant] = []
    skipped: Counter = Counter()
    columns = None  # TSV column indices
    for lineno, line in enumerate(io.StringIO(text), start=1):
        stripped = line.strip()
        where = f"{name}, line {lineno}"
        if not stripped or stripped.startswith("##"):
            continue
        fields = [f.strip() for f in line.rstrip("\r\n").split("\t")]
        if stripped.startswith("#") or (columns is None and not out and _is_tsv_header(fields)):
            if _is_tsv_header(fields):  # a TSV header, or the VCF's #CHROM POS ID REF ALT line
                columns = _tsv_columns(fields)
            continue
        if columns is not None:
            need = max(columns.values()) + 1
            if len(fields) < need:
                raise DataError(f"{where}: {len(fields)} columns, the header has {need} or more")
            chrom, pos = fields[columns["chrom"]], _pos(fields[columns["pos"]], where)
            vid = fields[columns["id"]] if "id" in columns else "."
            ref, alts = fields[columns["ref"]], fields[columns["alt"]]
        else:
            if len(fields) < 5:
                raise DataError(
                    f"{where}: {len(fields)} column(s); a VCF line has CHROM POS ID REF ALT "
                    "(tab-separated), a TSV needs a chrom/pos/ref/alt header"
                )
            chrom, pos, vid, ref, alts = fields[0], _pos(fields[1], where), fields[2], fields[3], fields[4]
        if not chrom:
            raise DataError(f"{where}: no chromosome name")
        _add(out, skipped, chrom, pos, vid, _allele(ref, "REF", where), alts, where, lineno)
    return out, skipped


def _is_tsv_header(fields: list[str]) -> bool:
    lower = [f.lower() for f in fields]
    return all(any(n in lower for n in _TSV_NAMES[k]) for k in ("chrom", "pos", "ref", "alt"))


def _tsv_columns(fields: list[str]) -> dict[str, int]:
    lower = [f.lower() for f in fields]
    cols = {}
    for key, names in _TSV_NAMES.items():
        for n in names:
            if n in lower:
                cols[key] = lower.index(n)
                break
    return cols


def read_variants(path, counts: Counter | None = None) -> list[Variant]:
    """The variants of a VCF or TSV file; skipped alleles are counted in a warning (and added to `counts`)."""
    name = os.fspath(path)
    _, text = read_text(name, "variant file (VCF or TSV)")
    variants, skipped = parse_variants(text, name)
    if counts is not None:
        counts.update(skipped)
    if skipped:
        parts = ", ".join(f"{n} {k}" for k, n in sorted(skipped.items()))
        log.warning(
            "%s: %d ALT allele(s) skipped (%s): only sequence alleles (SNVs and short indels) are scored",
            name,
            sum(skipped.values()),
            parts,
        )
    if not variants:
        raise DataError(
            f"{name}: no variants with sequence alleles (CHROM POS ID REF ALT lines, or a TSV with "
            "chrom, pos, ref, alt columns)"
        )
    return variants
