"""Motif analyses of a model as generator jobs, Qt-free: class optimization with live progress,
first-layer filter motifs, motifs extracted by each Deep Motif Dashboard method, and their Tomtom
matches in JASPAR.

Every job is a generator: it yields `JobProgress` events (`done`, `total`, `text` and an optional
`payload`, e.g. the current class-optimization PWM) and *returns* its outcome, so the Qt panels
run it in a `deemo_gui.qt.workers.Worker` (progress in the status bar, cancel = close the
generator at its next yield) and Python users simply drain it::

    from deemo_gui.viewer import Viewer
    from deemo_gui.viewer import motif_jobs as mj

    viewer = Viewer()
    viewer.open("resources/data/selex_alx4/alx4_round4.txt")
    entry = viewer.add_model("models/REST_GM12878_cnn.safetensors")
    out = mj.run(mj.classopt_job(entry, target=0, steps=1000))
    out.matches.head()                        # Tomtom matches of the optimized motif in JASPAR
    seqs = mj.collect_sequences(viewer, entry)   # the open sequences (positives when labelled)
    filters = mj.run(mj.filters_job(entry, seqs.seqs))
    [(m.pwm.id, m.best_name, m.best_E) for m in filters.motifs]

Tomtom (memelite, numba) compiles its kernels on first use; `warm_up()` pays that once (~40-80 s
the very first time on a laptop, cached on disk afterwards) and should run in a background thread
at start-up. Every Tomtom call here goes through one lock, so a warm-up, a filter job and a class
optimization never run numba's parallel kernels (and `numba.set_num_threads`) at the same time.

Targets are JASPAR CORE vertebrates of one release (`DEFAULT_RELEASE` unless chosen), the
collection the Deep Motif Dashboard and Koo & Eddy compared with.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from deemo_gui.core.errors import ConfigError, DataError
from deemo_gui.viewer.keys import MotifJobKey
from deemo_gui.viewer.modelinfo import (
    JASPAR_RELEASE,
    drain,
    has_first_conv,
    input_length,
    is_recurrent,
    logo_heights,
    model_name,
)

if TYPE_CHECKING:
    import pandas as pd


DEFAULT_RELEASE = JASPAR_RELEASE  # of every panel: `modelinfo.JASPAR_RELEASE`
COLLECTION, TAX_GROUP = "CORE", "vertebrates"
# At most this many sequences feed filter / extraction jobs (ours: a few thousand windows make
# stable PWMs; more only costs time). The first ones in file order are used, as `deemo motifs --max-seqs`.
MAX_SEQUENCES = 5000
# Extraction by saliency / temporal output costs a backward pass or L prefixes per sequence: fewer (ours).
EXTRACT_MAX_SEQUENCES = 1000
# Tomtom rows kept per query for tables (the full DataFrame is kept in the outcome too).
TOP_MATCHES = 25
# Ours: a best match with E < 0.05 is shown as a match, weaker ones as "no clear match" (MEME
# Tomtom itself reports every match with q <= 0.5).
E_THRESHOLD = 0.05
# Extraction methods of the Motifs panel: Deep Motif Dashboard sec. 3.4 and DeepBind's baseline.
EXTRACT_METHODS = ("saliency", "temporal", "classopt", "activation")
METHOD_LABELS = {
    "saliency": "Saliency 9-mers",
    "temporal": "Temporal output",
    "classopt": "Class optimization",
    "activation": "Convolution activation",
    "filters": "First-layer filters",
}

_TOMTOM_LOCK = threading.RLock()
_WARM = threading.Event()
_WARM_SECONDS: list[float] = []


# ---------------------------------------------------------------------------------------------
# Progress events and running jobs


@dataclass
class JobProgress:
    """One progress report of a job: `done` of `total` (0: unknown), a line of text, a payload."""

    done: int
    total: int
    text: str
    payload: Any = None

    def as_tuple(self) -> tuple[int, int, str]:
        return self.done, self.total, self.text


def progress_of(event) -> tuple[int, int, str] | None:
    """`Worker(progress=...)` adaptor: a JobProgress as (done, total, text)."""
    return event.as_tuple() if isinstance(event, JobProgress) else None


run = drain  # drain a job generator (optionally calling `on_progress(event)`) and return its outcome


# ---------------------------------------------------------------------------------------------
# JASPAR and Tomtom


def jaspar_motifs(release: str | None = None) -> list:
    """JASPAR CORE vertebrates of `release` (None: `DEFAULT_RELEASE`, else the newest available)."""
    from deemo_gui.core.motifs import JasparDB, releases

    if release is None:
        release = DEFAULT_RELEASE if DEFAULT_RELEASE in releases() else None
    return JasparDB(release).all(collection=COLLECTION, tax_group=TAX_GROUP)


def search_jaspar(pwms: Iterable, text: str) -> list:
    """Matrices whose ID starts with `text` (MA0139, MA0139.2) or whose TF name contains it
    (case-insensitive; "ctcf" finds CTCF and CTCFL). Empty text: all of them."""
    want = text.strip().lower()
    pwms = list(pwms)
    if not want:
        return pwms
    by_id = sorted((p for p in pwms if p.id.lower().startswith(want)), key=lambda p: p.id)
    if by_id:
        return by_id
    exact = sorted(
        (p for p in pwms if p.name.lower() == want or want in p.name.lower().split("::")), key=lambda p: p.id
    )
    taken = {id(p) for p in exact}
    rest = sorted((p for p in pwms if want in p.name.lower() and id(p) not in taken), key=lambda p: (p.name, p.id))
    return exact + rest


def warm_up() -> float:
    """Compile memelite's Tomtom kernels once per process (seconds taken; 0 when already done)."""
    if _WARM.is_set():
        return 0.0
    from deemo_gui.core.motifs import warm_up_tomtom

    with _TOMTOM_LOCK:
        if _WARM.is_set():
            return 0.0
        seconds = warm_up_tomtom()
        _WARM_SECONDS.append(seconds)
        _WARM.set()
    return seconds


