"""The Dashboard, Saliency and Temporal panels with pytest-qt, on small REST models trained on real
ENCODE peaks: each panel's job runs to completion and draws exactly the core explainers' numbers;
an edit redraws; a job is cancelled midway; stale results are discarded; the dashboard exports."""

import threading

import numpy as np
import pytest
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QFileDialog

from deemo_gui import explain
from deemo_gui.core.inference import predict_proba
from deemo_gui.core.motifs import JasparDB, scan
from deemo_gui.core.sequences import one_hot, read_sequences
from deemo_gui.viewer import Viewer
from deemo_gui.viewer import analysis as A

REST_B = "deepbind_encode/REST_GM12878_B.seq.gz"


def trained_rest_model(tmp_path_factory, data_dir, preset: str) -> str:
    """`preset` trained on 2,000 REST ChIP-seq records (positives + shuffled negatives), saved once per
    test session (the same file as tests/viewer/test_analysis.py makes: seed 0, one CPU thread)."""
    path = tmp_path_factory.getbasetemp() / f"REST_GM12878_{preset}.safetensors"
    if not path.exists():
        import torch

        from deemo_gui.core.modelfile import save_model
        from deemo_gui.core.sequences import load_dataset
        from deemo_gui.core.training import TrainingConfig, train

        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            data = load_dataset(data_dir / "deepbind_encode" / "REST_GM12878_AC.seq.gz", negatives="shuffle", seed=0)
            data = data.subset(np.sort(np.random.default_rng(0).choice(len(data), 2000, replace=False)))
            lr = 1e-2 if "rnn" in preset else 5e-3
            done = train(data, TrainingConfig(preset=preset, max_epochs=2, batch_size=64, lr=lr, seed=0, device="cpu"))
            save_model(done.model, path, done.metadata)
        finally:
            torch.set_num_threads(threads)
    return str(path)


@pytest.fixture(scope="module")
def model_paths(tmp_path_factory, data_dir):
    return (
        trained_rest_model(tmp_path_factory, data_dir, "deepbind"),
        trained_rest_model(tmp_path_factory, data_dir, "rnn-small"),
    )


@pytest.fixture(scope="module")
def rest_records(data_dir):
    """Indices of REST_GM12878_B peaks with a JASPAR REST (MA0138) hit at p < 1e-4."""
    data = read_sequences(data_dir / REST_B)
    hits = scan(JasparDB("JASPAR2024").get("MA0138"), data.seqs[:200], p_threshold=1e-4)
    return sorted(set(hits["seq_index"].tolist()))


@pytest.fixture
def window(qtbot, dialogs, data_dir, model_paths, rest_records, monkeypatch):
    from deemo_gui.qt.main_window import MainWindow
    from deemo_gui.qt.panels.dashboard import DashboardPanel

    monkeypatch.setattr(DashboardPanel, "CLASSOPT_STEPS", 40)  # 1000 in the app (DeMo's setting)
    win = MainWindow(Viewer())
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitUntil(lambda: win.torch_is_ready, timeout=60_000)
    v = win.viewer
    assert win.open_file(str(data_dir / REST_B)) is True
    for path in model_paths:
        assert win.open_model(path)
    v.set_current(rest_records[0])
    yield win
    win.close()
    assert not dialogs, dialogs


def _ready(panel, viewer) -> bool:
    return (
        panel.state == "ready"
        and panel.shown_key is not None
        and panel.shown_key[0] == viewer.current_sequence
        and (panel.worker is None or not panel.worker.is_running())
    )


def _wait_ready(qtbot, panel, viewer, timeout=60_000):
    qtbot.waitUntil(lambda: _ready(panel, viewer), timeout=timeout)


def _modules(viewer):
    cnn, rnn = viewer.models[-2:]
    return cnn, rnn


def _x_geometry(plot):
    vb = plot.getViewBox()
    r = vb.sceneBoundingRect()
    return round(r.left(), 1), round(r.width(), 1), tuple(np.round(vb.viewRange()[0], 1))


