"""The randomized soak of the real window (tests/qt/soak.py), and the failures it found, each kept as a test.

The soak runs in a child process (`python -X faulthandler`), so a segfault or an abort fails the test
with the faulthandler dump and the last actions instead of killing pytest; a short one also runs
in-process under pytest-qt, whose exception capture fails the test on any exception in a slot.
"""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
EXAMPLES = ROOT / "resources" / "examples"


def run_soak(seed: int, actions: int, tmp_path, timeout: int, xvfb: bool = False, weights=()) -> dict:
    """The soak in a child process; its summary, or a failure with the seed, the crash dump and the last actions."""
    env = dict(
        os.environ,
        DEEMO_GUI_SETTINGS=str(tmp_path / "settings.ini"),
        DEEMO_DATA_DIR=str(tmp_path / "data"),
        OMP_NUM_THREADS="1",
    )
    cmd = [sys.executable, "-X", "faulthandler", str(HERE / "soak.py"), "--seed", str(seed), "--actions", str(actions)]
    cmd += [f"--weight={w}" for w in weights]
    if xvfb:
        cmd = ["xvfb-run", "-a", *cmd, "--platform", "xcb"]
    else:
        env["QT_QPA_PLATFORM"] = "offscreen"
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        last = "\n".join(out.splitlines()[-30:])
        pytest.fail(f"soak seed {seed} did not finish in {timeout} s (a hang?); last actions:\n{last}")
    lines = done.stdout.splitlines()
    summary = next((json.loads(l[5:]) for l in lines if l.startswith("SOAK ")), None)
    if done.returncode != 0 or summary is None:
        actions_log = "\n".join(l for l in lines if not l.startswith("SOAK "))
        stderr = "\n".join(l for l in done.stderr.splitlines() if "propagateSizeHints" not in l)
        pytest.fail(
            f"soak seed {seed} ({'xvfb' if xvfb else 'offscreen'}) exited {done.returncode}; "
            f"last actions:\n{chr(10).join(actions_log.splitlines()[-30:])}\n--- stderr ---\n{stderr[-8000:]}"
        )
    return summary


def test_short_soak_in_a_child_process(tmp_path):
    # quitting right after starting a job is made likelier: a short run then closes a few windows
    summary = run_soak(seed=0, actions=300, tmp_path=tmp_path, timeout=400, weights=["quit_during_job=1.5"])
    assert summary["failures"] == 0 and summary["actions"] == 300
    assert summary["events"].get("shortcut_missed", 0) == 0
    assert summary["events"]["ticks_toggled"] > 50  # the clicks hit the check boxes
    assert summary["windows"] >= 2 and summary["events"].get("jobs_started", 0) > 0


def test_short_soak_in_process(qtbot):
    """The same driver under pytest-qt: its exception capture fails this test on any exception in a slot."""
    sys.path.insert(0, str(HERE))
    try:
        from soak import Soak
    finally:
        sys.path.remove(str(HERE))
    soak = Soak(seed=11, actions=120)
    summary = soak.run()
    assert not soak.failures.items, soak.report()
    assert summary["actions"] == 120 and summary["events"]["ticks_toggled"] > 10


@pytest.mark.slow
@pytest.mark.parametrize("seed", [101, 102, 103, 104])
def test_long_soak_offscreen(seed, tmp_path):
    """4 seeds x 2,500 actions: the 10,000-action figure."""
    summary = run_soak(seed=seed, actions=2500, tmp_path=tmp_path, timeout=3600)
    assert summary["failures"] == 0 and summary["actions"] == 2500


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run is not installed")
@pytest.mark.parametrize("seed", [201, 202])
def test_long_soak_in_a_real_x_window(seed, tmp_path):
    summary = run_soak(seed=seed, actions=1000, tmp_path=tmp_path, timeout=3600, xvfb=True)
    assert summary["failures"] == 0 and summary["actions"] == 1000
    assert summary["events"].get("shortcut_missed", 0) == 0  # every Ctrl+O / Ctrl+M opened its dialog


# -- what the soak found ---------------------------------------------------------------------------


def test_list_prediction_survives_closing_a_file_while_it_runs():
    """Soak seed 1: "Predicting the list" read the records from the worker thread while File ▸ Close
    file shrank them (IndexError in Viewer.sequence). The job reads them when it is made."""
    from deemo_gui.core.zoo import zoo_dir
    from deemo_gui.viewer import Viewer

    v = Viewer()
    v.open(EXAMPLES / "REST_GM12878_test.fa")
    v.open(EXAMPLES / "CTCF_test.fa")
    entry = v.add_model(zoo_dir() / "REST_GM12878_deepbind.safetensors")
    n = v.n_sequences
    job = v.iter_predict_list(entry, batch_size=500)
    assert next(job) == (500, n)
    v.close_file(1)
    assert v.n_sequences < n
    while True:
        try:
            next(job)
        except StopIteration as stop:
            table = stop.value
            break
    assert table.shape == (n, 1)
    v.set_list_predictions(entry.name, table)  # the list changed meanwhile: not taken
    assert entry.name not in v.list_predictions


