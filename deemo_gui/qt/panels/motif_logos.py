"""Motif logos drawn straight into widgets (no plot widget per logo, so a grid of a hundred filters
stays light): `paint_logo`, `MiniLogo` (one PWM with a title; right-click exports it) and
`AlignedLogos` (a motif above its Tomtom match, columns aligned)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen, QTransform
from PySide6.QtWidgets import QLabel, QMenu, QSizePolicy, QVBoxLayout, QWidget

from deemo_gui import palette
from deemo_gui.core.motifs.tomtom import METHOD as TOMTOM_METHOD
from deemo_gui.core.motifs.tomtom import METHOD_NOTE as TOMTOM_METHOD_NOTE
from deemo_gui.qt.panels.motif_export import export_logo_dialog
from deemo_gui.qt.panels.motif_text import fmt_p


def paint_logo(
    p: QPainter,
    rect: QRectF,
    matrix,
    xlim=None,
    ymax: float = 2.0,
    x0: float = 0.0,
    highlight=None,
    axis: bool = True,
    positions: bool = True,
    font_px: int = 10,
    ylabel: str = "bits",
    max_col_px: float = 36.0,
) -> None:
    """Draw a logo of `matrix` (4, W) (bits) into `rect` with a 0..ymax axis on the left and the
    positions (1-based) below: a `LogoItem` painted through a data->pixel transform.

    `xlim` (lo, hi) in data coordinates (default: the logo's own columns) lets several logos share
    one x scale so aligned columns sit under each other.
    """
    from deemo_gui.qt.plots.logo_item import LogoItem

    matrix = np.asarray(matrix, dtype=np.float64)
    W = matrix.shape[1]
    lo, hi = xlim if xlim is not None else (x0 - 0.5, x0 + W - 0.5)
    font = QFont()
    font.setPixelSize(font_px)
    p.setFont(font)
    fm = p.fontMetrics()
    left = rect.left() + ((fm.horizontalAdvance("2.0") + fm.height() + 8) if axis else 2)
    bottom = rect.bottom() - ((fm.height() + 3) if positions else 2)
    top = rect.top() + fm.height() // 2 + 1
    plot = QRectF(QPointF(left, top), QPointF(rect.right() - 3, bottom))
    if plot.width() <= 4 or plot.height() <= 4 or hi <= lo:
        return
    if max_col_px and plot.width() / (hi - lo) > max_col_px:  # keep letters from stretching flat
        plot.setWidth(max_col_px * (hi - lo))
    sx = plot.width() / (hi - lo)
    sy = plot.height() / ymax
    axis_pen = QPen(QColor(palette.AXIS_COLOR))
    axis_pen.setWidthF(1.0)
    text_color = QColor(palette.TEXT_COLOR)
    if axis:
        p.setPen(axis_pen)
        p.drawLine(QPointF(left - 1, top), QPointF(left - 1, bottom))
        ticks = [0.0, 1.0, 2.0] if ymax == 2.0 else [0.0, ymax / 2, ymax]
        for t in ticks:
            y = bottom - t * sy
            p.drawLine(QPointF(left - 4, y), QPointF(left - 1, y))
            label = f"{t:g}"
            p.setPen(text_color)
            p.drawText(
                QRectF(
                    left - 6 - fm.horizontalAdvance(label),
                    y - fm.height() / 2,
                    fm.horizontalAdvance(label),
                    fm.height(),
                ),
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                label,
            )
            p.setPen(axis_pen)
        # the axis label, rotated
        p.save()
        p.setPen(text_color)
        p.translate(rect.left() + 1, (top + bottom) / 2)
        p.rotate(-90)
        p.drawText(QRectF(-40, 0, 80, fm.height()), int(Qt.AlignmentFlag.AlignCenter), ylabel)
        p.restore()
    p.setPen(axis_pen)
    p.drawLine(QPointF(left - 1, bottom), QPointF(plot.right() + 1, bottom))
    if positions and W:
        p.setPen(text_color)
        step = 1
        widest = fm.horizontalAdvance(str(int(x0) + W)) + 4
        while step * sx < widest:
            step = {1: 2, 2: 5}.get(step, step * 2 if str(step)[0] == "5" else int(step * 2.5))
        for i in range(W):
            shown = i + 1
            if W > 1 and shown % step and i != 0:
                continue
            x = plot.left() + (x0 + i - lo) * sx
            if x < plot.left() - 1 or x > plot.right() + 1:
                continue
            label = str(shown)
            p.drawText(QRectF(x - 20, bottom + 2, 40, fm.height()), int(Qt.AlignmentFlag.AlignHCenter), label)
    item = LogoItem()
    item.setData(matrix, x0)
    if highlight is not None:
        item.setHighlight(*highlight)
    p.save()
    p.setClipRect(plot.adjusted(-1, -2, 1, 0))
    p.setTransform(QTransform(sx, 0, 0, -sy, plot.left() - lo * sx, bottom), True)
    item.paint(p)
    p.restore()


class MiniLogo(QWidget):
    """A compact information logo (bits) of one PWM, with a title line; right-click to export it.

    Light enough for a grid of a hundred filters (no plot widget per logo).
    """

    def __init__(self, pwm=None, title: str = "", parent=None, min_height: int = 70):
        super().__init__(parent)
        self.pwm = None
        self.title = title
        self._matrix: np.ndarray | None = None
        self._x0 = 0.0
        self._xlim = None
        self._highlight = None
        self.setMinimumHeight(min_height)
        self.setMinimumWidth(120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.DefaultContextMenu)
        if pwm is not None:
            self.set_pwm(pwm, title)

    def set_pwm(self, pwm, title: str | None = None, x0: float = 0.0, xlim=None, highlight=None) -> None:
        from deemo_gui.viewer.motif_jobs import logo_bits

        self.pwm = pwm
        if title is not None:
            self.title = title
        self._matrix = None if pwm is None else logo_bits(pwm)
        self._x0, self._xlim, self._highlight = float(x0), xlim, highlight
        if pwm is not None:
            self.setToolTip(
                f"{getattr(pwm, 'id', '')} {getattr(pwm, 'name', '')}\nconsensus {pwm.consensus()}, "
                f"{pwm.width} columns, {pwm.total_ic:.1f} bits\nRight-click to export the logo"
            )
        self.update()

    def clear(self, text: str = "") -> None:
        self.pwm, self._matrix, self.title = None, None, text
        self.setToolTip("")
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(240, 100)

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(palette.BACKGROUND_COLOR))
        r = QRectF(self.rect()).adjusted(2, 1, -2, -1)
        font = QFont()
        font.setPixelSize(11)
        font.setBold(True)
        p.setFont(font)
        p.setPen(QColor(palette.TEXT_COLOR))
        if self.title:
            th = p.fontMetrics().height()
            text = p.fontMetrics().elidedText(self.title, Qt.TextElideMode.ElideRight, int(r.width()))
            p.drawText(QRectF(r.left(), r.top(), r.width(), th), int(Qt.AlignmentFlag.AlignLeft), text)
            r.setTop(r.top() + th + 1)
        if self._matrix is not None:
            paint_logo(p, r, self._matrix, xlim=self._xlim, x0=self._x0, highlight=self._highlight)
        p.end()

    def contextMenuEvent(self, event) -> None:
        if self.pwm is None:
            return
        menu = QMenu(self)
        menu.addAction("Export logo (PNG, SVG, PDF)…", lambda: export_logo_dialog(self, self.pwm, self.title))
        menu.addAction("Copy consensus", lambda: _copy(self.pwm.consensus()))
        menu.exec(event.globalPos())


def _copy(text: str) -> None:
    from PySide6.QtWidgets import QApplication

    QApplication.clipboard().setText(text)


class AlignedLogos(QWidget):
    """A motif above its Tomtom match, columns aligned (the match on the strand Tomtom chose)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.query = MiniLogo(min_height=60)
        self.target = MiniLogo(min_height=60)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.note.setStyleSheet(f"color: {palette.TEXT_COLOR};")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.query, 1)
        layout.addWidget(self.target, 1)
        layout.addWidget(self.note)
        self.row = None

    def clear(self, text: str = "") -> None:
        self.query.clear(text)
        self.target.clear("")
        self.note.setText("")
        self.row = None

    def set_match(self, query, query_title: str, target_pwm, row) -> None:
        """`row`: a Tomtom row (target_id, strand, offset, ...); `target_pwm`: the JASPAR matrix."""
        from deemo_gui.viewer.motif_jobs import aligned

        if target_pwm is None or row is None:
            self.query.set_pwm(query, query_title)
            self.target.clear("no JASPAR match")
            self.note.setText("")
            return
        qx, t, tx = aligned(query, target_pwm, row)
        lo = min(qx, tx) - 0.5
        hi = max(qx + query.width, tx + t.width) - 0.5
        self.query.set_pwm(query, query_title, x0=qx, xlim=(lo, hi))
        strand = "− strand" if str(row["strand"]) == "-" else "+ strand"
        self.target.set_pwm(t, f"{row['target_id']} {row['target_name']} ({strand})", x0=tx, xlim=(lo, hi))
        self.note.setText(
            f"Tomtom: p = {fmt_p(row['p'])}, E = {fmt_p(row['E'])}, q = {fmt_p(row['q'])}, "
            f"{int(row['overlap'])} columns overlap · {TOMTOM_METHOD}"
        )
        self.note.setToolTip(TOMTOM_METHOD_NOTE)
        self.row = row
