"""`deemo zoo list|index|baselines|classopt|rebuild`: the shipped models."""

from __future__ import annotations

import os
import shlex


def register(sub) -> None:
    p = sub.add_parser("zoo", help="the shipped model zoo")
    zsub = p.add_subparsers(dest="zoo_command", metavar="ACTION", required=True)
    q = zsub.add_parser("list", help="list the shipped models with their test AUROC")
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=run_list)
    q = zsub.add_parser("index", help="regenerate models/index.json and the model cards from the model files")
    q.set_defaults(func=run_index)
    q = zsub.add_parser(
        "baselines",
        help="fit each shipped model's baselines (best JASPAR PWM, gapped k-mer) on "
        "its recorded training data and store them in the file",
    )
    q.add_argument("--only", help="comma-separated model names")
    q.set_defaults(func=run_baselines)
    q = zsub.add_parser(
        "classopt",
        help="compute the class optimization each shipped model carries (the app's default settings, every "
        "task) into models/classopt/, so that a new installation's first Dashboard need not run it",
    )
    q.add_argument("--only", help="comma-separated model names")
    q.add_argument("--force", action="store_true", help="recompute entries that are present and valid too")
    q.add_argument(
        "--check", action="store_true", help="compute nothing: exit 2 when an entry is missing, damaged or stale"
    )
    q.set_defaults(func=run_classopt)
    q = zsub.add_parser("rebuild", help="retrain the zoo with the commands recorded in each model (slow)")
    q.add_argument("--only", help="comma-separated model names")
    q.add_argument("--dry-run", action="store_true", help="print the commands only")
    q.set_defaults(func=run_rebuild)


def run_list(args) -> int:
    import json

    from deemo_gui.core.zoo import read_index, zoo_dir

    entries = read_index()
    if args.json:
        print(json.dumps(entries, indent=1))
        return 0
    if not entries:
        print(f"no models in {zoo_dir()}")
        return 0
    print(f"{'model':34s} {'preset':10s} {'AUROC':>6s} {'PWM':>6s}")
    for e in entries:
        pwm = "–" if e["pwm_auroc"] is None else f"{e['pwm_auroc']:.3f}"
        auroc = "–" if e["test_auroc"] is None else f"{e['test_auroc']:.3f}"
        print(f"{e['name']:34s} {e['preset']:10s} {auroc:>6s} {pwm:>6s}")
    return 0


def run_index(args) -> int:
    from deemo_gui.core.zoo import write_index

    path = write_index()
    print(f"wrote {path}")
    return 0


def run_rebuild(args) -> int:
    from deemo_gui.cli.main import main
    from deemo_gui.core.zoo import on_a_device_here, rebuild_commands, write_index, zoo_dir

    commands = rebuild_commands(only=args.only.split(",") if args.only else None)
    if not args.dry_run:
        import torch

        torch.set_num_threads(1)  # the zoo was trained with one thread; same summation order
    root = zoo_dir().parent
    for recorded in commands:
        argv, note = on_a_device_here(recorded)
        print("deemo " + shlex.join(argv) + (f"  # {note}" if note else ""), flush=True)
        if args.dry_run:
            continue
        cwd = os.getcwd()
        os.chdir(root)
        try:
            rc = main(argv)
        finally:
            os.chdir(cwd)
        if rc:
            return rc
    if not args.dry_run:
        write_index()
    return 0


