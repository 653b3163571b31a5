"""Export on every view (Saliency with its ISM, Temporal, Dashboard: PNG/SVG/PDF titled with the
sequence, method and models), logos titled with the motif's name and ID, MEME of all extracted motifs
by default, and status lines that are true (the wait the user had, no stale text, flat motifs
without E-values)."""

import re

import numpy as np
import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog

from deemo_gui.core.motifs import read_meme

EXAMPLE = "resources/examples/REST_GM12878_test.fa"


@pytest.fixture
def window(open_window, dialogs, qtbot):
    from deemo_gui.viewer import Viewer

    v = Viewer()
    v.open(EXAMPLE)
    v.add_model("models/REST_GM12878_deepbind.safetensors", lazy=True)
    v.add_model("models/REST_GM12878_rnn.safetensors", lazy=True)
    return open_window(v)


def _idle(qtbot, win):
    qtbot.wait(150)
    qtbot.waitUntil(lambda: not win.jobs.running and not win.live._busy, timeout=90_000)


def _ready(qtbot, panel):
    qtbot.waitUntil(lambda: panel.state == "ready", timeout=90_000)


@pytest.mark.parametrize("title", ["Saliency", "Temporal", "Dashboard"])
def test_each_view_exports_png_svg_pdf_with_its_title(window, qtbot, tmp_path, monkeypatch, title):
    panel = window.show_panel(title)
    _ready(qtbot, panel)
    heading = panel.export_title()
    seq_id = window.viewer.current_id
    assert heading.startswith(f"{seq_id} (101 nt) · {title}") and "REST_GM12878_rnn" in heading
    if title == "Saliency":
        assert "Gradient × input, in-silico mutagenesis, saliency logo" in heading
        assert "REST_GM12878_deepbind" in heading
    if title == "Temporal":
        assert "REST_GM12878_deepbind" not in heading  # not recurrent: not in the Temporal view
    for ext in ("png", "svg", "pdf"):
        path = tmp_path / f"view.{ext}"
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, p=path, **k: (str(p), ""))
        if title == "Dashboard":
            assert panel.export_dialog() == str(path)
        else:
            panel.export_button.click()
        assert path.stat().st_size > 2000
    svg = (tmp_path / "view.svg").read_text()
    assert f"<title>{heading}</title>".replace("×", "&#xd7;") in svg or heading in svg
    assert seq_id in svg  # drawn as text above the tracks
    assert (tmp_path / "view.pdf").read_bytes().startswith(b"%PDF")
    png = QImage(str(tmp_path / "view.png"))
    assert png.height() > 2 * 40 and not png.isNull()
    _idle(qtbot, window)


def test_export_before_anything_is_drawn_says_so(window, qtbot, dialogs, tmp_path, monkeypatch):
    window.viewer.select_models([])
    panel = window.show_panel("Saliency")
    qtbot.wait(200)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "x.png"), ""))
    assert panel.export_dialog() is None and len(dialogs) == 1 and "nothing to export" in dialogs[0][1]
    assert not (tmp_path / "x.png").exists()


def test_logos_carry_the_motif_name_and_id(tmp_path):
    from deemo_gui.core.logo_export import motif_title, save_logo
    from deemo_gui.core.motifs import JasparDB

    pwm = JasparDB("JASPAR2024").get("MA0138")  # REST
    assert motif_title(pwm) == f"REST ({pwm.id})"
    assert motif_title(pwm, "class optimization") == f"REST ({pwm.id}) — class optimization"
    save_logo(pwm, tmp_path / "rest.png")
    assert QImage(str(tmp_path / "rest.png")).text("Title") == f"REST ({pwm.id})"
    save_logo(pwm, tmp_path / "rest.svg")
    assert f"REST ({pwm.id})" in (tmp_path / "rest.svg").read_text()
    save_logo(pwm, tmp_path / "rest.pdf")
    assert pwm.id.encode() in (tmp_path / "rest.pdf").read_bytes()


def test_motifs_panel_exports_all_and_reports_the_real_wait(window, qtbot, tmp_path, monkeypatch):
    import time

    from deemo_gui.core.motifs import PWM
    from deemo_gui.qt.panels.motif_export import export_logo
    from deemo_gui.viewer import motif_jobs as mj

    panel = window.show_panel("Motifs")
    panel.chooser.set_model("REST_GM12878_deepbind")
    panel.method_checks["classopt"].setChecked(False)
    panel.max_spin.setValue(300)
    t0 = time.perf_counter()
    assert panel.run() is not None
    qtbot.waitUntil(lambda: panel.outcome is not None and panel.run_button.isEnabled(), timeout=180_000)
    waited = time.perf_counter() - t0
    shown = float(re.search(r"E < 0\.05 \(([\d.]+) s\)", panel.status.text()).group(1))
    assert 0.8 * waited - 0.5 <= shown <= waited + 0.5, (shown, waited)
    rows = panel.extract_table.rowCount()
    assert rows > 5 and len(panel.selected_extracted()) == 1  # the first row is selected...
    target = tmp_path / "all.meme"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    panel.meme_button.click()
    assert len(read_meme(target)) == rows  # ...and Export MEME still writes every motif
    assert panel._export_extracted(only_selected=True) and len(read_meme(target)) == 1
    # an extracted motif's logo is titled with its name and ID
    pwm = panel.selected_extracted()[0].pwm
    export_logo(pwm, str(tmp_path / "m.png"), "extracted")
    assert pwm.id in QImage(str(tmp_path / "m.png")).text("Title")
    # shown again from the cache: says so instead of pretending it took no time
    panel._show_outcome(panel._cached(panel.chooser.entry()))
    assert "computed earlier in" in panel.status.text()
    # a too-flat motif: no E-value in the table, no match list, an empty match side
    flat = PWM.from_probs(np.random.default_rng(0).dirichlet([20.0] * 4, size=9).T, id="flat", name="flat")
    matches = mj.run(mj.match_job([flat], labels=["flat"], methods=["saliency"]))
    panel._show_outcome((mj.ExtractOutcome(matches, {}, 10, panel.outcome.release), "10 test sequences"))
    t = panel.extract_table
    assert t.item(0, 4).text() == "–" and t.item(0, 3).text().startswith("not comparable")
    assert panel.matches.rowCount() == 0 and panel.aligned.row is None
    # reset (no outcome for this model): no stale "N motifs…" line
    panel._show_outcome(None)
    assert panel.status.text() == panel.IDLE_TEXT and t.rowCount() == 0
    _idle(qtbot, window)
