"""The Temporal panel: how a recurrent model's belief builds up along the sequence.

Deep Motif Dashboard sec. 3.2 (Lanchantin et al. 2017, QData/DeepMotif temporal_output_values.lua):
for every position i, the forward curve is P(bound) of the prefix x_1..x_i and the backward curve
P(bound) of the suffix x_i..x_L. A jump in the forward curve marks the base where the network, reading
left to right, became convinced; the backward curve reads right to left. Curves sit on a 0..1 axis
with a dashed 0.5 guide, one plot per selected recurrent model (rnn*, cnn-rnn* presets), above the
sequence they are aligned to.
"""

from __future__ import annotations

from deemo_gui import palette
from deemo_gui.qt.panels.analysis_panel import SCORE_HEIGHT, AnalysisPanel, escape, prob_text
from deemo_gui.viewer import analysis as A

# The panel header's colour key (plot titles carry the short one, `score_track.TEMPORAL_LEGEND`).
TEMPORAL_EXPLAINED = (
    f"<span style='color:{palette.FORWARD_COLOR}'><b>━━ forward</b></span>: "
    "P(bound) of bases 1..i &nbsp; "
    f"<span style='color:{palette.BACKWARD_COLOR}'><b>━━ backward</b></span>: "
    "P(bound) of bases i..end"
)
# Which definition the curves follow (`core.explain.temporal`; the DeMo code's sliced variant is
# `deemo explain --method temporal --temporal-definition demo-code`).
DEFINITION_NOTE = (
    "<span title='The model is run on each prefix (forward) and each suffix (backward); a "
    "CNN-RNN&#39;s convolution sees only that part. The DeMo code instead convolves the whole "
    "sequence and slices the columns, so a prefix&#39;s last columns see a half kernel beyond "
    "it (deemo explain --temporal-definition demo-code).'>paper definition (sec. 3.2)</span>"
)


class TemporalPanel(AnalysisPanel):
    """Forward and backward temporal output scores of the selected recurrent models."""

    title = "Temporal"
    methods = ("prob", "temporal")
    job_name = "Temporal output scores"

    def __init__(self, viewer, window, parent=None):
        super().__init__(viewer, window, parent)
        self.header.addWidget(self.recompute_button)
        self.temporal_plots: dict[str, object] = {}
        self.sequence_plot = None
        self.build_body()

    def models(self) -> list:
        return [m for m in self.viewer.selected_models if A.is_recurrent(m)]

    def empty_message(self, seq: str, entries: list) -> str:
        if not seq:
            return super().empty_message(seq, entries)
        if not entries:
            selected = self.viewer.selected_models
            tfs = {A.model_tf(m) for m in selected}
            recurrent = [
                m.name
                for m in sorted(
                    (m for m in self.viewer.models if A.is_recurrent(m)), key=lambda m: A.model_tf(m) not in tfs
                )
            ]  # same TF first
            hint = (
                f" Tick one in the <b>Models</b> list, e.g. {', '.join(recurrent[:3])}."
                if recurrent
                else " Train one in the <b>Train</b> tab with an rnn or cnn-rnn network."
            )
            if selected:
                names = ", ".join(f"{m.name} ({m.preset})" for m in selected)
                return (
                    f"Temporal output scores need a recurrent network (rnn or cnn-rnn presets); "
                    f"the selected model{'s are' if len(selected) > 1 else ' is'} not: {names}.{hint}"
                )
            return f"Temporal output scores need a recurrent network (rnn or cnn-rnn presets).{hint}"
        return ""

    def forget(self) -> None:
        self.graphics.clear()
        self.temporal_plots.clear()
        self.sequence_plot = None

    def draw(self, seq: str, result: dict) -> None:
        from deemo_gui.qt.plots import SequencePlot, temporal_plot
        from deemo_gui.qt.plots.score_track import TEMPORAL_LEGEND

        entries = [m for m in self.models() if m.name in result["models"]]
        self.forget()
        stack = self.graphics
        for entry in entries:
            r = result["models"][entry.name]
            plot = temporal_plot(
                r["temporal"][0],
                r["temporal"][1],
                seq,
                ylabel="P(bound)",
                legend=False,
                title=f"{escape(entry.name)} · {prob_text(r, entry)} — {TEMPORAL_LEGEND}",
            )
            self.temporal_plots[entry.name] = stack.add(plot, px=SCORE_HEIGHT + 24)
        seq_plot = SequencePlot(seq, title="Sequence", ylabel="")
        self.sequence_plot = stack.add(seq_plot, px=seq_plot.preferred_px())
        stack.setXExtent(len(seq))

    def ready_status(self, seq: str, result: dict) -> str:
        return (
            super().ready_status(seq, result)
            + f" · {TEMPORAL_EXPLAINED} · {DEFINITION_NOTE} · hover a curve for the values"
        )
