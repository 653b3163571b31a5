"""Train presets on the 10 ENCODE ChIP-seq sets and CTCF (on the CPU unless --device); test AUROC/AUPR next to the
single-PWM baseline, plus training throughput against a plain PyTorch loop of the same model.

Results accumulate in benchmarks/results/accuracy.json (re-runs skip what is done), the table goes
into BENCHMARKS.md between the accuracy markers.

    python benchmarks/accuracy.py --presets cnn,rnn,cnn-rnn --max-train 20000
    python benchmarks/accuracy.py --table        # only rewrite the table from the JSON
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.accuracy_summary import paired_table, summary_table  # noqa: E402
from benchmarks.datasets import BENCHMARKS  # noqa: E402
from benchmarks.report import replace_section  # noqa: E402
from deemo_gui.cli.main import main as deemo  # noqa: E402
from deemo_gui.core.modelfile import read_metadata  # noqa: E402
from deemo_gui.core.networks import build_network, training_defaults  # noqa: E402
from deemo_gui.core.sequences import subsample  # noqa: E402
from deemo_gui.core.training import Trainer, TrainingConfig  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results" / "accuracy.json"
DEMO_PRESETS = [
    "cnn-small",
    "cnn",
    "cnn-large",
    "rnn-small",
    "rnn",
    "rnn-large",
    "cnn-rnn-small",
    "cnn-rnn",
    "cnn-rnn-large",
]


class PlainLoop:
    """The simplest PyTorch loop (Adam, BCE, random batches, the preset's clipping) on a fresh copy
    of the same model: the baseline our Trainer's throughput is measured against."""

    def __init__(self, preset: str, X: torch.Tensor, y: torch.Tensor):
        self.s = training_defaults(preset)
        torch.manual_seed(0)
        self.model = build_network(preset, n_tasks=y.shape[1], input_length=X.shape[-1]).train()
        self.opt = torch.optim.Adam(self.model.parameters(), lr=self.s["lr"])
        self.loss_fn = torch.nn.BCEWithLogitsLoss()
        self.X, self.y, self.batch = X, y, self.s["batch_size"]
        self.order, self.i = torch.randperm(len(X)), 0

    def steps(self, n: int) -> None:
        for _ in range(n):
            idx = self.order[(self.i * self.batch) % (len(self.X) - self.batch) :][: self.batch]
            self.i += 1
            self.opt.zero_grad()
            loss = self.loss_fn(self.model(self.X[idx]), self.y[idx])
            loss.backward()
            if self.s.get("grad_clip"):
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.s["grad_clip"])
            self.opt.step()


def throughput(preset: str, data, rounds: int = 4, steps: int = 10) -> dict:
    """Sequences/s of our Trainer and of the plain loop, timed in alternating rounds of `steps`
    steps (both within the first epoch, so no validation pass is timed); the ratio is the median of
    the per-round ratios, which cancels most of the noise of a shared machine."""
    from deemo_gui.core.training import StepEvent

    trainer = Trainer(data, TrainingConfig(preset=preset, seed=0, device="cpu"))
    batch = trainer.settings["batch_size"]
    events = trainer.run()
    plain = PlainLoop(preset, trainer.X, trainer.y)
    plain.steps(2)  # warm-up, both sides
    next(e for e in events if isinstance(e, StepEvent) and e.step == 2)
    plain_rates, trainer_rates = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        plain.steps(steps)
        plain_rates.append(steps * batch / (time.perf_counter() - start))
        start, done = time.perf_counter(), 0
        while done < steps:
            done += isinstance(next(events), StepEvent)
        trainer_rates.append(steps * batch / (time.perf_counter() - start))
    trainer.cancel()
    ratios = np.array(trainer_rates) / np.array(plain_rates)
    return {
        "plain": float(np.median(plain_rates)),
        "trainer": float(np.median(trainer_rates)),
        "ratio": float(np.median(ratios)),
        "rounds": rounds,
        "steps_per_round": steps,
    }


def run_one(
    preset: str,
    name: str,
    max_train: int | None,
    max_epochs: int | None,
    out_dir: Path,
    converge: bool = False,
    device: str = "cpu",
) -> dict:
    """Train with the `deemo train` command itself (so the model file records the command that
    reproduces it) and read the figures back from the model file."""
    bench = BENCHMARKS[name]
    path = out_dir / f"{name}_{preset}.safetensors"
    argv = [
        "train",
        *bench.train_command(),
        "--arch",
        preset,
        "--seed",
        "0",
        "--device",
        device,
        "--out",
        str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path),
        "--quiet",
    ]
    if max_train:
        argv += ["--max-train", str(max_train)]
    if max_epochs:
        argv += ["--epochs", str(max_epochs)]
    if converge:
        argv += ["--converge"]
    start = time.perf_counter()
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        if deemo(argv) != 0:
            raise RuntimeError(f"deemo {' '.join(argv)} failed")
    finally:
        os.chdir(cwd)
    seconds = time.perf_counter() - start
    meta = read_metadata(ROOT / path if not path.is_absolute() else path)
    return run_row(meta, preset, name, bench.pwm_auroc, seconds, max_train)


