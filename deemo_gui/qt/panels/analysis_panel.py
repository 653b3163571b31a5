"""What the three analysis panels (Dashboard, Saliency, Temporal) share: the `AnalysisPanel` base
(debounced recomputation in a worker, stale results discarded, cancel; a header row above either
a message or the stacked tracks) and the track heights and title texts they use.

The tracks themselves are `deemo_gui.qt.plots` items in a `TrackStack` (one shared x axis, 1-based
positions, hover read-outs, PNG/SVG/PDF export). pyqtgraph is imported inside functions, so
importing this module stays light.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from deemo_gui import palette
from deemo_gui.core.errors import ConfigError, DeemoError
from deemo_gui.qt.trust import TrustLabel
from deemo_gui.qt.workers import Worker, observe
from deemo_gui.viewer import analysis as A
from deemo_gui.viewer.runtime import Cancelled

log = logging.getLogger(__name__)

# Track heights (px) in the panels' stacked layouts.
SCORE_HEIGHT = 112
LOGO_HEIGHT = 150
HEATMAP_HEIGHT = 104
XLABEL = "position in the sequence (nt)"
EXPORT_FILTER = "PNG image (*.png);;SVG vector image (*.svg);;PDF document (*.pdf)"


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
    DEBOUNCE_MS = 150  # edits typed in quick succession start one job

    def __init__(self, viewer, window, parent=None):
        super().__init__(parent)
        self.viewer, self.window_ = viewer, window
        self.worker: Worker | None = None
        self._worker_key: tuple | None = None  # the request `worker` computes
        self.result: dict | None = None
        self.shown_key: tuple | None = None
        self.state = "idle"  # idle | computing | ready | cancelled | error | empty
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
        self.task_label = QLabel("Task:")
        self.task_combo = QComboBox()
        self.task_combo.setToolTip(
            "Which output of the multi-task models is explained (single-output models always explain their only output)"
        )
        self.task_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.task_combo.textActivated.connect(self._task_chosen)
        self.header = QHBoxLayout()
        self.header.setContentsMargins(6, 4, 6, 0)
        self.header.addWidget(self.status, 1)
        self.header.addWidget(self.task_label)
        self.header.addWidget(self.task_combo)
        self._sync_task_combo()

        ev = viewer.events
        observe(ev.current_changed, self, lambda _i: self.schedule(immediate=True))
        observe(ev.sequence_edited, self, lambda _s: self.schedule())
        observe(ev.models_changed, self, lambda: self.schedule(immediate=True))
        observe(ev.device_changed, self, lambda _d: self.schedule(immediate=True))
        observe(ev.window_changed, self, lambda: self.schedule(immediate=True))
        observe(ev.models_changed, self, self._sync_task_combo)
        observe(ev.task_changed, self, lambda _t: (self._sync_task_combo(), self.schedule(immediate=True)))

    # -- what to compute -------------------------------------------------------------------------
    def models(self) -> list:
        return list(self.viewer.selected_models)

    def request_key(self) -> tuple:
        """Everything the shown result depends on; a result for another key is stale."""
        v = self.viewer
        return (
            v.current_sequence,
            tuple(m.name for m in self.models()),
            self.device_key(),
            v.current_task,
            v.window_choice,
            v.scan_stride,
            v.scan_rc,
        )

    def _sync_task_combo(self) -> None:
        """The Task chooser lists the selected multi-task models' tasks; hidden when there are none."""
        choices, current = self.viewer.task_choices, self.viewer.current_task
        self.task_combo.blockSignals(True)
        self.task_combo.clear()
        self.task_combo.addItems(choices)
        if current is not None:
            self.task_combo.setCurrentIndex(choices.index(current))
        self.task_combo.blockSignals(False)
        self.task_label.setVisible(bool(choices))
        self.task_combo.setVisible(bool(choices))

    def _task_chosen(self, name: str) -> None:
        self.viewer.set_task(name)

    def device_key(self) -> str:
        return getattr(self.viewer, "device", "auto")

    def methods_for(self, entry) -> tuple[str, ...]:
        return self.methods

    def plan(self, entries: list) -> dict[str, Any]:
        """What a job computes, fixed in the GUI thread when it starts (the worker must not read
        the viewer): `targets`, per model the output it explains or why it has none (text)."""
        targets: dict = {}
        for e in entries:
            try:
                targets[e.name] = self.viewer.target_of(e)
            except ConfigError:
                targets[e.name] = f"no output for {self.viewer.current_task} (its tasks: {', '.join(e.task_names)})"
        v = self.viewer
        return {"targets": targets, "window": (v.window_choice, v.scan_stride, v.scan_rc)}

    def compute(self, seq: str, entries: list, plan: dict | None = None):
        """Generator run in the worker: yields `(done, total, text)`, returns the result dict
        `{"models": {name: analyze_sequence(...)}, "errors": ..., "notes": ...}` (subclasses add
        their own keys). `plan`: see `plan` (made now if not given)."""
        plan = plan if plan is not None else self.plan(entries)
        out: dict = {"models": {}, "errors": {}, "notes": {}}
        for e in entries:
            if isinstance(plan["targets"][e.name], str):
                out["notes"][e.name] = plan["targets"][e.name]
        entries = [e for e in entries if e.name not in out["notes"]]
        plans = [(e, self.methods_for(e)) for e in entries]
        total = sum(len(A._order(m)) for _, m in plans) or 1
        done = 0
        window, stride, rc = plan["window"]
        for entry, methods in plans:
            try:
                target = plan["targets"][entry.name]
                owner = self.viewer.runtime.owner(entry)  # lends the network, one step at a time
                steps = owner.run(
                    lambda net, e=entry, m=methods, t=target: A.iter_analyze(
                        e, seq, m, t, self.viewer.results, None, window, stride, rc, network=net
                    )
                )
                try:
                    while True:
                        try:
                            k, _n, method = next(steps)
                        except StopIteration as stop:
                            out["models"][entry.name] = dict(stop.value, target=target)
                            break
                        yield done + k, total, f"{entry.name}: {A.METHOD_LABELS.get(method, method)}"
                finally:
                    steps.close()  # a cancelled panel job ends its model's ticket now
            except Cancelled:  # unticked, moved or removed meanwhile: this result is stale anyway
                pass
            except Exception as exc:  # one model failing leaves the others on screen
                from deemo_gui.qt.errors import user_message

                log.warning(
                    "%s: analysis of %s failed: %s",
                    self.title,
                    entry.name,
                    exc,
                    exc_info=None if isinstance(exc, DeemoError) else exc,
                )
                out["errors"][entry.name] = user_message(exc, entry.name)
            done += len(A._order(methods))
        return out

    def cached_result(self, seq: str, entries: list) -> dict | None:
        """The result from `viewer.results` alone, or None if anything is missing (no torch work)."""
        plan = self.plan(entries)
        out: dict = {"models": {}, "notes": {}}
        for e in entries:
            target = plan["targets"][e.name]
            if isinstance(target, str):
                out["notes"][e.name] = target
                continue
            r = A.cached_analysis(e, seq, self.methods_for(e), self.viewer.results, target, None, *plan["window"])
            if r is None:
                return None
            out["models"][e.name] = dict(r, target=target)
        return out

    # -- scheduling ------------------------------------------------------------------------------
    def _showing(self) -> bool:
        return self.isVisible()

    def schedule(self, immediate: bool = False) -> None:
        if not self._showing():
            self._dirty = True  # recomputed when the tab is shown
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
            self._dirty = True  # another tab is the one being rendered

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
                result = A.drain(self.compute(seq, entries, self.plan(entries)))
                self._accept(key, seq, result)
                self.after_refresh(seq, entries, sync)
            except Exception as exc:
                self._failed(exc)
            finally:
                set_torch_threads(None)
            return None
        if self.worker is not None and self.worker.is_running():
            self._pending = True
            if self._worker_key != key and not self.worker.cancelled:
                self._stale_cancel = True
                self.worker.cancel()  # its finished methods stay cached
            return None
        self.state = "computing"
        self.set_status(
            f"Computing for {len(entries)} model{'s' if len(entries) != 1 else ''}… "
            "(progress and Cancel in the status bar)"
        )
        worker = Worker(
            self.compute,
            seq,
            entries,
            self.plan(entries),
            name=f"{self.job_name} ({self.title})",
            progress=lambda p: p,
            torch_threads=1,
        )
        self._worker_key = key
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
            self._pending = True  # stale: the sequence or the selection changed meanwhile
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

        self.state = "error"
        if not isinstance(exc, Exception):
            return
        self.set_status(
            f"<span style='color:#B2182B'>Could not compute: {escape(user_message(exc, self.title))}</span>"
        )
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
            return (
                "Select a model in the <b>Models</b> list on the right (tick its box) to see why it predicts "
                "what it does."
            )
        return ""

    def _show_empty(self, message: str, key: tuple) -> None:
        self.result, self.shown_key, self.state = None, key, "empty"
        self.set_status("")
        self.draw_message(message)

    def set_status(self, text: str) -> None:
        self.status.setText(text)
        self.trust.show_for(self.models())

    def ready_status(self, seq: str, result: dict) -> str:
        rid = self.viewer.current_id or ""
        i = self.viewer.current_index
        edited = " (edited)" if i >= 0 and self.viewer.is_edited(i) else ""
        text = f"<b>{escape(rid)}</b>{edited} · {len(seq)} nt"
        for name, message in (result.get("notes") or {}).items():
            text += f" · <span style='color:#666'>{escape(name)}: {escape(message)}</span>"
        for name, message in (result.get("errors") or {}).items():
            text += f" · <span style='color:#B2182B'>{escape(name)}: {escape(message)}</span>"
        return text

    def build_body(self) -> None:
        """The header row, then either a wrapped message (empty states) or the stacked tracks
        (`self.graphics`, a `TrackStack` of fixed-height tracks in a vertical scroll area)."""
        from PySide6.QtWidgets import QStackedWidget

        from deemo_gui.qt.plots.stack import TrackStack

        self.graphics = TrackStack(xlabel=XLABEL, all_ticks=True)
        self.graphics.ci.setContentsMargins(4, 4, 12, 4)
        self.scroll_area = in_scroll_area(self.graphics)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.RichText)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setContentsMargins(40, 20, 40, 20)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.body = QStackedWidget()
        self.body.addWidget(self.message)
        self.body.addWidget(self.scroll_area)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        if type(self).export_dialog is AnalysisPanel.export_dialog:  # the Dashboard has its own button
            self.export_button = QPushButton("Export…")
            self.export_button.setToolTip(
                f"Save the {self.title} tracks as a PNG, SVG or PDF figure, titled with "
                "the sequence, the method and the models"
            )
            self.export_button.clicked.connect(self.export_dialog)
            self.header.addWidget(self.export_button)
        layout.addLayout(self.header)
        self.trust = TrustLabel()
        self.trust.setContentsMargins(6, 0, 6, 0)
        layout.addWidget(self.trust)
        layout.addWidget(self.body, 1)
        self.draw_message(self.empty_message(self.viewer.current_sequence, self.models()) or "Computing…")

    def draw_message(self, text: str) -> None:
        self.forget()
        self.message.setText(text)
        self.body.setCurrentIndex(0)

    def forget(self) -> None:
        """Clear the tracks (subclasses also drop their references to them)."""
        self.graphics.clear()

    def draw(self, seq: str, result: dict) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- export ----------------------------------------------------------------------------------
    def export_title(self) -> str:
        """'seq_00002_peak (101 nt) · Saliency: Gradient × input, … · REST_GM12878_cnn, …': what an
        exported figure shows (sequence, method, models), also for a figure read months later."""
        v = self.viewer
        what = self.title
        combo = getattr(self, "method_combo", None)
        if combo is not None:
            parts = [combo.currentText()] + (
                ["in-silico mutagenesis", "saliency logo"] if hasattr(self, "ism_plots") else []
            )
            what += ": " + ", ".join(parts)
        if v.current_task:
            what += f" (task {v.current_task})"
        edited = " (edited)" if v.current_index >= 0 and v.is_edited(v.current_index) else ""
        names = ", ".join(m.name for m in self.models()) or "no model"
        return f"{v.current_id or 'sequence'}{edited} ({len(v.current_sequence):,} nt) · {what} · {names}"

    def export(self, path) -> str:
        """Write the panel's tracks, titled (see `export_title`), to a .png, .svg or .pdf file."""
        if self.body.currentIndex() != 1:
            raise DeemoError(f"nothing to export in {self.title} yet: {self.message.text() or 'still computing'}")
        return self.graphics.export(path, title=self.export_title())

    def export_dialog(self) -> str | None:
        """Ask for a file name and export; returns the path written (None when cancelled or failed)."""
        import os

        from PySide6.QtWidgets import QFileDialog

        from deemo_gui.qt.errors import report_exception

        rid = (self.viewer.current_id or self.title).replace("/", "_").replace(":", "_")
        path, chosen = QFileDialog.getSaveFileName(
            self, f"Export {self.title}", f"{rid}_{self.title.lower()}.png", EXPORT_FILTER
        )
        if not path:
            return None
        if not os.path.splitext(path)[1]:
            path += ".svg" if "SVG" in (chosen or "") else ".pdf" if "PDF" in (chosen or "") else ".png"
        try:
            self.export(path)
        except Exception as exc:  # noqa: BLE001 - any failure becomes one dialog; the view stays
            report_exception(self, exc, f"Exporting the {self.title} view")
            return None
        if self.window_ is not None and hasattr(self.window_, "show_message"):
            self.window_.show_message(f"{self.title} saved to {path}")
        return path


