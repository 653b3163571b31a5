"""Work is never lost: quitting, closing a file and opening a session with unsaved edits or unsaved trained
models ask Save / Discard / Cancel; edits are autosaved and a crash's recovery file is offered back at the
next start; a session that fails to load changes nothing. QMessageBox.exec is patched to answer."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from deemo_gui.qt import errors
from deemo_gui.viewer import Viewer, recovery

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "resources" / "examples"
CTCF, REST = EXAMPLES / "CTCF_test.fa", EXAMPLES / "REST_GM12878_test.fa"
Button = QMessageBox.StandardButton


@pytest.fixture
def answer(monkeypatch):
    """`answer("Save")` (or Discard, Cancel, Restore): how the next message boxes are answered; returns
    the list of boxes asked, as (title, text, informative text, a rendering of the box)."""
    asked, choice = [], ["Cancel"]

    def exec_(box):
        box.show()
        QApplication.processEvents()
        asked.append((box.windowTitle(), box.text(), box.informativeText(), box.grab().toImage()))
        button = next(b for b in box.buttons() if b.text().replace("&", "") == choice[0])
        button.click()
        return 0

    monkeypatch.setattr(QMessageBox, "exec", exec_)

    def set_choice(name: str) -> list:
        choice[0] = name
        return asked

    return set_choice


@pytest.fixture
def save_as(monkeypatch):
    """`save_as(path, ...)`: the paths the next Save dialogs return ('' = the dialog was cancelled)."""
    paths: list[str] = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (paths.pop(0), ""))
    return lambda *p: paths.extend(map(str, p))


def _edited_viewer() -> Viewer:
    v = Viewer()
    v.open(CTCF)
    v.open(REST)
    v.set_current(1003)
    v.edit(5, "NNNN")
    return v


def _trained_model(v: Viewer):
    from deemo_gui.core.networks import build_network

    return v.add_model_object(build_network("cnn-rnn"), name="cnn (unsaved)", select=False)


def test_quit_asks_cancel_keeps_everything_and_discard_quits(qtbot, open_window, answer):
    win = open_window(_edited_viewer())
    assert win.isWindowModified() and "[*]" in win.windowTitle()  # a "*" in the title bar
    asked = answer("Cancel")
    win.close()
    assert win.isVisible() and win.viewer.sequence(1003)[5:9] == "NNNN"
    title, text, more, image = asked[-1]
    assert text == "1 edited sequence is not saved. Save before you quit?"
    assert "a session with the edits" in more and image.width() > 200
    answer("Discard")
    win.close()
    assert not win.isVisible() and not win.recovery.autosave.path.exists()


def test_save_on_quit_saves_the_trained_model_and_a_session(qtbot, open_window, answer, save_as, tmp_path):
    v = _edited_viewer()
    entry = _trained_model(v)
    win = open_window(v)
    asked = answer("Save")
    save_as(tmp_path / "trained.safetensors", tmp_path / "work.deemo.json")
    win.close()
    assert not win.isVisible()
    assert asked[-1][1] == "1 edited sequence and the model cnn (unsaved) are not saved. Save before you quit?"
    assert entry.path == str(tmp_path / "trained.safetensors") and os.path.getsize(entry.path) > 0
    session = json.loads((tmp_path / "work.deemo.json").read_text())
    assert session["edits"][0]["sequence"][5:9] == "NNNN" and session["unsaved_models"] == []
    assert entry.path in [m["path"] for m in session["models"]]


def test_a_save_dialog_cancelled_cancels_the_quit(qtbot, open_window, answer, save_as):
    win = open_window(_edited_viewer())
    answer("Save")
    save_as("")
    win.close()
    assert win.isVisible() and win.viewer.unsaved.records == [1003]
    answer("Discard")


def test_closing_a_file_asks_only_for_its_own_edits(qtbot, open_window, answer):
    win = open_window(_edited_viewer())
    v = win.viewer
    asked = answer("Cancel")
    v.set_current(0)  # CTCF_test.fa: no edits there, closed without a question
    assert win.close_file() and [f.name for f in v.files] == [REST.name] and asked == []
    v.set_current(3)  # REST record 1003 is 3 now
    assert v.unsaved.records == [3]
    assert not win.close_file() and v.n_sequences == 1000
    assert asked[-1][1] == f"1 edited sequence is not saved. Save before you close {REST.name}?"
    answer("Discard")
    assert win.close_file() and v.n_sequences == 0 and not v.unsaved.any and not win.isWindowModified()


def test_opening_a_session_asks_before_dropping_a_trained_model(qtbot, open_window, answer, tmp_path):
    other = Viewer()
    other.open(CTCF)
    other.save_session(tmp_path / "other.deemo.json")
    v = Viewer()
    v.open(REST)
    entry = _trained_model(v)
    win = open_window(v)
    asked = answer("Cancel")
    assert not win.open_session(str(tmp_path / "other.deemo.json"))
    assert entry in v.models and [f.name for f in v.files] == [REST.name]
    assert asked[-1][1] == "the model cnn (unsaved) is not saved. Save before you open other.deemo.json?"
    assert "each model to a model file" in asked[-1][2]
    answer("Discard")
    assert win.open_session(str(tmp_path / "other.deemo.json"))
    assert entry not in v.models and [f.name for f in v.files] == [CTCF.name]


def _broken(tmp_path: Path, good: dict, kind: str) -> Path:
    data = json.loads(json.dumps(good))
    if kind == "bad JSON":
        (tmp_path / "bad.json").write_text(json.dumps(good)[:-40])
        return tmp_path / "bad.json"
    if kind == "missing sequence file":
        data["files"][0]["path"] = data["files"][0]["relative"] = str(tmp_path / "gone.fa")
    elif kind == "missing model file":
        data["models"][0]["path"] = data["models"][0]["relative"] = str(tmp_path / "gone.safetensors")
    elif kind == "bad model":
        (tmp_path / "bad.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not a header}  ")
        data["models"][0]["path"] = data["models"][0]["relative"] = str(tmp_path / "bad.safetensors")
    path = tmp_path / "broken.deemo.json"
    path.write_text(json.dumps(data))
    return path


def test_a_session_that_fails_to_load_changes_nothing(qtbot, open_window, dialogs, tmp_path, rest_model):
    source = Viewer()
    source.open(CTCF)
    source.add_model(rest_model)
    source.save_session(tmp_path / "good.deemo.json")
    good = json.loads((tmp_path / "good.deemo.json").read_text())
    v = _edited_viewer()
    entry = _trained_model(v)
    win = open_window(v)

    def state():
        return (
            [f.path for f in v.files],
            v.current_index,
            v.edited_indices,
            v.sequence(1003),
            [m.name for m in v.models],
            [m.selected for m in v.models],
            v.unsaved.records,
        )

    before = state()
    for kind in ("bad JSON", "missing sequence file", "missing model file", "bad model"):
        path = _broken(tmp_path, good, kind)
        assert not win.open_session(str(path)), kind  # Discard answers the prompt; the load then fails
        assert state() == before and entry in v.models, kind
        assert str(path) in dialogs[-1][1], (kind, dialogs[-1])
        dialogs.clear()
        errors._shown_at.clear()  # the same message is not shown twice in a row otherwise


CRASH = textwrap.dedent("""
    import os, signal, sys
    sys.path.insert(0, {root!r})
    from deemo_gui.viewer import Viewer
    from deemo_gui.viewer.recovery import Autosave
    v = Viewer()
    v.open({rest!r})
    v.set_current(7); v.edit(10, "GATTACA")
    Autosave().save(v).result()
    os.kill(os.getpid(), signal.SIGKILL)
