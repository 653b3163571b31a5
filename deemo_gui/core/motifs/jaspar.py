"""Offline JASPAR: the SQLite releases that ship inside the `pyjaspar` package (2014 - 2026).

Nothing is downloaded. Every call opens its own connection to the release's SQLite file, so a
`JasparDB` may be created in one thread and used in another (sqlite3 connections may not).
Matrices are returned as `PWM`s built from JASPAR's count matrices without a pseudocount
(`probs = counts / column total`); scoring functions add their own pseudocount.

Whole collections (`JasparDB.all`) are cached per (release, collection, taxonomic group): the
first call reads ~900 matrices in about a second, later calls are free. Cached PWMs have
read-only arrays, so no caller can change another's copy.
"""

from __future__ import annotations

import re
import threading
import warnings

import numpy as np

from deemo_gui.core.errors import DataError
from deemo_gui.core.motifs.pwm import PWM

_ID = re.compile(r"^([A-Z]{2}\d{4,})(?:\.(\d+))?$")
_CACHE: dict[tuple, tuple[PWM, ...]] = {}
_CACHE_LOCK = threading.Lock()


def releases() -> list[str]:
    """The JASPAR releases available offline, oldest first (e.g. ['JASPAR2014', ..., 'JASPAR2026'])."""
    import os

    from pyjaspar import jaspar_releases
    from pyjaspar.utils import data_dir

    found = [name for name, fn in jaspar_releases.items() if os.path.exists(os.path.join(data_dir(), fn))]
    return sorted(found)


def newest_release() -> str:
    found = releases()
    if not found:
        raise DataError("pyjaspar has no JASPAR SQLite files; reinstall the pyjaspar package")
    return found[-1]


def _freeze(pwm: PWM) -> PWM:
    pwm.probs.setflags(write=False)
    if pwm.counts is not None:
        pwm.counts.setflags(write=False)
    return pwm


def _to_pwm(motif, release: str) -> PWM:
    counts = np.array([motif.counts[b] for b in "ACGT"], dtype=np.float64)
    return PWM.from_counts(counts, id=motif.matrix_id, name=motif.name, source=release)


class JasparDB:
    """One offline JASPAR release. `release=None` means the newest one pyjaspar ships."""

    def __init__(self, release: str | None = None):
        available = releases()
        if release is None:
            release = newest_release()
        if release not in available:
            raise DataError(
                f"JASPAR release {release!r} is not available offline; choose one of {', '.join(available)}"
            )
        self.release = release

    def __repr__(self) -> str:
        return f"JasparDB(release={self.release!r})"

    def _db(self):
        from pyjaspar import jaspardb

        return jaspardb(release=self.release)

    def get(self, matrix_id: str) -> PWM:
        """A matrix by ID: "MA0139.1" exactly, or "MA0139" for its latest version in this release."""
        key = str(matrix_id).strip().upper()
        m = _ID.match(key)
        if not m:
            raise DataError(f"{matrix_id!r} is not a JASPAR matrix ID; use the form MA0139 or MA0139.1")
        db = self._db()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # pyjaspar warns, then returns None
                motif = db.fetch_motif_by_id(key)
        finally:
            db.conn.close()
        if motif is None:
            raise DataError(
                f"{self.release} has no matrix {key}; check the ID at jaspar.elixir.no or try another "
                f"release ({', '.join(releases())})"
            )
        return _to_pwm(motif, self.release)

    def all(self, collection: str | None = "CORE", tax_group: str | None = "vertebrates") -> list[PWM]:
        """Latest version of every matrix of a collection and taxonomic group (None: any)."""
        key = (self.release, (collection or "").upper(), (tax_group or "").lower())
        with _CACHE_LOCK:
            cached = _CACHE.get(key)
        if cached is None:
            db = self._db()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # "Zero motifs returned" for an empty selection
                    motifs = db.fetch_motifs(collection=collection, tax_group=tax_group)
            finally:
                db.conn.close()
            cached = tuple(_freeze(_to_pwm(m, self.release)) for m in motifs)
            with _CACHE_LOCK:
                _CACHE[key] = cached
        return list(cached)

    def search(
        self,
        name: str | None = None,
        collection: str | None = "CORE",
        tax_group: str | None = "vertebrates",
        exact: bool = True,
    ) -> list[PWM]:
        """Matrices whose TF name matches `name`, case-insensitively.

        exact=True: the whole name, or one partner of a dimer ("FOS" finds "FOS::JUN");
        exact=False: any name containing `name`. name=None: everything, like `all`.
        """
        pwms = self.all(collection=collection, tax_group=tax_group)
        if name is None:
            return pwms
        want = name.strip().lower()
        if exact:
            return [p for p in pwms if want == p.name.lower() or want in p.name.lower().split("::")]
        return [p for p in pwms if want in p.name.lower()]
