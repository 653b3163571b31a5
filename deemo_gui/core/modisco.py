"""Motif discovery with TF-MoDISco on a model's attributions, every seqlet mapped back to its sequence.

TF-MoDISco (Shrikumar et al. 2018, arXiv:1811.00416; the engine is modisco-lite, J. Schreiber) cuts
high-attribution windows ("seqlets") out of the contribution scores, clusters them by the similarity
of their *hypothetical* contributions (what each of the four letters would contribute at each
position) and aggregates each cluster into a pattern: its CWM (mean contributions), hypothetical CWM
and PPM (letter frequencies of the seqlets). Here:

- **Attributions** (`hypothetical_scores`): DeepLIFT/SHAP with 20 dinucleotide-shuffled references,
  the field's input to TF-MoDISco (tangermeme `deep_lift_shap(hypothetical=True)`), for the
  convolutional models; the gradient minus its mean over the four letters at each position for
  recurrent models (gradient × input projected onto the simplex: Majdandzic et al. 2023); integrated
  gradients on request (uniform baseline: the hypothetical score of letter b is its path-averaged
  gradient minus their mean, so that hypothetical × one-hot is exactly the IG map).
- **Windows**: a sequence longer than the model's input is explained on its best window
  (`core.windows.scan`), a shorter one N-padded; seqlets are mapped back to sequence coordinates.
- **Patterns** are trimmed as modisco-lite's report trims them (columns with at least 0.3 of the
  largest per-column |CWM| sum) and compared with JASPAR by our own Tomtom (memelite; no MEME).
- The engine runs in a child process (`core.modisco_engine`): a cancel stops it at once.

`modisco_job(...)` is a generator of `ModiscoProgress` returning a `ModiscoResult`; `discover(...)`
runs it to the end.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from deemo_gui.core.errors import ConfigError, DataError

if TYPE_CHECKING:
    import pandas as pd

ATTRIBUTIONS = ("auto", "deeplift", "saliency", "ig")
ATTRIBUTION_SHORT = {"deeplift": "DeepLIFT/SHAP", "saliency": "gradient", "ig": "integrated gradients"}
ATTRIBUTION_LABELS = {
    "given": "given by the caller",
    "deeplift": "DeepLIFT/SHAP (20 dinucleotide shuffles)",
    "saliency": "gradient, mean over letters removed",
    "ig": "integrated gradients (uniform baseline)",
}
# The Motifs panel's default release (viewer.motif_jobs.DEFAULT_RELEASE): the zoo's baseline motifs.
DEFAULT_RELEASE = "JASPAR2024"


def default_release() -> str:
    """`DEFAULT_RELEASE` when it is on disk, else the newest release that is (the desktop bundle
    carries one)."""
    from deemo_gui.core.motifs.jaspar import newest_release, releases

    return DEFAULT_RELEASE if DEFAULT_RELEASE in releases() else newest_release()


# modisco-lite's report trims a pattern to the columns holding >= 0.3 of the largest per-column
# |CWM| sum (modiscolite/report.py, trim_threshold=0.3).
TRIM_THRESHOLD = 0.3
# Tomtom matches kept per pattern (modisco-lite's report shows 3).
TOP_MATCHES = 3
# q below this: a match (as the report's default significance).
MATCH_Q = 0.05
# Sequences explained per attribution batch (progress and cancel between batches).
CHUNK = 64


@dataclass(frozen=True)
class ModiscoSettings:
    """TFMoDISco's parameters, modisco-lite's defaults except where noted."""

    max_seqlets: int = 2000  # modisco-lite's `motifs` command default (-n 2000); its API's: 20000
    window: int = 21  # sliding_window_size
    flank: int = 10  # flank_size
    target_fdr: float = 0.2  # target_seqlet_fdr
    leiden_runs: int = 10  # ours, for interactive use; modisco-lite's default is 50
    min_metacluster_size: int = 100
    final_min_cluster_size: int = 20

    def engine_kwargs(self) -> dict:
        for name in ("max_seqlets", "window", "leiden_runs", "min_metacluster_size", "final_min_cluster_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ConfigError(f"TF-MoDISco {name.replace('_', ' ')} must be a positive whole number, got {value!r}")
        if not isinstance(self.flank, (int, np.integer)) or self.flank < 0:
            raise ConfigError(f"TF-MoDISco flank must be a whole number >= 0, got {self.flank!r}")
        if not 0 < float(self.target_fdr) < 1:
            raise ConfigError(f"TF-MoDISco target FDR must lie between 0 and 1, got {self.target_fdr!r}")
        return {
            "max_seqlets_per_metacluster": int(self.max_seqlets),
            "sliding_window_size": int(self.window),
            "flank_size": int(self.flank),
            "target_seqlet_fdr": float(self.target_fdr),
            "n_leiden_runs": int(self.leiden_runs),
            "min_metacluster_size": int(self.min_metacluster_size),
            "final_min_cluster_size": int(self.final_min_cluster_size),
        }


@dataclass(frozen=True)
class Seqlet:
    """One occurrence of a pattern: `record` (index in the input list), `[start, end)` of the
    pattern's trimmed core in the record's own coordinates (0-based), `strand` "+" when the record
    reads as the forward pattern, `score` the contributions summed over the core."""

    record: int
    start: int
    end: int
    strand: str
    score: float


@dataclass
class Pattern:
    """One TF-MoDISco pattern; matrices `(4, W)` rows A C G T, untrimmed; `trim` the core's columns."""

    name: str  # modisco's own name, e.g. "pos_patterns.pattern_0"
    metacluster: str  # "pos" (positive contributions) or "neg"
    index: int
    ppm: np.ndarray
    cwm: np.ndarray
    hcwm: np.ndarray
    trim: tuple[int, int]
    seqlets: list[Seqlet]
    matches: pd.DataFrame | None = None

    @property
    def label(self) -> str:
        return f"{self.metacluster} {self.index}"

    @property
    def n_seqlets(self) -> int:
        return len(self.seqlets)

    def trimmed(self, kind: str = "cwm", reverse: bool = False) -> np.ndarray:
        """The core of `kind` ("cwm", "hcwm", "ppm"), or of its reverse complement."""
        a, b = self.trim
        m = getattr(self, kind)[:, a:b]
        return np.ascontiguousarray(m[::-1, ::-1] if reverse else m)

    def pwm(self, reverse: bool = False):
        """The trimmed PPM as a `PWM` (id: the pattern's name), the query given to Tomtom."""
        from deemo_gui.core.motifs import PWM

        p = PWM.from_probs(
            self.trimmed("ppm") + 1e-6,
            id=self.name,
            name=f"TF-MoDISco {self.label}",
            source="TF-MoDISco",
            nsites=float(self.n_seqlets),
        )
        return p.reverse_complement() if reverse else p

    @property
    def best(self):
        """The best Tomtom row (a pandas row) or None."""
        return None if self.matches is None or self.matches.empty else self.matches.iloc[0]

    @property
    def matched(self) -> bool:
        row = self.best
        return row is not None and float(row["q"]) < MATCH_Q and not self.low_information

    @property
    def low_information(self) -> bool:
        from deemo_gui.core.motifs import low_information

        return low_information(self.pwm())


