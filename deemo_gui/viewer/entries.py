"""The pieces of viewer state: an open sequence file, a model, one sequence's edit history, a cache.

Qt-free, and torch is imported only when a model is actually loaded.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from deemo_gui.core.errors import DeemoError, ModelFileError
from deemo_gui.core.sequences import SequenceSet

log = logging.getLogger(__name__)

UNDO_LIMIT = 1000


@dataclass
class OpenFile:
    """A sequence file as it was opened: the path, how labels were given, and its records."""

    path: str
    data: SequenceSet
    labels: str | None = None
    negatives: str | None = None
    seed: int = 0
    genome: str | None = None  # peaks (BED/narrowPeak) read from this genome FASTA ...
    length: int | None = None  # ... in windows of this many bases

    @property
    def name(self) -> str:
        return os.path.basename(self.path)


@dataclass
class EditState:
    """The current text of one sequence and its undo/redo stacks (whole strings: sequences are short)."""

    original: str
    text: str  # forward strand, as `original`
    undo: list[str] = field(default_factory=list)
    redo: list[str] = field(default_factory=list)
    minus: bool = False  # shown (and scored) as its reverse complement: a view, not an edit

    def push(self, new_text: str) -> bool:
        if new_text == self.text:
            return False
        self.undo.append(self.text)
        if len(self.undo) > UNDO_LIMIT:
            del self.undo[0]
        self.redo.clear()
        self.text = new_text
        return True

    @property
    def edited(self) -> bool:
        return self.text != self.original


class BrokenModelError(ModelFileError):
    """A listed model whose file could not be loaded; `entry` is the model (its `error` says why)."""

    def __init__(self, entry: ModelEntry):
        super().__init__(entry.error)
        self.entry = entry


class ModelEntry:
    """A model in the viewer: its file (or none, for a model trained in this session), metadata and network.

    The network is loaded on first use of `module` (thread-safe), so listing shipped models is cheap.
    If that fails (file deleted or damaged since it was listed), `error` keeps the one-line reason and
    `module` raises `BrokenModelError` without trying again.
    """

    def __init__(self, name: str, path: str | None, metadata: dict, module=None, device: str = "cpu"):
        self.name = name
        self.path = path
        self.metadata = dict(metadata or {})
        self.selected = False
        self.error: str | None = None
        self._first_layer_r: float | None = None  # core.verdict's first-layer check, once the weights are loaded
        self._module = module
        self._device: str | None = device  # None: resolved when first loaded
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        state = "broken" if self.error else "loaded" if self._module is not None else "not loaded"
        return f"ModelEntry({self.name!r}, path={self.path!r}, {state}, selected={self.selected})"

    @property
    def saved(self) -> bool:
        return self.path is not None

    @property
    def verdict(self):
        """The trust verdict (core.verdict) of the current metadata; with the first-layer check once the
        weights are loaded (computed once: the weights do not change). None if broken."""
        if self.error is not None:
            return None
        from deemo_gui.core import verdict as V

        try:
            if self.loaded and self._first_layer_r is None:
                self._first_layer_r = V.first_layer_correlation(self._module)
            return V.verdict(self.metadata, self._first_layer_r)
        except Exception:  # a bug here must not take the window down; it is logged with its traceback
            log.exception("trust verdict of %s", self.name)
            v = V.Verdict()
            v.add("caution", "the trust verdict could not be computed (see View ▸ Log)")
            return v

    @property
    def loaded(self) -> bool:
        return self._module is not None

    @property
    def module(self):
        """The torch network in eval mode (loaded from `path` on first access)."""
        if self._module is None:
            with self._lock:
                if self.error is None and self._module is None:
                    from deemo_gui.core.modelfile import load_model

                    try:
                        self._module = load_model(self.path, device=self._device)
                    except (DeemoError, OSError) as exc:
                        self.error = str(exc)
                if self._module is None:
                    raise BrokenModelError(self)
        return self._module

    def to(self, device) -> None:
        self._device = device
        if self._module is not None:
            self._module.to(device)

    # Convenience accessors for the metadata a model picker shows.
    @property
    def preset(self) -> str:
        return str(self.metadata.get("preset", "?"))

    @property
    def task_names(self) -> list[str]:
        names = self.metadata.get("task_names")
        if names:
            return list(names)
        return [f"task{i}" for i in range(int(self.metadata.get("n_tasks", 1)))]

    @property
    def input_length(self) -> int:
        return int(self.metadata.get("input_length", 0))

    @property
    def test_auroc(self) -> float | None:
        test = self.metadata.get("test") or {}
        value = test.get("auroc")
        return None if value is None else float(value)

    @property
    def training_data(self) -> str:
        training = self.metadata.get("training") or {}
        data = training.get("data")
        return os.path.basename(str(data)) if data else ""


class ResultsCache:
    """A small LRU cache for computed results (attributions, predictions) keyed by the typed keys
    of `viewer.keys`, each holding everything its result depends on (an edited sequence or another
    model simply misses)."""

    def __init__(self, maxsize: int = 128):
        self.maxsize = maxsize
        self._data: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, default=None):
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
        return default

    def put(self, key, value) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def __contains__(self, key) -> bool:
        return key in self._data

    def __len__(self) -> int:
        return len(self._data)

    def discard_model(self, name: str) -> None:
        """Drop every result of model `name` (the keys of `viewer.keys` whose `model` it is)."""
        with self._lock:
            for key in [k for k in self._data if getattr(k, "model", None) == name]:
                del self._data[key]

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
