"""Logo drawing speed: the native pyqtgraph `LogoItem` (cached glyph paths) against logomaker,
the same logos at the same pixel size in the same run.

    .venv/bin/python benchmarks/logo_speed.py [--quick]

For W = 20, 250 and 1000 positions (information-scaled random DNA columns, fixed seed):
- LogoItem `setData` (layout + building the four letter paths: what a new matrix costs),
- LogoItem paint into an offscreen QImage (what a pan / zoom repaint costs), letters forced
  (the level-of-detail switch to blocks is turned off so both draw every glyph),
- logomaker: `Logo(df, ax)` + `fig.canvas.draw()` with Agg (a new logo), and a second
  `canvas.draw()` (a matplotlib redraw).
Times are the median of repeats (ms). Prints a Markdown table and writes it to
benchmarks/results/logo_speed.md; the rendered images go to $TMPDIR/deemo_logo_speed/.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

HEIGHT_PX = 300
MIN_GLYPH_PX = 3.0  # mirrors deemo_gui.qt.plots.logo_item.MIN_GLYPH_PX (read again in main)
IMAGES = Path(os.environ.get("TMPDIR", "/tmp")) / "deemo_logo_speed"  # renderings, for a look


def width_px(W: int) -> int:
    """A screen-like size: 16 px per column, 400 to 2400 px."""
    return int(np.clip(16 * W, 400, 2400))


def make_matrix(W: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.full(4, 0.4), size=W).T
    with np.errstate(divide="ignore", invalid="ignore"):
        ic = 2 + np.where(p > 0, p * np.log2(p), 0).sum(axis=0)
    return p * ic[None, :]


def timeit(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000.0


def bench_native(m: np.ndarray, repeats: int, lod: bool = False) -> tuple[float, float, float]:
    from PySide6 import QtCore, QtGui

    from deemo_gui.qt.plots import logo_item

    W = m.shape[1]
    w, h = width_px(W), HEIGHT_PX
    ymax = float(m.sum(axis=0).max())
    item = logo_item.LogoItem(m)  # warm the glyph cache
    t_set = timeit(lambda: item.setData(m), repeats)
    img = QtGui.QImage(w, h, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
    old = logo_item.MIN_GLYPH_PX
    if not lod:
        logo_item.MIN_GLYPH_PX = 0.0  # draw letters at every size, like logomaker
    step = [0]

    def paint(zoom: bool):
        # zoom=True: a (tiny) new zoom factor each time, so the pixel-scale glyph cache is
        # rebuilt, as on every wheel step; zoom=False: same zoom, new pan offset (cache reused)
        step[0] += 1
        f = 1.0 + 1e-6 * step[0] if zoom else 1.0
        transform = QtGui.QTransform(f * w / W, 0, 0, -h / ymax, w / W * 0.5 + (0 if zoom else step[0] % 3), h)
        img.fill(QtCore.Qt.GlobalColor.white)
        p = QtGui.QPainter(img)
        p.setTransform(transform)
        item.paint(p, None, None)
        p.end()

    try:
        paint(True)
        t_zoom = timeit(lambda: paint(True), repeats)
        t_pan = timeit(lambda: paint(False), repeats)
    finally:
        logo_item.MIN_GLYPH_PX = old
    img.save(str(IMAGES / f"native_{W}{'_lod' if lod else ''}.png"))
    return t_set, t_zoom, t_pan


def bench_logomaker(m: np.ndarray, repeats: int) -> tuple[float, float]:
    import matplotlib

    matplotlib.use("Agg")
    import logomaker
    import matplotlib.pyplot as plt
    import pandas as pd

    from deemo_gui import palette

    W = m.shape[1]
    df = pd.DataFrame(m.T, columns=list("ACGT"))
    dpi = 100
    figsize = (width_px(W) / dpi, HEIGHT_PX / dpi)
    state = {}

    def build_and_draw():
        if "fig" in state:
            plt.close(state["fig"])
        fig, ax = plt.subplots(figsize=figsize, dpi=dpi)
        fig.subplots_adjust(0, 0, 1, 1)
        logomaker.Logo(df, ax=ax, color_scheme=palette.logomaker_color_scheme(), font_name="DejaVu Sans")
        fig.canvas.draw()
        state["fig"] = fig

    t_new = timeit(build_and_draw, repeats)
    t_redraw = timeit(lambda: state["fig"].canvas.draw(), repeats)
    state["fig"].savefig(IMAGES / f"logomaker_{W}.png")
    plt.close(state["fig"])
    return t_new, t_redraw


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    quick = "--quick" in argv
    import logomaker
    import matplotlib
    import pyqtgraph
    import PySide6
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    global MIN_GLYPH_PX
    from deemo_gui.qt.plots.logo_item import MIN_GLYPH_PX

    (HERE / "results").mkdir(exist_ok=True)
    IMAGES.mkdir(parents=True, exist_ok=True)
    rows = []
    for W in (20, 250, 1000):
        m = make_matrix(W)
        reps_native = 20 if W < 1000 else 10
        reps_lm = (3 if W < 1000 else 1) if not quick else 1
        t_set, t_zoom, t_pan = bench_native(m, reps_native)
        t_new, t_redraw = bench_logomaker(m, reps_lm)
        rows.append((W, width_px(W), t_set, t_zoom, t_pan, t_new, t_redraw))
        print(
            f"W={W}: native setData {t_set:.1f} ms, paint {t_zoom:.1f} / {t_pan:.1f} ms; "
            f"logomaker new {t_new:.0f} ms, redraw {t_redraw:.0f} ms",
            file=sys.stderr,
        )
    m = make_matrix(1000)
    _, lod_zoom, lod_pan = bench_native(m, 10, lod=True)
    lines = [
        "## Logo drawing: native LogoItem vs logomaker",
        "",
        f"`benchmarks/logo_speed.py`; {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPU(s), Python {platform.python_version()}, PySide6 {PySide6.__version__}, "
        f"pyqtgraph {pyqtgraph.__version__}, logomaker {logomaker.__version__}, matplotlib "
        f"{matplotlib.__version__}; offscreen, {HEIGHT_PX} px high, 16 px per column (400-2400 px wide); "
        "median ms.",
        "",
        "| positions | width px | LogoItem setData | LogoItem paint, new zoom | LogoItem paint, pan "
        "| logomaker new logo | logomaker redraw | new logo: logomaker / LogoItem (setData + paint) "
        "| redraw: logomaker / LogoItem new-zoom paint |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for W, wpx, t_set, t_zoom, t_pan, t_new, t_redraw in rows:
        lines.append(
            f"| {W} | {wpx} | {t_set:.1f} | {t_zoom:.1f} | {t_pan:.1f} | {t_new:.0f} | {t_redraw:.0f} "
            f"| {t_new / (t_set + t_zoom):.0f}× | {t_redraw / t_zoom:.1f}× |"
        )
    lines += [
        "",
        "LogoItem paint draws every glyph here (the zoomed-out switch to coloured blocks below "
        "3 px per column is off, and the whole logo is in view, so nothing is culled): both sides "
        'draw the same 4 × W letters. "new zoom" rebuilds the pixel-scale glyph paths (every wheel '
        'step); "pan" reuses them. '
        f"With the default level of detail (coloured blocks below {MIN_GLYPH_PX:g} px per column) the "
        f"1000-column logo at 2400 px paints in {lod_zoom:.1f} ms (new zoom) / {lod_pan:.1f} ms (pan). "
        f"Both renderings are saved for a look in {IMAGES}/ (not in the repository).",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    (HERE / "results" / "logo_speed.md").write_text(text)
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