@dataclass
class ModiscoResult:
    """Patterns (positive metacluster first, each by decreasing seqlet count) and how they were found."""

    patterns: list[Pattern]
    ids: list[str]
    sequences: list[str]  # as explained (upper case)
    window_starts: np.ndarray  # (N,) model window offset of each record
    attribution: str  # method used ("given": scores_job's caller's own)
    note: str  # why another method than asked, or ""
    release: str | None
    settings: ModiscoSettings
    seconds: dict = field(default_factory=dict)
    model: str = ""
    task: str = ""

    @property
    def lengths(self) -> list[int]:
        return [len(s) for s in self.sequences]

    def seqlet_text(self, seqlet: Seqlet) -> str:
        """The seqlet's bases as they read on its strand (the pattern's orientation)."""
        from deemo_gui.core.sequences import reverse_complement

        text = self.sequences[seqlet.record][seqlet.start : seqlet.end]
        return reverse_complement(text) if seqlet.strand == "-" else text


@dataclass(frozen=True)
class ModiscoProgress:
    stage: str  # "windows", "attributions", "modisco", "tomtom"
    done: int
    total: int  # 0: unknown
    text: str


def progress_of(event):
    """(done, total, text) of a job event, for `qt.workers.Worker(progress=...)`."""
    return (event.done, event.total, event.text) if isinstance(event, ModiscoProgress) else None


