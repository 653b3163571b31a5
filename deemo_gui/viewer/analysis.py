"""What the analysis panels compute for one sequence and one model, Qt-free and cached.

The Dashboard, Saliency and Temporal panels call these helpers in worker threads; Python users
call them directly::

    from deemo_gui.viewer.analysis import analyze_sequence, analyze_current
    out = analyze_sequence(viewer.model("REST_GM12878_cnn"), viewer.current_sequence,
                           methods=("saliency", "ism"), cache=viewer.results)
    out["saliency"]            # (4, n) gradient x input, in the sequence's own coordinates
    analyze_current(viewer)    # {model name: {method: array}} for every selected model

Coordinates: a model reads a fixed length `L` (its `input_length`). A longer sequence is explained
on one window of `L` bases (`core.windows`): the one given as `window` (its start), by default the
best-scoring window of the scan (`core.windows.scan`, cached like the methods); a shorter one is
N-padded to `L`, centred. Every array returned here is mapped back to the sequence's own
coordinates (length `n = len(seq)`), so column `i` is base `i` of the sequence; bases the model
did not see (outside the window) are NaN. `out["window"]` is the `(start, end)` range of the
sequence the model saw, `out["offset"]` the window's start (negative when padded), and for a
longer sequence `out["scan"]` the `core.windows.WindowScan` of all its windows.

Results are cached in a `ResultsCache` (the viewer's `viewer.results`) under
a `keys.AnalysisKey` (model name, sequence text, method, target, window start): an edited sequence or another model
simply misses, and returning to a sequence is instant. Class optimization depends on the model only
and is computed once ever (`classopt_cache`: keyed by the weights' hash, task and settings, on disk).

Methods (`METHODS`), each an array in sequence coordinates:

- ``prob``: `(1,)` P(task `target`) of the (fitted) sequence.
- ``saliency``: `(4, n)` gradient x input of the task's logit (Deep Motif Dashboard sec. 3.1);
  ``saliency_track`` `(n,)` is its per-position magnitude, the Dashboard's saliency track.
- ``guided``: `(4, n)` guided-backpropagation gradient (Springenberg et al. 2015), all four letters.
- ``integrated_gradients``: `(4, n)`, uniform 0.25 baseline, 50 Gauss-Legendre steps (Captum's default).
- ``ism``: `(4, n)` logit change of every single substitution (0 at the observed letter).
- ``deeplift``: `(4, n)` DeepLIFT/SHAP (20 dinucleotide-shuffled references, at the observed letter);
  ``deeplift_delta`` `(1,)` its convergence delta, sum - (logit - mean logit of the references).
  Both left out for recurrent models (no DeepLIFT rule for LSTM gates).
- ``saliency_logo``: `(4, n)` Koo & Eddy 2019 saliency-logo heights (bits) of the guided gradient.
- ``temporal``: `(2, n)` forward and backward temporal output scores P(+) (sec. 3.2); only for
  recurrent models (left out for others).
"""

from __future__ import annotations

import threading
from collections.abc import Generator, Iterable
from typing import TYPE_CHECKING

import numpy as np

from deemo_gui.core.methods import METHODS as REGISTRY
from deemo_gui.viewer.keys import AnalysisKey, HitsKey, ScanKey
from deemo_gui.viewer.modelinfo import (  # noqa: F401 - has_relu, is_recurrent: part of this module's API
    JASPAR_RELEASE,
    drain,
    has_relu,
    input_length,
    is_recurrent,
    model_name,
    module_of,
)
from deemo_gui.viewer.modelinfo import logo_heights as ic_logo

if TYPE_CHECKING:
    from deemo_gui.core.motifs import PWM

METHODS = (
    "prob",
    "saliency",
    "guided",
    "integrated_gradients",
    "ism",
    "deeplift",
    "deeplift_delta",
    "saliency_logo",
    "temporal",
)
# What `analyze_sequence` computes when `methods` is not given.
DEFAULT_METHODS = METHODS
# What the Dashboard needs per model (Deep Motif Dashboard Figure 2).
DASHBOARD_METHODS = ("prob", "saliency", "temporal")
# Names for progress messages and titles: the registry's, and those of the methods derived here.
METHOD_LABELS = {
    "prob": "prediction",
    "saliency_logo": "saliency logo",
    "deeplift_delta": "DeepLIFT/SHAP convergence delta",
    **{name: m.label for name, m in REGISTRY.items()},
}
# Methods whose value depends on another's (computed first, cached alike).
_NEEDS = {"saliency_logo": ("guided",), "deeplift_delta": ("deeplift",)}
# Methods whose value is a number, not a track in sequence coordinates.
_SCALARS = ("prob", "deeplift_delta")

