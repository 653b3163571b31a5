"""PyInstaller runtime hook of the deemo-gui bundle: runs before the app's first import.

numba (memelite's Tomtom and FIMO kernels) caches compiled code next to the module's source by
default, i.e. inside the bundle, which may be read-only and is replaced by every update. Point
it at a per-user cache folder instead, so the ~40-80 s compile happens once per machine (in the
background, at the first start: deemo_gui.qt.motif_warmup) and later starts load it in a second.
numba keys the cache on the executable's path, size and time stamp, so a new bundle recompiles
once. A NUMBA_CACHE_DIR set by the user wins.

matplotlib (logo exports only) gets a per-user folder of its own (MPLCONFIGDIR, always): its font
list is built once instead of at every start (the spec drops PyInstaller's hook that used a
temporary folder), and a user's own matplotlibrc cannot pick a backend the bundle lacks. The
bundle carries only the file backends (Agg, PDF, SVG, PS), so MPLBACKEND is Agg.
"""
import os
import sys
import tempfile


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


def _set_folder(variable: str, name: str, keep_users: bool) -> None:
    if keep_users and os.environ.get(variable):
        return
    user = str(os.getuid()) if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
    for folder in (os.path.join(_user_cache_root(), "deemo-gui", name),
                   os.path.join(tempfile.gettempdir(), f"deemo-gui-{user}", name)):
        if _writable(folder):
            os.environ[variable] = folder
            return


_set_folder("NUMBA_CACHE_DIR", "numba", keep_users=True)
_set_folder("MPLCONFIGDIR", "matplotlib", keep_users=False)
os.environ["MPLBACKEND"] = "Agg"
