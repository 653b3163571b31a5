"""Sequence logos on screen: a pyqtgraph item drawing letters from cached glyph paths.

Layout follows logomaker (`Logo(stack_order="big_on_top", flip_below=True)`, Tareen & Kinney
2020): in each column the values are sorted ascending and stacked from the sum of the negative
values upward, so positive letters stack above 0 with the biggest on top, negative letters stack
below 0 with the biggest magnitude at the bottom, drawn upside down. Column `i` is centred on
`x = x0 + i`; a glyph is `GLYPH_WIDTH` wide (logomaker's default 0.95) and exactly as tall as
its value.

Speed: each letter's outline is built once (`QPainterPath.addText` with a bold font, normalised
to the unit square). `LogoItem.setData` maps the unit outline of every glyph with its
`QTransform` (scale to `width x height`, translate to `(left, y0)`; flipped for negatives) --
done for all glyphs at once with numpy on the path's elements -- into one path per letter, so a
repaint is four `drawPath` calls whatever the width. When a column is narrower than
`MIN_GLYPH_PX` pixels the letters are unreadable anyway and coloured blocks are drawn instead.
"""
from __future__ import annotations

import struct
from typing import NamedTuple

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from deemo_gui import palette
from deemo_gui.qt.plots.axes import HoverInfo, TrackPlot, set_title

ALPHABET = palette.ALPHABET
GLYPH_WIDTH = 0.95  # logomaker's Glyph default width
GLYPH_FONT_FAMILIES = ("DejaVu Sans", "Arial", "Helvetica", "Liberation Sans", "Sans Serif")
MIN_GLYPH_PX = 3.0  # columns narrower than this (pixels) are drawn as coloured blocks


class GlyphRect(NamedTuple):
    """One drawn letter: `x` the column centre, `y0` the bottom edge, `height` > 0; `flipped` for
    negative values (drawn upside down below the axis). The box is
    `[x - width/2, x + width/2] x [y0, y0 + height]`."""

    letter: str
    x: float
    y0: float
    height: float
    flipped: bool


def _as_matrix(matrix) -> np.ndarray:
    m = np.asarray(matrix, dtype=np.float64)
    if m.ndim != 2 or m.shape[0] != 4:
        raise ValueError(f"a logo needs a (4, W) matrix with rows A C G T, got shape {m.shape}")
    if not np.all(np.isfinite(m)):
        raise ValueError("logo matrix contains NaN or infinite values")
    return m


def glyph_layout(matrix, x0: float = 0.0):
    """Vectorised layout: arrays `(letter_index, x, y0, height, flipped)`, one entry per nonzero
    matrix value, in stacking order (column by column, bottom to top)."""
    m = _as_matrix(matrix)
    W = m.shape[1]
    order = np.argsort(m, axis=0, kind="stable")              # ascending, as logomaker
    vals = np.take_along_axis(m, order, axis=0)               # (4, W)
    heights = np.abs(vals)
    pos = np.where(vals > 0, vals, 0.0)
    neg = np.where(vals < 0, -vals, 0.0)
    floor = -neg.sum(axis=0)                                   # bottom of the stack

    def exclusive_cumsum(a):
        return np.cumsum(np.vstack([np.zeros((1, W)), a[:-1]]), axis=0)

    # negatives stack up from the floor, positives from exactly 0
    y0 = np.where(vals < 0, floor[None, :] + exclusive_cumsum(neg), exclusive_cumsum(pos))
    xs = np.broadcast_to(x0 + np.arange(W, dtype=np.float64)[None, :], (4, W))
    # column-major flattening: column by column, bottom to top
    keep = (heights != 0).T.ravel()
    letters = order.T.ravel()[keep]
    return (letters, xs.T.ravel()[keep], y0.T.ravel()[keep], heights.T.ravel()[keep],
            (vals < 0).T.ravel()[keep])


def logo_rectangles(matrix, x0: float = 0.0) -> list[GlyphRect]:
    """The letters a logo of `matrix` `(4, W)` draws, as `GlyphRect`s (pure; no Qt needed)."""
    letters, xs, y0, h, flip = glyph_layout(matrix, x0)
    return [GlyphRect(ALPHABET[int(li)], float(x), float(y), float(hh), bool(f))
            for li, x, y, hh, f in zip(letters, xs, y0, h, flip)]


