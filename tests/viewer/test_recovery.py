"""Crash recovery: unsaved edits autosaved to a recovery file, which a real crash (SIGKILL) leaves behind
and a new viewer restores; a clean close or a Discard removes it. Real data: resources/examples."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from deemo_gui.viewer import Viewer, recovery

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "resources" / "examples"
CTCF, REST = EXAMPLES / "CTCF_test.fa", EXAMPLES / "REST_GM12878_test.fa"


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("DEEMO_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def _edited() -> Viewer:
    v = Viewer()
    v.open(CTCF)
    v.open(REST)
    v.set_current(1003)
    v.edit(5, "NNNN")
    v.set_current(2)
    v.edit(0, "G" if v.current_sequence[0] != "G" else "C")
    return v


def test_autosave_writes_only_unsaved_work_and_a_clean_close_removes_it(data_dir):
    v = Viewer()
    v.open(REST)
    auto = recovery.Autosave()
    assert auto.path.parent == data_dir / "recovery"
    auto.save(v).result()
    assert not auto.path.exists()  # nothing unsaved: no file
    v.set_current(4)
    v.edit(0, "TTT")
    auto.save(v).result()
    data = json.loads(auto.path.read_text())
    assert data["recovery"]["records"] == 1 and data["edits"][0]["sequence"].startswith("TTT")
    assert [p.name for p in auto.path.parent.iterdir()] == [auto.path.name]  # no temporary file left
    v.undo()  # back to the file's text: nothing unsaved
    auto.save(v).result()
    assert not auto.path.exists()
    v.edit(0, "A")
    auto.save(v).result()
    assert auto.path.exists()
    auto.close()
    assert not auto.path.exists() and auto.save(v) is None


def test_this_process_files_are_never_offered(data_dir):
    auto = recovery.Autosave()
    auto.save(_edited()).result()
    assert auto.path.exists() and recovery.orphans() == []
    auto.close()


CRASH = textwrap.dedent("""
    import os, signal, sys
    sys.path.insert(0, {root!r})
    from deemo_gui.viewer import Viewer
    from deemo_gui.viewer.recovery import Autosave
    v = Viewer()
    v.open({ctcf!r}); v.open({rest!r})
    v.set_current(1003); v.edit(5, "NNNN")
    v.set_current(2); v.edit(0, "GGGGG")
    if {with_model!r}:
        from deemo_gui.core.modelfile import weights_digest
        from deemo_gui.core.networks import build_network
        net = build_network("cnn-rnn")
        v.add_model_object(net, name="cnn (unsaved)")
        print(weights_digest({{k: t.detach().cpu().contiguous() for k, t in net.state_dict().items()}}), flush=True)
    Autosave().save(v).result()
    os.kill(os.getpid(), signal.SIGKILL)
""")


def _crash(data_dir, with_model: bool = False) -> str:
    """A real process that edits (and trains a model), autosaves and is SIGKILLed; what it printed."""
    code = CRASH.format(root=str(ROOT), ctcf=str(CTCF), rest=str(REST), with_model=with_model)
    r = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "DEEMO_DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == -signal.SIGKILL, r.stderr[-2000:]
    return r.stdout.strip()


def test_a_crash_leaves_a_recovery_file_that_a_new_viewer_restores(data_dir):
    _crash(data_dir)
    (found,) = recovery.orphans()
    assert found.records == 2 and found.files == (CTCF.name, REST.name) and found.models == ()
    assert abs(time.time() - found.saved.timestamp()) < 120 and len(found.when) == 16
    v = Viewer()
    v.open(REST)  # what the new start shows: replaced by the recovered files
    recovery.restore(v, found)
    assert [f.path for f in v.files] == [str(CTCF), str(REST)]
    assert v.edited_indices == [2, 1003] and v.sequence(1003)[5:9] == "NNNN" and v.sequence(2)[:5] == "GGGGG"
    assert v.current_index == 2 and v.unsaved.records == [2, 1003]  # unsaved work again: save it
    assert found.path.exists()  # kept until discarded (the window saves its own copy first)
    recovery.discard(found)
    assert recovery.orphans() == [] and not found.path.exists()


def test_a_trained_model_never_saved_comes_back_unsaved(data_dir):
    digest = _crash(data_dir, with_model=True)
    (found,) = recovery.orphans()
    assert found.models == ("cnn (unsaved)",)
    v = Viewer()
    recovery.restore(v, found)
    (entry,) = v.unsaved.models
    assert entry.name == "cnn (unsaved)" and entry.path is None and entry.selected
    assert entry.metadata["weights_sha256"] == digest  # the very weights the crashed process trained
    recovery.discard(found)
    assert list((data_dir / "recovery").iterdir()) == []  # its models folder too


def test_a_crash_mid_write_leaves_no_temporary_file_behind(data_dir):
    folder = data_dir / "recovery"
    folder.mkdir(parents=True)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    ).stdout.strip()
    tmp = folder / f".recovery-{dead}-1.deemo.json.x8k2.tmp"
    tmp.write_text('{"format": "deemo-se')  # a write the crash cut off
    bad = folder / f"recovery-{dead}-2.deemo.json"
    bad.write_text("{}")  # not a session: skipped, kept
    assert recovery.orphans() == [] and not tmp.exists() and bad.exists()


def test_a_failed_restore_changes_nothing(data_dir, tmp_path):
    _crash(data_dir)
    (found,) = recovery.orphans()
    data = json.loads(found.path.read_text())
    data["files"][1]["path"] = data["files"][1]["relative"] = str(tmp_path / "moved.fa")
    found.path.write_text(json.dumps(data))
    v = Viewer()
    v.open(REST)
    v.edit(0, "C")
    with pytest.raises(Exception, match="moved.fa"):
        recovery.restore(v, found)
    assert [f.path for f in v.files] == [str(REST)] and v.unsaved.records == [0] and found.path.exists()


def test_the_snapshot_costs_the_gui_thread_well_under_50_ms():
    v = Viewer()
    v.open(CTCF)
    v.open(REST)
    for i in range(0, 2000, 2):  # 1,000 edited records
        v.set_edited(i, "ACGT" * 25 + "A")
    auto = recovery.Autosave()
    auto.save(v).result()  # warm
    t0 = time.perf_counter()
    future = auto.save(v)
    spent = time.perf_counter() - t0
    future.result()
    assert spent < 0.05, f"{spent * 1000:.1f} ms"
    assert json.loads(auto.path.read_text())["recovery"]["records"] == 1000
    auto.close()


def test_a_trained_model_is_written_once_and_a_clean_close_removes_it(data_dir):
    from deemo_gui.core.networks import build_network

    v = Viewer()
    v.open(REST)
    entry = v.add_model_object(build_network("cnn-rnn"), name="cnn (unsaved)")
    auto = recovery.Autosave()
    auto.save(v).result()
    (weights,) = (data_dir / "recovery").glob("*.models/*.safetensors")
    stamp = weights.stat().st_mtime_ns
    v.set_current(1)
    v.edit(0, "TT")
    auto.save(v).result()
    assert weights.stat().st_mtime_ns == stamp  # the weights do not change: written once
    assert json.loads(auto.path.read_text())["recovery"]["models"] == [
        {"name": "cnn (unsaved)", "file": weights.name, "selected": True}
    ]
    v.model_saved(entry, data_dir / "kept.safetensors")
    v.undo()  # nothing unsaved: file and models folder go
    auto.save(v).result()
    assert list((data_dir / "recovery").iterdir()) == []
    auto.close()
