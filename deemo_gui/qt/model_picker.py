"""The model picker: the models in the viewer with their metadata; tick several to compare them.

Rows are grouped by data set (TF and cell line, from the model's name or training file) or by
architecture, filtered by a search box, and never re-ordered by a tick.

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
    QLineEdit,
    QMenu,
    QPushButton,
    QSizePolicy,
    QStyle,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QTreeWidgetItemIterator,
    QVBoxLayout,
    QWidget,
)

from deemo_gui.core.errors import DeemoError
from deemo_gui.core.modelfile import is_signed
from deemo_gui.core.tfnames import split_model_name
from deemo_gui.core.verdict import baseline_line
from deemo_gui.qt.trust import trust_html
from deemo_gui.qt.workers import observe

BROKEN_COLOR = "#B2182B"
PRESET_ORDER = ("deepbind", "cnn", "rnn", "cnn-rnn", "demo")  # rows within a data set, in a fixed order
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
    ensemble = tr.get("ensemble") or {}
    stopped = ", ".join(sorted(set(ensemble.get("stopped") or [])))
    rows = [
        (
            "Preset",
            f"{m.get('preset')}: the default ensemble, {ensemble.get('members')} network(s) (seeds "
            f"{', '.join(map(str, ensemble.get('seeds') or []))}) × 2 strands folded into one"
            if ensemble
            else m.get("preset"),
        ),
        ("Predicts", ", ".join(entry.task_names)),
        ("Input", f"{m.get('input_length', '?')} nt"),
        ("Trained on", _short_paths(tr.get("data"))),
        ("Sequences", f"{tr.get('n_train', '?')} train / {tr.get('n_valid', '?')} validation" if tr else None),
        (
            "Epochs",
            f"best {', '.join(map(str, ensemble.get('best_epochs') or []))} of "
            f"{', '.join(map(str, ensemble.get('epochs_run') or []))} ({stopped})"
            if ensemble
            else f"best {tr.get('best_epoch')} of {tr.get('epochs_run')} ({tr.get('stopped')})"
            if tr.get("epochs_run")
            else None,
        ),
        (
            "Validation AUROC",
            f"members {', '.join(map(_fmt, ensemble.get('valid_aurocs') or []))}"
            if ensemble
            else _fmt(tr.get("valid_auroc"))
            if tr.get("valid_auroc") is not None
            else None,
        ),
        (
            "Test AUROC",
            f"{_fmt(test.get('auroc'))} (AUPR {_fmt(test.get('aupr'))}, n = {test.get('n', '?')})"
            if test
            else "not evaluated on held-out data",
        ),
        ("Test data", _short_paths(test.get("data"))),
        ("Baselines", baseline_line(m)),
        (
            "Integrity",
            "weights and metadata checked by checksum"
            if is_signed(m)
            else "weights checked; metadata unsigned (format-1 file: task names, AUROC and provenance could be edited)",
        ),
        ("File", entry.path or "not saved yet — File ▸ Save model…"),
        ("Saved", str(m.get("saved", "")).replace("T", " ").replace("+00:00", " UTC") or None),
    ]
    body = "".join(
        f"<tr><td style='color:#555;padding-right:8px' valign='top'>{html.escape(k)}</td>"
        f"<td>{html.escape(str(v))}</td></tr>"
        for k, v in rows
        if v not in (None, "", "None")
    )
    problem = (
        f"<p style='color:{BROKEN_COLOR}'>This model could not be loaded and is left out of predictions: "
        f"{html.escape(entry.error)}<br>{html.escape(BROKEN_ADVICE)}</p>"
        if entry.error
        else ""
    )
    trust = trust_html([entry])
    trust = (
        f"<p>{trust}</p>"
        if trust
        else (
            "<p style='color:#1B7837'>✓ trusted: matches or beats its baselines on held-out data</p>"
            if entry.verdict
            else ""
        )
    )
    return f"<b>{html.escape(entry.name)}</b>{problem}{trust}<table cellspacing='1'>{body}</table>"


class ModelPicker(QWidget):
    """Model list grouped by data set or architecture (tick to predict/compare), a search box, the
    details of the current row, device choice. Ticking never re-orders or scrolls the list."""

    open_requested = Signal()
    save_requested = Signal(str)  # model name

    COLUMNS = ("Model", "Test AUROC")
    GROUPINGS = ("data set", "architecture", "none")
    GROUP_ROLE = Qt.ItemDataRole.UserRole + 1  # a group row's key

    def __init__(self, viewer, parent=None):
        super().__init__(parent)
        self.viewer = viewer
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search models: TF, cell, architecture…")
        self.search.setClearButtonEnabled(True)
        self.search.setToolTip(
            "Show only the models whose name, TF, cell line, architecture or training "
            "data contain every word typed here"
        )
        self.group_combo = QComboBox()
        self.group_combo.addItems([f"by {g}" if g != "none" else "no groups" for g in self.GROUPINGS])
        self.group_combo.setToolTip("Group the models by data set (TF and cell line) or by architecture")
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(list(self.COLUMNS))
        self.tree.setRootIsDecorated(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSortingEnabled(False)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # "ensemble on T…ic (2)": names keep their ends
        self.tree.setToolTip(
            "Tick the models whose predictions you want to see and compare (right-click: tick only this one)"
        )
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for c in range(1, len(self.COLUMNS)):
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        self.ticked_label = QLabel("")
        self.ticked_label.setStyleSheet("color: #666;")
        self.untick_button = QPushButton("Untick all")
        self.untick_button.setToolTip("Untick every model (no predictions until you tick one)")
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

        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.group_combo)
        ticked = QHBoxLayout()
        ticked.addWidget(self.ticked_label, 1)
        ticked.addWidget(self.untick_button)
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
        layout.addLayout(top)
        layout.addWidget(self.tree, 3)
        layout.addLayout(ticked)
        layout.addLayout(buttons)
        layout.addWidget(self.details, 2)
        layout.addLayout(device)

        self._syncing = False
        self._known: set[str] | None = None
        self._structure = None
        self._expanded: dict[str, bool] = {}
        self._items: dict[str, QTreeWidgetItem] = {}
        self._ticked: set[str] = set()
        self._user_chose = False  # the user picked a row: the details stay on it
        self._groups: dict[str, QTreeWidgetItem] = {}
        self.tree.itemChanged.connect(self._item_changed)
        # not while `refresh` rebuilds the list (it shows the details once at the end): every removed
        # and added row changes the current item, and 56 models made that 1,600 HTML renders (5 s)
        self.tree.currentItemChanged.connect(self._current_changed)
        self.tree.itemExpanded.connect(lambda it: self._remember(it, True))
        self.tree.itemCollapsed.connect(lambda it: self._remember(it, False))
        self.tree.customContextMenuRequested.connect(self._context_menu)
        self.search.textChanged.connect(lambda _: self._apply_filter())
        self.group_combo.currentIndexChanged.connect(lambda _: self.refresh())
        self.untick_button.clicked.connect(lambda: self.viewer.select_models([]))
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
        resolved = self.viewer.model_list.resolved_device
        self.device_note.setText(f"→ {resolved}" if name == "auto" and resolved else "")

    # ---- grouping ------------------------------------------------------------------------------

    @property
    def grouping(self) -> str:
        return self.GROUPINGS[max(0, self.group_combo.currentIndex())]

    def set_grouping(self, grouping: str) -> None:
        """ "data set" (TF and cell line), "architecture" or "none"."""
        self.group_combo.setCurrentIndex(self.GROUPINGS.index(grouping))

    def _place(self, m) -> tuple[str, str, str]:
        """(group key, group label, row text) of model `m` under the current grouping."""
        data_set, tf, arch = split_model_name(m.name, m.preset)
        if not data_set:
            data_set, tf, _ = split_model_name(m.training_data or "")
        tf = str(m.metadata.get("tf") or tf or "")
        data_set = data_set or tf or "other"
        label = data_set.replace(" ", " · ", 1)
        if self.grouping == "architecture":
            return arch or m.preset, arch or m.preset, m.name
        if self.grouping == "none":
            return "", "", m.name
        shipped_style = m.name == f"{data_set.replace(' ', '_')}_{m.preset}"
        return data_set.upper(), label, (m.preset if shipped_style else m.name)

    def _order(self, models) -> list[tuple[str, str, list]]:
        """[(key, label, [(model, row text)])], groups by name, rows by architecture: fixed whatever is ticked."""
        groups: dict[str, tuple[str, list]] = {}
        for m in models:
            key, label, text = self._place(m)
            groups.setdefault(key, (label, []))[1].append((m, text))

        def row_key(pair):
            m, text = pair
            return (
                PRESET_ORDER.index(m.preset) if m.preset in PRESET_ORDER else len(PRESET_ORDER),
                text.lower(),
                m.name,
            )

        return [(k, groups[k][0], sorted(groups[k][1], key=row_key)) for k in sorted(groups, key=str.lower)]

    def refresh(self) -> None:
        """Rebuild the rows when models come or go (or the grouping changes); else update them in place."""
        models = list(self.viewer.models)
        names = [m.name for m in models]
        current = self.current_name()
        added = [m for m in models if self._known is not None and m.name not in self._known]
        picked = [m.name for m in added if m.selected]
        if picked:
            current = picked[-1]  # show the details of a model just opened or trained, and stay there
            self._user_chose = True
        first_ticked = next((m.name for m in models if m.selected and m.error is None), None)
        if not self._user_chose and not picked and first_ticked is not None:
            current = first_ticked  # until the user picks a row, the details show a model in use
        if current not in names:
            current = first_ticked or (names[0] if names else None)
        self._known = set(names)
        ticked_now = {m.name for m in models if m.selected}
        newly = ticked_now - self._ticked
        self._ticked = ticked_now
        order = self._order(models)
        structure = (self.grouping, tuple((k, tuple(m.name for m, _ in rows)) for k, _, rows in order))
        self._syncing = True
        try:
            if structure != self._structure:
                # rebuilt only when models come or go: a tick calls this from the ticked row's own
                # itemChanged, and clearing the tree then deletes that row under Qt (a crash)
                self._structure = structure
                self._build(order, added)
            for key, _label, rows in order:  # a model ticked from elsewhere (menu, script, training): open its group
                group = self._groups.get(key)
                if group is not None and any(m.name in newly for m, _ in rows) and not self._expanded.get(key):
                    self._expanded[key] = True
            for key, label, rows in order:
                for m, text in rows:
                    self._fill(self._items[m.name], m, text)
                group = self._groups.get(key)
                if group is not None:
                    self._fill_group(group, label, [m for m, _ in rows])
            item = self._items.get(current) if current is not None else None
            if item is not None and item is not self.tree.currentItem():
                self.tree.setCurrentItem(item)
                self.tree.scrollToItem(item)
            n_ticked = sum(1 for m in models if m.selected and m.error is None)
            self.ticked_label.setText(f"{n_ticked} of {len(models)} ticked" if models else "")
            self.untick_button.setEnabled(n_ticked > 0)
        finally:
            self._syncing = False
        self._apply_filter()
        self._show_details()

    def _build(self, order, added) -> None:
        self.tree.clear()
        self._items, self._groups = {}, {}
        added_names = {m.name for m in added}
        for key, label, rows in order:
            parent = None
            if self.grouping != "none":
                parent = QTreeWidgetItem([label, ""])
                parent.setData(0, self.GROUP_ROLE, key)
                parent.setFlags(Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled)
                font = parent.font(0)
                font.setBold(True)
                parent.setFont(0, font)
                self.tree.addTopLevelItem(parent)
                self._groups[key] = parent
            for m, _text in rows:
                item = QTreeWidgetItem()
                self._items[m.name] = item
                (parent.addChild(item) if parent is not None else self.tree.addTopLevelItem(item))
            if parent is not None:
                ticked = any(m.selected for m, _ in rows)
                opened = self._expanded.get(key, ticked) or any(m.name in added_names and m.selected for m, _ in rows)
                self._expanded[key] = opened
                parent.setExpanded(opened)

    def _remember(self, item, expanded: bool) -> None:
        key = item.data(0, self.GROUP_ROLE)
        if key is not None and not self.search.text().strip() and not self._syncing:
            self._expanded[key] = expanded

    def _fill_group(self, item: QTreeWidgetItem, label: str, models) -> None:
        ticked = sum(1 for m in models if m.selected and m.error is None)
        item.setText(0, f"{label} ({len(models)})")
        item.setText(1, f"✓ {ticked}/{len(models)}" if ticked else "")
        item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        best = [m.test_auroc for m in models if m.test_auroc is not None]
        item.setToolTip(
            0, f"{label}: {', '.join(m.name for m in models)}" + (f"\nbest test AUROC {max(best):.3f}" if best else "")
        )
        item.setToolTip(1, f"{ticked} of {len(models)} ticked")

    def _fill(self, item: QTreeWidgetItem, m, text: str | None = None) -> None:
        """Show model `m` in its row; a model whose file failed to load gets a warning and no tick box."""
        auroc = m.test_auroc
        item.setText(0, (text or m.name) + ("  (broken)" if m.error else "" if m.saved else "  (unsaved)"))
        item.setText(1, "—" if auroc is None else f"{auroc:.3f}")
        item.setData(0, Qt.ItemDataRole.UserRole, m.name)
        flags = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled
        item.setFlags(flags if m.error else flags | Qt.ItemFlag.ItemIsUserCheckable)
        if m.error:
            item.setData(0, Qt.ItemDataRole.CheckStateRole, None)
        else:
            state = Qt.CheckState.Checked if m.selected else Qt.CheckState.Unchecked
            if item.data(0, Qt.ItemDataRole.CheckStateRole) is None or item.checkState(0) != state:
                item.setCheckState(0, state)
        item.setIcon(0, self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning) if m.error else QIcon())
        item.setForeground(0, QColor(BROKEN_COLOR) if m.error else self.tree.palette().text())
        item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        where = m.path or "trained in this session, not saved"
        item.setToolTip(
            0,
            f"{m.name}\nCannot be loaded: {m.error}\n{BROKEN_ADVICE}"
            if m.error
            else f"{m.name}\n{m.preset} — predicts {', '.join(m.task_names)}\n{where}",
        )
        trust = None if m.error else m.verdict
        untrusted = trust is not None and trust.level == "untrusted"
        item.setText(1, item.text(1) + (" ⚠" if untrusted else ""))
        item.setForeground(1, QColor(BROKEN_COLOR) if untrusted else self.tree.palette().text())
        item.setToolTip(
            1,
            "AUROC on held-out test data stored in the model file (— = never tested)"
            + (f"\n{trust.summary}" if trust is not None and trust.level != "trusted" else ""),
        )

    # ---- search ----------------------------------------------------------------------------------

    def _haystack(self, m) -> str:
        data_set, tf, arch = split_model_name(m.name, m.preset)
        data = str((m.metadata.get("training") or {}).get("data") or "").split()
        return " ".join(
            [
                m.name,
                m.preset,
                data_set,
                tf,
                arch,
                str(m.metadata.get("tf") or ""),
                os.path.basename(data[0]) if data else "",
                " ".join(m.task_names),
            ]
        ).lower()

    def _apply_filter(self) -> None:
        words = self.search.text().lower().split()
        by_name = {m.name: m for m in self.viewer.models}
        self._syncing = True
        try:
            for name, item in self._items.items():
                m = by_name.get(name)
                hay = self._haystack(m) if m is not None else name.lower()
                item.setHidden(bool(words) and not all(w in hay for w in words))
            for key, group in self._groups.items():
                children = (group.child(k) for k in range(group.childCount()))
                shown = any(c is not None and not c.isHidden() for c in children)
                group.setHidden(not shown)
                group.setExpanded(bool(words) or self._expanded.get(key, False))
        finally:
            self._syncing = False

    def visible_names(self) -> list[str]:
        """The names of the rows shown (not filtered out), top to bottom, whether or not collapsed."""
        return [
            n for n, it in self._rows() if not it.isHidden() and not ((parent := it.parent()) and parent.isHidden())
        ]

    def _rows(self) -> list[tuple[str, QTreeWidgetItem]]:
        out = []
        it = QTreeWidgetItemIterator(self.tree)
        while it.value():
            name = it.value().data(0, Qt.ItemDataRole.UserRole)
            if name is not None:
                out.append((name, it.value()))
            it += 1
        return out

    def item_of(self, name: str) -> QTreeWidgetItem | None:
        """The row of model `name`."""
        return self._items.get(name)

    # ---- ticking and the current row -------------------------------------------------------------

    def current_name(self) -> str | None:
        item = self.tree.currentItem()
        return None if item is None else item.data(0, Qt.ItemDataRole.UserRole)

    def _current_changed(self, *_args) -> None:
        if not self._syncing:
            self._user_chose = True
            self._show_details()

    def _item_changed(self, item, column) -> None:
        if self._syncing or column != 0 or item.data(0, Qt.ItemDataRole.UserRole) is None:
            return
        self.viewer.select_models([n for n, it in self._rows() if it.checkState(0) == Qt.CheckState.Checked])

    def _context_menu(self, pos) -> None:
        item = self.tree.itemAt(pos)
        name = None if item is None else item.data(0, Qt.ItemDataRole.UserRole)
        menu = QMenu(self)
        if name is not None and self.viewer.model(name).error is None:
            menu.addAction("Tick only this model", lambda: self.viewer.select_models([name]))
        menu.addAction("Untick all", lambda: self.viewer.select_models([]))
        menu.addSeparator()
        menu.addAction("Expand all groups", lambda: self._expand_all(True))
        menu.addAction("Collapse all groups", lambda: self._expand_all(False))
        menu.exec(self.tree.viewport().mapToGlobal(pos))

    def _expand_all(self, expanded: bool) -> None:
        for key, group in self._groups.items():
            self._expanded[key] = expanded
            group.setExpanded(expanded)

    def _show_details(self) -> None:
        name = self.current_name()
        entry = next((m for m in self.viewer.models if m.name == name), None)
        self.save_button.setEnabled(entry is not None and entry.error is None)
        self.remove_button.setEnabled(entry is not None)
        if entry is None:
            group = self.tree.currentItem()
            key = None if group is None else group.data(0, self.GROUP_ROLE)
            if key is not None:
                rows = [(group.child(k).text(0), group.child(k).text(1)) for k in range(group.childCount())]
                body = "".join(
                    f"<tr><td>{html.escape(a)}</td><td align='right'>{html.escape(b)}</td></tr>" for a, b in rows
                )
                self.details.setHtml(
                    f"<b>{html.escape(group.text(0))}</b><table cellspacing='2'>"
                    f"<tr><td style='color:#555'>Model</td><td style='color:#555'>Test AUROC"
                    f"</td></tr>{body}</table>"
                )
                return
            self.details.setHtml(
                "<p style='color:#666'>No models yet. Open a model file, drop one on the window, "
                "or train one in the Train tab.</p>"
            )
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