def test_exit_with_a_job_still_running_does_not_abort(tmp_path):
    """Soak seed 1, at the end: a job still inside a long step when the window stopped waiting for it;
    at exit its QThread was destroyed while running ("QThread: Destroyed while thread is still
    running", SIGABRT). Exit now cancels the jobs and waits for them."""
    script = tmp_path / "exit_while_running.py"
    script.write_text(
        textwrap.dedent("""
        import time
        from PySide6.QtCore import QCoreApplication
        from deemo_gui.qt.workers import Worker

        app = QCoreApplication([])

        def slow():
            for k in range(40):
                time.sleep(0.05)
                yield k

        worker = Worker(slow, name="slow")
        worker.start()
        time.sleep(0.2)
        print("exiting", flush=True)
    """)
    )
    done = subprocess.run(
        [sys.executable, "-X", "faulthandler", str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen"),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "exiting" in done.stdout and "Destroyed while thread" not in done.stderr


def _list_prediction_running(v, entry):
    """Start the viewer's list prediction of `entry` in a thread; returns the thread once inside its first step."""
    import threading
    import time

    from deemo_gui.viewer.runtime import Cancelled

    job = v.iter_predict_list(entry)
    inside = threading.Event()

    def run():
        try:
            inside.set()
            for _ in job:
                pass
        except Cancelled:
            pass

    thread = threading.Thread(target=run)
    thread.start()
    inside.wait(5)
    time.sleep(0.3)  # the job is inside its first batch
    return thread


def _rest_viewer():
    """A viewer with three example files and the REST cnn-rnn (a list prediction's first step takes seconds)."""
    from deemo_gui.core.zoo import zoo_dir
    from deemo_gui.viewer import Viewer

    v = Viewer()
    for name in ("REST_GM12878_test.fa", "CTCF_test.fa", "SP1_GM12878_test.fa"):  # 6,000 records
        v.open(EXAMPLES / name)
    entry = v.add_model(zoo_dir() / "REST_GM12878_cnn-rnn.safetensors")
    assert entry.module is not None  # loaded before the timing
    return v, entry


def test_unticking_a_model_during_its_list_prediction_returns_at_once():
    """The soak's longest GUI stalls (2-57 s) were unticks waiting for the list prediction's batch;
    unticking no longer waits (viewer.runtime)."""
    import time

    v, entry = _rest_viewer()
    thread = _list_prediction_running(v, entry)
    t0 = time.perf_counter()
    v.select_models([])
    took = time.perf_counter() - t0
    thread.join(120)
    assert took < 1.0, f"unticking waited {took:.1f} s for the list prediction's batch"


@pytest.mark.slow
def test_changing_the_device_during_a_list_prediction_returns_at_once():
    """The soak saw 12-84 s frozen windows on a device change while the list was predicted (Owner.move
    waited on the GUI thread for the job's step); the move now happens when the step ends, off the GUI
    thread."""
    import time

    v, entry = _rest_viewer()
    thread = _list_prediction_running(v, entry)
    t0 = time.perf_counter()
    v.set_device("cpu")
    took = time.perf_counter() - t0
    thread.join(120)
    assert took < 1.0, f"changing the device waited {took:.1f} s for the list prediction's batch"


def test_a_job_that_outlives_its_window_never_calls_into_its_deleted_widgets(qtbot):
    """Soak seeds 102 and 103: a motif extraction still running after its window was closed and deleted
    set the deleted panel's status label from its progress and aborted lambdas (RuntimeError: Internal
    C++ object already deleted). A window's jobs now report only while the window exists."""
    import threading

    import shiboken6
    from PySide6.QtWidgets import QLabel, QWidget

    from deemo_gui.qt.workers import JobManager, Worker

    window = QWidget()
    status = QLabel(window)
    jobs = JobManager(window)
    go_on = threading.Event()

    def job():
        go_on.wait(10)
        yield 1, 1, "late progress"
        return "late result"

    worker = Worker(job, name="outlives its window", progress=lambda p: p)
    worker.progress.connect(lambda d, t, text: status.setText(text))
    worker.returned.connect(lambda out: status.setText(out))
    jobs.start(worker)
    shiboken6.delete(window)
    assert not shiboken6.isValid(status)
    go_on.set()
    assert worker.wait(10_000)
    qtbot.wait(100)  # any queued call into the deleted label would fail this test (pytest-qt)
