"""`deemo-gui --self-test`: check that an installation (the desktop bundle above all) works, offline.

Opens the main window offscreen, loads a shipped model from the model zoo (`zoo_dir()`), predicts
a held-out sequence, computes its saliency map, runs Tomtom on a JASPAR matrix against the whole
CORE vertebrates collection of the offline JASPAR release, scans the sequence with that matrix
(FIMO; its consensus planted), exports a sequence logo PNG and a window screenshot, then prints
ONE line and exits 0:

    deemo-gui self-test OK: frozen python 3.11.7 | window 1400x900 (2.7 s) | model CTCF_cnn P=0.993
    (0.13 s) | saliency 4x101 peak pos 15 (0.18 s) | tomtom MA0139.2 vs 1019 JASPAR2026 CORE
    vertebrates: best MA0139.2 p=5.9e-49 (0.9 s; releases offline: JASPAR2026) | scan FIMO 3 hits,
    planted site p=1.2e-07 (0.1 s) | logo PNG ... | total 13 s

(one line; wrapped here).

On a failure it prints one line `deemo-gui self-test FAILED: <step>: <reason>` and exits 1.
The Tomtom and scan times include numba's compilation of memelite's kernels when its cache is
cold (a source checkout's first run: about 40-120 s on 2 cores; later runs read the cache: about a
second). The desktop bundle ships them compiled (packaging/README.md): no compile there.

`DEEMO_SELFTEST_OUT=DIR` keeps the exported PNGs in DIR (otherwise a temporary folder, removed).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

# Zoo TF -> JASPAR matrix used as the Tomtom query when the model's index row names none.
FALLBACK_QUERY = "MA0139"  # CTCF


class SelfTestError(Exception):
    pass


def bundle_root() -> Path:
    """The folder that holds `resources/` (the bundle's `_internal`, the installed package's `_data`,
    or the repository): model files name their test data relative to it."""
    from deemo_gui.data_paths import data_root

    return data_root("resources")


def _step(name: str, fn, figures: dict):
    t0 = time.perf_counter()
    try:
        return fn()
    except SelfTestError:
        raise
    except Exception as exc:  # one line per failure: the step and the error
        if os.environ.get("DEEMO_SELFTEST_DEBUG"):
            traceback.print_exc()
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()] or [type(exc).__name__]
        msg = lines[0] if len(lines) == 1 else f"{lines[0]} ... {lines[-1]}"  # e.g. numpy's ImportError
        raise SelfTestError(f"{name}: {type(exc).__name__}: {msg}") from None
    finally:
        figures[f"{name}_s"] = time.perf_counter() - t0


def _pick_model(zoo: Path):
    """A shipped CNN (fast; CTCF or REST first), else the first model; with its zoo row (JASPAR ID...)."""
    from deemo_gui.core.zoo import entry_for

    preferred = ("CTCF_cnn", "REST_GM12878_cnn")  # well-known motifs, strong models
    files = sorted(
        zoo.glob("*.safetensors"), key=lambda p: (p.stem not in preferred, not p.stem.endswith("_cnn"), p.name)
    )
    if not files:
        raise SelfTestError(f"zoo: no model files (*.safetensors) in {zoo}")
    return files[0], entry_for(files[0])


def _test_file(meta: dict) -> Path | None:
    """The model's own held-out test file (bundled under resources/), if it is there."""
    rel = (meta.get("test") or {}).get("data")
    path = bundle_root() / rel if rel else None
    return path if path is not None and path.exists() else None


def _logo_png(pwm, path: Path) -> int:
    """A publication logo PNG of `pwm` (logomaker + matplotlib, through deemo_gui.core.logo_export)."""
    from deemo_gui.core.logo_export import save_logo

    save_logo(pwm, str(path), title=f"{pwm.id} {pwm.name}")
    if not path.exists() or path.stat().st_size < 500:
        raise SelfTestError(f"logo: no PNG written at {path}")
    return path.stat().st_size


