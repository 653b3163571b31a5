"""Reading, `deemo predict` and opening a big FASTA, against pyfastx and a bare torch loop in the same run.

    .venv/bin/python benchmarks/reading.py [--n 1000000] [--models ARID3A_K562_deepbind,ARID3A_K562_cnn]

The file: `--n` records (default 100,000) of 101 nt drawn with a fixed seed from the real ENCODE
peaks in resources/data/deepbind_encode/*.seq.gz, written to $TMPDIR/deemo_reading/ (not kept in git).
- reading (best of 3, this process): `core.predict_stream.records` streaming (records dropped as they
  come) vs pyfastx's `Fastx` iterator; `read_sequences` (all records kept) vs pyfastx into two lists
  and a plain Python line loop into two lists;
- predict (fresh processes, time and peak RSS from /usr/bin/time -v): `python -c 'import torch'` (the
  floor: the torch runtime alone), `deemo predict MODEL FILE --out CSV` vs a bare loop (pyfastx,
  numpy one-hot, `torch.no_grad()` batches of 256, rows written as they come); the two CSVs
  are compared; and `predict_logits` per batch size;
- viewer (a fresh process): `Viewer().open(FILE)` time and peak RSS, and the RSS of the same process
  before opening.
Prints a Markdown table and appends the figures to benchmarks/results/reading.jsonl.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT / "resources" / "data" / "deepbind_encode"
OUT = Path(os.environ.get("TMPDIR", "/tmp")) / "deemo_reading"
RESULTS = HERE / "results" / "reading.jsonl"

BARE_LOOP = r"""
import sys, numpy as np, pyfastx, torch
from deemo_gui.core.modelfile import load_model
model, fasta, out = load_model(sys.argv[1]).eval(), sys.argv[2], sys.argv[3]
table = np.zeros((256, 4), dtype=np.float32)
for i, b in enumerate(b"ACGT"):
    table[b, i] = table[b + 32, i] = 1
def flush(ids, seqs, fh):
    x = table[np.frombuffer("".join(seqs).encode(), dtype=np.uint8).reshape(len(seqs), -1)].transpose(0, 2, 1)
    p = torch.sigmoid(model(torch.from_numpy(np.ascontiguousarray(x)))).numpy()
    fh.writelines(f"{i},{v:.6f}\n" for i, v in zip(ids, p[:, 0].tolist()))
with torch.no_grad(), open(out, "w") as fh:
    fh.write("id,p_bound\n")
    ids, seqs = [], []
    for name, seq in pyfastx.Fastx(fasta):
        ids.append(name)
        seqs.append(seq)
        if len(ids) == 256:
            flush(ids, seqs, fh)
            ids, seqs = [], []
    if ids:
        flush(ids, seqs, fh)
"""

VIEWER_OPEN = r"""
import json, resource, sys, time
from deemo_gui.viewer import Viewer
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
v = Viewer()
v.open(sys.argv[1])
print(json.dumps({"s": time.perf_counter() - t, "rss_before_mb": before / 1024, "n": v.n_sequences}))
"""


def make_fasta(n: int) -> Path:
    """`n` records of 101 nt drawn (seed 0) from the real ENCODE peak sequences."""
    path = OUT / f"encode_{n}.fa"
    if path.exists():
        return path
    seqs = []
    for f in sorted(DATA.glob("*.seq.gz")):
        with gzip.open(f, "rt") as fh:
            next(fh)
            seqs += [s for s in (line.split("\t")[2] for line in fh) if len(s) == 101]
    pick = np.random.default_rng(0).integers(0, len(seqs), n)
    OUT.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        fh.writelines(f">peak{i:07d}\n{seqs[j]}\n" for i, j in enumerate(pick))
    return path


def best_of(fn, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def reading(path: Path) -> dict:
    import pyfastx

    from deemo_gui.core.predict_stream import records
    from deemo_gui.core.sequences import read_sequences

    def pyfastx_lists():
        ids, seqs = [], []
        for name, seq in pyfastx.Fastx(str(path)):
            ids.append(name)
            seqs.append(seq)

    def plain_loop():
        ids, seqs = [], []
        with open(path) as fh:
            for line in fh:
                if line.startswith(">"):
                    ids.append(line[1:].split()[0])
                else:
                    seqs.append(line.strip())

    return {
        "ours_stream_s": best_of(lambda: sum(len(i) for i, _ in records(path))),
        "pyfastx_stream_s": best_of(lambda: sum(1 for _ in pyfastx.Fastx(str(path)))),
        "ours_read_all_s": best_of(lambda: read_sequences(path)),
        "pyfastx_lists_s": best_of(pyfastx_lists),
        "plain_loop_s": best_of(plain_loop),
    }


def run_measured(argv: list[str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MB, stdout) of one fresh process, under /usr/bin/time -v: a child of
    this (large) process would start its peak RSS count from this process's size."""
    t = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-v", *argv], check=False, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if proc.returncode:
        raise SystemExit(f"{argv[:4]} failed: {proc.stderr[-2000:]}")
    kb = next(line for line in proc.stderr.splitlines() if "Maximum resident set size" in line).split(":")[1]
    return wall, int(kb) / 1024, proc.stdout


def compare_csv(a: Path, b: Path) -> float:
    """Largest difference of the probabilities in two `id,p` files (the ids must agree)."""
    x, y = (np.genfromtxt(p, delimiter=",", skip_header=1, usecols=1) for p in (a, b))
    ids_a, ids_b = ([line.split(",")[0] for line in p.read_text().splitlines()] for p in (a, b))
    assert ids_a == ids_b, "the two predictions list other ids"
    return float(np.abs(x - y).max())


