"""The open models (`ModelList`): which are selected, the device they run on, and the task the
analysis panels explain for multi-task models. Removing or deselecting a model drops its predictions."""

from __future__ import annotations

import os
from collections.abc import Iterable

import numpy as np

from deemo_gui.core.errors import ConfigError, DeemoError, ModelFileError
from deemo_gui.viewer.entries import ModelEntry, ResultsCache
from deemo_gui.viewer.events import ViewerEvents
from deemo_gui.viewer.predictions import Predictions
from deemo_gui.viewer.runtime import Runtime


class ModelList:
    """The models in the order added (`models`), the device choice (`device`; `resolved_device`: what
    it means here, once asked) and the task choice (`task`). The methods emit the viewer's events."""

    def __init__(self, events: ViewerEvents, runtime: Runtime, results: ResultsCache, scoring: Predictions):
        self.events, self.runtime, self.results, self.scoring = events, runtime, results, scoring
        self.models: list[ModelEntry] = []
        self.device: str = "auto"
        self.resolved_device: str | None = None
        self.task: str | None = None  # see `set_task`

    def resolve_device(self) -> str:
        """The torch device models go to (`device` resolved on first use, e.g. "auto" -> "cpu")."""
        if self.resolved_device is None:
            from deemo_gui.core.device import resolve_device

            self.resolved_device = str(resolve_device(self.device))
        return self.resolved_device

    def unique_name(self, name: str) -> str:
        """`name`, or `name (2)`, `name (3)`, ... if a model is named so already."""
        taken = {m.name for m in self.models}
        if name not in taken:
            return name
        k = 2
        while f"{name} ({k})" in taken:
            k += 1
        return f"{name} ({k})"

    def add_model(self, path, name: str | None = None, select: bool = True, lazy: bool = False) -> ModelEntry:
        """Add a model file (.safetensors). `ModelFileError` for a bad file (state unchanged).

        `lazy=True` reads only the metadata now and loads the weights on first use.
        """
        from deemo_gui.core.modelfile import load_model, read_metadata

        path = os.fspath(path)
        existing = next((m for m in self.models if m.path and m.path == os.path.abspath(path)), None)
        if existing is not None and existing.error is None:  # already listed (e.g. shipped): select, no twin
            if select and not existing.selected:
                existing.selected = True
                self.events.models_changed.emit()
            return existing
        try:
            if lazy:
                meta, module = read_metadata(path), None
            else:
                module = load_model(path, device=self.resolve_device())
                meta = module.metadata
        except DeemoError as exc:
            self.events.error.emit(str(exc))
            raise
        if existing is not None:  # a broken entry whose file is readable again: repaired in place
            existing.metadata, existing._module, existing.error = dict(meta), module, None
            existing.selected = bool(select)
            self.results.discard_model(existing.name)
            self.events.models_changed.emit()
            return existing
        base = name or os.path.splitext(os.path.basename(path))[0]
        entry = ModelEntry(
            self.unique_name(base), os.path.abspath(path), meta, module, device=self.resolved_device or "cpu"
        )
        if lazy and self.resolved_device is None:
            entry._device = None  # resolved when first loaded
        return self.insert(entry, select)

    def add_model_object(
        self, module, name: str | None = None, select: bool = True, path: str | None = None
    ) -> ModelEntry:
        """Add a network already in memory (e.g. just trained); unsaved until `save_model` is called."""
        meta = dict(getattr(module, "metadata", {}) or {})
        meta.setdefault("preset", getattr(module, "preset", "?"))
        meta.setdefault("n_tasks", getattr(module, "n_tasks", 1))
        meta.setdefault("input_length", getattr(module, "input_length", 0))
        module.eval().to(self.resolve_device())
        entry = ModelEntry(
            self.unique_name(name or f"{meta['preset']} (unsaved)"), path, meta, module, device=self.resolve_device()
        )
        return self.insert(entry, select)

    def insert(self, entry: ModelEntry, select: bool) -> ModelEntry:
        """Append a model entry made elsewhere (a session's); its name must be unique (`unique_name`)."""
        if entry._device is None:
            entry._device = self.resolve_device()
        entry.selected = bool(select)
        self.models.append(entry)
        self.events.models_changed.emit()
        return entry

    def model(self, key) -> ModelEntry:
        """A model entry by name, index or the entry itself."""
        if isinstance(key, ModelEntry):
            return key
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
            return self.models[int(key)]
        for m in self.models:
            if m.name == key or (m.path and os.fspath(key) == m.path):
                return m
        raise ModelFileError(f"no model named {key!r} is open")

    @property
    def selected_models(self) -> list[ModelEntry]:
        """The ticked models, less those whose file failed to load."""
        return [m for m in self.models if m.selected and m.error is None]

    def select_models(self, keys: Iterable) -> None:
        """Select exactly these models (names, indices or entries) for prediction and comparison;
        a model whose file failed to load stays unselected."""
        chosen = {id(self.model(k)) for k in keys}
        changed = False
        for m in self.models:
            flag = id(m) in chosen and m.error is None
            if m.selected != flag:
                m.selected, changed = flag, True
                if not flag:
                    self.runtime.cancel(m)  # its jobs stop at their next step; nothing they computed is shown
        if changed:
            selected = {m.name for m in self.selected_models}
            self.scoring.predictions = {k: v for k, v in self.scoring.predictions.items() if k in selected}
            self.events.models_changed.emit()
            self.events.predictions_changed.emit()

    def deselect_broken_models(self) -> list[ModelEntry]:
        """Deselect the selected models whose file failed to load (see `ModelEntry.error`), drop their
        results and emit `model_broken` once for each; returns them. Call on the GUI thread after a job."""
        broken = [m for m in self.models if m.selected and m.error is not None]
        if not broken:
            return []
        for m in broken:
            m.selected = False
            self.scoring.drop(m.name)
        self.events.models_changed.emit()
        self.events.predictions_changed.emit()
        for m in broken:
            self.events.list_predictions_changed.emit(m.name)
            self.events.model_broken.emit(m.name, m.error)
        return broken

    def remove_model(self, key) -> None:
        entry = self.model(key)
        self.runtime.remove(entry, wait=False)  # its jobs stop; its copy is freed once none is mid-step
        self.models.remove(entry)
        self.scoring.drop(entry.name)
        self.results.discard_model(entry.name)
        self.events.models_changed.emit()
        self.events.predictions_changed.emit()
        self.events.list_predictions_changed.emit(entry.name)

    def model_saved(self, key, path) -> None:
        """Record that an in-memory model was written to `path`."""
        entry = self.model(key)
        entry.path = os.path.abspath(os.fspath(path))
        self.events.models_changed.emit()

    def set_device(self, name: str) -> None:
        """ "auto", "cpu", "cuda" or "mps"; `ConfigError` if that device is not available here."""
        from deemo_gui.core.device import resolve_device

        try:
            resolved = str(resolve_device(name))
        except ConfigError as exc:
            self.events.error.emit(str(exc))
            raise
        self.device, self.resolved_device = str(name), resolved
        self.runtime.move_all(self.models, resolved, wait=False)  # each moves once its jobs have stopped
        self.events.device_changed.emit(self.device)

    # The task the analysis panels explain (multi-task models)

    @property
    def task_choices(self) -> list[str]:
        """Task names of the selected models with more than one task, in order, without repeats
        (empty when every selected model has a single output)."""
        out: list[str] = []
        for m in self.selected_models:
            names = m.task_names
            if len(names) > 1:
                out += [t for t in names if t not in out]
        return out

    @property
    def current_task(self) -> str | None:
        """The task the analysis panels explain: the chosen one if a selected multi-task model has
        it, else the first of `task_choices`; None when every selected model has a single output."""
        choices = self.task_choices
        if not choices:
            return None
        return self.task if self.task in choices else choices[0]

    def set_task(self, name: str | None) -> None:
        """Explain task `name` of the multi-task models (None: their first task); `ConfigError`
        if no open model has a task of that name."""
        if name is not None:
            name = str(name)
            known = [t for m in self.models for t in m.task_names]
            if name not in known:
                raise ConfigError(f"no open model has a task named {name!r}; tasks: {', '.join(dict.fromkeys(known))}")
        if name != self.task:
            self.task = name
            self.events.task_changed.emit(name)

    def target_of(self, key) -> int:
        """The output index the analysis panels explain for a model: its only output, or its output
        for `current_task` (which follows the *selected* models). `ConfigError` if a multi-task
        model has no task of that name."""
        entry = self.model(key)
        names = entry.task_names
        if len(names) <= 1:
            return 0
        task = self.current_task
        if task is None or task in names:
            return names.index(task) if task is not None else 0
        raise ConfigError(f"{entry.name} has no task {task!r} (its tasks: {', '.join(names)})")
