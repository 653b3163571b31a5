"""The Qt side owns the windows (`deemo_gui.qt.windows`); the viewer only asks for its own."""

from deemo_gui.viewer import Viewer


def _ready(qtbot, win):
    """`win` shown, once its torch import (a worker it starts) is done; closed after the test."""
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.torch_is_ready, timeout=60_000)
    return win


def test_the_qt_side_owns_the_window_a_viewer_opens(qtbot):
    v = Viewer()
    assert v.window is None
    v.screenshot(size=(1000, 700))  # made hidden, kept for the next call
    win = v.window
    assert win.viewer is v and not win.isVisible() and v.show() is _ready(qtbot, win) and win.isVisible()
    assert all(value is not win for value in vars(v).values())  # the viewer holds no reference to it
    v.close()
    assert v.window is None and not win.isVisible()


def test_a_window_made_directly_is_its_viewers_until_closed(qtbot):
    from deemo_gui.qt.main_window import MainWindow

    v = Viewer()
    win = _ready(qtbot, MainWindow(v))
    assert v.window is win and v.show() is win
    second = _ready(qtbot, MainWindow(v))  # a later window of the same viewer takes its place
    assert v.window is second
    second.close()
    assert v.window is None and win.isVisible()


def test_run_shows_the_viewer_and_runs_the_event_loop(qtbot):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    import deemo_gui

    v, shown = Viewer(), []

    def quit_once_shown():  # no nested event loop here: quitting from one broke later tests' signals
        shown.append(v.window)
        QApplication.instance().quit()

    QTimer.singleShot(0, quit_once_shown)
    assert deemo_gui.run(v) == 0
    assert shown[0] is not None and shown[0].viewer is v
    _ready(qtbot, shown[0])  # its torch import ends, and it is closed after the test
