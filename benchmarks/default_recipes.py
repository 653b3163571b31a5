"""Toward a `deemo train` default that beats the built-in baselines: training recipes on hard real sets.

    python benchmarks/default_recipes.py TF_23_CHIP_100_genomic,ZBED2 cnn,ensemble   # run, append results
    python benchmarks/default_recipes.py TF_44_CHIP_51_genomic ensemble --seed 1     # other seeds
    python benchmarks/default_recipes.py SP1_GM12878 ensemble-bn --no-baselines      # baselines already fitted
    python benchmarks/default_recipes.py --report                                    # the BENCHMARKS.md section

Run it under `nice -n 15` with OMP_NUM_THREADS=1 on a shared machine. Sets: DREAM5 `TF_<id>_CHIP_<len>_genomic`
(80/20 split, seed 1), `ZBED2` (Koo & Ploenzke's splits), an ENCODE
name such as `ARID3A_K562` (10,000 of positives + shuffles; the B file as test). Each run is capped at 10
minutes (`TrainingConfig.time_limit`); the first recipe of a run also fits the baselines.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from deemo_gui.core.ensemble import DEFAULT_ARCH, ENSEMBLE_MEMBERS, train_ensemble, trainer_for  # noqa: E402
from deemo_gui.core.inference import predict_logits  # noqa: E402
from deemo_gui.core.metrics import classification_report  # noqa: E402
from deemo_gui.core.sequences import fit_length, load_dataset, one_hot  # noqa: E402
from deemo_gui.core.step_budget import auto_batch_size as auto_batch  # noqa: E402
from deemo_gui.core.training import DoneEvent, EpochEvent, Trainer, TrainingConfig, split_validation  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
RESULTS = Path(__file__).resolve().parent / "results" / "default_recipes.jsonl"


RECIPES = {
    "cnn": lambda n: dict(preset="cnn"),
    "cnn-auto-rc": lambda n: dict(preset="cnn", batch_size=auto_batch(n), rc_augment=True, max_epochs=100, patience=10),
    "deepbind-auto-rc": lambda n: dict(
        preset="deepbind", batch_size=auto_batch(n), rc_augment=True, max_epochs=100, patience=10
    ),
    "koo25-auto-rc": lambda n: dict(preset="koo-cnn-25", batch_size=auto_batch(n), rc_augment=True, patience=10),
    "cnn-rnn-auto-rc": lambda n: dict(
        preset="cnn-rnn", batch_size=auto_batch(n), rc_augment=True, max_epochs=60, patience=8
    ),
}


def recipe(preset: str, members: int = 1, rc_average: bool = False, exp: bool = False, **config):
    """A recipe: batch sized to the data, RC augmentation, up to 100 epochs, patience 10, unless `config` says."""

    def settings(n: int) -> dict:
        out = dict(preset=preset, batch_size=auto_batch(n), rc_augment=True, max_epochs=100, patience=10)
        out.update(config, members=members, rc_average=rc_average)
        if exp:
            out["overrides"] = dict(out.get("overrides", {}), first_layer_activation="exp")
        return out

    return settings


RECIPES.update(
    {
        # `deemo train` without --arch: core.ensemble.trainer_for(TrainingConfig(preset="auto")), as the CLI
        "default": lambda n: dict(default=True),
        # the first candidates: core.ensemble with patience 20, without and with batch norm after the detectors
        # and the hidden layer, each before its ReLU (folded into those layers once trained); -12x128: 128
        # detectors of 12 nt; -lr1e-3: that learning rate
        "ensemble": lambda n: dict(ensemble=True, patience=20, overrides=dict(batch_norm=0)),
        "ensemble-bn": lambda n: dict(ensemble=True, patience=20, overrides=dict(batch_norm=1)),
        "ensemble-bn-12x128": lambda n: dict(
            ensemble=True, overrides=dict(batch_norm=1, motif_length=12, n_motifs=128)
        ),
        "ensemble-bn-lr1e-3": lambda n: dict(ensemble=True, lr=1e-3, overrides=dict(batch_norm=1)),
        # SP1's members peak at epoch 4-8: a shorter patience leaves time for more members
        "ensemble-bn-p6": lambda n: dict(ensemble=True, patience=6, overrides=dict(batch_norm=1)),
        # against SP1's early overfit: the learning rate halved after 2 epochs without a better validation loss
        # (-h2), or L2 weight decay (-wd1e-3)
        "ensemble-bn-p6-h2": lambda n: dict(
            ensemble=True, patience=6, lr_halving_patience=2, overrides=dict(batch_norm=1)
        ),
        "ensemble-bn-p6-wd1e-3": lambda n: dict(
            ensemble=True, patience=6, weight_decay=1e-3, overrides=dict(batch_norm=1)
        ),
        "ensemble-bn-p6-wd1e-3-d2": lambda n: dict(
            ensemble=True, patience=6, weight_decay=1e-3, overrides=dict(batch_norm=1, dropout=0.2)
        ),
        "ensemble-bn-p6-wd1e-3-d0": lambda n: dict(
            ensemble=True, patience=6, weight_decay=1e-3, overrides=dict(batch_norm=1, dropout=0.0)
        ),
        "ensemble-bn-p6-wd1e-3-d1": lambda n: dict(
            ensemble=True, patience=6, weight_decay=1e-3, overrides=dict(batch_norm=1, dropout=0.1)
        ),
        # small sets (800 sequences) peak at epoch 2-4: the default with dropout 0.5, or with lr 1e-3
        "default-d5": lambda n: dict(ensemble=True, overrides=dict(dropout=0.5)),
        "default-lr1e-3": lambda n: dict(ensemble=True, lr=1e-3),
        "default-d5-wd1e-2": lambda n: dict(ensemble=True, weight_decay=1e-2, overrides=dict(dropout=0.5)),
        "default-8x128-d5": lambda n: dict(ensemble=True, overrides=dict(n_motifs=128, dropout=0.5)),
        "default-6x256": lambda n: dict(ensemble=True, overrides=dict(motif_length=6)),
        # the three small dinucleotide-shuffle misses: random shifts of up to 5 nt (-s5), weight decay 1e-2 (-wd1e-2)
        "default-s5": lambda n: dict(ensemble=True, shift_augment=5),
        "default-s3": lambda n: dict(ensemble=True, shift_augment=3),
        "default-wd1e-2": lambda n: dict(ensemble=True, weight_decay=1e-2),
        "default-s5-wd3e-3": lambda n: dict(ensemble=True, shift_augment=5, weight_decay=3e-3),
        "default-h8": lambda n: dict(ensemble=True, overrides=dict(hidden_units=8)),
        "default-h4": lambda n: dict(ensemble=True, overrides=dict(hidden_units=4)),
        "default-h16": lambda n: dict(ensemble=True, overrides=dict(hidden_units=16)),
        "default-exp": lambda n: dict(ensemble=True, overrides=dict(first_layer_activation="exp")),
        "default-16x128": lambda n: dict(ensemble=True, n_members=16, overrides=dict(n_motifs=128)),
        "default-h8-wd1e-2": lambda n: dict(ensemble=True, weight_decay=1e-2, overrides=dict(hidden_units=8)),
        "default-h8-s5": lambda n: dict(ensemble=True, shift_augment=5, overrides=dict(hidden_units=8)),
        "ensemble-bn-p6-wd1e-3-h64": lambda n: dict(
            ensemble=True, patience=6, weight_decay=1e-3, overrides=dict(batch_norm=1, hidden_units=64)
        ),
        "ensemble-bn-p6-wd1e-2": lambda n: dict(
            ensemble=True, patience=6, weight_decay=1e-2, overrides=dict(batch_norm=1)
        ),
        "ensemble-bn-p6-wd1e-3-lr1e-2": lambda n: dict(
            ensemble=True, patience=6, weight_decay=1e-3, lr=1e-2, overrides=dict(batch_norm=1)
        ),
        "deepbind-auto-rc-avg": recipe("deepbind", rc_average=True),
        "deepbind-exp-auto-rc-avg": recipe("deepbind", rc_average=True, exp=True),
        "deepbind-auto-rc-avg-x10": recipe("deepbind", members=10, rc_average=True),
        "deepbind-exp-auto-rc-avg-x10": recipe("deepbind", members=10, rc_average=True, exp=True),
        "deepbind-lr3e-3-rc-avg": recipe("deepbind", rc_average=True, lr=3e-3),
        "deepbind-lr3e-4-rc-avg": recipe("deepbind", rc_average=True, lr=3e-4, patience=20),
        "deepbind-b32-rc-avg": recipe("deepbind", rc_average=True, batch_size=32, patience=20),
        "koo25-exp-auto-rc-avg": recipe("koo-cnn-25", rc_average=True, exp=True),
        "cnn-exp-auto-rc-avg": recipe("cnn", rc_average=True, exp=True),
        "deepbind-loss-rc-avg": recipe("deepbind", rc_average=True, monitor="loss", patience=20),
        "deepbind-loss-lr3e-3-rc-avg": recipe("deepbind", rc_average=True, monitor="loss", patience=20, lr=3e-3),
        "deepbind-loss-shift10-rc-avg": recipe(
            "deepbind", rc_average=True, monitor="loss", patience=20, shift_augment=10
        ),
        "deepbind-loss-v20-rc-avg": recipe(
            "deepbind", rc_average=True, monitor="loss", patience=20, valid_fraction=0.2
        ),
        "deepbind-loss-rc-avg-x10": recipe("deepbind", members=10, rc_average=True, monitor="loss", patience=20),
        "deepbind-loss-shift10-rc-avg-x10": recipe(
            "deepbind", members=10, rc_average=True, monitor="loss", patience=20, shift_augment=10
        ),
        "db8x128-loss-lr3e-3-rc-avg": recipe(
            "deepbind",
            rc_average=True,
            monitor="loss",
            patience=20,
            lr=3e-3,
            overrides=dict(motif_length=8, n_motifs=128),
        ),
        "db6x128-loss-lr3e-3-rc-avg": recipe(
            "deepbind",
            rc_average=True,
            monitor="loss",
            patience=20,
            lr=3e-3,
            overrides=dict(motif_length=6, n_motifs=128),
        ),
        "db8x128-wd-loss-lr3e-3-rc-avg": recipe(
            "deepbind",
            rc_average=True,
            monitor="loss",
            patience=20,
            lr=3e-3,
            weight_decay=1e-3,
            overrides=dict(motif_length=8, n_motifs=128),
        ),
        **{
            f"db{k}x{m}{tag}-loss-lr3e-3-rc-avg{'' if e == 1 else f'-x{e}'}": recipe(
                "deepbind",
                members=e,
                rc_average=True,
                monitor="loss",
                patience=20,
                lr=3e-3,
                overrides=dict(motif_length=k, n_motifs=m, **extra),
            )
            for k, m in ((12, 64), (12, 128), (16, 64), (10, 96), (8, 256), (12, 256))
            for tag, extra in (
                ("", {}),
                ("-h64", dict(hidden_units=64)),
                ("-exp", dict(first_layer_activation="exp")),
                ("-d2", dict(dropout=0.2)),
            )
            for e in (1, 5, 10)
        },
        "db8x256-loss-lr1e-3-rc-avg": recipe(
            "deepbind", rc_average=True, monitor="loss", patience=20, overrides=dict(motif_length=8, n_motifs=256)
        ),
        "db12x128-loss-lr1e-3-rc-avg": recipe(
            "deepbind", rc_average=True, monitor="loss", patience=20, overrides=dict(motif_length=12, n_motifs=128)
        ),
        "db12x128-shift5-loss-lr3e-3-rc-avg": recipe(
            "deepbind",
            rc_average=True,
            monitor="loss",
            patience=20,
            lr=3e-3,
            shift_augment=5,
            overrides=dict(motif_length=12, n_motifs=128),
        ),
        "db12x128-auroc-lr3e-3-rc-avg": recipe(
            "deepbind", rc_average=True, patience=20, lr=3e-3, overrides=dict(motif_length=12, n_motifs=128)
        ),
        "koo25-loss-rc-avg": recipe("koo-cnn-25", rc_average=True, monitor="loss", patience=20),
        "cnn-loss-rc-avg": recipe("cnn", rc_average=True, monitor="loss", patience=20),
    }
)


def data_set(name: str):
    """(train, valid or None, test)."""
    if name.startswith("TF_"):
        train, test = split_validation(load_dataset(SHARED / "dream5_chipseq" / f"{name}.seq.gz"), 0.2, 1)
        return train, None, test
    if name == "ZBED2":
        z = SHARED / "zbed2_koo"
        f = lambda s: load_dataset(z / f"ZBED2_{s}.fa.gz", labels=z / f"ZBED2_{s}.labels")  # noqa: E731
        return f("train"), f("valid"), f("test")
    if name == "CTCF":
        c = SHARED / "ctcf_gifford"
        f = lambda s: load_dataset(c / f"ctcf_{s}.fa", labels=c / f"ctcf_{s}.target")  # noqa: E731
        return f("train"), None, f("test")
    if name == "ALX4":  # HT-SELEX round 4 against round 0, 20 % held out as test (seed 1)
        x = SHARED / "selex_alx4"
        data = load_dataset(x / "alx4_round4.txt", negatives=str(x / "alx4_round0.txt"))
        train, test = split_validation(data, 0.2, 1)
        return train, None, test
    encode = ROOT / "resources" / "data" / "deepbind_encode"
    data = load_dataset(encode / f"{name}_AC.seq.gz", negatives="shuffle")
    keep = np.sort(np.random.default_rng(0).choice(len(data), min(len(data), 10000), replace=False))
    return data.subset(keep), None, load_dataset(encode / f"{name}_B.seq.gz")


def _members(done: DoneEvent) -> list[DoneEvent]:
    """Stand-ins for the members of a folded ensemble (their best and last epochs, why they stopped)."""
    info = done.metadata["training"]["ensemble"]
    return [
        DoneEvent(done.model, best, 0.0, run, why, [], {})
        for best, run, why in zip(info["best_epochs"], info["epochs_run"], info["stopped"])
    ]


def test_logits(model, X: np.ndarray, rc_average: bool) -> np.ndarray:
    """Logits on one-hot `X`; with `rc_average`, the mean of both strands' (A<->T, C<->G, reversed)."""
    logits = predict_logits(model, X)
    return (logits + predict_logits(model, np.ascontiguousarray(X[:, ::-1, ::-1]))) / 2 if rc_average else logits