def is_warm() -> bool:
    return _WARM.is_set()


def tomtom(queries, targets) -> pd.DataFrame:
    """`core.motifs.compare` under the module's lock (one numba Tomtom at a time)."""
    import warnings

    from deemo_gui.core.motifs import compare

    queries = list(queries)
    with _TOMTOM_LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # memelite warns about small target sets; ours are ~900
        df = compare(queries, targets)
        _WARM.set()
    return df


def _jaspar_by_id(targets) -> dict:
    return {t.id: t for t in targets}


@dataclass
class MotifMatches:
    """A motif and its Tomtom matches (rows sorted by p), with the best JASPAR matrix itself."""

    pwm: Any  # the query PWM
    matches: Any  # DataFrame, TOMTOM_COLUMNS, this query's rows, best first
    best: Any = None  # PWM of the best match (None without matches)
    label: str = ""  # e.g. "filter 12" or "Saliency 9-mers"
    method: str = ""

    # Computed once: sorting and counting 4,096 filters asked pandas for each row several times (0.5 s).
    @cached_property
    def best_row(self):
        return None if self.matches is None or self.matches.empty else self.matches.iloc[0]

    @property
    def best_id(self) -> str:
        row = self.best_row
        return "" if row is None else str(row["target_id"])

    @property
    def best_name(self) -> str:
        row = self.best_row
        return "" if row is None else str(row["target_name"])

    @cached_property
    def best_E(self) -> float:
        row = self.best_row
        return float("inf") if row is None else float(row["E"])

    @cached_property
    def low_information(self) -> bool:
        """Too little information for Tomtom's matches to mean anything (`core.motifs.low_information`)."""
        from deemo_gui.core.motifs import low_information

        return low_information(self.pwm)

    @property
    def significant(self) -> bool:
        """A best match with E < `E_THRESHOLD` of a motif that is not `low_information`."""
        return self.best_E < E_THRESHOLD and not self.low_information


def _split_matches(pwms, df, targets, top: int = TOP_MATCHES, labels=None, methods=None) -> list[MotifMatches]:
    by_id = _jaspar_by_id(targets)
    out = []
    groups = {q: g for q, g in df.groupby("query", sort=False)} if len(df) else {}
    for k, pwm in enumerate(pwms):
        rows = groups.get(pwm.id)
        rows = rows.head(top).reset_index(drop=True) if rows is not None else df.head(0)
        best = by_id.get(str(rows.iloc[0]["target_id"])) if len(rows) else None
        out.append(
            MotifMatches(
                pwm, rows, best, label=(labels[k] if labels else pwm.name), method=(methods[k] if methods else "")
            )
        )
    return out


