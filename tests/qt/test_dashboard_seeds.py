"""A new installation's first Dashboard (empty user cache) draws the shipped models' class
optimizations from the zoo's seeds (`models/classopt/`, `viewer/classopt_cache.py`): no class
optimization job runs and nothing is written to the user cache."""

import os

import numpy as np

from deemo_gui.viewer import classopt_cache as C


def test_the_first_dashboard_draws_the_shipped_class_optimizations(open_window, qtbot, dialogs, monkeypatch):
    from deemo_gui.examples import default_example
    from deemo_gui.viewer import Viewer

    monkeypatch.delenv(C.SEEDS_ENV, raising=False)  # the app's setting (conftest turns the seeds off)
    fastas, models = default_example()
    v = Viewer()
    v.open(fastas[0])
    for path in models[:2]:  # two of the 5 shipped REST models, ticked
        v.add_model(path, lazy=True)
    win = open_window(v)
    started = []
    win.jobs.job_started.connect(lambda w: started.append(w.name))
    dash = win.show_panel("Dashboard")
    qtbot.waitUntil(
        lambda: (
            len(dash.classopt_plots) == 2
            and all(getattr(p, "classopt", None) is not None for p in dash.classopt_plots.values())
        ),
        timeout=60_000,
    )
    assert not dash.classopt_workers and not [n for n in started if n.startswith("Class optimization")], started
    for name, plot in dash.classopt_plots.items():
        (key,) = C.default_keys(v.model(name).metadata)
        np.testing.assert_array_equal(plot.classopt.pwm.probs, C.read_seed(C.zoo_seed_folder(), key).pwm.probs)
        assert plot.placeholder is None
    assert not os.path.isdir(C.SERVICE.folder) or not os.listdir(C.SERVICE.folder)
    assert not dialogs
