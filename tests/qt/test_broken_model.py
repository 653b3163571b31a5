"""A listed model whose file breaks after it was listed: one notice, marked in the picker, left out of
predictions; the other model and the user's edits keep working; the model can be re-added once fixed."""

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

ROOT = Path(__file__).resolve().parents[2]
REST = "deepbind_encode/REST_GM12878_B.seq.gz"
GOOD, BAD = "REST_GM12878_deepbind", "CTCF_deepbind"


@pytest.fixture
def zoo(tmp_path, monkeypatch):
    """A model folder with two shipped models, listed lazily by the window at start."""
    folder = tmp_path / "zoo"
    folder.mkdir()
    for name in (GOOD, BAD):
        shutil.copy(ROOT / "models" / f"{name}.safetensors", folder)
    monkeypatch.setenv("DEEMO_MODELS", str(folder))
    return folder


def _item(picker, name):
    return picker.item_of(name)


def _idle(qtbot, win):
    qtbot.wait(150)  # debounce timers
    qtbot.waitUntil(lambda: not win.jobs.running and not win.live._busy, timeout=30_000)
    qtbot.wait(150)


@pytest.mark.parametrize("damage", ["delete", "truncate"])
def test_a_broken_listed_model_is_reported_once_and_left_out(qtbot, open_window, zoo, data_dir, dialogs, damage):
    win = open_window()
    v = win.viewer
    assert [m.name for m in v.models] == [BAD, GOOD] and not any(m.loaded for m in v.models)
    bad_file = zoo / f"{BAD}.safetensors"
    if damage == "delete":
        bad_file.unlink()
    else:
        bad_file.write_bytes(bad_file.read_bytes()[:5000])
    assert win.open_file(str(data_dir / REST))
    v.set_current(3)
    picker = win.model_picker
    _item(picker, GOOD).setCheckState(0, Qt.CheckState.Checked)
    _item(picker, BAD).setCheckState(0, Qt.CheckState.Checked)
    _idle(qtbot, win)
    # Several user actions that re-predict: edit, another sequence, untick/tick, switch tabs, undo.
    v.edit(10, "A")
    _idle(qtbot, win)
    v.set_current(7)
    _idle(qtbot, win)
    _item(picker, GOOD).setCheckState(0, Qt.CheckState.Unchecked)
    _idle(qtbot, win)
    _item(picker, GOOD).setCheckState(0, Qt.CheckState.Checked)
    _item(picker, BAD).setCheckState(0, Qt.CheckState.Checked)  # a broken model cannot be ticked again
    for k in range(win.tabs.count()):
        win.tabs.setCurrentIndex(k)
        _idle(qtbot, win)
    v.edit(20, "G")
    v.undo()
    _idle(qtbot, win)

    assert len(dialogs) == 1, dialogs
    title, text = dialogs[0]
    assert BAD in text and str(bad_file) in text and "Open model" in text and "bug" not in title + text
    bad, good = v.model(BAD), v.model(GOOD)
    assert bad.error and not bad.selected and v.selected_models == [good]
    assert BAD not in v.predictions and v.predictions_sequence == v.current_sequence and GOOD in v.predictions
    assert GOOD in v.list_predictions and BAD not in v.list_predictions
    item = _item(picker, BAD)
    assert not item.flags() & Qt.ItemFlag.ItemIsUserCheckable and bad.error in item.toolTip(0)
    assert "broken" in item.text(0)
    picker.tree.setCurrentItem(item)
    assert "could not be loaded" in picker.details.toPlainText() and not picker.save_button.isEnabled()

    # The file is restored: opening it again brings the model back (the same entry, loaded and ticked).
    shutil.copy(ROOT / "models" / f"{BAD}.safetensors", bad_file)
    assert win.open_model(str(bad_file))
    assert bad.error is None and bad.selected and bad.loaded and len(v.models) == 2
    _idle(qtbot, win)
    assert BAD in v.predictions and len(dialogs) == 1
    assert _item(picker, BAD).flags() & Qt.ItemFlag.ItemIsUserCheckable
