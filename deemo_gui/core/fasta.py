"""FASTA read as a stream: one pass over the file in record-aligned chunks of a few MiB.

A chunk of plain records (one header line, one or more sequence lines, LF or CRLF ends) is parsed
and validated with bytes operations over the whole chunk (split, translate, upper); any other chunk
(comments, blank lines, stray whitespace, a bad record) goes through the line-by-line parser, which
gives the same records and the same one-line errors as `core.sequences` always did. Memory is one
chunk plus the records the caller keeps.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from deemo_gui.core.errors import DataError
from deemo_gui.core.inputfile import check_head, iter_bytes
from deemo_gui.core.sequences import (
    ALPHABET,
    AMBIGUITY,
    _checked_id,
    lower_case_runs,
    validate,
)

CHUNK = 4 << 20
_BOM = b"\xef\xbb\xbf"
_SEQ_BYTES = (ALPHABET + AMBIGUITY + (ALPHABET + AMBIGUITY).lower() + "\n").encode()
_ID = re.compile(r"^[^\S\n]*(\S+)", re.MULTILINE)  # header.split()[0] of every header line (same whitespace)


@dataclass
class Batch:
    """The records of one chunk: ids, upper-case sequences, soft-masked runs by index in the batch,
    and the headers (without '>') when one of them has a `label=`, else None."""

    ids: list[str]
    seqs: list[str]
    soft_masked: dict[int, tuple[tuple[int, int], ...]]
    headers: list[str] | None
    linenos: list[int] | None = None  # each record's header line (the line parser only)


def iter_fasta(path, name: str) -> Iterator[Batch]:
    """The records of a FASTA file, a chunk at a time; DataError (naming `name`, the record and
    line) for a bad file, when it is reached. An empty or record-less file raises at its end."""
    found = False
    blank = True
    for chunk, lineno, offset, whole in _chunks(path, name):
        batch = _fast(chunk)
        if batch is None:
            text = _decode(chunk, name, offset, whole)
            blank = blank and not text.strip()
            batch = parse_lines(text, name, lineno)
        if batch.ids:
            found = True
            yield batch
    if not found:
        raise DataError(f"{name}: empty file" if blank else f"{name}: no FASTA records")


def _chunks(path, name: str) -> Iterator[tuple[bytes, int, int, bool]]:
    """(chunk, lines before it, its byte offset after any BOM, whether it is the whole file): chunks
    of at least CHUNK bytes end just before a line that starts with '>' (no record is split)."""
    parts: list[bytes] = []
    size, cut, lineno, offset = 0, -1, 0, 0
    for piece in iter_bytes(path, "sequence file", CHUNK):
        if not parts and not offset:
            check_head(name, piece, "sequence file")
            piece = piece[3:] if piece.startswith(_BOM) else piece
        k = piece.rfind(b"\n>")
        if k >= 0:
            cut = size + k + 1
        elif piece[:1] == b">" and parts and parts[-1][-1:] == b"\n":
            cut = size
        parts.append(piece)
        size += len(piece)
        if size >= CHUNK and cut > 0:
            buf = b"".join(parts)
            out = buf[:cut]
            parts, size, cut = [buf[cut:]], size - cut, -1
            yield out, lineno, offset, False
            lineno += out.count(b"\n")
            offset += len(out)
    if size:
        yield b"".join(parts), lineno, offset, offset == 0


def _fast(chunk: bytes) -> Batch | None:
    """The chunk's records by bytes operations over the whole chunk, or None if it is not plain
    (the line parser then reads it, with its errors)."""
    if not chunk.startswith(b">") or b"\x00" in chunk:
        return None
    if b"\r" in chunk:
        chunk = chunk.replace(b"\r\n", b"\n")
        if b"\r" in chunk:
            return None
    lines = chunk.rstrip().split(b"\n")  # one line per sequence?
    heads, seq_lines = b"\n".join(lines[0::2]), lines[1::2]
    if len(lines) % 2 == 0 and heads.count(b"\n>") == len(seq_lines) - 1 and b"" not in seq_lines:
        heads, seqs, n = heads[1:].replace(b"\n>", b"\n"), b"\n".join(seq_lines), len(seq_lines)
        if b">" in seqs:
            return None
    else:  # wrapped sequences (blank lines inside a record are skipped, as the line parser does)
        records = [r.partition(b"\n") for r in chunk.split(b"\n>")]
        bodies = [r[2].replace(b"\n", b"") for r in records]
        if b"" in bodies:
            return None
        heads, seqs, n = b"\n".join(r[0] for r in records)[1:], b"\n".join(bodies), len(bodies)
    if seqs.translate(None, _SEQ_BYTES):
        return None
    try:
        heads = heads.decode("utf-8")
    except UnicodeDecodeError:
        return None
    ids = heads.split("\n")
    if not heads.isascii() or " " in heads or "\t" in heads or "" in ids:  # descriptions, odd spaces
        ids = _ID.findall(heads)
    if len(ids) != n or not "".join(ids).isprintable():
        return None
    upper = seqs.upper()
    masked = {}
    if upper != seqs:
        masked = {i: r for i, s in enumerate(seqs.decode("ascii").split("\n")) if (r := lower_case_runs(s))}
    headers = [h.strip() for h in heads.split("\n")] if "label=" in heads else None
    return Batch(ids, upper.decode("ascii").split("\n"), masked, headers)


def _decode(chunk: bytes, name: str, offset: int, whole: bool) -> str:
    """The chunk as text, with `core.inputfile.read_text`'s errors (the byte counted in the file)."""
    if b"\x00" in chunk:
        raise DataError(f"{name}: binary file (NUL bytes), not a text sequence file")
    try:
        text = chunk.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{name}: not UTF-8/ASCII text (byte {offset + exc.start + 1}); save the sequence file as plain text"
        ) from None
    if whole and "\r" in text and "\n" not in text:
        text = text.replace("\r", "\n")
    return text


