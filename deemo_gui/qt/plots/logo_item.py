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
done for all glyphs at once with numpy on the path's elements, curves kept. At paint time the
zoom part of the view transform is applied the same way, per chunk of a few columns, only for
visible chunks and cached until the zoom changes; Qt then fills small pixel-scale paths under a
pure translation, its fast path (benchmarks/logo_speed.py). When a column is narrower than
`MIN_GLYPH_PX` pixels the letters are unreadable anyway and coloured blocks are drawn instead.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from deemo_gui import palette
from deemo_gui.qt.plots.axes import HoverInfo, TrackPlot

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
    if np.isinf(m).any():
        raise ValueError("logo matrix contains infinite values")
    # NaN marks bases a model did not see (outside its window): an empty column.
    return np.nan_to_num(m, nan=0.0)


def glyph_layout(matrix, x0: float = 0.0):
    """Vectorised layout: arrays `(letter_index, x, y0, height, flipped)`, one entry per nonzero
    matrix value, in stacking order (column by column, bottom to top)."""
    m = _as_matrix(matrix)
    W = m.shape[1]
    order = np.argsort(m, axis=0, kind="stable")  # ascending, as logomaker
    vals = np.take_along_axis(m, order, axis=0)  # (4, W)
    heights = np.abs(vals)
    pos = np.where(vals > 0, vals, 0.0)
    neg = np.where(vals < 0, -vals, 0.0)
    floor = -neg.sum(axis=0)  # bottom of the stack

    def exclusive_cumsum(a):
        return np.cumsum(np.vstack([np.zeros((1, W)), a[:-1]]), axis=0)

    # negatives stack up from the floor, positives from exactly 0
    y0 = np.where(vals < 0, floor[None, :] + exclusive_cumsum(neg), exclusive_cumsum(pos))
    xs = np.broadcast_to(x0 + np.arange(W, dtype=np.float64)[None, :], (4, W))
    # column-major flattening: column by column, bottom to top
    keep = (heights != 0).T.ravel()
    letters = order.T.ravel()[keep]
    return (letters, xs.T.ravel()[keep], y0.T.ravel()[keep], heights.T.ravel()[keep], (vals < 0).T.ravel()[keep])


def logo_rectangles(matrix, x0: float = 0.0) -> list[GlyphRect]:
    """The letters a logo of `matrix` `(4, W)` draws, as `GlyphRect`s (pure; no Qt needed)."""
    letters, xs, y0, h, flip = glyph_layout(matrix, x0)
    return [
        GlyphRect(ALPHABET[int(li)], float(x), float(y), float(hh), bool(f))
        for li, x, y, hh, f in zip(letters, xs, y0, h, flip)
    ]


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
        norm = QtGui.QTransform(
            1 / br.width(), 0, 0, -1 / br.height(), -br.left() / br.width(), br.bottom() / br.height()
        )
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
            types[i] = int(e.type.value)
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


# ---------------------------------------------------------------------------------------------
# The item


class _LetterGlyphs:
    """All glyphs of one letter, ready to be placed: per glyph its column and the data-space
    coordinates of every path element (the unit outline mapped by its `glyph_transform`)."""

    __slots__ = ("cols", "types", "X", "Y")

    def __init__(self, cols, types, X, Y):
        self.cols, self.types, self.X, self.Y = cols, types, X, Y


_UNIT_SQUARE = (np.array([0, 1, 1, 1, 1], dtype=np.int32), np.array([0.0, 1, 1, 0, 0]), np.array([0.0, 0, 1, 1, 0]))


def _place(layout, unit, width: float, only: int) -> _LetterGlyphs:
    letters, xs, y0, h, flip = layout
    sel = letters == only
    t, gx, gy = unit
    left = xs[sel] - width / 2.0
    hh = h[sel]
    # flipped glyphs: y -> y0 + h - h*y ; upright: y -> y0 + h*y   (the glyph_transform)
    sy = np.where(flip[sel], -hh, hh)
    ty = np.where(flip[sel], y0[sel] + hh, y0[sel])
    X = left[:, None] + width * gx[None, :]
    Y = ty[:, None] + sy[:, None] * gy[None, :]
    return _LetterGlyphs(np.rint(xs[sel]).astype(np.int64), t, X, Y)


