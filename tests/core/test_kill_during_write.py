"""SIGKILL in the middle of each kind of write, 20 times each: the previous file is intact every time, and
what a killed writer leaves is a hidden `.<name>.<random>.tmp` that nothing in the app opens.

All kinds run in one fresh Python process (forking the test process, with the threads other tests left
running, can deadlock the child; one process pays the imports once). For each kind a forked child
rewrites the file in a loop; the parent kills it, reads the file back with the project's own reader and
counts the kills that landed while a temporary file existed, i.e. in the middle of a write. Of the first 20
kills half come at a random moment of a write's period, half as soon as the temporary file shows (plus
0-2 ms, less for a write that takes a few ms); more of the latter follow until 20 kills have landed mid-write
(at most 160 kills).
"""

import json
import os
import random
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KILLS = 20
KINDS = [
    "model",
    "session",
    "recovery",
    "predictions-csv",
    "predict-cli",
    "explain-npz",
    "fasta",
    "meme",
    "jaspar",
    "logo-png",
    "logo-svg",
    "figure-pdf",
    "qt-figure-png",
    "qt-figure-svg",
]
# Two processes share the kinds (a kill test keeps about one core busy), the slow ones split between them.
GROUPS = [
    ["logo-png", "figure-pdf", "model", "session", "predictions-csv", "fasta", "qt-figure-png"],
    ["logo-svg", "explain-npz", "predict-cli", "recovery", "meme", "jaspar", "qt-figure-svg"],
]
RECORDS = 40  # records in the input of the predictions and attributions written
pytestmark = pytest.mark.skipif(not hasattr(os, "fork") or sys.platform == "darwin", reason="needs fork (Linux)")


def _tmp_files(folder: str) -> list[str]:
    return [p for p in os.listdir(folder) if p.endswith(".tmp")]


def kill_during_writes(path: str, write, read, kills: int = KILLS) -> dict:
    """Kill a child rewriting `path` at least `kills` times and until `kills` kills landed mid-write (at
    most 8 x `kills`); read the file after each kill (raises if torn). Returns kills, mid_write (kills
    with a temporary file left), visible (names of leftovers that are not hidden .tmp files) and the
    seconds it took."""
    t0 = time.perf_counter()
    write(path, 0)  # the first write also imports and warms up: time the second
    started = time.perf_counter()
    write(path, 0)
    period = time.perf_counter() - started
    rng, mid_write, visible = random.Random(0), 0, []
    folder = os.path.dirname(path)
    before = set(os.listdir(folder))
    n = 0
    while (n < kills or mid_write < kills) and n < 8 * kills:
        pid = os.fork()
        if pid == 0:  # the child: write new versions until killed
            try:
                k = 1
                while True:
                    write(path, k)
                    k += 1
            finally:
                os._exit(0)
        if n % 2 and n < kills:  # at any moment
            time.sleep(rng.uniform(0.001, 1.2 * period + 0.002))
        else:  # as soon as the write is under way
            deadline = time.perf_counter() + 3 * period + 0.05
            while not _tmp_files(folder) and time.perf_counter() < deadline:
                time.sleep(0.0005)
            time.sleep(rng.uniform(0, min(0.002, period / 8)))  # fast writes: the file is open briefly
        n += 1
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        leftovers = set(os.listdir(folder)) - before
        mid_write += bool(leftovers)
        visible += [p for p in leftovers if not (p.startswith(".") and p.endswith(".tmp"))]
        read(path)  # the last complete version, never a torn one
        for p in leftovers:  # what the killed writer could not clean up
            if os.path.exists(os.path.join(folder, p)):
                os.remove(os.path.join(folder, p))
    return {"kills": n, "mid_write": mid_write, "visible": visible, "seconds": round(time.perf_counter() - t0, 2)}


def _example(n: int = RECORDS) -> str:
    """The first `n` records of the bundled REST example, as FASTA text."""
    lines = (ROOT / "resources" / "examples" / "REST_GM12878_test.fa").read_text().splitlines()
    return "\n".join(lines[: 2 * n]) + "\n"


