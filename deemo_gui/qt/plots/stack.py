"""Stacks of X-linked tracks in one canvas, and PNG/SVG/PDF pictures of them.

A `TrackStack` puts plots in one column of a GraphicsLayout -- so every view box has the same
width and left edge -- links their X ranges, gives their left axes one width, and keeps a second
narrow column for side items (the ISM heatmap's colour bar). Only the bottom track shows
position tick labels by default (`all_ticks=True`: every track, for stacks taller than their
scroll area); the bottom track carries the x label. Rows not aligned to the sequence (a header
with the known motifs, say) go in with `add_row`.

Heights: relative (`height`, the row's stretch factor: the stack fills its widget) or fixed
(`px`: when every row is fixed the widget is exactly as tall as its rows, for a scroll area;
the bottom track gets `XLABEL_PX` more for the x label).
"""

from __future__ import annotations

import os
from pathlib import Path

import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from deemo_gui import palette
from deemo_gui.qt.plots.axes import AXIS_PX, LEFT_AXIS_WIDTH, TITLE_PX, XLABEL_PX, link_x

QWIDGETSIZE_MAX = 16777215


def fix_height(item, px: float) -> None:
    """Pin a QGraphicsWidget (a plot, a layout, a colour bar) to `px` pixels tall."""
    item.setMinimumHeight(px)
    item.setMaximumHeight(px)
    item.setPreferredHeight(px)


class TrackStack(pg.GraphicsLayoutWidget):
    """Tracks stacked top to bottom, X-linked. `add(plot, height=1.0, side=None, px=None)`
    appends a plot (its relative `height` becomes its row's stretch factor, or `px` fixes it;
    `side` goes in column 1 of its row, level with the plot's view box). `add_row(item, px)`
    appends a full-width row that is not linked (a new GraphicsLayout when `item` is None).
    `plots` lists the linked plots; `setXRange(a, b)` sets all of them, `setXExtent(n)` shows
    positions 1..n. `export(path)` writes the whole stack as PNG, SVG or PDF; `clear()` empties it."""

    def __init__(
        self, parent=None, axis_width: int = LEFT_AXIS_WIDTH, xlabel: str = "position", all_ticks: bool = False
    ):
        super().__init__(parent=parent)
        self.clear = self._clear  # GraphicsLayoutWidget binds clear() to its layout's, per instance
        self.setBackground(palette.BACKGROUND_COLOR)
        self.plots: list[pg.PlotItem] = []
        self._rows: list[tuple[object, float | None, object]] = []  # (item, fixed px or None, side)
        self.axis_width = axis_width
        self.xlabel = xlabel
        self.all_ticks = all_ticks
        self.ci.layout.setVerticalSpacing(2)
        self.ci.layout.setContentsMargins(4, 4, 8, 4)

    def add(self, plot: pg.PlotItem, height: float = 1.0, side=None, px: float | None = None) -> pg.PlotItem:
        row = len(self._rows)
        self.addItem(plot, row=row, col=0)
        if side is not None:
            self.addItem(side, row=row, col=1)
            _level_with(side, plot)
        self.ci.layout.setRowStretchFactor(row, max(1, int(round(100 * height))))
        self.plots.append(plot)
        self._rows.append((plot, px, side))
        link_x(self.plots, self.axis_width)
        self._label_axes()
        self._fit()
        return plot

    def add_row(self, item=None, px: float | None = None, height: float = 1.0):
        """A full-width row that is not X-linked (returns `item`, or a new GraphicsLayout)."""
        row = len(self._rows)
        if item is None:
            item = pg.GraphicsLayout()
            item.setContentsMargins(0, 0, 0, 0)  # its items get the row's whole height
        self.ci.addItem(item, row=row, col=0, colspan=2)
        self.ci.layout.setRowStretchFactor(row, max(1, int(round(100 * height))))
        self._rows.append((item, px, None))
        self._fit()
        return item

    def _clear(self) -> None:
        self.ci.clear()
        self.plots, self._rows = [], []
        self._fit()

    def _label_axes(self) -> None:
        for k, p in enumerate(self.plots):
            last = k == len(self.plots) - 1
            ax = p.getAxis("bottom")
            ax.setStyle(showValues=last or self.all_ticks)
            p.setLabel("bottom", self.xlabel if last else None, color=palette.TEXT_COLOR)
            if not last:
                ax.showLabel(False)

    def _fit(self) -> None:
        """Fixed rows keep their heights (the bottom track's x label on top); when all rows are
        fixed, the widget is exactly as tall as they are (extra room stays below, not between)."""
        last = self.plots[-1] if self.plots else None
        total = 0.0
        for item, px, side in self._rows:
            if px is None:
                continue
            px += XLABEL_PX if item is last else 0
            for it in (item, side):
                if it is not None:
                    fix_height(it, px)
            total += px
        if self._rows and all(px is not None for _, px, _ in self._rows):
            _, top, _, bottom = self.ci.layout.getContentsMargins()
            total += self.ci.layout.verticalSpacing() * (len(self._rows) - 1) + top + bottom
            self.setMinimumHeight(int(total))
            self.setMaximumHeight(int(total))
        else:
            self.setMinimumHeight(0)
            self.setMaximumHeight(QWIDGETSIZE_MAX)

    def setXRange(self, start: float, end: float, padding: float = 0.0) -> None:
        if self.plots:
            self.plots[0].setXRange(start, end, padding=padding)

    def setXExtent(self, n: int) -> None:
        """Show positions 1..n in every track, and stop panning far past either end."""
        for p in self.plots:
            if hasattr(p, "setXExtent"):
                p.setXExtent(n)

    def export(self, path, scale: float = 2.0, title: str | None = None) -> str:
        """Write the whole stack (also what is scrolled out of view) to .png, .svg or .pdf, with
        `title` (model, sequence, method) as a line above it."""
        return export_scene(self, path, scale, title=title)


