"""The viewer's unsaved work: edits not in a saved session and models never saved, with an event."""

from __future__ import annotations

from pathlib import Path

from deemo_gui.viewer import Viewer

ROOT = Path(__file__).resolve().parents[2]
CTCF, REST = ROOT / "resources" / "examples" / "CTCF_test.fa", ROOT / "resources" / "examples" / "REST_GM12878_test.fa"


def test_edits_are_unsaved_until_a_session_holds_them(tmp_path):
    v = Viewer()
    seen = []
    v.events.unsaved_changed.connect(seen.append)
    v.open(REST)
    assert not v.unsaved.any and v.unsaved.summary() == ""
    v.set_current(3)
    v.edit(0, "NN")
    assert v.unsaved.records == [3] and seen[-1] is True
    assert v.unsaved.summary() == "1 edited sequence is not saved."
    v.undo()  # the file's text again: nothing to lose
    assert not v.unsaved.any and seen[-1] is False
    v.redo()
    v.save_session(tmp_path / "s.deemo.json")
    assert not v.unsaved.any and seen[-1] is False
    v.undo()  # differs from the saved session now
    assert v.unsaved.records == [3]
    v.redo()
    assert not v.unsaved.any
    v.set_current(8)
    v.edit(1, "A" if v.current_sequence[1] != "A" else "C")
    assert v.unsaved.records == [8]
    v2 = Viewer()
    v2.open_session(tmp_path / "s.deemo.json")  # what was just opened is saved
    assert v2.edited_indices == [3] and not v2.unsaved.any


def test_models_never_saved_are_unsaved_work(tmp_path):
    from deemo_gui.core.networks import build_network

    v = Viewer()
    v.open(REST)
    v.set_current(0)
    v.edit(0, "TT")
    entry = v.add_model_object(build_network("cnn-rnn"), name="cnn (unsaved)")
    assert v.unsaved.models == [entry]
    assert v.unsaved.summary() == "1 edited sequence and the model cnn (unsaved) are not saved."
    assert v.unsaved.summary(records=[]) == "the model cnn (unsaved) is not saved."
    v.model_saved(entry, tmp_path / "m.safetensors")
    assert v.unsaved.models == []


def test_closing_a_file_keeps_the_other_files_edits():
    v = Viewer()
    v.open(CTCF)
    v.open(REST)
    v.set_current(1005)
    v.edit(0, "NNN")
    v.set_current(2)
    v.edit(0, "NNN")
    v.close_file(0)
    assert v.edited_indices == [5] and v.sequence(5).startswith("NNN") and v.unsaved.records == [5]
    v.set_current(5)
    assert v.undo() and not v.unsaved.any  # its undo history came along
