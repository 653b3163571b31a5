"""The shipped models carry their class optimization (`models/classopt/`, `classopt_cache`'s seed
store): a new installation's first Dashboard reads it instead of running 1000 steps per model. A
seed is what a fresh computation gives, is verified (a mismatched or damaged one is recomputed, never
used), is never written by the app, and every shipped model has one."""

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from deemo_gui.cli.main import main
from deemo_gui.core.modelfile import load_model, read_metadata
from deemo_gui.core.networks import build_network
from deemo_gui.core.zoo import model_name, shipped_model_paths
from deemo_gui.viewer import analysis as A
from deemo_gui.viewer import classopt_cache as C
from deemo_gui.viewer.modelinfo import drain

SHIPPED = shipped_model_paths()
SEEDS = Path(C.zoo_seed_folder())
REGENERATE = "run `deemo zoo classopt` (or `deemo zoo classopt --only NAME`) and commit models/classopt/"
pytestmark = pytest.mark.skipif(not SHIPPED, reason="no shipped models")


@pytest.fixture
def seeds_on(monkeypatch):
    """The app's own setting: the shipped seeds (conftest turns them off for the other tests)."""
    monkeypatch.delenv(C.SEEDS_ENV, raising=False)


def _snapshot(folder: Path) -> dict:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def _count(gen):
    n = 0
    while True:
        try:
            next(gen)
            n += 1
        except StopIteration as stop:
            return stop.value, n


def test_every_shipped_model_carries_its_class_optimization():
    """One valid seed per shipped model and task, with the settings the app asks for by default, and
    no stale ones: a newly added or retrained zoo model without its seed fails here."""
    wanted, missing = set(), []
    for path in SHIPPED:
        for key in C.default_keys(read_metadata(path)):
            wanted.add(f"{key.digest}.npz")
            if C.read_seed(str(SEEDS), key) is None:
                missing.append(f"{model_name(Path(path))} (task {key.target})")
    assert not missing, f"no valid class optimization seed for {', '.join(missing)}: {REGENERATE}"
    stale = sorted({p.name for p in SEEDS.glob("*.npz")} - wanted)
    assert not stale, f"seeds no shipped model asks for: {stale}: {REGENERATE}"
    assert main(["zoo", "classopt", "--check"]) == 0


def test_the_callers_default_keys_are_the_seeded_ones(seeds_on):
    """The Dashboard (`analysis.classopt_key`), the Class optimization panel and the Motifs extraction
    (`motif_jobs.ClassOptSettings` defaults) ask for the key that is seeded."""
    from deemo_gui.viewer import Viewer
    from deemo_gui.viewer.motif_jobs import ClassOptSettings

    entry = Viewer().add_model("models/REST_GM12878_cnn.safetensors", lazy=True)
    (seeded,) = C.default_keys(entry.metadata)
    assert A.classopt_key(entry, 0, A.CLASSOPT_STEPS) == seeded
    s = ClassOptSettings()
    as_motif_jobs = C.ClassOptKey(
        C.weights_hash(entry), s.target, s.steps, s.lam, s.lr, s.restarts, s.seed, parametrization=s.parametrization
    )
    assert as_motif_jobs == seeded
    # the Dashboard's lookup: the seed, without loading the network and without writing the user cache
    hit = A.stored_class_optimization(entry, 0, A.CLASSOPT_STEPS)
    assert hit is not None and not entry.loaded
    assert not os.path.exists(C.SERVICE.folder) or not os.listdir(C.SERVICE.folder)