def run() -> str:
    """Run every step; returns the summary line (raises SelfTestError with a one-line reason)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    figures: dict[str, float] = {}
    t_start = time.perf_counter()
    out_env = os.environ.get("DEEMO_SELFTEST_OUT")
    out = Path(out_env) if out_env else Path(tempfile.mkdtemp(prefix="deemo-selftest-"))
    out.mkdir(parents=True, exist_ok=True)
    try:
        return _run(figures, out, t_start)
    finally:
        if not out_env:
            shutil.rmtree(out, ignore_errors=True)


def _run(figures: dict, out: Path, t_start: float) -> str:
    frozen = bool(getattr(sys, "frozen", False))

    # 1. the main window, offscreen
    def window_step():
        from deemo_gui.qt.app import get_app
        from deemo_gui.qt.main_window import MainWindow
        from deemo_gui.viewer import Viewer

        get_app()
        viewer = Viewer()
        window = MainWindow(viewer)
        window.live.enabled = False
        window.resize(1400, 900)
        window.ensure_torch()
        return viewer, window

    viewer, window = _step("window", window_step, figures)
    try:
        # 2. a zoo model and a prediction of one of its held-out sequences
        from deemo_gui.core.zoo import zoo_dir

        zoo = zoo_dir()
        path, row = _step("zoo", lambda: _pick_model(zoo), figures)

        def predict_step():
            entry = viewer.add_model(str(path))
            test_file = _test_file(entry.metadata)
            if test_file is not None:
                viewer.open(str(test_file))
            else:  # a CTCF-like site, fitted to the model's length by the viewer
                viewer.add_sequences(_one_record("GCGCCCCCTGGTGGCCAGCAGGGGGCGC" * 4))
            bound = [
                i
                for i in range(min(viewer.n_sequences, 200))
                if viewer.label(i) is not None and viewer.label(i)[0] == 1
            ]
            viewer.set_current(bound[0] if bound else 0)  # a bound site, when the file is labelled
            seq = viewer.current_sequence
            preds = viewer.predict_current()
            p = preds[entry.name][0]
            if not 0.0 <= p <= 1.0:
                raise SelfTestError(f"predict: P={p} is not a probability")
            return entry, seq, p

        entry, seq, p = _step("predict", predict_step, figures)

        # 3. saliency of that prediction
        def saliency_step():
            import numpy as np

            from deemo_gui.core.explain import position_saliency, saliency
            from deemo_gui.core.sequences import one_hot
            from deemo_gui.viewer.sequences import fit_one

            X = one_hot([fit_one(seq, int(entry.input_length))])
            attr = saliency(entry.module, X, target=0)
            track = position_saliency(attr)[0]
            if not np.isfinite(attr).all() or track.max() <= 0:
                raise SelfTestError("saliency: map is empty or not finite")
            return int(track.argmax()), float(track.max()), attr.shape

        peak, _value, shape = _step("saliency", saliency_step, figures)

        # 4. Tomtom of a JASPAR matrix against the offline release's CORE vertebrates
        def tomtom_step():
            from deemo_gui.core.motifs import JasparDB, releases
            from deemo_gui.core.motifs.tomtom import compare

            available = releases()
            db = JasparDB()
            query = db.get(row.get("jaspar_id") or FALLBACK_QUERY)
            targets = db.all()
            t0 = time.perf_counter()
            df = compare(query, targets)
            seconds = time.perf_counter() - t0
            best = df.iloc[0]
            if best["target_id"].split(".")[0] != query.id.split(".")[0]:
                raise SelfTestError(f"tomtom: {query.id} did not find itself (best {best['target_id']})")
            return available, db.release, query, len(targets), best, seconds

        available, release, query, n_targets, best, tomtom_s = _step("tomtom", tomtom_step, figures)

        # 5. FIMO scan (memelite's other numba kernels): the query's consensus planted in the sequence
        def scan_step():
            from deemo_gui.core.motifs.scan import scan

            site = query.consensus()
            planted = seq[:10] + site + seq[10 + len(site) :]
            hits = scan(query, [planted], p_threshold=1e-3)
            on_site = hits[(hits["start"] == 10) & (hits["strand"] == "+")]
            if on_site.empty:
                raise SelfTestError(f"scan: FIMO missed {query.id}'s consensus {site} planted at position 11")
            return len(hits), float(on_site["p"].min())

        n_hits, site_p = _step("scan", scan_step, figures)

        # 6. exports: a logo PNG of the query matrix and a screenshot of the window
        logo_bytes = _step("logo", lambda: _logo_png(query, out / "logo.png"), figures)

        def shot_step():
            shot = out / "window.png"
            window.screenshot(str(shot), size=(1400, 900))
            return shot.stat().st_size

        shot_bytes = _step("screenshot", shot_step, figures)
    finally:
        window.live.enabled = False
        window.jobs.cancel_all()
        window.close()
        _join_background_threads()

    total = time.perf_counter() - t_start
    return (
        f"deemo-gui self-test OK: {'frozen' if frozen else 'source'} python {sys.version.split()[0]} | "
        f"window 1400x900 ({figures['window_s']:.1f} s) | "
        f"model {path.stem} P={p:.3f} ({figures['predict_s']:.2f} s) | "
        f"saliency {shape[1]}x{shape[2]} peak pos {peak + 1} ({figures['saliency_s']:.2f} s) | "
        f"tomtom {query.id} vs {n_targets} {release} CORE vertebrates: best {best['target_id']} "
        f"p={best['p']:.1e} ({tomtom_s:.1f} s; releases offline: {','.join(available)}) | "
        f"scan FIMO {n_hits} hits, planted site p={site_p:.1e} ({figures['scan_s']:.1f} s) | "
        f"logo PNG {logo_bytes / 1024:.0f} kB ({figures['logo_s']:.1f} s) | "
        f"screenshot {shot_bytes / 1024:.0f} kB ({figures['screenshot_s']:.1f} s) | "
        f"numba cache {_numba_cache()} | total {total:.1f} s"
    )


def _numba_cache() -> str:
    """Where numba keeps compiled kernels, with the number of cached functions found there."""
    folder = os.environ.get("NUMBA_CACHE_DIR")
    if not folder:
        return "default (next to the sources or the user's numba cache)"
    n = sum(1 for _ in Path(folder).rglob("*.nbi")) if os.path.isdir(folder) else 0
    return f"{folder} ({n} functions)"


def _join_background_threads(timeout: float = 300.0) -> None:
    """Let the window's motif warm-up (a daemon thread inside numba) finish before the process exits."""
    import threading

    for thread in threading.enumerate():
        if thread.name == "deemo-motif-warmup" and thread.is_alive():
            thread.join(timeout)


def _one_record(seq: str):
    from deemo_gui.core.sequences import SequenceSet

    return SequenceSet(ids=["selftest"], seqs=[seq], source="self-test")


def _ensure_stdout() -> None:
    """A windowed Windows executable has no stdout: attach to the console it was started from."""
    if sys.stdout is not None:
        return
    if sys.platform == "win32":
        try:
            import ctypes

            if ctypes.windll.kernel32.AttachConsole(-1):  # ATTACH_PARENT_PROCESS
                sys.stdout = open("CONOUT$", "w", encoding="utf-8", errors="replace")  # noqa: SIM115
                return
        except Exception:
            pass
    # No console at all: write the line to a file in the temporary folder instead.
    log_path = os.path.join(tempfile.gettempdir(), "deemo-gui-self-test.txt")
    sys.stdout = open(log_path, "w", encoding="utf-8")  # noqa: SIM115


def main(argv=None) -> int:
    _ensure_stdout()
    try:
        line, rc = run(), 0
    except SelfTestError as exc:
        line, rc = f"deemo-gui self-test FAILED: {exc}", 1
    except Exception as exc:  # a bug in the self-test itself
        line, rc = f"deemo-gui self-test FAILED: {type(exc).__name__}: {exc}", 1
    print(line, flush=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
