"""Motifs extracted from the zoo models, compared with JASPAR: three tables for BENCHMARKS.md.

- motif_extraction: the Deep Motif Dashboard's Table 4 (Lanchantin et al. 2017, PSB) for our zoo:
  per model type and extraction method, for how many of the 11 TFs an extracted motif matches the
  TF's own JASPAR matrix (Tomtom q < 0.5, the paper's criterion);
- classopt_jaspar: the class-optimized motif of every zoo model against JASPAR (Tomtom) and against
  the TF's JASPAR matrix on the test sequences (average motif affinity as in Deep Motif, Lanchantin
  et al. 2016, arXiv:1605.01133, and the max-score AUROC);
- rest_ctcf_motifs: the REST and CTCF record (class optimization, best first-layer filter, saliency).

Defaults and their sources: class optimization with the QData/DeepMotif code's settings
(deemo_gui.core.explain.classopt: lam 0.009, RMSprop lr 0.05, 1000 steps, one restart, seed 0);
9-nt windows for saliency, temporal and class-optimization motifs (DeMo Dashboard sec. 3.4);
gradient x input saliency (their code); DeepBind-style convolution activation (Alipanahi et al.
2015); Koo & Eddy (2019) filter PWMs with their code's threshold 0.5. Targets: JASPAR 2024 CORE
vertebrates, the release of the single-PWM baselines (deemo_gui.core.zoo.PWM_BASELINE).

Results accumulate per model in benchmarks/results/motif_tables.json (re-runs skip what is done).

    python benchmarks/motif_tables.py                  # every zoo model, then the tables
    python benchmarks/motif_tables.py --models REST_GM12878_cnn,CTCF_cnn --redo
    python benchmarks/motif_tables.py --table          # only rewrite BENCHMARKS.md from the JSON
    python benchmarks/motif_tables.py --write-cards    # class-opt match into the model files
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.datasets import BENCHMARKS  # noqa: E402
from benchmarks.report import replace_section  # noqa: E402
from deemo_gui.core.explain import (  # noqa: E402
    activation_pwms,
    class_optimization,
    filter_pwms,
    motif_from_class_optimization,
    motif_from_saliency,
    motif_from_temporal,
    saliency,
    saliency_window_starts,
    temporal,
    temporal_window_starts,
)
from deemo_gui.core.metrics import auroc  # noqa: E402
from deemo_gui.core.modelfile import load_model, update_metadata  # noqa: E402
from deemo_gui.core.motifs import (  # noqa: E402
    LOW_INFORMATION_BITS,
    PWM,
    JasparDB,
    average_affinity,
    compare,
    max_scores,
    warm_up_tomtom,
)
from deemo_gui.core.sequences import one_hot  # noqa: E402
from deemo_gui.core.zoo import read_index, zoo_dir  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "motif_tables.json"
RELEASE = "JASPAR2024"  # the release of zoo.PWM_BASELINE's AUROCs (resources/data/SOURCES.md)
Q_MAX = 0.5  # DeMo Dashboard Table 4: a Tomtom match with q < 0.5
MAX_POSITIVES = 1000  # cap per TF (the test sets hold 500 ENCODE / 500 CTCF positives, so unused)
SEED = 0
PRESETS = ["cnn", "rnn", "cnn-rnn", "demo", "deepbind"]
METHODS = {  # key: column title
    "saliency": "saliency",
    "activation": "convolution activation",
    "temporal": "temporal output",
    "classopt": "class optimization (DeMo code)",
    "classopt_simplex": "class optimization (simplex)",
    "filters": "first-layer filters (Koo & Eddy)",
}
RECIPES = {"classopt": "DeMo code", "classopt_simplex": "simplex"}  # class-optimization key: label
ISSUE3 = ("REST_GM12878", "CTCF")  # expected matrices MA0138, MA0139 (the index's jaspar_id)


# --- JASPAR and Tomtom --------------------------------------------------------------------------


def own_ids(tf: str, targets) -> set[str]:
    """The TF's own matrices: name equal to the TF, or the TF as one partner of a dimer (case-insensitive).

    Paralogues do not count (a CTCFL motif matching CTCF's matrix is not a CTCFL match)."""
    tf = tf.lower()
    return {t.id for t in targets if tf == t.name.lower() or tf in t.name.lower().split("::")}


def _hit(row, motifs: dict) -> dict:
    m = motifs[row["query"]]
    return {
        "query": row["query"],
        "consensus": m.consensus(),
        "ic": m.total_ic,
        "target_id": row["target_id"],
        "target_name": row["target_name"],
        "p": float(row["p"]),
        "E": float(row["E"]),
        "q": float(row["q"]),
        "rank": int(row["rank"]),
    }


def tomtom_summary(motifs: list, targets, tf: str, own_by_tf: dict[str, set], expected: str) -> dict:
    """Tomtom of ``motifs`` against ``targets``: how many match the TF's own matrix at q < Q_MAX, the
    best hit overall, the best own hit, the best-ranked hit of the ``expected`` matrix (base id), and
    which TFs of ``own_by_tf`` any motif matches by the same rule (a check against chance matches)."""
    by_id = {m.id: m for m in motifs}
    df = compare(motifs, targets, n_jobs=1)
    df["rank"] = df.groupby("query", sort=False).cumcount() + 1
    hits = df[df["q"] < Q_MAX]
    mine, exp = df[df["target_id"].isin(own_by_tf[tf])], df[df["target_id"].str.split(".").str[0] == expected]
    return {
        "n_motifs": len(motifs),
        "mean_ic": float(np.mean([m.total_ic for m in motifs])),
        "n_matched": int(hits[hits["target_id"].isin(own_by_tf[tf])]["query"].nunique()),
        "matched_tfs": sorted(t for t, ids in own_by_tf.items() if hits["target_id"].isin(ids).any()),
        "best": _hit(df.loc[df["p"].idxmin()], by_id),
        "own": _hit(mine.sort_values(["q", "p"]).iloc[0], by_id) if len(mine) else None,
        "expected": _hit(exp.sort_values(["rank", "p"]).iloc[0], by_id) if len(exp) else None,
    }


def per_sequence_rate(X: np.ndarray, starts: np.ndarray, targets, own: set[str], width: int = 9) -> float:
    """Fraction of sequences whose own ``width``-nt window (one-hot, pseudocount 0.01), compared on
    its own, matches one of the TF's ``own`` matrices at q < Q_MAX: the per-sequence reading of the
    DeMo Dashboard's Table 4 (each positive test sequence's extracted 9-mer against JASPAR). A start
    of -1 (a sequence whose temporal score never switches) has no window and counts as no match."""
    queries = [
        PWM.from_counts(X[i, :, s : s + width], pseudocount=0.01, id=f"seq{i}") for i, s in enumerate(starts) if s >= 0
    ]
    if not queries:
        return 0.0
    df = compare(queries, targets, n_jobs=1)
    hits = df[(df["q"] < Q_MAX) & df["target_id"].isin(own)]
    return hits["query"].nunique() / len(starts)


def random_starts(X: np.ndarray, width: int = 9) -> np.ndarray:
    """A uniformly random window per sequence (seeded): the chance level for ``per_sequence_rate``."""
    return np.random.default_rng(SEED).integers(0, X.shape[2] - width + 1, len(X))


# --- data and motifs ----------------------------------------------------------------------------


def test_onehot(dataset: str) -> tuple[np.ndarray, np.ndarray]:
    """One-hot positives (at most MAX_POSITIVES) and negatives of the dataset's test set."""
    data = BENCHMARKS[dataset].test_set()
    y = data.labels[:, 0] == 1
    X = one_hot(data.seqs)
    return X[y][:MAX_POSITIVES], X[~y]


def relabel(pwm, id_: str):
    pwm.id = id_
    return pwm


def classopt_motifs(opts: dict, width: int) -> dict[str, list]:
    """Each class optimization's 9 and ``width`` most informative columns (keys ``<recipe>``,
    ``<recipe>_w<width>``)."""
    out = {}
    for key, opt in opts.items():
        out[key] = [relabel(motif_from_class_optimization(opt), key)]
        out[f"{key}_w{width}"] = [relabel(motif_from_class_optimization(opt, width), f"{key}_w{width}")]
    return out


def extracted_motifs(model, X_pos: np.ndarray, opts: dict, width: int) -> tuple[dict[str, list], dict[str, np.ndarray]]:
    """Motifs per method of METHODS that applies to ``model`` (saliency and class optimization also
    ``width`` columns wide: keys ``saliency_w<width>``, ``classopt_w<width>``), and the 9-nt window
    start of every sequence for the saliency and temporal methods."""
    attr = saliency(model, X_pos)
    starts = {"saliency": saliency_window_starts(attr)}
    out = {
        "saliency": [motif_from_saliency(X_pos, attr=attr)],
        f"saliency_w{width}": [relabel(motif_from_saliency(X_pos, attr=attr, width=width), f"saliency_w{width}")],
        **classopt_motifs(opts, width),
    }
    if hasattr(model, "first_conv"):
        out["activation"] = activation_pwms(model, X_pos)
        out["filters"] = filter_pwms(model, X_pos)
    if model.is_recurrent:
        forward, _ = temporal(model, X_pos)
        out["temporal"] = [motif_from_temporal(X_pos, forward=forward)]
        starts["temporal"] = temporal_window_starts(forward)  # -1: no switch after the transient
    return out, starts


def affinity(ours, theirs, X_pos: np.ndarray, X_neg: np.ndarray) -> dict:
    """Mean AMA on the positives, the share of positives on which ours has the higher AMA (Deep
    Motif's criterion: ours wins on more than half), and the max-score AUROC (positives vs negatives)."""
    y = np.r_[np.ones(len(X_pos)), np.zeros(len(X_neg))]
    X = np.concatenate([X_pos, X_neg])
    ama_ours, ama_jaspar = average_affinity(ours, X_pos), average_affinity(theirs, X_pos)
    return {
        "ama_ours": float(ama_ours.mean()),
        "ama_jaspar": float(ama_jaspar.mean()),
        "ama_wins": float(np.mean(ama_ours > ama_jaspar)),
        "auroc_ours": auroc(y, max_scores(ours, X)),
        "auroc_jaspar": auroc(y, max_scores(theirs, X)),
    }


def run_model(entry: dict, db: JasparDB, targets, own_by_tf: dict[str, set]) -> dict:
    """Everything the three tables need from one zoo model."""
    t0 = time.perf_counter()
    model = load_model(zoo_dir() / entry["file"])
    tf_pwm = db.get(entry["jaspar_id"])
    own = own_by_tf[entry["tf"]]
    opts = {
        "classopt": class_optimization(model, seed=SEED),
        "classopt_simplex": class_optimization(model, seed=SEED, parametrization="simplex", lr=None, steps=None),
    }
    record = {
        "name": entry["name"],
        "tf": entry["tf"],
        "dataset": entry["dataset"],
        "preset": entry["preset"],
        "jaspar": f"{tf_pwm.id} {tf_pwm.name}",
        "jaspar_width": tf_pwm.width,
        "own_ids": sorted(own),
        "classopt_score": opts["classopt"].score,
        "methods": {},
        "classopt_consensus_score": {k: o.consensus_score for k, o in opts.items()},
    }
    w = tf_pwm.width
    if entry["dataset"] in BENCHMARKS:
        X_pos, X_neg = test_onehot(entry["dataset"])
        motifs, starts = extracted_motifs(model, X_pos, opts, w)
        record.update(
            n_pos=len(X_pos),
            n_neg=len(X_neg),
            affinity=affinity(motifs[f"classopt_w{w}"][0], tf_pwm, X_pos, X_neg),
            affinity_by_recipe={k: affinity(motifs[f"{k}_w{w}"][0], tf_pwm, X_pos, X_neg) for k in opts},
            per_sequence={m: per_sequence_rate(X_pos, st, targets, own) for m, st in starts.items()},
        )
    else:  # ALX4: no test set of its own here; class optimization only
        motifs = {k: v for k, v in classopt_motifs(opts, w).items() if k.endswith(f"_w{w}")}
    for method, pwms in motifs.items():
        record["methods"][method] = (
            tomtom_summary(pwms, targets, entry["tf"], own_by_tf, entry["jaspar_id"]) if pwms else None
        )
    record["seconds"] = time.perf_counter() - t0
    return record


# --- results file -------------------------------------------------------------------------------


def classopt_summary(r: dict, recipe: str = "classopt") -> dict | None:
    """The Tomtom summary of a model's class-optimized motif (``recipe``: a RECIPES key) as wide as
    the TF's JASPAR matrix."""
    return r["methods"].get(f"{recipe}_w{r['jaspar_width']}")


def load_results() -> dict:
    return json.loads(RESULTS.read_text()) if RESULTS.exists() else {"models": {}}


def save_results(results: dict) -> None:
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1, sort_keys=True))


