"""One owner per open model: every job borrows the network from it (Qt-free).

An `Owner` holds a model's network (through its `ModelEntry`), the private copy that analyses use
(guided backpropagation and filter activations hook or patch modules; an LSTM's weights are
re-flattened by `.to()`), and the locks. Jobs get the network only inside `owner.use(job)`:

- ``use(job, shared=True)``: the live network for forward passes (predictions), many at once;
- ``use(job)``: the private analysis copy, one job at a time (gradients, hooks).

`cancel()` (a model unticked) cancels the owner's jobs; `move(device)` and `close()` (a model
removed) also wait until none is inside `use` before anything is moved or freed (the viewer asks
them not to block its caller: a helper thread then waits for the step in progress). A cancelled
job's next `use` raises `Cancelled`, and its results are no longer `current`. `Runtime` is the viewer's
list of owners (`viewer.runtime`).

    out = yield from owner.run(lambda net: iter_analyze(net, seq, ...))   # in a worker thread
"""

from __future__ import annotations

import contextlib
import copy
import os
import threading
from collections.abc import Generator, Iterator


class Cancelled(Exception):
    """The job's model was unticked, moved or removed: stop without touching it."""


class Job:
    """A job's ticket with one owner: cancelled when the owner cancels its jobs."""

    def __init__(self, owner: Owner):
        self.owner = owner
        self.generation = owner.generation
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    @property
    def current(self) -> bool:
        """Whether what this job computes is still wanted (not cancelled, the owner unchanged)."""
        return not self.cancelled and self.generation == self.owner.generation and not self.owner.closed


