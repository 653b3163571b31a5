"""The Motifs panel: the motifs a model has learned, extracted by each Deep Motif Dashboard method
(saliency, temporal output, class optimization; sec. 3.4) and by DeepBind's convolution-activation
baseline, each with its Tomtom matches in JASPAR, beside a JASPAR browser (`jaspar_browser`) and the
TF-MoDISco page (`modisco`). Extracted motifs export as MEME files.

The science runs in `deemo_gui.viewer.motif_jobs`; this module only draws. The pieces the motif
panels share live in `motif_text`, `motif_logos`, `motif_widgets` and `motif_export`.
"""

from __future__ import annotations

import time
import weakref

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QMenu,
    QPushButton,
    QSplitter,
    QTableWidgetItem,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from deemo_gui.core.motifs.tomtom import LOW_INFORMATION_BITS
from deemo_gui.qt.panels.jaspar_browser import JasparBrowser
from deemo_gui.qt.panels.motif_export import export_meme_dialog
from deemo_gui.qt.panels.motif_logos import AlignedLogos
from deemo_gui.qt.panels.motif_text import (
    LOW_INFORMATION_TIP,
    fmt_duration,
    fmt_p,
    low_information_text,
    motif_label,
)
from deemo_gui.qt.panels.motif_widgets import (
    MATCH_TIPS,
    MatchesTable,
    ModelChooser,
    make_spin,
    make_table,
    sort_num_item,
    status_label,
)
from deemo_gui.qt.workers import Worker


