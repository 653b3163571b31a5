"""Heatmap of a signed (4, L) map -- in-silico mutagenesis (ISM) or any per-base attribution --
rows A C G T top to bottom, a diverging colormap centred at 0 and a colour bar.

ISM cell (b, i): change of the prediction when position i is mutated to base b (Zhou &
Troyanskaya 2015, DeepSEA; Alipanahi et al. 2015, DeepBind "mutation maps"); the reference base
scores 0 and is marked with a dot when the sequence is given. NaN cells (bases a model did not see)
draw as 0, get no dot and read out nothing.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from deemo_gui import palette
from deemo_gui.qt.plots.axes import HoverInfo, LetterAxis, TrackPlot, style_plot

ALPHABET = palette.ALPHABET
# Row r of the matrix (A=0 ... T=3) is drawn at y in [3 - r, 4 - r]: A on top.
ROW_CENTRES = {3.5 - r: b for r, b in enumerate(ALPHABET)}


def diverging_colormap() -> pg.ColorMap:
    """The palette's diverging map (blue - white - red) as a pyqtgraph ColorMap."""
    pos = [p for p, _ in palette.DIVERGING]
    cols = [palette.hex_to_rgb(c) for _, c in palette.DIVERGING]
    return pg.ColorMap(pos, cols)


def symmetric_levels(matrix) -> tuple[float, float]:
    """(-m, m) with m the largest |value| (1 for an all-zero map), so 0 is the middle colour."""
    m = float(np.nanmax(np.abs(matrix))) if np.size(matrix) else 0.0
    if not np.isfinite(m) or m == 0:
        m = 1.0
    return -m, m


class HeatmapPlot(TrackPlot):
    """A PlotItem with the (4, L) heatmap, rows labelled A C G T (A on top), x in sequence
    coordinates (position `i` centred on `x = i`), hover read-out of (position, base, value).

    `setData(matrix, sequence="")`; `colorbar` is a `pg.ColorBarItem` tied to the image (ticks at
    -max, 0 and +max, labelled `value_label`): place it yourself (e.g. the side column of a
    `TrackStack`), or pass `colorbar="right"` to put it in the plot's own layout (fine for a lone
    heatmap; in a stack it would narrow the view box). Hover: position, reference base and
    e.g. "C→T Δ score -0.4" (without a sequence: the row's base and the value).
    """

    def __init__(
        self,
        matrix=None,
        sequence: str = "",
        title: str | None = None,
        ylabel: str = "",
        value_label: str = "Δ score",
        colorbar: str | None = None,
        parent=None,
    ):
        super().__init__(ylabel=ylabel, title=title, left_axis=LetterAxis(ROW_CENTRES), parent=parent)
        self.value_label = value_label
        self.image = pg.ImageItem(axisOrder="row-major")
        self.addItem(self.image)
        self._refs = pg.ScatterPlotItem(size=4, pen=None, brush=pg.mkBrush(palette.TEXT_COLOR))
        self.addItem(self._refs)
        self._matrix = np.zeros((4, 0))
        self._seq = ""
        self.cmap = diverging_colormap()
        self.colorbar = pg.ColorBarItem(
            values=(-1, 1), colorMap=self.cmap, interactive=False, width=12, pen=palette.AXIS_COLOR
        )
        style_plot(self.colorbar)
        self.colorbar.getAxis("right").enableAutoSIPrefix(False)  # 0.4, not "400 (x0.001)"
        self.colorbar.getAxis("right").setLabel(value_label, color=palette.TEXT_COLOR)
        self.colorbar.setImageItem(self.image, insert_in=self if colorbar == "right" else None)
        if matrix is not None:
            self.setData(matrix, sequence)

    def setData(self, matrix, sequence: str = "") -> None:
        m = np.asarray(matrix, dtype=np.float64)
        if m.ndim != 2 or m.shape[0] != 4:
            raise ValueError(f"heatmap needs a (4, L) matrix with rows A C G T, got shape {m.shape}")
        self._matrix = m
        self._seq = str(sequence or "").upper()
        L = m.shape[1]
        lo, hi = symmetric_levels(m)
        # row-major image: row 0 is drawn at the bottom, so flip to put A on top
        self.image.setImage(
            np.ascontiguousarray(np.nan_to_num(m[::-1], nan=0.0)),
            levels=(lo, hi),
            lut=self.cmap.getLookupTable(nPts=256),
            autoLevels=False,
        )
        self.image.setRect(QtCore.QRectF(-0.5, 0.0, float(L), 4.0))
        self.colorbar.setLevels((lo, hi))
        self.colorbar.getAxis("right").setTicks([[(lo, f"{lo:.2g}"), (0.0, "0"), (hi, f"{hi:.2g}")], []])
        xs, ys = [], []
        seen = np.asarray(~np.isnan(m).all(axis=0))  # columns a model did not see (outside its window) get no dot
        for i, b in enumerate(self._seq[:L]):
            k = ALPHABET.find(b)
            if k >= 0 and seen[i]:
                xs.append(float(i))
                ys.append(3.5 - k)
        self._refs.setData(xs, ys)
        self.setYRange(0, 4, padding=0)
        if L:
            self.setXRange(-0.5, L - 0.5, padding=0.01)

    def matrix(self) -> np.ndarray:
        return self._matrix

    def cell_at(self, x: float, y: float) -> tuple[int, int] | None:
        """(row, column) of the matrix under data (x, y), or None outside."""
        i = int(np.floor(x + 0.5))
        r = 3 - int(np.floor(y))
        if 0 <= i < self._matrix.shape[1] and 0 <= r < 4 and 0 <= y < 4:
            return r, i
        return None

    def info_at(self, x, y):
        cell = self.cell_at(x, y)
        if cell is None:
            return None
        r, i = cell
        value = float(self._matrix[r, i])
        if np.isnan(value):
            return None
        ref = self._seq[i] if i < len(self._seq) else ""
        if ref:
            return HoverInfo(index=i, base=ref, values={f"{ref}→{ALPHABET[r]} {self.value_label}": value})
        return HoverInfo(index=i, base=ALPHABET[r], values={self.value_label: value})


def heatmap_widget(
    matrix, sequence: str = "", title: str | None = None, value_label: str = "Δ score", parent=None
) -> pg.GraphicsLayoutWidget:
    """A lone ISM heatmap with its colour bar, white background; `widget.heatmap` is the plot."""
    w = pg.GraphicsLayoutWidget(parent=parent)
    w.setBackground(palette.BACKGROUND_COLOR)
    plot = HeatmapPlot(matrix, sequence, title=title, value_label=value_label)
    plot.setLabel("bottom", "position", color=palette.TEXT_COLOR)
    w.addItem(plot, row=0, col=0)
    w.addItem(plot.colorbar, row=0, col=1)
    w.heatmap = plot
    return w
