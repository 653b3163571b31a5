"""The one-way doors of ARCHITECTURE.md, as loaded at run time: importing `deemo_gui.core` or
`deemo_gui.viewer` (every module) in a fresh interpreter loads no Qt. `lint-imports` checks the same
contracts statically but lets the viewer's lazy window imports (`Viewer.show`) through."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

QT_MODULES = ("PySide6", "pyqtgraph", "deemo_gui.qt")

PROBE = """
import importlib, json, pkgutil, sys
package = importlib.import_module(sys.argv[1])
for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
    importlib.import_module(info.name)
print(json.dumps(sorted(sys.modules)))
"""


def loaded_after_importing(package: str) -> list[str]:
    """Module names in `sys.modules` after importing every module of `package` in a new interpreter."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE, package], capture_output=True, text=True, timeout=300, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("package", ["deemo_gui.core", "deemo_gui.viewer"])
def test_importing_loads_no_qt(package):
    qt = [m for m in loaded_after_importing(package) if any(m == q or m.startswith(q + ".") for q in QT_MODULES)]
    assert not qt, f"importing {package} loaded {qt[:5]}"


def test_a_viewer_asks_for_its_window_without_loading_qt():
    """`Viewer.window` and `close()` ask the Qt side only when Qt is loaded: a script's viewer loads none."""
    probe = (
        "import json, sys\n"
        "from deemo_gui.viewer import Viewer\n"
        "v = Viewer()\n"
        "assert v.window is None\n"
        "v.close()\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300, check=True)
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert not [m for m in loaded if any(m == q or m.startswith(q + ".") for q in QT_MODULES)]
