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

`Viewer` composes small parts, each one job: `store` (the records of the open files,
`sequences.py`), `edits` (their edits, undo/redo and strand, `edits.py`), `current` (the current
record, the selected range, search hits, `selection.py`), `model_list` (models, device, task,
`model_list.py`) and `scoring` (predictions and window scanning, `predictions.py`). Its own methods
are the actions that touch several parts; the rest of its public names read the part that holds them.
The window belongs to the Qt side (`deemo_gui.qt.windows`); `window` only asks it.

Threading: mutate the viewer from one thread (the GUI thread). Long computations use the pure
helpers (`compute_predictions`, `iter_predict_list`) in a worker and hand results back with
`set_predictions` / `set_list_predictions` on the GUI thread.
"""

from __future__ import annotations

import logging
import os
import sys
import weakref
from typing import Any, ClassVar

import numpy as np

from deemo_gui.core.errors import DataError, DeemoError
from deemo_gui.core.sequences import SequenceSet, load_dataset
from deemo_gui.viewer.edits import EditHistory
from deemo_gui.viewer.entries import OpenFile, ResultsCache
from deemo_gui.viewer.events import ViewerEvents
from deemo_gui.viewer.model_list import ModelList
from deemo_gui.viewer.predictions import Predictions
from deemo_gui.viewer.runtime import Runtime
from deemo_gui.viewer.selection import Selection
from deemo_gui.viewer.sequences import SequenceStore
from deemo_gui.viewer.unsaved import UnsavedWork

log = logging.getLogger(__name__)

__all__ = ["Viewer", "ViewerEvents"]


class _Part:
    """A public name of `Viewer` whose value lives in one of its parts: `viewer.<name>` reads (and
    writes) `viewer.<part>.<attr>` (`attr`: the same name unless given)."""

    def __init__(self, part: str, attr: str = ""):
        self.part, self.attr = part, attr

    def __set_name__(self, owner, name: str) -> None:
        self.attr = self.attr or name

    def __get__(self, viewer, owner=None) -> Any:
        return self if viewer is None else getattr(getattr(viewer, self.part), self.attr)

    def __set__(self, viewer, value) -> None:
        setattr(getattr(viewer, self.part), self.attr, value)


class Viewer:
    """The state of one deemo-gui window, usable with or without the window."""

    _instances: ClassVar[weakref.WeakSet[Viewer]] = weakref.WeakSet()

    def __init__(self, show: bool = False):
        self.events = ViewerEvents()
        self.results = ResultsCache()
        self.runtime = Runtime()  # one owner per model: every job borrows the network from it
        self.store = SequenceStore()
        self.edits = EditHistory(self.store)
        self.current = Selection(self.events, self.edits)
        self.scoring = Predictions(self.events, self.edits, self.current, self.runtime, self.results)
        self.model_list = ModelList(self.events, self.runtime, self.results, self.scoring)
        self.unsaved = UnsavedWork(self.events, lambda: self.edits.states, lambda: self.models)
        Viewer._instances.add(self)
        if show:
            self.show()

    @classmethod
    def instances(cls) -> list[Viewer]:
        """Every Viewer alive in this process (`deemo_gui.run()` shows those without a window)."""
        return list(cls._instances)

    def __repr__(self) -> str:
        return (
            f"Viewer({len(self.files)} files, {self.n_sequences} sequences, "
            f"{len(self.models)} models, current={self.current_id!r})"
        )

    # -----------------------------------------------------------------------------------------
    # Sequence files

    files = _Part("store")
    ids = _Part("store")
    index_of = _Part("store")
    file_of = _Part("store")
    sequence_id = _Part("store")
    label = _Part("store")

    @property
    def n_sequences(self) -> int:
        return len(self.store)

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
        first = self.store.add(entry)
        self.edits.opened(len(data))
        self.list_predictions.clear()
        self.events.sequences_changed.emit()
        for name in [m.name for m in self.models]:
            self.events.list_predictions_changed.emit(name)
        if self.current_index < 0 and len(data):
            self.set_current(first)
        return entry

    def close_file(self, index: int) -> None:
        """Close the `index`-th open file (its edits are dropped; the other files keep theirs)."""
        current = self.current_id
        self.edits.closed(self.store.remove(index))
        self._files_changed(self.index_of(current) if current in self.store.index else (0 if self.store.seqs else -1))

    def clear(self) -> None:
        """Close every file (models stay)."""
        self.store.clear()
        self.edits.clear()
        self._files_changed(-1)

    def _files_changed(self, current: int) -> None:
        self.list_predictions.clear()
        self.current.index = -1
        self.events.sequences_changed.emit()
        self._set_current_quiet(current)

    # -----------------------------------------------------------------------------------------
    # The records' texts, edits and strands

    sequence = _Part("edits")
    original_sequence = _Part("edits")
    forward_sequence = _Part("edits")
    strand = _Part("edits")
    is_edited = _Part("edits")
    minus_indices = _Part("edits")
    edited_indices = _Part("edits")
    soft_masked = _Part("edits")
    origin = _Part("edits")
    gc = _Part("edits")
    gc_all = _Part("edits")
    lengths = _Part("edits")

    # -----------------------------------------------------------------------------------------
    # The current sequence

    current_index = _Part("current", "index")
    current_id = _Part("current", "id")
    current_sequence = _Part("current", "sequence")

    def set_current(self, key) -> int:
        """Make a record current, by flat index or id; returns its index."""
        i = self.index_of(key)
        if i != self.current_index:
            self._set_current_quiet(i)
        return i

    def _set_current_quiet(self, i: int) -> None:
        self.current.move_to(i)
        self.scoring.forget_current()
        self.events.current_changed.emit(i)
        self.events.selection_changed.emit(None)
        self.events.search_changed.emit()
        self.events.predictions_changed.emit()

    def _editing(self) -> int:
        if self.current_index < 0:
            raise DataError("no sequence is open: open a file first")
        return self.current_index

    def _after_edit(self, changed: bool = True) -> None:
        if changed:
            self.current.fit()
            self.current.update_hits()
            self.events.sequence_edited.emit(self.current_sequence)
            self.events.search_changed.emit()

    def edit(self, position: int, new_bases: str) -> None:
        """Substitute bases starting at `position` (0-based): `edit(49, "A")` mutates base 50 to A."""
        self._after_edit(self.edits.edit(self._editing(), position, new_bases))

    def replace_range(self, start: int, end: int, new_bases: str) -> None:
        """Replace `[start, end)` by `new_bases` (any length: insert with start == end, delete with '')."""
        self._after_edit(self.edits.replace_range(self._editing(), start, end, new_bases))

    def revert(self) -> None:
        """Back to the sequence as read from the file (undoable; the strand view is kept)."""
        i = self._editing()
        self._after_edit(self.edits.apply(i, self.edits.original_sequence(i)))

    def reverse_complement(self) -> None:
        """Show the current record's other strand: a view, not an edit (the file's strand and its
        edits are kept; edits made on this strand are mapped back). The selection follows the bases."""
        self.set_strand(self.current_index, "+" if self.strand(self.current_index) == "-" else "-")

    def set_strand(self, i: int, strand: str) -> None:
        """View record `i` on strand "+" (as in its file) or "-" (reverse complement)."""
        if self.edits.set_strand(i, strand) and i == self.current_index:
            self.current.flip(len(self.forward_sequence(i)))
            self.scoring.window_choice = None
            self._after_edit()

    @property
    def can_undo(self) -> bool:
        return self.edits.can_undo(self.current_index)

    @property
    def can_redo(self) -> bool:
        return self.edits.can_redo(self.current_index)

    def undo(self) -> bool:
        """Undo the last edit of the current sequence; False if there is none."""
        done = self.edits.undo(self.current_index)
        self._after_edit(done)
        return done

    def redo(self) -> bool:
        done = self.edits.redo(self.current_index)
        self._after_edit(done)
        return done

    def set_edited(self, i: int, text: str) -> None:
        """Set record `i`'s edited text directly (sessions restore edits this way)."""
        self._after_edit(self.edits.set_edited(i, text) and i == self.current_index)

    # -----------------------------------------------------------------------------------------
    # Selection and search

    selection = _Part("current", "range")
    search_pattern = _Part("current", "pattern")
    search_hits = _Part("current", "hits")
    select = _Part("current")
    clear_selection = _Part("current", "clear")
    selected_text = _Part("current", "text")
    selection_fasta = _Part("current", "fasta")
    search = _Part("current")
    clear_search = _Part("current")

    # -----------------------------------------------------------------------------------------
    # Models, the device, the task the analysis panels explain (multi-task models)

    models = _Part("model_list")
    device = _Part("model_list")
    task = _Part("model_list")
    add_model = _Part("model_list")
    add_model_object = _Part("model_list")
    model = _Part("model_list")
    selected_models = _Part("model_list")
    select_models = _Part("model_list")
    deselect_broken_models = _Part("model_list")
    remove_model = _Part("model_list")
    model_saved = _Part("model_list")
    set_device = _Part("model_list")
    task_choices = _Part("model_list")
    current_task = _Part("model_list")
    set_task = _Part("model_list")
    target_of = _Part("model_list")

    # -----------------------------------------------------------------------------------------
    # Predictions, and windows: sequences of another length than a model's input

    predictions = _Part("scoring")
    predictions_sequence = _Part("scoring")
    list_predictions = _Part("scoring")
    scan_stride = _Part("scoring")
    scan_rc = _Part("scoring")
    window_choice = _Part("scoring")
    compute_predictions = staticmethod(Predictions.compute_predictions)
    set_scan_options = _Part("scoring")
    set_window = _Part("scoring")
    set_predictions = _Part("scoring")
    iter_predict_list = _Part("scoring")
    set_list_predictions = _Part("scoring")

    def scan_of(self, key):
        """The `core.windows.WindowScan` of the current sequence under a model, if computed (by the
        predictions or an analysis), else None."""
        return self.scoring.scan_of(self.model(key))

    def window_of(self, key) -> tuple[int, int] | None:
        """`(start, end)` of the current sequence a model explains now (clamped to the sequence):
        the chosen window, else its best one; None while a longer sequence is not scanned yet."""
        return self.scoring.window_of(self.model(key), self.target_of)

    def predict_current(self) -> dict[str, list[float]]:
        """Predict the current sequence with every selected model now: `{model name: [P per task]}`."""
        return self.scoring.predict_current(self.selected_models)

    def predict_list(self, keys=None) -> dict[str, np.ndarray]:
        """Predict every open record with the given (default: selected) models, synchronously."""
        return self.scoring.predict_list([self.model(k) for k in keys] if keys is not None else self.selected_models)

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

    @property
    def window(self) -> Any:
        """The Qt window showing this viewer, or None. The Qt side owns it (`deemo_gui.qt.windows`),
        so this asks there, and loads no Qt if none was loaded."""
        windows = sys.modules.get("deemo_gui.qt.windows")
        return None if windows is None else windows.window_of(self)

    def show(self):
        """Create and show the Qt window for this viewer (needs a display, or QT_QPA_PLATFORM=offscreen)."""
        from deemo_gui.qt.windows import open_window

        window = open_window(self)
        window.show()
        return window

    def close(self) -> None:
        """Close the window; it asks first when work is unsaved, and Cancel keeps it open."""
        window = self.window
        if window is not None:
            window.close()  # it leaves `deemo_gui.qt.windows` once closed

    def screenshot(self, path=None, size: tuple[int, int] | None = None):
        """Render the window (created hidden if needed) to a PNG at `path`; returns the QImage."""
        from deemo_gui.qt.windows import open_window

        return open_window(self).screenshot(path, size=size)
