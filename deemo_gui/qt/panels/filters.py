"""The Filters panel: what each first-layer convolution filter detects (Koo & Eddy 2019, PLoS Comput
Biol 15:e1007560): the sequence windows that activate a filter above a fraction of its maximum are
aligned into a PWM, drawn as a logo, and compared with JASPAR by Tomtom. One card per filter in a
scrollable grid, sortable by information content or by the E-value of the best match.

The science is `deemo_gui.core.explain.filter_pwms` run by `deemo_gui.viewer.motif_jobs.filters_job`
in a worker; results are kept per model and settings by the panel.
"""

from __future__ import annotations

import weakref

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from deemo_gui import palette
from deemo_gui.core.motifs.tomtom import METHOD_NOTE as TOMTOM_METHOD_NOTE
from deemo_gui.qt.panels._single_job import SingleJobMixin, start_job
from deemo_gui.qt.panels.motif_export import export_meme_dialog
from deemo_gui.qt.panels.motif_logos import MiniLogo
from deemo_gui.qt.panels.motif_text import fmt_p, low_information_text
from deemo_gui.qt.panels.motif_widgets import ModelChooser, make_spin, release_combo, status_label
from deemo_gui.qt.workers import Worker

SORTS = (
    ("ic", "Information content", "Most informative filters first (total bits of the trimmed PWM)"),
    ("evalue", "E-value of best match", "Filters that match a JASPAR motif best first (Tomtom E-value)"),
    ("index", "Filter number", "In the order of the network's first layer"),
)
CARD_WIDTH = 230
# Cards are drawn a page at a time: the 4,096 filters of a folded ensemble took about 75 s to draw at once,
# the window frozen. A page of 48 blocks it for about 0.4-0.8 s with the logos' first paint (BENCHMARKS.md,
# "Filters grid"); drawing a few cards per event-loop turn did not shorten that stall.
PAGE = 48


class FilterCard(QFrame):
    """One filter: its name, IC and sites, its logo, and its best JASPAR match."""

    def __init__(self, match, parent=None):
        super().__init__(parent)
        self.match = match
        pwm = match.pwm
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("FilterCard { background: white; border: 1px solid #D0D0D0; border-radius: 3px; }")
        sites = f" · {int(pwm.nsites):,} sites" if pwm.nsites else ""
        self.logo = MiniLogo(pwm, f"{match.label} · {pwm.total_ic:.1f} bits{sites}", min_height=78)
        self.match_label = QLabel()
        self.match_label.setTextFormat(Qt.TextFormat.RichText)
        self.match_label.setWordWrap(True)
        if match.best_row is None:
            text = "<span style='color:#888'>not compared</span>"
        elif match.significant:
            text = f"<b>{match.best_name}</b> · {match.best_id} · E = {fmt_p(match.best_E)}"
        elif match.low_information:
            text = f"<span style='color:#888'>not comparable: {low_information_text(pwm)}</span>"
        else:
            text = f"<span style='color:#888'>no clear match (best {match.best_name}, E = {fmt_p(match.best_E)})</span>"
        self.match_label.setText(text)
        top = match.matches.head(5) if match.matches is not None else None
        if top is not None and len(top):
            rows = "".join(
                f"<tr><td>{r.target_id}</td><td>{r.target_name}</td><td align='right'>{fmt_p(r.E)}</td>"
                f"<td>{'−' if r.strand == '-' else '+'}</td></tr>"
                for r in top.itertuples()
            )
            self.setToolTip(
                f"<b>{match.label}</b>: consensus {pwm.consensus()}<br>Top Tomtom matches "
                f"<i>({TOMTOM_METHOD_NOTE})</i>:"
                f"<table><tr><th>ID</th><th>Name</th><th>E</th><th>Strand</th></tr>{rows}</table>"
            )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 3, 4, 3)
        layout.setSpacing(1)
        layout.addWidget(self.logo, 1)
        layout.addWidget(self.match_label)
        self.setFixedHeight(146)  # the logo and two lines of match text
        self.setMinimumWidth(CARD_WIDTH - 20)


