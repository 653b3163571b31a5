"""Error dialogs: user errors (also wrapped ones, and OS errors) are plain one-liners, bugs say so; a burst
of one message shows one dialog."""

import pytest
from PySide6.QtWidgets import QMessageBox

from deemo_gui.core.errors import DataError, ModelFileError
from deemo_gui.qt import errors
from deemo_gui.viewer import Viewer


def test_user_errors_are_one_line_and_never_called_bugs(qtbot, dialogs):
    def refuse():
        raise DataError("x.fa: no sequences")

    viewer = Viewer()
    viewer.events.models_changed.connect(refuse)
    with pytest.raises(Exception) as wrapped:  # psygnal wraps a callback's error in EmitLoopError
        viewer.events.models_changed.emit()
    assert not isinstance(wrapped.value, DataError)
    assert errors.report_exception(None, wrapped.value, "Opening x.fa") == "x.fa: no sequences"
    assert errors.report_exception(None, ModelFileError("m.safetensors: no such file")) == "m.safetensors: no such file"
    denied = PermissionError(13, "Permission denied", "/data/out.png")
    assert (
        errors.report_exception(None, denied, "Saving the screenshot")
        == "Saving the screenshot: /data/out.png: Permission denied"
    )
    assert [t for t, _ in dialogs] == ["deemo-gui: error"] * 3
    assert all("bug" not in text for _, text in dialogs)
    bug = errors.report_exception(None, ZeroDivisionError("division by zero"), "Predicting")
    assert dialogs[-1][0] == "deemo-gui: bug" and "unexpected error (ZeroDivisionError" in bug and "bug" in bug


def test_a_burst_of_one_message_shows_one_dialog(qtbot, dialogs, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(errors.time, "monotonic", lambda: now[0])
    for _ in range(5):
        errors.report_exception(None, ModelFileError("a.safetensors: no such file"))
    errors.show_error(None, "another message")
    assert [text for _, text in dialogs] == ["a.safetensors: no such file", "another message"]
    now[0] += errors.REPEAT_SECONDS
    assert errors.show_error(None, "a.safetensors: no such file")  # the user tries again later: shown
    assert len(dialogs) == 3

    # While a dialog is open (its own event loop runs), the same message is not stacked on it.
    def critical(parent, title, text, *a, **k):
        dialogs.append(text)
        now[0] += 60
        assert errors.show_error(None, text) is False

    monkeypatch.setattr(QMessageBox, "critical", critical)
    assert errors.show_error(None, "b.fa: not a sequence file")
    assert dialogs[-1] == "b.fa: not a sequence file" and len(dialogs) == 4
