"""An indexed reference genome FASTA: random access to any `chrom:start-end` without reading the file.

The index is samtools' `.fai` (name, length, byte offset, bases per line, bytes per line), so a
`.fai` made by `samtools faidx` is used as it is, and the one built here works with samtools. When
there is none (or it is older than the FASTA, or damaged) it is built in one pass and written
atomically next to the genome; when the genome's folder is read-only it goes to the cache folder
(`$DEEMO_CACHE_DIR`, default `~/.cache/deemo-gui`) and, if that fails too, it is kept in memory.
A gzip genome is decompressed into memory (within the input size limit, `core.inputfile`) and indexed
there: decompress it once (`gunzip`) for fast opening.

Case is kept: soft-masked (lower-case) repeats come back lower case (`core.sequences.lower_case_runs`).
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import threading
from dataclasses import dataclass
from typing import Self

from deemo_gui.core.atomic import write_text
from deemo_gui.core.errors import DataError
from deemo_gui.core.inputfile import check_regular_file, read_bytes

log = logging.getLogger(__name__)

_VALID = b"ACGTNRYSWKMBDHVacgtnryswkmbdhv"
_NO_CHROM_HINT = "does the genome name chromosomes another way (chr1 vs 1), or is it another assembly?"


@dataclass(frozen=True)
class FaiEntry:
    """One sequence of a `.fai`: its length, the byte offset of its first base, bases and bytes per line."""

    name: str
    length: int
    offset: int
    line_bases: int
    line_bytes: int


def cache_dir() -> str:
    """The folder for indexes that cannot be written beside their genome."""
    return os.environ.get("DEEMO_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "deemo-gui")


def build_index(fh, name: str) -> dict[str, FaiEntry]:
    """Index a FASTA read from the binary stream `fh`, as `samtools faidx` does: every line of a record but
    its last must have the same length. DataError naming the line otherwise."""
    entries: dict[str, FaiEntry] = {}
    offset = 0
    current = None  # [name, length, offset, line_bases, line_bytes, ended]: ended after a short or blank line

    def finish():
        if current is not None:
            entries[current[0]] = FaiEntry(current[0], current[1], current[2], current[3] or 0, current[4] or 0)

    def unequal(lineno):
        return DataError(
            f"{name}, line {lineno}: record {current[0]!r} has lines of unequal length before its last line (an "
            "indexed genome needs equal lines); rewrap it, e.g. `seqkit seq -w 60 in.fa > out.fa`"
        )

    for lineno, line in enumerate(fh, start=1):
        width = len(line)
        if line.startswith(b">"):
            finish()
            title = line[1:].split(None, 1)
            if not title:
                raise DataError(f"{name}, line {lineno}: FASTA header without a name")
            seq_name = title[0].decode("utf-8", "replace")
            if seq_name in entries:
                raise DataError(
                    f"{name}, line {lineno}: the sequence name {seq_name!r} occurs twice; names must be unique"
                )
            current = [seq_name, 0, offset + width, None, None, False]
        elif current is None:
            if line.strip():
                raise DataError(f"{name}, line {lineno}: sequence before the first '>' header; not a FASTA genome")
        else:
            bases = len(line.rstrip(b"\r\n"))
            if bases == 0:
                current[5] = True
            elif current[5]:
                raise unequal(lineno)
            elif current[3] is None:
                current[3], current[4] = bases, max(width, bases + 1)  # a last line without newline
            elif bases > current[3] or (bases == current[3] and width != current[4] and line.endswith(b"\n")):
                raise unequal(lineno)
            elif bases < current[3]:
                current[5] = True
            current[1] += bases
        offset += width
    finish()
    if not entries:
        raise DataError(f"{name}: no FASTA records; a genome FASTA starts with a '>chr1'-style header")
    return entries


def format_index(entries: dict[str, FaiEntry]) -> str:
    return "".join(f"{e.name}\t{e.length}\t{e.offset}\t{e.line_bases}\t{e.line_bytes}\n" for e in entries.values())


def parse_index(text: str, size: int) -> dict[str, FaiEntry] | None:
    """The entries of a `.fai` text, or None if it is not a consistent index of a file of `size` bytes."""
    entries = {}
    try:
        for line in text.splitlines():
            if not line.strip():
                continue
            name, length, offset, line_bases, line_bytes = line.split("\t")[:5]
            e = FaiEntry(name, int(length), int(offset), int(line_bases), int(line_bytes))
            if (
                e.length < 0
                or e.offset > size
                or (e.length and not 0 < e.line_bases < e.line_bytes <= e.line_bases + 2)
            ):
                return None
            entries[name] = e
    except ValueError:
        return None
    return entries or None


def _cached_index_path(path: str) -> str:
    key = hashlib.sha256(os.path.abspath(path).encode()).hexdigest()[:16]
    return os.path.join(cache_dir(), "fai", f"{key}-{os.path.basename(path)}.fai")


class Genome:
    """A reference FASTA opened for random access. `fetch(chrom, start, end)` (0-based, end exclusive)
    returns the bases with their case; `lengths` maps each sequence name to its length.

    Thread-safe (one lock around each read). Use as a context manager or call `close()`.
    """

    def __init__(self, path, build: bool = True):
        self.path = check_regular_file(path, "genome FASTA")
        self.index_path: str | None = None  # where the .fai was read or written; None: in memory
        self._lock = threading.Lock()
        self._fh: io.BufferedIOBase
        with open(self.path, "rb") as fh:
            gzipped = fh.read(2) == b"\x1f\x8b"
        if gzipped:
            _, raw = read_bytes(self.path, "genome FASTA")
            self._fh = io.BytesIO(raw)
            self.index = build_index(io.BytesIO(raw), self.path)
            log.info("%s: gzip genome indexed in memory; decompress it (gunzip) to open it faster", self.path)
        else:
            self.index = self._load_or_build_index() if build else {}
            self._fh = open(self.path, "rb")  # noqa: SIM115 - open while the Genome is
        self.lengths = {name: e.length for name, e in self.index.items()}

    # -- the index -------------------------------------------------------------------------------
    def _load_or_build_index(self) -> dict[str, FaiEntry]:
        st = os.stat(self.path)
        for candidate in (self.path + ".fai", _cached_index_path(self.path)):
            entries = self._read_index(candidate, st)
            if entries is not None:
                self.index_path = candidate
                return entries
        with open(self.path, "rb") as fh:
            entries = build_index(fh, self.path)
        text = format_index(entries)
        for candidate in (self.path + ".fai", _cached_index_path(self.path)):
            try:
                os.makedirs(os.path.dirname(candidate) or ".", exist_ok=True)
                write_text(candidate, text)
            except (DataError, OSError) as exc:
                log.info("%s: index not written (%s)", candidate, exc)
                continue
            self.index_path = candidate
            log.info("%s: built the index %s", self.path, candidate)
            return entries
        log.warning(
            "%s: the index (.fai) could not be written beside the genome or in %s; it is kept in memory "
            "and rebuilt at every opening",
            self.path,
            cache_dir(),
        )
        return entries

    @staticmethod
    def _read_index(candidate: str, st: os.stat_result) -> dict[str, FaiEntry] | None:
        """A fresh, consistent index at `candidate`, or None (missing, older than the genome, damaged)."""
        try:
            if os.stat(candidate).st_mtime < st.st_mtime:
                log.info("%s: older than its genome; rebuilding it", candidate)
                return None
            with open(candidate, encoding="utf-8") as fh:
                text = fh.read(16 * 1024 * 1024)
        except (OSError, UnicodeDecodeError):
            return None
        entries = parse_index(text, st.st_size)
        if entries is None:
            log.warning("%s: not a valid .fai index of this genome; rebuilding it", candidate)
        return entries

    # -- access ----------------------------------------------------------------------------------
    def __contains__(self, chrom: str) -> bool:
        return chrom in self.index

    @property
    def names(self) -> list[str]:
        return list(self.index)

    def length(self, chrom: str) -> int:
        return self._entry(chrom).length

    def _entry(self, chrom: str) -> FaiEntry:
        try:
            return self.index[chrom]
        except KeyError:
            shown = ", ".join(list(self.index)[:6]) + (", …" if len(self.index) > 6 else "")
            raise DataError(
                f"{self.path}: no sequence {chrom!r} in this genome (it has {shown}); {_NO_CHROM_HINT}"
            ) from None

    def fetch(self, chrom: str, start: int, end: int) -> str:
        """Bases `[start, end)` of `chrom` (0-based), case kept; DataError outside the sequence."""
        e = self._entry(chrom)
        if not 0 <= start <= end <= e.length:
            raise DataError(f"{self.path}: {chrom}:{start}-{end} is outside {chrom} (length {e.length:,})")
        if start == end:
            return ""
        first = e.offset + (start // e.line_bases) * e.line_bytes + start % e.line_bases
        last = e.offset + ((end - 1) // e.line_bases) * e.line_bytes + (end - 1) % e.line_bases
        with self._lock:
            self._fh.seek(first)
            raw = self._fh.read(last + 1 - first)
        seq = raw.replace(b"\n", b"").replace(b"\r", b"")
        if len(seq) != end - start:
            raise DataError(
                f"{self.path}: {chrom}:{start}-{end} could not be read as indexed (the file changed "
                f"since {self.index_path or 'its index'} was made?); delete the .fai and open it again"
            )
        bad = seq.translate(None, _VALID)
        if bad:
            pos = start + next(i for i, b in enumerate(seq) if b == bad[0])
            raise DataError(
                f"{self.path}: invalid character {chr(bad[0])!r} at {chrom}:{pos + 1:,}; a genome "
                "holds A C G T and IUPAC codes only"
            )
        return seq.decode("ascii")

    def fetch_padded(self, chrom: str, start: int, end: int) -> tuple[str, int]:
        """Bases `[start, end)` with N for the part past either end of `chrom`; (sequence, N added)."""
        n = self.length(chrom)
        left, right = max(0, -start), max(0, end - n)
        inner = self.fetch(chrom, max(0, start), min(n, end)) if min(n, end) > max(0, start) else ""
        pad = (end - start) - len(inner) - left - right
        return "N" * (left + pad) + inner + "N" * right, left + right + pad

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Genome({self.path!r}, {len(self.index)} sequences)"
