"""The main window: sequence list (left), model picker (right), sequence editor (top centre) and the
tabbed panels (bottom centre), with menus, drag and drop, recent files, sessions and screenshots.

The window observes a `deemo_gui.viewer.Viewer` and forwards user actions to it. It appears before
torch is imported: torch, the networks and the shipped models' metadata load in a worker right after
the window is shown (`torch_ready` fires then), and panels are built when their tab is first opened.
"""

from __future__ import annotations

import logging
import os
import time

import shiboken6
from PySide6.QtCore import QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from deemo_gui.core.errors import DeemoError
from deemo_gui.core.zoo import shipped_model_paths
from deemo_gui.qt import errors, windows
from deemo_gui.qt.model_picker import BROKEN_ADVICE, ModelPicker
from deemo_gui.qt.sequence_editor import SequenceEditor
from deemo_gui.qt.sequence_list import SequenceList
from deemo_gui.qt.unsaved import Recovery, ask_to_save
from deemo_gui.qt.workers import JobManager, JobStatus, LivePredictor, Worker, observe

log = logging.getLogger(__name__)

SEQUENCE_FILTER = (
    "Sequence files (*.fa *.fasta *.fna *.fa.gz *.fasta.gz *.seq *.seq.gz *.tsv *.csv *.txt *.gz);;All files (*)"
)
MODEL_FILTER = "deemo models (*.safetensors);;All files (*)"
SESSION_FILTER = "deemo sessions (*.deemo.json *.json);;All files (*)"
PEAKS_FILTER = "Peaks (*.bed *.narrowPeak *.bed.gz *.narrowPeak.gz *.bed3 *.bed6);;All files (*)"
GENOME_FILTER = "Genome FASTA (*.fa *.fasta *.fna *.fa.gz *.fasta.gz);;All files (*)"
TABLE_FILTER = "CSV (*.csv);;Tab-separated (*.tsv)"
MAX_RECENT = 10
SYNC_OPEN_BYTES = 5_000_000  # larger files are read in a worker
AUTO_LIST_PREDICT = 200_000  # predict the whole list automatically up to this many records
# Records per step of a list prediction: unticking, removing or moving its model, and quitting, wait for
# the step in progress (the soak saw 2-57 s GUI stalls with the viewer's 4,096 on a loaded 2-core machine).
LIST_BATCH = 512


def settings() -> QSettings:
    """The app's settings (recent files, window geometry); `DEEMO_GUI_SETTINGS` names an .ini file instead."""
    path = os.environ.get("DEEMO_GUI_SETTINGS")
    if path:
        return QSettings(path, QSettings.Format.IniFormat)
    return QSettings("deemo-gui", "deemo-gui")


def _warmup(paths: list[str]):
    """Import torch and the science modules, read the shipped models' metadata (worker thread)."""
    t0 = time.perf_counter()
    import torch  # noqa: F401

    import deemo_gui.core.inference  # noqa: F401
    import deemo_gui.core.networks  # noqa: F401
    from deemo_gui.core.device import available_devices
    from deemo_gui.core.modelfile import read_metadata

    shipped = []
    for path in paths:
        try:
            read_metadata(path)
            shipped.append(path)
        except DeemoError as exc:
            log.warning("shipped model skipped: %s", exc)
    return available_devices(), shipped, time.perf_counter() - t0


class _PanelHost(QWidget):
    """Holds one registered panel; the panel is constructed when its tab is first shown."""

    def __init__(self, cls, window):
        super().__init__()
        self.cls, self.window_, self.panel = cls, window, None
        self.setLayout(QVBoxLayout())
        self.layout().setContentsMargins(0, 0, 0, 0)

    def build(self):
        if self.panel is None:
            try:
                self.panel = self.cls(self.window_.viewer, self.window_)
            except Exception as exc:  # a broken panel must not break the window
                log.exception("panel %r failed to start", getattr(self.cls, "title", self.cls))
                label = QLabel(errors.user_message(exc, f"The {self.cls.title} panel failed to start"))
                label.setWordWrap(True)
                label.setAlignment(Qt.AlignmentFlag.AlignCenter)
                self.panel = label
            self.layout().addWidget(self.panel)
        return self.panel


