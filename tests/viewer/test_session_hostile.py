"""Hostile and broken session files: refused with one DataError line naming the file and the field, and
a session that cannot be restored leaves the viewer exactly as it was. Real data: resources/examples."""

from __future__ import annotations

import copy
import json
import logging
import os
from pathlib import Path

import pytest

from deemo_gui.core.errors import DataError
from deemo_gui.viewer import Viewer

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
CTCF, REST = EXAMPLES / "CTCF_test.fa", EXAMPLES / "REST_GM12878_test.fa"
MISSING = object()


@pytest.fixture
def session(tmp_path) -> tuple[Path, dict]:
    """A real session: two example files, two edits, a current record, a search and a selection."""
    v = Viewer()
    v.open(CTCF)
    v.open(REST)
    v.set_current(1003)
    v.edit(5, "NNNN")
    v.set_current(2)
    v.edit(0, "G" if v.current_sequence[0] != "G" else "C")
    v.search("CACGTG")
    v.select(3, 9)
    path = tmp_path / "work.deemo-session"
    v.save_session(path)
    return path, json.loads(path.read_text())


@pytest.fixture
def viewer() -> Viewer:
    """A viewer in another state than the session's: one file, record 7 current and edited, a search."""
    v = Viewer()
    v.open(REST)
    v.set_current(7)
    v.edit(1, "TT")
    v.search("GGAA")
    return v


def state(v: Viewer) -> tuple:
    return (
        [f.path for f in v.files],
        v.n_sequences,
        v.current_index,
        v.edited_indices,
        [v.sequence(i) for i in v.edited_indices],
        v.search_pattern,
        v.selection,
        [m.name for m in v.models],
        v.task,
        v.can_undo,
    )


def _set(data: dict, where: str, value) -> dict:
    data = copy.deepcopy(data)
    *keys, last = [int(k) if k.isdigit() else k for k in where.split(".")]
    node = data
    for k in keys:
        node = node[k]
    if value is MISSING:
        del node[last]
    else:
        node[last] = value
    return data


def _refused(v: Viewer, path: Path, pattern: str | None) -> str:
    before = state(v)
    with pytest.raises(DataError, match=pattern) as err:
        v.open_session(path)
    assert state(v) == before
    msg = str(err.value)
    assert str(path) in msg and "\n" not in msg
    return msg


@pytest.mark.parametrize(
    "where, value, fragment",
    [
        ("version", "abc", "field 'version' must be a whole number, found a string"),
        ("version", True, "field 'version' must be a whole number, found true/false"),
        ("version", 2, "made by a newer deemo-gui (session version 2); update to open it"),
        ("files", "CTCF_test.fa", "field 'files' must be a list of file entries, found a string"),
        ("files.0", 5, "field 'files[0]' must be a file entry, found a number"),
        ("files.1.path", ["x"], "field 'files[1].path' must be a string, found a list"),
        ("files.0.seed", "x", "field 'files[0].seed' must be a whole number, found a string"),
        ("files.0.seed", -1, "field 'files[0].seed' must be 0 or more, found -1"),
        (
            "models",
            [{"path": "m.safetensors", "selected": "yes"}],
            "field 'models[0].selected' must be true or false, found a string",
        ),
        ("models", ["m.safetensors"], "field 'models[0]' must be a model entry, found a string"),
        ("unsaved_models", "abc", "field 'unsaved_models' must be a list of model names, found a string"),
        ("current", "chr1", "field 'current' must be a sequence reference (file, index, id), found a string"),
        ("current.file", 1.5, "field 'current.file' must be a whole number, found a number"),
        ("edits", {"file": 0}, "field 'edits' must be a list of edits, found an object"),
        ("edits.1", [0, 2], "field 'edits[1]' must be an edit (file, index, id, sequence), found a list"),
        ("edits.0.index", True, "field 'edits[0].index' must be a whole number, found true/false"),
        ("edits.0.id", 7, "field 'edits[0].id' must be a string, found a number"),
        ("edits.0.sequence", 5, "field 'edits[0].sequence' must be a string, found a number"),
        ("edits.1.sequence", MISSING, "field 'edits[1].sequence' is missing"),
        ("edits.1.sequence", "ACGTZ", "field 'edits[1].sequence': invalid character 'Z' at position 5"),
        ("edits.1.sequence", "", "field 'edits[1].sequence': empty sequence"),
        ("search", ["CACGTG"], "field 'search' must be a string, found a list"),
        ("search", "CAXG", "field 'search': search pattern 'CAXG': 'X' is not a nucleotide letter"),
        ("selection", 3, "field 'selection' must be a list of two whole numbers, found a number"),
        ("selection", [1, 2, 3], "field 'selection' must be a list of two whole numbers, found 3"),
        ("selection", ["a", 2], "field 'selection[0]' must be a whole number, found a string"),
        ("task", 3, "field 'task' must be a string, found a number"),
        ("device", {"cuda": 0}, "field 'device' must be a string, found an object"),
    ],
)
def test_wrong_field_types_are_refused_and_change_nothing(tmp_path, session, viewer, where, value, fragment):
    _, good = session
    path = tmp_path / "bad.deemo-session"
    path.write_text(json.dumps(_set(good, where, value)))
    msg = _refused(viewer, path, None)
    assert msg.startswith(f"{path}: ") and fragment in msg


