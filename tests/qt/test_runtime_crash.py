"""Issue 12's crash: the REST example open, the Dashboard computing for its 5 models, 4 of them
unticked in the model picker within about a second. The app must survive, the unticked models'
jobs must stop, and nothing computed for them may be drawn once they are unticked."""

import time

import pytest
from PySide6.QtCore import Qt


@pytest.fixture
def example_window(open_window, dialogs, qtbot, tmp_path, monkeypatch):
    """The bundled REST example (test peaks, the 5 shipped REST models ticked) and an empty
    class-optimization disk cache, so the Dashboard really computes."""
    from deemo_gui.examples import default_example
    from deemo_gui.viewer import Viewer

    monkeypatch.setenv("DEEMO_CACHE_DIR", str(tmp_path / "cache"))
    fastas, models = default_example()
    assert len(models) == 5
    v = Viewer()
    v.open(fastas[0])
    for path in models:
        v.add_model(path, lazy=True)
    return open_window(v)


def _row(picker, name):
    return picker._items[name]


def test_unticking_four_models_while_the_dashboard_computes(example_window, qtbot, dialogs):
    from deemo_gui.qt.panels.dashboard import DashboardPanel

    win = example_window
    viewer = win.viewer
    dash = win.show_panel("Dashboard")
    names = [m.name for m in viewer.selected_models]
    assert len(names) == 5
    keep, drop = names[1], [n for n in names if n != names[1]]

    drawn: list[tuple[float, str]] = []  # (when, model name) of everything drawn for a model
    fill, draw = DashboardPanel._fill_classopt, DashboardPanel.draw

    def spy_fill(self, plot, entry):
        drawn.append((time.perf_counter(), entry.name))
        return fill(self, plot, entry)

    def spy_draw(self, seq, result):
        for name in result["models"]:
            drawn.append((time.perf_counter(), name))
        return draw(self, seq, result)

    dash._fill_classopt = spy_fill.__get__(dash)
    dash.draw = spy_draw.__get__(dash)

    # The Dashboard is computing: its analysis job or class optimizations are running.
    qtbot.waitUntil(lambda: any(w.is_running() for w in dash.classopt_workers.values()), timeout=30_000)
    picker = win.model_picker
    unticked_at = {}
    t0 = time.perf_counter()
    for name in drop:  # one tick box after another, within about a second
        _row(picker, name).setCheckState(0, Qt.CheckState.Unchecked)
        unticked_at[name] = time.perf_counter()  # its jobs are cancelled by now
        qtbot.wait(200)
    assert time.perf_counter() - t0 < 15 and [m.name for m in viewer.selected_models] == [keep]  # no hang

    # Every job of an unticked model stops; the one left finishes and is drawn.
    runtime = viewer.runtime
    qtbot.waitUntil(lambda: not any(runtime.owner(n).busy for n in drop), timeout=10_000)
    qtbot.waitUntil(
        lambda: dash.state == "ready" and dash.classopt_result(viewer.model(keep)) is not None and not win.jobs.running,
        timeout=180_000,
    )
    assert win.isVisible() and not dialogs
    assert set(dash.result["models"]) == {keep}
    late = {name for when, name in drawn if name in unticked_at and when > unticked_at[name]}
    assert not late, f"drawn after unticking: {late}"
    assert any(name == keep for _when, name in drawn)
    plot = dash.classopt_plots[keep]
    assert plot.placeholder is None and plot.classopt is not None