def _writers(kind: str, folder: str):
    """(file name, write(path, k), read(path)) of one kind of file the app or the CLI writes."""
    import numpy as np

    fasta = os.path.join(folder, "in.fa")
    with open(fasta, "w") as fh:
        fh.write(_example())
    model_file = str(ROOT / "models" / "REST_GM12878_cnn.safetensors")

    if kind == "model":
        from deemo_gui.core.modelfile import load_model, save_model
        from deemo_gui.core.networks import build_network

        model = build_network("cnn-rnn")
        return "m.safetensors", lambda p, k: save_model(model, p, {"version": k}), load_model
    if kind in ("session", "recovery", "predictions-csv", "fasta"):
        from deemo_gui.viewer import Viewer

        viewer = Viewer()
        viewer.open(fasta)

        def edit(k):
            viewer.set_edited(k % 5, "ACGT" * 25 + "ACGT"[k % 4])

        if kind == "session":
            from deemo_gui.viewer.session import read_session, save_session

            return "s.deemo.json", lambda p, k: (edit(k), save_session(viewer, p)), read_session
        if kind == "fasta":
            from deemo_gui.core.sequences import read_sequences
            from deemo_gui.viewer.export import write_fasta

            def read_fasta(p):
                assert len(read_sequences(p)) == RECORDS

            return "edited.fa", lambda p, k: (edit(k), write_fasta(viewer, p)), read_fasta
        if kind == "predictions-csv":
            from deemo_gui.viewer.export import write_predictions

            viewer.add_model(model_file)
            viewer.predict_list()

            def read_table(p):
                lines = open(p).read().splitlines()
                assert lines[0].startswith("id,file,length") and len(lines) == RECORDS + 1

            return "p.csv", lambda p, k: write_predictions(viewer, p), read_table
        return _recovery_writer(viewer, edit, folder)
    if kind in ("meme", "jaspar"):
        from deemo_gui.core.motifs import JasparDB
        from deemo_gui.core.motifs.meme import read_jaspar, read_meme, write_jaspar, write_meme

        db = JasparDB("JASPAR2024")
        pwms = [db.get(m) for m in ("MA0138.3", "MA0139.2", "MA0035.5")] * 40
        writer, reader = (write_meme, read_meme) if kind == "meme" else (write_jaspar, read_jaspar)

        def read_motifs(p):
            assert [m.id for m in reader(p)] == [m.id for m in pwms]

        return f"m.{kind}", lambda p, k: writer(pwms, p), read_motifs
    if kind in ("predict-cli", "explain-npz"):  # `deemo predict --out` writes its rows as they come
        import contextlib
        import io

        from deemo_gui.cli.main import main

        argv = (
            ["predict", model_file, fasta, "--out"]
            if kind == "predict-cli"
            else ["explain", model_file, fasta, "--method", "saliency", "--out"]
        )

        def run_cli(p, k):
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                assert main(argv + [p]) == 0

        def read_predictions(p):
            lines = open(p).read().splitlines()
            assert lines[0] == "id,p_bound" and len(lines) == RECORDS + 1

        def read_npz(p):
            with np.load(p) as f:
                assert f["ids"].shape == (RECORDS,) and f["attributions"].shape == (RECORDS, 4, 101)

        return ("p.csv", run_cli, read_predictions) if kind == "predict-cli" else ("a.npz", run_cli, read_npz)
    if kind in ("logo-png", "logo-svg", "figure-pdf"):
        from deemo_gui.core.logo_export import save_logo, save_tracks

        logo = np.random.default_rng(1).random((4, 8))
        sal = np.random.default_rng(2).normal(size=30)
        if kind == "figure-pdf":
            return "f.pdf", lambda p, k: save_tracks("ACGT" * 7 + "AC", p, saliency=sal, title=f"v{k}"), _read_pdf
        ext = kind.split("-")[1]
        return f"l.{ext}", lambda p, k: save_logo(logo, p, title=f"v{k}", dpi=72), _READERS[ext]
    if kind in ("qt-figure-png", "qt-figure-svg"):  # the Dashboard / Saliency / Temporal Export…
        from PySide6.QtWidgets import QApplication

        from deemo_gui.qt.plots import TrackStack, saliency_plot
        from deemo_gui.qt.plots.stack import export_scene

        app = QApplication.instance() or QApplication([])
        stack = TrackStack()
        stack.add(saliency_plot(np.random.default_rng(3).normal(size=101), "ACGT" * 25 + "A"))
        stack.resize(900, 240)
        app.processEvents()
        ext = kind.rsplit("-", 1)[1]
        return f"q.{ext}", lambda p, k: export_scene(stack, p, title=f"v{k}"), _READERS[ext]
    raise ValueError(kind)


def _recovery_writer(viewer, edit, folder: str):
    """The autosave's file as the next start reads it: `recovery.orphans()` finds it whole, every time."""
    from deemo_gui.viewer import recovery

    dead = int(
        subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout
    )
    name = f"recovery-{dead}-1.deemo.json"  # a crashed process's file
    saver = {}

    def write(p, k):
        if os.getpid() not in saver:  # one autosave (and its writer thread) per process
            saver[os.getpid()] = recovery.Autosave(folder)
            saver[os.getpid()].path = Path(p)
        edit(k)
        saver[os.getpid()].save(viewer).result()

    def read(p):
        (found,) = recovery.orphans(folder)  # a torn file would be skipped: none found
        assert str(found.path) == p and found.records >= 1
        assert not _tmp_files(folder)  # the crash's temporary file is removed, never offered

    return name, write, read


def _read_png(p):
    data = open(p, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[-8:-4] == b"IEND"


def _read_svg(p):
    import xml.etree.ElementTree as ET

    assert ET.parse(p).getroot().tag.endswith("svg")


def _read_pdf(p):
    data = open(p, "rb").read()
    assert data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF")


_READERS = {"png": _read_png, "svg": _read_svg, "pdf": _read_pdf}


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict:
    """Every kind's kill counts, from two fresh processes running side by side."""
    folder = tmp_path_factory.mktemp("kills")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "QT_QPA_PLATFORM": "offscreen", "DEEMO_DATA_DIR": str(folder / "data")}
    runs = [
        subprocess.Popen(
            [sys.executable, __file__, str(folder), *kinds],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=env,
        )
        for kinds in GROUPS
    ]
    out = {}
    for run in runs:
        stdout, stderr = run.communicate(timeout=300)
        assert run.returncode == 0, stderr[-3000:]
        out.update(json.loads(stdout.strip().splitlines()[-1]))
    return out


@pytest.mark.parametrize("kind", KINDS)
def test_a_kill_mid_write_leaves_the_previous_file_intact(results, kind):
    result = results[kind]
    assert "error" not in result, result.get("error")
    assert result["mid_write"] >= KILLS and result["visible"] == [], result


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    out_dir, kinds = sys.argv[1], sys.argv[2:]
    out = {}
    for kind in kinds:
        sub = os.path.join(out_dir, kind)
        os.makedirs(sub)
        try:
            name, write, read = _writers(kind, sub)
            out[kind] = kill_during_writes(os.path.join(sub, name), write, read)
        except Exception:  # noqa: BLE001 - reported as that kind's failure
            out[kind] = {"error": traceback.format_exc()[-2000:]}
        print(kind, out[kind], file=sys.stderr, flush=True)
    print(json.dumps(out))