# ---------------------------------------------------------------------------------------------
# Attributions


def _has_deeplift() -> bool:
    try:
        from deemo_gui.core.explain import deep_lift_shap  # noqa: F401
    except ImportError:
        return False
    return True


def resolve_attribution(model, method: str = "auto") -> tuple[str, str]:
    """(method, note): "auto" is DeepLIFT/SHAP for convolutional models when available, else the
    projected gradient; the note says why when that is not what TF-MoDISco's authors use."""
    if method not in ATTRIBUTIONS:
        raise ConfigError(f"attribution method must be one of {', '.join(ATTRIBUTIONS)}, got {method!r}")
    recurrent = bool(getattr(model, "is_recurrent", False))
    if method != "auto":
        if method == "deeplift" and not _has_deeplift():
            raise ConfigError("DeepLIFT/SHAP is not available in this installation; use --attribution saliency or ig")
        return method, ""
    if recurrent:
        return "saliency", "recurrent model: DeepLIFT/SHAP has no rule for LSTM gates, gradient used"
    if not _has_deeplift():
        return "saliency", "DeepLIFT/SHAP not available, gradient used"
    return "deeplift", ""


def hypothetical_scores(
    model, X, method: str = "deeplift", target: int = 0, batch_size: int | None = None, device=None
) -> np.ndarray:
    """Hypothetical contributions `(N, 4, L)` of task `target` for one-hot `X` (see the module docstring);
    hypothetical × X is the contribution map. Unknown bases (all-zero columns) get 0."""
    from deemo_gui.core.explain._common import as_onehot

    X = as_onehot(X).numpy()
    kw: dict[str, Any] = {} if batch_size is None else {"batch_size": int(batch_size)}
    if method == "deeplift":
        from deemo_gui.core.explain import deep_lift_shap

        # 512 sequence-reference pairs per pass: twice as fast as its default 128 on a 2-core CPU
        hyp = deep_lift_shap(
            model, X, target=target, hypothetical=True, device=device, batch_size=int(batch_size or 512)
        )
    elif method == "saliency":
        from deemo_gui.core.explain import saliency

        hyp = saliency(model, X, target=target, kind="signed", device=device, **kw)
    elif method == "ig":
        import warnings

        from deemo_gui.core.explain import integrated_gradients

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ig = integrated_gradients(model, X, target=target, baseline="uniform", device=device, **kw)
        grad = ig / (X - 0.25)  # the path-averaged gradient of every letter (X - 0.25 is never 0)
        hyp = grad - grad.mean(axis=1, keepdims=True)
    else:
        raise ConfigError(f"attribution method must be one of {', '.join(ATTRIBUTIONS[1:])}, got {method!r}")
    known = X.sum(axis=1, keepdims=True) > 0
    return np.where(known, hyp, 0.0).astype(np.float32)


# ---------------------------------------------------------------------------------------------
# Patterns


def trim_bounds(cwm: np.ndarray, threshold: float = TRIM_THRESHOLD) -> tuple[int, int]:
    """Columns `[a, b)` from the first to the last with a |CWM| sum >= `threshold` of the largest."""
    score = np.abs(cwm).sum(axis=0)
    if score.size == 0 or not np.any(score > 0):
        return 0, int(score.size)
    keep = np.flatnonzero(score >= threshold * score.max())
    return int(keep[0]), int(keep[-1]) + 1


