"""The main window with pytest-qt: open, pick, edit and see the score change; errors; big lists; CLI."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QGuiApplication

from deemo_gui.core.sequences import SequenceSet
from deemo_gui.viewer import Viewer

ROOT = Path(__file__).resolve().parents[2]
REST = "deepbind_encode/REST_GM12878_B.seq.gz"
REST_CORE = "CAGCACCNNGGACAG"


@pytest.fixture
def window(open_window, dialogs):
    return open_window()


def _wait_prediction(qtbot, viewer, timeout=20_000):
    qtbot.waitUntil(
        lambda: bool(viewer.predictions) and viewer.predictions_sequence == viewer.current_sequence, timeout=timeout
    )


def test_open_pick_edit_and_the_score_changes(qtbot, window, data_dir, rest_model, dialogs):
    v = window.viewer
    assert window.open_file(str(data_dir / REST)) is True
    assert v.n_sequences == 1000 and "REST_GM12878_B" in window.windowTitle()
    assert window.open_model(rest_model)
    # Pick, in the list, the bound peak with one REST core motif whose loss lowers P(bound) most
    # (computed here without the GUI; the GUI must then show the same numbers).
    from deemo_gui.viewer.search import search

    entry = v.model("rest_deepbind")
    target, best_drop = None, 0.0
    for i in range(60):
        seq = v.sequence(i)
        hits = search(seq, REST_CORE)
        if len(hits) != 1 or v.label(i)[0] != 1:
            continue
        h = hits[0]
        mutated = seq[: h.start] + "A" * (h.end - h.start) + seq[h.end :]
        p = Viewer.compute_predictions(seq, [entry])[entry.name][0]
        q = Viewer.compute_predictions(mutated, [entry])[entry.name][0]
        if p - q > best_drop:
            target, best_drop = i, p - q
    assert target is not None
    view, proxy, model = window.sequence_list.view, window.sequence_list.proxy, window.sequence_list.model
    index = proxy.mapFromSource(model.index(model.row_of(target), 0))
    view.setCurrentIndex(index)
    assert v.current_index == target
    _wait_prediction(qtbot, v)
    before = v.predictions["rest_deepbind"][0]
    assert "P(bound)" in window.editor.scores.text()

    # Search the motif in the editor and type over it on the canvas.
    qtbot.keyClicks(window.editor.search_edit, REST_CORE)
    hit = v.search_hits[0]
    assert window.editor.hits_label.text().startswith("1 hit")
    canvas = window.editor.canvas
    canvas.setFocus()
    canvas.caret = hit.start
    qtbot.keyClicks(canvas, "A" * (hit.end - hit.start))
    assert v.current_sequence[hit.start : hit.end] == "A" * (hit.end - hit.start)
    _wait_prediction(qtbot, v)
    after = v.predictions["rest_deepbind"][0]
    assert after < before - 0.05 and before - after == pytest.approx(best_drop, abs=1e-4), (before, after)
    qtbot.waitUntil(lambda: "before edits" in window.editor.scores.text(), timeout=5000)
    assert f"{before:.3f}" in window.editor.scores.text()
    # The list shows the edited record's new score ("…" while its worker runs), in italics-marked edited rows.
    qtbot.waitUntil(lambda: model.data(model.index(model.row_of(target), 4)) == f"{after:.3f}", timeout=10_000)
    assert "edited" in window.editor.info.text()

    # Invalid letters are refused with a status-bar message; nothing changes.
    seq = v.current_sequence
    qtbot.keyClicks(canvas, "X")
    assert v.current_sequence == seq and "not a nucleotide" in window.statusBar().currentMessage()
    # Undo restores the motif and the score.
    window.undo_action.trigger()
    assert v.current_sequence[hit.start : hit.end] != "A" * (hit.end - hit.start)
    for _ in range(hit.end - hit.start - 1):
        v.undo()
    assert v.current_sequence == v.original_sequence(target)
    _wait_prediction(qtbot, v)
    assert v.predictions["rest_deepbind"][0] == pytest.approx(before, abs=1e-5)
    # Copy as FASTA, paste bases, reverse complement through the window's actions.
    v.select(0, 10)
    window.editor.canvas.copy_fasta()
    assert QGuiApplication.clipboard().text().splitlines() == [f">{v.current_id}:1-10", v.current_sequence[:10]]
    QGuiApplication.clipboard().setText(">x\nGG GG\n")
    canvas.caret = 0
    v.clear_selection()
    assert canvas.paste() and v.current_sequence.startswith("GGGG")
    QGuiApplication.clipboard().setText("ELVIS")  # E, L, I are not nucleotide codes
    assert not canvas.paste()
    assert dialogs == []


def test_opening_ones_own_data_replaces_the_untouched_example(qtbot, window, data_dir, dialogs):
    from deemo_gui.examples import default_example

    v = window.viewer
    example = default_example()[0][0]
    assert window.open_file(example) and len(v.files) == 1
    for path in default_example()[1][:2]:
        assert window.open_model(path)
    shown = []
    window.statusBar().messageChanged.connect(shown.append)
    assert window.open_file(str(data_dir / REST)) is True
    assert [os.path.basename(f.path) for f in v.files] == ["REST_GM12878_B.seq.gz"] and v.n_sequences == 1000
    assert v.current_index == 0 and "closed the bundled example REST_GM12878_test.fa and unticked its 2" in shown[-1]
    assert v.selected_models == [] and {os.path.basename(m.path or "") for m in v.models} >= {
        "REST_GM12878_cnn.safetensors"
    }
    # an edited example is the user's work: it stays open beside the new file
    v.clear()
    assert window.open_file(example)
    v.edit(0, "N")
    assert window.open_file(str(data_dir / REST)) is True and len(v.files) == 2
    # and so does any file of their own
    assert window.open_file(example) and len(v.files) == 3 and dialogs == []


def test_a_file_read_in_a_worker_replaces_the_untouched_example_too(qtbot, window, data_dir, dialogs, monkeypatch):
    from deemo_gui.examples import default_example
    from deemo_gui.qt import main_window

    v = window.viewer
    assert window.open_file(default_example()[0][0]) is True
    monkeypatch.setattr(main_window, "SYNC_OPEN_BYTES", 0)  # every file is read in a worker
    worker = window.open_file(str(data_dir / REST))
    assert worker is not None and worker is not True
    qtbot.waitUntil(lambda: [os.path.basename(f.path) for f in v.files] == ["REST_GM12878_B.seq.gz"], timeout=30_000)
    train = window.panel("Train")
    assert train.data_edit.text().endswith("REST_GM12878_B.seq.gz")  # the closed example is not left in the box
    assert dialogs == []


def test_bad_files_show_a_dialog_and_keep_state(qtbot, window, data_dir, tmp_path, dialogs):
    v = window.viewer
    window.open_file(str(data_dir / REST))
    v.set_current(5)
    v.edit(0, "N")
    state = (v.n_sequences, v.current_index, v.current_sequence)
    protein = tmp_path / "protein.fa"
    protein.write_text(">p1\nMKVLAAGIVQW\n")
    assert window.open_file(str(protein)) is False
    assert len(dialogs) == 1 and "protein.fa" in dialogs[0][1] and "invalid character" in dialogs[0][1]
    assert window.open_model(str(protein)) is False
    assert "not a safetensors model file" in dialogs[1][1]
    assert not window.open_session(str(protein))
    assert (v.n_sequences, v.current_index, v.current_sequence) == state
    assert window.isVisible()


def test_unexpected_worker_errors_are_reported_and_logged(qtbot, window, dialogs):
    from deemo_gui.qt.errors import log_buffer
    from deemo_gui.qt.workers import Worker

    def broken_job():
        yield (1, 2, "half way")
        raise ZeroDivisionError("division by zero in a job")

    worker = Worker(broken_job, name="Broken job")
    with qtbot.waitSignal(worker.finished, timeout=10_000):
        window.jobs.start(worker)
    assert len(dialogs) == 1
    title, text = dialogs[0]
    assert "bug" in title and "ZeroDivisionError" in text and "Log" in text
    assert "Traceback" in log_buffer().text() and "broken_job" in log_buffer().text()
    assert window.isVisible() and not window.job_status.isVisible()


def test_job_cancel_without_callback_aborts(qtbot, window):
    from deemo_gui.qt.workers import Worker

    def slow():
        for k in range(1000):
            time.sleep(0.01)
            yield (k, 1000, "")
        return "finished"

    long_line = "member 3 of 8, epoch 12/100: validation loss 0.4321, AUROC 0.8765; " * 3
    worker = Worker(slow, name="Slow", progress=lambda p: (p[0], p[1], long_line))
    returned, aborted = [], []
    worker.returned.connect(returned.append)
    worker.aborted.connect(lambda: aborted.append(True))
    window.jobs.start(worker)
    qtbot.waitUntil(lambda: window.job_status.isVisible() and window.job_status.bar.value() > 2, timeout=5000)
    label = window.job_status.label
    assert label.text().startswith("Slow — member 3 of 8") and label.text().endswith("…")  # elided, not cut
    assert label.toolTip() == f"Slow — {long_line}" and label.sizeHint().width() <= label.maximumWidth()
    window.job_status.cancel_button.click()
    # `aborted` is queued to the GUI thread, so it may arrive just after the thread has ended
    qtbot.waitUntil(lambda: not worker.is_running() and bool(aborted), timeout=5000)
    assert not returned


def test_hundred_thousand_rows_load_fast_and_lazily(qtbot):
    from deemo_gui.qt.sequence_list import SequenceList

    rng = np.random.default_rng(0)
    n = 100_000
    letters = np.array(list("ACGT"))
    block = letters[rng.integers(0, 4, size=(n, 101))]
    seqs = ["".join(row) for row in block]
    data = SequenceSet([f"peak{i}" for i in range(n)], seqs, rng.integers(0, 2, size=(n, 1)), source="synthetic")
    viewer = Viewer()
    widget = SequenceList(viewer)
    qtbot.addWidget(widget)
    widget.resize(420, 700)
    widget.show()
    start = time.perf_counter()
    viewer.add_sequences(data, path="synthetic.fa")
    QGuiApplication.processEvents()
    elapsed = time.perf_counter() - start
    assert widget.proxy.rowCount() == n
    assert elapsed < 1.0, f"loading 100,000 rows took {elapsed:.2f} s"
    # Only the visible cells were asked for; GC% was computed for the visible rows only.
    assert widget.model.data_calls < 5_000
    assert np.isnan(viewer.edits.gc_values).sum() > n - 200
    # Sorting by GC% is numpy-fast; the current record stays selected.
    viewer.set_current(12345)
    start = time.perf_counter()
    widget.view.sortByColumn(2, Qt.SortOrder.DescendingOrder)
    QGuiApplication.processEvents()
    assert time.perf_counter() - start < 3.0
    top = widget.model.flat_index(0)
    assert viewer.gc(top) == pytest.approx(np.nanmax(viewer.edits.gc_values))
    assert widget.proxy.mapToSource(widget.view.currentIndex()).row() == widget.model.row_of(12345)
    # Filtering by name.
    start = time.perf_counter()
    widget.set_filter("peak9999")
    assert time.perf_counter() - start < 1.5
    shown = {widget.proxy.index(r, 0).data() for r in range(widget.proxy.rowCount())}
    assert shown == {"peak9999", *(f"peak9999{k}" for k in range(10))}
    assert "11 of 100,000" in widget.count_label.text()


def test_panels_register_in_one_line_and_broken_ones_are_left_out(qtbot, dialogs):
    from PySide6.QtWidgets import QLabel

    from deemo_gui.qt import panels
    from deemo_gui.qt.main_window import MainWindow

    class Hello(QLabel):
        title = "Hello"

        def __init__(self, viewer, window):
            super().__init__(f"{viewer.n_sequences} sequences")

    saved = list(panels.PANELS)
    try:
        panels.register_panel(Hello)
        panels.register_panel("deemo_gui.qt.panels.no_such_module:Nothing")
        win = MainWindow(Viewer())
        qtbot.addWidget(win)
        win.build_panels()
        titles = [win.tabs.tabText(k) for k in range(win.tabs.count())]
        assert titles[-1] == "Hello" and titles[0] == "Dashboard" and "Train" in titles
        assert len(titles) == len(saved) + 1  # the broken registration is left out
        assert win.show_panel("hello").text() == "0 sequences"
        with pytest.raises(Exception, match="no panel named"):
            win.show_panel("Nope")
        win.close()
    finally:
        panels.PANELS[:] = saved


def test_drop_files_recent_files_and_sessions(qtbot, window, data_dir, rest_model, tmp_path):
    v = window.viewer
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(data_dir / REST)), QUrl.fromLocalFile(rest_model)])
    event = QDropEvent(
        QPointF(100, 100), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier
    )
    window.dropEvent(event)
    assert v.n_sequences == 1000 and "rest_deepbind" in [m.name for m in v.models]
    assert window.recent_files()[0] == os.path.abspath(data_dir / REST)
    v.set_current(7)
    v.edit(3, "TTT")
    path = tmp_path / "s.deemo.json"
    assert window.save_session(str(path))
    v.clear()
    assert window.open_session(str(path))
    assert v.current_index == 7 and v.current_sequence[3:6] == "TTT"


def test_screenshot_renders_the_window(qtbot, window, data_dir, rest_model, tmp_path):
    window.open_file(str(data_dir / REST))
    window.open_model(rest_model)
    out = tmp_path / "shot.png"
    image = window.screenshot(str(out), size=(1400, 900))
    assert out.exists() and image.width() == 1400 and image.height() == 900
    assert window.viewer.screenshot(None).width() == 1400


def _cli(*args, timeout=120):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run(
        [sys.executable, "-m", "deemo_gui", *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=timeout
    )


def test_cli_headless_screenshot_and_bad_files(data_dir, rest_model, tmp_path):
    out = tmp_path / "main.png"
    seq_id = "seq_00004_peak"
    proc = _cli(
        "--open",
        str(data_dir / REST),
        "--model",
        rest_model,
        "--sequence",
        seq_id,
        "--tab",
        "Train",
        "--search",
        REST_CORE,
        "--screenshot",
        str(out),
        "--size",
        "1200x800",
    )
    assert proc.returncode == 0, proc.stderr
    from PySide6.QtGui import QImage

    image = QImage(str(out))
    assert (image.width(), image.height()) == (1200, 800)
    bad = tmp_path / "protein.fa"
    bad.write_text(">p1\nMKVLAAGIVQW\n")
    proc = _cli("--open", str(bad), "--screenshot", str(tmp_path / "bad.png"))
    assert proc.returncode == 2
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("deemo-gui")]
    assert len(lines) == 1 and "protein.fa" in lines[0] and not (tmp_path / "bad.png").exists()
    proc = _cli("--model", str(bad), "--screenshot", str(tmp_path / "bad.png"))
    assert proc.returncode == 2 and "deemo-gui: error:" in proc.stderr


def test_window_appears_before_torch_is_imported():
    proc = _cli("--startup-time")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["torch_imported_before_window"] is False
    assert report["first_window_s"] < report["torch_ready_s"]


def test_shipped_models_load_with_one_details_render_each(qtbot, window, monkeypatch):
    """Adding the zoo at start-up rebuilds the Models list once per model and renders the details
    panel once per rebuild, not once per row (56 models made that 1,600 renders, 5 s of frozen GUI)."""
    from deemo_gui.core.zoo import shipped_model_paths

    picker = window.model_picker
    calls = []
    monkeypatch.setattr(picker.details, "setHtml", lambda html: calls.append(html))
    paths = shipped_model_paths()[:12]
    for m in list(window.viewer.models):
        window.viewer.remove_model(m)
    calls.clear()
    for p in paths:
        window.viewer.add_model(p, lazy=True, select=False)
    assert len(picker.visible_names()) == len(paths)
    assert len(calls) == len(paths)