def _progress(event):
    """Each epoch's line on stderr (train loss, validation AUROC, seconds): where a run sits at ln 2."""
    if isinstance(event, EpochEvent):
        print(
            f"  epoch {event.epoch}: loss {event.train_loss:.4f} valid AUROC {event.valid_auroc:.3f} "
            f"({event.seconds:.0f} s){' *' if event.improved else ''}",
            file=sys.stderr,
            flush=True,
        )
    return event


def run(names: list[str], recipes: list[str], seed: int = 0, baselines: bool = True) -> None:
    """Each recipe's settings are TrainingConfig's, plus `members` (an ensemble of that many trainings with
    seeds seed, seed+1, ...: each its own validation split; their test logits averaged) and `rc_average`
    (test logits averaged over both strands). The 10-minute cap covers the whole ensemble. Without
    `baselines` (--no-baselines) none are fitted (the report takes each set's from its first row with them)."""
    for name in names:
        train, valid, test = data_set(name)
        for k, recipe in enumerate(recipes):
            start = time.perf_counter()
            settings = RECIPES[recipe](len(train))
            members, rc_average = settings.pop("members", 1), settings.pop("rc_average", False)
            logits, dones, b = [], [], None
            fit = baselines and k == 0
            default = settings.pop("default", False)
            if default or settings.pop("ensemble", False):  # the folded ensemble, as saved
                if default:  # exactly what `deemo train` without --arch trains
                    config = TrainingConfig(preset=DEFAULT_ARCH, seed=seed, device="cpu", baselines=fit)
                    events = trainer_for(train, config, valid, test).run()
                else:
                    events = train_ensemble(
                        train,
                        valid,
                        test,
                        members=settings.pop("n_members", ENSEMBLE_MEMBERS),
                        seed=seed,
                        device="cpu",
                        baselines=fit,
                        **settings,
                    )
                done = next(e for e in map(_progress, events) if isinstance(e, DoneEvent))
                b = done.metadata.get("baselines")
                X = one_hot(fit_length(test.seqs, done.model.input_length, test.source)[0])
                logits.append(predict_logits(done.model, X))
                dones = _members(done)
                members = 0
            for m in range(members):
                left = 600 - (time.perf_counter() - start)
                if m and left < 1.5 * (time.perf_counter() - start) / m:  # the next member would end past it
                    break
                config = TrainingConfig(
                    seed=seed + m, device="cpu", time_limit=left, baselines=fit and m == 0, **settings
                )
                done = next(e for e in Trainer(train, config, valid, test).run() if isinstance(e, DoneEvent))
                b = b or done.metadata.get("baselines")
                X = one_hot(fit_length(test.seqs, done.model.input_length, test.source)[0])
                logits.append(test_logits(done.model, X, rc_average))
                dones.append(done)
            auroc = classification_report(test.labels, np.mean(logits, axis=0), test.task_names)["auroc"]
            row = dict(
                data=name,
                recipe=recipe,
                seed=seed,
                test=round(auroc, 4),
                members=len(dones),
                epochs=round(float(np.mean([d.epochs_run for d in dones])), 1),
                best=round(float(np.mean([d.best_epoch for d in dones])), 1),
                reason=dones[-1].reason,
                seconds=round(time.perf_counter() - start, 1),
                n=len(train),
                nt=max(map(len, train.seqs)),
                kmer=b and b["kmer"]["test_auroc"],
                pwm=b and b["pwm"]["test_auroc"],
            )
            print(json.dumps(row), flush=True)
            with RESULTS.open("a") as fh:
                fh.write(json.dumps(row) + "\n")


