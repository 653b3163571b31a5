"""The sequence list: a virtual table over the viewer's records, sortable and filterable.

Nothing is computed per record until Qt asks for a visible cell: `data()` reads the viewer (GC% is
computed on first request and cached there). Sorting and filtering are done in numpy over the
table's row order, not by a QSortFilterProxyModel's per-row `lessThan` / `filterAcceptsRow` (which
call Python millions of times for a long list); the view sees it through an identity proxy.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import (
    QAbstractTableModel,
    QIdentityProxyModel,
    QModelIndex,
    Qt,
    QTimer,
)
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from deemo_gui.core.errors import DataError
from deemo_gui.qt.workers import Worker, observe

MAX_TASK_COLUMNS = 4  # per model; more tasks are summarised in the model picker
# Lists longer than this are searched for a motif in a worker thread.
SYNC_MOTIF_RECORDS = 20_000
FILTER_MODES = ("Name", "Motif")


def motif_mask(seqs: list[str], pattern: str) -> np.ndarray:
    """Which sequences have an IUPAC `pattern` on either strand (`viewer.search.contains`)."""
    from deemo_gui.viewer.search import clean_pattern, contains

    pat = clean_pattern(pattern)
    return np.fromiter((contains(s, pat) for s in seqs), dtype=bool, count=len(seqs))


class SequenceTableModel(QAbstractTableModel):
    """Rows = the viewer's records (in `order`), columns = name, length, GC %, label, P per selected model."""

    BASE_COLUMNS = ["Name", "Length", "GC %", "Label"]

    def __init__(self, viewer, parent=None):
        super().__init__(parent)
        self.viewer = viewer
        self.mask: np.ndarray | None = None  # records shown (flat index -> bool); None: all
        self._sorted = np.arange(viewer.n_sequences)  # every record, in sort order
        self.order = self._sorted  # the shown records, in sort order (row -> flat)
        self.inverse = self.order.copy()  # flat -> row, -1 when hidden
        self.pred_columns: list[tuple[str, int, str]] = []  # (model name, task index, header)
        self.data_calls = 0  # for the laziness test
        self._italic = QFont()
        self._italic.setItalic(True)
        self._sort = (-1, Qt.SortOrder.AscendingOrder)
        ev = viewer.events
        observe(ev.sequences_changed, self, self.reset)
        observe(ev.models_changed, self, self._models_changed)
        observe(ev.list_predictions_changed, self, self._predictions_changed)
        observe(ev.sequence_edited, self, self._row_changed)
        observe(ev.predictions_changed, self, self._row_changed)
        self._rebuild_columns()

    # -- structure ---------------------------------------------------------------------------
    def reset(self) -> None:
        self.beginResetModel()
        self._sorted = np.arange(self.viewer.n_sequences)
        if self.mask is not None and len(self.mask) != self.viewer.n_sequences:
            self.mask = None
        self._apply_order()
        self._rebuild_columns()
        self.endResetModel()
        if self._sort[0] >= 0:
            self.sort(*self._sort)

    def _apply_order(self) -> None:
        """`order` and `inverse` from the sort order and the filter mask (numpy, no call per row)."""
        order = self._sorted if self.mask is None else self._sorted[self.mask[self._sorted]]
        self.order = np.asarray(order, dtype=np.int64)
        self.inverse = np.full(len(self._sorted), -1, dtype=np.int64)
        self.inverse[self.order] = np.arange(len(self.order))

    def set_mask(self, mask: np.ndarray | None) -> None:
        """Show only the records (flat indices) where `mask` is True; None shows all."""
        self.beginResetModel()
        self.mask = None if mask is None else np.asarray(mask, dtype=bool)
        self._apply_order()
        self.endResetModel()

    def _rebuild_columns(self) -> None:
        cols = []
        for m in self.viewer.selected_models:
            tasks = m.task_names
            for t, task in enumerate(tasks[:MAX_TASK_COLUMNS]):
                short = m.name if len(m.name) <= 14 else m.name[:6] + "…" + m.name[-6:]
                header = f"P {short}" if len(tasks) == 1 else f"P {short}: {task[:8]}"
                cols.append((m.name, t, header))
        self.pred_columns = cols

    def _models_changed(self) -> None:
        old = [c[2] for c in self.pred_columns]
        self._rebuild_columns()
        if old != [c[2] for c in self.pred_columns]:
            self.beginResetModel()
            self.endResetModel()

    def _predictions_changed(self, name: str) -> None:
        cols = [k for k, c in enumerate(self.pred_columns) if c[0] == name]
        if cols and self.rowCount():
            col = len(self.BASE_COLUMNS) + cols[0]
            self.dataChanged.emit(self.index(0, col), self.index(self.rowCount() - 1, col + len(cols) - 1))

    def _row_changed(self, *_):
        i = self.viewer.current_index
        if 0 <= i < len(self.inverse) and self.inverse[i] >= 0:
            row = int(self.inverse[i])
            self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))

    # -- Qt model API ------------------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.order)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.BASE_COLUMNS) + len(self.pred_columns)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal:
            if role == Qt.ItemDataRole.DisplayRole:
                if section < len(self.BASE_COLUMNS):
                    return self.BASE_COLUMNS[section]
                return self.pred_columns[section - len(self.BASE_COLUMNS)][2]
            if role == Qt.ItemDataRole.ToolTipRole:
                if section == 2:
                    return "Fraction of G or C among A/C/G/T bases, in percent"
                if section == 3:
                    return "Label from the file (1 = bound, 0 = unbound; one value per task)"
                if section >= len(self.BASE_COLUMNS):
                    name, t, _ = self.pred_columns[section - len(self.BASE_COLUMNS)]
                    return f"Predicted probability of binding by model {name} (task {t + 1})"
        elif role == Qt.ItemDataRole.DisplayRole:
            return str(section + 1)
        return None

    def flat_index(self, row: int) -> int:
        return int(self.order[row])

    def row_of(self, flat: int) -> int:
        return int(self.inverse[flat])

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        self.data_calls += 1
        v = self.viewer
        i = int(self.order[index.row()])
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return v.sequence_id(i)
            if col == 1:
                return str(len(v.sequence(i)))
            if col == 2:
                gc = v.gc(i)
                return "" if gc != gc else f"{100 * gc:.1f}"
            if col == 3:
                y = v.label(i)
                if y is None:
                    return ""
                return ", ".join(str(int(t)) for t in y[:MAX_TASK_COLUMNS]) + ("…" if len(y) > MAX_TASK_COLUMNS else "")
            name, t, _ = self.pred_columns[col - len(self.BASE_COLUMNS)]
            table = v.list_predictions.get(name)
            if table is None:
                return "…"
            return f"{table[i, t]:.3f}"
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if col == 0:
                return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and col == 0 and v.is_edited(i):
            return self._italic
        if role == Qt.ItemDataRole.ForegroundRole and col == 0 and v.is_edited(i):
            return QColor("#8a3ffc")
        if role == Qt.ItemDataRole.ToolTipRole and col == 0:
            f = v.file_of(i)
            return f"{v.sequence_id(i)}\n{f.name}{' — edited' if v.is_edited(i) else ''}"
        if role == Qt.ItemDataRole.UserRole:
            return i
        return None

    # -- sorting ----------------------------------------------------------------------------
    def sort_keys(self, column: int):
        v = self.viewer
        n = v.n_sequences
        if column == 0:
            return np.array(v.ids, dtype=object)
        if column == 1:
            return v.lengths()
        if column == 2:
            return np.nan_to_num(v.gc_all(), nan=-1.0)
        if column == 3:
            keys = np.full(n, -1.0)
            for k, f in enumerate(v.files):
                if f.data.labels is not None:
                    keys[v.store.offsets[k] : v.store.offsets[k] + len(f.data)] = f.data.labels[:, 0]
            return keys
        name, t, _ = self.pred_columns[column - len(self.BASE_COLUMNS)]
        table = v.list_predictions.get(name)
        return np.full(n, -1.0) if table is None else table[:, t]

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        if column < 0 or column >= self.columnCount() or not self.rowCount():
            return
        self._sort = (column, order)
        self.layoutAboutToBeChanged.emit()
        keys = self.sort_keys(column)
        descending = order == Qt.SortOrder.DescendingOrder
        if keys.dtype == object:
            perm = np.argsort(keys, kind="stable")
            perm = perm[::-1] if descending else perm
        else:
            keys = keys.astype(float)
            perm = np.argsort(-keys if descending else keys, kind="stable")  # stable among equal keys
        self._sorted = np.asarray(perm, dtype=np.int64)
        self._apply_order()
        self.layoutChanged.emit()