def _wait_aligned(qtbot, plots):
    """Same left edge, width and x range (to 0.1 base) once the layout has settled."""
    qtbot.waitUntil(lambda: len({_x_geometry(p) for p in plots}) == 1, timeout=5000)


def test_dashboard_draws_figure2_for_the_current_sequence(qtbot, window):
    v = window.viewer
    cnn, rnn = _modules(v)
    panel = window.show_panel("Dashboard")
    _wait_ready(qtbot, panel, v)
    qtbot.waitUntil(
        lambda: (
            not panel.classopt_workers
            and all(getattr(p, "classopt", None) is not None for p in panel.classopt_plots.values())
        ),
        timeout=60_000,
    )
    seq = v.current_sequence
    X = one_hot([seq])

    # Known motif: the JASPAR 2024 REST matrix, information-scaled.
    rest = JasparDB("JASPAR2024").get("MA0138")
    np.testing.assert_allclose(panel.motif_plots[rest.id].logo.matrix(), A.ic_logo(rest))
    # The sequence, its letters and its FIMO hits boxed (both strands, p < 1e-4).
    hits = scan(rest, [seq], p_threshold=1e-4)
    track = panel.sequence_plot
    assert track.track.sequence() == seq
    np.testing.assert_array_equal(track.track.glyphs.matrix(), one_hot([seq])[0])  # the letters' glyphs
    assert len(track.track.hits()) == len(hits) >= 1
    boxes = sorted((b.left(), b.width()) for _, b in track.track.hit_boxes())
    assert boxes == sorted((s - 0.5, float(e - s)) for s, e in zip(hits["start"], hits["end"]))
    assert sorted(h.strand for h in track.track.hits()) == sorted(hits["strand"])
    h0 = hits.iloc[0]
    info = track.info_at(float(h0["start"]), 0)
    assert info.base == seq[int(h0["start"])] and f"REST p={h0['p']:.1e}" in info.extra
    # One saliency track per model (|grad x input| of the logit), titled with its P(bound).
    for entry in (cnn, rnn):
        plot = panel.saliency_plots[entry.name]
        ref = explain.position_saliency(explain.saliency(entry.module, X))[0]
        np.testing.assert_allclose(plot.bars.opts["height"], ref, rtol=1e-5, atol=1e-7)
        p = predict_proba(entry.module, X)[0, 0]
        assert f"P(bound) = {p:.3f}" in plot.titleLabel.text
    # Temporal curves for the recurrent model only.
    assert list(panel.temporal_plots) == [rnn.name]
    fwd, bwd = explain.temporal(rnn.module, X)
    f_item, b_item = panel.temporal_plots[rnn.name].curves
    np.testing.assert_allclose(f_item.getData()[1], fwd[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b_item.getData()[1], bwd[0], rtol=1e-5, atol=1e-6)
    # Class-optimized logos (DeMo sec. 3.3) per model, cached in the viewer.
    for entry in (cnn, rnn):
        ref = explain.class_optimization(entry.module, steps=40)
        np.testing.assert_allclose(panel.classopt_plots[entry.name].logo.matrix(), A.ic_logo(ref.pwm), atol=1e-6)
        assert A.stored_class_optimization(entry, steps=40) is not None
    # All sequence-aligned tracks share x: same left edge, width and range.
    _wait_aligned(
        qtbot, [track, *panel.saliency_plots.values(), *panel.temporal_plots.values(), *panel.classopt_plots.values()]
    )
    # Hover: position (1-based), base and value.
    info = panel.saliency_plots[cnn.name].info_at(10.2, 0)
    assert info.index == 10 and info.base == seq[10] and info.text.startswith(f"pos 11  ·  {seq[10]}")
    panel.saliency_plots[cnn.name]._on_hover(QPointF(10.2, 0))
    assert panel.saliency_plots[cnn.name].readout.isVisible()

    # Edit a base inside the REST hit: the tracks follow the new sequence.
    h = hits.iloc[0]
    pos = int(h["start"]) + 3
    new_base = "A" if seq[pos] != "A" else "T"
    old_heights = panel.saliency_plots[cnn.name].bars.opts["height"].copy()
    v.edit(pos, new_base)
    _wait_ready(qtbot, panel, v)
    edited = v.current_sequence
    assert edited[pos] == new_base and edited != seq
    X2 = one_hot([edited])
    new_heights = panel.saliency_plots[cnn.name].bars.opts["height"]
    np.testing.assert_allclose(
        new_heights, explain.position_saliency(explain.saliency(cnn.module, X2))[0], rtol=1e-5, atol=1e-7
    )
    assert not np.allclose(new_heights, old_heights)
    assert len(panel.sequence_plot.track.hits()) == len(scan(rest, [edited], p_threshold=1e-4))
    assert panel.sequence_plot.track.base_at(pos) == new_base
    assert panel.sequence_plot.track.glyphs.matrix()[:, pos].argmax() == "ACGT".index(new_base)


def test_dashboard_export_png_svg_pdf(qtbot, window, tmp_path, monkeypatch):
    v = window.viewer
    panel = window.show_panel("Dashboard")
    _wait_ready(qtbot, panel, v)
    magic = {"png": b"\x89PNG\r\n\x1a\n", "pdf": b"%PDF-"}
    for ext in ("png", "svg", "pdf"):
        target = tmp_path / f"dashboard.{ext}"
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, t=target, **k: (str(t), ""))
        panel.export_button.click()
        data = target.read_bytes()
        assert len(data) > 2000, ext
        if ext == "svg":
            assert data.lstrip().startswith(b"<?xml") and b"<svg" in data[:400]
        else:
            assert data.startswith(magic[ext]), ext
    from PySide6.QtGui import QImage

    image = QImage(str(tmp_path / "dashboard.png"))
    # the whole dashboard (also the part scrolled out of view), at twice the screen resolution
    assert image.width() >= 2 * panel.graphics.width() - 4 and image.height() >= 2 * panel.graphics.minimumHeight() - 60

    # The SVG draws what the PNG shows (a 72-dpi SVG once shrank the axes to 3/4 of the data):
    # compare both at the PNG's size, averaged over 8 x 8 pixel blocks (text antialiasing differs).
    from PySide6.QtGui import QColor, QPainter
    from PySide6.QtSvg import QSvgRenderer

    drawn = QImage(image.size(), QImage.Format.Format_ARGB32)
    drawn.fill(QColor("white"))
    painter = QPainter(drawn)
    QSvgRenderer(str(tmp_path / "dashboard.svg")).render(painter)
    painter.end()
    assert np.abs(_blocks(drawn) - _blocks(image)).mean() < 3.5

    # One PDF page the size of the dashboard and its title line (points = pixels x 72 / 96).
    import re

    box = re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", (tmp_path / "dashboard.pdf").read_bytes())
    rect = panel.graphics.ci.sceneBoundingRect()
    assert float(box.group(1)) == pytest.approx(rect.width() * 0.75, abs=2)
    title_pt = float(box.group(2)) - rect.height() * 0.75
    assert 10 <= title_pt <= 60, title_pt  # one or two bold 14-px lines and their margin

    # Another known motif, typed by JASPAR ID: its logo and its hits replace REST's.
    panel.motif_edit.setText("MA0139")
    panel.motif_edit.editingFinished.emit()
    qtbot.waitUntil(lambda: _ready(panel, v) and any(k.startswith("MA0139") for k in panel.motif_plots), timeout=30_000)
    ctcf = JasparDB("JASPAR2024").get("MA0139")
    assert len(panel.sequence_plot.track.hits()) == len(scan(ctcf, [v.current_sequence], p_threshold=1e-4))


