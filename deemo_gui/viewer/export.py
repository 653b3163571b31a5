"""What a sequence tool lets you take away or narrow down, Qt-free: records as FASTA (with edits,
soft-masking kept), the prediction table of the whole list, and the records that contain a motif.

    from deemo_gui.viewer.export import write_fasta, write_predictions, records_with_pattern
    write_fasta(viewer, "edited.fa", viewer.edited_indices)
    write_predictions(viewer, "predictions.tsv")            # every record x every model with a table
    records_with_pattern(viewer, "CACGTG")                   # indices, either strand, IUPAC codes

Writes are atomic (a temp file renamed over the target): a failed or killed export leaves the
old file as it was.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Iterator

import numpy as np

from deemo_gui.core.atomic import atomic_path
from deemo_gui.core.errors import DataError
from deemo_gui.core.sequences import apply_soft_mask
from deemo_gui.viewer import search as _search

FASTA_WIDTH = 60


def fasta_records(viewer, indices: Iterable[int] | None = None, soft_mask: bool = True) -> Iterator[str]:
    """One FASTA record (text) per record index (default: all), its current text with edits; the
    header says when a record was edited. Soft-masked runs are written lower case again."""
    indices = range(viewer.n_sequences) if indices is None else indices
    for i in indices:
        i = int(i)
        seq = viewer.sequence(i)
        if soft_mask:
            seq = apply_soft_mask(seq, viewer.soft_masked(i))
        header = (
            f">{viewer.ids[i]}"
            + (" edited" if viewer.is_edited(i) else "")
            + (" reverse-complement" if viewer.strand(i) == "-" else "")
        )
        body = "\n".join(seq[k : k + FASTA_WIDTH] for k in range(0, len(seq), FASTA_WIDTH))
        yield f"{header}\n{body}\n"


def write_fasta(viewer, path, indices: Iterable[int] | None = None, soft_mask: bool = True) -> int:
    """Write records (default: all) to a FASTA file; returns how many were written."""
    indices = list(range(viewer.n_sequences) if indices is None else indices)
    if not indices:
        raise DataError("nothing to export: no sequence is open or selected")
    with atomic_path(path) as tmp, open(tmp, "w", newline="\n") as out:
        out.writelines(fasta_records(viewer, indices, soft_mask))
    return len(indices)


def prediction_columns(viewer, models=None) -> dict[str, np.ndarray]:
    """`{column name: (N,) P}` of every model (default: those with a whole-list table, in the
    model list's order), one column per task (`p_<model>` or `p_<model>:<task>`)."""
    names = (
        [viewer.model(k).name for k in models]
        if models is not None
        else [m.name for m in viewer.models if m.name in viewer.list_predictions]
    )
    out: dict[str, np.ndarray] = {}
    for name in names:
        table = viewer.list_predictions.get(name)
        if table is None or len(table) != viewer.n_sequences:
            raise DataError(f"no predictions of {name} for the open list yet: predict the list first")
        tasks = viewer.model(name).task_names
        for t, task in enumerate(tasks):
            out[f"p_{name}" if len(tasks) == 1 else f"p_{name}:{task}"] = np.asarray(table)[:, t]
    return out


def write_predictions(viewer, path, models=None, columns: dict[str, np.ndarray] | None = None) -> int:
    """Write the prediction table (id, file, length, labels, P per model and task) of every open
    record to CSV, or TSV when `path` ends in .tsv/.txt; returns the number of rows."""
    columns = prediction_columns(viewer, models) if columns is None else columns
    if not columns:
        raise DataError("no predictions to export: tick a model so the list is predicted, then export")
    delimiter = "\t" if os.fspath(path).lower().endswith((".tsv", ".txt", ".tab")) else ","
    task_names = []
    for f in viewer.files:
        if f.data.labels is not None:
            task_names += [t for t in f.data.task_names if t not in task_names]
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as out:
        writer = csv.writer(out, delimiter=delimiter)
        writer.writerow(["id", "file", "length"] + [f"label_{t}" for t in task_names] + list(columns))
        values = list(columns.values())
        for i in range(viewer.n_sequences):
            f = viewer.file_of(i)
            labels = [""] * len(task_names)
            y = viewer.label(i)
            if y is not None:
                for t, v in zip(f.data.task_names, y):
                    labels[task_names.index(t)] = f"{v:g}"
            writer.writerow(
                [viewer.ids[i], os.path.basename(f.path), len(viewer.sequence(i))]
                + labels
                + [f"{float(col[i]):.6f}" for col in values]
            )
    return viewer.n_sequences


def records_with_pattern(viewer, pattern: str) -> np.ndarray:
    """Indices of the records (current texts) with at least one hit of an IUPAC `pattern` on either
    strand (the matching rule of `viewer.search`); DataError for a bad pattern."""
    pat = _search.clean_pattern(pattern)
    return np.asarray(
        [i for i in range(viewer.n_sequences) if _search.contains(viewer.sequence(i), pat)], dtype=np.int64
    )
