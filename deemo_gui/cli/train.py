"""`deemo train`, `deemo evaluate`, `deemo predict`."""

from __future__ import annotations

import csv
import json
import logging
import os
import shlex
import sys

from deemo_gui.cli import options
from deemo_gui.core.errors import ConfigError

log = logging.getLogger(__name__)


def register(sub) -> None:
    from deemo_gui.core.device import DEVICE_CHOICES

    p = sub.add_parser("train", help="train a network on labelled sequences and save a model file")
    p.add_argument(
        "train_data", metavar="TRAIN_DATA", help="FASTA, TSV/CSV, DeepBind .seq[.gz] or one sequence per line"
    )
    p.add_argument(
        "--arch",
        default="auto",
        metavar="PRESET",
        help="network preset (see `deemo presets`); default auto: an ensemble of DeepBind networks folded into one "
        "model, within 0.01 AUROC of the built-in baselines or better on 35 of 37 benchmark sets (10 minutes "
        "unless --time)",
    )
    p.add_argument(
        "--members",
        type=options.positive_int,
        metavar="N",
        help="--arch auto: train up to N networks (seeds SEED..SEED+N-1) as the time allows (default 8, at most 8)",
    )
    p.add_argument("--out", required=True, metavar="MODEL", help="model file to write (.safetensors)")
    p.add_argument("--labels", metavar="FILE", help="label file for TRAIN_DATA, one line per record")
    p.add_argument(
        "--negatives", metavar="shuffle|FILE", help="TRAIN_DATA is positives only: negatives file or 'shuffle'"
    )
    p.add_argument(
        "--max-train", type=int, metavar="N", help="train on a random N records of TRAIN_DATA (seeded by --seed)"
    )
    p.add_argument("--valid", metavar="DATA", help="validation data (default: 10%% of TRAIN_DATA held out)")
    p.add_argument("--valid-labels", metavar="FILE")
    p.add_argument("--test", metavar="DATA", help="test data, evaluated after training and stored in the model file")
    p.add_argument("--test-labels", metavar="FILE")
    p.add_argument(
        "--test-fraction",
        type=float,
        metavar="F",
        help="hold out this fraction of TRAIN_DATA as the test set (when there is no --test file; with neither, "
        "--arch auto holds out 10 %% so that the folded model and the baselines get a test AUROC)",
    )
    p.add_argument("--epochs", type=int, help="maximum epochs (default: the preset's)")
    p.add_argument("--lr", type=float, help="learning rate (default: the preset's)")
    p.add_argument("--batch-size", type=int)
    p.add_argument("--patience", type=int, help="early-stopping patience in epochs")
    p.add_argument(
        "--converge",
        action="store_true",
        help="train the preset to convergence on the rules every preset shares in BENCHMARKS.md's equal-rules "
        "study: batch size and patience sized to the data, up to 300 epochs, early stopping on validation loss, "
        "reverse-complement augmentation, 10 minutes unless --time (--epochs, --batch-size, --patience win)",
    )
    p.add_argument(
        "--rc-augment",
        action="store_true",
        help="train on a random half of each batch reverse-complemented (the other strand)",
    )
    p.add_argument(
        "--time",
        metavar="DURATION",
        type=options.duration,
        help="stop before an epoch that would end past this time, e.g. 10m, 90s, 1h (the best model is kept; "
        "default: 10m for --arch auto, no limit for a preset)",
    )
    p.add_argument("--seed", type=options.seed, default=0)
    p.add_argument("--device", default="auto", choices=DEVICE_CHOICES)
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a hyperparameter")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.add_argument(
        "--amp",
        action="store_true",
        help="mixed precision: float16 with loss scaling on CUDA (faster on tensor cores), bfloat16 on CPU",
    )
    p.add_argument(
        "--no-baselines",
        action="store_true",
        help="do not fit the PWM and k-mer baselines (the workflow fits them once per data set)",
    )
    from deemo_gui.cli.genome import add_train_arguments

    add_train_arguments(p)  # --genome: TRAIN_DATA is a BED file of peaks (cli/genome.py)
    p.set_defaults(func=run_train)

    p = sub.add_parser("evaluate", help="AUROC/AUPR of a model on labelled data")
    p.add_argument("model", metavar="MODEL")
    p.add_argument("data", metavar="TEST_DATA")
    p.add_argument("--labels", metavar="FILE")
    p.add_argument("--negatives", metavar="shuffle|FILE")
    p.add_argument("--seed", type=options.seed, default=0, help="seed of --negatives shuffle")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run_evaluate)

    p = sub.add_parser("predict", help="P(bound) per task for every sequence")
    p.add_argument("model", metavar="MODEL")
    p.add_argument("data", metavar="FASTA")
    p.add_argument("--out", metavar="CSV", help="write CSV here (default: standard output)")
    p.add_argument(
        "--window",
        choices=("best", "centre"),
        default="best",
        help="sequences longer than the model's input: score = the best window of a scan (default) "
        "or the centre window only; shorter ones are N-padded",
    )
    p.add_argument("--stride", type=options.positive_int, default=1, help="scan stride in bases (default 1)")
    p.add_argument("--both-strands", action="store_true", help="score each window on both strands and keep the larger")
    p.add_argument("--device", default="auto", choices=DEVICE_CHOICES, help="where to score (default: a GPU if any)")
    p.set_defaults(func=run_predict)

    p = sub.add_parser("presets", help="list the network presets and their hyperparameters")
    p.set_defaults(func=run_presets)