class LogoItem(pg.GraphicsObject):
    """A sequence logo in data coordinates, for any PlotItem/ViewBox (pan and zoom freely).

    `setData(matrix, x0=0)`: `matrix` `(4, W)`, rows A C G T -- information-scaled probabilities
    (bits) or any signed attribution matrix (negatives drawn below 0, flipped). Column `i` is
    centred on `x0 + i`. `setHighlight(start, end)` shades columns `start..end-1` (0-based,
    end exclusive, in the same coordinates as the columns' centres). The bounding rect is exactly
    `[x0 - 0.5, x0 + W - 0.5] x [ymin, ymax]` (`logo_bounds`).

    Drawing: Qt fills curved paths slowly under a non-uniform scale, and large many-glyph paths
    slowly with antialiasing, so glyphs are mapped to *pixel scale* with numpy (the zoom part of
    the view transform) in chunks about `CHUNK_PX` pixels wide, only for visible chunks, cached until the
    zoom changes, and filled under a translation-only transform (panning reuses the cache).
    """

    CHUNK_PX = 40.0  # target width of one cached path in pixels: small paths rasterize fast

    def __init__(self, matrix=None, x0: float = 0.0, glyph_width: float = GLYPH_WIDTH, parent=None):
        super().__init__(parent)
        self._matrix = np.zeros((4, 0))
        self._x0 = 0.0
        self._glyph_width = float(glyph_width)
        self._rect = QtCore.QRectF()
        self._glyphs: list[_LetterGlyphs] = []
        self._blocks: list[_LetterGlyphs] | None = None
        self._cache_key: tuple[float, float] | None = None
        self._chunk = 4
        self._cache: dict[tuple[str, int], list[QtGui.QPainterPath | None]] = {}
        self._highlight: tuple[float, float] | None = None
        self._brushes = [QtGui.QBrush(QtGui.QColor(palette.NUCLEOTIDE_COLORS[b])) for b in ALPHABET]
        self._baseline_pen = pg.mkPen(palette.AXIS_COLOR, width=1)
        self._baseline_pen.setCosmetic(True)
        self.last_paint: dict = {}
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
        # columns are indexed 0..W-1 for chunking, whatever x0 is
        self._layout = glyph_layout(m, 0.0)
        self._glyphs = [_place(self._layout, _glyph_elements(b), self._glyph_width, k) for k, b in enumerate(ALPHABET)]
        self._blocks = None  # built on first zoomed-out paint
        self._cache_key = None
        self._cache = {}
        self.informViewBoundsChanged()
        self.update()

    def matrix(self) -> np.ndarray:
        return self._matrix

    def x0(self) -> float:
        return self._x0

    def rectangles(self) -> list[GlyphRect]:
        """The letters this item draws (see `logo_rectangles`)."""
        return logo_rectangles(self._matrix, self._x0)

    def letter_paths(self) -> dict[str, QtGui.QPainterPath]:
        """One data-space path per letter with all its glyphs (for export or inspection)."""
        return letter_paths(self._matrix, self._x0, self._glyph_width)

    def setHighlight(self, start: float | None, end: float | None = None) -> None:
        """Shade columns `start` .. `end - 1` (end exclusive); `setHighlight(None)` clears."""
        self._highlight = None if start is None else (float(start), float(end if end is not None else start + 1))
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
        if self._matrix.shape[1] == 0:
            return None, None
        return (r.left(), r.right()) if ax == 0 else (r.top(), r.bottom())

    def _chunk_paths(self, kind: str, chunk: int, sx: float, sy: float) -> list[QtGui.QPainterPath | None]:
        key = (kind, chunk)
        paths = self._cache.get(key)
        if paths is None:
            source = self._glyphs if kind == "glyphs" else (self._blocks or [])
            lo, hi = chunk * self._chunk, (chunk + 1) * self._chunk
            paths = []
            for g in source:
                a, b = np.searchsorted(g.cols, [lo, hi])
                if b <= a:
                    paths.append(None)
                    continue
                X = (g.X[a:b] + self._x0) * sx
                Y = g.Y[a:b] * sy
                paths.append(_elements_to_path(np.tile(g.types, b - a), X.ravel(), Y.ravel()))
            self._cache[key] = paths
        return paths

    def paint(self, p: QtGui.QPainter, *args) -> None:
        W = self._matrix.shape[1]
        if W == 0:
            return
        r = self._rect
        if self._highlight is not None:
            a, b = self._highlight
            col = QtGui.QColor(palette.HIGHLIGHT_COLOR)
            col.setAlphaF(palette.HIGHLIGHT_ALPHA)
            top = r.bottom() if r.height() > 0 else 1.0
            p.fillRect(QtCore.QRectF(a - 0.5, r.top(), b - a, top - r.top()), col)
        t = p.worldTransform()
        sx, sy = t.m11(), t.m22()
        if t.m12() != 0 or t.m21() != 0 or sx == 0 or sy == 0:  # rotated / degenerate view
            self._paint_direct(p)
            return
        kind = "glyphs" if abs(sx) >= MIN_GLYPH_PX else "blocks"
        if kind == "blocks" and self._blocks is None:
            self._blocks = [_place(self._layout, _UNIT_SQUARE, 1.0, k) for k in range(4)]
        if self._cache_key != (sx, sy):
            self._cache_key = (sx, sy)
            self._cache = {}
            self._chunk = max(1, int(self.CHUNK_PX / abs(sx)))
        view = self.viewRect()
        c0, c1 = 0, W - 1
        if view is not None:
            c0 = max(int(np.floor(view.left() - self._x0 - 0.5)), 0)
            c1 = min(int(np.ceil(view.right() - self._x0 + 0.5)), W - 1)
        chunks = range(c0 // self._chunk, c1 // self._chunk + 1)
        p.save()
        p.setTransform(QtGui.QTransform.fromTranslate(t.dx(), t.dy()))
        p.setPen(QtCore.Qt.PenStyle.NoPen)
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, kind == "glyphs")
        for c in chunks:
            for brush, path in zip(self._brushes, self._chunk_paths(kind, c, sx, sy)):
                if path is not None:
                    p.fillPath(path, brush)
        p.restore()
        self.last_paint = {"mode": kind, "chunks": len(chunks), "columns": max(c1 - c0 + 1, 0)}
        self._paint_baseline(p)

    def _paint_direct(self, p: QtGui.QPainter) -> None:
        """Fallback for transforms with rotation/shear: one data-space path per letter."""
        p.setPen(QtCore.Qt.PenStyle.NoPen)
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
        for brush, path in zip(self._brushes, self.letter_paths().values()):
            if not path.isEmpty():
                p.fillPath(path, brush)
        self.last_paint = {"mode": "direct"}
        self._paint_baseline(p)

    def _paint_baseline(self, p: QtGui.QPainter) -> None:
        r = self._rect
        if r.top() < 0:  # signed logo: draw the axis the letters hang from
            p.setPen(self._baseline_pen)
            p.drawLine(QtCore.QPointF(r.left(), 0.0), QtCore.QPointF(r.right(), 0.0))


