"""The trust verdict (core.verdict) of the models whose explanations a panel draws, as one rich-text label."""
from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

COLORS = {"untrusted": "#B2182B", "caution": "#9A6700"}


def trust_html(entries) -> str:
    """One line per model that is not trusted (red: untrusted, amber: caution); '' when all are."""
    lines = []
    for e in entries:
        v = e.verdict
        if v is None or v.level == "trusted":
            continue
        lines.append(f"<span style='color:{COLORS[v.level]}'>⚠ <b>{escape(e.name)}</b> — {v.level}: "
                     f"{escape('; '.join(v.reasons))}</span>")
    return "<br>".join(lines)


class TrustLabel(QLabel):
    """Shown above an explanation: why its model may not deserve it. Hidden when every model is trusted."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setVisible(False)

    def show_for(self, entries) -> None:
        text = trust_html([e for e in entries if e is not None])
        self.setText(text)
        self.setVisible(bool(text))
