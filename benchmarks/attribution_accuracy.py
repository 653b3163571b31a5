"""Attribution accuracy on Koo & Eddy synthetic data: do the explanations point at the planted motifs?

Data: `deemo_gui.core.synthetic.generate` (Koo & Eddy 2019: JASPAR 2016 motifs planted 1-5 times in
uniform random sequences, multi-label, one task per TF), here 4 of their 12 motifs in 100 nt (`MOTIFS`,
`--length`; see the note there), `--n` sequences split 0.7/0.1/0.2.
Each model family is trained on the training split (seed 0, the preset's training defaults, capped
by `--epochs` and `--minutes` per model) and its test AUROC (mean over the tasks) is reported, so
the reader knows how good each model is.

Evaluation: `--per-task` positive test sequences per task (the same for every model and method),
each explained for that task's logit. A position's score is |attribution summed over the four
letters| (for grad x input, guided x input, IG and DeepLIFT only the observed letter is non-zero;
for ISM it is the sum of the three substitutions' effects, -3 x the mean loss). Ground truth:
positions inside a planted instance of the task's TF are positive, positions outside every planted
instance are background (other TFs' instances are left out: their relevance to this task is
unknown). Per sequence: AUROC and AUPR of the score for positive vs background positions (AUPR's
chance level is the positive fraction, given); means over the sequences. "Top window": the 19-nt
window (Koo & Eddy's filter window) with the largest summed score covers at least half of a planted
instance of the task's TF (or half the window, for wider motifs); "chance" is that rate for a
window placed at random.

Methods as the app computes them: saliency = gradient x input; guided = guided backprop x input;
IG = integrated gradients from the uniform 0.25 baseline, 50 Gauss-Legendre steps; ISM = every
substitution; DeepLIFT = DeepLIFT/SHAP with 20 dinucleotide shuffles (not for recurrent models).

    python benchmarks/attribution_accuracy.py                 # train, explain, write results + table
    python benchmarks/attribution_accuracy.py --table         # only rewrite BENCHMARKS.md
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch

from deemo_gui.core import explain, synthetic
from deemo_gui.core.metrics import aupr, auroc
from deemo_gui.core.sequences import SequenceSet, one_hot
from deemo_gui.core.training import TrainingConfig, evaluate, train

try:
    from benchmarks.report import replace_section
except ModuleNotFoundError:  # run as a script: the repository root is not on the path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from benchmarks.report import replace_section

RESULTS = Path(__file__).resolve().parent / "results" / "attribution_accuracy.jsonl"
MODELS = ("cnn", "deepbind", "koo-cnn-25", "rnn", "cnn-rnn")
# Four of Koo & Eddy's 12 motifs (CEBPB, GABPA, MAX, SRF: distinct, JASPAR 2016) in 100 nt: the full
# 12-TF, 200-nt set does not train past chance in the few CPU minutes per model this benchmark allows.
MOTIFS = ("MA0466.2", "MA0062.2", "MA0058.3", "MA0083.3")
METHODS = ("saliency", "guided", "ig", "ism", "deeplift")
METHOD_NAMES = {
    "saliency": "grad × input",
    "guided": "guided × input",
    "ig": "IG (uniform)",
    "ism": "ISM",
    "deeplift": "DeepLIFT/SHAP",
}
WINDOW = 19  # Koo & Eddy 2019: 19-nt windows for filter PWMs (1_train_synthetic.py window=19)
COMMAND = "python benchmarks/attribution_accuracy.py"
# What the committed results file shows (rewrite it after a rerun with other settings).
READING = (
    "Reading: with models that learned the task (test AUROC 0.85-0.99; cnn stopped at the 6-minute cap "
    "after 13 epochs on the shared machine, the others at the 40-epoch cap in 6 s to 3.5 minutes), "
    "every method points at the planted motifs, far above "
    "chance (AUROC 0.71-0.96 vs 0.5; top window 51-98 % vs 26 %), and accuracy follows the model: the best "
    "model (koo-cnn-25, 0.988) gets 0.91-0.94 with every method, DeepLIFT/SHAP and ISM highest. For cnn "
    "and deepbind guided backprop leads and ISM trails slightly; for the recurrent "
    "models gradient x input (and guided backprop, which is the same gradient without ReLUs) is clearly the "
    "worst (0.71 for rnn) while IG and ISM reach 0.82-0.96, so the app's Saliency panel offers IG and ISM "
    "for LSTMs (DeepLIFT/SHAP does not apply). In an earlier run capped at 2 minutes and 15 epochs, the "
    "undertrained models (test AUROC 0.59-0.66; deepbind 0.80) gave attributions near chance with every "
    "method but guided backprop (deepbind, the one that had learned something: 0.70-0.76): an explanation "
    "is only as good as its model, which is why the app shows the trust verdict beside it.\n"
)


def as_set(split, name: str) -> SequenceSet:
    return SequenceSet(
        ids=split.ids,
        seqs=split.sequences,
        labels=split.labels,
        task_names=split.task_names,
        source=f"synthetic/{name}",
    )


def pick_pairs(data, per_task: int, seed: int = 0) -> list[tuple[int, int]]:
    """`per_task` (test row, task) pairs per task, the row positive for that task."""
    rng = np.random.default_rng(seed)
    pairs = []
    for t in range(len(data.task_names)):
        rows = np.flatnonzero(data.test.labels[:, t] > 0)
        pairs += [(int(i), t) for i in rng.choice(rows, size=min(per_task, len(rows)), replace=False)]
    return pairs


def truth_masks(data, pairs) -> tuple[np.ndarray, np.ndarray]:
    """(positive, background) boolean masks (P, L): the pair's TF instances / outside all instances."""
    L = data.length
    pos = np.zeros((len(pairs), L), bool)
    any_motif = np.zeros((len(pairs), L), bool)
    truth = data.truth[data.truth["split"] == "test"]
    by_row = {i: g for i, g in truth.groupby("index")}
    for k, (i, t) in enumerate(pairs):
        for _, r in by_row[i].iterrows():
            any_motif[k, r["start"] : r["end"]] = True
            if r["tf"] == data.task_names[t]:
                pos[k, r["start"] : r["end"]] = True
    return pos, ~any_motif


