"""Atomic writes: a file is written under a temporary name in its folder, then renamed over the target.

A kill at any moment leaves either the old file or the new one, never a half-written one, and the
temporary file is removed when the write fails.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator

_UMASK = os.umask(0)
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_path(path) -> Iterator[str]:
    """A temporary path beside `path`; renamed to `path` when the block ends without an error."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    os.close(fd)
    try:
        # mkstemp makes the file private (0600); give it the mode a plain open() would
        os.chmod(tmp, os.stat(path).st_mode & 0o7777 if os.path.exists(path) else 0o666 & ~_UMASK)
        yield tmp
        with open(tmp, "rb") as fh:  # the data on disk before the name points at it
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_text(path, text: str, encoding: str = "utf-8") -> str:
    """Write `text` to `path` atomically; returns the path."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding=encoding, newline="") as fh:
        fh.write(text)
    return os.fspath(path)
