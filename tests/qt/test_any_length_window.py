"""A 1,010-nt region with 101-nt models in the window: the best window boxed in the editor, the
Dashboard's window-scan track (a click explains another window), N-padding and scanning named in
the header and the prediction rows, soft-masked bases shown lower case."""

from pathlib import Path

import numpy as np
import pytest

from deemo_gui.core.sequences import read_fasta
from deemo_gui.core.windows import scan
from deemo_gui.viewer import Viewer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def region_file(tmp_path):
    data = read_fasta(ROOT / "resources" / "examples" / "REST_GM12878_test.fa")
    neg = [s for s, y in zip(data.seqs, data.labels[:, 0]) if y == 0]
    pos = [s for s, y in zip(data.seqs, data.labels[:, 0]) if y == 1]
    region = "".join(neg[:6]) + pos[0] + "".join(neg[6:9])  # REST peak at 606-707
    path = tmp_path / "region.fa"
    path.write_text(f">region\n{region[:40].lower()}{region[40:]}\n>short\n{pos[1][20:80]}\n")
    return path, region


@pytest.fixture
def window(qtbot, open_window, region_file, dialogs, monkeypatch):
    from deemo_gui.qt.panels.dashboard import DashboardPanel

    monkeypatch.setattr(DashboardPanel, "CLASSOPT_STEPS", 20)
    win = open_window(Viewer())
    assert win.open_file(str(region_file[0]))
    assert win.open_model(str(ROOT / "models" / "REST_GM12878_cnn.safetensors"))
    win.viewer.set_current("region")
    yield win
    assert not dialogs, dialogs


def _editor(win):
    from deemo_gui.qt.sequence_editor import ScoreBoard, SequenceCanvas

    return win.findChild(SequenceCanvas), win.findChild(ScoreBoard)


def test_best_window_boxed_scored_and_named(qtbot, window, region_file):
    v = window.viewer
    canvas, board = _editor(window)
    qtbot.waitUntil(lambda: bool(v.predictions) and v.scan_of("REST_GM12878_cnn") is not None, timeout=30_000)
    found = scan(v.model("REST_GM12878_cnn").module, region_file[1])
    best = found.best_start()
    assert v.predictions["REST_GM12878_cnn"][0] == pytest.approx(float(found.score()[0]), rel=1e-6)
    qtbot.waitUntil(lambda: canvas.model_windows() == [("REST_GM12878_cnn", best, best + 101)], timeout=5000)
    assert f"best of {len(found.starts):,} windows: {best + 1:,}–{best + 101:,}" in board.text()
    header = window.editor.info.text()
    assert "40 nt soft-masked" in header and "scanned in 910 windows of 101 nt" in header, header
    # Soft-masked bases (1-40) are drawn paler than the same base outside the mask, at any zoom.
    seq = v.current_sequence
    i = next(k for k in range(40) if seq[k] == "G")
    j = next(k for k in range(41, 200) if seq[k] == "G")
    y = int(canvas.RULER_H + 2 + canvas.HIT_H + 2 + canvas.row_h / 2)
    image = canvas.grab().toImage()
    pale, solid = (image.pixelColor(int(canvas.x_of(k) + 1), y) for k in (i, j))
    assert pale.lightness() > solid.lightness(), (pale.name(), solid.name())
    # Zoomed in to letters: a masked base sits on the grey soft-mask background, others on their colour.
    j = next(k for k in range(41, 60) if seq[k] == "G")
    canvas.set_zoom(12.0)
    canvas.scroll_to(0)
    image = canvas.grab().toImage()
    grey, coloured = (image.pixelColor(int(canvas.x_of(k)) + 1, y - int(canvas.row_h / 2) + 2) for k in (i, j))

    def chroma(c):
        return max(c.red(), c.green(), c.blue()) - min(c.red(), c.green(), c.blue())

    assert chroma(grey) < 16 < chroma(coloured), (grey.name(), coloured.name())
    v.set_current("short")
    qtbot.waitUntil(lambda: "N-padded to 101 nt" in board.text(), timeout=30_000)
    assert "N-padded to 101 nt" in window.editor.info.text()
    assert canvas.model_windows() == [("REST_GM12878_cnn", 0, 60)]


def test_scan_track_click_and_context_menu_choose_the_window(qtbot, window, region_file):
    from deemo_gui.qt.plots.window_scan import WindowScanPlot

    v = window.viewer
    panel = window.show_panel("Dashboard")
    qtbot.waitUntil(lambda: "REST_GM12878_cnn" in panel.scan_plots and panel.state == "ready", timeout=60_000)
    plot = panel.scan_plots["REST_GM12878_cnn"]
    assert isinstance(plot, WindowScanPlot)
    found = scan(v.model("REST_GM12878_cnn").module, region_file[1])
    track = plot.curves[0].yData
    centres = np.rint(found.centres).astype(int)
    np.testing.assert_allclose(np.asarray(track)[centres], found.probs[:, 0], rtol=1e-5)
    assert plot.region.getRegion() == pytest.approx((found.best_start() - 0.5, found.best_start() + 100.5))
    plot.sigPicked.emit(plot.start_centred_at(250.0))  # what a click at base 251 sends
    assert v.window_choice == 200
    qtbot.waitUntil(
        lambda: (
            panel.state == "ready"
            and "REST_GM12878_cnn" in panel.scan_plots
            and panel.scan_plots["REST_GM12878_cnn"].region.getRegion()[0] == pytest.approx(199.5)
        ),
        timeout=60_000,
    )
    assert panel.result["models"]["REST_GM12878_cnn"]["window"] == (200, 301)
    canvas, _ = _editor(window)
    assert canvas.model_windows() == [("REST_GM12878_cnn", 200, 301)]
    actions = canvas.window_actions(700)
    assert actions[0][0].startswith("Explain the 101-nt window centred on base 701 (651–751)")
    actions[-1][1]()  # "each model's best window"
    assert v.window_choice is None