def _blocks(image, k: int = 8) -> np.ndarray:
    from PySide6.QtGui import QImage

    g = image.convertToFormat(QImage.Format.Format_Grayscale8)
    a = np.frombuffer(g.constBits(), np.uint8).reshape(g.height(), g.bytesPerLine())[:, : g.width()].astype(float)
    h, w = (a.shape[0] // k) * k, (a.shape[1] // k) * k
    return a[:h, :w].reshape(h // k, k, w // k, k).mean(axis=(1, 3))


def test_saliency_panel_methods_ism_and_logo(qtbot, window):
    v = window.viewer
    cnn, rnn = _modules(v)
    panel = window.show_panel("Saliency")
    _wait_ready(qtbot, panel, v)
    seq = v.current_sequence
    X = one_hot([seq])
    for entry in (cnn, rnn):
        m = entry.module
        refs = {
            "saliency": (explain.saliency(m, X)[0] * X[0]).sum(0),
            "guided": (explain.guided(m, X)[0] * X[0]).sum(0),
            "integrated_gradients": explain.integrated_gradients(m, X)[0].sum(0),
        }
        for method, ref in refs.items():
            panel.set_method(method)
            plot = panel.track_plots[entry.name]
            np.testing.assert_allclose(plot.bars.opts["height"], ref, rtol=1e-4, atol=1e-6)
        ism = explain.ism(m, X)[0]
        heat = panel.ism_plots[entry.name]
        np.testing.assert_allclose(heat.matrix(), ism, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(heat.image.image, ism[::-1], rtol=1e-5, atol=1e-6)  # rows A C G T top down
        lo, hi = heat.image.getLevels()
        assert lo == pytest.approx(-hi) and hi == pytest.approx(np.abs(ism).max())
        i, new = 30, "ACGT"[(("ACGT".index(seq[30])) + 1) % 4]
        info = heat.info_at(i, 3.5 - "ACGT".index(new))
        assert info.base == seq[i]
        assert info.values[f"{seq[i]}→{new} Δ logit"] == pytest.approx(ism["ACGT".index(new), i])
        np.testing.assert_allclose(
            panel.logo_plots[entry.name].logo.matrix(),
            explain.saliency_logo(explain.guided(m, X))[0],
            rtol=1e-5,
            atol=1e-6,
        )
    _wait_aligned(qtbot, [*panel.track_plots.values(), *panel.ism_plots.values(), *panel.logo_plots.values()])


def _gated(monkeypatch, panel):
    """Make the panel's job stop after its first step until the returned event is set."""
    gate = threading.Event()
    original = panel.compute

    def compute(seq, entries, plan=None):
        gen = original(seq, entries, plan)
        yield next(gen)
        gate.wait(30)
        return (yield from gen)

    monkeypatch.setattr(panel, "compute", compute)
    return gate


def test_cancel_a_job_midway_then_recompute(qtbot, window, rest_records, monkeypatch):
    v = window.viewer
    panel = window.show_panel("Saliency")
    _wait_ready(qtbot, panel, v)
    gate = _gated(monkeypatch, panel)
    v.set_current(rest_records[1])
    qtbot.waitUntil(lambda: panel.worker is not None and panel.state == "computing", timeout=10_000)
    worker = panel.worker
    assert window.job_status.isVisible() and window.job_status.current() is worker
    window.job_status.cancel_button.click()  # the status bar's Cancel
    gate.set()
    qtbot.waitUntil(lambda: panel.worker is None, timeout=30_000)
    assert panel.state == "cancelled" and "Cancelled" in panel.status.text()
    assert panel.shown_key[0] != v.current_sequence  # nothing drawn for the new sequence
    assert worker.result is None
    panel.recompute_button.click()
    _wait_ready(qtbot, panel, v)
    X = one_hot([v.current_sequence])
    cnn = _modules(v)[0]
    panel.set_method("saliency")
    np.testing.assert_allclose(
        panel.track_plots[cnn.name].bars.opts["height"],
        (explain.saliency(cnn.module, X)[0] * X[0]).sum(0),
        rtol=1e-5,
        atol=1e-7,
    )


def test_temporal_panel_discards_stale_results(qtbot, window, monkeypatch):
    v = window.viewer
    cnn, rnn = _modules(v)
    panel = window.show_panel("Temporal")
    _wait_ready(qtbot, panel, v)
    first = v.current_sequence
    fwd, bwd = explain.temporal(rnn.module, one_hot([first]))
    curves = panel.temporal_plots[rnn.name].curves
    np.testing.assert_allclose(curves[0].getData()[1], fwd[0], rtol=1e-5, atol=1e-6)
    plot = panel.temporal_plots[rnn.name]
    assert plot.viewRange()[1][0] < 0 and plot.viewRange()[1][1] > 1 and "P(bound)" in plot.getAxis("left").labelText

    gate = _gated(monkeypatch, panel)
    v.edit(20, "G" if first[20] != "G" else "C")
    qtbot.waitUntil(lambda: panel.worker is not None and panel.worker.is_running(), timeout=10_000)
    stale = panel.worker
    v.edit(60, "T" if first[60] != "T" else "A")  # while the job for the first edit runs
    qtbot.waitUntil(lambda: panel._pending, timeout=10_000)
    gate.set()
    _wait_ready(qtbot, panel, v)
    assert stale.cancelled
    final = v.current_sequence
    assert final[20] != first[20] and final[60] != first[60]
    fwd, bwd = explain.temporal(rnn.module, one_hot([final]))
    curves = panel.temporal_plots[rnn.name].curves
    np.testing.assert_allclose(curves[0].getData()[1], fwd[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(curves[1].getData()[1], bwd[0], rtol=1e-5, atol=1e-6)

    # Only a CNN selected: a clear message instead of curves.
    v.select_models([cnn.name])
    qtbot.waitUntil(lambda: panel.state == "empty", timeout=10_000)
    text = panel.message.text()
    assert panel.body.currentWidget() is panel.message and panel.message.isVisible()
    assert "recurrent" in text and cnn.name in text and rnn.name in text
    assert not panel.temporal_plots


def test_headless_window_renders_finished_panels(qtbot, data_dir, model_paths, rest_records, monkeypatch, tmp_path):
    """The `deemo-gui --screenshot` path: a hidden window computes the shown panel synchronously."""
    from deemo_gui.qt.main_window import MainWindow
    from deemo_gui.qt.panels.dashboard import DashboardPanel

    monkeypatch.setattr(DashboardPanel, "CLASSOPT_STEPS", 40)
    v = Viewer()
    win = MainWindow(v)
    qtbot.addWidget(win)
    win.live.enabled = False
    win.ensure_torch()
    v.open(data_dir / REST_B)
    for path in model_paths:
        v.add_model(path)
    v.set_current(rest_records[0])
    panel = win.show_panel("dashboard")
    image = win.screenshot(tmp_path / "tab_dashboard.png", size=(1400, 900))
    assert image.width() == 1400 and (tmp_path / "tab_dashboard.png").stat().st_size > 10_000
    assert panel.state == "ready" and panel.worker is None and not panel.classopt_workers
    assert all(getattr(p, "classopt", None) is not None for p in panel.classopt_plots.values())
    win.jobs.cancel_all()
    win.close()

    # --tab saliency: the first tab (Dashboard) is built on the way but computes nothing.
    v2 = Viewer()
    win2 = MainWindow(v2)
    qtbot.addWidget(win2)
    win2.live.enabled = False
    v2.open(data_dir / REST_B)
    for path in model_paths:
        v2.add_model(path)
    win2.ensure_torch()  # as deemo-gui --screenshot does (no warm-up job left running)
    saliency = win2.show_panel("saliency")
    dashboard = win2.panel("dashboard")
    win2.screenshot(size=(1400, 900))
    assert saliency.state == "ready" and saliency.shown_key[0] == v2.current_sequence
    assert dashboard.state != "ready" and dashboard.worker is None and not dashboard.classopt_workers
    win2.jobs.cancel_all()
    win2.close()
