"""Long work off the GUI thread: generator jobs with progress, cancel, and error reporting.

The idea is napari's `thread_worker` (superqt.utils): a function runs in a QThread; if it is a
generator, every yielded value reaches the GUI thread as `yielded`, and its return value as
`returned`. Written on QThread directly because importing superqt adds ~0.4 s to the start.

    job = Worker(train_job, data, name="Training")   # a generator function
    job.yielded.connect(on_event)
    job.returned.connect(on_done)
    window.jobs.start(job)                            # status-bar progress + Cancel; errors -> dialog

Cancel: `job.cancel()` calls the job's own `cancel` callback if one was given (e.g. `Trainer.cancel`,
which lets the job finish cleanly and return the best model), otherwise closes the generator at
its next yield; a cancelled job without a callback emits `aborted` instead of `returned`.
`background=True` jobs (e.g. predicting the whole list) run one at a time, while no other job runs.
"""

from __future__ import annotations

import atexit
import inspect
import logging
import sys
import threading
import time
from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from deemo_gui.viewer.keys import PredictKey
from deemo_gui.viewer.runtime import Cancelled

log = logging.getLogger(__name__)

DEFAULT_TORCH_THREADS: int | None = None  # captured on the GUI thread once torch is imported


def set_torch_threads(n: int | None) -> None:
    """Set torch's intra-op threads for the calling thread's work (no-op before torch is imported).

    One thread for one-sequence predictions: on a busy 2-core machine two OpenMP threads made a
    single 101-nt CNN forward pass ~50x slower (1 ms vs 50-100 ms), and batch-of-one work gains
    nothing from parallelism.
    """
    torch = sys.modules.get("torch")
    if torch is None:
        return
    global DEFAULT_TORCH_THREADS
    if DEFAULT_TORCH_THREADS is None:
        DEFAULT_TORCH_THREADS = torch.get_num_threads()
    target = n if n is not None else DEFAULT_TORCH_THREADS
    if target and torch.get_num_threads() != target:
        torch.set_num_threads(target)


def _max_args(callback) -> int | None:
    try:
        params = inspect.signature(callback).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind == p.VAR_POSITIONAL for p in params):
        return None
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)


def observe(signal, owner, callback) -> Callable:
    """Connect a viewer (psygnal) event to a widget's callback for as long as the widget exists.

    The viewer can outlive its window (scripts, tests); once Qt has deleted `owner`, the connection
    removes itself instead of calling into a dead widget. Extra event arguments are dropped to fit
    the callback, as psygnal does.
    """
    n = _max_args(callback)

    def guarded(*args):
        if not shiboken6.isValid(owner):
            signal.disconnect(guarded)
            return None
        return callback(*(args if n is None else args[:n]))

    signal.connect(guarded, check_nargs=False)
    return guarded


class _Thread(QThread):
    def __init__(self, worker: Worker):
        super().__init__()
        self.worker = worker

    def run(self) -> None:
        self.worker._execute()