def run_row(meta: dict, preset: str, name: str, pwm_auroc: float, seconds: float, max_train: int | None) -> dict:
    """One results row from a trained model's metadata (also the workflow's zoo step: core/workflow_zoo.py)."""
    t, history = meta["training"], meta["training"]["history"]
    return {
        "preset": preset,
        "dataset": name,
        "n_train": t["n_train"] + t["n_valid"],
        "test_auroc": meta["test"]["auroc"],
        "test_aupr": meta["test"]["aupr"],
        "pwm_auroc": pwm_auroc,
        "epochs_run": t["epochs_run"],
        "best_epoch": t["best_epoch"],
        "stopped": t["stopped"],
        "seconds": seconds,
        "seconds_per_epoch": float(np.mean([e["seconds"] for e in history])),
        "train_seq_per_s": float(np.median([e["sequences_per_second"] for e in history])),
        "max_train": max_train,
        "max_epochs": t["settings"]["max_epochs"],
        "converge": bool(t.get("converge")),
        "command": t["command"],
        "device": t.get("device", "cpu"),
    }


def load_results(path: Path = RESULTS) -> dict:
    return json.loads(path.read_text()) if path.exists() else {"runs": {}, "throughput": {}}


def merged_results() -> dict:
    """All result files (accuracy*.json: parallel runs write their own) merged for the table."""
    merged = {"runs": {}, "throughput": {}}
    for path in sorted(RESULTS.parent.glob("accuracy*.json")):
        part = load_results(path)
        merged["runs"].update(part.get("runs", {}))
        merged["throughput"].update(part.get("throughput", {}))
    return merged


def save_results(results: dict, path: Path = RESULTS) -> None:
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(results, indent=1, sort_keys=True))


def on_gpu(run: dict) -> bool:
    """Whether the run trained on a GPU: its recorded device (rows before 2026-12-04: its command)."""
    from deemo_gui.core.zoo import recorded_device

    device = run.get("device") or recorded_device(shlex.split(run.get("command") or "")) or "cpu"
    return not device.startswith(("cpu", "auto"))


