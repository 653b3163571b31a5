"""The TF-MoDISco page of the Motifs panel: patterns found in the attributions of the open sequences
(`core.modisco`), their CWM and PWM logos on both strands, seqlet counts and Tomtom matches in JASPAR,
and every seqlet: a click makes its record current in the editor with the seqlet selected (boxed).
The job runs in a `Worker` (progress in the status bar, Cancel kills the engine's child process).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen, QTransform
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from deemo_gui import palette
from deemo_gui.core.errors import DataError
from deemo_gui.qt.panels.motif_text import fmt_p
from deemo_gui.qt.panels.motif_widgets import ModelChooser, make_spin, make_table, sort_num_item, status_label
from deemo_gui.qt.workers import Worker

# Open sequences used at most (the first ones; positives when labelled). DeepLIFT/SHAP costs 40
# forward-backward passes per sequence: 500 take about a minute on a laptop CPU (ours).
MAX_SEQUENCES = 500


class SignedLogo(QWidget):
    """A logo of a signed `(4, W)` matrix (a CWM: letters below the axis for negative values) or of
    bits, drawn by `LogoItem` with a title line."""

    def __init__(self, title: str = "", parent=None):
        super().__init__(parent)
        self.title, self.ylabel = title, ""
        self.matrix: np.ndarray | None = None
        self.setMinimumSize(160, 80)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_matrix(self, matrix, title: str | None = None, bits: bool = False) -> None:
        self.matrix = None if matrix is None else np.asarray(matrix, dtype=np.float64)
        self.bits = bits
        if title is not None:
            self.title = title
        self.update()

    def paintEvent(self, event) -> None:
        from deemo_gui.qt.plots.logo_item import LogoItem

        p = QPainter(self)
        p.fillRect(self.rect(), QColor(palette.BACKGROUND_COLOR))
        font = QFont()
        font.setPixelSize(11)
        font.setBold(True)
        p.setFont(font)
        p.setPen(QColor(palette.TEXT_COLOR))
        th = p.fontMetrics().height()
        p.drawText(QRectF(4, 1, self.width() - 8, th), int(Qt.AlignmentFlag.AlignLeft), self.title)
        m = self.matrix
        if m is None or m.size == 0:
            p.end()
            return
        top = 2.0 if self.bits else max(float(np.clip(m, 0, None).sum(axis=0).max()), 1e-9)
        low = 0.0 if self.bits else -float(np.clip(-m, 0, None).sum(axis=0).max())
        plot = QRectF(6, th + 4, self.width() - 12, self.height() - th - 8)
        W = m.shape[1]
        sx = min(plot.width() / W, 40.0)
        sy = plot.height() / (top - low)
        y0 = plot.top() + top * sy
        pen = QPen(QColor(palette.AXIS_COLOR))
        p.setPen(pen)
        p.drawLine(QPointF(plot.left(), y0), QPointF(plot.left() + W * sx, y0))
        item = LogoItem()
        item.setData(m, 0)
        p.setTransform(QTransform(sx, 0, 0, -sy, plot.left() + 0.5 * sx, y0), True)
        item.paint(p)
        p.end()


def collect(viewer, target: int = 0, max_seqs: int = MAX_SEQUENCES):
    """(flat indices, sequences, ids) of the open records to explain: positives of task `target` when
    the files have labels, else all; the first `max_seqs`; any length (windows are chosen later)."""
    if viewer.n_sequences == 0:
        raise DataError("no sequences are open: open a sequence file first (File ▸ Open)")
    picked: list[int] = []
    for f_index, f in enumerate(viewer.files):
        offset = viewer.store.offsets[f_index]
        labels = f.data.labels
        if labels is not None and labels.shape[1] > target and np.any(labels[:, target] == 0):
            picked.extend(int(i) + offset for i in np.flatnonzero(labels[:, target] == 1))
        else:
            picked.extend(range(offset, offset + len(f.data)))
    if not picked:
        raise DataError(f"the open files have no positive sequences for task {target}")
    picked = picked[: max(1, int(max_seqs))]
    return picked, [viewer.sequence(i) for i in picked], [viewer.sequence_id(i) for i in picked]


def _job(owner, seqs, ids, target, attribution):
    """TF-MoDISco with the network borrowed from the model's owner (`viewer.runtime`), step by step."""
    from deemo_gui.core.modisco import modisco_job

    result = yield from owner.run(lambda net: modisco_job(net, seqs, ids=ids, target=target, attribution=attribution))
    result.model = owner.name
    return result


