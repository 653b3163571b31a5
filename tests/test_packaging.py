"""The packaging pieces that need no build (fast): the runtime hook's numba cache seeding and
numba's naming of cache folders (which the seed must follow), the seed builder, the frozen entry
point's command dispatch, and the Debian package's desktop entry, MIME types and AppStream file."""

import hashlib
import importlib.util
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def rthook(tmp_path_factory):
    """The runtime hook as a module, without running its set-up (that edits os.environ)."""
    source = (PACKAGING / "rthook_deemo.py").read_text()
    body = source[: source.index("\n_setup_numba()")]
    path = tmp_path_factory.mktemp("hook") / "rthook_module.py"
    path.write_text(body)
    return _load("rthook_module", path)


def test_cache_folder_name_is_numbas(rthook, tmp_path):
    from numba.core.caching import _CacheLocator

    src = tmp_path / "opt" / "deemo-gui" / "_internal" / "memelite"
    src.mkdir(parents=True)
    py_file = src / "tomtom.py"
    assert rthook.numba_cache_subfolder(str(src)) == _CacheLocator.get_suitable_cache_subpath(str(py_file))
    assert rthook.numba_cache_subfolder(str(src)).startswith("memelite_")


def test_frozen_source_stamp_is_the_executables_contents():
    """The shipped kernels stay valid wherever the bundle lies because numba stamps a frozen
    app's cache with a hash of the executable's bytes, not its path or time stamp."""
    import inspect

    from numba.core import caching

    stamp = inspect.getsource(caching._SourceFileBackedLocatorMixin.get_source_stamp)
    assert "sys.executable" in stamp and "_hash_source_file" in stamp
    hashed = inspect.getsource(caching._hash_source_file)
    assert "sha256" in hashed


def _bundle_with_seed(root: Path, seed_id: str) -> Path:
    bundle = root / "_internal"
    (bundle / "memelite").mkdir(parents=True)
    seed = bundle / "numba_cache" / "memelite"
    seed.mkdir(parents=True)
    (seed / "tomtom.f-10.py311.nbi").write_bytes(b"index")
    (seed / "tomtom.f-10.py311.1.nbc").write_bytes(b"code")
    (bundle / "numba_cache" / "SEED").write_text(seed_id + "\n")
    return bundle


def test_seed_is_copied_once_per_build_to_where_numba_looks(rthook, tmp_path):
    bundle = _bundle_with_seed(tmp_path / "opt", "build-1")
    cache = tmp_path / "home" / ".cache" / "deemo-gui" / "numba"
    cache.mkdir(parents=True)
    assert rthook.seed_numba_cache(str(bundle), str(cache)) == 2
    target = cache / rthook.numba_cache_subfolder(str(bundle / "memelite"))
    assert (target / "tomtom.f-10.py311.nbi").read_bytes() == b"index"
    assert (target / "tomtom.f-10.py311.1.nbc").read_bytes() == b"code"
    assert not list(cache.rglob("*.tmp-*"))
    assert rthook.seed_numba_cache(str(bundle), str(cache)) == 0  # the same build: nothing to do
    (target / "tomtom.f-10.py311.nbi").write_bytes(b"numba added a signature")
    assert rthook.seed_numba_cache(str(bundle), str(cache)) == 0  # ... and numba's own entries stay
    (bundle / "numba_cache" / "SEED").write_text("build-2\n")  # an update: its kernels replace the old
    assert rthook.seed_numba_cache(str(bundle), str(cache)) == 2
    assert (target / "tomtom.f-10.py311.nbi").read_bytes() == b"index"


def test_no_seed_no_copy(rthook, tmp_path):
    (tmp_path / "_internal").mkdir()
    assert rthook.seed_numba_cache(str(tmp_path / "_internal"), str(tmp_path / "cache")) == 0


