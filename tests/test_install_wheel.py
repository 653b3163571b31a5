"""The wheel in a fresh virtual environment (packaging/test_wheel.sh): pip install the wheel, then
`deemo-gui --help`, `deemo-gui --self-test` and `deemo zoo list` as a non-root user with an empty
HOME, no network, from outside the repository; the models come from the installed package.
Slow (a torch install and a first numba compile): `pytest -m slow tests/test_install_wheel.py`."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(3600),
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the check script is for Linux"),
    pytest.mark.skipif(
        not hasattr(os, "geteuid") or os.geteuid() != 0, reason="runs the app as another user: root only"
    ),
    pytest.mark.skipif(shutil.which("runuser") is None, reason="needs runuser"),
]


def test_wheel_in_a_fresh_venv():
    env = {**os.environ, "DEEMO_PYTHON": os.environ.get("DEEMO_PYTHON", sys.executable)}
    out = subprocess.run(
        ["bash", str(ROOT / "packaging" / "test_wheel.sh")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=3000,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "test_wheel.sh: PASSED" in out.stdout
