"""Variant effects: P(bound) of the reference and alternative windows, their difference, and the two
attribution tracks aligned base for base.

Windows. A model of input length L scores the L-bp window whose index c = L // 2 (0-based) is the
variant's first REF base (its centre for an SNV). The ref window is the genome's `[p - c, p - c + L)`;
the alt window has the same left flank, then the ALT allele, then the genome after the REF allele for as
many bases as make L: for an indel the alt window is rebuilt from the genome and keeps the model's
length (a deletion pulls more right flank in, an insertion pushes some out). N past a chromosome end.

Alignment. Both tracks are laid on one axis of L columns: columns `[0, c)` are the shared left flank;
the allele block `[c, c + w)`, w = max(len(REF), len(ALT)), holds each allele's own bases (NaN, and "-"
in the aligned sequence, where one allele is shorter: the deleted bases in the alt track, the inserted
ones in the ref); the columns after it are the shared right flank, the same genome base in both. So the
difference track alt - ref is defined on every shared base and NaN inside an indel's gap. For an SNV the
axis is simply the window. Attributions are gradient x input of the task's logit (`core.explain.saliency`,
Deep Motif Dashboard sec. 3.1) at the observed base, signed.

Only the forward strand of the reference is scored (the strand the VCF describes).
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass

import numpy as np

from deemo_gui.core.errors import DataError
from deemo_gui.core.sequences import one_hot
from deemo_gui.core.variants import Variant

log = logging.getLogger(__name__)

CHUNK = 512  # variants per batch (progress granularity, memory bound)


class SequenceReference:
    """Sequences by name with the `Genome` interface the windows need (variants typed on an open sequence)."""

    def __init__(self, sequences: dict[str, str], path: str = "the sequence"):
        self.sequences = {k: v.upper() for k, v in sequences.items()}
        self.path = path

    def __contains__(self, name) -> bool:
        return name in self.sequences

    def length(self, name: str) -> int:
        return len(self.sequences[name])

    def fetch(self, name: str, start: int, end: int) -> str:
        return self.sequences[name][start:end]

    def fetch_padded(self, name: str, start: int, end: int) -> tuple[str, int]:
        seq = self.sequences[name]
        left, right = max(0, -start), max(0, end - len(seq))
        inner = seq[max(0, start) : min(len(seq), end)]
        return "N" * left + inner + "N" * (end - start - left - len(inner)), left + right


@dataclass
class Windows:
    ref: str
    alt: str
    centre: int  # index of the first REF/ALT base in both windows


def variant_windows(reference, v: Variant, length: int) -> Windows:
    """The ref and alt windows of `v` for a model of input `length` (see the module docstring)."""
    c = length // 2
    p = v.pos - 1
    start = p - c
    ref, _ = reference.fetch_padded(v.chrom, start, start + length)
    right, _ = reference.fetch_padded(v.chrom, p + len(v.ref), p + len(v.ref) + (length - c - len(v.alt)))
    return Windows(ref, ref[:c] + v.alt + right, c)


def align(ref_track, alt_track, centre: int, ref_len: int, alt_len: int, fill=np.nan):
    """Both tracks (or sequences, with `fill="-"`) on the shared axis of the module docstring."""
    length = len(ref_track)
    w = max(ref_len, alt_len)
    flank = length - centre - w
    is_text = isinstance(ref_track, str)

    def lay(track, n):
        if is_text:
            return track[:centre] + track[centre : centre + n] + fill * (w - n) + track[centre + n : centre + n + flank]
        out = np.full(length, fill, dtype=np.float32)
        out[:centre] = track[:centre]
        out[centre : centre + n] = track[centre : centre + n]
        out[centre + w :] = track[centre + n : centre + n + flank]
        return out

    return lay(ref_track, ref_len), lay(alt_track, alt_len)


@dataclass
class VariantEffect:
    """One variant scored by one model: P(bound) per task of the ref and alt windows, the windows, and the
    aligned attribution tracks of task `target` (None when attributions were not asked for)."""

    variant: Variant
    model: str
    tasks: list[str]
    logit_ref: np.ndarray
    logit_alt: np.ndarray
    target: int
    windows: Windows
    ref_track: np.ndarray | None = None
    alt_track: np.ndarray | None = None

    @property
    def p_ref(self) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.logit_ref))

    @property
    def p_alt(self) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.logit_alt))

    @property
    def delta(self) -> np.ndarray:
        """P(alt) - P(ref) per task."""
        return self.p_alt - self.p_ref

    @property
    def delta_logit(self) -> np.ndarray:
        """logit(alt) - logit(ref) per task: the log odds ratio, which still separates variants when P(bound)
        saturates near 0 or 1 (DeepSEA's log fold change of odds; Zhou & Troyanskaya 2015)."""
        return self.logit_alt - self.logit_ref

    @property
    def aligned_sequences(self) -> tuple[str, str]:
        v = self.variant
        return align(self.windows.ref, self.windows.alt, self.windows.centre, len(v.ref), len(v.alt), fill="-")

    @property
    def delta_track(self) -> np.ndarray | None:
        return None if self.ref_track is None else self.alt_track - self.ref_track

    def rows(self) -> list[dict]:
        v = self.variant
        return [
            {
                "chrom": v.chrom,
                "pos": v.pos,
                "id": v.id,
                "ref": v.ref,
                "alt": v.alt,
                "model": self.model,
                "task": t,
                "p_ref": float(self.p_ref[k]),
                "p_alt": float(self.p_alt[k]),
                "delta": float(self.p_alt[k] - self.p_ref[k]),
                "delta_logit": float(self.logit_alt[k] - self.logit_ref[k]),
            }
            for k, t in enumerate(self.tasks)
        ]


def check_variant(reference, v: Variant, length: int, source: str) -> str | None:
    """None when `v` can be scored; "mismatch" when its REF is not the reference's, "too long" for an allele
    longer than half the window. DataError for a chromosome or position the reference lacks."""
    where = f"{source}, line {v.line}" if v.line else source
    if v.chrom not in reference:
        raise DataError(
            f"{where}: variant {v.label}: no sequence {v.chrom!r} in {reference.path}; is the variant "
            "file for another assembly or chromosome naming (chr1 vs 1)?"
        )
    n = reference.length(v.chrom)
    if v.pos + len(v.ref) - 1 > n:
        raise DataError(f"{where}: variant {v.label} lies past the end of {v.chrom} ({n:,} bp)")
    if max(len(v.ref), len(v.alt)) > length - length // 2 - 1:
        return "too long"
    if reference.fetch(v.chrom, v.pos - 1, v.pos - 1 + len(v.ref)).upper() != v.ref:
        return "mismatch"
    return None


def mismatch_error(reference, v: Variant, source: str) -> DataError:
    found = reference.fetch(v.chrom, v.pos - 1, v.pos - 1 + len(v.ref)).upper()
    where = f"{source}, line {v.line}" if v.line else source
    return DataError(
        f"{where}: variant {v.label}: REF {v.ref} but {reference.path} has {found} there; is it another "
        "assembly (hg19 vs hg38)? Skip such variants with --skip-mismatches (skip_mismatches=True)"
    )


def iter_effects(
    models,
    variants: list[Variant],
    reference,
    task=None,
    attributions: bool = True,
    skip_mismatches: bool = False,
    source: str = "variants",
    batch_size: int = 256,
):
    """Score every variant with every model. `models`: (name, module) pairs; `reference`: a `Genome` or a
    `SequenceReference`; `task`: the task whose attributions are computed (name or index; None: the first).
    Yields (done, total) progress, returns (effects in variant order then model order, Counter of skips)."""
    from deemo_gui.core.explain._common import task_index
    from deemo_gui.core.explain.saliency import saliency
    from deemo_gui.core.inference import predict_logits

    models = list(models)
    skipped: Counter = Counter()
    shortest = min((int(m.input_length) for _, m in models), default=0)
    keep = []
    for v in variants:
        why = check_variant(reference, v, shortest, source)
        if why == "mismatch" and not skip_mismatches:
            raise mismatch_error(reference, v, source)
        if why is None:
            keep.append(v)
        else:
            skipped[why] += 1
    _warn(skipped, source, len(variants))
    chunks = [(m, s) for m in models for s in range(0, len(keep), CHUNK)]
    effects: dict[tuple[int, str], VariantEffect] = {}  # by (id(variant), model name)
    for done, ((name, module), start) in enumerate(chunks):
        L = int(module.input_length)
        part = keep[start : start + CHUNK]
        wins = [variant_windows(reference, v, L) for v in part]
        X = one_hot([w.ref for w in wins] + [w.alt for w in wins])
        logits = predict_logits(module, X, batch_size=batch_size).astype(np.float64)
        tasks = list(
            (getattr(module, "metadata", None) or {}).get("task_names")
            or [f"task{i}" for i in range(int(module.n_tasks))]
        )
        target = task_index(module, task) if task is not None else 0
        tracks = None
        if attributions:
            tracks = saliency(module, X, target=target, batch_size=batch_size).sum(axis=1)
        n = len(part)
        for k, (v, w) in enumerate(zip(part, wins)):
            e = VariantEffect(v, name, tasks, logits[k], logits[n + k], target, w)
            if tracks is not None:
                e.ref_track, e.alt_track = align(tracks[k], tracks[n + k], w.centre, len(v.ref), len(v.alt))
            effects[(id(v), name)] = e
        yield done + 1, len(chunks)
    ordered = [effects[(id(v), name)] for v in variants for name, _ in models if (id(v), name) in effects]
    return ordered, skipped


def _warn(skipped: Counter, source: str, total: int) -> None:
    if skipped.get("mismatch"):
        log.warning(
            "%s: %d of %d variants skipped: their REF allele is not the reference's", source, skipped["mismatch"], total
        )
    if skipped.get("too long"):
        log.warning(
            "%s: %d of %d variants skipped: an allele longer than half the model's window",
            source,
            skipped["too long"],
            total,
        )


def variant_effects(models, variants, reference, **kwargs) -> tuple[list[VariantEffect], Counter]:
    """`iter_effects` run to the end (scripts and the CLI)."""
    gen = iter_effects(models, variants, reference, **kwargs)
    while True:
        try:
            next(gen)
        except StopIteration as stop:
            return stop.value


COLUMNS = ("chrom", "pos", "id", "ref", "alt", "model", "task", "p_ref", "p_alt", "delta", "delta_logit")


def effects_tsv(effects: list[VariantEffect]) -> str:
    """The effects as TSV text, one row per variant, model and task, in the order given."""
    lines = ["\t".join(COLUMNS)]
    for e in effects:
        for r in e.rows():
            lines.append(
                "\t".join(
                    [
                        r["chrom"],
                        str(r["pos"]),
                        r["id"],
                        r["ref"],
                        r["alt"],
                        r["model"],
                        r["task"],
                        f"{r['p_ref']:.6f}",
                        f"{r['p_alt']:.6f}",
                        f"{r['delta']:+.6f}",
                        f"{r['delta_logit']:+.4f}",
                    ]
                )
            )
    return "\n".join(lines) + "\n"


def write_effects_tsv(path, effects: list[VariantEffect]) -> str:
    from deemo_gui.core.atomic import write_text

    return write_text(path, effects_tsv(effects))


def write_attributions(path, effects: list[VariantEffect]) -> str:
    """An .npz of the aligned tracks: `ref`, `alt`, `delta` (rows x L, NaN in indel gaps and past a
    shorter model's window), `ref_sequence`/`alt_sequence` (aligned, "-" in gaps), `variant`, `model`, `task`."""
    from deemo_gui.core.atomic import atomic_path

    rows = [e for e in effects if e.ref_track is not None and e.alt_track is not None]
    refs = [np.asarray(e.ref_track) for e in rows]
    alts = [np.asarray(e.alt_track) for e in rows]
    L = max((len(r) for r in refs), default=0)
    ref = np.full((len(rows), L), np.nan, dtype=np.float32)
    alt = ref.copy()
    for k, (r, a) in enumerate(zip(refs, alts)):
        ref[k, : len(r)] = r
        alt[k, : len(a)] = a
    seqs = [e.aligned_sequences for e in rows]
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez_compressed(
            fh,
            ref=ref,
            alt=alt,
            delta=alt - ref,
            ref_sequence=np.array([s[0] for s in seqs]),
            alt_sequence=np.array([s[1] for s in seqs]),
            variant=np.array([f"{e.variant.chrom}:{e.variant.pos}:{e.variant.ref}>{e.variant.alt}" for e in rows]),
            id=np.array([e.variant.id for e in rows]),
            model=np.array([e.model for e in rows]),
            task=np.array([e.tasks[e.target] for e in rows]),
        )
    return str(path)
