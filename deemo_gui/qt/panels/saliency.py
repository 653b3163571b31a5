"""The Saliency panel: which bases of the current sequence drive each selected model's prediction.

Per selected model, three tracks aligned on the sequence (hover any of them for position, base and
value):

- attribution at each base, for the method chosen in the combo box: gradient x input (Deep Motif
  Dashboard sec. 3.1), guided backpropagation x input (Springenberg et al. 2015) or integrated
  gradients (Sundararajan et al. 2017, uniform 0.25 baseline; the positions add up to
  logit(sequence) - logit(baseline)) or DeepLIFT/SHAP (20 dinucleotide-shuffled references; its
  convergence delta in the title, a warning above tolerance; recurrent models get a note instead).
  Signed, in logit units; bars coloured by the base;
- in-silico mutagenesis: the change of the logit for each of the 3 substitutions at every position
  (rows A C G T = the new base; blue lowers, red raises the score; 0 at the observed base);
- the saliency logo of Koo & Eddy 2019 (guided-backprop gradient, Boltzmann-normalised with
  lambda = 3, scaled by information content, in bits).

All three methods are computed together in one worker (a few hundred ms per CNN), so switching the
method is instant; results are cached per model and sequence text in `viewer.results`.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QComboBox, QLabel

from deemo_gui.core.methods import METHODS as REGISTRY
from deemo_gui.qt.panels.analysis_panel import HEATMAP_HEIGHT, SCORE_HEIGHT, AnalysisPanel, escape, prob_text
from deemo_gui.viewer import analysis as A

# The attribution tracks offered (ISM is the heat map below them), named and described by the registry.
ATTRIBUTION_METHODS = tuple(
    (key, REGISTRY[key].title, REGISTRY[key].description)
    for key in ("saliency", "guided", "integrated_gradients", "deeplift")
)
# Measured accuracy at planted motifs (BENCHMARKS.md, "Attribution accuracy"; Koo & Eddy synthetic data).
ACCURACY_NOTES = {
    "saliency": "at chance where the model is weak: AUROC 0.46-0.52 at planted motifs for models of test AUROC "
    "0.59-0.66, 0.70 for a DeepBind model of 0.80 (BENCHMARKS.md, attribution accuracy)",
    "guided": "the most accurate here at planted motifs: AUROC 0.76 for a DeepBind model of test AUROC 0.80, and "
    "0.57-0.62 where the others were at chance (BENCHMARKS.md, attribution accuracy)",
    "integrated_gradients": "at chance where the model is weak: AUROC 0.48-0.53 at planted motifs for models of "
    "test AUROC 0.59-0.66, 0.71 for a DeepBind model of 0.80 (BENCHMARKS.md)",
    "deeplift": "AUROC 0.73 at planted motifs for a DeepBind model of test AUROC 0.80, near chance (0.53) for "
    "undertrained CNNs (BENCHMARKS.md, attribution accuracy)",
}
METHOD_NAMES = {key: name for key, name, _ in ATTRIBUTION_METHODS}
HOVER_NAMES = {"saliency": "grad×input", "guided": "guided×input", "integrated_gradients": "IG", "deeplift": "DeepLIFT"}


class SaliencyPanel(AnalysisPanel):
    """Attribution tracks, the ISM heat map and the saliency logo of each selected model."""

    title = "Saliency"
    methods = (
        "prob",
        "saliency",
        "guided",
        "integrated_gradients",
        "ism",
        "deeplift",
        "deeplift_delta",
        "saliency_logo",
    )
    job_name = "Saliency maps"

    def __init__(self, viewer, window, parent=None):
        super().__init__(viewer, window, parent)
        self.method_combo = QComboBox()
        for k, (key, name, tip) in enumerate(ATTRIBUTION_METHODS):
            self.method_combo.addItem(name, key)
            note = ACCURACY_NOTES.get(key)
            self.method_combo.setItemData(k, f"{tip}.\n\nMeasured: {note}." if note else tip, 3)  # Qt.ToolTipRole
        self.method_combo.setToolTip("How the attribution track is computed (hover an item for details)")
        self.method_combo.currentIndexChanged.connect(self._method_changed)
        self.header.addWidget(QLabel("Attribution:"))
        self.header.addWidget(self.method_combo)
        self.header.addWidget(self.recompute_button)
        self.track_plots: dict[str, object] = {}
        self.ism_plots: dict[str, object] = {}
        self.logo_plots: dict[str, object] = {}
        self.colorbars: dict[str, object] = {}
        self.build_body()

    @property
    def method(self) -> str:
        return self.method_combo.currentData()

    def set_method(self, key: str) -> None:
        self.method_combo.setCurrentIndex(self.method_combo.findData(key))

    def _method_changed(self) -> None:
        if self.result is not None and self.state == "ready" and self.shown_key is not None:
            self.draw(self.shown_key[0], self.result)

    # -- drawing ---------------------------------------------------------------------------------
    def forget(self) -> None:
        self.graphics.clear()
        self.track_plots.clear()
        self.ism_plots.clear()
        self.logo_plots.clear()
        self.colorbars.clear()

    def draw(self, seq: str, result: dict) -> None:
        from deemo_gui.qt.plots import HeatmapPlot, LogoPlot, saliency_plot

        entries = [m for m in self.models() if m.name in result["models"]]
        self.forget()
        stack = self.graphics
        method = self.method
        for entry in entries:
            r = result["models"][entry.name]
            title = f"{escape(entry.name)} · {prob_text(r, entry)} — {METHOD_NAMES[method]}"
            if method == "deeplift" and method not in r:  # recurrent: no DeepLIFT rule for LSTM gates
                plot = saliency_plot(np.full(len(seq), np.nan), seq, ylabel="attribution (logit)", title=title)
                plot.setPlaceholder(
                    "DeepLIFT/SHAP is not defined for recurrent models (no rule for LSTM gates):\n"
                    "choose integrated gradients or gradient × input; ISM is below"
                )
                plot.getAxis("left").setTicks([[], []])
            else:
                if method == "deeplift":
                    title += deeplift_delta_text(r)
                plot = saliency_plot(
                    A.attribution_track(r, method, seq),
                    seq,
                    ylabel="attribution (logit)",
                    name=HOVER_NAMES[method],
                    signed=True,
                    title=title,
                )
            self.track_plots[entry.name] = stack.add(plot, px=SCORE_HEIGHT)

            ism = HeatmapPlot(
                r["ism"],
                seq,
                ylabel="new base",
                value_label="Δ logit",
                title="In-silico mutagenesis: Δ logit of each substitution (blue lowers, red raises)",
            )
            self.ism_plots[entry.name] = stack.add(ism, px=HEATMAP_HEIGHT, side=ism.colorbar)
            self.colorbars[entry.name] = ism.colorbar

            how = "guided backprop" if A.has_relu(entry) else "gradient (no ReLU: guided = plain)"
            logo = LogoPlot(r["saliency_logo"])
            logo.setTitle(f"Saliency logo (Koo & Eddy 2019, λ = 3): {how}, in bits", justify="left")
            self.logo_plots[entry.name] = stack.add(logo, px=SCORE_HEIGHT)
        stack.setXExtent(len(seq))

    def ready_status(self, seq: str, result: dict) -> str:
        return super().ready_status(seq, result) + " · hover a track for position, base and value"


def deeplift_delta_text(result: dict) -> str:
    """' · Δ 2e-08' for the title: the convergence delta, in red with a warning above the tolerance."""
    from deemo_gui.core.explain.deeplift import TOLERANCE

    delta = result.get("deeplift_delta")
    if delta is None:
        return ""
    d = float(np.asarray(delta).ravel()[0])
    text = f" · convergence Δ {d:.1g}"
    if abs(d) <= TOLERANCE:
        return text
    return (
        f"<span style='color:#B2182B'>{text}: above {TOLERANCE:g}, the positions do not add up to "
        "the score change (a layer without a DeepLIFT rule?)</span>"
    )
