"""The application state as an evented, Qt-free model (napari's `ViewerModel` idea).

Everything a window shows lives here: the open sequence files, the current sequence and its edits
(with undo/redo), the selected range, search hits, the models and which are selected, the device,
and predictions. Every change emits a psygnal event on `viewer.events`; Qt widgets observe them and
call the methods below for user actions. The model works without Qt (and imports torch only when a
model is first used), so scripts and tests drive it directly::

    viewer = Viewer()
    viewer.open("peaks.fa")
    viewer.add_model("ctcf.safetensors")
    viewer.set_current("chr1:1000-1101")
    viewer.edit(50, "A")
    viewer.predict_current()        # {"ctcf": [0.93]}

Threading: mutate the viewer from one thread (the GUI thread). Long computations use the pure
helpers (`compute_predictions`, `iter_predict_list`) in a worker and hand results back with
`set_predictions` / `set_list_predictions` on the GUI thread.
"""

from __future__ import annotations

import logging
import os
import weakref
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
from psygnal import Signal, SignalGroup

from deemo_gui.core.errors import ConfigError, DataError, DeemoError, ModelFileError
from deemo_gui.core.sequences import (
    VALID_LETTERS,
    SequenceSet,
    gc_content,
    gc_contents,
    load_dataset,
)
from deemo_gui.core.sequences import (
    reverse_complement as _revcomp,
)
from deemo_gui.viewer import search as _search
from deemo_gui.viewer.entries import EditState, ModelEntry, OpenFile, ResultsCache
from deemo_gui.viewer.runtime import Runtime
from deemo_gui.viewer.unsaved import UnsavedWork

log = logging.getLogger(__name__)

# Every Viewer made in this process, so `deemo_gui.run()` can show the ones without a window.
_VIEWERS: weakref.WeakSet[Viewer] = weakref.WeakSet()


class ViewerEvents(SignalGroup):
    """The viewer's events. Connect with `viewer.events.<name>.connect(callback)`."""

    sequences_changed = Signal()  # files opened or closed: the list of records changed
    current_changed = Signal(int)  # the current sequence index (-1: none)
    sequence_edited = Signal(str)  # the current sequence's new text (edit, undo, redo)
    selection_changed = Signal(object)  # (start, end) half-open on the current sequence, or None
    search_changed = Signal()  # search pattern or its hits changed
    models_changed = Signal()  # models added/removed or the selection of models changed
    device_changed = Signal(str)  # the device choice ("auto", "cpu", "cuda", ...)
    task_changed = Signal(object)  # the task the analysis panels explain (a name, or None: the first)
    predictions_changed = Signal()  # predictions for the current sequence
    list_predictions_changed = Signal(str)  # whole-list predictions of one model (its name)
    window_changed = Signal()  # the scanning options or the window the panels explain
    error = Signal(str)  # a one-line message of a failed user action
    model_broken = Signal(str, str)  # a model's file failed to load (name, why): it was deselected
    unsaved_changed = Signal(bool)  # edits or models may have changed: is anything unsaved (`unsaved`)


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


def _predict_records(entry, seqs: list[str], stride: int, rc: bool, batch_size: int):
    """`Viewer.iter_predict_list`'s work on records already read: yields (done, total), returns `(N, T)`."""
    from deemo_gui.core.windows import score_sequences

    module = entry.module
    n = len(seqs)
    out = np.zeros((n, int(module.n_tasks)), dtype=np.float32)
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        out[start:stop] = score_sequences(module, seqs[start:stop], stride, rc)
        yield stop, n
    return out


def _check_bases(bases: str, where: str) -> str:
    up = bases.upper()
    bad = [c for c in up if c not in VALID_LETTERS]
    if bad:
        raise DataError(
            f"{where}: {bad[0]!r} is not a nucleotide; type A C G T, or N and the other IUPAC codes "
            "(R Y S W K M B D H V)"
        )
    return up