def logo_bounds(matrix) -> tuple[float, float]:
    """(ymin, ymax) of the stacks: the most negative column sum of negatives (<= 0) and the
    largest column sum of positives (>= 0)."""
    m = _as_matrix(matrix)
    if m.shape[1] == 0:
        return 0.0, 0.0
    return float(np.where(m < 0, m, 0).sum(axis=0).min()), float(np.where(m > 0, m, 0).sum(axis=0).max())


def glyph_transform(rect: GlyphRect, width: float = GLYPH_WIDTH) -> QtGui.QTransform:
    """The QTransform mapping a unit glyph (`glyph_path`) onto `rect`."""
    left = rect.x - width / 2.0
    if rect.flipped:
        return QtGui.QTransform(width, 0, 0, -rect.height, left, rect.y0 + rect.height)
    return QtGui.QTransform(width, 0, 0, rect.height, left, rect.y0)


# ---------------------------------------------------------------------------------------------
# Cached glyph outlines

_GLYPHS: dict[str, QtGui.QPainterPath] = {}
_GLYPH_ELEMENTS: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}


def _glyph_font() -> QtGui.QFont:
    families = set(QtGui.QFontDatabase.families())
    family = next((f for f in GLYPH_FONT_FAMILIES if f in families), "")
    font = QtGui.QFont(family) if family else QtGui.QFont()
    font.setPixelSize(200)  # big, so flattening curves at draw time stays invisible
    font.setWeight(QtGui.QFont.Weight.Bold)
    return font


def glyph_path(letter: str) -> QtGui.QPainterPath:
    """Outline of `letter` in a bold sans font, normalised to the unit square (x and y in [0, 1],
    y up: the letter's top at y = 1). Built once per letter; needs a QGuiApplication."""
    path = _GLYPHS.get(letter)
    if path is None:
        raw = QtGui.QPainterPath()
        raw.addText(0, 0, _glyph_font(), letter)
        br = raw.boundingRect()
        if br.width() <= 0 or br.height() <= 0:
            raise ValueError(f"no glyph for {letter!r} in the logo font")
        # x' = (x - left) / w ; y' = (bottom - y) / h  (Qt text is y-down; the plot is y-up)
        norm = QtGui.QTransform(1 / br.width(), 0, 0, -1 / br.height(),
                                -br.left() / br.width(), br.bottom() / br.height())
        path = norm.map(raw)
        path.setFillRule(QtCore.Qt.FillRule.WindingFill)
        _GLYPHS[letter] = path
    return path


def _glyph_elements(letter: str):
    """(types, x, y) arrays of the unit glyph's path elements (curves kept as curves)."""
    el = _GLYPH_ELEMENTS.get(letter)
    if el is None:
        path = glyph_path(letter)
        n = path.elementCount()
        types = np.empty(n, dtype=np.int32)
        xs = np.empty(n)
        ys = np.empty(n)
        for i in range(n):
            e = path.elementAt(i)
            types[i] = int(e.type.value) if hasattr(e.type, "value") else int(e.type)
            xs[i], ys[i] = e.x, e.y
        el = _GLYPH_ELEMENTS[letter] = (types, xs, ys)
    return el