def _load(path, labels=None, negatives=None, seed=0):
    from deemo_gui.core.sequences import load_dataset

    return load_dataset(path, labels=labels, negatives=negatives, seed=seed)


def training_data(args):
    """(train, valid or None, test or None) as `deemo train ARGS` reads them (also used to rebuild the zoo's
    baselines from each model's recorded command)."""
    from deemo_gui.core.sequences import subsample
    from deemo_gui.core.training import split_validation

    if getattr(args, "genome", None):
        from deemo_gui.cli.genome import peak_training_data

        return peak_training_data(args)
    train = _load(args.train_data, args.labels, args.negatives, args.seed)
    if args.max_train is not None:
        if args.max_train < 2:
            raise ConfigError(f"--max-train {args.max_train}: needs at least 2 records")
        train = subsample(train, args.max_train, args.seed)
    valid = _load(args.valid, args.valid_labels) if args.valid else None
    if args.test_labels and not args.test:
        raise ConfigError("--test-labels needs --test (the test sequences)")
    if args.valid_labels and not args.valid:
        raise ConfigError("--valid-labels needs --valid (the validation sequences)")
    test = _load(args.test, args.test_labels) if args.test else None
    if args.test_fraction is not None:
        if test is not None:
            raise ConfigError("give either --test or --test-fraction, not both")
        train, test = split_validation(train, args.test_fraction, args.seed + 1, what="--test-fraction")
        test.source = f"{train.source}, {args.test_fraction:.0%} held out as test (seed {args.seed + 1})"
    return train, valid, test


def run_train(args) -> int:
    from deemo_gui.cli.progress import Progress, print_verdict
    from deemo_gui.core.ensemble import DEFAULT_ARCH, ENSEMBLE_MEMBERS, members_text, trainer_for
    from deemo_gui.core.modelfile import save_model
    from deemo_gui.core.networks import parse_override
    from deemo_gui.core.training import DoneEvent, EpochEvent, StepEvent, TrainingConfig, evaluate
    from deemo_gui.core.verdict import baseline_line

    overrides = dict(parse_override(item) for item in args.set)
    if not args.out.endswith(".safetensors"):
        raise ConfigError(f"--out {args.out}: model files end in .safetensors")
    if args.converge and args.arch == DEFAULT_ARCH:
        raise ConfigError(f"--converge is for a preset (--arch cnn, ...): --arch {DEFAULT_ARCH} sizes its own training")
    train, valid, test = training_data(args)
    config = TrainingConfig(
        preset=args.arch,
        max_epochs=args.epochs,
        lr=args.lr,
        batch_size=args.batch_size,
        patience=args.patience,
        seed=args.seed,
        device=args.device,
        overrides=overrides,
        rc_augment=args.rc_augment,
        converge=args.converge,
        time_limit=args.time,
        baselines=not args.no_baselines,
        amp=args.amp,
    )
    if args.members is not None and args.arch != DEFAULT_ARCH:
        raise ConfigError(f"--members is for --arch {DEFAULT_ARCH} (an ensemble), not --arch {args.arch}")
    trainer = trainer_for(train, config, valid, test, members=args.members or ENSEMBLE_MEMBERS)
    progress = Progress(enabled=not args.quiet)
    done = None
    for event in trainer.run():
        if isinstance(event, StepEvent):
            progress.step(event)
        elif isinstance(event, EpochEvent):
            progress.epoch(event)
        elif isinstance(event, DoneEvent):
            done = event
        elif isinstance(event, tuple) and event[0] == "status":
            progress.status(event[1])
    assert done is not None, "Trainer.run always ends with a DoneEvent"
    meta = dict(done.metadata)
    meta["training"]["command"] = "deemo " + shlex.join(args.argv) if getattr(args, "argv", None) else None
    if test is not None:
        meta["test"] = {"data": test.source, **evaluate(done.model, test)}
    done.model.metadata = meta
    save_model(done.model, args.out, meta)
    ensemble = meta["training"].get("ensemble")
    summary = (
        f"saved {args.out}: {args.arch}, {members_text(ensemble)}, best epochs "
        f"{', '.join(map(str, ensemble['best_epochs']))} ({done.reason}), mean valid AUROC {done.best_valid_auroc:.4f}"
        if ensemble
        else f"saved {args.out}: {args.arch}, best epoch {done.best_epoch}/{done.epochs_run} ({done.reason}), "
        f"valid AUROC {done.best_valid_auroc:.4f}"
    )
    if meta.get("test"):  # a test file, or the records the default recipe held out
        held = " held out" if "held_out" in meta["test"] else ""
        summary += (
            f", test AUROC {meta['test']['auroc']:.4f} AUPR {meta['test']['aupr']:.4f} (n={meta['test']['n']}{held})"
        )
    print(summary)
    line = baseline_line(meta)
    if line:
        print(line)
    print_verdict(done.model)
    return 0