# --- Markdown -----------------------------------------------------------------------------------


def _g(x: float) -> str:
    return f"{x:.2g}"


def _tfs(results: dict) -> list[str]:
    return [d for d in BENCHMARKS if any(r["dataset"] == d for r in results["models"].values())]


def _cell_detail(s: dict | None) -> str:
    if s is None:
        return "–"
    share = f" ({s['n_matched']}/{s['n_motifs']})" if s["n_motifs"] > 1 else ""
    if s["n_matched"]:
        o = s["own"]
        return f"✓ {o['target_id']} {o['target_name']} q={_g(o['q'])}{share}"
    b = s["best"]
    return f"✗ {b['target_id']} {b['target_name']} q={_g(b['q'])}{share}"


def table_extraction(results: dict) -> str:
    runs, tfs = results["models"], _tfs(results)
    n = len(tfs)
    tf_names = {r["tf"] for r in runs.values() if r["dataset"] in tfs}
    lines = ["| model type | " + " | ".join(METHODS.values()) + " |", "|---|" + "---:|" * len(METHODS)]
    for preset in PRESETS:
        recs = [r for r in runs.values() if r["preset"] == preset and r["dataset"] in BENCHMARKS]
        cells = []
        for method in METHODS:
            got = [r["methods"].get(method) for r in recs if r["methods"].get(method)]
            if not got:
                cells.append("–")
                continue
            k = sum(s["n_matched"] > 0 for s in got)
            cell = f"{k} / {n}"
            if any(s["n_motifs"] > 1 for s in got):
                cell += f" ({sum(s['n_matched'] for s in got):,} of {sum(s['n_motifs'] for s in got):,} motifs)"
            cells.append(cell)
        lines.append(f"| {preset} | " + " | ".join(cells) + " |")
    chance = ["| model type | " + " | ".join(METHODS.values()) + " |", "|---|" + "---:|" * len(METHODS)]
    info = list(chance)
    for preset in PRESETS:
        recs = [r for r in runs.values() if r["preset"] == preset and r["dataset"] in BENCHMARKS]
        cells = []
        for method in METHODS:
            others = [
                len(set(s["matched_tfs"]) & set(tf_names) - {r["tf"]}) for r in recs if (s := r["methods"].get(method))
            ]
            cells.append(f"{np.mean(others):.1f}" if others else "–")
        chance.append(f"| {preset} | " + " | ".join(cells) + " |")
        ics = [[s["mean_ic"] for r in recs if (s := r["methods"].get(m))] for m in METHODS]
        info.append(f"| {preset} | " + " | ".join(f"{np.mean(v):.1f}" if v else "–" for v in ics) + " |")
    detail = ["| TF | model type | " + " | ".join(METHODS.values()) + " |", "|---|---|" + "---|" * len(METHODS)]
    for tf in tfs:
        for preset in PRESETS:
            r = next((r for r in runs.values() if r["dataset"] == tf and r["preset"] == preset), None)
            if r:
                detail.append(
                    f"| {tf} | {preset} | " + " | ".join(_cell_detail(r["methods"].get(m)) for m in METHODS) + " |"
                )
    secs = sum(r["seconds"] for r in runs.values())
    notes = [
        "",
        f"Cells: for how many of the {n} TFs at least one extracted motif matches the TF's own JASPAR matrix "
        f"with Tomtom q < {Q_MAX} (DeMo Dashboard Table 4 criterion); for methods with one motif per filter, "
        "how many of all motifs match. – = the method does not apply (temporal output: recurrent models; "
        "activation and filters: a first convolution over the letters).",
        "",
        f"- Targets: {RELEASE} CORE vertebrates ({results.get('n_targets', '?')} matrices), the release of the "
        "single-PWM baselines. Own matrix = a matrix named like the TF, or with the TF as one partner of a dimer "
        "(case-insensitive; CTCF: MA0139, MA1929, MA1930); paralogues do not count (CTCFL matching CTCF is a miss).",
        "- Tomtom: memelite's (deemo_gui.core.motifs.tomtom), both strands, q = Benjamini-Hochberg over the 879 "
        "targets of each motif (MEME Tomtom uses Storey's q, which is smaller or equal).",
        f"- Sequences: the positives of each TF's test set (500 each; cap {MAX_POSITIVES} not reached).",
        "- Saliency: gradient x input of the logit (QData/DeepMotif code), best 9-nt window per sequence (DeMo "
        "Dashboard sec. 3.4). Temporal output: 9-nt window ending at the largest rise of the forward score (sec. 3.4). "
        "Class optimization: lam 0.009, RMSprop lr 0.05, 1000 steps, one restart, seed 0 (QData/DeepMotif code), "
        "the 9 most informative columns. Convolution activation: DeepBind's (Alipanahi et al. 2015), one window per "
        "sequence at each filter's positive maximum, filters active in >= 10 sequences. First-layer filters (not in "
        "the paper): Koo & Eddy 2019, windows above 0.5 x the filter's maximum, trimmed at 0.5 bits with 3 columns "
        "of padding.",
        "- The paper's counts come from its own models trained on the full DeepBind ENCODE sets and an older "
        "JASPAR; ours from the small zoo models (three `demo` ones trained on a GPU), JASPAR 2024 and BH "
        "q-values, so the numbers are comparable in kind, not one to one.",
        f"- Runtime: {secs / 60:.1f} min for all zoo models together (one CPU thread; extraction, class optimization "
        f"and Tomtom; not included: Tomtom's numba compilation, {results.get('warm_up_s', 0):.0f} s here as it was "
        "cached on disk, about 75 s otherwise).",
        "",
        f"Check against chance: the same rule applied to the other {n - 1} TFs' matrices. Mean number of other "
        f'TFs (of {n - 1}) a model\'s motifs also "match"; a method that matches many is not specific (CTCF and '
        "CTCFL count as different TFs here, although their motifs are alike):",
        "",
        *chance,
        "",
        "Mean information content of the extracted motifs (bits, whole motif; 9 columns for saliency, temporal and "
        "class optimization). Near-flat motifs are a trap for Tomtom: a 9-column query of (0.2, 0.3, 0.3, 0.2) in "
        "every column, which carries 0.03 bits per column, gets p = 5e-14 against MA1930.2 CTCF in memelite's "
        "Tomtom. The saliency and temporal-output 9-mers are nearly that flat (their windows are stacked at their own "
        'positions and strands, not aligned), so their CTCF "matches", including the saliency and temporal ✓ of '
        "the CTCF models, are no evidence. The app and `deemo motifs` therefore call a motif with less than "
        f'{LOW_INFORMATION_BITS:g} bits per column on average "not comparable" and do not count its matches '
        "(`core.motifs.low_information`):",
        "",
        *info,
        "",
        "<details><summary>Per TF: the own matrix's best match (✓) or, if none, the best match overall (✗), "
        "with its q</summary>",
        "",
        *detail,
        "",
        "</details>",
    ]
    return (
        "## Motif extraction vs JASPAR (`benchmarks/motif_tables.py`)\n\n"
        + "\n".join(lines + notes)
        + "\n\n"
        + table_per_sequence(results)
    )


