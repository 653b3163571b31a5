"""PyInstaller runtime hook of the deemo-gui bundle: runs before the app's first import.

numba (memelite's Tomtom and FIMO kernels) would compile on the user's machine at first use
(~40-80 s). The build compiles them instead (packaging/build.sh runs the frozen self-test once)
and ships the result in `_internal/numba_cache/`; this hook copies it into the per-user numba
cache on the first start of each build (milliseconds), so the first Tomtom is as fast as the
second. Why a copy and not NUMBA_CACHE_DIR pointing into the bundle: numba refuses a cache folder
it cannot write to (it probes with a temporary file and then compiles into ~/.cache/numba), and
it names a cached module's folder after the absolute path of its source folder, which depends on
where the bundle was installed (/opt/deemo-gui, an unpacked tarball, dist/). The cache entries
themselves only depend on the executable's contents (numba's source stamp in a frozen app), the
numba version and the CPU target: NUMBA_CPU_NAME=generic makes that target portable (the build
machine's CPU features are not assumed). A NUMBA_CACHE_DIR or NUMBA_CPU_NAME set by the user wins
(then numba compiles when the cache does not fit).

matplotlib (logo exports only) gets a per-user folder of its own (MPLCONFIGDIR, always): its font
list is built once instead of at every start (the spec drops PyInstaller's hook that used a
temporary folder), and a user's own matplotlibrc cannot pick a backend the bundle lacks. The
bundle carries only the file backends (Agg, PDF, SVG, PS), so MPLBACKEND is Agg.
"""

import hashlib
import os
import shutil
import sys
import tempfile

SEED_FOLDER = "numba_cache"  # in sys._MEIPASS: <source folder relative to _MEIPASS>/*.nbi|*.nbc + SEED
SEED_ID_FILE = "SEED"
SEED_MARKER = ".deemo-gui-seed"  # in the user's cache: the SEED id copied last


def _user_cache_root() -> str:
    if sys.platform == "win32":
        return os.environ.get("LOCALAPPDATA") or os.path.join(os.path.expanduser("~"), "AppData", "Local")
    if sys.platform == "darwin":
        return os.path.join(os.path.expanduser("~"), "Library", "Caches")
    return os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")


def _writable(folder: str) -> bool:
    try:
        os.makedirs(folder, exist_ok=True)
        probe = os.path.join(folder, f".write-test-{os.getpid()}")
        with open(probe, "w"):
            pass
        os.remove(probe)
        return True
    except OSError:
        return False


def _set_folder(variable: str, name: str, keep_users: bool) -> bool:
    """Point `variable` at a writable per-user folder; False when the user's own value was kept."""
    if keep_users and os.environ.get(variable):
        return False
    user = str(os.getuid()) if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
    for folder in (
        os.path.join(_user_cache_root(), "deemo-gui", name),
        os.path.join(tempfile.gettempdir(), f"deemo-gui-{user}", name),
    ):
        if _writable(folder):
            os.environ[variable] = folder
            return True
    return False


def numba_cache_subfolder(source_dir: str) -> str:
    """The folder numba caches a module's functions in, below NUMBA_CACHE_DIR, for a module whose
    source file lies in `source_dir` (numba.core.caching._CacheLocator.get_suitable_cache_subpath)."""
    path = os.path.abspath(source_dir)
    return "_".join([os.path.split(path)[-1], hashlib.sha1(path.encode()).hexdigest()])


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read().strip()
    except OSError:
        return ""


def _copy_atomic(src: str, dest: str) -> None:
    tmp = f"{dest}.tmp-{os.getpid()}"
    shutil.copyfile(src, tmp)
    os.replace(tmp, dest)


def seed_numba_cache(bundle: str, cache_dir: str) -> int:
    """Copy the bundle's precompiled kernels into `cache_dir` once per build; returns the number of
    files copied (0 when there is no seed or it was copied before)."""
    seed = os.path.join(bundle, SEED_FOLDER)
    seed_id = _read(os.path.join(seed, SEED_ID_FILE))
    marker = os.path.join(cache_dir, SEED_MARKER)
    if not seed_id or _read(marker) == seed_id:
        return 0
    copied = 0
    for here, _dirs, files in os.walk(seed):
        kernels = [f for f in files if f.endswith((".nbi", ".nbc"))]
        if not kernels:
            continue
        source_dir = os.path.join(bundle, os.path.relpath(here, seed))
        # numba takes the path as Python sees it (sys._MEIPASS), which may differ from the real path
        targets = {numba_cache_subfolder(source_dir), numba_cache_subfolder(os.path.realpath(source_dir))}
        for target in targets:
            dest_dir = os.path.join(cache_dir, target)
            os.makedirs(dest_dir, exist_ok=True)
            for name in kernels:
                _copy_atomic(os.path.join(here, name), os.path.join(dest_dir, name))
                copied += 1
    tmp = f"{marker}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(seed_id + "\n")
    os.replace(tmp, marker)
    return copied


def _setup_numba() -> None:
    users_cpu = bool(os.environ.get("NUMBA_CPU_NAME"))
    if not users_cpu:
        os.environ["NUMBA_CPU_NAME"] = "generic"  # what the shipped kernels were compiled for
    ours = _set_folder("NUMBA_CACHE_DIR", "numba", keep_users=True)
    bundle = getattr(sys, "_MEIPASS", None)
    if ours and bundle and not users_cpu:
        try:
            seed_numba_cache(bundle, os.environ["NUMBA_CACHE_DIR"])
        except OSError:  # a full disk or a race with another start: numba compiles on demand instead
            pass


_setup_numba()
_set_folder("MPLCONFIGDIR", "matplotlib", keep_users=False)
os.environ["MPLBACKEND"] = "Agg"
