"""CPU time of the explainers next to a baseline measured in the same run.

Presets cnn, rnn, cnn-rnn (untrained weights: speed does not depend on them) on real 101-nt REST
ChIP-seq peaks (resources/data/deepbind_encode/REST_GM12878_B.seq.gz). Baselines:

- saliency, guided, integrated gradients: Captum 0.9 (Saliency(abs=False), GuidedBackprop,
  IntegratedGradients with the same 50 Gauss-Legendre steps and batch of 256 path points);
- ISM: a plain loop, one forward call per mutant sequence;
- temporal output scores: the DeMo code's loop (QData/DeepMotif temporal_output_values.lua), one
  model call per prefix and per suffix of each sequence;
- class optimization: the same optimisation written as a plain PyTorch loop (loss.backward() through
  the model, RMSprop on the input), run once per restart, against deemo's batched restarts.

The results table is printed and written to benchmarks/results/explain_speed.md.

    python benchmarks/explain_speed.py            # one torch thread (the default here)
    python benchmarks/explain_speed.py --threads 4
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
import warnings
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from deemo_gui.core.networks import build_network  # noqa: E402
from deemo_gui.core.sequences import one_hot, read_sequences  # noqa: E402
from deemo_gui.explain import (  # noqa: E402
    class_optimization,
    guided,
    integrated_gradients,
    ism,
    saliency,
    temporal,
)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "resources" / "data" / "deepbind_encode" / "REST_GM12878_B.seq.gz"
OUT = Path(__file__).resolve().parent / "results" / "explain_speed.md"
PRESETS = ["cnn", "rnn", "cnn-rnn"]
LENGTH = 101


def paired(ours, baseline, repeats: int) -> tuple[float, float]:
    """Best time of each of two functions, run alternately (ours, baseline, ours, ...) so that both
    see the same machine load; one untimed call of each first when ``repeats`` > 1."""
    if repeats > 1:
        ours(), baseline()
    times = ([], [])
    for _ in range(repeats):
        for k, fn in enumerate((ours, baseline)):
            t0 = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - t0)
    return min(times[0]), min(times[1])


# --- baselines ---------------------------------------------------------------------------------


def captum_attr(cls, model, X, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = []
        for i in range(0, len(X), 256):
            out.append(cls(model).attribute(X[i : i + 256].clone().requires_grad_(True), target=0, **kw).detach())
        return torch.cat(out)


def ism_loop(model, X):
    out = torch.zeros_like(X)
    with torch.no_grad():
        for i in range(len(X)):
            ref = model(X[i : i + 1])[0, 0]
            for j in range(X.shape[2]):
                for b in range(4):
                    if X[i, b, j] == 1:
                        continue
                    x = X[i : i + 1].clone()
                    x[0, :, j] = 0
                    x[0, b, j] = 1
                    out[i, b, j] = model(x)[0, 0] - ref
    return out


def temporal_loop(model, X):
    L = X.shape[2]
    fwd, bwd = torch.zeros(len(X), L), torch.zeros(len(X), L)
    with torch.no_grad():
        for i in range(len(X)):
            H = model.encode(X[i : i + 1])
            for t in range(L):
                fwd[i, t] = torch.sigmoid(model.head(H[:, :, : t + 1])[0, 0])
                bwd[i, t] = torch.sigmoid(model.head(H[:, :, t:])[0, 0])
    return fwd, bwd


def classopt_loop(model, steps, restarts, length=LENGTH, lam=0.009, lr=0.05):
    for r in range(restarts):
        X = torch.rand(1, 4, length, generator=torch.Generator().manual_seed(r)).requires_grad_(True)
        opt = torch.optim.RMSprop([X], lr=lr)
        for _ in range(steps):
            opt.zero_grad()
            model.zero_grad()
            loss = -torch.nn.functional.logsigmoid(model(X)[0, 0]) + lam * X.pow(2).sum()
            loss.backward()
            opt.step()


# --- the run -----------------------------------------------------------------------------------


def run(args) -> list[dict]:
    seqs = read_sequences(DATA).seqs
    X_all = torch.from_numpy(one_hot(seqs[: args.n_saliency]))
    rows = []

    def add(method, preset, n, ours, base_name, base):
        rows.append({"method": method, "preset": preset, "n": n, "ours": ours, "baseline": base_name, "base": base})
        speed = f"{base / ours:.1f}x" if base else "-"
        print(
            f"{method:24s} {preset:8s} n={n:<5d} deemo {ours:8.3f} s   "
            f"{base_name:34s} {base or float('nan'):8.3f} s  {speed}",
            flush=True,
        )

    from captum.attr import GuidedBackprop, IntegratedGradients, Saliency

    for preset in PRESETS:
        torch.manual_seed(0)
        model = build_network(preset, n_tasks=1, input_length=LENGTH).eval()
        X = X_all
        t, b = paired(
            lambda: saliency(model, X, kind="gradient"),
            lambda: captum_attr(Saliency, model, X, abs=False),
            args.repeats,
        )
        add("saliency (gradient)", preset, len(X), t, "Captum Saliency", b)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t, b = paired(lambda: guided(model, X), lambda: captum_attr(GuidedBackprop, model, X), args.repeats)
        add("guided backprop", preset, len(X), t, "Captum GuidedBackprop", b)

        Xi = X[: args.n_ig]
        t, b = paired(
            lambda: integrated_gradients(model, Xi, n_steps=50, batch_size=256),
            lambda: captum_attr(
                IntegratedGradients,
                model,
                Xi,
                baselines=torch.full_like(Xi[:1], 0.25),
                n_steps=50,
                internal_batch_size=256,
            ),
            1,
        )
        add("integrated gradients (50 steps)", preset, len(Xi), t, "Captum IntegratedGradients", b)

        Xm = X[: args.n_ism]
        t, b = paired(lambda: ism(model, Xm), lambda: ism_loop(model, Xm), 1)
        add("ISM (303 mutants/seq)", preset, len(Xm), t, "one forward call per mutant", b)

        if model.is_recurrent:
            Xt = X[: args.n_temporal]
            t, b = paired(lambda: temporal(model, Xt), lambda: temporal_loop(model, Xt), 1)
            add("temporal output scores", preset, len(Xt), t, "one call per prefix/suffix (DeMo code)", b)

        class_optimization(model, steps=2), classopt_loop(model, 2, 1)  # warm-up
        t, b = paired(
            lambda: class_optimization(model, steps=args.steps, restarts=args.restarts),
            lambda: classopt_loop(model, args.steps, args.restarts),
            1,
        )
        add(
            f"class optimization ({args.steps} steps x {args.restarts})",
            preset,
            args.restarts,
            t,
            "plain PyTorch loop, one run per restart",
            b,
        )
    return rows


def table(rows, args) -> str:
    head = (
        f"CPU: {platform.processor() or platform.machine()}, {torch.get_num_threads()} torch thread(s), "
        f"torch {torch.__version__}; untrained presets, {LENGTH}-nt REST peaks. Saliency and guided: best of "
        f"{args.repeats} runs, alternating with the baseline after a warm-up; the others: one run each. The "
        "machine was shared with other jobs, so ratios near 1 are within noise.\n\n"
    )
    lines = [
        "| method | preset | sequences | deemo (s) | baseline | baseline (s) | speed-up |",
        "|---|---|---:|---:|---|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['method']} | {r['preset']} | {r['n']} | {r['ours']:.3f} | {r['baseline']} | "
            f"{r['base']:.3f} | {r['base'] / r['ours']:.1f}x |"
        )
    return head + "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--n-saliency", type=int, default=512)
    p.add_argument("--n-ig", type=int, default=16)
    p.add_argument("--n-ism", type=int, default=4)
    p.add_argument("--n-temporal", type=int, default=8)
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--restarts", type=int, default=4)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--out", type=Path, default=OUT)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    rows = run(args)
    md = "## Explainer speed (`benchmarks/explain_speed.py`)\n\n" + table(rows, args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(md)
    print()
    print(md)
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
