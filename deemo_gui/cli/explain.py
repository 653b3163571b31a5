"""`deemo explain`: attribution maps (or temporal output scores) of a model for every sequence of a file."""

from __future__ import annotations

import sys

from deemo_gui.cli import options
from deemo_gui.core.errors import ConfigError
from deemo_gui.core.methods import CLI_NAMES

METHODS = tuple(CLI_NAMES)
# The flag that gives each of a method's options (`core.methods`), where its name differs.
OPTION_FLAGS = {"definition": "temporal_definition"}


def register(sub) -> None:
    from deemo_gui.core.device import DEVICE_CHOICES

    p = sub.add_parser(
        "explain",
        help="attribution maps of a model for each sequence (saliency, guided, ISM, IG, DeepLIFT/SHAP, temporal)",
        description="Write one attribution map per sequence to an .npz file: arrays `attributions` (N, 4, L) "
        "(rows A C G T), or `forward` and `backward` (N, L) for --method temporal, plus `ids` and "
        "`window_starts` (N,): the window of each sequence the map is for (a longer sequence is "
        "explained on its best-scoring window, a shorter one N-padded: start < 0). --method deeplift "
        "also writes `convergence_delta` (N,): sum of attributions - (logit - mean logit of the "
        "references).",
    )
    p.add_argument("model", metavar="MODEL", help="model file (.safetensors)")
    p.add_argument("data", metavar="DATA", help="FASTA, TSV/CSV, DeepBind .seq[.gz] or one sequence per line")
    p.add_argument("--method", required=True, choices=METHODS)
    options.add_target(p)
    p.add_argument("--out", required=True, metavar="FILE.npz", help="output file (.npz)")
    p.add_argument(
        "--kind",
        choices=("grad_x_input", "gradient", "signed"),
        help="saliency: grad_x_input (default), gradient or signed; guided: gradient (default) or grad_x_input",
    )
    p.add_argument("--start", type=int, help="ism: first position to mutate (0-based)")
    p.add_argument("--end", type=int, help="ism: end of the window to mutate (exclusive)")
    p.add_argument("--output", choices=("logit", "prob"), default="logit", help="ism: score to compare (default logit)")
    p.add_argument(
        "--baseline", choices=("uniform", "shuffle"), default="uniform", help="ig baseline (default uniform)"
    )
    p.add_argument("--n-steps", type=int, default=50, help="ig integration steps (default 50, Captum's)")
    p.add_argument("--n-baselines", type=int, default=20, help="ig: shuffles per sequence (default 20)")
    p.add_argument(
        "--n-shuffles",
        type=options.positive_int,
        default=20,
        help="deeplift: dinucleotide-shuffled references per sequence (default 20, tangermeme's)",
    )
    p.add_argument(
        "--hypothetical",
        action="store_true",
        help="deeplift: what each of the four letters would contribute (TF-MoDISco's input)",
    )
    p.add_argument("--seed", type=options.seed, default=0, help="ig, deeplift: seed of the shuffles")
    p.add_argument(
        "--temporal-definition",
        choices=("paper", "demo-code"),
        default="paper",
        help="temporal: 'paper' (default) runs the model on each prefix / suffix (DeMo Dashboard "
        "sec. 3.2); 'demo-code' convolves the whole sequence, then slices the columns "
        "(the DeMo code, temporal_output_values.lua). The same for rnn models",
    )
    p.add_argument("--batch-size", type=int, help="sequences (or mutants, path points, prefixes) per batch")
    p.add_argument(
        "--window",
        choices=("best", "centre"),
        default="best",
        help="sequences longer than the model's input: explain the best-scoring window (default) or the centre one",
    )
    p.add_argument(
        "--stride",
        type=options.positive_int,
        default=1,
        help="window stride when scanning longer sequences for the best window (default 1)",
    )
    p.add_argument(
        "--both-strands", action="store_true", help="score each window on both strands when looking for the best one"
    )
    p.add_argument("--device", default="auto", choices=DEVICE_CHOICES)
    p.add_argument(
        "--hits",
        metavar="FILE.tsv",
        help="also write the JASPAR hits (FIMO p < 1e-4, both strands) of --motif in each explained "
        "window with the attribution inside each (observed-base and PWM-weighted sums, share of "
        "the window's); not for temporal",
    )
    p.add_argument("--motif", metavar="TF", help="for --hits: a TF name (REST) or JASPAR matrix ID (MA0138)")
    p.set_defaults(func=run_explain)


