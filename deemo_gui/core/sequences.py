"""Reading the sequence files biologists have, validating them, and one-hot encoding.

Formats: FASTA / multi-FASTA (plain or gzip, multi-line, soft-masked lower case), DeepBind
`.seq[.gz]` (`FoldID EventID seq Bound`), TSV/CSV with a `sequence` column and 0/1 label columns
(multi-task: column names are task names), and plain one-sequence-per-line files (HT-SELEX reads).
Labels may also come from a separate label file, a negatives FASTA, or dinucleotide shuffles.

Encoding: `(N, 4, L)` float32, order A C G T. `N` and every other IUPAC ambiguity code
(R Y S W K M B D H V) are encoded as all-zero columns: the network sees no evidence for any base
there, and gradient × input attributions are exactly zero at unknown positions.
"""

from __future__ import annotations

import csv
import functools
import io
import logging
import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from deemo_gui.core.errors import DataError
from deemo_gui.core.inputfile import iter_bytes, max_input_bytes, read_text
from deemo_gui.core.shuffle import shuffle_all

log = logging.getLogger(__name__)

ALPHABET = "ACGT"
AMBIGUITY = "NRYSWKMBDHV"
VALID_LETTERS = set(ALPHABET + AMBIGUITY)
_VALID_ANY_CASE = frozenset(ALPHABET + AMBIGUITY + (ALPHABET + AMBIGUITY).lower())
_COMPLEMENT = str.maketrans("ACGTRYSWKMBDHVN", "TGCAYRSWMKVHDBN")
_LABEL_IN_HEADER = re.compile(r"(?:^|[\s|;])label=([^\s|;]*)")
_DEEPBIND_HEADERLESS = re.compile(r"[A-Za-z]+\t[01]")

# Lookup table from byte to one-hot column; ambiguity codes stay all-zero.
_ONEHOT_TABLE = np.zeros((256, 4), dtype=np.float32)
for _i, _b in enumerate(ALPHABET):
    _ONEHOT_TABLE[ord(_b), _i] = 1.0
    _ONEHOT_TABLE[ord(_b.lower()), _i] = 1.0


