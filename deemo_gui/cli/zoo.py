"""`deemo zoo list|index|rebuild`: the shipped models."""

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
    from deemo_gui.core.zoo import rebuild_commands, write_index, zoo_dir

    commands = rebuild_commands(only=args.only.split(",") if args.only else None)
    if not args.dry_run:
        import torch

        torch.set_num_threads(1)  # the zoo was trained with one thread; same summation order
    root = zoo_dir().parent
    for argv in commands:
        print("deemo " + shlex.join(argv), flush=True)
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
            key = (a.train_data, a.labels, a.negatives, a.max_train, a.seed, a.valid, a.test, a.test_fraction)
            if key not in fitted:
                train, valid, test = training_data(a)
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
