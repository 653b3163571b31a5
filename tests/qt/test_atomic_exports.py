"""The window's own writers (figure Export… as PNG/SVG/PDF, screenshots) go through a temporary file:
a write that fails half-way leaves the previous file as it was and no temporary file behind."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QImage, QPainter

from deemo_gui.core.errors import DeemoError


@pytest.fixture
def stack(qtbot):
    from deemo_gui.qt.plots import TrackStack, saliency_plot

    widget = TrackStack()
    qtbot.addWidget(widget)
    widget.add(saliency_plot(np.random.default_rng(0).normal(size=101), "ACGT" * 25 + "A"))
    widget.resize(800, 240)
    return widget


@pytest.mark.parametrize("ext", ["png", "svg", "pdf"])
def test_a_figure_export_that_fails_leaves_the_previous_file(stack, tmp_path, monkeypatch, ext):
    from deemo_gui.qt.plots.stack import export_scene

    path = tmp_path / f"figure.{ext}"
    export_scene(stack, path, title="first")
    before = path.read_bytes()
    assert len(before) > 500

    draw_text = QPainter.drawText

    def broken(painter, *args):  # the title, drawn after the SVG/PDF writer has opened (and emptied) its file
        if "second" in map(str, args):
            raise RuntimeError("drawing failed half-way")
        return draw_text(painter, *args)

    monkeypatch.setattr(QPainter, "drawText", broken)
    with pytest.raises(RuntimeError, match="half-way"):
        export_scene(stack, path, title="second")
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_missing_folders_and_unknown_formats_are_refused_before_writing(stack, tmp_path):
    from deemo_gui.qt.plots.stack import export_scene

    with pytest.raises(DeemoError, match="does not exist"):
        export_scene(stack, tmp_path / "gone" / "f.png")
    with pytest.raises(DeemoError, match="export as .png, .svg or .pdf"):
        export_scene(stack, tmp_path / "f.bmp")
    assert list(tmp_path.iterdir()) == []


def test_a_screenshot_that_cannot_be_encoded_leaves_the_previous_one(open_window, tmp_path, monkeypatch):
    win = open_window()
    (tmp_path / "out").mkdir()
    path = tmp_path / "out" / "shot.png"
    win.screenshot(path)
    before = path.read_bytes()
    assert before[:4] == b"\x89PNG"
    monkeypatch.setattr(QImage, "save", lambda self, *a, **k: False)
    with pytest.raises(DeemoError, match="could not write the screenshot"):
        win.screenshot(path)
    assert path.read_bytes() == before and [p.name for p in path.parent.iterdir()] == ["shot.png"]