def _elements_to_path(types: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> QtGui.QPainterPath:
    """Build a QPainterPath from element arrays through QDataStream (the format pyqtgraph's
    `arrayToQPath` uses): int32 count, then (int32 type, f64 x, f64 y) per element, then int32
    cStart and int32 fill rule, all big-endian."""
    n = len(types)
    path = QtGui.QPainterPath()
    if n == 0:
        return path
    buf = bytearray(4 + 20 * n + 8)
    struct.pack_into(">i", buf, 0, n)
    arr = np.frombuffer(buf, dtype=[("c", ">i4"), ("x", ">f8"), ("y", ">f8")], count=n, offset=4)
    arr["c"] = types
    arr["x"] = xs
    arr["y"] = ys
    struct.pack_into(">ii", buf, 4 + 20 * n, 0, int(QtCore.Qt.FillRule.WindingFill.value))
    stream = QtCore.QDataStream(QtCore.QByteArray(bytes(buf)))
    stream >> path
    return path


def letter_paths(matrix, x0: float = 0.0, width: float = GLYPH_WIDTH) -> dict[str, QtGui.QPainterPath]:
    """One path per letter holding all of that letter's glyphs in the logo of `matrix`: each unit
    glyph mapped by its `glyph_transform`, computed for all glyphs at once."""
    letters, xs, y0, h, flip = glyph_layout(matrix, x0)
    out = {}
    for li, letter in enumerate(ALPHABET):
        sel = letters == li
        if not np.any(sel):
            out[letter] = QtGui.QPainterPath()
            continue
        t, gx, gy = _glyph_elements(letter)
        left = xs[sel] - width / 2.0
        hh = h[sel]
        # flipped glyphs: y -> y0 + h - h*y ; upright: y -> y0 + h*y
        sy = np.where(flip[sel], -hh, hh)
        ty = np.where(flip[sel], y0[sel] + hh, y0[sel])
        X = (left[:, None] + width * gx[None, :]).ravel()
        Y = (ty[:, None] + sy[:, None] * gy[None, :]).ravel()
        T = np.tile(t, int(sel.sum()))
        out[letter] = _elements_to_path(T, X, Y)
    return out


def block_paths(matrix, x0: float = 0.0, width: float = 1.0) -> dict[str, QtGui.QPainterPath]:
    """Coloured blocks instead of letters (for columns too narrow to read): one rectangle per
    glyph box, one path per letter."""
    letters, xs, y0, h, _ = glyph_layout(matrix, x0)
    out = {}
    move, line = 0, 1
    for li, letter in enumerate(ALPHABET):
        sel = letters == li
        k = int(sel.sum())
        left = xs[sel] - width / 2.0
        right = left + width
        bot = y0[sel]
        top = bot + h[sel]
        X = np.stack([left, right, right, left, left], axis=1).ravel()
        Y = np.stack([bot, bot, top, top, bot], axis=1).ravel()
        T = np.tile(np.array([move, line, line, line, line], dtype=np.int32), k)
        out[letter] = _elements_to_path(T, X, Y)
    return out


# ---------------------------------------------------------------------------------------------
# The item


class LogoItem(pg.GraphicsObject):
    """A sequence logo in data coordinates, for any PlotItem/ViewBox (pan and zoom freely).

    `setData(matrix, x0=0)`: `matrix` `(4, W)`, rows A C G T -- information-scaled probabilities
    (bits) or any signed attribution matrix (negatives drawn below 0, flipped). Column `i` is
    centred on `x0 + i`. `setHighlight(start, end)` shades columns `start..end-1` (0-based,
    end exclusive, in the same coordinates as the columns' centres). The bounding rect is exactly
    `[x0 - 0.5, x0 + W - 0.5] x [ymin, ymax]` (`logo_bounds`).
    """

    def __init__(self, matrix=None, x0: float = 0.0, glyph_width: float = GLYPH_WIDTH, parent=None):
        super().__init__(parent)
        self._matrix = np.zeros((4, 0))
        self._x0 = 0.0
        self._glyph_width = float(glyph_width)
        self._rect = QtCore.QRectF()
        self._glyphs: dict[str, QtGui.QPainterPath] = {}
        self._blocks: dict[str, QtGui.QPainterPath] | None = None
        self._highlight: tuple[float, float] | None = None
        self._brushes = {b: QtGui.QBrush(QtGui.QColor(palette.NUCLEOTIDE_COLORS[b])) for b in ALPHABET}
        self._baseline_pen = pg.mkPen(palette.AXIS_COLOR, width=1)
        self._baseline_pen.setCosmetic(True)
        if matrix is not None:
            self.setData(matrix, x0)

    # -- data ----------------------------------------------------------------------------------

    def setData(self, matrix, x0: float = 0.0) -> None:
        m = _as_matrix(matrix)
        self.prepareGeometryChange()
        self._matrix = m
        self._x0 = float(x0)
        ymin, ymax = logo_bounds(m)
        W = m.shape[1]
        self._rect = QtCore.QRectF(self._x0 - 0.5, ymin, float(W), ymax - ymin)
        self._glyphs = letter_paths(m, self._x0, self._glyph_width)
        self._blocks = None  # built on first zoomed-out paint
        self.informViewBoundsChanged()
        self.update()

    def matrix(self) -> np.ndarray:
        return self._matrix

    def x0(self) -> float:
        return self._x0

    def rectangles(self) -> list[GlyphRect]:
        """The letters this item draws (see `logo_rectangles`)."""
        return logo_rectangles(self._matrix, self._x0)

    def setHighlight(self, start: float | None, end: float | None = None) -> None:
        """Shade columns `start` .. `end - 1` (end exclusive); `setHighlight(None)` clears."""
        self._highlight = None if start is None else (float(start), float(end if end is not None else start + 1))
        self.prepareGeometryChange()
        self.update()

    def highlight(self):
        return self._highlight

    def value_at(self, x: float) -> tuple[int, np.ndarray] | None:
        """(column index, its 4 values) under data x, or None outside the logo."""
        i = int(np.floor(x - self._x0 + 0.5))
        if 0 <= i < self._matrix.shape[1]:
            return i, self._matrix[:, i]
        return None

    # -- QGraphicsItem -------------------------------------------------------------------------

    def boundingRect(self) -> QtCore.QRectF:
        return QtCore.QRectF(self._rect)

    def dataBounds(self, ax, frac=1.0, orthoRange=None):
        r = self._rect
        if r.isNull() and self._matrix.shape[1] == 0:
            return None, None
        return (r.left(), r.right()) if ax == 0 else (r.top(), r.bottom())

    def paint(self, p: QtGui.QPainter, *args) -> None:
        if self._matrix.shape[1] == 0:
            return
        r = self._rect
        if self._highlight is not None:
            a, b = self._highlight
            col = QtGui.QColor(palette.HIGHLIGHT_COLOR)
            col.setAlphaF(palette.HIGHLIGHT_ALPHA)
            top = r.bottom() if r.height() > 0 else 1.0
            p.fillRect(QtCore.QRectF(a - 0.5, r.top(), b - a, top - r.top()), col)
        px_per_col = abs(p.worldTransform().m11()) or abs(p.deviceTransform().m11())
        p.setPen(QtCore.Qt.PenStyle.NoPen)
        if px_per_col < MIN_GLYPH_PX:
            if self._blocks is None:
                self._blocks = block_paths(self._matrix, self._x0)
            paths = self._blocks
            p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, False)
        else:
            paths = self._glyphs
            p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
        for letter in ALPHABET:
            path = paths.get(letter)
            if path is not None and not path.isEmpty():
                p.fillPath(path, self._brushes[letter])
        if r.top() < 0:  # signed logo: draw the axis the letters hang from
            p.setPen(self._baseline_pen)
            p.drawLine(QtCore.QPointF(r.left(), 0.0), QtCore.QPointF(r.right(), 0.0))


