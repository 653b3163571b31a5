"""Class optimization, computed once per model ever: one service with one cache, in memory and on disk.

A result depends on the model's weights, the task and the settings only, so it is keyed by a
`ClassOptKey` (the weights' SHA-256, as `core.modelfile` signs them, plus task and settings) and
written to `<cache dir>/classopt/<digest>.npz` (atomically) the first time it is computed. Any
later process, window or panel asking for the same key reads it back instead of running 1000
RMSprop steps again. The Dashboard, the Class optimization panel and the Motifs panel's
extraction all go through `SERVICE`.

The cache folder is `data_paths.user_cache_dir()` (`DEEMO_CACHE_DIR`, else ~/.cache/deemo-gui).

**Seed store: the shipped models carry their class optimization.** A new installation's user cache
is empty, so its first Dashboard ran 5 x 1000 steps (12.8 s on 2 cores, BENCHMARKS.md). The zoo
therefore ships the results the app asks for with its default settings (every task of every
shipped model: the Dashboard's, the Class optimization panel's and the Motifs extraction's keys are
the same `ClassOptKey(weights, target)`), as `models/classopt/<digest>.npz` next to the models, in
the same format as the user cache. `get` consults memory, then this store, then the user cache. The
store is read-only: the service never writes into it (results it computes go to the user cache);
only `deemo zoo classopt` (re)generates it (`write_seed`).

Why a folder next to the models rather than inside each model file's metadata: the key already
names the weights (their SHA-256), so a seed cannot be paired with the wrong model and needs no
signing of its own beyond its checksum; the model files, their metadata checksum, `index.json` and
the cards stay byte-identical when seeds are regenerated (a new optimiser format or default
rewrites 56 small files, not 56 model files in git); the model picker, which reads every model's
header when it lists the zoo, does not read 56 x 1001-step histories; and a copy of a shipped model
elsewhere (same weights) still finds its seed.

Verified: every entry written here (seed or user cache) records its key and a SHA-256 over its
arrays and metadata; a seed must have both, and one whose format, key or checksum does not match
is a miss (a damaged or mismatched one is logged), never a wrong result: the result is computed
as if there were no seed. The checksum guards against damage and mix-ups, not against someone who
can write `models/` (they could replace the model files as well). `DEEMO_CLASSOPT_SEEDS` names another seed folder, or
`off` for none (what a new installation did before the zoo carried its seeds).
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
SEEDS_ENV = "DEEMO_CLASSOPT_SEEDS"  # another seed folder, or "off"


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


def default_keys(meta: dict) -> list[ClassOptKey]:
    """The keys the app asks for with its default settings for a saved model (its metadata): one per
    task (the Dashboard, the Class optimization panel and the Motifs extraction use the same)."""
    n_tasks = len(meta.get("task_names") or []) or int(meta.get("n_tasks") or 1)
    return [ClassOptKey(str(meta["weights_sha256"]), target) for target in range(n_tasks)]


def zoo_seed_folder() -> str:
    """`classopt/` of the zoo (`core.zoo.zoo_dir()`: the shipped `models/`, or `$DEEMO_MODELS`): where
    `deemo zoo classopt` writes the seeds."""
    from deemo_gui.core.zoo import zoo_dir

    return os.path.join(zoo_dir(), "classopt")


def seed_folder() -> str | None:
    """The read-only seed store the app reads: `$DEEMO_CLASSOPT_SEEDS` (`off`: none), else the zoo's."""
    value = os.environ.get(SEEDS_ENV, "")
    if value.lower() in ("off", "0", "none"):
        return None
    return value or zoo_seed_folder()


