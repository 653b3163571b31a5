"""Randomized soak of the real main window: a seeded sequence of user actions, mostly mouse and keys.

Each action is what a user does: tick a model's check box with the mouse (at the indicator of
the row's `visualItemRect`), expand a group, search the models, pick a sequence, click in the
editor and type bases, Ctrl+Z / Ctrl+Shift+Z, switch tabs, start analyses and jobs (Recompute,
Class optimization, Filters, motif extraction, a one-epoch training) and cancel them, open and
close the example files, add and remove models, change the device, close the window while jobs
run (a new window then takes over, as a restarted app would). Between actions the event loop runs
for a small random time. Modal dialogs are answered without blocking ("Discard" when asked to save).

A failure is an uncaught exception (sys.excepthook, threading.excepthook), an ERROR log record
(the app logs the bugs it catches), a "bug" error dialog, or a Qt warning about threads; it is
reported with the seed and the last 30 actions. Run as a script in a child process so that a
segfault shows up as a faulthandler dump, not a dead test run:

    python -X faulthandler tests/qt/soak.py --seed 3 --actions 2000            # offscreen
    xvfb-run -a python -X faulthandler tests/qt/soak.py --seed 3 --platform xcb  # a real X window

`--stall-dump S` prints every thread's stack when one action holds the GUI thread over S seconds;
`--weight quit_during_job=5` makes an action likelier. At most 3 files are open and 6 models ticked.
"""

from __future__ import annotations

import argparse
import collections
import faulthandler
import json
import logging
import os
import random
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(str(p) for p in (ROOT / "resources" / "examples").glob("*.fa"))
DEFAULT_EXAMPLE = str(ROOT / "resources" / "examples" / "REST_GM12878_test.fa")
BASES = "ACGTN"
THREAD_WARNINGS = ("thread", "QBasicTimer", "QSocketNotifier", "Cannot create children", "deleted")


class Dialogs:
    """Modal dialogs patched to answer at once; every one shown is recorded as (kind, title, text)."""

    def __init__(self):
        self.shown: list[tuple[str, str, str]] = []
        self.next_files: list[str] = []
        self._saved: list[tuple[object, str, object]] = []

    def install(self) -> None:
        from PySide6.QtWidgets import QDialog, QFileDialog, QInputDialog, QMenu, QMessageBox

        def message(kind):
            def answer(parent, title, text, buttons=None, default=None, *a, **k):
                self.shown.append((kind, str(title), str(text)))
                return self._choose(buttons, QMessageBox.StandardButton.Ok)

            return answer

        def box_exec(box):
            self.shown.append(("box", box.windowTitle(), box.text()))
            SB = QMessageBox.StandardButton
            for choice in (SB.Discard, SB.Yes, SB.Ok, SB.Close):
                button = box.button(choice)
                if button is not None:
                    button.click()
                    return int(choice.value)
            return int(SB.Ok.value)

        def file_names(parent=None, caption="", *a, **k):
            self.shown.append(("open files", str(caption), ""))
            files, self.next_files = self.next_files, []
            return files, ""

        def file_name(parent=None, caption="", *a, **k):
            self.shown.append(("open file", str(caption), ""))
            return (self.next_files.pop(0) if self.next_files else ""), ""

        def save_name(parent=None, caption="", *a, **k):
            self.shown.append(("save file", str(caption), ""))
            return "", ""

        def cancelled_input(parent=None, title="", label="", *a, **k):
            self.shown.append(("input", str(title), str(label)))
            return (a[0] if a else 0), False

        def dialog_exec(dialog):
            self.shown.append(("dialog", dialog.windowTitle(), ""))
            return 0

        def menu_exec(menu, *a, **k):
            self.shown.append(("menu", menu.title(), ""))
            return None

        patches = [
            (QMessageBox, kind, staticmethod(message(kind)))
            for kind in ("critical", "warning", "information", "question")
        ]
        patches += [
            (QMessageBox, "about", staticmethod(lambda p, t, x: self.shown.append(("about", t, x)))),
            (QMessageBox, "exec", box_exec),
            (QFileDialog, "getOpenFileNames", staticmethod(file_names)),
            (QFileDialog, "getOpenFileName", staticmethod(file_name)),
            (QFileDialog, "getSaveFileName", staticmethod(save_name)),
            (QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: "")),
            (QInputDialog, "getInt", staticmethod(cancelled_input)),
            (QInputDialog, "getDouble", staticmethod(cancelled_input)),
            (QInputDialog, "getText", staticmethod(lambda *a, **k: ("", False))),
            (QInputDialog, "getItem", staticmethod(lambda *a, **k: ("", False))),
            (QDialog, "exec", dialog_exec),
            (QMenu, "exec", menu_exec),
        ]
        for owner, name, value in patches:
            self._saved.append((owner, name, owner.__dict__.get(name)))
            setattr(owner, name, value)

    def uninstall(self) -> None:
        for owner, name, value in reversed(self._saved):
            if value is None:
                delattr(owner, name)
            else:
                setattr(owner, name, value)
        self._saved.clear()

    @staticmethod
    def _choose(buttons, fallback):
        """Discard when offered (the unsaved-work prompt), else Yes, else Ok."""
        from PySide6.QtWidgets import QMessageBox

        SB = QMessageBox.StandardButton
        if buttons is None or isinstance(buttons, str):
            return fallback
        for choice in (SB.Discard, SB.Yes, SB.Ok):
            if buttons & choice:
                return choice
        return fallback


