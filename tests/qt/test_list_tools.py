"""The window's sequence-tool actions: the list filtered by a motif on either strand, FASTA and
prediction-table export, peaks + genome opened from the File menu with genome coordinates on the
ruler, and the window-scan options in the View menu."""

import csv
from pathlib import Path

import pytest

from deemo_gui.core.sequences import read_fasta
from deemo_gui.viewer import Viewer
from deemo_gui.viewer.export import records_with_pattern

ROOT = Path(__file__).resolve().parents[2]
REST_TEST = ROOT / "resources" / "examples" / "REST_GM12878_test.fa"


@pytest.fixture
def window(qtbot, open_window, dialogs):
    win = open_window(Viewer())
    assert win.open_file(str(REST_TEST))
    assert win.open_model(str(ROOT / "models" / "REST_GM12878_cnn.safetensors"))
    yield win
    assert not dialogs, dialogs


def test_motif_filter_shows_the_records_with_it_on_either_strand(qtbot, window):
    from PySide6.QtCore import Qt

    lst = window.sequence_list
    lst.filter_mode.setCurrentText("Motif")
    qtbot.keyClicks(lst.filter_edit, "GGACAG")
    qtbot.keyClick(lst.filter_edit, Qt.Key.Key_Return)
    want = records_with_pattern(window.viewer, "GGACAG").tolist()
    qtbot.waitUntil(lambda: sorted(lst.visible_indices()) == want, timeout=5000)
    assert 0 < len(want) < window.viewer.n_sequences
    assert f"{len(want):,} of 1,000 sequences shown with GGACAG (either strand)" in lst.count_label.text()
    lst.filter_edit.setText("GGXCAG")
    qtbot.waitUntil(lambda: "not a nucleotide letter" in lst.count_label.text(), timeout=5000)
    assert sorted(lst.visible_indices()) == want  # a bad motif keeps the list as it was
    lst.filter_mode.setCurrentText("Name")
    lst.filter_edit.setText("seq_00004")
    v = window.viewer
    qtbot.waitUntil(lambda: v.index_of("seq_00004_peak") in lst.visible_indices(), timeout=5000)
    assert all("seq_00004" in v.ids[i] for i in lst.visible_indices()) and len(lst.visible_indices()) < 20


def test_export_fasta_of_the_shown_records_and_the_prediction_table(qtbot, window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    window.sequence_list.set_filter("GGACAG", mode="Motif")
    shown = window.sequence_list.visible_indices()
    fasta = tmp_path / "shown.fa"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(fasta), ""))
    assert window.export_fasta_dialog() == str(fasta)
    assert read_fasta(fasta).ids == [window.viewer.ids[i] for i in shown]
    table = tmp_path / "predictions"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(table), "Tab-separated (*.tsv)"))
    worker = window.export_predictions_dialog()
    qtbot.waitUntil(lambda: (tmp_path / "predictions.tsv").exists(), timeout=60_000)
    assert worker.wait(10_000)
    rows = list(csv.reader((tmp_path / "predictions.tsv").open(), delimiter="\t"))
    assert len(rows) == 1001 and rows[0][-1] == "p_REST_GM12878_cnn"
    table_p = window.viewer.list_predictions["REST_GM12878_cnn"][:, 0]
    assert [float(r[-1]) for r in rows[1:6]] == pytest.approx([float(x) for x in table_p[:5]], abs=1e-6)


def test_open_peaks_from_the_menu_shows_genome_coordinates(qtbot, window, tmp_path, monkeypatch):
    import sys

    from PySide6.QtWidgets import QFileDialog, QInputDialog

    sys.path.insert(0, str(ROOT))
    from tests._genome import build

    g = build(tmp_path / "genome")
    answers = iter([(str(g.bed), ""), (str(g.fasta), "")])
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: next(answers))
    monkeypatch.setattr(QInputDialog, "getInt", lambda *a, **k: (101, True))
    v = window.viewer
    before = v.n_sequences
    worker = window.open_peaks_dialog()
    qtbot.waitUntil(lambda: v.n_sequences > before, timeout=30_000)
    assert worker.wait(10_000)
    minus = next(i for i in range(before, v.n_sequences) if v.origin(i).strand == "-")
    v.set_current(minus)
    origin = v.origin(minus)
    assert v.current_id == origin.record_id
    assert f"{origin.chrom}:{origin.start + 1:,}–{origin.end:,} (-)" in window.editor.info.text()
    canvas = window.editor.canvas
    seen = []
    canvas.hover.connect(seen.append)
    from PySide6.QtCore import QPoint

    for x in (canvas.x_of(3) + 2, canvas.x_of(0) + 2):  # a move the canvas sees, onto base 1
        qtbot.mouseMove(canvas, QPoint(int(x), canvas.RULER_H + 20))
        qtbot.wait(20)
    qtbot.waitUntil(lambda: bool(seen) and "position 1 " in seen[-1], timeout=5000)
    # Base 1 of a minus-strand window is the genome's last base of the region.
    assert f"({origin.chrom}:{origin.end:,}, - strand)" in seen[-1], seen[-1]


def test_view_menu_sets_the_scan_options(qtbot, window, monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    v = window.viewer
    monkeypatch.setattr(QInputDialog, "getInt", lambda *a, **k: (25, True))
    window.window_stride_dialog()
    assert v.scan_stride == 25
    window.both_strands_action.trigger()
    assert v.scan_rc is True
    v.set_window(10)
    next(a for a in window.view_menu.actions() if "best window" in a.text().replace("&", "")).trigger()
    assert v.window_choice is None