# ---------------------------------------------------------------------------------------------
# Plot and widget helpers


class LogoPlot(TrackPlot):
    """A PlotItem showing one logo, with position axis, y label, centred title and hover
    read-out (position and the four values of the column under the mouse)."""

    title_justify = "center"

    def __init__(self, matrix=None, title: str | None = None, ylabel: str = "bits", x0: float = 0.0, parent=None):
        super().__init__(ylabel=ylabel, title=title, parent=parent)
        self.logo = LogoItem()
        self.addItem(self.logo)
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

    def info_at(self, x, y):
        hit = self.logo.value_at(x)
        if hit is None:
            return None
        i, vals = hit
        best = ALPHABET[int(np.argmax(np.abs(vals)))]
        return HoverInfo(
            index=int(round(self.logo.x0())) + i, base=best, values={b: float(v) for b, v in zip(ALPHABET, vals)}
        )


def logo_widget(matrix, title: str | None = None, ylabel: str = "bits", x0: float = 0.0, parent=None) -> pg.PlotWidget:
    """A ready PlotWidget with one logo: axes labelled (`ylabel`, "position"), titled, white.
    The LogoItem is `widget.logo` and the plot `widget.getPlotItem()` (a `LogoPlot`)."""
    plot = LogoPlot(matrix, title=title, ylabel=ylabel, x0=x0)
    plot.setLabel("bottom", "position", color=palette.TEXT_COLOR)
    w = pg.PlotWidget(parent=parent, plotItem=plot, background=palette.BACKGROUND_COLOR)
    w.logo = plot.logo
    return w
