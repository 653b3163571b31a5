"""Build hook: the wheel carries the shipped data inside the package.

The repository keeps the model zoo and the example data at the top level (`models/`,
`resources/`); a wheel copies them into `deemo_gui/_data/{models,resources}`, where
`deemo_gui.data_paths` finds them with `importlib.resources`. Editable installs skip the copy:
they read the top-level folders of the checkout. Everything else is in pyproject.toml.
"""

import os
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
# What the installed app reads: the zoo (weights, index, model cards, the class optimization seeds
# in models/classopt/), the example sequences, the training / test data the models name, the icons.
# Not the README screenshots.
DATA = {
    "models": ["*.safetensors", "*.md", "index.json", "classopt/*.npz"],
    "resources/data": ["**/*"],
    "resources/examples": ["*.fa", "synthetic/**/*"],
    "resources/icons": ["*.png", "*.svg"],
}


def shipped_data_files() -> list[Path]:
    """The data files (relative to the repository root) a wheel carries, sorted."""
    files = set()
    for folder, patterns in DATA.items():
        for pattern in patterns:
            files.update(p for p in (ROOT / folder).glob(pattern) if p.is_file() and "__pycache__" not in p.parts)
    return sorted(p.relative_to(ROOT) for p in files)


class build_py_with_data(build_py):
    """build_py, plus `models/` and `resources/` copied into `deemo_gui/_data/` (not when editable)."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "deemo_gui" / "_data"
        files = shipped_data_files()
        if not any(f.parts[0] == "models" and f.suffix == ".safetensors" for f in files):
            raise SystemExit("setup.py: models/ has no *.safetensors; a wheel without its model zoo is useless")
        if target.exists():
            shutil.rmtree(target)
        for rel in files:
            dest = target / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, dest)
        self.announce(f"copied {len(files)} data files into {target}", level=2)

    def get_outputs(self, include_bytecode=True):
        outputs = super().get_outputs(include_bytecode)
        if not getattr(self, "editable_mode", False):
            base = os.path.join(self.build_lib, "deemo_gui", "_data")
            outputs += [os.path.join(base, str(rel)) for rel in shipped_data_files()]
        return outputs


setup(cmdclass={"build_py": build_py_with_data})
