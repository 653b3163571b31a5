"""Synthetic sequences with planted motifs and known ground truth (Koo & Eddy 2019).

Koo PK, Eddy SR (2019) Representation learning of genomic sequence motifs with convolutional
neural networks. PLoS Comput Biol 15(12): e1007560, Methods "Synthetic dataset"; their code:
github.com/p-koo/learning_sequence_motifs, code/0_Generate_synthetic_dataset.ipynb.

What the paper and its code do, and what we do:

- 25,000 sequences of 200 nt, uniform i.i.d. background (each base 1/4).
- Each sequence gets 1 to 5 motif instances with probabilities 0.50, 0.25, 0.17, 0.05, 0.03.
  Every sequence has at least one motif: there are no motif-free sequences. (Their code writes
  the table as `cumsum([0, 0.5, 0.25, 0.17, 0.05, 0.3])` — a typo for 0.03 that is harmless,
  since a uniform draw never exceeds 0.97 + 0.03.)
- Instances are drawn with replacement from the 12 JASPAR matrices and their reverse
  complements (24 choices, uniform), so a TF can appear twice, on either strand.
- Each instance is sampled base by base from its matrix (letter probabilities per column).
- Labels: multi-label, one task per TF, 1 if the sequence has at least one instance of that TF
  on either strand. Chance matches of the background to a motif are not labelled, as in the paper.
- Split 0.7 / 0.1 / 0.2 into train / valid / test.

Placement differs slightly. Koo's code splits the free length into k+1 gaps by normalising
uniform draws and rounding, so gaps can be 0: instances may touch each other or the sequence
ends. Here instances are non-overlapping, at least 1 nt apart and at least 1 nt from either end,
and the placement is uniform over all such arrangements (stars and bars over the slack), so the
recorded positions are always unambiguous. If the drawn instances do not fit (only with long
motifs or short sequences) the whole draw is repeated, as Koo's code does.

The motif list is the paper's 12 TFs with the JASPAR 2016 matrix IDs their data used, read
from pyjaspar's offline JASPAR2016 release.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pandas costs every `deemo` command ~50 MB and 0.4 s when imported up front
    import pandas as pd

from deemo_gui.core.errors import ConfigError, DataError

# Koo & Eddy 2019, Methods: Arid3a, CEBPB, FOSL1, Gabpa, MAFK, MAX, MEF2A, NFYB, SP1, SRF, STAT1,
# YY1, as JASPAR 2016 CORE vertebrate matrices.
DEFAULT_MOTIFS = (
    "MA0151.1",  # Arid3a
    "MA0466.2",  # CEBPB
    "MA0477.1",  # FOSL1
    "MA0062.2",  # Gabpa
    "MA0496.1",  # MAFK
    "MA0058.3",  # MAX
    "MA0052.3",  # MEF2A
    "MA0502.1",  # NFYB
    "MA0079.3",  # SP1
    "MA0083.3",  # SRF
    "MA0137.3",  # STAT1
    "MA0095.2",  # YY1
)
DEFAULT_RELEASE = "JASPAR2016"
# P(1..5 motif instances per sequence), Koo & Eddy 2019 Methods and code.
INSTANCE_COUNT_PROBS = (0.50, 0.25, 0.17, 0.05, 0.03)
# train / valid / test fractions, Koo & Eddy 2019.
SPLIT_FRACTIONS = (0.7, 0.1, 0.2)
SPLIT_NAMES = ("train", "valid", "test")
TRUTH_COLUMNS = ["id", "split", "index", "tf", "motif_id", "start", "end", "strand"]

_LETTERS = np.frombuffer(b"ACGT", dtype=np.uint8)


@dataclass
class SyntheticSplit:
    """One split: `sequences[i]` has id `ids[i]` and labels `labels[i]` (one column per task)."""

    ids: list[str]
    sequences: list[str]
    labels: np.ndarray
    task_names: list[str]

    def __len__(self) -> int:
        return len(self.sequences)

    def to_dataframe(self) -> pd.DataFrame:
        """`id`, `sequence`, then one 0/1 int column per task (the `deemo synth` TSV layout)."""
        import pandas as pd

        df = pd.DataFrame({"id": self.ids, "sequence": self.sequences})
        for t, name in enumerate(self.task_names):
            df[name] = self.labels[:, t].astype(np.int64)
        return df


@dataclass
class SyntheticData:
    """Train / valid / test splits, the motifs used, and every planted instance in `truth`.

    `truth` columns: id, split, index (row within the split), tf (task name), motif_id,
    start (0-based), end (exclusive), strand ("+": the matrix as stored, "-": its reverse
    complement was planted).
    """

    train: SyntheticSplit
    valid: SyntheticSplit
    test: SyntheticSplit
    truth: pd.DataFrame
    task_names: list[str]
    motifs: list = field(default_factory=list)
    length: int = 200
    seed: int = 0

    def split(self, name: str) -> SyntheticSplit:
        return {"train": self.train, "valid": self.valid, "test": self.test}[name]


def _task_names(pwms) -> list[str]:
    names = [p.name or p.id for p in pwms]
    out = []
    for p, n in zip(pwms, names):
        out.append(n if names.count(n) == 1 else f"{n}_{p.id}")
    if len(set(out)) != len(out):
        raise ConfigError(f"motif list has duplicates: {', '.join(out)}")
    return out


def _resolve_motifs(motifs, release: str):
    from deemo_gui.core.motifs import PWM, JasparDB

    motifs = list(motifs)
    if not motifs:
        raise ConfigError("no motifs given; pass JASPAR IDs such as MA0139.1 or PWM objects")
    db = None
    out = []
    for m in motifs:
        if isinstance(m, PWM):
            out.append(m)
        else:
            db = db or JasparDB(release)
            out.append(db.get(str(m)))
    return out


def _split_sizes(n: int, fractions) -> list[int]:
    fractions = np.asarray(fractions, dtype=np.float64)
    if fractions.shape != (3,) or np.any(fractions < 0) or abs(fractions.sum() - 1) > 1e-6:
        raise ConfigError(f"split fractions must be 3 non-negative numbers summing to 1, got {tuple(fractions)}")
    bounds = np.round(np.cumsum(fractions) * n).astype(int)
    bounds[-1] = n
    return list(np.diff(np.concatenate([[0], bounds])))


def generate(
    motifs=DEFAULT_MOTIFS,
    n: int = 25000,
    length: int = 200,
    seed: int = 0,
    release: str = DEFAULT_RELEASE,
    count_probs=INSTANCE_COUNT_PROBS,
    split=SPLIT_FRACTIONS,
) -> SyntheticData:
    """Generate Koo & Eddy's synthetic data set (see the module docstring).

    `motifs`: JASPAR matrix IDs (looked up in `release`) and/or `PWM` objects; one task each.
    `count_probs[k]`: probability of k + 1 instances in a sequence. Deterministic for a seed
    (numpy `default_rng(seed)`); sequences are drawn i.i.d., so the splits are consecutive
    blocks of the generated order.
    """
    if n < 1:
        raise ConfigError(f"number of sequences must be >= 1, got {n}")
    if length < 3:
        raise ConfigError(f"sequence length must be >= 3, got {length}")
    probs = np.asarray(count_probs, dtype=np.float64)
    if probs.ndim != 1 or probs.size == 0 or np.any(probs < 0) or abs(probs.sum() - 1) > 1e-6:
        raise ConfigError(f"instance-count probabilities must be non-negative and sum to 1, got {tuple(probs)}")
    probs = probs / probs.sum()
    sizes = _split_sizes(n, split)
    pwms = _resolve_motifs(motifs, release)
    tasks = _task_names(pwms)
    T = len(pwms)

    # the 2T choices: motif t forward (2t) and reverse complement (2t + 1), as in Koo's code
    mats = []
    for p in pwms:
        mats.append(p.probs)
        mats.append(p.probs[::-1, ::-1])
    cums = [np.cumsum(m, axis=0) for m in mats]
    for c in cums:
        c[-1] = 1.0  # guard against rounding: a uniform draw < 1 always picks a letter
    widths = np.array([m.shape[1] for m in mats])
    min_need = int(widths.min()) + 2
    if length < min_need:
        raise ConfigError(
            f"sequence length {length} is too short: the narrowest motif needs {min_need} nt "
            "(the motif plus 1 nt either side)"
        )
    too_wide = [pwms[t].id for t in range(T) if widths[2 * t] + 2 > length]
    if too_wide:
        raise ConfigError(
            f"motif(s) {', '.join(too_wide)} do not fit in {length} nt with 1 nt either side; use longer sequences"
        )

    rng = np.random.default_rng(seed)
    seqs = rng.integers(0, 4, size=(n, length), dtype=np.uint8)
    labels = np.zeros((n, T), dtype=np.float32)
    rec_seq, rec_choice, rec_start = [], [], []
    kmax = probs.size
    for i in range(n):
        while True:
            k = int(rng.choice(kmax, p=probs)) + 1
            choice = rng.integers(0, 2 * T, size=k)
            slack = length - int(widths[choice].sum()) - (k + 1)
            if slack >= 0:
                break
        # uniform composition of `slack` into k + 1 non-negative parts (stars and bars)
        bars = np.sort(rng.choice(slack + k, size=k, replace=False)) if k else np.array([], int)
        extra = np.diff(np.concatenate([[-1], bars, [slack + k]])) - 1
        pos = 0
        for j in range(k):
            pos += 1 + int(extra[j])
            c = int(choice[j])
            w = int(widths[c])
            u = rng.random(w)
            seqs[i, pos : pos + w] = (u[None, :] >= cums[c]).sum(axis=0)
            rec_seq.append(i)
            rec_choice.append(c)
            rec_start.append(pos)
            labels[i, c // 2] = 1.0
            pos += w

    ids = [f"syn{i:0{max(5, len(str(n - 1)))}d}" for i in range(n)]
    text = [row.tobytes().decode("ascii") for row in _LETTERS[seqs]]

    bounds = np.cumsum([0] + sizes)
    split_of = np.searchsorted(bounds[1:], np.arange(n), side="right")
    parts = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        parts.append(
            SyntheticSplit(ids=ids[a:b], sequences=text[a:b], labels=labels[a:b].copy(), task_names=list(tasks))
        )

    rec_seq = np.asarray(rec_seq, dtype=np.int64)
    rec_choice = np.asarray(rec_choice, dtype=np.int64)
    rec_start = np.asarray(rec_start, dtype=np.int64)
    import pandas as pd

    truth = pd.DataFrame(
        {
            "id": [ids[i] for i in rec_seq],
            "split": [SPLIT_NAMES[s] for s in split_of[rec_seq]],
            "index": rec_seq - bounds[split_of[rec_seq]],
            "tf": [tasks[c // 2] for c in rec_choice],
            "motif_id": [pwms[c // 2].id for c in rec_choice],
            "start": rec_start,
            "end": rec_start + widths[rec_choice],
            "strand": np.where(rec_choice % 2 == 1, "-", "+"),
        }
    )[TRUTH_COLUMNS]
    return SyntheticData(
        train=parts[0],
        valid=parts[1],
        test=parts[2],
        truth=truth,
        task_names=list(tasks),
        motifs=pwms,
        length=length,
        seed=seed,
    )


def write_tsv(data: SyntheticData, out_dir) -> list[str]:
    """Write train.tsv, valid.tsv, test.tsv (`id`, `sequence`, one 0/1 column per TF) and
    truth.tsv into `out_dir` (created if needed). Returns the paths written."""
    import os

    from deemo_gui.core.atomic import write_text

    out_dir = os.fspath(out_dir)
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as exc:
        raise DataError(f"{out_dir}: cannot create the output folder ({exc.strerror})") from None
    paths = []
    for name in SPLIT_NAMES:
        path = os.path.join(out_dir, f"{name}.tsv")
        write_text(path, data.split(name).to_dataframe().to_csv(sep="\t", index=False))
        paths.append(path)
    path = os.path.join(out_dir, "truth.tsv")
    write_text(path, data.truth.to_csv(sep="\t", index=False))
    paths.append(path)
    return paths
