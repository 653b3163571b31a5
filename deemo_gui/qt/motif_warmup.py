"""Background warm-up of motif comparison: FIMO's kernels (the Dashboard's JASPAR hits), then
memelite's Tomtom kernels (numba; ~40-80 s the very first time on a laptop, cached on disk
afterwards, about a second then) and the default JASPAR release, so the first hits and the first
Tomtom the user asks for answer at once.

The main window calls `start_motif_warmup(window)` once it is on screen. The work runs in a
daemon thread, not a QThread: a numba compile cannot be interrupted, and a daemon thread neither
blocks quitting nor crashes Qt when the window closes mid-compile. Its start and end are shown in
the status bar. Tomtom calls in `deemo_gui.viewer.motif_jobs` share one lock with this warm-up,
so a job started meanwhile simply waits for the compile.
"""

from __future__ import annotations

import logging
import threading
import time

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)

_STARTED = threading.Event()
_BRIDGES: list = []  # keep the signal bridges alive until their thread reports


class _Bridge(QObject):
    done = Signal(float, str)  # seconds, error message ("" when fine)


def _work(bridge: _Bridge) -> None:
    t0 = time.perf_counter()
    error = ""
    try:
        from deemo_gui.viewer import analysis, motif_jobs

        analysis.warm_up_hits()  # first: the Dashboard scans for JASPAR hits as soon as a model is ticked
        motif_jobs.warm_up()
        motif_jobs.jaspar_motifs()  # cached per process: the panels' first Tomtom skips the read
    except Exception as exc:  # never take the app down: the jobs compile on demand instead
        log.warning("motif comparison warm-up failed: %s", exc)
        error = str(exc) or type(exc).__name__
    try:
        bridge.done.emit(time.perf_counter() - t0, error)
    except RuntimeError:  # the window (and the bridge's thread affinity) is gone
        pass


def start_motif_warmup(window=None) -> bool:
    """Start the warm-up once per process (False if already started); status messages go to
    `window.show_message` when given."""
    if _STARTED.is_set():
        return False
    _STARTED.set()
    bridge = _Bridge()
    _BRIDGES.append(bridge)
    show = getattr(window, "show_message", None)
    if show is not None:
        show("Preparing motif comparison (Tomtom, JASPAR) in the background…", 15000)

    def finished(seconds: float, error: str) -> None:
        if show is not None:
            try:
                if error:
                    show(f"Motif comparison could not be prepared ({error}); it will compile when first used.", 10000)
                else:
                    show(f"Motif comparison ready ({seconds:.0f} s).", 4000)
            except RuntimeError:  # window closed meanwhile
                pass
        if bridge in _BRIDGES:
            _BRIDGES.remove(bridge)

    bridge.done.connect(finished)
    threading.Thread(target=_work, args=(bridge,), name="deemo-motif-warmup", daemon=True).start()
    return True
