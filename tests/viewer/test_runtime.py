"""The model runtime (`viewer.runtime`): one owner per model, jobs borrow the network from it, and
unticking, moving or removing a model cancels its jobs and waits for them first."""

import threading
import time

import pytest
import torch

from deemo_gui.core.networks import build_network as build_model
from deemo_gui.viewer import Viewer
from deemo_gui.viewer import analysis as A
from deemo_gui.viewer.runtime import Cancelled, Owner

SEQ = "ACGT" * 25 + "A"


@pytest.fixture
def viewer():
    torch.manual_seed(0)
    v = Viewer()
    v.add_model_object(build_model("cnn"), name="cnn")
    v.add_model_object(build_model("cnn"), name="other")
    return v


def _slow_job(owner, started, release, log):
    """A job that holds the network for one step until `release` is set, then tries one more step."""

    def steps(net):
        with torch.no_grad():
            net(torch.zeros(1, 4, 101))
        started.set()
        release.wait(5)
        log.append("first step done")
        yield 1
        log.append("second step ran")  # must never happen once cancelled
        yield 2

    def run():
        try:
            for _ in owner.run(steps):
                pass
            log.append("finished")
        except Cancelled:
            log.append("cancelled")

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_unticking_cancels_the_job_without_blocking(viewer):
    entry = viewer.model("cnn")
    owner = viewer.runtime.owner(entry)
    started, release, log = threading.Event(), threading.Event(), []
    thread = _slow_job(owner, started, release, log)
    assert started.wait(5) and owner.busy
    t0 = time.perf_counter()
    viewer.select_models(["other"])  # unticks cnn: its job is cancelled, the GUI does not wait
    assert time.perf_counter() - t0 < 1.0 and log == []
    release.set()
    thread.join(5)
    assert log == ["first step done", "cancelled"] and not owner.busy  # it never ran another step


def test_cancel_with_wait_returns_after_the_step(viewer):
    owner = viewer.runtime.owner(viewer.model("cnn"))
    started, release, log = threading.Event(), threading.Event(), []
    thread = _slow_job(owner, started, release, log)
    assert started.wait(5)
    threading.Timer(0.3, release.set).start()
    t0 = time.perf_counter()
    owner.cancel(wait=True)
    assert time.perf_counter() - t0 >= 0.25 and log == ["first step done"]
    thread.join(5)
    assert log == ["first step done", "cancelled"]


def test_remove_waits_then_the_owner_takes_no_job(viewer):
    entry = viewer.model("cnn")
    owner = viewer.runtime.owner(entry)
    started, release, log = threading.Event(), threading.Event(), []
    thread = _slow_job(owner, started, release, log)
    assert started.wait(5)
    t0 = time.perf_counter()
    viewer.remove_model("cnn")  # returns at once: the copy is freed after the step
    assert time.perf_counter() - t0 < 1.0 and owner.closed and owner._copy is not None and log == []
    with pytest.raises(Cancelled):
        owner.begin()
    release.set()
    assert owner.settle(5) and owner._copy is None
    thread.join(5)
    assert log == ["first step done", "cancelled"]
    assert viewer.runtime.owner(viewer.model("other")) is not owner


def test_set_device_while_a_job_runs_moves_only_after_its_step(viewer, monkeypatch):
    entry = viewer.model("cnn")
    owner = viewer.runtime.owner(entry)
    moved_during_step = []
    started, release, log = threading.Event(), threading.Event(), []
    original_to = entry.to
    monkeypatch.setattr(
        entry, "to", lambda device: (moved_during_step.append(not release.is_set()), original_to(device))
    )
    thread = _slow_job(owner, started, release, log)
    assert started.wait(5)
    t0 = time.perf_counter()
    viewer.set_device("cpu")  # returns at once; the move waits for the step
    assert time.perf_counter() - t0 < 1.0 and moved_during_step == []
    release.set()
    assert owner.settle(5)
    thread.join(5)
    assert moved_during_step == [False] and log == ["first step done", "cancelled"]
    viewer.set_device("cpu")  # no job running: moved before the call returns
    assert moved_during_step == [False, False]
    # a new job after the move works, on a fresh analysis copy on the new device
    out = A.drain(owner.run(lambda net: A.iter_analyze(entry, SEQ, ("prob",), network=net)))
    assert out["prob"].shape == (1,)


def test_stale_results_are_not_current(viewer):
    entry = viewer.model("cnn")
    owner = viewer.runtime.owner(entry)
    job = owner.begin()
    assert job.current
    owner.cancel()  # the model was unticked: what the job computes is no longer wanted
    assert not job.current and job.cancelled
    with pytest.raises(Cancelled), owner.use(job):
        pass
    owner.end(job)
    fresh = owner.begin()
    assert fresh.current  # a job begun after the cancel is wanted
    owner.end(fresh)


def test_analyses_use_one_private_copy_not_the_live_network(viewer):
    entry = viewer.model("cnn")
    owner = viewer.runtime.owner(entry)
    with owner.borrow() as first:
        pass
    with owner.borrow() as second:
        pass
    with owner.borrow(shared=True) as live:
        pass
    assert first is second and first is not entry.module and live is entry.module
    # guided backpropagation patches the copy for the call and restores it: nothing is copied per call
    out = A.drain(owner.run(lambda net: A.iter_analyze(entry, SEQ, ("guided", "saliency"), network=net)))
    ref = A.analyze_sequence(entry.module, SEQ, ("guided", "saliency"))
    torch.testing.assert_close(torch.as_tensor(out["guided"]), torch.as_tensor(ref["guided"]))
    torch.testing.assert_close(torch.as_tensor(out["saliency"]), torch.as_tensor(ref["saliency"]))


def test_shared_users_run_together_and_a_move_waits_for_all(viewer):
    owner = Owner(viewer.model("cnn"))
    inside = []
    gate = threading.Event()

    def predict():
        with owner.borrow(shared=True):
            inside.append(1)
            gate.wait(5)

    threads = [threading.Thread(target=predict) for _ in range(2)]
    for t in threads:
        t.start()
    deadline = time.time() + 5
    while len(inside) < 2 and time.time() < deadline:
        time.sleep(0.01)
    assert len(inside) == 2  # two predictions at once
    threading.Timer(0.2, gate.set).start()
    t0 = time.perf_counter()
    owner.move("cpu")
    assert time.perf_counter() - t0 >= 0.15
    for t in threads:
        t.join(5)


def test_a_job_over_several_models_stops_when_one_is_removed(viewer):
    entries = [viewer.model("cnn"), viewer.model("other")]
    steps, gate = [], threading.Event()

    def scores():
        for k in range(3):
            with torch.no_grad():
                [e.module(torch.zeros(1, 4, 101)) for e in entries]
            steps.append(k)
            gate.wait(5)
            yield k

    outcome = []

    def run():
        try:
            A.drain(viewer.runtime.run_shared(entries, scores))
            outcome.append("finished")
        except Cancelled:
            outcome.append("cancelled")

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.time() + 5
    while not steps and time.time() < deadline:
        time.sleep(0.01)
    removed = viewer.runtime.owner(entries[1])
    viewer.remove_model("other")  # returns at once; frees the model after the step
    assert not removed.settle(0.1)  # the step reading both networks is still running
    gate.set()
    assert removed.settle(5)
    thread.join(5)
    assert outcome == ["cancelled"] and steps == [0]
    assert not viewer.runtime.owner(entries[0]).busy
