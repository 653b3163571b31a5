"""The Class optimization panel (Deep Motif Dashboard sec. 3.3): the input a model finds most typical
of the positive class, found by gradient steps on the input. The logo evolves while it optimizes
(every 25 steps), the P(+) curve climbs, and at the end the most informative 9 columns are compared
with JASPAR by Tomtom: the matches table, and the best match's logo aligned under the motif.

Defaults come from the Dashboard's code (QData/DeepMotif class_optimization.lua, via
`deemo_gui.core.explain.classopt`); each field's tooltip says where its default comes from. Results
are kept per model (and settings) in `viewer.results`, so switching models shows each one's result.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from deemo_gui import palette
from deemo_gui.qt.panels._single_job import SingleJobMixin, start_job
from deemo_gui.qt.panels.motif_export import export_logo_dialog, export_meme_dialog
from deemo_gui.qt.panels.motif_logos import AlignedLogos
from deemo_gui.qt.panels.motif_text import match_text
from deemo_gui.qt.panels.motif_widgets import MatchesTable, ModelChooser, make_spin, release_combo, status_label
from deemo_gui.qt.workers import Worker

# Recipe: (label, its learning rate and steps). BENCHMARKS.md ("Class-optimized motifs vs JASPAR")
# compares the two on the zoo: neither wins for every model type, so the DeMo code's stays the default.
RECIPES = {
    "demo": ("DeMo code", 0.05, 1000),
    "simplex": ("Simplex (a PWM)", 0.1, 300),
}

TIPS = {
    "recipe": "DeMo code: the input is optimised unconstrained (RMSprop), then clamped, divided by its maximum "
    "and smoothed into a PWM (QData/DeepMotif class_optimization.lua; the default). Simplex: the input "
    "is a PWM at every step (softmax over the four bases, Adam), so the logo is what the network scored. "
    "BENCHMARKS.md compares them on the zoo models",
    "lam": "λ, the weight of the L2 penalty on the input (maximise log P(+) − λ‖X‖²). Default 0.009: "
    "Deep Motif Dashboard code (QData/DeepMotif class_optimization.lua)",
    "lr": "Learning rate. DeMo code: RMSprop on the input, 0.05 (class_optimization.lua); simplex: Adam on the "
    "column logits, 0.1 (ours, measured)",
    "steps": "Gradient steps. DeMo code: 1000 (class_optimization.lua); simplex: 300 (ours, measured)",
    "restarts": "Random starts optimised together; the best one is kept. Default 1, as the Dashboard code "
    "(one torch.rand start)",
    "seed": "Seed of the random start (uniform in [0, 1), as torch.rand in the Dashboard code). Default 0 (ours)",
    "width": "Columns compared with JASPAR: the most informative window of the optimised PWM. Default 9: "
    "Deep Motif Dashboard sec. 3.4 (9-mers)",
}


class ClassOptPanel(SingleJobMixin, QWidget):
    """Optimise an input for a model's positive class and compare its motif with JASPAR."""

    title = "Class optimization"

    def __init__(self, viewer, window, parent=None):
        super().__init__(parent)
        import pyqtgraph as pg

        from deemo_gui.qt.plots.axes import style_plot
        from deemo_gui.qt.plots.logo_item import logo_widget

        self.viewer, self.window_ = viewer, window
        self.worker: Worker | None = None
        self.outcome = None
        self.last_progress = None
        self._curve_x: list[int] = []
        self._curve_y: list[float] = []

        # -- form -------------------------------------------------------------------------
        self.chooser = ModelChooser(viewer, parent=self)
        self.chooser.changed.connect(self._model_changed)
        self.recipe_combo = QComboBox()
        for key, (label, _lr, _steps) in RECIPES.items():
            self.recipe_combo.addItem(label, key)
        self.recipe_combo.setToolTip(TIPS["recipe"])
        self.recipe_combo.currentIndexChanged.connect(self._recipe_changed)
        self.lam_spin = QDoubleSpinBox(decimals=4, minimum=0.0, maximum=10.0, singleStep=0.001, value=0.009)
        self.lam_spin.setToolTip(TIPS["lam"])
        self.lr_spin = QDoubleSpinBox(decimals=4, minimum=0.0001, maximum=10.0, singleStep=0.01, value=0.05)
        self.lr_spin.setToolTip(TIPS["lr"])
        self.steps_spin = make_spin(1000, 1, 100_000, TIPS["steps"], step=100)
        self.restarts_spin = make_spin(1, 1, 64, TIPS["restarts"])
        self.seed_spin = make_spin(0, 0, 2**31 - 1, TIPS["seed"])
        self.width_spin = make_spin(9, 4, 30, TIPS["width"])
        self.release_combo = release_combo()
        for w in (self.lam_spin, self.lr_spin, self.steps_spin, self.restarts_spin, self.seed_spin, self.width_spin):
            w.valueChanged.connect(lambda _v: self._model_changed())
        self.release_combo.currentTextChanged.connect(lambda _t: self._model_changed())

        self.run_button = QPushButton("Run")
        self.run_button.setDefault(True)
        self.run_button.setToolTip("Optimise the input of the chosen model (runs in the background)")
        self.run_button.clicked.connect(self.run)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Save the optimised PWM's logo (PNG, SVG, PDF) or, with a .meme name, the PWM")
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self._export)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.export_button)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Model:", self.chooser.model_combo)
        form.addRow("Task:", self.chooser.task_combo)
        form.addRow("Recipe:", self.recipe_combo)
        form.addRow("λ (L2 penalty):", self.lam_spin)
        form.addRow("Learning rate:", self.lr_spin)
        form.addRow("Steps:", self.steps_spin)
        form.addRow("Restarts:", self.restarts_spin)
        form.addRow("Seed:", self.seed_spin)
        form.addRow("Motif width:", self.width_spin)
        form.addRow("JASPAR:", self.release_combo)
        self.status = status_label("Press Run to find the input this model scores highest.")
        self.best_label = QLabel("")
        self.best_label.setWordWrap(True)
        self.best_label.setTextFormat(Qt.TextFormat.RichText)
        # -- plots ------------------------------------------------------------------------
        self.logo_plot = logo_widget(np.zeros((4, 1)), title="Optimised input", ylabel="bits")
        self.logo_plot.setMinimumHeight(120)
        self.logo_plot.getPlotItem().setMouseEnabled(x=False, y=False)
        self.curve_plot = pg.PlotWidget(background=palette.BACKGROUND_COLOR)
        plot = self.curve_plot.getPlotItem()
        style_plot(plot, ylabel="P(+)", xlabel="step")
        plot.setTitle("P(positive) while optimising", color=palette.TEXT_COLOR, size="9pt", bold=True)
        plot.setYRange(0, 1.0, padding=0.02)
        plot.setMouseEnabled(x=False, y=False)
        plot.showGrid(x=False, y=True, alpha=0.2)
        for side in ("left", "bottom"):
            plot.getAxis(side).enableAutoSIPrefix(False)
        self.restart_curves: list = []
        self.curve = plot.plot([], [], pen=pg.mkPen(palette.NUCLEOTIDE_COLORS["C"], width=2), antialias=True)
        self.curve_plot.setMinimumHeight(150)
        self.aligned = AlignedLogos()
        self.aligned.clear("The motif and its best JASPAR match appear here")
        self.matches = MatchesTable()
        self.matches.row_chosen.connect(self._match_chosen)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(form)
        left_layout.addLayout(buttons)
        self.chooser.trust.set_wrapped()  # the side column is too narrow for one line
        left_layout.addWidget(self.chooser.trust)
        left_layout.addWidget(self.status)
        left_layout.addWidget(self.best_label)
        left_layout.addWidget(self.curve_plot, 1)
        left.setMinimumWidth(240)
        left.setMaximumWidth(270)

        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.logo_plot)
        right.addWidget(self.aligned)
        right.addWidget(self.matches)
        right.setStretchFactor(0, 4)
        right.setStretchFactor(1, 3)
        right.setStretchFactor(2, 3)
        right.setSizes([400, 260, 240])  # scaled to the space there is
        right.setChildrenCollapsible(False)
        self.right = right

        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(left)
        layout.addWidget(right, 1)
        self._model_changed()

    # -- settings and cache ------------------------------------------------------------------
    def settings(self) -> dict:
        return dict(
            target=self.chooser.target(),
            lam=round(self.lam_spin.value(), 6),
            lr=round(self.lr_spin.value(), 6),
            steps=self.steps_spin.value(),
            restarts=self.restarts_spin.value(),
            seed=self.seed_spin.value(),
            width=self.width_spin.value(),
            parametrization=self.recipe_combo.currentData(),
        )

    def _recipe_changed(self) -> None:
        """The recipe's own learning rate and steps (the other settings stay as the user set them)."""
        _label, lr, steps = RECIPES[self.recipe_combo.currentData()]
        self.lr_spin.setValue(lr)
        self.steps_spin.setValue(steps)
        self._model_changed()

    def _cached(self, entry):
        from deemo_gui.viewer.motif_jobs import ClassOptSettings

        s = ClassOptSettings(**self.settings())
        return self.viewer.results.get(s.key(entry.name, self.release_combo.currentText() or None))

    def _model_changed(self) -> None:
        running = self.worker is not None and self.worker.is_running()
        entry = self.chooser.entry()
        self.run_button.setEnabled(entry is not None and not running)
        if running:
            return
        cached = self._cached(entry) if entry is not None else None
        if cached is not None:
            self._show_outcome(cached)
        else:
            self._clear(entry)

    def _clear(self, entry) -> None:
        self.outcome = None
        self.export_button.setEnabled(False)
        self._set_logo(np.zeros((4, 1)))
        self.logo_plot.logo.setHighlight(None)
        self._set_logo_title("Optimised input")
        self._curve_x, self._curve_y = [], []
        self._clear_restart_curves()
        self.curve.setData([], [])
        self.aligned.clear("The motif and its best JASPAR match appear here")
        self.matches.set_matches(None)
        self.best_label.setText("")
        if entry is None:
            self.status.setText("Tick a model in the Models list (right) to optimise its input.")
        else:
            self.status.setText(
                f"Press Run to find the {entry.input_length or '?'}-nt input that {entry.name} scores highest."
            )

    def _set_logo(self, matrix) -> None:
        plot = self.logo_plot.getPlotItem()
        plot.setData(matrix)
        # LogoPlot.setData sets the x range before widening its limits: set it again
        plot.setXRange(-0.5, matrix.shape[1] - 0.5, padding=0.01)

    def _set_logo_title(self, text: str) -> None:
        from deemo_gui.qt.plots.axes import set_title

        set_title(self.logo_plot.getPlotItem(), text)

    # -- run ---------------------------------------------------------------------------------
    def run(self) -> Worker | None:
        from deemo_gui.qt.errors import show_error
        from deemo_gui.viewer import motif_jobs

        if self.worker is not None and self.worker.is_running():
            return None
        entry = self.chooser.entry()
        if entry is None:
            show_error(self, "Tick a model in the Models list first.")
            return None
        s = self.settings()
        release = self.release_combo.currentText() or None
        self._clear(entry)
        job = lambda borrow: motif_jobs.classopt_job(  # noqa: E731 - the network comes from the model's owner
            entry, release=release, cache=self.viewer.results, borrow=borrow, **s
        )
        worker = Worker(
            self.viewer.runtime.owner(entry).lend,
            job,
            name=f"Class optimization of {entry.name}",
            progress=motif_jobs.progress_of,
        )
        worker.yielded.connect(self._on_progress)
        worker.returned.connect(lambda out, e=entry: self._done(e, out))
        worker.aborted.connect(self._aborted)
        worker.errored.connect(lambda exc: self.status.setText(f"Stopped with an error: {exc}"))
        worker.finished.connect(self._finished)
        self.worker = worker
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.status.setText(f"Optimising the input of {entry.name} for “{entry.task_names[s['target']]}”…")
        self.curve_plot.getPlotItem().setXRange(0, s["steps"], padding=0.02)
        start_job(self.window_, worker, "Class optimization")
        return worker

    def _on_progress(self, event) -> None:
        payload = getattr(event, "payload", None)
        if payload is None:
            self.status.setText(event.text)
            return
        self.last_progress = payload
        from deemo_gui.viewer.motif_jobs import logo_bits

        bits = logo_bits(payload.pwm)
        if self.logo_plot.logo.matrix().shape != bits.shape:
            self._set_logo(bits)  # first update: axis limits and range for the model's length
        else:
            self.logo_plot.logo.setData(bits)
        self._set_logo_title(f"Step {payload.step}/{payload.steps} · P(+) = {payload.score:.3f}")
        self._curve_x.append(payload.step)
        self._curve_y.append(payload.score)
        self.curve.setData(self._curve_x, self._curve_y)
        self.status.setText(f"Step {payload.step}/{payload.steps}: P(+) = {payload.score:.3f}")

    def _aborted(self) -> None:
        p = self.last_progress
        where = f" at step {p.step} of {p.steps} (P(+) = {p.score:.3f})" if p is not None else ""
        self.status.setText(f"Cancelled{where}. Press Run to start again.")

    def _finished(self) -> None:
        self.cancel_button.setEnabled(False)
        self.run_button.setEnabled(self.chooser.entry() is not None)
        self.chooser.update_trust()  # the job loaded the weights: the first-layer check can run now

    def _done(self, entry, outcome) -> None:
        if self.chooser.entry() is entry:
            self._show_outcome(outcome)
        else:
            window = self.window()
            if hasattr(window, "show_message"):
                window.show_message(f"Class optimization of {entry.name} done (choose it to see the result).")

    # -- results -----------------------------------------------------------------------------
    def _clear_restart_curves(self) -> None:
        plot = self.curve_plot.getPlotItem()
        for c in self.restart_curves:
            plot.removeItem(c)
        self.restart_curves = []

    def _show_outcome(self, outcome) -> None:
        import pyqtgraph as pg

        from deemo_gui.viewer.motif_jobs import logo_bits

        self.outcome = outcome
        res = outcome.result
        pwm = res.pwm
        self._set_logo(logo_bits(pwm))
        start = outcome.query_start
        self.logo_plot.logo.setHighlight(start, start + outcome.query.width)
        self._set_logo_title(
            f"Optimised input · P(+) = {res.consensus_score:.3f} of its one-hot consensus "
            f"({res.score:.3f} of the relaxed input)"
        )
        # the P(+) curves of every restart, the best in colour
        self._clear_restart_curves()
        steps = np.arange(res.history.shape[1])
        cplot = self.curve_plot.getPlotItem()
        for r in range(res.history.shape[0]):
            if r != res.restart:
                c = cplot.plot(steps, res.history[r], pen=pg.mkPen("#BBBBBB", width=1))
                self.restart_curves.append(c)
        self.curve.setData(steps, res.history[res.restart])
        self.curve.setZValue(10)
        cplot.setXRange(0, max(1, len(steps) - 1), padding=0.02)
        self.matches.set_matches(outcome.matches)
        self._show_match(0)
        m = outcome.match
        s = outcome.settings
        self.status.setText(
            f"Done in {outcome.seconds:.1f} s: {s.steps} steps, λ = {s.lam:g}, lr = {s.lr:g}, "
            f"{s.restarts} restart(s), seed {s.seed}. Tomtom against {outcome.release} "
            "CORE vertebrates."
        )
        colour = palette.TEXT_COLOR if m.significant else "#888888"
        self.best_label.setText(
            f"<span style='color:{colour}'>Consensus of the optimised input: "
            f"P(+) = {res.consensus_score:.3f}<br>Motif <b>{outcome.query.consensus()}</b> "
            f"(shaded: columns {start + 1}–{start + outcome.query.width})<br>"
            f"Best match: <b>{match_text(m)}</b></span>"
        )
        self.export_button.setEnabled(True)

    def _show_match(self, row: int) -> None:
        out = self.outcome
        if out is None:
            return
        df = self.matches.df
        title = f"Optimised, columns {out.query_start + 1}–{out.query_start + out.query.width}"
        if df is None or row >= len(df):
            self.aligned.set_match(out.query, title, None, None)
            return
        r = df.iloc[row]
        target = out.match.best if row == 0 else _jaspar_matrix(out.release, r["target_id"])
        self.aligned.set_match(out.query, title, target, r)

    def _match_chosen(self, row: int) -> None:
        self._show_match(row)

    def _export(self) -> None:
        out = self.outcome
        if out is None:
            return
        from PySide6.QtWidgets import QMenu

        menu = QMenu(self)
        menu.addAction(
            "Logo of the optimised input…", lambda: export_logo_dialog(self, out.result.pwm, "class optimization")
        )
        menu.addAction(
            f"Logo of the {out.query.width} compared columns…",
            lambda: export_logo_dialog(self, out.query, f"class optimization, {out.query.consensus()}"),
        )
        menu.addAction("PWMs as MEME…", lambda: export_meme_dialog(self, _export_pwms(out), "PWMs"))
        menu.exec(self.export_button.mapToGlobal(self.export_button.rect().bottomLeft()))


def _jaspar_matrix(release: str, matrix_id: str):
    from deemo_gui.viewer.motif_jobs import jaspar_motifs

    return next((p for p in jaspar_motifs(release) if p.id == matrix_id), None)


def _export_pwms(out) -> list:
    """The optimised PWM and its compared window, with distinct MEME names."""
    import copy

    full, window = copy.copy(out.result.pwm), copy.copy(out.query)
    full.id, window.id = "classopt_full", f"classopt_{window.width}"
    return [full, window]
