"""Publication figures, Qt-free: sequence logos with logomaker, saliency / temporal tracks with
matplotlib. Format from the file extension (.png, .svg, .pdf; anything matplotlib writes).

Colours and position numbering come from `deemo_gui.palette`, the same definitions the on-screen
plots use. matplotlib is switched to the Agg backend inside the functions, so importing this
module costs nothing and never touches a display.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from deemo_gui import palette
from deemo_gui.core.atomic import atomic_path
from deemo_gui.core.errors import DataError

ALPHABET = palette.ALPHABET
FONT = "DejaVu Sans"  # ships with matplotlib, so exports look the same on every machine


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _logo_matrix(matrix) -> np.ndarray:
    """(4, W) array from a (4, W) array, a W x 4 DataFrame (columns A C G T) or a PWM
    (information-scaled: probabilities x column information content, in bits)."""
    if hasattr(matrix, "probs") and hasattr(matrix, "information_content"):
        return np.asarray(matrix.probs) * np.asarray(matrix.information_content())[None, :]
    if hasattr(matrix, "columns") and hasattr(matrix, "to_numpy"):
        missing = [b for b in ALPHABET if b not in matrix.columns]
        if missing:
            raise DataError(f"logo DataFrame lacks column(s) {', '.join(missing)}; give columns A C G T")
        return matrix[list(ALPHABET)].to_numpy(dtype=np.float64).T
    m = np.asarray(matrix, dtype=np.float64)
    if m.ndim != 2 or m.shape[0] != 4:
        raise DataError(f"a logo needs a (4, W) matrix with rows A C G T, got shape {m.shape}")
    if m.shape[1] == 0:
        raise DataError("the logo matrix has no columns")
    if not np.all(np.isfinite(m)):
        raise DataError("the logo matrix contains NaN or infinite values")
    return m


def _position_ticks(ax, x0: int, n: int, max_ticks: int = 12) -> None:
    """Integer ticks on shown (1-based) round positions."""
    first, last = x0 + palette.POSITION_OFFSET, x0 + n - 1 + palette.POSITION_OFFSET
    span = max(last - first, 1)
    step = next(
        s for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10**9) if span / s <= max_ticks
    )
    shown = (
        [v for v in range((first // step) * step, last + 1, step) if v >= first]
        if step > 1
        else list(range(first, last + 1))
    )
    if step > 1 and first not in shown and (not shown or shown[0] - first >= step / 2):
        shown = [first] + shown
    ax.set_xticks([v - palette.POSITION_OFFSET for v in shown])
    ax.set_xticklabels([str(v) for v in shown])


def _save(fig, path, title: str | None = None) -> Path:
    """Write `fig` atomically; `title` also goes into the file's metadata (PNG text, SVG/PDF title)."""
    path = Path(path)
    if not path.suffix:
        raise DataError(f"{path}: give a file extension (.png, .svg or .pdf) to choose the format")
    fmt = path.suffix[1:].lower()
    meta = {"Title": title} if title and fmt in ("png", "svg", "pdf") else None
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, bbox_inches="tight", format=fmt, metadata=meta)
    except ValueError as exc:  # unknown format
        raise DataError(f"{path}: cannot write this format ({exc}); use .png, .svg or .pdf") from None
    finally:
        _pyplot().close(fig)
    return path


def motif_title(pwm, context: str | None = None) -> str:
    """'REST (MA0138.3) — class optimization': a motif's name and ID, and where it came from, for the
    title of an exported logo (a figure read without the app still says which motif it is)."""
    name, mid = str(getattr(pwm, "name", "") or ""), str(getattr(pwm, "id", "") or "")
    head = f"{name} ({mid})" if name and mid and name != mid else (name or mid)
    if context and context not in head:
        head = f"{head} — {context}" if head else context
    return head


