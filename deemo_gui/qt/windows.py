"""Which window shows which viewer: the Qt side owns the windows, the viewer holds none.

A `MainWindow` registers itself for its viewer when made and leaves when it closes. The windows
opened for a viewer here (`Viewer.show()`, `Viewer.screenshot()`, `deemo_gui.run()`) are kept alive
until they close; a window made directly (`MainWindow(viewer)`) lives as long as its maker keeps it.
`Viewer.window` asks `window_of`.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deemo_gui.qt.main_window import MainWindow
    from deemo_gui.viewer import Viewer

_SHOWING: weakref.WeakValueDictionary[int, MainWindow] = weakref.WeakValueDictionary()  # id(viewer) -> window
_OPENED: set[MainWindow] = set()  # opened by `open_window`: kept until closed


def register(window: MainWindow) -> None:
    """`window` shows its viewer now (a later window of the same viewer takes its place)."""
    _SHOWING[id(window.viewer)] = window


def forget(window: MainWindow) -> None:
    """`window` closed: it shows its viewer no more."""
    if _SHOWING.get(id(window.viewer)) is window:
        del _SHOWING[id(window.viewer)]
    _OPENED.discard(window)


def window_of(viewer: Viewer) -> MainWindow | None:
    """The open window showing `viewer`, or None."""
    window = _SHOWING.get(id(viewer))
    return window if window is not None and window.viewer is viewer else None


def open_window(viewer: Viewer) -> MainWindow:
    """`viewer`'s window, made (hidden) if it has none; kept until it closes."""
    window = window_of(viewer)
    if window is None:
        from deemo_gui.qt.app import get_app
        from deemo_gui.qt.main_window import MainWindow

        get_app()
        window = MainWindow(viewer)
        _OPENED.add(window)
    return window
