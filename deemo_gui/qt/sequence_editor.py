"""The sequence editor: the current sequence as coloured bases on a coordinate ruler.

Zoom from the whole sequence (coloured bars) to single bases (letters), select a range with the
mouse or Shift+arrows, type bases over the sequence (overwrite, like mutating it; Insert toggles
insert mode), paste, delete, undo/redo, reverse-complement, copy as FASTA, and search an IUPAC pattern
on both strands (hits boxed above the bases for + and below for −). Mutated positions are underlined.
Positions are shown 1-based, as in genome browsers. Every action goes through the viewer; the
widget only redraws on the viewer's events.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QGuiApplication, QKeySequence, QPainter, QPen
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QScrollBar,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from deemo_gui.core.errors import DataError
from deemo_gui.qt.workers import observe
from deemo_gui.viewer.keys import PredictKey

try:  # the shared palette (deemo_gui/palette.py)
    from deemo_gui import palette as _palette

    BASE_COLORS = dict(_palette.NUCLEOTIDE_COLORS)
    UNKNOWN = _palette.UNKNOWN_COLOR
    SELECTION = _palette.SELECTION_COLOR
    HIT_PLUS, HIT_MINUS = _palette.HIT_COLORS[0], _palette.HIT_COLORS[1]
    WINDOW, SOFT_MASK_BG = _palette.WINDOW_COLOR, _palette.SOFT_MASK_BG
except ImportError:  # pragma: no cover - palette is part of the package
    BASE_COLORS = {"A": "#109648", "C": "#255C99", "G": "#F7B32B", "T": "#D62839"}
    UNKNOWN, SELECTION, HIT_PLUS, HIT_MINUS = "#9E9E9E", "#FFD166", "#6A4C93", "#00838F"
    WINDOW, SOFT_MASK_BG = "#2A9D8F", "#E6E6E6"

MAX_PX_PER_BASE = 22.0  # single bases, letters comfortably readable
LETTER_MIN_PX = 5.5  # below this, bases are drawn as coloured bars


def _nice_step(min_bases: float) -> int:
    """The smallest 1-2-5 × 10^k step of at least `min_bases`."""
    k = 10 ** math.floor(math.log10(max(min_bases, 1)))
    for m in (1, 2, 5, 10):
        if m * k >= min_bases:
            return int(m * k)
    return int(10 * k)


def clean_pasted(text: str) -> str:
    """Bases from clipboard text: FASTA headers, whitespace and position numbers removed."""
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith(">")]
    return "".join(c for c in "".join(lines) if not c.isspace() and not c.isdigit())


class SequenceCanvas(QWidget):
    """Paints the ruler, bases, selection, hits and cursor; turns mouse and keys into viewer actions."""

    message = Signal(str)  # for the status bar
    hover = Signal(str)  # "position 51: G"
    view_changed = Signal()  # zoom or scroll

    RULER_H = 22
    HIT_H = 9

    def __init__(self, viewer, parent=None):
        super().__init__(parent)
        self.viewer = viewer
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.px = 10.0  # pixels per base
        self.offset = 0.0  # first visible base (fractional)
        self.fit = True  # keep the whole sequence in view when resized
        self.caret = 0  # base index typed over next (the text cursor; QWidget.cursor() is the mouse's)
        self.anchor: int | None = None
        self.overwrite = True
        self._drag_from: int | None = None
        self.letter_font = QFont("monospace")
        self.letter_font.setStyleHint(QFont.StyleHint.Monospace)
        self.letter_font.setBold(True)
        self.small_font = QFont(self.font())
        self.small_font.setPointSizeF(max(7.0, self.font().pointSizeF() * 0.85))
        self.row_h = QFontMetrics(self.letter_font).height() + 8
        self.setMinimumHeight(self.sizeHint().height())
        ev = viewer.events
        observe(ev.current_changed, self, self._current_changed)
        observe(ev.sequence_edited, self, lambda _s: self._clamp_and_update())
        observe(ev.selection_changed, self, lambda _s: self.update())
        observe(ev.search_changed, self, lambda: self.update())
        observe(ev.predictions_changed, self, lambda: self.update())  # the best windows moved
        observe(ev.window_changed, self, lambda: self.update())
        observe(ev.models_changed, self, lambda: self.update())

    def sizeHint(self) -> QSize:
        return QSize(600, self.RULER_H + 2 * self.HIT_H + self.row_h + 18)

    # -- geometry ----------------------------------------------------------------------------
    @property
    def n(self) -> int:
        return len(self.viewer.current_sequence)

    def fit_px(self) -> float:
        return max(0.05, (self.width() - 16) / max(self.n, 1))

    def visible_bases(self) -> float:
        return (self.width() - 16) / self.px

    def x_of(self, i: float) -> float:
        return 8 + (i - self.offset) * self.px

    def base_at(self, x: float) -> int:
        return int(math.floor((x - 8) / self.px + self.offset))

    def set_zoom(self, px: float, center: float | None = None) -> None:
        """Pixels per base, clamped between the whole sequence and single readable letters."""
        lo = min(self.fit_px(), MAX_PX_PER_BASE)
        px = max(lo, min(MAX_PX_PER_BASE, px))
        if center is None:
            center = self.offset + self.visible_bases() / 2
        frac = (center - self.offset) / max(self.visible_bases(), 1e-9)
        self.px = px
        self.fit = px <= lo + 1e-9
        self.offset = center - frac * self.visible_bases()
        self._clamp_offset()
        self.update()
        self.view_changed.emit()

    def zoom_fit(self) -> None:
        self.fit = True
        self.px = self.fit_px()
        self.offset = 0.0
        self.update()
        self.view_changed.emit()

    def zoom_bases(self) -> None:
        """Zoom to readable single bases around the cursor/selection."""
        center = self.viewer.selection[0] if self.viewer.selection else self.caret
        self.set_zoom(MAX_PX_PER_BASE, center=center)

    def zoom_by(self, factor: float, center: float | None = None) -> None:
        self.set_zoom(self.px * factor, center)

    def _clamp_offset(self) -> None:
        self.offset = max(0.0, min(self.offset, max(0.0, self.n - self.visible_bases())))

    def scroll_to(self, offset: float) -> None:
        self.offset = offset
        self._clamp_offset()
        self.update()
        self.view_changed.emit()

    def ensure_visible(self, i: int) -> None:
        vis = self.visible_bases()
        if i < self.offset:
            self.scroll_to(i - 2)
        elif i + 1 > self.offset + vis:
            self.scroll_to(i + 3 - vis)

    def resizeEvent(self, event) -> None:
        if self.fit:
            self.px = self.fit_px()
            self.offset = 0.0
        else:
            self.set_zoom(self.px)
        super().resizeEvent(event)
        self.view_changed.emit()

    def _current_changed(self, _i: int) -> None:
        self.caret, self.anchor = 0, None
        self.zoom_fit()

    def _clamp_and_update(self) -> None:
        self.caret = max(0, min(self.caret, max(self.n - 1, 0)))
        if self.fit:
            self.px = self.fit_px()
        self._clamp_offset()
        self.update()
        self.view_changed.emit()

    # -- painting ----------------------------------------------------------------------------
    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("white"))
        seq = self.viewer.current_sequence
        n = len(seq)
        if not n:
            p.setPen(QColor("#777"))
            p.drawText(
                self.rect(),
                Qt.AlignmentFlag.AlignCenter,
                "Open a sequence file (File ▸ Open… or drop it here) and pick a record on the left",
            )
            return
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
        y_plus = self.RULER_H + 2
        y_bases = y_plus + self.HIT_H + 2
        y_minus = y_bases + self.row_h + 2
        i0 = max(0, int(math.floor(self.offset)))
        i1 = min(n, int(math.ceil(self.offset + self.visible_bases())) + 1)
        self._paint_ruler(p, n, i0, i1)
        # Selection under everything else.
        sel = self.viewer.selection
        if sel:
            c = QColor(SELECTION)
            c.setAlphaF(0.45)
            x0, x1 = self.x_of(sel[0]), self.x_of(sel[1])
            p.fillRect(QRectF(x0, y_plus, max(1.0, x1 - x0), y_minus + self.HIT_H - y_plus), c)
        self._paint_bases(p, seq, i0, i1, y_bases)
        self._paint_mutations(p, seq, i0, i1, y_bases)
        self._paint_hits(p, y_plus, y_minus)
        self._paint_windows(p, y_bases)
        if self.hasFocus() and self.px >= 2:
            x = self.x_of(self.caret)
            pen = QPen(QColor("#111"), 2)
            p.setPen(pen)
            if self.overwrite:
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawRect(QRectF(x, y_bases, self.px, self.row_h))
            else:
                p.drawLine(QPointF(x, y_bases - 2), QPointF(x, y_bases + self.row_h + 2))
        p.end()

    def _paint_ruler(self, p: QPainter, n: int, i0: int, i1: int) -> None:
        fm = QFontMetrics(self.small_font)
        p.setFont(self.small_font)
        label_w = fm.horizontalAdvance(str(n)) + 14
        step = _nice_step(label_w / self.px)
        minor = step // 5 if step >= 5 else (step // 2 if step >= 2 else 0)
        axis_y = self.RULER_H - 1
        p.setPen(QPen(QColor("#444"), 1))
        p.drawLine(QPointF(self.x_of(0), axis_y), QPointF(self.x_of(n), axis_y))
        if minor:
            first = ((i0 + 1) // minor) * minor
            for pos in range(max(minor, first), i1 + 1, minor):
                x = self.x_of(pos - 0.5)
                p.drawLine(QPointF(x, axis_y - 3), QPointF(x, axis_y))
        # Major ticks at shown (1-based) positions 1, step, 2*step, ... centred on their base; for a
        # record read from a genome the labels are genome coordinates (the first with its chromosome).
        v = self.viewer
        origin = v.origin(v.current_index) if v.current_index >= 0 else None
        minus = v.current_index >= 0 and v.strand(v.current_index) == "-"
        if origin is not None:
            label_w = fm.horizontalAdvance(origin.position_label(n - 1)) + 14
            step = _nice_step(label_w / self.px)
        positions = [1] + list(range(step, n + 1, step))
        if n not in positions and n - positions[-1] > step * 0.4:
            positions.append(n)
        last_right = -1e9
        for pos in positions:
            if pos - 1 < i0 - step or pos - 1 > i1 + step:
                continue
            x = self.x_of(pos - 0.5)
            p.drawLine(QPointF(x, axis_y - 7), QPointF(x, axis_y))
            if origin is None:  # on the reverse strand the ruler counts the file's positions down
                text = f"{n - pos + 1:,}" if minus else f"{pos:,}"
            else:
                text = origin.position_label(pos - 1) if last_right < 0 else f"{origin.genome_position(pos - 1) + 1:,}"
            w = fm.horizontalAdvance(text)
            left = max(2.0, min(x - w / 2, self.width() - w - 2))
            if left > last_right + 6:
                p.drawText(QPointF(left, axis_y - 9), text)
                last_right = left + w

    def model_windows(self) -> list[tuple[str, int, int]]:
        """`(model name, start, end)` of the window each selected model reads, when the current
        sequence's length differs from the model's input (scanned or N-padded)."""
        v = self.viewer
        out = []
        n = len(v.current_sequence)
        for m in v.selected_models:
            if not m.input_length or m.input_length == n:
                continue
            w = v.window_of(m)
            if w is not None:
                out.append((m.name, w[0], w[1]))
        return out

    def _paint_windows(self, p: QPainter, y: float) -> None:
        """Box the window each selected model reads (one box per distinct window, named)."""
        boxes: dict[tuple[int, int], list[str]] = {}
        for name, a, b in self.model_windows():
            boxes.setdefault((a, b), []).append(name)
        p.setFont(self.small_font)
        fm = QFontMetrics(self.small_font)
        for k, ((a, b), names) in enumerate(sorted(boxes.items())):
            x0, x1 = self.x_of(a), self.x_of(b)
            if x1 < 0 or x0 > self.width():
                continue
            pen = QPen(QColor(WINDOW), 2)
            if k:
                pen.setStyle(Qt.PenStyle.DashLine)
            p.setPen(pen)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(QRectF(x0, y - 1, max(2.0, x1 - x0), self.row_h + 2))
            label = ", ".join(names) + f" reads {a + 1:,}–{b:,}"
            if fm.horizontalAdvance(label) < x1 - x0 - 4:
                p.setPen(QColor(WINDOW).darker(130))
                p.drawText(QPointF(x0 + 3, y + self.row_h + fm.ascent() + 1), label)

    def _paint_bases(self, p: QPainter, seq: str, i0: int, i1: int, y: float) -> None:
        h = self.row_h
        v = self.viewer
        masked = v.soft_masked(v.current_index) if v.current_index >= 0 else ()
        for a, b in masked:  # soft-masked (lower-case) bases: grey background, letters lower case
            if b > i0 and a < i1:
                p.fillRect(
                    QRectF(self.x_of(max(a, i0)), y, (min(b, i1) - max(a, i0)) * self.px, h), QColor(SOFT_MASK_BG)
                )
        if masked:
            from deemo_gui.core.sequences import apply_soft_mask

            seq = apply_soft_mask(seq, masked)
        if self.px >= LETTER_MIN_PX:
            font = QFont(self.letter_font)
            # Letters scale with the zoom: a 101-nt sequence fits ~7 px per base in a small window.
            font.setPixelSize(max(8, min(int(self.px * 1.3), self.row_h - 6)))
            p.setFont(font)
            fm = QFontMetrics(font)
            for i in range(i0, i1):
                b = seq[i]
                color = QColor(BASE_COLORS.get(b.upper(), UNKNOWN))
                bg = QColor(color)
                bg.setAlphaF(0.16 if b.isupper() else 0.06)
                x = self.x_of(i)
                p.fillRect(QRectF(x, y, self.px, h), bg)
                p.setPen(color.darker(115) if b in "Gg" else color)  # orange G a touch darker on white
                p.drawText(
                    QPointF(x + (self.px - fm.horizontalAdvance(b)) / 2, y + (h + fm.ascent() - fm.descent()) / 2), b
                )
        else:
            step = max(1, int(1 / self.px))  # at most one base per pixel column
            w = max(1.0, self.px)
            for i in range(i0, i1, step):
                color = QColor(BASE_COLORS.get(seq[i].upper(), UNKNOWN))
                if seq[i].islower():
                    color.setAlphaF(0.45)
                p.fillRect(QRectF(self.x_of(i), y + 2, w * step, h - 4), color)

    def _paint_mutations(self, p: QPainter, seq: str, i0: int, i1: int, y: float) -> None:
        v = self.viewer
        if v.current_index < 0 or not v.is_edited(v.current_index):
            return
        original = v.original_sequence(v.current_index)
        if len(original) != len(seq):
            return
        pen = QPen(QColor("#8a3ffc"), 2)
        p.setPen(pen)
        for i in range(i0, i1):
            if seq[i] != original[i]:
                x = self.x_of(i)
                p.drawLine(QPointF(x + 1, y + self.row_h), QPointF(x + max(self.px, 2) - 1, y + self.row_h))

    def _paint_hits(self, p: QPainter, y_plus: float, y_minus: float) -> None:
        hits = self.viewer.search_hits
        if not hits:
            return
        for hit in hits:
            color = QColor(HIT_PLUS if hit.strand == "+" else HIT_MINUS)
            y = y_plus if hit.strand == "+" else y_minus
            x0, x1 = self.x_of(hit.start), self.x_of(hit.end)
            if x1 < 0 or x0 > self.width():
                continue
            rect = QRectF(x0, y, max(2.0, x1 - x0), self.HIT_H)
            p.fillRect(rect, color)
            if rect.width() > 14:  # strand arrow
                p.setPen(QColor("white"))
                p.setFont(self.small_font)
                p.drawText(rect, Qt.AlignmentFlag.AlignCenter, "▶" if hit.strand == "+" else "◀")

    # -- mouse -------------------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:
        if not self.n or event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        i = max(0, min(self.n - 1, self.base_at(event.position().x())))
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            start = self.anchor if self.anchor is not None else self.caret
            self.viewer.select(min(start, i), max(start, i) + 1)
        else:
            self.anchor = i
            self.viewer.clear_selection()
        self.caret = i
        self._drag_from = self.anchor
        self.update()

    def mouseMoveEvent(self, event) -> None:
        if not self.n:
            return
        i = self.base_at(event.position().x())
        if 0 <= i < self.n:
            seq = self.viewer.current_sequence
            v = self.viewer
            origin = v.origin(v.current_index)
            where = (
                f" ({origin.position_label(i)}, {origin.strand} strand)"
                if origin is not None
                else (f" (− strand; {len(seq) - i:,} in the file)" if v.strand(v.current_index) == "-" else "")
            )
            text = f"position {i + 1:,}{where}: {seq[i]}"
            if any(a <= i < b for a, b in v.soft_masked(v.current_index)):
                text += " (soft-masked)"
            if v.is_edited(v.current_index):
                orig = v.original_sequence(v.current_index)
                if len(orig) == len(seq) and orig[i] != seq[i]:
                    text += f" (was {orig[i]})"
            self.hover.emit(text)
            self.setToolTip(text)
        if self._drag_from is not None and event.buttons() & Qt.MouseButton.LeftButton:
            i = max(0, min(self.n - 1, i))
            a = self._drag_from
            self.viewer.select(min(a, i), max(a, i) + 1)
            self.caret = i
            self.ensure_visible(i)

    def mouseReleaseEvent(self, event) -> None:
        self._drag_from = None
        super().mouseReleaseEvent(event)

    def window_actions(self, i: int) -> list[tuple[str, Callable[[], None]]]:
        """`(text, callback)` of the window choices at base `i`, when a selected model reads only a
        window of the current sequence (it is longer than the model's input)."""
        v = self.viewer
        lengths = sorted({m.input_length for m in v.selected_models if 0 < m.input_length < self.n})
        if not lengths:
            return []
        out: list[tuple[str, Callable[[], None]]] = []
        for L in lengths:
            start = max(0, min(i - (L - 1) // 2, self.n - L))
            out.append(
                (
                    f"Explain the {L}-nt window centred on base {i + 1:,} ({start + 1:,}–{start + L:,})",
                    partial(v.set_window, start),
                )
            )
        out.append(
            (
                "Explain each model's best window" + (" (now)" if v.window_choice is None else ""),
                lambda: v.set_window(None),
            )
        )
        return out

    def contextMenuEvent(self, event) -> None:
        actions = self.window_actions(max(0, min(self.n - 1, self.base_at(event.pos().x())))) if self.n else []
        if not actions:
            return super().contextMenuEvent(event)
        from PySide6.QtWidgets import QMenu

        menu = QMenu(self)
        for text, slot in actions:
            menu.addAction(text).triggered.connect(lambda _=False, f=slot: f())
        menu.exec(event.globalPos())

    def wheelEvent(self, event) -> None:
        delta = event.angleDelta()
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            center = self.base_at(event.position().x())
            self.zoom_by(1.25 ** (delta.y() / 120), center=center)
        else:
            d = delta.x() or delta.y()
            self.scroll_to(self.offset - d / 120 * max(3.0, self.visible_bases() / 10))
        event.accept()

    # -- keyboard ----------------------------------------------------------------------------
    def keyPressEvent(self, event) -> None:
        key, mods, text = event.key(), event.modifiers(), event.text()
        shift = bool(mods & Qt.KeyboardModifier.ShiftModifier)
        if not self.n:
            return super().keyPressEvent(event)
        if key in (Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Home, Qt.Key.Key_End):
            step = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1}.get(key, 0)
            new = 0 if key == Qt.Key.Key_Home else (self.n - 1 if key == Qt.Key.Key_End else self.caret + step)
            new = max(0, min(self.n - 1, new))
            if shift:
                a = self.anchor if self.anchor is not None else self.caret
                self.anchor = a
                self.viewer.select(min(a, new), max(a, new) + 1)
            else:
                self.anchor = new
                self.viewer.clear_selection()
            self.caret = new
            self.ensure_visible(new)
            self.update()
            return
        if key == Qt.Key.Key_Insert:
            self.overwrite = not self.overwrite
            self.message.emit(
                "Overwrite mode: typed bases replace bases"
                if self.overwrite
                else "Insert mode: typed bases are inserted (the sequence gets longer)"
            )
            self.update()
            return
        if key in (Qt.Key.Key_Backspace, Qt.Key.Key_Delete):
            self._delete(backwards=key == Qt.Key.Key_Backspace)
            return
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_by(1.5, center=self.caret)
            return
        if key == Qt.Key.Key_Minus:
            self.zoom_by(1 / 1.5, center=self.caret)
            return
        if event.matches(QKeySequence.StandardKey.SelectAll):
            self.viewer.select(0, self.n)
            return
        if (
            text
            and text.isprintable()
            and not (mods & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.MetaModifier))
        ):
            if text == " ":
                return
            self.type_bases(text)
            return
        super().keyPressEvent(event)

    def type_bases(self, text: str) -> bool:
        """Type `text` at the cursor (overwrite or insert); invalid letters are refused with a message."""
        v = self.viewer
        try:
            if self.overwrite:
                start = v.selection[0] if v.selection else self.caret
                if start + len(text) > self.n:
                    raise DataError(
                        f"{len(text)} base(s) at position {start + 1} run past the end of the {self.n}-nt sequence"
                    )
                v.edit(start, text)
                self.caret = min(start + len(text), self.n - 1)
            else:
                start, end = v.selection if v.selection else (self.caret, self.caret)
                v.replace_range(start, end, text)
                self.caret = min(start + len(text), self.n - 1)
        except DataError as exc:
            self.message.emit(f"Not changed: {exc}")
            return False
        v.clear_selection()
        self.anchor = self.caret
        self.ensure_visible(self.caret)
        self.update()
        return True

    def _delete(self, backwards: bool) -> None:
        v = self.viewer
        try:
            if v.selection:
                start, end = v.selection
            elif backwards and not self.overwrite:
                start, end = max(0, self.caret - 1), self.caret
            else:
                start, end = self.caret, self.caret + 1
            if end <= start:
                return
            v.replace_range(start, end, "")
            self.caret = max(0, min(start, self.n - 1))
            v.clear_selection()
            self.message.emit(
                f"Deleted {end - start} base(s) at {start + 1}: the sequence is now {self.n} nt "
                "(models centre-crop or N-pad it to their input length)"
            )
        except DataError as exc:
            self.message.emit(f"Not changed: {exc}")

    def paste(self) -> bool:
        text = clean_pasted(QGuiApplication.clipboard().text())
        if not text:
            self.message.emit("The clipboard holds no bases to paste")
            return False
        ok = self.type_bases(text)
        if ok:
            self.message.emit(f"Pasted {len(text)} base(s)")
        return ok

    def copy_fasta(self) -> str:
        fasta = self.viewer.selection_fasta()
        if fasta:
            QGuiApplication.clipboard().setText(fasta)
            n = (self.viewer.selection[1] - self.viewer.selection[0]) if self.viewer.selection else self.n
            self.message.emit(f"Copied {n} base(s) as FASTA")
        return fasta

    def focusInEvent(self, event) -> None:
        self.update()
        super().focusInEvent(event)

    def focusOutEvent(self, event) -> None:
        self.update()
        super().focusOutEvent(event)


class ScoreBoard(QWidget):
    """P(bound) of the current sequence for every selected model, with the score before edits."""

    def __init__(self, viewer, parent=None):
        super().__init__(parent)
        self.viewer = viewer
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.rows: list[tuple[str, float | None, float | None, str]] = []  # label, P, P before edits, window note
        self.line_h = self.fontMetrics().height() + 8
        observe(viewer.events.predictions_changed, self, self.refresh)
        observe(viewer.events.models_changed, self, self.refresh)
        observe(viewer.events.current_changed, self, lambda _i: self.refresh())
        observe(viewer.events.task_changed, self, lambda _t: self.refresh())
        self.refresh()

    def refresh(self) -> None:
        v = self.viewer
        rows = []
        original = v.original_sequence(v.current_index) if v.current_index >= 0 else ""
        for m in v.selected_models:
            probs = v.predictions.get(m.name)
            before = v.results.get(PredictKey(m.name, original, v.scan_stride, v.scan_rc))
            tasks = m.task_names
            for t in self._shown_tasks(tasks):
                task = tasks[t]
                label = m.name if len(tasks) == 1 else f"{m.name}: {task}"
                p = None if probs is None else probs[t]
                b = None if before is None or not v.is_edited(v.current_index) else before[t]
                rows.append((label, p, b, self._window_note(m, t)))
        self.rows = rows
        self.setFixedHeight(max(1, len(rows)) * self.line_h + 6)
        self.setToolTip(self.text())
        self.update()

    def _window_note(self, m, task: int) -> str:
        """'best window 575–675' / 'N-padded to 101 nt' when the sequence's length is not the model's."""
        v = self.viewer
        n, L = len(v.current_sequence), m.input_length
        if not n or not L or n == L:
            return ""
        if n < L:
            return f"N-padded to {L} nt"
        scan = v.scan_of(m)
        if scan is None:
            return ""
        a = scan.best_start(task)
        return f"best of {len(scan.starts):,} windows: {a + 1:,}–{a + L:,}"

    def _shown_tasks(self, tasks: list[str], most: int = 4) -> list[int]:
        """The first `most` outputs of a model, always including the task the panels explain."""
        shown = list(range(min(most, len(tasks))))
        current = self.viewer.current_task
        if current in tasks and tasks.index(current) not in shown:
            shown[-1] = tasks.index(current)
        return shown

    def text(self) -> str:
        """The read-out as text (for tests and the accessibility name)."""
        if not self.rows:
            return self._empty_text()
        out = []
        for label, p, b, note in self.rows:
            s = f"{label}: P(bound) = {'…' if p is None else f'{p:.3f}'}"
            if b is not None and p is not None:
                s += f" (before edits {b:.3f}, Δ {p - b:+.3f})"
            if note:
                s += f" · {note}"
            out.append(s)
        return "\n".join(out)

    def _empty_text(self) -> str:
        if not self.viewer.models:
            return "No model yet: open a model file (File ▸ Open model…) or train one in the Train tab"
        return "Tick a model on the right to see its prediction for this sequence"

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        fm = self.fontMetrics()
        if not self.rows:
            p.setPen(QColor("#666"))
            p.drawText(
                QRectF(8, 0, self.width() - 16, self.height()), Qt.AlignmentFlag.AlignVCenter, self._empty_text()
            )
            return
        name_w = min(max(fm.horizontalAdvance(r[0]) for r in self.rows) + 16, self.width() // 3)
        bar_w = max(60, min(260, self.width() - name_w - 330))
        for k, (label, prob, before, note) in enumerate(self.rows):
            y = 3 + k * self.line_h
            p.setPen(QColor("#222"))
            p.drawText(
                QRectF(8, y, name_w - 8, self.line_h),
                Qt.AlignmentFlag.AlignVCenter,
                fm.elidedText(label, Qt.TextElideMode.ElideMiddle, name_w - 12),
            )
            x = 8 + name_w
            frame = QRectF(x, y + 4, bar_w, self.line_h - 8)
            p.fillRect(frame, QColor("#eeeeee"))
            if prob is not None:
                p.fillRect(QRectF(x, y + 4, bar_w * prob, self.line_h - 8), QColor("#3b6fb6"))
            if before is not None:
                bx = x + bar_w * before
                p.setPen(QPen(QColor("#d62839"), 2))
                p.drawLine(QPointF(bx, y + 2), QPointF(bx, y + self.line_h - 2))
            p.setPen(QColor("#999"))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(frame)
            p.setPen(QColor("#222"))
            text = "P(bound) = " + ("…" if prob is None else f"{prob:.3f}")
            if before is not None and prob is not None:
                text += f"   before edits {before:.3f}  (Δ {prob - before:+.3f})"
            if note:
                text += f"   · {note}"
            p.drawText(
                QRectF(x + bar_w + 10, y, self.width() - x - bar_w - 12, self.line_h),
                Qt.AlignmentFlag.AlignVCenter,
                text,
            )
        p.end()


class ScoreStrip(QScrollArea):
    """The ScoreBoard in a strip of a fixed height (ROWS rows, scrolls beyond): ticking models never
    moves the panels and buttons below."""

    ROWS = 3

    def __init__(self, board: ScoreBoard, parent=None):
        super().__init__(parent)
        self.board = board
        self.setWidget(board)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(self.ROWS * board.line_h + 6)


class SequenceEditor(QWidget):
    """Header (name, length, GC, label), tool buttons, search, the canvas with its scroll bar, scores."""

    message = Signal(str)

    def __init__(self, viewer, parent=None):
        super().__init__(parent)
        self.viewer = viewer
        self.title = QLabel()
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.1)
        self.title.setFont(font)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.info = ElidedLabel()
        self.info.setStyleSheet("color: #555;")
        self.hover_label = QLabel()
        self.hover_label.setStyleSheet("color: #555;")
        self.hover_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        self.canvas = SequenceCanvas(viewer)
        self.scrollbar = QScrollBar(Qt.Orientation.Horizontal)
        self.scores = ScoreBoard(viewer)
        self.scores_strip = ScoreStrip(self.scores)

        def button(text, tip, slot):
            b = QToolButton(text=text)
            b.setToolTip(tip)
            b.setAutoRaise(True)
            b.clicked.connect(slot)
            return b

        self.fit_button = button("Whole", "Zoom out to the whole sequence", self.canvas.zoom_fit)
        self.zoom_out_button = button("−", "Zoom out (Ctrl+wheel, or -)", lambda: self.canvas.zoom_by(1 / 1.5))
        self.zoom_in_button = button("+", "Zoom in (Ctrl+wheel, or +)", lambda: self.canvas.zoom_by(1.5))
        self.bases_button = button("Bases", "Zoom in to single, readable bases", self.canvas.zoom_bases)
        self.undo_button = button("Undo", "Undo the last edit (Ctrl+Z)", viewer.undo)
        self.redo_button = button("Redo", "Redo (Ctrl+Shift+Z)", viewer.redo)
        self.revcomp_button = button(
            "Rev. comp.",
            "Show the other strand (a view, not an edit: edits made there are mapped back to the file's strand)",
            viewer.reverse_complement,
        )
        self.revert_button = button("Revert", "Back to the sequence as read from the file (undoable)", self._revert)
        self.copy_button = button(
            "Copy FASTA", "Copy the selection (or the whole sequence) as FASTA", self.canvas.copy_fasta
        )
        self.search_edit = QLineEdit(
            placeholderText="Find motif, e.g. CACGTG or CCGCNNGGNGGCAG", clearButtonEnabled=True
        )
        self.search_edit.setToolTip(
            "IUPAC pattern searched on both strands: R=A/G Y=C/T S=C/G W=A/T K=G/T M=A/C B D H V, N=any.\n"
            "Hits on the + strand are boxed above the bases, hits on the − strand below."
        )
        self.search_edit.setMinimumWidth(self.fontMetrics().horizontalAdvance("CCGCNNGG") + 30)
        self.search_edit.setMaximumWidth(self.fontMetrics().horizontalAdvance("CCGCNNGGNGGCAGCCGC") + 40)
        self.hits_label = QLabel()

        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addWidget(self.info, 1)
        top.addWidget(self.hover_label)
        tools = QHBoxLayout()
        for w in (self.fit_button, self.zoom_out_button, self.zoom_in_button, self.bases_button):
            tools.addWidget(w)
        tools.addWidget(_separator())
        for w in (self.undo_button, self.redo_button, self.revcomp_button, self.copy_button):
            tools.addWidget(w)  # Revert lives in the Edit menu: the row must fit a 700-px centre
        tools.addWidget(_separator())
        tools.addWidget(QLabel("Find:"))
        tools.addWidget(self.search_edit, 1)
        tools.addWidget(self.hits_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addLayout(tools)
        layout.addWidget(self.canvas)
        layout.addWidget(self.scrollbar)
        layout.addWidget(self.scores_strip)
        layout.addStretch(1)

        self.canvas.message.connect(self.message)
        self.canvas.hover.connect(self.hover_label.setText)
        self.canvas.view_changed.connect(self._sync_scrollbar)
        self.scrollbar.valueChanged.connect(lambda v: self.canvas.scroll_to(float(v)))
        self.search_edit.returnPressed.connect(self._search)
        self.search_edit.textChanged.connect(self._search_live)
        ev = viewer.events
        observe(ev.current_changed, self, lambda _i: self._refresh_header())
        observe(ev.sequence_edited, self, lambda _s: self._refresh_header())
        observe(ev.search_changed, self, self._refresh_hits)
        observe(ev.sequences_changed, self, self._refresh_header)
        observe(ev.models_changed, self, self._refresh_header)
        observe(ev.predictions_changed, self, self._refresh_header)
        observe(ev.window_changed, self, self._refresh_header)
        self._refresh_header()
        self._sync_scrollbar()

    def _revert(self) -> None:
        if self.viewer.current_index >= 0:
            self.viewer.revert()

    def _search_live(self, text: str) -> None:
        if not text.strip():
            self.viewer.clear_search()
            return
        self._search()

    def _search(self) -> None:
        try:
            self.viewer.search(self.search_edit.text())
            self.search_edit.setStyleSheet("")
        except DataError as exc:
            self.search_edit.setStyleSheet("QLineEdit { background: #ffe5e5; }")
            self.message.emit(str(exc))

    def _refresh_hits(self) -> None:
        hits = self.viewer.search_hits
        if not self.viewer.search_pattern:
            self.hits_label.setText("")
            return
        plus = sum(h.strand == "+" for h in hits)
        self.hits_label.setText(f"{len(hits)} hit{'s' if len(hits) != 1 else ''} ({plus} +, {len(hits) - plus} −)")
        if self.search_edit.text().strip().upper() != self.viewer.search_pattern.upper():
            self.search_edit.blockSignals(True)
            self.search_edit.setText(self.viewer.search_pattern)
            self.search_edit.blockSignals(False)

    def _refresh_header(self) -> None:
        v = self.viewer
        i = v.current_index
        enabled = i >= 0
        for b in (
            self.undo_button,
            self.redo_button,
            self.revcomp_button,
            self.revert_button,
            self.copy_button,
            self.fit_button,
            self.zoom_in_button,
            self.zoom_out_button,
            self.bases_button,
        ):
            b.setEnabled(enabled)
        if not enabled:
            self.title.setText("No sequence")
            self.info.setText("")
            return
        self.undo_button.setEnabled(v.can_undo)
        self.redo_button.setEnabled(v.can_redo)
        self.revert_button.setEnabled(v.is_edited(i))
        seq = v.current_sequence
        self.title.setText(v.current_id)
        gc = v.gc(i)
        parts = [f"{len(seq):,} nt", "GC n/a" if math.isnan(gc) else f"GC {100 * gc:.1f}%"]
        masked = sum(b - a for a, b in v.soft_masked(i))
        if masked:
            parts.append(f"{masked:,} nt soft-masked (lower case)")
        parts += self._length_notes(len(seq))
        y = v.label(i)
        if y is not None:
            f = v.file_of(i)
            if len(y) == 1:
                parts.append("labelled bound" if y[0] == 1 else "labelled unbound")
            else:
                parts.append(
                    "bound for: " + (", ".join(t for t, val in zip(f.data.task_names, y) if val == 1) or "none")
                )
        if v.strand(i) == "-":
            parts.append("◀ − strand: the reverse complement of the file's")
        origin = v.origin(i)
        if origin is not None:
            parts.append(f"{origin.chrom}:{origin.start + 1:,}–{origin.end:,} ({origin.strand})")
        parts.append(v.file_of(i).name)
        if v.is_edited(i):
            orig = v.original_sequence(i)
            if len(orig) == len(seq):
                k = sum(a != b for a, b in zip(orig, seq))
                parts.append(f"edited: {k} base{'s' if k != 1 else ''} changed")
            else:
                parts.append(f"edited: {len(seq) - len(orig):+d} nt")
        self.info.setText("  ·  ".join(parts))

    def _length_notes(self, n: int) -> list[str]:
        """How the selected models read a sequence of another length than theirs."""
        v = self.viewer
        notes = []
        for L in sorted({m.input_length for m in v.selected_models if m.input_length and m.input_length != n}):
            if n < L:
                notes.append(f"⚠ N-padded to {L} nt for the {L}-nt models")
                continue
            scans = [v.scan_of(m) for m in v.selected_models if m.input_length == L]
            count = next((len(sc.starts) for sc in scans if sc is not None), None)
            windows = f"{count:,} windows" if count else "windows"
            which = "the chosen window" if v.window_choice is not None else "the best window (boxed)"
            notes.append(f"⚠ scanned in {windows} of {L} nt: score = best window, explained: {which}")
        return notes

    def _sync_scrollbar(self) -> None:
        c = self.canvas
        vis = int(c.visible_bases())
        maximum = max(0, c.n - vis)
        self.scrollbar.blockSignals(True)
        self.scrollbar.setRange(0, maximum)
        self.scrollbar.setPageStep(max(1, vis))
        self.scrollbar.setSingleStep(max(1, vis // 10))
        self.scrollbar.setValue(int(round(c.offset)))
        self.scrollbar.blockSignals(False)
        self.scrollbar.setVisible(maximum > 0)


class ElidedLabel(QLabel):
    """A one-line label that shrinks with an ellipsis instead of forcing the layout wider."""

    def __init__(self, text: str = "", parent=None):
        super().__init__(text, parent)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(20)

    def setText(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        super().setText(text)
        self.update()

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.setPen(self.palette().color(self.foregroundRole()))
        text = self.fontMetrics().elidedText(
            getattr(self, "_full", self.text()), Qt.TextElideMode.ElideRight, self.width()
        )
        p.drawText(self.rect(), int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), text)
        p.end()


def _separator() -> QFrame:
    line = QFrame()
    line.setFrameShape(QFrame.Shape.VLine)
    line.setFrameShadow(QFrame.Shadow.Sunken)
    return line
