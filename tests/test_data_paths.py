"""deemo_gui.data_paths finds the shipped models and resources in every layout: the source tree,
an installed wheel (deemo_gui/_data), the frozen app (sys._MEIPASS); and the wheel build copies
them there (setup.py). Fast: no wheel is built here (tests/test_packaging_wheel.py does, slow)."""

import importlib.util
import re
import sys
from pathlib import Path

import pytest

from deemo_gui import data_paths

ROOT = Path(__file__).resolve().parents[1]


def _fake_data_root(root: Path) -> Path:
    (root / "models").mkdir(parents=True)
    (root / "models" / "X_cnn.safetensors").write_bytes(b"")
    (root / "resources" / "icons").mkdir(parents=True)
    (root / "resources" / "icons" / "deemo-gui.png").write_bytes(b"png")
    return root


def test_source_tree_is_found_without_an_installed_copy(monkeypatch):
    monkeypatch.setattr(data_paths, "_package_root", lambda: None)
    monkeypatch.delattr(sys, "frozen", raising=False)
    assert data_paths.models_dir() == ROOT / "models"
    assert data_paths.resources_dir() == ROOT / "resources"
    assert data_paths.resource("icons", "deemo-gui.png").is_file()
    assert (data_paths.data_root() / "resources" / "examples").is_dir()


def test_wheel_layout_wins_over_the_source_tree(monkeypatch, tmp_path):
    """An installed wheel: deemo_gui/_data/{models,resources}, found with importlib.resources."""
    pkg = tmp_path / "site-packages" / "deemo_gui"
    _fake_data_root(pkg / data_paths.PACKAGE_DATA)
    asked = []

    def files(package):
        asked.append(package)
        return pkg

    monkeypatch.setattr(data_paths.resources, "files", files)
    monkeypatch.delattr(sys, "frozen", raising=False)
    monkeypatch.delenv("DEEMO_MODELS", raising=False)
    assert data_paths.models_dir() == pkg / "_data" / "models"
    assert data_paths.resource("icons", "deemo-gui.png").read_bytes() == b"png"
    assert asked and set(asked) == {"deemo_gui"}
    from deemo_gui.core.zoo import shipped_model_paths, zoo_dir

    assert zoo_dir() == pkg / "_data" / "models"
    assert shipped_model_paths() == [str(pkg / "_data" / "models" / "X_cnn.safetensors")]


def test_the_source_tree_has_no_stale_data_copy():
    """A checkout (or an editable install) reads the top-level folders: no deemo_gui/_data there."""
    assert not (ROOT / "deemo_gui" / data_paths.PACKAGE_DATA).exists()
    assert data_paths._package_root() is None


def test_frozen_app_wins(monkeypatch, tmp_path):
    root = _fake_data_root(tmp_path / "_internal")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(root), raising=False)
    assert data_paths.models_dir() == root / "models"
    assert data_paths.resources_dir() == root / "resources"
    from deemo_gui.examples import resources_dir

    assert resources_dir() == root / "resources"


def test_a_root_without_the_folder_is_skipped(monkeypatch, tmp_path):
    """A frozen app without resources/ (a broken bundle) falls through to the next root."""
    (tmp_path / "_internal" / "models").mkdir(parents=True)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "_internal"), raising=False)
    monkeypatch.setattr(data_paths, "_package_root", lambda: None)
    assert data_paths.models_dir() == tmp_path / "_internal" / "models"
    assert data_paths.resources_dir() == ROOT / "resources"


def test_the_five_callers_use_the_locator(monkeypatch, tmp_path):
    """selftest, examples, demo, the plot example and the zoo read their data through data_paths."""
    for rel in (
        "deemo_gui/selftest.py",
        "deemo_gui/examples.py",
        "deemo_gui/demo.py",
        "deemo_gui/qt/plots/example.py",
        "deemo_gui/core/zoo.py",
        "deemo_gui/qt/app.py",
    ):
        text = (ROOT / rel).read_text()
        assert "data_paths" in text, rel
        assert "parents[" not in text, f"{rel} finds data relative to its own file again"


def test_wheel_build_copies_what_the_app_reads():
    """setup.py's list: every model, index and card, the class optimization seeds, the example and
    training data, the icons; not the README screenshots."""
    import setuptools

    spec = importlib.util.spec_from_file_location("deemo_setup_hook", ROOT / "setup.py")
    module = importlib.util.module_from_spec(spec)
    real_setup, setuptools.setup = setuptools.setup, lambda **kwargs: None  # load it without building
    try:
        spec.loader.exec_module(module)
    finally:
        setuptools.setup = real_setup
    files = {str(p) for p in module.shipped_data_files()}
    models = {f"models/{p.name}" for p in (ROOT / "models").glob("*.safetensors")}
    if not models:
        pytest.skip("models/ has no model files")
    assert models <= files
    assert "models/index.json" in files
    seeds = {f"models/classopt/{p.name}" for p in (ROOT / "models" / "classopt").glob("*.npz")}
    assert seeds and seeds <= files  # the shipped class optimizations (viewer/classopt_cache.py)
    assert "resources/icons/deemo-gui.png" in files and "resources/icons/deemo-gui.svg" in files
    assert "resources/examples/REST_GM12878_test.fa" in files
    assert "resources/data/deepbind_encode/REST_GM12878_B.seq.gz" in files
    assert not any(f.startswith("resources/screenshots") or f.endswith(".py") for f in files)
    # the paths the models record for their test data are all carried
    from deemo_gui.core.modelfile import read_metadata

    for name in sorted(models):
        described = (read_metadata(ROOT / name).get("test") or {}).get("data") or ""
        for rel in re.findall(r"resources/\S+", described):  # e.g. "resources/data/x.txt positives + ..."
            assert rel in files, (name, rel)


def test_the_user_data_folder_follows_the_platform_and_the_override(monkeypatch, tmp_path):
    monkeypatch.delenv("DEEMO_DATA_DIR", raising=False)
    monkeypatch.setattr(data_paths.sys, "platform", "linux")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert data_paths.user_data_dir() == tmp_path / "xdg" / "deemo-gui"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert data_paths.user_data_dir() == Path.home() / ".local" / "share" / "deemo-gui"
    monkeypatch.setattr(data_paths.sys, "platform", "win32")
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "local"))
    assert data_paths.user_data_dir() == tmp_path / "local" / "deemo-gui"
    monkeypatch.setenv("DEEMO_DATA_DIR", str(tmp_path / "mine"))
    assert data_paths.user_data_dir() == tmp_path / "mine"