def _pattern(raw: dict, contrib_pos: np.ndarray, offsets: np.ndarray, lengths: list[int]) -> Pattern:
    cwm, ppm, hcwm = (np.asarray(raw[k], dtype=np.float64).T for k in ("cwm", "ppm", "hcwm"))
    a, b = trim_bounds(cwm)
    seqlets = []
    L = contrib_pos.shape[1]
    for ex, s, e, rc in np.asarray(raw["seqlets"], dtype=np.int64):
        lo, hi = (e - b, e - a) if rc else (s + a, s + b)  # the core in window coordinates
        w_lo, w_hi = max(0, lo), min(L, hi)
        score = float(contrib_pos[ex, w_lo:w_hi].sum()) if w_hi > w_lo else 0.0
        n = lengths[ex]
        start, end = max(0, lo + int(offsets[ex])), min(n, hi + int(offsets[ex]))
        if end > start:
            seqlets.append(Seqlet(int(ex), int(start), int(end), "-" if rc else "+", score))
    meta = raw["metacluster"]
    return Pattern(
        name=f"{meta}_patterns.pattern_{raw['index']}",
        metacluster=meta,
        index=int(raw["index"]),
        ppm=ppm,
        cwm=cwm,
        hcwm=hcwm,
        trim=(a, b),
        seqlets=seqlets,
    )


def _compare(patterns: list[Pattern], targets) -> None:
    from deemo_gui.core.motifs import compare

    if not patterns or not targets:
        return
    df = compare([p.pwm() for p in patterns], targets)
    for p in patterns:
        p.matches = df[df["query"] == p.name].head(TOP_MATCHES).reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# The job


def _windows(model, seqs: list[str], target: int, device):
    """Yields progress; returns (window sequences, offsets)."""
    from deemo_gui.core.windows import pad_offset, scan, window_sequence

    L = int(model.input_length)
    offsets = np.zeros(len(seqs), dtype=np.int64)
    long = [i for i, s in enumerate(seqs) if len(s) > L]
    for k, i in enumerate(long):
        offsets[i] = scan(model, seqs[i], device=device).best_start(target)
        if k % 16 == 0:
            yield ModiscoProgress("windows", k, len(long), f"best windows {k:,}/{len(long):,}")
    for i, s in enumerate(seqs):
        if len(s) < L:
            offsets[i] = pad_offset(len(s), L)
    windows = [s if len(s) == L else window_sequence(s, int(offsets[i]), L) for i, s in enumerate(seqs)]
    return windows, offsets


def modisco_job(
    model,
    seqs,
    *,
    ids=None,
    target: int = 0,
    attribution: str = "auto",
    settings: ModiscoSettings | None = None,
    targets=None,
    release: str | None = DEFAULT_RELEASE,
    batch_size: int | None = None,
    device=None,
):
    """TF-MoDISco on `seqs` (strings, any length) under `model`'s task `target`; yields
    `ModiscoProgress`, returns a `ModiscoResult`. `targets`: PWMs to compare with (default: JASPAR
    `release` CORE vertebrates; `release=None` and no targets: no comparison)."""
    from deemo_gui.core import modisco_engine
    from deemo_gui.core.sequences import one_hot

    seqs = [str(s) for s in seqs]
    if not seqs:
        raise DataError("TF-MoDISco needs sequences: open or give at least one")
    empty = next((i for i, s in enumerate(seqs) if not s), None)
    if empty is not None:
        raise DataError(f"record {ids[empty] if ids else empty + 1!r} is empty; remove it")
    ids = list(ids) if ids is not None else [f"seq{i + 1}" for i in range(len(seqs))]
    settings = settings or ModiscoSettings()
    settings.engine_kwargs()  # bad values fail before the work
    why = modisco_engine.available()
    if why:
        raise ConfigError(why)
    method, note = resolve_attribution(model, attribution)
    seconds = {}
    t0 = time.perf_counter()
    windows, offsets = yield from _windows(model, seqs, target, device)
    X = one_hot(windows)
    hyp = np.empty_like(X)
    for s in range(0, len(X), CHUNK):
        yield ModiscoProgress("attributions", s, len(X), f"{ATTRIBUTION_SHORT[method]} of {s:,}/{len(X):,} sequences")
        hyp[s : s + CHUNK] = hypothetical_scores(model, X[s : s + CHUNK], method, target, batch_size, device)
    seconds["attributions"] = time.perf_counter() - t0
    task_names = list((getattr(model, "metadata", None) or {}).get("task_names") or [])
    result = yield from scores_job(
        seqs, X, hyp, ids=ids, offsets=offsets, settings=settings, targets=targets, release=release
    )
    result.seconds = {**seconds, **result.seconds, "total": time.perf_counter() - t0}
    result.attribution, result.note = method, note
    result.model = str(getattr(model, "name", "") or "")
    result.task = task_names[target] if target < len(task_names) else str(target)
    return result


