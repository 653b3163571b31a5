"""The Variants panel: the effect of each variant of a VCF/TSV file on each selected model.

Load a VCF (or a chrom/pos/ref/alt TSV) and the reference genome it was called on; every variant is
scored by every selected model in a worker (progress and Cancel in the status bar): P(bound) of the
reference and alternative windows and Δ = alt − ref (`core.variant_effects`). The table sorts by any
column (|Δ| first, largest on top). Clicking a row shows the variant's reference and alternative
gradient × input tracks, aligned base for base (indel gaps left empty), and their difference, with
the variant's column marked. Export TSV writes the whole table (every task) in file order.
"""

from __future__ import annotations

import os

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from deemo_gui.core.errors import DeemoError
from deemo_gui.qt.panels._single_job import SingleJobMixin, start_job
from deemo_gui.qt.trust import TrustLabel
from deemo_gui.qt.workers import Worker, observe

VARIANT_FILTER = "Variants (*.vcf *.vcf.gz *.tsv *.txt *.tsv.gz);;All files (*)"
GENOME_FILTER = "Genome FASTA (*.fa *.fasta *.fna *.fa.gz *.fasta.gz);;All files (*)"
COLUMNS = ("variant", "id", "ref", "alt", "model", "P(ref)", "P(alt)", "Δ", "|Δ|", "Δ logit")
ABS_DELTA = COLUMNS.index("|Δ|")
TRACK_PX = 150


def _item(value, text: str | None = None) -> QTableWidgetItem:
    """A table cell that sorts by `value` (numbers numerically) and shows `text`."""
    item = QTableWidgetItem()
    item.setData(Qt.ItemDataRole.DisplayRole, value if text is None else text)
    if text is not None:
        item.setData(Qt.ItemDataRole.UserRole + 1, value)
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    return item


class _NumberItem(QTableWidgetItem):
    def __lt__(self, other):
        return float(self.data(Qt.ItemDataRole.UserRole + 1)) < float(other.data(Qt.ItemDataRole.UserRole + 1))


def _number(value: float, fmt: str) -> QTableWidgetItem:
    item = _NumberItem(format(value, fmt))
    item.setData(Qt.ItemDataRole.UserRole + 1, float(value))
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


def _genome_axis(plot, v, centre: int) -> None:
    """Label `plot`'s positions with reference genome coordinates (1-based, as a browser shows them), and add
    the coordinate to its hover read-out."""
    offset = v.pos - centre  # column i shows base v.pos - centre + i (the flank before the allele)
    plot.getAxis("bottom").offset = offset
    info_at = plot.info_at

    def with_coordinate(x, y):
        info = info_at(x, y)
        if info is not None:
            info.extra = f"{v.chrom}:{info.index + offset:,}"
        return info

    plot.info_at = with_coordinate


