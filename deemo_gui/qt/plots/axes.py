"""Shared pieces of every sequence-aligned plot: the position axis, the hover read-out, the track
plot base class and X-linking.

Coordinates: data x is the 0-based array index, and base `i` is centred on `x = i` (it covers
`[i - 0.5, i + 0.5]`, as in logomaker). Positions are *shown* 1-based (`POSITION_OFFSET`), like
genome browsers, JASPAR/FIMO hit tables and the Deep Motif Dashboard figures, on axes and in
hover read-outs alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from deemo_gui import palette

# Shown position = 0-based index + POSITION_OFFSET (defined once, in the palette's conventions).
POSITION_OFFSET = palette.POSITION_OFFSET
# Left axes of stacked tracks get this width (px) so their view boxes line up exactly.
LEFT_AXIS_WIDTH = 72
# Pixel heights of a plot's parts, for sizing tracks by their content.
TITLE_PX = 30  # pyqtgraph's title row
AXIS_PX = 28  # a bottom axis with tick labels
XLABEL_PX = 18  # the bottom axis's label line
TITLE_SIZE = "9.5pt"


def format_position(index: int) -> str:
    """The position label a user sees for 0-based index `index`."""
    return str(int(index) + POSITION_OFFSET)


class PositionAxis(pg.AxisItem):
    """Bottom axis in sequence coordinates: integer ticks only, labelled 1-based.

    Ticks fall on round *shown* positions (10, 20, 30, ...), i.e. on indices 9, 19, 29, ...
    """

    def __init__(self, orientation: str = "bottom", offset: int = POSITION_OFFSET, **kwargs):
        super().__init__(orientation, **kwargs)
        self.offset = int(offset)
        self.enableAutoSIPrefix(False)

    def tickValues(self, minVal, maxVal, size):
        levels = super().tickValues(minVal + self.offset, maxVal + self.offset, size)
        out = []
        for spacing, values in levels:
            if spacing < 1:
                continue
            vals = [v - self.offset for v in values if abs(v - round(v)) < 1e-6]
            out.append((spacing, vals))
        if not out:  # zoomed in beyond one base per tick: label every base in view
            lo, hi = int(np.ceil(minVal)), int(np.floor(maxVal))
            out = [(1.0, [float(v) for v in range(lo, hi + 1)])]
        return out

    def tickStrings(self, values, scale, spacing):
        return [str(int(round(v)) + self.offset) for v in values]


class LetterAxis(pg.AxisItem):
    """Left axis with the rows A C G T as labels (used by the ISM heatmap)."""

    def __init__(self, rows: dict[float, str], orientation: str = "left", **kwargs):
        super().__init__(orientation, **kwargs)
        self.setTicks([[(y, s) for y, s in rows.items()], []])


@dataclass
class HoverInfo:
    """What is under the mouse in a track: the 0-based `index`, its `base` ('' when unknown),
    the track's `values` there ({name: value}), and free-text `extra` (e.g. hit labels)."""

    index: int
    base: str = ""
    values: dict[str, float] = field(default_factory=dict)
    extra: str = ""

    @property
    def position(self) -> str:
        return format_position(self.index)

    @property
    def text(self) -> str:
        parts = [f"pos {self.position}"]
        if self.base:
            parts.append(self.base)
        for name, v in self.values.items():
            parts.append(f"{name} {v:.3g}" if name else f"{v:.3g}")
        if self.extra:
            parts.append(self.extra)
        return "  ·  ".join(parts)


class TrackViewBox(pg.ViewBox):
    """A ViewBox that reports the mouse position in data coordinates (`sigHover`, None on exit)."""

    sigHover = QtCore.Signal(object)

    def hoverEvent(self, ev):
        if ev.isExit():
            self.sigHover.emit(None)
            return
        self.sigHover.emit(self.mapSceneToView(ev.scenePos()))

    def linkedViewChanged(self, view, axis):
        """X-linked tracks show the same positions: copy the range. (pyqtgraph maps it through the
        two views' screen geometries, which while a stack is being laid out still differ, and
        left every track of a stack showing e.g. positions 7-101 of 1-101.)"""
        if axis != pg.ViewBox.XAxis or self.linksBlocked or view is None:
            super().linkedViewChanged(view, axis)
            return
        view.blockLink(True)
        try:
            self.enableAutoRange(pg.ViewBox.XAxis, False)
            self.setXRange(*view.viewRange()[0], padding=0)
        finally:
            view.blockLink(False)


