"""The viewer's genome actions: open the windows of a BED/narrowPeak file, and score variants.

Qt-free. `open_peaks` adds the peak windows as an open file (with their genome origins, for the
editor's ruler); `iter_file_effects` is the generator the Variants panel runs in a worker;
`variant_effects` scores variants of a file against a genome, or typed on the current sequence.
"""

from __future__ import annotations

import os
import re

from deemo_gui.core.errors import DataError, DeemoError


def window_length(viewer, length: int | None = None) -> int:
    """`length`, else the first selected model's input length, else DeepBind's 101."""
    from deemo_gui.core.peaks import DEFAULT_LENGTH

    if length:
        return int(length)
    lengths = [m.input_length for m in viewer.selected_models if m.input_length]
    return lengths[0] if lengths else DEFAULT_LENGTH


def peak_data(bed, genome, length: int, negatives: str | None = None, seed: int = 0):
    """The SequenceSet of peak windows (with negatives "gc" or "shuffle" when asked): pure, for a worker."""
    from deemo_gui.core.genome import Genome
    from deemo_gui.core.peaks import peak_sequences
    from deemo_gui.core.peakset import peak_training_set

    with Genome(genome) as g:
        if negatives:
            return peak_training_set(bed, g, length, negatives, seed=seed)
        return peak_sequences(bed, g, length)


def open_peaks(viewer, bed, genome, length: int | None = None, negatives: str | None = None, seed: int = 0):
    """Open the windows of `bed`'s peaks in `genome` as a file of the viewer (state unchanged on error)."""
    length = window_length(viewer, length)
    try:
        data = peak_data(os.fspath(bed), os.fspath(genome), length, negatives, seed)
    except DeemoError as exc:
        viewer.events.error.emit(str(exc))
        raise
    return viewer.add_sequences(
        data,
        path=os.fspath(bed),
        negatives=negatives,
        seed=seed,
        genome=os.path.abspath(os.fspath(genome)),
        length=length,
    )


def _entries(viewer, models):
    entries = [viewer.model(k) for k in models] if models is not None else list(viewer.selected_models)
    if not entries:
        raise DataError("no model is selected: tick a model to score variants")
    return entries


def iter_file_effects(entries, vcf, genome, task=None, skip_mismatches: bool = True, attributions: bool = True):
    """Read `vcf`, open `genome` and score every variant with every model entry; yields (done, total, text),
    returns (effects, skipped). Pure: runs in a worker thread."""
    from collections import Counter

    from deemo_gui.core.genome import Genome
    from deemo_gui.core.variant_effects import iter_effects
    from deemo_gui.core.variants import read_variants

    read_skips: Counter = Counter()
    variants = read_variants(vcf, read_skips)
    yield 0, 0, f"{len(variants):,} variants"
    models = [(e.name, e.module) for e in entries]
    with Genome(genome) as g:
        gen = iter_effects(
            models,
            variants,
            g,
            task=task,
            attributions=attributions,
            skip_mismatches=skip_mismatches,
            source=os.fspath(vcf),
        )
        while True:
            try:
                done, total = next(gen)
            except StopIteration as stop:
                effects, skipped = stop.value
                return effects, read_skips + skipped
            yield done, total, f"{len(variants):,} variants"


def variant_effects(viewer, variants, genome=None, models=None, task=None, skip_mismatches: bool = False) -> list[dict]:
    """Rows (chrom pos id ref alt model task p_ref p_alt delta) for each variant, model and task.

    `variants`: a VCF/TSV path scored against `genome`; or, without a genome, `(position, ref, alt)` tuples
    on the current sequence (position 1-based as the editor shows it)."""
    from deemo_gui.core.variant_effects import SequenceReference
    from deemo_gui.core.variant_effects import variant_effects as score
    from deemo_gui.core.variants import Variant

    entries = _entries(viewer, models)
    if genome is not None:
        gen = iter_file_effects(entries, variants, genome, task, skip_mismatches, attributions=False)
        while True:
            try:
                next(gen)
            except StopIteration as stop:
                effects, _ = stop.value
                break
    else:
        if viewer.current_index < 0:
            raise DataError("no sequence is open: open a file, or give a genome with the variants")
        name = viewer.current_id
        typed = [Variant(name, int(pos), ".", str(ref).upper(), str(alt).upper()) for pos, ref, alt in variants]
        ref = SequenceReference({name: viewer.current_sequence}, path=f"sequence {name!r}")
        effects, _ = score(
            [(e.name, e.module) for e in entries],
            typed,
            ref,
            task=task,
            attributions=False,
            skip_mismatches=skip_mismatches,
            source=f"sequence {name!r}",
        )
    return [row for e in effects for row in e.rows()]


_TYPED = re.compile(r"^\s*(\d[\d,]*)\s*:?\s*([A-Za-z]+)\s*>\s*([A-Za-z]+)\s*$")


def parse_typed_variants(text: str) -> list[tuple[int, str, str]]:
    """`"51 A>G; 1,060 CT>C"` (1-based positions as the editor shows them, REF>ALT, separated by `;`
    or new lines) as `(position, ref, alt)`; DataError naming a bad one."""
    out = []
    for k, part in enumerate(p for p in re.split(r"[;\n]", text) if p.strip()):
        m = _TYPED.match(part)
        if m is None:
            raise DataError(
                f"variant {k + 1} {part.strip()!r}: write a position and REF>ALT, e.g. 51 A>G "
                "or 60 CT>C (several separated by ;)"
            )
        pos, ref, alt = int(m.group(1).replace(",", "")), m.group(2).upper(), m.group(3).upper()
        bad = next((c for c in ref + alt if c not in "ACGTN"), None)
        if bad is not None or pos < 1 or ref == alt:
            why = (
                f"{bad!r} is not a base (A C G T N)"
                if bad is not None
                else "positions start at 1"
                if pos < 1
                else "ALT is the same as REF"
            )
            raise DataError(f"variant {k + 1} {part.strip()!r}: {why}")
        out.append((pos, ref, alt))
    if not out:
        raise DataError("no variant typed: write a position and REF>ALT, e.g. 51 A>G")
    return out


def iter_sequence_effects(entries, name: str, seq: str, typed, task=None, skip_mismatches: bool = False):
    """Variants typed on one open sequence (`(position, ref, alt)`), scored with every model entry;
    yields (done, total, text), returns (effects, skipped). Pure: runs in a worker thread."""
    from deemo_gui.core.variant_effects import SequenceReference, iter_effects
    from deemo_gui.core.variants import Variant

    variants = [Variant(name, int(pos), f"typed{k + 1}", ref, alt) for k, (pos, ref, alt) in enumerate(typed)]
    reference = SequenceReference({name: seq}, path=f"sequence {name!r}")
    gen = iter_effects(
        [(e.name, e.module) for e in entries],
        variants,
        reference,
        task=task,
        skip_mismatches=skip_mismatches,
        source=f"sequence {name!r}",
    )
    while True:
        try:
            done, total = next(gen)
        except StopIteration as stop:
            return stop.value
        yield done, total, f"{len(variants)} typed variant(s)"
