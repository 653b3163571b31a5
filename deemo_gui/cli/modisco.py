"""`deemo motifs --method modisco`: TF-MoDISco patterns from a model's attributions (core.modisco)."""

from __future__ import annotations

import os
import sys

from deemo_gui.core.errors import ConfigError

_STAGES = {
    "windows": "best windows of the longer sequences",
    "attributions": "attributions",
    "modisco": "TF-MoDISco",
    "tomtom": "Tomtom",
}


def add_arguments(p) -> None:
    """The options only `--method modisco` reads (added to the `deemo motifs` parser)."""
    from deemo_gui.core.modisco import ATTRIBUTIONS, ModiscoSettings

    d = ModiscoSettings()
    g = p.add_argument_group(
        "modisco", "options of --method modisco (TF-MoDISco; compared with JASPAR2024 unless --compare says otherwise)"
    )
    g.add_argument(
        "--attribution",
        choices=ATTRIBUTIONS,
        default="auto",
        help="attributions given to TF-MoDISco (default auto: DeepLIFT/SHAP for convolutional "
        "models, the projected gradient for recurrent ones)",
    )
    g.add_argument("--report", metavar="FILE.html", help="write a self-contained HTML report (logos embedded)")
    g.add_argument("--seqlets", metavar="FILE.tsv", help="write every seqlet (record, start, end, strand)")
    g.add_argument(
        "--max-seqlets",
        type=int,
        default=d.max_seqlets,
        help=f"seqlets per metacluster (default {d.max_seqlets}, modisco-lite's motifs command)",
    )
    g.add_argument(
        "--leiden-runs",
        type=int,
        default=d.leiden_runs,
        help=f"Leiden clusterings (default {d.leiden_runs}; modisco-lite's default is 50)",
    )


def _sequences(args):
    import numpy as np

    from deemo_gui.core.sequences import load_dataset

    if args.data is None:
        raise ConfigError("--method modisco needs sequences: give --data FILE")
    data = load_dataset(args.data, labels=args.labels)
    idx = np.arange(len(data))
    if data.labels is not None and np.any(data.labels[:, min(args.target, data.labels.shape[1] - 1)] == 0):
        if args.target >= data.labels.shape[1]:
            raise ConfigError(f"--target {args.target}: {data.source} has {data.labels.shape[1]} label column(s)")
        idx = np.flatnonzero(data.labels[:, args.target] == 1)
        if len(idx) == 0:
            raise ConfigError(f"{data.source}: no positive sequences for task {args.target}")
    if args.max_seqs:
        idx = idx[: args.max_seqs]
    return [data.seqs[i] for i in idx], [data.ids[i] for i in idx]


def run(args, targets) -> int:
    """Run TF-MoDISco for `deemo motifs`; `targets` is (PWMs, label) or None."""
    from deemo_gui.cli.progress import print_verdict
    from deemo_gui.core import modisco_engine
    from deemo_gui.core.atomic import write_text
    from deemo_gui.core.device import resolve_device
    from deemo_gui.core.explain import task_index
    from deemo_gui.core.modelfile import load_model
    from deemo_gui.core.modisco import ModiscoSettings, default_release, modisco_job
    from deemo_gui.core.motifs import JasparDB, write_meme
    from deemo_gui.core.motifs.tomtom import METHOD_NOTE as TOMTOM_METHOD_NOTE

    why = modisco_engine.available()
    if why:
        raise ConfigError(why)
    settings = ModiscoSettings(max_seqlets=args.max_seqlets, leiden_runs=args.leiden_runs)
    settings.engine_kwargs()  # bad values fail before the work
    if targets is None:
        release = default_release()
        targets = (JasparDB(release).all(), f"{release} CORE vertebrates")
    model = load_model(args.model, device=resolve_device(args.device))
    model.name = os.path.splitext(os.path.basename(args.model))[0]
    args.target = task_index(model, args.target)
    seqs, ids = _sequences(args)
    label = targets[1]
    job = modisco_job(
        model,
        seqs,
        ids=ids,
        target=args.target,
        attribution=args.attribution,
        settings=settings,
        targets=targets[0],
        release=label.split()[0],
        batch_size=args.batch_size,
    )
    last = None
    while True:
        try:
            event = next(job)
        except StopIteration as stop:
            result = stop.value
            break
        if event.stage != last:
            print(f"{_STAGES[event.stage]}…", file=sys.stderr)
            last = event.stage
    if result.note:
        print(f"deemo: warning: {result.note}", file=sys.stderr)
    if not result.patterns:
        raise ConfigError(
            f"TF-MoDISco found no pattern in {len(seqs):,} sequences (it needs at least "
            f"{settings.min_metacluster_size} seqlets of one sign): give more sequences with --data"
        )
    write_meme([p.pwm() for p in result.patterns], args.out)
    print(f"wrote {len(result.patterns)} TF-MoDISco pattern(s) to {args.out}")
    if args.report:
        from deemo_gui.core.modisco_report import write_report

        write_report(result, args.report, title=f"TF-MoDISco: {model.name}")
        print(f"wrote the report to {args.report}")
    if args.seqlets:
        from deemo_gui.core.modisco_report import seqlets_tsv

        write_text(args.seqlets, seqlets_tsv(result))
        print(f"wrote {sum(p.n_seqlets for p in result.patterns):,} seqlets to {args.seqlets}")
    if args.tsv:
        import pandas as pd

        df = pd.concat([p.matches for p in result.patterns if p.matches is not None], ignore_index=True)
        write_text(args.tsv, df.to_csv(sep="\t", index=False))
    print(
        f"patterns ({result.attribution} attributions, {result.seconds['total']:.0f} s; best match in {label}, Tomtom; "
        f"{TOMTOM_METHOD_NOTE}):"
    )
    for k, p in enumerate(result.patterns):
        b = p.best
        match = f"{b.target_id} {b.target_name}\tq={b.q:.3g}" if b is not None else "-"
        flat = "\tnot comparable: too flat" if p.low_information else ""
        print(f"  {k + 1}\t{p.name}\t{p.n_seqlets} seqlets\t{p.pwm().consensus()}\t{match}{flat}")
    print_verdict(model)
    return 0
