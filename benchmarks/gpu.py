"""Training and attribution throughput on CPU and on a CUDA GPU, in one run: the same network, data
(real REST ChIP-seq windows, 101 nt) and batch on each device; the GPU in full float32 as the app runs it,
and for training also with cuDNN's TF32 convolutions (PyTorch's default) and with mixed precision.

On a machine without CUDA the GPU columns say so (no figure is estimated).

    python benchmarks/gpu.py                  # print the table
    python benchmarks/gpu.py --write          # and put it into BENCHMARKS.md (section "gpu")
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.datasets import BENCHMARKS  # noqa: E402
from benchmarks.report import machine, replace_section  # noqa: E402
from deemo_gui.core.methods import METHODS  # noqa: E402
from deemo_gui.core.networks import build_network  # noqa: E402
from deemo_gui.core.sequences import one_hot, subsample  # noqa: E402
from deemo_gui.core.training import StepEvent, Trainer, TrainingConfig  # noqa: E402

# sequences per timed attribution call: enough for a steady rate, small enough for one CPU thread
ATTRIBUTION_N = {"saliency": 512, "guided": 512, "integrated_gradients": 32, "deeplift": 32, "ism": 16}


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def training_rate(preset: str, data, device: str, amp: bool = False, tf32: bool = False, steps: int = 20) -> float:
    """Training sequences/s over `steps` steps after 3 warm-up steps (the loss is read every step: a sync).

    `tf32`: cuDNN's TF32 convolutions on (PyTorch's default, which the app turns off: core/device.py),
    set before every step since resolving the device switches them off."""
    trainer = Trainer(data, TrainingConfig(preset=preset, seed=0, device=device, amp=amp, baselines=False))
    events = (e for e in trainer.run() if isinstance(e, StepEvent))

    def step() -> None:
        torch.backends.cudnn.allow_tf32 = tf32
        next(events)

    for _ in range(3):
        step()
    _sync(device)
    start = time.perf_counter()
    for _ in range(steps):
        step()
    _sync(device)
    seconds = time.perf_counter() - start
    trainer.cancel()
    return steps * int(trainer.settings["batch_size"]) / seconds


def attribution_rate(preset: str, name: str, X: np.ndarray, device: str) -> float:
    """Sequences/s of one attribution method (its defaults) after a warm-up call on 4 sequences."""
    method = METHODS[name]
    torch.manual_seed(0)
    model = build_network(preset, n_tasks=1, input_length=X.shape[-1]).eval().to(device)
    method.compute(model, X[:4], 0, **method.defaults)
    _sync(device)
    start = time.perf_counter()
    method.compute(model, X, 0, **method.defaults)
    _sync(device)
    return len(X) / (time.perf_counter() - start)


def _cell(rate: float | None) -> str:
    return "–" if rate is None else f"{rate:,.0f}"


def run(presets: list[str], n_train: int) -> str:
    gpu = torch.cuda.is_available()
    gpu_name = torch.cuda.get_device_name(0) if gpu else None
    data = subsample(BENCHMARKS["REST_GM12878"].train_set(), n_train, 0)
    X = one_hot(data.seqs[: max(ATTRIBUTION_N.values())])
    rows = []
    for preset in presets:
        cpu = training_rate(preset, data, "cpu")
        on_gpu = training_rate(preset, data, "cuda") if gpu else None
        tf32 = training_rate(preset, data, "cuda", tf32=True) if gpu else None
        mixed = training_rate(preset, data, "cuda", amp=True) if gpu else None
        rows.append((preset, "training", cpu, on_gpu, tf32, mixed))
        print(
            f"{preset} training: CPU {cpu:,.0f} seq/s, GPU {_cell(on_gpu)}, TF32 {_cell(tf32)}, mixed {_cell(mixed)}",
            flush=True,
        )
        for name, n in ATTRIBUTION_N.items():
            if METHODS[name].unavailable(build_network(preset, n_tasks=1, input_length=101)):
                continue
            cpu = attribution_rate(preset, name, X[:n], "cpu")
            on_gpu = attribution_rate(preset, name, X[:n], "cuda") if gpu else None
            rows.append((preset, METHODS[name].label, cpu, on_gpu, None, None))
            print(f"{preset} {name}: CPU {cpu:,.1f} seq/s, GPU {_cell(on_gpu)}", flush=True)
    where = (
        f"GPU: {gpu_name}, torch {torch.__version__}, CUDA {torch.version.cuda}."
        if gpu
        else f"**GPU: not available on this machine** (torch {torch.__version__}, `torch.cuda.is_available()` is "
        "False): the GPU columns are empty, not estimated. Run `python benchmarks/gpu.py --write` on a "
        'GPU workstation (README, "Training on a GPU") to fill them.'
    )
    lines = [
        f"CPU: {machine()}. {where}",
        "",
        f"Training: sequences/s of `deemo train`'s Trainer (the preset's batch, Adam), 20 steps after 3 warm-up "
        f"steps, {n_train:,} REST_GM12878 records. Attributions: sequences/s of one call with the method's "
        "defaults (IG 50 steps, DeepLIFT/SHAP 20 shuffled references, ISM all 303 substitutions of a 101-nt "
        "window), untrained network of the preset, after a warm-up call. GPU: full float32, as the app runs "
        "(cuDNN's TF32 off: core/device.py); TF32: PyTorch's default; mixed precision: `--amp`.",
        "",
        "| preset | measure | CPU seq/s | GPU seq/s | GPU TF32 seq/s | GPU mixed precision seq/s | GPU / CPU |",
        "|---|---|---|---|---|---|---|",
    ]
    for preset, what, cpu, on_gpu, tf32, mixed in rows:
        ratio = "–" if on_gpu is None else f"{on_gpu / cpu:.1f}×"
        lines.append(f"| {preset} | {what} | {cpu:,.1f} | {_cell(on_gpu)} | {_cell(tf32)} | {_cell(mixed)} | {ratio} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--presets", default="cnn,cnn-rnn")
    parser.add_argument("--n-train", type=int, default=8000, help="training records (default 8000)")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads for torch (default: torch's)")
    parser.add_argument("--write", action="store_true", help="write the table into BENCHMARKS.md")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    table = run(args.presets.split(","), args.n_train)
    print(table)
    if args.write:
        replace_section("gpu", table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
