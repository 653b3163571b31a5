"""Atomic writes: a file is written under a temporary name in its folder, then renamed over the target.

A kill at any moment leaves either the old file or the new one, never a half-written one, and the
temporary file is removed when the write fails. A symlink is written through (its target is
replaced); devices, pipes and folders are refused, and missing folders are not created.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator

from deemo_gui.core.errors import DataError

_UMASK = os.umask(0)
os.umask(_UMASK)


def _target(path: str) -> str:
    """The regular file a write to `path` replaces: symlinks are followed; devices, pipes, folders and missing
    folders are refused (renaming over /dev/null would replace the device)."""
    real = os.path.realpath(path)
    if os.path.lexists(real) and not os.path.isfile(real):
        kind = "a folder" if os.path.isdir(real) else "not a regular file (a device, pipe or socket)"
        raise DataError(f"{path}: cannot write here: {kind}; give a file name")
    if not os.path.isdir(os.path.dirname(real) or "."):
        raise DataError(f"{path}: cannot write: the folder {os.path.dirname(real)} does not exist")
    return real


@contextlib.contextmanager
def atomic_path(path) -> Iterator[str]:
    """A temporary path beside `path`; renamed to `path` when the block ends without an error. OSErrors
    (disk full, no permission) become a one-line DataError naming the file."""
    path = os.fspath(path)
    real = _target(path)
    try:
        fd, tmp = tempfile.mkstemp(
            dir=os.path.dirname(real) or ".", prefix=f".{os.path.basename(real)}.", suffix=".tmp"
        )
    except OSError as exc:
        raise DataError(f"{path}: cannot write ({exc.strerror or exc})") from None
    os.close(fd)
    try:
        # mkstemp makes the file private (0600); give it the mode a plain open() would
        os.chmod(tmp, os.stat(real).st_mode & 0o7777 if os.path.exists(real) else 0o666 & ~_UMASK)
        yield tmp
        with open(tmp, "rb") as fh:  # the data on disk before the name points at it
            os.fsync(fh.fileno())
        os.replace(tmp, real)
    except OSError as exc:
        raise DataError(f"{path}: cannot write ({exc.strerror or exc})") from None
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_text(path, text: str, encoding: str = "utf-8") -> str:
    """Write `text` to `path` atomically; returns the path."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding=encoding, newline="") as fh:
        fh.write(text)
    return os.fspath(path)