def test_a_seed_equals_a_fresh_computation(tmp_path):
    """REST_GM12878_deepbind (the fastest of the zoo, ~1 s): the seed is what 1000 fresh steps give with
    its key (deterministic: seeded start, one thread as the app's workers and `deemo zoo classopt`)."""
    path = next(p for p in SHIPPED if model_name(Path(p)) == "REST_GM12878_deepbind")
    (key,) = C.default_keys(read_metadata(path))
    seed = C.ClassOptService(str(tmp_path / "user"), seeds=str(SEEDS)).get(key)
    assert seed is not None
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        fresh = drain(C.compute(load_model(path), key))
    finally:
        torch.set_num_threads(threads)
    # bit-identical on the machine that made them; the tolerance covers another CPU's float rounding
    np.testing.assert_allclose(seed.pwm.probs, fresh.pwm.probs, rtol=0, atol=1e-4)
    np.testing.assert_allclose(seed.X, fresh.X, rtol=0, atol=1e-4)
    np.testing.assert_allclose(seed.history, fresh.history, rtol=0, atol=1e-4)
    assert seed.score == pytest.approx(fresh.score, abs=1e-4)
    assert seed.consensus_score == pytest.approx(fresh.consensus_score, abs=1e-4)
    assert (seed.restart, seed.objective, seed.settings) == (fresh.restart, fresh.objective, fresh.settings)
    assert seed.pwm.consensus() == fresh.pwm.consensus()


@pytest.fixture
def small():
    """A small random `deepbind`, a 6-step key and its result."""
    torch.manual_seed(0)
    net = build_network("deepbind", input_length=30).eval()
    key = C.key_for(net, steps=6)
    return net, key, drain(C.compute(net, key, every=3))


def _rewrite(path: Path, change) -> None:
    """Rewrite the npz at `path` with `change(arrays, meta)` applied (keeps the old checksum)."""
    with np.load(path) as data:
        arrays = {k: np.array(data[k]) for k in data.files if k != "meta"}
        meta = json.loads(str(data["meta"]))
    change(arrays, meta)
    np.savez(path, **arrays, meta=np.array(json.dumps(meta)))


def _another_key(folder: Path, key, net):
    other = C.ClassOptKey(key.weights, steps=7)
    made = C.write_seed(str(folder / "x"), other, drain(C.compute(net, other, every=7)))
    shutil.copy(made, folder / f"{key.digest}.npz")


def _tampered_pwm(folder: Path, key, net):
    _rewrite(folder / f"{key.digest}.npz", lambda arrays, meta: arrays["probs"].__setitem__((0, 0), 0.5))


def _tampered_score(folder: Path, key, net):
    _rewrite(folder / f"{key.digest}.npz", lambda arrays, meta: meta.__setitem__("score", 0.999))


def _no_key_or_checksum(folder: Path, key, net):
    _rewrite(folder / f"{key.digest}.npz", lambda arrays, meta: (meta.pop("key"), meta.pop("sha256")))


def _another_format(folder: Path, key, net):
    _rewrite(folder / f"{key.digest}.npz", lambda arrays, meta: meta.__setitem__("format", C.FORMAT + 1))


def _truncated(folder: Path, key, net):
    p = folder / f"{key.digest}.npz"
    p.write_bytes(p.read_bytes()[:300])


@pytest.mark.parametrize(
    "damage", [_another_key, _tampered_pwm, _tampered_score, _no_key_or_checksum, _another_format, _truncated]
)
def test_a_mismatched_or_damaged_seed_is_recomputed_and_left_alone(tmp_path, small, damage):
    net, key, expected = small
    seeds, user = tmp_path / "seeds", tmp_path / "user"
    C.write_seed(str(seeds), key, expected)
    damage(seeds, key, net)
    shutil.rmtree(seeds / "x", ignore_errors=True)
    before = _snapshot(seeds)
    service = C.ClassOptService(str(user), seeds=str(seeds))
    assert service.get(key) is None  # a miss, never a wrong result
    result, progress = _count(service.steps(net, key, every=3))
    assert progress == 3  # computed: steps 0, 3, 6
    np.testing.assert_array_equal(result.pwm.probs, expected.pwm.probs)
    assert result.score == expected.score
    assert os.path.exists(service.path(key))  # into the user cache
    assert _snapshot(seeds) == before  # the seed store is not repaired, rewritten or added to
    service.forget_memory()
    assert service.get(key).score == expected.score  # the user cache's copy is used from now on


