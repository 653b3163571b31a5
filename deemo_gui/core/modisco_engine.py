"""TF-MoDISco (modisco-lite, Schreiber; after Shrikumar et al. 2018, arXiv:1811.00416) run in a child
process, so that a cancel stops it at once and a crash in its numba/igraph code cannot take the app down.

The child is a fresh interpreter (`python -m deemo_gui.core.modisco_engine FOLDER`; in a frozen app,
multiprocessing "spawn"; a fork of a Qt app with threads is unsafe) in its own process group, on its
own main thread: there modisco-lite may fork its helpers, which compile its numba kernels into
numba's on-disk cache (~15 s the first time, cached after that). Arrays go in and patterns come out
through `.npy`/`.npz` files in a private temporary folder; nothing but one error line comes back
otherwise.

`run(...)` is a generator: it yields the seconds elapsed while the child works (a caller's chance to
report progress or to stop: closing the generator kills the child and its helpers) and returns the raw
patterns: dicts with `metacluster` ("pos"/"neg"), `index`, `ppm`, `cwm`, `hcwm` (each `(W, 4)`, A C G T)
and `seqlets` `(n, 4)` int rows (example, start, end, is_revcomp) in the tracks' coordinates.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Generator
from typing import TYPE_CHECKING

import numpy as np

from deemo_gui.core.errors import ConfigError, DataError

if TYPE_CHECKING:
    import subprocess
    from multiprocessing.process import BaseProcess

# Seconds between checks on the child (and yields to the caller).
POLL_SECONDS = 0.25


def available() -> str:
    """'' when modisco-lite can be imported, else why not (one line)."""
    import importlib.util

    if importlib.util.find_spec("modiscolite") is None:
        if getattr(sys, "frozen", False):
            return (
                "TF-MoDISco is not in the desktop bundle (its engine's scipy, scikit-learn, h5py and igraph "
                "would add ~230 MB): run it from a pip install of deemo-gui (`deemo motifs --method modisco`)"
            )
        return "TF-MoDISco needs the modisco-lite package: pip install modisco-lite"
    return ""


def _child(folder: str) -> None:  # pragma: no cover - runs in the spawned process
    """The child's work: read the tracks, run TFMoDISco, write the patterns (atomically) or an error."""
    if getattr(sys, "frozen", False) and hasattr(os, "setpgid"):
        try:  # its own group (a subprocess gets one from start_new_session): killed with its helpers
            os.setpgid(0, 0)
        except OSError:
            pass
    try:
        one_hot = np.load(os.path.join(folder, "one_hot.npy"))
        hyp = np.load(os.path.join(folder, "hyp.npy"))
        with open(os.path.join(folder, "settings.json"), encoding="utf-8") as fh:
            settings = json.load(fh)
        import warnings

        import modiscolite

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pos, neg = modiscolite.tfmodisco.TFMoDISco(one_hot=one_hot, hypothetical_contribs=hyp, **settings)
        arrays: dict[str, np.ndarray] = {}
        k = 0
        for name, patterns in (("pos", pos), ("neg", neg)):
            for index, p in enumerate(patterns or []):
                arrays[f"p{k}_ppm"] = np.asarray(p.sequence, dtype=np.float32)
                arrays[f"p{k}_cwm"] = np.asarray(p.contrib_scores, dtype=np.float32)
                arrays[f"p{k}_hcwm"] = np.asarray(p.hypothetical_contribs, dtype=np.float32)
                arrays[f"p{k}_seqlets"] = np.array(
                    [(s.example_idx, s.start, s.end, int(bool(s.is_revcomp))) for s in p.seqlets], dtype=np.int64
                ).reshape(-1, 4)
                arrays[f"p{k}_meta"] = np.array([1 if name == "pos" else -1, index], dtype=np.int64)
                k += 1
        tmp = os.path.join(folder, "patterns.tmp.npz")
        np.savez(tmp, n=np.array(k), **arrays)  # type: ignore[arg-type]  # the stub fears allow_pickle in **arrays
        os.replace(tmp, os.path.join(folder, "patterns.npz"))
    except BaseException as exc:  # noqa: BLE001 - every failure goes back as one line
        line = " ".join(f"{type(exc).__name__}: {exc}".split())[:500]
        with open(os.path.join(folder, "error.txt"), "w", encoding="utf-8") as fh:
            fh.write(line)
        raise SystemExit(1) from None