class Worker(QObject):
    """Runs `func(*args, **kwargs)` in its own QThread. See the module docstring."""

    started = Signal()
    yielded = Signal(object)
    returned = Signal(object)
    errored = Signal(object)  # the exception (traceback attached)
    aborted = Signal()
    finished = Signal()  # always last
    progress = Signal(int, int, str)  # done, total (0: unknown), text
    # What the worker thread emits: (signal name, arguments), re-emitted on the GUI thread by `_relay`
    # only while `owner` (the window, set by `JobManager.start`) exists. The panels connect lambdas,
    # which Qt cannot disconnect when the panel dies: a job that outlived its closed window called
    # into deleted labels (RuntimeError, found by the soak).
    _from_thread = Signal(str, object)

    def __init__(
        self,
        func: Callable,
        *args,
        name: str = "",
        cancel: Callable | None = None,
        progress: Callable | None = None,
        torch_threads: int | None = None,
        silent: bool = False,
        background: bool = False,
        **kwargs,
    ):
        super().__init__()
        self.func, self.args, self.kwargs = func, args, kwargs
        self.background = background
        self.name = name or getattr(func, "__name__", "job")
        self._cancel_callback = cancel
        self._progress_of = progress
        self.torch_threads = torch_threads
        self.silent = silent
        self._abort = threading.Event()
        self._thread: _Thread | None = None
        self.result = None
        self.error: BaseException | None = None
        self.owner: QObject | None = None
        self._from_thread.connect(self._relay)

    # -- GUI thread -------------------------------------------------------------------------
    def start(self) -> Worker:
        self._thread = _Thread(self)
        self._thread.finished.connect(self._on_thread_finished)
        _UNFINISHED.add(self)
        self._thread.start()
        return self

    def cancel(self) -> None:
        """Ask the job to stop (its cancel callback, else close the generator at its next yield)."""
        self._abort.set()
        if self._cancel_callback is not None:
            try:
                self._cancel_callback()
            except Exception:  # a failing cancel must not take the GUI down
                log.exception("cancelling %s failed", self.name)

    @property
    def cancelled(self) -> bool:
        return self._abort.is_set()

    def is_running(self) -> bool:
        return self._thread is not None and self._thread.isRunning()

    def wait(self, ms: int = 30_000) -> bool:
        """Block until the thread ends (for shutdown and tests); True if it did."""
        return self._thread is None or self._thread.wait(ms)

    def _on_thread_finished(self) -> None:
        _UNFINISHED.discard(self)
        if self._owner_alive():
            self.finished.emit()

    def _owner_alive(self) -> bool:
        return self.owner is None or shiboken6.isValid(self.owner)

    def _relay(self, name: str, args: tuple) -> None:
        if self._owner_alive():
            getattr(self, name).emit(*args)
        elif name == "errored":  # no window left to show it in: the log keeps it
            exc = args[0]
            log.error("%s failed after its window closed", self.name, exc_info=(type(exc), exc, exc.__traceback__))

    # -- worker thread ----------------------------------------------------------------------
    def _execute(self) -> None:
        set_torch_threads(self.torch_threads)
        self._from_thread.emit("started", ())
        if self.background and not self._wait_for_background_lane():
            self._from_thread.emit("aborted", ())
            return
        if not self.background:
            _LANES.enter()
        try:
            out = self.func(*self.args, **self.kwargs)
            if hasattr(out, "__next__") and hasattr(out, "send"):
                out = self._drain(out)
                if out is _ABORTED:
                    self._from_thread.emit("aborted", ())
                    return
            self.result = out
            self._from_thread.emit("returned", (out,))
        except Cancelled:  # the job's model was unticked, moved or removed (viewer.runtime)
            self._abort.set()
            self._from_thread.emit("aborted", ())
        except BaseException as exc:  # noqa: BLE001 - every failure goes to the GUI as errored
            self.error = exc
            self._from_thread.emit("errored", (exc,))
        finally:
            if self.background:
                _LANES.background.release()
            else:
                _LANES.leave()

    def _wait_for_background_lane(self) -> bool:
        """Background jobs (whole-list predictions) run one at a time and only while no other job
        runs, so what the user looks at (the panels, the live prediction) never waits for them.
        False if cancelled while waiting."""
        while not _LANES.take_background(0.05):
            if self._abort.is_set():
                return False
        return True

    def _drain(self, gen):
        while True:
            if self._abort.is_set() and self._cancel_callback is None:
                gen.close()
                return _ABORTED
            try:
                value = next(gen)
            except StopIteration as stop:
                return stop.value
            if self._progress_of is not None:
                p = self._progress_of(value)
                if p is not None:
                    self._from_thread.emit("progress", (int(p[0]), int(p[1]), str(p[2]) if len(p) > 2 else ""))
            self._from_thread.emit("yielded", (value,))


_ABORTED = object()


class _Lanes:
    """Counts the running foreground jobs; one background job at a time runs when there are none."""

    def __init__(self):
        self.background = threading.Lock()
        self._cond = threading.Condition()
        self._foreground = 0

    def enter(self) -> None:
        with self._cond:
            self._foreground += 1

    def leave(self) -> None:
        with self._cond:
            self._foreground -= 1
            self._cond.notify_all()

    def take_background(self, timeout: float) -> bool:
        with self._cond:
            if self._foreground and not self._cond.wait_for(lambda: not self._foreground, timeout):
                return False
        return self.background.acquire(timeout=timeout)


_LANES = _Lanes()  # see Worker._wait_for_background_lane
# Started workers whose thread has not ended, kept alive here: a QThread destroyed while it runs aborts
# the process, which happened when a closed window's job manager (and so its workers) was freed, or
# at exit, with a job still inside a long step after `cancel_all` stopped waiting (found by the soak).
_UNFINISHED: set[Worker] = set()


