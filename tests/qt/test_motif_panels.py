"""The Class optimization, Filters and Motifs panels, offscreen, on a real model trained in a fixture:
cnn-small on ALX4 HT-SELEX round 4 vs round 0 (20-mers; homeobox core TAATTA)."""

from pathlib import Path

import numpy as np
import pytest
import torch
from _homeobox import is_homeobox
from PySide6.QtWidgets import QFileDialog

from deemo_gui.core.motifs import read_meme
from deemo_gui.viewer import Viewer

ROOT_SELEX = Path(__file__).resolve().parents[2] / "resources" / "data" / "selex_alx4"


@pytest.fixture(scope="module")
def trained(data_dir):
    """cnn-small trained for 2 epochs on 2,000 round-4 and 2,000 round-0 reads (seconds)."""
    from deemo_gui.core.sequences import load_dataset
    from deemo_gui.core.training import TrainingConfig, train

    torch.set_num_threads(1)
    pos, neg = data_dir / "selex_alx4" / "alx4_round4.txt", data_dir / "selex_alx4" / "alx4_round0.txt"
    data = load_dataset(str(pos), negatives=str(neg))
    n = len(data) // 2
    done = train(
        data.subset(np.r_[0:2000, n : n + 2000]),
        TrainingConfig(preset="cnn-small", max_epochs=2, batch_size=64, lr=1e-3, device="cpu", seed=0),
    )
    assert done.best_valid_auroc > 0.9
    return done.model.eval(), pos, neg


@pytest.fixture
def window(qtbot, dialogs, trained):
    from deemo_gui.qt.main_window import MainWindow

    model, pos, neg = trained
    viewer = Viewer()
    win = MainWindow(viewer)
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitUntil(lambda: win.torch_is_ready, timeout=60_000)
    viewer.open(pos, negatives=str(neg))
    viewer.add_model_object(model, name="alx4 cnn-small")
    yield win
    win.close()


def test_class_optimization_runs_and_shows_matches(qtbot, window):
    panel = window.show_panel("Class optimization")
    assert panel.chooser.model_combo.currentText() == "alx4 cnn-small"
    # every default says where it comes from
    assert "class_optimization.lua" in panel.lam_spin.toolTip() and panel.lam_spin.value() == 0.009
    assert "class_optimization.lua" in panel.lr_spin.toolTip() and panel.lr_spin.value() == 0.05
    assert "class_optimization.lua" in panel.steps_spin.toolTip() and panel.steps_spin.value() == 1000
    assert "sec. 3.4" in panel.width_spin.toolTip()
    panel.steps_spin.setValue(300)
    logos = []
    worker = panel.run()
    assert worker is not None and not panel.run_button.isEnabled() and panel.cancel_button.isEnabled()
    worker.yielded.connect(lambda e: logos.append(panel.logo_plot.logo.matrix().copy()))
    qtbot.waitUntil(lambda: panel.outcome is not None, timeout=60_000)
    qtbot.waitUntil(lambda: panel.run_button.isEnabled(), timeout=10_000)
    # the logo evolved while optimising (updated from the generator every 25 steps)
    shown = [m for m in logos if m.shape == (4, 20)]
    assert len(shown) >= 5 and not np.allclose(shown[0], shown[-1])
    # the P(+) curve rises; the final logo is the optimised PWM with the compared columns shaded
    x, y = panel.curve.getData()
    assert len(x) == 301 and y[-1] > 0.95 and y[-1] > y[0] + 0.2
    out = panel.outcome
    np.testing.assert_allclose(panel.logo_plot.logo.matrix().sum(axis=0), out.result.pwm.information_content())
    assert panel.logo_plot.logo.highlight() == (out.query_start, out.query_start + 9)
    # Tomtom matches in the table; the best JASPAR match drawn aligned under the motif
    t = panel.matches
    assert t.rowCount() >= 10
    assert [t.horizontalHeaderItem(k).text() for k in range(t.columnCount())] == [
        "ID",
        "Name",
        "p",
        "E",
        "q",
        "Strand",
        "Offset",
    ]
    names = [t.item(r, 1).text() for r in range(5)]
    assert sum(is_homeobox(n) for n in names) >= 3, names
    assert panel.aligned.target.pwm is not None
    assert panel.aligned.target.title.startswith(t.item(0, 0).text())
    assert out.match.best_name in panel.best_label.text()
    # another match row re-aligns the logos
    t.selectRow(3)
    assert panel.aligned.target.title.startswith(t.item(3, 0).text())
    # results are kept per model: switching away and back shows them again
    panel.chooser.model_combo.setCurrentIndex(-1)
    panel.chooser.set_model("alx4 cnn-small")
    assert panel.outcome is out


