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
from operator import itemgetter

from deemo_gui.core.errors import DataError
from deemo_gui.core.inputfile import check_head, iter_bytes
from deemo_gui.core.sequences import (
    ALPHABET,
    AMBIGUITY,
    _checked_id,
    lower_case_runs,
    validate,
)

CHUNK = 1 << 20
_BOM = b"\xef\xbb\xbf"
_SEQ_BYTES = (ALPHABET + AMBIGUITY + (ALPHABET + AMBIGUITY).lower() + "\n").encode()
_UPPER_SEQ_BYTES = (ALPHABET + AMBIGUITY + "\n").encode()
_PLAIN_ID_BYTES = bytes(range(0x21, 0x7F)) + b"\n"  # printable ASCII names, one per line
_BYTES_WHITESPACE = " \t\n\r\x0b\x0c"  # what bytes.strip() strips
_AFTER_GT = itemgetter(slice(1, None))  # a header line without its '>'
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
    lineno = 0
    for chunk, offset, whole in _chunks(path, name):
        batch, lines = _fast(chunk)
        if batch is None:
            text = decode_text(chunk, name, offset, whole)
            blank = blank and not text.strip()
            batch = parse_lines(text, name, lineno)
            lines = text.count("\n")
        lineno += lines
        if batch.ids:
            found = True
            yield batch
    if not found:
        raise DataError(f"{name}: empty file" if blank else f"{name}: no FASTA records")


def _chunks(path, name: str) -> Iterator[tuple[bytes, int, bool]]:
    """(chunk, its byte offset after any BOM, whether it is the whole file): chunks of about CHUNK
    bytes (the pieces read, more for a record longer than that) that end just before a line that
    starts with '>' (no record is split); each byte is copied once, from the piece into the chunk."""
    parts: list[bytes] = []
    carry, offset, first = b"", 0, True
    for piece in iter_bytes(path, "sequence file", CHUNK):
        if first:
            check_head(name, piece, "sequence file")
            piece = piece[3:] if piece.startswith(_BOM) else piece
            first = False
        k = piece.rfind(b"\n>") + 1
        if not k and piece[:1] == b">" and (parts or carry) and (parts[-1] if parts else carry)[-1:] == b"\n":
            k = -1  # the piece starts a record: cut before it
        if k:
            head = memoryview(piece)[:k] if k > 0 else b""  # joined without a copy of its own
            out = b"".join([carry, *parts, head])
            carry, parts = (piece[k:] if k > 0 else piece), []
            yield out, offset, False
            offset += len(out)
        else:
            parts.append(piece)
    rest = b"".join([carry, *parts])
    if rest:
        yield rest, offset, offset == 0


def _fast(chunk: bytes) -> tuple[Batch | None, int]:
    """(the chunk's records by bytes operations over the whole chunk, its number of lines), or
    (None, 0) if it is not plain (the line parser then reads it, with its errors)."""
    if not chunk.startswith(b">") or b"\x00" in chunk:
        return None, 0
    if b"\r" in chunk:
        chunk = chunk.replace(b"\r\n", b"\n")
        if b"\r" in chunk:
            return None, 0
    if chunk.isascii() and _one_line_first(chunk) and (done := _one_line(chunk)) is not None:
        return done
    lines = chunk.split(b"\n")  # one line per sequence?
    nlines = len(lines) - 1
    while lines and not lines[-1].strip():  # the file's trailing newlines and blank lines
        lines.pop()
    heads, seq_lines = b"\n".join(lines[0::2]), lines[1::2]
    if len(lines) % 2 == 0 and heads.count(b"\n>") == len(seq_lines) - 1 and b"" not in seq_lines:
        heads, seqs, n = heads[1:].replace(b"\n>", b"\n"), b"\n".join(seq_lines), len(seq_lines)
    else:  # wrapped sequences (blank lines inside a record are skipped, as the line parser does)
        records = [r.partition(b"\n") for r in chunk.split(b"\n>")]
        bodies = [r[2].replace(b"\n", b"") for r in records]
        if b"" in bodies:
            return None, 0
        heads, seqs, n = b"\n".join(r[0] for r in records)[1:], b"\n".join(bodies), len(bodies)
    soft = bool(seqs.translate(None, _UPPER_SEQ_BYTES))  # one pass: valid ('>' is not) and upper case?
    if soft and seqs.translate(None, _SEQ_BYTES):
        return None, 0
    if heads.isascii():
        if heads.translate(None, _PLAIN_ID_BYTES):  # descriptions, odd spaces, control characters
            return _fast_described(heads, seqs, n, soft), nlines
        ids = heads.decode("ascii").split("\n")
        if "" in ids:
            return None, 0
    else:
        return _fast_described(heads, seqs, n, soft), nlines
    return _batch(ids, heads, seqs, soft), nlines


