"""SIGKILL in the middle of each kind of write, 20 times each: the previous file is intact every time.

Each kind runs in a fresh Python process (forking the test process, with the threads other tests left
running, can deadlock the child). There a forked child rewrites the file in a loop; the parent kills it
after a random few milliseconds, reads the file back with the project's own reader and counts the kills
that landed while the temporary file existed, i.e. in the middle of a write.
"""
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KILLS = 20
pytestmark = pytest.mark.skipif(not hasattr(os, "fork") or sys.platform == "darwin", reason="needs fork (Linux)")


def kill_during_writes(path: str, write, read, max_delay: float = 0.04) -> tuple[int, int]:
    """(kills, kills that landed mid-write): at least KILLS kills, and more (up to 15 x) until one lands
    mid-write, so a fast writer is still caught in the act. The delays scale with how long one write
    takes here and now (a loaded machine draws a logo several times slower)."""
    write(path, 0)   # the first write also imports and warms up: time the second
    started = time.perf_counter()
    write(path, 0)
    max_delay = max(max_delay, 2.5 * (time.perf_counter() - started))
    rng, kills, mid_write = random.Random(0), 0, 0
    folder = os.path.dirname(path)
    while kills < KILLS or (mid_write == 0 and kills < 15 * KILLS):
        kills += 1
        pid = os.fork()
        if pid == 0:  # the child: write new versions until killed
            try:
                k = 1
                while True:
                    write(path, k)
                    k += 1
            finally:
                os._exit(0)
        time.sleep(rng.uniform(0.002, max_delay))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        leftovers = [p for p in os.listdir(folder) if p.endswith(".tmp")]
        mid_write += bool(leftovers)
        read(path)  # the last complete version, never a torn one
        for p in leftovers:  # what the killed writer could not clean up
            os.remove(os.path.join(folder, p))
    return kills, mid_write


def _writers(kind: str):
    """(file name, write(path, k), read(path), max_delay) of one kind of file the app writes."""
    import numpy as np

    from deemo_gui.core.atomic import atomic_path, write_text

    if kind == "model":
        from deemo_gui.core.modelfile import load_model, save_model
        from deemo_gui.core.networks import build_network

        model = build_network("cnn-rnn")
        return "m.safetensors", lambda p, k: save_model(model, p, {"version": k}), load_model, 0.04
    if kind in ("meme", "jaspar"):
        from deemo_gui.core.motifs import JasparDB
        from deemo_gui.core.motifs.meme import read_jaspar, read_meme, write_jaspar, write_meme

        db = JasparDB("JASPAR2024")
        pwms = [db.get(m) for m in ("MA0138.3", "MA0139.2", "MA0035.5")] * 40
        writer, reader = (write_meme, read_meme) if kind == "meme" else (write_jaspar, read_jaspar)

        def read_motifs(p):
            assert [m.id for m in reader(p)] == [m.id for m in pwms]

        return f"m.{kind}", lambda p, k: writer(pwms, p), read_motifs, 0.04
    if kind == "session":
        from deemo_gui.viewer import Viewer
        from deemo_gui.viewer.session import read_session, save_session

        viewer = Viewer()
        viewer.open(str(ROOT / "resources" / "examples" / "REST_GM12878_test.fa"))

        def write_session(p, k):
            viewer.set_edited(k % 5, "ACGT" * 25 + "A")
            save_session(viewer, p)

        return "s.deemo.json", write_session, read_session, 0.04
    if kind == "csv":
        rows = "id,p_bound\n" + "\n".join(f"seq{i},{i / 7:.6f}" for i in range(20000)) + "\n"

        def read_csv(p):
            lines = open(p).read().splitlines()
            assert lines[0] == "id,p_bound" and len(lines) == 20001

        return "p.csv", lambda p, k: write_text(p, rows), read_csv, 0.04
    if kind == "npz":
        saliency = np.random.default_rng(0).random((200, 4, 101)).astype(np.float32)

        def write_npz(p, k):
            with atomic_path(p) as tmp, open(tmp, "wb") as fh:
                np.savez_compressed(fh, version=np.array(k), saliency=saliency)

        def read_npz(p):
            with np.load(p) as f:
                assert f["saliency"].shape == (200, 4, 101)

        return "a.npz", write_npz, read_npz, 0.04
    if kind == "png":
        from deemo_gui.core.logo_export import save_logo

        logo = np.random.default_rng(1).random((4, 20))

        def read_png(p):
            data = open(p, "rb").read()
            assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[-8:-4] == b"IEND"

        # a logo takes ~0.2 s to draw before its file is opened for ~0.08 s: longer delays
        return "l.png", lambda p, k: save_logo(logo, p, title=f"v{k}"), read_png, 0.5
    if kind == "predict":  # `deemo predict --out` writes its rows as it goes, into the temporary file
        import contextlib
        import io

        from deemo_gui.cli.main import main

        argv = ["predict", str(ROOT / "models" / "ARID3A_K562_deepbind.safetensors"),
                str(ROOT / "resources" / "examples" / "REST_GM12878_test.fa"), "--out"]

        def write_predictions(p, k):
            with contextlib.redirect_stdout(io.StringIO()):
                assert main(argv + [p]) == 0

        def read_predictions(p):
            lines = open(p).read().splitlines()
            assert lines[0] == "id,p_bound" and len(lines) == 1001

        return "p.csv", write_predictions, read_predictions, 0.1
    raise ValueError(kind)


@pytest.mark.parametrize("kind", ["model", "meme", "jaspar", "session", "csv", "npz", "png", "predict"])
def test_a_kill_mid_write_leaves_the_previous_file_intact(tmp_path, kind):
    r = subprocess.run([sys.executable, __file__, kind, str(tmp_path)], capture_output=True, text=True, cwd=ROOT,
                       timeout=300, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert r.returncode == 0, r.stderr[-2000:]
    result = json.loads(r.stdout.strip().splitlines()[-1])
    assert result["kills"] >= KILLS and result["mid_write"] > 0, result


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    kind, folder = sys.argv[1], sys.argv[2]
    name, write, read, max_delay = _writers(kind)
    kills, mid_write = kill_during_writes(os.path.join(folder, name), write, read, max_delay)
    print(json.dumps({"kills": kills, "mid_write": mid_write}))
