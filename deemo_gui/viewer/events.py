"""The viewer's events (`viewer.events`), one psygnal group shared by every part of the viewer."""

from __future__ import annotations

from psygnal import Signal, SignalGroup


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
