"""The JASPAR browser page of the Motifs panel: a release, search by TF name or matrix ID, the chosen
matrix's logo and details, and MEME / logo export of the selection. The matrices are read in a
worker (`deemo_gui.viewer.motif_jobs.jaspar_motifs`); this module only draws."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from deemo_gui.qt.panels.motif_export import export_logo_dialog, export_meme_dialog
from deemo_gui.qt.panels.motif_logos import MiniLogo
from deemo_gui.qt.panels.motif_widgets import make_table, release_combo, sort_num_item
from deemo_gui.qt.workers import Worker


class JasparBrowser(QSplitter):
    """Browse one JASPAR release; `pwms` holds its matrices once read (`load`), `shown` the search's."""

    def __init__(self, window, parent=None):
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.window_ = window
        self.pwms: list = []
        self.shown: list = []
        self.worker: Worker | None = None

        self.release_combo = release_combo()
        self.release_combo.currentTextChanged.connect(lambda _t: self.load())
        self.search_edit = QLineEdit(placeholderText="TF name or matrix ID, e.g. CTCF or MA0139")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.textChanged.connect(self._filter)
        self.count_label = QLabel("")
        self.table = make_table(("ID", "Name", "Width", "IC (bits)"))
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        self.table.itemSelectionChanged.connect(self._selected)
        self.logo = MiniLogo(min_height=90)
        self.logo.clear("Select a matrix to see its logo")
        self.logo.setMaximumHeight(230)
        self.export_button = QPushButton("Export MEME…")
        self.export_button.setToolTip("Write the selected JASPAR matrices to a MEME motif file")
        self.export_button.clicked.connect(lambda: export_meme_dialog(self, self.selected(), "JASPAR matrices"))
        self.logo_button = QPushButton("Export logo…")
        self.logo_button.setToolTip("Save the shown logo as PNG, SVG or PDF")
        self.logo_button.clicked.connect(
            lambda: self.logo.pwm is not None and export_logo_dialog(self, self.logo.pwm, self.logo.title)
        )
        self.info = QLabel("")
        self.info.setWordWrap(True)
        self.info.setTextFormat(Qt.TextFormat.RichText)
        self.info.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.info.setOpenExternalLinks(True)

        top = QHBoxLayout()
        top.addWidget(QLabel("Release:"))
        top.addWidget(self.release_combo)
        top.addWidget(self.count_label, 1)
        browse = QWidget()
        left = QVBoxLayout(browse)
        left.setContentsMargins(0, 0, 0, 0)
        left.addLayout(top)
        left.addWidget(self.search_edit)
        left.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.logo_button)
        buttons.addStretch(1)
        logo_side = QWidget()
        right = QVBoxLayout(logo_side)
        right.setContentsMargins(0, 0, 0, 0)
        right.addWidget(self.logo, 3)
        right.addLayout(buttons)
        right.addWidget(self.info, 2)
        self.addWidget(browse)
        self.addWidget(logo_side)
        self.setStretchFactor(0, 1)
        self.setStretchFactor(1, 1)

    def ensure_loaded(self) -> None:
        """Read the release unless it is read or being read."""
        if not self.pwms and (self.worker is None or not self.worker.is_running()):
            self.load()

    def load(self, wait: bool = False) -> Worker:
        """Read the chosen release in a worker (`wait`: block until it is read)."""
        from deemo_gui.qt.panels._single_job import start_job
        from deemo_gui.viewer import motif_jobs

        release = self.release_combo.currentText() or None
        worker = Worker(motif_jobs.jaspar_motifs, release, name=f"Reading {release}")
        worker.returned.connect(lambda pwms, r=release: self._loaded(r, pwms))
        self.worker = worker
        self.count_label.setText("reading…")
        start_job(self.window_, worker, "Reading JASPAR")
        if wait:
            worker.wait()
        return worker

    def _loaded(self, release, pwms) -> None:
        if release != self.release_combo.currentText():
            return
        self.pwms = list(pwms)
        self._filter()

    def _filter(self) -> None:
        from deemo_gui.viewer.motif_jobs import search_jaspar

        shown = search_jaspar(self.pwms, self.search_edit.text())
        self.shown = shown
        t = self.table
        t.setSortingEnabled(False)
        t.blockSignals(True)
        t.setRowCount(len(shown))
        for i, pwm in enumerate(shown):
            id_item = QTableWidgetItem(pwm.id)
            id_item.setData(Qt.ItemDataRole.UserRole + 1, i)
            t.setItem(i, 0, id_item)
            t.setItem(i, 1, QTableWidgetItem(pwm.name))
            t.setItem(i, 2, sort_num_item(str(pwm.width), pwm.width))
            t.setItem(i, 3, sort_num_item(f"{pwm.total_ic:.1f}", pwm.total_ic))
        t.blockSignals(False)
        t.setSortingEnabled(True)
        n = len(self.pwms)
        self.count_label.setText(f"{len(shown):,} of {n:,} matrices" if n else "")
        if shown:
            t.clearSelection()
            t.selectRow(0)
            self._selected()
        else:
            self.logo.clear("No matrix matches the search" if n else "")
            self.info.setText("")

    def selected(self) -> list:
        """The selected matrices, in table order."""
        rows = sorted({ix.row() for ix in self.table.selectionModel().selectedRows()})
        out = []
        for r in rows:
            item = self.table.item(r, 0)
            if item is not None:
                out.append(self.shown[int(item.data(Qt.ItemDataRole.UserRole + 1))])
        return out

    def _selected(self) -> None:
        sel = self.selected()
        if not sel:
            return
        pwm = sel[-1]
        self.logo.set_pwm(pwm, f"{pwm.id} {pwm.name}")
        sites = f"{pwm.nsites:,.0f} sites; " if pwm.nsites else ""
        more = f"<br>{len(sel)} matrices selected for MEME export." if len(sel) > 1 else ""
        self.info.setText(
            f"<b>{pwm.id}</b> {pwm.name} ({pwm.source}, CORE vertebrates)<br>{pwm.width} columns, "
            f"{pwm.total_ic:.1f} bits, {sites}consensus <tt>{pwm.consensus()}</tt><br>"
            f"<a href='https://jaspar.elixir.no/matrix/{pwm.id}/'>jaspar.elixir.no/matrix/{pwm.id}</a>{more}"
        )

    def shutdown(self) -> None:
        if self.worker is not None and self.worker.is_running():
            self.worker.cancel()
            self.worker.wait(10_000)