class MainWindow(QMainWindow):
    torch_ready = Signal()

    def __init__(self, viewer, parent=None):
        super().__init__(parent)
        self.viewer = viewer
        windows.register(self)
        errors.log_buffer()  # View ▸ Log shows what happened, tracebacks of bugs included
        self.torch_is_ready = False
        self.timings: dict[str, float] = {}
        self.setWindowTitle("deemo-gui")
        self.setAcceptDrops(True)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)

        # -- status bar and jobs --------------------------------------------------------------
        self.job_status = JobStatus()
        self.statusBar().addPermanentWidget(self.job_status)
        self.jobs = JobManager(self, self.job_status, viewer)
        self.live = LivePredictor(viewer, self.jobs, self)

        # -- centre: editor above the panels -------------------------------------------------
        self.editor = SequenceEditor(viewer)
        self.editor.message.connect(self.show_message)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.currentChanged.connect(self._tab_changed)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.editor)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        self.setCentralWidget(self.splitter)
        self._panel_hosts: list[_PanelHost] = []
        self._panels_built = False

        # -- docks ---------------------------------------------------------------------------
        self.sequence_list = SequenceList(viewer)
        self.sequence_dock = self.add_dock_widget(self.sequence_list, "Sequences", area="left")
        self.model_picker = ModelPicker(viewer)
        self.model_picker.open_requested.connect(self.open_model_dialog)
        self.model_picker.save_requested.connect(self.save_model_dialog)
        self.model_dock = self.add_dock_widget(self.model_picker, "Models", area="right")
        self._docks_sized = False

        self._build_menus()
        self._list_jobs: dict[str, Worker] = {}
        self._list_timer = QTimer(self, singleShot=True, interval=100)
        self._list_timer.timeout.connect(self._update_list_predictions)
        ev = viewer.events
        observe(ev.models_changed, self, lambda: self._list_timer.start())
        observe(ev.sequences_changed, self, lambda: self._list_timer.start())
        observe(ev.sequences_changed, self, self._update_title)
        observe(ev.current_changed, self, lambda _i: self._update_edit_actions())
        observe(ev.sequence_edited, self, lambda _s: self._update_edit_actions())
        observe(ev.error, self, lambda msg: self.show_message(msg, 10000))
        observe(ev.model_broken, self, self._model_broken)
        self.recovery = Recovery(self)  # unsaved work autosaved; a crash's offered back once on screen
        observe(ev.unsaved_changed, self.recovery, self.recovery.changed)
        observe(ev.unsaved_changed, self, self.setWindowModified)
        viewer.unsaved.refresh()  # a viewer edited before its window: marked and autosaved too
        self._update_title()
        self._update_edit_actions()
        s = settings()
        geometry = s.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1400, 900)
        self._after_show_scheduled = False

    # -- napari-style conveniences -------------------------------------------------------------
    def add_dock_widget(self, widget, name: str, area: str = "right") -> QDockWidget:
        dock = QDockWidget(name, self)
        dock.setObjectName(f"dock_{name}")
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        where = {
            "left": Qt.DockWidgetArea.LeftDockWidgetArea,
            "right": Qt.DockWidgetArea.RightDockWidgetArea,
            "bottom": Qt.DockWidgetArea.BottomDockWidgetArea,
            "top": Qt.DockWidgetArea.TopDockWidgetArea,
        }[area]
        self.addDockWidget(where, dock)
        if hasattr(self, "view_menu"):
            self.view_menu.addAction(dock.toggleViewAction())
        return dock

    def show_message(self, message: str, ms: int = 6000) -> None:
        self.statusBar().showMessage(message, ms)

    # -- start-up ------------------------------------------------------------------------------
    WARMUP_DELAY_MS = 100  # let the first paint finish before torch's import competes for the GIL

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._docks_sized:
            self._docks_sized = True
            self.size_docks()
        if not self._after_show_scheduled:
            self._after_show_scheduled = True
            QTimer.singleShot(self.WARMUP_DELAY_MS, self._after_show)
            QTimer.singleShot(800, self.first_start_hint)

    def size_docks(self) -> None:
        """Give the list room for name, length, GC, label and one P column; the models their metadata."""
        fm = self.fontMetrics()
        left = max(260, min(self.sequence_list.preferred_width(), int(self.width() * 0.34)))
        right = min(max(250, fm.horizontalAdvance("Validation AUROC") * 2 + 40), self.width() // 5)
        self.resizeDocks([self.sequence_dock, self.model_dock], [left, right], Qt.Orientation.Horizontal)

    def _after_show(self) -> None:
        self.build_panels()
        self.timings["panels_ready"] = time.perf_counter()
        if not self.torch_is_ready and not getattr(self, "_warming", False):
            self._warming = True
            self.timings["warmup_start"] = time.perf_counter()
            worker = Worker(_warmup, shipped_model_paths(), name="Loading deep-learning libraries")
            worker.returned.connect(self._warmup_done)
            self.jobs.start(worker, context="Loading torch")

    def ensure_torch(self) -> None:
        """Import torch now on the GUI thread (headless rendering and scripts), if the warm-up has not."""
        if not self.torch_is_ready:
            self._warmup_done(_warmup(shipped_model_paths()))

    def _warmup_done(self, result) -> None:
        if self.torch_is_ready:
            return
        devices, shipped, seconds = result
        self.timings["torch_ready"] = seconds
        from deemo_gui.qt.workers import set_torch_threads

        set_torch_threads(None)  # records torch's default thread count for later jobs
        known = {m.path for m in self.viewer.models}
        for path in shipped:
            if os.path.abspath(path) not in known:
                try:
                    self.viewer.add_model(path, lazy=True, select=False)
                except DeemoError as exc:
                    log.warning("shipped model skipped: %s", exc)
        self.model_picker.set_devices(devices)
        self.torch_is_ready = True
        self.torch_ready.emit()
        self.live.schedule(immediate=True)
        if self._after_show_scheduled:  # on screen (not a headless render): compile Tomtom in the background
            from deemo_gui.qt.motif_warmup import start_motif_warmup

            start_motif_warmup(self)
            QTimer.singleShot(0, self.recovery.offer)

    def build_panels(self) -> None:
        """Add a tab per registered panel (the current tab's panel is built now, others when opened)."""
        if self._panels_built:
            return
        self._panels_built = True
        from deemo_gui.qt.panels import panel_classes

        for cls in panel_classes():
            host = _PanelHost(cls, self)
            self._panel_hosts.append(host)
            self.tabs.addTab(host, getattr(cls, "title", cls.__name__))
        if self._panel_hosts:
            self._tab_changed(self.tabs.currentIndex())

    def _tab_changed(self, index: int) -> None:
        if 0 <= index < len(self._panel_hosts):
            panel = self._panel_hosts[index].build()
            if hasattr(panel, "shown"):
                panel.shown()

    def panel(self, title: str):
        """The panel with this tab title (case-insensitive), built if needed; None if there is none."""
        self.build_panels()
        for host in self._panel_hosts:
            if getattr(host.cls, "title", "").lower() == title.lower():
                return host.build()
        return None

    def show_panel(self, title: str):
        """Show the tab whose title or module name (e.g. "classopt") is `title`."""
        self.build_panels()
        for k, host in enumerate(self._panel_hosts):
            names = {getattr(host.cls, "title", "").lower(), host.cls.__module__.rsplit(".", 1)[-1].lower()}
            if title.lower() in names:
                self.tabs.setCurrentIndex(k)
                return host.build()
        raise DeemoError(
            f"no panel named {title!r}; panels: {', '.join(getattr(h.cls, 'title', '?') for h in self._panel_hosts)}"
        )

    # -- menus ---------------------------------------------------------------------------------
    def _action(self, menu, text, slot, shortcut=None, tip=None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        f = bar.addMenu("&File")
        self._action(
            f,
            "&Open…",
            self.open_dialog,
            QKeySequence.StandardKey.Open,
            "Open FASTA, TSV/CSV, DeepBind .seq or plain sequence files",
        )
        self._action(
            f,
            "Open with &labels…",
            self.open_with_labels_dialog,
            None,
            "Open a sequence file and a label file with one line per record",
        )
        self._action(
            f,
            "Open &peaks with a genome…",
            self.open_peaks_dialog,
            None,
            "Open a BED/narrowPeak file: windows on the summits, read from a reference genome FASTA",
        )
        self.recent_menu = f.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        f.addSeparator()
        self._action(f, "Open &model…", self.open_model_dialog, "Ctrl+M", "Add a deemo model file (.safetensors)")
        self._action(
            f,
            "Sa&ve model…",
            lambda: self.save_model_dialog(self.model_picker.current_name()),
            None,
            "Save the model highlighted in the model list",
        )
        f.addSeparator()
        self._action(
            f, "Open &session…", self.open_session_dialog, None, "Restore files, models, current sequence and edits"
        )
        self._action(
            f,
            "&Save session…",
            self.save_session_dialog,
            QKeySequence.StandardKey.Save,
            "Save open files, models, current sequence and edits to a session file",
        )
        f.addSeparator()
        self._action(
            f,
            "&Export sequences (FASTA)…",
            self.export_fasta_dialog,
            None,
            "Write the records the list shows (with edits, soft-masking kept) to a FASTA file",
        )
        self._action(
            f,
            "Export &predictions table…",
            self.export_predictions_dialog,
            None,
            "Write every record's P per ticked model (and labels) to a CSV or TSV file",
        )
        self._action(f, "Save &screenshot…", self.screenshot_dialog, None, "Save the window as a PNG image")
        self._action(f, "&Close file", self.close_file, None, "Close the file of the current sequence")
        f.addSeparator()
        self._action(f, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        e = bar.addMenu("&Edit")
        self.undo_action = self._action(e, "&Undo edit", self.viewer.undo, QKeySequence.StandardKey.Undo)
        self.redo_action = self._action(e, "&Redo edit", self.viewer.redo, QKeySequence.StandardKey.Redo)
        e.addSeparator()
        self._action(
            e,
            "&Copy as FASTA",
            self.editor.canvas.copy_fasta,
            QKeySequence.StandardKey.Copy,
            "Copy the selected bases (or the whole sequence) as FASTA",
        )
        self._action(
            e,
            "&Paste bases",
            self.editor.canvas.paste,
            QKeySequence.StandardKey.Paste,
            "Type the clipboard's bases over the sequence at the cursor",
        )
        self._action(e, "Reverse &complement", self._revcomp, "Ctrl+R")
        self._action(e, "Re&vert to file", self.editor._revert, None, "Undo every edit of this sequence")
        e.addSeparator()
        self._action(e, "&Find motif…", self._focus_search, QKeySequence.StandardKey.Find)

        self.view_menu = bar.addMenu("&View")
        self.view_menu.addAction(self.sequence_dock.toggleViewAction())
        self.view_menu.addAction(self.model_dock.toggleViewAction())
        self.view_menu.addSeparator()
        self._action(self.view_menu, "Whole sequence", self.editor.canvas.zoom_fit, "Ctrl+0")
        self._action(self.view_menu, "Single bases", self.editor.canvas.zoom_bases, "Ctrl+1")
        self.view_menu.addSeparator()
        self._action(
            self.view_menu,
            "Window &stride…",
            self.window_stride_dialog,
            None,
            "Sequences longer than a model's input are scanned with windows this many bases apart",
        )
        self.both_strands_action: QAction = self._action(
            self.view_menu,
            "Score windows on &both strands",
            lambda: self.viewer.set_scan_options(reverse_complement=self.both_strands_action.isChecked()),
            None,
            "Score each window and its reverse complement and keep the larger",
        )
        self.both_strands_action.setCheckable(True)
        self._action(
            self.view_menu,
            "Explain each model's b&est window",
            lambda: self.viewer.set_window(None),
            None,
            "Back to the best-scoring window after choosing another (right-click in the sequence)",
        )
        self.view_menu.addSeparator()
        self._action(self.view_menu, "&Log…", self.show_log)

        h = bar.addMenu("&Help")
        self._action(h, "&Keyboard shortcuts", self.show_shortcuts, "F1")
        self._action(h, "&About deemo-gui", self._about)

    def _update_edit_actions(self) -> None:
        self.undo_action.setEnabled(self.viewer.can_undo)
        self.redo_action.setEnabled(self.viewer.can_redo)

    def _update_title(self) -> None:
        files = self.viewer.files
        if not files:
            self.setWindowTitle("deemo-gui[*]")  # [*]: a "*" while work is unsaved (setWindowModified)
            return
        more = f" (+{len(files) - 1} more)" if len(files) > 1 else ""
        self.setWindowTitle(f"{files[-1].name}{more}[*] — {self.viewer.n_sequences:,} sequences — deemo-gui")

    def _revcomp(self) -> None:
        if self.viewer.current_index >= 0:
            self.viewer.reverse_complement()

    def _focus_search(self) -> None:
        self.editor.search_edit.setFocus()
        self.editor.search_edit.selectAll()

    EDITOR_KEYS = (
        ("A C G T N (typing)", "replace the base at the cursor (Insert: insert instead)"),
        ("Backspace / Delete", "delete the base before / at the cursor"),
        ("← → Home End", "move the cursor; with Shift: select"),
        ("+ / −, Ctrl+wheel", "zoom in / out"),
        ("Right-click a base", "explain the window around it (longer sequences)"),
    )

    def shortcuts_table(self) -> list[tuple[str, str]]:
        """(keys, what) of every menu action with a shortcut, then the sequence editor's keys."""
        rows = []

        def walk(menu, path):
            for a in menu.actions():
                if a.menu() is not None:
                    walk(a.menu(), path + [a.text().replace("&", "")])
                elif not a.shortcut().isEmpty():
                    keys = a.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
                    rows.append((keys, " ▸ ".join(path + [a.text().replace("&", "").rstrip("…")])))

        for a in self.menuBar().actions():
            if a.menu() is not None:
                walk(a.menu(), [a.text().replace("&", "")])
        return rows + [(k, f"Sequence editor: {v}") for k, v in self.EDITOR_KEYS]

    def show_shortcuts(self) -> None:
        """Help ▸ Keyboard shortcuts: a table built from the menus (so it cannot drift from them)."""
        from html import escape

        body = "".join(
            f"<tr><td style='padding-right:14px'><b>{escape(k)}</b></td><td>{escape(v)}</td></tr>"
            for k, v in self.shortcuts_table()
        )
        box = QMessageBox(
            QMessageBox.Icon.NoIcon,
            "Keyboard shortcuts",
            f"<table>{body}</table>",
            QMessageBox.StandardButton.Close,
            self,
        )
        box.setModal(False)
        box.show()
        self._shortcuts_box = box

    FIRST_START_HINT = (
        "Welcome: pick a sequence on the left, tick models on the right (search by TF or cell), "
        "edit bases to see the prediction change; the tabs explain why. Help ▸ Keyboard shortcuts (F1)."
    )

    def first_start_hint(self) -> bool:
        """On the very first start, a one-line hint of what to do, in the status bar (30 s); True if shown."""
        s = settings()
        if s.value("first_start_hint_shown", False, type=bool):
            return False
        s.setValue("first_start_hint_shown", True)
        self.show_message(self.FIRST_START_HINT, 30_000)
        return True

    def _about(self) -> None:
        from deemo_gui import __version__

        QMessageBox.about(
            self,
            "About deemo-gui",
            f"<b>deemo-gui {__version__}</b><p>Train deep networks on DNA sequences and see why they "
            "predict what they predict — the Deep Motif Dashboard (Lanchantin et al., PSB 2017) "
            "as a desktop tool.</p>",
        )

    def show_log(self) -> None:
        dialog = errors.LogDialog(self)
        dialog.show()
        self._log_dialog = dialog

    # -- files ---------------------------------------------------------------------------------
    def open_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Open sequences", self._last_dir(), SEQUENCE_FILTER)
        for path in paths:
            self.open_file(path)

    def open_with_labels_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open sequences", self._last_dir(), SEQUENCE_FILTER)
        if not path:
            return
        labels, _ = QFileDialog.getOpenFileName(
            self, f"Labels for {os.path.basename(path)} (one line per record)", os.path.dirname(path), "All files (*)"
        )
        if labels:
            self.open_file(path, labels=labels)

    def open_file(self, path: str, labels: str | None = None, negatives: str | None = None) -> Worker | bool:
        """Open a sequence file; errors become a dialog and leave the state as it was.

        Small files are read at once (returns True/False); large ones in a worker (returns it).
        """
        path = os.fspath(path)
        try:
            size = os.path.getsize(path)
        except OSError:
            size = 0
        example = self._untouched_example()
        if size <= SYNC_OPEN_BYTES:
            try:
                self.viewer.open(path, labels=labels, negatives=negatives)
            except DeemoError as exc:
                errors.report_exception(self, exc, f"Opening {os.path.basename(path)}")
                return False
            except Exception as exc:
                errors.report_exception(self, exc, f"Opening {os.path.basename(path)}")
                return False
            self._opened(path, self._close_example(example))
            return True
        from deemo_gui.core.sequences import load_dataset

        worker = Worker(
            load_dataset, path, labels=labels, negatives=negatives, name=f"Reading {os.path.basename(path)}"
        )

        def opened(data) -> None:
            still = self._untouched_example() if example else []  # not edited while the file was read
            self.viewer.add_sequences(data, path=path, labels=labels, negatives=negatives)
            self._opened(path, self._close_example(still))

        worker.returned.connect(opened)
        return self.jobs.start(worker, context=f"Opening {os.path.basename(path)}")

    def _untouched_example(self) -> list[str]:
        """The open files when they are only the bundled example, none of its records edited or flipped
        (opening one's own data then replaces it rather than mixing its records in); else []."""
        from deemo_gui.examples import default_example

        example = {os.path.realpath(p) for p in default_example()[0]}
        v = self.viewer
        paths = [f.path for f in v.files]
        if not paths or v.edits.states or any(os.path.realpath(p) not in example for p in paths):
            return []
        return paths

    def _close_example(self, example: list[str]) -> str:
        """Close `example`, the first open files (`_untouched_example`), and untick the example's models (they
        stay in the list); the status-line note."""
        from deemo_gui.examples import default_example

        if not example:
            return ""
        for _ in example:
            self.viewer.close_file(0)
        v = self.viewer
        shipped = {os.path.realpath(p) for p in default_example()[1]}
        ticked = [m for m in v.selected_models if not (m.path and os.path.realpath(m.path) in shipped)]
        unticked = len(v.selected_models) - len(ticked)
        if unticked:
            v.select_models(ticked)
        return f" (closed the bundled example {os.path.basename(example[0])}" + (
            f" and unticked its {unticked} models)" if unticked else ")"
        )

    def _opened(self, path: str, closed: str = "") -> None:
        self.add_recent(path)
        ids = self.viewer.files[-1].data.ids
        repeated = len(ids) - len(set(ids))
        note = (
            (
                f" — {repeated:,} record id(s) repeat an earlier one; records are told apart by position "
                "(names in View ▸ Log)"
            )
            if repeated
            else ""
        )
        self.show_message(
            f"Opened {os.path.basename(path)}: {len(ids):,} sequences{closed}{note}{self._length_notice()}", 12000
        )

    def _length_notice(self) -> str:
        """' — lengths 60–1,010 nt; the ticked models read 101 nt: ...' when they differ."""
        v = self.viewer
        if not v.files:
            return ""
        seqs = v.files[-1].data.seqs
        lo, hi = min(map(len, seqs), default=0), max(map(len, seqs), default=0)
        model_lengths = sorted({m.input_length for m in v.selected_models if m.input_length})
        if not model_lengths or (lo == hi and model_lengths == [lo]):
            return ""
        span = f"{lo:,} nt" if lo == hi else f"{lo:,}–{hi:,} nt"
        reads = "/".join(f"{L:,}" for L in model_lengths)
        return (
            f" — lengths {span}, the ticked models read {reads} nt: longer sequences are scanned "
            "(score = best window, boxed), shorter ones N-padded"
        )

    def open_peaks_dialog(self) -> Worker | None:
        """BED/narrowPeak + genome FASTA: the peak windows, read in a worker."""
        bed, _ = QFileDialog.getOpenFileName(self, "Open peaks (BED / narrowPeak)", self._last_dir(), PEAKS_FILTER)
        if not bed:
            return None
        genome, _ = QFileDialog.getOpenFileName(
            self, f"Reference genome for {os.path.basename(bed)}", os.path.dirname(bed), GENOME_FILTER
        )
        if not genome:
            return None
        from deemo_gui.viewer.genome import window_length

        length, ok = QInputDialog.getInt(
            self,
            "Window length",
            "Bases around each summit (the models' input length):",
            window_length(self.viewer),
            1,
            100_000,
        )
        return self.open_peaks(bed, genome, length) if ok else None

    def open_peaks(self, bed: str, genome: str, length: int | None = None) -> Worker:
        from deemo_gui.viewer.genome import peak_data, window_length

        length = window_length(self.viewer, length)
        worker = Worker(
            peak_data,
            os.fspath(bed),
            os.fspath(genome),
            length,
            name=f"Reading peaks of {os.path.basename(bed)} from {os.path.basename(genome)}",
        )

        def opened(data) -> None:
            self.viewer.add_sequences(data, path=bed, genome=os.path.abspath(genome), length=length)
            self._opened(bed)

        worker.returned.connect(opened)
        return self.jobs.start(worker, context=f"Opening {os.path.basename(bed)}")

    def window_stride_dialog(self) -> None:
        v = self.viewer
        stride, ok = QInputDialog.getInt(
            self, "Window stride", "Scan longer sequences with windows every … bases:", v.scan_stride, 1, 100_000
        )
        if ok:
            v.set_scan_options(stride=stride)

    def export_fasta_dialog(self) -> str | None:
        from deemo_gui.viewer.export import write_fasta

        indices = self.sequence_list.visible_indices()
        if not indices:
            self.show_message("Nothing to export: no sequence is open or shown")
            return None
        path, _ = QFileDialog.getSaveFileName(
            self,
            f"Export {len(indices):,} sequences",
            os.path.join(self._last_dir(), "sequences.fa"),
            "FASTA (*.fa *.fasta)",
        )
        if not path:
            return None
        try:
            n = write_fasta(self.viewer, path, indices)
        except DeemoError as exc:
            errors.report_exception(self, exc, "Exporting sequences")
            return None
        self.show_message(f"Wrote {n:,} sequences to {path}")
        return path

    def export_predictions_dialog(self) -> Worker | None:
        """Predict the whole list with every ticked model that has no table yet (in a worker), then
        write the table."""
        v = self.viewer
        if not v.n_sequences or not v.selected_models:
            self.show_message("Nothing to export: open sequences and tick a model first")
            return None
        path, chosen = QFileDialog.getSaveFileName(
            self, "Export predictions", os.path.join(self._last_dir(), "predictions.csv"), TABLE_FILTER
        )
        if not path:
            return None
        if not os.path.splitext(path)[1]:
            path += ".tsv" if "Tab" in (chosen or "") else ".csv"
        return self.export_predictions(path)

    def export_predictions(self, path: str) -> Worker:
        from deemo_gui.viewer.export import prediction_columns, write_predictions

        v = self.viewer
        entries = list(v.selected_models)
        missing = [
            e for e in entries if e.name not in v.list_predictions or len(v.list_predictions[e.name]) != v.n_sequences
        ]

        records = {e.name: v.iter_predict_list(e) for e in missing}  # read here, on the GUI thread

        def job():
            tables = {}
            for e in missing:
                gen = records[e.name]
                while True:
                    try:
                        done, total = next(gen)
                    except StopIteration as stop:
                        tables[e.name] = stop.value
                        break
                    yield done, total, f"{e.name}: {done:,} of {total:,} sequences"
            return tables

        def write(tables: dict) -> None:
            for name, table in tables.items():
                v.set_list_predictions(name, table)
            try:
                n = write_predictions(v, path, columns=prediction_columns(v, [e.name for e in entries]))
            except DeemoError as exc:
                errors.report_exception(self, exc, "Exporting predictions")
                return
            self.show_message(f"Wrote predictions of {n:,} sequences × {len(entries)} model(s) to {path}")

        worker = Worker(job, name=f"Predicting {v.n_sequences:,} sequences for the export", progress=lambda p: p)
        worker.returned.connect(write)
        return self.jobs.start(worker, context="Exporting predictions")

    def close_file(self) -> bool:
        """Close the current sequence's file (asking first when it has unsaved edits); False if cancelled."""
        v = self.viewer
        if v.current_index < 0:
            return False
        f = v.file_of(v.current_index)
        if not ask_to_save(self, f"close {f.name}", [i for i in v.unsaved.records if v.file_of(i) is f], []):
            return False
        v.close_file(v.files.index(f))
        return True

    def _last_dir(self) -> str:
        recent = self.recent_files()
        return os.path.dirname(recent[0]) if recent else os.getcwd()

    def recent_files(self) -> list[str]:
        value = settings().value("recent_files", [])
        if isinstance(value, str):
            value = [value]
        return [p for p in value if p] if isinstance(value, list) else []

    def add_recent(self, path: str) -> None:
        path = os.path.abspath(path)
        items = [path] + [p for p in self.recent_files() if p != path]
        s = settings()
        s.setValue("recent_files", items[:MAX_RECENT])
        s.sync()

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        recent = self.recent_files()
        if not recent:
            action = self.recent_menu.addAction("(none yet)")
            action.setEnabled(False)
            return
        for path in recent:
            action = self.recent_menu.addAction(os.path.basename(path))
            action.setToolTip(path)
            action.setStatusTip(path)
            if path.endswith(".json"):
                action.triggered.connect(lambda _c=False, p=path: self.open_session(p))
            else:
                action.triggered.connect(lambda _c=False, p=path: self.open_file(p))
        self.recent_menu.addSeparator()
        clear = self.recent_menu.addAction("Clear list")
        clear.triggered.connect(lambda: settings().setValue("recent_files", []))

    # -- models --------------------------------------------------------------------------------
    def open_model_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Open model", self._last_dir(), MODEL_FILTER)
        for path in paths:
            self.open_model(path)

    def open_model(self, path: str) -> bool:
        try:
            entry = self.viewer.add_model(path)
        except Exception as exc:
            errors.report_exception(self, exc, f"Opening model {os.path.basename(path)}")
            return False
        self.show_message(f"Added model {entry.name} ({entry.preset}, {', '.join(entry.task_names)})")
        return True

    def _model_broken(self, name: str, message: str) -> None:
        """One dialog for a model whose file failed to load (the viewer has deselected it)."""
        errors.show_error(
            self,
            f"The model {name} could not be loaded, so it is left out of predictions and "
            f"analyses:\n{message}\n\n{BROKEN_ADVICE}",
            title="deemo-gui: model file unreadable",
        )

    def save_model_dialog(self, name: str | None) -> str | None:
        if not name:
            self.show_message("Highlight a model in the model list first")
            return None
        entry = self.viewer.model(name)
        default = entry.path or os.path.join(self._last_dir(), f"{entry.name.replace(' ', '_')}.safetensors")
        path, _ = QFileDialog.getSaveFileName(self, f"Save model {entry.name}", default, MODEL_FILTER)
        if not path:
            return None
        if not path.endswith(".safetensors"):
            path += ".safetensors"
        try:
            from deemo_gui.core.modelfile import save_model

            save_model(entry.module, path, entry.metadata)
            self.viewer.model_saved(entry, path)
        except Exception as exc:
            errors.report_exception(self, exc, f"Saving model {entry.name}")
            return None
        self.show_message(f"Saved {entry.name} to {path}")
        return path

    def _update_list_predictions(self) -> None:
        """Predict the whole list with each selected model that has no predictions yet (one job each)."""
        v = self.viewer
        if not self.torch_is_ready or not v.n_sequences or v.n_sequences > AUTO_LIST_PREDICT:
            return
        for entry in v.selected_models:
            if entry.name in v.list_predictions and len(v.list_predictions[entry.name]) == v.n_sequences:
                continue
            running = self._list_jobs.get(entry.name)
            if running is not None and running.is_running():
                continue
            # reads the records here: the list may change while it runs
            records = v.iter_predict_list(entry, batch_size=LIST_BATCH)
            worker = Worker(
                lambda gen=records: gen,
                name=f"Predicting {v.n_sequences:,} sequences with {entry.name}",
                progress=lambda p: (p[0], p[1], f"{p[0]:,} of {p[1]:,}"),
                background=True,
            )
            worker.returned.connect(lambda probs, name=entry.name: v.set_list_predictions(name, probs))
            worker.finished.connect(lambda name=entry.name: self._list_job_done(name))
            self._list_jobs[entry.name] = worker
            self.jobs.start(worker, context=f"Predicting the list with {entry.name}")

    def _list_job_done(self, name: str) -> None:
        if not shiboken6.isValid(self) or not shiboken6.isValid(self._list_timer):
            return  # the window closed while the job ran
        self._list_jobs.pop(name, None)
        v = self.viewer
        if any(m.name == name for m in v.selected_models) and name not in v.list_predictions:
            self._list_timer.start()  # the list changed while predicting: once more

    # -- sessions ------------------------------------------------------------------------------
    def save_session_dialog(self) -> bool:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save session", os.path.join(self._last_dir(), "session.deemo.json"), SESSION_FILTER
        )
        return bool(path) and self.save_session(path)

    def save_session(self, path: str) -> bool:
        try:
            self.viewer.save_session(path)
        except Exception as exc:
            errors.report_exception(self, exc, "Saving the session")
            return False
        unsaved = [m.name for m in self.viewer.models if not m.saved]
        note = f" (not included, never saved: {', '.join(unsaved)})" if unsaved else ""
        self.add_recent(path)
        self.show_message(f"Session saved to {path}{note}", 10000)
        return True

    def open_session_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open session", self._last_dir(), SESSION_FILTER)
        if path:
            self.open_session(path)

    def open_session(self, path: str) -> bool:
        """Replace the open files and models by a session's (asking first when work is unsaved)."""
        if not ask_to_save(self, f"open {os.path.basename(path)}"):
            return False
        try:
            self.viewer.open_session(path)
        except Exception as exc:
            errors.report_exception(self, exc, "Opening the session")
            return False
        self.add_recent(path)
        self.show_message(f"Session {os.path.basename(path)} restored")
        return True

    # -- drag and drop -------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        event.acceptProposedAction()
        for path in paths:
            self.open_any(path)

    def open_any(self, path: str):
        """Open a model, a session or a sequence file, by its name."""
        if path.endswith(".safetensors"):
            return self.open_model(path)
        if path.endswith(".json"):
            return self.open_session(path)
        return self.open_file(path)

    # -- screenshots and shutdown ---------------------------------------------------------------
    def screenshot(self, path=None, size: tuple[int, int] | None = None):
        """Render the window (offscreen works) to a QImage, saved as PNG when `path` is given."""
        if size is not None:
            self.resize(QSize(*size))
        self.build_panels()
        hidden = not self.isVisible()
        if hidden:  # render without flashing a window on a real display
            self.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
            self.show()
        QApplication.processEvents()
        if size is not None:
            self.size_docks()
        for _ in range(3):
            QApplication.processEvents()
        image = self.grab().toImage()
        if hidden:
            self.hide()
            self.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, False)
        if path is not None:
            from deemo_gui.core.atomic import atomic_path

            fmt = os.path.splitext(os.fspath(path))[1].lstrip(".").upper() or "PNG"
            with atomic_path(path) as tmp:  # the temporary name has no extension: the format is named
                if not image.save(tmp, fmt):  # type: ignore[arg-type]  # a str format, whatever the stub says
                    raise DeemoError(f"{path}: could not write the screenshot (folder missing or not writable?)")
        return image

    def screenshot_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save screenshot", os.path.join(self._last_dir(), "deemo.png"), "PNG images (*.png)"
        )
        if path:
            try:
                self.screenshot(path)
            except Exception as exc:
                errors.report_exception(self, exc, "Saving the screenshot")

    def closeEvent(self, event) -> None:
        if self.isVisible() and not ask_to_save(self, "quit"):
            event.ignore()
            return
        # Gone from the screen at once: what follows waits (up to 10 s) for jobs that cannot stop
        # mid-step, e.g. the first import of torch, which took 10 s under load.
        self.hide()
        self.recovery.close()  # a clean quit leaves no recovery file
        for host in self._panel_hosts:
            panel = host.panel
            if panel is not None and hasattr(panel, "shutdown"):
                try:
                    panel.shutdown()
                except Exception:
                    log.exception("panel %s failed to shut down", host.cls)
        self.live.enabled = False
        self.jobs.cancel_all()
        try:
            s = settings()
            s.setValue("window/geometry", self.saveGeometry())
        except Exception:  # settings are a convenience
            pass
        windows.forget(self)
        super().closeEvent(event)
