"""The sequence track: bases as coloured letters on the position axis, annotation boxes (JASPAR
hits) above (+ strand) and below (- strand), and a shaded selection.

Zoomed in (a base at least `MIN_LETTER_PX` pixels wide) each base is drawn as its letter, in
screen pixels so it stays upright and crisp whatever the zoom; narrower (down to
`MIN_GLYPH_PX`), as a bold glyph stretched to the row's height (the glyphs of a one-hot logo:
still readable where a text letter would be a few pixels tall); zoomed out, as a coloured block
(one cached path per base). Hit boxes point in their strand's direction (genome-browser style),
stack into lanes where they overlap, and carry their label inside when it fits (the full label is
in the hover read-out). Coordinates as everywhere in `deemo_gui.qt.plots`: base `i` centred on
`x = i`; hit intervals are 0-based, end exclusive, as `core.motifs.scan` returns them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from deemo_gui import palette
from deemo_gui.qt.plots.axes import AXIS_PX, TITLE_PX, HoverInfo, TrackPlot, format_position
from deemo_gui.qt.plots.logo_item import LogoItem

MIN_LETTER_PX = 10.0  # narrower bases are drawn as stretched glyphs
MIN_GLYPH_PX = 3.5  # narrower still: coloured blocks
GLYPH_HEIGHT = 0.9  # stretched glyphs fill this much of the row
ROW_PX = 24  # a readable row height (px), for sizing a track
Y_MARGIN = 0.05  # above and below the track, in row units
ROW_HALF = 0.5  # the sequence row covers y in [-0.5, 0.5]
BLOCK_HALF = 0.32  # blocks are a bit slimmer than the row
LANE_GAP = 0.2  # between the row and the first hit lane
BOX_HEIGHT = 0.85
LANE_PITCH = 1.0


@dataclass
class Hit:
    """One annotated interval `[start, end)` (0-based) on `strand` ('+', '-' or '.')."""

    start: int
    end: int
    strand: str = "+"
    label: str = ""
    color: str | None = None
    lane: int = 0

    def box(self) -> QtCore.QRectF:
        """Its box in data coordinates (x: `start - 0.5 .. end - 0.5`)."""
        y0, y1 = lane_span(self.strand, self.lane)
        return QtCore.QRectF(self.start - 0.5, y0, float(self.end - self.start), y1 - y0)


def lane_span(strand: str, lane: int) -> tuple[float, float]:
    """(y0, y1) of a box in `lane` (0 = next to the sequence): above for '+'/'.', below for '-'."""
    if strand == "-":
        top = -(ROW_HALF + LANE_GAP) - lane * LANE_PITCH
        return top - BOX_HEIGHT, top
    bottom = ROW_HALF + LANE_GAP + lane * LANE_PITCH
    return bottom, bottom + BOX_HEIGHT


def as_hits(hits) -> list[Hit]:
    """Accept `Hit`s, tuples `(start, end, strand, label[, color])`, dicts with those keys, or a
    DataFrame from `core.motifs.scan` (label from `label`, else `motif_id`)."""
    if hits is None:
        return []
    if hasattr(hits, "to_dict") and hasattr(hits, "columns"):
        hits = hits.to_dict("records")
    out = []
    for k, h in enumerate(hits):
        if isinstance(h, Hit):
            hit = Hit(h.start, h.end, h.strand, h.label, h.color)
        elif isinstance(h, dict):
            hit = Hit(
                int(h["start"]),
                int(h["end"]),
                str(h.get("strand", "+")),
                str(h.get("label", h.get("motif_id", ""))),
                h.get("color"),
            )
        else:
            h = tuple(h)
            if len(h) < 2:
                raise ValueError(f"hit {k + 1}: needs at least (start, end), got {h!r}")
            hit = Hit(
                int(h[0]),
                int(h[1]),
                str(h[2]) if len(h) > 2 else "+",
                str(h[3]) if len(h) > 3 else "",
                h[4] if len(h) > 4 else None,
            )
        if hit.end <= hit.start:
            raise ValueError(f"hit {k + 1} ({hit.label or 'unnamed'}): end {hit.end} must be > start {hit.start}")
        if hit.strand not in ("+", "-", "."):
            raise ValueError(
                f"hit {k + 1} ({hit.label or 'unnamed'}): strand must be '+', '-' or '.', not {hit.strand!r}"
            )
        if hit.color is None:
            hit.color = palette.hit_color(k)
        out.append(hit)
    return out


def assign_lanes(hits: list[Hit]) -> list[Hit]:
    """Greedy interval packing per side (above: '+' and '.', below: '-'): each hit goes to the
    lowest lane whose previous box ended at or before its start. Sets `hit.lane`; returns hits."""
    for side in (("+", "."), ("-",)):
        ends: list[int] = []
        for h in sorted((h for h in hits if h.strand in side), key=lambda h: (h.start, h.end)):
            for lane, e in enumerate(ends):
                if e <= h.start:
                    h.lane = lane
                    ends[lane] = h.end
                    break
            else:
                h.lane = len(ends)
                ends.append(h.end)
    return hits


def _hit_path(box: QtCore.QRectF, strand: str, depth: float) -> QtGui.QPainterPath:
    """Box with a pointed end: right for '+', left for '-', none for '.'."""
    path = QtGui.QPainterPath()
    l, r, b, t = box.left(), box.right(), box.top(), box.bottom()  # top() is the smaller y
    mid = (b + t) / 2
    depth = min(depth, 0.45 * box.width())
    if strand == "+":
        pts = [(l, b), (r - depth, b), (r, mid), (r - depth, t), (l, t)]
    elif strand == "-":
        pts = [(l + depth, b), (r, b), (r, t), (l + depth, t), (l, mid)]
    else:
        pts = [(l, b), (r, b), (r, t), (l, t)]
    path.addPolygon(QtGui.QPolygonF([QtCore.QPointF(x, y) for x, y in pts]))
    path.closeSubpath()
    return path


class SequenceTrack(pg.GraphicsObject):
    """The sequence, its annotation boxes and a selection, in data coordinates.

    `setSequence(seq)`, `setHits(hits)`, `setSelection(start, end)` / `setSelection(None)`.
    After each paint, `last_paint` says what was drawn: `{"mode": "letters"|"glyphs"|"blocks",
    "letters": n, "hits": n, "labels": n}`. The bounds are the sequence row and the lanes its
    hits use (+ above, - below). `glyphs` is the child LogoItem (the one-hot logo of the
    sequence) that draws the bases in "glyphs" mode.
    """

    def __init__(self, sequence: str = "", hits=None, parent=None):
        super().__init__(parent)
        self._seq = ""
        self._codes = np.zeros(0, dtype=np.int8)
        self._hits: list[Hit] = []
        self._selection: tuple[int, int] | None = None
        self._blocks: dict[str, QtGui.QPainterPath] = {}
        self._rect = QtCore.QRectF()
        self.last_paint: dict = {}
        self._letter_font = QtGui.QFont()
        self._letter_font.setBold(True)
        self._label_font = QtGui.QFont()
        self._label_font.setPointSizeF(8.0)
        self.glyphs = _RowGlyphs(parent=self)
        self.glyphs.setTransform(QtGui.QTransform(1, 0, 0, GLYPH_HEIGHT, 0, -GLYPH_HEIGHT / 2))
        self.setSequence(sequence)
        if hits is not None:
            self.setHits(hits)

    # -- data ----------------------------------------------------------------------------------

    def setSequence(self, sequence: str) -> None:
        seq = str(sequence or "").upper().replace("U", "T")
        self._seq = seq
        codes = np.full(len(seq), -1, dtype=np.int8)
        if seq:
            buf = np.frombuffer(seq.encode("ascii", errors="replace"), dtype=np.uint8)
            for k, b in enumerate(palette.ALPHABET):
                codes[buf == ord(b)] = k
        self._codes = codes
        self._blocks = self._block_paths()
        onehot = np.zeros((4, len(seq)))
        known = codes >= 0
        onehot[codes[known], np.flatnonzero(known)] = 1.0
        self.glyphs.setData(onehot)
        self._update_bounds()

    def sequence(self) -> str:
        return self._seq

    def setHits(self, hits) -> None:
        self._hits = assign_lanes(as_hits(hits))
        self._update_bounds()

    def hits(self) -> list[Hit]:
        return list(self._hits)

    def hit_boxes(self) -> list[tuple[Hit, QtCore.QRectF]]:
        """Each hit with its box in data coordinates."""
        return [(h, h.box()) for h in self._hits]

    def setSelection(self, start: int | None, end: int | None = None) -> None:
        """Shade bases `start .. end - 1` (0-based, end exclusive); None clears."""
        if start is None:
            self._selection = None
        else:
            end = start + 1 if end is None else end
            a, b = sorted((int(start), int(end)))
            self._selection = (a, max(b, a + 1))
        self.update()

    def selection(self) -> tuple[int, int] | None:
        return self._selection

    def hits_at(self, index: int) -> list[Hit]:
        return [h for h in self._hits if h.start <= index < h.end]

    def base_at(self, index: int) -> str:
        return self._seq[index] if 0 <= index < len(self._seq) else ""

    def letters_in(self, xmin: float, xmax: float) -> list[tuple[int, str]]:
        """(index, base) of the bases whose centres lie in `[xmin, xmax]`."""
        lo = max(int(np.ceil(xmin)), 0)
        hi = min(int(np.floor(xmax)), len(self._seq) - 1)
        return [(i, self._seq[i]) for i in range(lo, hi + 1)]

    @staticmethod
    def mode_for(px_per_base: float) -> str:
        if px_per_base >= MIN_LETTER_PX:
            return "letters"
        return "glyphs" if px_per_base >= MIN_GLYPH_PX else "blocks"

    def _block_paths(self) -> dict[str, QtGui.QPainterPath]:
        out = {}
        codes = self._codes
        for k, b in enumerate(palette.ALPHABET + "N"):
            sel = (codes == k) if b != "N" else (codes < 0)
            path = QtGui.QPainterPath()
            if np.any(sel):
                # merge runs of the same base into one rectangle
                d = np.diff(np.concatenate([[0], sel.astype(np.int8), [0]]))
                starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
                for s, e in zip(starts, ends):
                    path.addRect(QtCore.QRectF(s - 0.5, -BLOCK_HALF, float(e - s), 2 * BLOCK_HALF))
            out[b] = path
        return out

    def _update_bounds(self) -> None:
        self.prepareGeometryChange()
        L = len(self._seq)
        x0, x1 = -0.5, max(L, 1) - 0.5
        y0, y1 = -ROW_HALF, ROW_HALF
        for h in self._hits:
            r = h.box()
            x0, x1 = min(x0, r.left()), max(x1, r.right())
            y0, y1 = min(y0, r.top()), max(y1, r.bottom())
        self._rect = QtCore.QRectF(x0, y0, x1 - x0, y1 - y0)
        self.informViewBoundsChanged()
        self.update()

    # -- QGraphicsItem -------------------------------------------------------------------------

    def boundingRect(self) -> QtCore.QRectF:
        return QtCore.QRectF(self._rect)

    def dataBounds(self, ax, frac=1.0, orthoRange=None):
        r = self._rect
        return (r.left(), r.right()) if ax == 0 else (r.top(), r.bottom())

    def paint(self, p: QtGui.QPainter, *args) -> None:
        t = p.worldTransform()
        px_per_base = abs(t.m11()) or 1.0
        px_per_unit_y = abs(t.m22()) or 1.0
        view = self.viewRect()
        if view is None:
            view = self._rect
        xmin, xmax = view.left() - 1, view.right() + 1
        r = self._rect
        stats: dict[str, Any] = {"mode": self.mode_for(px_per_base), "letters": 0, "hits": 0, "labels": 0}

        if self._selection is not None:
            a, b = self._selection
            col = QtGui.QColor(palette.SELECTION_COLOR)
            col.setAlphaF(palette.SELECTION_ALPHA)
            p.fillRect(QtCore.QRectF(a - 0.5, r.top(), float(b - a), r.height()), col)

        # bases (in "glyphs" mode the child `_RowGlyphs` draws them)
        if stats["mode"] == "glyphs":
            stats["letters"] = len(self.letters_in(xmin, xmax))
        elif stats["mode"] == "blocks":
            p.setPen(QtCore.Qt.PenStyle.NoPen)
            p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, False)
            for b, path in self._blocks.items():
                if not path.isEmpty():
                    p.fillPath(path, QtGui.QColor(palette.nucleotide_color(b)))
        else:
            letters = self.letters_in(xmin, xmax)
            size = min(px_per_base * 0.95, 2 * ROW_HALF * px_per_unit_y * 0.9)
            font = QtGui.QFont(self._letter_font)
            font.setPixelSize(max(int(size), 6))
            p.save()
            p.resetTransform()
            p.setFont(font)
            p.setRenderHint(QtGui.QPainter.RenderHint.TextAntialiasing, True)
            w = max(px_per_base, 1.0)
            h = 2 * ROW_HALF * px_per_unit_y
            pens = {b: QtGui.QPen(QtGui.QColor(palette.nucleotide_color(b))) for b in set(self._seq)}
            align = QtCore.Qt.AlignmentFlag.AlignCenter
            for i, b in letters:
                c = t.map(QtCore.QPointF(i, 0.0))
                p.setPen(pens[b])
                p.drawText(QtCore.QRectF(c.x() - w / 2, c.y() - h / 2, w, h), align, b)
            p.restore()
            stats["letters"] = len(letters)

        # hit boxes and labels
        if self._hits:
            p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
            depth = 6.0 / px_per_base  # 6 px point, whatever the zoom
            boxes = []
            for hit in self._hits:
                box = hit.box()
                if box.right() < xmin or box.left() > xmax:
                    continue
                color = QtGui.QColor(hit.color)
                fill = QtGui.QColor(color)
                fill.setAlphaF(0.22)
                pen = QtGui.QPen(color, 1.5)
                pen.setCosmetic(True)
                p.setPen(pen)
                p.setBrush(fill)
                p.drawPath(_hit_path(box, hit.strand, depth))
                boxes.append((hit, box))
            stats["hits"] = len(boxes)
            p.save()
            p.resetTransform()
            p.setFont(self._label_font)
            fm = QtGui.QFontMetricsF(self._label_font)
            for hit, box in boxes:
                if not hit.label:
                    continue
                dev = t.mapRect(box).normalized()
                dev = dev.adjusted(4, 0, -8, 0)  # keep clear of the strand point
                if dev.width() < fm.horizontalAdvance("M…") or dev.height() < fm.height() * 0.8:
                    continue
                text = f"{hit.label} ({hit.strand})" if hit.strand != "." else hit.label
                if fm.horizontalAdvance(text) > dev.width():  # the box's point shows the strand too
                    text = fm.elidedText(hit.label, QtCore.Qt.TextElideMode.ElideRight, dev.width())
                p.setPen(QtGui.QColor(palette.TEXT_COLOR))
                p.drawText(dev, QtCore.Qt.AlignmentFlag.AlignCenter, text)
                stats["labels"] += 1
            p.restore()
        self.last_paint = stats


class _RowGlyphs(LogoItem):
    """The bases as a one-hot logo (one full-height glyph per column) in the sequence row, drawn
    only while the track is in "glyphs" mode (its parent's `mode_for` the current zoom)."""

    def paint(self, p: QtGui.QPainter, *args) -> None:
        if SequenceTrack.mode_for(abs(p.worldTransform().m11())) == "glyphs":
            super().paint(p, *args)


class SequencePlot(TrackPlot):
    """A PlotItem holding a `SequenceTrack`: x pans and zooms, y is fixed to the track; the
    left axis marks the + and - strand lanes; hover shows position, base and the hits there.
    `preferred_px(row_px)`: the height that gives the sequence row `row_px` pixels."""

    def __init__(self, sequence: str = "", hits=None, title: str | None = None, ylabel: str = "sequence", parent=None):
        super().__init__(ylabel=ylabel, title=title, parent=parent)
        self.track = SequenceTrack(sequence, hits)
        self.addItem(self.track)
        self._refresh()

    def setSequence(self, sequence: str) -> None:
        self.track.setSequence(sequence)
        self._refresh()

    def setHits(self, hits) -> None:
        self.track.setHits(hits)
        self._refresh()

    def setSelection(self, start, end=None) -> None:
        self.track.setSelection(start, end)

    def preferred_px(self, row_px: float = ROW_PX) -> int:
        """Plot height (title and bottom axis included) at which the sequence row is `row_px` tall."""
        units = self.track.boundingRect().height() + 2 * Y_MARGIN
        title = TITLE_PX if self.titleLabel.isVisible() else 6
        return int(round(units * row_px + title + AXIS_PX))

    def _refresh(self) -> None:
        r = self.track.boundingRect()
        self.setYRange(r.top() - Y_MARGIN, r.bottom() + Y_MARGIN, padding=0)
        L = len(self.track.sequence())
        if L:
            self.setXRange(-0.5, L - 0.5, padding=0.01)
        ticks = [(0.0, "")]
        up = [h for h in self.track.hits() if h.strand != "-"]
        down = [h for h in self.track.hits() if h.strand == "-"]
        if up:
            ticks.append((sum(lane_span("+", 0)) / 2, "+"))
        if down:
            ticks.append((sum(lane_span("-", 0)) / 2, "−"))
        self.getAxis("left").setTicks([ticks, []])

    def info_at(self, x, y):
        i = int(np.floor(x + 0.5))
        base = self.track.base_at(i)
        if not base:
            return None
        hits = self.track.hits_at(i)
        extra = ", ".join(
            f"{h.label or 'hit'} {h.strand} {format_position(h.start)}-{format_position(h.end - 1)}" for h in hits
        )
        return HoverInfo(index=i, base=base, extra=extra)