def _unique_ids(pwms) -> list:
    """Tomtom rows are keyed by query id: make ids unique (copies, the originals are untouched)."""
    import copy

    seen: dict[str, int] = {}
    out = []
    for p in pwms:
        k = seen.get(p.id, 0)
        seen[p.id] = k + 1
        if k:
            p = copy.copy(p)
            p.id = f"{p.id}_{k + 1}"
        out.append(p)
    return out


def match_job(pwms, release: str | None = None, chunk: int = 16, labels=None, methods=None):
    """Tomtom `pwms` against JASPAR in chunks (progress and cancel between chunks).

    Returns a list of `MotifMatches`, one per query, in input order.
    """
    import pandas as pd

    pwms = _unique_ids(list(pwms))
    yield JobProgress(0, 0, f"Reading JASPAR {release or DEFAULT_RELEASE}…")
    targets = jaspar_motifs(release)
    if not is_warm():
        yield JobProgress(0, 0, "Compiling Tomtom (first use only, about a minute)…")
    frames = []
    for start in range(0, len(pwms), chunk):
        yield JobProgress(
            start,
            len(pwms),
            f"Tomtom: motif {start + 1}-{min(start + chunk, len(pwms))} "
            f"of {len(pwms)} against {len(targets)} JASPAR matrices",
        )
        frames.append(tomtom(pwms[start : start + chunk], targets))
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    yield JobProgress(len(pwms), len(pwms), "Tomtom done")
    return _split_matches(pwms, df, targets, labels=labels, methods=methods)


# ---------------------------------------------------------------------------------------------
# Sequences and models


@dataclass
class SequenceSample:
    """The sequences a motif job reads, already fitted to the model's input length."""

    seqs: list[str]
    description: str
    n_open: int = 0
    positives_only: bool = False


def collect_sequences(
    viewer, model, target: int = 0, positives: bool = True, max_seqs: int | None = MAX_SEQUENCES
) -> SequenceSample:
    """The open sequences (with edits) for `model`: positives of task `target` when the files have
    labels and `positives` is set (Koo & Eddy and the DeMo Dashboard use bound sequences), the first
    `max_seqs` of them, centre-cropped or N-padded to the model's input length. Call on the thread
    that owns the viewer (cheap: strings only)."""
    from deemo_gui.viewer.sequences import fit_one

    n = viewer.n_sequences
    if n == 0:
        raise DataError("no sequences are open: open a sequence file first (File ▸ Open)")
    L = input_length(model) or 101
    picked: list[int] = []
    labelled = False
    for f_index, f in enumerate(viewer.files):
        offset = viewer.store.offsets[f_index]
        labels = f.data.labels
        if positives and labels is not None and labels.shape[1] > target and np.any(labels[:, target] == 0):
            labelled = True
            idx = np.flatnonzero(labels[:, target] == 1) + offset
        else:
            idx = np.arange(len(f.data)) + offset
        picked.extend(int(i) for i in idx)
    if not picked:
        raise DataError(f"the open files have no positive sequences for task {target}")
    total = len(picked)
    if max_seqs is not None and max_seqs > 0:
        picked = picked[: int(max_seqs)]
    raw = [viewer.sequence(i) for i in picked]
    seqs = [fit_one(s, L) for s in raw]
    what = "positive" if labelled else "open"
    used = f"{len(seqs):,}" if len(seqs) == total else f"the first {len(seqs):,} of {total:,}"
    fitted = sum(len(s) != L for s in raw)
    how = f"{L} nt" if not fitted else f"{fitted:,} of them centre-cropped or N-padded to the model's {L} nt"
    return SequenceSample(seqs, f"{used} {what} sequences ({how})", n_open=n, positives_only=labelled)


def _sequences_hash(seqs):
    """What a cache key keeps of the sequences a job read (None for one-hot arrays: not cached apart)."""
    return hash(tuple(seqs)) if len(seqs) and isinstance(seqs[0], str) else None


def _onehot(seqs) -> np.ndarray:
    from deemo_gui.core.sequences import one_hot

    if not len(seqs):
        raise DataError("no sequences to analyse")
    return one_hot(list(seqs))


# ---------------------------------------------------------------------------------------------
# Class optimization


