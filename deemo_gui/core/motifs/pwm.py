"""The position weight matrix type used everywhere in deemo: probabilities `(4, W)`, rows A C G T.

A `PWM` holds letter probabilities (each column sums to 1), and, when it came from a count matrix
(JASPAR, a MEME file with `nsites`), the counts it was made from. Scores derived from it
(`information_content`, `log_odds`) are computed on demand and never stored, so a PWM is one
source of truth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from deemo_gui.core.errors import DataError

ALPHABET = "ACGT"
UNIFORM = (0.25, 0.25, 0.25, 0.25)

# Column sums within this of 1 are accepted as probabilities (and renormalized silently);
# text formats print 4-6 decimals, so their columns are off by up to ~1e-4.
SUM_TOLERANCE = 1e-3


def _as_matrix(values, what: str, motif: str) -> np.ndarray:
    try:
        m = np.array(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"motif {motif!r}: {what} is not numeric ({exc})") from None
    if m.ndim != 2 or m.shape[0] != 4:
        raise DataError(f"motif {motif!r}: {what} must have shape (4, W) with rows A C G T, got {m.shape}")
    if m.shape[1] == 0:
        raise DataError(f"motif {motif!r}: {what} has no columns")
    if not np.all(np.isfinite(m)):
        raise DataError(f"motif {motif!r}: {what} contains NaN or infinite values")
    if np.any(m < 0):
        raise DataError(f"motif {motif!r}: {what} contains negative values")
    return m


@dataclass(eq=False)
class PWM:
    """A DNA motif: `probs` `(4, W)`, rows A C G T, columns summing to 1.

    `counts` (same shape) and `nsites` are kept when known; `source` says where the matrix came
    from (a JASPAR release, a file path, "filter 12 of model.safetensors", ...).
    """

    id: str
    name: str
    probs: np.ndarray
    counts: np.ndarray | None = None
    nsites: float | None = None
    source: str = ""

    def __post_init__(self):
        label = self.id or self.name or "unnamed"
        probs = _as_matrix(self.probs, "probability matrix", label)
        sums = probs.sum(axis=0)
        bad = np.flatnonzero(np.abs(sums - 1.0) > SUM_TOLERANCE)
        if bad.size:
            raise DataError(
                f"motif {label!r}: column {bad[0] + 1} sums to {sums[bad[0]]:.4g}, not 1; "
                "use PWM.from_counts for counts or PWM.from_probs to renormalize"
            )
        # exact renormalization only where needed, so rc(rc(m)) == m bit for bit
        self.probs = probs / sums if np.any(np.abs(sums - 1.0) > 1e-9) else probs
        if self.counts is not None:
            self.counts = _as_matrix(self.counts, "count matrix", label)
            if self.counts.shape != self.probs.shape:
                raise DataError(
                    f"motif {label!r}: counts {self.counts.shape} and probabilities {self.probs.shape} differ in shape"
                )

    # -- constructors --------------------------------------------------------------------------

    @classmethod
    def from_counts(
        cls,
        counts,
        pseudocount: float = 0.0,
        id: str = "",
        name: str = "",
        source: str = "",
        nsites: float | None = None,
    ) -> PWM:
        """Probabilities `(c + pseudocount) / (n + 4 * pseudocount)` per column.

        `nsites` defaults to the largest column total (JASPAR columns can differ slightly).
        """
        label = id or name or "unnamed"
        c = _as_matrix(counts, "count matrix", label)
        if pseudocount < 0:
            raise DataError(f"motif {label!r}: pseudocount must be >= 0, got {pseudocount}")
        totals = c.sum(axis=0)
        empty = np.flatnonzero(totals + 4 * pseudocount <= 0)
        if empty.size:
            raise DataError(f"motif {label!r}: column {empty[0] + 1} has no counts; remove it or add a pseudocount")
        probs = (c + pseudocount) / (totals + 4 * pseudocount)
        if nsites is None:
            nsites = float(totals.max())
        return cls(id=id, name=name, probs=probs, counts=c, nsites=nsites, source=source)

    @classmethod
    def from_probs(cls, probs, id: str = "", name: str = "", source: str = "", nsites: float | None = None) -> PWM:
        """From probabilities (or any non-negative weights): each column is renormalized to 1."""
        label = id or name or "unnamed"
        p = _as_matrix(probs, "probability matrix", label)
        sums = p.sum(axis=0)
        empty = np.flatnonzero(sums <= 0)
        if empty.size:
            raise DataError(f"motif {label!r}: column {empty[0] + 1} is all zero")
        return cls(id=id, name=name, probs=p / sums, nsites=nsites, source=source)

    # -- properties ----------------------------------------------------------------------------

    @property
    def width(self) -> int:
        return int(self.probs.shape[1])

    def __len__(self) -> int:
        return self.width

    def information_content(self, background=None) -> np.ndarray:
        """Information per column in bits, `(W,)`.

        Uniform background (default): `2 - H(column)`, H the Shannon entropy in bits (Schneider
        & Stephens 1990). Other backgrounds: the relative entropy `sum p log2(p / b)`.
        """
        p = self.probs
        with np.errstate(divide="ignore", invalid="ignore"):
            if background is None:
                plogp = np.where(p > 0, p * np.log2(p), 0.0)
                return 2.0 + plogp.sum(axis=0)
            b = np.asarray(background, dtype=np.float64).reshape(4, 1)
            terms = np.where(p > 0, p * np.log2(p / b), 0.0)
            return terms.sum(axis=0)

    @property
    def total_ic(self) -> float:
        """Sum of `information_content()` over columns, in bits."""
        return float(self.information_content().sum())

    def consensus(self) -> str:
        """Most probable letter per column (ties: the first of A C G T)."""
        return "".join(ALPHABET[i] for i in self.probs.argmax(axis=0))

    # -- derived matrices ------------------------------------------------------------------------

    def reverse_complement(self) -> PWM:
        """The motif on the other strand: letters complemented (A<->T, C<->G), columns reversed.

        Rows are A C G T, so complementing is reversing the rows. Keeps id and name.
        """
        counts = None if self.counts is None else np.ascontiguousarray(self.counts[::-1, ::-1])
        return PWM(
            id=self.id,
            name=self.name,
            probs=np.ascontiguousarray(self.probs[::-1, ::-1]),
            counts=counts,
            nsites=self.nsites,
            source=self.source,
        )

    def slice(self, start: int, stop: int) -> PWM:
        """Columns `start:stop` (0-based, stop exclusive) as a new PWM."""
        if not 0 <= start < stop <= self.width:
            raise DataError(f"motif {self.id!r}: cannot take columns {start}:{stop} of width {self.width}")
        counts = None if self.counts is None else self.counts[:, start:stop].copy()
        return PWM(
            id=self.id,
            name=self.name,
            probs=self.probs[:, start:stop].copy(),
            counts=counts,
            nsites=self.nsites,
            source=self.source,
        )

    def trim(self, min_ic: float = 0.25, pad: int = 0) -> PWM:
        """Drop low-information flanks: keep from the first to the last column with IC >= `min_ic`
        bits, plus `pad` columns either side where the motif has them.

        Default 0.25 bits: a column of (0.6, 0.2, 0.1, 0.1) has 0.43 bits, a uniform one 0.
        Koo & Eddy's `clip_filters` used 0.5 bits with pad 3 for CNN filters. If no column reaches
        `min_ic`, the motif is returned unchanged.
        """
        keep = np.flatnonzero(self.information_content() >= min_ic)
        if keep.size == 0:
            return self.slice(0, self.width)
        start = max(int(keep[0]) - pad, 0)
        stop = min(int(keep[-1]) + 1 + pad, self.width)
        return self.slice(start, stop)

    def log_odds(self, background=UNIFORM, pseudocount: float = 0.01) -> np.ndarray:
        """Log2-odds scoring matrix `(4, W)`: `log2(p' / b)` with `p' = (p + pseudocount * b) /
        (1 + pseudocount)`.

        The pseudocount is a probability mass spread like the background (MEME's convention),
        so zero probabilities get a finite penalty: with the default 0.01 and a uniform
        background, a letter never seen scores log2(0.01) = -6.6 bits.
        """
        b = np.asarray(background, dtype=np.float64).reshape(4, 1)
        if np.any(b <= 0) or abs(b.sum() - 1) > SUM_TOLERANCE:
            raise DataError(f"background {tuple(b.ravel())} must be 4 positive frequencies summing to 1")
        if pseudocount < 0:
            raise DataError(f"pseudocount must be >= 0, got {pseudocount}")
        p = (self.probs + pseudocount * b) / (1.0 + pseudocount)
        with np.errstate(divide="ignore"):
            return np.log2(p / b)

    def to_dataframe(self, kind: str = "probability") -> pd.DataFrame:
        """`W x 4` DataFrame, columns A C G T, index = position (0-based): logomaker's data model.

        kind: "probability"; "information" (probability x column IC, the classic logo heights);
        "counts" (needs counts); "log_odds" (uniform background, default pseudocount).
        """
        if kind == "probability":
            values = self.probs
        elif kind == "information":
            values = self.probs * self.information_content()[None, :]
        elif kind == "counts":
            if self.counts is None:
                raise DataError(f"motif {self.id!r} has no counts, only probabilities")
            values = self.counts
        elif kind == "log_odds":
            values = self.log_odds()
        else:
            raise ValueError(f"kind must be probability, information, counts or log_odds, not {kind!r}")
        df = pd.DataFrame(np.asarray(values).T.copy(), columns=list(ALPHABET))
        df.index.name = "pos"
        return df

    def __repr__(self) -> str:
        src = f", source={self.source!r}" if self.source else ""
        return (
            f"PWM(id={self.id!r}, name={self.name!r}, width={self.width}, "
            f"consensus={self.consensus()!r}, total_ic={self.total_ic:.2f}{src})"
        )