class VariantsPanel(SingleJobMixin, QWidget):
    """Variant effects table and the aligned ref/alt attribution tracks of the clicked variant."""

    title = "Variants"
    cancel_message = "Cancelling the variant scoring…"

    def __init__(self, viewer, window, parent=None):
        super().__init__(parent)
        self.viewer, self.window_ = viewer, window
        self.worker: Worker | None = None
        self.vcf: str | None = None
        self.genome: str | None = None
        self.effects: list = []
        self.skipped: dict = {}
        self.shown_effect = None  # the VariantEffect drawn below the table

        self.vcf_button = QPushButton("Variants…")
        self.vcf_button.setToolTip(
            "A VCF (plain or .gz; multi-allelic sites split, symbolic alleles skipped) or "
            "a TSV with chrom, pos, ref, alt columns"
        )
        self.vcf_button.clicked.connect(self._choose_vcf)
        self.genome_button = QPushButton("Genome…")
        self.genome_button.setToolTip(
            "The reference FASTA the variants were called on (indexed on first use: "
            "a .fai beside it, or in the cache folder)"
        )
        self.genome_button.clicked.connect(self._choose_genome)
        self.skip_box = QCheckBox("Skip REF mismatches")
        self.skip_box.setChecked(True)
        self.skip_box.setToolTip(
            "Variants whose REF allele is not the genome's are skipped and counted; "
            "untick to stop at the first one with its line"
        )
        self.score_button = QPushButton("Score")
        self.score_button.clicked.connect(self.run)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.setEnabled(False)
        self.export_button = QPushButton("Export TSV…")
        self.export_button.setToolTip("chrom pos id ref alt model task p_ref p_alt delta, every task, in file order")
        self.export_button.clicked.connect(self._export_dialog)
        self.export_button.setEnabled(False)
        self.typed_edit = QLineEdit(placeholderText="type variants, e.g. 51 A>G; 60 CT>C (positions as on the ruler)")
        self.typed_edit.setToolTip(
            "1-based positions as the editor's ruler shows them, REF>ALT (SNVs and short "
            "indels); several separated by ;"
        )
        self.typed_edit.returnPressed.connect(self.run_typed)
        self.typed_button = QPushButton("Score typed")
        self.typed_button.clicked.connect(self.run_typed)
        self.source = ""  # what the table shows: a variant file's name, or the typed sequence's
        self.status = QLabel(
            "Load a VCF/TSV of variants and the reference genome, or type variants on the "
            "current sequence; each selected model scores every variant."
        )
        self.status.setWordWrap(True)

        header = QHBoxLayout()
        for w in (
            self.vcf_button,
            self.genome_button,
            self.skip_box,
            self.score_button,
            self.cancel_button,
            self.export_button,
        ):
            header.addWidget(w)
        header.addStretch(1)
        typed_row = QHBoxLayout()
        typed_row.addWidget(QLabel("On the current sequence:"))
        typed_row.addWidget(self.typed_edit, 1)
        typed_row.addWidget(self.typed_button)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(COLUMNS.index("model"), QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeaderItem(COLUMNS.index("Δ logit")).setToolTip(
            "logit(alt) − logit(ref): the log odds ratio, informative where P(bound) saturates near 0 or 1"
        )
        self.table.itemSelectionChanged.connect(self._row_chosen)

        from deemo_gui.qt.plots import TrackStack

        self.tracks = TrackStack(xlabel="position on the reference")
        self.track_title = QLabel("")
        self.track_title.setWordWrap(True)
        self.trust = TrustLabel()  # the clicked row's model, when its verdict is not "trusted"
        bottom = QWidget()
        lay = QVBoxLayout(bottom)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.trust)
        lay.addWidget(self.track_title)
        lay.addWidget(self.tracks, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(bottom)
        split.setSizes([260, 3 * TRACK_PX])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(header)
        layout.addLayout(typed_row)
        layout.addWidget(self.status)
        layout.addWidget(split, 1)
        self._rescore = QTimer(self, singleShot=True, interval=0)
        self._rescore.timeout.connect(self.run)
        observe(viewer.events.models_changed, self, self._models_changed)

    # -- input -------------------------------------------------------------------------------------
    def _last_dir(self) -> str:
        return os.path.dirname(self.vcf or self.genome or "") or os.getcwd()

    def _choose_vcf(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Variants (VCF or TSV)", self._last_dir(), VARIANT_FILTER)
        if path:
            self.load(path, self.genome)

    def _choose_genome(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Reference genome FASTA", self._last_dir(), GENOME_FILTER)
        if path:
            self.load(self.vcf, path)

    def load(self, vcf: str | None, genome: str | None) -> Worker | None:
        """Set the variant file and genome; scores them when both are given (returns the job)."""
        self.vcf, self.genome = vcf, genome
        names = [
            f"variants: {os.path.basename(vcf)}" if vcf else "no variants yet",
            f"genome: {os.path.basename(genome)}" if genome else "no genome yet",
        ]
        self.status.setText(" · ".join(names))
        return self.run() if vcf and genome else None

    def _models_changed(self) -> None:
        if self.vcf and self.genome and self.effects:
            self._rescore.start()

    # -- the job -----------------------------------------------------------------------------------
    def run(self) -> Worker | None:
        from deemo_gui.viewer.genome import iter_file_effects

        if not (self.vcf and self.genome):
            self.status.setText("Choose a variant file and a genome first.")
            return None
        entries = list(self.viewer.selected_models)
        if not entries:
            self.status.setText("Tick a model on the right to score the variants.")
            return None
        if self.worker is not None and self.worker.is_running():
            self.worker.cancel()
        self.source = f"from {os.path.basename(self.vcf)}"
        args = (entries, self.vcf, self.genome, self.viewer.current_task, self.skip_box.isChecked())
        worker = Worker(
            self.viewer.runtime.run_shared,
            entries,
            lambda: iter_file_effects(*args),
            name="Scoring variants",
            progress=lambda p: p,
        )
        worker.returned.connect(lambda out, w=worker: self._done(w, out))
        worker.aborted.connect(lambda w=worker: self._stopped(w, "Cancelled."))
        worker.errored.connect(lambda exc, w=worker: self._stopped(w, f"Failed: {exc}"))
        self.worker = worker
        self.cancel_button.setEnabled(True)
        self.status.setText(f"Scoring {os.path.basename(self.vcf)} with {len(entries)} model(s)…")
        start_job(self.window_, worker, context=f"Scoring the variants of {os.path.basename(self.vcf)}")
        return worker

    def run_typed(self) -> Worker | None:
        """Score the variants typed in the field on the current sequence (its own coordinates)."""
        from deemo_gui.viewer.genome import iter_sequence_effects, parse_typed_variants

        v = self.viewer
        if v.current_index < 0:
            self.status.setText("Open a sequence first, then type variants on it (e.g. 51 A>G).")
            return None
        entries = list(v.selected_models)
        if not entries:
            self.status.setText("Tick a model on the right to score the variants.")
            return None
        try:
            typed = parse_typed_variants(self.typed_edit.text())
        except DeemoError as exc:
            self.status.setText(f"⚠ {exc}")
            return None
        if self.worker is not None and self.worker.is_running():
            self.worker.cancel()
        self.vcf = None  # the table now holds typed variants: models_changed re-scores nothing
        self.source = f"typed on {v.current_id}"
        args = (entries, v.current_id, v.current_sequence, typed, v.current_task, self.skip_box.isChecked())
        worker = Worker(
            v.runtime.run_shared,
            entries,
            lambda: iter_sequence_effects(*args),
            name="Scoring typed variants",
            progress=lambda p: p,
        )
        worker.returned.connect(lambda out, w=worker: self._done(w, out))
        worker.aborted.connect(lambda w=worker: self._stopped(w, "Cancelled."))
        worker.errored.connect(lambda exc, w=worker: self._stopped(w, f"⚠ {exc}"))
        self.worker = worker
        self.cancel_button.setEnabled(True)
        start_job(self.window_, worker, context="Scoring typed variants")
        return worker

    def _stopped(self, worker: Worker, text: str) -> None:
        if worker is self.worker:
            self.cancel_button.setEnabled(False)
            self.status.setText(text)

    def _done(self, worker: Worker, out) -> None:
        if worker is not self.worker:
            return
        self.cancel_button.setEnabled(False)
        self.effects, self.skipped = out[0], dict(out[1])
        self._fill()
        n = len({id(e.variant) for e in self.effects})
        skipped = ", ".join(f"{k}: {v}" for k, v in self.skipped.items())
        self.status.setText(
            f"{n:,} variants × {len({e.model for e in self.effects})} model(s) "
            f"{self.source}"
            + (f" · skipped ({skipped})" if skipped else "")
            + " · click a row for its ref and alt attribution tracks"
        )
        self.export_button.setEnabled(bool(self.effects))

    # -- table ----------------------------------------------------------------------------------------
    def _fill(self) -> None:
        t = self.table
        t.setSortingEnabled(False)
        t.clearContents()
        t.setRowCount(len(self.effects))
        for r, e in enumerate(self.effects):
            v, k = e.variant, e.target
            d = float(e.delta[k])
            cells = [
                _item(f"{v.chrom}:{v.pos:,}"),
                _item(v.id),
                _item(v.ref),
                _item(v.alt),
                _item(e.model if len(e.tasks) == 1 else f"{e.model} · {e.tasks[k]}"),
                _number(float(e.p_ref[k]), ".3f"),
                _number(float(e.p_alt[k]), ".3f"),
                _number(d, "+.3f"),
                _number(abs(d), ".3f"),
                _number(float(e.delta_logit[k]), "+.2f"),
            ]
            cells[0].setData(Qt.ItemDataRole.UserRole, r)
            for c, item in enumerate(cells):
                t.setItem(r, c, item)
        t.setSortingEnabled(True)
        t.sortItems(ABS_DELTA, Qt.SortOrder.DescendingOrder)
        if self.effects:
            t.selectRow(0)

    def effect_at(self, row: int):
        """The VariantEffect shown in table row `row` (as sorted now)."""
        return self.effects[int(self.table.item(row, 0).data(Qt.ItemDataRole.UserRole))]

    def _row_chosen(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self.show_effect(self.effect_at(rows[0].row()))

    # -- tracks ---------------------------------------------------------------------------------------
    def show_effect(self, e) -> None:
        import numpy as np
        import pyqtgraph as pg

        from deemo_gui import palette
        from deemo_gui.qt.plots import saliency_plot

        self.shown_effect = e
        self.tracks.clear()
        self.trust.show_for([m for m in self.viewer.models if m.name == e.model])
        if e.ref_track is None:
            return
        v, k = e.variant, e.target
        ref_seq, alt_seq = e.aligned_sequences
        c, w = e.windows.centre, max(len(v.ref), len(v.alt))
        task = f" · {e.tasks[k]}" if len(e.tasks) > 1 else ""
        self.track_title.setText(
            f"<b>{v.label}</b> · {e.model}{task}: P(ref) {e.p_ref[k]:.3f} → P(alt) {e.p_alt[k]:.3f}, "
            f"Δ {e.delta[k]:+.3f} (Δ logit {e.delta_logit[k]:+.2f}). Gradient × input of the logit; tracks "
            "aligned on the genome" + (" (the indel's gap left empty)." if not v.is_snv else ".")
        )
        plots = [
            saliency_plot(
                e.ref_track,
                ref_seq,
                ylabel="ref",
                name="ref grad×input",
                signed=True,
                title=f"reference allele {v.ref}",
            ),
            saliency_plot(
                e.alt_track,
                alt_seq,
                ylabel="alt",
                name="alt grad×input",
                signed=True,
                title=f"alternative allele {v.alt}",
            ),
            saliency_plot(
                e.delta_track,
                alt_seq,
                ylabel="alt − ref",
                name="Δ attribution",
                signed=True,
                color=palette.SALIENCY_COLOR,
                title="difference (alt − ref)",
            ),
        ]
        both = np.concatenate([e.ref_track, e.alt_track])
        lo, hi = min(float(np.nanmin(both)), 0.0), max(float(np.nanmax(both)), 0.0)
        for k_plot, plot in enumerate(plots):
            region = pg.LinearRegionItem(
                (c - 0.5, c + w - 0.5), movable=False, brush=pg.mkBrush(255, 200, 0, 50), pen=pg.mkPen(None)
            )
            region.setZValue(-10)
            plot.addItem(region)
            if k_plot < 2:
                plot.setYRange(lo, hi, padding=0.05)  # ref and alt on one scale
            _genome_axis(plot, v, c)
            self.tracks.add(plot, px=TRACK_PX)
        self.tracks.setXExtent(len(ref_seq))
        self.tracks.plots[-1].setLabel("bottom", f"position on {v.chrom} (reference coordinates; the variant shaded)")

    # -- export ---------------------------------------------------------------------------------------
    def _export_dialog(self) -> None:
        base = os.path.splitext(os.path.basename(self.vcf or "variants"))[0]
        path, _ = QFileDialog.getSaveFileName(
            self,
            "Export variant effects",
            os.path.join(self._last_dir(), f"{base}_effects.tsv"),
            "TSV (*.tsv);;All files (*)",
        )
        if path:
            from deemo_gui.qt.errors import report_exception

            try:
                self.export_tsv(path)
            except DeemoError as exc:  # disk full, folder gone: one dialog
                report_exception(self, exc, "Exporting the variant effects")

    def export_tsv(self, path) -> str:
        from deemo_gui.core.variant_effects import write_effects_tsv

        return write_effects_tsv(path, self.effects)
