"""The Temporal panel: how a recurrent model's belief builds up along the sequence.

Deep Motif Dashboard sec. 3.2 (Lanchantin et al. 2017, QData/DeepMotif temporal_output_values.lua):
for every position i, the forward curve is P(bound) of the prefix x_1..x_i and the backward curve
P(bound) of the suffix x_i..x_L. A jump in the forward curve marks the base where the network, reading
left to right, became convinced; the backward curve reads right to left. Curves sit on a 0..1 axis
with a dashed 0.5 guide, one plot per selected recurrent model (rnn*, cnn-rnn* presets), above the
sequence they are aligned to.
"""
from __future__ import annotations

from PySide6.QtWidgets import QVBoxLayout

from deemo_gui import palette
from deemo_gui.qt.panels import dashboard as D
from deemo_gui.viewer import analysis as A


class TemporalPanel(D.AnalysisPanel):
    """Forward and backward temporal output scores of the selected recurrent models."""

    title = "Temporal"
    methods = ("prob", "temporal")
    job_name = "Temporal output scores"

    def __init__(self, viewer, window, parent=None):
        super().__init__(viewer, window, parent)
        self.header.addWidget(self.recompute_button)
        self.graphics = D.graphics_widget()
        self.scroll = D.in_scroll_area(self.graphics)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(self.header)
        layout.addWidget(self.scroll, 1)
        self.temporal_plots: dict[str, object] = {}
        self.sequence_plot = None
        self.draw_message(self.empty_message(viewer.current_sequence, self.models()) or "Computing…")

    def models(self) -> list:
        return [m for m in self.viewer.selected_models if A.is_recurrent(m)]

    def empty_message(self, seq: str, entries: list) -> str:
        if not seq:
            return super().empty_message(seq, entries)
        if not entries:
            selected = self.viewer.selected_models
            recurrent = [m.name for m in self.viewer.models if A.is_recurrent(m)]
            hint = (f" Tick one in the <b>Models</b> list, e.g. {', '.join(recurrent[:3])}." if recurrent else
                    " Train one in the <b>Train</b> tab with an rnn or cnn-rnn network.")
            if selected:
                names = ", ".join(f"{m.name} ({m.preset})" for m in selected)
                return (f"Temporal output scores need a recurrent network (rnn or cnn-rnn presets); "
                        f"the selected model{'s are' if len(selected) > 1 else ' is'} not: {names}.{hint}")
            return f"Temporal output scores need a recurrent network (rnn or cnn-rnn presets).{hint}"
        return ""

    def _forget(self) -> None:
        self.graphics.clear()
        self.temporal_plots.clear()
        self.sequence_plot = None

    def draw_message(self, text: str) -> None:
        self._forget()
        self.graphics.addItem(D.message_item(text))
        self.graphics.setMinimumHeight(0)

    def draw(self, seq: str, result: dict) -> None:
        from deemo_gui.qt.plots.axes import link_x

        entries = [m for m in self.models() if m.name in result["models"]]
        self._forget()
        grid = self.graphics.addLayout(row=0, col=0)
        grid.setSpacing(0)
        aligned, height = [], 0
        for row, entry in enumerate(entries):
            r = result["models"][entry.name]
            plot = D.new_track("P(bound)", title=f"{entry.name} · {D.prob_text(r, entry)} — "
                                                 "temporal output scores")
            D.temporal_track(plot, r["temporal"][0], r["temporal"][1], seq)
            grid.addItem(plot, row=row, col=0)
            D.fix_height(plot, D.SCORE_HEIGHT + 40)
            height += D.SCORE_HEIGHT + 40
            self.temporal_plots[entry.name] = plot
            aligned.append(plot)
        seq_plot = D.new_track("", title="Sequence")
        D.sequence_track(seq_plot, seq)
        seq_plot.setLabel("bottom", "position in the sequence (nt)", color=palette.TEXT_COLOR)
        grid.addItem(seq_plot, row=len(entries), col=0)
        D.fix_height(seq_plot, D.SEQUENCE_HEIGHT + 12)
        height += D.SEQUENCE_HEIGHT + 12
        self.sequence_plot = seq_plot
        aligned.append(seq_plot)
        link_x(aligned)
        self.graphics.setMinimumHeight(height + 16)

    def ready_status(self, seq: str, result: dict) -> str:
        return super().ready_status(seq, result) + " · hover a curve for position, base and both scores"