def test_seed_builder_maps_numba_folders_back_to_bundle_paths(rthook, tmp_path):
    numba_seed = _load("numba_seed", PACKAGING / "numba_seed.py")
    bundle = tmp_path / "dist" / "deemo-gui"
    (bundle / "_internal" / "memelite").mkdir(parents=True)
    (bundle / "_internal" / "memelite" / "tomtom.py").write_text("")
    (bundle / "deemo-gui").write_bytes(b"\x7fELF executable")
    raw = tmp_path / "raw"
    sub = raw / rthook.numba_cache_subfolder(str(bundle / "_internal" / "memelite"))
    sub.mkdir(parents=True)
    (sub / "tomtom.f-1.py311.nbi").write_bytes(b"i")
    (sub / "tomtom.f-1.py311.1.nbc").write_bytes(b"c")
    assert numba_seed.make_seed(bundle, raw) == ["memelite"]
    seed = bundle / "_internal" / "numba_cache"
    assert sorted(p.name for p in (seed / "memelite").iterdir()) == ["tomtom.f-1.py311.1.nbc", "tomtom.f-1.py311.nbi"]
    assert (seed / "SEED").read_text().split()[0] == hashlib.sha256(b"\x7fELF executable").hexdigest()
    # and the runtime hook, with the bundle moved elsewhere, puts them where numba looks there
    moved = tmp_path / "opt" / "deemo-gui"
    shutil.copytree(bundle, moved)
    cache = tmp_path / "cache"
    assert rthook.seed_numba_cache(str(moved / "_internal"), str(cache)) == 2
    assert (
        cache / rthook.numba_cache_subfolder(str(moved / "_internal" / "memelite")) / "tomtom.f-1.py311.nbi"
    ).exists()


def test_seed_builder_refuses_an_empty_run(tmp_path):
    numba_seed = _load("numba_seed", PACKAGING / "numba_seed.py")
    (tmp_path / "b" / "_internal").mkdir(parents=True)
    (tmp_path / "b" / "deemo-gui").write_bytes(b"x")
    (tmp_path / "raw").mkdir()
    with pytest.raises(SystemExit, match="holds no kernels"):
        numba_seed.make_seed(tmp_path / "b", tmp_path / "raw")


@pytest.mark.parametrize(
    ("argv0", "command"),
    [
        ("/usr/bin/deemo", "deemo"),
        ("deemo", "deemo"),
        ("/opt/deemo-gui/deemo-gui", "deemo-gui"),
        ("/usr/bin/deemo-gui", "deemo-gui"),
        ("C:\\\\deemo.exe", "deemo"),
        ("", "deemo-gui"),
    ],
)
def test_frozen_entry_point_dispatches_on_its_name(monkeypatch, argv0, command):
    entry = _load("deemo_gui_main", PACKAGING / "deemo_gui_main.py")
    monkeypatch.setattr(sys, "argv", [argv0.replace("C:\\\\", "")])
    assert entry._command_name() == command


def test_desktop_entry():
    text = (PACKAGING / "deemo-gui.desktop").read_text()
    assert "Exec=deemo-gui %F" in text and "Icon=deemo-gui" in text
    mime = next(line for line in text.splitlines() if line.startswith("MimeType="))
    for kind in ("text/x-fasta", "application/x-fasta-gzip", "application/x-deemo-session"):
        assert kind in mime
    if shutil.which("desktop-file-validate"):
        out = subprocess.run(
            ["desktop-file-validate", str(PACKAGING / "deemo-gui.desktop")], capture_output=True, text=True, check=False
        )
        assert out.returncode == 0 and not out.stdout.strip(), out.stdout + out.stderr


def test_mime_types_cover_fasta_and_sessions():
    ns = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}
    root = ET.parse(PACKAGING / "deb" / "deemo-gui-mime.xml").getroot()
    globs = {
        t.get("type"): {g.get("pattern") for g in t.findall("m:glob", ns)} for t in root.findall("m:mime-type", ns)
    }
    assert {"*.fa", "*.fasta"} <= globs["text/x-fasta"]
    assert "*.fa.gz" in globs["application/x-fasta-gzip"]
    assert globs["application/x-deemo-session"] == {"*.deemo.json"}
    # the app's own name for its session files (the Open session dialog's filter)
    assert "*.deemo.json" in (ROOT / "deemo_gui" / "qt" / "main_window.py").read_text()


def test_appstream_entry_names_the_desktop_file():
    root = ET.parse(PACKAGING / "deb" / "deemo-gui.metainfo.xml").getroot()
    assert root.find("launchable").text == "deemo-gui.desktop"
    from deemo_gui import __version__

    assert root.find("releases/release").get("version") == __version__