class MotifsPanel(QWidget):
    """JASPAR browser and the motifs extracted from a model by each method."""

    title = "Motifs"
    IDLE_TEXT = "Choose methods and press Extract motifs: they run over the open sequences."

    def __init__(self, viewer, window, parent=None):
        super().__init__(parent)
        from deemo_gui.viewer import motif_jobs

        self.viewer, self.window_ = viewer, window
        self.outcomes = weakref.WeakKeyDictionary()  # model -> {task: (outcome, description)}: this panel's own
        self.worker: Worker | None = None
        self.outcome = None

        self.browser = JasparBrowser(window, parent=self)
        self.release_combo = self.browser.release_combo  # extraction compares with the browsed release

        # -- right: extracted motifs ------------------------------------------------------
        self.chooser = ModelChooser(viewer, parent=self)
        self.chooser.changed.connect(self._model_changed)
        why = motif_jobs.available_methods
        self._why = why
        self.method_checks: dict[str, QCheckBox] = {}
        tips = {
            "saliency": "Best 9-nt window of summed saliency in each positive sequence, aligned and counted "
            "(Deep Motif Dashboard sec. 3.4)",
            "temporal": "9-nt windows ending where the forward temporal score switches from negative to "
            "positive, P(bound) crossing 0.5 (DeMo Dashboard sec. 3.4; recurrent networks only); "
            "switches in the first 9 positions are the start transient and do not count, and "
            "sequences that never switch later are left out",
            "classopt": "The 9 most informative columns of the class-optimized input (DeMo Dashboard sec. 3.4; "
            "1000 steps, lambda 0.009, lr 0.05 as in their code)",
            "activation": "DeepBind's convolution-activation baseline: per first-layer filter, the window at its "
            "largest activation in each sequence (Alipanahi et al. 2015)",
        }
        methods_row = QHBoxLayout()
        for m in motif_jobs.EXTRACT_METHODS:
            box = QCheckBox(motif_jobs.METHOD_LABELS[m].replace(" 9-mers", "").replace(" output", ""))
            box.setChecked(True)
            box.setToolTip(tips[m])
            self.method_checks[m] = box
            methods_row.addWidget(box)
        methods_row.addStretch(1)
        self.max_spin = make_spin(
            motif_jobs.EXTRACT_MAX_SEQUENCES,
            10,
            1_000_000,
            "Use at most this many open sequences (the first ones; positives when the "
            "files are labelled). Default 1,000 (ours): saliency and temporal output cost "
            "a backward pass or one run per prefix for each sequence.",
            step=500,
        )
        self.run_button = QPushButton("Extract motifs")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.run)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.meme_button = QToolButton()
        self.meme_button.setText("Export MEME…")
        self.meme_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.meme_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.meme_button.setToolTip("Write every extracted motif to a MEME file (the arrow: only the selected rows)")
        meme_menu = QMenu(self.meme_button)
        meme_menu.addAction("All extracted motifs…", lambda: self._export_extracted(False))
        meme_menu.addAction("Only the selected motifs…", lambda: self._export_extracted(True))
        self.meme_button.setMenu(meme_menu)
        self.meme_button.clicked.connect(lambda: self._export_extracted(False))
        self.meme_button.setEnabled(False)
        self._started_at: float | None = None
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        model_row = QHBoxLayout()
        model_row.addWidget(self.chooser.model_combo, 2)
        model_row.addWidget(self.chooser.task_combo, 1)
        form.addRow("Model:", model_row)
        form.addRow("Methods:", methods_row)
        seq_row = QHBoxLayout()
        seq_row.addWidget(self.max_spin)
        seq_row.addWidget(self.run_button)
        seq_row.addWidget(self.cancel_button)
        seq_row.addWidget(self.meme_button)
        seq_row.addStretch(1)
        form.addRow("Sequences:", seq_row)
        self.status = status_label(self.IDLE_TEXT)
        self.extract_table = make_table(("Motif", "Consensus", "IC", "Best JASPAR match", "E"), stretch=3)
        for k, tip in enumerate(
            (
                "How the motif was found",
                "Most likely letter per column",
                "Information content of the motif, bits",
                "Tomtom's best match (grey: E >= 0.05)",
                MATCH_TIPS["E"],
            )
        ):
            self.extract_table.horizontalHeaderItem(k).setToolTip(tip)
        self.extract_table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.extract_table.setSortingEnabled(True)
        self.extract_table.itemSelectionChanged.connect(self._extract_selected)
        self.aligned = AlignedLogos()
        self.aligned.clear("Select an extracted motif")
        self.matches = MatchesTable()
        self.matches.row_chosen.connect(self._match_chosen)
        detail = QSplitter(Qt.Orientation.Horizontal)
        detail.addWidget(self.aligned)
        detail.addWidget(self.matches)
        detail.setStretchFactor(0, 2)
        detail.setStretchFactor(1, 3)
        learned_page = QWidget()
        right = QVBoxLayout(learned_page)
        right.setContentsMargins(4, 4, 4, 0)
        right.addLayout(form)
        right.addWidget(self.chooser.trust)
        right.addWidget(self.status)
        vsplit = QSplitter(Qt.Orientation.Vertical)
        vsplit.addWidget(self.extract_table)
        vsplit.addWidget(detail)
        vsplit.setStretchFactor(0, 1)
        vsplit.setStretchFactor(1, 1)
        vsplit.setChildrenCollapsible(False)
        right.addWidget(vsplit, 1)

        self.pages = QTabWidget()
        self.pages.setDocumentMode(True)
        self.pages.addTab(learned_page, "Learned by the model")
        self.pages.addTab(self.browser, "JASPAR browser")
        self.pages.setTabToolTip(1, "JASPAR CORE vertebrates, offline (pyjaspar): search by TF name or matrix ID")
        from deemo_gui.qt.panels.modisco import ModiscoPage

        self.modisco = ModiscoPage(viewer, window, parent=self)
        self.pages.addTab(self.modisco, "TF-MoDISco")
        self.pages.setTabToolTip(2, "Motifs discovered by TF-MoDISco in the attributions of the open sequences")
        self.pages.currentChanged.connect(lambda _i: self.shown())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 4)
        layout.addWidget(self.pages)
        self._rows: list = []
        self._current = None
        self._model_changed()

    def shown(self) -> None:
        self.browser.ensure_loaded()

    # -- extraction --------------------------------------------------------------------------
    def _model_changed(self) -> None:
        entry = self.chooser.entry()
        why = self._why(entry) if entry is not None else {}
        for m, box in self.method_checks.items():
            reason = why.get(m, "")
            box.setEnabled(entry is not None and not reason)
            tip = box.toolTip().split("\n\nNot for")[0]
            box.setToolTip(tip + (f"\n\nNot for this model: {reason}" if reason else ""))
        self.run_button.setEnabled(entry is not None and not (self.worker and self.worker.is_running()))
        # show the cached outcome of this model, if any
        self._show_outcome(self._cached(entry) if entry is not None else None)

    def methods(self) -> list[str]:
        return [m for m, box in self.method_checks.items() if box.isChecked() and box.isEnabled()]

    def _cached(self, entry):
        return self.outcomes.get(entry, {}).get(self.chooser.target())

    def run(self) -> Worker | None:
        from deemo_gui.qt.errors import report_exception, show_error
        from deemo_gui.viewer import motif_jobs

        if self.worker is not None and self.worker.is_running():
            return None
        entry = self.chooser.entry()
        if entry is None:
            show_error(self, "Tick a model in the Models list first.")
            return None
        methods = self.methods()
        if not methods:
            show_error(self, "Choose at least one method that applies to this model.")
            return None
        target = self.chooser.target()
        try:
            sample = motif_jobs.collect_sequences(self.viewer, entry, target=target, max_seqs=self.max_spin.value())
        except Exception as exc:
            report_exception(self, exc, "Extracting motifs")
            return None
        release = self.release_combo.currentText() or None
        worker = Worker(
            self.viewer.runtime.owner(entry).lend,
            lambda borrow: motif_jobs.extract_job(
                entry, sample.seqs, methods, target=target, release=release, cache=self.viewer.results, borrow=borrow
            ),
            name=f"Motifs of {entry.name}",
            progress=motif_jobs.progress_of,
        )
        worker.returned.connect(lambda out, e=entry, t=target, s=sample: self._done(e, t, s, out))
        worker.aborted.connect(lambda: self.status.setText("Cancelled."))
        worker.errored.connect(lambda exc: self.status.setText(f"Stopped with an error: {exc}"))
        worker.progress.connect(lambda d, t, text: self.status.setText(text))
        worker.finished.connect(self._finished)
        self.worker = worker
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.status.setText(f"Extracting motifs from {sample.description}…")
        self._started_at = time.perf_counter()  # the user's wait, whatever the job's own clock says
        self._start(worker, "Extracting motifs")
        return worker

    def cancel(self) -> None:
        if self.worker is not None and self.worker.is_running():
            self.worker.cancel()
            self.cancel_button.setEnabled(False)
            self.status.setText("Cancelling…")

    def _finished(self) -> None:
        self.cancel_button.setEnabled(False)
        self.run_button.setEnabled(self.chooser.entry() is not None)
        self.chooser.update_trust()  # the job loaded the weights: the first-layer check can run now

    def _done(self, entry, target, sample, outcome) -> None:
        waited = None if self._started_at is None else time.perf_counter() - self._started_at
        self._started_at = None
        self.outcomes.setdefault(entry, {})[target] = (outcome, sample.description)
        if self.chooser.entry() is entry and self.chooser.target() == target:
            self._show_outcome((outcome, sample.description), waited)

    def _show_outcome(self, cached, waited: float | None = None) -> None:
        """The extracted motifs of `cached` = (outcome, description) in the table (None: empty, and the
        status says what to do); `waited`: seconds from the click to the result (None: shown again)."""
        from deemo_gui.viewer.motif_jobs import METHOD_LABELS

        t = self.extract_table
        t.setSortingEnabled(False)
        t.blockSignals(True)
        if cached is None:
            t.setRowCount(0)
            t.blockSignals(False)
            self.outcome, self._rows = None, []
            self.meme_button.setEnabled(False)
            self.aligned.clear("Select an extracted motif")
            self.matches.set_matches(None)
            if not (self.worker is not None and self.worker.is_running()):  # no stale "130 motifs…" line
                self.status.setText(self.IDLE_TEXT)
            return
        outcome, description = cached
        self.outcome = outcome
        # one-motif methods first (saliency, temporal, class optimization), then the filters' activation
        # motifs, best match first
        single = [m for m in outcome.motifs if m.method != "activation"]
        per_filter = sorted(
            (m for m in outcome.motifs if m.method == "activation"), key=lambda m: (m.low_information, m.best_E)
        )
        self._rows = single + per_filter
        t.setRowCount(len(self._rows))
        for i, m in enumerate(self._rows):
            first = QTableWidgetItem(motif_label(m))
            first.setData(Qt.ItemDataRole.UserRole + 1, i)
            first.setToolTip(m.pwm.source)
            t.setItem(i, 0, first)
            t.setItem(i, 1, QTableWidgetItem(m.pwm.consensus()))
            t.setItem(i, 2, sort_num_item(f"{m.pwm.total_ic:.1f}", m.pwm.total_ic))
            best = QTableWidgetItem(f"{m.best_name} ({m.best_id})" if m.best_id else "–")
            if m.low_information:
                best.setText(f"not comparable ({low_information_text(m.pwm)})")
                best.setToolTip(
                    LOW_INFORMATION_TIP.format(bits=LOW_INFORMATION_BITS)
                    + (f" Tomtom's best: {m.best_name} ({m.best_id})." if m.best_id else "")
                )
            if not m.significant:
                best.setForeground(QColor("#888888"))
            t.setItem(i, 3, best)
            # too-flat motifs sort after every comparable one by E
            t.setItem(
                i,
                4,
                sort_num_item(
                    "–" if m.low_information else fmt_p(m.best_E), m.best_E + (1e300 if m.low_information else 0.0)
                ),
            )
        t.blockSignals(False)
        t.setSortingEnabled(True)
        skipped = "; ".join(f"{METHOD_LABELS[k]} skipped: {v}" for k, v in outcome.skipped.items())
        n_sig = sum(m.significant for m in self._rows)
        n_flat = sum(m.low_information for m in self._rows)
        flat = (
            f" {n_flat} {'is' if n_flat == 1 else 'are'} too flat to compare "
            f"(under {LOW_INFORMATION_BITS:g} bits per column)."
            if n_flat
            else ""
        )
        took = (
            f"{fmt_duration(waited)}"
            if waited is not None
            else f"computed earlier in {fmt_duration(outcome.seconds)}, shown again"
        )
        self.status.setText(
            f"{len(self._rows)} motifs from {description}; {n_sig} match a {outcome.release} "
            f"motif with E < 0.05 ({took}).{flat}" + (f" {skipped}." if skipped else "")
        )
        self.meme_button.setEnabled(bool(self._rows))
        if self._rows:
            t.selectRow(0)

    def selected_extracted(self) -> list:
        rows = sorted({ix.row() for ix in self.extract_table.selectionModel().selectedRows()})
        out = []
        for r in rows:
            item = self.extract_table.item(r, 0)
            if item is not None:
                out.append(self._rows[int(item.data(Qt.ItemDataRole.UserRole + 1))])
        return out

    def _extract_selected(self) -> None:
        sel = self.selected_extracted()
        if not sel:
            return
        m = sel[-1]
        self._current = m
        if m.low_information:  # Tomtom's "best match" of a flat matrix means nothing: no E, no CTCF table
            self.matches.set_matches(None)
            self.aligned.set_match(
                m.pwm,
                f"{motif_label(m)}: {m.pwm.consensus()} — not comparable ({low_information_text(m.pwm)})",
                None,
                None,
            )
            self.aligned.target.clear("too flat to compare with JASPAR: no E-value, no match list")
            return
        self.matches.set_matches(m.matches)
        self.aligned.set_match(m.pwm, f"{motif_label(m)}: {m.pwm.consensus()}", m.best, m.best_row)

    def _match_chosen(self, row: int) -> None:
        m = self._current
        if m is None or self.matches.df is None or row >= len(self.matches.df):
            return
        r = self.matches.df.iloc[row]
        target = next((p for p in self.browser.pwms if p.id == r["target_id"]), None)
        if target is None:
            from deemo_gui.viewer.motif_jobs import jaspar_motifs

            target = next((p for p in jaspar_motifs(self.outcome.release) if p.id == r["target_id"]), None)
        self.aligned.set_match(m.pwm, f"{motif_label(m)}: {m.pwm.consensus()}", target, r)

    def _export_extracted(self, only_selected: bool = False) -> str | None:
        """All extracted motifs to a MEME file (`only_selected`: the selected rows)."""
        chosen = self.selected_extracted() if only_selected else self._rows
        return export_meme_dialog(
            self, [m.pwm for m in chosen], "selected motifs" if only_selected else "extracted motifs"
        )

    # -- shared ------------------------------------------------------------------------------
    def _start(self, worker: Worker, context: str) -> None:
        from deemo_gui.qt.panels._single_job import start_job

        start_job(self.window_, worker, context)

    def shutdown(self) -> None:
        self.modisco.shutdown()
        self.browser.shutdown()
        if self.worker is not None and self.worker.is_running():
            self.worker.cancel()
            self.worker.wait(10_000)
