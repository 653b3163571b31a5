"""What the models predict (`Predictions`): for the current record (`predictions`) and for every open
record (`list_predictions`), and how records longer than a model's input are scanned in windows
(`scan_stride`, `scan_rc`) and which window the analysis panels explain (`window_choice`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import numpy as np

from deemo_gui.core.errors import ConfigError
from deemo_gui.viewer.edits import EditHistory
from deemo_gui.viewer.entries import ModelEntry, ResultsCache
from deemo_gui.viewer.events import ViewerEvents
from deemo_gui.viewer.runtime import Runtime
from deemo_gui.viewer.selection import Selection


def _predict_records(entry, seqs: list[str], stride: int, rc: bool, batch_size: int):
    """`iter_predict_list`'s work on records already read: yields (done, total), returns `(N, T)`."""
    from deemo_gui.core.windows import score_sequences

    module = entry.module
    n = len(seqs)
    out = np.zeros((n, int(module.n_tasks)), dtype=np.float32)
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        out[start:stop] = score_sequences(module, seqs[start:stop], stride, rc)
        yield stop, n
    return out


class Predictions:
    """Predictions by model name, and the scanning options they were made with. The models are given
    by the caller (the viewer's `ModelList` knows them)."""

    def __init__(
        self, events: ViewerEvents, edits: EditHistory, current: Selection, runtime: Runtime, results: ResultsCache
    ):
        self.events, self.edits, self.current, self.runtime, self.results = events, edits, current, runtime, results
        self.predictions: dict[str, list[float]] = {}
        self.predictions_sequence: str | None = None  # the text `predictions` were made for
        self.list_predictions: dict[str, np.ndarray] = {}
        # Sequences longer than a model's input: scanned with windows (core.windows), see set_window.
        self.scan_stride: int = 1
        self.scan_rc: bool = False
        self.window_choice: int | None = None  # the window start the panels explain; None: best

    def forget_current(self) -> None:
        """Another record became current: its predictions and window are not known yet (no event)."""
        self.window_choice = None
        self.predictions, self.predictions_sequence = {}, None

    def drop(self, name: str) -> None:
        """Forget model `name`'s predictions (no event)."""
        self.predictions.pop(name, None)
        self.list_predictions.pop(name, None)

    @staticmethod
    def compute_predictions(
        seq: str, entries: Iterable[ModelEntry], stride: int = 1, reverse_complement: bool = False, cache=None
    ) -> dict[str, list[float]]:
        """P per task of `seq` for each model (pure: safe in a worker thread; loads models if
        needed). A sequence longer than a model's input scores its best window (`core.windows`);
        the scans are kept in `cache` (the viewer's `results`) for `scan_of`."""
        from deemo_gui.viewer.analysis import cached_scan

        out = {}
        for entry in entries:
            found = cached_scan(entry, seq.upper(), cache, entry.name, stride, reverse_complement, entry.module)
            out[entry.name] = [float(p) for p in found.score()]
        return out

    # Windows: sequences of another length than a model's input

    def set_scan_options(self, stride: int | None = None, reverse_complement: bool | None = None) -> None:
        """How longer sequences are scanned: window `stride` (bases) and whether each window is
        also scored on the reverse strand (its score: the larger of the two)."""
        from deemo_gui.core.windows import auto_stride

        if stride is not None:
            try:
                auto_stride(0, 1, int(stride))
            except (ConfigError, TypeError, ValueError) as exc:
                msg = (
                    f"window stride: {exc}"
                    if isinstance(exc, ConfigError)
                    else f"window stride must be a whole number, got {stride!r}"
                )
                self.events.error.emit(msg)
                raise ConfigError(msg) from None
            self.scan_stride = int(stride)
        if reverse_complement is not None:
            self.scan_rc = bool(reverse_complement)
        self.events.window_changed.emit()

    def set_window(self, start: int | None) -> None:
        """Explain the window starting at base `start` (0-based) of the current sequence in every
        panel (clamped to each model's valid starts); None: each model's best window."""
        self.window_choice = None if start is None else int(start)
        self.events.window_changed.emit()

    def scan_of(self, entry: ModelEntry):
        """The `core.windows.WindowScan` of the current sequence under a model, if computed (by the
        predictions or an analysis), else None."""
        from deemo_gui.viewer.analysis import scan_key

        return self.results.get(scan_key(entry.name, self.current.sequence.upper(), self.scan_stride, self.scan_rc))

    def window_of(self, entry: ModelEntry, target_of: Callable[[ModelEntry], int]) -> tuple[int, int] | None:
        """`(start, end)` of the current sequence `entry` explains now (`Viewer.window_of`);
        `target_of(entry)`: the output whose best window counts, asked only when needed."""
        from deemo_gui.core.windows import clamp_start

        n, L = len(self.current.sequence), entry.input_length
        if not n or not L:
            return None
        if n > L and self.window_choice is None:
            found = self.scan_of(entry)
            if found is None:
                return None
            start = found.best_start(target_of(entry) if len(entry.task_names) > 1 else 0)
        else:
            start = clamp_start(self.window_choice or 0, n, L)
        return max(0, start), min(n, start + L)

    # Predictions

    def set_predictions(self, seq: str, predictions: dict[str, list[float]]) -> bool:
        """Accept predictions computed for `seq`; ignored (False) if the current sequence changed since."""
        if seq != self.current.sequence:
            return False
        self.predictions = dict(predictions)
        self.predictions_sequence = seq
        i = self.current.index
        for name, probs in predictions.items():
            table = self.list_predictions.get(name)
            if table is not None and len(table) == len(self.edits.store):
                table[i] = probs
        self.events.predictions_changed.emit()
        return True

    def predict_current(self, entries: list[ModelEntry]) -> dict[str, list[float]]:
        """Predict the current sequence with `entries` now: `{model name: [P per task]}`."""
        if self.current.index < 0:
            return {}
        seq = self.current.sequence
        preds = self.compute_predictions(seq, entries, self.scan_stride, self.scan_rc, self.results)
        self.set_predictions(seq, preds)
        return dict(preds)

    def iter_predict_list(self, entry: ModelEntry, batch_size: int = 4096) -> Iterator[tuple[int, int]]:
        """Predict every open record with one model in batches; yields (done, total), returns `(N, T)`.
        A record longer than the model's input scores its best window (`core.windows`).

        The records are read now, on the calling (GUI) thread; the generator never reads the viewer,
        so run it in a worker while the GUI closes files and edits, and pass the returned array to
        `set_list_predictions` on the GUI thread.
        """
        seqs = [self.edits.sequence(i) for i in range(len(self.edits.store))]
        stride, rc = self.scan_stride, self.scan_rc
        # each batch with the network borrowed from its owner: unticking the model stops the job first
        return self.runtime.owner(entry).run(
            lambda _net: _predict_records(entry, seqs, stride, rc, batch_size), shared=True
        )

    def set_list_predictions(self, name: str, probs: np.ndarray) -> None:
        if len(probs) != len(self.edits.store):
            return  # the list changed while predicting
        table = np.array(probs, dtype=np.float32)
        # A list job may have started before the latest edit: keep the current record's fresh score.
        i = self.current.index
        if i >= 0 and name in self.predictions and self.predictions_sequence == self.current.sequence:
            table[i] = self.predictions[name]
        self.list_predictions[name] = table
        self.events.list_predictions_changed.emit(name)

    def predict_list(self, entries: list[ModelEntry]) -> dict[str, np.ndarray]:
        """Predict every open record with `entries`, synchronously."""
        for entry in entries:
            gen = self.iter_predict_list(entry)
            try:
                while True:
                    next(gen)
            except StopIteration as stop:
                self.set_list_predictions(entry.name, stop.value)
        return {e.name: self.list_predictions[e.name] for e in entries if e.name in self.list_predictions}
