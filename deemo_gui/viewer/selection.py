"""The current record, the range selected on it and the hits of the search pattern on it
(`Selection`; the pattern matching itself is `search.py`)."""

from __future__ import annotations

from deemo_gui.viewer import search as _search
from deemo_gui.viewer.edits import EditHistory
from deemo_gui.viewer.events import ViewerEvents


class Selection:
    """What is selected: record `index` (-1: none), `range` `(start, end)` on it (None: none) and the
    `hits` of `pattern`. The methods below emit `selection_changed` / `search_changed`."""

    def __init__(self, events: ViewerEvents, edits: EditHistory):
        self.events, self.edits = events, edits
        self.index: int = -1
        self.range: tuple[int, int] | None = None
        self.pattern: str = ""
        self.hits: list[_search.Hit] = []

    @property
    def id(self) -> str | None:
        return self.edits.store.ids[self.index] if self.index >= 0 else None

    @property
    def sequence(self) -> str:
        return self.edits.sequence(self.index) if self.index >= 0 else ""

    def move_to(self, i: int) -> None:
        """Make record `i` current with nothing selected (the caller emits the events)."""
        self.index, self.range = i, None
        self.update_hits()

    def select(self, start: int, end: int) -> None:
        """Select `[start, end)` of the current sequence (clipped to it)."""
        n = len(self.sequence)
        start, end = sorted((int(start), int(end)))
        start, end = max(0, start), min(n, end)
        new = (start, end) if end > start else None
        if new != self.range:
            self.range = new
            self.events.selection_changed.emit(new)

    def clear(self) -> None:
        if self.range is not None:
            self.range = None
            self.events.selection_changed.emit(None)

    def fit(self) -> None:
        """Clip the selection to the current sequence after an edit shortened it."""
        n = len(self.sequence)
        if self.range is not None and self.range[1] > n:
            self.range = (min(self.range[0], n), n) if self.range[0] < n else None
            self.events.selection_changed.emit(self.range)

    def flip(self, n: int) -> None:
        """The current `n`-base record is now viewed on its other strand: the selection follows the bases."""
        if self.range is not None:
            self.range = (n - self.range[1], n - self.range[0])
            self.events.selection_changed.emit(self.range)

    def text(self) -> str:
        if self.range is None:
            return self.sequence
        return self.sequence[self.range[0] : self.range[1]]

    def fasta(self, width: int = 60) -> str:
        """The selection (or whole current sequence) as a FASTA record with its coordinates in the header."""
        if self.index < 0:
            return ""
        seq = self.sequence
        start, end = self.range or (0, len(seq))
        header = f">{self.id}:{start + 1}-{end}" if (start, end) != (0, len(seq)) else f">{self.id}"
        if self.edits.is_edited(self.index):
            header += " edited"
        body = seq[start:end]
        return header + "\n" + "\n".join(body[i : i + width] for i in range(0, len(body), width)) + "\n"

    def search(self, pattern: str) -> list[_search.Hit]:
        """Hits of an IUPAC pattern on both strands of the current sequence (kept updated on edits)."""
        pattern = pattern.strip()
        if pattern:
            _search.clean_pattern(pattern)  # DataError for a bad letter, before any state change
        self.pattern = pattern
        self.update_hits()
        self.events.search_changed.emit()
        return list(self.hits)

    def clear_search(self) -> None:
        self.search("")

    def update_hits(self) -> None:
        """Search the current sequence again (the caller emits `search_changed`)."""
        self.hits = _search.search(self.sequence, self.pattern) if self.pattern and self.index >= 0 else []
