"""`deemo synth`: write Koo & Eddy's synthetic motif data set (train/valid/test TSV + truth)."""

from __future__ import annotations

import sys

from deemo_gui.cli import options
from deemo_gui.core.errors import ConfigError


def register(sub) -> None:
    from deemo_gui.core.synthetic import DEFAULT_MOTIFS, DEFAULT_RELEASE

    p = sub.add_parser(
        "synth",
        help="generate synthetic sequences with planted JASPAR motifs (Koo & Eddy 2019)",
        description=(
            "Random sequences with 1-5 planted motif instances each (P = 0.50/0.25/0.17/0.05/0.03), "
            "one 0/1 label column per TF. Writes train.tsv, valid.tsv, test.tsv (70/10/20%%) and "
            "truth.tsv (every planted instance: id, split, index, tf, motif_id, start, end, strand; "
            "0-based, end exclusive)."
        ),
    )
    p.add_argument(
        "--motifs",
        default=",".join(DEFAULT_MOTIFS),
        metavar="ID,ID,...",
        help="JASPAR matrix IDs (default: Koo & Eddy's 12 JASPAR 2016 matrices)",
    )
    p.add_argument(
        "--motif-file", metavar="FILE", help="take the motifs from a MEME or JASPAR file instead of --motifs"
    )
    p.add_argument("--release", default=DEFAULT_RELEASE, help="JASPAR release for --motifs (default: %(default)s)")
    p.add_argument("--n", type=int, default=25000, help="number of sequences (default: %(default)s)")
    p.add_argument("--length", type=int, default=200, help="sequence length in nt (default: %(default)s)")
    p.add_argument("--seed", type=options.seed, default=0, help="random seed (default: %(default)s)")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (created if missing)")
    p.set_defaults(func=run_synth)


def run_synth(args) -> int:
    from deemo_gui.core.synthetic import generate, write_tsv

    if args.motif_file:
        from deemo_gui.core.motifs import read_motifs

        motifs = read_motifs(args.motif_file)
    else:
        motifs = [m.strip() for m in args.motifs.split(",") if m.strip()]
        if not motifs:
            raise ConfigError("--motifs is empty; give JASPAR IDs such as MA0139.1,MA0138.2")
    data = generate(motifs=motifs, n=args.n, length=args.length, seed=args.seed, release=args.release)
    paths = write_tsv(data, args.out)
    sizes = "/".join(str(len(data.split(s))) for s in ("train", "valid", "test"))
    print(
        f"deemo synth: {args.n} sequences of {args.length} nt (train/valid/test {sizes}), "
        f"{len(data.task_names)} TFs ({', '.join(data.task_names)}), {len(data.truth)} planted "
        f"instances -> {', '.join(paths)}",
        file=sys.stdout,
    )
    return 0