# Defaults: QData/DeepMotif class_optimization.lua, via core.explain.classopt (lam 0.009, lr 0.05,
# 1000 RMSprop steps); the query width 9 is DeMo Dashboard sec. 3.4.
@dataclass
class ClassOptSettings:
    target: int = 0
    lam: float = 0.009
    lr: float = 0.05
    steps: int = 1000
    restarts: int = 1
    seed: int = 0
    width: int = 9
    every: int = 25
    parametrization: str = "demo"  # core.explain.classopt: "demo" (the DeMo code) or "simplex"

    def key(self, name: str, release: str | None) -> MotifJobKey:
        return MotifJobKey(
            "classopt",
            name,
            (self.target, self.lam, self.lr, self.steps, self.restarts, self.seed, self.width, self.parametrization),
            release or DEFAULT_RELEASE,
        )


@dataclass
class ClassOptOutcome:
    """A finished class optimization: the core result, the Tomtom query (the `width` most
    informative columns of the PWM, DeMo sec. 3.4) and its JASPAR matches."""

    result: Any  # core.explain.ClassOptResult (pwm, score, history, ...)
    query: Any  # PWM: the most informative window
    query_start: int  # its first column in result.pwm
    match: MotifMatches
    settings: ClassOptSettings = field(default_factory=ClassOptSettings)
    release: str = DEFAULT_RELEASE
    seconds: float = 0.0

    @property
    def matches(self):
        return self.match.matches


def _optimize(model, borrow, s: ClassOptSettings, text):
    """The class optimization of `s` through `classopt_cache.SERVICE` (computed once ever per
    weights, task and settings), each step with the network borrowed; yields `JobProgress` built
    by `text(item)` with the core's progress as payload, returns the `ClassOptResult`."""
    from deemo_gui.viewer.classopt_cache import SERVICE, ClassOptKey, weights_hash
    from deemo_gui.viewer.runtime import stepwise

    key = ClassOptKey(
        weights_hash(model), s.target, s.steps, s.lam, s.lr, s.restarts, s.seed, parametrization=s.parametrization
    )
    steps = stepwise(borrow, lambda net: SERVICE.steps(net, key, s.every))
    try:
        while True:
            try:
                item = next(steps)
            except StopIteration as stop:
                return stop.value
            yield text(item)
    finally:
        steps.close()


def classopt_job(
    model,
    target: int = 0,
    lam: float = 0.009,
    lr: float = 0.05,
    steps: int = 1000,
    restarts: int = 1,
    seed: int = 0,
    width: int = 9,
    every: int = 25,
    release: str | None = None,
    cache=None,
    name: str | None = None,
    borrow=None,
    parametrization: str = "demo",
):
    """Class optimization (DeMo Dashboard sec. 3.3) with progress, then Tomtom of its most
    informative `width` columns against JASPAR. Yields `JobProgress` whose payload is the core's
    `ClassOptProgress` (step, P(+), current PWM) during the optimization; returns `ClassOptOutcome`.

    `model`: a viewer `ModelEntry` or a network; `cache`: a `ResultsCache` (e.g. `viewer.results`);
    `borrow`: how the job gets the network (the app's `runtime.Owner.lend`; default: its own).
    """
    from deemo_gui.core.explain.extract import best_windows, motif_from_class_optimization
    from deemo_gui.viewer.runtime import free_borrow

    s = ClassOptSettings(
        int(target),
        float(lam),
        float(lr),
        int(steps),
        int(restarts),
        int(seed),
        int(width),
        max(1, int(every)),
        str(parametrization),
    )
    name = name or model_name(model)
    key = s.key(name, release)
    if cache is not None:
        hit = cache.get(key)
        if hit is not None:
            return hit
    t0 = time.perf_counter()
    yield JobProgress(0, s.steps, "Loading the model…")
    borrow = borrow or free_borrow(model)
    with borrow() as module:
        length = int(getattr(module, "input_length", s.width))
    if s.width > length:
        raise ConfigError(f"query width {s.width} is longer than the model's input ({length} nt)")
    result = yield from _optimize(
        model,
        borrow,
        s,
        lambda item: JobProgress(
            item.step, item.steps, f"step {item.step}/{item.steps}: P(+) = {item.score:.3f}", item
        ),
    )
    query = motif_from_class_optimization(result, min(s.width, result.pwm.width))
    ic = result.pwm.information_content()
    start = int(best_windows(ic[None, :], query.width)[0])
    matches = yield from match_job([query], release)
    outcome = ClassOptOutcome(result, query, start, matches[0], s, release or DEFAULT_RELEASE, time.perf_counter() - t0)
    if cache is not None:
        cache.put(key, outcome)
    return outcome


