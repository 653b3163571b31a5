"""Qt test helpers shared by the window tests."""

import pytest


@pytest.fixture
def open_window(qtbot):
    """`open_window(viewer=None)`: the main window, 1400 x 900, shown and with torch loaded; closed
    after the test."""
    from deemo_gui.qt.main_window import MainWindow
    from deemo_gui.viewer import Viewer

    opened = []

    def make(viewer=None):
        win = MainWindow(viewer if viewer is not None else Viewer())
        qtbot.addWidget(win)
        win.resize(1400, 900)
        win.show()
        qtbot.waitUntil(lambda: win.torch_is_ready, timeout=60_000)
        opened.append(win)
        return win

    yield make
    for win in opened:
        win.close()


@pytest.fixture(autouse=True)
def fresh_error_dialogs():
    """Each test starts with no error message counted as recently shown (see `errors.show_error`)."""
    from deemo_gui.qt import errors

    errors._shown_at.clear()


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    """Each window test reads and writes its own settings file (recent files, last folder, layout)."""
    monkeypatch.setenv("DEEMO_GUI_SETTINGS", str(tmp_path / "settings.ini"))
    monkeypatch.setenv("DEEMO_DATA_DIR", str(tmp_path / "user-data"))  # recovery files


@pytest.fixture(autouse=True)
def discard_unsaved_work(monkeypatch):
    """Save / Discard / Cancel prompts (unsaved work, crash recovery) answer Discard instead of blocking;
    a test answers otherwise by patching `QMessageBox.exec` itself (see tests/qt/test_unsaved_work.py)."""
    from PySide6.QtWidgets import QMessageBox

    def discard(box):
        button = box.button(QMessageBox.StandardButton.Discard)
        if button is None:
            raise AssertionError(f"an unexpected modal message box: {box.text()!r}")
        button.click()
        return 0

    monkeypatch.setattr(QMessageBox, "exec", discard)


@pytest.fixture
def dialogs(monkeypatch):
    """Error dialogs recorded as (title, text) instead of shown (they would block the test)."""
    from PySide6.QtWidgets import QMessageBox

    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text, *a, **k: shown.append((title, text)))
    return shown
