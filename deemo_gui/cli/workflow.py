"""`deemo workflow`: write a workflow config and run it with Snakemake (workflows/Snakefile), locally or on
a SLURM cluster; and the steps its rules call that no other subcommand does (baselines per data set, the
zoo, split and gather for scoring in chunks)."""

from __future__ import annotations

import argparse
import os
import sys

from deemo_gui.cli import options
from deemo_gui.core.errors import ConfigError


def register(sub) -> None:
    p = sub.add_parser(
        "workflow", help="train and score many models with Snakemake (local or SLURM)", description=__doc__
    )
    wsub = p.add_subparsers(dest="workflow_command", metavar="ACTION", required=True)

    q = wsub.add_parser("init", help="write a workflow config: data sets x presets x seeds (and scoring)")
    q.add_argument("config", metavar="CONFIG.yaml", help="config file to write; the workflow runs in its folder")
    q.add_argument(
        "--data",
        action="append",
        default=[],
        metavar="SPEC",
        help="a data set: TRAIN_FILE or name=NAME,train=FILE,test=FILE,labels=FILE,negatives=shuffle,"
        "genome=FASTA,max_train=N,... (repeat); a DeepBind *_AC.seq.gz gets negatives=shuffle and "
        "its *_B.seq.gz as test",
    )
    q.add_argument(
        "--benchmarks",
        action="store_true",
        help="the 11 bundled benchmark sets (the ENCODE sets and CTCF of benchmarks/accuracy.py)",
    )
    q.add_argument("--presets", default="cnn", help="comma-separated presets (default cnn)")
    q.add_argument("--seeds", default="0", help="comma-separated seeds (default 0)")
    q.add_argument("--epochs", type=options.positive_int, help="maximum epochs (default: each preset's)")
    q.add_argument("--minutes", type=float, help="time limit of each training, minutes")
    q.add_argument(
        "--converge", action="store_true", help="train each preset to convergence (`deemo train --converge`)"
    )
    q.add_argument("--max-train", type=options.positive_int, help="train on at most N records of each set")
    q.add_argument(
        "--device",
        default="cpu",
        choices=("auto", "cpu", "cuda", "mps"),
        help="training device; cuda makes the train rule ask for one GPU",
    )
    q.add_argument("--threads", type=options.positive_int, default=2, help="threads per training job")
    q.add_argument("--explain", default="saliency", help="comma-separated `deemo explain` methods ('' for none)")
    q.add_argument("--compare", default="JASPAR2024", help="JASPAR release the motifs are compared with ('' for none)")
    q.add_argument("--score", metavar="FASTA|BED", help="score this file in chunks (BED: regions of --genome)")
    q.add_argument("--genome", metavar="FASTA", help="score the genome (or --score's regions) in tiles, with a track")
    q.add_argument("--models", default="", help="comma-separated model files to score with")
    q.add_argument("--chunks", type=options.positive_int, default=4, help="chunks scored in parallel (default 4)")
    q.add_argument("--tile", type=options.positive_int, default=50, help="genome: one score per this many bases")
    q.set_defaults(func=run_init)

    q = wsub.add_parser("run", help="run (or --dry-run, or --print) the workflow of a config with snakemake")
    q.add_argument("config", metavar="CONFIG.yaml")
    q.add_argument("--profile", default="local", help="local (default), slurm or a Snakemake profile folder")
    q.add_argument("--cores", type=options.positive_int, help="cores to use (local)")
    q.add_argument("--workdir", help="where the outputs go (default: the config's folder)")
    q.add_argument("--dry-run", action="store_true", help="show what would run, run nothing")
    q.add_argument("--print", action="store_true", help="print the snakemake command only")
    q.add_argument(
        "--snakemake",
        default="",
        metavar="'ARGS'",
        help="more snakemake arguments or targets, in one string: --snakemake='--keep-going'",
    )
    q.set_defaults(func=run_run)

    q = wsub.add_parser("baselines", help="(a rule's step) fit the PWM and k-mer baselines of one data set")
    q.add_argument("--out", required=True, metavar="FILE.json")
    q.add_argument("--seed", type=options.seed, default=0)
    q.add_argument(
        "data_args",
        nargs=argparse.REMAINDER,
        metavar="-- TRAIN_DATA [OPTIONS]",
        help="the data arguments of `deemo train`, after --",
    )
    q.set_defaults(func=run_baselines)

    q = wsub.add_parser("zoo", help="(a rule's step) the zoo folder and accuracy tables of trained models")
    q.add_argument("--out", required=True, metavar="DIR")
    q.add_argument("models", nargs="+", metavar="MODEL")
    q.set_defaults(func=run_zoo)

    q = wsub.add_parser("split", help="(a rule's step) split records or genome tiles into chunks")
    q.add_argument("data", nargs="?", metavar="FASTA|BED", help="records to split; with --genome: its regions")
    q.add_argument("--chunks", type=options.positive_int, required=True)
    q.add_argument("--out-dir", required=True)
    q.add_argument("--genome", metavar="FASTA")
    q.add_argument("--tile", type=options.positive_int, default=50)
    q.set_defaults(func=run_split)

    q = wsub.add_parser("gather", help="(a rule's step) join the chunks' predictions in order")
    q.add_argument("parts", nargs="+", metavar="CSV")
    q.add_argument("--out", required=True, metavar="CSV")
    q.add_argument("--tiles", nargs="*", default=[], metavar="BED")
    q.add_argument("--genome", metavar="FASTA")
    q.add_argument("--track", metavar="FILE.bw|FILE.bedGraph")
    q.set_defaults(func=run_gather)