# ---------------------------------------------------------------------------------------------
# First-layer filters (Koo & Eddy 2019)


@dataclass
class FiltersOutcome:
    motifs: list  # MotifMatches per filter with enough sites, filter order
    n_filters: int  # filters in the first layer
    n_sequences: int
    threshold: float
    release: str = DEFAULT_RELEASE
    seconds: float = 0.0

    @property
    def left_out(self) -> int:
        return self.n_filters - len(self.motifs)


def filters_job(
    model,
    seqs,
    threshold: float = 0.5,
    min_sites: int = 10,
    release: str | None = None,
    cache=None,
    name: str | None = None,
    description: str = "",
    borrow=None,
):
    """Koo & Eddy filter PWMs of the first convolution over `seqs` (strings of the model's length,
    or one-hot (N, 4, L)), each compared with JASPAR by Tomtom. Returns `FiltersOutcome`.

    Defaults: threshold 0.5 x each filter's maximum activation (Koo & Eddy's code; their text says
    0.7), filters with fewer than 10 activating windows left out (ours), flanks under 0.5 bits
    trimmed with 3 columns kept (Koo & Eddy `clip_filters`). `borrow`: as for `classopt_job`.
    """
    from deemo_gui.core.explain import filter_pwms
    from deemo_gui.viewer.runtime import free_borrow

    name = name or model_name(model)
    n_seqs = len(seqs)
    key = MotifJobKey(
        "filters", name, (float(threshold), int(min_sites), n_seqs, _sequences_hash(seqs)), release or DEFAULT_RELEASE
    )
    if cache is not None:
        hit = cache.get(key)
        if hit is not None:
            return hit
    t0 = time.perf_counter()
    yield JobProgress(0, 0, "Loading the model…")
    borrow = borrow or free_borrow(model)
    with borrow() as module:
        if not has_first_conv(module):
            raise ConfigError(
                f"{name}: filter motifs need a network with a first convolution layer "
                f"(cnn, deepbind, cnn-rnn presets); {getattr(module, 'preset', '?')!r} has none"
            )
        n_filters = int(module.first_conv.out_channels)
    X = _onehot(seqs) if n_seqs and isinstance(seqs[0], str) else np.asarray(seqs)
    yield JobProgress(0, 0, f"First-layer activations on {n_seqs:,} sequences…")
    with borrow() as module:
        pwms = filter_pwms(module, X, threshold=float(threshold), min_sites=int(min_sites))
    labels = [p.name for p in pwms]
    matches = yield from match_job(pwms, release, labels=labels, methods=["filters"] * len(pwms))
    outcome = FiltersOutcome(
        matches, n_filters, n_seqs, float(threshold), release or DEFAULT_RELEASE, time.perf_counter() - t0
    )
    if cache is not None:
        cache.put(key, outcome)
    return outcome


# ---------------------------------------------------------------------------------------------
# Motif extraction by method (DeMo Dashboard sec. 3.4)


@dataclass
class ExtractOutcome:
    motifs: list  # MotifMatches, each with .method
    skipped: dict  # method -> why it was not run (e.g. temporal on a CNN)
    n_sequences: int
    release: str = DEFAULT_RELEASE
    seconds: float = 0.0

    def by_method(self, method: str) -> list:
        return [m for m in self.motifs if m.method == method]


def available_methods(model) -> dict[str, str]:
    """{method: ""} when it applies to `model`, else {method: why not} (reads only what is loaded)."""
    from deemo_gui.core.methods import RECURRENT_ONLY

    out = {}
    recurrent, conv = is_recurrent(model), has_first_conv(model)
    for m in EXTRACT_METHODS:
        if m == "temporal" and not recurrent:
            out[m] = RECURRENT_ONLY
        elif m == "activation" and not conv:
            out[m] = "convolution activation needs a first convolution layer"
        else:
            out[m] = ""
    return out


