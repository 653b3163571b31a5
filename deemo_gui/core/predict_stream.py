"""Predictions as a stream: records in, one-hot batches through the network, probabilities out.

Memory is one chunk of records and one group's one-hot, whatever the size of the file: `records`
reads a chunk at a time (`core.fasta`, `core.line_stream`), `score_batches` encodes and predicts a group at
a time, and the caller writes each group's rows before the next is read (`deemo predict`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator

import numpy as np

from deemo_gui.core import fasta, line_stream
from deemo_gui.core.inference import BATCH_SIZE, predict_proba
from deemo_gui.core.sequences import (
    _starts_like_fasta,
    fit_length,
    one_hot,
    warn_duplicate_ids,
    warn_fitted,
)

GROUP = 4  # batches encoded at once (1,024 records: a few MB of one-hot)

Records = Iterable[tuple[list[str], list[str]]]
Scorer = Callable[[object, list[str]], np.ndarray]


def records(path) -> Iterator[tuple[list[str], list[str]]]:
    """(ids, upper-case sequences) of a sequence file, a chunk at a time (FASTA and the line-based
    formats stream); duplicate ids are warned about at the end, as `read_sequences` does."""
    name = os.fspath(path)
    seen = _IdHashes(lambda: (ids for ids, _ in _parts(name)))
    for ids, seqs in _parts(name):
        seen.add(ids)
        yield ids, seqs
    seen.warn(name)


def _parts(name: str) -> Iterator[tuple[list[str], list[str]]]:
    if _starts_like_fasta(name):
        return ((batch.ids, batch.seqs) for batch in fasta.iter_fasta(name, name))
    return ((data.ids, data.seqs) for data in line_stream.iter_sequence_sets(name))


class _IdHashes:
    """The ids seen so far as a 64-bit hash each (8 bytes a record), for the duplicate-id warning at
    the end of a stream. While every id has the same length in bytes (generated names: peak0000001,
    ...), a chunk's ids are hashed at once from their bytes (`_bulk_hashes`); from the first id of
    another length on, one by one (`hash`), the earlier ids too. Equal hashes are only candidates:
    the ids are then read again (`reread`, the ids of the same stream a chunk at a time) and the
    warning counts the ids themselves, so a collision of hashes cannot make a false warning."""

    def __init__(self, reread: Callable[[], Iterable[list[str]]]):
        self._hashes = np.empty(0, dtype=np.int64)  # the first `_n` are the ids' (one block, grown by doubling)
        self._n = 0
        self._width = 0  # the byte length of every id so far (hashed in bulk); -1: hashed one by one
        self._reread = reread

    def add(self, ids: list[str]) -> None:
        if not ids:
            return
        if self._width >= 0:
            bulk = _bulk_hashes(_joined(ids), len(ids), self._width)
            if bulk is not None:
                self._width, hashes = bulk
                self._append(hashes)
                return
            before, self._n = self._n, 0
            self._width = -1
            for hashes in self._again(before):
                self._append(hashes)
        self._append(_one_by_one(ids))

    def _append(self, hashes: np.ndarray) -> None:
        end = self._n + len(hashes)
        if end > len(self._hashes):
            grown = np.empty(max(end, 2 * len(self._hashes), 1 << 14), dtype=np.int64)
            grown[: self._n] = self._hashes[: self._n]
            self._hashes = grown
        self._hashes[self._n : end] = hashes
        self._n = end

    def _hash(self, ids: list[str]) -> np.ndarray:
        bulk = _bulk_hashes(_joined(ids), len(ids), self._width) if self._width > 0 else None
        return bulk[1] if bulk is not None else _one_by_one(ids)

    def _again(self, n: int) -> Iterator[np.ndarray]:
        """The hashes of the first `n` ids, read again, a chunk at a time."""
        for ids in self._reread():
            if n <= 0:
                return
            ids = ids[:n]
            n -= len(ids)
            yield self._hash(ids)

    def warn(self, name: str) -> None:
        n = self._n
        if not n:
            return
        hashes = self._hashes[:n]
        hashes.sort()  # in place: no copy
        twice = np.unique(hashes[1:][hashes[1:] == hashes[:-1]])
        self._hashes, self._n = np.empty(0, dtype=np.int64), 0
        del hashes
        if not len(twice):
            return
        candidates: list[str] = []
        done = 0
        for ids in self._reread():
            ids = ids[: n - done]
            done += len(ids)
            candidates += [ids[i] for i in np.flatnonzero(np.isin(self._hash(ids), twice))]
            if done >= n:
                break
        warn_duplicate_ids(candidates, name)


def _joined(ids: list[str]) -> bytes:
    return "\n".join(ids).encode("utf-8", "surrogatepass")  # ids have no line ends


_hash = hash  # of one id (a module name, so that a test can make every id collide)
_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)


def _one_by_one(ids: list[str]) -> np.ndarray:
    return np.fromiter(map(_hash, ids), dtype=np.int64, count=len(ids))


def _bulk_hashes(data: bytes, n: int, width: int) -> tuple[int, np.ndarray] | None:
    """(the width, a hash of each id) for `data`, `n` ids joined by line ends, when every id is
    `width` bytes long (any one width for `width` 0); None otherwise."""
    w = (len(data) + 1) // n - 1
    if w < 1 or (width and w != width) or len(data) + 1 != n * (w + 1):
        return None
    rows = np.frombuffer(data + b"\n", dtype=np.uint8).reshape(n, w + 1)
    if not (rows[:, w] == 10).all():  # n line ends in all, each at the end of a row: all ids w bytes
        return None
    words = np.zeros((n, -(-w // 8) * 8), dtype=np.uint8)
    words[:, :w] = rows[:, :w]
    return w, _mix(words.view(np.uint64))


def _mix(words: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each row of `words` (n, k) uint64 (multiply and xor-shift, word by word)."""
    h = np.full(len(words), 0x243F6A8885A308D3, dtype=np.uint64)
    for column in words.T:
        h ^= column
        h *= _MULTIPLIER
        h ^= h >> np.uint64(29)
    return h.view(np.int64)


def fitted_scores(model, seqs: list[str]) -> np.ndarray:
    """P per task `(n, T)` of sequences centre-cropped or N-padded to the model's input length."""
    return predict_proba(model, one_hot(fit_length(seqs, model.input_length, warn=False)[0]))


def score_batches(
    model, recs: Records, scorer: Scorer | None = None, group: int = GROUP * BATCH_SIZE, source: str = ""
) -> Iterator[tuple[list[str], np.ndarray]]:
    """(ids, P `(n, T)`) for each group of at most `group` records, `scorer(model, seqs)` scoring a
    group (default `fitted_scores`, whose crops and pads are warned about once, at the end)."""
    total = changed = 0
    for ids, seqs in recs:
        for start in range(0, len(seqs), group):
            part = seqs[start : start + group]
            if scorer is None:
                changed += sum(len(s) != model.input_length for s in part)
            total += len(part)
            yield ids[start : start + group], (scorer or fitted_scores)(model, part)
    if scorer is None:
        warn_fitted(source, changed, total, model.input_length)
