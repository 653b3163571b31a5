"""The Motifs panel: a JASPAR browser (release, search by name or ID, the matrix's logo) beside the
motifs a model has learned, extracted by each Deep Motif Dashboard method (saliency, temporal
output, class optimization; sec. 3.4) and by DeepBind's convolution-activation baseline, each with
its Tomtom matches in JASPAR. Selected matrices and extracted motifs export as MEME files.

Also home of the small pieces the Class optimization and Filters panels share: `MiniLogo` (a
compact logo drawn by `LogoItem` straight into a widget), `AlignedLogos` (a motif above its JASPAR
match, columns aligned as Tomtom aligned them), `MatchesTable`, `ModelChooser`, the JASPAR release
box and logo export (PNG / SVG / PDF through `deemo_gui.core.logo_export` when it is there, drawn
natively otherwise). The science runs in `deemo_gui.viewer.motif_jobs`; this module only draws.
"""
from __future__ import annotations

import logging
import os
import time

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPen, QTransform
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from deemo_gui import palette
from deemo_gui.core.motifs.tomtom import LOW_INFORMATION_BITS
from deemo_gui.core.motifs.tomtom import METHOD as TOMTOM_METHOD
from deemo_gui.core.motifs.tomtom import METHOD_NOTE as TOMTOM_METHOD_NOTE
from deemo_gui.qt.trust import TrustLabel
from deemo_gui.qt.workers import Worker, observe

log = logging.getLogger(__name__)

RELEASE_TIP = ("JASPAR release compared with (CORE vertebrates, offline). Default JASPAR2024: the release of "
               "the zoo's baseline motifs (deemo_gui.core.zoo.PWM_BASELINE)")
LOGO_FILTER = "PNG image (*.png);;SVG vector image (*.svg);;PDF document (*.pdf)"
MEME_FILTER = "MEME motif files (*.meme *.txt);;All files (*)"


# ---------------------------------------------------------------------------------------------
# Formatting


def fmt_p(value) -> str:
    """p, E and q values: two significant digits, scientific below 0.001."""
    v = float(value)
    if v != v:
        return "–"
    if v == 0:
        return "0"
    if v < 1e-3:
        return f"{v:.1e}"
    return f"{v:.2g}" if v < 10 else f"{v:.0f}"


def match_text(m, with_id: bool = True) -> str:
    """'ALX4 · MA0853.1 · E = 2.1e-04', or why there is no clear match (one line)."""
    if m is None or m.best_row is None:
        return "no JASPAR comparison"
    core = f"{m.best_name} · {m.best_id}" if with_id else m.best_name
    if m.significant:
        return f"{core} · E = {fmt_p(m.best_E)}"
    if m.low_information:
        return f"not comparable: {low_information_text(m.pwm)} (Tomtom's best {core}, E = {fmt_p(m.best_E)})"
    return f"no clear match (best {core}, E = {fmt_p(m.best_E)})"


def low_information_text(pwm) -> str:
    """'too flat, 1.2 bits over 9 columns' for a `low_information` motif."""
    return f"too flat, {pwm.total_ic:.1f} bits over {pwm.width} columns"


LOW_INFORMATION_TIP = ("Below {bits:g} bits per column on average, a motif is too flat for Tomtom: it "
                       "'matches' the weak columns of long matrices (e.g. CTCF MA1930) with tiny E-values "
                       "even when it is random. Such matches are not counted.")


# ---------------------------------------------------------------------------------------------
# Logos


def paint_logo(p: QPainter, rect: QRectF, matrix, xlim=None, ymax: float = 2.0, x0: float = 0.0,
               highlight=None, axis: bool = True, positions: bool = True, font_px: int = 10,
               ylabel: str = "bits", max_col_px: float = 36.0) -> None:
    """Draw a logo of `matrix` (4, W) (bits) into `rect` with a 0..ymax axis on the left and the
    positions (1-based) below: a `LogoItem` painted through a data->pixel transform.

    `xlim` (lo, hi) in data coordinates (default: the logo's own columns) lets several logos share
    one x scale so aligned columns sit under each other.
    """
    import numpy as np

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
            p.drawText(QRectF(left - 6 - fm.horizontalAdvance(label), y - fm.height() / 2,
                              fm.horizontalAdvance(label), fm.height()),
                       int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), label)
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
        self._matrix = None
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
            self.setToolTip(f"{getattr(pwm, 'id', '')} {getattr(pwm, 'name', '')}\nconsensus {pwm.consensus()}, "
                            f"{pwm.width} columns, {pwm.total_ic:.1f} bits\nRight-click to export the logo")
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


def _logo_export_module():
    try:
        from deemo_gui.core import logo_export
    except ImportError:
        return None
    return logo_export


