"""The Dashboard panel: the Deep Motif Dashboard's Figure 2 for the current sequence.

Lanchantin, Singh, Wang & Qi 2017 (PSB 22:254), Figure 2, one column per selected model:

- the known motif of the model's transcription factor (its JASPAR matrix, information-scaled logo);
- the class-optimized logo of each model (sec. 3.3; computed once per model in a worker and cached);
- the sequence with its JASPAR hits boxed (FIMO p < 1e-4, both strands);
- one saliency track per model (|gradient x input| of the logit, sec. 3.1), titled with its P(bound);
- forward and backward temporal output scores per recurrent model (sec. 3.2).

The sequence-aligned tracks share one x axis (sequence position). File ▸ Export (the Export…
button) writes the whole dashboard as PNG, SVG or PDF.

This module also holds what the three analysis panels (Dashboard, Saliency, Temporal) share: the
`AnalysisPanel` base (debounced recomputation in a worker, stale results discarded, cancel) and the
track builders. pyqtgraph is imported inside functions, so importing this module stays light.
"""
from __future__ import annotations

import logging
import os

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, QTimer
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from deemo_gui import palette
from deemo_gui.qt.workers import Worker, observe
from deemo_gui.viewer import analysis as A

log = logging.getLogger(__name__)

ALPHABET = palette.ALPHABET
EXPORT_FILTER = "PNG image (*.png);;SVG vector image (*.svg);;PDF document (*.pdf)"
# Track heights (px) in the panels' stacked layouts.
SEQUENCE_HEIGHT = 84
SCORE_HEIGHT = 112
LOGO_HEIGHT = 150
HEATMAP_HEIGHT = 104
LEFT_AXIS_PX = 80   # a logo plot's left axis and margins, for sizing it by its columns
TITLE_PX = 30       # pyqtgraph's title row
AXIS_PX = 28        # a bottom axis with tick labels
LETTER_PX = 24      # sequence letters' height
HIT_LABEL_PX = 15   # one row of hit labels


# =============================================================================================
# The shared panel base