@dataclass
class SequenceSet:
    """Named sequences with optional labels `(N, T)` and the provenance of both."""

    ids: list[str]
    seqs: list[str]
    labels: np.ndarray | None = None
    task_names: list[str] = field(default_factory=lambda: ["bound"])
    source: str = ""
    # Soft-masked (lower-case) runs of the file as read, `{record index: ((start, end), ...)}`;
    # `seqs` are upper case, this keeps the mask for display and export.
    soft_masked: dict[int, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    # Where each record comes from in a genome (`core.regions.Origin`: chrom, 0-based start, end,
    # strand; None for a record without one, e.g. a shuffled negative); None for files without any.
    origins: list | None = None

    def __post_init__(self):
        if len(self.ids) != len(self.seqs):
            raise DataError(f"{self.source or 'sequences'}: {len(self.ids)} ids for {len(self.seqs)} sequences")
        if self.labels is not None:
            self.labels = np.asarray(self.labels, dtype=np.float32).reshape(len(self.seqs), -1)
            if self.labels.shape[1] != len(self.task_names):
                raise DataError(
                    f"{self.source}: {self.labels.shape[1]} label columns but {len(self.task_names)} task names"
                )
        if self.origins is not None and len(self.origins) != len(self.seqs):
            raise DataError(f"{self.source or 'sequences'}: {len(self.origins)} origins for {len(self.seqs)} sequences")

    def __len__(self) -> int:
        return len(self.seqs)

    @property
    def n_tasks(self) -> int:
        return len(self.task_names)

    def subset(self, index) -> SequenceSet:
        index = np.asarray(index)
        return SequenceSet(
            ids=[self.ids[i] for i in index],
            seqs=[self.seqs[i] for i in index],
            labels=None if self.labels is None else self.labels[index],
            task_names=list(self.task_names),
            source=self.source,
            soft_masked={
                new: self.soft_masked[int(old)] for new, old in enumerate(index) if int(old) in self.soft_masked
            },
            origins=None if self.origins is None else [self.origins[i] for i in index],
        )

    def one_hot(self, length: int | None = None) -> np.ndarray:
        return one_hot(self.seqs if length is None else fit_length(self.seqs, length, self.source)[0])


# ---------------------------------------------------------------------------------------------
# Encoding


def one_hot(seqs: list[str]) -> np.ndarray:
    """`(N, 4, L)` float32 one-hot (A C G T); ambiguity codes are all-zero. Equal lengths required."""
    if len(seqs) == 0:
        return np.zeros((0, 4, 0), dtype=np.float32)
    lengths = {len(s) for s in seqs}
    if len(lengths) > 1:
        raise DataError(f"sequences have unequal lengths {sorted(lengths)[:5]}: fit them to one length first")
    buf = np.frombuffer("".join(seqs).encode("ascii"), dtype=np.uint8).reshape(len(seqs), -1)
    return np.ascontiguousarray(_ONEHOT_TABLE[buf].transpose(0, 2, 1))


def decode(X: np.ndarray) -> list[str]:
    """Inverse of `one_hot`: all-zero columns become `N`."""
    X = np.asarray(X)
    letters = np.array(list(ALPHABET + "N"))
    index = np.where(X.sum(axis=1) > 0, X.argmax(axis=1), 4)
    return ["".join(row) for row in letters[index]]


_LOWER_RUN = re.compile(r"[a-z]+")


def lower_case_runs(seq: str) -> tuple[tuple[int, int], ...]:
    """Half-open `(start, end)` runs of lower-case (soft-masked) letters; `()` when there are none."""
    if seq == seq.upper():
        return ()
    return tuple(m.span() for m in _LOWER_RUN.finditer(seq))


def apply_soft_mask(seq: str, runs) -> str:
    """`seq` with the `runs` lower-cased again (the inverse of reading with `lower_case_runs`)."""
    if not runs:
        return seq
    parts, last = [], 0
    for start, end in runs:
        parts += [seq[last:start], seq[start:end].lower()]
        last = end
    parts.append(seq[last:])
    return "".join(parts)


def reverse_complement(seq: str) -> str:
    """Reverse complement of a DNA string (IUPAC codes complemented, case kept upper)."""
    return seq.upper().translate(_COMPLEMENT)[::-1]


def reverse_complement_onehot(X):
    """Reverse complement of a one-hot `(N, 4, L)` array or tensor: flip letters and positions."""
    if hasattr(X, "flip"):
        return X.flip(dims=(-2, -1))
    return np.ascontiguousarray(X[..., ::-1, ::-1])


def fit_length(seqs: list[str], length: int, source: str = "", warn: bool = True) -> tuple[list[str], int]:
    """Centre-crop longer and N-pad shorter sequences to `length`; warn with how many changed
    (`warn=False`: the caller warns, e.g. once for a whole stream, with `warn_fitted`)."""
    out, changed = [], 0
    for s in seqs:
        n = len(s)
        if n == length:
            out.append(s)
            continue
        changed += 1
        if n > length:
            start = (n - length) // 2
            out.append(s[start : start + length])
        else:
            left = (length - n) // 2
            out.append("N" * left + s + "N" * (length - n - left))
    if warn:
        warn_fitted(source, changed, len(seqs), length)
    return out, changed


def warn_fitted(source: str, changed: int, total: int, length: int) -> None:
    """The warning of `fit_length` (none when no sequence was changed)."""
    if changed:
        log.warning(
            "%s: %d of %d sequences were not %d nt long and were centre-cropped or N-padded",
            source or "sequences",
            changed,
            total,
            length,
        )


def gc_content(seq: str) -> float:
    """Fraction of G or C among the unambiguous bases (NaN if none)."""
    s = seq.upper()
    acgt = sum(s.count(b) for b in ALPHABET)
    return (s.count("G") + s.count("C")) / acgt if acgt else float("nan")


_GC = bytes(int(chr(b) in "GCgc") for b in range(256))  # bytes.translate tables: 1 where the letter counts
_ACGT = bytes(int(chr(b) in "ACGTacgt") for b in range(256))


def gc_contents(seqs: list[str], block: int = 1 << 16) -> np.ndarray:
    """`gc_content` of each sequence, `(N,)` float64, computed in numpy a block of sequences at a time."""
    out = np.full(len(seqs), np.nan)
    for start in range(0, len(seqs), block):
        part = seqs[start : start + block]
        text = "".join(part).encode("ascii")
        lengths = np.fromiter(map(len, part), dtype=np.int64, count=len(part))
        full = np.flatnonzero(lengths)  # reduceat needs non-empty segments
        if not len(full):
            continue
        firsts = (np.cumsum(lengths) - lengths)[full]
        gc, acgt = (
            np.add.reduceat(np.frombuffer(text.translate(t), dtype=np.uint8), firsts, dtype=np.int64)
            for t in (_GC, _ACGT)
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            out[start + full] = np.where(acgt > 0, gc / acgt, np.nan)
    return out


def validate(seq: str, where: str) -> str:
    """Upper-cased sequence, or DataError naming `where` and the first bad character.

    The letters are checked before upper-casing: 'ſ'.upper() is 'S' and 'ﬅ'.upper() is 'ST'.
    """
    if not seq:
        raise DataError(f"{where}: empty sequence")
    bad = set(seq) - _VALID_ANY_CASE
    if bad:
        pos, ch = next((i, c) for i, c in enumerate(seq) if c in bad)
        raise DataError(
            f"{where}: invalid character {ch!r} at position {pos + 1}; only A C G T and IUPAC codes "
            f"({AMBIGUITY}) are allowed — is this a protein or a gapped alignment?"
        )
    return seq.upper()


Masked = dict[int, tuple[tuple[int, int], ...]]  # record index -> its lower-case runs


def _add_validated(seqs: list[str], masked: Masked, seq: str, where: str) -> None:
    """Append `validate(seq)` to `seqs`, and its lower-case runs to `masked` under its index."""
    seqs.append(validate(seq, where))
    if runs := lower_case_runs(seq):
        masked[len(seqs) - 1] = runs


# ---------------------------------------------------------------------------------------------
# Readers


def _open_text(path: str, what: str = "sequence file") -> str:
    name, text = read_text(path, what)
    if not text.strip():
        raise DataError(f"{name}: empty file")
    return text


def read_fasta(path: str) -> SequenceSet:
    """FASTA / multi-FASTA, read as a stream (`core.fasta`). Labels are read from `label=0|1` in the
    headers when every record has one."""
    from deemo_gui.core import fasta

    name = os.fspath(path)
    try:
        ids: list[str] = []
        seqs: list[str] = []
        masked: Masked = {}
        headers: list[list[str] | None] = []
        for batch in fasta.iter_fasta(name, name):
            masked.update((len(ids) + i, runs) for i, runs in batch.soft_masked.items())
            ids += batch.ids
            seqs += batch.seqs
            headers.append(batch.headers)
        warn_duplicate_ids(ids, name)
        labels = None
        if any(h is not None for h in headers):
            if any(h is None for h in headers):
                raise DataError(f"{name}: label= in some headers only")  # named with its line below
            labels = _labels_from_headers([h for part in headers for h in part or ()], [0] * len(ids), name)
    except DataError:  # the whole text, line by line: the error the file has first, with its line
        return _parse_fasta(_open_text(name), name)
    return SequenceSet(ids=ids, seqs=seqs, labels=labels, source=name, soft_masked=masked)


def _parse_fasta(text: str, name: str) -> SequenceSet:
    from deemo_gui.core import fasta

    ids, headers, seqs, linenos = fasta.split_records(text, name)
    if not ids:
        raise DataError(f"{name}: no FASTA records")
    warn_duplicate_ids(ids, name)
    clean, masked = fasta.validated(ids, seqs, linenos, name)
    labels = _labels_from_headers(headers, linenos, name)
    return SequenceSet(ids=ids, seqs=clean, labels=labels, source=name, soft_masked=masked)


def _labels_from_headers(headers: list[str], linenos: list[int], name: str) -> np.ndarray | None:
    """`label=0|1` from every header, None when no header has one; DataError for a partial or bad set."""
    found = [_LABEL_IN_HEADER.search(h) for h in headers]
    if not any(found):
        return None
    for m, lineno in zip(found, linenos):
        if m is None:
            raise DataError(
                f"{name}, line {lineno}: no 'label=' in this header while other headers have one; "
                "give every record a label=0 or label=1, or none"
            )
        if m.group(1) not in ("0", "1"):
            raise DataError(f"{name}, line {lineno}: label must be 0 or 1, found 'label={m.group(1)}'")
    return np.array([[float(m.group(1))] for m in found if m], dtype=np.float32)


def _checked_id(rid: str, where: str) -> str:
    """A record id without control characters (they would reach CSV files and terminals as they are)."""
    if not rid.isprintable():
        ch = next(c for c in rid if not c.isprintable())
        raise DataError(f"{where}: the record id {rid!r} contains the control character {ch!r}; remove it")
    return rid


def warn_duplicate_ids(ids: list[str], name: str) -> list[str]:
    """The ids that occur more than once (logged as a warning naming the first few)."""
    if len(set(ids)) == len(ids):
        return []
    dup = sorted(i for i, n in Counter(ids).items() if n > 1)
    if dup:
        shown = ", ".join(repr(d) for d in dup[:5]) + (f" and {len(dup) - 5} more" if len(dup) > 5 else "")
        log.warning(
            "%s: %d record id(s) occur more than once: %s; records are told apart by position", name, len(dup), shown
        )
    return dup


def read_label_file(path: str, n_records: int, data_name: str = "") -> tuple[np.ndarray, list[str]]:
    """One line per record: a single 0/1 value, or several 0/1 columns (multi-task).

    Two columns that are one-hot on every line (the Keras-genomics `.target` format, `1 0` =
    bound, `0 1` = unbound) are read as one binary task: the first column.
    """
    name = os.fspath(path)
    rows: list[list[float]] = []
    for lineno, line in enumerate(io.StringIO(_open_text(name, "label file")), start=1):
        parts = line.replace(",", " ").split()
        if not parts:
            continue
        try:
            values = [float(p) for p in parts]
        except ValueError:
            raise DataError(f"{name}, line {lineno}: labels must be 0 or 1, found {line.strip()!r}") from None
        if any(v not in (0.0, 1.0) for v in values):
            raise DataError(f"{name}, line {lineno}: labels must be 0 or 1, found {line.strip()!r}")
        if rows and len(values) != len(rows[0]):
            raise DataError(f"{name}, line {lineno}: {len(values)} columns, the first line has {len(rows[0])}")
        rows.append(values)
    labels = np.array(rows, dtype=np.float32)
    if len(labels) != n_records:
        raise DataError(
            f"{name}: {len(labels)} label lines for {n_records} sequences in {data_name or 'the data'} — "
            "one label line per record is needed"
        )
    if labels.shape[1] == 2 and np.all(labels.sum(axis=1) == 1):
        return labels[:, :1], ["bound"]
    if labels.shape[1] == 1:
        return labels, ["bound"]
    return labels, [f"task{i}" for i in range(labels.shape[1])]


# The csv module refuses fields over 131,072 characters by default; a sequence can be longer.
csv.field_size_limit(min(max_input_bytes(), 2**31 - 1))


def _csv_rows(text: str, name: str, delimiter: str, lineno0: int = 0):
    """(line number, row) of the non-blank rows, counted from `lineno0`; csv errors become DataError
    naming the line."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        last = 0
        for row in reader:
            if any("\n" in f or "\r" in f for f in row):  # no field of a sequence table spans lines
                raise DataError(
                    f"{name}, line {lineno0 + last + 1}: a quote opened here is not closed on its line (the field "
                    f"runs to line {lineno0 + reader.line_num}); remove the stray '\"'"
                )
            last = reader.line_num
            if row and "".join(row).strip():
                yield lineno0 + reader.line_num, row
    except csv.Error as exc:
        raise DataError(
            f"{name}, line {lineno0 + reader.line_num + 1}: not a valid {'TSV' if delimiter == chr(9) else 'CSV'} "
            f"line ({exc}); check for stray quotes or carriage returns inside a field"
        ) from None


def _parse_deepbind(text: str, name: str, lineno0: int = 0) -> SequenceSet:
    rows = _csv_rows(text, name, "\t", lineno0)
    _, header = next(rows, (0, []))
    cols = {c.strip(): i for i, c in enumerate(header)}
    ids, labels = [], []
    seqs: list[str] = []
    masked: Masked = {}
    for lineno, row in rows:
        if len(row) != len(header):
            raise DataError(f"{name}, line {lineno}: {len(row)} columns, the header has {len(header)}")
        rid = row[cols["EventID"]] if "EventID" in cols else f"seq{lineno - 1}"
        _add_validated(seqs, masked, row[cols["seq"]].strip(), f"{name}, line {lineno} ({rid})")
        ids.append(rid)
        if "Bound" in cols:
            value = row[cols["Bound"]].strip()
            if value not in ("0", "1"):
                raise DataError(f"{name}, line {lineno}: Bound must be 0 or 1, found {value!r}")
            labels.append(float(value))
    if not seqs:
        raise DataError(f"{name}: header but no sequences")
    y = np.array(labels, dtype=np.float32)[:, None] if labels else None
    return SequenceSet(ids=ids, seqs=seqs, labels=y, source=name, soft_masked=masked)


def _parse_deepbind_headerless(text: str, name: str, lineno0: int = 0) -> SequenceSet:
    """DeepBind's own `sequence<TAB>label` lines with no header (its DREAM5 and supplementary files)."""
    ids, labels = [], []
    seqs: list[str] = []
    masked: Masked = {}
    for lineno, line in enumerate(io.StringIO(text), start=lineno0 + 1):
        if not line.strip():
            continue
        parts = line.rstrip("\r\n").split("\t")
        if len(parts) != 2 or parts[1].strip() not in ("0", "1"):
            raise DataError(
                f"{name}, line {lineno}: expected 'sequence<TAB>0|1' as on the first line, found {line.strip()[:60]!r}"
            )
        _add_validated(seqs, masked, parts[0].strip(), f"{name}, line {lineno}")
        ids.append(f"line{lineno}")
        labels.append(float(parts[1]))
    return SequenceSet(
        ids=ids, seqs=seqs, labels=np.array(labels, dtype=np.float32)[:, None], source=name, soft_masked=masked
    )


def _parse_table(text: str, name: str, delimiter: str, lineno0: int = 0) -> SequenceSet:
    rows = _csv_rows(text, name, delimiter, lineno0)
    _, header = next(rows, (0, []))
    header = [c.strip() for c in header]
    lower = [c.lower() for c in header]
    if "sequence" not in lower:
        raise DataError(f"{name}, line 1: no 'sequence' column in the header {delimiter.join(header)[:80]!r}")
    if lower.count("sequence") > 1:
        raise DataError(f"{name}, line 1: the header has {lower.count('sequence')} 'sequence' columns; keep one")
    seq_col = lower.index("sequence")
    id_col = next((lower.index(c) for c in ("id", "name") if c in lower), None)
    label_cols = [i for i in range(len(header)) if i not in (seq_col, id_col)]
    ids, labels = [], []
    seqs: list[str] = []
    masked: Masked = {}
    for lineno, row in rows:
        if len(row) != len(header):
            raise DataError(f"{name}, line {lineno}: {len(row)} columns, the header has {len(header)}")
        rid = _checked_id(row[id_col].strip(), f"{name}, line {lineno}") if id_col is not None else f"seq{lineno - 1}"
        _add_validated(seqs, masked, row[seq_col].strip(), f"{name}, line {lineno} ({rid})")
        ids.append(rid)
        values = []
        for i in label_cols:
            v = row[i].strip()
            if v not in ("0", "1", "0.0", "1.0"):
                raise DataError(
                    f"{name}, line {lineno}: column {header[i]!r} must be a 0/1 label, found {v[:40]!r} "
                    "(remove non-label columns)"
                )
            values.append(float(v))
        labels.append(values)
    if not seqs:
        raise DataError(f"{name}: header but no sequences")
    warn_duplicate_ids(ids, name)
    if not label_cols:
        return SequenceSet(ids=ids, seqs=seqs, source=name, soft_masked=masked)
    return SequenceSet(
        ids=ids,
        seqs=seqs,
        labels=np.array(labels, dtype=np.float32),
        soft_masked=masked,
        task_names=[header[i] for i in label_cols],
        source=name,
    )


def _parse_plain(text: str, name: str, lineno0: int = 0) -> SequenceSet:
    ids = []
    seqs: list[str] = []
    masked: Masked = {}
    for lineno, line in enumerate(io.StringIO(text), start=lineno0 + 1):
        line = line.strip()
        if not line:
            continue
        if line.startswith(">"):
            raise DataError(
                f"{name}, line {lineno}: FASTA header after bare sequence lines — "
                "a FASTA file must start with a '>' header"
            )
        _add_validated(seqs, masked, line, f"{name}, line {lineno}")
        ids.append(f"line{lineno}")
    return SequenceSet(ids=ids, seqs=seqs, source=name, soft_masked=masked)


def _starts_like_fasta(name: str) -> bool:
    """Whether the file's first bytes (after a BOM and blank space) are '>' or ';'; False for a file
    that cannot be read (the whole-file reader then says why)."""
    try:
        head = next(iter_bytes(name, "sequence file", 4096), b"")
    except DataError:
        return False
    return head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith((b">", b";"))


def read_sequences(path: str) -> SequenceSet:
    """Read any supported file, detecting the format from its content (FASTA is read as a stream)."""
    name = os.fspath(path)
    if _starts_like_fasta(name):
        return read_fasta(name)
    text = _open_text(name)
    parse, _ = text_parser(text, name)
    return parse(text, name)


TextParser = Callable[..., SequenceSet]  # (text, name, lineno0=0) -> SequenceSet


def text_parser(text: str, name: str) -> tuple[TextParser, bool]:
    """(the parser of a sequence file that starts with `text`, whether its first row is a header),
    detected from the content; DataError for a format deemo does not read."""
    first = text.lstrip().split("\n", 1)[0]
    if first.startswith(">") or first.startswith(";"):
        return _parse_fasta, False
    if first.startswith("@") and text.lstrip().split("\n", 3)[2:3] and text.lstrip().split("\n", 3)[2].startswith("+"):
        raise DataError(
            f"{name}: FASTQ reads, which deemo does not read; convert them to FASTA "
            "(e.g. `seqkit fq2fa reads.fq > reads.fa`) or one sequence per line"
        )
    fields = [f.strip() for f in first.split("\t")]
    if "FoldID" in fields and "seq" in fields:
        return _parse_deepbind, True
    if _DEEPBIND_HEADERLESS.fullmatch(first.strip()):
        return _parse_deepbind_headerless, False
    for delimiter in ("\t", ","):
        if "sequence" in [f.strip().strip('"').strip().lower() for f in first.split(delimiter)]:
            return functools.partial(_parse_table, delimiter=delimiter), True
    if re.fullmatch(r"[A-Za-z]+", first.strip()):
        return _parse_plain, False
    raise DataError(
        f"{name}: unrecognised format (expected FASTA '>' records, a DeepBind .seq header "
        "'FoldID EventID seq Bound' or headerless 'sequence<TAB>label' lines, a TSV/CSV with a 'sequence' "
        "column, or one sequence per line)"
    )


def load_dataset(
    path: str,
    labels: str | None = None,
    negatives: str | None = None,
    seed: int = 0,
) -> SequenceSet:
    """Sequences with labels from wherever they are.

    `labels`: a label file; `negatives`: a negatives file, or the word "shuffle" for one
    dinucleotide-shuffled copy of each positive (Altschul–Erickson, as DeepBind did). With
    `negatives`, every record of `path` is a positive and must have no labels of its own.
    """
    data = read_sequences(path)
    if labels is not None:
        y, tasks = read_label_file(labels, len(data), data.source)
        data = SequenceSet(
            data.ids, data.seqs, y, tasks, f"{data.source} + labels {os.fspath(labels)}", soft_masked=data.soft_masked
        )
    if negatives is None:
        return data
    if data.labels is not None and not np.all(data.labels == 1):
        raise DataError(f"{data.source}: has negative labels already; --negatives needs a positives-only file")
    if data.n_tasks != 1:
        raise DataError(f"{data.source}: --negatives works with one task, this file has {data.n_tasks}")
    if negatives == "shuffle":
        neg_seqs = shuffle_all(data.seqs, seed=seed)
        neg_ids = [f"{i}_shuf" for i in data.ids]
        how = f"{data.source} positives + dinucleotide-shuffled negatives (seed {seed})"
    else:
        neg = read_sequences(negatives)
        if neg.labels is not None and not np.all(neg.labels == 0):
            raise DataError(f"{neg.source}: a negatives file must not contain positive labels")
        neg_seqs, neg_ids = neg.seqs, neg.ids
        how = f"{data.source} positives + {neg.source} negatives"
    y = np.concatenate([np.ones(len(data)), np.zeros(len(neg_seqs))]).astype(np.float32)[:, None]
    return SequenceSet(
        data.ids + neg_ids, data.seqs + neg_seqs, y, list(data.task_names), how, soft_masked=data.soft_masked
    )


def subsample(data: SequenceSet, n: int | None, seed: int = 0) -> SequenceSet:
    """At most `n` records drawn at random without replacement, in file order (all if n is None or larger)."""
    if n is None or len(data) <= n:
        return data
    keep = np.sort(np.random.default_rng(seed).choice(len(data), n, replace=False))
    out = data.subset(keep)
    out.source = f"{data.source}, random {n:,} of {len(data):,} (seed {seed})"
    return out


def require_labels(data: SequenceSet, purpose: str) -> np.ndarray:
    """The labels, or a DataError saying how to provide them."""
    if data.labels is None:
        raise DataError(
            f"{data.source}: no labels for {purpose}; give a label file (--labels), a negatives file "
            "or --negatives shuffle, or use a file with labels (TSV, DeepBind .seq, 'label=1' in FASTA headers)"
        )
    return data.labels