class Owner:
    """The one owner of a model's network; see the module docstring."""

    def __init__(self, entry):
        self.entry = entry
        self.generation = 0  # bumped by every cancel: older jobs' results are stale
        self.closed = False
        self._jobs: set[Job] = set()
        self._cond = threading.Condition()
        self._shared = 0  # jobs inside `use(shared=True)`
        self._exclusive = threading.RLock()  # the analysis copy's lock
        self._changing = False  # a cancel / move / close is waiting for the jobs
        self._pending = 0  # moves and closes left to a helper thread (see `_change`)
        self._device = None  # the device of the last `move`
        self._copy = None

    @property
    def name(self) -> str:
        return self.entry.name

    @property
    def busy(self) -> bool:
        """Whether a job of this owner has begun and not ended."""
        with self._cond:
            return bool(self._jobs)

    # -- jobs ----------------------------------------------------------------------------------
    def begin(self) -> Job:
        """A ticket for a new job (`end` it when the job is over)."""
        with self._cond:
            if self.closed:
                raise Cancelled(f"{self.name} was removed")
            job = Job(self)
            self._jobs.add(job)
            return job

    def end(self, job: Job) -> None:
        with self._cond:
            self._jobs.discard(job)
            self._cond.notify_all()

    @contextlib.contextmanager
    def use(self, job: Job | None = None, shared: bool = False) -> Iterator:
        """The network for one piece of work: the live one (`shared`) or the private analysis copy
        (exclusive). `Cancelled` if `job` was cancelled; loads a lazily listed model."""
        with self._cond:
            while self._changing:
                self._cond.wait()
            self._check(job)
            if shared:
                self._shared += 1
        if shared:
            try:
                yield self.entry.module
            finally:
                with self._cond:
                    self._shared -= 1
                    self._cond.notify_all()
            return
        with self._exclusive:
            self._check(job)
            yield self._analysis_copy()

    def steps(self, job: Job, factory, shared: bool = False) -> Iterator:
        """`stepwise` with this owner's network under `use(job)`."""
        return stepwise(lambda: self.use(job, shared), factory)

    def run(self, factory, shared: bool = False) -> Iterator:
        """`steps` as a whole job: begins a ticket, ends it however the generator stops."""
        job = self.begin()
        try:
            return (yield from self.steps(job, factory, shared))
        finally:
            self.end(job)

    def lend(self, factory, shared: bool = False) -> Iterator:
        """A whole job that borrows the network only where it needs it: runs the generator
        `factory(borrow)`, where `with borrow() as network:` is `use` for this job (the job's other
        work, e.g. Tomtom, runs without holding the model)."""
        job = self.begin()
        try:
            return (yield from factory(lambda: self.use(job, shared)))
        finally:
            self.end(job)

    @contextlib.contextmanager
    def borrow(self, shared: bool = False) -> Iterator:
        """One piece of work as a whole job: `begin`, `use`, `end`."""
        job = self.begin()
        try:
            with self.use(job, shared) as module:
                yield module
        finally:
            self.end(job)

    def _check(self, job: Job | None) -> None:
        if self.closed:
            raise Cancelled(f"{self.name} was removed")
        if job is not None and job.cancelled:
            raise Cancelled(f"the job for {self.name} was cancelled")

    def _analysis_copy(self):
        """The private copy of the network (made once per device, under the exclusive lock)."""
        module = self.entry.module
        try:
            device = next(module.parameters()).device
        except (StopIteration, AttributeError):
            return module
        if self._copy is not None and next(self._copy.parameters()).device == device:
            return self._copy
        clone = None
        path = getattr(self.entry, "path", None)
        if path and os.path.exists(path):  # a saved model: read again, nothing live is touched
            from deemo_gui.core.modelfile import load_model

            try:
                clone = load_model(path, device=str(device))
            except Exception:  # the file changed or vanished since: copy the network instead
                clone = None
        if clone is None:
            clone = copy.deepcopy(module)
        from deemo_gui.core.explain._common import mark_owned

        self._copy = mark_owned(clone.eval())  # hooks go on it in place: only one job uses it at a time
        return self._copy

    # -- cancel, move, close ---------------------------------------------------------------------
    @contextlib.contextmanager
    def _quiesced(self) -> Iterator[None]:
        """Cancel every job, wait until none is inside `use`, and hold the network for the block."""
        with self._cond:
            while self._changing:
                self._cond.wait()
            self._changing = True
            self.generation += 1
            for job in self._jobs:
                job.cancel()
            while self._shared:
                self._cond.wait()
        try:
            with self._exclusive:
                yield
        finally:
            with self._cond:
                self._changing = False
                self._cond.notify_all()

    def cancel(self, wait: bool = True) -> None:
        """Cancel the owner's jobs; with `wait`, also wait for the one inside `use`. Unticking a model
        does not wait (nothing is moved or freed, and the GUI stays responsive): each job stops at its
        next `use`, and its results are no longer `current`."""
        if wait:
            with self._quiesced():
                return
        with self._cond:
            self.generation += 1
            for job in self._jobs:
                job.cancel()

    def move(self, device, wait: bool = True) -> None:
        """Cancel the jobs, then move the network once none is inside `use` (the copy is made again
        on use). Without `wait` the call returns at once and, if a job is mid-step, a helper thread
        moves the network when the step ends; jobs begun meanwhile wait for the move in `use`."""
        self._device = device  # the last device asked for wins

        def apply() -> None:
            self._copy = None
            self.entry.to(self._device)

        self._change(apply, wait)

    def close(self, wait: bool = True) -> None:
        """Cancel the jobs and take no new one; free the copy once none is inside `use` (see `move`
        for `wait`)."""
        with self._cond:
            self.closed = True

        def free() -> None:
            self._copy = None

        self._change(free, wait)

    def settle(self, timeout: float = 30.0) -> bool:
        """Wait until no move or close is pending (scripts, tests); True if none is."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._pending and not self._changing, timeout)

    def _change(self, apply, wait: bool) -> None:
        """`apply()` with the network quiesced: now when asked to wait or when no job is inside `use`,
        else in a helper thread once the step in progress ends (the GUI thread never waits for it)."""
        if wait or self._idle():
            with self._quiesced():
                apply()
            return
        with self._cond:
            self.generation += 1
            for job in self._jobs:
                job.cancel()
            self._pending += 1

        def later() -> None:
            try:
                with self._quiesced():
                    apply()
            finally:
                with self._cond:
                    self._pending -= 1
                    self._cond.notify_all()

        threading.Thread(target=later, name=f"deemo-runtime-{self.name}", daemon=True).start()

    def _idle(self) -> bool:
        """Whether no job is inside `use` right now."""
        with self._cond:
            if self._shared or self._changing or self._pending:
                return False
        if not self._exclusive.acquire(blocking=False):
            return False
        self._exclusive.release()
        return True


def stepwise(borrow, factory) -> Generator:
    """Run the generator `factory(network)` one step at a time, each `next` inside `borrow()` (a
    context manager giving the network); yields what it yields and returns its return value. The
    network a job got stays the same for all its steps (an owner that moves it cancels the job)."""
    gen = None
    try:
        while True:
            with borrow() as network:
                if gen is None:
                    gen = factory(network)
                try:
                    item = next(gen)
                except StopIteration as stop:
                    return stop.value
            yield item
    finally:
        if gen is not None:
            gen.close()


def free_borrow(model):
    """`borrow` for a model outside the app's runtime (scripts): its own network, no lock."""
    module = model.module if hasattr(model, "module") and hasattr(model, "metadata") else model
    return lambda: contextlib.nullcontext(module)


