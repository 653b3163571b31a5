"""The window-scan track of a sequence longer than a model's input (`core.windows`).

One point per window: P(task) of the window, drawn at the window's centre (between centres of a
stride > 1 scan the line is interpolated). The window the panels explain is shaded and the best
window marked; a click on the track asks to explain the window centred there (`sigPicked`).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from deemo_gui import palette
from deemo_gui.qt.plots.axes import pen
from deemo_gui.qt.plots.score_track import ScorePlot


def scan_track(scan, task: int = 0) -> np.ndarray:
    """`(n,)` the scan's scores per position (at window centres, interpolated between; NaN
    outside the first and last centre)."""
    x = np.arange(scan.n, dtype=np.float64)
    centres = scan.centres
    out = np.interp(x, centres, scan.probs[:, task].astype(np.float64))
    out[(x < centres[0] - 0.5) | (x > centres[-1] + 0.5)] = np.nan
    return out


class WindowScanPlot(ScorePlot):
    """P(task) of every window along the sequence; see the module docstring."""

    sigPicked = QtCore.Signal(int)  # the start of the window centred at the clicked base

    def __init__(
        self,
        scan,
        task: int = 0,
        explained: tuple[int, int] | None = None,
        title: str | None = None,
        sequence: str = "",
        parent=None,
    ):
        super().__init__(ylabel="P(window)", title=title, sequence=sequence, yrange=(-0.05, 1.08))
        self.scan = scan
        self.addCurve(scan_track(scan, task), "P(window)", palette.WINDOW_COLOR)
        self.setGuide(0.5)
        self.getAxis("left").setTicks([[(0.0, "0"), (0.5, "0.5"), (1.0, "1")], []])
        best = scan.best(task)
        self.best_marker = pg.ScatterPlotItem(
            x=[float(scan.centres[best])],
            y=[float(scan.probs[best, task])],
            symbol="t",
            size=11,
            brush=pg.mkBrush(palette.WINDOW_COLOR),
            pen=pen("#FFFFFF", 1),
        )
        self.addItem(self.best_marker)
        self.region = None
        if explained is not None:
            color = pg.mkColor(palette.WINDOW_COLOR)
            color.setAlphaF(0.15)
            self.region = pg.LinearRegionItem(
                values=(explained[0] - 0.5, explained[1] - 0.5),
                movable=False,
                brush=pg.mkBrush(color),
                pen=pen(palette.WINDOW_COLOR, 1),
            )
            self.region.setZValue(-20)
            self.addItem(self.region, ignoreBounds=True)
        self.vb.mouseClickEvent = self._clicked

    def _clicked(self, ev) -> None:
        if ev.button() != QtCore.Qt.MouseButton.LeftButton:
            return
        ev.accept()
        x = self.vb.mapSceneToView(ev.scenePos()).x()
        self.sigPicked.emit(self.start_centred_at(x))

    def start_centred_at(self, x: float) -> int:
        """The valid window start nearest to a window centred at position `x`."""
        from deemo_gui.core.windows import clamp_start

        return clamp_start(round(x - (self.scan.length - 1) / 2.0), self.scan.n, self.scan.length)