class Viewer:
    """The state of one deemo-gui window, usable with or without the window."""

    def __init__(self, show: bool = False):
        self.events = ViewerEvents()
        self.files: list[OpenFile] = []
        self._ids: list[str] = []
        self._seqs: list[str] = []
        self._offsets: list[int] = []  # first flat index of each file
        self._id_index: dict[str, int] | None = None
        self._gc: np.ndarray = np.zeros(0, dtype=np.float32)
        self._edits: dict[int, EditState] = {}
        self.current_index: int = -1
        self.selection: tuple[int, int] | None = None
        self.search_pattern: str = ""
        self.search_hits: list[_search.Hit] = []
        self.models: list[ModelEntry] = []
        self.device: str = "auto"
        self._resolved_device: str | None = None
        self.task: str | None = None  # see `set_task`
        self.predictions: dict[str, list[float]] = {}
        self.predictions_sequence: str | None = None
        # Sequences longer than a model's input: scanned with windows (core.windows), see set_window.
        self.scan_stride: int = 1
        self.scan_rc: bool = False
        self.window_choice: int | None = None  # the window start the panels explain; None: best
        self.list_predictions: dict[str, np.ndarray] = {}
        self.results = ResultsCache()
        self.runtime = Runtime()  # one owner per model: every job borrows the network from it
        self.unsaved = UnsavedWork(self.events, lambda: self._edits, lambda: self.models)
        self.window: Any = None  # the Qt MainWindow once shown (its type lives on the Qt side)
        _VIEWERS.add(self)
        if show:
            self.show()

    def __repr__(self) -> str:
        return (
            f"Viewer({len(self.files)} files, {self.n_sequences} sequences, "
            f"{len(self.models)} models, current={self.current_id!r})"
        )

    # -----------------------------------------------------------------------------------------
    # Sequence files

    def open(self, path, labels=None, negatives=None, seed: int = 0, genome=None) -> OpenFile:
        """Open a sequence file (FASTA, TSV/CSV, DeepBind .seq[.gz], plain); labels as `load_dataset`.
        With `genome`, `path` is a BED/narrowPeak file: see `open_peaks`.

        A file that cannot be read raises `DataError` and leaves the state unchanged.
        """
        if genome is not None:
            return self.open_peaks(path, genome, negatives=negatives, seed=seed)
        path = os.fspath(path)
        try:
            data = load_dataset(path, labels=labels, negatives=negatives, seed=seed)
        except DeemoError as exc:
            self.events.error.emit(str(exc))
            raise
        return self.add_sequences(data, path=path, labels=labels, negatives=negatives, seed=seed)

    def open_peaks(
        self, bed, genome, length: int | None = None, negatives: str | None = None, seed: int = 0
    ) -> OpenFile:
        """Open the windows of a BED/narrowPeak file's peaks in a genome FASTA (`viewer/genome.py`):
        `length` bp (default: the selected model's input) on each summit, with their genome origins
        (`data.origins`); `negatives` "gc" or "shuffle" adds labelled negatives."""
        from deemo_gui.viewer.genome import open_peaks

        return open_peaks(self, bed, genome, length, negatives, seed)

    def variant_effects(
        self, variants, genome=None, models=None, task=None, skip_mismatches: bool = False
    ) -> list[dict]:
        """Rows chrom pos id ref alt model task p_ref p_alt delta of each variant (a VCF/TSV path with
        `genome`, or `(position, ref, alt)` on the current sequence) for the selected (or given) models."""
        from deemo_gui.viewer.genome import variant_effects

        return variant_effects(self, variants, genome, models, task, skip_mismatches)

    def add_sequences(
        self,
        data: SequenceSet,
        path=None,
        labels=None,
        negatives=None,
        seed: int = 0,
        genome=None,
        length: int | None = None,
    ) -> OpenFile:
        """Add an in-memory SequenceSet as if it were an opened file (`genome`, `length`: peaks read
        from a genome in windows of `length` bases, so a session can read them again)."""
        entry = OpenFile(
            path=os.fspath(path) if path else (data.source or f"sequences{len(self.files) + 1}"),
            data=data,
            labels=None if labels is None else os.fspath(labels),
            negatives=None if negatives is None else os.fspath(negatives),
            seed=seed,
            genome=None if genome is None else os.fspath(genome),
            length=length,
        )
        self.files.append(entry)
        self._offsets.append(len(self._seqs))
        self._ids.extend(data.ids)
        self._seqs.extend(data.seqs)
        self._id_index = None
        self._gc = np.concatenate([self._gc, np.full(len(data), np.nan, dtype=np.float32)])
        self.list_predictions.clear()
        self.events.sequences_changed.emit()
        for name in [m.name for m in self.models]:
            self.events.list_predictions_changed.emit(name)
        if self.current_index < 0 and len(data):
            self.set_current(self._offsets[-1])
        return entry

    def close_file(self, index: int) -> None:
        """Close the `index`-th open file (its edits are dropped; the other files keep theirs)."""
        files = [f for i, f in enumerate(self.files) if i != index]
        start, n = self._offsets[index], len(self.files[index].data)
        kept = {(i if i < start else i - n): s for i, s in self._edits.items() if not start <= i < start + n}
        current = self.current_id
        self._reset_files()
        self._edits = kept
        for f in files:
            self.files.append(f)
            self._offsets.append(len(self._seqs))
            self._ids.extend(f.data.ids)
            self._seqs.extend(f.data.seqs)
        self._gc = np.full(len(self._seqs), np.nan, dtype=np.float32)
        self.events.sequences_changed.emit()
        self._set_current_quiet(
            self.index_of(current) if current is not None and current in self._index() else (0 if self._seqs else -1)
        )

    def clear(self) -> None:
        """Close every file (models stay)."""
        self._reset_files()
        self.events.sequences_changed.emit()
        self._set_current_quiet(-1)

    def _reset_files(self) -> None:
        self.files, self._ids, self._seqs, self._offsets = [], [], [], []
        self._id_index, self._edits = None, {}
        self._gc = np.zeros(0, dtype=np.float32)
        self.list_predictions.clear()
        self.current_index = -1

    @property
    def n_sequences(self) -> int:
        return len(self._seqs)

    @property
    def ids(self) -> list[str]:
        return self._ids

    def _index(self) -> dict[str, int]:
        if self._id_index is None:
            index: dict[str, int] = {}
            for i, rid in enumerate(self._ids):
                index.setdefault(rid, i)
            self._id_index = index
        return self._id_index

    def index_of(self, key) -> int:
        """Flat index of a record given its index or its id (the first record with that id)."""
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
            i = int(key)
            if not 0 <= i < len(self._seqs):
                raise DataError(f"sequence index {i} out of range: {len(self._seqs)} sequences are open")
            return i
        try:
            return self._index()[str(key)]
        except KeyError:
            raise DataError(f"no open sequence is named {key!r}") from None

    def file_of(self, i: int) -> OpenFile:
        return self.files[bisect_right(self._offsets, i) - 1]

    def sequence_id(self, i: int) -> str:
        return self._ids[i]

    def sequence(self, i: int) -> str:
        """The record's current text (with edits), on the strand it is viewed on (`strand`)."""
        state = self._edits.get(i)
        if state is None:
            return self._seqs[i]
        return _revcomp(state.text) if state.minus else state.text

    def original_sequence(self, i: int) -> str:
        """The record as read from its file, on the strand it is viewed on."""
        state = self._edits.get(i)
        return _revcomp(self._seqs[i]) if state is not None and state.minus else self._seqs[i]

    def forward_sequence(self, i: int) -> str:
        """The record's current text (with edits) on its file's strand, whatever the view."""
        state = self._edits.get(i)
        return state.text if state is not None else self._seqs[i]

    def strand(self, i: int) -> str:
        """ "+" when record `i` is shown as in its file, "-" when as its reverse complement."""
        state = self._edits.get(i)
        return "-" if state is not None and state.minus else "+"

    def is_edited(self, i: int) -> bool:
        state = self._edits.get(i)
        return state is not None and state.edited

    @property
    def minus_indices(self) -> list[int]:
        """Records viewed on their reverse strand (`set_strand`)."""
        return sorted(i for i, s in self._edits.items() if s.minus)

    @property
    def edited_indices(self) -> list[int]:
        return sorted(i for i, s in self._edits.items() if s.edited)

    def label(self, i: int) -> np.ndarray | None:
        """The record's labels `(T,)`, or None if its file has none."""
        f = self.file_of(i)
        if f.data.labels is None:
            return None
        return f.data.labels[i - self._offsets[self.files.index(f)]]

    def soft_masked(self, i: int) -> tuple[tuple[int, int], ...]:
        """Lower-case (soft-masked) runs of record `i` as read, `((start, end), ...)`; kept while
        an edit keeps the length (positions still match), `()` otherwise."""
        f = self.file_of(i)
        runs = f.data.soft_masked.get(i - self._offsets[self.files.index(f)], ())
        n = len(self._seqs[i])
        if runs and len(self.sequence(i)) != n:
            return ()
        if runs and self.strand(i) == "-":
            return tuple((n - b, n - a) for a, b in reversed(runs))
        return runs

    def origin(self, i: int):
        """Where record `i` lies in a genome (`core.regions.Origin`: chrom, start, end, strand) when it
        was read from peaks + a genome; None otherwise, or once an edit changed its length."""
        f = self.file_of(i)
        origins = f.data.origins
        if origins is None or len(self.sequence(i)) != len(self._seqs[i]):
            return None
        origin = origins[i - self._offsets[self.files.index(f)]]
        if origin is not None and self.strand(i) == "-":
            from dataclasses import replace

            origin = replace(origin, strand="+" if origin.strand == "-" else "-")
        return origin

    def gc(self, i: int) -> float:
        """GC fraction of record `i` (computed on first request, then cached)."""
        if np.isnan(self._gc[i]):
            self._gc[i] = gc_content(self.sequence(i))
        return float(self._gc[i])

    def gc_all(self) -> np.ndarray:
        """GC fractions of every record (fills the cache; for sorting)."""
        missing = np.flatnonzero(np.isnan(self._gc))
        self._gc[missing] = gc_contents([self.sequence(int(i)) for i in missing])
        return self._gc

    def lengths(self) -> np.ndarray:
        """Every record's current length (with edits)."""
        out = np.fromiter(map(len, self._seqs), dtype=np.int64, count=len(self._seqs))
        for i, state in self._edits.items():
            out[i] = len(state.text)
        return out

    # -----------------------------------------------------------------------------------------
    # The current sequence

    @property
    def current_id(self) -> str | None:
        return self._ids[self.current_index] if self.current_index >= 0 else None

    @property
    def current_sequence(self) -> str:
        return self.sequence(self.current_index) if self.current_index >= 0 else ""

    def set_current(self, key) -> int:
        """Make a record current, by flat index or id; returns its index."""
        i = self.index_of(key)
        if i != self.current_index:
            self._set_current_quiet(i)
        return i

    def _set_current_quiet(self, i: int) -> None:
        self.current_index = i
        self.selection = None
        self.window_choice = None
        self.predictions, self.predictions_sequence = {}, None
        self._update_hits()
        self.events.current_changed.emit(i)
        self.events.selection_changed.emit(None)
        self.events.search_changed.emit()
        self.events.predictions_changed.emit()

    def _state(self) -> EditState:
        if self.current_index < 0:
            raise DataError("no sequence is open: open a file first")
        state = self._edits.get(self.current_index)
        if state is None:
            seq = self._seqs[self.current_index]
            state = self._edits[self.current_index] = EditState(original=seq, text=seq)
        return state

    def _apply(self, new_text: str) -> bool:
        """Make the current record read `new_text` on the strand it is viewed on."""
        state = self._state()
        if not state.push(_revcomp(new_text) if state.minus else new_text):
            return False
        self._after_edit()
        return True

    def _after_edit(self) -> None:
        i = self.current_index
        self._gc[i] = np.nan
        n = len(self.current_sequence)
        if self.selection is not None and self.selection[1] > n:
            self.selection = (min(self.selection[0], n), n) if self.selection[0] < n else None
            self.events.selection_changed.emit(self.selection)
        self._update_hits()
        self.events.sequence_edited.emit(self.current_sequence)
        self.events.search_changed.emit()

    def edit(self, position: int, new_bases: str) -> None:
        """Substitute bases starting at `position` (0-based): `edit(49, "A")` mutates base 50 to A."""
        self._state()
        seq = self.current_sequence  # the strand it is viewed on
        bases = _check_bases(new_bases, f"edit at position {position + 1}")
        if not bases:
            return
        if not 0 <= position <= len(seq) - len(bases):
            raise DataError(
                f"edit at position {position + 1}: {len(bases)} base(s) do not fit in the {len(seq)}-nt sequence"
            )
        self._apply(seq[:position] + bases + seq[position + len(bases) :])

    def replace_range(self, start: int, end: int, new_bases: str) -> None:
        """Replace `[start, end)` by `new_bases` (any length: insert with start == end, delete with '')."""
        self._state()
        seq = self.current_sequence  # the strand it is viewed on
        bases = _check_bases(new_bases, f"replacing {start + 1}-{end}")
        if not 0 <= start <= end <= len(seq):
            raise DataError(f"range {start + 1}-{end} is outside the {len(seq)}-nt sequence")
        if not seq[:start] + bases + seq[end:]:
            raise DataError("cannot delete the whole sequence")
        self._apply(seq[:start] + bases + seq[end:])

    def reverse_complement(self) -> None:
        """Show the current record's other strand: a view, not an edit (the file's strand and its
        edits are kept; edits made on this strand are mapped back). The selection follows the bases."""
        self.set_strand(self.current_index, "+" if self.strand(self.current_index) == "-" else "-")

    def set_strand(self, i: int, strand: str) -> None:
        """View record `i` on strand "+" (as in its file) or "-" (reverse complement)."""
        if strand not in ("+", "-"):
            raise ConfigError(f"strand must be '+' or '-', got {strand!r}")
        if self.strand(i) == strand:
            return
        state = self._edits.get(i) or EditState(original=self._seqs[i], text=self._seqs[i])
        self._edits[i] = state
        state.minus = strand == "-"
        if i != self.current_index:
            return
        n = len(state.text)
        if self.selection is not None:
            self.selection = (n - self.selection[1], n - self.selection[0])
            self.events.selection_changed.emit(self.selection)
        self.window_choice = None
        self._after_edit()

    def revert(self) -> None:
        """Back to the sequence as read from the file (undoable; the strand view is kept)."""
        self._apply(self.original_sequence(self.current_index))

    @property
    def can_undo(self) -> bool:
        state = self._edits.get(self.current_index)
        return bool(state and state.undo)

    @property
    def can_redo(self) -> bool:
        state = self._edits.get(self.current_index)
        return bool(state and state.redo)

    def undo(self) -> bool:
        """Undo the last edit of the current sequence; False if there is none."""
        state = self._edits.get(self.current_index)
        if not state or not state.undo:
            return False
        state.redo.append(state.text)
        state.text = state.undo.pop()
        self._after_edit()
        return True

    def redo(self) -> bool:
        state = self._edits.get(self.current_index)
        if not state or not state.redo:
            return False
        state.undo.append(state.text)
        state.text = state.redo.pop()
        self._after_edit()
        return True

    def set_edited(self, i: int, text: str) -> None:
        """Set record `i`'s edited text directly (sessions restore edits this way)."""
        text = _check_bases(text, f"edited sequence {self._ids[i]!r}")
        state = self._edits.get(i) or EditState(original=self._seqs[i], text=self._seqs[i])
        if state.minus:
            text = _revcomp(text)
        self._edits[i] = state
        if state.push(text) and i == self.current_index:
            self._after_edit()
        self._gc[i] = np.nan

    # -----------------------------------------------------------------------------------------
    # Selection and search

    def select(self, start: int, end: int) -> None:
        """Select `[start, end)` of the current sequence (clipped to it)."""
        n = len(self.current_sequence)
        start, end = sorted((int(start), int(end)))
        start, end = max(0, start), min(n, end)
        new = (start, end) if end > start else None
        if new != self.selection:
            self.selection = new
            self.events.selection_changed.emit(new)

    def clear_selection(self) -> None:
        if self.selection is not None:
            self.selection = None
            self.events.selection_changed.emit(None)

    def selected_text(self) -> str:
        if self.selection is None:
            return self.current_sequence
        return self.current_sequence[self.selection[0] : self.selection[1]]

    def selection_fasta(self, width: int = 60) -> str:
        """The selection (or whole current sequence) as a FASTA record with its coordinates in the header."""
        if self.current_index < 0:
            return ""
        seq = self.current_sequence
        start, end = self.selection or (0, len(seq))
        name = self.current_id
        header = f">{name}:{start + 1}-{end}" if (start, end) != (0, len(seq)) else f">{name}"
        if self.is_edited(self.current_index):
            header += " edited"
        body = seq[start:end]
        return header + "\n" + "\n".join(body[i : i + width] for i in range(0, len(body), width)) + "\n"

    def search(self, pattern: str) -> list[_search.Hit]:
        """Hits of an IUPAC pattern on both strands of the current sequence (kept updated on edits)."""
        pattern = pattern.strip()
        if pattern:
            _search.clean_pattern(pattern)  # DataError for a bad letter, before any state change
        self.search_pattern = pattern
        self._update_hits()
        self.events.search_changed.emit()
        return list(self.search_hits)

    def clear_search(self) -> None:
        self.search("")

    def _update_hits(self) -> None:
        if self.search_pattern and self.current_index >= 0:
            self.search_hits = _search.search(self.current_sequence, self.search_pattern)
        else:
            self.search_hits = []

    # -----------------------------------------------------------------------------------------
    # Models

    def _device_name(self) -> str:
        if self._resolved_device is None:
            from deemo_gui.core.device import resolve_device

            self._resolved_device = str(resolve_device(self.device))
        return self._resolved_device

    def _unique_name(self, name: str) -> str:
        taken = {m.name for m in self.models}
        if name not in taken:
            return name
        k = 2
        while f"{name} ({k})" in taken:
            k += 1
        return f"{name} ({k})"

    def add_model(self, path, name: str | None = None, select: bool = True, lazy: bool = False) -> ModelEntry:
        """Add a model file (.safetensors). `ModelFileError` for a bad file (state unchanged).

        `lazy=True` reads only the metadata now and loads the weights on first use.
        """
        from deemo_gui.core.modelfile import load_model, read_metadata

        path = os.fspath(path)
        existing = next((m for m in self.models if m.path and m.path == os.path.abspath(path)), None)
        if existing is not None and existing.error is None:  # already listed (e.g. shipped): select, no twin
            if select and not existing.selected:
                existing.selected = True
                self.events.models_changed.emit()
            return existing
        try:
            if lazy:
                meta, module = read_metadata(path), None
            else:
                module = load_model(path, device=self._device_name())
                meta = module.metadata
        except DeemoError as exc:
            self.events.error.emit(str(exc))
            raise
        if existing is not None:  # a broken entry whose file is readable again: repaired in place
            existing.metadata, existing._module, existing.error = dict(meta), module, None
            existing.selected = bool(select)
            self.results.discard_model(existing.name)
            self.events.models_changed.emit()
            return existing
        base = name or os.path.splitext(os.path.basename(path))[0]
        entry = ModelEntry(
            self._unique_name(base), os.path.abspath(path), meta, module, device=self._resolved_device or "cpu"
        )
        if lazy and self._resolved_device is None:
            entry._device = None  # resolved when first loaded
        return self._insert_model(entry, select)

    def add_model_object(
        self, module, name: str | None = None, select: bool = True, path: str | None = None
    ) -> ModelEntry:
        """Add a network already in memory (e.g. just trained); unsaved until `save_model` is called."""
        meta = dict(getattr(module, "metadata", {}) or {})
        meta.setdefault("preset", getattr(module, "preset", "?"))
        meta.setdefault("n_tasks", getattr(module, "n_tasks", 1))
        meta.setdefault("input_length", getattr(module, "input_length", 0))
        module.eval().to(self._device_name())
        entry = ModelEntry(
            self._unique_name(name or f"{meta['preset']} (unsaved)"), path, meta, module, device=self._device_name()
        )
        return self._insert_model(entry, select)

    def _insert_model(self, entry: ModelEntry, select: bool) -> ModelEntry:
        if entry._device is None:
            entry._device = self._device_name()
        entry.selected = bool(select)
        self.models.append(entry)
        self.events.models_changed.emit()
        return entry

    def model(self, key) -> ModelEntry:
        """A model entry by name, index or the entry itself."""
        if isinstance(key, ModelEntry):
            return key
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
            return self.models[int(key)]
        for m in self.models:
            if m.name == key or (m.path and os.fspath(key) == m.path):
                return m
        raise ModelFileError(f"no model named {key!r} is open")

    @property
    def selected_models(self) -> list[ModelEntry]:
        """The ticked models, less those whose file failed to load."""
        return [m for m in self.models if m.selected and m.error is None]

    def select_models(self, keys: Iterable) -> None:
        """Select exactly these models (names, indices or entries) for prediction and comparison;
        a model whose file failed to load stays unselected."""
        chosen = {id(self.model(k)) for k in keys}
        changed = False
        for m in self.models:
            flag = id(m) in chosen and m.error is None
            if m.selected != flag:
                m.selected, changed = flag, True
                if not flag:
                    self.runtime.cancel(m)  # its jobs stop at their next step; nothing they computed is shown
        if changed:
            self.predictions = {
                k: v for k, v in self.predictions.items() if any(m.name == k for m in self.selected_models)
            }
            self.events.models_changed.emit()
            self.events.predictions_changed.emit()

    def deselect_broken_models(self) -> list[ModelEntry]:
        """Deselect the selected models whose file failed to load (see `ModelEntry.error`), drop their
        results and emit `model_broken` once for each; returns them. Call on the GUI thread after a job."""
        broken = [m for m in self.models if m.selected and m.error is not None]
        if not broken:
            return []
        for m in broken:
            m.selected = False
            self.predictions.pop(m.name, None)
            self.list_predictions.pop(m.name, None)
        self.events.models_changed.emit()
        self.events.predictions_changed.emit()
        for m in broken:
            self.events.list_predictions_changed.emit(m.name)
            self.events.model_broken.emit(m.name, m.error)
        return broken

    def remove_model(self, key) -> None:
        entry = self.model(key)
        self.runtime.remove(entry, wait=False)  # its jobs stop; its copy is freed once none is mid-step
        self.models.remove(entry)
        self.predictions.pop(entry.name, None)
        self.list_predictions.pop(entry.name, None)
        self.results.discard_model(entry.name)
        self.events.models_changed.emit()
        self.events.predictions_changed.emit()
        self.events.list_predictions_changed.emit(entry.name)

    def model_saved(self, key, path) -> None:
        """Record that an in-memory model was written to `path`."""
        entry = self.model(key)
        entry.path = os.path.abspath(os.fspath(path))
        self.events.models_changed.emit()

    def set_device(self, name: str) -> None:
        """ "auto", "cpu", "cuda" or "mps"; `ConfigError` if that device is not available here."""
        from deemo_gui.core.device import resolve_device

        try:
            resolved = str(resolve_device(name))
        except ConfigError as exc:
            self.events.error.emit(str(exc))
            raise
        self.device, self._resolved_device = str(name), resolved
        self.runtime.move_all(self.models, resolved, wait=False)  # each moves once its jobs have stopped
        self.events.device_changed.emit(self.device)

    # -----------------------------------------------------------------------------------------
    # The task the analysis panels explain (multi-task models)

    @property
    def task_choices(self) -> list[str]:
        """Task names of the selected models with more than one task, in order, without repeats
        (empty when every selected model has a single output)."""
        out: list[str] = []
        for m in self.selected_models:
            names = m.task_names
            if len(names) > 1:
                out += [t for t in names if t not in out]
        return out

    @property
    def current_task(self) -> str | None:
        """The task the analysis panels explain: the chosen one if a selected multi-task model has
        it, else the first of `task_choices`; None when every selected model has a single output."""
        choices = self.task_choices
        if not choices:
            return None
        return self.task if self.task in choices else choices[0]

    def set_task(self, name: str | None) -> None:
        """Explain task `name` of the multi-task models (None: their first task); `ConfigError`
        if no open model has a task of that name."""
        if name is not None:
            name = str(name)
            known = [t for m in self.models for t in m.task_names]
            if name not in known:
                raise ConfigError(f"no open model has a task named {name!r}; tasks: {', '.join(dict.fromkeys(known))}")
        if name != self.task:
            self.task = name
            self.events.task_changed.emit(name)

    def target_of(self, key) -> int:
        """The output index the analysis panels explain for a model: its only output, or its output
        for `current_task` (which follows the *selected* models). `ConfigError` if a multi-task
        model has no task of that name."""
        entry = self.model(key)
        names = entry.task_names
        if len(names) <= 1:
            return 0
        task = self.current_task
        if task is None or task in names:
            return names.index(task) if task is not None else 0
        raise ConfigError(f"{entry.name} has no task {task!r} (its tasks: {', '.join(names)})")

    # -----------------------------------------------------------------------------------------
    # Predictions

    @staticmethod
    def compute_predictions(
        seq: str, entries: Iterable[ModelEntry], stride: int = 1, reverse_complement: bool = False, cache=None
    ) -> dict[str, list[float]]:
        """P per task of `seq` for each model (pure: safe in a worker thread; loads models if
        needed). A sequence longer than a model's input scores its best window (`core.windows`);
        the scans are kept in `cache` (the viewer's `results`) for `scan_of`."""
        from deemo_gui.viewer.analysis import cached_scan

        out = {}
        for entry in entries:
            found = cached_scan(entry, seq.upper(), cache, entry.name, stride, reverse_complement, entry.module)
            out[entry.name] = [float(p) for p in found.score()]
        return out

    # -----------------------------------------------------------------------------------------
    # Windows: sequences of another length than a model's input

    def set_scan_options(self, stride: int | None = None, reverse_complement: bool | None = None) -> None:
        """How longer sequences are scanned: window `stride` (bases) and whether each window is
        also scored on the reverse strand (its score: the larger of the two)."""
        from deemo_gui.core.windows import auto_stride

        if stride is not None:
            try:
                auto_stride(0, 1, int(stride))
            except (ConfigError, TypeError, ValueError) as exc:
                msg = (
                    f"window stride: {exc}"
                    if isinstance(exc, ConfigError)
                    else f"window stride must be a whole number, got {stride!r}"
                )
                self.events.error.emit(msg)
                raise ConfigError(msg) from None
            self.scan_stride = int(stride)
        if reverse_complement is not None:
            self.scan_rc = bool(reverse_complement)
        self.events.window_changed.emit()

    def set_window(self, start: int | None) -> None:
        """Explain the window starting at base `start` (0-based) of the current sequence in every
        panel (clamped to each model's valid starts); None: each model's best window."""
        self.window_choice = None if start is None else int(start)
        self.events.window_changed.emit()

    def scan_of(self, key):
        """The `core.windows.WindowScan` of the current sequence under a model, if computed (by the
        predictions or an analysis), else None."""
        from deemo_gui.viewer.analysis import scan_key

        entry = self.model(key)
        return self.results.get(scan_key(entry.name, self.current_sequence.upper(), self.scan_stride, self.scan_rc))

    def window_of(self, key) -> tuple[int, int] | None:
        """`(start, end)` of the current sequence a model explains now (clamped to the sequence):
        the chosen window, else its best one; None while a longer sequence is not scanned yet."""
        from deemo_gui.core.windows import clamp_start

        entry = self.model(key)
        n, L = len(self.current_sequence), entry.input_length
        if not n or not L:
            return None
        if n > L and self.window_choice is None:
            found = self.scan_of(entry)
            if found is None:
                return None
            start = found.best_start(self.target_of(entry) if len(entry.task_names) > 1 else 0)
        else:
            start = clamp_start(self.window_choice or 0, n, L)
        return max(0, start), min(n, start + L)

    def set_predictions(self, seq: str, predictions: dict[str, list[float]]) -> bool:
        """Accept predictions computed for `seq`; ignored (False) if the current sequence changed since."""
        if seq != self.current_sequence:
            return False
        self.predictions = dict(predictions)
        self.predictions_sequence = seq
        i = self.current_index
        for name, probs in predictions.items():
            table = self.list_predictions.get(name)
            if table is not None and len(table) == self.n_sequences:
                table[i] = probs
        self.events.predictions_changed.emit()
        return True

    def predict_current(self) -> dict[str, list[float]]:
        """Predict the current sequence with every selected model now: `{model name: [P per task]}`."""
        if self.current_index < 0:
            return {}
        seq = self.current_sequence
        preds = self.compute_predictions(seq, self.selected_models, self.scan_stride, self.scan_rc, self.results)
        self.set_predictions(seq, preds)
        return dict(preds)

    def iter_predict_list(self, entry: ModelEntry, batch_size: int = 4096) -> Iterator[tuple[int, int]]:
        """Predict every open record with one model in batches; yields (done, total), returns `(N, T)`.
        A record longer than the model's input scores its best window (`core.windows`).

        The records are read now, on the calling (GUI) thread; the generator never reads the viewer,
        so run it in a worker while the GUI closes files and edits, and pass the returned array to
        `set_list_predictions` on the GUI thread.
        """
        seqs = [self.sequence(i) for i in range(self.n_sequences)]
        stride, rc = self.scan_stride, self.scan_rc
        # each batch with the network borrowed from its owner: unticking the model stops the job first
        return self.runtime.owner(entry).run(
            lambda _net: _predict_records(entry, seqs, stride, rc, batch_size), shared=True
        )

    def set_list_predictions(self, name: str, probs: np.ndarray) -> None:
        if len(probs) != self.n_sequences:
            return  # the list changed while predicting
        table = np.array(probs, dtype=np.float32)
        # A list job may have started before the latest edit: keep the current record's fresh score.
        if self.current_index >= 0 and name in self.predictions and self.predictions_sequence == self.current_sequence:
            table[self.current_index] = self.predictions[name]
        self.list_predictions[name] = table
        self.events.list_predictions_changed.emit(name)

    def predict_list(self, keys: Iterable | None = None) -> dict[str, np.ndarray]:
        """Predict every open record with the given (default: selected) models, synchronously."""
        entries = [self.model(k) for k in keys] if keys is not None else self.selected_models
        for entry in entries:
            gen = self.iter_predict_list(entry)
            try:
                while True:
                    next(gen)
            except StopIteration as stop:
                self.set_list_predictions(entry.name, stop.value)
        return {e.name: self.list_predictions[e.name] for e in entries if e.name in self.list_predictions}

    # -----------------------------------------------------------------------------------------
    # Sessions, window

    def save_session(self, path) -> str:
        from deemo_gui.viewer.session import save_session

        saved = save_session(self, path)
        self.unsaved.mark_saved()
        return saved

    def open_session(self, path) -> None:
        from deemo_gui.viewer.session import load_session

        load_session(self, path)
        self.unsaved.mark_saved()

    def show(self):
        """Create and show the Qt window for this viewer (needs a display, or QT_QPA_PLATFORM=offscreen)."""
        if self.window is None:
            from deemo_gui.qt.app import get_app
            from deemo_gui.qt.main_window import MainWindow

            get_app()
            self.window = MainWindow(self)
        self.window.show()
        return self.window

    def close(self) -> None:
        """Close the window; it asks first when work is unsaved, and Cancel keeps it open."""
        if self.window is not None and self.window.close():
            self.window = None

    def screenshot(self, path=None, size: tuple[int, int] | None = None):
        """Render the window (created hidden if needed) to a PNG at `path`; returns the QImage."""
        if self.window is None:
            from deemo_gui.qt.app import get_app
            from deemo_gui.qt.main_window import MainWindow

            get_app()
            self.window = MainWindow(self)
        return self.window.screenshot(path, size=size)