class Runtime:
    """The owners of a viewer's models, by entry."""

    def __init__(self):
        self._owners: dict[int, Owner] = {}
        self._lock = threading.Lock()

    def owner(self, entry_or_name) -> Owner:
        """The owner of a `ModelEntry` (made on first use), or of the listed model of that name."""
        with self._lock:
            if isinstance(entry_or_name, str):
                found = [o for o in self._owners.values() if o.name == entry_or_name and not o.closed]
                if not found:
                    raise KeyError(f"no open model named {entry_or_name!r}")
                return found[-1]
            owner = self._owners.get(id(entry_or_name))
            if owner is None or owner.entry is not entry_or_name:
                owner = self._owners[id(entry_or_name)] = Owner(entry_or_name)
            return owner

    def cancel(self, entry, wait: bool = False) -> None:
        """Cancel the jobs of a model (unticked); see `Owner.cancel`."""
        owner = self._get(entry)
        if owner is not None:
            owner.cancel(wait)

    def move_all(self, entries, device, wait: bool = True) -> None:
        """Move each model's network to `device` through its owner (see `Owner.move`)."""
        for entry in entries:
            owner = self._get(entry)
            if owner is None:
                entry.to(device)
            else:
                owner.move(device, wait)

    def remove(self, entry, wait: bool = True) -> None:
        """Close the entry's owner (see `Owner.close`) and forget it."""
        with self._lock:
            owner = self._owners.pop(id(entry), None)
        if owner is not None and owner.entry is entry:
            owner.close(wait)

    def run_shared(self, entries, factory) -> Generator:
        """A job over several models that reads their live networks itself (variant effects):
        runs the generator `factory()` one step at a time with every model's network held shared,
        so moving or removing one waits for the step, and unticking one stops the job."""
        owners, jobs = [self.owner(e) for e in entries], []
        try:
            for owner in owners:
                jobs.append(owner.begin())

            def borrow():
                stack = contextlib.ExitStack()
                for owner, job in zip(owners, jobs):
                    stack.enter_context(owner.use(job, shared=True))
                return stack

            return (yield from stepwise(borrow, lambda _stack: factory()))
        finally:
            for owner, job in zip(owners, jobs):
                owner.end(job)

    def _get(self, entry) -> Owner | None:
        with self._lock:
            owner = self._owners.get(id(entry))
        return owner if owner is not None and owner.entry is entry else None