class AnalysisPanel(QWidget):
    """Recomputes its analysis of the current sequence when the sequence, its text or the model
    selection changes: debounced, in one worker at a time (progress and Cancel in the status bar),
    reading and filling `viewer.results`. Results for an older sequence text are discarded.

    Subclasses set `methods` (see `deemo_gui.viewer.analysis.METHODS`), may extend `compute` (runs
    in the worker, no Qt) and implement `draw(seq, result)` and `draw_message(text)`.
    """

    title = "Analysis"
    methods: tuple[str, ...] = A.DASHBOARD_METHODS
    job_name = "Analysing the sequence"
    DEBOUNCE_MS = 150   # edits typed in quick succession start one job

    def __init__(self, viewer, window, parent=None):
        super().__init__(parent)
        self.viewer, self.window_ = viewer, window
        self.worker: Worker | None = None
        self.result: dict | None = None
        self.shown_key: tuple | None = None
        self.state = "idle"        # idle | computing | ready | cancelled | error | empty
        self.last_error: BaseException | None = None
        self._pending = False
        self._dirty = True
        self._stale_cancel = False
        self.timer = QTimer(self, singleShot=True, interval=self.DEBOUNCE_MS)
        self.timer.timeout.connect(self.refresh)

        self.status = QLabel()
        self.status.setTextFormat(Qt.TextFormat.RichText)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status.setWordWrap(True)  # long messages wrap instead of widening the window
        self.status.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.recompute_button = QPushButton("Recompute")
        self.recompute_button.setToolTip("Compute again for the current sequence and selected models")
        self.recompute_button.clicked.connect(lambda: self.refresh())
        self.header = QHBoxLayout()
        self.header.setContentsMargins(6, 4, 6, 0)
        self.header.addWidget(self.status, 1)

        ev = viewer.events
        observe(ev.current_changed, self, lambda _i: self.schedule(immediate=True))
        observe(ev.sequence_edited, self, lambda _s: self.schedule())
        observe(ev.models_changed, self, lambda: self.schedule(immediate=True))
        observe(ev.device_changed, self, lambda _d: self.schedule(immediate=True))

    # -- what to compute -------------------------------------------------------------------------
    def models(self) -> list:
        return list(self.viewer.selected_models)

    def request_key(self) -> tuple:
        """Everything the shown result depends on; a result for another key is stale."""
        return (self.viewer.current_sequence, tuple(m.name for m in self.models()), self.device_key())

    def device_key(self) -> str:
        return getattr(self.viewer, "device", "auto")

    def methods_for(self, entry) -> tuple[str, ...]:
        return self.methods

    def compute(self, seq: str, entries: list):
        """Generator run in the worker: yields `(done, total, text)`, returns the result dict
        `{"models": {name: analyze_sequence(...)}}` (subclasses add their own keys)."""
        out: dict = {"models": {}, "errors": {}}
        plans = [(e, self.methods_for(e)) for e in entries]
        total = sum(len(A._order(m)) for _, m in plans) or 1
        done = 0
        for entry, methods in plans:
            try:
                with A.module_lock(entry):
                    pass  # loads the network (lazy entries) and its analysis copy
                gen = A.iter_analyze(entry, seq, methods, cache=self.viewer.results)
                while True:
                    try:
                        with A.module_lock(entry):
                            k, _n, method = next(gen)
                    except StopIteration as stop:
                        out["models"][entry.name] = stop.value
                        break
                    yield done + k, total, f"{entry.name}: {A.METHOD_LABELS.get(method, method)}"
            except Exception as exc:  # one model failing leaves the others on screen
                from deemo_gui.qt.errors import user_message

                log.warning("%s: analysis of %s failed", self.title, entry.name, exc_info=exc)
                out["errors"][entry.name] = user_message(exc, entry.name)
            done += len(A._order(methods))
        return out

    def cached_result(self, seq: str, entries: list) -> dict | None:
        """The result from `viewer.results` alone, or None if anything is missing (no torch work)."""
        out: dict = {"models": {}}
        for e in entries:
            r = A.cached_analysis(e, seq, self.methods_for(e), self.viewer.results)
            if r is None:
                return None
            out["models"][e.name] = r
        return out

    # -- scheduling ------------------------------------------------------------------------------
    def _showing(self) -> bool:
        return self.isVisible()

    def schedule(self, immediate: bool = False) -> None:
        if not self._showing():
            self._dirty = True   # recomputed when the tab is shown
            return
        self.timer.start(0 if immediate else self.DEBOUNCE_MS)

    def shown(self) -> None:
        """The window calls this when the tab becomes current."""
        if self._rendering_offscreen():
            # Headless rendering (deemo-gui --screenshot, viewer.screenshot()): nothing waits for a
            # worker, so the tab that is current when the window is rendered computes synchronously.
            # Deferred to the event loop: `show_panel` first builds tab 0, then switches tabs.
            QTimer.singleShot(0, self._refresh_if_rendered)
        elif self._dirty or self.shown_key != self.request_key():
            self.timer.start(0)  # the tab is about to be visible (isVisible() is still False here)

    def _rendering_offscreen(self) -> bool:
        w = self.window_
        if w is None:
            return not self.isVisible()
        return not w.isVisible() or w.testAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)

    def _refresh_if_rendered(self) -> None:
        import shiboken6

        if not shiboken6.isValid(self):
            return
        if not self._rendering_offscreen():
            if self.isVisible() and (self._dirty or self.shown_key != self.request_key()):
                self.timer.start(0)
            return
        if self.window_ is None or self.isVisibleTo(self.window_):
            if self.shown_key != self.request_key() or self.state != "ready":
                self.refresh(sync=True)
        else:
            self._dirty = True   # another tab is the one being rendered

    def refresh(self, sync: bool = False) -> Worker | None:
        """Compute (or take from the cache) and draw for the current state; returns the worker if one started."""
        self._dirty = False
        self.timer.stop()
        seq, entries = self.viewer.current_sequence, self.models()
        key = self.request_key()
        message = self.empty_message(seq, entries)
        if message:
            self._show_empty(message, key)
            return None
        cached = self.cached_result(seq, entries)
        if cached is not None:
            self._accept(key, seq, cached)
            self.after_refresh(seq, entries, sync)
            return None
        if sync:
            from deemo_gui.qt.workers import set_torch_threads

            set_torch_threads(1)  # as the workers do: a busy machine makes 2+ threads far slower
            try:
                result = A.drain(self.compute(seq, entries))
                self._accept(key, seq, result)
                self.after_refresh(seq, entries, sync)
            except Exception as exc:
                self._failed(exc)
            finally:
                set_torch_threads(None)
            return None
        if self.worker is not None and self.worker.is_running():
            self._pending = True
            if self.worker.request_key != key and not self.worker.cancelled:
                self._stale_cancel = True
                self.worker.cancel()   # its finished methods stay cached
            return None
        self.state = "computing"
        self.set_status(f"Computing for {len(entries)} model{'s' if len(entries) != 1 else ''}… "
                        "(progress and Cancel in the status bar)")
        worker = Worker(self.compute, seq, entries, name=f"{self.job_name} ({self.title})",
                        progress=lambda p: p, torch_threads=1)
        worker.request_key = key
        worker.returned.connect(lambda result, k=key, s=seq: self._accept(k, s, result))
        worker.aborted.connect(self._aborted)
        worker.errored.connect(self._failed)
        worker.finished.connect(self._finished)
        self.worker = worker
        self.after_refresh(seq, entries, sync)
        if self.window_ is not None and hasattr(self.window_, "jobs"):
            self.window_.jobs.start(worker, report_errors=False, context=f"{self.title} panel")
        else:
            worker.start()
        return worker

    def after_refresh(self, seq: str, entries: list, sync: bool) -> None:
        """Hook: start per-model side jobs (the Dashboard's class optimization)."""

    def _accept(self, key: tuple, seq: str, result: dict) -> None:
        if key != self.request_key():
            self._pending = True   # stale: the sequence or the selection changed meanwhile
            return
        self.result, self.shown_key, self.state = result, key, "ready"
        try:
            self.draw(seq, result)
            self.body.setCurrentIndex(1)
        except Exception as exc:  # a drawing bug must not take the window down
            log.exception("%s panel failed to draw", self.title)
            self._failed(exc)
            return
        self.set_status(self.ready_status(seq, result))

    def _aborted(self) -> None:
        if self._stale_cancel:
            return
        self.state = "cancelled"
        self.set_status("Cancelled. Press <b>Recompute</b> to compute again.")

    def _failed(self, exc: BaseException) -> None:
        from deemo_gui.qt.errors import user_message

        self.state, self.last_error = "error", exc
        if not isinstance(exc, Exception):
            return
        self.set_status(f"<span style='color:#B2182B'>Could not compute: "
                        f"{_escape(user_message(exc, self.title))}</span>")
        log.warning("%s panel: %s", self.title, exc, exc_info=exc)

    def _finished(self) -> None:
        self.worker = None
        self._stale_cancel = False
        if self._pending:
            self._pending = False
            self.schedule(immediate=True)

    def wait(self, ms: int = 60_000) -> bool:
        """Block until the running job ends (scripts and tests)."""
        return self.worker is None or self.worker.wait(ms)

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()

    def shutdown(self) -> None:
        self.timer.stop()
        self._pending = False
        self.cancel()

    # -- messages ------------------------------------------------------------------------------
    def empty_message(self, seq: str, entries: list) -> str:
        if not seq:
            return "Open a sequence file (File ▸ Open…) and pick a sequence in the list on the left."
        if not entries:
            return ("Select a model in the <b>Models</b> list on the right (tick its box) to see why it predicts "
                    "what it does.")
        return ""

    def _show_empty(self, message: str, key: tuple) -> None:
        self.result, self.shown_key, self.state = None, key, "empty"
        self.set_status("")
        self.draw_message(message)

    def set_status(self, text: str) -> None:
        self.status.setText(text)

    def ready_status(self, seq: str, result: dict) -> str:
        rid = self.viewer.current_id or ""
        i = self.viewer.current_index
        edited = " (edited)" if i >= 0 and self.viewer.is_edited(i) else ""
        text = f"<b>{_escape(rid)}</b>{edited} · {len(seq)} nt"
        for name, message in (result.get("errors") or {}).items():
            text += f" · <span style='color:#B2182B'>{_escape(name)}: {_escape(message)}</span>"
        return text

    def build_body(self) -> None:
        """The header row, then either a wrapped message (empty states) or the stacked tracks
        (`self.graphics`, a GraphicsLayoutWidget in a vertical scroll area)."""
        from PySide6.QtWidgets import QStackedWidget

        self.graphics = graphics_widget()
        self.scroll = in_scroll_area(self.graphics)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.RichText)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setContentsMargins(40, 20, 40, 20)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.body = QStackedWidget()
        self.body.addWidget(self.message)
        self.body.addWidget(self.scroll)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(self.header)
        layout.addWidget(self.body, 1)
        self.draw_message(self.empty_message(self.viewer.current_sequence, self.models()) or "Computing…")

    def draw_message(self, text: str) -> None:
        self.forget()
        unfit_height(self.graphics)
        self.message.setText(text)
        self.body.setCurrentIndex(0)

    def forget(self) -> None:
        """Clear the tracks (subclasses also drop their references to them)."""
        self.graphics.clear()

    def draw(self, seq: str, result: dict) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