def test_the_service_never_writes_into_the_seed_store(tmp_path, small, monkeypatch):
    net, key, expected = small
    seeds, user = tmp_path / "seeds", tmp_path / "user"
    C.write_seed(str(seeds), key, expected)
    before = _snapshot(seeds)
    written = []
    real_write = C._write
    monkeypatch.setattr(C, "_write", lambda path, *a, **k: (written.append(path), real_write(path, *a, **k)))
    service = C.ClassOptService(str(user), seeds=str(seeds))
    hit, progress = _count(service.steps(net, key, every=3))
    assert progress == 0 and hit.score == expected.score  # the seed, read
    assert written == [] and not user.exists()  # a seed hit is not copied into the user cache
    other = C.key_for(net, steps=7)
    _count(service.steps(net, other, every=7))  # a miss: computed and stored
    assert written == [service.path(other)] and str(seeds) not in os.path.dirname(written[0])
    assert _snapshot(seeds) == before


def test_the_seed_folder_follows_the_environment(tmp_path, monkeypatch):
    service = C.ClassOptService(str(tmp_path))
    monkeypatch.delenv(C.SEEDS_ENV, raising=False)
    assert service.seeds == C.zoo_seed_folder() == str(SEEDS)
    monkeypatch.setenv("DEEMO_MODELS", str(tmp_path / "zoo"))  # another zoo: its own seeds
    assert service.seeds == str(tmp_path / "zoo" / "classopt")
    monkeypatch.setenv(C.SEEDS_ENV, str(tmp_path / "mine"))
    assert service.seeds == str(tmp_path / "mine")
    monkeypatch.setenv(C.SEEDS_ENV, "off")  # what a new installation had before
    assert service.seeds is None and service.seed_path(C.ClassOptKey("0" * 64)) is None
    assert C.ClassOptService(str(tmp_path), seeds=False).seeds is None


def test_zoo_classopt_fills_a_zoo_and_prunes_stale_seeds(tmp_path, monkeypatch, capsys):
    """`deemo zoo classopt` on a one-model zoo: computes the missing seed, keeps a valid one, removes a
    stale one; `--check` exits 2 (a user error, one line) while one is missing."""
    zoo = tmp_path / "zoo"
    zoo.mkdir()
    src = next(p for p in SHIPPED if model_name(Path(p)) == "REST_GM12878_deepbind")
    shutil.copy(src, zoo / "REST_GM12878_deepbind.safetensors")
    monkeypatch.setenv("DEEMO_MODELS", str(zoo))
    real = C.compute
    monkeypatch.setattr(C, "compute", lambda net, key, every=25: _cheap(real, net, key))  # 20 steps, same key
    assert main(["zoo", "classopt", "--check"]) == 2
    assert "run `deemo zoo classopt`" in capsys.readouterr().err
    (zoo / "classopt").mkdir()
    (zoo / "classopt" / ("0" * 40 + ".npz")).write_bytes(b"stale")
    assert main(["zoo", "classopt"]) == 0
    out = capsys.readouterr().out
    assert "REST_GM12878_deepbind task 0" in out and "removed " + "0" * 40 in out
    assert main(["zoo", "classopt", "--check"]) == 0
    (key,) = C.default_keys(read_metadata(zoo / "REST_GM12878_deepbind.safetensors"))
    assert [p.name for p in (zoo / "classopt").iterdir()] == [f"{key.digest}.npz"]
    before = _snapshot(zoo / "classopt")
    assert main(["zoo", "classopt"]) == 0 and "0 computed, 1 kept" in capsys.readouterr().out
    assert _snapshot(zoo / "classopt") == before
    assert main(["zoo", "classopt", "--only", "NOPE"]) == 2


def _cheap(compute, net, key):
    """A generator like `classopt_cache.compute`, 20 steps instead of the key's."""
    result = yield from compute(net, C.ClassOptKey(key.weights, key.target, steps=20), every=10)
    return result
