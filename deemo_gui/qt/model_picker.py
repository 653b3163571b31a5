"""The model picker: the models in the viewer with their metadata; tick several to compare them.

Shipped models (`models/*.safetensors` next to the package) are listed at start, loaded on first
use; opened files and models trained in this session join them. The device choice applies to all.
"""
from __future__ import annotations

import html
import os

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStyle,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from deemo_gui.core.errors import DeemoError
from deemo_gui.core.modelfile import is_signed
from deemo_gui.core.verdict import baseline_line
from deemo_gui.qt.trust import trust_html
from deemo_gui.qt.workers import observe

BROKEN_COLOR = "#B2182B"
BROKEN_ADVICE = "Restore or replace the file and open it again (File ▸ Open model…), or Remove it from the list."


def _fmt(value, digits: int = 3) -> str:
    if value is None:
        return "—"
    try:
        return f"{float(value):.{digits}f}"
    except (TypeError, ValueError):
        return str(value)


def _short_paths(text) -> str | None:
    """File names instead of long paths inside a description (the full text is in the tooltip/metadata)."""
    if text is None:
        return None
    return " ".join(os.path.basename(t) if ("/" in t or "\\" in t) else t for t in str(text).split(" "))


def model_details_html(entry) -> str:
    """Everything a biologist wants to know before trusting a model, as small HTML."""
    m = entry.metadata
    tr = m.get("training") or {}
    test = m.get("test") or {}
    rows = [
        ("Preset", m.get("preset")),
        ("Predicts", ", ".join(entry.task_names)),
        ("Input", f"{m.get('input_length', '?')} nt"),
        ("Trained on", _short_paths(tr.get("data"))),
        ("Sequences", f"{tr.get('n_train', '?')} train / {tr.get('n_valid', '?')} validation" if tr else None),
        ("Epochs", f"best {tr.get('best_epoch')} of {tr.get('epochs_run')} ({tr.get('stopped')})"
         if tr.get("epochs_run") else None),
        ("Validation AUROC", _fmt(tr.get("valid_auroc")) if tr.get("valid_auroc") is not None else None),
        ("Test AUROC", f"{_fmt(test.get('auroc'))} (AUPR {_fmt(test.get('aupr'))}, n = {test.get('n', '?')})"
         if test else "not evaluated on held-out data"),
        ("Test data", _short_paths(test.get("data"))),
        ("Baselines", baseline_line(m)),
        ("Integrity", "weights and metadata checked by checksum" if is_signed(m) else
         "weights checked; metadata unsigned (format-1 file: task names, AUROC and provenance could be edited)"),
        ("File", entry.path or "not saved yet — File ▸ Save model…"),
        ("Saved", str(m.get("saved", "")).replace("T", " ").replace("+00:00", " UTC") or None),
    ]
    body = "".join(
        f"<tr><td style='color:#555;padding-right:8px' valign='top'>{html.escape(k)}</td>"
        f"<td>{html.escape(str(v))}</td></tr>"
        for k, v in rows if v not in (None, "", "None"))
    problem = (f"<p style='color:{BROKEN_COLOR}'>This model could not be loaded and is left out of predictions: "
               f"{html.escape(entry.error)}<br>{html.escape(BROKEN_ADVICE)}</p>" if entry.error else "")
    trust = trust_html([entry])
    trust = f"<p>{trust}</p>" if trust else ("<p style='color:#1B7837'>✓ trusted: beats its baselines on held-out "
                                             "data</p>" if entry.verdict else "")
    return f"<b>{html.escape(entry.name)}</b>{problem}{trust}<table cellspacing='1'>{body}</table>"