def table_per_sequence(results: dict) -> str:
    """Saliency and temporal 9-mers judged one sequence at a time, against a random window per sequence."""
    runs, tfs = results["models"], _tfs(results)
    chance = results.get("random_windows", {})
    lines = [
        "| model type | saliency: mean % of positives (TFs above chance) | "
        "temporal output: mean % of positives (TFs above chance) |",
        "|---|---:|---:|",
    ]
    for preset in PRESETS:
        cells = []
        for method in ("saliency", "temporal"):
            rates = {
                r["dataset"]: r["per_sequence"][method]
                for r in runs.values()
                if r["preset"] == preset and method in r.get("per_sequence", {})
            }
            if not rates:
                cells.append("–")
                continue
            above = sum(rate > chance.get(d, 1.0) for d, rate in rates.items())
            cells.append(f"{100 * np.mean(list(rates.values())):.1f}% ({above} / {len(rates)})")
        lines.append(f"| {preset} | " + " | ".join(cells) + " |")
    if chance:
        lines.append(f"| random 9-nt window (chance) | {100 * np.mean(list(chance.values())):.1f}% | – |")
    detail = [
        "| TF | random window | " + " | ".join(f"{p} saliency" for p in PRESETS) + " | rnn temporal | "
        "cnn-rnn temporal |",
        "|---|---:|" + "---:|" * (len(PRESETS) + 2),
    ]
    for tf in tfs:

        def rate(preset, method, tf=tf):
            r = next((r for r in runs.values() if r["dataset"] == tf and r["preset"] == preset), None)
            v = (r or {}).get("per_sequence", {}).get(method)
            return "–" if v is None else f"{100 * v:.1f}%"

        detail.append(
            f"| {tf} | {100 * chance.get(tf, float('nan')):.1f}% | "
            + " | ".join(rate(p, "saliency") for p in PRESETS)
            + f" | {rate('rnn', 'temporal')} | {rate('cnn-rnn', 'temporal')} |"
        )
    return "\n".join(
        [
            "### Per positive test sequence",
            "",
            "Each positive test sequence's 9-mer (best saliency window; window at the largest forward-score rise) "
            f"compared with JASPAR on its own: the share of sequences whose 9-mer matches the TF's own matrix at "
            f"q < {Q_MAX}, averaged over the TFs, and for how many TFs the share is above chance (the same test on "
            "one random 9-nt window of each sequence, seeded). This avoids the pooled motifs' blur: one sequence's "
            "window is a sharp one-hot motif.",
            "",
            *lines,
            "",
            "<details><summary>Per TF</summary>",
            "",
            *detail,
            "",
            "</details>",
        ]
    )