def export_logo(pwm, path: str, title: str = "") -> str:
    """Write a logo of `pwm` to PNG, SVG or PDF (by the suffix), titled with the motif's name and ID
    (and `title`, where it came from): `deemo_gui.core.logo_export` (logomaker, publication style) when
    available, otherwise drawn with the on-screen logo code."""
    from deemo_gui.core.logo_export import motif_title

    title = motif_title(pwm, title or None)
    ext = os.path.splitext(path)[1].lower()
    if ext not in (".png", ".svg", ".pdf"):
        from deemo_gui.core.errors import DataError

        raise DataError(f"{path}: choose a .png, .svg or .pdf file name for the logo")
    module = _logo_export_module()
    if module is not None:
        for name in ("export_logo", "save_logo", "write_logo", "export_pwm_logo"):
            fn = getattr(module, name, None)
            if callable(fn):
                try:
                    fn(pwm, path, title=title)
                    if os.path.exists(path):
                        return path
                except Exception:  # another signature: draw it ourselves
                    log.info("logo_export.%s did not take a PWM; drawing the logo natively", name, exc_info=True)
                break
    _export_native(pwm, path, title)
    return path


def _export_native(pwm, path: str, title: str = "") -> None:
    from deemo_gui.core.errors import DataError
    from deemo_gui.viewer.motif_jobs import logo_bits

    W = pwm.width
    width, height = max(320, 34 * W + 70), 190
    ext = os.path.splitext(path)[1].lower()

    def draw(p: QPainter, w: float, h: float, scale: float = 1.0) -> None:
        p.scale(scale, scale)
        p.fillRect(QRectF(0, 0, w, h), QColor(palette.BACKGROUND_COLOR))
        r = QRectF(6, 4, w - 12, h - 8)
        if title:
            font = QFont()
            font.setPixelSize(14)
            font.setBold(True)
            p.setFont(font)
            p.setPen(QColor(palette.TEXT_COLOR))
            p.drawText(QRectF(r.left(), r.top(), r.width(), 20), int(Qt.AlignmentFlag.AlignLeft), title)
            r.setTop(r.top() + 22)
        paint_logo(p, r, logo_bits(pwm), font_px=12)

    if ext == ".png":
        from PySide6.QtGui import QImage

        scale = 2  # 2x pixels for print
        img = QImage(width * scale, height * scale, QImage.Format.Format_ARGB32)
        img.fill(QColor(palette.BACKGROUND_COLOR))
        p = QPainter(img)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        draw(p, width, height, scale)
        p.end()
        ok = img.save(path)
    elif ext == ".svg":
        from PySide6.QtSvg import QSvgGenerator

        gen = QSvgGenerator()
        gen.setFileName(path)
        gen.setSize(QSize(width, height))
        gen.setViewBox(QRectF(0, 0, width, height))
        gen.setTitle(title or pwm.id)
        p = QPainter(gen)
        draw(p, width, height)
        ok = p.end()
    else:
        from PySide6.QtCore import QMarginsF, QSizeF
        from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter

        writer = QPdfWriter(path)
        writer.setResolution(72)
        writer.setPageSize(QPageSize(QSizeF(width, height), QPageSize.Unit.Point))
        writer.setPageMargins(QMarginsF(0, 0, 0, 0), QPageLayout.Unit.Point)
        writer.setTitle(title or pwm.id)
        p = QPainter(writer)
        draw(p, width, height)
        ok = p.end()
    if not ok or not os.path.exists(path):
        raise DataError(f"{path}: could not write the logo (folder missing or not writable?)")


def export_logo_dialog(parent, pwm, title: str = "") -> str | None:
    from deemo_gui.qt.errors import report_exception

    stem = "".join(c if c.isalnum() or c in "._-" else "_" for c in (getattr(pwm, "id", "") or "motif"))
    path, chosen = QFileDialog.getSaveFileName(parent, "Export logo", f"{stem}.png", LOGO_FILTER)
    if not path:
        return None
    if not os.path.splitext(path)[1]:
        path += {"SVG": ".svg", "PDF": ".pdf"}.get(chosen[:3], ".png")
    try:
        return export_logo(pwm, path, title)
    except Exception as exc:
        report_exception(parent, exc, "Exporting the logo")
        return None


def export_meme_dialog(parent, pwms, what: str = "motifs") -> str | None:
    """Ask for a file name and write `pwms` as MEME minimal format; returns the path written."""
    from deemo_gui.core.motifs import write_meme
    from deemo_gui.qt.errors import report_exception, show_error

    pwms = list(pwms)
    if not pwms:
        show_error(parent, f"No {what} to export: select some first.")
        return None
    path, _ = QFileDialog.getSaveFileName(parent, f"Export {len(pwms)} {what} as MEME", "motifs.meme", MEME_FILTER)
    if not path:
        return None
    try:
        write_meme(pwms, path)
    except Exception as exc:
        report_exception(parent, exc, "Writing the MEME file")
        return None
    window = parent.window()
    if hasattr(window, "show_message"):
        window.show_message(f"Wrote {len(pwms)} {what} to {path}")
    return path


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
        self.note.setText(f"Tomtom: p = {fmt_p(row['p'])}, E = {fmt_p(row['E'])}, q = {fmt_p(row['q'])}, "
                          f"{int(row['overlap'])} columns overlap · {TOMTOM_METHOD}")
        self.note.setToolTip(TOMTOM_METHOD_NOTE)
        self.row = row


