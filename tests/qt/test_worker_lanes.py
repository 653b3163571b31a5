"""Background jobs (whole-list predictions) run one at a time and only while no other job runs; a job
whose model went away (`runtime.Cancelled`) ends as aborted, never as an error."""

import threading
import time

import pytest

from deemo_gui.qt import workers
from deemo_gui.qt.workers import Worker
from deemo_gui.viewer.runtime import Cancelled


@pytest.fixture(autouse=True)
def no_jobs_left_by_earlier_tests():
    """A job an earlier test's window left running holds the lanes: cancel it and let it end first."""
    for w in list(workers._UNFINISHED):
        w.cancel()
    for w in list(workers._UNFINISHED):
        assert w.wait(120_000), f"{w.name} from an earlier test did not stop"


def test_background_jobs_wait_for_the_foreground_and_each_other(qtbot):
    log, lock = [], threading.Lock()

    def job(name, seconds):
        with lock:
            log.append(("start", name, time.perf_counter()))
        time.sleep(seconds)
        with lock:
            log.append(("end", name, time.perf_counter()))
        return name

    fg = Worker(job, "fg", 0.4)
    bgs = [Worker(job, f"bg{k}", 0.1, background=True) for k in range(3)]
    fg.start()
    qtbot.waitUntil(lambda: any(e[1] == "fg" for e in log), timeout=5000)
    for w in bgs:
        w.start()
    for w in (fg, *bgs):
        assert w.wait(10_000)
    when = {(kind, name): t for kind, name, t in log}
    assert all(when[("start", f"bg{k}")] >= when[("end", "fg")] for k in range(3))
    spans = sorted((when[("start", f"bg{k}")], when[("end", f"bg{k}")]) for k in range(3))
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(spans, spans[1:]))  # one at a time


def test_a_cancelled_model_job_is_aborted_not_an_error(qtbot):
    def job():
        yield 1
        raise Cancelled("the model was removed")

    worker = Worker(job)
    aborted, errors = [], []
    worker.aborted.connect(lambda: aborted.append(True))
    worker.errored.connect(errors.append)
    with qtbot.waitSignal(worker.finished, timeout=5000):
        worker.start()
    qtbot.waitUntil(lambda: bool(aborted), timeout=2000)
    assert not errors and worker.cancelled


def test_an_error_after_its_window_closed_is_logged_not_dropped(qtbot, caplog):
    import shiboken6
    from PySide6.QtCore import QObject

    owner = QObject()
    started = threading.Event()
    go = threading.Event()

    def job():
        started.set()
        go.wait(5)
        raise ValueError("record 7 is broken")

    w = Worker(job, name="Saliency maps")
    w.owner = owner
    errors = []
    w.errored.connect(errors.append)
    w.start()
    assert started.wait(5)
    owner.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(owner), timeout=5000)
    with caplog.at_level("ERROR", logger="deemo_gui.qt.workers"):
        go.set()
        assert w.wait(5000)
        qtbot.waitUntil(lambda: any("Saliency maps failed" in r.message for r in caplog.records), timeout=5000)
    assert not errors  # nothing reached the (gone) window's handlers
    assert "record 7 is broken" in caplog.text
