"""Line-based sequence files read as a stream: DeepBind .seq (with or without its header), TSV/CSV
tables with a `sequence` column and one sequence per line.

The file is cut into pieces of about a MiB at line ends; each piece is parsed by the same parser the
whole-file reader uses (`core.sequences.text_parser`), with the header row repeated in front of it
and its line numbers counted from where it starts, so ids and one-line errors are the same as when
the file is read whole. Memory is one piece plus the records the caller keeps.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

from deemo_gui.core.errors import DataError
from deemo_gui.core.fasta import decode_text
from deemo_gui.core.inputfile import check_head, iter_bytes
from deemo_gui.core.sequences import SequenceSet, read_sequences, text_parser

CHUNK = 1 << 20
_BOM = b"\xef\xbb\xbf"
_WHAT = "sequence file"


def iter_sequence_sets(path) -> Iterator[SequenceSet]:
    """The records of a line-based sequence file, a piece at a time; DataError for a bad file or
    record when it is reached. (A FASTA file is read by `read_sequences`, whole.)"""
    name = os.fspath(path)
    pieces = text_pieces(name)
    first = next(((t, n) for t, n in pieces if t.strip()), None)  # the first piece with a record
    if first is None:
        raise DataError(f"{name}: empty file")
    text, lineno0 = first
    if text.lstrip().startswith((">", ";")):
        yield read_sequences(name)
        return
    parse, has_header = text_parser(text, name)
    header = ""
    if has_header:
        header, text, lineno0 = _split_header(text, lineno0)
    found = False
    for piece, start in itertools.chain([(text, lineno0)], pieces):
        if not piece.strip():
            continue
        if has_header:
            data = parse(header + piece, name, lineno0=start - 1)
        else:
            data = parse(piece, name, lineno0=start)
        found = found or bool(len(data))
        yield data
    if not found:
        raise DataError(f"{name}: header but no sequences")


def _split_header(text: str, lineno0: int) -> tuple[str, str, int]:
    """(the first written line with its line end, the text after it, the lines before that text)."""
    start = 0
    while True:
        end = text.find("\n", start)
        line = text[start:] if end < 0 else text[start : end + 1]
        if line.strip() or end < 0:
            break
        start = end + 1
    body_at = start + len(line)
    return line.rstrip("\r\n") + "\n", text[body_at:], lineno0 + text.count("\n", 0, body_at)


def text_pieces(name: str) -> Iterator[tuple[str, int]]:
    """(text, lines before it) of the file in line-aligned pieces, with `read_text`'s errors."""
    carry: list[bytes] = []
    lineno, offset, first = 0, 0, True
    for piece in iter_bytes(name, _WHAT, CHUNK):
        if first:
            check_head(name, piece, _WHAT)
            if piece.startswith(_BOM):
                piece, offset = piece[3:], 3
            first = False
        k = piece.rfind(b"\n") + 1
        if not k:  # a line longer than the piece
            carry.append(piece)
            continue
        out, carry = b"".join([*carry, piece[:k]]), [piece[k:]]
        yield decode_text(out, name, offset, whole=False), lineno
        lineno += out.count(b"\n")
        offset += len(out)
    if rest := b"".join(carry):
        yield decode_text(rest, name, offset, whole=not lineno), lineno
