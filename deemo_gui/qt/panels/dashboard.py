"""The Dashboard panel: the Deep Motif Dashboard's Figure 2 for the current sequence.

Lanchantin, Singh, Wang & Qi 2017 (PSB 22:254), Figure 2, one column per selected model:

- the known motif of the model's transcription factor (its JASPAR matrix, information-scaled logo);
- the class-optimized logo of each model (sec. 3.3; computed once per model in a worker and cached);
- the sequence with its JASPAR hits boxed (FIMO p < 1e-4, + strand above, - strand below), each
  labelled with the attribution inside it (`core.motifs.hit_attribution`: the sum of each model's
  gradient x input over the hit at the observed bases, and its share of the sequence's);
- each hit's JASPAR logo at the hit (reverse complement on -), right above the saliency tracks;
- one saliency track per model (|gradient x input| of the logit, sec. 3.1), titled with its P(bound);
- forward and backward temporal output scores per recurrent model (sec. 3.2).

The sequence-aligned tracks are `deemo_gui.qt.plots` items in one `TrackStack`: one shared x axis
(sequence position, 1-based). File ▸ Export (the Export… button) writes the whole dashboard as
PNG, SVG or PDF.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtWidgets import QFileDialog, QLabel, QLineEdit, QPushButton

from deemo_gui import palette
from deemo_gui.qt.panels.analysis_panel import LOGO_HEIGHT, SCORE_HEIGHT, AnalysisPanel, escape, prob_text
from deemo_gui.qt.workers import Worker, set_torch_threads
from deemo_gui.viewer import analysis as A

if TYPE_CHECKING:
    import pandas as pd

    from deemo_gui.qt.plots.logo_item import LogoPlot

EXPORT_FILTER = "PNG image (*.png);;SVG vector image (*.svg);;PDF document (*.pdf)"
LEFT_AXIS_PX = 80  # a logo plot's left axis and margins, for sizing it by its columns


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
        self.motif_edit.setToolTip(
            "The known motif to show and scan for: a TF name (REST, CTCF…) or a JASPAR "
            "matrix ID (MA0138). Empty: the JASPAR 2024 matrix of each model's TF."
        )
        self.motif_edit.setMaximumWidth(170)
        self.motif_edit.editingFinished.connect(lambda: self.schedule(immediate=True))
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Save the dashboard as a PNG, SVG or PDF figure")
        self.export_button.clicked.connect(self.export_dialog)
        self.header.addWidget(QLabel("Known motif:"))
        self.header.addWidget(self.motif_edit)
        self.header.addWidget(self.recompute_button)
        self.header.addWidget(self.export_button)

        self.classopt_workers: dict[tuple, Worker] = {}  # (model name, target) -> its running job
        self.classopt_progress: dict[tuple, str] = {}
        self.classopt_plots: dict[str, LogoPlot] = {}
        self.scan_plots: dict[str, object] = {}
        self.motif_plots: dict[str, object] = {}
        self.sequence_plot = None
        self.hit_logo_plot = None
        self.hit_attributions: dict[str, pd.DataFrame] = {}  # model name -> hits with attribution columns
        self.saliency_plots: dict[str, object] = {}
        self.temporal_plots: dict[str, object] = {}
        self.summary = None
        self.build_body()

    # -- computing -------------------------------------------------------------------------------
    def request_key(self) -> tuple:
        return super().request_key() + (self.motif_edit.text().strip().upper(),)

    def _motif_query(self) -> str:
        return self.motif_edit.text().strip()

    def plan(self, entries: list) -> dict:
        return {**super().plan(entries), "query": self._motif_query(), "tfs": self._tfs(entries)}

    def compute(self, seq: str, entries: list, plan: dict | None = None):
        plan = plan if plan is not None else self.plan(entries)
        query = plan["query"]
        yield 0, 0, "JASPAR motifs"
        motifs = [A.known_motif(query)] if query else A.dashboard_motifs(entries, plan["tfs"])
        motifs = [m for m in motifs if m is not None]
        hits = A.cached_hits(motifs, seq, self.viewer.results)
        out = yield from super().compute(seq, entries, plan)
        out["motifs"] = motifs
        out["hits"] = hits
        out["motif_query"] = query
        return out

    def cached_result(self, seq: str, entries: list) -> dict | None:
        query = self._motif_query()
        motifs = A.cached_known_motifs([query] if query else self._tfs(entries))
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

    def _tfs(self, entries: list) -> list:
        """The TF of each model: a multi-task model's explained task (unless it is only a
        placeholder name, "task3"), else the one its name or training data tells."""
        task = self.viewer.current_task
        named = task is not None and not re.fullmatch(r"task\d+", task)
        return [task if len(e.task_names) > 1 and named else A.model_tf(e) for e in entries]

    def _label(self, entry) -> str:
        """The model's name, with the task it explains when it has several."""
        target = self._target(entry)
        if len(entry.task_names) > 1 and target is not None:
            return f"{entry.name} [{entry.task_names[target]}]"
        return entry.name

    def _target(self, entry) -> int | None:
        try:
            return self.viewer.target_of(entry)
        except Exception:
            return None  # the analysis job reports it for this model

    def after_refresh(self, seq: str, entries: list, sync: bool) -> None:
        wanted = {(e.name, self._target(e)) for e in entries}
        for key, worker in list(self.classopt_workers.items()):
            if key not in wanted:
                worker.cancel()  # deselected or another task: free the CPU (restarts when chosen again)
        for entry in entries:
            self.start_class_optimization(entry, sync=sync)

    def classopt_result(self, entry):
        target = self._target(entry)
        if target is None:
            return None
        return A.stored_class_optimization(entry, target, self.CLASSOPT_STEPS)

    def start_class_optimization(self, entry, sync: bool = False) -> Worker | None:
        """Class optimization of one model for the task it explains, once ever (`classopt_cache`);
        the logo updates when done. The network is borrowed from the model's owner (`viewer.runtime`)."""
        target = self._target(entry)
        if target is None or self.classopt_result(entry) is not None:
            return None
        key = (entry.name, target)
        running = self.classopt_workers.get(key)
        if running is not None and running.is_running() and not running.cancelled:
            return running
        if sync:
            # One torch thread, as the workers use (`Worker(torch_threads=1)`): two threads on a busy machine
            # made this 1000-step loop minutes long.
            set_torch_threads(1)
            try:
                with self.viewer.runtime.owner(entry).borrow() as net:
                    A.drain(A.iter_class_optimization(entry, target, self.CLASSOPT_STEPS, network=net))
            finally:
                set_torch_threads(None)
            self._classopt_done(key, None)
            return None
        steps = self.CLASSOPT_STEPS
        what = f"P({entry.task_names[target]})" if len(entry.task_names) > 1 else "P(+)"

        owner = self.viewer.runtime.owner(entry)
        label = self._label(entry)
        worker = Worker(
            owner.run,
            lambda net: A.iter_class_optimization(entry, target, steps, network=net),
            name=f"Class optimization of {label}",
            torch_threads=1,
            progress=lambda p, s=steps: (p.step, s, f"step {p.step} of {s}, {what} = {p.score:.3f}"),
        )
        worker.yielded.connect(lambda p, k=key: self._classopt_progress(k, p, what))
        worker.finished.connect(lambda k=key, w=worker: self._classopt_done(k, w))
        self.classopt_workers[key] = worker
        self.classopt_progress[key] = "computing…"
        if self.window_ is not None and hasattr(self.window_, "jobs"):
            self.window_.jobs.start(worker, context=f"Class optimization of {label}")
        else:
            worker.start()
        return worker

    def _classopt_progress(self, key: tuple, p, what: str = "P(+)") -> None:
        self.classopt_progress[key] = f"computing… step {p.step} of {p.steps}, {what} = {p.score:.2f}"
        plot = self.classopt_plots.get(key[0])
        if plot is not None and plot.placeholder is not None and self._shows(key):
            plot.setPlaceholder(self.classopt_progress[key])

    def _shows(self, key: tuple) -> bool:
        """Whether the class-optimization plot of model `key[0]` shows task `key[1]` now."""
        entry = next((m for m in self.models() if m.name == key[0]), None)
        return entry is not None and self._target(entry) == key[1]

    def _classopt_done(self, key: tuple, worker) -> None:
        """`worker` (None: a synchronous run) for `key` ended; a newer job for the same key stays."""
        if worker is not None and self.classopt_workers.get(key) is worker:
            del self.classopt_workers[key]
        if worker is not None and worker.cancelled and key not in self.classopt_workers:
            self.classopt_progress[key] = "cancelled (press Recompute to run it again)"
        plot = self.classopt_plots.get(key[0])
        if plot is None or not self._shows(key):
            return
        self._fill_classopt(plot, next(m for m in self.models() if m.name == key[0]))

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
        self.summary = None
        self.classopt_plots.clear()
        self.motif_plots.clear()
        self.saliency_plots.clear()
        self.temporal_plots.clear()
        self.scan_plots.clear()
        self.sequence_plot = None
        self.hit_logo_plot = None
        self.hit_attributions = {}

    def draw(self, seq: str, result: dict) -> None:
        import pyqtgraph as pg

        from deemo_gui.qt.plots import LogoPlot, SequencePlot, saliency_plot, temporal_plot
        from deemo_gui.qt.plots.axes import shrinkable
        from deemo_gui.qt.plots.hit_logos import HitLogoPlot, hit_logo
        from deemo_gui.qt.plots.score_track import TEMPORAL_LEGEND
        from deemo_gui.qt.plots.stack import fix_height
        from deemo_gui.qt.plots.window_scan import WindowScanPlot

        entries = [m for m in self.models() if m.name in result["models"]]
        stack = self.graphics
        self.forget()

        # Row 0: the known motif(s) of the models' TFs and a summary (not aligned to the sequence).
        motifs = result.get("motifs") or []
        top = stack.add_row(px=max(LOGO_HEIGHT, 24 + 17 * (1 + 2 * len(entries))))  # the summary's lines
        top.setSpacing(8)
        col = 0
        if not motifs:
            query = result.get("motif_query")
            tfs = ", ".join(sorted({tf for tf in self._tfs(entries) if tf}))
            title = (
                f"Known motif: none in JASPAR for {escape(query or tfs)}"
                if query or tfs
                else "No known motif: type a TF above"  # the model names no TF
            )
            top.addItem(LogoPlot(None, title=title), row=0, col=col)
            top.layout.setColumnStretchFactor(col, 1)  # an empty logo: the summary beside it gets the room
            col += 1
        for pwm in motifs:
            release = pwm.source.replace("JASPAR", "JASPAR ")
            plot = LogoPlot(A.ic_logo(pwm), title=f"Known motif: {escape(pwm.name)} {pwm.id}")
            plot.setLabel("bottom", f"motif position ({release})", color=palette.TEXT_COLOR)
            plot.setMaximumWidth(LEFT_AXIS_PX + 34 * pwm.width)  # letters keep a readable aspect
            top.addItem(plot, row=0, col=col)
            top.layout.setColumnStretchFactor(col, 3)
            self.motif_plots[pwm.id] = plot
            col += 1
        summary = pg.LabelItem(
            self._summary_html(seq, result, entries), color=palette.TEXT_COLOR, size="10pt", justify="left"
        )
        shrinkable(summary)
        top.addItem(summary, row=0, col=col)
        top.layout.setColumnStretchFactor(col, 2 if len(motifs) <= 1 else 1)
        self.summary = summary

        # Class-optimized inputs have the model's input length: on the sequence's axis when the
        # lengths agree, else each on its own axis of model input positions.
        for entry in entries:
            plot = LogoPlot()
            if entry.input_length == len(seq):
                stack.add(plot, px=LOGO_HEIGHT - 20)
            else:
                fix_height(stack.add_row(plot, px=LOGO_HEIGHT), LOGO_HEIGHT)
            plot.setTitle(f"Class optimization: {escape(self._label(entry))}", justify="left")  # as the tracks below
            self.classopt_plots[entry.name] = plot
            self._fill_classopt(plot, entry)
        hits = result.get("hits")
        n_hits = 0 if hits is None else len(hits)
        motif_names = ", ".join(f"{escape(m.name)} {m.id}" for m in motifs) or "no known motif"
        self.hit_attributions = self._hit_attributions(seq, result, entries, hits, motifs)
        notes = self._attribution_notes(entries, hits)
        seq_plot = SequencePlot(
            seq,
            self._hits(hits, motifs, notes),
            ylabel="strand",
            title=f"JASPAR hits ({motif_names}, FIMO p &lt; 1e-4, both strands): "
            f"{n_hits} hit{'s' if n_hits != 1 else ''}",
        )
        self.sequence_plot = stack.add(seq_plot, px=seq_plot.preferred_px())
        for entry in entries:
            r = result["models"][entry.name]
            scan = r.get("scan")
            if scan is None or not scan.scanned:
                continue
            plot = WindowScanPlot(
                scan,
                int(r.get("target", 0)),
                r["window"],
                sequence=seq,
                title=(
                    f"{escape(entry.name)} — P of each {scan.length}-nt window"
                    f"{' (both strands)' if scan.reverse_complement else ''} · shaded: explained (click to change)"
                ),
            )
            plot.sigPicked.connect(self.viewer.set_window)
            self.scan_plots[entry.name] = stack.add(plot, px=SCORE_HEIGHT)
        if hits is not None and n_hits:
            logos = HitLogoPlot(
                [
                    hit_logo(
                        next(m for m in motifs if m.id == h["motif_id"]),
                        int(h["start"]),
                        h["strand"],
                        box[3],
                        self._attribution_caption(entries, idx),
                    )
                    for (idx, h), box in zip(hits.iterrows(), self._hits(hits, motifs, notes))
                    if any(m.id == h["motif_id"] for m in motifs)
                ],
                title="JASPAR logo at each hit (−: reverse complement) · % of each model's attribution inside it",
            )
            self.hit_logo_plot = stack.add(logos, px=logos.preferred_px())
        for entry in entries:
            r = result["models"][entry.name]
            plot = saliency_plot(
                r["saliency_track"],
                seq,
                ylabel="|∂logit/∂x|·x",
                name="saliency",
                title=f"{escape(entry.name)} — saliency · {prob_text(r, entry)}",
            )
            self.saliency_plots[entry.name] = stack.add(plot, px=SCORE_HEIGHT)
        for entry in entries:
            r = result["models"][entry.name]
            if "temporal" not in r:
                continue
            plot = temporal_plot(
                r["temporal"][0],
                r["temporal"][1],
                seq,
                ylabel="P(bound)",
                legend=False,
                title=f"{escape(entry.name)} — temporal output scores {TEMPORAL_LEGEND}",
            )
            self.temporal_plots[entry.name] = stack.add(plot, px=SCORE_HEIGHT + 16)
        stack.setXExtent(len(seq))

    @staticmethod
    def _hits(hits, motifs, notes=None) -> list:
        """A `motif_hits` table as sequence-track hits, coloured by motif, labelled with name and p
        (and `notes[k]`, the attribution inside hit k, when given)."""
        if hits is None or not len(hits):
            return []
        colors = {m.id: palette.hit_color(k) for k, m in enumerate(motifs)}
        return [
            (
                int(h["start"]),
                int(h["end"]),
                "-" if h["strand"] == "-" else "+",
                f"{h['name']} p={h['p']:.1e}" + (f" · {notes[k]}" if notes and notes[k] else ""),
                colors.get(h["motif_id"]) or palette.hit_color(len(colors)),
            )
            for k, (_, h) in enumerate(hits.iterrows())
        ]

    @staticmethod
    def _hit_attributions(seq: str, result: dict, entries: list, hits, motifs) -> dict:
        """{model name: `hit_attribution` of the hits on that model's gradient x input}."""
        from deemo_gui.core.motifs.hit_attribution import hit_attribution

        if hits is None or not len(hits):
            return {}
        known = hits[hits["motif_id"].isin([m.id for m in motifs])]
        out = {}
        for e in entries:
            sal = result["models"][e.name].get("saliency")
            if sal is not None and np.shape(sal) == (4, len(seq)):
                out[e.name] = hit_attribution(known, motifs, sal, seq)
        return out

    def _attribution_caption(self, entries: list, idx) -> str:
        """ "33% / 18%": hit `idx`'s share of the sequence's attribution per model, in the order of
        the saliency tracks (the values are in the hover read-out)."""
        parts = []
        for e in entries:
            df = self.hit_attributions.get(e.name)
            if df is not None and idx in df.index and df.loc[idx, "attribution_seen"] > 0:
                row = df.loc[idx]
                parts.append(f"{100 * row['attribution_share']:.0f}%")
            elif df is not None:
                parts.append("–")
        return " / ".join(parts)

    def _attribution_notes(self, entries: list, hits) -> list | None:
        """Per hit: "attribution 2.3 (34% of the sequence's)" (one model), or one such part per model."""
        from deemo_gui.core.motifs.hit_attribution import attribution_text

        if hits is None or not len(hits) or not self.hit_attributions:
            return None
        notes = []
        for idx in hits.index:
            parts = []
            for e in entries:
                df = self.hit_attributions.get(e.name)
                if df is None or idx not in df.index:
                    continue
                text = attribution_text(df.loc[idx])
                parts.append(text if len(self.hit_attributions) == 1 else f"{e.name}: {text}")
            notes.append(" · ".join(parts))
        return notes

    def _summary_html(self, seq: str, result: dict, entries: list) -> str:
        rows = []
        for e in entries:
            r = result["models"][e.name]
            auroc = f" · test AUROC {e.test_auroc:.3f}" if e.test_auroc is not None else ""
            ensemble = (e.metadata.get("training") or {}).get("ensemble")
            kind = f"auto: {ensemble['members']} {e.preset} networks" if ensemble else e.preset
            rows.append(f"<b>{escape(e.name)}</b>: {prob_text(r, e)}<br>&nbsp;&nbsp;{escape(kind)}{auroc}")
        hits = result.get("hits")
        n_hits = 0 if hits is None else len(hits)
        head = (
            f"<b>{escape(self.viewer.current_id or '')}</b> · {len(seq)} nt · "
            f"{n_hits} JASPAR hit{'s' if n_hits != 1 else ''}"
        )
        return head + "<br>" + "<br>".join(rows)

    def _fill_classopt(self, plot, entry) -> None:
        result = self.classopt_result(entry)
        if result is None:
            plot.setData(np.zeros((4, entry.input_length or 101)))
            plot.setPlaceholder(self.classopt_progress.get((entry.name, self._target(entry)), "computing…"))
            return
        plot.setPlaceholder(None)
        plot.setData(A.ic_logo(result.pwm))
        own_axis = self.sequence_plot is not None and len(self.sequence_plot.track.sequence()) != entry.input_length
        where = f" · model input positions 1–{entry.input_length}" if own_axis else ""
        plot.setTitle(
            f"Class-optimized input: {escape(self._label(entry))} · P = {result.consensus_score:.2f} "
            f"(one-hot consensus; relaxed input {result.score:.2f}){where}",
            justify="left",
        )
        plot.classopt = result
        if self.sequence_plot is not None:
            self.graphics.setXExtent(len(self.sequence_plot.track.sequence()))

    def ready_status(self, seq: str, result: dict) -> str:
        base = super().ready_status(seq, result)
        return base + " · hover a track for position, base and value"

    # -- export ----------------------------------------------------------------------------------
    def export(self, path) -> str:
        """Write the dashboard to a .png, .svg or .pdf file, titled (sequence, method, models)."""
        return self.graphics.export(path, title=self.export_title())

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