# FIMO significance threshold for JASPAR hits: FIMO's default (Grant, Bailey & Noble 2011).
HIT_P_THRESHOLD = 1e-4
# Class optimization steps: QData/DeepMotif class_optimization.lua (1000 iterations).
CLASSOPT_STEPS = 1000


# ---------------------------------------------------------------------------------------------
# Coordinates


def fit_offset(n: int, length: int) -> int:
    """The centre window's offset `o` (model column `j` is base `j + o`): positive when the sequence
    is longer than the model's input (centre crop), negative when it is shorter (N padding on the
    left), as `viewer.sequences.fit_one` does."""
    if n >= length:
        return (n - length) // 2
    return -((length - n) // 2)


def to_sequence_coords(
    arr: np.ndarray, n: int, length: int, fill: float = np.nan, offset: int | None = None
) -> np.ndarray:
    """Map an array whose last axis is the model's `length` columns onto the sequence's `n` bases;
    `offset`: the window's start (default: the centre window)."""
    arr = np.asarray(arr)
    o = fit_offset(n, length) if offset is None else int(offset)
    if n == length and o == 0:
        return arr.astype(np.float32, copy=False)
    out = np.full(arr.shape[:-1] + (n,), fill, dtype=np.float32)
    lo, hi = max(0, o), min(n, o + length)  # sequence range the model saw
    out[..., lo:hi] = arr[..., lo - o : hi - o]
    return out


def model_window(n: int, length: int, offset: int | None = None) -> tuple[int, int]:
    """The `(start, end)` range of an `n`-nt sequence that a model of input `length` sees at
    `offset` (default: the centre window)."""
    o = fit_offset(n, length) if offset is None else int(offset)
    return max(0, o), min(n, o + length)


# ---------------------------------------------------------------------------------------------
# Models


def model_tf(model) -> str | None:
    """The transcription factor a model was trained on, from its name, file or training data.

    The TF the user gave when training (`metadata["tf"]`) wins. Shipped models are named
    `<TF>_<cell>_<preset>` (e.g. REST_GM12878_cnn -> REST); a model trained in the app is recognised
    by its training file (REST_GM12878_AC.seq.gz -> REST). Names known to `zoo.PWM_BASELINE` win;
    otherwise the first token of the name (the caller looks it up in JASPAR, aliases included).
    None if nothing names a TF (DREAM5's anonymised `TF_40_…`, `peaks.fa`).
    """
    from deemo_gui.core.tfnames import tf_token
    from deemo_gui.core.zoo import PWM_BASELINE

    meta = getattr(model, "metadata", None) or getattr(module_of(model), "metadata", None) or {}
    if str(meta.get("tf") or "").strip():
        return str(meta["tf"]).strip()
    training = meta.get("training") or {}
    name = getattr(model, "name", None)
    if isinstance(name, str) and " on " in name:  # "cnn on REST_GM12878_AC": the training file's stem
        name = name.split(" on ", 1)[1]
    candidates = [name, getattr(model, "path", None), training.get("data")]
    tokens = [t for t in (tf_token(c) for c in candidates if c) if t]
    for t in tokens:
        if t in PWM_BASELINE:
            return t
    for t in tokens:
        if not t.startswith(("CNN", "RNN", "DEEPBIND", "KOO")):
            return t
    return None


# ---------------------------------------------------------------------------------------------
# Per-sequence attributions


def cache_key(model_name: str, seq: str, method: str, target: int = 0, offset: int = 0) -> AnalysisKey:
    return AnalysisKey(model_name, seq, method, int(target), int(offset))


def scan_key(model_name: str, seq: str, stride: int = 1, reverse_complement: bool = False) -> ScanKey:
    return ScanKey(model_name, seq, int(stride), bool(reverse_complement))


def cached_scan(
    model, seq: str, cache=None, name: str | None = None, stride: int = 1, reverse_complement: bool = False, module=None
):
    """`core.windows.scan` of `seq` with `model`, read from / stored in `cache`."""
    from deemo_gui.core.windows import scan

    name = name or model_name(model)
    key = scan_key(name, seq, stride, reverse_complement)
    hit = cache.get(key) if cache is not None else None
    if hit is None:
        hit = scan(module if module is not None else module_of(model), seq, stride, reverse_complement)
        if cache is not None:
            cache.put(key, hit)
    return hit


def resolve_offset(
    model,
    seq: str,
    target: int = 0,
    window: int | None = None,
    cache=None,
    name: str | None = None,
    stride: int = 1,
    reverse_complement: bool = False,
    module=None,
) -> int:
    """The start of the window a model explains on `seq`: `window` (clamped to a valid start), or
    the best window of the scan for a longer sequence, or the padding offset of a shorter one."""
    from deemo_gui.core.windows import clamp_start

    L = input_length(model) or len(seq)
    n = len(seq)
    if n <= L:
        return clamp_start(0, n, L)
    if window is not None:
        return clamp_start(window, n, L)
    return cached_scan(model, seq, cache, name, stride, reverse_complement, module).best_start(target)


def _compute(module, X, method: str, target: int, done: dict) -> np.ndarray | None:
    """One method on the fitted one-hot `X` (1, 4, L), in model coordinates; None if not applicable.
    Attribution methods come from `core.explain.registry` with its app defaults; their side outputs
    (DeepLIFT's convergence delta) go into `done` for the methods derived from them."""
    import warnings

    from deemo_gui.core import explain
    from deemo_gui.core.inference import predict_proba

    if method == "prob":
        return np.asarray([predict_proba(module, X)[0, target]], dtype=np.float32)
    if method == "deeplift_delta":
        return done.get("_deeplift_delta")
    if method == "saliency_logo":
        return explain.saliency_logo(done["guided"][None])[0]
    spec = REGISTRY.get(method)
    if spec is None:
        raise ValueError(f"unknown analysis method {method!r}; choose from {', '.join(METHODS)}")
    if spec.unavailable(module):
        return None
    with warnings.catch_warnings():
        # guided on a network without nn.ReLU equals the gradient (the panel's help says so); IG's
        # completeness is checked in core's tests; DeepLIFT's delta is shown with its track
        warnings.simplefilter("ignore")
        out = spec.compute(module, X, target, **spec.defaults)
    if "convergence_delta" in out:
        done["_deeplift_delta"] = np.asarray(out["convergence_delta"], dtype=np.float32)
    parts = [out[k][0] for k in spec.track]
    return parts[0] if len(parts) == 1 else np.stack(parts)


def _order(methods: Iterable[str]) -> list[str]:
    wanted = list(dict.fromkeys(methods))
    for m in wanted:
        if m not in METHODS:
            raise ValueError(f"unknown analysis method {m!r}; choose from {', '.join(METHODS)}")
    out: list[str] = []
    for m in wanted:
        for dep in _NEEDS.get(m, ()):
            if dep not in out:
                out.append(dep)
        if m not in out:
            out.append(m)
    return out


def iter_analyze(
    model,
    seq: str,
    methods: Iterable[str] = DEFAULT_METHODS,
    target: int = 0,
    cache=None,
    name: str | None = None,
    window: int | None = None,
    stride: int = 1,
    reverse_complement: bool = False,
    network=None,
) -> Generator[tuple[int, int, str], None, dict]:
    """Generator form of `analyze_sequence` for workers: yields `(done, total, method)` after each
    method (closing it between methods cancels cleanly) and returns the result dict. The network
    is loaded (and torch imported) only if something is missing from `cache`. `window`: the start
    of the window to explain on a longer sequence (default: the best window of a scan with
    `stride` and `reverse_complement`). `network`: the network to compute with (the app's jobs
    pass the one their model's `runtime.Owner` lends them; default: the model's own)."""
    methods = (methods,) if isinstance(methods, str) else tuple(methods)
    seq = str(seq).upper()
    module = None
    name = name or model_name(model)
    L = input_length(model) or len(seq)
    n = len(seq)
    out: dict = {}
    if n > L:  # scanned: the windows' scores (the score track), cached for every method
        if cache is None or scan_key(name, seq, stride, reverse_complement) not in cache:
            module = network if network is not None else module_of(model)
        out["scan"] = cached_scan(model, seq, cache, name, stride, reverse_complement, module)
    offset = resolve_offset(model, seq, target, window, cache, name, stride, reverse_complement, module)
    order = _order(methods)
    native: dict[str, np.ndarray | None] = {}  # results in model coordinates, for dependent methods
    out.update(window=model_window(n, L, offset), offset=offset)
    X = None
    for k, method in enumerate(order):
        key = cache_key(name, seq, method, target, offset)
        hit = cache.get(key) if cache is not None else None
        if hit is None:
            if module is None:
                module = network if network is not None else module_of(model)
            if X is None:
                X = _onehot(seq, L, offset)
            for dep in _NEEDS.get(method, ()):
                if dep not in native:  # the dependency came from the cache (sequence coordinates)
                    native[dep] = _compute(module, X, dep, target, native)
            value = _compute(module, X, method, target, native)
            if value is None:
                hit = _NOT_APPLICABLE
            else:
                native[method] = value
                hit = value if method in _SCALARS else to_sequence_coords(value, n, L, offset=offset)
            if cache is not None:
                cache.put(key, hit)
        if hit is not _NOT_APPLICABLE and method in methods:
            out[method] = hit
        yield k + 1, len(order), method
    if "saliency" in out:
        from deemo_gui.core.explain import position_saliency

        sal = out["saliency"]
        track = position_saliency(np.nan_to_num(sal))[0]
        track[np.isnan(sal[0])] = np.nan
        out["saliency_track"] = track
    return out


class _NotApplicable:
    """Cached marker: the method does not apply to this model (temporal scores of a CNN)."""

    def __repr__(self) -> str:
        return "NOT_APPLICABLE"


_NOT_APPLICABLE = _NotApplicable()


def _onehot(seq: str, L: int, offset: int):
    from deemo_gui.core.sequences import one_hot
    from deemo_gui.core.windows import window_sequence

    return one_hot([window_sequence(seq, offset, L)])


def analyze_sequence(
    model,
    seq: str,
    methods: Iterable[str] = DEFAULT_METHODS,
    target: int = 0,
    cache=None,
    name: str | None = None,
    window: int | None = None,
    stride: int = 1,
    reverse_complement: bool = False,
) -> dict:
    """`{method: array}` for one sequence and one model (a `ModelEntry` or a torch network).

    See the module docstring for the methods and coordinates. `cache`: a `ResultsCache` (e.g.
    `viewer.results`) to read and fill; `name`: the model's cache name (default: the entry's name);
    `window`: the start of the window explained on a longer sequence (default: the best window).
    """
    if isinstance(methods, str):
        methods = (methods,)
    return drain(iter_analyze(model, seq, methods, target, cache, name, window, stride, reverse_complement))


def cached_analysis(
    model,
    seq: str,
    methods: Iterable[str],
    cache,
    target: int = 0,
    name: str | None = None,
    window: int | None = None,
    stride: int = 1,
    reverse_complement: bool = False,
) -> dict | None:
    """`analyze_sequence`'s result if everything is in `cache` already (no torch work), else None."""
    if cache is None:
        return None
    methods = (methods,) if isinstance(methods, str) else tuple(methods)
    name = name or model_name(model)
    seq = str(seq).upper()
    L = input_length(model) or len(seq)
    if len(seq) > L and scan_key(name, seq, stride, reverse_complement) not in cache:
        return None
    offset = resolve_offset(model, seq, target, window, cache, name, stride, reverse_complement)
    if any(cache_key(name, seq, m, target, offset) not in cache for m in _order(methods)):
        return None
    return drain(iter_analyze(model, seq, methods, target, cache, name, window, stride, reverse_complement))


def attribution_track(result: dict, method: str, seq: str) -> np.ndarray:
    """Signed attribution per position `(n,)` of one method of an `analyze_sequence` result: the
    value at the observed base (methods that score all four letters -- guided gradient, ISM -- are
    multiplied by the one-hot sequence first); for integrated gradients the sum over the four
    letters (completeness: the positions add up to S(x) - S(baseline)). NaN where the model saw no base."""
    from deemo_gui.core.sequences import one_hot

    attr = np.asarray(result[method], dtype=np.float64)
    if method in ("guided", "ism"):
        attr = attr * one_hot([str(seq).upper()])[0]
    track = np.nansum(attr, axis=0)
    track[np.isnan(attr).all(axis=0)] = np.nan
    return track.astype(np.float32)


def analyze_current(viewer, models=None, methods: Iterable[str] = DEFAULT_METHODS, target: int | None = None) -> dict:
    """`{model name: analyze_sequence(...)}` for the viewer's current sequence and its selected
    models (or `models`: names, indices or entries), cached in `viewer.results`, each on the window
    the viewer explains (`viewer.set_window`; default: the model's best window). `target`: the task
    index; default: the task the panels explain (`viewer.target_of`, see `viewer.set_task`; it
    follows the selected models, so give `target` for a multi-task model that is not selected)."""
    seq = viewer.current_sequence
    if not seq:
        return {}
    entries = [viewer.model(k) for k in models] if models is not None else viewer.selected_models
    return {
        e.name: analyze_sequence(
            e,
            seq,
            methods,
            viewer.target_of(e) if target is None else target,
            cache=viewer.results,
            window=viewer.window_choice,
            stride=viewer.scan_stride,
            reverse_complement=viewer.scan_rc,
        )
        for e in entries
    }


# ---------------------------------------------------------------------------------------------
# Class optimization (per model)


def classopt_key(model, target: int = 0, steps: int = CLASSOPT_STEPS):
    """The `classopt_cache.ClassOptKey` of a model's default class optimization (reads only the
    metadata of a saved model)."""
    from deemo_gui.viewer.classopt_cache import key_for

    return key_for(model, target, steps)


def stored_class_optimization(model, target: int = 0, steps: int = CLASSOPT_STEPS):
    """The stored `ClassOptResult` of a model (this process or the disk cache), or None (never
    computes; never loads a saved model's network)."""
    from deemo_gui.viewer.classopt_cache import SERVICE

    return SERVICE.get(classopt_key(model, target, steps))


def iter_class_optimization(model, target: int = 0, steps: int = CLASSOPT_STEPS, every: int = 25, network=None):
    """Generator for workers: yields `ClassOptProgress` (the core's), returns the `ClassOptResult`,
    computed once ever per weights, task and settings (`classopt_cache.SERVICE`). Deep Motif
    Dashboard settings (sec. 3.3). `network`: as for `iter_analyze`."""
    from deemo_gui.viewer.classopt_cache import SERVICE

    key = classopt_key(model, target, steps)
    return (yield from SERVICE.steps(network if network is not None else module_of(model), key, every))


def class_optimized_logo(model, target: int = 0, steps: int = CLASSOPT_STEPS) -> np.ndarray:
    """IC-scaled logo heights `(4, L)` of the class-optimized PWM of `model` (bits)."""
    result = drain(iter_class_optimization(model, target, steps))
    return ic_logo(result.pwm)


# ---------------------------------------------------------------------------------------------
# Known motifs (JASPAR) and their hits


_MOTIFS: dict[tuple, PWM | None] = {}
_MOTIF_LOCK = threading.Lock()


def jaspar_release() -> str:
    from deemo_gui.core.motifs import releases

    available = releases()
    return JASPAR_RELEASE if JASPAR_RELEASE in available else available[-1]


def known_motif(tf_or_id: str | None, release: str | None = None):
    """The JASPAR matrix of a TF (by `zoo.PWM_BASELINE`'s ID, else the first exact name match in
    the CORE vertebrates collection, trying the JASPAR name of an alias: Oct4 -> POU5F1) or a JASPAR
    ID ("MA0138"); None if there is none. Cached."""
    from deemo_gui.core.errors import DataError
    from deemo_gui.core.motifs import JasparDB
    from deemo_gui.core.zoo import PWM_BASELINE

    if not tf_or_id:
        return None
    release = release or jaspar_release()
    key = (release, tf_or_id.strip().upper())
    with _MOTIF_LOCK:
        if key in _MOTIFS:
            return _MOTIFS[key]
    db = JasparDB(release)
    text = key[1]
    pwm = None
    try:
        if text in PWM_BASELINE:
            pwm = db.get(PWM_BASELINE[text][0])
        elif text[:2] in ("MA", "PB", "PF", "PH", "PL", "UN", "CN", "CI", "PS") and any(ch.isdigit() for ch in text):
            pwm = db.get(text)
        else:
            from deemo_gui.core.tfnames import jaspar_name

            found = db.search(text, collection="CORE", tax_group="vertebrates", exact=True)
            alias = jaspar_name(text)
            if not found and alias != text:
                found = db.search(alias, collection="CORE", tax_group="vertebrates", exact=True)
            # the TF's own matrix before the dimers it is part of (POU5F1 before Pou5f1::Sox2)
            found = sorted(found, key=lambda p: p.name.upper() not in (text, alias))
            pwm = found[0] if found else None
    except DataError:
        pwm = None
    with _MOTIF_LOCK:
        _MOTIFS[key] = pwm
    return pwm


def warm_up_hits() -> None:
    """Read the default JASPAR release and run FIMO once (memelite compiles or loads its numba
    kernels: ~2 s), so that the Dashboard's first JASPAR hits come at once. For a background thread."""
    from deemo_gui.core.zoo import PWM_BASELINE

    pwm = known_motif(next(iter(PWM_BASELINE)))
    if pwm is not None:
        motif_hits(pwm, "ACGT" * 25)


def motif_hits(pwms, seq: str, p_threshold: float = HIT_P_THRESHOLD):
    """FIMO hits (p < `p_threshold`, both strands) of one PWM or a list in `seq`: the `scan` table
    plus a `name` column (the motif's TF name)."""
    from deemo_gui.core.motifs import PWM, scan

    pwms = [pwms] if isinstance(pwms, PWM) else [p for p in pwms if p is not None]
    hits = scan(pwms, [str(seq).upper()], p_threshold=p_threshold)
    names = {p.id: p.name for p in pwms}
    hits = hits.copy()
    hits["name"] = [names.get(i, i) for i in hits["motif_id"]]
    return hits


def cached_known_motifs(names) -> list | None:
    """`known_motif` of each name (distinct, Nones skipped) if all were looked up before, else None."""
    release = jaspar_release()
    out, seen = [], set()
    for text in names:
        if not text:
            continue
        key = (release, text.strip().upper())
        with _MOTIF_LOCK:
            if key not in _MOTIFS:
                return None
            pwm = _MOTIFS[key]
        if pwm is not None and pwm.id not in seen:
            seen.add(pwm.id)
            out.append(pwm)
    return out


def cached_hits(pwms, seq: str, cache=None, p_threshold: float = HIT_P_THRESHOLD, compute: bool = True):
    """`motif_hits`, cached in `cache` under a `keys.HitsKey`; with
    `compute=False` None when not cached."""
    import pandas as pd

    from deemo_gui.core.motifs.scan import HIT_COLUMNS

    pwms = [p for p in pwms if p is not None]
    seq = str(seq).upper()
    if not pwms:
        return pd.DataFrame({c: [] for c in HIT_COLUMNS + ["name"]})
    key = HitsKey(tuple(p.id for p in pwms), seq, float(p_threshold))
    hit = cache.get(key) if cache is not None else None
    if hit is None:
        if not compute:
            return None
        hit = motif_hits(pwms, seq, p_threshold)
        if cache is not None:
            cache.put(key, hit)
    return hit


def dashboard_motifs(models, tfs=None) -> list:
    """The distinct known JASPAR motifs of these models' TFs (`tfs`, one per model; default: each
    model's `model_tf`), in model order."""
    out, seen = [], set()
    for _, tf in zip(models, tfs if tfs is not None else [model_tf(m) for m in models]):
        pwm = known_motif(tf)
        if pwm is not None and pwm.id not in seen:
            seen.add(pwm.id)
            out.append(pwm)
    return out