def report() -> str:
    rows = [json.loads(line) for line in RESULTS.read_text().splitlines() if line.strip()]
    names = list(dict.fromkeys(r["data"] for r in rows))
    recipes = list(dict.fromkeys(r["recipe"] for r in rows))
    base: dict[str, tuple[float, float]] = {}  # the first fit (seed 0's split of the training data)
    for r in rows:
        if r["kmer"] is not None:
            base.setdefault(r["data"], (r["kmer"], r["pwm"]))

    def passed(r: dict) -> bool:
        kmer, pwm = base[r["data"]]
        return r["test"] >= max(kmer, pwm) - 0.01

    lines = [
        "### `deemo train` without `--arch` (recipe `default`) vs the built-in baselines (test AUROC, seed 0)",
        "",
        "| data | n train × nt | k-mer | best PWM | needed | default | members | minutes | with 32 hidden units |",
        "|---|---|---|---|---|---|---|---|---|",
    ]

    def first(name: str, recipe: str) -> dict | None:
        return next((r for r in rows if r["data"] == name and r["recipe"] == recipe and r.get("seed", 0) == 0), None)

    for name in names:
        r, h32 = first(name, "default"), first(name, "default-h32")
        if r is None:
            continue
        kmer, pwm = base[name]
        before = "–" if h32 is None else f"{h32['test']:.3f}{' ✓' if passed(h32) else ' ✗'}"
        lines.append(
            f"| {name} | {r['n']:,} × {r.get('nt', '?')} | {kmer:.3f} | {pwm:.3f} | {max(kmer, pwm) - 0.01:.3f} | "
            f"{r['test']:.3f} {'✓' if passed(r) else '✗'} | {r['members']} | {r['seconds'] / 60:.1f} | {before} |"
        )
    done = [r for r in rows if r["recipe"] == "default" and r.get("seed") == 0]
    tried = [n for n in names if any(r["data"] == n and r["recipe"] not in ("default", "default-h32") for r in rows)]
    lines += [
        "",
        f"{sum(map(passed, done))} of {len(done)} sets pass (needed: max(k-mer, best PWM) − 0.01). Minutes are "
        "wall time including the baseline fits, on 2 CPU cores with one torch thread and another run beside it. "
        "The last column: the same recipe with DeepBind's 32 hidden units instead of `auto_hidden_units` (8 on "
        "800 sequences; the default until 2026-12-03), where the two differ.",
        "",
        "### Every recipe tried (test AUROC, seed 0; ✓ = at least max(k-mer, PWM) − 0.01; the sets tried "
        "with more than the default)",
        "",
        "| recipe | " + " | ".join(n.replace("_CHIP_", " ").replace("_genomic", " gen.") for n in tried) + " |",
        "|---" * (1 + len(tried)) + "|",
    ]
    for recipe in recipes:
        cells = []
        for name in tried:
            r = first(name, recipe)
            cells.append("–" if r is None else f"{r['test']:.3f}{' ✓' if passed(r) else ''}")
        lines.append(f"| {recipe} | " + " | ".join(cells) + " |")
    return "\n".join(
        lines
        + [
            "",
            "Names: preset or `db<length>x<detectors>` (DeepBind with that many detectors of that length); `auto`: "
            "batch sized for ≥ 40 steps an epoch (32–256); `rc`: reverse-complement augmentation; `avg`: test "
            "logits averaged over both strands; `loss`/`auroc`: early stopping on validation loss / AUROC; "
            "`lr…`: learning rate; `shift5`: random shifts up to 5 nt; `exp`: exponential first activation; `h64`: "
            "64 hidden units; `d2`: dropout 0.2; `-xN`: N seeds averaged; up to 100 epochs, patience 10 (20 with "
            "`loss`); every run capped at 10 minutes wall on 2 shared CPU cores under `nice` (an ensemble stops "
            "adding members when the next would end past it). `ensemble` is `core.ensemble.train_ensemble` with "
            "patience 20 and no batch norm: the saved, folded model is what is scored; `ensemble-bn` the same with "
            "batch norm after the detectors and after the hidden layer (`--set batch_norm=1`), folded into them; "
            "`-p6`: patience 6; `-h2`: learning rate halved after 2 epochs without a better validation loss; "
            "`-wd…`: weight decay; `-d0`/`-d1`/`-d2`: dropout 0/0.1/0.2 after the hidden layer (the preset's is "
            "0.5). `default` is `deemo train` without `--arch`: `ensemble-bn-p6-wd1e-3-d0` with patience sized to "
            "about 450 steps; `default-…` the default with one change (`d5`: dropout 0.5, `lr1e-3`, `wd1e-2`, "
            "`8x128`: 128 detectors, `6x256`: 6-nt detectors, `h8`/`h4`/`h16`/`h32`: that many hidden units, `s5`: "
            "random shifts up to 5 nt, `exp`: exponential first activation, `16x128`: 16 members of 128 detectors).",
        ]
    )


if __name__ == "__main__":
    logging.disable(logging.WARNING)
    if sys.argv[1:] == ["--report"]:
        from benchmarks.report import replace_section

        body = report()
        print(body)
        replace_section("default-recipes", body)
    else:
        args = sys.argv[1:]
        seed = int(args[args.index("--seed") + 1]) if "--seed" in args else 0
        run(args[0].split(","), args[1].split(","), seed, baselines="--no-baselines" not in args)