MATCH_COLUMNS = ("ID", "Name", "p", "E", "q", "Strand", "Offset")
MATCH_TIPS = {
    "p": "Tomtom p-value of the best alignment (memelite: columns scored by Euclidean distance, not MEME's "
         "Pearson correlation; both strands)",
    "E": "E-value = p × number of JASPAR matrices compared: matches expected by chance",
    "q": "Benjamini-Hochberg q-value over this motif's comparisons (MEME's Tomtom estimates Storey's q)",
    "Strand": "+: the motif matches the matrix as stored; −: its reverse complement",
    "Offset": "Where the motif starts on the matrix (on the matched strand); negative: before it",
}


class MatchesTable(QTableWidget):
    """Tomtom matches of one motif, best first; `row_chosen(int)` when the user picks a row."""

    row_chosen = Signal(int)

    def __init__(self, parent=None):
        super().__init__(0, len(MATCH_COLUMNS), parent)
        self.setHorizontalHeaderLabels(MATCH_COLUMNS)
        for k, name in enumerate(MATCH_COLUMNS):
            if name in MATCH_TIPS:
                self.horizontalHeaderItem(k).setToolTip(MATCH_TIPS[name])
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAlternatingRowColors(True)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.df = None
        self.itemSelectionChanged.connect(self._changed)

    def set_matches(self, df, top: int = 25) -> None:
        self.blockSignals(True)
        self.df = None if df is None else df.head(top).reset_index(drop=True)
        rows = 0 if self.df is None else len(self.df)
        self.setRowCount(rows)
        for i in range(rows):
            r = self.df.iloc[i]
            values = (str(r["target_id"]), str(r["target_name"]), fmt_p(r["p"]), fmt_p(r["E"]), fmt_p(r["q"]),
                      "−" if r["strand"] == "-" else "+", str(int(r["offset"])))
            for k, v in enumerate(values):
                item = QTableWidgetItem(v)
                if k >= 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.setItem(i, k, item)
        if rows:
            self.selectRow(0)
        self.blockSignals(False)

    def _changed(self) -> None:
        rows = self.selectionModel().selectedRows()
        if rows:
            self.row_chosen.emit(rows[0].row())


# ---------------------------------------------------------------------------------------------
# Choosers


def release_combo() -> QComboBox:
    from deemo_gui.core.motifs import releases
    from deemo_gui.viewer.motif_jobs import DEFAULT_RELEASE

    combo = QComboBox()
    available = releases()
    combo.addItems(available)
    if DEFAULT_RELEASE in available:
        combo.setCurrentText(DEFAULT_RELEASE)
    elif available:
        combo.setCurrentIndex(len(available) - 1)
    combo.setToolTip(RELEASE_TIP)
    return combo


class ModelChooser(QWidget):
    """The selected models (the Models list) and a task of the chosen one."""

    changed = Signal()

    def __init__(self, viewer, parent=None, with_task: bool = True):
        super().__init__(parent)
        # Only a holder: its two combo boxes go into the panel's own layout; the holder stays hidden and
        # is the panel's child, so its viewer connection ends with the panel.
        self.setVisible(False)
        self.viewer = viewer
        self.model_combo = QComboBox()
        self.model_combo.setToolTip("Models ticked in the Models list; results are kept per model")
        self.model_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model_combo.setMinimumContentsLength(12)
        self.task_combo = QComboBox()
        self.task_combo.setToolTip("The task (output) whose positive class is explained")
        self.task_combo.setVisible(with_task)
        self.model_combo.currentIndexChanged.connect(self._model_changed)
        self.task_combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.trust = TrustLabel()  # the panel places it above what it draws for the chosen model
        observe(viewer.events.models_changed, self, self.refresh)
        self.refresh()

    def refresh(self) -> None:
        current = self.model_combo.currentText()
        names = [m.name for m in self.viewer.selected_models]
        self.model_combo.blockSignals(True)
        self.model_combo.clear()
        self.model_combo.addItems(names)
        if not names:
            self.model_combo.setPlaceholderText("tick a model in the Models list")
        if current in names:
            self.model_combo.setCurrentText(current)
        elif names:
            self.model_combo.setCurrentIndex(0)  # with a placeholder set, Qt leaves the index at -1
        self.model_combo.blockSignals(False)
        self._model_changed()

    def _model_changed(self) -> None:
        entry = self.entry()
        self.task_combo.blockSignals(True)
        self.task_combo.clear()
        if entry is not None:
            self.task_combo.addItems(entry.task_names)
        self.task_combo.setEnabled(self.task_combo.count() > 1)
        self.task_combo.blockSignals(False)
        self.update_trust()
        self.changed.emit()

    def update_trust(self) -> None:
        """The chosen model's verdict (call again once a job has loaded its weights: first-layer check)."""
        self.trust.show_for([self.entry()])

    def entry(self):
        name = self.model_combo.currentText()
        for m in self.viewer.models:
            if m.name == name:
                return m
        return None

    def target(self) -> int:
        return max(0, self.task_combo.currentIndex())

    def set_model(self, name: str) -> None:
        self.model_combo.setCurrentText(name)