class SequenceFilterProxy(QIdentityProxyModel):
    """The table as the view sees it. Filtering (a numpy mask) and sorting happen in the source
    model's row order, so neither calls Python once per row: a 1,000,000-record list resets in
    numpy time (a QSortFilterProxyModel asked `filterAcceptsRow` for every row)."""

    def table(self) -> SequenceTableModel:
        """The source model (typed: `sourceModel()` is any QAbstractItemModel)."""
        model = self.sourceModel()
        assert isinstance(model, SequenceTableModel)
        return model

    @property
    def mask(self) -> np.ndarray | None:
        return self.table().mask

    def set_text(self, text: str) -> None:
        """Show the records whose name contains `text` (case-insensitive); empty shows all."""
        text = text.strip().lower()
        if not text:
            self.set_mask(None)
        else:
            ids = np.array(self.table().viewer.ids, dtype=np.str_)
            self.set_mask(np.char.find(np.char.lower(ids), text) >= 0)

    def set_mask(self, mask: np.ndarray | None) -> None:
        self.table().set_mask(mask)

    def sort(self, column, order=Qt.SortOrder.AscendingOrder) -> None:
        self.sourceModel().sort(column, order)


class SequenceList(QWidget):
    """Filter box + table; a click makes the record current in the viewer."""

    def __init__(self, viewer, parent=None):
        super().__init__(parent)
        self.viewer = viewer
        self.model = SequenceTableModel(viewer, self)
        self.proxy = SequenceFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.filter_edit = QLineEdit(placeholderText="Filter by name…", clearButtonEnabled=True)
        self.filter_edit.setToolTip("Show only the records whose name contains this text (case-insensitive)")
        self.filter_mode = QComboBox()
        self.filter_mode.addItems(FILTER_MODES)
        self.filter_mode.setToolTip(
            "Name: records whose name contains the text. Motif: records with the bases "
            "(IUPAC codes allowed, e.g. CACGTG or CANNTG) on either strand"
        )
        self.filter_mode.currentIndexChanged.connect(self._mode_changed)
        self._motif_worker: Worker | None = None
        self.filter_error = ""
        self.count_label = QLabel()
        self.count_label.setStyleSheet("color: palette(mid);")
        self.view = QTableView()
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # keep suffixes such as _shuf visible
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        vh = self.view.verticalHeader()
        vh.setVisible(False)
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # uniform rows: no per-row size queries
        vh.setDefaultSectionSize(self.fontMetrics().height() + 6)
        hh = self.view.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setStretchLastSection(True)
        hh.setHighlightSections(False)
        self._apply_widths()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.filter_edit, 1)
        row.addWidget(self.filter_mode)
        layout.addLayout(row)
        layout.addWidget(self.view)
        layout.addWidget(self.count_label)
        self._filter_timer = QTimer(self, singleShot=True, interval=150)
        self._filter_timer.timeout.connect(lambda: self.set_filter(self.filter_edit.text()))
        self.filter_edit.textChanged.connect(lambda _t: self._filter_timer.start())
        self.view.selectionModel().currentRowChanged.connect(self._row_activated)
        observe(viewer.events.current_changed, self, self._show_current)
        observe(viewer.events.sequences_changed, self, self._after_reset)
        self.model.modelReset.connect(self._apply_widths)
        observe(viewer.events.sequences_changed, self, self._apply_widths)
        self.model.layoutChanged.connect(lambda: self._show_current(viewer.current_index))
        self._syncing = False
        self._update_count()

    def column_widths(self) -> list[int]:
        """Widths that show whole names (judged on the first records) and every header."""
        fm = self.fontMetrics()
        ids = self.viewer.ids[:500]
        name_w = max([fm.horizontalAdvance("chr1:1000-2000")] + [fm.horizontalAdvance(i) for i in ids]) + 16
        widths = [
            min(name_w, fm.horizontalAdvance("chr10:113875682-1138757") + 12),
            fm.horizontalAdvance("Length") + 18,
            fm.horizontalAdvance("GC %") + 22,
            fm.horizontalAdvance("Label") + 18,
        ]
        for col in range(len(widths), self.model.columnCount()):
            header = self.model.headerData(col, Qt.Orientation.Horizontal)
            widths.append(max(fm.horizontalAdvance("0.000") + 16, fm.horizontalAdvance(header) + 18))
        return widths

    def preferred_width(self) -> int:
        widths = self.column_widths()
        if self.view.isColumnHidden(1):
            widths[1] = 0
        return sum(widths) + self.view.verticalScrollBar().sizeHint().width() + 14

    def uniform_length(self) -> int | None:
        """The common length when every record has the same length (the Length column is then hidden)."""
        v = self.viewer
        if not v.n_sequences:
            return None
        lengths = v.lengths()
        return int(lengths[0]) if (lengths == lengths[0]).all() else None

    def _apply_widths(self) -> None:
        widths = self.column_widths()
        self._uniform = self.uniform_length()
        self.view.setColumnHidden(1, self._uniform is not None)
        if self._uniform is not None:
            widths[1] = 0
        for col, w in enumerate(widths):
            if w:
                self.view.setColumnWidth(col, w)
        if hasattr(self, "count_label"):
            self._update_count()

    def set_filter(self, text: str, mode: str | None = None) -> Worker | None:
        """Filter the list by name, or by a motif on either strand (`mode` "Motif"); a long list is
        searched in a worker (returned). A bad motif leaves the list as it is and says why below it."""
        if mode is not None and mode != self.filter_mode.currentText():
            self.filter_mode.blockSignals(True)
            self.filter_mode.setCurrentText(mode)
            self.filter_mode.blockSignals(False)
            self._mode_changed(self.filter_mode.currentIndex(), refilter=False)
        if self.filter_edit.text() != text:
            self.filter_edit.blockSignals(True)
            self.filter_edit.setText(text)
            self.filter_edit.blockSignals(False)
        self.filter_error = ""
        if self._motif_worker is not None:
            self._motif_worker.cancel()
            self._motif_worker = None
        if self.filter_mode.currentText() != "Motif" or not text.strip():
            self.proxy.set_text(text if self.filter_mode.currentText() == "Name" else "")
            self._filtered()
            return None
        v = self.viewer
        seqs = [v.sequence(i) for i in range(v.n_sequences)]
        if len(seqs) <= SYNC_MOTIF_RECORDS:
            try:
                self.proxy.set_mask(motif_mask(seqs, text))
            except DataError as exc:
                self.filter_error = str(exc)
            self._filtered()
            return None
        worker = Worker(motif_mask, seqs, text, name="Searching the list for a motif")
        worker.returned.connect(lambda mask, w=worker: self._motif_done(w, mask))
        worker.errored.connect(lambda exc, w=worker: self._motif_failed(w, exc))
        self._motif_worker = worker
        self.count_label.setText(f"searching {len(seqs):,} sequences for {text.strip().upper()}…")
        return worker.start()

    def _motif_done(self, worker: Worker, mask) -> None:
        if worker is self._motif_worker and len(mask) == self.viewer.n_sequences:
            self._motif_worker = None
            self.proxy.set_mask(mask)
            self._filtered()

    def _motif_failed(self, worker: Worker, exc) -> None:
        if worker is self._motif_worker:
            self._motif_worker = None
            self.filter_error = str(exc)
            self._filtered()

    def _filtered(self) -> None:
        self._update_count()
        self._show_current(self.viewer.current_index)

    def _mode_changed(self, _index: int, refilter: bool = True) -> None:
        motif = self.filter_mode.currentText() == "Motif"
        self.filter_edit.setPlaceholderText("Motif, e.g. CACGTG or CANNTG…" if motif else "Filter by name…")
        if refilter:
            self.set_filter(self.filter_edit.text())

    def visible_indices(self) -> list[int]:
        """Flat indices of the records the list shows, in its order (filtered and sorted)."""
        out = []
        for row in range(self.proxy.rowCount()):
            source = self.proxy.mapToSource(self.proxy.index(row, 0)).row()
            out.append(self.model.flat_index(source))
        return out

    def _after_reset(self) -> None:
        if self.proxy.mask is not None:
            self.set_filter(self.filter_edit.text())
        self._update_count()

    def _update_count(self) -> None:
        if self.filter_error:
            self.count_label.setText(f"⚠ {self.filter_error}")
            return
        n, shown = self.viewer.n_sequences, self.proxy.rowCount()
        files = len(self.viewer.files)
        text = f"{n:,} sequences" if shown == n else f"{shown:,} of {n:,} sequences shown"
        if self.proxy.mask is not None and self.filter_mode.currentText() == "Motif":
            text += f" with {self.filter_edit.text().strip().upper()} (either strand)"
        if files > 1:
            text += f" in {files} files"
        uniform = getattr(self, "_uniform", None)
        if uniform is not None and n:
            text += f", all {uniform:,} nt"
        self.count_label.setText(text)

    def _row_activated(self, current, _previous) -> None:
        if self._syncing or not current.isValid():
            return
        flat = self.proxy.mapToSource(current).row()
        self.viewer.set_current(self.model.flat_index(flat))

    def _show_current(self, i: int) -> None:
        if i < 0 or i >= len(self.model.inverse):
            return
        row = self.model.row_of(i)
        index = self.proxy.mapFromSource(self.model.index(row, 0)) if row >= 0 else self.proxy.index(-1, -1)
        self._syncing = True
        try:
            if index.isValid():
                self.view.selectionModel().setCurrentIndex(
                    index,
                    self.view.selectionModel().SelectionFlag.ClearAndSelect
                    | self.view.selectionModel().SelectionFlag.Rows,
                )
                self.view.scrollTo(index)
            else:
                self.view.selectionModel().clearSelection()
        finally:
            self._syncing = False
