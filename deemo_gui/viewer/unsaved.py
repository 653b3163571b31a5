"""What a viewer holds that no file has yet: edits not in the last saved (or opened) session, and models
trained here and never saved. `Viewer.unsaved` is one; `viewer.events.unsaved_changed(bool)` fires
after every change that may alter it (an edit, undo, files or models changed, a session saved).

A record is unsaved when its text differs from its last saved text: the session's after a save,
otherwise the file's (so an edit undone back to the file's text is not unsaved work).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable


class UnsavedWork:
    """The unsaved edits and models of one viewer (its `unsaved`)."""

    def __init__(self, events, edits: Callable[[], dict], models: Callable[[], list]):
        self._events, self._edits, self._models = events, edits, models
        self._saved: dict[int, tuple[object, str]] = {}  # id(EditState) -> (the state, its saved text)
        for signal in (events.sequence_edited, events.sequences_changed, events.models_changed):
            signal.connect(self.refresh)

    @property
    def records(self) -> list[int]:
        """Flat indices of the records whose edits are not saved."""
        saved = self._saved
        return sorted(
            i for i, s in self._edits().items() if s.text != (saved[id(s)][1] if id(s) in saved else s.original)
        )

    @property
    def models(self) -> list:
        """The model entries that exist only in memory (trained here, never saved)."""
        return [m for m in self._models() if m.path is None]

    @property
    def any(self) -> bool:
        return bool(self.models or self.records)

    def summary(self, records: Iterable[int] | None = None, models: Iterable | None = None) -> str:
        """'2 edited sequences and the model cnn (unsaved) are not saved.' ('' when nothing is)."""
        n = len(list(self.records if records is None else records))
        names = [m.name for m in (self.models if models is None else models)]
        parts = [f"{n} edited sequence{'s' if n != 1 else ''}"] if n else []
        if names:
            parts.append(("the model " if len(names) == 1 else "the models ") + ", ".join(names))
        if not parts:
            return ""
        verb = "is" if len(parts) == 1 and (n == 1 or len(names) == 1) else "are"
        return f"{' and '.join(parts)} {verb} not saved."

    def mark_saved(self) -> None:
        """The current edits are in a session file now (saved or just opened)."""
        self._saved = {id(s): (s, s.text) for s in self._edits().values()}
        self.refresh()

    def refresh(self) -> None:
        """Emit `unsaved_changed` with whether anything is unsaved now."""
        self._events.unsaved_changed.emit(self.any)