# ---------------------------------------------------------------------------------------------
# Plot and widget helpers


class LogoPlot(TrackPlot):
    """A PlotItem showing one logo, with position axis, y label and hover read-out
    (position and the four values of the column under the mouse)."""

    def __init__(self, matrix=None, title: str | None = None, ylabel: str = "bits", x0: float = 0.0,
                 parent=None):
        super().__init__(ylabel=ylabel, parent=parent)
        set_title(self, title)
        self.logo = LogoItem()
        self.addItem(self.logo)
        self.setMouseEnabled(x=True, y=False)
        self.ylabel = ylabel
        if matrix is not None:
            self.setData(matrix, x0)

    def setData(self, matrix, x0: float = 0.0) -> None:
        self.logo.setData(matrix, x0)
        ymin, ymax = logo_bounds(matrix)
        if self.ylabel == "bits" and ymin >= 0 and ymax <= 2.0:
            ymax = 2.0  # DNA information logos are conventionally drawn on a 0-2 bit axis
        if ymax == ymin:
            ymax = ymin + 1.0
        pad = 0.04 * (ymax - ymin)
        self.setYRange(ymin - (pad if ymin < 0 else 0.0), ymax + pad, padding=0)
        W = np.asarray(matrix).shape[1]
        self.setXRange(x0 - 0.5, x0 + W - 0.5, padding=0.01)
        self.getViewBox().setLimits(xMin=x0 - 0.5 - W, xMax=x0 + 2 * W - 0.5)

    def info_at(self, x, y):
        hit = self.logo.value_at(x)
        if hit is None:
            return None
        i, vals = hit
        best = ALPHABET[int(np.argmax(np.abs(vals)))]
        return HoverInfo(index=int(round(self.logo.x0())) + i, base=best,
                         values={b: float(v) for b, v in zip(ALPHABET, vals)})


def logo_widget(matrix, title: str | None = None, ylabel: str = "bits", x0: float = 0.0,
                parent=None) -> pg.PlotWidget:
    """A ready PlotWidget with one logo: axes labelled (`ylabel`, "position"), titled, white.
    The LogoItem is `widget.logo` and the plot `widget.getPlotItem()` (a `LogoPlot`)."""
    plot = LogoPlot(matrix, title=title, ylabel=ylabel, x0=x0)
    plot.setLabel("bottom", "position", color=palette.TEXT_COLOR)
    w = pg.PlotWidget(parent=parent, plotItem=plot, background=palette.BACKGROUND_COLOR)
    w.logo = plot.logo
    return w