def make_spin(value: int, lo: int, hi: int, tip: str, step: int = 1) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(lo, hi)
    spin.setSingleStep(step)
    spin.setValue(value)
    spin.setToolTip(tip)
    spin.setGroupSeparatorShown(True)
    return spin


def _status_label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _table(columns, stretch: int = 1) -> QTableWidget:
    t = QTableWidget(0, len(columns))
    t.setHorizontalHeaderLabels(columns)
    t.verticalHeader().setVisible(False)
    t.verticalHeader().setDefaultSectionSize(t.fontMetrics().height() + 6)
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setAlternatingRowColors(True)
    header = t.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return t


def _num_item(text: str, value: float) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setData(Qt.ItemDataRole.UserRole, float(value))
    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


class _SortItem(QTableWidgetItem):
    """Sorts by the number in UserRole when there is one."""

    def __lt__(self, other):
        a, b = self.data(Qt.ItemDataRole.UserRole), other.data(Qt.ItemDataRole.UserRole)
        if a is not None and b is not None:
            return float(a) < float(b)
        return super().__lt__(other)


def _sort_num_item(text: str, value: float) -> QTableWidgetItem:
    item = _SortItem(text)
    item.setData(Qt.ItemDataRole.UserRole, float(value))
    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


# ---------------------------------------------------------------------------------------------
# The panel


