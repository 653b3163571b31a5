"""`deemo motifs`: motifs a model has learned, written as MEME, optionally compared with JASPAR by Tomtom."""

from __future__ import annotations

import os
import re
import sys

from deemo_gui.cli import options
from deemo_gui.cli.progress import print_verdict
from deemo_gui.core.errors import ConfigError

METHODS = ("filters", "saliency", "temporal", "classopt", "activation", "modisco")
_RELEASE = re.compile(r"^JASPAR\d{4}$", re.IGNORECASE)


def register(sub) -> None:
    from deemo_gui.core.device import DEVICE_CHOICES

    p = sub.add_parser(
        "motifs",
        help="extract the motifs a model learned (filters, saliency, temporal, classopt, activation, modisco)",
        description="Extract motifs from a model and write them in MEME format. filters: Koo & Eddy 2019 "
        "first-layer filter PWMs; saliency / temporal / classopt: Deep Motif Dashboard sec. 3.4; "
        "activation: DeepBind's convolution-activation baseline; modisco: TF-MoDISco patterns of the "
        "attributions (Shrikumar et al. 2018), with an HTML report. With --compare, each motif is "
        "compared with a JASPAR release or a motif file by Tomtom.",
    )
    p.add_argument("model", metavar="MODEL", help="model file (.safetensors)")
    p.add_argument("--method", required=True, choices=METHODS)
    p.add_argument(
        "--data",
        metavar="DATA",
        help="sequences (needed by every method but classopt); "
        "saliency and temporal use the positives of --target when DATA has labels",
    )
    p.add_argument("--labels", metavar="FILE", help="label file for DATA")
    p.add_argument("--out", required=True, metavar="FILE.meme", help="motif file to write (MEME format)")
    p.add_argument("--compare", metavar="JASPAR2026|FILE", help="a JASPAR release (CORE vertebrates) or a motif file")
    p.add_argument("--tsv", metavar="FILE", help="write every Tomtom match here (needs --compare)")
    options.add_target(p)
    p.add_argument(
        "--width", type=int, default=9, help="saliency/temporal/classopt motif width (default 9, DeMo sec. 3.4)"
    )
    p.add_argument(
        "--threshold",
        type=float,
        default=0.5,
        help="filters: fraction of a filter's maximum activation (default 0.5, Koo & Eddy code)",
    )
    p.add_argument(
        "--min-sites", type=int, default=10, help="filters/activation: fewest sites for a motif (default 10)"
    )
    p.add_argument(
        "--classopt-recipe",
        choices=("demo", "simplex"),
        default="demo",
        help="classopt: 'demo' optimises the unconstrained input as the DeMo code does (default); "
        "'simplex' keeps it a PWM while optimising (softmax over the bases, Adam; BENCHMARKS.md "
        "compares the two)",
    )
    p.add_argument(
        "--steps",
        type=int,
        default=None,
        help="classopt: optimisation steps (default 1000 for demo, the DeMo code's; 300 for simplex)",
    )
    p.add_argument("--restarts", type=int, default=1, help="classopt: random starts (default 1)")
    p.add_argument("--seed", type=options.seed, default=0, help="classopt: seed of the random start")
    p.add_argument("--max-seqs", type=int, help="use at most this many sequences (the first ones)")
    p.add_argument("--batch-size", type=int)
    p.add_argument("--device", default="auto", choices=DEVICE_CHOICES)
    from deemo_gui.cli import modisco

    modisco.add_arguments(p)
    p.set_defaults(func=run_motifs)


def _targets(spec: str):
    from deemo_gui.core.motifs import JasparDB, read_motifs

    if _RELEASE.match(spec) and not os.path.exists(spec):
        return JasparDB("JASPAR" + spec[6:]).all(), f"{spec} CORE vertebrates"
    return read_motifs(spec), spec


def _data(args, model):
    import numpy as np

    from deemo_gui.core.sequences import fit_length, load_dataset, one_hot

    if args.data is None:
        raise ConfigError(f"--method {args.method} needs sequences: give --data FILE")
    data = load_dataset(args.data, labels=args.labels)
    if args.method in ("saliency", "temporal") and data.labels is not None:
        if args.target >= data.labels.shape[1]:
            raise ConfigError(f"--target {args.target}: {data.source} has {data.labels.shape[1]} label column(s)")
        keep = np.flatnonzero(data.labels[:, args.target] == 1)
        if len(keep) == 0:
            raise ConfigError(f"{data.source}: no positive sequences for task {args.target}")
        data = data.subset(keep)
    if args.max_seqs:
        data = data.subset(np.arange(min(args.max_seqs, len(data))))
    return one_hot(fit_length(data.seqs, model.input_length, data.source)[0])


def run_motifs(args) -> int:
    from deemo_gui.core.device import resolve_device
    from deemo_gui.core.explain import extract_motifs, task_index
    from deemo_gui.core.modelfile import load_model
    from deemo_gui.core.motifs import LOW_INFORMATION_BITS, compare, low_information, write_meme

    if args.tsv and not args.compare and args.method != "modisco":
        raise ConfigError("--tsv writes Tomtom matches: give --compare JASPAR2026 (or a motif file) too")
    targets = _targets(args.compare) if args.compare else None  # fail on a bad --compare before the work
    if args.method == "modisco":
        from deemo_gui.cli import modisco

        return modisco.run(args, targets)
    model = load_model(args.model, device=resolve_device(args.device))
    args.target = task_index(model, args.target)
    X = None if args.method == "classopt" else _data(args, model)
    kwargs: dict[str, object] = {}
    if args.method == "filters":
        kwargs.update(threshold=args.threshold, min_sites=args.min_sites)
    elif args.method == "activation":
        kwargs.update(min_sites=args.min_sites)
    elif args.method == "classopt":
        kwargs.update(
            steps=args.steps, restarts=args.restarts, seed=args.seed, parametrization=args.classopt_recipe, lr=None
        )
    if args.batch_size and args.method != "classopt":
        kwargs["batch_size"] = args.batch_size
    pwms = extract_motifs(model, args.method, X, target=args.target, width=args.width, **kwargs)
    if not pwms:
        raise ConfigError(f"--method {args.method}: no motif found (no filter reached --min-sites {args.min_sites})")
    write_meme(pwms, args.out)
    print(f"wrote {len(pwms)} motif(s) to {args.out}")
    if args.method == "classopt":  # the source names P(+) of the one-hot consensus and of the relaxed input
        print(pwms[0].source.split("; columns")[0])
    if targets is not None:
        target_pwms, label = targets
        df = compare(pwms, target_pwms)
        if args.tsv:
            from deemo_gui.core.atomic import write_text

            write_text(args.tsv, df.to_csv(sep="\t", index=False))
            print(f"wrote {len(df)} Tomtom comparisons with {label} to {args.tsv}")
        best = df.groupby("query", sort=False).head(1)
        flat = {p.id: p for p in pwms if low_information(p)}
        out = sys.stdout
        from deemo_gui.core.motifs.tomtom import METHOD_NOTE

        out.write(f"best match in {label} (Tomtom; {METHOD_NOTE}):\n")
        for row in best.itertuples(index=False):
            note = ""
            if row.query in flat:
                pwm = flat[row.query]
                note = (
                    f"\tnot comparable: too flat ({pwm.total_ic:.1f} bits over {pwm.width} columns, "
                    f"under {LOW_INFORMATION_BITS:g} per column)"
                )
            out.write(f"  {row.query}\t{row.target_id} {row.target_name}\tp={row.p:.3g} q={row.q:.3g}{note}\n")
    print_verdict(model)
    return 0
