"""Multi-task models in the analysis panels: the viewer's task choice (`set_task`, `target_of`), the
Python helpers that follow it, and the Task chooser of the Dashboard and Saliency panels, checked
against the core explainers of the chosen output. The three-task model is trained on Koo & Eddy
synthetic sequences with planted JASPAR CTCF, REST and MAX sites."""

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from deemo_gui import explain
from deemo_gui.core.errors import ConfigError
from deemo_gui.core.inference import predict_proba
from deemo_gui.core.motifs import JasparDB
from deemo_gui.core.networks import build_network
from deemo_gui.core.sequences import SequenceSet, one_hot
from deemo_gui.viewer import Viewer
from deemo_gui.viewer import analysis as A

TASKS = ["CTCF", "REST", "MAX"]


@pytest.fixture(scope="module")
def three_task_model(tmp_path_factory):
    """deepbind trained 2 epochs on 1,500 synthetic 101-nt sequences, one task per planted TF; and a
    test sequence of the same set."""
    import torch

    from deemo_gui.core import synthetic
    from deemo_gui.core.modelfile import save_model
    from deemo_gui.core.training import TrainingConfig, train

    data = synthetic.generate(["MA0139.1", "MA0138.2", "MA0058.3"], n=1500, length=101, seed=0)
    assert data.task_names == TASKS
    path = tmp_path_factory.mktemp("tasks") / "synthetic_3tasks_deepbind.safetensors"
    tr = data.train
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        done = train(
            SequenceSet(tr.ids, tr.sequences, tr.labels, tr.task_names, "synthetic"),
            TrainingConfig(preset="deepbind", max_epochs=2, batch_size=64, seed=0, device="cpu"),
        )
        save_model(done.model, path, done.metadata)
    finally:
        torch.set_num_threads(threads)
    return str(path), data.test.sequences[0]


def two_task_network():
    """An untrained two-task network (MAX, SP1): only which output is read matters here."""
    import torch

    torch.manual_seed(0)
    net = build_network("deepbind", n_tasks=2, input_length=101)
    net.metadata = {"task_names": ["MAX", "SP1"]}
    return net


@pytest.fixture
def viewer(three_task_model):
    path, seq = three_task_model
    v = Viewer()
    v.add_sequences(SequenceSet(["synthetic_1"], [seq], source="synthetic"))
    v.set_current(0)
    v.add_model(path, name="three_tasks")
    v.add_model_object(two_task_network(), name="two_tasks")
    return v


def test_task_choice_and_targets(viewer):
    three, two = viewer.models
    assert viewer.task_choices == ["CTCF", "REST", "MAX", "SP1"]
    assert viewer.current_task == "CTCF" and viewer.target_of(three) == 0
    with pytest.raises(ConfigError, match=r"two_tasks has no task 'CTCF' \(its tasks: MAX, SP1\)"):
        viewer.target_of(two)
    seen = []
    viewer.events.task_changed.connect(seen.append)
    viewer.set_task("MAX")
    viewer.set_task("MAX")  # unchanged: no second event
    assert seen == ["MAX"] and viewer.target_of(three) == 2 and viewer.target_of(two) == 0
    with pytest.raises(ConfigError, match="no open model has a task named 'YY1'"):
        viewer.set_task("YY1")
    viewer.select_models([two])
    assert viewer.task_choices == ["MAX", "SP1"] and viewer.current_task == "MAX"
    viewer.set_task("REST")  # a task of an open model that is not selected: the first selected task is used
    assert viewer.task == "REST" and viewer.current_task == "MAX"
    viewer.select_models([three, two])
    assert viewer.current_task == "REST" and viewer.target_of(three) == 1


def test_session_keeps_the_task(three_task_model, tmp_path):
    model_path, seq = three_task_model
    fasta = tmp_path / "one.fa"
    fasta.write_text(f">synthetic_1\n{seq}\n")
    viewer = Viewer()
    viewer.open(fasta)
    viewer.add_model(model_path)
    viewer.set_task("MAX")
    path = viewer.save_session(tmp_path / "s.deemo.json")
    other = Viewer()
    other.open_session(path)
    assert other.task == "MAX" and other.current_task == "MAX"


def test_analyze_current_explains_the_chosen_task(viewer):
    three, two = viewer.models
    viewer.set_task("REST")
    viewer.select_models([three])
    X = one_hot([viewer.current_sequence])
    out = A.analyze_current(viewer, methods=("prob", "saliency"))["three_tasks"]
    np.testing.assert_allclose(
        out["saliency"], explain.saliency(three.module, X, 1, kind="grad_x_input")[0], rtol=1e-5, atol=1e-7
    )
    assert out["prob"][0] == pytest.approx(predict_proba(three.module, X)[0, 1], rel=1e-5)


@pytest.fixture
def window(open_window, viewer, monkeypatch, tmp_path):
    from deemo_gui.qt.panels.dashboard import DashboardPanel

    monkeypatch.setenv("DEEMO_GUI_SETTINGS", str(tmp_path / "settings.ini"))
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text, *a, **k: shown.append(text))
    monkeypatch.setattr(DashboardPanel, "CLASSOPT_STEPS", 40)  # 1000 in the app (DeMo's setting)
    yield open_window(viewer)
    assert not shown, shown


