"""Sessions: the open files, models, current sequence and edits of a viewer as a small JSON file.

A session refers to files by path (absolute, and relative to the session file so a project folder
can move). Models trained in this session and never saved cannot be restored; they are listed under
`unsaved_models` so the user is told.
"""
from __future__ import annotations

import json
import logging
import os

from deemo_gui.core.errors import DataError, DeemoError
from deemo_gui.core.sequences import load_dataset

log = logging.getLogger(__name__)

FORMAT = "deemo-session"
VERSION = 1


def _paths(path: str, base: str) -> dict:
    path = os.path.abspath(path)
    try:
        rel = os.path.relpath(path, base)
    except ValueError:  # another drive on Windows
        rel = None
    return {"path": path, "relative": rel}


def _resolve(item: dict, base: str, key: str = "path") -> str:
    path = item.get(key)
    rel = item.get("relative" if key == "path" else f"{key}_relative")
    if path and os.path.exists(path):
        return path
    if rel and os.path.exists(os.path.join(base, rel)):
        return os.path.join(base, rel)
    return path or rel or ""


def session_dict(viewer, base: str) -> dict:
    files = []
    for f in viewer.files:
        item = _paths(f.path, base)
        if f.labels:
            lab = _paths(f.labels, base)
            item.update(labels=lab["path"], labels_relative=lab["relative"])
        if f.negatives:
            if f.negatives == "shuffle":
                item["negatives"] = "shuffle"
            else:
                neg = _paths(f.negatives, base)
                item.update(negatives=neg["path"], negatives_relative=neg["relative"])
        item["seed"] = f.seed
        files.append(item)
    models, unsaved = [], []
    for m in viewer.models:
        if m.path is None:
            unsaved.append(m.name)
            continue
        models.append({**_paths(m.path, base), "name": m.name, "selected": m.selected})
    edits = []
    for i in viewer.edited_indices:
        f = viewer.file_of(i)
        k = viewer.files.index(f)
        edits.append({"file": k, "index": i - viewer._offsets[k], "id": viewer.sequence_id(i),
                      "sequence": viewer.sequence(i)})
    current = None
    if viewer.current_index >= 0:
        f = viewer.file_of(viewer.current_index)
        k = viewer.files.index(f)
        current = {"file": k, "index": viewer.current_index - viewer._offsets[k], "id": viewer.current_id}
    return {
        "format": FORMAT, "version": VERSION,
        "files": files, "models": models, "unsaved_models": unsaved,
        "device": viewer.device, "current": current, "edits": edits,
        "search": viewer.search_pattern,
        "selection": list(viewer.selection) if viewer.selection else None,
        "task": viewer.task,
    }


def save_session(viewer, path) -> str:
    """Write the viewer's session to `path` (JSON); returns the path."""
    path = os.fspath(path)
    base = os.path.dirname(os.path.abspath(path))
    data = session_dict(viewer, base)
    if data["unsaved_models"]:
        log.warning("session %s: unsaved models are not stored: %s", path, ", ".join(data["unsaved_models"]))
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)
    os.replace(tmp, path)
    return path


def read_session(path) -> dict:
    path = os.fspath(path)
    if not os.path.exists(path):
        raise DataError(f"{path}: no such session file")
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not a deemo session file (not JSON: {exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise DataError(f"{path}: not a deemo session file (no 'format': '{FORMAT}')")
    if int(data.get("version", 0)) > VERSION:
        raise DataError(f"{path}: made by a newer deemo-gui (session version {data['version']}); update to open it")
    return data


def load_session(viewer, path) -> None:
    """Replace the viewer's files and models by the session's. Any unreadable file raises and changes nothing."""
    from deemo_gui.core.modelfile import load_model

    path = os.fspath(path)
    base = os.path.dirname(os.path.abspath(path))
    data = read_session(path)
    # Read everything first, so a missing file leaves the viewer as it was.
    loaded_files = []
    for item in data.get("files", []):
        fpath = _resolve(item, base)
        labels = _resolve(item, base, "labels") if item.get("labels") else None
        negatives = item.get("negatives")
        if negatives and negatives != "shuffle":
            negatives = _resolve(item, base, "negatives")
        seed = int(item.get("seed", 0))
        try:
            ds = load_dataset(fpath, labels=labels, negatives=negatives, seed=seed)
        except DeemoError as exc:
            raise DataError(f"session {path}: {exc}") from None
        loaded_files.append((fpath, ds, labels, negatives, seed))
    loaded_models = []
    for item in data.get("models", []):
        mpath = _resolve(item, base)
        try:
            module = load_model(mpath, device=viewer._device_name())
        except DeemoError as exc:
            raise type(exc)(f"session {path}: {exc}") from None
        loaded_models.append((mpath, module, item))
    # Apply.
    viewer.clear()
    for m in list(viewer.models):
        viewer.remove_model(m)
    for fpath, ds, labels, negatives, seed in loaded_files:
        viewer.add_sequences(ds, path=fpath, labels=labels, negatives=negatives, seed=seed)
    from deemo_gui.viewer.entries import ModelEntry

    for mpath, module, item in loaded_models:
        name = viewer._unique_name(item.get("name") or os.path.splitext(os.path.basename(mpath))[0])
        entry = ModelEntry(name, os.path.abspath(mpath), module.metadata, module, device=viewer._device_name())
        viewer._insert_model(entry, bool(item.get("selected", True)))
    for edit in data.get("edits", []):
        i = _flat_index(viewer, edit)
        if i is not None:
            viewer.set_edited(i, edit["sequence"])
    current = data.get("current")
    if current:
        i = _flat_index(viewer, current)
        if i is not None:
            viewer.set_current(i)
    if data.get("search"):
        viewer.search(data["search"])
    if data.get("selection"):
        viewer.select(*data["selection"])
    task = data.get("task")
    if task and any(task in m.task_names for m in viewer.models):
        viewer.set_task(task)
    for name in data.get("unsaved_models", []):
        log.warning("session %s: model %r was never saved and is not restored", path, name)


def _flat_index(viewer, ref: dict) -> int | None:
    k, local, rid = int(ref.get("file", 0)), int(ref.get("index", -1)), ref.get("id")
    if 0 <= k < len(viewer.files):
        i = viewer._offsets[k] + local
        if 0 <= local < len(viewer.files[k].data) and viewer.sequence_id(i) == rid:
            return i
    if rid is not None and rid in viewer._index():
        return viewer._index()[rid]
    log.warning("session: sequence %r not found in the open files", rid)
    return None