def run_evaluate(args) -> int:
    from deemo_gui.core.modelfile import load_model
    from deemo_gui.core.training import check_two_classes, evaluate

    model = load_model(args.model)
    data = _load(args.data, args.labels, args.negatives, args.seed)
    check_two_classes(data, "test")
    report = evaluate(model, data)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"AUROC {report['auroc']:.4f}  AUPR {report['aupr']:.4f}  n={report['n']}")
        if len(report["per_task"]) > 1:
            for name, m in report["per_task"].items():
                print(f"  {name}: AUROC {m['auroc']:.4f}  AUPR {m['aupr']:.4f}  positives {m['positives']}")
    return 0


def run_predict(args) -> int:
    from deemo_gui.core.device import resolve_device
    from deemo_gui.core.modelfile import load_model
    from deemo_gui.core.predict_stream import records, score_batches

    model = load_model(args.model, device=resolve_device(args.device))
    names = model.metadata.get("task_names") or [f"task{i}" for i in range(model.n_tasks)]
    scorer = _WindowScorer(args)
    rows = score_batches(model, records(args.data), scorer, source=os.fspath(args.data))
    if not args.out:
        _write_predictions(sys.stdout, names, rows)
        scorer.report(os.fspath(args.data))
        return 0
    from deemo_gui.core.atomic import atomic_path

    with atomic_path(args.out) as tmp, open(tmp, "w", newline="") as out:  # written as it goes
        n = _write_predictions(out, names, rows)
    scorer.report(os.fspath(args.data))
    print(f"wrote {n} predictions to {os.fspath(args.out)}")
    return 0


class _WindowScorer:
    """Scores a group of records: sequences of the model's length as they are, shorter ones
    N-padded, longer ones by their best window (`core.windows.score_sequences`) or their centre
    window (`--window centre`); `report()` logs once how many were padded or scanned."""

    def __init__(self, args):
        self.args = args
        self.total = self.shorter = self.longer = 0
        self.length = 0

    def __call__(self, model, seqs):
        from deemo_gui.core.predict_stream import fitted_scores
        from deemo_gui.core.windows import score_sequences

        L = self.length = int(model.input_length)
        self.total += len(seqs)
        self.shorter += sum(len(s) < L for s in seqs)
        longer = sum(len(s) > L for s in seqs)
        self.longer += longer
        if self.args.window == "centre":  # the centre window only (shorter ones are padded either way)
            seqs = [s[(len(s) - L) // 2 : (len(s) - L) // 2 + L] if len(s) > L else s for s in seqs]
        if not self.args.both_strands and (not longer or self.args.window == "centre"):
            return fitted_scores(model, seqs)
        return score_sequences(model, seqs, self.args.stride, self.args.both_strands)

    def report(self, source: str) -> None:
        if self.shorter:
            log.warning(
                "%s: %d of %d sequences were shorter than %d nt and were N-padded",
                source,
                self.shorter,
                self.total,
                self.length,
            )
        if self.longer:
            how = (
                "centre-cropped"
                if self.args.window == "centre"
                else f"scanned with windows (stride {self.args.stride}); each one's P is its best window's"
            )
            log.warning(
                "%s: %d of %d sequences were longer than %d nt and were %s%s",
                source,
                self.longer,
                self.total,
                self.length,
                how,
                ", both strands" if self.args.both_strands else "",
            )


def _write_predictions(out, names, rows) -> int:
    """CSV `id,p_<task>...` of the (ids, probabilities) groups of `rows`; returns the number of rows."""
    writer = csv.writer(out)
    writer.writerow(["id"] + [f"p_{n}" for n in names])
    n = 0
    for ids, probs in rows:
        writer.writerows([rid] + [f"{v:.6f}" for v in row] for rid, row in zip(ids, probs.tolist()))
        n += len(ids)
    return n


def run_presets(args) -> int:
    from deemo_gui.core.ensemble import DEFAULT_DESCRIPTION
    from deemo_gui.core.networks import list_presets, preset_hparams

    print(f"{'auto':16s} {DEFAULT_DESCRIPTION}")
    for name in list_presets():
        params = ", ".join(f"{k}={v}" for k, v in preset_hparams(name).items())
        print(f"{name:16s} {params}")
    return 0