class ModiscoPage(QWidget):
    """Run TF-MoDISco on the open sequences and browse its patterns and seqlets."""

    def __init__(self, viewer, window, parent=None):
        super().__init__(parent)
        self.viewer, self.window_ = viewer, window
        self.worker: Worker | None = None
        self.result = None
        self.records: list[int] = []  # result record -> viewer flat index
        self.chooser = ModelChooser(viewer, parent=self)
        self.attribution = QComboBox()
        for key, text in (
            ("auto", "auto (DeepLIFT/SHAP for CNNs)"),
            ("deeplift", "DeepLIFT/SHAP"),
            ("saliency", "gradient"),
            ("ig", "integrated gradients"),
        ):
            self.attribution.addItem(text, key)
        self.attribution.setToolTip("Hypothetical contributions given to TF-MoDISco")
        self.max_spin = make_spin(
            MAX_SEQUENCES,
            10,
            1_000_000,
            "Use at most this many open sequences (the first ones; positives when the files are labelled)",
            step=100,
        )
        self.run_button = QPushButton("Find motifs")
        self.run_button.clicked.connect(self.run)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.report_button = QPushButton("Export report…")
        self.report_button.setToolTip("One HTML file with every logo embedded: it can be mailed as it is")
        self.report_button.setEnabled(False)
        self.report_button.clicked.connect(self.export_report)
        row = QHBoxLayout()
        for w in (
            self.chooser.model_combo,
            self.chooser.task_combo,
            QLabel("Attributions:"),
            self.attribution,
            QLabel("Sequences:"),
            self.max_spin,
            self.run_button,
            self.cancel_button,
            self.report_button,
        ):
            row.addWidget(w)
        row.addStretch(1)
        self.status = status_label(
            "TF-MoDISco clusters the high-attribution windows (seqlets) of the open "
            "sequences into patterns; click a seqlet to see it in the editor."
        )
        self.patterns = make_table(("#", "Pattern", "Seqlets", "Consensus", "Best JASPAR match", "q"), stretch=4)
        self.patterns.itemSelectionChanged.connect(self._pattern_chosen)
        self.logos = [
            SignedLogo(t) for t in ("CWM (forward)", "CWM (reverse)", "PWM (forward), bits", "PWM (reverse), bits")
        ]
        grid = QGridLayout()
        for k, logo in enumerate(self.logos):
            grid.addWidget(logo, k % 2, k // 2)
        logos = QWidget()
        logos.setLayout(grid)
        self.seqlets = make_table(("Record", "Start", "End", "Strand", "Contribution", "Bases"), stretch=5)
        self.seqlets.setToolTip("Click a seqlet: its record opens in the editor with the seqlet selected")
        self.seqlets.cellClicked.connect(lambda r, _c: self.show_seqlet(r))
        self.seqlets.currentCellChanged.connect(lambda r, _c, _pr, _pc: r >= 0 and self.show_seqlet(r))
        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(self.patterns)
        top.addWidget(logos)
        top.setStretchFactor(0, 1)
        top.setStretchFactor(1, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(self.seqlets)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 0)
        layout.addLayout(row)
        layout.addWidget(self.chooser.trust)
        layout.addWidget(self.status)
        layout.addWidget(split, 1)
        self._shown: list = []

    # -- the job -----------------------------------------------------------------------------
    def run(self) -> Worker | None:
        from deemo_gui.core.modisco import progress_of
        from deemo_gui.qt.errors import report_exception, show_error
        from deemo_gui.qt.panels._single_job import start_job

        if self.worker is not None and self.worker.is_running():
            return None
        entry = self.chooser.entry()
        if entry is None:
            show_error(self, "Tick a model in the Models list first.")
            return None
        target = self.chooser.target()
        try:
            records, seqs, ids = collect(self.viewer, target, self.max_spin.value())
        except DataError as exc:
            report_exception(self, exc, "TF-MoDISco")
            return None
        worker = Worker(
            _job,
            self.viewer.runtime.owner(entry),
            seqs,
            ids,
            target,
            self.attribution.currentData(),
            name=f"TF-MoDISco on {entry.name}",
            progress=progress_of,
        )
        worker.progress.connect(lambda d, t, text: self.status.setText(text))
        worker.returned.connect(lambda result, r=records: self.show_result(result, r))
        worker.aborted.connect(lambda: self.status.setText("Cancelled."))
        worker.errored.connect(lambda exc: self.status.setText(f"Stopped: {exc}"))
        worker.finished.connect(self._finished)
        self.worker = worker
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.status.setText(f"TF-MoDISco on {len(seqs):,} sequences…")
        start_job(self.window_, worker, "TF-MoDISco")
        return worker

    def cancel(self) -> None:
        if self.worker is not None and self.worker.is_running():
            self.worker.cancel()
            self.cancel_button.setEnabled(False)
            self.status.setText("Cancelling…")

    def _finished(self) -> None:
        self.cancel_button.setEnabled(False)
        self.run_button.setEnabled(True)

    def shutdown(self) -> None:
        if self.worker is not None and self.worker.is_running():
            self.worker.cancel()
            self.worker.wait(10_000)

    # -- results -----------------------------------------------------------------------------
    def show_result(self, result, records: list[int]) -> None:
        """Show a `ModiscoResult` whose record k is the viewer's flat index `records[k]`."""
        from deemo_gui.core.modisco import ATTRIBUTION_SHORT

        self.result, self.records = result, list(records)
        t = self.patterns
        t.setSortingEnabled(False)
        t.blockSignals(True)
        t.setRowCount(len(result.patterns))
        for k, p in enumerate(result.patterns):
            b = p.best
            first = sort_num_item(str(k + 1), k)
            first.setData(Qt.ItemDataRole.UserRole + 1, k)
            t.setItem(k, 0, first)
            t.setItem(k, 1, QTableWidgetItem(p.name.replace("_patterns.pattern_", " ")))
            t.setItem(k, 2, sort_num_item(f"{p.n_seqlets:,}", p.n_seqlets))
            t.setItem(k, 3, QTableWidgetItem(p.pwm().consensus()))
            match = QTableWidgetItem("–" if b is None else f"{b['target_name']} ({b['target_id']})")
            if b is not None and p.low_information:
                match.setText(f"not comparable (too flat); Tomtom's best {b['target_name']}")
            if not p.matched:
                match.setForeground(QColor("#888888"))
            t.setItem(k, 4, match)
            t.setItem(k, 5, sort_num_item("–" if b is None else fmt_p(b["q"]), 2.0 if b is None else float(b["q"])))
        t.blockSignals(False)
        t.setSortingEnabled(True)
        t.sortItems(0, Qt.SortOrder.AscendingOrder)
        t.resizeColumnsToContents()
        n = sum(p.n_seqlets for p in result.patterns)
        note = f" ({result.note})" if result.note else ""
        self.status.setText(
            f"{len(result.patterns)} patterns from {n:,} seqlets in {len(result.sequences):,} sequences; "
            f"{ATTRIBUTION_SHORT.get(result.attribution, result.attribution)} attributions{note}; "
            f"{sum(p.matched for p in result.patterns)} match {result.release or 'JASPAR'} with q < 0.05 "
            f"(memelite Tomtom: Euclidean distance, Benjamini-Hochberg q); {result.seconds.get('total', 0):.0f} s."
        )
        self.report_button.setEnabled(True)
        if result.patterns:
            t.selectRow(0)
        else:
            self._pattern_chosen()

    def current_pattern(self):
        rows = self.patterns.selectionModel().selectedRows() if self.result else []
        if not rows:
            return None
        item = self.patterns.item(rows[0].row(), 0)
        return self.result.patterns[int(item.data(Qt.ItemDataRole.UserRole + 1))]

    def _pattern_chosen(self) -> None:
        from deemo_gui.core.modisco_report import _bits

        p = self.current_pattern()
        for logo in self.logos:
            logo.set_matrix(None)
        self.seqlets.setRowCount(0)
        if p is None:
            return
        self.logos[0].set_matrix(p.trimmed("cwm"))
        self.logos[1].set_matrix(p.trimmed("cwm", reverse=True))
        self.logos[2].set_matrix(_bits(p.trimmed("ppm")), bits=True)
        self.logos[3].set_matrix(_bits(p.trimmed("ppm", reverse=True)), bits=True)
        self._shown = sorted(p.seqlets, key=lambda s: -s.score)
        t = self.seqlets
        t.setSortingEnabled(False)
        t.setRowCount(len(self._shown))
        for r, s in enumerate(self._shown):
            first = QTableWidgetItem(self.result.ids[s.record])
            first.setData(Qt.ItemDataRole.UserRole + 1, r)
            t.setItem(r, 0, first)
            t.setItem(r, 1, sort_num_item(str(s.start + 1), s.start))
            t.setItem(r, 2, sort_num_item(str(s.end), s.end))
            t.setItem(r, 3, QTableWidgetItem(s.strand))
            t.setItem(r, 4, sort_num_item(f"{s.score:.3g}", s.score))
            t.setItem(r, 5, QTableWidgetItem(self.result.seqlet_text(s)))
        t.setSortingEnabled(True)
        t.sortItems(4, Qt.SortOrder.DescendingOrder)  # the strongest seqlets first

    def show_seqlet(self, row: int) -> None:
        """Make the seqlet's record current and select (box) the seqlet in the editor."""
        item = self.seqlets.item(row, 0)
        if item is None or self.result is None:
            return
        s = self._shown[int(item.data(Qt.ItemDataRole.UserRole + 1))]
        index = self.records[s.record]
        if self.viewer.sequence_id(index) != self.result.ids[s.record]:
            self.status.setText("The open files changed since this run: run TF-MoDISco again.")
            return
        self.viewer.set_current(index)
        self.viewer.select(s.start, s.end)

    def export_report(self, path: str | None = None) -> str | None:
        from deemo_gui.core.modisco_report import write_report
        from deemo_gui.qt.errors import report_exception

        if self.result is None:
            return None
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                self, "Export TF-MoDISco report", "modisco_report.html", "HTML report (*.html)"
            )
            if not path:
                return None
        try:
            return write_report(self.result, path, title=f"TF-MoDISco: {self.result.model}")
        except DataError as exc:
            report_exception(self, exc, "Exporting the report")
            return None