def test_class_optimization_on_the_simplex_from_the_panel(qtbot, window):
    """Recipe ▸ Simplex sets its own learning rate and steps and runs the core's simplex optimisation:
    the logo is the optimised input itself (columns of probabilities), the same as the Python call."""
    from deemo_gui.explain import class_optimization

    panel = window.show_panel("Class optimization")
    assert panel.recipe_combo.currentData() == "demo"
    panel.recipe_combo.setCurrentIndex(panel.recipe_combo.findData("simplex"))
    assert panel.lr_spin.value() == 0.1 and panel.steps_spin.value() == 300 and panel.lam_spin.value() == 0.009
    panel.steps_spin.setValue(60)
    panel.run()
    qtbot.waitUntil(lambda: panel.outcome is not None, timeout=60_000)
    out = panel.outcome
    assert out.result.settings["parametrization"] == "simplex" and out.settings.parametrization == "simplex"
    entry = panel.chooser.entry()
    assert entry.name == "alx4 cnn-small"
    ref = class_optimization(entry.module, steps=60, parametrization="simplex", lr=0.1)
    np.testing.assert_allclose(out.result.pwm.probs, ref.pwm.probs, atol=1e-5)
    np.testing.assert_allclose(out.result.X.sum(axis=0), 1.0, atol=1e-5)
    # back to the DeMo recipe: its own defaults, and not the simplex result
    panel.recipe_combo.setCurrentIndex(panel.recipe_combo.findData("demo"))
    assert panel.lr_spin.value() == 0.05 and panel.steps_spin.value() == 1000 and panel.outcome is None


def test_class_optimization_cancel_midway(qtbot, window):
    panel = window.show_panel("Class optimization")
    panel.steps_spin.setValue(100_000)
    worker = panel.run()
    qtbot.waitUntil(lambda: panel.last_progress is not None and panel.last_progress.step >= 50, timeout=30_000)
    aborted = []
    worker.aborted.connect(lambda: aborted.append(True))
    panel.cancel_button.click()
    qtbot.waitUntil(lambda: not worker.is_running(), timeout=20_000)
    qtbot.waitUntil(lambda: panel.run_button.isEnabled(), timeout=5_000)
    assert aborted and panel.outcome is None
    assert panel.status.text().startswith("Cancelled at step")
    assert 50 <= panel.last_progress.step < 100_000 and len(panel.curve.getData()[0]) >= 3