def _one_line_first(chunk: bytes) -> bool:
    """Whether the chunk's first record is one header line and one sequence line (then the next
    line is a header or the end): a cheap guess that `_one_line` applies (wrapped files go on)."""
    second = chunk.find(b"\n", chunk.find(b"\n") + 1)
    return second < 0 or chunk[second + 1 : second + 2] in (b">", b"", b"\n")


def _one_line(chunk: bytes) -> tuple[Batch | None, int] | None:
    """`_fast` for an ASCII chunk of one header line and one sequence line per record, the common
    case: one split into the strings kept (the sequences) and one more string per name, and the
    sequences validated by one `translate` of the whole chunk; None if the chunk is not like that
    (`_fast` goes on, and gives the same records or None)."""
    lines = chunk.decode("ascii").split("\n")
    nlines = len(lines) - 1
    while lines and not lines[-1].strip(_BYTES_WHITESPACE):  # the file's trailing newlines and blank lines
        lines.pop()
    if len(lines) % 2:
        return None
    heads, seqs = lines[0::2], lines[1::2]
    del lines
    joined = "\n".join(heads)  # every header line starts with '>' (the chunk does), and no sequence is empty?
    if joined.count("\n>") != len(heads) - 1 or "" in seqs:
        return None
    head_bytes = joined.encode("ascii")
    # the sequence lines are valid and upper case if deleting those letters (and the line ends) from
    # the whole chunk leaves what it leaves of the header lines ('>' is not a letter)
    soft = len(chunk.translate(None, _UPPER_SEQ_BYTES)) != len(head_bytes.translate(None, _UPPER_SEQ_BYTES))
    seq_bytes = "\n".join(seqs).encode("ascii") if soft else b""
    if soft and seq_bytes.translate(None, _SEQ_BYTES):
        return None, 0
    if head_bytes.translate(None, _PLAIN_ID_BYTES):  # descriptions, odd spaces, control characters
        seq_bytes = seq_bytes or "\n".join(seqs).encode("ascii")
        return _fast_described(joined[1:].replace("\n>", "\n"), seq_bytes, len(seqs), soft), nlines
    if joined == ">" or joined.startswith(">\n") or joined.endswith("\n>") or "\n>\n" in joined:
        return None, 0  # a header without a name: the line parser's error
    ids = list(map(_AFTER_GT, heads))
    if soft or "label=" in joined:
        return _batch(ids, "\n".join(ids), seq_bytes or "\n".join(seqs).encode("ascii"), soft), nlines
    return Batch(ids, seqs, {}, None), nlines


def _fast_described(heads: bytes | str, seqs: bytes, n: int, soft: bool) -> Batch | None:
    """`_fast` for headers with descriptions or non-ASCII names: the name is the first word."""
    try:
        text = heads.decode("utf-8") if isinstance(heads, bytes) else heads
    except UnicodeDecodeError:
        return None
    ids = _ID.findall(text)
    if len(ids) != n or not "".join(ids).isprintable():
        return None
    return _batch(ids, text, seqs, soft)


def _batch(ids: list[str], heads, seqs: bytes, soft: bool) -> Batch:
    """The Batch of validated records: upper-case sequences, soft-masked runs (`soft`: some lower
    case may be there), `label=` headers."""
    upper = seqs.upper() if soft else seqs
    masked = {}
    if soft and upper != seqs:
        masked = {i: r for i, s in enumerate(seqs.decode("ascii").split("\n")) if (r := lower_case_runs(s))}
    if isinstance(heads, bytes):
        heads = heads.decode("ascii") if b"label=" in heads else ""
    headers = [h.strip() for h in heads.split("\n")] if "label=" in heads else None
    return Batch(ids, upper.decode("ascii").split("\n"), masked, headers)


def decode_text(chunk: bytes, name: str, offset: int, whole: bool) -> str:
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
    ids: list[str] = []
    headers: list[str] = []
    seqs: list[str] = []
    linenos: list[int] = []
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