class _Child:
    """The running child: a plain subprocess, or a spawned multiprocessing process in a frozen app."""

    def __init__(self, folder: str):
        self._mp: BaseProcess | None = None
        self._proc: subprocess.Popen | None = None
        if getattr(sys, "frozen", False):
            import multiprocessing

            self._mp = multiprocessing.get_context("spawn").Process(target=_child, args=(folder,), daemon=True)
            self._mp.start()
            self.pid = self._mp.pid
        else:
            import subprocess

            env = dict(os.environ)
            root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
            env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "deemo_gui.core.modisco_engine", folder],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                env=env,
            )
            self.pid = self._proc.pid

    def wait(self, seconds: float) -> int | None:
        """The exit status once the child has ended, else None after waiting `seconds`."""
        if self._mp is not None:
            self._mp.join(seconds)
            return self._mp.exitcode
        import subprocess

        assert self._proc is not None
        try:
            return self._proc.wait(seconds)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        """Stop the child and its process group (modisco's forked helpers), then reap it."""
        if self.wait(0) is not None:
            return
        try:
            if hasattr(os, "killpg") and self.pid is not None:
                os.killpg(self.pid, signal.SIGKILL)
        except OSError:
            pass
        child = self._mp or self._proc
        if child is not None:
            child.kill()
        self.wait(5)


def _validate(one_hot: np.ndarray, hyp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    one_hot = np.ascontiguousarray(one_hot, dtype=np.float32)
    hyp = np.ascontiguousarray(hyp, dtype=np.float32)
    if one_hot.ndim != 3 or one_hot.shape[2] != 4 or hyp.shape != one_hot.shape:
        raise DataError(
            f"TF-MoDISco needs one-hot and hypothetical scores of one shape (N, L, 4), "
            f"got {one_hot.shape} and {hyp.shape}"
        )
    if not np.all(np.isfinite(hyp)):
        raise DataError("the attributions contain NaN or infinite values; check the model file")
    return one_hot, hyp


def run(one_hot, hyp, settings: dict) -> Generator[float, None, list[dict]]:
    """Run TFMoDISco on `one_hot` and hypothetical scores `hyp` (both `(N, L, 4)`) with keyword
    `settings` of `modiscolite.tfmodisco.TFMoDISco`; see the module docstring."""
    why = available()
    if why:
        raise ConfigError(why)
    one_hot, hyp = _validate(one_hot, hyp)
    folder = tempfile.mkdtemp(prefix="deemo-modisco-")
    child = None
    try:
        np.save(os.path.join(folder, "one_hot.npy"), one_hot)
        np.save(os.path.join(folder, "hyp.npy"), hyp)
        with open(os.path.join(folder, "settings.json"), "w", encoding="utf-8") as fh:
            json.dump(settings, fh)
        start = time.perf_counter()
        child = _Child(folder)
        while True:
            code = child.wait(POLL_SECONDS)
            if code is not None:
                break
            yield time.perf_counter() - start
        return _read(folder, code)
    finally:
        if child is not None:
            child.kill()
        shutil.rmtree(folder, ignore_errors=True)


def _read(folder: str, exitcode: int) -> list[dict]:
    done = os.path.join(folder, "patterns.npz")
    if exitcode != 0 or not os.path.exists(done):
        err = os.path.join(folder, "error.txt")
        line = f"exit status {exitcode}"
        if os.path.exists(err):
            with open(err, encoding="utf-8") as fh:
                line = fh.read().strip() or line
        raise DataError(f"TF-MoDISco stopped: {line}")
    out = []
    with np.load(done) as z:
        for k in range(int(z["n"])):
            sign, index = (int(v) for v in z[f"p{k}_meta"])
            out.append(
                {
                    "metacluster": "pos" if sign > 0 else "neg",
                    "index": index,
                    "ppm": z[f"p{k}_ppm"],
                    "cwm": z[f"p{k}_cwm"],
                    "hcwm": z[f"p{k}_hcwm"],
                    "seqlets": z[f"p{k}_seqlets"],
                }
            )
    return out


if __name__ == "__main__":  # pragma: no cover - the child of `run`
    if len(sys.argv) != 2 or not os.path.isdir(sys.argv[1]):
        sys.exit("usage: python -m deemo_gui.core.modisco_engine FOLDER (run by deemo_gui.core.modisco)")
    _child(sys.argv[1])
