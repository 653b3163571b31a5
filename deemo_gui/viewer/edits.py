"""Each record's edits with their undo/redo history, and the strand it is viewed on (`EditHistory`):
the text of every record as shown, and what follows from it (its length, GC, soft-masked runs, origin).
The records as read live in the `SequenceStore`; a record never edited nor flipped has no state here."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from deemo_gui.core.errors import ConfigError, DataError
from deemo_gui.core.sequences import VALID_LETTERS, gc_content, gc_contents
from deemo_gui.core.sequences import reverse_complement as _revcomp
from deemo_gui.viewer.entries import EditState
from deemo_gui.viewer.sequences import SequenceStore


def check_bases(bases: str, where: str) -> str:
    """`bases` upper-cased; `DataError` naming `where` for a letter that is no nucleotide code."""
    up = bases.upper()
    bad = [c for c in up if c not in VALID_LETTERS]
    if bad:
        raise DataError(
            f"{where}: {bad[0]!r} is not a nucleotide; type A C G T, or N and the other IUPAC codes "
            "(R Y S W K M B D H V)"
        )
    return up


class EditHistory:
    """The edit state of the records of `store`, by flat index; texts are on the strand viewed unless
    a name says `forward` or `original`. Mutators return whether the text changed and emit nothing:
    the viewer announces the change."""

    def __init__(self, store: SequenceStore):
        self.store = store
        self.states: dict[int, EditState] = {}
        self.gc_values = np.zeros(0, dtype=np.float32)  # GC fraction per record, NaN until asked (`gc`)

    # Records opened and closed

    def opened(self, n: int) -> None:
        """`n` records were appended to the store."""
        self.gc_values = np.concatenate([self.gc_values, np.full(n, np.nan, dtype=np.float32)])

    def closed(self, span: range) -> None:
        """The records `span` were removed from the store (their edits go, the later ones move down)."""
        start, n = span.start, len(span)
        self.states = {(i if i < start else i - n): s for i, s in self.states.items() if i not in span}
        self.gc_values = np.full(len(self.store), np.nan, dtype=np.float32)

    def clear(self) -> None:
        self.states = {}
        self.gc_values = np.zeros(0, dtype=np.float32)

    # Reading

    def sequence(self, i: int) -> str:
        """The record's current text (with edits), on the strand it is viewed on (`strand`)."""
        state = self.states.get(i)
        if state is None:
            return self.store.seqs[i]
        return _revcomp(state.text) if state.minus else state.text

    def original_sequence(self, i: int) -> str:
        """The record as read from its file, on the strand it is viewed on."""
        state = self.states.get(i)
        seq = self.store.seqs[i]
        return _revcomp(seq) if state is not None and state.minus else seq

    def forward_sequence(self, i: int) -> str:
        """The record's current text (with edits) on its file's strand, whatever the view."""
        state = self.states.get(i)
        return state.text if state is not None else self.store.seqs[i]

    def strand(self, i: int) -> str:
        """ "+" when record `i` is shown as in its file, "-" when as its reverse complement."""
        state = self.states.get(i)
        return "-" if state is not None and state.minus else "+"

    def is_edited(self, i: int) -> bool:
        state = self.states.get(i)
        return state is not None and state.edited

    @property
    def minus_indices(self) -> list[int]:
        """Records viewed on their reverse strand (`set_strand`)."""
        return sorted(i for i, s in self.states.items() if s.minus)

    @property
    def edited_indices(self) -> list[int]:
        return sorted(i for i, s in self.states.items() if s.edited)

    def can_undo(self, i: int) -> bool:
        state = self.states.get(i)
        return bool(state and state.undo)

    def can_redo(self, i: int) -> bool:
        state = self.states.get(i)
        return bool(state and state.redo)

    def soft_masked(self, i: int) -> tuple[tuple[int, int], ...]:
        """Lower-case (soft-masked) runs of record `i` as read, `((start, end), ...)`; kept while
        an edit keeps the length (positions still match), `()` otherwise."""
        f, j = self.store.local(i)
        runs = f.data.soft_masked.get(j, ())
        n = len(self.store.seqs[i])
        if runs and len(self.sequence(i)) != n:
            return ()
        if runs and self.strand(i) == "-":
            return tuple((n - b, n - a) for a, b in reversed(runs))
        return runs

    def origin(self, i: int):
        """Where record `i` lies in a genome (`core.regions.Origin`: chrom, start, end, strand) when it
        was read from peaks + a genome; None otherwise, or once an edit changed its length."""
        f, j = self.store.local(i)
        origins = f.data.origins
        if origins is None or len(self.sequence(i)) != len(self.store.seqs[i]):
            return None
        origin = origins[j]
        if origin is not None and self.strand(i) == "-":
            origin = replace(origin, strand="+" if origin.strand == "-" else "-")
        return origin

    def gc(self, i: int) -> float:
        """GC fraction of record `i` (computed on first request, then cached)."""
        if np.isnan(self.gc_values[i]):
            self.gc_values[i] = gc_content(self.sequence(i))
        return float(self.gc_values[i])

    def gc_all(self) -> np.ndarray:
        """GC fractions of every record (fills the cache; for sorting)."""
        missing = np.flatnonzero(np.isnan(self.gc_values))
        self.gc_values[missing] = gc_contents([self.sequence(int(i)) for i in missing])
        return self.gc_values

    def lengths(self) -> np.ndarray:
        """Every record's current length (with edits)."""
        seqs = self.store.seqs
        out = np.fromiter(map(len, seqs), dtype=np.int64, count=len(seqs))
        for i, state in self.states.items():
            out[i] = len(state.text)
        return out

    # Changing

    def state(self, i: int) -> EditState:
        """Record `i`'s edit state, made (unedited) if it has none."""
        state = self.states.get(i)
        if state is None:
            seq = self.store.seqs[i]
            state = self.states[i] = EditState(original=seq, text=seq)
        return state

    def apply(self, i: int, new_text: str) -> bool:
        """Make record `i` read `new_text` on the strand it is viewed on (undoable)."""
        state = self.state(i)
        return self._changed(i, state.push(_revcomp(new_text) if state.minus else new_text))

    def edit(self, i: int, position: int, new_bases: str) -> bool:
        """Substitute bases of record `i` from `position` (0-based), as `Viewer.edit`."""
        self.state(i)
        seq = self.sequence(i)
        bases = check_bases(new_bases, f"edit at position {position + 1}")
        if not bases:
            return False
        if not 0 <= position <= len(seq) - len(bases):
            raise DataError(
                f"edit at position {position + 1}: {len(bases)} base(s) do not fit in the {len(seq)}-nt sequence"
            )
        return self.apply(i, seq[:position] + bases + seq[position + len(bases) :])

    def replace_range(self, i: int, start: int, end: int, new_bases: str) -> bool:
        """Replace `[start, end)` of record `i` by `new_bases`, as `Viewer.replace_range`."""
        self.state(i)
        seq = self.sequence(i)
        bases = check_bases(new_bases, f"replacing {start + 1}-{end}")
        if not 0 <= start <= end <= len(seq):
            raise DataError(f"range {start + 1}-{end} is outside the {len(seq)}-nt sequence")
        if not seq[:start] + bases + seq[end:]:
            raise DataError("cannot delete the whole sequence")
        return self.apply(i, seq[:start] + bases + seq[end:])

    def undo(self, i: int) -> bool:
        state = self.states.get(i)
        if not state or not state.undo:
            return False
        state.redo.append(state.text)
        state.text = state.undo.pop()
        return self._changed(i, True)

    def redo(self, i: int) -> bool:
        state = self.states.get(i)
        if not state or not state.redo:
            return False
        state.undo.append(state.text)
        state.text = state.redo.pop()
        return self._changed(i, True)

    def set_strand(self, i: int, strand: str) -> bool:
        """View record `i` on strand "+" (as in its file) or "-" (reverse complement); False if it was."""
        if strand not in ("+", "-"):
            raise ConfigError(f"strand must be '+' or '-', got {strand!r}")
        if self.strand(i) == strand:
            return False
        self.state(i).minus = strand == "-"
        return True

    def set_edited(self, i: int, text: str) -> bool:
        """Set record `i`'s edited text directly (sessions restore edits this way)."""
        text = check_bases(text, f"edited sequence {self.store.ids[i]!r}")
        state = self.state(i)
        if state.minus:
            text = _revcomp(text)
        pushed = state.push(text)
        self.gc_values[i] = np.nan
        return pushed

    def _changed(self, i: int, changed: bool) -> bool:
        if changed:
            self.gc_values[i] = np.nan
        return changed
