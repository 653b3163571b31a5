"""The open sequence files as one flat list of records (`SequenceStore`): their ids, their text as
read, where each file starts (`offsets`) and an id index. Edits live in `edits.py`."""

from __future__ import annotations

from bisect import bisect_right

import numpy as np

from deemo_gui.core.errors import DataError
from deemo_gui.viewer.entries import OpenFile


def fit_one(seq: str, length: int) -> str:
    """Centre-crop or N-pad one sequence to `length` (the rule of `core.sequences.fit_length`, silently)."""
    n = len(seq)
    if n == length:
        return seq
    if n > length:
        start = (n - length) // 2
        return seq[start : start + length]
    left = (length - n) // 2
    return "N" * left + seq + "N" * (length - n - left)


class SequenceStore:
    """The open files (`files`) and their records, numbered 0.. across files in the order opened."""

    def __init__(self) -> None:
        self.files: list[OpenFile] = []
        self.ids: list[str] = []
        self.seqs: list[str] = []  # each record as read from its file
        self.offsets: list[int] = []  # the flat index of each file's first record
        self._index: dict[str, int] | None = None

    def __len__(self) -> int:
        return len(self.seqs)

    def add(self, entry: OpenFile) -> int:
        """Append a file's records; returns the flat index of its first."""
        offset = len(self.seqs)
        self.files.append(entry)
        self.offsets.append(offset)
        self.ids.extend(entry.data.ids)
        self.seqs.extend(entry.data.seqs)
        self._index = None
        return offset

    def remove(self, k: int) -> range:
        """Close the `k`-th file; returns the flat indices its records had (the later ones move down)."""
        span = range(self.offsets[k], self.offsets[k] + len(self.files[k].data))
        kept = [f for i, f in enumerate(self.files) if i != k]
        self.clear()
        for f in kept:
            self.add(f)
        return span

    def clear(self) -> None:
        self.files, self.ids, self.seqs, self.offsets = [], [], [], []
        self._index = None

    @property
    def index(self) -> dict[str, int]:
        """Record id -> flat index of the first record with that id (built on first use)."""
        if self._index is None:
            index: dict[str, int] = {}
            for i, rid in enumerate(self.ids):
                index.setdefault(rid, i)
            self._index = index
        return self._index

    def index_of(self, key) -> int:
        """Flat index of a record given its index or its id (the first record with that id)."""
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
            i = int(key)
            if not 0 <= i < len(self.seqs):
                raise DataError(f"sequence index {i} out of range: {len(self.seqs)} sequences are open")
            return i
        try:
            return self.index[str(key)]
        except KeyError:
            raise DataError(f"no open sequence is named {key!r}") from None

    def file_index(self, i: int) -> int:
        """Which open file (its position in `files`) record `i` is from."""
        return bisect_right(self.offsets, i) - 1

    def file_of(self, i: int) -> OpenFile:
        return self.files[self.file_index(i)]

    def local(self, i: int) -> tuple[OpenFile, int]:
        """Record `i`'s file and its index in that file."""
        k = self.file_index(i)
        return self.files[k], i - self.offsets[k]

    def sequence_id(self, i: int) -> str:
        return self.ids[i]

    def label(self, i: int) -> np.ndarray | None:
        """The record's labels `(T,)`, or None if its file has none."""
        f, j = self.local(i)
        return None if f.data.labels is None else f.data.labels[j]