@pytest.mark.parametrize(
    "content, fragment",
    [
        ('{"format": "deemo-session", "x": ' + "[" * 100_000 + "]" * 100_000 + "}", "JSON nested too deeply"),
        ('{"format": "deemo-session", "version": ' + "1" * 5000 + "}", "not JSON: Exceeds the limit"),
        ('{"format": "deemo-session", "files": [', "not JSON: Expecting value"),
        ("[1, 2]", "no 'format': 'deemo-session'"),
        ("\ufeff" + '{"format": "deemo-session", "version": "1"}', "field 'version' must be a whole number"),
    ],
)
def test_not_a_session(tmp_path, viewer, content, fragment):
    path = tmp_path / "s.json"
    path.write_text(content, encoding="utf-8")
    assert fragment in _refused(viewer, path, "not a deemo session|field")


def test_pipes_folders_and_binary_files_are_refused(tmp_path, viewer, session):
    os.mkfifo(tmp_path / "pipe.json")  # opening it would block forever
    _refused(viewer, tmp_path / "pipe.json", "pipe.json: not a regular file")
    _refused(viewer, tmp_path, "is a folder, not a session file")
    _refused(viewer, tmp_path / "gone.json", "gone.json: no such file")
    (tmp_path / "bin.json").write_bytes(session[0].read_bytes()[:100] + b"\x00\xff")
    _refused(viewer, tmp_path / "bin.json", "binary file")


def test_a_missing_file_changes_nothing(tmp_path, session, viewer):
    _, good = session
    path = tmp_path / "gone.deemo-session"
    path.write_text(json.dumps(_set(_set(good, "files.1.path", str(tmp_path / "gone.fa")), "files.1.relative", None)))
    _refused(viewer, path, "gone.fa: no such file")


def test_a_good_session_still_loads(session, viewer):
    path, good = session
    viewer.open_session(path)
    assert viewer.n_sequences == 2000 and viewer.current_index == 2 and viewer.selection == (3, 9)
    assert viewer.search_pattern == "CACGTG" and viewer.edited_indices == [2, 1003]
    assert viewer.sequence(1003)[5:9] == "NNNN"


def _fasta(path: Path, records: list[tuple[str, str]]) -> Path:
    path.write_text("".join(f">{rid}\n{seq}\n" for rid, seq in records))
    return path


def test_duplicate_ids_never_land_an_edit_on_the_wrong_record(tmp_path, caplog):
    from deemo_gui.core.sequences import read_sequences

    real = read_sequences(CTCF)
    records = list(zip(real.ids[:20], real.seqs[:20]))
    records[10] = records[3]  # the same record twice: ids 3 and 10 are equal
    fa = _fasta(tmp_path / "dup.fa", records)
    v = Viewer()
    v.open(fa)
    v.set_current(10)
    v.edit(0, "NNN")  # the second copy
    v.set_current(15)
    v.edit(0, "NNN")  # a record with a unique id, left current
    session = tmp_path / "dup.deemo-session"
    v.save_session(session)

    w = Viewer()
    w.open_session(session)  # (file, index, id) all match: the same records
    assert w.edited_indices == [10, 15] and w.current_index == 15

    _fasta(fa, records[1:])  # the file lost its first record: every index is off by one
    caplog.set_level(logging.WARNING, logger="deemo_gui.viewer.session")
    w = Viewer()
    w.open_session(session)
    # the duplicated id is skipped, not landed on its first copy (index 2); the unique id is found at 14
    assert w.edited_indices == [14] and w.sequence(14).startswith("NNN") and w.current_index == 14
    warning = next(r.getMessage() for r in caplog.records if "edits[0]" in r.getMessage())
    assert f"sequence {records[3][0]!r} appears 2 times in the open files; skipped" in warning


def test_save_session_is_atomic(tmp_path, session, viewer, monkeypatch):
    path, _ = session
    before = path.read_bytes()
    with monkeypatch.context() as m:
        m.setattr(os, "replace", lambda *a: (_ for _ in ()).throw(OSError(28, "No space left on device")))
        with pytest.raises(DataError, match=r"cannot write.*\(No space left on device\)"):
            viewer.save_session(path)
    assert path.read_bytes() == before and os.listdir(path.parent) == [path.name]
    viewer.save_session(path)
    assert os.listdir(path.parent) == [path.name] and json.loads(path.read_text())["files"][0]["path"] == str(REST)