def save_logo(
    matrix,
    path,
    title: str | None = None,
    ylabel: str = "bits",
    xlabel: str = "position",
    x0: int = 0,
    highlight: tuple[int, int] | None = None,
    width: float | None = None,
    height: float = 2.2,
    dpi: int = 200,
) -> Path:
    """Write a sequence logo of `matrix` to `path` (.png/.svg/.pdf by extension) with logomaker.

    `matrix`: `(4, W)` rows A C G T (information-scaled probabilities or any signed attribution
    matrix; negative letters are drawn below the axis, flipped), a W x 4 DataFrame, or a `PWM`
    (drawn in bits; titled with its name and ID unless `title` says otherwise). Column `i` is position
    `x0 + i` (shown 1-based). `highlight=(start, end)` shades columns start..end-1 (0-based, in the same
    coordinates). Size in inches; `width` defaults to 0.32 inch per column (at least 3).
    """
    if title is None and hasattr(matrix, "probs") and hasattr(matrix, "id"):
        title = motif_title(matrix)
    import logomaker
    import pandas as pd

    m = _logo_matrix(matrix)
    W = m.shape[1]
    plt = _pyplot()
    width = width if width is not None else max(3.0, 0.32 * W + 1.0)
    fig, ax = plt.subplots(figsize=(width, height), dpi=dpi)
    df = pd.DataFrame(m.T, columns=list(ALPHABET), index=pd.RangeIndex(x0, x0 + W, name="pos"))
    # logomaker's defaults (Tareen & Kinney 2020): biggest letters farthest from the axis,
    # negative letters flipped below it, glyph width 0.95
    logo = logomaker.Logo(
        df,
        ax=ax,
        color_scheme=palette.logomaker_color_scheme(),
        font_name=FONT,
        stack_order="big_on_top",
        flip_below=True,
        baseline_width=0.6,
    )
    logo.style_spines(visible=False)
    logo.style_spines(spines=["left", "bottom"], visible=True)
    ymin = float(np.where(m < 0, m, 0).sum(axis=0).min())
    ymax = float(np.where(m > 0, m, 0).sum(axis=0).max())
    if ylabel == "bits" and ymin >= 0 and ymax <= 2.0:
        ymax = 2.0  # DNA information logos are conventionally drawn on a 0-2 bit axis
    if ymax == ymin:
        ymax = ymin + 1.0
    ax.set_ylim(ymin, ymax)
    ax.set_xlim(x0 - 0.5, x0 + W - 0.5)
    if highlight is not None:
        a, b = highlight
        logo.highlight_position_range(
            pmin=a, pmax=b - 1, color=palette.HIGHLIGHT_COLOR, alpha=palette.HIGHLIGHT_ALPHA * 1.5
        )
    _position_ticks(ax, x0, W)
    ax.set_ylabel(ylabel)
    ax.set_xlabel(xlabel)
    if title:
        ax.set_title(title, fontweight="bold")
    fig.tight_layout()
    return _save(fig, path, title)


def _as_track(values, name: str, L: int) -> np.ndarray | None:
    if values is None:
        return None
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1 or len(v) != L:
        raise DataError(f"{name}: expected one value per base ({L}), got shape {v.shape}")
    return v


def _draw_sequence(ax, sequence: str, hits, fig_width_in: float) -> None:
    """Bases as coloured letters (or blocks when too small to read) at y=0, hit boxes above
    ('+' / '.') and below ('-'), stacked in lanes where they overlap."""
    from matplotlib.patches import Rectangle

    L = len(sequence)
    pt_per_base = fig_width_in * 72 * 0.85 / max(L, 1)
    fontsize = min(11.0, 0.95 * pt_per_base)
    if fontsize >= 4.5:
        for i, b in enumerate(sequence):
            ax.text(
                i,
                0,
                b,
                ha="center",
                va="center",
                fontsize=fontsize,
                fontweight="bold",
                color=palette.nucleotide_color(b),
                family=FONT,
            )
    else:  # too small to read: one coloured block per base, drawn as a single image
        rgb = np.array([palette.hex_to_rgb(palette.nucleotide_color(b)) for b in sequence], dtype=np.uint8)
        ax.imshow(rgb[None, :, :], extent=(-0.5, L - 0.5, -0.3, 0.3), aspect="auto", interpolation="nearest")
    ends: dict[str, list[int]] = {"up": [], "down": []}
    lanes = {"up": 0, "down": 0}
    for k, h in enumerate(sorted(hits or [], key=lambda h: (h[0], h[1]))):
        start, end = int(h[0]), int(h[1])
        strand = str(h[2]) if len(h) > 2 else "+"
        label = str(h[3]) if len(h) > 3 else ""
        color = h[4] if len(h) > 4 and h[4] else palette.hit_color(k)
        side = "down" if strand == "-" else "up"
        lane = next((j for j, e in enumerate(ends[side]) if e <= start), None)
        if lane is None:
            lane = len(ends[side])
            ends[side].append(end)
        else:
            ends[side][lane] = end
        lanes[side] = max(lanes[side], lane + 1)
        y = 0.65 + lane if side == "up" else -0.65 - lane - 0.8
        ax.add_patch(
            Rectangle((start - 0.5, y), end - start, 0.8, facecolor=color, alpha=0.22, edgecolor=color, linewidth=1.2)
        )
        text = f"{label} ({strand})" if label and strand != "." else label
        if text:
            ax.text(
                (start + end - 1) / 2,
                y + 0.4,
                text,
                ha="center",
                va="center",
                fontsize=7,
                color=palette.TEXT_COLOR,
                clip_on=True,
            )
    ax.set_ylim(-0.6 - lanes["down"] - 0.1 if lanes["down"] else -0.6, 0.6 + lanes["up"] + 0.1 if lanes["up"] else 0.6)
    ax.set_yticks([])
    for s in ("left", "right", "top", "bottom"):
        ax.spines[s].set_visible(False)
    ax.tick_params(axis="x", length=0)