def escape(text: str) -> str:
    """`text` safe inside Qt rich text."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def prob_text(result: dict, entry) -> str:
    """'P(REST) = 0.93' for a model's analysis result (of the task it explains, `result["target"]`)."""
    names = getattr(entry, "task_names", None) or []
    target = int(result.get("target", 0))
    task = names[target] if target < len(names) else "+"
    p = result.get("prob")
    text = f"P({task}) = {float(p[0]):.3f}" if p is not None else f"P({task}) = ?"
    return text + window_text(result, entry)


def window_text(result: dict, entry) -> str:
    """' · best window 575–675 of 910' / ' · window 600–700 (chosen)' / ' · N-padded to 101 nt' for
    a sequence of another length than the model's input; '' otherwise."""
    scan = result.get("scan")
    start, end = result.get("window", (0, 0))
    L = int(getattr(entry, "input_length", 0) or 0)
    if scan is not None and scan.scanned:
        best = scan.best_start(int(result.get("target", 0))) == result.get("offset")
        return (
            f" · best window {start + 1:,}–{end:,} of {len(scan.starts):,}"
            if best
            else f" · window {start + 1:,}–{end:,} (chosen)"
        )
    if L and end - start < L:
        return f" · N-padded to {L} nt"
    return ""


def in_scroll_area(widget) -> QScrollArea:
    """`widget` in a white vertical scroll area (its height is its content's: see `TrackStack`)."""
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
