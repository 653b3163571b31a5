"""Where the shipped data lives: the model zoo (`models/`) and `resources/` (example data, icons).

One locator for every install:

- the frozen desktop app (PyInstaller): `sys._MEIPASS` holds `models/` and `resources/`;
- an installed wheel: the build copies both folders into the package as `deemo_gui/_data/`
  (setup.py), read through `importlib.resources`;
- the source tree (a checkout, an editable install): the repository's top-level folders.

The first root that has the folder wins. `data_root()` is the folder holding both, so the
repository-relative paths recorded in model files (e.g. `resources/data/...`) resolve against it.
"""

from __future__ import annotations

import os
import sys
from importlib import resources
from pathlib import Path

PACKAGE_DATA = "_data"  # deemo_gui/_data/{models,resources} inside a wheel


def _frozen_root() -> Path | None:
    meipass = getattr(sys, "_MEIPASS", None)
    return Path(meipass) if getattr(sys, "frozen", False) and meipass else None


def _package_root() -> Path | None:
    """`deemo_gui/_data` of an installed wheel, when it is a real folder on disk."""
    try:
        root = resources.files("deemo_gui") / PACKAGE_DATA
    except (ModuleNotFoundError, TypeError):
        return None
    return Path(str(root)) if isinstance(root, Path) and root.is_dir() else None


def _source_root() -> Path:
    """The repository root (the folder above the package)."""
    return Path(__file__).resolve().parents[1]


def candidate_roots() -> list[Path]:
    """The roots searched, first match wins: frozen app, installed package, source tree."""
    return [root for root in (_frozen_root(), _package_root(), _source_root()) if root is not None]


def data_root(folder: str = "resources") -> Path:
    """The first root that has `folder` (the source tree when none has it, so that error
    messages name the folder a developer expects)."""
    for root in candidate_roots():
        if (root / folder).is_dir():
            return root
    return _source_root()


def models_dir() -> Path:
    """The shipped model zoo (`models/`)."""
    return data_root("models") / "models"


def resources_dir() -> Path:
    """`resources/`: example sequences, training data, icons."""
    return data_root("resources") / "resources"


def resource(*parts: str) -> Path:
    """A path below `resources/`, e.g. `resource("icons", "deemo-gui.png")` (may not exist)."""
    return resources_dir().joinpath(*parts)


def user_data_dir() -> Path:
    """The user's own deemo-gui data (recovery files): `$DEEMO_DATA_DIR`, else the platform's data
    folder (`$XDG_DATA_HOME` or ~/.local/share, ~/Library/Application Support, %LOCALAPPDATA%)."""
    if os.environ.get("DEEMO_DATA_DIR"):
        return Path(os.environ["DEEMO_DATA_DIR"])
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser("~/AppData/Local")
    elif sys.platform == "darwin":
        base = os.path.expanduser("~/Library/Application Support")
    else:
        base = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    return Path(base) / "deemo-gui"


def user_cache_dir() -> str:
    """The user's cache folder for results worth keeping between runs (class optimizations, FASTA
    indexes): `DEEMO_CACHE_DIR`, else `$XDG_CACHE_HOME/deemo-gui` (default ~/.cache/deemo-gui)."""
    import os

    if os.environ.get("DEEMO_CACHE_DIR"):
        return os.environ["DEEMO_CACHE_DIR"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "deemo-gui")