def save_tracks(
    sequence: str,
    path,
    saliency=None,
    forward=None,
    backward=None,
    hits=None,
    title: str | None = None,
    saliency_label: str = "saliency",
    temporal_label: str = "temporal score",
    width: float | None = None,
    dpi: int = 200,
) -> Path:
    """Saliency bars (coloured by base) over the sequence (letters, with `hits` boxes), and the
    forward / backward temporal output scores (0..1, guide at 0.5), X-aligned; written to `path`
    (.png/.svg/.pdf by extension).

    `hits`: tuples `(start, end, strand, label[, colour])`, 0-based, end exclusive (as
    `core.motifs.scan` returns them). Any of the tracks may be None.
    """
    seq = str(sequence).upper()
    L = len(seq)
    if L == 0:
        raise DataError("save_tracks: the sequence is empty")
    sal = _as_track(saliency, saliency_label, L)
    fwd = _as_track(forward, "forward", L)
    bwd = _as_track(backward, "backward", L)
    plt = _pyplot()
    width = width if width is not None else float(np.clip(0.11 * L + 1.5, 6.0, 18.0))
    n_up = n_down = 0
    for h in hits or []:
        if len(h) > 2 and str(h[2]) == "-":
            n_down = 1
        else:
            n_up = 1
    rows, ratios = [], []
    if sal is not None:
        rows.append("saliency")
        ratios.append(2.2)
    rows.append("sequence")
    ratios.append(0.6 + 0.5 * (n_up + n_down))
    if fwd is not None or bwd is not None:
        rows.append("temporal")
        ratios.append(1.8)
    height = 0.8 + 0.75 * sum(ratios)
    fig, axes = plt.subplots(
        len(rows),
        1,
        figsize=(width, height),
        dpi=dpi,
        sharex=True,
        gridspec_kw={"height_ratios": ratios, "hspace": 0.12},
    )
    axes = np.atleast_1d(axes)
    x = np.arange(L)
    for name, ax in zip(rows, axes):
        for s in ("right", "top"):
            ax.spines[s].set_visible(False)
        if name == "saliency":
            ax.bar(x, sal, width=0.8, color=[palette.nucleotide_color(b) for b in seq], linewidth=0)
            ax.axhline(0, color=palette.AXIS_COLOR, linewidth=0.6)
            ax.set_ylabel(saliency_label)
            ax.margins(y=0.05)
        elif name == "sequence":
            _draw_sequence(ax, seq, hits, width)
            ax.set_ylabel("sequence")
        else:
            if fwd is not None:
                ax.plot(x, fwd, color=palette.FORWARD_COLOR, linewidth=1.6, label="forward")
            if bwd is not None:
                ax.plot(x, bwd, color=palette.BACKWARD_COLOR, linewidth=1.6, label="backward")
            ax.axhline(0.5, color=palette.GUIDE_COLOR, linewidth=0.8, linestyle="--")
            ax.set_ylim(-0.05, 1.05)
            ax.set_yticks([0, 0.5, 1])
            ax.set_ylabel(temporal_label)
            ax.legend(loc="upper right", frameon=False, ncol=2, fontsize=8)
    for ax in axes[:-1]:
        ax.tick_params(labelbottom=False)
    axes[-1].set_xlim(-0.5, L - 0.5)
    _position_ticks(axes[-1], 0, L, max_ticks=15)
    axes[-1].set_xlabel("position")
    if title:
        axes[0].set_title(title, fontweight="bold")
    fig.align_ylabels(axes)
    return _save(fig, path)
