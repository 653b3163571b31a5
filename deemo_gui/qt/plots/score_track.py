"""Per-position score tracks aligned to sequence coordinates: bars (saliency magnitude) and curves
(temporal output scores), with a labelled y axis, an optional guide line, a legend and a hover
read-out of position, base and values.

`saliency_plot` and `temporal_plot` build the two tracks of the Deep Motif Dashboard (Lanchantin
et al. 2017, Fig. 2): saliency per position, and the forward / backward temporal output scores
(0..1, a guide at 0.5: above it the model leans "bound").
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from deemo_gui import palette
from deemo_gui.qt.plots.axes import HoverInfo, TrackPlot, pen

BAR_WIDTH = 0.8  # bars leave a small gap so neighbouring bases stay distinct


def _as_track(values, name: str) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1:
        raise ValueError(f"{name}: expected one value per position (shape (L,)), got shape {v.shape}")
    return v


def base_brushes(sequence: str, n: int, default: str = palette.SALIENCY_COLOR) -> list:
    """One brush per position: the base's colour, or `default` past the sequence's end."""
    cache = {}
    out = []
    for i in range(n):
        c = palette.nucleotide_color(sequence[i]) if i < len(sequence) else default
        if c not in cache:
            cache[c] = pg.mkBrush(c)
        out.append(cache[c])
    return out


class ScorePlot(TrackPlot):
    """A track of per-position scores. Position `i` is centred on `x = i`.

    - `setSequence(seq)`: bases for the read-out (and bar colours, see `setBars`).
    - `setBars(values, name="saliency", color=None)`: one bar per position from 0; coloured by
      the base when a sequence is set and `color` is None, else `color`. `bars`: the item.
    - `addCurve(values, name, color)`: a line; returns the PlotDataItem;
      `curves` (PlotItem's list): the items, in the order added.
    - `setGuide(y, dashed=True)`: horizontal guide (None removes it).
    - `sigHover(HoverInfo | None)`; `info_at(x, y)`.

    NaN values (positions a model did not see) draw nothing and read out nothing.
    """

    def __init__(
        self,
        ylabel: str = "",
        title: str | None = None,
        sequence: str = "",
        yrange: tuple[float, float] | None = None,
        legend: bool = False,
        parent=None,
    ):
        super().__init__(ylabel=ylabel, title=title, parent=parent)
        self._seq = str(sequence or "").upper()
        self._bars: pg.BarGraphItem | None = None
        self._bar_values: np.ndarray | None = None
        self._bar_name = ""
        self._bar_color: str | None = None
        self._curves: list[tuple[str, np.ndarray, pg.PlotDataItem]] = []
        self._guide: pg.InfiniteLine | None = None
        self._yrange = yrange
        self.legend = None
        if legend:
            self.legend = self.addLegend(
                offset=(-6, 4),
                labelTextColor=palette.TEXT_COLOR,
                brush=pg.mkBrush(255, 255, 255, 150),
                pen=pg.mkPen("#CCCCCC"),
                colCount=4,
            )
        self.showGrid(x=False, y=True, alpha=0.15)
        if yrange is not None:
            self.setYRange(*yrange, padding=0)

    # -- data ----------------------------------------------------------------------------------

    def setSequence(self, sequence: str) -> None:
        self._seq = str(sequence or "").upper()
        if self._bar_values is not None:
            self.setBars(self._bar_values, self._bar_name, self._bar_color)

    @property
    def bars(self) -> pg.BarGraphItem | None:
        return self._bars

    def setBars(
        self, values, name: str = "saliency", color: str | None = None, width: float = BAR_WIDTH
    ) -> pg.BarGraphItem:
        v = _as_track(values, name)
        self._bar_values, self._bar_name, self._bar_color = v, name, color
        x = np.arange(len(v), dtype=np.float64)
        if color is None and self._seq:
            brushes = base_brushes(self._seq, len(v))
        else:
            brushes = [pg.mkBrush(color or palette.SALIENCY_COLOR)] * len(v)
        if self._bars is not None:
            self.removeItem(self._bars)
        self._bars = pg.BarGraphItem(x=x, height=np.nan_to_num(v, nan=0.0), width=width, brushes=brushes, pen=None)
        self.addItem(self._bars)
        self._autorange()
        return self._bars

    def addCurve(self, values, name: str, color: str, width: float = 2.0) -> pg.PlotDataItem:
        v = _as_track(values, name)
        item = self.plot(
            np.arange(len(v), dtype=np.float64), v, pen=pen(color, width), name=name, antialias=True, connect="finite"
        )
        self._curves.append((name, v, item))
        self._autorange()
        return item

    def setGuide(self, y: float | None, label: str | None = None, dashed: bool = True) -> None:
        if self._guide is not None:
            self.removeItem(self._guide)
            self._guide = None
        if y is None:
            return
        self._guide = pg.InfiniteLine(
            pos=y,
            angle=0,
            movable=False,
            pen=pen(palette.GUIDE_COLOR, 1.0, QtCore.Qt.PenStyle.DashLine if dashed else None),
            label=label,
            labelOpts={"position": 0.02, "color": palette.GUIDE_COLOR},
        )
        self._guide.setZValue(-10)
        self.addItem(self._guide, ignoreBounds=True)

    def values_at(self, index: int) -> dict[str, float]:
        out = {}
        if self._bar_values is not None and 0 <= index < len(self._bar_values):
            out[self._bar_name] = float(self._bar_values[index])
        for name, v, _ in self._curves:
            if 0 <= index < len(v):
                out[name] = float(v[index])
        return {k: x for k, x in out.items() if not np.isnan(x)}

    def length(self) -> int:
        n = [len(self._bar_values)] if self._bar_values is not None else []
        n += [len(v) for _, v, _ in self._curves]
        return max(n, default=len(self._seq))

    def _autorange(self) -> None:
        L = self.length()
        if L:
            self.setXRange(-0.5, L - 0.5, padding=0.01)
        if self._yrange is not None:
            self.setYRange(*self._yrange, padding=0)
            return
        vals = [v for v in ([self._bar_values] if self._bar_values is not None else [])]
        vals += [v for _, v, _ in self._curves]
        if vals:
            allv = np.concatenate(vals)
            allv = allv[np.isfinite(allv)]
            lo, hi = min(0.0, float(allv.min(initial=0.0))), max(0.0, float(allv.max(initial=0.0)))
            if hi == lo:
                hi = lo + 1.0
            pad = 0.06 * (hi - lo)  # room for the top tick label, which pyqtgraph drops at the edge
            self.setYRange(lo - (pad if lo < 0 else 0.0), hi + pad, padding=0)  # bars stand on the axis

    def info_at(self, x, y):
        i = int(np.floor(x + 0.5))
        if not 0 <= i < self.length():
            return None
        base = self._seq[i] if i < len(self._seq) else ""
        values = self.values_at(i)
        if not values and (self._bar_values is not None or self._curves):
            return None  # no value here (NaN: a base the model did not see)
        return HoverInfo(index=i, base=base, values=values)


# The temporal curves' colour key, for a title (one line) when the plot has no legend box.
TEMPORAL_LEGEND = (
    f"<span style='color:{palette.FORWARD_COLOR}'>━━ forward</span> &nbsp;"
    f"<span style='color:{palette.BACKWARD_COLOR}'>━━ backward</span>"
)


def saliency_plot(
    values,
    sequence: str = "",
    ylabel: str = "saliency",
    title: str | None = None,
    color: str | None = None,
    name: str | None = None,
    signed: bool = False,
) -> ScorePlot:
    """Saliency per position as bars, coloured by base when `sequence` is given; `name` labels the
    value in the hover read-out (default: `ylabel`); `signed` adds a solid zero line."""
    plot = ScorePlot(ylabel=ylabel, title=title, sequence=sequence)
    plot.setBars(values, name=name or ylabel, color=color)
    if signed:
        plot.setGuide(0.0, dashed=False)
    return plot


def temporal_plot(
    forward, backward=None, sequence: str = "", ylabel: str = "score", title: str | None = None, legend: bool = True
) -> ScorePlot:
    """Forward (and backward) temporal output scores, y fixed to 0..1 with a 0.5 guide. With
    `legend=False` put `TEMPORAL_LEGEND` in the title instead (no box over the curves)."""
    plot = ScorePlot(ylabel=ylabel, title=title, sequence=sequence, yrange=(-0.1, 1.1), legend=legend)
    plot.setGuide(0.5)
    plot.addCurve(forward, "forward", palette.FORWARD_COLOR)
    if backward is not None:
        plot.addCurve(backward, "backward", palette.BACKWARD_COLOR)
    plot.getAxis("left").setTicks([[(0.0, "0"), (0.5, "0.5"), (1.0, "1")], []])
    return plot