def parse_lines(text: str, name: str, lineno0: int = 0) -> Batch:
    """The line-by-line parser of a chunk: `split_records`, then `validated`."""
    ids, headers, seqs, linenos = split_records(text, name, lineno0)
    clean, masked = validated(ids, seqs, linenos, name)
    return Batch(ids, clean, masked, headers if any("label=" in h for h in headers) else None, linenos)


def split_records(text: str, name: str, lineno0: int = 0) -> tuple[list[str], list[str], list[str], list[int]]:
    """(ids, headers, sequences as written, header line numbers): blank lines and ';' comments
    skipped, lines stripped; DataError for a header without a name or a sequence before any header."""
    ids, headers, seqs, linenos = [], [], [], []
    chunks: list[str] = []
    for lineno, line in enumerate(text.split("\n"), start=lineno0 + 1):
        line = line.strip()
        if not line:
            continue
        if line.startswith(">"):
            if ids:
                seqs.append("".join(chunks))
            header = line[1:].strip()
            if not header:
                raise DataError(f"{name}, line {lineno}: FASTA header without a name")
            ids.append(_checked_id(header.split()[0], f"{name}, line {lineno}"))
            headers.append(header)
            linenos.append(lineno)
            chunks = []
        elif line.startswith(";"):
            continue
        else:
            if not ids:
                raise DataError(f"{name}, line {lineno}: sequence before the first '>' header — not FASTA")
            chunks.append(line)
    if ids:
        seqs.append("".join(chunks))
    return ids, headers, seqs, linenos


def validated(ids, seqs, linenos, name: str) -> tuple[list[str], dict[int, tuple[tuple[int, int], ...]]]:
    """(upper-case sequences, soft-masked runs by index); DataError naming the first bad record."""
    clean, masked = [], {}
    for i, (rid, seq, lineno) in enumerate(zip(ids, seqs, linenos)):
        clean.append(validate(seq, f"{name}, record {rid!r} (line {lineno})"))
        if runs := lower_case_runs(seq):
            masked[i] = runs
    return clean, masked
