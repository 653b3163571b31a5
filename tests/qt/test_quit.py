"""Quitting hides the window at once, even while a job that cannot stop mid-step still runs."""

import threading

from deemo_gui.qt.workers import Worker


def test_the_window_is_gone_before_close_waits_for_a_job_that_cannot_stop(open_window):
    win = open_window()
    release = threading.Event()
    worker = Worker(lambda: release.wait(10), name="Loading deep-learning libraries")  # no cancel point
    win.jobs.start(worker)
    seen = {}
    cancel_all = win.jobs.cancel_all

    def watch(*args, **kwargs):
        seen["visible while waiting"] = win.isVisible()
        release.set()  # the job ends: close can finish
        return cancel_all(*args, **kwargs)

    win.jobs.cancel_all = watch
    assert win.close()
    assert seen == {"visible while waiting": False}
    assert worker.wait(5000)
