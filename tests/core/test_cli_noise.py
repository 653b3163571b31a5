"""Library noise filtered (torch's even-kernel note) and CLI output flushed line by line into a file."""

import subprocess
import sys
import time

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]


def test_deepbind_runs_without_the_even_kernel_warning():
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import torch; from deemo_gui.core.networks import build_network;"
            "build_network('deepbind', 1, 101)(torch.zeros(1, 4, 101))",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert out.returncode == 0 and "even kernel" not in out.stderr


def test_cli_progress_reaches_a_file_line_by_line(tmp_path):
    """A slow command's first lines are in the log file before it ends (stdout is a file, not a TTY)."""
    log = tmp_path / "log.txt"
    code = (
        "import sys, time; sys.argv = ['deemo']; from deemo_gui.cli import main as m; m._line_buffered();"
        "print('epoch 1'); time.sleep(3); print('epoch 2')"
    )
    with open(log, "w") as fh:
        proc = subprocess.Popen([sys.executable, "-c", code], stdout=fh, cwd=ROOT)
        deadline = time.time() + 60
        while time.time() < deadline and "epoch 1" not in log.read_text():
            time.sleep(0.1)
        first = log.read_text()
        proc.wait(60)
    assert "epoch 1" in first and "epoch 2" not in first
