"""Draw the app icon: a small sequence logo in the deemo palette, as PNG (256 px) and SVG.

    .venv/bin/python packaging/make_icon.py        # writes resources/icons/deemo-gui.{png,svg}

Glyphs are stretched to fill their box, as logomaker draws them (stacks of letters, tallest on
top). The SVG holds the letters as outlines (no font needed); the PNG is rendered from the same
outlines with QPainter. Colours: deemo_gui.palette (A green, C blue, G orange, T red).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QPointF, QRectF, Qt  # noqa: E402
from PySide6.QtGui import (  # noqa: E402
    QBrush,
    QColor,
    QFont,
    QGuiApplication,
    QImage,
    QPainter,
    QPainterPath,
    QPen,
    QTransform,
)

from deemo_gui.palette import NUCLEOTIDE_COLORS  # noqa: E402

SIZE = 256.0  # design grid (px)
CORNER = 44.0  # rounded-square radius
BACKGROUND = "#FFFFFF"
EDGE = "#2F3A4A"
BASELINE = "#2F3A4A"
# An E-box-like motif; each column bottom-to-top (smallest first), heights in bits-ish units 0..1.
COLUMNS = [
    [("G", 0.18), ("C", 0.62)],
    [("A", 0.86)],
    [("T", 0.20), ("C", 0.30), ("G", 0.38)],
    [("T", 0.80)],
]
LEFT, RIGHT, BOTTOM, TOP = 30.0, 226.0, 206.0, 38.0
GAP = 6.0  # between columns


def _glyph(letter: str, box: QRectF) -> QPainterPath:
    """The letter's outline stretched to fill `box` exactly (logomaker's Glyph)."""
    font = QFont("DejaVu Sans", 100)
    font.setBold(True)
    path = QPainterPath()
    path.addText(0, 0, font, letter)
    r = path.boundingRect()
    t = QTransform()
    t.translate(box.left(), box.top())
    t.scale(box.width() / r.width(), box.height() / r.height())
    t.translate(-r.left(), -r.top())
    return t.map(path)


def shapes() -> list[tuple[QPainterPath, str]]:
    """(outline, fill colour) of every letter, in the 256 x 256 design grid."""
    out = []
    width = (RIGHT - LEFT - GAP * (len(COLUMNS) - 1)) / len(COLUMNS)
    for i, column in enumerate(COLUMNS):
        x = LEFT + i * (width + GAP)
        y = BOTTOM
        for letter, h in column:
            height = h * (BOTTOM - TOP)
            box = QRectF(x, y - height + 1.5, width, height - 3.0)  # a hair between stacked letters
            out.append((_glyph(letter, box), NUCLEOTIDE_COLORS[letter]))
            y -= height
    return out


def render_png(path: Path, px: int = 256) -> None:
    img = QImage(px, px, QImage.Format.Format_ARGB32_Premultiplied)
    img.fill(Qt.GlobalColor.transparent)
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.scale(px / SIZE, px / SIZE)
    p.setPen(QPen(QColor(EDGE), 6))
    p.setBrush(QBrush(QColor(BACKGROUND)))
    p.drawRoundedRect(QRectF(5, 5, SIZE - 10, SIZE - 10), CORNER, CORNER)
    for outline, colour in shapes():
        p.fillPath(outline, QColor(colour))
    p.setPen(QPen(QColor(BASELINE), 5))
    p.drawLine(QPointF(LEFT - 6, BOTTOM + 8), QPointF(RIGHT + 6, BOTTOM + 8))
    p.end()
    if not img.save(str(path)):
        raise SystemExit(f"could not write {path}")


def _svg_path(path: QPainterPath) -> str:
    """SVG path data of a QPainterPath (moves, lines and cubic curves)."""
    parts = []
    i, n = 0, path.elementCount()
    while i < n:
        e = path.elementAt(i)
        if e.isMoveTo():
            parts.append(f"M{e.x:.2f} {e.y:.2f}")
            i += 1
        elif e.isLineTo():
            parts.append(f"L{e.x:.2f} {e.y:.2f}")
            i += 1
        else:  # CurveToElement followed by two CurveToDataElements
            c2, end = path.elementAt(i + 1), path.elementAt(i + 2)
            parts.append(f"C{e.x:.2f} {e.y:.2f} {c2.x:.2f} {c2.y:.2f} {end.x:.2f} {end.y:.2f}")
            i += 3
    return "".join(parts) + "Z"


def write_svg(path: Path) -> None:
    body = [
        f'<rect x="5" y="5" width="{SIZE - 10:g}" height="{SIZE - 10:g}" rx="{CORNER:g}" '
        f'fill="{BACKGROUND}" stroke="{EDGE}" stroke-width="6"/>',
    ]
    for outline, colour in shapes():
        body.append(f'<path fill="{colour}" fill-rule="nonzero" d="{_svg_path(outline)}"/>')
    body.append(
        f'<line x1="{LEFT - 6:g}" y1="{BOTTOM + 8:g}" x2="{RIGHT + 6:g}" y2="{BOTTOM + 8:g}" '
        f'stroke="{BASELINE}" stroke-width="5"/>'
    )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE:g}" height="{SIZE:g}" '
        f'viewBox="0 0 {SIZE:g} {SIZE:g}">\n<title>deemo-gui</title>\n' + "\n".join(body) + "\n</svg>\n"
    )
    path.write_text(svg)


def main() -> int:
    QGuiApplication.instance() or QGuiApplication([])
    out = ROOT / "resources" / "icons"
    out.mkdir(parents=True, exist_ok=True)
    render_png(out / "deemo-gui.png", 256)
    write_svg(out / "deemo-gui.svg")
    print(f"wrote {out / 'deemo-gui.png'} and {out / 'deemo-gui.svg'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