def _recipe_verdict(scores: dict[str, dict[str, tuple[int, float, float]]]) -> str:
    """Which recipe does better for which preset: the one ahead on more of own-matrix hits, mean
    max-score AUROC and mean P(+) of the consensus (ties count for neither)."""
    demo_code, simplex = list(RECIPES)
    wins: dict[str, list[str]] = {demo_code: [], simplex: []}
    for preset, by_recipe in scores.items():
        if len(by_recipe) < 2:
            continue
        a, b = by_recipe[demo_code], by_recipe[simplex]
        ahead = sum(x > y for x, y in zip(a, b)) - sum(y > x for x, y in zip(a, b))
        if ahead:
            wins[demo_code if ahead > 0 else simplex].append(preset)
    names = {k: " and ".join(", ".join(v).rsplit(", ", 1)) or "none" for k, v in wins.items()}
    default = (
        "So the DeMo code's recipe stays the default"
        if len(wins[demo_code]) >= len(wins[simplex])
        else "The DeMo code's recipe stays the default (the paper's), though the simplex is ahead for more presets,"
    )
    return (
        "- Which recipe does better (ahead on more of: own matrix among hits, mean AUROC ours, mean P(+) "
        f"of the consensus): the DeMo code's for {names[demo_code]}, the simplex for {names[simplex]}. {default} "
        "and the simplex is an option (Class optimization panel ▸ Recipe, `deemo motifs --method classopt "
        "--classopt-recipe simplex`)."
    )