class ClassOptService:
    """Class optimization results by `ClassOptKey`: in memory, then the shipped seeds (read-only),
    then the user cache on disk, else computed (and written to the user cache only).

    `folder`: the user cache (None: `<user cache dir>/classopt`). `seeds`: the seed folder, True for
    `seed_folder()` (looked up at each call, so the environment can change it), False for none."""

    def __init__(self, folder: str | None = None, seeds: str | bool = True):
        self._folder = folder
        self._seeds = seeds
        self._memory: dict[ClassOptKey, object] = {}
        self._lock = threading.Lock()

    @property
    def folder(self) -> str:
        if self._folder is not None:
            return self._folder
        from deemo_gui.data_paths import user_cache_dir

        return os.path.join(user_cache_dir(), "classopt")

    @property
    def seeds(self) -> str | None:
        if self._seeds is True:
            return seed_folder()
        return self._seeds or None

    def path(self, key: ClassOptKey) -> str:
        return os.path.join(self.folder, f"{key.digest}.npz")

    def seed_path(self, key: ClassOptKey) -> str | None:
        seeds = self.seeds
        return os.path.join(seeds, f"{key.digest}.npz") if seeds else None

    def get(self, key: ClassOptKey):
        """The stored `ClassOptResult` of `key`, or None (never computes)."""
        with self._lock:
            hit = self._memory.get(key)
        if hit is not None:
            return hit
        seed = self.seed_path(key)
        hit = _read(seed, key, verified=True) if seed else None
        if hit is None:
            hit = _read(self.path(key), key)
        if hit is not None:
            with self._lock:
                self._memory[key] = hit
        return hit

    def put(self, key: ClassOptKey, result) -> None:
        with self._lock:
            self._memory[key] = result
        try:
            os.makedirs(self.folder, exist_ok=True)
            _write(self.path(key), result, key)
        except Exception as exc:  # a read-only or full disk costs a recomputation later, nothing else
            log.warning("class optimization not saved to %s: %s", self.folder, exc)

    def forget_memory(self) -> None:
        """Drop the in-memory copies (the disk keeps them): what a new process sees."""
        with self._lock:
            self._memory.clear()

    def steps(self, network, key: ClassOptKey, every: int = 25):
        """Generator: the stored result of `key`, else run the optimization on `network` (yields the
        core's `ClassOptProgress`), store it and return the `ClassOptResult`."""
        hit = self.get(key)
        if hit is not None:
            return hit
        result = yield from compute(network, key, every)
        self.put(key, result)
        return result


def compute(network, key: ClassOptKey, every: int = 25):
    """Generator: run the class optimization of `key` on `network` (yields the core's
    `ClassOptProgress`), return the `ClassOptResult`; stores nothing."""
    from deemo_gui.core.explain import ClassOptResult, class_optimization_steps

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
    return result


SERVICE = ClassOptService()


def write_seed(folder: str, key: ClassOptKey, result) -> str:
    """Write one seed entry (`deemo zoo classopt` only: the app never writes seeds); returns its path."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"{key.digest}.npz")
    _write(path, result, key)
    return path


def read_seed(folder: str, key: ClassOptKey):
    """The verified seed entry of `key` in `folder`, or None (missing or not matching)."""
    return _read(os.path.join(folder, f"{key.digest}.npz"), key, verified=True)


_ARRAYS = ("probs", "X", "history")


def _checksum(arrays: dict, meta: dict) -> str:
    """SHA-256 over the arrays (name, dtype, shape, bytes) and the metadata without its checksum."""
    h = hashlib.sha256()
    for name in _ARRAYS:
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}|{a.dtype.str}|{a.shape}".encode())
        h.update(a.tobytes())
    body = {k: v for k, v in meta.items() if k != "sha256"}
    h.update(json.dumps(body, sort_keys=True).encode())
    return h.hexdigest()


def _write(path: str, result, key: ClassOptKey | None = None) -> None:
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
    if key is not None:
        meta["key"] = asdict(key)
    arrays = {"probs": np.asarray(pwm.probs), "X": np.asarray(result.X), "history": np.asarray(result.history)}
    meta["sha256"] = _checksum(arrays, meta)
    buf = io.BytesIO()
    np.savez(buf, probs=arrays["probs"], X=arrays["X"], history=arrays["history"], meta=np.array(json.dumps(meta)))
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(buf.getvalue())


def _read(path: str, key: ClassOptKey | None = None, verified: bool = False):
    """The `ClassOptResult` stored at `path`, or None (missing, another format, damaged). With `key`,
    an entry recording another key is a miss; `verified`: the entry must record its key and checksum
    (seeds), else they are checked where present (user cache files of older versions lack them)."""
    if not os.path.exists(path):
        return None
    from deemo_gui.core.explain import ClassOptResult
    from deemo_gui.core.motifs import PWM

    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            if meta.get("format") != FORMAT:
                return None
            if verified and ("key" not in meta or "sha256" not in meta):
                raise ValueError("no key or checksum recorded")
            if key is not None and "key" in meta and meta["key"] != asdict(key):
                raise ValueError("made for another key")
            if "sha256" in meta and meta["sha256"] != _checksum({n: data[n] for n in _ARRAYS}, meta):
                raise ValueError("does not match its checksum")
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
    except (
        Exception
    ) as exc:  # a damaged or mismatched file is a miss (a user cache file: the next result overwrites it)
        log.warning("ignoring the class optimization file %s: %s", path, exc)
        return None