def test_filters_grid_fills_with_tomtom_matches(qtbot, window):
    panel = window.show_panel("Filters")
    assert "Koo & Eddy" in panel.threshold_spin.toolTip() and panel.threshold_spin.value() == 0.5
    panel.max_spin.setValue(2000)
    worker = panel.run()
    assert worker is not None
    qtbot.waitUntil(lambda: panel.outcome is not None, timeout=60_000)
    qtbot.waitUntil(lambda: panel.run_button.isEnabled(), timeout=10_000)
    from deemo_gui.qt.panels.filters import PAGE

    cards = panel.cards
    assert len(cards) == min(PAGE, len(panel.outcome.motifs)) and len(panel.outcome.motifs) > 20
    assert all(c.logo.pwm is not None and c.match_label.text() for c in cards)
    assert "2,000 positive sequences" in panel.status.text() or "first 2,000" in panel.status.text()

    # sorted by IC: grid order follows total information content
    def grid_order():
        items = [panel.grid.itemAt(k).widget() for k in range(panel.grid.count())]
        cells = [(panel.grid.getItemPosition(panel.grid.indexOf(w)), w) for w in items if w in panel.cards]
        return [w for (_pos, w) in sorted(cells, key=lambda c: (c[0][0], c[0][1]))]

    ics = [c.match.pwm.total_ic for c in grid_order()]
    assert ics == sorted((m.pwm.total_ic for m in panel.outcome.motifs), reverse=True)[: len(ics)]
    assert len(panel.outcome.motifs) > PAGE  # 64 filters: Show more draws the next page, in the same order
    assert panel.more_button.isVisibleTo(panel) and f"{PAGE} of " in panel.more_button.text()
    panel.show_more()
    assert len(panel.cards) == min(2 * PAGE, len(panel.outcome.motifs)) and not panel.more_button.isVisibleTo(panel)
    ics = [c.match.pwm.total_ic for c in grid_order()]
    assert ics == sorted((m.pwm.total_ic for m in panel.outcome.motifs), reverse=True)[: len(ics)]
    # sorted by E-value: the best matches first, homeobox matrices; another order starts at its first page
    panel.sort_combo.setCurrentIndex(panel.sort_combo.findData("evalue"))
    assert len(panel.cards) == PAGE and panel.more_button.isVisibleTo(panel)
    first = grid_order()[:5]
    assert [c.match.best_E for c in first] == sorted(m.best_E for m in panel.outcome.motifs)[:5]
    assert sum(is_homeobox(c.match.best_name) for c in first) >= 4
    assert "E = " in first[0].match_label.text() and first[0].match.best_id in first[0].match_label.text()
    assert "Top Tomtom matches" in first[0].toolTip()
    assert "Euclidean column distance" in first[0].toolTip() and "Storey" in first[0].toolTip()  # memelite, named


def test_jaspar_search_and_meme_export(qtbot, window, tmp_path, monkeypatch):
    panel = window.show_panel("Motifs")
    panel.pages.setCurrentIndex(1)
    browser = panel.browser
    qtbot.waitUntil(lambda: len(browser.pwms) > 500, timeout=60_000)
    assert panel.release_combo.currentText() == "JASPAR2024"
    browser.search_edit.setText("CTCF")
    t = browser.table
    assert t.item(0, 0).text().startswith("MA0139") and t.item(0, 1).text() == "CTCF"
    assert browser.logo.pwm.id.startswith("MA0139") and "MA0139" in browser.info.text()
    browser.search_edit.setText("MA0139")
    assert t.rowCount() == 1
    browser.search_edit.setText("ctcf")
    t.selectAll()
    chosen = browser.selected()
    assert {p.name for p in chosen} == {"CTCF", "CTCFL"}
    target = tmp_path / "ctcf.meme"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    browser.export_button.click()
    back = read_meme(target)
    assert [p.id for p in back] == [p.id for p in chosen]
    for a, b in zip(chosen, back):
        np.testing.assert_allclose(a.probs, b.probs, atol=1e-4)