def instances(data, pairs) -> list[list[tuple[int, int]]]:
    truth = data.truth[data.truth["split"] == "test"]
    by_row = {i: g for i, g in truth.groupby("index")}
    return [
        [(int(r["start"]), int(r["end"])) for _, r in by_row[i].iterrows() if r["tf"] == data.task_names[t]]
        for i, t in pairs
    ]


def window_hits(scores: np.ndarray, inst) -> tuple[float, float]:
    """(top-window hit rate, random-window hit rate) over the pairs."""
    L = scores.shape[1]
    starts = np.arange(L - WINDOW + 1)
    hits, chance = [], []
    for s, motifs in zip(scores, inst):
        sums = np.convolve(s, np.ones(WINDOW), mode="valid")
        ok = np.zeros(len(starts), bool)
        for a, b in motifs:
            overlap = np.minimum(starts + WINDOW, b) - np.maximum(starts, a)
            ok |= overlap >= min(b - a, WINDOW) / 2
        hits.append(ok[int(np.argmax(sums))])
        chance.append(ok.mean())
    return float(np.mean(hits)), float(np.mean(chance))


def attribute(model, method: str, X: np.ndarray, target: int) -> np.ndarray:
    """(n, L) signed per-position attribution, the app's track for `method`."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if method == "saliency":
            a = explain.saliency(model, X, target)
        elif method == "guided":
            a = explain.guided(model, X, target, kind="grad_x_input")
        elif method == "ig":
            a = explain.integrated_gradients(model, X, target, baseline="uniform")
        elif method == "ism":
            a = explain.ism(model, X, target)
        else:
            a = explain.deep_lift_shap(model, X, target)
    return a.sum(axis=1)


def score_method(model, method, data, pairs, pos, bg, inst) -> dict:
    X = one_hot([data.test.sequences[i] for i, _ in pairs])
    tracks = np.zeros((len(pairs), data.length), np.float32)
    targets = np.array([t for _, t in pairs])
    start = time.perf_counter()
    for t in np.unique(targets):
        rows = np.flatnonzero(targets == t)
        tracks[rows] = attribute(model, method, X[rows], int(t))
    seconds = time.perf_counter() - start
    s = np.abs(tracks)
    aurocs, auprs, base = [], [], []
    for k in range(len(pairs)):
        keep = pos[k] | bg[k]
        y, v = pos[k][keep].astype(float), s[k][keep]
        aurocs.append(auroc(y, v))
        auprs.append(aupr(y, v))
        base.append(y.mean())
    top, chance = window_hits(s, inst)
    return {
        "auroc": float(np.mean(aurocs)),
        "aupr": float(np.mean(auprs)),
        "aupr_chance": float(np.mean(base)),
        "top_window": top,
        "window_chance": chance,
        "seconds": round(seconds, 1),
        "n": len(pairs),
    }


def run(args) -> list[dict]:
    torch.set_num_threads(args.threads)
    data = synthetic.generate(motifs=args.motifs, n=args.n, length=args.length, seed=0)
    pairs = pick_pairs(data, args.per_task)
    pos, bg = truth_masks(data, pairs)
    inst = instances(data, pairs)
    rows = []
    for preset in args.models:
        config = TrainingConfig(
            preset=preset, seed=0, device="cpu", max_epochs=args.epochs, baselines=False, time_limit=args.minutes * 60
        )
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            done = train(as_set(data.train, "train"), config, valid=as_set(data.valid, "valid"))
        train_s = time.perf_counter() - start
        model = done.model.eval()
        report = evaluate(model, as_set(data.test, "test"), device="cpu")
        base = {
            "model": preset,
            "test_auroc": round(report["auroc"], 4),
            "epochs": done.epochs_run,
            "train_seconds": round(train_s, 1),
            "n_data": args.n,
            "length": args.length,
            "motifs": len(args.motifs),
        }
        print(
            f"{preset}: test AUROC {report['auroc']:.3f} after {done.epochs_run} epochs ({train_s:.0f} s)", flush=True
        )
        for method in args.methods:
            if method == "deeplift" and model.is_recurrent:
                row = {**base, "method": method, "note": "not defined for LSTM gates"}
            else:
                row = {**base, "method": method, **score_method(model, method, data, pairs, pos, bg, inst)}
                print(
                    f"  {method}: AUROC {row['auroc']:.3f} AUPR {row['aupr']:.3f} top window "
                    f"{row['top_window']:.2f} (chance {row['window_chance']:.2f}) {row['seconds']} s",
                    flush=True,
                )
            rows.append(row)
            with args.out.open("a") as fh:
                fh.write(json.dumps(row) + "\n")
    return rows


def latest(path: Path = RESULTS) -> list[dict]:
    """The newest row per (model, method)."""
    rows = {}
    for line in path.read_text().splitlines() if path.exists() else []:
        r = json.loads(line)
        rows[(r["model"], r["method"])] = r
    return list(rows.values())


def table(rows: list[dict]) -> str:
    models = list(dict.fromkeys(r["model"] for r in rows))
    by = {(r["model"], r["method"]): r for r in rows}
    head = "| model (test AUROC) | " + " | ".join(METHOD_NAMES[m] for m in METHODS) + " |"
    lines = [head, "|" + "---|" * (len(METHODS) + 1)]
    for m in models:
        any_row = next(r for r in rows if r["model"] == m)
        cells = []
        for method in METHODS:
            r = by.get((m, method))
            if r is None:
                cells.append("")
            elif "auroc" not in r:
                cells.append("n/a (LSTM)")
            else:
                cells.append(f"{r['auroc']:.3f} / {r['aupr']:.3f} / {r['top_window']:.0%}")
        lines.append(f"| {m} ({any_row['test_auroc']:.3f}) | " + " | ".join(cells) + " |")
    scored = [r for r in rows if "auroc" in r]
    chance_pr = np.mean([r["aupr_chance"] for r in scored]) if scored else float("nan")
    chance_win = np.mean([r["window_chance"] for r in scored]) if scored else float("nan")
    n = scored[0]["n"] if scored else 0
    n_data = rows[0]["n_data"] if rows else 0
    length, n_motifs = (rows[0].get("length", 200), rows[0].get("motifs", 12)) if rows else (0, 0)
    return (
        f"Does the attribution point at the planted motifs? Koo & Eddy synthetic data ({n_motifs} of their JASPAR "
        f"motifs planted 1-5 times in {n_data:,} random {length}-nt sequences, 0.7/0.1/0.2 split); each model "
        "trained with its "
        f"preset's defaults (seed 0, capped for CPU); {n} positive test sequences (the same for every cell), "
        "each explained for its TF's task. Cell: **AUROC / AUPR** of |attribution| at the planted "
        "instances of that TF vs background positions (outside every instance), per sequence and averaged; "
        f"**top window**: how often the highest-scoring 19-nt window covers a planted instance (chance "
        f"{chance_win:.0%} for a random window; AUPR chance {chance_pr:.3f}).\n\n"
        + "\n".join(lines)
        + f"\n\n{READING}\n\n`{COMMAND}` (results: `benchmarks/results/attribution_accuracy.jsonl`; "
        f"`--table` rewrites this section).\n"
    )


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--models", type=lambda s: s.split(","), default=list(MODELS))
    p.add_argument("--methods", type=lambda s: s.split(","), default=list(METHODS))
    p.add_argument("--motifs", type=lambda s: s.split(","), default=list(MOTIFS), help="JASPAR 2016 IDs")
    p.add_argument("--length", type=int, default=100, help="sequence length (Koo & Eddy: 200)")
    p.add_argument("--n", type=int, default=8000, help="synthetic sequences (default 8,000)")
    p.add_argument("--per-task", type=int, default=25, help="positive test sequences explained per task")
    p.add_argument("--epochs", type=int, default=40, help="training epoch cap per model")
    p.add_argument("--minutes", type=float, default=6, help="training time cap per model")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", type=Path, default=RESULTS, help="results file (BENCHMARKS.md is written for the default)")
    p.add_argument("--table", action="store_true", help="only rewrite BENCHMARKS.md from the results")
    args = p.parse_args(argv)
    if not args.table:
        run(args)
    if args.out != RESULTS:
        print(table(latest(args.out)))
        return 0
    replace_section(
        "attribution-accuracy", "## Attribution accuracy (planted motifs as ground truth)\n\n" + table(latest())
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
