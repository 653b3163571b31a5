"""Stacks of X-linked tracks in one canvas, and PNG/SVG screenshots of them.

A `TrackStack` puts plots in one column of a GraphicsLayout -- so every view box has the same
width and left edge -- links their X ranges, gives their left axes one width, and keeps a second
narrow column for side items (the ISM heatmap's colour bar). Only the bottom track shows
position tick labels by default; the others keep their ticks for alignment.
"""
from __future__ import annotations

from pathlib import Path

import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from deemo_gui import palette
from deemo_gui.qt.plots.axes import LEFT_AXIS_WIDTH, link_x


class TrackStack(pg.GraphicsLayoutWidget):
    """Tracks stacked top to bottom, X-linked. `add(plot, height=1.0, side=None)` appends a plot
    (its relative `height` becomes its row's stretch factor; `side` goes in column 1 of its row).
    `plots` lists the added plots; `setXRange(a, b)` sets all of them."""

    def __init__(self, parent=None, axis_width: int = LEFT_AXIS_WIDTH, xlabel: str = "position"):
        super().__init__(parent=parent)
        self.setBackground(palette.BACKGROUND_COLOR)
        self.plots: list[pg.PlotItem] = []
        self._sides: list = []
        self.axis_width = axis_width
        self.xlabel = xlabel
        self.ci.layout.setVerticalSpacing(2)
        self.ci.layout.setContentsMargins(4, 4, 8, 4)

    def add(self, plot: pg.PlotItem, height: float = 1.0, side=None) -> pg.PlotItem:
        row = len(self.plots)
        self.addItem(plot, row=row, col=0)
        if side is not None:
            self.addItem(side, row=row, col=1)
            self._sides.append(side)
        self.ci.layout.setRowStretchFactor(row, max(1, int(round(100 * height))))
        self.plots.append(plot)
        link_x(self.plots, self.axis_width)
        self._label_axes()
        return plot

    def _label_axes(self) -> None:
        for k, p in enumerate(self.plots):
            last = k == len(self.plots) - 1
            ax = p.getAxis("bottom")
            ax.setStyle(showValues=last)
            p.setLabel("bottom", self.xlabel if last else None, color=palette.TEXT_COLOR)
            if not last:
                ax.showLabel(False)

    def setXRange(self, start: float, end: float, padding: float = 0.0) -> None:
        if self.plots:
            self.plots[0].setXRange(start, end, padding=padding)

    def showAll(self) -> None:
        """Show the whole longest track (with a small margin, so the end bases clear the axes)."""
        ends = [p.getViewBox().childrenBounds()[0] for p in self.plots]
        ends = [e for e in ends if e is not None]
        if ends:
            self.setXRange(min(e[0] for e in ends), max(e[1] for e in ends), padding=0.01)


def render_image(widget, size: tuple[int, int] | None = None) -> QtGui.QImage:
    """Render `widget` (any QWidget, e.g. a TrackStack or PlotWidget) into a QImage, offscreen."""
    if size is not None:
        widget.resize(*size)
    if not widget.isVisible():
        widget.setAttribute(QtCore.Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        widget.show()
    app = QtGui.QGuiApplication.instance()
    for _ in range(3):  # let the layouts settle
        app.processEvents()
    return widget.grab().toImage()


def save_screenshot(widget, path, size: tuple[int, int] | None = None) -> Path:
    """PNG (or any QImage format, by extension) of `widget`; vector SVG when `path` ends in .svg
    (rendered through QSvgGenerator: pyqtgraph's own SVG exporter fails on curved glyph paths)."""
    path = Path(path)
    if path.suffix.lower() == ".svg":
        from PySide6.QtSvg import QSvgGenerator

        render_image(widget, size)
        gen = QSvgGenerator()
        gen.setFileName(str(path))
        gen.setSize(widget.size())
        gen.setViewBox(QtCore.QRect(0, 0, widget.width(), widget.height()))
        gen.setTitle("deemo-gui plot")
        painter = QtGui.QPainter(gen)
        try:
            widget.render(painter)
        finally:
            painter.end()
        if not path.exists() or path.stat().st_size == 0:
            raise OSError(f"could not write {path}; check the folder exists and is writable")
        return path
    img = render_image(widget, size)
    if not img.save(str(path)):
        raise OSError(f"could not write {path}; check the folder exists and the extension is an image format")
    return path
