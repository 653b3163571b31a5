"""IUPAC pattern search on both strands of one sequence (Qt-free, no torch).

Matching rule: a sequence letter matches a pattern letter when every base the sequence letter may
stand for is allowed by the pattern letter. So pattern `R` matches `A`, `G` and `R`; pattern `N`
matches anything; a sequence `N` is matched only by pattern `N` (an unknown base is not evidence of
an `A`). Hits on the reverse strand are reported in forward-strand coordinates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from deemo_gui.core.errors import DataError
from deemo_gui.core.sequences import reverse_complement

# IUPAC nucleotide codes (NC-IUB 1984).
IUPAC: dict[str, frozenset[str]] = {
    "A": frozenset("A"),
    "C": frozenset("C"),
    "G": frozenset("G"),
    "T": frozenset("T"),
    "R": frozenset("AG"),
    "Y": frozenset("CT"),
    "S": frozenset("CG"),
    "W": frozenset("AT"),
    "K": frozenset("GT"),
    "M": frozenset("AC"),
    "B": frozenset("CGT"),
    "D": frozenset("AGT"),
    "H": frozenset("ACT"),
    "V": frozenset("ACG"),
    "N": frozenset("ACGT"),
}


@dataclass(frozen=True)
class Hit:
    """A pattern match: `[start, end)` on the forward strand, `strand` '+' or '-', the forward text."""

    start: int
    end: int
    strand: str
    text: str


def letter_matches(seq_letter: str, pattern_letter: str) -> bool:
    """The matching rule for one position (also the brute-force reference the tests use)."""
    s, p = IUPAC.get(seq_letter.upper()), IUPAC.get(pattern_letter.upper())
    return s is not None and p is not None and s <= p


def clean_pattern(pattern: str) -> str:
    """Upper-cased pattern without spaces, or DataError naming the bad letter."""
    text = "".join(pattern.split()).upper()
    if not text:
        raise DataError("search pattern is empty: type bases such as CACGTG or IUPAC codes such as CANNTG")
    bad = [c for c in text if c not in IUPAC]
    if bad:
        raise DataError(
            f"search pattern {pattern!r}: {bad[0]!r} is not a nucleotide letter; use A C G T or IUPAC codes "
            "(R Y S W K M B D H V N)"
        )
    return text


@lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern:
    classes = []
    for p in pattern:
        allowed = "".join(sorted(s for s, bases in IUPAC.items() if bases <= IUPAC[p]))
        classes.append(f"[{allowed}]")
    # A look-ahead finds overlapping hits (e.g. AAA in AAAA at 0 and 1).
    return re.compile(f"(?=({''.join(classes)}))")


def search(seq: str, pattern: str) -> list[Hit]:
    """All hits of an IUPAC `pattern` on both strands of `seq`, sorted by start then strand."""
    pat = clean_pattern(pattern)
    seq = seq.upper()
    w = len(pat)
    hits = [Hit(m.start(), m.start() + w, "+", seq[m.start() : m.start() + w]) for m in _compile(pat).finditer(seq)]
    # A site on the reverse strand reads as the reverse complement of the pattern on the forward strand.
    rc = reverse_complement(pat)
    hits += [Hit(m.start(), m.start() + w, "-", seq[m.start() : m.start() + w]) for m in _compile(rc).finditer(seq)]
    hits.sort(key=lambda h: (h.start, h.strand))
    return hits


def contains(seq: str, pattern: str) -> bool:
    """Whether an IUPAC `pattern` has a hit on either strand of `seq` (the rule of `search`)."""
    pat = clean_pattern(pattern)
    seq = seq.upper()
    return bool(_compile(pat).search(seq) or _compile(reverse_complement(pat)).search(seq))