# Measured (BENCHMARKS.md): first-layer filters of the DeMo-style cnn and demo presets stay close to their
# random start (r 0.8-0.95 on the zoo); Koo & Eddy's large first pool (koo-cnn-25) and an exponential first
# activation (Koo & Ploenzke 2021; koo-cnn-4 ground-truth filter matches 0.10 -> 0.97 on synthetic data) learn
# motifs.
LEARNING_FILTERS_HINT = (
    "For filters that learn whole motifs, train koo-cnn-25, or any cnn/deepbind/koo preset "
    "with first_layer_activation=exp (Koo & Eddy 2019; Koo & Ploenzke 2021)."
)


class FiltersPanel(SingleJobMixin, QWidget):
    """First-layer filter logos with their best JASPAR matches."""

    title = "Filters"

    def __init__(self, viewer, window, parent=None):
        super().__init__(parent)
        from deemo_gui.viewer import motif_jobs

        self.viewer, self.window_ = viewer, window
        self.outcomes = weakref.WeakKeyDictionary()  # model -> {settings key: (outcome, description)}
        self.worker: Worker | None = None
        self.outcome = None
        self.cards: list[FilterCard] = []
        self._shown = 0  # cards asked for (a multiple of PAGE, at most every filter)
        self._stretch_row = 0
        self._columns = 0

        self.chooser = ModelChooser(viewer, parent=self)
        self.chooser.changed.connect(self._model_changed)
        self.threshold_spin = QDoubleSpinBox(decimals=2, minimum=0.0, maximum=0.99, singleStep=0.05, value=0.5)
        self.threshold_spin.setToolTip(
            "A window counts when the filter's activation there exceeds this fraction of its maximum over all "
            "sequences. Default 0.5: Koo & Eddy's code (activation_pwm); their Methods text says 0.7"
        )
        self.min_sites_spin = make_spin(
            10,
            1,
            100_000,
            "Filters with fewer activating windows are left out (default 10, ours: fewer sites make noisy PWMs)",
        )
        self.max_spin = make_spin(
            motif_jobs.MAX_SEQUENCES,
            10,
            1_000_000,
            "Use at most this many open sequences (the first ones; positives of the task "
            "when the files are labelled, as Koo & Eddy used bound sequences)",
            step=500,
        )
        self.sort_combo = QComboBox()
        for k, (key, text, tip) in enumerate(SORTS):
            self.sort_combo.addItem(text, key)
            self.sort_combo.setItemData(k, tip, Qt.ItemDataRole.ToolTipRole)
        self.sort_combo.currentIndexChanged.connect(self._sort_changed)
        self.release_combo = release_combo()
        self.run_button = QPushButton("Run")
        self.run_button.setDefault(True)
        self.run_button.setToolTip("Compute the filter PWMs over the open sequences and compare them with JASPAR")
        self.run_button.clicked.connect(self.run)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.meme_button = QPushButton("Export MEME…")
        self.meme_button.setToolTip("Write every filter PWM shown to a MEME motif file")
        self.meme_button.setEnabled(False)
        self.meme_button.clicked.connect(
            lambda: self.outcome and export_meme_dialog(self, [m.pwm for m in self.sorted_matches()], "filter motifs")
        )
        self.more_button = QPushButton("Show more")
        self.more_button.setToolTip(f"Draw the next {PAGE} filters in the sort order")
        self.more_button.clicked.connect(self.show_more)
        self.more_button.hide()
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Model:", self.chooser.model_combo)
        form.addRow("Task:", self.chooser.task_combo)
        form.addRow("Threshold:", self.threshold_spin)
        form.addRow("Min. sites:", self.min_sites_spin)
        form.addRow("Sequences:", self.max_spin)
        form.addRow("JASPAR:", self.release_combo)
        form.addRow("Sort by:", self.sort_combo)
        self.status = status_label("Press Run: each first-layer filter's motif over the open sequences.")
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(form)
        left_layout.addLayout(buttons)
        left_layout.addWidget(self.meme_button)
        self.chooser.trust.set_wrapped()  # the side column is too narrow for one line
        left_layout.addWidget(self.chooser.trust)
        left_layout.addWidget(self.status)
        left_layout.addWidget(self.more_button)
        left_layout.addStretch(1)
        left.setMinimumWidth(220)
        left.setMaximumWidth(280)

        self.grid_host = QWidget()
        self.grid_host.setStyleSheet(f"background: {palette.BACKGROUND_COLOR};")
        self.grid = QGridLayout(self.grid_host)
        self.grid.setContentsMargins(4, 4, 4, 4)
        self.grid.setSpacing(6)
        self.placeholder = QLabel("Filter logos appear here.")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setStyleSheet("color: #777;")
        self.grid.addWidget(self.placeholder, 0, 0)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setWidget(self.grid_host)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._relayout = QTimer(self, singleShot=True, interval=60)
        self._relayout.timeout.connect(self._maybe_relayout)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(left)
        layout.addWidget(self.scroll_area, 1)
        for w in (self.threshold_spin, self.min_sites_spin, self.max_spin):
            w.valueChanged.connect(lambda _v: self._model_changed())
        self.release_combo.currentTextChanged.connect(lambda _t: self._model_changed())
        self._model_changed()

    # -- state -------------------------------------------------------------------------------
    def _key(self, entry):
        return (
            "motif_panel_filters",
            entry.name,
            self.chooser.target(),
            round(self.threshold_spin.value(), 4),
            self.min_sites_spin.value(),
            self.max_spin.value(),
            self.release_combo.currentText(),
        )

    def _model_changed(self) -> None:
        running = self.worker is not None and self.worker.is_running()
        entry = self.chooser.entry()
        self.run_button.setEnabled(entry is not None and not running)
        if running:
            return
        cached = self.outcomes.get(entry, {}).get(self._key(entry)) if entry is not None else None
        if cached is not None:
            self._show(*cached)
        else:
            self._show(None, "")
            if entry is None:
                self.status.setText("Tick a model in the Models list to see its first-layer filters.")
            elif entry.preset.startswith("rnn"):
                self.status.setText(
                    f"{entry.name} is a recurrent network without convolution filters; "
                    "choose a cnn, deepbind or cnn-rnn model."
                )
            else:
                self.status.setText(
                    "Press Run: each first-layer filter's motif over the open sequences. " + LEARNING_FILTERS_HINT
                )

    # -- run ---------------------------------------------------------------------------------
    def run(self) -> Worker | None:
        from deemo_gui.qt.errors import report_exception, show_error
        from deemo_gui.viewer import motif_jobs

        if self.worker is not None and self.worker.is_running():
            return None
        entry = self.chooser.entry()
        if entry is None:
            show_error(self, "Tick a model in the Models list first.")
            return None
        target = self.chooser.target()
        try:
            sample = motif_jobs.collect_sequences(self.viewer, entry, target=target, max_seqs=self.max_spin.value())
        except Exception as exc:
            report_exception(self, exc, "Filter motifs")
            return None
        key = self._key(entry)
        settings = dict(
            threshold=self.threshold_spin.value(),
            min_sites=self.min_sites_spin.value(),
            release=self.release_combo.currentText() or None,
            cache=self.viewer.results,
        )
        job = lambda borrow: motif_jobs.filters_job(  # noqa: E731 - the network comes from the model's owner
            entry, sample.seqs, borrow=borrow, **settings
        )
        worker = Worker(
            self.viewer.runtime.owner(entry).lend,
            job,
            name=f"Filter motifs of {entry.name}",
            progress=motif_jobs.progress_of,
        )
        worker.returned.connect(lambda out, k=key, s=sample, e=entry: self._done(k, e, s, out))
        worker.aborted.connect(lambda: self.status.setText("Cancelled."))
        worker.errored.connect(lambda exc: self.status.setText(f"Stopped with an error: {exc}"))
        worker.progress.connect(lambda d, t, text: self.status.setText(text))
        worker.finished.connect(self._finished)
        self.worker = worker
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.status.setText(f"Filter motifs over {sample.description}…")
        start_job(self.window_, worker, "Filter motifs")
        return worker

    def _finished(self) -> None:
        self.cancel_button.setEnabled(False)
        self.run_button.setEnabled(self.chooser.entry() is not None)
        self.chooser.update_trust()  # the job loaded the weights: the first-layer check can run now

    def _done(self, key, entry, sample, outcome) -> None:
        self.outcomes.setdefault(entry, {})[key] = (outcome, sample.description)
        if self.chooser.entry() is entry and self._key(entry) == key:
            self._show(outcome, sample.description)

    # -- the grid ----------------------------------------------------------------------------
    def _show(self, outcome, description: str) -> None:
        self.outcome = outcome
        self._clear_cards()
        self.meme_button.setEnabled(bool(outcome and outcome.motifs))
        self.more_button.hide()
        if outcome is None:
            self.placeholder.setText("Filter logos appear here.")
            self.placeholder.show()
            self._columns = 0
            return
        self._shown = min(PAGE, len(outcome.motifs))
        n_sig = sum(m.significant for m in outcome.motifs)
        k = outcome.left_out
        left_out = (
            f"; {k} filter{'s' if k != 1 else ''} had fewer than {self.min_sites_spin.value()} sites" if k else ""
        )
        self.status.setText(
            f"{len(outcome.motifs):,} of {outcome.n_filters:,} filters over {description}{left_out}. "
            f"{n_sig} match a {outcome.release} motif with E < 0.05 ({outcome.seconds:.1f} s). "
            "Hover a card for its top matches; right-click a logo to export it."
            + (
                f" The grid draws {PAGE} at a time in the sort order (Show more); Export MEME writes all."
                if len(outcome.motifs) > PAGE
                else ""
            )
        )
        if not outcome.motifs:
            self.placeholder.setText(
                "No filter reached the minimum number of sites: lower the threshold or "
                "the minimum sites, or open more sequences."
            )
            self.placeholder.show()
        else:
            self.placeholder.hide()
        self._build()

    def _clear_cards(self) -> None:
        for card in self.cards:
            card.setParent(None)
            card.deleteLater()
        self.cards = []

    def _build(self) -> None:
        """Draw the first `_shown` filters in the sort order (a new outcome, another sort)."""
        if self.outcome is None:
            return
        self._clear_cards()
        self._columns = self._n_columns()
        for c in range(self.grid.columnCount() + 1):
            self.grid.setColumnStretch(c, 1 if c < self._columns else 0)
        self._add(self.sorted_matches()[: self._shown])

    def _sort_changed(self) -> None:
        """Another order: its first page (after many Show more, redrawing all shown cards froze the window)."""
        if self.outcome is not None:
            self._shown = min(PAGE, len(self.outcome.motifs))
        self._build()

    def _add(self, matches: list) -> None:
        """Draw cards for `matches` after the ones drawn, and offer the next page."""
        cols = max(1, self._columns)
        for match in matches:
            k = len(self.cards)
            card = FilterCard(match)
            self.cards.append(card)
            self.grid.addWidget(card, k // cols, k % cols)
        self._set_stretch_row(len(self.cards) // cols + 1)
        total = len(self.outcome.motifs) if self.outcome is not None else 0
        left = total - self._shown
        self.more_button.setVisible(left > 0)
        self.more_button.setText(f"Show {min(PAGE, left):,} more ({self._shown:,} of {total:,} shown)")

    def show_more(self) -> None:
        """Draw the next PAGE filters in the sort order."""
        if self.outcome is None:
            return
        start = len(self.cards)
        self._shown = min(self._shown + PAGE, len(self.outcome.motifs))
        self._add(self.sorted_matches()[start : self._shown])

    def _set_stretch_row(self, row: int) -> None:
        """The empty row below the cards takes the spare height (keeps the cards at the top)."""
        self.grid.setRowStretch(self._stretch_row, 0)
        self.grid.setRowStretch(row, 1)
        self._stretch_row = row

    def sorted_matches(self) -> list:
        if self.outcome is None:
            return []
        key = self.sort_combo.currentData()
        ms = list(self.outcome.motifs)
        if key == "ic":
            ms.sort(key=lambda m: -m.pwm.total_ic)
        elif key == "evalue":
            ms.sort(key=lambda m: (m.low_information, m.best_E, -m.pwm.total_ic))  # too-flat motifs last
        return ms

    def _n_columns(self) -> int:
        width = self.scroll_area.viewport().width() - 8
        return max(1, width // CARD_WIDTH)

    def _layout_cards(self) -> None:
        """Place the drawn cards, in order, in as many columns as fit (the panel was resized)."""
        if not self.cards:
            return
        cols = self._n_columns()
        for card in self.cards:
            self.grid.removeWidget(card)
        for k, card in enumerate(self.cards):
            self.grid.addWidget(card, k // cols, k % cols)
        for c in range(max(cols, self._columns) + 1):
            self.grid.setColumnStretch(c, 1 if c < cols else 0)
        self._set_stretch_row(len(self.cards) // cols + 1)
        self._columns = cols

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._relayout.start()

    def _maybe_relayout(self) -> None:
        if self.cards and self._n_columns() != self._columns:
            self._layout_cards()
