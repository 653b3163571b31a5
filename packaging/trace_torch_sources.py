"""Which of torch's .py sources the bundle must carry: run every feature once in this Python
(from the repository root) and write packaging/torch_sources.txt.

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/trace_torch_sources.py   # ~3-5 min

PyInstaller's torch hook ships all ~2,300 torch .py files (49 MB) next to their compiled copies,
because some torch modules read source code at run time (the config modules read their own
comments with `inspect.getsource`; others reach `inspect`/`linecache` through warnings and
decorators). Source can only be read from a module that was imported, so the bundle keeps the
.py files of every torch module the app imports, plus every file opened as source, plus torch's
config modules; the spec (deemo-gui.spec) drops the rest (~27 MB). The list is tied to the torch
version in its first line: with another torch the spec keeps every source file and warns.

Traced: `deemo train / evaluate / predict`, `deemo explain` with all five methods, `deemo motifs`
with all five methods (Tomtom against JASPAR), a FIMO scan, the self-test (window, zoo model,
saliency, Tomtom, logo, screenshot) and the import of every GUI panel.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's deemo_gui, not an installed one
OUT = ROOT / "packaging" / "torch_sources.txt"
_OPENED: set[str] = set()


def _audit(event, args):
    if event == "open" and args and isinstance(args[0], str) and args[0].endswith(".py"):
        _OPENED.add(os.path.abspath(args[0]))


def _few_sequences(src: Path, dest: Path, n: int = 40) -> Path:
    lines, records = [], 0
    for line in src.read_text().splitlines():
        if line.startswith(">"):
            records += 1
            if records > n:
                break
        lines.append(line)
    dest.write_text("\n".join(lines) + "\n")
    return dest


def run_features(work: Path) -> None:
    from deemo_gui.cli.main import main as deemo
    from deemo_gui.core.motifs import JasparDB
    from deemo_gui.core.motifs.scan import scan

    data = ROOT / "resources" / "data" / "deepbind_encode"
    fasta = _few_sequences(ROOT / "resources" / "examples" / "REST_GM12878_test.fa", work / "few.fa")
    model = str(work / "m.safetensors")
    cnn, rnn = (
        str(ROOT / "models" / "REST_GM12878_cnn.safetensors"),
        str(ROOT / "models" / "REST_GM12878_cnn-rnn.safetensors"),
    )
    steps = [
        [
            "train",
            str(data / "REST_GM12878_AC.seq.gz"),
            "--negatives",
            "shuffle",
            "--arch",
            "deepbind",
            "--epochs",
            "1",
            "--max-train",
            "300",
            "--out",
            model,
            "--device",
            "cpu",
        ],
        ["evaluate", model, str(data / "REST_GM12878_B.seq.gz")],
        ["predict", model, str(fasta), "--out", str(work / "p.csv")],
    ]
    for method in ("saliency", "guided", "ism", "ig", "temporal"):
        steps.append(["explain", rnn, str(fasta), "--method", method, "--out", str(work / f"{method}.npz")])
    for method in ("filters", "saliency", "temporal", "activation"):
        steps.append(
            [
                "motifs",
                cnn if method != "temporal" else rnn,
                "--method",
                method,
                "--data",
                str(fasta),
                "--out",
                str(work / f"{method}.meme"),
            ]
        )
    steps.append(
        [
            "motifs",
            cnn,
            "--method",
            "classopt",
            "--steps",
            "20",
            "--out",
            str(work / "c.meme"),
            "--compare",
            "JASPAR2026",
        ]
    )
    for argv in steps:
        rc = deemo(argv)
        print(
            f"trace: deemo {argv[0]} {argv[argv.index('--method') + 1] if '--method' in argv else ''}: rc {rc}",
            flush=True,
        )
        if rc:
            raise SystemExit(f"trace_torch_sources.py: deemo {' '.join(argv)} failed (rc {rc})")
    scan(JasparDB().get("MA0139"), ["GCGCCCCCTGGTGGCCAGCAGGGGGCGC" * 3])
    from deemo_gui.selftest import main as self_test

    if self_test():
        raise SystemExit("trace_torch_sources.py: the self-test failed")
    from deemo_gui.qt import panels

    for info in pkgutil.walk_packages(panels.__path__, "deemo_gui.qt.panels."):
        importlib.import_module(info.name)


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.addaudithook(_audit)
    with tempfile.TemporaryDirectory(prefix="deemo-trace-") as tmp:
        os.environ["DEEMO_GUI_SETTINGS"] = str(Path(tmp) / "settings.ini")
        run_features(Path(tmp))
    import torch

    torch_dir = Path(torch.__file__).resolve().parent
    keep = set()
    for name, module in list(sys.modules.items()):
        if (name == "torch" or name.startswith("torch.")) and getattr(module, "__file__", None):
            keep.add(Path(module.__file__).resolve())
    keep.update(Path(p).resolve() for p in _OPENED)
    keep.update(
        p.resolve() for p in torch_dir.rglob("*.py") if "install_config_module(" in p.read_text(errors="ignore")
    )
    rel = sorted({str(p.relative_to(torch_dir.parent)) for p in keep if p.suffix == ".py" and torch_dir in p.parents})
    text = (
        f"# torch {torch.__version__}: the torch .py sources the bundle keeps "
        f"(packaging/trace_torch_sources.py; {len(rel)} files)\n" + "\n".join(rel) + "\n"
    )
    tmp = OUT.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, OUT)
    print(f"trace_torch_sources.py: {len(rel)} torch sources -> {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
