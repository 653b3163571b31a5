"""`deemo peaks` (peak windows from a BED file and a genome), `deemo variants` (variant effects), and the
`--genome` options of `deemo train` (training from peaks alone, with a chromosome hold-out split)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from deemo_gui.cli import options
from deemo_gui.core.errors import ConfigError

if TYPE_CHECKING:
    from deemo_gui.core.networks.base import SequenceNetwork


def add_train_arguments(p) -> None:
    """The options `deemo train PEAKS.bed --genome GENOME.fa` adds to `deemo train`."""
    from deemo_gui.core.chromsplit import DEFAULT_TEST_CHROMS, DEFAULT_VALID_CHROMS

    g = p.add_argument_group("training from peaks (TRAIN_DATA is a BED/narrowPeak file)")
    g.add_argument(
        "--genome",
        metavar="FASTA",
        help="reference genome: TRAIN_DATA is a BED/narrowPeak file of peaks; --negatives gc (default) or shuffle",
    )
    g.add_argument("--length", type=options.positive_int, metavar="BP", help="window length (default 101)")
    g.add_argument(
        "--test-chroms",
        metavar="LIST",
        help=f"held-out test chromosomes (default {','.join(DEFAULT_TEST_CHROMS)}, DeepSEA's; 'none': no test)",
    )
    g.add_argument(
        "--valid-chroms",
        metavar="LIST",
        help=f"validation chromosomes (default {','.join(DEFAULT_VALID_CHROMS)}, Selene's; 'none': 10%% "
        "of the training windows at random)",
    )
    g.add_argument(
        "--flank", type=int, default=0, metavar="BP", help="negatives also keep this far from every peak (default 0)"
    )
    g.add_argument("--neg-ratio", type=float, default=1.0, metavar="R", help="negatives per peak (default 1)")


def peak_training_data(args):
    """(train, valid or None, test or None) of `deemo train PEAKS --genome G`."""
    from deemo_gui.core.chromsplit import (
        DEFAULT_TEST_CHROMS,
        DEFAULT_VALID_CHROMS,
        parse_chroms,
    )
    from deemo_gui.core.genome import Genome
    from deemo_gui.core.peaks import DEFAULT_LENGTH
    from deemo_gui.core.peakset import NEGATIVES, peak_datasets

    negatives = args.negatives or "gc"
    if negatives not in NEGATIVES:
        raise ConfigError(f"--negatives {negatives}: with --genome, give gc (GC-matched genomic background) or shuffle")
    for flag in ("labels", "valid", "test", "test_fraction", "max_train"):
        if getattr(args, flag, None) is not None:
            raise ConfigError(
                f"--{flag.replace('_', '-')} cannot be used with --genome (the split is by chromosome: "
                "--test-chroms, --valid-chroms)"
            )
    if args.flank < 0 or not args.neg_ratio > 0:
        raise ConfigError("--flank must be >= 0 and --neg-ratio > 0")
    with Genome(args.genome) as genome:
        return peak_datasets(
            args.train_data,
            genome,
            length=args.length or DEFAULT_LENGTH,
            negatives=negatives,
            test_chroms=parse_chroms(args.test_chroms, DEFAULT_TEST_CHROMS),
            valid_chroms=parse_chroms(args.valid_chroms, DEFAULT_VALID_CHROMS),
            ratio=args.neg_ratio,
            flank=args.flank,
            seed=args.seed,
        )


def register(sub) -> None:
    p = sub.add_parser(
        "peaks",
        help="windows of a genome centred on the peaks of a BED/narrowPeak file, as FASTA",
        description="Write the LENGTH-bp window on each peak's summit (narrowPeak column 10, else the "
        "region's centre), reverse-complemented on '-' peaks, as FASTA named "
        "chrom:start-end(strand) in BED coordinates; soft-masked bases stay lower case. "
        "With --negatives: labelled (label=1 peaks, label=0 negatives).",
    )
    p.add_argument("bed", metavar="PEAKS", help="BED3/BED6/narrowPeak file (plain or .gz)")
    p.add_argument("--genome", required=True, metavar="FASTA", help="reference genome FASTA (.fai built if missing)")
    p.add_argument("--out", required=True, metavar="FASTA", help="FASTA file to write")
    p.add_argument(
        "--length", type=options.positive_int, metavar="BP", help="window length (default: --model's, else 101)"
    )
    p.add_argument("--model", metavar="MODEL", help="use this model's input length")
    p.add_argument("--negatives", choices=("gc", "shuffle"), help="add negatives: GC-matched background or shuffles")
    p.add_argument("--flank", type=int, default=0, metavar="BP", help="negatives keep this far from every peak")
    p.add_argument(
        "--off-end",
        choices=("pad", "skip"),
        default="pad",
        help="windows past a chromosome end: N-padded (default) or left out",
    )
    p.add_argument("--seed", type=options.seed, default=0)
    p.set_defaults(func=run_peaks)

    p = sub.add_parser(
        "variants",
        help="effect of each variant on each model's P(bound): ref, alt, delta",
        description="Score the reference and alternative window of every VCF/TSV variant with each "
        "model (the variant at the window's centre; indel windows rebuilt from the genome "
        "to the model's length) and write chrom pos id ref alt model task p_ref p_alt delta.",
    )
    p.add_argument("models", nargs="+", metavar="MODEL", help="one or more model files (.safetensors)")
    p.add_argument("--vcf", required=True, metavar="FILE", help="VCF (plain or .gz) or TSV with chrom pos ref alt")
    p.add_argument("--genome", required=True, metavar="FASTA", help="the reference genome the VCF was called on")
    p.add_argument("--out", required=True, metavar="TSV", help="effects table to write")
    p.add_argument("--attributions", metavar="FILE.npz", help="also write the aligned ref/alt saliency tracks")
    p.add_argument("--task", metavar="TASK", help="task of the attribution tracks (name or index; default the first)")
    p.add_argument(
        "--skip-mismatches",
        action="store_true",
        help="skip variants whose REF is not the genome's (counted) instead of stopping",
    )
    p.set_defaults(func=run_variants)


def run_peaks(args) -> int:
    from deemo_gui.core.atomic import write_text
    from deemo_gui.core.genome import Genome
    from deemo_gui.core.modelfile import read_metadata
    from deemo_gui.core.peaks import DEFAULT_LENGTH, peak_sequences, to_fasta
    from deemo_gui.core.peakset import peak_training_set

    if args.flank < 0:
        raise ConfigError("--flank must be >= 0")
    length = args.length or (int(read_metadata(args.model)["input_length"]) if args.model else DEFAULT_LENGTH)
    with Genome(args.genome) as genome:
        if args.negatives:
            data = peak_training_set(
                args.bed, genome, length, args.negatives, flank=args.flank, seed=args.seed, off_end=args.off_end
            )
        else:
            data = peak_sequences(args.bed, genome, length, off_end=args.off_end)
    write_text(args.out, to_fasta(data))
    pos = int(data.labels.sum()) if data.labels is not None else len(data)
    print(
        f"wrote {len(data)} windows of {length} bp to {args.out}"
        + (f" ({pos} peaks, {len(data) - pos} negatives)" if data.labels is not None else "")
    )
    return 0


def run_variants(args) -> int:
    import os

    from deemo_gui.core.genome import Genome
    from deemo_gui.core.modelfile import load_model
    from deemo_gui.core.variant_effects import (
        variant_effects,
        write_attributions,
        write_effects_tsv,
    )
    from deemo_gui.core.variants import read_variants

    models: list[tuple[str, SequenceNetwork]] = []
    for path in args.models:
        name = os.path.splitext(os.path.basename(path))[0]
        models.append((name if name not in dict(models) else path, load_model(path)))
    variants = read_variants(args.vcf)
    with Genome(args.genome) as genome:
        effects, skipped = variant_effects(
            models,
            variants,
            genome,
            task=args.task,
            attributions=bool(args.attributions),
            skip_mismatches=args.skip_mismatches,
            source=args.vcf,
        )
    write_effects_tsv(args.out, effects)
    if args.attributions:
        write_attributions(args.attributions, effects)
    n = len({id(e.variant) for e in effects})
    extra = f", {sum(skipped.values())} skipped" if skipped else ""
    print(f"wrote {n} variants x {len(models)} model(s) to {args.out}{extra}")
    return 0
