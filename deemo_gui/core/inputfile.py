"""Reading a user's input file safely: regular files only, gzip checked, a clear size limit.

Every reader of user files (sequences, labels, motifs, sessions) goes through `read_bytes`,
`read_text` or (streaming) `iter_bytes`, so a FIFO, `/dev/zero`, a folder, a truncated or bit-flipped
`.gz` or a file too large to hold in memory becomes one `DataError` line naming the file, never a
hang, an OOM or a traceback.
"""

from __future__ import annotations

import itertools
import os
import stat
import zlib
from collections.abc import Iterator

from deemo_gui.core.errors import ConfigError, DataError

# Decompressed bytes one input file may hold in memory. 4 GiB is ~40 M sequences of 101 nt; the
# environment variable raises or lowers it (tests lower it).
MAX_INPUT_BYTES = 4 * 1024**3
_CHUNK = 1 << 20


def max_input_bytes() -> int:
    """The size limit in force (DEEMO_MAX_INPUT_BYTES, a whole number of bytes, overrides the default)."""
    value = os.environ.get("DEEMO_MAX_INPUT_BYTES", "").strip()
    if not value:
        return MAX_INPUT_BYTES
    if not value.isdigit() or int(value) < 1:
        raise ConfigError(f"DEEMO_MAX_INPUT_BYTES={value!r}: give a whole number of bytes, e.g. 8589934592 for 8 GiB")
    return int(value)


def _limit_error(name: str, limit: int) -> DataError:
    size = f"{limit / 1024**2:,.0f} MiB" if limit >= 1024**2 else f"{limit:,} bytes"
    return DataError(
        f"{name}: larger than the {size} one input file may hold in memory; "
        "split it (e.g. `seqkit split2 -s 1000000`) or raise DEEMO_MAX_INPUT_BYTES"
    )


# Signatures of files people open by mistake: (leading bytes, what it is, what to do).
_SIGNATURES = [
    (b"\xff\xfe", "UTF-16 text", "save it as UTF-8 (or plain ASCII) text"),
    (b"\xfe\xff", "UTF-16 text", "save it as UTF-8 (or plain ASCII) text"),
    (b"BZh", "bzip2-compressed", "only gzip is read: decompress it first (bunzip2)"),
    (b"\xfd7zXZ\x00", "xz-compressed", "only gzip is read: decompress it first (unxz)"),
    (b"PK\x03\x04", "a zip archive", "unzip it and open the file inside"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed", "only gzip is read: decompress it first (unzstd)"),
    (b"\x1f\x8b", "gzip-compressed twice", "decompress it once (gunzip) and open the result"),
    (b"\x80", "a Python pickle", "deemo never unpickles files"),
]


def check_regular_file(path, what: str = "file") -> str:
    """The path as a string, or DataError if it does not exist or is not a regular file."""
    name = os.fspath(path)
    try:
        st = os.stat(name)
    except FileNotFoundError:
        raise DataError(f"{name}: no such file") from None
    except (OSError, ValueError) as exc:  # permission, name too long, embedded NUL
        raise DataError(f"{name}: cannot be opened ({exc.__class__.__name__}: {exc})") from None
    if stat.S_ISDIR(st.st_mode):
        raise DataError(f"{name}: is a folder, not a {what}")
    if not stat.S_ISREG(st.st_mode):
        raise DataError(f"{name}: not a regular file (a device, pipe or socket); save the {what} to disk first")
    return name


def read_bytes(path, what: str = "file") -> tuple[str, bytes]:
    """(name, content): gzip is decompressed (streaming, within the size limit)."""
    name = check_regular_file(path, what)
    return name, b"".join(iter_bytes(name, what))


def iter_bytes(path, what: str = "file", size: int = _CHUNK) -> Iterator[bytes]:
    """The content of `path` in pieces of about `size` bytes, gzip decompressed as it is read; the size
    limit and damaged gzip files raise the same DataError as `read_bytes`, when they are reached."""
    name = check_regular_file(path, what)
    limit = max_input_bytes()
    if os.path.getsize(name) > limit:
        raise _limit_error(name, limit)
    raw = _raw_pieces(name, limit, size)
    first = next(raw, b"")
    if first[:2] == b"\x1f\x8b":
        yield from _gunzip(itertools.chain([first], raw), name, limit)
    elif first:
        yield first
        yield from raw


def _raw_pieces(name: str, limit: int, size: int) -> Iterator[bytes]:
    total = 0
    try:
        with open(name, "rb") as fh:
            while piece := fh.read(size):
                total += len(piece)
                if total > limit:  # the file grew since it was measured
                    raise _limit_error(name, limit)
                yield piece
    except OSError as exc:
        raise DataError(f"{name}: cannot be read ({exc.strerror or exc})") from None


def _gunzip(raw: Iterator[bytes], name: str, limit: int) -> Iterator[bytes]:
    """All gzip members of `raw`, decompressed chunk by chunk so a gzip bomb stops at the limit."""
    total = 0
    data = next(raw, b"")
    try:
        while data:
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            while not d.eof:
                piece = d.decompress(data, _CHUNK)
                data = d.unconsumed_tail
                total += len(piece)
                if total > limit:
                    raise _limit_error(name, limit)
                if piece:
                    yield piece
                elif not data:
                    data = next(raw, b"")
                    if not data:
                        break
            if not d.eof:
                raise DataError(f"{name}: damaged gzip file (it ends before its data does); download it again")
            data = d.unused_data.lstrip(b"\x00")  # concatenated members; tar-style zero padding
            while len(data) < 2 and (more := next(raw, b"")):
                data = (data + more).lstrip(b"\x00")
            if data and data[:2] != b"\x1f\x8b":
                raise DataError(f"{name}: damaged gzip file (junk after the compressed data); download it again")
    except zlib.error as exc:
        raise DataError(f"{name}: damaged gzip file ({exc}); download it again") from None


def check_head(name: str, raw: bytes, what: str = "file") -> None:
    """DataError for a file that is not text, judged by its first bytes (4 KiB are enough)."""
    for magic, kind, advice in _SIGNATURES:
        if raw.startswith(magic):
            raise DataError(f"{name}: {kind}, not plain text; {advice}")
    if raw[8:10] == b'{"' and b"__metadata__" in raw[:4096] or raw[8:12] == b'{"__':
        raise DataError(
            f"{name}: a model file (safetensors), not a {what}; open it as a model (--model, File ▸ Open model)"
        )


def read_text(path, what: str = "file") -> tuple[str, str]:
    """(name, text) of a UTF-8 (BOM allowed) text file, or DataError for binary or non-UTF-8 content.
    Old-Mac line ends (CR only) are read as line ends."""
    name, raw = read_bytes(path, what)
    check_head(name, raw, what)
    if b"\x00" in raw:
        raise DataError(f"{name}: binary file (NUL bytes), not a text {what}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{name}: not UTF-8/ASCII text (byte {exc.start + 1}); save the {what} as plain text") from None
    if "\r" in text and "\n" not in text:
        text = text.replace("\r", "\n")
    return name, text
