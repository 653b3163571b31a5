"""Sessions: the open files, models, current sequence and edits of a viewer as a small JSON file.

A session refers to files by path (absolute, and relative to the session file so a project folder
can move). Models trained in this session and never saved cannot be restored; they are listed under
`unsaved_models` so the user is told. A session file is checked field by field before anything is
read, and a session that cannot be restored leaves the viewer as it was.
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from dataclasses import dataclass

from deemo_gui.core.atomic import write_text
from deemo_gui.core.errors import DataError, DeemoError
from deemo_gui.core.inputfile import read_text
from deemo_gui.core.sequences import load_dataset, validate

log = logging.getLogger(__name__)

FORMAT = "deemo-session"
VERSION = 1


@dataclass(frozen=True)
class _Object:
    what: str
    keys: dict  # key -> spec; every key is optional (absent or null)


@dataclass(frozen=True)
class _List:
    what: str
    item: object


_TYPE_NAMES = {str: "a string", int: "a whole number", bool: "true or false"}
_REF = {"file": int, "index": int, "id": str}
_SCHEMA = _Object(
    "a session",
    {
        "version": int,
        "files": _List(
            "a list of file entries",
            _Object(
                "a file entry",
                {
                    "path": str,
                    "relative": str,
                    "labels": str,
                    "labels_relative": str,
                    "negatives": str,
                    "negatives_relative": str,
                    "seed": int,
                    "genome": str,
                    "genome_relative": str,
                    "length": int,
                },
            ),
        ),
        "models": _List(
            "a list of model entries",
            _Object("a model entry", {"path": str, "relative": str, "name": str, "selected": bool}),
        ),
        "unsaved_models": _List("a list of model names", str),
        "device": str,
        "current": _Object("a sequence reference (file, index, id)", _REF),
        "edits": _List(
            "a list of edits", _Object("an edit (file, index, id, sequence)", {**_REF, "sequence": str, "strand": str})
        ),
        "search": str,
        "selection": _List("a list of two whole numbers", int),
        "task": str,
    },
)


def _kind(value) -> str:
    """What a JSON value is, in words."""
    if isinstance(value, bool):
        return "true/false"
    return {
        str: "a string",
        int: "a number",
        float: "a number",
        list: "a list",
        dict: "an object",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def _check(value, spec, field: str, name: str) -> None:
    """DataError naming the session file and the field unless `value` matches `spec`."""
    if isinstance(spec, _Object):
        ok, what = isinstance(value, dict), spec.what
    elif isinstance(spec, _List):
        ok, what = isinstance(value, list), spec.what
    else:
        ok, what = isinstance(value, spec) and not (spec is int and isinstance(value, bool)), _TYPE_NAMES[spec]
    if not ok:
        raise DataError(f"{name}: field {field!r} must be {what}, found {_kind(value)}")
    if isinstance(spec, _Object):
        for key, sub in spec.keys.items():
            if value.get(key) is not None:
                _check(value[key], sub, f"{field}.{key}" if field else key, name)
    elif isinstance(spec, _List):
        for k, item in enumerate(value):
            _check(item, spec.item, f"{field}[{k}]", name)


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
            if f.negatives == "shuffle" or (f.genome and f.negatives == "gc"):
                item["negatives"] = f.negatives
            else:
                neg = _paths(f.negatives, base)
                item.update(negatives=neg["path"], negatives_relative=neg["relative"])
        item["seed"] = int(f.seed)
        if f.genome:
            gen = _paths(f.genome, base)
            item.update(genome=gen["path"], genome_relative=gen["relative"], length=int(f.length or 0))
        files.append(item)
    models, unsaved = [], []
    for m in viewer.models:
        if m.path is None:
            unsaved.append(m.name)
            continue
        models.append({**_paths(m.path, base), "name": m.name, "selected": m.selected})
    edits = []  # the forward-strand text of each edited record, and of each one viewed on "-"
    for i in sorted(set(viewer.edited_indices) | set(viewer.minus_indices)):
        f = viewer.file_of(i)
        k = viewer.files.index(f)
        edits.append(
            {
                "file": k,
                "index": i - viewer.store.offsets[k],
                "id": viewer.sequence_id(i),
                "sequence": viewer.forward_sequence(i),
                "strand": viewer.strand(i),
            }
        )
    current = None
    if viewer.current_index >= 0:
        f = viewer.file_of(viewer.current_index)
        k = viewer.files.index(f)
        current = {"file": k, "index": viewer.current_index - viewer.store.offsets[k], "id": viewer.current_id}
    return {
        "format": FORMAT,
        "version": VERSION,
        "files": files,
        "models": models,
        "unsaved_models": unsaved,
        "device": viewer.device,
        "current": current,
        "edits": edits,
        "search": viewer.search_pattern,
        "selection": list(viewer.selection) if viewer.selection else None,
        "task": viewer.task,
    }


def save_session(viewer, path) -> str:
    """Write the viewer's session to `path` (JSON, atomically); returns the path."""
    path = os.fspath(path)
    base = os.path.dirname(os.path.abspath(path))
    data = session_dict(viewer, base)
    if data["unsaved_models"]:
        log.warning("session %s: unsaved models are not stored: %s", path, ", ".join(data["unsaved_models"]))
    text = json.dumps(data, indent=2)
    try:
        write_text(path, text)
    except OSError as exc:
        raise DataError(f"{path}: cannot write the session ({exc.strerror or exc})") from None
    return path