def run_baselines(args) -> int:
    """Models trained before baselines were built in get them from the same data their command read."""
    from deemo_gui.cli.main import build_parser
    from deemo_gui.cli.train import training_data
    from deemo_gui.core.baselines import fit_baselines
    from deemo_gui.core.ensemble import DEFAULT_ARCH, hold_out_test
    from deemo_gui.core.modelfile import update_metadata
    from deemo_gui.core.training import TrainingConfig, split_validation
    from deemo_gui.core.zoo import rebuild_commands, write_index, zoo_dir

    only = args.only.split(",") if args.only else None
    parser, root, fitted = build_parser(), zoo_dir().parent, {}
    cwd = os.getcwd()
    os.chdir(root)  # the recorded commands name their data relative to the repository root
    try:
        for argv in rebuild_commands(only=only):
            a = parser.parse_args(argv)
            auto = a.arch == DEFAULT_ARCH
            key = (a.train_data, a.labels, a.negatives, a.max_train, a.seed, a.valid, a.test, a.test_fraction, auto)
            if key not in fitted:
                train, valid, test = training_data(a)
                if auto and test is None:  # the records the default recipe held out as its test set
                    train, test, _ = hold_out_test(train, a.seed)
                if valid is None:  # as the Trainer split it
                    train, valid = split_validation(train, TrainingConfig().valid_fraction, a.seed)
                fitted[key] = fit_baselines(train, valid, test, seed=a.seed)
            update_metadata(a.out, {"baselines": fitted[key]})
            b = fitted[key]
            print(
                f"{a.out}: k-mer {b['kmer']['test_auroc']} · best PWM ({b['pwm'].get('name')}) "
                f"{b['pwm']['test_auroc']} (test AUROC)",
                flush=True,
            )
    finally:
        os.chdir(cwd)
    write_index()
    return 0


def run_classopt(args) -> int:
    """The seed store of `viewer.classopt_cache`: one verified entry per shipped model and task, with the
    settings the Dashboard, the Class optimization panel and the Motifs extraction use by default.
    Entries that are present and valid are kept (`--force`: recomputed); entries no shipped model asks
    for any more (retrained weights) are removed."""
    import time
    from pathlib import Path

    from deemo_gui.core.errors import DataError
    from deemo_gui.core.modelfile import load_model, read_metadata
    from deemo_gui.core.zoo import model_name, shipped_model_paths
    from deemo_gui.viewer.classopt_cache import compute, default_keys, read_seed, write_seed, zoo_seed_folder

    folder = Path(zoo_seed_folder())
    paths = shipped_model_paths()
    only = set(args.only.split(",")) if args.only else None
    unknown = sorted((only or set()) - {model_name(Path(p)) for p in paths})
    if unknown:
        raise DataError(f"no shipped model named {', '.join(unknown)}")
    wanted = {key.digest: (path, key) for path in paths for key in default_keys(read_metadata(path))}
    todo = [
        (path, key)
        for path, key in wanted.values()
        if (only is None or model_name(Path(path)) in only) and (args.force or read_seed(str(folder), key) is None)
    ]
    stale = sorted(p for p in folder.glob("*.npz") if p.stem not in wanted) if folder.is_dir() else []
    if args.check:
        for path, key in todo:
            print(f"{model_name(Path(path))} task {key.target}: missing or damaged ({key.digest}.npz)")
        for p in stale:
            print(f"{p.name}: stale (no shipped model asks for it)")
        if todo or stale:
            raise DataError(
                f"{len(todo)} class optimizations missing or damaged, {len(stale)} stale in {folder}; "
                "run `deemo zoo classopt`"
            )
        print(f"{len(wanted)} class optimizations of {len(paths)} shipped models present in {folder}")
        return 0
    import torch

    from deemo_gui.viewer.modelinfo import drain

    torch.set_num_threads(1)  # as the app's workers run it (`Worker(torch_threads=1)`)
    networks: dict[str, object] = {}
    for path, key in todo:
        t0 = time.perf_counter()
        if path not in networks:
            networks.clear()
            networks[path] = load_model(path)
        result = drain(compute(networks[path], key))
        out = write_seed(str(folder), key, result)
        print(
            f"{model_name(Path(path))} task {key.target}: P = {result.score:.3f} in "
            f"{time.perf_counter() - t0:.1f} s -> {os.path.relpath(out)}",
            flush=True,
        )
    if only is None:
        for p in stale:
            p.unlink()
            print(f"removed {p.name} (no shipped model asks for it)")
    print(f"{len(todo)} computed, {len(wanted) - len(todo)} kept, in {folder}")
    return 0
