"""Class optimization, computed once per model ever: one service with one cache, in memory and on disk.

A result depends on the model's weights, the task and the settings only, so it is keyed by a
`ClassOptKey` (the weights' SHA-256, as `core.modelfile` signs them, plus task and settings) and
written to `<cache dir>/classopt/<digest>.npz` (atomically) the first time it is computed. Any
later process, window or panel asking for the same key reads it back instead of running 1000
RMSprop steps again. The Dashboard, the Class optimization panel and the Motifs panel's
extraction all go through `SERVICE`.

The cache folder is `data_paths.user_cache_dir()` (`DEEMO_CACHE_DIR`, else ~/.cache/deemo-gui).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import threading
import weakref
from dataclasses import asdict, dataclass

import numpy as np

log = logging.getLogger(__name__)

# Defaults: QData/DeepMotif class_optimization.lua, as in core.explain.classopt.
STEPS = 1000
LAMBDA = 0.009
LR = 0.05
FORMAT = 1  # of the .npz files; another format is a miss


@dataclass(frozen=True)
class ClassOptKey:
    """Everything a class optimization depends on."""

    weights: str  # SHA-256 of the weights (core.modelfile.weights_digest)
    target: int = 0
    steps: int = STEPS
    lam: float = LAMBDA
    lr: float = LR
    restarts: int = 1
    seed: int = 0
    init: str = "random"
    objective: str = "log_prob"
    parametrization: str = "demo"  # core.explain.classopt: the DeMo recipe (RMSprop on X) or "simplex"

    @property
    def digest(self) -> str:
        text = json.dumps({"format": FORMAT, **asdict(self)}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:40]


_DIGESTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_DIGESTS_LOCK = threading.Lock()


def weights_hash(model) -> str:
    """The SHA-256 of a model's weights: a saved entry's signed `weights_sha256` (no loading), else
    computed from the network (once per network)."""
    meta = getattr(model, "metadata", None)
    if getattr(model, "path", None) and isinstance(meta, dict) and meta.get("weights_sha256"):
        return str(meta["weights_sha256"])
    module = model.module if hasattr(model, "module") and hasattr(model, "metadata") else model
    with _DIGESTS_LOCK:
        digest = _DIGESTS.get(module)
    if digest is None:
        from deemo_gui.core.modelfile import weights_digest

        digest = weights_digest(module.state_dict())
        with _DIGESTS_LOCK:
            _DIGESTS[module] = digest
    return digest


def key_for(model, target: int = 0, steps: int = STEPS, **settings) -> ClassOptKey:
    return ClassOptKey(weights_hash(model), int(target), int(steps), **settings)


class ClassOptService:
    """Class optimization results by `ClassOptKey`: in memory, then on disk, else computed."""

    def __init__(self, folder: str | None = None):
        self._folder = folder
        self._memory: dict[ClassOptKey, object] = {}
        self._lock = threading.Lock()

    @property
    def folder(self) -> str:
        if self._folder is not None:
            return self._folder
        from deemo_gui.data_paths import user_cache_dir

        return os.path.join(user_cache_dir(), "classopt")

    def path(self, key: ClassOptKey) -> str:
        return os.path.join(self.folder, f"{key.digest}.npz")

    def get(self, key: ClassOptKey):
        """The stored `ClassOptResult` of `key`, or None (never computes)."""
        with self._lock:
            hit = self._memory.get(key)
        if hit is not None:
            return hit
        hit = _read(self.path(key))
        if hit is not None:
            with self._lock:
                self._memory[key] = hit
        return hit

    def put(self, key: ClassOptKey, result) -> None:
        with self._lock:
            self._memory[key] = result
        try:
            os.makedirs(self.folder, exist_ok=True)
            _write(self.path(key), result)
        except Exception as exc:  # a read-only or full disk costs a recomputation later, nothing else
            log.warning("class optimization not saved to %s: %s", self.folder, exc)

    def forget_memory(self) -> None:
        """Drop the in-memory copies (the disk keeps them): what a new process sees."""
        with self._lock:
            self._memory.clear()

    def steps(self, network, key: ClassOptKey, every: int = 25):
        """Generator: the stored result of `key`, else run the optimization on `network` (yields the
        core's `ClassOptProgress`), store it and return the `ClassOptResult`."""
        from deemo_gui.core.explain import ClassOptResult, class_optimization_steps

        hit = self.get(key)
        if hit is not None:
            return hit
        result = None
        gen = class_optimization_steps(
            network,
            target=key.target,
            lam=key.lam,
            lr=key.lr,
            steps=key.steps,
            restarts=key.restarts,
            seed=key.seed,
            every=every,
            init=key.init,
            objective=key.objective,
            parametrization=key.parametrization,
        )
        try:
            for item in gen:
                if isinstance(item, ClassOptResult):
                    result = item
                else:
                    yield item
        finally:
            gen.close()
        self.put(key, result)
        return result


SERVICE = ClassOptService()


def _write(path: str, result) -> None:
    from deemo_gui.core.atomic import atomic_path

    pwm = result.pwm
    meta = {
        "format": FORMAT,
        "score": result.score,
        "consensus_score": result.consensus_score,
        "restart": result.restart,
        "objective": result.objective,
        "settings": result.settings,
        "pwm": {"id": pwm.id, "name": pwm.name, "source": pwm.source},
    }
    buf = io.BytesIO()
    np.savez(buf, probs=pwm.probs, X=result.X, history=result.history, meta=np.array(json.dumps(meta)))
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(buf.getvalue())


def _read(path: str):
    """The `ClassOptResult` stored at `path`, or None (missing, another format, damaged)."""
    if not os.path.exists(path):
        return None
    from deemo_gui.core.explain import ClassOptResult
    from deemo_gui.core.motifs import PWM

    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            if meta.get("format") != FORMAT:
                return None
            pwm = PWM(
                id=meta["pwm"]["id"],
                name=meta["pwm"]["name"],
                probs=np.array(data["probs"]),
                source=meta["pwm"]["source"],
            )
            return ClassOptResult(
                pwm=pwm,
                score=float(meta["score"]),
                consensus_score=float(meta["consensus_score"]),
                restart=int(meta["restart"]),
                X=np.array(data["X"]),
                history=np.array(data["history"]),
                objective=meta["objective"],
                settings=dict(meta["settings"]),
            )
    except Exception as exc:  # a damaged file is a miss; the next result overwrites it
        log.warning("ignoring the class optimization cache file %s: %s", path, exc)
        return None