""")


def test_edits_are_autosaved_and_offered_back_after_a_crash(qtbot, open_window, answer, tmp_path):
    # 1. a window autosaves an edit within a second; its own file is never offered to itself
    win = open_window(_edited_viewer())
    own = win.recovery.autosave.path
    qtbot.waitUntil(own.exists, timeout=5000)
    assert json.loads(own.read_text())["edits"][0]["sequence"][5:9] == "NNNN" and recovery.orphans() == []
    # 2. a process that edits and is SIGKILLed leaves its recovery file
    r = subprocess.run(
        [sys.executable, "-c", CRASH.format(root=str(ROOT), rest=str(REST))],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
    )
    assert r.returncode == -signal.SIGKILL, r.stderr[-2000:]
    (orphan,) = recovery.orphans()
    kept = tmp_path / "kept.json"
    shutil.copy(orphan.path, kept)
    # 3. the next window offers it: Cancel keeps it for later, Restore brings the edits back
    asked = answer("Cancel")
    win2 = open_window(Viewer())
    qtbot.waitUntil(lambda: len(asked) == 1, timeout=10_000)
    title, text, more, image = asked[0]
    assert text == f"Restore unsaved edits from {orphan.when}?"
    assert f"1 edited sequence of {REST.name}" in more and image.height() > 80
    assert orphan.path.exists()
    answer("Restore")
    assert win2.recovery.offer()
    v2 = win2.viewer
    assert [f.name for f in v2.files] == [REST.name] and v2.sequence(7)[10:17] == "GATTACA"
    assert v2.unsaved.records == [7] and not orphan.path.exists()
    assert json.loads(win2.recovery.autosave.path.read_text())["edits"][0]["sequence"][10:17] == "GATTACA"
    # 4. Discard deletes a recovery file; a clean quit deletes the window's own
    shutil.copy(kept, orphan.path)
    answer("Discard")
    assert not win2.recovery.offer() and not orphan.path.exists()
    for w in (win, win2):
        w.close()
    assert not own.exists() and not win2.recovery.autosave.path.exists()


def test_viewer_close_keeps_its_window_when_the_user_cancels(qtbot, open_window, answer):
    v = _edited_viewer()
    win = open_window(v)
    answer("Cancel")
    v.close()
    assert v.window is win and win.isVisible()
    answer("Discard")
    v.close()
    assert v.window is None and not win.isVisible()
