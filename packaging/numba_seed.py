"""Build step: turn the numba cache that a run of the frozen app filled into the bundle's
relocatable seed, `_internal/numba_cache/` (read by packaging/rthook_deemo.py).

    python packaging/numba_seed.py BUNDLE RAW_CACHE

BUNDLE is dist/deemo-gui; RAW_CACHE the NUMBA_CACHE_DIR the frozen self-test ran with. numba names
each cached module's folder `<folder name>_<sha1 of the folder's absolute path>`; the seed stores
it under the source folder's path relative to `_internal/` instead (e.g. `numba_cache/memelite/`),
and the runtime hook maps it back to wherever the bundle is installed. SEED holds the id of this
build (the executable's SHA-256, which is numba's source stamp in a frozen app), so each user copies
each build's kernels once. Exits 1 with one line when the run compiled nothing usable.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from pathlib import Path


def _hook():
    """packaging/rthook_deemo.py as a module: the seed layout and numba's folder naming it shares."""
    import importlib.util

    path = Path(__file__).resolve().parent / "rthook_deemo.py"
    source = path.read_text(encoding="utf-8")
    spec = importlib.util.spec_from_loader("deemo_rthook_definitions", loader=None)
    module = importlib.util.module_from_spec(spec)
    # only the definitions: the hook's last lines set environment variables
    exec(compile(source[: source.index("\n_setup_numba()")], str(path), "exec"), module.__dict__)  # noqa: S102
    return module


_HOOK = _hook()
SEED_FOLDER, SEED_ID_FILE, numba_cache_subfolder = _HOOK.SEED_FOLDER, _HOOK.SEED_ID_FILE, _HOOK.numba_cache_subfolder


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def make_seed(bundle: Path, raw_cache: Path) -> list[str]:
    """Write `bundle/_internal/numba_cache`; returns the source folders seeded (relative)."""
    internal = bundle / "_internal"
    exe = next((p for p in (bundle / "deemo-gui", bundle / "deemo-gui.exe") if p.exists()), None)
    if exe is None:
        raise SystemExit(f"numba_seed.py: no deemo-gui executable in {bundle}")
    # every folder of the bundle that holds Python sources numba might have cached functions of
    by_subfolder = {}
    for here, dirs, files in os.walk(internal):
        dirs[:] = [d for d in dirs if d not in ("__pycache__", SEED_FOLDER)]
        if any(f.endswith(".py") for f in files):
            for variant in {here, os.path.realpath(here)}:
                by_subfolder[numba_cache_subfolder(variant)] = Path(here).relative_to(internal)
    seed = internal / SEED_FOLDER
    tmp = internal / f"{SEED_FOLDER}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    seeded, unknown = [], []
    for sub in sorted(p for p in raw_cache.iterdir() if p.is_dir()) if raw_cache.is_dir() else []:
        kernels = sorted(f for f in sub.iterdir() if f.suffix in (".nbi", ".nbc"))
        if not kernels:
            continue
        rel = by_subfolder.get(sub.name)
        if rel is None:  # compiled from outside the bundle (cannot happen in a frozen run)
            unknown.append(sub.name)
            continue
        (tmp / rel).mkdir(parents=True, exist_ok=True)
        for f in kernels:
            shutil.copy2(f, tmp / rel / f.name)
        seeded.append(str(rel))
    if not seeded:
        shutil.rmtree(tmp, ignore_errors=True)
        raise SystemExit(
            f"numba_seed.py: {raw_cache} holds no kernels compiled from {internal}"
            + (f" (only {', '.join(unknown)})" if unknown else "")
        )
    import numba  # the build environment's numba is the bundle's

    (tmp / SEED_ID_FILE).write_text(f"{_sha256(exe)} numba {numba.__version__}\n", encoding="utf-8")
    shutil.rmtree(seed, ignore_errors=True)
    os.replace(tmp, seed)
    return seeded


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python packaging/numba_seed.py BUNDLE RAW_CACHE", file=sys.stderr)
        return 2
    bundle, raw = Path(args[0]), Path(args[1])
    seeded = make_seed(bundle, raw)
    n = sum(1 for _ in (bundle / "_internal" / SEED_FOLDER).rglob("*.nb?"))
    print(f"numba_seed.py: {n} cache files of {', '.join(seeded)} -> {bundle / '_internal' / SEED_FOLDER}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