def _level_with(side, plot) -> None:
    """Margins that put a side item (a colour bar) level with `plot`'s view box, not its title."""
    layout = getattr(side, "layout", None)
    if layout is not None and hasattr(layout, "setContentsMargins"):
        top = TITLE_PX - 4 if plot.titleLabel.isVisible() else 0
        layout.setContentsMargins(0, top, 0, AXIS_PX - 4)


def render_image(widget, size: tuple[int, int] | None = None) -> QtGui.QImage:
    """Render `widget` (any QWidget, e.g. a TrackStack or PlotWidget) into a QImage, offscreen."""
    if size is not None:
        widget.resize(*size)
    if not widget.isVisible():
        widget.setAttribute(QtCore.Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        widget.show()
    for _ in range(3):  # let the layouts settle
        QtGui.QGuiApplication.processEvents()
    return widget.grab().toImage()


def save_screenshot(widget, path, size: tuple[int, int] | None = None) -> Path:
    """PNG (or any QImage format, by extension) of `widget` as it shows on screen; vector SVG or
    PDF of a GraphicsView (a TrackStack, a PlotWidget) when `path` ends in .svg or .pdf (see
    `export_scene`; pyqtgraph's own SVG exporter fails on curved glyph paths)."""
    from deemo_gui.core.atomic import atomic_path

    path = Path(path)
    img = render_image(widget, size)
    if path.suffix.lower() in (".svg", ".pdf"):
        return Path(export_scene(widget, path, scale=1.0))
    with atomic_path(path) as tmp:  # the temporary name has no image extension: the format is named
        fmt = path.suffix.lstrip(".").upper() or None
        if not img.save(tmp, fmt):  # type: ignore[arg-type]  # PySide6 takes the format as str; its stub says bytes
            raise OSError(f"could not write {path}; check the folder exists and the extension is an image format")
    return path


def export_scene(widget, path, scale: float = 2.0, title: str | None = None) -> str:
    """Write what `widget` (a GraphicsView) shows to `path`: .png (at `scale` x the screen size),
    .svg (vector) or .pdf (vector, one page the size of the view). A GraphicsLayoutWidget is
    written whole, also the part scrolled out of view. `title`: a bold line above the figure (and
    the SVG's title). Returns the path."""
    from PySide6.QtCore import QMarginsF, QPointF, QRectF, QSize, QSizeF
    from PySide6.QtGui import QColor, QImage, QPageLayout, QPageSize, QPainter, QPdfWriter
    from PySide6.QtSvg import QSvgGenerator

    from deemo_gui.core.atomic import atomic_path
    from deemo_gui.core.errors import DeemoError

    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower()
    if ext not in (".png", ".svg", ".pdf"):
        raise DeemoError(f"{path}: export as .png, .svg or .pdf (the file name's extension chooses)")
    scene = widget.scene()
    if hasattr(widget, "ci"):  # the whole layout, also the part scrolled out of view
        source = widget.ci.sceneBoundingRect()
    else:
        source = widget.mapToScene(widget.viewport().rect()).boundingRect()
    if source.isEmpty():
        source = QRectF(0, 0, max(1.0, widget.width()), max(1.0, widget.height()))
    w, h = source.width(), source.height()
    title_h = 0.0
    if title:
        from PySide6.QtGui import QFont, QFontMetricsF

        font = QFont(widget.font())
        font.setBold(True)
        font.setPixelSize(14)
        wrap = int(
            QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter | QtCore.Qt.TextFlag.TextWordWrap
        )
        title_h = QFontMetricsF(font).boundingRect(QRectF(0, 0, w - 20, 1e6), wrap, title).height() + 12
        h += title_h

    def render(painter, target):
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
        if title_h:
            k = target.height() / h  # a PDF page is in its own units
            painter.save()
            painter.scale(k, k)
            painter.setFont(font)
            painter.setPen(QColor("#222222"))
            painter.drawText(QRectF(10, 4, w - 20, title_h - 4), wrap, title)
            painter.restore()
            target = QRectF(target.x(), target.y() + title_h * k, target.width(), target.height() - title_h * k)
        scene.render(painter, target, source)

    with atomic_path(path) as tmp:  # a kill or an error leaves the previous file, no half-written one
        if ext == ".png":
            image = QImage(int(w * scale), int(h * scale), QImage.Format.Format_ARGB32)
            # High-DPI rendering: items paint at the screen's scale (a sequence track picks its letters
            # as on screen and in the SVG), the image just has `scale` x the pixels.
            image.setDevicePixelRatio(scale)
            image.fill(QColor(palette.BACKGROUND_COLOR))
            painter = QPainter(image)
            try:  # a painter must end before its device goes, also when drawing fails
                render(painter, QRectF(0, 0, w, h))
            finally:
                painter.end()
            if not image.save(tmp, "PNG"):  # type: ignore[call-overload]  # str, as for the PNG above
                raise DeemoError(f"{path}: could not write the PNG (folder missing or not writable?)")
        elif ext == ".svg":
            gen = QSvgGenerator()
            gen.setFileName(tmp)
            # The view's DPI: pyqtgraph caches axes as QPictures, which replay scaled by the target's
            # DPI over the screen's (the generator's default 72 dpi shrank the axes to 3/4).
            gen.setResolution(int(widget.logicalDpiX()) or 96)
            gen.setSize(QSize(int(w), int(h)))
            gen.setViewBox(QRectF(0, 0, w, h))
            gen.setTitle(title or "deemo-gui plot")
            painter = QPainter()
            if not painter.begin(gen):
                raise DeemoError(f"{path}: could not write the SVG (folder missing or not writable?)")
            try:
                painter.fillRect(QRectF(0, 0, w, h), QColor(palette.BACKGROUND_COLOR))
                render(painter, QRectF(0, 0, w, h))
            finally:
                painter.end()
            del painter, gen  # closes the file (Windows cannot rename an open one)
        elif ext == ".pdf":
            writer = QPdfWriter(tmp)
            writer.setResolution(int(widget.logicalDpiX()) or 96)  # as for SVG: QPictures replay at the view's DPI
            writer.setPageLayout(
                QPageLayout(
                    QPageSize(QSizeF(w * 72 / 96, h * 72 / 96), QPageSize.Unit.Point),
                    QPageLayout.Orientation.Portrait,
                    QMarginsF(0, 0, 0, 0),
                )
            )
            painter = QPainter()
            if not painter.begin(writer):
                raise DeemoError(f"{path}: could not write the PDF (folder missing or not writable?)")
            try:
                page = writer.pageLayout().paintRectPixels(writer.resolution())
                render(painter, QRectF(QPointF(0, 0), QSizeF(page.width(), page.height())))
            finally:
                painter.end()
            del painter, writer  # the PDF is complete on disk once its writer is gone
        if os.path.getsize(tmp) == 0:
            raise DeemoError(f"{path}: nothing was written (folder missing or not writable?)")
    return path