def batch_sizes(model_path: Path) -> dict:
    from deemo_gui.core.inference import predict_logits
    from deemo_gui.core.modelfile import load_model

    model = load_model(model_path)
    X = np.random.default_rng(0).random((16384, 4, 101)).astype(np.float32)
    return {str(b): best_of(lambda b=b: predict_logits(model, X, b), 2) for b in (64, 128, 256, 512, 1024, 2048)}


def predict(path: Path, model: str, folder: Path) -> dict:
    model_path = ROOT / "models" / f"{model}.safetensors"
    ours, bare = folder / f"{model}_deemo.csv", folder / f"{model}_bare.csv"
    deemo = [sys.executable, "-m", "deemo_gui.cli.main", "predict", str(model_path), str(path), "--out", str(ours)]
    loop = [sys.executable, "-c", BARE_LOOP, str(model_path), str(path), str(bare)]
    _, torch_mb, _ = run_measured([sys.executable, "-c", "import torch"])  # the floor: the torch runtime alone
    bare_s, bare_mb, _ = run_measured(loop)
    ours_s, ours_mb, _ = run_measured(deemo)
    return {
        "model": model,
        "model_mb": model_path.stat().st_size / 1024**2,
        "deemo_s": ours_s,
        "deemo_rss_mb": ours_mb,
        "bare_s": bare_s,
        "bare_rss_mb": bare_mb,
        "import_torch_rss_mb": torch_mb,
        "max_abs_diff": compare_csv(ours, bare),
        "batch_s": batch_sizes(model_path),
    }


def viewer(path: Path) -> dict:
    _, rss_mb, out = run_measured([sys.executable, "-c", VIEWER_OPEN, str(path)])
    return {**json.loads(out), "rss_mb": rss_mb}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="records in the file (the issue's figures: 1000000)")
    parser.add_argument(
        "--models", default="ARID3A_K562_deepbind,ARID3A_K562_cnn", help="zoo models, comma-separated ('' for none)"
    )
    args = parser.parse_args(argv)
    import torch

    path = make_fasta(args.n)
    file_mb = path.stat().st_size / 1024**2
    folder = Path(tempfile.mkdtemp(prefix="deemo-reading-"))
    read = reading(path)
    print("reading:", json.dumps(read), flush=True)
    view = viewer(path)
    print("viewer:", json.dumps(view), flush=True)
    preds = []
    for m in filter(None, args.models.split(",")):  # --models '': reading and opening only
        preds.append(predict(path, m, folder))
        print("predict:", json.dumps(preds[-1]), flush=True)
    result = {
        "when": time.strftime("%Y-%m-%d %H:%M"),
        "n": args.n,
        "file_mb": file_mb,
        "reading": read,
        "predict": preds,
        "viewer": view,
        "cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "load_average": os.getloadavg()[0],
        "machine": platform.processor() or platform.machine(),
    }
    RESULTS.parent.mkdir(exist_ok=True)
    with open(RESULTS, "a") as fh:
        fh.write(json.dumps(result) + "\n")
    r = read
    print(
        f"# {args.n:,} x 101 nt FASTA ({file_mb:.0f} MB), {os.cpu_count()} CPUs, {torch.get_num_threads()} torch "
        f"threads, load average {result['load_average']:.1f}\n"
    )
    print("| reading | ours (s) | baseline (s) | ratio |\n|---|---|---|---|")
    print(
        f"| stream, records dropped | {r['ours_stream_s']:.2f} | pyfastx {r['pyfastx_stream_s']:.2f} | "
        f"{r['ours_stream_s'] / r['pyfastx_stream_s']:.2f} |"
    )
    print(
        f"| all records kept | {r['ours_read_all_s']:.2f} | pyfastx into lists {r['pyfastx_lists_s']:.2f} | "
        f"{r['ours_read_all_s'] / r['pyfastx_lists_s']:.2f} |"
    )
    print(
        f"| all records kept | {r['ours_read_all_s']:.2f} | plain Python loop {r['plain_loop_s']:.2f} | "
        f"{r['ours_read_all_s'] / r['plain_loop_s']:.2f} |\n"
    )
    print(
        "| predict | deemo (s) | bare loop (s) | time ratio | deemo RSS (MB) | bare RSS (MB) | RSS ratio "
        "| RSS / (2 x file + model) | max abs diff |\n|---|---|---|---|---|---|---|---|---|"
    )
    for p in preds:
        print(
            f"| {p['model']} | {p['deemo_s']:.1f} | {p['bare_s']:.1f} | {p['deemo_s'] / p['bare_s']:.2f} | "
            f"{p['deemo_rss_mb']:.0f} | {p['bare_rss_mb']:.0f} | {p['deemo_rss_mb'] / p['bare_rss_mb']:.2f} | "
            f"{p['deemo_rss_mb'] / (2 * file_mb + p['model_mb']):.2f} | {p['max_abs_diff']:.1e} |"
        )
    for p in preds:
        print(
            f"\n{p['model']}: `python -c 'import torch'` peak RSS {p['import_torch_rss_mb']:.0f} MB; deemo predict "
            f"{p['deemo_rss_mb'] - p['import_torch_rss_mb']:.0f} MB over it, the bare loop "
            f"{p['bare_rss_mb'] - p['import_torch_rss_mb']:.0f} MB"
        )
    for p in preds:
        best = min(p["batch_s"], key=p["batch_s"].get)
        print(
            f"\n{p['model']} predict_logits, 16,384 sequences, s by batch size: "
            + ", ".join(f"{b}: {s:.3f}" for b, s in p["batch_s"].items())
            + f" (best {best})"
        )
    print(
        f"\nViewer.open: {view['s']:.2f} s, peak RSS {view['rss_mb']:.0f} MB ({view['rss_mb'] / file_mb:.2f} x the "
        f"file; {view['rss_before_mb']:.0f} MB before opening)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