def fmt_duration(seconds: float) -> str:
    """'0.4 s', '12 s', '2 min 5 s'."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{int(seconds // 60)} min {round(seconds % 60)} s"


def motif_label(m) -> str:
    """Short name of an extracted motif for tables: its method, and the filter for activation motifs."""
    if m.method == "activation":
        return f"activation, {m.pwm.name.replace(' activation', '')}"
    return {"saliency": "saliency 9-mers", "temporal": "temporal output", "classopt": "class optimization"}.get(
        m.method, m.label)


class MotifsPanel(QWidget):
    """JASPAR browser and the motifs extracted from a model by each method."""

    title = "Motifs"
    IDLE_TEXT = "Choose methods and press Extract motifs: they run over the open sequences."

    def __init__(self, viewer, window, parent=None):
        super().__init__(parent)
        from deemo_gui.viewer import motif_jobs

        self.viewer, self.window_ = viewer, window
        self.jaspar: list = []
        self.shown_jaspar: list = []
        self.jaspar_worker: Worker | None = None
        self.worker: Worker | None = None
        self.outcome = None
        self._loaded_release = None

        # -- left: JASPAR browser ---------------------------------------------------------
        self.release_combo = release_combo()
        self.release_combo.currentTextChanged.connect(lambda _t: self.load_jaspar())
        self.search_edit = QLineEdit(placeholderText="TF name or matrix ID, e.g. CTCF or MA0139")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.textChanged.connect(self._filter_jaspar)
        self.jaspar_count = QLabel("")
        self.jaspar_table = _table(("ID", "Name", "Width", "IC (bits)"))
        self.jaspar_table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.jaspar_table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.jaspar_table.setSortingEnabled(True)
        self.jaspar_table.itemSelectionChanged.connect(self._jaspar_selected)
        self.jaspar_logo = MiniLogo(min_height=90)
        self.jaspar_logo.clear("Select a matrix to see its logo")
        self.jaspar_export = QPushButton("Export MEME…")
        self.jaspar_export.setToolTip("Write the selected JASPAR matrices to a MEME motif file")
        self.jaspar_export.clicked.connect(self._export_jaspar)
        self.jaspar_logo_button = QPushButton("Export logo…")
        self.jaspar_logo_button.setToolTip("Save the shown logo as PNG, SVG or PDF")
        self.jaspar_logo_button.clicked.connect(
            lambda: self.jaspar_logo.pwm is not None
            and export_logo_dialog(self, self.jaspar_logo.pwm, self.jaspar_logo.title))
        top = QHBoxLayout()
        top.addWidget(QLabel("Release:"))
        top.addWidget(self.release_combo)
        top.addWidget(self.jaspar_count, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.jaspar_export)
        buttons.addWidget(self.jaspar_logo_button)
        buttons.addStretch(1)
        browse = QWidget()
        left = QVBoxLayout(browse)
        left.setContentsMargins(0, 0, 0, 0)
        left.addLayout(top)
        left.addWidget(self.search_edit)
        left.addWidget(self.jaspar_table, 1)
        logo_side = QWidget()
        logo_layout = QVBoxLayout(logo_side)
        logo_layout.setContentsMargins(0, 0, 0, 0)
        self.jaspar_logo.setMaximumHeight(230)
        self.jaspar_info = QLabel("")
        self.jaspar_info.setWordWrap(True)
        self.jaspar_info.setTextFormat(Qt.TextFormat.RichText)
        self.jaspar_info.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.jaspar_info.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.jaspar_info.setOpenExternalLinks(True)
        logo_layout.addWidget(self.jaspar_logo, 3)
        logo_layout.addLayout(buttons)
        logo_layout.addWidget(self.jaspar_info, 2)
        jaspar_page = QSplitter(Qt.Orientation.Horizontal)
        jaspar_page.addWidget(browse)
        jaspar_page.addWidget(logo_side)
        jaspar_page.setStretchFactor(0, 1)
        jaspar_page.setStretchFactor(1, 1)

        # -- right: extracted motifs ------------------------------------------------------
        self.chooser = ModelChooser(viewer, parent=self)
        self.chooser.changed.connect(self._model_changed)
        why = motif_jobs.available_methods
        self._why = why
        self.method_checks: dict[str, QCheckBox] = {}
        tips = {
            "saliency": "Best 9-nt window of summed saliency in each positive sequence, aligned and counted "
                        "(Deep Motif Dashboard sec. 3.4)",
            "temporal": "9-nt windows ending where the forward temporal score switches from negative to "
                        "positive, P(bound) crossing 0.5 (DeMo Dashboard sec. 3.4; recurrent networks only); "
                        "switches in the first 9 positions are the start transient and do not count, and "
                        "sequences that never switch later are left out",
            "classopt": "The 9 most informative columns of the class-optimized input (DeMo Dashboard sec. 3.4; "
                        "1000 steps, lambda 0.009, lr 0.05 as in their code)",
            "activation": "DeepBind's convolution-activation baseline: per first-layer filter, the window at its "
                          "largest activation in each sequence (Alipanahi et al. 2015)",
        }
        methods_row = QHBoxLayout()
        for m in motif_jobs.EXTRACT_METHODS:
            box = QCheckBox(motif_jobs.METHOD_LABELS[m].replace(" 9-mers", "").replace(" output", ""))
            box.setChecked(True)
            box.setToolTip(tips[m])
            self.method_checks[m] = box
            methods_row.addWidget(box)
        methods_row.addStretch(1)
        self.max_spin = make_spin(motif_jobs.EXTRACT_MAX_SEQUENCES, 10, 1_000_000,
                                  "Use at most this many open sequences (the first ones; positives when the "
                                  "files are labelled). Default 1,000 (ours): saliency and temporal output cost "
                                  "a backward pass or one run per prefix for each sequence.", step=500)
        self.run_button = QPushButton("Extract motifs")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.run)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.meme_button = QToolButton()
        self.meme_button.setText("Export MEME…")
        self.meme_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.meme_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.meme_button.setToolTip("Write every extracted motif to a MEME file (the arrow: only the selected rows)")
        meme_menu = QMenu(self.meme_button)
        meme_menu.addAction("All extracted motifs…", lambda: self._export_extracted(False))
        meme_menu.addAction("Only the selected motifs…", lambda: self._export_extracted(True))
        self.meme_button.setMenu(meme_menu)
        self.meme_button.clicked.connect(lambda: self._export_extracted(False))
        self.meme_button.setEnabled(False)
        self._started_at: float | None = None
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        model_row = QHBoxLayout()
        model_row.addWidget(self.chooser.model_combo, 2)
        model_row.addWidget(self.chooser.task_combo, 1)
        form.addRow("Model:", model_row)
        form.addRow("Methods:", methods_row)
        seq_row = QHBoxLayout()
        seq_row.addWidget(self.max_spin)
        seq_row.addWidget(self.run_button)
        seq_row.addWidget(self.cancel_button)
        seq_row.addWidget(self.meme_button)
        seq_row.addStretch(1)
        form.addRow("Sequences:", seq_row)
        self.status = _status_label(self.IDLE_TEXT)
        self.extract_table = _table(("Motif", "Consensus", "IC", "Best JASPAR match", "E"), stretch=3)
        for k, tip in enumerate(("How the motif was found", "Most likely letter per column",
                                 "Information content of the motif, bits", "Tomtom's best match (grey: E >= 0.05)",
                                 MATCH_TIPS["E"])):
            self.extract_table.horizontalHeaderItem(k).setToolTip(tip)
        self.extract_table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.extract_table.setSortingEnabled(True)
        self.extract_table.itemSelectionChanged.connect(self._extract_selected)
        self.aligned = AlignedLogos()
        self.aligned.clear("Select an extracted motif")
        self.matches = MatchesTable()
        self.matches.row_chosen.connect(self._match_chosen)
        detail = QSplitter(Qt.Orientation.Horizontal)
        detail.addWidget(self.aligned)
        detail.addWidget(self.matches)
        detail.setStretchFactor(0, 2)
        detail.setStretchFactor(1, 3)
        learned_page = QWidget()
        right = QVBoxLayout(learned_page)
        right.setContentsMargins(4, 4, 4, 0)
        right.addLayout(form)
        right.addWidget(self.chooser.trust)
        right.addWidget(self.status)
        vsplit = QSplitter(Qt.Orientation.Vertical)
        vsplit.addWidget(self.extract_table)
        vsplit.addWidget(detail)
        vsplit.setStretchFactor(0, 1)
        vsplit.setStretchFactor(1, 1)
        vsplit.setChildrenCollapsible(False)
        right.addWidget(vsplit, 1)

        self.pages = QTabWidget()
        self.pages.setDocumentMode(True)
        self.pages.addTab(learned_page, "Learned by the model")
        self.pages.addTab(jaspar_page, "JASPAR browser")
        self.pages.setTabToolTip(1, "JASPAR CORE vertebrates, offline (pyjaspar): search by TF name or matrix ID")
        from deemo_gui.qt.panels.modisco import ModiscoPage

        self.modisco = ModiscoPage(viewer, window, parent=self)
        self.pages.addTab(self.modisco, "TF-MoDISco")
        self.pages.setTabToolTip(2, "Motifs discovered by TF-MoDISco in the attributions of the open sequences")
        self.pages.currentChanged.connect(lambda _i: self.shown())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 4)
        layout.addWidget(self.pages)
        self._rows: list = []
        self._current = None
        self._model_changed()

    # -- JASPAR ------------------------------------------------------------------------------
    def shown(self) -> None:
        if not self.jaspar and (self.jaspar_worker is None or not self.jaspar_worker.is_running()):
            self.load_jaspar()

    def load_jaspar(self, wait: bool = False):
        from deemo_gui.viewer import motif_jobs

        release = self.release_combo.currentText() or None
        worker = Worker(motif_jobs.jaspar_motifs, release, name=f"Reading {release}")
        worker.returned.connect(lambda pwms, r=release: self._jaspar_loaded(r, pwms))
        self.jaspar_worker = worker
        self.jaspar_count.setText("reading…")
        self._start(worker, "Reading JASPAR")
        if wait:
            worker.wait()
        return worker

    def _jaspar_loaded(self, release, pwms) -> None:
        if release != self.release_combo.currentText():
            return
        self.jaspar = list(pwms)
        self._loaded_release = release
        self._filter_jaspar()

    def _filter_jaspar(self) -> None:
        from deemo_gui.viewer.motif_jobs import search_jaspar

        shown = search_jaspar(self.jaspar, self.search_edit.text())
        self.shown_jaspar = shown
        t = self.jaspar_table
        t.setSortingEnabled(False)
        t.blockSignals(True)
        t.setRowCount(len(shown))
        for i, pwm in enumerate(shown):
            id_item = QTableWidgetItem(pwm.id)
            id_item.setData(Qt.ItemDataRole.UserRole + 1, i)
            t.setItem(i, 0, id_item)
            t.setItem(i, 1, QTableWidgetItem(pwm.name))
            t.setItem(i, 2, _sort_num_item(str(pwm.width), pwm.width))
            t.setItem(i, 3, _sort_num_item(f"{pwm.total_ic:.1f}", pwm.total_ic))
        t.blockSignals(False)
        t.setSortingEnabled(True)
        n = len(self.jaspar)
        self.jaspar_count.setText(f"{len(shown):,} of {n:,} matrices" if n else "")
        if shown:
            t.clearSelection()
            t.selectRow(0)
            self._jaspar_selected()
        else:
            self.jaspar_logo.clear("No matrix matches the search" if n else "")
            self.jaspar_info.setText("")

    def selected_jaspar(self) -> list:
        rows = sorted({ix.row() for ix in self.jaspar_table.selectionModel().selectedRows()})
        out = []
        for r in rows:
            item = self.jaspar_table.item(r, 0)
            if item is not None:
                out.append(self.shown_jaspar[int(item.data(Qt.ItemDataRole.UserRole + 1))])
        return out

    def _jaspar_selected(self) -> None:
        sel = self.selected_jaspar()
        if sel:
            pwm = sel[-1]
            self.jaspar_logo.set_pwm(pwm, f"{pwm.id} {pwm.name}")
            sites = f"{pwm.nsites:,.0f} sites; " if pwm.nsites else ""
            more = f"<br>{len(sel)} matrices selected for MEME export." if len(sel) > 1 else ""
            self.jaspar_info.setText(
                f"<b>{pwm.id}</b> {pwm.name} ({pwm.source}, CORE vertebrates)<br>{pwm.width} columns, "
                f"{pwm.total_ic:.1f} bits, {sites}consensus <tt>{pwm.consensus()}</tt><br>"
                f"<a href='https://jaspar.elixir.no/matrix/{pwm.id}/'>jaspar.elixir.no/matrix/{pwm.id}</a>{more}")

    def _export_jaspar(self) -> None:
        export_meme_dialog(self, self.selected_jaspar(), "JASPAR matrices")

    # -- extraction --------------------------------------------------------------------------
    def _model_changed(self) -> None:
        entry = self.chooser.entry()
        why = self._why(entry) if entry is not None else {}
        for m, box in self.method_checks.items():
            reason = why.get(m, "")
            box.setEnabled(entry is not None and not reason)
            tip = box.toolTip().split("\n\nNot for")[0]
            box.setToolTip(tip + (f"\n\nNot for this model: {reason}" if reason else ""))
        self.run_button.setEnabled(entry is not None and not (self.worker and self.worker.is_running()))
        # show the cached outcome of this model, if any
        self._show_outcome(self._cached(entry) if entry is not None else None)

    def methods(self) -> list[str]:
        return [m for m, box in self.method_checks.items() if box.isChecked() and box.isEnabled()]

    def _cached(self, entry):
        return self.viewer.results.get(("motif_panel_extract", entry.name, self.chooser.target()))

    def run(self) -> Worker | None:
        from deemo_gui.qt.errors import report_exception, show_error
        from deemo_gui.viewer import motif_jobs

        if self.worker is not None and self.worker.is_running():
            return None
        entry = self.chooser.entry()
        if entry is None:
            show_error(self, "Tick a model in the Models list first.")
            return None
        methods = self.methods()
        if not methods:
            show_error(self, "Choose at least one method that applies to this model.")
            return None
        target = self.chooser.target()
        try:
            sample = motif_jobs.collect_sequences(self.viewer, entry, target=target, max_seqs=self.max_spin.value())
        except Exception as exc:
            report_exception(self, exc, "Extracting motifs")
            return None
        release = self.release_combo.currentText() or None
        worker = Worker(motif_jobs.extract_job, entry, sample.seqs, methods, target=target, release=release,
                        cache=self.viewer.results, name=f"Motifs of {entry.name}", progress=motif_jobs.progress_of)
        worker.returned.connect(lambda out, e=entry, t=target, s=sample: self._done(e, t, s, out))
        worker.aborted.connect(lambda: self.status.setText("Cancelled."))
        worker.errored.connect(lambda exc: self.status.setText(f"Stopped with an error: {exc}"))
        worker.progress.connect(lambda d, t, text: self.status.setText(text))
        worker.finished.connect(self._finished)
        self.worker = worker
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.status.setText(f"Extracting motifs from {sample.description}…")
        self._started_at = time.perf_counter()   # the user's wait, whatever the job's own clock says
        self._start(worker, "Extracting motifs")
        return worker

    def cancel(self) -> None:
        if self.worker is not None and self.worker.is_running():
            self.worker.cancel()
            self.cancel_button.setEnabled(False)
            self.status.setText("Cancelling…")

    def _finished(self) -> None:
        self.cancel_button.setEnabled(False)
        self.run_button.setEnabled(self.chooser.entry() is not None)
        self.chooser.update_trust()  # the job loaded the weights: the first-layer check can run now

    def _done(self, entry, target, sample, outcome) -> None:
        waited = None if self._started_at is None else time.perf_counter() - self._started_at
        self._started_at = None
        self.viewer.results.put(("motif_panel_extract", entry.name, target), (outcome, sample.description))
        if self.chooser.entry() is entry and self.chooser.target() == target:
            self._show_outcome((outcome, sample.description), waited)

    def _show_outcome(self, cached, waited: float | None = None) -> None:
        """The extracted motifs of `cached` = (outcome, description) in the table (None: empty, and the
        status says what to do); `waited`: seconds from the click to the result (None: shown again)."""
        from deemo_gui.viewer.motif_jobs import METHOD_LABELS

        t = self.extract_table
        t.setSortingEnabled(False)
        t.blockSignals(True)
        if cached is None:
            t.setRowCount(0)
            t.blockSignals(False)
            self.outcome, self._rows = None, []
            self.meme_button.setEnabled(False)
            self.aligned.clear("Select an extracted motif")
            self.matches.set_matches(None)
            if not (self.worker is not None and self.worker.is_running()):   # no stale "130 motifs…" line
                self.status.setText(self.IDLE_TEXT)
            return
        outcome, description = cached
        self.outcome = outcome
        # one-motif methods first (saliency, temporal, class optimization), then the filters' activation
        # motifs, best match first
        single = [m for m in outcome.motifs if m.method != "activation"]
        per_filter = sorted((m for m in outcome.motifs if m.method == "activation"), key=lambda m: (m.low_information, m.best_E))
        self._rows = single + per_filter
        t.setRowCount(len(self._rows))
        for i, m in enumerate(self._rows):
            first = QTableWidgetItem(motif_label(m))
            first.setData(Qt.ItemDataRole.UserRole + 1, i)
            first.setToolTip(m.pwm.source)
            t.setItem(i, 0, first)
            t.setItem(i, 1, QTableWidgetItem(m.pwm.consensus()))
            t.setItem(i, 2, _sort_num_item(f"{m.pwm.total_ic:.1f}", m.pwm.total_ic))
            best = QTableWidgetItem(f"{m.best_name} ({m.best_id})" if m.best_id else "–")
            if m.low_information:
                best.setText(f"not comparable ({low_information_text(m.pwm)})")
                best.setToolTip(LOW_INFORMATION_TIP.format(bits=LOW_INFORMATION_BITS)
                                + (f" Tomtom's best: {m.best_name} ({m.best_id})." if m.best_id else ""))
            if not m.significant:
                best.setForeground(QColor("#888888"))
            t.setItem(i, 3, best)
            # too-flat motifs sort after every comparable one by E
            t.setItem(i, 4, _sort_num_item("–" if m.low_information else fmt_p(m.best_E),
                                           m.best_E + (1e300 if m.low_information else 0.0)))
        t.blockSignals(False)
        t.setSortingEnabled(True)
        skipped = "; ".join(f"{METHOD_LABELS[k]} skipped: {v}" for k, v in outcome.skipped.items())
        n_sig = sum(m.significant for m in self._rows)
        n_flat = sum(m.low_information for m in self._rows)
        flat = (f" {n_flat} {'is' if n_flat == 1 else 'are'} too flat to compare "
                f"(under {LOW_INFORMATION_BITS:g} bits per column)." if n_flat else "")
        took = (f"{fmt_duration(waited)}" if waited is not None else
                f"computed earlier in {fmt_duration(outcome.seconds)}, shown again")
        self.status.setText(f"{len(self._rows)} motifs from {description}; {n_sig} match a {outcome.release} "
                            f"motif with E < 0.05 ({took}).{flat}" + (f" {skipped}." if skipped else ""))
        self.meme_button.setEnabled(bool(self._rows))
        if self._rows:
            t.selectRow(0)

    def selected_extracted(self) -> list:
        rows = sorted({ix.row() for ix in self.extract_table.selectionModel().selectedRows()})
        out = []
        for r in rows:
            item = self.extract_table.item(r, 0)
            if item is not None:
                out.append(self._rows[int(item.data(Qt.ItemDataRole.UserRole + 1))])
        return out

    def _extract_selected(self) -> None:
        sel = self.selected_extracted()
        if not sel:
            return
        m = sel[-1]
        self._current = m
        if m.low_information:   # Tomtom's "best match" of a flat matrix means nothing: no E, no CTCF table
            self.matches.set_matches(None)
            self.aligned.set_match(m.pwm, f"{motif_label(m)}: {m.pwm.consensus()} — not comparable "
                                   f"({low_information_text(m.pwm)})", None, None)
            self.aligned.target.clear("too flat to compare with JASPAR: no E-value, no match list")
            return
        self.matches.set_matches(m.matches)
        self.aligned.set_match(m.pwm, f"{motif_label(m)}: {m.pwm.consensus()}", m.best, m.best_row)

    def _match_chosen(self, row: int) -> None:
        m = self._current
        if m is None or self.matches.df is None or row >= len(self.matches.df):
            return
        r = self.matches.df.iloc[row]
        target = next((p for p in self.jaspar if p.id == r["target_id"]), None)
        if target is None:
            from deemo_gui.viewer.motif_jobs import jaspar_motifs

            target = next((p for p in jaspar_motifs(self.outcome.release) if p.id == r["target_id"]), None)
        self.aligned.set_match(m.pwm, f"{motif_label(m)}: {m.pwm.consensus()}", target, r)

    def _export_extracted(self, only_selected: bool = False) -> str | None:
        """All extracted motifs to a MEME file (`only_selected`: the selected rows)."""
        chosen = self.selected_extracted() if only_selected else self._rows
        return export_meme_dialog(self, [m.pwm for m in chosen], "selected motifs" if only_selected else "extracted motifs")

    # -- shared ------------------------------------------------------------------------------
    def _start(self, worker: Worker, context: str) -> None:
        from deemo_gui.qt.panels._single_job import start_job

        start_job(self.window_, worker, context)

    def shutdown(self) -> None:
        self.modisco.shutdown()
        for w in (self.worker, self.jaspar_worker):
            if w is not None and w.is_running():
                w.cancel()
                w.wait(10_000)
