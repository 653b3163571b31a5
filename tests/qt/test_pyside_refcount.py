"""Guards against a PySide6 build that leaks references to None (6.12.0 on Python 3.11 drops one per
void Qt call, and a long session then aborts with 'none_dealloc')."""

import sys


def test_void_qt_calls_keep_none_refcount(qtbot):
    from PySide6.QtWidgets import QLabel

    label = QLabel("x")
    qtbot.addWidget(label)
    before = sys.getrefcount(None)
    for _ in range(2000):
        label.setText("x")
        label.setMinimumWidth(10)
    assert sys.getrefcount(None) - before > -100