def test_extracted_motifs_with_matches_and_export(qtbot, window, tmp_path, monkeypatch):
    panel = window.show_panel("Motifs")
    assert not panel.method_checks["temporal"].isEnabled()  # a CNN has no temporal output
    assert "recurrent" in panel.method_checks["temporal"].toolTip()
    panel.method_checks["classopt"].setChecked(False)  # its own panel is tested above
    panel.max_spin.setValue(1000)
    assert panel.methods() == ["saliency", "activation"]
    panel.run()
    qtbot.waitUntil(lambda: panel.outcome is not None, timeout=60_000)
    qtbot.waitUntil(lambda: panel.run_button.isEnabled(), timeout=10_000)
    t = panel.extract_table
    assert t.rowCount() == len(panel.outcome.motifs) > 10
    assert t.item(0, 0).text() == "saliency 9-mers"
    assert panel.matches.rowCount() > 0 and panel.aligned.query.pwm is not None
    # memelite's Tomtom named where the match is shown: Euclidean columns, Benjamini-Hochberg q
    assert "Euclidean column distance, Benjamini–Hochberg q" in panel.aligned.note.text()
    assert "Pearson" in panel.aligned.note.toolTip()
    assert "Euclidean" in panel.matches.horizontalHeaderItem(2).toolTip()
    assert "Storey" in panel.matches.horizontalHeaderItem(4).toolTip()
    # choose an activation motif: its matches replace the table
    t.selectRow(1)
    chosen = panel.selected_extracted()[0]
    assert chosen.method == "activation" and panel.matches.item(0, 0).text() == chosen.best_id
    t.selectAll()
    target = tmp_path / "extracted.meme"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    panel.meme_button.click()
    back = read_meme(target)
    assert len(back) == t.rowCount()
    assert {p.id for p in back} == {m.pwm.id for m in panel.outcome.motifs}
    # A near-flat motif "matches" by Tomtom's E but is shown as not comparable and not counted.
    from deemo_gui.core.motifs import PWM
    from deemo_gui.viewer import motif_jobs as mj

    flat = PWM.from_probs(np.random.default_rng(0).dirichlet([20.0] * 4, size=9).T, id="flat", name="flat")
    matches = mj.run(mj.match_job([flat], labels=["flat"], methods=["saliency"]))
    assert matches[0].best_E < 0.05 and matches[0].low_information and not matches[0].significant
    panel._show_outcome((mj.ExtractOutcome(matches, {}, 10, panel.outcome.release), "10 test sequences"))
    assert t.item(0, 3).text() == f"not comparable (too flat, {flat.total_ic:.1f} bits over 9 columns)"
    assert "CTCF" in t.item(0, 3).toolTip()
    assert "; 0 match a" in panel.status.text() and "1 is too flat to compare" in panel.status.text()


def test_logo_export_png_svg_pdf(window, tmp_path):
    from deemo_gui.core.motifs import JasparDB
    from deemo_gui.qt.panels.motif_export import export_logo

    pwm = JasparDB("JASPAR2024").get("MA0853")  # ALX4
    for ext in ("png", "svg", "pdf"):
        path = export_logo(pwm, str(tmp_path / f"alx4.{ext}"), "MA0853 ALX4")
        assert (tmp_path / f"alx4.{ext}").stat().st_size > 500, path
    with pytest.raises(Exception, match="png, .svg or .pdf"):
        export_logo(pwm, str(tmp_path / "alx4.gif"))


def test_errors_go_to_the_dialog(qtbot, window, dialogs):
    viewer = window.viewer
    viewer.select_models([])
    panel = window.show_panel("Class optimization")
    assert not panel.run_button.isEnabled() and "Tick a model" in panel.status.text()
    assert panel.run() is None and dialogs and "Tick a model" in dialogs[-1][1]
    # no sequences open: the job is not started and the dialog names the fix
    filters = window.show_panel("Filters")
    viewer.select_models(["alx4 cnn-small"])
    viewer.clear()
    assert filters.run() is None and "no sequences are open" in dialogs[-1][1]
    # a job that fails in its worker reports through the window's error dialog
    rnn = next((m for m in viewer.models if m.preset == "rnn"), None)
    if rnn is None:
        return
    viewer.open(ROOT_SELEX / "alx4_round4.txt")
    viewer.select_models([rnn.name])
    assert "recurrent network without convolution filters" in filters.status.text()
    worker = filters.run()
    qtbot.waitUntil(lambda: not worker.is_running(), timeout=30_000)
    qtbot.waitUntil(lambda: "first convolution layer" in dialogs[-1][1], timeout=5_000)
    assert "Stopped with an error" in filters.status.text() and filters.run_button.isEnabled()


def test_tomtom_warm_up_runs_in_the_background(qtbot, window):
    from deemo_gui.qt import motif_warmup
    from deemo_gui.viewer import motif_jobs

    assert motif_warmup._STARTED.is_set()  # started by the window once torch was ready
    assert not motif_warmup.start_motif_warmup(window)  # once per process
    qtbot.waitUntil(motif_jobs.is_warm, timeout=120_000)
