"""Plot items: logo layout against hand computation, drawn colours at the expected pixels, the
sequence track's letters / blocks / hit boxes, score and heatmap tracks, X-linking, hover
read-outs, and the composite CTCF example rendered offscreen."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6 import QtCore, QtGui

from deemo_gui import palette
from deemo_gui.qt.plots.axes import HoverInfo, PositionAxis, link_x
from deemo_gui.qt.plots.heatmap import HeatmapPlot, heatmap_widget
from deemo_gui.qt.plots.logo_item import (
    GLYPH_WIDTH,
    GlyphRect,
    LogoItem,
    LogoPlot,
    glyph_path,
    glyph_transform,
    logo_bounds,
    logo_rectangles,
    logo_widget,
)
from deemo_gui.qt.plots.score_track import saliency_plot, temporal_plot
from deemo_gui.qt.plots.sequence_track import SequencePlot, SequenceTrack, as_hits, assign_lanes
from deemo_gui.qt.plots.stack import TrackStack, render_image

# ---------------------------------------------------------------------------------------------
# helpers


def _rgb(hex_color):
    return np.array(palette.hex_to_rgb(hex_color), dtype=float)


def _pixels(img: QtGui.QImage) -> np.ndarray:
    img = img.convertToFormat(QtGui.QImage.Format.Format_RGB888)
    w, h, bpl = img.width(), img.height(), img.bytesPerLine()
    arr = np.frombuffer(img.constBits(), dtype=np.uint8, count=bpl * h).reshape(h, bpl)
    return arr[:, : 3 * w].reshape(h, w, 3).astype(float).copy()


def _device_rect(widget, plot, x0, y0, x1, y1):
    """Pixel box (in the grabbed image) of the data rectangle [x0, x1] x [y0, y1] of `plot`."""
    vb = plot.getViewBox()
    a = widget.mapFromScene(vb.mapViewToScene(QtCore.QPointF(x0, y1)))
    b = widget.mapFromScene(vb.mapViewToScene(QtCore.QPointF(x1, y0)))
    return a.x(), a.y(), b.x(), b.y()


def _fraction_of_color(pix, box, hex_color, tol=40.0):
    l, t, r, b = (int(round(v)) for v in box)
    region = pix[t:b, l:r].reshape(-1, 3)
    d = np.linalg.norm(region - _rgb(hex_color)[None, :], axis=1)
    return float(np.mean(d < tol)), region.shape[0]


def _show(qtbot, widget, size=(600, 300)):
    qtbot.addWidget(widget)
    return _pixels(render_image(widget, size))


@pytest.fixture(scope="module")
def ctcf():
    from deemo_gui.core.motifs.jaspar import JasparDB

    return JasparDB().get("MA0139")


# ---------------------------------------------------------------------------------------------
# Logo layout (pure)

HAND = np.array(
    [
        # col0   col1  col2
        [1.5, 0.0, -0.3],  # A
        [0.2, 0.0, 0.2],  # C
        [0.0, 0.0, -0.5],  # G
        [0.1, 1.0, 0.0],  # T
    ]
)


def test_logo_rectangles_match_hand_computation():
    got = logo_rectangles(HAND, x0=10)
    expected = [
        # column 0: all positive, smallest at the bottom (T 0.1, C 0.2, A 1.5)
        GlyphRect("T", 10, 0.0, 0.1, False),
        GlyphRect("C", 10, 0.1, 0.2, False),
        GlyphRect("A", 10, 0.3, 1.5, False),
        # column 1: one letter
        GlyphRect("T", 11, 0.0, 1.0, False),
        # column 2: negatives from -0.8 up, biggest magnitude at the bottom, flipped; C above 0
        GlyphRect("G", 12, -0.8, 0.5, True),
        GlyphRect("A", 12, -0.3, 0.3, True),
        GlyphRect("C", 12, 0.0, 0.2, False),
    ]
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert (g.letter, g.x, g.flipped) == (e.letter, e.x, e.flipped)
        assert g.y0 == pytest.approx(e.y0, abs=1e-12)
        assert g.height == pytest.approx(e.height, abs=1e-12)


def test_logo_layout_matches_logomaker_stacking():
    import logomaker
    import matplotlib
    import pandas as pd

    matplotlib.use("Agg")
    rng = np.random.default_rng(3)
    m = rng.normal(size=(4, 6))
    df = pd.DataFrame(m.T, columns=list("ACGT"))
    lm = logomaker.Logo(df)
    ours = {(r.letter, int(r.x)): r for r in logo_rectangles(m)}
    for g in lm.glyph_list:
        r = ours[(g.c, int(g.p))]
        assert r.y0 == pytest.approx(g.floor, abs=1e-9)
        assert r.y0 + r.height == pytest.approx(g.ceiling, abs=1e-9)
        assert r.flipped == g.flip
    import matplotlib.pyplot as plt

    plt.close("all")


def test_heights_equal_matrix_values_and_negatives_below_zero():
    rng = np.random.default_rng(0)
    m = rng.normal(size=(4, 50))
    rects = logo_rectangles(m)
    assert len(rects) == m.size
    for r in rects:
        j = int(r.x)
        v = m["ACGT".index(r.letter), j]
        assert r.height == pytest.approx(abs(v))
        if v < 0:
            assert r.flipped and r.y0 + r.height <= 1e-12
        else:
            assert not r.flipped and r.y0 >= -1e-12
    ymin, ymax = logo_bounds(m)
    assert ymin == pytest.approx(np.where(m < 0, m, 0).sum(0).min())
    assert ymax == pytest.approx(np.where(m > 0, m, 0).sum(0).max())


def test_logo_rejects_bad_shapes_and_leaves_unseen_columns_empty():
    with pytest.raises(ValueError, match=r"\(4, W\)"):
        logo_rectangles(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="infinite"):
        logo_rectangles(np.full((4, 2), np.inf))
    # NaN: bases a model did not see (outside its window of a longer sequence) draw nothing.
    m = np.array([[np.nan, 1.0], [np.nan, 0.0], [np.nan, 0.0], [np.nan, 0.0]])
    assert [r.x for r in logo_rectangles(m)] == [1.0]


# ---------------------------------------------------------------------------------------------
# LogoItem


def test_glyph_transform_maps_unit_glyph_onto_its_box(qapp):
    for letter in "ACGT":
        unit = glyph_path(letter).boundingRect()
        assert unit.left() == pytest.approx(0, abs=1e-9) and unit.right() == pytest.approx(1, abs=1e-9)
        assert unit.top() == pytest.approx(0, abs=1e-9) and unit.bottom() == pytest.approx(1, abs=1e-9)
    for flipped in (False, True):
        r = GlyphRect("G", 4.0, -0.7, 0.5, flipped)
        box = glyph_transform(r).mapRect(glyph_path("G").boundingRect())
        assert box.left() == pytest.approx(4 - GLYPH_WIDTH / 2)
        assert box.width() == pytest.approx(GLYPH_WIDTH)
        assert box.top() == pytest.approx(-0.7) and box.height() == pytest.approx(0.5)


def test_logo_item_bounding_rect_and_paths(qapp, ctcf):
    info = ctcf.probs * ctcf.information_content()[None, :]
    item = LogoItem(info, x0=5)
    r = item.boundingRect()
    W = ctcf.width
    assert (r.left(), r.width()) == pytest.approx((4.5, W))
    assert r.top() == pytest.approx(0.0)
    assert r.height() == pytest.approx(info.sum(axis=0).max())
    # each letter's combined path spans exactly its glyph boxes
    paths = item.letter_paths()
    for letter in "ACGT":
        boxes = [g for g in item.rectangles() if g.letter == letter]
        pr = paths[letter].boundingRect()
        assert pr.top() == pytest.approx(min(g.y0 for g in boxes), abs=1e-9)
        assert pr.bottom() == pytest.approx(max(g.y0 + g.height for g in boxes), abs=1e-9)
        assert pr.left() == pytest.approx(min(g.x for g in boxes) - GLYPH_WIDTH / 2, abs=1e-9)
    signed = LogoItem(HAND)
    sr = signed.boundingRect()
    assert sr.top() == pytest.approx(-0.8) and sr.bottom() == pytest.approx(1.8)
    assert sr.width() == pytest.approx(3)


def test_logo_colours_at_expected_pixels(qtbot):
    # column 0 all A (2 bits), column 1 all C, column 2 G, column 3 T; column 4: T negative
    m = np.zeros((4, 5))
    for k in range(4):
        m[k, k] = 2.0
    m[3, 4] = -1.0
    w = logo_widget(m, title="all-A column test", ylabel="score")
    pix = _show(qtbot, w, (500, 320))
    plot = w.getPlotItem()
    for k, letter in enumerate("ACGT"):
        box = _device_rect(w, plot, k - 0.45, 0.05, k + 0.45, 1.95)
        frac, n = _fraction_of_color(pix, box, palette.NUCLEOTIDE_COLORS[letter])
        assert n > 100 and frac > 0.3, (letter, frac)
        for other in "ACGT".replace(letter, ""):
            assert _fraction_of_color(pix, box, palette.NUCLEOTIDE_COLORS[other])[0] < 0.02
    below = _device_rect(w, plot, 3.6, -0.95, 4.4, -0.05)
    assert _fraction_of_color(pix, below, palette.NUCLEOTIDE_COLORS["T"])[0] > 0.3
    above = _device_rect(w, plot, 3.6, 0.05, 4.4, 0.95)
    assert _fraction_of_color(pix, above, palette.NUCLEOTIDE_COLORS["T"])[0] < 0.02


def test_logo_zoomed_out_draws_blocks(qtbot):
    m = np.zeros((4, 1000))
    m[0] = 1.0
    w = logo_widget(m)
    pix = _show(qtbot, w, (400, 200))  # 0.3 px per column: blocks
    assert w.logo.last_paint["mode"] == "blocks"
    plot = w.getPlotItem()
    box = _device_rect(w, plot, 100, 0.1, 900, 0.9)
    assert _fraction_of_color(pix, box, palette.NUCLEOTIDE_COLORS["A"])[0] > 0.9


def test_logo_highlight_and_hover(qtbot):
    w = logo_widget(HAND, title="t")
    qtbot.addWidget(w)
    plot = w.getPlotItem()
    w.logo.setHighlight(1, 3)
    assert w.logo.highlight() == (1.0, 3.0)
    with qtbot.waitSignal(plot.sigHover) as blocker:
        plot.getViewBox().sigHover.emit(QtCore.QPointF(2.2, 0.1))
    info = blocker.args[0]
    assert isinstance(info, HoverInfo) and info.index == 2 and info.position == "3"
    assert info.values == {"A": -0.3, "C": 0.2, "G": -0.5, "T": 0.0}
    assert "pos 3" in plot.readout.toPlainText() and plot.readout.isVisible()
    plot.getViewBox().sigHover.emit(None)
    assert not plot.readout.isVisible()


# ---------------------------------------------------------------------------------------------
# Sequence track

SEQ40 = "ACGTACGTTTGGCCAAACGTGCGCATATCCGGAATTCGCA"


def test_hits_parse_and_lanes():
    hits = as_hits([(2, 10, "+", "CTCF"), (5, 12, "+", "YY1", "#123456"), (11, 20, "+", "SP1"), (3, 8, "-", "REST")])
    assign_lanes(hits)
    assert [h.lane for h in hits] == [0, 1, 0, 0]
    assert hits[1].color == "#123456" and hits[0].color == palette.hit_color(0)
    box = hits[0].box()
    assert (box.left(), box.right()) == (1.5, 9.5)
    assert box.top() > 0.5  # + strand above the sequence row
    assert hits[3].box().bottom() < -0.5  # - strand below
    assert hits[1].box().top() > hits[0].box().bottom()  # lane 1 above lane 0
    with pytest.raises(ValueError, match="strand"):
        as_hits([(1, 3, "x", "bad")])
    with pytest.raises(ValueError, match="end"):
        as_hits([(5, 5, "+", "empty")])


def test_sequence_track_letters_hits_and_colours(qtbot):
    hits = [(4, 12, "+", "CTCF"), (20, 30, "-", "REST")]
    plot = SequencePlot(SEQ40, hits)
    w = pg.PlotWidget(plotItem=plot, background="w")
    pix = _show(qtbot, w, (900, 260))  # ~20 px per base: letters
    track = plot.track
    assert track.last_paint["mode"] == "letters"
    assert track.last_paint["letters"] == len(SEQ40)
    assert track.last_paint["hits"] == 2 and track.last_paint["labels"] == 2
    assert [i for i, _ in track.letters_in(-0.5, 39.5)] == list(range(40))
    # each base's cell holds its colour and no other base's colour
    for i in (0, 1, 2, 3, 17):
        b = SEQ40[i]
        box = _device_rect(w, plot, i - 0.45, -0.45, i + 0.45, 0.45)
        assert _fraction_of_color(pix, box, palette.NUCLEOTIDE_COLORS[b], tol=60)[0] > 0.02, (i, b)
        for other in "ACGT".replace(b, ""):
            assert _fraction_of_color(pix, box, palette.NUCLEOTIDE_COLORS[other])[0] == 0.0
    # hit boxes: outlined in their colours, + above and - below the sequence
    (h0, b0), (h1, b1) = track.hit_boxes()
    assert b0.top() > 0 and b1.bottom() < 0
    edge = _device_rect(w, plot, b0.left() + 1, b0.top() - 0.08, b0.right() - 1, b0.top() + 0.08)
    assert _fraction_of_color(pix, edge, h0.color, tol=60)[0] > 0.03
    inside = _device_rect(w, plot, b0.left() + 0.2, b0.top() + 0.2, b0.left() + 1.0, b0.bottom() - 0.2)
    assert pix[int(inside[1]) : int(inside[3]), int(inside[0]) : int(inside[2])].mean() < 250  # tinted fill
    # selection shading
    plot.setSelection(30, 35)
    assert track.selection() == (30, 35)
    info = plot.info_at(6.1, 0)
    assert info.base == SEQ40[6] and "CTCF + 5-12" in info.text


def test_sequence_track_blocks_when_zoomed_out(qtbot):
    rng = np.random.default_rng(1)
    seq = "".join(rng.choice(list("ACGT"), 2000))
    plot = SequencePlot(seq, [(100, 119, "+", "CTCF")])
    w = pg.PlotWidget(plotItem=plot, background="w")
    pix = _show(qtbot, w, (600, 200))
    assert plot.track.last_paint["mode"] == "blocks"
    assert plot.track.last_paint["letters"] == 0
    box = _device_rect(w, plot, 200, -0.25, 1800, 0.25)
    fr = sum(_fraction_of_color(pix, box, c)[0] for c in palette.NUCLEOTIDE_COLORS.values())
    assert fr > 0.8
    assert SequenceTrack.mode_for(3.0) == "blocks" and SequenceTrack.mode_for(12.0) == "letters"


def test_sequence_track_glyphs_between_letters_and_blocks(qtbot):
    rng = np.random.default_rng(2)
    seq = "".join(rng.choice(list("ACGT"), 101))
    plot = SequencePlot(seq, [(10, 30, "+", "REST p=1e-09"), (50, 60, "-", "REST")])
    w = pg.PlotWidget(plotItem=plot, background="w")
    pix = _show(qtbot, w, (600, plot.preferred_px()))  # ~5 px per base: too narrow for text letters
    track = plot.track
    assert track.last_paint["mode"] == "glyphs" and track.last_paint["letters"] == 101
    np.testing.assert_array_equal(track.glyphs.matrix().argmax(axis=0), ["ACGT".index(b) for b in seq])
    # each base's glyph fills most of the row in its colour, and only its colour
    for i in (5, 40, 90):
        b = seq[i]
        box = _device_rect(w, plot, i - 0.3, -0.35, i + 0.3, 0.35)
        assert _fraction_of_color(pix, box, palette.NUCLEOTIDE_COLORS[b], tol=60)[0] > 0.2, (i, b)
        for other in "ACGT".replace(b, ""):
            assert _fraction_of_color(pix, box, palette.NUCLEOTIDE_COLORS[other])[0] < 0.02
    # + lane above, - lane below, and nothing reserved for a strand without hits
    assert track.boundingRect().top() < -0.5 < 0.5 < track.boundingRect().bottom()
    alone = SequencePlot(seq, [(10, 30, "+", "x")]).track.boundingRect()
    assert alone.top() == pytest.approx(-0.5) and alone.bottom() > 0.5
    assert SequenceTrack.mode_for(5.0) == "glyphs"


def test_track_stack_fixed_heights_header_placeholder_and_export(qtbot, tmp_path):
    stack = TrackStack(xlabel="position in the sequence (nt)", all_ticks=True)
    header = stack.add_row(px=60)
    header.addLabel("a header row, not linked")
    logo = stack.add(LogoPlot(np.zeros((4, 40))), px=100)
    logo.setPlaceholder("computing…")
    sal = stack.add(saliency_plot(np.r_[np.linspace(0, 1, 39), np.nan], SEQ40, title="saliency"), px=90)
    heat = HeatmapPlot(np.zeros((4, 40)), SEQ40, title="ISM", value_label="Δ logit")
    stack.add(heat, px=80, side=heat.colorbar)
    stack.setXExtent(40)
    qtbot.addWidget(stack)
    render_image(stack, (700, 200))
    # all rows fixed: the widget is exactly as tall as its rows (the bottom one has the x label)
    assert stack.minimumHeight() == stack.maximumHeight() == 60 + 100 + 90 + 80 + 18 + 3 * 2 + 8
    assert heat.maximumHeight() == heat.colorbar.maximumHeight() == 98
    assert stack.plots == [logo, sal, heat] and header not in stack.plots
    for p in stack.plots:  # positions 1..40, every track, tick labels on all of them
        assert p.getViewBox().viewRange()[0] == pytest.approx([-0.5, 39.5], abs=0.3)
        assert p.getAxis("bottom").style["showValues"]
    assert heat.getAxis("bottom").labelText == "position in the sequence (nt)"
    assert logo.placeholder.toPlainText() == "computing…"
    vr = logo.getViewBox().viewRect()
    assert logo.placeholder.pos().x() == pytest.approx(vr.center().x())
    logo.setPlaceholder(None)
    assert logo.placeholder is None
    assert sal.info_at(39, 0) is None and sal.info_at(38, 0).values  # NaN: nothing to read out
    ticks = [s for _, s in heat.colorbar.getAxis("right")._tickLevels[0]]
    assert ticks == ["-1", "0", "1"]
    for ext, magic in (("png", b"\x89PNG"), ("svg", b"<?xml"), ("pdf", b"%PDF-")):
        out = stack.export(tmp_path / f"stack.{ext}")
        assert open(out, "rb").read().lstrip().startswith(magic), ext
    image = QtGui.QImage(str(tmp_path / "stack.png"))
    assert image.height() >= 2 * stack.minimumHeight() - 20  # the whole stack, at twice the size
    stack.clear()
    assert stack.plots == [] and stack.maximumHeight() > 10_000


# ---------------------------------------------------------------------------------------------
# Score tracks, heatmap, linking


def test_saliency_and_temporal_tracks(qtbot):
    sal = np.linspace(0, 1, len(SEQ40))
    sp = saliency_plot(sal, SEQ40)
    tp = temporal_plot(np.full(40, 0.2), np.full(40, 0.8), SEQ40)
    info = sp.info_at(3.2, 0)
    assert info.index == 3 and info.base == "T" and info.values["saliency"] == pytest.approx(sal[3])
    assert tp.values_at(10) == {"forward": pytest.approx(0.2), "backward": pytest.approx(0.8)}
    assert tp.info_at(45, 0.5) is None
    lo, hi = tp.getViewBox().viewRange()[1]
    assert lo < 0 and hi > 1
    stack = TrackStack()
    stack.add(sp)
    stack.add(tp)
    pix = _show(qtbot, stack, (800, 400))
    # a high saliency bar at T (position 39, 'A'... use the last T) is red
    i = max(k for k, b in enumerate(SEQ40) if b == "T")
    box = _device_rect(stack, sp, i - 0.3, 0.05 * sal[i], i + 0.3, 0.9 * sal[i])
    assert _fraction_of_color(pix, box, palette.NUCLEOTIDE_COLORS["T"])[0] > 0.8
    # temporal curves in their colours at their heights
    box = _device_rect(stack, tp, 10, 0.17, 30, 0.23)
    assert _fraction_of_color(pix, box, palette.FORWARD_COLOR, tol=60)[0] > 0.1


def test_link_x_aligns_tracks(qtbot):
    a = saliency_plot(np.ones(100))
    b = temporal_plot(np.full(100, 0.5))
    c = HeatmapPlot(np.zeros((4, 100)))
    stack = TrackStack()
    for p in (a, b, c):
        stack.add(p)
    qtbot.addWidget(stack)
    render_image(stack, (900, 500))
    a.setXRange(20, 40, padding=0)
    render_image(stack)
    for p in (b, c):
        lo, hi = p.getViewBox().viewRange()[0]
        assert (lo, hi) == pytest.approx((20, 40))
    xs = [p.getViewBox().mapViewToScene(QtCore.QPointF(30, 0)).x() for p in (a, b, c)]
    assert max(xs) - min(xs) < 0.5
    widths = {p.getAxis("left").width() for p in (a, b, c)}
    assert len(widths) == 1
    # link_x on bare PlotWidgets too
    w1, w2 = pg.PlotWidget(), pg.PlotWidget()
    qtbot.addWidget(w1)
    qtbot.addWidget(w2)
    link_x([w1, w2])
    w1.setXRange(3, 7, padding=0)
    assert w2.getViewBox().viewRange()[0] == pytest.approx([3, 7])


def test_position_axis_is_one_based_and_integer():
    ax = PositionAxis()
    levels = ax.tickValues(-0.5, 100.5, 800)
    for spacing, values in levels:
        assert spacing >= 1
        assert all(float(v).is_integer() for v in values)
    spacing, major = levels[0]
    assert major and all((v + 1) % spacing == 0 for v in major)  # round *shown* positions
    assert ax.tickValues(-0.5, 30.5, 800)[0][1][:2] == [4.0, 9.0]  # shown 5, 10
    assert ax.tickStrings([0, 9, 99], 1, 10) == ["1", "10", "100"]


def test_heatmap_rows_colours_and_hover(qtbot):
    m = np.zeros((4, 30))
    m[0, 5] = 2.0  # A at position 5: up (red)
    m[3, 20] = -1.0  # T at position 20: down (blue)
    w = heatmap_widget(m, sequence="C" * 30, title="ISM")
    pix = _show(qtbot, w, (700, 250))
    plot = w.heatmap
    assert plot.image.levels == pytest.approx([-2.0, 2.0])
    assert plot.cell_at(5.3, 3.5) == (0, 5)  # A is the top row
    assert plot.cell_at(20, 0.2) == (3, 20)  # T the bottom row
    red = _device_rect(w, plot, 4.7, 3.1, 5.3, 3.9)
    blue = _device_rect(w, plot, 19.7, 0.1, 20.3, 0.9)
    assert _fraction_of_color(pix, red, palette.DIVERGING[-1][1], tol=30)[0] > 0.6
    assert _fraction_of_color(pix, blue, palette.DIVERGING[1][1], tol=50)[0] > 0.6
    info = plot.info_at(20.1, 0.5)
    assert info.index == 20 and info.base == "C" and info.values["C→T Δ score"] == -1.0
    assert "pos 21  ·  C  ·  C→T Δ score -1" in info.text
    bare = HeatmapPlot(m)  # no sequence: the row's base and the value
    info = bare.info_at(20.1, 0.5)
    assert info.base == "T" and info.values == {"Δ score": -1.0}
    left = plot.getAxis("left")
    assert [s for _, s in left._tickLevels[0]] == ["A", "C", "G", "T"]


# ---------------------------------------------------------------------------------------------
# Composite example (real CTCF peak and JASPAR matrix)


def test_composite_example_renders_aligned(qtbot, tmp_path):
    from deemo_gui.qt.plots.example import build_example
    from deemo_gui.qt.plots.stack import save_screenshot

    stack = build_example()
    qtbot.addWidget(stack)
    out = save_screenshot(stack, tmp_path / "deemo_plots.png", size=(1400, 700))
    img = QtGui.QImage(str(out))
    assert (img.width(), img.height()) == (1400, 700)
    logo, seq_plot, sal, temporal, heat = stack.plots
    assert len(seq_plot.track.hits()) == 2
    assert seq_plot.track.last_paint["mode"] == "letters"
    # the same position lands on the same pixel column in every track
    xs = [p.getViewBox().mapViewToScene(QtCore.QPointF(70, 0)).x() for p in stack.plots]
    assert max(xs) - min(xs) < 0.5
    # the logo sits over its hit
    start, end, strand, _ = stack.data["hits"][0]
    r = logo.logo.boundingRect()
    assert (r.left(), r.right()) == pytest.approx((start - 0.5, end - 0.5))
    svg = save_screenshot(stack, tmp_path / "deemo_plots.svg")
    assert b"<svg" in svg.read_bytes()[:2000]


def test_real_mouse_hover_shows_readout(qtbot):
    sp = saliency_plot(np.arange(40) / 40, SEQ40)
    w = pg.PlotWidget(plotItem=sp, background="w")
    _show(qtbot, w, (800, 300))
    scene_pt = sp.getViewBox().mapViewToScene(QtCore.QPointF(5.1, 0.05))
    pos = w.mapFromScene(scene_pt)
    from PySide6 import QtWidgets

    vp = w.viewport()
    ev = QtGui.QMouseEvent(
        QtCore.QEvent.Type.MouseMove,
        QtCore.QPointF(pos),
        QtCore.QPointF(vp.mapToGlobal(pos)),
        QtCore.Qt.MouseButton.NoButton,
        QtCore.Qt.MouseButton.NoButton,
        QtCore.Qt.KeyboardModifier.NoModifier,
    )
    with qtbot.waitSignal(sp.sigHover, timeout=2000) as blocker:
        QtWidgets.QApplication.sendEvent(vp, ev)
    info = blocker.args[0]
    assert info is not None and info.index == 5 and info.base == SEQ40[5]
    assert sp.readout.isVisible() and sp.readout.toPlainText().startswith("pos 6")
