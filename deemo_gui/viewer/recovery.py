"""Crash recovery: a viewer's unsaved work autosaved to a recovery file and offered back at the next start.

A recovery file is a session file (`viewer/session.py`) with a `recovery` entry (when it was written,
what it holds), named after the process that writes it: `recovery-<pid>-<n>.deemo.json` in
`user_data_dir()/recovery`. `Autosave` takes the snapshot on the caller's (GUI) thread and writes it
atomically in a background thread, in order; a clean quit or an explicit Discard removes the file.
A recovery file whose process is no longer running is what a crash left: `orphans()` lists them,
newest first, and `restore` reads one back. Models trained and never saved are written once each beside
it (`recovery-<pid>-<n>.models/`) and come back as unsaved models.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import json
import logging
import os
import re
import shutil
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from deemo_gui.core.atomic import write_text
from deemo_gui.core.errors import DeemoError
from deemo_gui.data_paths import user_data_dir
from deemo_gui.viewer.session import load_session, read_session, session_dict

log = logging.getLogger(__name__)

_NAME = re.compile(r"^\.?recovery-(\d+)-\d+\.(deemo\.json|models)(\..*\.tmp)?$")
_numbers = itertools.count(1)


def recovery_dir() -> Path:
    """Where recovery files live: `user_data_dir()/recovery`."""
    return user_data_dir() / "recovery"


def _alive(pid: int) -> bool:
    """Whether process `pid` is running (this one is)."""
    if pid == os.getpid():
        return True
    if sys.platform == "win32":  # os.kill would terminate it there
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        ctypes.windll.kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        ctypes.windll.kernel32.CloseHandle(handle)
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


@dataclass(frozen=True)
class Orphan:
    """A recovery file a crashed process left: its path, when it was written and what it holds."""

    path: Path
    saved: _dt.datetime
    records: int  # edited sequences
    files: tuple[str, ...]  # the sequence files they belong to (names)
    models: tuple[str, ...]  # models that were never saved (restored as unsaved models)

    @property
    def when(self) -> str:
        """The time it was written, local, e.g. '2026-12-02 01:42'."""
        return self.saved.astimezone().strftime("%Y-%m-%d %H:%M")


def orphans(folder: Path | None = None) -> list[Orphan]:
    """The recovery files left by processes no longer running, newest first. Their leftover temporary
    files (a write the crash interrupted) and model folders without a recovery file are removed; an
    unreadable recovery file is skipped."""
    folder = Path(folder or recovery_dir())
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    found = []
    for name in names:
        match = _NAME.match(name)
        if match is None or _alive(int(match.group(1))):
            continue
        path = folder / name
        if match.group(3):
            path.unlink(missing_ok=True)
            continue
        if match.group(2) == "models":
            if not _session_of(path).exists():
                shutil.rmtree(path, ignore_errors=True)
            continue
        try:
            data = read_session(path)
            info = data.get("recovery") or {}
            saved = _dt.datetime.fromisoformat(str(info.get("saved")))
            records = int(info.get("records") or 0)
        except (DeemoError, TypeError, ValueError) as exc:
            log.warning("recovery file %s skipped: %s", path, exc)
            continue
        files = tuple(os.path.basename(f.get("path") or "") for f in data.get("files") or [])
        found.append(Orphan(path, saved, records, files, tuple(m["name"] for m in _models(data))))
    return sorted(found, key=lambda o: o.saved, reverse=True)


def _models_dir(path: Path) -> Path:
    """The folder of a recovery file's unsaved models: recovery-<pid>-<n>.models."""
    return path.with_name(path.name.replace(".deemo.json", ".models"))


def _session_of(models_dir: Path) -> Path:
    return models_dir.with_name(models_dir.name.replace(".models", ".deemo.json"))


def _models(data: dict) -> list[dict]:
    """The unsaved models a recovery file lists: {name, file (a name in its models folder), selected}."""
    out = []
    for m in (data.get("recovery") or {}).get("models") or []:
        if isinstance(m, dict) and isinstance(m.get("name"), str) and isinstance(m.get("file"), str):
            out.append({"name": m["name"], "file": os.path.basename(m["file"]), "selected": m.get("selected") is True})
    return out


def restore(viewer, orphan: Orphan | Path | str) -> None:
    """Replace the viewer's files and models by the recovery file's; its edits and models are unsaved
    work again. Raises as `Viewer.open_session` and then changes nothing; the file is kept (`discard`)."""
    from deemo_gui.core.modelfile import load_model

    path = Path(orphan.path if isinstance(orphan, Orphan) else orphan)
    listed = _models(read_session(path))
    modules = [(m, load_model(str(_models_dir(path) / m["file"]))) for m in listed]  # all read before any change
    load_session(viewer, path)
    for m, module in modules:
        viewer.add_model_object(module, name=m["name"], select=m["selected"])
    viewer.unsaved.refresh()


def discard(orphan: Orphan | Path | str) -> None:
    """Remove a recovery file and its models (the user chose not to restore it, or it is saved again)."""
    path = Path(orphan.path if isinstance(orphan, Orphan) else orphan)
    path.unlink(missing_ok=True)
    shutil.rmtree(_models_dir(path), ignore_errors=True)


class Autosave:
    """One viewer's recovery file: `save(viewer)` after changes (debounced by the caller), `close()` at a
    clean quit. Writes run in one background thread, so they land in the order they were asked for."""

    def __init__(self, folder: Path | None = None):
        self.path = Path(folder or recovery_dir()) / f"recovery-{os.getpid()}-{next(_numbers)}.deemo.json"
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="deemo-autosave")
        self._model_files: dict[int, tuple[object, str]] = {}  # id(entry) -> (entry, its file name)
        self.closed = False

    def save(self, viewer) -> Future | None:
        """Snapshot the viewer's unsaved work now and write it in the background; remove the file when
        nothing is unsaved. A failed write is logged (the previous file stays). None once closed."""
        if self.closed:
            return None
        if not viewer.unsaved.any:
            self._model_files.clear()
            return self._pool.submit(discard, self.path)
        data = session_dict(viewer, str(self.path.parent))
        models, new = [], []
        for entry in viewer.unsaved.models:  # each written once: trained weights do not change
            if id(entry) not in self._model_files:
                self._model_files[id(entry)] = (entry, f"model{len(self._model_files) + 1}.safetensors")
                new.append((entry.module, entry.metadata, self._model_files[id(entry)][1]))
            models.append({"name": entry.name, "file": self._model_files[id(entry)][1], "selected": entry.selected})
        data["unsaved_models"] = []  # they are restored from `recovery.models`
        data["recovery"] = {
            "saved": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            "pid": os.getpid(),
            "records": len(viewer.unsaved.records),
            "models": models,
        }
        return self._pool.submit(self._write, data, new)

    def _write(self, data: dict, models: list) -> None:
        from deemo_gui.core.modelfile import save_model

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            for module, metadata, name in models:  # the models first: the file never names a missing one
                _models_dir(self.path).mkdir(exist_ok=True)
                save_model(module, str(_models_dir(self.path) / name), metadata)
            write_text(self.path, json.dumps(data))
        except (DeemoError, OSError) as exc:
            log.warning("autosave to %s failed: %s", self.path, exc)

    def close(self) -> None:
        """Wait for the writes asked for, then remove the recovery file (a clean quit or a Discard)."""
        if not self.closed:
            self.closed = True
            self._pool.submit(discard, self.path).result()
            self._pool.shutdown(wait=True)