def _escape(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def prob_text(result: dict, entry) -> str:
    """'P(bound) = 0.93' for a model's analysis result."""
    task = entry.task_names[0] if getattr(entry, "task_names", None) else "+"
    p = result.get("prob")
    return f"P({task}) = {float(p[0]):.3f}" if p is not None else f"P({task}) = ?"


# =============================================================================================
# Track builders (pyqtgraph imported here, on first use)


def new_track(ylabel: str = "", title: str | None = None, xlabel: str | None = None):
    """A sequence-aligned TrackPlot (position axis, hover read-out), y fixed, x pans and zooms."""
    from deemo_gui.qt.plots.axes import TrackPlot

    plot = TrackPlot(ylabel=ylabel)
    set_track_title(plot, title)
    if xlabel:
        plot.setLabel("bottom", xlabel, color=palette.TEXT_COLOR)
    plot.setMouseEnabled(x=True, y=False)
    plot.setMenuEnabled(False)
    plot.getAxis("left").enableAutoSIPrefix(False)
    return plot


def set_track_title(plot, title: str | None, justify: str = "left") -> None:
    """A bold dark title, left-aligned over the track; a long title never widens the layout (the
    label's minimum width is reset: pyqtgraph sets it to the text's width)."""
    if not title:
        return
    plot.setTitle(title, color=palette.TEXT_COLOR, size="9.5pt", bold=True, justify=justify)
    _shrinkable(plot.titleLabel)


def _shrinkable(label) -> None:
    """Let a pyqtgraph LabelItem be narrower than its text: its `updateMin` (run on every resize)
    pins the minimum width to the text's, which pushed long titles past the panel's right edge."""
    def update_min(label=label):
        bounds = label.itemRect()
        label.setMinimumWidth(1)
        label.setMinimumHeight(bounds.height())
        label._sizeHint = {
            Qt.SizeHint.MinimumSize: (1, bounds.height()),
            Qt.SizeHint.PreferredSize: (bounds.width(), bounds.height()),
            Qt.SizeHint.MaximumSize: (-1, -1),
            Qt.SizeHint.MinimumDescent: (0, 0),
        }
        label.updateGeometry()

    label.updateMin = update_min
    update_min()


def fit_height(graphics, px: int) -> None:
    """The stacked tracks keep their heights: the view is exactly as tall as its content (the
    scroll area scrolls when the panel is shorter; extra room stays below, not between rows)."""
    graphics.setMinimumHeight(int(px))
    graphics.setMaximumHeight(int(px))


def unfit_height(graphics) -> None:
    graphics.setMinimumHeight(0)
    graphics.setMaximumHeight(16777215)  # QWIDGETSIZE_MAX


def fix_height(item, px: int) -> None:
    item.setMinimumHeight(px)
    item.setMaximumHeight(px)
    item.setPreferredHeight(px)


def set_x_extent(plot, n: int) -> None:
    plot.setXRange(-0.5, n - 0.5, padding=0.005)
    plot.getViewBox().setLimits(xMin=-0.5 - n * 0.05, xMax=n - 0.5 + n * 0.05)


class SequenceTrackData:
    """What one sequence track shows (kept for hover read-outs and tests)."""

    def __init__(self, seq: str, hits=None):
        self.seq = seq
        self.hits = hits


def sequence_track(plot, seq: str, hits=None):
    """Draw `seq` as coloured letters (one per column, A green, C blue, G orange, T red) and box the
    motif hits (a `motif_hits` table). Returns the LogoItem; `plot.hit_items` holds the boxes."""
    import pyqtgraph as pg
    from PySide6 import QtWidgets

    from deemo_gui.core.sequences import one_hot
    from deemo_gui.qt.plots.axes import HoverInfo, pen
    from deemo_gui.qt.plots.logo_item import LogoItem

    plot.clear()
    n = len(seq)
    matrix = one_hot([seq])[0].astype(np.float64) if n else np.zeros((4, 0))
    logo = LogoItem(matrix)
    plot.addItem(logo)
    plot.hit_items = []
    levels = _hit_levels(hits)
    n_levels = max(levels) + 1 if levels else 0
    # Pixel budget: letters LETTER_PX tall, one HIT_LABEL_PX row per label level above them.
    unit = 1.0 / LETTER_PX
    top = 1.12 + (HIT_LABEL_PX * n_levels + 4) * unit
    colors = {}
    if hits is not None:
        for (_, hit), level in zip(hits.iterrows(), levels):
            color = colors.setdefault(hit["motif_id"], palette.hit_color(len(colors)))
            x0, w = float(hit["start"]) - 0.5, float(hit["end"] - hit["start"])
            box = QtWidgets.QGraphicsRectItem(QRectF(x0, -0.08, w, 1.16))
            box.setPen(pen(color, 2.0))
            plot.addItem(box)
            strand = "+" if hit["strand"] == "+" else "−"
            text = pg.TextItem(f"{hit['name']} ({strand}) p={hit['p']:.1e}", color=color, anchor=(0, 0))
            font = text.textItem.font()
            font.setPointSizeF(8.0)
            text.setFont(font)
            text.setPos(x0, 1.12 + (HIT_LABEL_PX * (level + 1) + 2) * unit)  # top-left corner
            plot.addItem(text)
            plot.hit_items.append((box, text))
    plot.getAxis("left").setTicks([[], []])
    plot.getAxis("left").setStyle(showValues=False)
    plot.setYRange(-0.12, top, padding=0)
    set_x_extent(plot, n)
    plot.track_data = SequenceTrackData(seq, hits)
    titled = plot.titleLabel.isVisible()
    plot.preferred_px = int((TITLE_PX if titled else 6) + AXIS_PX + LETTER_PX * (top + 0.12))

    def info_at(x, y):
        i = int(np.floor(x + 0.5))
        if not 0 <= i < n:
            return None
        extra = ""
        if hits is not None and len(hits):
            here = hits[(hits["start"] <= i) & (hits["end"] > i)]
            extra = "; ".join(f"{r['name']} {r['motif_id']} ({r['strand']}) p={r['p']:.1e}" for _, r in here.iterrows())
        return HoverInfo(index=i, base=seq[i], extra=extra)

    plot.info_at = info_at
    return logo


def _hit_levels(hits) -> list[int]:
    """Label rows for hit labels so labels of overlapping or close hits do not overprint."""
    if hits is None or not len(hits):
        return []
    ends: list[float] = []
    out = []
    for _, h in hits.iterrows():
        start = float(h["start"])
        # a label is about 18 characters; at ~10 px per base that is ~14 bases
        span_end = max(float(h["end"]), start + 16)
        for lvl, e in enumerate(ends):
            if start >= e:
                ends[lvl] = span_end
                out.append(lvl)
                break
        else:
            ends.append(span_end)
            out.append(len(ends) - 1)
    return out


def bar_track(plot, values: np.ndarray, seq: str, name: str = "value", signed: bool = False):
    """Bars coloured by the base at each position (A green, C blue, G orange, T red; others grey).
    NaN (bases the model did not see) draws nothing. Returns the BarGraphItem."""
    import pyqtgraph as pg

    from deemo_gui.qt.plots.axes import HoverInfo, pen

    plot.clear()
    vals = np.asarray(values, dtype=np.float64)
    n = len(vals)
    finite = np.nan_to_num(vals, nan=0.0)
    brushes = [pg.mkBrush(palette.nucleotide_color(seq[i] if i < len(seq) else "N")) for i in range(n)]
    bars = pg.BarGraphItem(x=np.arange(n, dtype=np.float64), height=finite, width=0.85, brushes=brushes,
                           pen=pg.mkPen(None))
    plot.addItem(bars)
    plot.bars = bars
    lo, hi = float(np.min(finite, initial=0.0)), float(np.max(finite, initial=0.0))
    if signed:
        zero = pg.InfiniteLine(pos=0, angle=0, pen=pen(palette.GUIDE_COLOR, 1))
        plot.addItem(zero)
    if hi == lo:
        hi = lo + 1.0
    pad = 0.06 * (hi - lo)
    plot.setYRange(lo - (pad if lo < 0 else 0.0), hi + pad, padding=0)
    set_x_extent(plot, n)
    plot.values = vals

    def info_at(x, y):
        i = int(np.floor(x + 0.5))
        if not 0 <= i < n or np.isnan(vals[i]):
            return None
        return HoverInfo(index=i, base=seq[i] if i < len(seq) else "", values={name: float(vals[i])})

    plot.info_at = info_at
    return bars


# Colour key of the temporal curves (titles are one line: the long form goes in panel headers).
TEMPORAL_LEGEND = (f"<span style='color:{palette.FORWARD_COLOR}'>━━ forward</span> &nbsp;"
                   f"<span style='color:{palette.BACKWARD_COLOR}'>━━ backward</span>")
TEMPORAL_EXPLAINED = (f"<span style='color:{palette.FORWARD_COLOR}'><b>━━ forward</b></span>: P(bound) of bases "
                      f"1..i &nbsp; <span style='color:{palette.BACKWARD_COLOR}'><b>━━ backward</b></span>: P(bound) "
                      "of bases i..end")


def temporal_track(plot, forward: np.ndarray, backward: np.ndarray, seq: str):
    """Forward (prefix 1..i) and backward (suffix i..end) P(+) curves on a 0-1 axis with a dashed
    0.5 guide; put `TEMPORAL_LEGEND` in the title. Returns (forward_item, backward_item)."""
    import pyqtgraph as pg

    from deemo_gui.qt.plots.axes import HoverInfo, pen

    plot.clear()
    fwd = np.asarray(forward, dtype=np.float64)
    bwd = np.asarray(backward, dtype=np.float64)
    n = len(fwd)
    x = np.arange(n, dtype=np.float64)
    guide = pg.InfiniteLine(pos=0.5, angle=0, pen=pen(palette.GUIDE_COLOR, 1, Qt.PenStyle.DashLine))
    plot.addItem(guide)
    f_item = plot.plot(x, fwd, pen=pen(palette.FORWARD_COLOR, 2), connect="finite", antialias=True)
    b_item = plot.plot(x, bwd, pen=pen(palette.BACKWARD_COLOR, 2), connect="finite", antialias=True)
    plot.setYRange(0, 1, padding=0.04)
    plot.getAxis("left").setTicks([[(0, "0"), (0.5, "0.5"), (1, "1")], [(0.25, ""), (0.75, "")]])
    set_x_extent(plot, n)
    plot.values = (fwd, bwd)
    plot.curves = (f_item, b_item)

    def info_at(x_, y):
        i = int(np.floor(x_ + 0.5))
        if not 0 <= i < n or np.isnan(fwd[i]):
            return None
        return HoverInfo(index=i, base=seq[i] if i < len(seq) else "",
                         values={"forward": float(fwd[i]), "backward": float(bwd[i])})

    plot.info_at = info_at
    return f_item, b_item


def diverging_colormap():
    import pyqtgraph as pg

    pos = [p for p, _ in palette.DIVERGING]
    colors = [palette.hex_to_rgb(c) for _, c in palette.DIVERGING]
    return pg.ColorMap(pos, colors)


def heatmap_track(plot, values: np.ndarray, seq: str, name: str = "Δ logit"):
    """A 4 x n heat map (rows A C G T top to bottom) on a diverging scale centred on 0 (blue
    below, white 0, red above). Returns (ImageItem, max |value|)."""
    import pyqtgraph as pg

    from deemo_gui.qt.plots.axes import HoverInfo

    plot.clear()
    vals = np.asarray(values, dtype=np.float64)
    n = vals.shape[1]
    m = float(np.nanmax(np.abs(vals))) if np.isfinite(vals).any() else 0.0
    m = m if m > 0 else 1.0
    # ImageItem's default axis order is (x, y); row 0 at the bottom: T, G, C, A upwards.
    img = pg.ImageItem(np.nan_to_num(vals[::-1].T, nan=0.0), axisOrder="col-major")
    img.setLookupTable(diverging_colormap().getLookupTable(0.0, 1.0, 256))
    img.setLevels((-m, m))
    img.setRect(QRectF(-0.5, -0.5, float(n), 4.0))
    plot.addItem(img)
    left = plot.getAxis("left")
    left.setTicks([[(3 - k, b) for k, b in enumerate(ALPHABET)], []])
    left.setStyle(showValues=True)
    plot.setYRange(-0.5, 3.5, padding=0)
    set_x_extent(plot, n)
    plot.values = vals
    plot.scale_max = m

    def info_at(x, y):
        i = int(np.floor(x + 0.5))
        r = 3 - int(np.floor(y + 0.5))
        if not 0 <= i < n or not 0 <= r < 4 or np.isnan(vals[r, i]):
            return None
        ref = seq[i] if i < len(seq) else "N"
        return HoverInfo(index=i, base=ref, values={f"{ref}→{ALPHABET[r]} {name}": float(vals[r, i])})

    plot.info_at = info_at
    return img, m


def colorbar(image, plot, label: str, m: float):
    """A vertical colour bar for a heat map (not interactive)."""
    import pyqtgraph as pg

    bar = pg.ColorBarItem(values=(-m, m), colorMap=diverging_colormap(), interactive=False, width=12,
                          label=label, rounding=max(m / 100, 1e-6))
    bar.setImageItem(image)
    bar.getAxis("right").setTextPen(pg.mkPen(palette.TEXT_COLOR))
    bar.getAxis("right").enableAutoSIPrefix(False)   # 0.4, not "400 (x0.001)"
    bar.getAxis("right").setTicks([[(-m, f"{-m:.2g}"), (0.0, "0"), (m, f"{m:.2g}")], []])  # the ends and 0
    bar.getAxis("left").setLabel(label, color=palette.TEXT_COLOR)
    bar.layout.setContentsMargins(0, TITLE_PX - 4, 0, AXIS_PX - 4)  # level with the heat map, not its title
    bar.getAxis("right").setPen(pg.mkPen(palette.AXIS_COLOR))
    return bar


def message_item(text: str):
    """A centred message in a GraphicsLayout row (empty states, "computing…")."""
    import pyqtgraph as pg

    item = pg.LabelItem(text, color=palette.TEXT_COLOR, size="10pt", justify="center")
    _shrinkable(item)
    return item


def logo_plot(matrix, title: str, ylabel: str = "bits"):
    """A LogoPlot (hover read-out, white axes) for a (4, W) matrix, or an empty one for None."""
    from deemo_gui.qt.plots.logo_item import LogoPlot

    plot = LogoPlot(matrix, title=None, ylabel=ylabel)
    set_track_title(plot, title, justify="center")
    plot.setMenuEnabled(False)
    plot.getAxis("left").enableAutoSIPrefix(False)
    return plot


def placeholder(plot, text: str):
    """Write `text` in the middle of an empty plot (e.g. 'computing…')."""
    import pyqtgraph as pg

    item = pg.TextItem(text, color=palette.TEXT_COLOR, anchor=(0.5, 0.5))
    plot.getViewBox().addItem(item, ignoreBounds=True)
    vb = plot.getViewBox()

    def center():
        r = vb.viewRect()
        item.setPos(r.center())

    vb.sigRangeChanged.connect(lambda *_: center())
    center()
    return item


def graphics_widget():
    """A white GraphicsLayoutWidget for stacked tracks (no mouse wheel stealing from the scroll area)."""
    import pyqtgraph as pg

    w = pg.GraphicsLayoutWidget()
    w.setBackground(palette.BACKGROUND_COLOR)
    w.ci.setContentsMargins(4, 4, 12, 4)
    w.ci.setSpacing(2)
    return w


def in_scroll_area(widget) -> QScrollArea:
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setWidget(widget)
    area.setAlignment(Qt.AlignmentFlag.AlignTop)
    from PySide6.QtGui import QColor, QPalette

    pal = area.viewport().palette()
    pal.setColor(QPalette.ColorRole.Window, QColor(palette.BACKGROUND_COLOR))
    area.viewport().setPalette(pal)
    area.viewport().setAutoFillBackground(True)
    return area


# =============================================================================================
# Export


def export_scene(widget, path: str, scale: float = 2.0) -> str:
    """Write what `widget` (a GraphicsView) shows to `path`: .png (at `scale` x the screen size),
    .svg (vector) or .pdf (vector, one page the size of the view). Returns the path."""
    from PySide6.QtCore import QMarginsF, QPointF, QSizeF
    from PySide6.QtGui import QColor, QImage, QPageLayout, QPageSize, QPainter, QPdfWriter

    from deemo_gui.core.errors import DeemoError

    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower()
    scene = widget.scene()
    if hasattr(widget, "ci"):   # the whole layout, also the part scrolled out of view
        source = widget.ci.sceneBoundingRect()
    else:
        source = widget.mapToScene(widget.viewport().rect()).boundingRect()
    if source.isEmpty():
        source = QRectF(0, 0, max(1.0, widget.width()), max(1.0, widget.height()))
    w, h = source.width(), source.height()

    def render(painter, target):
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
        scene.render(painter, target, source)

    if ext == ".png":
        image = QImage(int(w * scale), int(h * scale), QImage.Format.Format_ARGB32)
        image.fill(QColor(palette.BACKGROUND_COLOR))
        painter = QPainter(image)
        render(painter, QRectF(0, 0, image.width(), image.height()))
        painter.end()
        if not image.save(path, "PNG"):
            raise DeemoError(f"{path}: could not write the PNG (folder missing or not writable?)")
    elif ext == ".svg":
        from PySide6.QtSvg import QSvgGenerator

        gen = QSvgGenerator()
        gen.setFileName(path)
        # The view's DPI: pyqtgraph caches axes as QPictures, which replay scaled by the target's
        # DPI over the screen's (the generator's default 72 dpi shrank the axes to 3/4).
        gen.setResolution(int(widget.logicalDpiX()) or 96)
        gen.setSize(QSize(int(w), int(h)))
        gen.setViewBox(QRectF(0, 0, w, h))
        gen.setTitle("deemo-gui dashboard")
        painter = QPainter()
        if not painter.begin(gen):
            raise DeemoError(f"{path}: could not write the SVG (folder missing or not writable?)")
        painter.fillRect(QRectF(0, 0, w, h), QColor(palette.BACKGROUND_COLOR))
        render(painter, QRectF(0, 0, w, h))
        painter.end()
    elif ext == ".pdf":
        writer = QPdfWriter(path)
        writer.setResolution(int(widget.logicalDpiX()) or 96)  # as for SVG: QPictures replay at the view's DPI
        writer.setPageLayout(QPageLayout(QPageSize(QSizeF(w * 72 / 96, h * 72 / 96), QPageSize.Unit.Point),
                                         QPageLayout.Orientation.Portrait, QMarginsF(0, 0, 0, 0)))
        painter = QPainter()
        if not painter.begin(writer):
            raise DeemoError(f"{path}: could not write the PDF (folder missing or not writable?)")
        page = writer.pageLayout().paintRectPixels(writer.resolution())
        render(painter, QRectF(QPointF(0, 0), QSizeF(page.width(), page.height())))
        painter.end()
    else:
        raise DeemoError(f"{path}: export as .png, .svg or .pdf (the file name's extension chooses)")
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        raise DeemoError(f"{path}: nothing was written (folder missing or not writable?)")
    return path


# =============================================================================================
# The Dashboard


class DashboardPanel(AnalysisPanel):
    """The Deep Motif Dashboard (Lanchantin et al. 2017, Figure 2) for the current sequence."""

    title = "Dashboard"
    methods = A.DASHBOARD_METHODS
    job_name = "Dashboard"
    CLASSOPT_STEPS = A.CLASSOPT_STEPS

    def __init__(self, viewer, window, parent=None):
        super().__init__(viewer, window, parent)
        self.motif_edit = QLineEdit()
        self.motif_edit.setPlaceholderText("auto: each model's TF")
        self.motif_edit.setToolTip("The known motif to show and scan for: a TF name (REST, CTCF…) or a JASPAR "
                                   "matrix ID (MA0138). Empty: the JASPAR 2024 matrix of each model's TF.")
        self.motif_edit.setMaximumWidth(170)
        self.motif_edit.editingFinished.connect(lambda: self.schedule(immediate=True))
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Save the dashboard as a PNG, SVG or PDF figure")
        self.export_button.clicked.connect(self.export_dialog)
        self.header.addWidget(QLabel("Known motif:"))
        self.header.addWidget(self.motif_edit)
        self.header.addWidget(self.recompute_button)
        self.header.addWidget(self.export_button)

        self.classopt_workers: dict[str, Worker] = {}
        self.classopt_progress: dict[str, str] = {}
        self.classopt_plots: dict[str, object] = {}
        self.motif_plots: dict[str, object] = {}
        self.sequence_plot = None
        self.saliency_plots: dict[str, object] = {}
        self.temporal_plots: dict[str, object] = {}
        self.summary = None
        self.build_body()

    # -- computing -------------------------------------------------------------------------------
    def request_key(self) -> tuple:
        return super().request_key() + (self.motif_edit.text().strip().upper(),)

    def _motif_query(self) -> str:
        return self.motif_edit.text().strip()

    def compute(self, seq: str, entries: list):
        query = self._motif_query()
        yield 0, 0, "JASPAR motifs"
        motifs = [A.known_motif(query)] if query else A.dashboard_motifs(entries)
        motifs = [m for m in motifs if m is not None]
        hits = A.cached_hits(motifs, seq, self.viewer.results)
        out = yield from super().compute(seq, entries)
        out["motifs"] = motifs
        out["hits"] = hits
        out["motif_query"] = query
        return out

    def cached_result(self, seq: str, entries: list) -> dict | None:
        query = self._motif_query()
        motifs = A.cached_known_motifs([query] if query else [A.model_tf(e) for e in entries])
        if motifs is None:
            return None
        hits = A.cached_hits(motifs, seq, self.viewer.results, compute=False)
        if hits is None:
            return None
        out = super().cached_result(seq, entries)
        if out is None:
            return None
        out.update(motifs=motifs, hits=hits, motif_query=query)
        return out

    def after_refresh(self, seq: str, entries: list, sync: bool) -> None:
        names = {e.name for e in entries}
        for name, worker in list(self.classopt_workers.items()):
            if name not in names:
                worker.cancel()   # deselected: free the CPU (it restarts when selected again)
        for entry in entries:
            self.start_class_optimization(entry, sync=sync)

    def classopt_result(self, entry):
        return A.stored_class_optimization(entry, 0, self.CLASSOPT_STEPS, self.viewer.results, entry.name)

    def start_class_optimization(self, entry, sync: bool = False) -> Worker | None:
        """Class optimization of one model, once (cached in `viewer.results`); the logo updates when done."""
        if self.classopt_result(entry) is not None:
            return None
        running = self.classopt_workers.get(entry.name)
        if running is not None and running.is_running():
            return running
        if sync:
            with A.module_lock(entry):
                A.drain(A.iter_class_optimization(entry, 0, self.CLASSOPT_STEPS, cache=self.viewer.results,
                                                  name=entry.name))
            self._classopt_done(entry.name)
            return None
        steps = self.CLASSOPT_STEPS

        def job(entry=entry):
            gen = A.iter_class_optimization(entry, 0, steps, cache=self.viewer.results, name=entry.name)
            while True:
                try:
                    with A.module_lock(entry):
                        item = next(gen)
                except StopIteration as stop:
                    return stop.value
                yield item

        worker = Worker(job, name=f"Class optimization of {entry.name}", torch_threads=1,
                        progress=lambda p, s=steps: (p.step, s, f"step {p.step} of {s}, P(+) = {p.score:.3f}"))
        worker.yielded.connect(lambda p, name=entry.name: self._classopt_progress(name, p))
        worker.finished.connect(lambda name=entry.name: self._classopt_done(name))
        self.classopt_workers[entry.name] = worker
        self.classopt_progress[entry.name] = "computing…"
        if self.window_ is not None and hasattr(self.window_, "jobs"):
            self.window_.jobs.start(worker, context=f"Class optimization of {entry.name}")
        else:
            worker.start()
        return worker

    def _classopt_progress(self, name: str, p) -> None:
        self.classopt_progress[name] = f"computing… step {p.step} of {p.steps}, P(+) = {p.score:.2f}"
        plot = self.classopt_plots.get(name)
        if plot is not None and getattr(plot, "placeholder", None) is not None:
            plot.placeholder.setText(self.classopt_progress[name])

    def _classopt_done(self, name: str) -> None:
        worker = self.classopt_workers.pop(name, None)
        if worker is not None and worker.cancelled:
            self.classopt_progress[name] = "cancelled (press Recompute to run it again)"
        plot = self.classopt_plots.get(name)
        if plot is None:
            return
        entry = next((m for m in self.models() if m.name == name), None)
        if entry is not None:
            self._fill_classopt(plot, entry)

    def wait(self, ms: int = 120_000) -> bool:
        ok = super().wait(ms)
        for w in list(self.classopt_workers.values()):
            ok &= w.wait(ms)
        return ok

    def shutdown(self) -> None:
        super().shutdown()
        for w in list(self.classopt_workers.values()):
            w.cancel()

    # -- drawing ---------------------------------------------------------------------------------
    def forget(self) -> None:
        self.graphics.clear()
        self._forget_plots()

    def _forget_plots(self) -> None:
        self.summary = None
        self.classopt_plots.clear()
        self.motif_plots.clear()
        self.saliency_plots.clear()
        self.temporal_plots.clear()
        self.sequence_plot = None

    def draw(self, seq: str, result: dict) -> None:
        from deemo_gui.qt.plots.axes import link_x

        entries = [m for m in self.models() if m.name in result["models"]]
        g = self.graphics
        g.clear()
        self._forget_plots()
        height = 0

        # Row 0: the known motif(s) of the models' TFs and a summary (not aligned to the sequence).
        top = g.addLayout(row=0, col=0)
        top.setSpacing(8)
        motifs = result.get("motifs") or []
        col = 0
        if not motifs:
            query = result.get("motif_query")
            tfs = ", ".join(sorted({A.model_tf(e) or "?" for e in entries}))
            plot = logo_plot(None, f"Known motif: none found in JASPAR for {_escape(query or tfs)}", ylabel="bits")
            top.addItem(plot, row=0, col=col)
            top.layout.setColumnStretchFactor(col, 3)
            col += 1
        for pwm in motifs:
            release = pwm.source.replace("JASPAR", "JASPAR ")
            plot = logo_plot(A.ic_logo(pwm), f"Known motif: {_escape(pwm.name)} {pwm.id}")
            plot.setLabel("bottom", f"motif position ({release})", color=palette.TEXT_COLOR)
            plot.setMaximumWidth(LEFT_AXIS_PX + 34 * pwm.width)  # letters keep a readable aspect
            top.addItem(plot, row=0, col=col)
            top.layout.setColumnStretchFactor(col, 3)
            self.motif_plots[pwm.id] = plot
            col += 1
        summary = message_item(self._summary_html(seq, result, entries))
        summary.setAttr("justify", "left")
        top.addItem(summary, row=0, col=col)
        top.layout.setColumnStretchFactor(col, 2 if len(motifs) <= 1 else 1)
        self.summary = summary
        top_px = max(LOGO_HEIGHT, 24 + 17 * (1 + 2 * len(entries)))   # the summary's lines
        for k in range(col):
            fix_height(top.getItem(0, k), top_px)
        fix_height(summary, top_px)
        height += top_px + 8

        # Sequence-aligned tracks (class-optimized inputs have the model's input length: same axis).
        tracks = g.addLayout(row=1, col=0)
        tracks.setSpacing(0)
        row = 0
        aligned = []
        for entry in entries:
            plot = logo_plot(None, f"Class optimization: {_escape(entry.name)}")
            plot.setMouseEnabled(x=True, y=False)
            tracks.addItem(plot, row=row, col=0)
            fix_height(plot, LOGO_HEIGHT - 20)
            height += LOGO_HEIGHT - 20
            self.classopt_plots[entry.name] = plot
            self._fill_classopt(plot, entry)
            aligned.append(plot)
            row += 1
        hits = result.get("hits")
        n_hits = 0 if hits is None else len(hits)
        motif_names = ", ".join(f"{_escape(m.name)} {m.id}" for m in motifs) or "no known motif"
        seq_plot = new_track("", title=f"JASPAR hits ({motif_names}, FIMO p &lt; 1e-4, both strands): "
                                       f"{n_hits} hit{'s' if n_hits != 1 else ''}")
        sequence_track(seq_plot, seq, hits)
        tracks.addItem(seq_plot, row=row, col=0)
        fix_height(seq_plot, seq_plot.preferred_px)
        height += seq_plot.maximumHeight()
        self.sequence_plot = seq_plot
        aligned.append(seq_plot)
        row += 1
        for entry in entries:
            r = result["models"][entry.name]
            plot = new_track("|∂logit/∂x|·x", title=f"{_escape(entry.name)} — saliency · {prob_text(r, entry)}")
            bar_track(plot, r["saliency_track"], seq, name="saliency")
            tracks.addItem(plot, row=row, col=0)
            fix_height(plot, SCORE_HEIGHT)
            height += SCORE_HEIGHT
            self.saliency_plots[entry.name] = plot
            aligned.append(plot)
            row += 1
        for entry in entries:
            r = result["models"][entry.name]
            if "temporal" not in r:
                continue
            plot = new_track("P(bound)", title=f"{_escape(entry.name)} — temporal output scores {TEMPORAL_LEGEND}")
            temporal_track(plot, r["temporal"][0], r["temporal"][1], seq)
            tracks.addItem(plot, row=row, col=0)
            fix_height(plot, SCORE_HEIGHT + 16)
            height += SCORE_HEIGHT + 16
            self.temporal_plots[entry.name] = plot
            aligned.append(plot)
            row += 1
        last = aligned[-1]
        last.setLabel("bottom", "position in the sequence (nt)", color=palette.TEXT_COLOR)
        fix_height(last, int(last.maximumHeight()) + 18)
        height += 18
        link_x(aligned)
        for p in aligned:
            set_x_extent(p, len(seq))
        fit_height(g, height + 24)

    def _summary_html(self, seq: str, result: dict, entries: list) -> str:
        rows = []
        for e in entries:
            r = result["models"][e.name]
            auroc = f" · test AUROC {e.test_auroc:.3f}" if e.test_auroc is not None else ""
            rows.append(f"<b>{_escape(e.name)}</b>: {prob_text(r, e)}<br>&nbsp;&nbsp;{_escape(e.preset)}{auroc}")
        hits = result.get("hits")
        n_hits = 0 if hits is None else len(hits)
        head = (f"<b>{_escape(self.viewer.current_id or '')}</b> · {len(seq)} nt · "
                f"{n_hits} JASPAR hit{'s' if n_hits != 1 else ''}")
        return head + "<br>" + "<br>".join(rows)

    def _fill_classopt(self, plot, entry) -> None:
        result = self.classopt_result(entry)
        old = getattr(plot, "placeholder", None)
        if old is not None:
            plot.getViewBox().removeItem(old)
        plot.placeholder = None
        L = entry.input_length or 101
        if result is None:
            plot.setData(np.zeros((4, L)))
            plot.setYRange(0, 2, padding=0)
            plot.placeholder = placeholder(plot, self.classopt_progress.get(entry.name, "computing…"))
            return
        plot.setData(A.ic_logo(result.pwm))
        set_track_title(plot, f"Class-optimized input: {_escape(entry.name)} · P = {result.score:.2f}")
        plot.classopt = result
        if self.sequence_plot is not None:
            set_x_extent(plot, len(self.sequence_plot.track_data.seq))

    def ready_status(self, seq: str, result: dict) -> str:
        base = super().ready_status(seq, result)
        return base + " · hover a track for position, base and value"

    # -- export ----------------------------------------------------------------------------------
    def export(self, path) -> str:
        """Write the dashboard to a .png, .svg or .pdf file."""
        return export_scene(self.graphics, path)

    def export_dialog(self) -> str | None:
        from deemo_gui.qt.errors import report_exception

        rid = (self.viewer.current_id or "dashboard").replace("/", "_").replace(":", "_")
        path, chosen = QFileDialog.getSaveFileName(self, "Export dashboard", f"{rid}_dashboard.png", EXPORT_FILTER)
        if not path:
            return None
        if not os.path.splitext(path)[1]:
            path += ".svg" if "SVG" in (chosen or "") else ".pdf" if "PDF" in (chosen or "") else ".png"
        try:
            self.export(path)
        except Exception as exc:
            report_exception(self, exc, "Exporting the dashboard")
            return None
        if self.window_ is not None and hasattr(self.window_, "show_message"):
            self.window_.show_message(f"Dashboard saved to {path}")
        return path
