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


class TrackPlot(pg.PlotItem):
    """Base of every sequence-aligned plot: position axis at the bottom, y label on the left,
    a hover read-out in the top-left corner and `sigHover(HoverInfo | None)`.

    Subclasses implement `info_at(x, y) -> HoverInfo | None` (data coordinates).
    """

    sigHover = QtCore.Signal(object)

    def __init__(self, ylabel: str = "", title: str | None = None, left_axis: pg.AxisItem | None = None,
                 parent=None, **kwargs):
        vb = TrackViewBox()
        axes = {"bottom": PositionAxis("bottom")}
        if left_axis is not None:
            axes["left"] = left_axis
        super().__init__(parent=parent, viewBox=vb, axisItems=axes, **kwargs)
        style_plot(self, ylabel=ylabel)
        set_title(self, title)
        self.readout = pg.TextItem("", color=palette.TEXT_COLOR, anchor=(0, 0),
                                   fill=pg.mkBrush(255, 255, 255, 210))
        self.readout.setParentItem(vb)  # pinned to the view box, not to the data
        self.readout.setPos(4, 2)
        self.readout.setZValue(1000)
        self.readout.hide()
        vb.sigHover.connect(self._on_hover)

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
    """Bold, dark title (pyqtgraph's default is grey-on-black)."""
    if title:
        plot.setTitle(title, color=palette.TEXT_COLOR, size="10pt", bold=True)


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