class ModelPicker(QWidget):
    """Model list (tick to predict/compare), details of the highlighted model, device choice."""

    open_requested = Signal()
    save_requested = Signal(str)   # model name

    COLUMNS = ["Model", "Test AUROC"]

    def __init__(self, viewer, parent=None):
        super().__init__(parent)
        self.viewer = viewer
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(self.COLUMNS)
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setToolTip("Tick the models whose predictions you want to see and compare")
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for c in range(1, len(self.COLUMNS)):
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        self.details = QTextBrowser()
        self.details.setOpenLinks(False)
        self.details.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.open_button = QPushButton("Open…")
        self.open_button.setToolTip("Add a deemo model file (.safetensors)")
        self.save_button = QPushButton("Save…")
        self.save_button.setToolTip("Save the highlighted model (a model trained here is kept in memory until saved)")
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Remove the highlighted model from this window (the file is not deleted)")
        self.device_combo = QComboBox()
        self.device_combo.addItem("auto")
        self.device_combo.setToolTip("Where networks run: auto = a CUDA GPU if there is one, else the CPU")
        self.device_note = QLabel("")
        self.device_note.setStyleSheet("color: #666;")

        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.remove_button)
        device = QHBoxLayout()
        device.addWidget(QLabel("Device:"))
        device.addWidget(self.device_combo, 1)
        device.addWidget(self.device_note)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.tree, 3)
        layout.addLayout(buttons)
        layout.addWidget(self.details, 2)
        layout.addLayout(device)

        self._syncing = False
        self.tree.itemChanged.connect(self._item_changed)
        # not while `refresh` rebuilds the list (it shows the details once at the end): every removed
        # and added row changes the current item, and 56 models made that 1,600 HTML renders (5 s)
        self.tree.currentItemChanged.connect(lambda *_: None if self._syncing else self._show_details())
        self.open_button.clicked.connect(self.open_requested)
        self.save_button.clicked.connect(self._save)
        self.remove_button.clicked.connect(self._remove)
        self.device_combo.activated.connect(self._device_chosen)
        observe(viewer.events.models_changed, self, self.refresh)
        observe(viewer.events.device_changed, self, self._device_changed)
        self.refresh()

    def set_devices(self, devices: list[str]) -> None:
        """Fill the device choice (called once torch is imported)."""
        self.device_combo.blockSignals(True)
        self.device_combo.clear()
        self.device_combo.addItems(devices)
        self.device_combo.setCurrentText(self.viewer.device)
        self.device_combo.blockSignals(False)
        self._device_changed(self.viewer.device)

    def _device_chosen(self, _index: int) -> None:
        name = self.device_combo.currentText()
        try:
            self.viewer.set_device(name)
        except DeemoError as exc:
            from deemo_gui.qt.errors import report_exception

            report_exception(self, exc, "choosing the device")
            self.device_combo.setCurrentText(self.viewer.device)

    def _device_changed(self, name: str) -> None:
        self.device_combo.setCurrentText(name)
        resolved = self.viewer._resolved_device
        self.device_note.setText(f"→ {resolved}" if name == "auto" and resolved else "")

    def refresh(self) -> None:
        current = self.current_name()
        names = [m.name for m in self.viewer.models]
        added = [n for n in names if n not in getattr(self, "_known", set())]
        if added and getattr(self, "_known", None) is not None:
            current = added[-1]  # show the details of a model just opened or trained
        self._known = set(names)
        self._syncing = True
        try:
            rows = [self.tree.topLevelItem(k) for k in range(self.tree.topLevelItemCount())]
            if [item.data(0, Qt.ItemDataRole.UserRole) for item in rows] != names:
                # rebuilt only when models come or go: a tick calls this from the ticked row's own
                # itemChanged, and clearing the tree then deletes that row under Qt (a crash)
                self.tree.clear()
                rows = [QTreeWidgetItem() for _ in names]
                self.tree.addTopLevelItems(rows)
            for item, m in zip(rows, self.viewer.models):
                self._fill(item, m)
                if m.name == current:
                    self.tree.setCurrentItem(item)
            if self.tree.currentItem() is None and self.tree.topLevelItemCount():
                self.tree.setCurrentItem(self.tree.topLevelItem(self.tree.topLevelItemCount() - 1))
        finally:
            self._syncing = False
        self._show_details()

    def _fill(self, item: QTreeWidgetItem, m) -> None:
        """Show model `m` in its row; a model whose file failed to load gets a warning and no tick box."""
        auroc = m.test_auroc
        item.setText(0, m.name + ("  (broken)" if m.error else "" if m.saved else "  (unsaved)"))
        item.setText(1, "—" if auroc is None else f"{auroc:.3f}")
        item.setData(0, Qt.ItemDataRole.UserRole, m.name)
        flags = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled
        item.setFlags(flags if m.error else flags | Qt.ItemFlag.ItemIsUserCheckable)
        if m.error:
            item.setData(0, Qt.ItemDataRole.CheckStateRole, None)
        else:
            item.setCheckState(0, Qt.CheckState.Checked if m.selected else Qt.CheckState.Unchecked)
        item.setIcon(0, self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning) if m.error else QIcon())
        item.setForeground(0, QColor(BROKEN_COLOR) if m.error else self.tree.palette().text())
        item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        where = m.path or "trained in this session, not saved"
        item.setToolTip(0, f"Cannot be loaded: {m.error}\n{BROKEN_ADVICE}" if m.error
                        else f"{m.preset} — predicts {', '.join(m.task_names)}\n{where}")
        trust = None if m.error else m.verdict
        untrusted = trust is not None and trust.level == "untrusted"
        item.setText(1, item.text(1) + (" ⚠" if untrusted else ""))
        item.setForeground(1, QColor(BROKEN_COLOR) if untrusted else self.tree.palette().text())
        item.setToolTip(1, "AUROC on held-out test data stored in the model file (— = never tested)"
                        + (f"\n{trust.summary}" if trust is not None and trust.level != "trusted" else ""))

    def current_name(self) -> str | None:
        item = self.tree.currentItem()
        return None if item is None else item.data(0, Qt.ItemDataRole.UserRole)

    def _item_changed(self, item, column) -> None:
        if self._syncing or column != 0:
            return
        names = []
        for k in range(self.tree.topLevelItemCount()):
            it = self.tree.topLevelItem(k)
            if it.checkState(0) == Qt.CheckState.Checked:
                names.append(it.data(0, Qt.ItemDataRole.UserRole))
        self.viewer.select_models(names)

    def _show_details(self) -> None:
        name = self.current_name()
        entry = next((m for m in self.viewer.models if m.name == name), None)
        self.save_button.setEnabled(entry is not None and entry.error is None)
        self.remove_button.setEnabled(entry is not None)
        if entry is None:
            self.details.setHtml("<p style='color:#666'>No models yet. Open a model file, drop one on the window, "
                                 "or train one in the Train tab.</p>")
            return
        self.details.setHtml(model_details_html(entry))

    def _save(self) -> None:
        name = self.current_name()
        if name is not None:
            self.save_requested.emit(name)

    def _remove(self) -> None:
        name = self.current_name()
        if name is not None:
            self.viewer.remove_model(name)