def _dashboard_on(qtbot, window, task: str):
    """The Dashboard with only the three-task model selected, explaining `task`, once drawn."""
    v = window.viewer
    v.select_models([v.model("three_tasks")])
    v.set_task(task)
    panel = window.show_panel("Dashboard")
    _wait_ready(qtbot, panel, task)
    return panel


def _wait_ready(qtbot, panel, task):
    qtbot.waitUntil(
        lambda: (
            panel.state == "ready"
            and panel.shown_key[3] == task
            and (panel.worker is None or not panel.worker.is_running())
        ),
        timeout=60_000,
    )


def test_saliency_panel_task_chooser(qtbot, window):
    v = window.viewer
    three, two = v.model("three_tasks"), v.model("two_tasks")
    panel = window.show_panel("Saliency")
    _wait_ready(qtbot, panel, "CTCF")
    combo = panel.task_combo
    assert combo.isVisible() and [combo.itemText(i) for i in range(combo.count())] == v.task_choices
    # CTCF: the three-task model explains output 0; the two-task model has no CTCF and says so.
    assert list(panel.result["models"]) == ["three_tasks"]
    assert "two_tasks: no output for CTCF (its tasks: MAX, SP1)" in panel.status.text()
    # ... also when everything comes from the cache (no job, no error)
    v.set_current(0)
    panel.refresh()
    assert panel.worker is None and panel.state == "ready" and "no output for CTCF" in panel.status.text()
    X = one_hot([v.current_sequence])
    for task in ("MAX", "REST"):
        combo.textActivated.emit(task)  # what choosing it in the list does
        assert v.task == task
        _wait_ready(qtbot, panel, task)
        assert combo.currentText() == task
        expected = {"three_tasks": (three, TASKS.index(task))}
        if task == "MAX":
            expected["two_tasks"] = (two, 0)
        assert set(panel.result["models"]) == set(expected)
        for name, (entry, target) in expected.items():
            plot = panel.track_plots[name]
            ref = (explain.saliency(entry.module, X, target)[0] * X[0]).sum(0)
            np.testing.assert_allclose(plot.bars.opts["height"], ref, rtol=1e-4, atol=1e-6)
            p = predict_proba(entry.module, X)[0, target]
            assert f"P({task}) = {p:.3f}" in plot.titleLabel.text
    # The prediction read-out lists at most a few outputs per model, always the explained one.
    from deemo_gui.qt.sequence_editor import ScoreBoard

    board = window.findChild(ScoreBoard)
    assert board._shown_tasks(TASKS, most=2) == [0, 1]  # REST is chosen now
    v.set_task("MAX")
    assert board._shown_tasks(TASKS, most=2) == [0, 2]
    assert "three_tasks: MAX: P(bound)" in board.text()
    # Only single-output models selected: no chooser.
    v.select_models([])
    assert not combo.isVisible()


def test_dashboard_follows_the_task(qtbot, window):
    three = window.viewer.model("three_tasks")
    panel = _dashboard_on(qtbot, window, "REST")
    qtbot.waitUntil(
        lambda: (
            not panel.classopt_workers
            and all(getattr(p, "classopt", None) is not None for p in panel.classopt_plots.values())
        ),
        timeout=60_000,
    )
    # The known motif is the chosen task's TF; class optimization maximises that output.
    rest = JasparDB(A.jaspar_release()).get("MA0138")
    assert list(panel.motif_plots) == [rest.id]
    ref = explain.class_optimization(three.module, target=1, steps=40)
    plot = panel.classopt_plots["three_tasks"]
    np.testing.assert_allclose(plot.logo.matrix(), A.ic_logo(ref.pwm), atol=1e-6)
    assert "three_tasks [REST]" in plot.titleLabel.text


def test_dashboard_does_not_reuse_a_cancelled_class_optimization(qtbot, window):
    """Switching the task away and back while its class optimization is still winding down starts
    it again (the cancelled job is not handed back) and the logo fills in for the task shown."""
    from types import SimpleNamespace

    v = window.viewer
    three = v.model("three_tasks")
    panel = _dashboard_on(qtbot, window, "REST")
    qtbot.waitUntil(lambda: not panel.classopt_workers, timeout=60_000)
    # A cancelled MAX job that has not stopped yet (the race: cancel, then the task chosen again).
    winding_down = SimpleNamespace(is_running=lambda: True, cancelled=True, cancel=lambda: None, wait=lambda ms=0: True)
    panel.classopt_workers[("three_tasks", 2)] = winding_down
    v.set_task("MAX")
    _wait_ready(qtbot, panel, "MAX")
    qtbot.waitUntil(lambda: not panel.classopt_workers, timeout=60_000)  # a fresh job replaced it and ended
    panel._classopt_done(("three_tasks", 2), winding_down)  # the old job ending later changes nothing
    plot = panel.classopt_plots["three_tasks"]
    assert getattr(plot, "classopt", None) is not None and "three_tasks [MAX]" in plot.titleLabel.text
    ref = explain.class_optimization(three.module, target=2, steps=40)
    np.testing.assert_allclose(plot.logo.matrix(), A.ic_logo(ref.pwm), atol=1e-6)