def _sequences(path: str, model, target: int, args):
    """The records and the one-hot window each is explained on: a longer record's best window
    (`core.windows.scan`, or its centre with `--window centre`), a shorter one N-padded."""
    import numpy as np

    from deemo_gui.core.sequences import one_hot, read_sequences
    from deemo_gui.core.windows import pad_offset, scan, window_sequence

    data = read_sequences(path)
    L = int(model.input_length)
    starts = np.zeros(len(data), dtype=np.int64)
    longer = shorter = 0
    for i, s in enumerate(data.seqs):
        if len(s) > L:
            longer += 1
            starts[i] = (
                (len(s) - L) // 2
                if args.window == "centre"
                else scan(model, s, args.stride, args.both_strands).best_start(target)
            )
        elif len(s) < L:
            shorter += 1
            starts[i] = pad_offset(len(s), L)
    if longer:
        which = "its centre window" if args.window == "centre" else "its best-scoring window"
        print(
            f"deemo: {data.source}: {longer} of {len(data)} sequences are longer than the model's {L} nt: "
            f"each is explained on {which} (window_starts in the .npz)",
            file=sys.stderr,
        )
    if shorter:
        print(
            f"deemo: {data.source}: {shorter} of {len(data)} sequences are shorter than {L} nt and were "
            "N-padded (window_starts < 0)",
            file=sys.stderr,
        )
    X = one_hot([window_sequence(s, int(o), L) for s, o in zip(data.seqs, starts)])
    return data, X, starts


def run_explain(args) -> int:
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rc = _explain(args)
    for w in caught:  # a method's own check (IG completeness, guided without ReLUs): one line each
        if issubclass(w.category, UserWarning) and "padding='same'" not in str(w.message):
            print(f"deemo: warning: {w.message}", file=sys.stderr)
    return rc


def _write_hits(args, data, X, starts, attributions) -> None:
    """The `--hits` table: `--motif`'s JASPAR hits in each explained window, with their attribution."""
    from deemo_gui.core.atomic import write_text
    from deemo_gui.core.motifs.hit_attribution import scan_with_attribution
    from deemo_gui.core.sequences import decode
    from deemo_gui.viewer.analysis import known_motif

    pwm = known_motif(args.motif)
    if pwm is None:
        raise ConfigError(f"--motif {args.motif}: no such TF or matrix ID in JASPAR")
    hits = scan_with_attribution(pwm, decode(X), attributions)
    hits.insert(0, "id", [data.ids[i] for i in hits["seq_index"]])
    hits.insert(2, "window_start", starts[hits["seq_index"].to_numpy()])
    hits["name"] = pwm.name
    write_text(args.hits, hits.to_csv(sep="\t", index=False))
    print(
        f"wrote {len(hits)} {pwm.name} {pwm.id} hits with their {args.method} attribution to {args.hits} "
        f"(start/end in window coordinates; window_start + start in the record)"
    )


def _explain(args) -> int:
    import numpy as np

    from deemo_gui.core import explain
    from deemo_gui.core.device import resolve_device
    from deemo_gui.core.modelfile import load_model

    if not args.out.endswith(".npz"):
        raise ConfigError(f"--out {args.out}: attribution files end in .npz")
    spec = CLI_NAMES[args.method]
    if args.hits and ("attributions" not in spec.track or not args.motif):
        raise ConfigError("--hits needs --motif TF and an attribution method (not temporal)")
    if args.hypothetical and "hypothetical" not in spec.options:
        raise ConfigError("--hypothetical is for --method deeplift")
    if args.kind == "signed" and spec.name == "guided":
        raise ConfigError("--kind signed is for --method saliency; guided takes gradient or grad_x_input")
    device = resolve_device(args.device)
    model = load_model(args.model, device=device)
    args.target = explain.task_index(model, args.target)
    data, X, starts = _sequences(args.data, model, args.target, args)
    given = {opt: getattr(args, OPTION_FLAGS.get(opt, opt)) for opt in spec.options}
    options = {**spec.defaults, **{k: v for k, v in given.items() if v is not None}}
    arrays = spec.compute(model, X, args.target, **options)
    if "definition" in spec.options:
        arrays["definition"] = np.array(args.temporal_definition)
    if args.hits:
        _write_hits(args, data, X, starts, arrays["attributions"])
    from deemo_gui.core.atomic import atomic_path
    from deemo_gui.core.verdict import for_model

    trust = for_model(model)
    with atomic_path(args.out) as tmp, open(tmp, "wb") as fh:  # a file object: savez adds no ".npz" to it
        np.savez_compressed(
            fh,
            ids=np.array(data.ids),
            method=np.array(args.method),
            target=np.array(args.target),
            verdict=np.array(trust.summary),
            window_starts=starts,
            **arrays,
        )
    shape = " and ".join(f"{k} {v.shape}" for k, v in arrays.items())
    print(f"wrote {args.method} for {len(data)} sequences to {args.out}: {shape}")
    print(f"deemo: model verdict: {trust.summary}", file=sys.stderr)
    return 0