@atexit.register
def _wait_unfinished() -> None:
    """At exit: cancel the jobs still running and wait for their threads to end."""
    for worker in list(_UNFINISHED):
        worker.cancel()
    for worker in list(_UNFINISHED):
        log.info("waiting for %s to stop before exit", worker.name)
        if worker._thread is not None:
            worker._thread.wait()


class JobManager(QObject):
    """Starts workers, keeps them alive, reports their errors, and shows the newest one in the status bar.

    With a `viewer`, a model whose file failed to load in a job is not reported per job: after each job
    the viewer deselects such models and announces each once (`model_broken`).
    """

    job_started = Signal(object)
    job_finished = Signal(object)

    def __init__(self, parent_widget, status: JobStatus | None = None, viewer=None):
        super().__init__(parent_widget)
        self.parent_widget = parent_widget
        self.status = status
        self.viewer = viewer
        self.running: list[Worker] = []

    def start(self, worker: Worker, report_errors: bool = True, context: str = "") -> Worker:
        worker.owner = self.parent_widget  # its results reach the panels only while the window exists
        self.running.append(worker)
        if report_errors:
            worker.errored.connect(lambda exc, w=worker: self._report(w, exc, context))
        worker.finished.connect(lambda w=worker: self._finished(w))
        if self.status is not None and not worker.silent:
            self.status.track(worker)
        worker.start()
        self.job_started.emit(worker)
        return worker

    def _report(self, worker: Worker, exc: BaseException, context: str) -> None:
        from deemo_gui.qt.errors import report_exception
        from deemo_gui.viewer.entries import BrokenModelError

        if isinstance(exc, BrokenModelError) and self.viewer is not None:
            log.warning("%s: %s", context or worker.name, exc)
            return
        alive = shiboken6.isValid(self.parent_widget)
        report_exception(self.parent_widget if alive else None, exc, context or worker.name, dialog=alive)

    def _finished(self, worker: Worker) -> None:
        if worker in self.running:
            self.running.remove(worker)
        if shiboken6.isValid(self):
            if self.viewer is not None:
                self.viewer.deselect_broken_models()
            self.job_finished.emit(worker)

    def cancel_all(self, wait_ms: int = 10_000) -> None:
        """Cancel every job and wait for the threads (at window close)."""
        for w in list(self.running):
            w.cancel()
        deadline = time.perf_counter() + wait_ms / 1000
        for w in list(self.running):
            w.wait(max(1, int((deadline - time.perf_counter()) * 1000)))

    def wait_idle(self, wait_ms: int = 30_000) -> bool:
        deadline = time.perf_counter() + wait_ms / 1000
        ok = True
        for w in list(self.running):
            ok &= w.wait(max(1, int((deadline - time.perf_counter()) * 1000)))
        return ok


LABEL_WIDTH = 560  # pixels of the status bar's job line (the window's own messages keep the rest)


