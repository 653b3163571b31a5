"""How responsive the desktop app is: edit-to-prediction latency, event-loop stalls while training,
and time to the first window. Runs offscreen (no display needed).

1. Edit -> updated prediction: in the real window, a base typed on the sequence canvas goes through
   the viewer, the 30 ms debounce and the prediction worker until the score is back in the viewer.
   Presets `cnn` and `cnn-rnn` on a real 101-nt REST ChIP-seq peak (REST_GM12878_B.seq.gz), with
   fresh untrained weights saved by `save_model` (latency does not depend on the weights). Baseline:
   the bare forward pass of the same model on the same sequence (`Viewer.compute_predictions`).
2. Event-loop stall while training: a QTimer ticks every 10 ms while the Train panel trains
   (`deepbind` and `cnn` on 2,000 REST peaks + shuffled negatives); the longest gap between ticks is
   the longest time the window could not respond. Baseline: the same timer with the app idle.
3. Time to first window: `python -m deemo_gui --startup-time` in a fresh process, from launch to the
   window painted; also when torch, the networks and the shipped models' metadata are ready
   (loaded in a worker after the window is up) and when the panels are built.
4. Dashboard first render: in a fresh process, the Dashboard open on a REST peak and the REST
   example's 5 shipped models loaded, from ticking them until every track and class-optimized logo
   is drawn. Each run starts with an empty user cache folder, as a new installation's first start:
   the class optimizations come from the seeds the zoo ships (`models/classopt/`). Baseline, in the
   same invocation: the same first start without the seeds (`DEEMO_CLASSOPT_SEEDS=off`: 5 x 1000
   steps, as before the zoo carried them), then a restart that reads them from the user cache.

    python benchmarks/gui_latency.py [--edits 30] [--train-seconds 20] [--dashboard-runs 3] [--only-dashboard]
                                     [--no-dashboard-baseline] [--update-benchmarks-md]

Writes benchmarks/results/gui_latency.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DATA = ROOT / "resources" / "data" / "deepbind_encode"
TEST = DATA / "REST_GM12878_B.seq.gz"
TRAIN = DATA / "REST_GM12878_AC.seq.gz"
OUT = Path(__file__).resolve().parent / "results" / "gui_latency.md"


def percentile(values, q):
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(q / 100 * (len(values) - 1)))))
    return values[k]


def wait_until(app, condition, timeout=60.0):
    deadline = time.perf_counter() + timeout
    while not condition():
        app.processEvents()
        if time.perf_counter() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(0.0005)


def fresh_model(preset: str, folder: Path) -> str:
    import torch

    from deemo_gui.core.modelfile import save_model
    from deemo_gui.core.networks import build_network

    torch.manual_seed(0)
    model = build_network(preset, n_tasks=1, input_length=101)
    path = folder / f"untrained_{preset}.safetensors"
    save_model(model, path, {"task_names": ["bound"]})
    return str(path)


def edit_latency(app, window, presets, n_edits, folder):
    from deemo_gui.viewer import Viewer

    v = window.viewer
    window.open_file(str(TEST))
    v.set_current(0)
    rows = []
    for preset in presets:
        entry = v.add_model(fresh_model(preset, folder), name=f"untrained {preset}")
        v.select_models([entry.name])
        wait_until(app, lambda e=entry: v.predictions_sequence == v.current_sequence and e.name in v.predictions)
        canvas = window.editor.canvas
        latencies, forward = [], []
        for k in range(n_edits):
            pos = 10 + (k * 7) % 80
            base = "ACGT"[(k + "ACGT".index(v.current_sequence[pos]) + 1) % 4]
            canvas.caret = pos
            t0 = time.perf_counter()
            canvas.type_bases(base)
            wait_until(app, lambda: v.predictions_sequence == v.current_sequence)
            latencies.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            Viewer.compute_predictions(v.current_sequence, [entry])
            forward.append(time.perf_counter() - t0)
        rows.append(
            (
                preset,
                statistics.median(latencies) * 1e3,
                percentile(latencies, 95) * 1e3,
                max(latencies) * 1e3,
                statistics.median(forward) * 1e3,
            )
        )
        v.select_models([])
    return rows


def tick_gaps(app, seconds, while_condition=None):
    from PySide6.QtCore import QTimer

    stamps = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: stamps.append(time.perf_counter()))
    timer.start()
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline and (while_condition is None or while_condition()):
        app.processEvents()
        time.sleep(0.001)
    timer.stop()
    gaps = [b - a for a, b in zip(stamps, stamps[1:])]
    return gaps


def training_stall(app, window, preset, seconds, subset_path):
    panel = window.show_panel("Train")
    panel.data_edit.setText(str(subset_path))
    panel.set_label_mode("shuffle")
    panel.preset_combo.setCurrentText(preset)
    panel.epochs_spin.setValue(100)
    panel.device_combo.setCurrentText("cpu")
    worker = panel.start()
    steps = []
    worker.yielded.connect(lambda e: steps.append(e) if type(e).__name__ == "StepEvent" else None)
    wait_until(app, lambda: len(steps) > 0, timeout=120)  # data read and network built
    t0 = time.perf_counter()
    gaps = tick_gaps(app, seconds, while_condition=worker.is_running)
    measured = time.perf_counter() - t0
    n_steps = len(steps)
    panel.cancel()
    wait_until(app, lambda: not worker.is_running(), timeout=120)
    return gaps, n_steps, measured


def folded_model(folder: Path) -> str:
    """The default recipe's largest network: 8 DeepBind members of 256 detectors, both strands, folded into
    one of 4,096 first-layer filters (fresh weights: drawing does not depend on what they learned)."""
    import torch

    from deemo_gui.core.ensemble import ENSEMBLE_HPARAMS, fold_deepbind
    from deemo_gui.core.modelfile import save_model
    from deemo_gui.core.networks import build_network

    members = []
    for seed in range(8):
        torch.manual_seed(seed)
        members.append(build_network("deepbind", n_tasks=1, input_length=101, **ENSEMBLE_HPARAMS).eval())
    path = folder / "folded_4096.safetensors"
    save_model(fold_deepbind(members), path, {"task_names": ["bound"]})
    return str(path)


def _draw(app, panel, outcome) -> tuple[float, int]:
    """(seconds the window is blocked drawing and painting the grid for `outcome`, cards drawn)."""
    t0 = time.perf_counter()
    panel._show(outcome, "the open sequences")
    app.processEvents()  # the layout and the first paint of the new cards
    return time.perf_counter() - t0, len(panel.cards)


def filters_grid(app, window, folder, rounds=3):
    """The Filters grid for a 4,096-filter model: its first page, against every card drawn at once (as
    before the grid was paged)."""
    from deemo_gui.qt.panels import filters as F

    v = window.viewer
    if not v.files:
        window.open_file(str(TEST))
    entry = v.add_model(folded_model(folder), name="folded 4096")
    v.select_models([entry.name])
    panel = window.show_panel("Filters")
    assert panel.chooser.entry() is entry, "the Filters panel explains the model ticked last"
    panel.max_spin.setValue(200)
    worker = panel.run()
    assert worker is not None, panel.status.text()
    errors = []
    worker.errored.connect(errors.append)
    wait_until(app, lambda: panel.outcome is not None or errors or not worker.is_running(), timeout=900)
    wait_until(app, lambda: panel.outcome is not None or errors, timeout=10)
    assert not errors, errors
    outcome = panel.outcome
    paged = [_draw(app, panel, outcome) for _ in range(rounds)]
    page = F.PAGE
    F.PAGE = len(outcome.motifs)  # the baseline: every card at once
    try:
        everything = _draw(app, panel, outcome)
    finally:
        F.PAGE = page
    panel._show(outcome, "the open sequences")  # back to one page before the window closes
    v.select_models([])
    return len(outcome.motifs), outcome.n_filters, paged, everything


def filters_lines(result) -> list[str]:
    n_motifs, n_filters, paged, (all_seconds, all_cards) = result
    page_seconds = statistics.median(t for t, _ in paged)
    return [
        f"## Filters grid: a {n_filters:,}-filter model (the default recipe folded)",
        "",
        f"{n_motifs:,} filter motifs (fresh weights, 200 REST peaks). Time the window is blocked from showing "
        "the result to the grid drawn and painted. Baseline: every card at once, as before the grid was paged.",
        "",
        "| grid | cards | window blocked (s) |",
        "|---|---:|---:|",
        f"| first page (median of {len(paged)}) | {paged[0][1]} | {page_seconds:.2f} |",
        f"| every filter at once (baseline) | {all_cards:,} | {all_seconds:.1f} |",
        "",
        f"Paging: {all_seconds / page_seconds:.0f}x shorter.",
        "",
    ]


def startup(runs):
    out = []
    for _ in range(runs):
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", DEEMO_GUI_SETTINGS=tempfile.mktemp(suffix=".ini"))
        launched = time.time()
        proc = subprocess.run(
            [sys.executable, "-m", "deemo_gui", "--startup-time"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            timeout=120,
        )
        report = json.loads(proc.stdout.strip().splitlines()[-1])
        out.append(
            {
                "launch_to_window": report["wall_clock_at_window"] - launched,
                "panels": report["panels_ready_s"]
                + (report["wall_clock_at_window"] - launched)
                - report["first_window_s"],
                "torch": report["torch_ready_s"]
                + (report["wall_clock_at_window"] - launched)
                - report["first_window_s"],
                "torch_before_window": report["torch_imported_before_window"],
            }
        )
    return out


def dashboard_child() -> None:
    """In a fresh process: the window on the Dashboard tab with the REST example's sequences open and
    its 5 shipped models loaded (unticked), then all 5 ticked; prints JSON with the seconds from the
    tick until everything is drawn (every class-optimized logo included) and how many class
    optimizations ran."""
    from deemo_gui.examples import default_example
    from deemo_gui.qt.app import get_app
    from deemo_gui.qt.main_window import MainWindow
    from deemo_gui.viewer import Viewer

    app = get_app()
    viewer = Viewer()
    window = MainWindow(viewer)
    window.resize(1400, 900)
    window.show()
    wait_until(app, lambda: window.torch_is_ready, timeout=120)
    fastas, models = default_example()
    viewer.open(fastas[0])
    viewer.set_current(0)
    dash = window.show_panel("Dashboard")
    entries = [viewer.add_model(path, select=False) for path in models]  # loaded: the models are ready
    from deemo_gui.viewer import motif_jobs

    # the app is started: its jobs and the motif warm-up it runs in the background (FIMO, Tomtom) are done
    wait_until(app, lambda: not window.jobs.running and motif_jobs.is_warm(), timeout=300)
    started = []
    window.jobs.job_started.connect(lambda w: started.append(w.name))
    t0, cpu0 = time.perf_counter(), time.process_time()
    viewer.select_models(entries)

    def drawn():  # the Dashboard's own jobs done (the list predictions may still run) and all drawn
        plots = dash.classopt_plots
        return (
            dash.state == "ready"
            and dash.worker is None
            and len(plots) == len(models)
            and not any(w.is_running() for w in dash.classopt_workers.values())
            and all(p.placeholder is None for p in plots.values())
        )

    wait_until(app, drawn, timeout=900)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    # the background jobs (the whole-list predictions) end before the window closes: a process leaving
    # with a worker thread still running died at exit (SIGSEGV in Qt's teardown, after the figures)
    wait_until(app, lambda: not window.jobs.running, timeout=300)
    window.close()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu": cpu,
                "load": load,
                "models": len(models),
                "classopt_jobs": sum(n.startswith("Class optimization") for n in started),
            }
        )
    )


def _dashboard_run(cache: str, seeds: bool) -> dict:
    """`dashboard_child` in a fresh process with user cache folder `cache`, with or without the zoo's
    class optimization seeds."""
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        DEEMO_CACHE_DIR=cache,
        DEEMO_GUI_SETTINGS=tempfile.mktemp(suffix=".ini"),
    )
    env.pop("DEEMO_CLASSOPT_SEEDS", None)
    if not seeds:
        env["DEEMO_CLASSOPT_SEEDS"] = "off"
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--dashboard-child"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=1200,
    )
    if proc.returncode:
        raise RuntimeError(f"dashboard child exited with {proc.returncode}: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def dashboard_first_render(runs: int, baseline: bool = True):
    """Rows (what, seeds, cache, `dashboard_child` report). `runs` first starts of a new installation
    (each with its own empty user cache; the seeds shipped in models/classopt/), then, with
    `baseline`, the same first start without the seeds (5 x 1000 steps) and a restart that reads
    the user cache that start filled."""
    out = []
    for k in range(runs):
        cache = tempfile.mkdtemp(prefix="deemo-gui-cache-")
        out.append((f"first start {k + 1}", "shipped", "empty", _dashboard_run(cache, True)))
    if baseline:
        cache = tempfile.mkdtemp(prefix="deemo-gui-cache-")
        out.append(("baseline: first start without seeds", "off", "empty", _dashboard_run(cache, False)))
        out.append(("baseline: its restart", "off", "filled by the run above", _dashboard_run(cache, False)))
    return out


def dashboard_lines(runs) -> list[str]:
    lines = [
        "## Dashboard first render (REST example, 5 models, fresh process)",
        "",
        "The Dashboard open on a REST peak, the 5 shipped REST models loaded and the start-up warm-up done (FIMO, "
        "Tomtom): from ticking the models until everything is drawn (tracks, JASPAR hits, every class-optimized "
        'logo). Every run is a fresh process; "empty" is a new user cache folder (a new installation\'s first '
        "start). Seeds: the class optimizations the zoo ships (`models/classopt/`, `viewer/classopt_cache.py`); "
        '"off" (`DEEMO_CLASSOPT_SEEDS=off`) is the first start before the zoo carried them (5 x 1000 RMSprop '
        "steps), then a restart reading them from the user cache.",
        "",
        "| run | seeds | user cache | seconds to fully drawn | CPU seconds of the process | load average "
        "| class optimizations run |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {what} | {seeds} | {cache} | {r['seconds']:.2f} | {r['cpu']:.2f} | {r['load']:.1f} | {r['classopt_jobs']} |"
        for what, seeds, cache, r in runs
    ]
    return lines + [
        "",
        "CPU seconds: all threads of the app between the tick and the last logo (the whole-list predictions "
        "of the 5 models, a background job, included while they overlap). The machine's other load counts "
        "in the wall-clock figure, not in the CPU one.",
        "",
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--edits", type=int, default=30)
    parser.add_argument("--train-seconds", type=float, default=20.0)
    parser.add_argument("--startup-runs", type=int, default=3)
    parser.add_argument("--dashboard-runs", type=int, default=3)
    parser.add_argument("--update-benchmarks-md", action="store_true", help="also update BENCHMARKS.md")
    parser.add_argument("--dashboard-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--only-dashboard", action="store_true", help="measure the Dashboard's first render only")
    parser.add_argument("--only-filters", action="store_true", help="measure the Filters grid only")
    parser.add_argument(
        "--no-dashboard-baseline",
        action="store_true",
        help="skip the Dashboard's first start without the shipped class optimization seeds",
    )
    args = parser.parse_args(argv)
    if args.dashboard_child:
        dashboard_child()
        return 0
    if not args.only_filters:
        dashboards = dashboard_first_render(args.dashboard_runs, baseline=not args.no_dashboard_baseline)
        if args.only_dashboard:
            print("\n".join(dashboard_lines(dashboards)))
            return 0
        starts = startup(args.startup_runs)  # first, in fresh processes, before this one warms caches further

    import numpy as np
    import torch

    from deemo_gui.core.sequences import read_sequences
    from deemo_gui.qt.app import get_app
    from deemo_gui.qt.main_window import MainWindow
    from deemo_gui.viewer import Viewer

    app = get_app()
    folder = Path(tempfile.mkdtemp(prefix="deemo-gui-bench-"))
    os.environ["DEEMO_GUI_SETTINGS"] = str(folder / "settings.ini")
    window = MainWindow(Viewer())
    window.resize(1400, 900)
    window.show()
    wait_until(app, lambda: window.torch_is_ready, timeout=120)
    threads = torch.get_num_threads()
    if args.only_filters:
        print("\n".join(filters_lines(filters_grid(app, window, folder))))
        return 0

    edit_rows = edit_latency(app, window, ["cnn", "cnn-rnn"], args.edits, folder)

    idle = tick_gaps(app, 3.0)
    data = read_sequences(TRAIN)
    pick = np.sort(np.random.default_rng(0).choice(len(data), 1000, replace=False))
    subset = folder / "rest_1000.fa"
    subset.write_text("".join(f">{data.ids[i]}\n{data.seqs[i]}\n" for i in pick))
    grid = filters_grid(app, window, folder)
    stall_rows = []
    for preset in ("deepbind", "cnn"):
        gaps, n_steps, measured = training_stall(app, window, preset, args.train_seconds, subset)
        stall_rows.append(
            (preset, n_steps, max(gaps) * 1e3, percentile(gaps, 99) * 1e3, statistics.median(gaps) * 1e3, measured)
        )
    window.close()

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        "# GUI latency",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores, {threads} torch threads "
        f"(1 for one-sequence predictions), torch {torch.__version__}, PySide6 offscreen; load average "
        f"{load:.1f} at the end (the cores are shared, so numbers vary between runs).",
        "",
        "## Edit -> updated prediction (101 nt, real REST peak, one model selected)",
        "",
        "Typed base on the canvas -> viewer edit -> 30 ms debounce -> worker -> score in the viewer. "
        "Baseline: the bare forward pass of the same model on the same sequence.",
        "",
        "| preset | median (ms) | p95 (ms) | max (ms) | bare forward pass, median (ms) |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [f"| {p} | {m:.1f} | {q:.1f} | {x:.1f} | {f:.2f} |" for p, m, q, x, f in edit_rows]
    lines += [
        "",
        f"{args.edits} edits per preset. The debounce (30 ms) is a floor by design: typing several bases in "
        "a row runs one prediction, not one per key.",
        "",
        "## Event-loop stalls while a model trains (QTimer every 10 ms)",
        "",
        "| condition | seconds measured | training steps | longest gap (ms) | p99 gap (ms) | median gap (ms) |",
        "|---|---:|---:|---:|---:|---:|",
        f"| idle (baseline) | 3.0 | — | {max(idle) * 1e3:.1f} | {percentile(idle, 99) * 1e3:.1f} | "
        f"{statistics.median(idle) * 1e3:.1f} |",
    ]
    lines += [
        f"| training `{p}` on 1,000 REST peaks + shuffles | {t:.1f} | {n} | {mx:.1f} | {p99:.1f} | {md:.1f} |"
        for p, n, mx, p99, md, t in stall_rows
    ]
    lines += [
        "",
        f"Each training is measured for up to {args.train_seconds:.0f} s (less when early stopping ends it), then "
        "cancelled (the best model so far is kept). The GUI thread only receives progress events; the curves "
        "redraw at 5 Hz (a translucent full grid on the plots cost ~45 ms per repaint and was removed).",
        "",
        "## Time to first window (fresh process, `python -m deemo_gui --startup-time`)",
        "",
        "| run | launch -> window painted (s) | panels built (s) | torch + networks ready (s) "
        "| torch imported before the window |",
        "|---|---:|---:|---:|---|",
    ]
    lines += [
        f"| {k + 1} | {s['launch_to_window']:.2f} | {s['panels']:.2f} | {s['torch']:.2f} | "
        f"{'yes' if s['torch_before_window'] else 'no'} |"
        for k, s in enumerate(starts)
    ]
    lines += [
        "",
        "The window is painted before torch is imported; torch, the network presets and the shipped models' "
        "metadata load in a worker 100 ms later, and the panels (pyqtgraph) are built right after the first paint.",
        "",
    ]
    lines += filters_lines(grid)
    lines += dashboard_lines(dashboards)
    body = "\n".join(lines)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(body)
    print(body)
    if args.update_benchmarks_md:
        from benchmarks.report import replace_section

        replace_section("gui_latency", "## GUI latency (`benchmarks/gui_latency.py`)\n\n" + body.split("\n", 2)[2])
    return 0


if __name__ == "__main__":
    sys.exit(main())