def extract_job(
    model,
    seqs,
    methods: Iterable[str] = EXTRACT_METHODS,
    target: int = 0,
    width: int = 9,
    min_sites: int = 10,
    classopt_steps: int = 1000,
    release: str | None = None,
    cache=None,
    name: str | None = None,
    chunk: int = 250,
    borrow=None,
):
    """Motifs of `model` by each method over `seqs` (positives), each compared with JASPAR.

    saliency / temporal: the best 9-nt window of each sequence (DeMo sec. 3.4); class optimization:
    the 9 most informative columns of the optimized input; activation: DeepBind's per-filter
    maximum-activation windows. Methods that do not apply to the model are skipped with the reason.
    Returns `ExtractOutcome`. `borrow`: as for `classopt_job`.
    """
    from deemo_gui.core.explain import (
        activation_pwms,
        motif_from_class_optimization,
        motif_from_saliency,
        motif_from_temporal,
        saliency,
        temporal,
    )
    from deemo_gui.viewer.runtime import free_borrow

    methods = [m for m in methods]
    bad = [m for m in methods if m not in EXTRACT_METHODS]
    if bad:
        raise ConfigError(f"motif method must be one of {', '.join(EXTRACT_METHODS)}, got {bad[0]!r}")
    name = name or model_name(model)
    n_seqs = len(seqs)
    key = MotifJobKey(
        "extract",
        name,
        (tuple(methods), int(target), int(width), int(min_sites), int(classopt_steps), n_seqs, _sequences_hash(seqs)),
        release or DEFAULT_RELEASE,
    )
    if cache is not None:
        hit = cache.get(key)
        if hit is not None:
            return hit
    t0 = time.perf_counter()
    yield JobProgress(0, len(methods), "Loading the model…")
    borrow = borrow or free_borrow(model)
    with borrow() as module:
        why = available_methods(module)
    X = None
    pwms, meths, skipped = [], [], {}
    for k, method in enumerate(methods):
        if why.get(method):
            skipped[method] = why[method]
            continue
        label = METHOD_LABELS[method]
        yield JobProgress(k, len(methods), f"{label} ({k + 1}/{len(methods)})…")
        if method != "classopt" and X is None:
            X = _onehot(seqs) if n_seqs and isinstance(seqs[0], str) else np.asarray(seqs)
        if method in ("saliency", "temporal"):
            assert X is not None  # one-hot above for every method but classopt
            # per chunk of sequences, so the job reports progress and can be cancelled in between
            parts = []
            for start in range(0, len(X), chunk):
                yield JobProgress(
                    k, len(methods), f"{label}: sequences {start + 1:,}-{min(start + chunk, len(X)):,} of {len(X):,}"
                )
                with borrow() as module:
                    if method == "saliency":
                        parts.append(saliency(module, X[start : start + chunk], target=target))
                    else:
                        parts.append(temporal(module, X[start : start + chunk], target=target)[0])
            scores = np.concatenate(parts)
            if method == "saliency":
                found = [motif_from_saliency(X, attr=scores, width=width)]
            else:
                try:
                    found = [motif_from_temporal(X, forward=scores, width=width)]
                except DataError as err:  # no sequence switches to positive after the start transient
                    skipped[method] = str(err)
                    continue
        elif method == "activation":
            with borrow() as module:
                found = activation_pwms(module, X, min_sites=min_sites)
        else:
            settings = ClassOptSettings(target=int(target), steps=int(classopt_steps), every=50)
            result = yield from _optimize(
                model,
                borrow,
                settings,
                lambda item, k=k, label=label: JobProgress(
                    k, len(methods), f"{label}: step {item.step}/{item.steps}, P(+) = {item.score:.3f}"
                ),
            )
            found = [motif_from_class_optimization(result, min(width, result.pwm.width))]
        pwms.extend(found)
        meths.extend([method] * len(found))
    matches = []
    if pwms:
        matches = yield from match_job(pwms, release, labels=[p.name for p in pwms], methods=meths)
    outcome = ExtractOutcome(matches, skipped, n_seqs, release or DEFAULT_RELEASE, time.perf_counter() - t0)
    if cache is not None:
        cache.put(key, outcome)
    return outcome


# ---------------------------------------------------------------------------------------------
# Drawing helpers shared by the panels (pure numpy)


logo_bits = logo_heights  # classic logo heights (bits), as the other panels draw them


def aligned(query, target_pwm, row) -> tuple:
    """(query x0, target PWM on the matched strand, target x0): draw both with columns centred on
    x0 + i and the Tomtom alignment lines up (query column i on target column i + offset)."""
    strand = str(row["strand"])
    offset = int(row["offset"])
    t = target_pwm.reverse_complement() if strand == "-" else target_pwm
    return 0, t, -offset