class TrackPlot(pg.PlotItem):
    """Base of every sequence-aligned plot: position axis at the bottom, y label on the left,
    a hover read-out in the top-left corner and `sigHover(HoverInfo | None)`.

    Subclasses implement `info_at(x, y) -> HoverInfo | None` (data coordinates). Titles are bold,
    dark and `title_justify`-aligned, and never widen a layout (see `shrinkable`); `setPlaceholder`
    writes a message in the middle of the view ("computing…"); `setXExtent(n)` shows positions
    1..n and stops panning far past either end. y is fixed (x pans and zooms), no context menu.
    """

    sigHover = QtCore.Signal(object)
    title_justify = "left"

    def __init__(
        self, ylabel: str = "", title: str | None = None, left_axis: pg.AxisItem | None = None, parent=None, **kwargs
    ):
        vb = TrackViewBox(enableMenu=False)  # no context menu: building pyqtgraph's costs ~30 ms a track
        axes = {"bottom": PositionAxis("bottom")}
        if left_axis is not None:
            axes["left"] = left_axis
        super().__init__(parent=parent, viewBox=vb, axisItems=axes, **kwargs)
        style_plot(self, ylabel=ylabel)
        self.setTitle(title)
        self.setMouseEnabled(x=True, y=False)
        self.setMenuEnabled(False)
        self.getAxis("left").enableAutoSIPrefix(False)
        self.placeholder: pg.TextItem | None = None
        self.readout = pg.TextItem("", color=palette.TEXT_COLOR, anchor=(0, 0), fill=pg.mkBrush(255, 255, 255, 210))
        self.readout.setParentItem(vb)  # pinned to the view box, not to the data
        self.readout.setPos(4, 2)
        self.readout.setZValue(1000)
        self.readout.hide()
        vb.sigHover.connect(self._on_hover)

    def setTitle(self, title=None, **args):
        """A bold dark title (`args` override colour, size, justify); None hides it."""
        if title is None:
            super().setTitle(None)
            return
        style = {"color": palette.TEXT_COLOR, "size": TITLE_SIZE, "bold": True, "justify": self.title_justify}
        style.update(args)
        super().setTitle(title, **style)
        shrinkable(self.titleLabel)

    def setPlaceholder(self, text: str | None) -> None:
        """Write `text` in the middle of the view (kept centred when the view moves); None removes it."""
        vb = self.getViewBox()
        if text is None:
            if self.placeholder is not None:
                vb.removeItem(self.placeholder)
                self.placeholder = None
            return
        if self.placeholder is None:
            self.placeholder = pg.TextItem("", color=palette.TEXT_COLOR, anchor=(0.5, 0.5))
            vb.addItem(self.placeholder, ignoreBounds=True)
            vb.sigRangeChanged.connect(self._center_placeholder)
        self.placeholder.setText(text)
        self._center_placeholder()

    def _center_placeholder(self, *_) -> None:
        if self.placeholder is not None:
            self.placeholder.setPos(self.getViewBox().viewRect().center())

    def setXExtent(self, n: int) -> None:
        """Show positions 1..n (data x -0.5 .. n - 0.5) and allow panning 5 % past either end."""
        self.setXRange(-0.5, n - 0.5, padding=0.005)
        self.getViewBox().setLimits(xMin=-0.5 - n * 0.05, xMax=n - 0.5 + n * 0.05)

    def info_at(self, x: float, y: float) -> HoverInfo | None:  # pragma: no cover - abstract
        return None

    def _on_hover(self, point):
        info = None if point is None else self.info_at(point.x(), point.y())
        if info is None:
            self.readout.hide()
        else:
            self.readout.setText(info.text)
            self.readout.show()
        self.sigHover.emit(info)


def shrinkable(label: pg.LabelItem) -> None:
    """Let a LabelItem be narrower than its text: pyqtgraph's `updateMin` (run on every resize
    and text change) pins the minimum width to the text's, which pushes long titles past the
    right edge of a layout."""

    def update_min(label=label):
        bounds = label.itemRect()
        label.setMinimumWidth(1)
        label.setMinimumHeight(bounds.height())
        label._sizeHint = {
            QtCore.Qt.SizeHint.MinimumSize: (1, bounds.height()),
            QtCore.Qt.SizeHint.PreferredSize: (bounds.width(), bounds.height()),
            QtCore.Qt.SizeHint.MaximumSize: (-1, -1),
            QtCore.Qt.SizeHint.MinimumDescent: (0, 0),
        }
        label.updateGeometry()

    label.updateMin = update_min
    update_min()


def style_plot(plot: pg.PlotItem, ylabel: str = "", xlabel: str | None = None) -> None:
    """Dark-on-white axes with readable labels, the look shared by all tracks."""
    pen = pg.mkPen(palette.AXIS_COLOR)
    font = QtGui.QFont()
    font.setPointSizeF(8.5)
    for name in ("left", "bottom", "right", "top"):
        ax = plot.getAxis(name)
        ax.setPen(pen)
        ax.setTextPen(pg.mkPen(palette.TEXT_COLOR))
        ax.setStyle(tickFont=font)
    if ylabel:
        plot.setLabel("left", ylabel, color=palette.TEXT_COLOR)
    if xlabel:
        plot.setLabel("bottom", xlabel, color=palette.TEXT_COLOR)
    plot.getViewBox().setBackgroundColor(None)
    plot.hideButtons()  # the "A" autorange button overlaps letters in thin tracks


def set_title(plot: pg.PlotItem, title: str | None) -> None:
    """Bold, dark title (pyqtgraph's default is grey-on-black), for plain PlotItems too."""
    if isinstance(plot, TrackPlot):
        plot.setTitle(title, justify="center")
    elif title:
        plot.setTitle(title, color=palette.TEXT_COLOR, size="10pt", bold=True)
        shrinkable(plot.titleLabel)


def link_x(plots, axis_width: int | None = LEFT_AXIS_WIDTH) -> None:
    """Link the X ranges of `plots` (PlotItems or PlotWidgets) to the first one, and give their
    left axes one width, so the same position sits at the same pixel column in every track.

    `axis_width=None` leaves axis widths alone (X is still linked, but tracks whose y-tick labels
    differ in width will be shifted against each other).
    """
    items = [p.getPlotItem() if hasattr(p, "getPlotItem") else p for p in plots]
    if not items:
        return
    first = items[0]
    for p in items[1:]:
        p.setXLink(first)
    if axis_width is not None:
        for p in items:
            p.getAxis("left").setWidth(int(axis_width))


def pen(color: str, width: float = 1.0, style=None) -> QtGui.QPen:
    """A cosmetic pen (width in pixels, independent of zoom)."""
    p = pg.mkPen(color, width=width)
    p.setCosmetic(True)
    if style is not None:
        p.setStyle(style)
    return p
