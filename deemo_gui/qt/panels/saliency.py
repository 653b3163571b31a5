"""The Saliency panel: which bases of the current sequence drive each selected model's prediction.

Per selected model, three tracks aligned on the sequence (hover any of them for position, base and
value):

- attribution at each base, for the method chosen in the combo box: gradient x input (Deep Motif
  Dashboard sec. 3.1), guided backpropagation x input (Springenberg et al. 2015) or integrated
  gradients (Sundararajan et al. 2017, uniform 0.25 baseline; the positions add up to
  logit(sequence) - logit(baseline)). Signed, in logit units; bars coloured by the base;
- in-silico mutagenesis: the change of the logit for each of the 3 substitutions at every position
  (rows A C G T = the new base; blue lowers, red raises the score; 0 at the observed base);
- the saliency logo of Koo & Eddy 2019 (guided-backprop gradient, Boltzmann-normalised with
  lambda = 3, scaled by information content, in bits).

All three methods are computed together in one worker (a few hundred ms per CNN), so switching the
method is instant; results are cached per model and sequence text in `viewer.results`.
"""
from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLabel

from deemo_gui import palette
from deemo_gui.qt.panels import dashboard as D
from deemo_gui.viewer import analysis as A

ATTRIBUTION_METHODS = (
    ("saliency", "Gradient × input", "The gradient of the logit at the observed base (Deep Motif Dashboard "
     "sec. 3.1): how much a small increase of that base's one-hot value raises the score"),
    ("guided", "Guided backprop × input", "Guided backpropagation (Springenberg et al. 2015; Koo & Eddy "
     "2019) at the observed base: only positive evidence flows back through each ReLU (networks without ReLUs, "
     "the rnn presets, give the plain gradient)"),
    ("integrated_gradients", "Integrated gradients", "Integrated gradients (Sundararajan et al. 2017) from a "
     "uniform 0.25 baseline: per position, the positions add up to logit(sequence) − logit(baseline)"),
)
METHOD_NAMES = {key: name for key, name, _ in ATTRIBUTION_METHODS}
HOVER_NAMES = {"saliency": "grad×input", "guided": "guided×input", "integrated_gradients": "IG"}


class SaliencyPanel(D.AnalysisPanel):
    """Attribution tracks, the ISM heat map and the saliency logo of each selected model."""

    title = "Saliency"
    methods = ("prob", "saliency", "guided", "integrated_gradients", "ism", "saliency_logo")
    job_name = "Saliency maps"

    def __init__(self, viewer, window, parent=None):
        super().__init__(viewer, window, parent)
        self.method_combo = QComboBox()
        for k, (key, name, tip) in enumerate(ATTRIBUTION_METHODS):
            self.method_combo.addItem(name, key)
            self.method_combo.setItemData(k, tip, 3)  # Qt.ToolTipRole
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
        if self.result is not None and self.state == "ready":
            self.draw(self.shown_key[0], self.result)

    # -- drawing ---------------------------------------------------------------------------------
    def forget(self) -> None:
        self.graphics.clear()
        self.track_plots.clear()
        self.ism_plots.clear()
        self.logo_plots.clear()
        self.colorbars.clear()

    def draw(self, seq: str, result: dict) -> None:
        from deemo_gui.qt.plots.axes import link_x

        entries = [m for m in self.models() if m.name in result["models"]]
        self.forget()
        g = self.graphics
        grid = g.addLayout(row=0, col=0)
        grid.setSpacing(0)
        method = self.method
        aligned, row, height = [], 0, 0
        for entry in entries:
            r = result["models"][entry.name]
            track = A.attribution_track(r, method, seq)
            plot = D.new_track("attribution (logit)",
                               title=f"{D._escape(entry.name)} · {D.prob_text(r, entry)} — {METHOD_NAMES[method]}")
            D.bar_track(plot, track, seq, name=HOVER_NAMES[method], signed=True)
            grid.addItem(plot, row=row, col=0)
            D.fix_height(plot, D.SCORE_HEIGHT)
            self.track_plots[entry.name] = plot
            aligned.append(plot)
            row += 1

            ism = D.new_track("new base", title="In-silico mutagenesis: Δ logit of each substitution "
                                                "(blue lowers, red raises)")
            image, m = D.heatmap_track(ism, r["ism"], seq, name="Δ logit")
            grid.addItem(ism, row=row, col=0)
            bar = D.colorbar(image, ism, "Δ logit", m)
            grid.addItem(bar, row=row, col=1)
            D.fix_height(ism, D.HEATMAP_HEIGHT)
            D.fix_height(bar, D.HEATMAP_HEIGHT)
            ism.image = image
            self.ism_plots[entry.name] = ism
            self.colorbars[entry.name] = bar
            aligned.append(ism)
            row += 1

            logo = D.logo_plot(r["saliency_logo"], None)
            how = "guided backprop" if A.has_relu(entry) else "gradient (no ReLU: guided = plain)"
            D.set_track_title(logo, f"Saliency logo (Koo & Eddy 2019, λ = 3): {how}, in bits")
            logo.setMouseEnabled(x=True, y=False)
            grid.addItem(logo, row=row, col=0)
            D.fix_height(logo, D.SCORE_HEIGHT)
            self.logo_plots[entry.name] = logo
            aligned.append(logo)
            row += 1
            height += 2 * D.SCORE_HEIGHT + D.HEATMAP_HEIGHT
        if aligned:
            last = aligned[-1]
            last.setLabel("bottom", "position in the sequence (nt)", color=palette.TEXT_COLOR)
            D.fix_height(last, int(last.maximumHeight()) + 18)
            height += 18
            link_x(aligned)
            for p in aligned:
                D.set_x_extent(p, len(seq))
        D.fit_height(g, height + 16)

    def ready_status(self, seq: str, result: dict) -> str:
        return super().ready_status(seq, result) + " · hover a track for position, base and value"
