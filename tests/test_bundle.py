"""The desktop bundle (PyInstaller, one folder): build it with packaging/build.sh, run its
self-test twice (cold numba cache: Tomtom compiles; warm: it loads the cache), install and
uninstall it into a scratch home. Slow (a build takes minutes): `pytest -m slow tests/test_bundle.py`."""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist" / "deemo-gui"
EXE = DIST / ("deemo-gui.exe" if sys.platform == "win32" else "deemo-gui")
SUMMARY = re.compile(
    r"^deemo-gui self-test OK: frozen .*\| tomtom (MA\d{4}\.\d+) vs (\d+) (JASPAR\d{4}) CORE vertebrates: "
    r"best (MA\d{4}\.\d+) p=\S+ \(([\d.]+) s; releases offline: ([\w,]+)\)",
    re.MULTILINE,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(3600),
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="packaging/build.sh is the Linux build"),
]


@pytest.fixture(scope="module")
def bundle() -> Path:
    if os.environ.get("DEEMO_BUNDLE_PREBUILT") != "1" or not EXE.exists():
        subprocess.run(["bash", str(ROOT / "packaging" / "build.sh")], cwd=ROOT, check=True, timeout=3000)
    assert EXE.exists() and os.access(EXE, os.X_OK)
    return DIST


def _self_test(env_extra: dict, tmp_path: Path) -> tuple[subprocess.CompletedProcess, re.Match]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEEMO_", "NUMBA_", "PYTHON", "MPL"))}
    env.update({"QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path / "home"),
                "XDG_CACHE_HOME": str(tmp_path / "cache"), "XDG_CONFIG_HOME": str(tmp_path / "config")})
    env.update(env_extra)
    proc = subprocess.run([str(EXE), "--self-test"], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    m = SUMMARY.search(proc.stdout)
    assert m, proc.stdout
    assert len(proc.stdout.strip().splitlines()) == 1, proc.stdout
    return proc, m


def test_bundle_self_test_cold_then_warm(bundle, tmp_path):
    (tmp_path / "home").mkdir()
    _, cold = _self_test({}, tmp_path)
    query, n_targets, release, best, cold_s, available = cold.groups()
    assert query.split(".")[0] == best.split(".")[0]
    assert int(n_targets) > 500
    assert available == release  # the bundle carries exactly one JASPAR release: the default
    # The runtime hook put numba's cache in the per-user folder, and the kernels are there.
    cache = tmp_path / "cache" / "deemo-gui" / "numba"
    assert any(cache.rglob("*.nbi")), list(cache.rglob("*"))
    _, warm = _self_test({}, tmp_path)
    warm_s = float(warm.group(5))
    assert warm_s < 15.0 and warm_s < float(cold_s), (cold_s, warm_s)


def test_bundle_contents(bundle):
    internal = bundle / "_internal"
    from deemo_gui.core.motifs import newest_release  # the app's default release

    assert sorted(p.name for p in (internal / "pyjaspar" / "data").glob("*.sqlite")) == [f"{newest_release()}.sqlite"]
    shipped = sorted(p.name for p in (ROOT / "models").glob("*.safetensors"))
    assert sorted(p.name for p in (internal / "models").glob("*.safetensors")) == shipped
    assert (internal / "resources" / "icons" / "deemo-gui.png").exists()
    assert (internal / "resources" / "data" / "deepbind_encode").is_dir()
    assert (internal / "memelite" / "tomtom.py").exists()  # numba caches only functions with a source file
    for unused in ("sklearn", "tensorboard", "torch/test", "torch/include", "pytest", "IPython"):
        assert not (internal / unused).exists(), unused
    size = sum(f.stat().st_size for f in bundle.rglob("*") if f.is_file() and not f.is_symlink())
    assert size < 1.1 * 2**30, f"bundle grew to {size / 2**30:.2f} GiB"


def test_install_and_uninstall(bundle, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / ".local" / "share")}
    subprocess.run(["bash", str(bundle / "install.sh")], env=env, check=True, capture_output=True, timeout=600)
    share = home / ".local" / "share"
    launcher = home / ".local" / "bin" / "deemo-gui"
    assert (share / "deemo-gui" / "deemo-gui").exists() and launcher.exists()
    desktop = (share / "applications" / "deemo-gui.desktop").read_text()
    assert f'Exec="{launcher}" %F' in desktop and "Icon=deemo-gui" in desktop
    assert (share / "icons" / "hicolor" / "256x256" / "apps" / "deemo-gui.png").exists()
    out = subprocess.run([str(launcher), "--help"], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and "--self-test" in out.stdout
    subprocess.run(["bash", str(share / "deemo-gui" / "install.sh"), "--uninstall"], env=env, check=True,
                   capture_output=True, timeout=300)
    assert not (share / "deemo-gui").exists() and not launcher.exists()
    assert not (share / "applications" / "deemo-gui.desktop").exists()
    shutil.rmtree(home, ignore_errors=True)