def read_session(path) -> dict:
    """A session file's content, checked field by field: DataError naming the file and the field otherwise."""
    name, text = read_text(path, "session file")
    try:
        data = json.loads(text)
    except RecursionError:
        raise DataError(f"{name}: not a deemo session file (JSON nested too deeply)") from None
    except MemoryError:
        raise DataError(f"{name}: not a deemo session file (too large to read)") from None
    except ValueError as exc:  # JSONDecodeError, or an integer of thousands of digits
        raise DataError(f"{name}: not a deemo session file (not JSON: {exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise DataError(f"{name}: not a deemo session file (no 'format': '{FORMAT}')")
    version = data.get("version", 0)
    _check(version, int, "version", name)
    if version > VERSION:
        raise DataError(f"{name}: made by a newer deemo-gui (session version {version}); update to open it")
    _check(data, _SCHEMA, "", name)
    for k, item in enumerate(data.get("files") or []):
        if (item.get("seed") or 0) < 0:
            raise DataError(f"{name}: field 'files[{k}].seed' must be 0 or more, found {item['seed']}")
        if item.get("genome") and not 0 < (item.get("length") or 0) <= 1_000_000:
            raise DataError(
                f"{name}: field 'files[{k}].length' must be a window length from 1 to 1,000,000 "
                f"with 'genome', found {item.get('length')}"
            )
    if data.get("selection") is not None and len(data["selection"]) != 2:
        raise DataError(
            f"{name}: field 'selection' must be a list of two whole numbers, found {len(data['selection'])}"
        )
    for k, edit in enumerate(data.get("edits") or []):
        if edit.get("sequence") is None:
            raise DataError(f"{name}: field 'edits[{k}].sequence' is missing")
        validate(edit["sequence"], f"{name}: field 'edits[{k}].sequence'")
        if edit.get("strand") not in (None, "+", "-"):
            raise DataError(f"{name}: field 'edits[{k}].strand' must be '+' or '-', found {edit['strand']!r}")
    if (data.get("search") or "").strip():
        from deemo_gui.viewer.search import clean_pattern

        try:
            clean_pattern(data["search"])
        except DataError as exc:
            raise DataError(f"{name}: field 'search': {exc}") from None
    return data


def _locator(datasets: list, path: str):
    """A function from a session's sequence reference to the flat index it names in `datasets`, or None.

    A reference matches by (file, index) and id; else by id alone when that id is unique across the files.
    """
    offsets: list[int] = []
    ids: list[str] = []
    for ds in datasets:
        offsets.append(len(ids))
        ids.extend(ds.ids)
    counts = Counter(ids)
    first: dict[str, int] = {}
    for i, rid in enumerate(ids):
        first.setdefault(rid, i)

    def locate(ref: dict, field: str) -> int | None:
        k, local, rid = ref.get("file"), ref.get("index"), ref.get("id")
        if k is not None and local is not None and 0 <= k < len(datasets) and 0 <= local < len(datasets[k]):
            if rid is None or datasets[k].ids[local] == rid:
                return offsets[k] + local
        n = counts[rid] if rid is not None else 0
        if rid is not None and n == 1:
            return first[rid]
        why = "is not in the open files" if not n else f"appears {n} times in the open files"
        log.warning("session %s: %s: sequence %r %s; skipped", path, field, rid, why)
        return None

    return locate


def load_session(viewer, path) -> None:
    """Replace the viewer's files and models by the session's. Any unreadable file raises and changes nothing."""
    from deemo_gui.core.modelfile import load_model

    path = os.fspath(path)
    base = os.path.dirname(os.path.abspath(path))
    data = read_session(path)
    # Read and check everything first, so a missing file or a bad field leaves the viewer as it was.
    loaded_files = []
    for k, item in enumerate(data.get("files") or []):
        fpath = _resolve(item, base)
        if not fpath:
            raise DataError(f"session {path}: field 'files[{k}]' has no path")
        labels = _resolve(item, base, "labels") if item.get("labels") else None
        negatives = item.get("negatives")
        if negatives and negatives != "shuffle" and not (item.get("genome") and negatives == "gc"):
            negatives = _resolve(item, base, "negatives")
        seed = item.get("seed") or 0
        genome = _resolve(item, base, "genome") if item.get("genome") else None
        try:
            if genome:
                from deemo_gui.viewer.genome import peak_data

                ds = peak_data(fpath, genome, int(item["length"]), negatives, seed)
            else:
                ds = load_dataset(fpath, labels=labels, negatives=negatives, seed=seed)
        except DeemoError as exc:
            raise DataError(f"session {path}: {exc}") from None
        loaded_files.append((fpath, ds, labels, negatives, seed, genome, item.get("length")))
    loaded_models = []
    for k, item in enumerate(data.get("models") or []):
        mpath = _resolve(item, base)
        if not mpath:
            raise DataError(f"session {path}: field 'models[{k}]' has no path")
        try:
            module = load_model(mpath, device=viewer.model_list.resolve_device())
        except DeemoError as exc:
            raise type(exc)(f"session {path}: {exc}") from None
        loaded_models.append((mpath, module, item))
    locate = _locator([ds for _, ds, *_ in loaded_files], path)
    edits = [
        (locate(e, f"edits[{k}]"), e["sequence"], e.get("strand") or "+") for k, e in enumerate(data.get("edits") or [])
    ]
    current = locate(data["current"], "current") if data.get("current") else None
    # Apply: nothing below can fail.
    viewer.clear()
    for m in list(viewer.models):
        viewer.remove_model(m)
    for fpath, ds, labels, negatives, seed, genome, length in loaded_files:
        viewer.add_sequences(
            ds, path=fpath, labels=labels, negatives=negatives, seed=seed, genome=genome, length=length
        )
    from deemo_gui.viewer.entries import ModelEntry

    models = viewer.model_list
    for mpath, module, item in loaded_models:
        name = models.unique_name(item.get("name") or os.path.splitext(os.path.basename(mpath))[0])
        entry = ModelEntry(name, os.path.abspath(mpath), module.metadata, module, device=models.resolve_device())
        models.insert(entry, item.get("selected") is not False)
    for i, sequence, strand in edits:
        if i is not None:
            viewer.set_edited(i, sequence)
            viewer.set_strand(i, strand)
    if current is not None:
        viewer.set_current(current)
    if data.get("search"):
        viewer.search(data["search"])
    if data.get("selection"):
        viewer.select(*data["selection"])
    task = data.get("task")
    if task and any(task in m.task_names for m in viewer.models):
        viewer.set_task(task)
    for name in data.get("unsaved_models") or []:
        log.warning("session %s: model %r was never saved and is not restored", path, name)