def table(results: dict, pwm: dict[str, float] | None = None) -> str:
    """The accuracy tables of `results`; `pwm`: {data set: single-PWM AUROC} (default: the bundled benchmarks)."""
    runs = results["runs"]
    pwm = pwm or {n: b.pwm_auroc for n, b in BENCHMARKS.items()}
    extra = [r["preset"] for r in runs.values() if r["preset"] not in DEMO_PRESETS + ["demo", "deepbind"]]
    presets = [
        p
        for p in DEMO_PRESETS + ["demo", "deepbind"] + sorted(set(extra))
        if any(r["preset"] == p for r in runs.values())
    ]
    names = list(pwm)
    lines = [
        "### Test AUROC per dataset",
        "",
        "| dataset | single PWM | " + " | ".join(presets) + " |",
        "|---|---|" + "---|" * len(presets),
    ]
    for name in names:
        cells = []
        for p in presets:
            r = runs.get(f"{p}/{name}")
            if r is None:
                cells.append("–")
            else:
                beat = "" if r["test_auroc"] > r["pwm_auroc"] else " ✗"
                marks = beat + (" †" if on_gpu(r) else "") + ("" if converged(r) else " °")
                cells.append(f"{r['test_auroc']:.3f}{marks}")
        lines.append(f"| {name} | {pwm[name]:.3f} | " + " | ".join(cells) + " |")
    means = []
    for p in presets:
        vals = [r["test_auroc"] for r in runs.values() if r["preset"] == p]
        means.append(f"**{np.mean(vals):.3f}** (n={len(vals)})" if vals else "–")
    lines.append("| mean | " + f"{np.mean(list(pwm.values())):.3f} | " + " | ".join(means) + " |")
    lines += [
        "",
        "✗ = does not beat the single PWM."
        + (
            " † = trained on a GPU (the same rules; its command says which device); the others on the CPU."
            if any(on_gpu(r) for r in runs.values())
            else ""
        )
        + (
            " ° = at the preset's own fixed budget (an earlier run, before `--converge`, on the preset's definition"
            " of then); the others trained to convergence (`deemo train --converge`; Training details says how"
            " each stopped)."
            if not all(converged(r) for r in runs.values())
            else ""
        ),
        "",
        summary_table(runs, pwm, presets),
        "",
        paired_table(runs, presets),
        "",
        "### Training details",
        "",
        "| preset | dataset | train seqs | test AUROC | test AUPR | epochs (best) | stopped | device | s/epoch "
        "| train seq/s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key in sorted(
        runs,
        key=lambda k: (
            presets.index(runs[k]["preset"]) if runs[k]["preset"] in presets else 99,
            names.index(runs[k]["dataset"]),
        ),
    ):
        r = runs[key]
        lines.append(
            f"| {r['preset']} | {r['dataset']} | {r['n_train']:,} | {r['test_auroc']:.3f} | {r['test_aupr']:.3f} | "
            f"{r['epochs_run']} ({r['best_epoch']}) | {r['stopped']} | {'GPU' if on_gpu(r) else 'CPU'} | "
            f"{r['seconds_per_epoch']:.1f} | "
            f"{r['train_seq_per_s']:,.0f} |"
        )
    if results.get("throughput"):
        lines += [
            "",
            "### Training throughput: deemo's Trainer vs a plain PyTorch loop (same model, batch, data; same run)",
            "",
            "Alternating rounds of 10 steps each (4 rounds, REST_GM12878, 12,000 records); medians; the ratio is the "
            "median of the per-round ratios. Regenerate: `python benchmarks/accuracy.py --throughput --threads 1`.",
            "",
            "| preset | plain loop seq/s | Trainer seq/s | Trainer / plain |",
            "|---|---|---|---|",
        ]
        for p, t in results["throughput"].items():
            ratio = t.get("ratio", t["trainer"] / t["plain"])
            lines.append(f"| {p} | {t['plain']:,.0f} | {t['trainer']:,.0f} | {ratio:.2f} |")
    return "\n".join(lines)


def converged(run: dict) -> bool:
    """Whether the run trained on the to-convergence rules: its recorded flag (older rows: its command)."""
    return bool(run.get("converge")) or "--converge" in shlex.split(run.get("command") or "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--presets", default=",".join(DEMO_PRESETS))
    parser.add_argument("--datasets", default=",".join(BENCHMARKS))
    parser.add_argument("--max-train", type=int, default=None, help="subsample training sets to this many records")
    parser.add_argument("--max-epochs", type=int, default=None, help="cap epochs (default: the preset's)")
    parser.add_argument(
        "--models",
        type=Path,
        default=ROOT / "benchmarks" / "results" / "models",
        help="where the trained model files go (the zoo build passes models/)",
    )
    parser.add_argument(
        "--converge", action="store_true", help="train each preset to convergence (deemo train --converge)"
    )
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--device", default="cpu", help="training device (the zoo's models record it)")
    parser.add_argument(
        "--results",
        type=Path,
        default=RESULTS,
        help="JSON file for this run's results (parallel runs: one each, named accuracy*.json)",
    )
    parser.add_argument("--throughput", action="store_true", help="only measure Trainer vs plain-loop throughput")
    parser.add_argument("--table", action="store_true", help="only rewrite BENCHMARKS.md from the JSON")
    parser.add_argument("--redo", action="store_true", help="re-run combinations already in the JSON")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    results = load_results(args.results)
    presets, names = args.presets.split(","), args.datasets.split(",")
    if args.throughput:
        data = subsample(BENCHMARKS["REST_GM12878"].train_set(), 12000)
        for p in presets:
            t = throughput(p, data)
            results["throughput"][p] = t
            print(
                f"{p}: plain {t['plain']:,.0f} seq/s, Trainer {t['trainer']:,.0f} seq/s "
                f"(median ratio {t['ratio']:.2f})",
                flush=True,
            )
            save_results(results, args.results)
    elif not args.table:
        args.models.mkdir(parents=True, exist_ok=True)
        for p in presets:
            for name in names:
                key = f"{p}/{name}"
                if key in merged_results()["runs"] and not args.redo:
                    continue
                r = run_one(p, name, args.max_train, args.max_epochs, args.models.resolve(), args.converge, args.device)
                results["runs"][key] = r
                save_results(results, args.results)
                print(
                    f"{key}: test AUROC {r['test_auroc']:.3f} (PWM {r['pwm_auroc']:.3f}), {r['epochs_run']} epochs, "
                    f"{r['seconds']:.0f} s",
                    flush=True,
                )
    replace_section("accuracy", table(merged_results()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
