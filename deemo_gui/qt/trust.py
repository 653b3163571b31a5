"""The trust verdict (core.verdict) of the models whose explanations a panel draws, as one rich-text label."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy

COLORS = {"untrusted": "#B2182B", "caution": "#9A6700"}


def _flagged(entries) -> list[tuple[str, str, str]]:
    """(level, model name, reasons) of each model that is not trusted, untrusted ones first."""
    out = []
    for e in entries:
        v = e.verdict
        if v is None or v.level == "trusted":
            continue
        out.append((v.level, e.name, "; ".join(v.reasons)))
    return sorted(out, key=lambda r: r[0] != "untrusted")


def _line_html(level: str, name: str, why: str) -> str:
    return f"<span style='color:{COLORS[level]}'>⚠ <b>{escape(name)}</b> — {level}: {escape(why)}</span>"


def _rows_html(rows) -> str:
    return "<br>".join(_line_html(*row) for row in rows)


def trust_html(entries) -> str:
    """One line per model that is not trusted (red: untrusted, amber: caution; the untrusted first); ''
    when all are."""
    return _rows_html(_flagged(entries))


class TrustLabel(QLabel):
    """Shown above an explanation: why its model may not deserve it, in one line whatever the number of
    models (the worst first, "+ N more" after it; every line in the tooltip), or, `wrapped` for a narrow
    side column, every line in full. Hidden when all are trusted."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setWordWrap(False)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self._rows: list[tuple[str, str, str]] = []
        self._wrapped = False
        self.setVisible(False)

    def set_wrapped(self, wrapped: bool = True) -> None:
        """Wrap every flagged model's full line instead of eliding one (a column too narrow for one line)."""
        self._wrapped = wrapped
        self.setWordWrap(wrapped)
        horizontal = QSizePolicy.Policy.Preferred if wrapped else QSizePolicy.Policy.Ignored
        self.setSizePolicy(horizontal, QSizePolicy.Policy.Minimum if wrapped else QSizePolicy.Policy.Fixed)
        self._render()

    def show_for(self, entries) -> None:
        entries = [e for e in entries if e is not None]
        self._rows = _flagged(entries)
        self.setToolTip(trust_html(entries))
        self._render()
        self.setVisible(bool(self._rows))

    def full_text(self) -> str:
        """Every flagged model's line, as plain text."""
        return "\n".join(f"⚠ {name} — {level}: {why}" for level, name, why in self._rows)

    def _render(self) -> None:
        if not self._rows or self._wrapped:
            self.setText(_rows_html(self._rows))  # the worst first
            return
        level, name, why = self._rows[0]
        more = len(self._rows) - 1
        suffix = f"   + {more} more model{'s' if more > 1 else ''} (hover)" if more else ""
        fm = self.fontMetrics()
        bold = self.font()
        bold.setBold(True)
        from PySide6.QtGui import QFontMetrics

        head = f"⚠ {name}"
        used = QFontMetrics(bold).horizontalAdvance(head) + fm.horizontalAdvance(f" — {level}: " + suffix) + 24
        room = max(40, self.width() - self.contentsMargins().left() - self.contentsMargins().right() - used)
        why = fm.elidedText(why, Qt.TextElideMode.ElideRight, room)
        self.setText(
            _line_html(level, name, why) + (f"<span style='color:#666'>{escape(suffix)}</span>" if suffix else "")
        )

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._render()