def _require(module: str) -> None:
    """A one-line error when the workflow extra is not installed."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise ConfigError(
            f"deemo workflow needs {module}: pip install 'deemo-gui[workflow]' (snakemake, its SLURM "
            "executor, pyyaml, pyBigWig)"
        )


def _after_dashes(args: list[str]) -> list[str]:
    return args[1:] if args[:1] == ["--"] else args


def parse_spec(spec: str) -> tuple[str, dict]:
    """(name, data set) of an --data SPEC; the file names are made absolute (the workflow runs elsewhere)."""
    from pathlib import Path

    from deemo_gui.core.workflow import DATA_KEYS, PATH_KEYS

    fields, items = {}, spec.split(",")
    for i, item in enumerate(items):
        key, eq, value = item.partition("=")
        if not eq and i:
            raise ConfigError(f"--data {spec}: {item!r} is not KEY=VALUE")
        fields.update({key: value} if eq else {"train": item})
    bad = sorted(set(fields) - set(DATA_KEYS) - {"train", "name"})
    if bad or "train" not in fields:
        raise ConfigError(f"--data {spec}: give TRAIN_FILE or name=...,train=FILE[,{','.join(DATA_KEYS)}=...]")
    train = Path(fields["train"])
    name = fields.pop("name", None) or train.name.split(".")[0].removesuffix("_AC").removesuffix("_train")
    if train.name.endswith("_AC.seq.gz"):  # DeepBind: positives only; the held-out file beside it
        fields.setdefault("negatives", "shuffle")
        test = train.with_name(train.name.replace("_AC.seq.gz", "_B.seq.gz"))
        if test.exists():
            fields.setdefault("test", str(test))
    ds = {}
    for key, value in fields.items():
        if key in PATH_KEYS:
            if not Path(value).is_file():
                raise ConfigError(f"--data {spec}: {value}: no such file")
            value = str(Path(value).resolve())
        elif key in ("max_train", "length"):
            value = int(value)
        elif key == "test_fraction":
            value = float(value)
        ds[key] = value
    return name, ds


def benchmark_sets() -> dict:
    """The bundled benchmark sets as benchmarks/accuracy.py trains them."""
    from deemo_gui.data_paths import data_root

    root = data_root() / "resources" / "data"
    sets = {}
    for path in sorted((root / "deepbind_encode").glob("*_AC.seq.gz")):
        name, ds = parse_spec(str(path))
        sets[name] = ds
    ctcf = root / "ctcf_gifford"
    sets["CTCF"] = {
        "train": str(ctcf / "ctcf_train.fa"),
        "labels": str(ctcf / "ctcf_train.target"),
        "test": str(ctcf / "ctcf_test.fa"),
        "test_labels": str(ctcf / "ctcf_test.target"),
    }
    return sets


def run_init(args) -> int:
    from pathlib import Path

    _require("yaml")
    import yaml

    from deemo_gui.core.atomic import write_text
    from deemo_gui.core.networks import list_presets
    from deemo_gui.core.workflow import checked

    datasets = benchmark_sets() if args.benchmarks else {}
    for spec in args.data:
        name, ds = parse_spec(spec)
        if name in datasets:
            raise ConfigError(f"--data {spec}: a second data set named {name}; give name=... to tell them apart")
        datasets[name] = ds
    if args.max_train:
        for ds in datasets.values():
            ds.setdefault("max_train", args.max_train)
    config = {
        "datasets": datasets,
        "presets": [p for p in args.presets.split(",") if p],
        "seeds": [int(s) for s in args.seeds.split(",") if s],
        "epochs": args.epochs,
        "minutes": args.minutes,
        "converge": args.converge,
        "device": args.device,
        "threads": args.threads,
        "explain": [m for m in args.explain.split(",") if m],
        "compare": args.compare or None,
    }
    if args.score or args.genome:
        models = [str(Path(m).resolve()) for m in args.models.split(",") if m]
        for m in models:
            if not Path(m).is_file():
                raise ConfigError(f"--models: {m}: no such model file")
        config["score"] = {
            "data": str(Path(args.score).resolve()) if args.score else None,
            "genome": str(Path(args.genome).resolve()) if args.genome else None,
            "models": models,
            "chunks": args.chunks,
            "tile": args.tile,
        }
    checked(config, args.config, list_presets())
    Path(args.config).resolve().parent.mkdir(parents=True, exist_ok=True)
    write_text(args.config, yaml.safe_dump(config, sort_keys=False))
    print(f"wrote {args.config}; run it with: deemo workflow run {args.config} [--dry-run] [--profile slurm]")
    return 0


def run_run(args) -> int:
    import shlex
    import subprocess

    from deemo_gui.core.networks import list_presets
    from deemo_gui.core.workflow import load_config, record_run, snakemake_command, stale_lock

    _require("yaml")
    _require("snakemake")
    load_config(args.config, list_presets())  # a mistake is one line here, not a Snakemake traceback
    workdir = os.path.abspath(args.workdir or os.path.dirname(os.path.abspath(args.config)))
    argv = snakemake_command(
        args.config, workdir, args.profile, args.cores, args.dry_run, extra=shlex.split(args.snakemake)
    )
    print(shlex.join(argv), flush=True)
    if args.print:
        return 0
    # the rules run `deemo`: this one first on the PATH (a virtual environment need not be activated)
    env = {**os.environ, "PATH": os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])}
    killed = stale_lock(workdir)
    if killed and not args.dry_run:  # a killed run's lock: its half-made outputs are redone (--rerun-incomplete)
        print(f"deemo: the run of pid {killed} was killed; removing its lock and resuming", flush=True)
        subprocess.run([*argv, "--unlock"], env=env, check=True, stdout=subprocess.DEVNULL)
    proc = subprocess.Popen(argv, env=env)
    if not args.dry_run:
        record_run(workdir, proc.pid)
    return proc.wait()


def run_baselines(args) -> int:
    import json

    from deemo_gui.cli.main import build_parser
    from deemo_gui.cli.train import training_data
    from deemo_gui.core.atomic import write_text
    from deemo_gui.core.baselines import fit_baselines
    from deemo_gui.core.training import TrainingConfig, split_validation

    data_args = _after_dashes(args.data_args)
    if not data_args:
        raise ConfigError("deemo workflow baselines: give the data arguments of `deemo train` after --")
    # the data exactly as `deemo train DATA_ARGS --seed S` reads and splits it (the preset plays no part)
    a = build_parser().parse_args(
        ["train", *data_args, "--seed", str(args.seed), "--arch", "cnn", "--out", "unused.safetensors"]
    )
    train, valid, test = training_data(a)
    if valid is None:
        train, valid = split_validation(train, TrainingConfig().valid_fraction, a.seed)
    fitted = fit_baselines(train, valid, test, seed=a.seed)
    write_text(
        args.out,
        json.dumps(
            {"data": data_args, "seed": args.seed, "n_train": len(train), "n_valid": len(valid), "baselines": fitted},
            indent=1,
        )
        + "\n",
    )
    print(
        f"{args.out}: k-mer {fitted['kmer']['test_auroc']} · best PWM ({fitted['pwm'].get('name')}) "
        f"{fitted['pwm']['test_auroc']} (test AUROC)"
    )
    return 0


def run_zoo(args) -> int:
    from deemo_gui.core.workflow_zoo import build_zoo

    results = build_zoo(args.models, args.out)
    print(
        f"wrote {os.path.join(args.out, 'index.json')}, accuracy.md and accuracy.json "
        f"({len(args.models)} models, {len(results['runs'])} with a test AUROC)"
    )
    return 0


def run_split(args) -> int:
    from deemo_gui.core.scatter import split_records, split_tiles

    os.makedirs(args.out_dir, exist_ok=True)
    if args.genome:
        outs = split_tiles(args.genome, args.out_dir, args.chunks, regions=args.data, tile=args.tile)
    elif args.data:
        outs = split_records(args.data, args.out_dir, args.chunks)
    else:
        raise ConfigError("deemo workflow split: give the records to split, or --genome")
    print(f"wrote {len(outs)} chunks to {args.out_dir}")
    return 0


def run_gather(args) -> int:
    from deemo_gui.core.scatter import gather_tables, write_track

    n = gather_tables(args.parts, args.out)
    print(f"wrote {n} predictions to {args.out}")
    if args.track:
        if not (args.tiles and args.genome):
            raise ConfigError("--track needs --tiles (the chunks' BED files) and --genome")
        kind = write_track(args.tiles, args.out, args.genome, args.track)
        print(f"wrote {args.track} ({kind})")
    return 0
