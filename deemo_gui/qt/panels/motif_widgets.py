"""The form and table pieces the motif panels share: the JASPAR release box, the model / task
chooser, spin boxes, status lines, sortable tables and the Tomtom matches table."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QLabel,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from deemo_gui.qt.panels.motif_text import fmt_p
from deemo_gui.qt.trust import TrustLabel
from deemo_gui.qt.workers import observe

RELEASE_TIP = (
    "JASPAR release compared with (CORE vertebrates, offline). Default JASPAR2024: the release of "
    "the zoo's baseline motifs (deemo_gui.core.zoo.PWM_BASELINE)"
)


def release_combo() -> QComboBox:
    from deemo_gui.core.motifs import releases
    from deemo_gui.viewer.motif_jobs import DEFAULT_RELEASE

    combo = QComboBox()
    available = releases()
    combo.addItems(available)
    if DEFAULT_RELEASE in available:
        combo.setCurrentText(DEFAULT_RELEASE)
    elif available:
        combo.setCurrentIndex(len(available) - 1)
    combo.setToolTip(RELEASE_TIP)
    return combo


class ModelChooser(QWidget):
    """The selected models (the Models list) and a task of the chosen one."""

    changed = Signal()

    def __init__(self, viewer, parent=None, with_task: bool = True):
        super().__init__(parent)
        # Only a holder: its two combo boxes go into the panel's own layout; the holder stays hidden and
        # is the panel's child, so its viewer connection ends with the panel.
        self.setVisible(False)
        self.viewer = viewer
        self.model_combo = QComboBox()
        self.model_combo.setToolTip("Models ticked in the Models list; results are kept per model")
        self.model_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model_combo.setMinimumContentsLength(12)
        self.task_combo = QComboBox()
        self.task_combo.setToolTip("The task (output) whose positive class is explained")
        self.task_combo.setVisible(with_task)
        self.model_combo.currentIndexChanged.connect(self._model_changed)
        self.task_combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.trust = TrustLabel()  # the panel places it above what it draws for the chosen model
        self._names: list[str] = []  # the ticked models at the last refresh
        observe(viewer.events.models_changed, self, self.refresh)
        self.refresh()

    def refresh(self) -> None:
        """The ticked models; a model ticked since the last refresh (just trained, or ticked by the user)
        becomes the chosen one, else the choice stays."""
        current = self.model_combo.currentText()
        names = [m.name for m in self.viewer.selected_models]
        new = [n for n in names if n not in self._names]
        self._names = names
        self.model_combo.blockSignals(True)
        self.model_combo.clear()
        self.model_combo.addItems(names)
        if not names:
            self.model_combo.setPlaceholderText("tick a model in the Models list")
        if new and current:
            self.model_combo.setCurrentText(new[-1])
        elif current in names:
            self.model_combo.setCurrentText(current)
        elif names:
            self.model_combo.setCurrentIndex(0)  # with a placeholder set, Qt leaves the index at -1
        self.model_combo.blockSignals(False)
        self._model_changed()

    def _model_changed(self) -> None:
        entry = self.entry()
        self.task_combo.blockSignals(True)
        self.task_combo.clear()
        if entry is not None:
            self.task_combo.addItems(entry.task_names)
        self.task_combo.setEnabled(self.task_combo.count() > 1)
        self.task_combo.blockSignals(False)
        self.update_trust()
        self.changed.emit()

    def update_trust(self) -> None:
        """The chosen model's verdict (call again once a job has loaded its weights: first-layer check)."""
        self.trust.show_for([self.entry()])

    def entry(self):
        name = self.model_combo.currentText()
        for m in self.viewer.models:
            if m.name == name:
                return m
        return None

    def target(self) -> int:
        return max(0, self.task_combo.currentIndex())

    def set_model(self, name: str) -> None:
        self.model_combo.setCurrentText(name)


def make_spin(value: int, lo: int, hi: int, tip: str, step: int = 1) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(lo, hi)
    spin.setSingleStep(step)
    spin.setValue(value)
    spin.setToolTip(tip)
    spin.setGroupSeparatorShown(True)
    return spin


def status_label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def make_table(columns, stretch: int = 1) -> QTableWidget:
    t = QTableWidget(0, len(columns))
    t.setHorizontalHeaderLabels(columns)
    t.verticalHeader().setVisible(False)
    t.verticalHeader().setDefaultSectionSize(t.fontMetrics().height() + 6)
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setAlternatingRowColors(True)
    header = t.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return t


class _SortItem(QTableWidgetItem):
    """Sorts by the number in UserRole when there is one."""

    def __lt__(self, other):
        a, b = self.data(Qt.ItemDataRole.UserRole), other.data(Qt.ItemDataRole.UserRole)
        if a is not None and b is not None:
            return float(a) < float(b)
        return super().__lt__(other)


def sort_num_item(text: str, value: float) -> QTableWidgetItem:
    item = _SortItem(text)
    item.setData(Qt.ItemDataRole.UserRole, float(value))
    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


MATCH_COLUMNS = ("ID", "Name", "p", "E", "q", "Strand", "Offset")
MATCH_TIPS = {
    "p": "Tomtom p-value of the best alignment (memelite: columns scored by Euclidean distance, not MEME's "
    "Pearson correlation; both strands)",
    "E": "E-value = p × number of JASPAR matrices compared: matches expected by chance",
    "q": "Benjamini-Hochberg q-value over this motif's comparisons (MEME's Tomtom estimates Storey's q)",
    "Strand": "+: the motif matches the matrix as stored; −: its reverse complement",
    "Offset": "Where the motif starts on the matrix (on the matched strand); negative: before it",
}


class MatchesTable(QTableWidget):
    """Tomtom matches of one motif, best first; `row_chosen(int)` when the user picks a row."""

    row_chosen = Signal(int)

    def __init__(self, parent=None):
        super().__init__(0, len(MATCH_COLUMNS), parent)
        self.setHorizontalHeaderLabels(MATCH_COLUMNS)
        for k, name in enumerate(MATCH_COLUMNS):
            if name in MATCH_TIPS:
                self.horizontalHeaderItem(k).setToolTip(MATCH_TIPS[name])
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAlternatingRowColors(True)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.df = None
        self.itemSelectionChanged.connect(self._changed)

    def set_matches(self, df, top: int = 25) -> None:
        self.blockSignals(True)
        self.df = None if df is None else df.head(top).reset_index(drop=True)
        rows = 0 if self.df is None else len(self.df)
        self.setRowCount(rows)
        for i in range(rows):
            r = self.df.iloc[i]
            values = (
                str(r["target_id"]),
                str(r["target_name"]),
                fmt_p(r["p"]),
                fmt_p(r["E"]),
                fmt_p(r["q"]),
                "−" if r["strand"] == "-" else "+",
                str(int(r["offset"])),
            )
            for k, v in enumerate(values):
                item = QTableWidgetItem(v)
                if k >= 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.setItem(i, k, item)
        if rows:
            self.selectRow(0)
        self.blockSignals(False)

    def _changed(self) -> None:
        rows = self.selectionModel().selectedRows()
        if rows:
            self.row_chosen.emit(rows[0].row())