class JobStatus(QWidget):
    """Status-bar widget: the newest visible job's name, a progress bar and a Cancel button."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.label = QLabel()
        self.label.setMaximumWidth(LABEL_WIDTH)  # long progress lines are elided, whole in the tooltip
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(180)
        self.bar.setMaximumHeight(16)
        self.bar.setTextVisible(False)
        self.cancel_button = QToolButton(text="Cancel")
        self.cancel_button.setToolTip("Stop this job (training keeps the best model so far)")
        self.cancel_button.clicked.connect(self._cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 6, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self.jobs: list[Worker] = []
        self.setVisible(False)

    def track(self, worker: Worker) -> None:
        import shiboken6

        self.jobs.append(worker)
        # The worker may outlive this widget (a window closed while a job ends): then do nothing.
        alive = lambda: shiboken6.isValid(self)  # noqa: E731

        def progress(d, t, text, w=worker) -> None:
            if alive():
                self._progress(w, d, t, text)

        def finished(w=worker) -> None:
            if alive():
                self._done(w)

        worker.progress.connect(progress)
        worker.finished.connect(finished)
        self._show(worker)

    def _set_label(self, text: str) -> None:
        metrics = self.label.fontMetrics()
        self.label.setText(metrics.elidedText(text, Qt.TextElideMode.ElideRight, LABEL_WIDTH))
        self.label.setToolTip(text)

    def _show(self, worker: Worker, text: str = "") -> None:
        self._set_label(f"{worker.name}{' — ' + text if text else ''}")
        self.bar.setRange(0, 0)  # busy until the first progress report
        self.cancel_button.setEnabled(not worker.cancelled)
        self.setVisible(True)

    def current(self) -> Worker | None:
        return self.jobs[-1] if self.jobs else None

    def _progress(self, worker: Worker, done: int, total: int, text: str) -> None:
        if worker is not self.current():
            return
        more = f" (+{len(self.jobs) - 1} more)" if len(self.jobs) > 1 else ""
        self._set_label(f"{worker.name}{' — ' + text if text else ''}{more}")
        if total > 0:
            self.bar.setRange(0, total)
            self.bar.setValue(min(done, total))
        else:
            self.bar.setRange(0, 0)

    def _done(self, worker: Worker) -> None:
        if worker in self.jobs:
            self.jobs.remove(worker)
        if self.jobs:
            self._show(self.jobs[-1])
        else:
            self.setVisible(False)

    def _cancel(self) -> None:
        worker = self.current()
        if worker is not None:
            worker.cancel()
            self.cancel_button.setEnabled(False)
            self._set_label(f"{worker.name} — cancelling…")


class LivePredictor(QObject):
    """Re-predicts the current sequence with every selected model after each edit.

    Edits are debounced (30 ms) and one prediction job runs at a time; if the sequence changed while
    it ran, one more job runs for the newest text. Results go back to the viewer on the GUI thread.
    """

    DEBOUNCE_MS = 30

    def __init__(self, viewer, jobs: JobManager, parent=None):
        super().__init__(parent)
        self.viewer, self.jobs = viewer, jobs
        self.timer = QTimer(self, singleShot=True, interval=self.DEBOUNCE_MS)
        self.timer.timeout.connect(self._run)
        self._busy = False
        self._pending = False
        self.enabled = True
        ev = viewer.events
        observe(ev.sequence_edited, self, lambda _s: self.schedule())
        observe(ev.current_changed, self, lambda _i: self.schedule(immediate=True))
        observe(ev.models_changed, self, lambda: self.schedule(immediate=True))
        observe(ev.device_changed, self, lambda _d: self.schedule(immediate=True))
        observe(ev.window_changed, self, lambda: self.schedule(immediate=True))

    def schedule(self, immediate: bool = False) -> None:
        if not self.enabled:
            return
        if self.viewer.current_index < 0 or not self.viewer.selected_models:
            return
        self.timer.start(0 if immediate else self.DEBOUNCE_MS)

    def _run(self) -> None:
        if self._busy:
            self._pending = True
            return
        v = self.viewer
        seq, entries = v.current_sequence, list(v.selected_models)
        if not seq or not entries:
            return
        original = v.original_sequence(v.current_index)
        self._busy = True
        worker = Worker(_predict_job, v, seq, original, entries, name="Predicting", torch_threads=1, silent=True)
        worker.returned.connect(lambda out, s=seq, o=original: self._done(s, o, out))
        worker.finished.connect(self._finished)
        self.jobs.start(worker, context="Predicting the current sequence")

    def _done(self, seq: str, original: str, out) -> None:
        if not shiboken6.isValid(self):
            return
        preds, original_preds = out
        for name, probs in original_preds.items():
            self.viewer.results.put(PredictKey(name, original, self.viewer.scan_stride, self.viewer.scan_rc), probs)
        self.viewer.set_predictions(seq, preds)

    def _finished(self) -> None:
        self._busy = False
        if self._pending and shiboken6.isValid(self):
            self._pending = False
            self.timer.start(0)


def _predict_job(viewer, seq: str, original: str, entries):
    """P of `seq` (and once per model of the sequence as read) for each model that is still ticked:
    each model's network is borrowed from its owner (`viewer.runtime`), a model unticked meanwhile
    is left out."""
    options = (viewer.scan_stride, viewer.scan_rc, viewer.results)
    preds, original_preds = {}, {}
    for e in entries:
        try:
            with viewer.runtime.owner(e).borrow(shared=True):
                preds.update(viewer.compute_predictions(seq, [e], *options))
                # the sequence as read from the file, once per model: the "before edits" score
                if viewer.results.get(PredictKey(e.name, original, viewer.scan_stride, viewer.scan_rc)) is None:
                    original_preds[e.name] = (
                        preds[e.name]
                        if seq == original
                        else viewer.compute_predictions(original, [e], *options)[e.name]
                    )
        except Cancelled:
            continue
    return preds, original_preds
