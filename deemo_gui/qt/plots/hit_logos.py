"""Motif logos drawn where their hits are: one information-scaled logo per JASPAR/FIMO hit, on
the sequence's axis (column `j` of a hit at `start` centred on `x = start + j`), the reverse
complement for "-" hits, so the matched motif sits right above the attribution it explains.
Overlapping hits go in lanes (lane 0 on top, each lane `LANE_BITS` lower); each logo is titled
with its motif name and strand, and the hover read-out gives the hit's label and the column's
probabilities."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg

from deemo_gui import palette
from deemo_gui.qt.plots.axes import HoverInfo, TrackPlot
from deemo_gui.qt.plots.logo_item import ALPHABET, LogoItem

LANE_BITS = 3.0  # a lane's height: a 2-bit logo and its caption above
LANE_PX = 64  # pixels per lane, for sizing the plot


@dataclass
class HitLogo:
    """One hit's logo: `matrix` `(4, W)` bits (already on the hit's strand) at `start`."""

    start: int
    matrix: np.ndarray
    strand: str = "+"
    name: str = ""
    label: str = ""
    probs: np.ndarray | None = None
    lane: int = 0
    caption: str = ""  # drawn above the logo after the name and strand

    @property
    def end(self) -> int:
        return self.start + self.matrix.shape[1]


def assign_lanes(logos: list[HitLogo]) -> list[HitLogo]:
    """Greedy interval lanes: each logo in the first lane whose last logo ended before it starts."""
    ends: list[int] = []
    for h in sorted(logos, key=lambda h: (h.start, h.end)):
        lane = next((k for k, e in enumerate(ends) if e <= h.start), len(ends))
        if lane == len(ends):
            ends.append(h.end)
        else:
            ends[lane] = h.end
        h.lane = lane
    return logos


def hit_logo(pwm, start: int, strand: str = "+", label: str = "", caption: str = "") -> HitLogo:
    """The `HitLogo` of one hit of `pwm` (a `core.motifs.PWM`): its reverse complement on "-"."""
    on = pwm.reverse_complement() if strand == "-" else pwm
    bits = np.asarray(on.probs * on.information_content()[None, :], dtype=np.float64)
    return HitLogo(int(start), bits, strand, pwm.name, label, np.asarray(on.probs, dtype=np.float64), caption=caption)


class HitLogoPlot(TrackPlot):
    """Logos of motif hits on a sequence's axis (`setHits(list[HitLogo])`); `logo_items` are their
    `LogoItem`s, in the order given."""

    def __init__(self, hits=None, title: str | None = None, ylabel: str = "bits", parent=None):
        super().__init__(ylabel=ylabel, title=title, parent=parent)
        self.hits: list[HitLogo] = []
        self.logo_items: list[LogoItem] = []
        self._texts: list[pg.TextItem] = []
        self.setHits(hits or [])

    def lanes(self) -> int:
        return 1 + max((h.lane for h in self.hits), default=0)

    def preferred_px(self, title_px: int = 24, axis_px: int = 28) -> int:
        return LANE_PX * self.lanes() + title_px + axis_px

    def setHits(self, hits: list[HitLogo]) -> None:
        for it in self.logo_items + self._texts:
            self.removeItem(it)
        self.logo_items, self._texts = [], []
        self.hits = assign_lanes(list(hits))
        for h in self.hits:
            y = -h.lane * LANE_BITS
            item = LogoItem(h.matrix, x0=h.start)
            item.setPos(0, y)
            self.addItem(item)
            self.logo_items.append(item)
            caption = f"{h.name} ({'−' if h.strand == '-' else '+'})" + (f" · {h.caption}" if h.caption else "")
            text = pg.TextItem(caption, color=palette.TEXT_COLOR, anchor=(0, 0))
            text.setPos(h.start - 0.5, y + LANE_BITS)  # hangs below the lane's top, above the logo
            self.addItem(text, ignoreBounds=True)
            self._texts.append(text)
        n = self.lanes()
        self.setYRange(-(n - 1) * LANE_BITS - 0.05, LANE_BITS, padding=0)
        self.getAxis("left").setTicks([[(-k * LANE_BITS + v, f"{v:g}") for k in range(n) for v in (0, 2)], []])

    def hits_at(self, x: float, y: float | None = None) -> list[HitLogo]:
        """The hits whose logo covers data x (in the lane at data y, when given)."""
        i = int(np.floor(x + 0.5))
        lane = None if y is None else int(np.clip(np.floor((LANE_BITS - y) / LANE_BITS), 0, self.lanes() - 1))
        return [h for h in self.hits if h.start <= i < h.end and (lane is None or h.lane == lane)]

    def info_at(self, x, y):
        i = int(np.floor(x + 0.5))
        found = self.hits_at(x, y) or self.hits_at(x)
        if not found:
            return HoverInfo(index=i)
        h = found[0]
        values = {}
        if h.probs is not None:
            values = {f"p({b})": float(v) for b, v in zip(ALPHABET, h.probs[:, i - h.start])}
        return HoverInfo(index=i, values=values, extra=h.label or h.name)