class Failures(logging.Handler):
    """Collects uncaught exceptions, ERROR log records, bug dialogs and Qt thread warnings."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.items: list[str] = []
        self.qt_warnings: collections.Counter = collections.Counter()
        self._previous = None

    def emit(self, record) -> None:
        self.items.append(
            f"ERROR log from {record.name}: {record.getMessage()}"
            + (("\n" + "".join(traceback.format_exception(*record.exc_info))) if record.exc_info else "")
        )

    def install(self) -> None:
        from PySide6.QtCore import QtMsgType, qInstallMessageHandler

        self._hooks = (sys.excepthook, threading.excepthook)
        sys.excepthook = self._excepthook
        threading.excepthook = lambda args: self.items.append(
            f"uncaught in thread {getattr(args.thread, 'name', '?')}:\n"
            + "".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback))
        )
        logging.getLogger().addHandler(self)

        def qt_message(kind, context, text):
            self.qt_warnings[text.splitlines()[0][:160] if text else ""] += 1
            if kind in (QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg) or (
                kind == QtMsgType.QtWarningMsg and any(w in text for w in THREAD_WARNINGS)
            ):
                self.items.append(f"Qt {kind.name}: {text}")

        self._previous = qInstallMessageHandler(qt_message)

    def uninstall(self) -> None:
        from PySide6.QtCore import qInstallMessageHandler

        sys.excepthook, threading.excepthook = self._hooks
        logging.getLogger().removeHandler(self)
        qInstallMessageHandler(self._previous)

    def _excepthook(self, kind, value, tb) -> None:
        self.items.append("uncaught exception:\n" + "".join(traceback.format_exception(kind, value, tb)))
        self._hooks[0](kind, value, tb)


class Soak:
    """Drives one MainWindow (a new one after each close) with `actions` seeded random actions."""

    def __init__(self, seed: int, actions: int, echo=None, log_size: int = 30, stall_dump_s: float = 0.0):
        self.seed, self.n_actions = seed, actions
        self.stall_dump_s = stall_dump_s  # > 0: every thread's stack to stderr when an action takes longer
        self.rng = random.Random(seed)
        self.echo = echo
        self.recent: collections.deque[str] = collections.deque(maxlen=log_size)
        self.counts: collections.Counter = collections.Counter()  # actions by name
        self.events: collections.Counter = collections.Counter()  # what they did (ticks toggled, jobs)
        self.dialogs = Dialogs()
        self.failures = Failures()
        self.window = None
        self.windows_opened = 0
        self.slowest: list[tuple[float, str]] = []  # the longest actions (GUI thread busy), with their log line
        self.seconds = 0.0
        self.t0 = time.perf_counter()

    # -- the window ------------------------------------------------------------------------------
    def open_window(self) -> None:
        """A new window on the default example with the shipped REST models ticked, as the app starts."""
        from PySide6.QtTest import QTest

        from deemo_gui.core.zoo import zoo_dir
        from deemo_gui.qt.main_window import MainWindow
        from deemo_gui.viewer import Viewer

        win = MainWindow(Viewer())
        win.resize(1400, 900)
        win.show()
        win.activateWindow()
        QTest.qWaitForWindowActive(win, 5000)
        deadline = time.monotonic() + 120
        while not win.torch_is_ready and time.monotonic() < deadline:
            QTest.qWait(20)
        if not win.torch_is_ready:
            raise RuntimeError("the window's warm-up did not finish in 120 s")
        win.open_file(DEFAULT_EXAMPLE)
        for path in sorted(zoo_dir().glob("REST_GM12878_*.safetensors")):
            win.open_model(str(path))
        self.window = win
        self.windows_opened += 1
        self.note("window opened", f"#{self.windows_opened}")

    def close_window(self, wait_ms: int = 0) -> None:
        from PySide6.QtCore import QCoreApplication, QEvent
        from PySide6.QtTest import QTest

        win, self.window = self.window, None
        if win is None:
            return
        win.close()
        QTest.qWait(wait_ms)
        win.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        QTest.qWait(1)

    # -- running ---------------------------------------------------------------------------------
    def note(self, name: str, detail: str = "") -> None:
        line = f"{time.perf_counter() - self.t0:7.1f}s {self.counts.total():5d} {name}{' ' + detail if detail else ''}"
        self.recent.append(line)
        if self.echo is not None:
            self.echo(line)

    def run(self) -> dict:
        """Run every action (stopping at the first failure); the figures as a dict."""
        from PySide6.QtTest import QTest

        self.t0 = time.perf_counter()
        self.dialogs.install()
        self.failures.install()
        try:
            self.open_window()
            for _ in range(self.n_actions):
                if self.window is None:
                    self.open_window()
                action = self.rng.choices(ACTIONS, weights=[w for _, w in ACTIONS])[0][0]
                self.counts[action.__name__] += 1
                t = time.perf_counter()
                if self.stall_dump_s > 0:
                    faulthandler.dump_traceback_later(self.stall_dump_s)
                try:
                    action(self)
                except Exception:  # raised straight through a call the action made (a menu action, a panel)
                    self.failures.items.append(f"exception in {action.__name__}:\n{traceback.format_exc()}")
                finally:
                    if self.stall_dump_s > 0:
                        faulthandler.cancel_dump_traceback_later()
                self.slowest.append((time.perf_counter() - t, self.recent[-1] if self.recent else action.__name__))
                self.slowest = sorted(self.slowest, reverse=True)[:5]
                QTest.qWait(self.rng.choice((0, 1, 5, 10, 20, 50, 100)))
                if self.failures.items:
                    break
            self.note("close at the end")
            self.close_window(wait_ms=50)
        finally:
            self.failures.uninstall()
            self.dialogs.uninstall()
        self.seconds = time.perf_counter() - self.t0
        return self.summary()

    def summary(self) -> dict:
        kinds = collections.Counter(kind for kind, _t, _x in self.dialogs.shown)
        return {
            "seed": self.seed,
            "actions": self.counts.total(),
            "seconds": round(self.seconds, 1),
            "failures": len(self.failures.items),
            "windows": self.windows_opened,
            "counts": dict(sorted(self.counts.items())),
            "events": dict(sorted(self.events.items())),
            "dialogs": dict(kinds),
            "error_dialogs": [t + ": " + x[:120] for k, t, x in self.dialogs.shown if k == "critical"][:20],
            "slowest_actions": [f"{t:.2f} s: {line.strip()}" for t, line in self.slowest],
            "qt_warnings": dict(self.failures.qt_warnings.most_common(10)),
        }

    def report(self) -> str:
        """The failures, the seed and the last actions, for a test failure message."""
        return (
            f"soak seed {self.seed}: {len(self.failures.items)} failure(s) after {self.counts.total()} actions\n"
            + "\n".join(self.failures.items[:5])
            + "\nlast actions:\n"
            + "\n".join(self.recent)
        )

    # -- helpers ---------------------------------------------------------------------------------
    def click(self, widget, pos=None, button=None, modifier=None) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        QTest.mouseClick(
            widget,
            button or Qt.MouseButton.LeftButton,
            modifier or Qt.KeyboardModifier.NoModifier,
            pos if pos is not None else widget.rect().center(),
        )

    def key(self, widget, key, modifier=None) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        QTest.keyClick(widget, key, modifier or Qt.KeyboardModifier.NoModifier)

    def shortcut(self, key, modifier, files=None, target=None) -> None:
        """A menu shortcut typed into the window (activated first, as a user's click would); `files`
        answer the file dialog it opens, which must open."""
        from PySide6.QtTest import QTest
        from PySide6.QtWidgets import QApplication

        if QApplication.activeWindow() is not self.window:
            self.window.activateWindow()
            # Under Xvfb with no window manager activation is asynchronous: a key sent at once goes
            # to no active window and its shortcut never fires (35 missed dialogs before this wait).
            QTest.qWaitForWindowActive(self.window, 1000)
        self.dialogs.next_files = list(files or [])
        shown = len(self.dialogs.shown)
        self.key(target or self.window, key, modifier)
        if files is not None and len(self.dialogs.shown) == shown:
            self.events["shortcut_missed"] += 1
        self.dialogs.next_files = []

    def switch_to(self, title: str):
        """Click the panel's tab (it is built then); the panel, or None when its tab is missing."""
        win = self.window
        bar = win.tabs.tabBar()
        for k in range(win.tabs.count()):
            if win.tabs.tabText(k).lower() == title.lower():
                if win.tabs.currentIndex() != k:
                    self.click(bar, bar.tabRect(k).center())
                return win.panel(title)
        return None

    def action_named(self, text: str):
        from PySide6.QtGui import QAction

        for a in self.window.findChildren(QAction):
            if a.text().replace("&", "").rstrip("…") == text:
                return a
        raise LookupError(f"no menu action {text!r}")

    def picker_rows(self, visible: bool = True):
        """(name, item) of the model rows, only those the user can see when `visible`."""
        picker = self.window.model_picker
        rows = picker._rows()
        if not visible:
            return rows
        return [
            (n, it)
            for n, it in rows
            if not it.isHidden() and (it.parent() is None or (it.parent().isExpanded() and not it.parent().isHidden()))
        ]

    def item_rect(self, item):
        """The item's rect in the viewport after scrolling to it (as a user would), or None if off screen."""
        tree = self.window.model_picker.tree
        tree.scrollToItem(item)
        rect = tree.visualItemRect(item)
        if rect.isEmpty() or not tree.viewport().rect().intersects(rect):
            return None
        return rect

    def check_indicator(self, item):
        """Where the item's check box is drawn, in viewport coordinates (None if not on screen)."""
        from PySide6.QtWidgets import QStyle, QStyleOptionViewItem

        tree = self.window.model_picker.tree
        rect = self.item_rect(item)
        if rect is None:
            return None
        opt = QStyleOptionViewItem()
        opt.initFrom(tree)
        opt.rect = rect
        opt.features = (
            QStyleOptionViewItem.ViewItemFeature.HasCheckIndicator | QStyleOptionViewItem.ViewItemFeature.HasDisplay
        )
        return tree.style().subElementRect(QStyle.SubElement.SE_ItemViewItemCheckIndicator, opt, tree).center()


# -- the actions ---------------------------------------------------------------------------------
# Each takes the Soak, logs what it does (soak.note) and acts through the mouse and keyboard where
# a user would.

MAX_TICKED = 6  # more ticked models make every edit and tick a long job; ticking then unticks one
MAX_FILES = 3  # each open file adds 2,000 records for every ticked model to predict


def tick_model(s: Soak) -> None:
    v = s.window.viewer
    rows = [(n, it) for n, it in s.picker_rows() if v.model(n).error is None]
    if len(v.selected_models) >= MAX_TICKED:
        rows = [(n, it) for n, it in rows if v.model(n).selected]
    if not rows:
        return expand_group(s)
    name, item = s.rng.choice(rows)
    pos = s.check_indicator(item)
    if pos is None:
        return
    before = v.model(name).selected
    s.note("click check box", f"{name} ({'un' if before else ''}tick)")
    s.click(s.window.model_picker.tree.viewport(), pos)
    try:
        after = v.model(name).selected
    except Exception:  # removed meanwhile by a job's side effect
        return
    s.events["ticks_toggled" if after != before else "ticks_missed"] += 1


def tick_burst(s: Soak) -> None:
    """Several check boxes within a second, no waiting (the issue's crash scenario)."""
    for _ in range(s.rng.randint(2, 5)):
        tick_model(s)


def expand_group(s: Soak) -> None:
    picker = s.window.model_picker
    groups = [g for g in picker._groups.values() if not g.isHidden()]
    if not groups:
        return
    group = s.rng.choice(groups)
    rect = s.item_rect(group)
    if rect is None:
        return
    from PySide6.QtCore import QPoint

    s.note("click group arrow", group.text(0))
    s.click(picker.tree.viewport(), QPoint(max(2, rect.left() - picker.tree.indentation() // 2), rect.center().y()))


def highlight_model(s: Soak) -> None:
    rows = s.picker_rows()
    if not rows:
        return
    name, item = s.rng.choice(rows)
    rect = s.item_rect(item)
    if rect is None:
        return
    from PySide6.QtCore import QPoint

    s.note("click model row", name)
    s.click(s.window.model_picker.tree.viewport(), QPoint(rect.left() + rect.width() // 2, rect.center().y()))


def remove_model(s: Soak) -> None:
    highlight_model(s)
    button = s.window.model_picker.remove_button
    if button.isEnabled():
        s.note("click Remove", s.window.model_picker.current_name() or "")
        s.click(button)


def add_model(s: Soak) -> None:
    from PySide6.QtCore import Qt

    from deemo_gui.core.zoo import zoo_dir

    if len(s.window.viewer.selected_models) >= MAX_TICKED:  # an opened model is ticked
        return tick_model(s)
    path = s.rng.choice(sorted(str(p) for p in zoo_dir().glob("*.safetensors")))
    s.note("Ctrl+M open model", os.path.basename(path))
    s.shortcut(Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier, files=[path])


def search_models(s: Soak) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    box = s.window.model_picker.search
    s.click(box)
    if box.text() or s.rng.random() < 0.3:
        s.note("clear model search")
        s.key(box, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        s.key(box, Qt.Key.Key_Backspace)
    else:
        word = s.rng.choice(["rest", "cnn", "rnn", "hepg2", "ctcf", "deepbind", "k562 cnn", "zz"])
        s.note("type model search", word)
        QTest.keyClicks(box, word)


def change_grouping(s: Soak) -> None:
    from PySide6.QtCore import Qt

    combo = s.window.model_picker.group_combo
    s.note("grouping combo", "down" if combo.currentIndex() < combo.count() - 1 else "up")
    combo.setFocus()
    s.key(combo, Qt.Key.Key_Down if combo.currentIndex() < combo.count() - 1 else Qt.Key.Key_Up)


def change_device(s: Soak) -> None:
    from PySide6.QtCore import Qt

    combo = s.window.model_picker.device_combo
    if combo.count() < 2:
        return
    down = combo.currentIndex() < combo.count() - 1
    s.note("device combo", f"{combo.currentText()} -> {combo.itemText(combo.currentIndex() + (1 if down else -1))}")
    combo.setFocus()
    s.key(combo, Qt.Key.Key_Down if down else Qt.Key.Key_Up)


def pick_sequence(s: Soak) -> None:
    from PySide6.QtCore import QPoint, Qt

    view = s.window.sequence_list.view
    rows = view.model().rowCount()
    if not rows:
        return
    if s.rng.random() < 0.3:
        s.note("sequence list PageDown")
        view.setFocus()
        s.key(view, s.rng.choice([Qt.Key.Key_PageDown, Qt.Key.Key_PageUp, Qt.Key.Key_Down, Qt.Key.Key_End]))
        return
    y = s.rng.randrange(max(1, view.viewport().height()))
    row = view.rowAt(y)
    if row < 0:
        return
    s.note("click sequence row", str(row))
    s.click(view.viewport(), QPoint(max(2, view.columnWidth(0) // 2), y))


def edit_bases(s: Soak) -> None:
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    canvas = s.window.editor.canvas
    if not s.window.viewer.current_sequence:
        return
    x = s.rng.randrange(max(1, canvas.width()))
    s.click(canvas, QPoint(x, canvas.height() // 2))
    canvas.setFocus()
    keys = []
    for _ in range(s.rng.randint(1, 6)):
        r = s.rng.random()
        if r < 0.75:
            keys.append(s.rng.choice(BASES))
        elif r < 0.85:
            keys.append("Backspace")
        elif r < 0.9:
            keys.append("Delete")
        elif r < 0.95:
            keys.append("Right")
        else:
            keys.append("X")
    s.note("edit bases", f"x={x} {' '.join(keys)}")
    for k in keys:
        if len(k) == 1:
            QTest.keyClicks(canvas, k)
        else:
            s.key(canvas, getattr(Qt.Key, f"Key_{k}"))


def undo(s: Soak) -> None:
    from PySide6.QtCore import Qt

    s.note("Ctrl+Z")
    s.shortcut(Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier, target=s.window.editor.canvas)


def redo(s: Soak) -> None:
    from PySide6.QtCore import Qt

    s.note("Ctrl+Shift+Z")
    s.shortcut(
        Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
        target=s.window.editor.canvas,
    )


def switch_tab(s: Soak) -> None:
    tabs = s.window.tabs
    k = s.rng.randrange(tabs.count())
    s.note("click tab", tabs.tabText(k))
    s.click(tabs.tabBar(), tabs.tabBar().tabRect(k).center())


def recompute(s: Soak) -> None:
    title = s.rng.choice(["Dashboard", "Saliency", "Temporal"])
    panel = s.switch_to(title)
    button = getattr(panel, "recompute_button", None)
    if button is not None and button.isVisible() and button.isEnabled():
        s.note("click Recompute", title)
        s.click(button)


def run_panel_job(s: Soak) -> None:
    title = s.rng.choice(["Class optimization", "Filters", "Motifs"])
    panel = s.switch_to(title)
    if panel is None:
        return
    if title == "Motifs" and panel.pages.currentIndex() != 0:
        bar = panel.pages.tabBar()
        s.click(bar, bar.tabRect(0).center())
    button = getattr(panel, "run_button", None)
    if button is not None and button.isVisible() and button.isEnabled():
        s.note("click Run", title)
        s.click(button)
        s.events["jobs_started"] += 1


def train(s: Soak) -> None:
    """Train tab: Use open file, 1 epoch, the fastest preset, Start."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    panel = s.switch_to("Train")
    if panel is None or not panel.start_button.isEnabled() or not s.window.viewer.files:
        return
    s.note("train one epoch")
    s.click(panel.use_open_button)
    panel.epochs_spin.setFocus()
    s.key(panel.epochs_spin, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(panel.epochs_spin, "1")
    k = panel.preset_combo.findText("deepbind")
    if k >= 0:
        panel.preset_combo.setCurrentIndex(k)
    s.click(panel.start_button)
    s.events["jobs_started"] += 1


def cancel_job(s: Soak) -> None:
    """The status bar's Cancel, or the current panel's own Cancel button."""
    status = s.window.job_status
    panel = s.window.panel(s.window.tabs.tabText(s.window.tabs.currentIndex()))
    own = getattr(panel, "cancel_button", None)
    if own is not None and own.isVisible() and own.isEnabled():
        s.note("click panel Cancel")
        s.click(own)
    elif status.isVisible() and status.cancel_button.isEnabled():
        s.note("click status-bar Cancel", status.label.text()[:60])
        s.click(status.cancel_button)
    else:
        return
    s.events["jobs_cancelled"] += 1


def open_file(s: Soak) -> None:
    from PySide6.QtCore import Qt

    if len(s.window.viewer.files) >= MAX_FILES:
        return close_file(s)
    path = s.rng.choice(EXAMPLES)
    s.note("Ctrl+O open", os.path.basename(path))
    s.shortcut(Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier, files=[path])


def close_file(s: Soak) -> None:
    s.note("File > Close file")
    s.action_named("Close file").trigger()


def wait(s: Soak) -> None:
    from PySide6.QtTest import QTest

    ms = s.rng.choice((200, 500, 1000, 2000))
    s.note("wait", f"{ms} ms")
    QTest.qWait(ms)


def close_window(s: Soak) -> None:
    """Ctrl+Q with whatever runs; a fresh window takes over on the next action."""
    from PySide6.QtCore import Qt

    running = len(s.window.jobs.running)
    s.note("Ctrl+Q quit", f"{running} job(s) running")
    s.shortcut(Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    if s.window.isVisible():  # the close was refused (a prompt answered otherwise): close for good
        s.window.close()
    s.events["closed_with_jobs" if running else "closed_idle"] += 1
    s.close_window(wait_ms=s.rng.choice((0, 10, 100)))


def quit_during_job(s: Soak) -> None:
    """Start a job, then quit a moment later (its result arrives after the window has gone)."""
    from PySide6.QtTest import QTest

    s.rng.choice((recompute, run_panel_job, train))(s)
    QTest.qWait(s.rng.choice((0, 20, 100, 300)))
    close_window(s)


ACTIONS = [
    (tick_model, 20),
    (tick_burst, 4),
    (expand_group, 3),
    (highlight_model, 3),
    (remove_model, 2),
    (add_model, 2),
    (search_models, 2),
    (change_grouping, 1),
    (change_device, 2),
    (pick_sequence, 8),
    (edit_bases, 14),
    (undo, 6),
    (redo, 4),
    (switch_tab, 10),
    (recompute, 4),
    (run_panel_job, 4),
    (train, 1),
    (cancel_job, 5),
    (open_file, 2),
    (close_file, 1),
    (wait, 3),
    (close_window, 0.3),
    (quit_during_job, 0.3),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--actions", type=int, default=300)
    parser.add_argument(
        "--platform",
        default=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
        help="Qt platform: offscreen (default) or xcb (under xvfb-run -a)",
    )
    parser.add_argument("--quiet", action="store_true", help="do not print each action")
    parser.add_argument(
        "--weight",
        action="append",
        default=[],
        metavar="ACTION=W",
        help="change an action's weight, e.g. quit_during_job=5 (repeatable)",
    )
    parser.add_argument(
        "--stall-dump",
        type=float,
        default=0.0,
        metavar="S",
        help="dump every thread's stack when one action keeps the GUI thread over S seconds",
    )
    args = parser.parse_args(argv)
    os.environ["QT_QPA_PLATFORM"] = args.platform
    home = tempfile.mkdtemp(prefix="deemo-soak-")  # settings and recovery files of this run only
    for name, value in (("DEEMO_GUI_SETTINGS", "settings.ini"), ("DEEMO_DATA_DIR", "user-data")):
        os.environ[name] = os.environ.get(name) or os.path.join(home, value)
    sys.path.insert(0, str(ROOT))
    from PySide6.QtWidgets import QApplication

    for item in args.weight:
        name, _, weight = item.partition("=")
        k = next(k for k, (a, _w) in enumerate(ACTIONS) if a.__name__ == name)
        ACTIONS[k] = (ACTIONS[k][0], float(weight))
    app = QApplication.instance() or QApplication(["deemo-soak"])
    soak = Soak(
        args.seed,
        args.actions,
        echo=None if args.quiet else lambda line: print(line, flush=True),
        stall_dump_s=args.stall_dump,
    )
    summary = soak.run()
    print("SOAK " + json.dumps(summary), flush=True)
    if soak.failures.items:
        print(soak.report(), file=sys.stderr, flush=True)
    app.processEvents()
    return 1 if soak.failures.items else 0


if __name__ == "__main__":
    sys.exit(main())