def scores_job(
    seqs,
    X,
    hyp,
    *,
    ids=None,
    offsets=None,
    settings: ModiscoSettings | None = None,
    targets=None,
    release: str | None = DEFAULT_RELEASE,
    attribution: str = "given",
):
    """TF-MoDISco on given scores: `X` one-hot and `hyp` hypothetical contributions `(N, 4, L)` of the
    windows at `offsets` (default 0) of `seqs`; yields `ModiscoProgress`, returns a `ModiscoResult`."""
    from deemo_gui.core import modisco_engine

    seqs = [str(s) for s in seqs]
    X, hyp = np.asarray(X, dtype=np.float32), np.asarray(hyp, dtype=np.float32)
    if X.ndim != 3 or X.shape[1] != 4 or hyp.shape != X.shape or len(X) != len(seqs):
        raise DataError(
            f"TF-MoDISco needs one window (4, L) of one-hot and of scores per sequence; got "
            f"{len(seqs)} sequences, one-hot {X.shape}, scores {hyp.shape}"
        )
    ids = list(ids) if ids is not None else [f"seq{i + 1}" for i in range(len(seqs))]
    offsets = np.zeros(len(seqs), dtype=np.int64) if offsets is None else np.asarray(offsets, dtype=np.int64)
    settings = settings or ModiscoSettings()
    seconds = {}
    t1 = time.perf_counter()
    engine = modisco_engine.run(X.transpose(0, 2, 1), hyp.transpose(0, 2, 1), settings.engine_kwargs())
    while True:
        try:
            elapsed = next(engine)
        except StopIteration as stop:
            raw = stop.value
            break
        yield ModiscoProgress("modisco", 0, 0, f"TF-MoDISco: clustering seqlets ({elapsed:.0f} s)")
    seconds["modisco"] = time.perf_counter() - t1
    contrib_pos = (hyp * X).sum(axis=1)
    lengths = [len(s) for s in seqs]
    patterns = [_pattern(r, contrib_pos, offsets, lengths) for r in raw]
    patterns.sort(key=lambda p: (p.metacluster != "pos", -p.n_seqlets))
    if targets is None and release:
        from deemo_gui.core.motifs import JasparDB

        targets = JasparDB(release).all()
    if targets:
        yield ModiscoProgress("tomtom", 0, 0, f"Tomtom: {len(patterns)} patterns against {release or 'the motifs'}")
        t2 = time.perf_counter()
        _compare(patterns, list(targets))
        seconds["tomtom"] = time.perf_counter() - t2
    seconds["total"] = time.perf_counter() - t1
    return ModiscoResult(
        patterns=patterns,
        ids=ids,
        sequences=seqs,
        window_starts=offsets,
        attribution=attribution,
        note="",
        release=release if targets else None,
        settings=settings,
        seconds=seconds,
    )


def discover(model, seqs, **kwargs) -> ModiscoResult:
    """`modisco_job` run to the end."""
    gen = modisco_job(model, seqs, **kwargs)
    while True:
        try:
            next(gen)
        except StopIteration as stop:
            return stop.value