def table_classopt(results: dict) -> str:
    runs, tfs = results["models"], _tfs(results)
    n = len(tfs)
    lines = [
        "| preset | recipe | own matrix among hits (q < 0.5) | best match is own | AMA ours > JASPAR on > half "
        "of the positives (Deep Motif) | mean AMA ours > JASPAR | max-score AUROC ours > JASPAR | mean AUROC ours | "
        "mean AUROC JASPAR | mean P(+) of the consensus |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    scores: dict[str, dict[str, tuple[int, float, float]]] = {}
    for preset in PRESETS:
        for recipe, label in RECIPES.items():
            recs = [
                r
                for r in runs.values()
                if r["preset"] == preset
                and classopt_summary(r, recipe)
                and (r.get("affinity_by_recipe") or {}).get(recipe)
            ]
            if not recs:
                continue
            s = [classopt_summary(r, recipe) for r in recs]
            a = [r["affinity_by_recipe"][recipe] for r in recs]
            cons = [r["classopt_consensus_score"][recipe] for r in recs]
            scores.setdefault(preset, {})[recipe] = (
                sum(x["n_matched"] > 0 for x in s),
                float(np.mean([x["auroc_ours"] for x in a])),
                float(np.mean(cons)),
            )
            lines.append(
                f"| {preset} | {label} | {sum(x['n_matched'] > 0 for x in s)} / {n} | "
                f"{sum(x['best']['target_id'] in r['own_ids'] for x, r in zip(s, recs))} / {n} | "
                f"{sum(x['ama_wins'] > 0.5 for x in a)} / {n} | "
                f"{sum(x['ama_ours'] > x['ama_jaspar'] for x in a)} / {n} | "
                f"{sum(x['auroc_ours'] > x['auroc_jaspar'] for x in a)} / {n} | "
                f"{np.mean([x['auroc_ours'] for x in a]):.3f} | {np.mean([x['auroc_jaspar'] for x in a]):.3f} | "
                f"{np.mean(cons):.3f} |"
            )
    detail = [
        "| model | recipe | JASPAR (width) | class-opt consensus | P(+) of the consensus | best match | E | q | "
        "own matrix q (rank) | AMA wins | AMA ours | AMA JASPAR | AUROC ours | AUROC JASPAR |",
        "|---|---|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in sorted(runs.values(), key=lambda r: (r["dataset"], PRESETS.index(r["preset"]))):
        for recipe, label in RECIPES.items():
            s, a = classopt_summary(r, recipe), (r.get("affinity_by_recipe") or {}).get(recipe)
            if s is None:
                continue
            b, o = s["best"], s["own"]
            own = f"{_g(o['q'])} ({o['rank']})" if o else "–"
            aff = (
                f"{100 * a['ama_wins']:.0f}% | {a['ama_ours']:.3g} | {a['ama_jaspar']:.3g} | {a['auroc_ours']:.3f} | "
                f"{a['auroc_jaspar']:.3f}"
                if a
                else "– | – | – | – | –"
            )
            cons = (r.get("classopt_consensus_score") or {}).get(recipe)
            detail.append(
                f"| {r['name']} | {label} | {r['jaspar']} ({r['jaspar_width']}) | `{b['consensus']}` | "
                f"{'–' if cons is None else f'{cons:.3f}'} | {b['target_id']} {b['target_name']} | "
                f"{_g(b['E'])} | {_g(b['q'])} | {own} | {aff} |"
            )
    notes = [
        "",
        f"Two recipes, one restart, seed {SEED}: the QData/DeepMotif code's (unconstrained input, lam 0.009, RMSprop "
        "lr 0.05, 1000 steps, then clamped, divided by its maximum and smoothed: the app's default) and the simplex "
        '(`parametrization="simplex"`: the input is a PWM while it is optimised, softmax over the bases, Adam lr 0.1, '
        "300 steps, same objective and penalty). The motif is the most informative window as wide as the TF's "
        f"JASPAR matrix. Counts are out of the {n} TFs per preset. Tomtom against {RELEASE} CORE vertebrates as in "
        "the table above (own matrix: same rule). P(+) of the consensus: the model's probability for the one-hot "
        "sequence the optimised input points to (its argmax per position), a real DNA sequence.",
        "",
        "- AMA (Deep Motif, Lanchantin et al. 2016): the average motif affinity (MEME AMA, avg-odds, both strands, "
        "uniform background, pseudocount 0.01) of our motif and of the TF's JASPAR matrix, same width, on each "
        "test positive. The paper's criterion is the first AMA column: ours scores higher on more than half of the "
        "test sequences (29 of its 57 motifs did); the next column compares the means. AMA of two different "
        "matrices is not strictly comparable (a flat matrix and a sharp one score on different scales), so the "
        "max-score AUROC is the fairer test:",
        "- max-score AUROC: the best log-odds window per sequence as a classifier of the test set (positives vs "
        "dinucleotide-shuffled negatives; CTCF: real negatives); the JASPAR column is the single-PWM baseline "
        "of the accuracy table.",
        "- ALX4_SELEX_cnn has no test set here (it was split off inside training), so only its Tomtom match is shown.",
        "- Deep Motif's comparison used its own networks trained on the full ENCODE sets; here the rnn and cnn-rnn "
        "optimizations with the DeMo recipe mostly end in homopolymer runs (consensus column; fewer with the "
        "simplex), which no JASPAR matrix resembles; so those presets score far below the paper's.",
        _recipe_verdict(scores),
        "",
        "<details><summary>Per model</summary>",
        "",
        *detail,
        "",
        "</details>",
    ]
    return "## Class-optimized motifs vs JASPAR (`benchmarks/motif_tables.py`)\n\n" + "\n".join(lines + notes)


def _issue3_rows(r: dict) -> list[str]:
    w = r["jaspar_width"]
    rows = []
    for method, label in (
        (f"classopt_w{w}", f"class optimization, DeMo code ({w} cols)"),
        (f"classopt_simplex_w{w}", f"class optimization, simplex ({w} cols)"),
        ("classopt", "class optimization, DeMo code (9 cols)"),
        ("filters", "best first-layer filter"),
        (f"saliency_w{w}", f"saliency ({w}-mers)"),
        ("saliency", "saliency (9-mers)"),
    ):
        s = r["methods"].get(method)
        if not s:
            continue
        b, e = s["best"], s["expected"]
        exp = f"{e['rank']} (q={_g(e['q'])}{', ' + e['query'] if s['n_motifs'] > 1 else ''})" if e else "–"
        motif = f"{label}: {b['query']}" if s["n_motifs"] > 1 else label
        rows.append(
            f"| {r['name']} | {motif} | `{b['consensus']}` | {b['target_id']} {b['target_name']} | "
            f"{_g(b['E'])} | {_g(b['q'])} | {exp} |"
        )
    return rows


def table_issue3(results: dict) -> str:
    runs = [r for r in results["models"].values() if r["dataset"] in ISSUE3 and "affinity" in r]
    head = [
        "| model | motif | consensus | best match | E | q | rank of MA0138 / MA0139 (its q) |",
        "|---|---|---|---|---:|---:|---|",
    ]
    first = [row for r in runs if r["preset"] == "cnn" for row in _issue3_rows(r)]
    rest = [
        row
        for r in sorted(runs, key=lambda r: (r["dataset"], PRESETS.index(r["preset"])))
        if r["preset"] != "cnn"
        for row in _issue3_rows(r)
    ]
    notes = [
        "",
        f"Expected matrix: MA0138 (REST) or MA0139 (CTCF), {RELEASE} versions MA0138.3 (20 columns) and MA0139.2 "
        "(15). Rank: its place among the 879 targets sorted by Tomtom p for that motif (for filters: the best rank "
        "over all filters, and which filter). Best first-layer filter: the Koo & Eddy filter PWM with the best "
        "Tomtom match of all filters. Saliency and class optimization at 9 columns (DeMo Dashboard default) and at "
        "the width of the expected matrix.",
        "",
        "The pooled saliency rows are blurred (windows stacked unaligned, see the note on near-flat motifs above); "
        "judged one positive sequence at a time, the saliency 9-mers do find the expected matrices (share of "
        f"positives whose 9-mer matches the TF's own matrix at q < {Q_MAX}, against one random 9-nt window per "
        "sequence):",
        "",
        *[
            f"- {r['name']}: saliency {100 * r['per_sequence']['saliency']:.1f}% vs random "
            f"{100 * results.get('random_windows', {}).get(r['dataset'], float('nan')):.1f}%"
            for r in runs
            if r["preset"] == "cnn" and "per_sequence" in r
        ],
        "",
        "<details><summary>The other model types</summary>",
        "",
        *head,
        *rest,
        "",
        "</details>",
    ]
    return "## REST and CTCF motifs (`benchmarks/motif_tables.py`)\n\n" + "\n".join(head + first + notes)


def write_tables(results: dict) -> None:
    replace_section("motif_extraction", table_extraction(results))
    replace_section("classopt_jaspar", table_classopt(results))
    replace_section("rest_ctcf_motifs", table_issue3(results))


# --- model cards --------------------------------------------------------------------------------


def classopt_match(r: dict) -> dict:
    """The ``classopt_match`` metadata of a model from its results."""
    s = classopt_summary(r)
    b, o = s["best"], s["own"]
    return {
        "target_id": b["target_id"],
        "target_name": b["target_name"],
        "E": b["E"],
        "q": b["q"],
        "release": RELEASE,
        "collection": "CORE vertebrates",
        "consensus": b["consensus"],
        "width": r["jaspar_width"],
        "is_own": b["target_id"] in r["own_ids"],
        "own_id": o["target_id"] if o else None,
        "own_q": o["q"] if o else None,
        "own_match": bool(s["n_matched"]),
        "settings": f"class optimization, lam 0.009, lr 0.05, 1000 steps, 1 restart, seed {SEED}; "
        f"most informative {r['jaspar_width']} columns; Tomtom q < {Q_MAX}",
    }


def write_cards(results: dict) -> None:
    for r in results["models"].values():
        update_metadata(zoo_dir() / f"{r['name']}.safetensors", {"classopt_match": classopt_match(r)})
        print(f"{r['name']}: classopt_match written", flush=True)


# --- main ---------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=None, help="comma-separated zoo model names (default: all)")
    parser.add_argument("--redo", action="store_true", help="re-run models already in the JSON")
    parser.add_argument("--table", action="store_true", help="only rewrite BENCHMARKS.md from the JSON")
    parser.add_argument("--write-cards", action="store_true", help="only write classopt_match into the model files")
    args = parser.parse_args()
    torch.set_num_threads(1)
    results = load_results()
    if args.write_cards:
        write_cards(results)
        return 0
    if not args.table:
        db = JasparDB(RELEASE)
        targets = db.all(collection="CORE", tax_group="vertebrates")
        results.update(n_targets=len(targets), warm_up_s=results.get("warm_up_s") or warm_up_tomtom())
        wanted = set(args.models.split(",")) if args.models else None
        index = read_index()
        own_by_tf = {e["tf"]: own_ids(e["tf"], targets) for e in index}
        chance = results.setdefault("random_windows", {})
        for e in index:
            if e["dataset"] in BENCHMARKS and e["dataset"] not in chance:
                X_pos, _ = test_onehot(e["dataset"])
                chance[e["dataset"]] = per_sequence_rate(X_pos, random_starts(X_pos), targets, own_by_tf[e["tf"]])
        for entry in index:
            if (wanted and entry["name"] not in wanted) or (entry["name"] in results["models"] and not args.redo):
                continue
            r = run_model(entry, db, targets, own_by_tf)
            results["models"][entry["name"]] = r
            save_results(results)
            co = classopt_summary(r)["best"]
            print(
                f"{r['name']}: {r['seconds']:.0f} s; class opt {co['consensus']} -> {co['target_id']} "
                f"{co['target_name']} q={co['q']:.2g}; matched: "
                + ", ".join(m for m, s in r["methods"].items() if s and s["n_matched"]),
                flush=True,
            )
    write_tables(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
