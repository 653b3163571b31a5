"""The Train panel: choose data, a preset and epochs; train in a worker with live loss and AUROC
curves; cancel keeps the best model so far; the model joins the model picker and can be saved."""

from __future__ import annotations

import os
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from deemo_gui.core.step_budget import CONVERGE_MAX_EPOCHS, CONVERGE_SUMMARY
from deemo_gui.core.verdict import baseline_line
from deemo_gui.qt.panels._single_job import SingleJobMixin, start_job
from deemo_gui.qt.trust import trust_html
from deemo_gui.qt.workers import Worker, observe

if TYPE_CHECKING:
    from deemo_gui.core.ensemble import EnsembleTrainer
    from deemo_gui.core.training import Trainer

CHOOSE_FILE = "Choose a training file, then Start."
READY = "Ready to train on"
DEFAULT_NETWORK = "auto"  # core.ensemble.DEFAULT_ARCH (not imported here: it would import torch)
DEFAULT_TIME_MINUTES = 10

SEQUENCE_FILTER = (
    "Sequence files (*.fa *.fasta *.fna *.fa.gz *.fasta.gz *.seq *.seq.gz *.tsv *.csv *.txt *.gz);;All files (*)"
)

LABEL_MODES = [
    (
        "file",
        "In the data file",
        "0/1 labels in the file itself: TSV/CSV label columns, DeepBind .seq 'Bound', or label=0/1 in FASTA headers",
    ),
    ("labels", "Label file…", "A separate file with one line of 0/1 labels per record (e.g. Keras-genomics .target)"),
    (
        "shuffle",
        "Shuffled negatives",
        "The data file holds bound sequences only; negatives are dinucleotide-shuffled "
        "copies of them (Altschul-Erickson), as DeepBind and the Deep Motif Dashboard did",
    ),
    (
        "negatives",
        "Negatives file…",
        "The data file holds bound sequences only; unbound sequences come from another file",
    ),
    (
        "peaks",
        "Peaks + genome…",
        "The data file is a BED/narrowPeak of peaks: positives are the windows on their "
        "summits in this genome FASTA, negatives GC-matched genomic background outside the peaks; chr8 and chr9 "
        "are held out as the test set and chr6 and chr7 for validation (as `deemo train PEAKS --genome`)",
    ),
]


SMALL_VALIDATION = 200  # fewer validation sequences than this: the AUROC is too noisy to choose a model by
NEAR_CHANCE = 0.6  # validation AUROC below this: the network has barely learned anything


def preset_description(preset: str, converge: bool = False) -> str:
    """One paragraph on a preset, from its network class's own docstring, its settings and its
    training defaults (the same source `deemo presets` reads)."""
    import inspect

    from deemo_gui.core.networks.registry import PRESETS, training_defaults

    if preset == DEFAULT_NETWORK:
        from deemo_gui.core.ensemble import DEFAULT_DESCRIPTION

        return DEFAULT_DESCRIPTION
    if preset not in PRESETS:
        return ""
    cls, hp = PRESETS[preset]
    doc = " ".join((inspect.getdoc(cls) or "").split("\n\n")[0].split())
    doc = doc.replace("``", "").replace(":class:`~.rnn.RNN`", "RNN")
    settings = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in hp.items())
    t = training_defaults(preset)
    if converge:
        return (
            f"{preset}: {doc} Settings: {settings}. Trained with Adam, learning rate {t['lr']:g}, "
            f"to convergence: {CONVERGE_SUMMARY}."
        )
    return (
        f"{preset}: {doc} Settings: {settings}. Trained with Adam, learning rate {t['lr']:g}, batch "
        f"{t['batch_size']}, up to {t['max_epochs']} epochs (stops after {t['patience']} without improvement)."
    )


def _scroll(widget) -> QScrollArea:
    """`widget` in a frameless scroll area that scrolls up and down only."""
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return area


def training_cautions(path: str, n_valid: int | None = None, valid_auroc: float | None = None) -> list[str]:
    """What a biologist should know before trusting a run: a shipped *test* file used for training, a
    small validation set, a result near chance."""
    out = []
    base = os.path.basename(path or "")
    if base.endswith(("_test.fa", "_test.fa.gz", "_test.fasta")) or base.startswith("test."):
        out.append(
            f"{base} is a held-out test file (the shipped examples are for testing models): a model "
            "trained on it cannot be tested on it — train on resources/data instead"
        )
    if n_valid is not None and n_valid < SMALL_VALIDATION:
        out.append(
            f"only {n_valid} validation sequences: the AUROC that chose the best epoch is noisy "
            f"(± ~{0.5 / max(1, n_valid) ** 0.5:.2f}); use more data or a larger validation fraction"
        )
    if valid_auroc is not None and valid_auroc < NEAR_CHANCE:
        out.append(
            f"validation AUROC {valid_auroc:.2f} is near chance (0.5): the network has barely learned; "
            "check the labels, train longer or on more sequences, or try another network"
        )
    return out


def _test_set(path: str, shuffle_ok: bool, seed: int):
    """A test file with its own labels; positives only (when training used shuffled negatives): its
    negatives are shuffled copies too."""
    import numpy as np

    from deemo_gui.core.errors import DataError
    from deemo_gui.core.sequences import load_dataset

    try:
        data = load_dataset(path, seed=seed)
    except DataError:
        if not shuffle_ok:
            raise
        return load_dataset(path, negatives="shuffle", seed=seed)
    if shuffle_ok and data.labels is not None and bool(np.all(data.labels == 1)):
        return load_dataset(path, negatives="shuffle", seed=seed)
    return data


@dataclass
class _CancelState:
    cancelled: bool = False
    trainer: Trainer | EnsembleTrainer | None = None

    def cancel(self) -> None:
        self.cancelled = True
        if self.trainer is not None:
            self.trainer.cancel()


def train_job(
    path: str,
    labels: str | None,
    negatives: str | None,
    config,
    state: _CancelState,
    genome: str | None = None,
    test_path: str | None = None,
    tf: str | None = None,
):
    """Read the data (with `genome`: `path` is a peaks file, split by chromosome with GC-matched
    negatives; `test_path`: a held-out test file, labelled like the training data), build the Trainer
    and yield its events (runs in a worker thread). `tf`: the TF name stored in the model file."""
    from deemo_gui.core.ensemble import trainer_for
    from deemo_gui.core.sequences import load_dataset
    from deemo_gui.core.training import DoneEvent, Trainer

    yield ("status", f"Reading {os.path.basename(path)}…")
    valid = test = None
    if genome:
        from deemo_gui.core.genome import Genome
        from deemo_gui.core.peaks import DEFAULT_LENGTH
        from deemo_gui.core.peakset import peak_datasets

        with Genome(genome) as g:
            data, valid, test = peak_datasets(path, g, length=DEFAULT_LENGTH, negatives="gc", seed=config.seed)
    else:
        data = load_dataset(path, labels=labels, negatives=negatives, seed=config.seed)
    if test_path:
        yield ("status", f"Reading the test file {os.path.basename(test_path)}…")
        test = _test_set(test_path, negatives == "shuffle", config.seed + 1)
    if state.cancelled:
        return None
    yield ("status", f"Preparing {len(data):,} sequences…")
    trainer = trainer_for(data, config, valid, test)  # the default network: an ensemble, "member" events
    state.trainer = trainer
    if state.cancelled:
        return None
    if isinstance(trainer, Trainer):
        yield (
            "ready",
            {
                "n_train": len(trainer.train_data),
                "n_valid": len(trainer.valid_data),
                "max_epochs": int(trainer.settings["max_epochs"]),
                "input_length": trainer.input_length,
                "converge": trainer.config.converge,
                "monitor": trainer.config.monitor,
                "patience": int(trainer.settings["patience"]),
            },
        )
    done = None
    for event in trainer.run():
        if isinstance(event, DoneEvent):
            done = event
            if test is not None:  # the held-out chromosomes, stored as `deemo train --genome` does
                from deemo_gui.core.training import evaluate

                yield ("status", f"Evaluating on {len(test):,} held-out sequences…")
                meta = dict(done.metadata)
                meta["test"] = {"data": test.source, **evaluate(done.model, test)}
                done.metadata = done.model.metadata = meta
            if tf:
                done.metadata = done.model.metadata = {**done.metadata, "tf": tf}
        yield event
    return done


class TrainPanel(SingleJobMixin, QWidget):
    """Train a network on sequence files, watching loss and validation AUROC."""

    cancel_message = "Cancelling after the current step — the best model so far is kept…"
    shutdown_wait_ms = 30_000

    title = "Train"

    def __init__(self, viewer, window, parent=None):
        super().__init__(parent)
        import pyqtgraph as pg

        self.viewer, self.window_ = viewer, window
        self.worker: Worker | None = None
        self.state: _CancelState | None = None
        self.last_done = None
        self.trained_entry = None
        self._auto_ticked: list[str] = []  # models trained here and ticked by the panel, not the user
        self._dropped: list[str] = []
        self._data_path = ""
        self._n_valid: int | None = None
        self._member: dict | None = None  # the default network's member in training ("member" event)
        self._progress_member: dict | None = None  # the same, as the worker thread's progress reports saw it
        self._progress_epochs: list[int] = []  # epochs the finished members ran (the worker's view)
        self._suggested = ""  # the open file's path as put in the training-data box
        self._progress_epoch = 0
        self._member_aurocs: list[float] = []  # best validation AUROC of each finished member
        self.max_epochs = 0
        self._monitor = "auroc"  # what the running training keeps its best epoch by
        self._loss_x: list[float] = []
        self._loss_y: list[float] = []
        self._epoch_x: list[int] = []
        self._epoch_loss: list[float] = []
        self._auroc: list[float] = []
        self._kept: int | None = None  # index of the epoch whose weights are kept (the last "improved" one)

        # -- form -------------------------------------------------------------------------
        self.data_edit = QLineEdit(placeholderText="FASTA, TSV/CSV, DeepBind .seq[.gz]…")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse_data)
        self.use_open_button = QPushButton("Use open file")
        self.use_open_button.setToolTip("Train on the sequence file shown on the left")
        self.use_open_button.clicked.connect(self._use_open_file)
        data_row = QHBoxLayout()
        data_row.addWidget(self.data_edit, 1)
        data_row.addWidget(browse)

        self.label_combo = QComboBox()
        for k, (key, text, tip) in enumerate(LABEL_MODES):
            self.label_combo.addItem(text, key)
            self.label_combo.setItemData(k, tip, Qt.ItemDataRole.ToolTipRole)
        self.label_combo.setToolTip("Where the 0/1 (unbound/bound) labels come from")
        self.aux_edit = QLineEdit(placeholderText="label or negatives file")
        self.aux_browse = QPushButton("Browse…")
        self.aux_browse.clicked.connect(self._browse_aux)
        aux_row = QHBoxLayout()
        aux_row.addWidget(self.aux_edit, 1)
        aux_row.addWidget(self.aux_browse)
        self.label_combo.currentIndexChanged.connect(self._label_mode_changed)

        self.preset_combo = QComboBox()
        self.preset_combo.setToolTip(
            "Network architecture (see `deemo presets`): auto (recommended) trains an ensemble of DeepBind "
            "networks measured to match the built-in baselines; cnn, rnn and cnn-rnn are the Deep Motif "
            "Dashboard models"
        )
        self.preset_combo.currentTextChanged.connect(self._preset_changed)
        self.epochs_spin = QSpinBox()
        self.epochs_spin.setRange(0, 1000)
        self.epochs_spin.setSpecialValueText("preset default")
        self.epochs_spin.setToolTip(
            "Maximum epochs; training stops earlier when validation AUROC (validation loss, to convergence) "
            "stops improving"
        )
        self.converge_check = QCheckBox("To convergence (sized to the data)")
        self.converge_check.setToolTip(
            "Train the preset until validation loss stops improving, on the rules every preset shares in "
            f"BENCHMARKS.md's equal-rules study: {CONVERGE_SUMMARY}. Off: the preset's own (paper) settings, "
            "which may stop at their epoch cap while still improving"
        )
        self.converge_check.toggled.connect(lambda _on: self._preset_changed(self.preset_combo.currentText()))
        self.time_spin = QSpinBox(minimum=1, maximum=24 * 60, value=DEFAULT_TIME_MINUTES, suffix=" min")
        self.time_spin.setToolTip(
            "Training stops before an epoch (or an ensemble member) that would end past this time; "
            "the best model so far is kept"
        )
        self.device_combo = QComboBox()
        self.device_combo.addItem("auto")
        self.preset_info = QLabel("")
        self.preset_info.setWordWrap(True)
        self.preset_info.setStyleSheet("color: #555;")
        self.tf_edit = QLineEdit(placeholderText="e.g. REST, Oct4 (optional)")
        self.tf_edit.setToolTip(
            "The transcription factor this data is for: stored in the model file, used by the "
            "Dashboard to look up its JASPAR motif (aliases such as Oct4 → POU5F1 are known)"
        )
        self.test_edit = QLineEdit(placeholderText="optional: held-out test file")
        self.test_edit.setToolTip(
            "Sequences never used in training: the model is evaluated on them at the end and "
            "the test AUROC is stored in the file (labelled like the training data; with "
            "shuffled negatives, the test file's negatives are shuffled too)"
        )
        test_browse = QPushButton("Browse…")
        test_browse.clicked.connect(self._browse_test)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_edit, 1)
        test_row.addWidget(test_browse)

        # advanced settings, folded away: 0 / "preset default" means the preset's value
        self.lr_spin = QDoubleSpinBox(decimals=5, minimum=0.0, maximum=1.0, singleStep=1e-4)
        self.lr_spin.setSpecialValueText("preset default")
        self.lr_spin.setToolTip("Adam's learning rate (0 = the preset's)")
        self.batch_spin = QSpinBox(minimum=0, maximum=8192)
        self.batch_spin.setSpecialValueText("preset default")
        self.batch_spin.setToolTip("Sequences per training step (0 = the preset's)")
        self.valid_spin = QDoubleSpinBox(decimals=2, minimum=0.02, maximum=0.5, singleStep=0.05, value=0.10)
        self.valid_spin.setToolTip("Fraction of the training data held out to choose the best epoch and stop early")
        self.patience_spin = QSpinBox(minimum=0, maximum=1000)
        self.patience_spin.setSpecialValueText("preset default")
        self.patience_spin.setToolTip(
            "Stop after this many epochs without a better validation AUROC (0 = the preset's)"
        )
        self.seed_spin = QSpinBox(minimum=0, maximum=2**31 - 1)
        self.seed_spin.setToolTip("Random seed: initial weights, shuffled negatives, the validation split")
        self.advanced = QWidget()
        adv = QFormLayout(self.advanced)
        adv.setContentsMargins(12, 0, 0, 0)
        adv.addRow("Learning rate:", self.lr_spin)
        adv.addRow("Batch size:", self.batch_spin)
        adv.addRow("Validation fraction:", self.valid_spin)
        adv.addRow("Patience (epochs):", self.patience_spin)
        adv.addRow("Seed:", self.seed_spin)
        self.advanced.setVisible(False)
        self.advanced_toggle = QToolButton(text="Advanced settings", checkable=True)
        self.advanced_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.advanced_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.advanced_toggle.setAutoRaise(True)
        self.advanced_toggle.toggled.connect(self._toggle_advanced)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Training data:", data_row)
        form.addRow("", self.use_open_button)
        form.addRow("Labels:", self.label_combo)
        form.addRow("", aux_row)
        form.addRow("Network:", self.preset_combo)
        form.addRow("", self.preset_info)
        form.addRow("Epochs:", self.epochs_spin)
        form.addRow("", self.converge_check)
        form.addRow("Time limit:", self.time_spin)
        form.addRow("Device:", self.device_combo)
        form.addRow("Test data:", test_row)
        form.addRow("TF name:", self.tf_edit)
        form.addRow(self.advanced_toggle)
        form.addRow(self.advanced)

        self.start_button = QPushButton("Start training")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop after the current step; the best model so far is kept")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.setEnabled(False)
        self.save_button = QPushButton("Save model…")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self._save)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)
        self.status = QLabel(CHOOSE_FILE)
        self.status.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.RichText)  # the verdict after training is coloured
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        settings = QWidget()
        settings_layout = QVBoxLayout(settings)
        settings_layout.setContentsMargins(0, 0, 0, 0)
        settings_layout.addLayout(form)
        settings_layout.addStretch(1)
        # The settings and the result each scroll on their own: a long result beside the open advanced
        # settings squashed the settings' rows to a few pixels when they shared one column.
        self.settings_scroll = _scroll(settings)
        self.advanced.setVisible(True)  # wide enough for the advanced rows too, beside the scroll bar
        width = settings.sizeHint().width() + self.settings_scroll.verticalScrollBar().sizeHint().width() + 6
        self.advanced.setVisible(False)
        self.settings_scroll.setMinimumWidth(width)
        self.status_scroll = _scroll(self.status)
        self.status_scroll.setMinimumHeight(90)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.settings_scroll, 3)
        left_layout.addLayout(buttons)
        left_layout.addWidget(self.status_scroll, 2)
        left.setMinimumWidth(360)
        left.setMaximumWidth(540)

        # -- curves -----------------------------------------------------------------------
        self.loss_plot = pg.PlotWidget(background="w")
        self.loss_plot.setTitle("Training loss", color="#222")
        self.loss_plot.setLabel("bottom", "epoch")
        self.loss_plot.setLabel("left", "binary cross-entropy")
        self.loss_plot.addLegend(offset=(-10, 10))
        # Per-batch loss: many points, drawn without antialiasing and downsampled (cheap repaints keep the
        # window responsive while training; see benchmarks/gui_latency.py).
        self.step_curve = self.loss_plot.plot(
            [],
            [],
            pen=pg.mkPen("#9ab3d5", width=1),
            name="per batch",
            antialias=False,
            autoDownsample=True,
            clipToView=True,
        )
        self.epoch_curve = self.loss_plot.plot(
            [],
            [],
            pen=pg.mkPen("#255C99", width=2),
            symbol="o",
            symbolSize=6,
            symbolBrush="#255C99",
            name="epoch mean",
            antialias=True,
        )
        self.auroc_plot = pg.PlotWidget(background="w")
        self.auroc_plot.setTitle("Validation AUROC", color="#222")
        self.auroc_plot.setLabel("bottom", "epoch")
        self.auroc_plot.setLabel("left", "AUROC")
        self.auroc_plot.setYRange(0.5, 1.0)
        # Horizontal grid lines only: a full translucent grid made each repaint ~45 ms offscreen and
        # stalled the window while training (benchmarks/gui_latency.py).
        self.auroc_plot.showGrid(x=False, y=True, alpha=0.2)
        self.auroc_curve = self.auroc_plot.plot(
            [], [], pen=pg.mkPen("#109648", width=2), symbol="o", symbolSize=6, symbolBrush="#109648", antialias=True
        )
        self.best_marker = self.auroc_plot.plot([], [], pen=None, symbol="star", symbolSize=14, symbolBrush="#F7B32B")
        for plot in (self.loss_plot, self.auroc_plot):
            for side in ("left", "bottom"):
                plot.getAxis(side).enableAutoSIPrefix(False)  # losses read 0.69, not 690 (x0.001)
            plot.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
            plot.setMinimumHeight(120)
            plot.setMouseEnabled(x=False, y=False)

        plots = QVBoxLayout()
        plots.addWidget(self.loss_plot, 1)
        plots.addWidget(self.auroc_plot, 1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(left)
        layout.addLayout(plots, 1)

        self._redraw_timer = QTimer(self, interval=200)  # curves redraw at 5 Hz, not per batch
        self._redraw_timer.timeout.connect(self._redraw)
        self._label_mode_changed()
        if getattr(window, "torch_is_ready", False):
            self._fill_choices()
        elif window is not None and hasattr(window, "torch_ready"):
            window.torch_ready.connect(self._fill_choices)
        observe(viewer.events.sequences_changed, self, self._suggest_open_file)
        observe(viewer.events.models_changed, self, self._show_done)  # saved, renamed or removed since
        self._suggest_open_file()

    # -- choices -------------------------------------------------------------------------------
    def _fill_choices(self) -> None:
        from deemo_gui.core.device import available_devices
        from deemo_gui.core.networks import list_presets

        current = self.preset_combo.currentText()
        self.preset_combo.blockSignals(True)
        self.preset_combo.clear()
        self.preset_combo.addItems([DEFAULT_NETWORK, *list_presets()])
        self.preset_combo.setCurrentText(current if current else DEFAULT_NETWORK)
        self.preset_combo.blockSignals(False)
        self._preset_changed(self.preset_combo.currentText())
        self.device_combo.clear()
        self.device_combo.addItems(available_devices())

    def _preset_changed(self, preset: str) -> None:
        if not preset:
            return
        from deemo_gui.core.networks import training_defaults

        self.converge_check.setEnabled(preset != DEFAULT_NETWORK)  # the recipe sizes its own training
        if preset == DEFAULT_NETWORK:
            self._show_recipe_defaults()
            return
        try:
            t = training_defaults(preset)
        except Exception:  # unknown preset typed in: Start reports it
            return
        text = preset_description(preset, self.converge_check.isChecked())
        self.preset_info.setText(text)
        self.preset_info.setToolTip(text)
        self.preset_combo.setToolTip(text)
        self.lr_spin.setSpecialValueText(f"preset default ({t['lr']:g})")
        if self.converge_check.isChecked():
            self.epochs_spin.setSpecialValueText(f"to convergence (up to {CONVERGE_MAX_EPOCHS})")
            self.batch_spin.setSpecialValueText("sized to the data")
            self.patience_spin.setSpecialValueText("sized to the data")
            return
        self.epochs_spin.setSpecialValueText(f"preset default ({t['max_epochs']})")
        self.batch_spin.setSpecialValueText(f"preset default ({t['batch_size']})")
        self.patience_spin.setSpecialValueText(f"preset default ({t['patience']})")

    def _show_recipe_defaults(self) -> None:
        from deemo_gui.core import ensemble

        text = preset_description(DEFAULT_NETWORK)
        self.preset_info.setText(ensemble.DEFAULT_SUMMARY)  # plain words; the recipe itself on hover
        self.preset_info.setToolTip(text)
        self.preset_combo.setToolTip(text)
        self.epochs_spin.setSpecialValueText(f"recipe default (up to {ensemble.ENSEMBLE_MAX_EPOCHS})")
        self.lr_spin.setSpecialValueText(f"recipe default ({ensemble.ENSEMBLE_LR:g})")
        self.batch_spin.setSpecialValueText("recipe default (sized to the data)")
        self.patience_spin.setSpecialValueText("recipe default (sized to the data)")

    def _toggle_advanced(self, shown: bool) -> None:
        self.advanced.setVisible(shown)
        self.advanced_toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)

    def _label_mode_changed(self) -> None:
        mode = self.label_combo.currentData()
        needs_file = mode in ("labels", "negatives", "peaks")
        self.aux_edit.setEnabled(needs_file)
        self.aux_browse.setEnabled(needs_file)
        self.aux_edit.setPlaceholderText(
            "label file"
            if mode == "labels"
            else "negatives file (FASTA…)"
            if mode == "negatives"
            else "genome FASTA (hg38.fa…)"
            if mode == "peaks"
            else "not needed"
        )

    def _suggest_open_file(self) -> None:
        self.use_open_button.setEnabled(bool(self.viewer.files))
        open_paths = [f.path for f in self.viewer.files]
        suggested_gone = self.data_edit.text() == self._suggested and self._suggested not in open_paths
        if self.viewer.files and (not self.data_edit.text() or suggested_gone):  # e.g. the example was replaced
            self._use_open_file()

    def _use_open_file(self) -> None:
        if not self.viewer.files:
            return
        f = self.viewer.files[-1]
        self.data_edit.setText(f.path)
        self._suggested = f.path
        if f.genome:
            self.set_label_mode("peaks", f.genome)
        elif f.labels:
            self.set_label_mode("labels", f.labels)
        elif f.negatives == "shuffle":
            self.set_label_mode("shuffle")
        elif f.negatives:
            self.set_label_mode("negatives", f.negatives)
        elif f.data.labels is None or (f.data.labels == 1).all():
            self.set_label_mode("shuffle")  # positives only, e.g. ChIP-seq peaks or a DeepBind *_AC file
        else:
            self.set_label_mode("file")
        if self.status.text() == CHOOSE_FILE or self.status.text().startswith(READY):  # nothing trained yet
            self.status.setText(
                f"{READY} {escape(os.path.basename(f.path))} ({len(f.data):,} sequences, the open file): press Start."
            )

    def set_label_mode(self, mode: str, path: str = "") -> None:
        self.label_combo.setCurrentIndex(self.label_combo.findData(mode))
        self.aux_edit.setText(path)

    def _browse_data(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Training data", "", SEQUENCE_FILTER)
        if path:
            self.data_edit.setText(path)

    def _browse_test(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Test data", "", SEQUENCE_FILTER)
        if path:
            self.test_edit.setText(path)

    def _browse_aux(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Label or negatives file", "", "All files (*)")
        if path:
            self.aux_edit.setText(path)

    # -- run ---------------------------------------------------------------------------------
    def config(self):
        from deemo_gui.core.training import TrainingConfig

        return TrainingConfig(
            preset=self.preset_combo.currentText() or DEFAULT_NETWORK,
            max_epochs=self.epochs_spin.value() or None,
            lr=self.lr_spin.value() or None,
            batch_size=self.batch_spin.value() or None,
            patience=self.patience_spin.value() or None,
            seed=self.seed_spin.value(),
            valid_fraction=round(self.valid_spin.value(), 4),
            device=self.device_combo.currentText() or "auto",
            time_limit=60.0 * self.time_spin.value(),
            converge=self.converge_check.isChecked() and self.preset_combo.currentText() != DEFAULT_NETWORK,
        )

    def start(self) -> Worker | None:
        from deemo_gui.qt.errors import show_error

        if self.worker is not None and self.worker.is_running():
            return None
        path = self.data_edit.text().strip()
        mode = self.label_combo.currentData()
        aux = self.aux_edit.text().strip() or None
        if not path:
            show_error(self, "Choose a training data file first (Browse…, or Use open file).")
            return None
        if mode in ("labels", "negatives", "peaks") and not aux:
            what = {"labels": "label file", "negatives": "negatives file", "peaks": "genome FASTA"}[mode]
            show_error(self, f"Choose the {what}, or another Labels option.")
            return None
        labels = aux if mode == "labels" else None
        negatives = "shuffle" if mode == "shuffle" else (aux if mode == "negatives" else None)
        if not getattr(self.window_, "torch_is_ready", True) and self.preset_combo.count() == 0:
            self._fill_choices()
        config = self.config()
        self._member, self._member_aurocs, self._progress_member = None, [], None
        self._progress_epochs, self._progress_epoch = [], 0
        self.auroc_plot.setTitle("Validation AUROC", color="#222")
        self._reset_curves()
        self.state = _CancelState()
        self.last_done, self.trained_entry = None, None
        self._data_path = path
        test_path = self.test_edit.text().strip() or None
        if test_path and mode == "peaks":
            show_error(self, "With peaks + a genome the test set is chromosomes 8 and 9: leave Test data empty.")
            return None
        worker = Worker(
            train_job,
            path,
            labels,
            negatives,
            config,
            self.state,
            aux if mode == "peaks" else None,
            test_path,
            self.tf_edit.text().strip() or None,
            name="Training the default ensemble" if config.preset == DEFAULT_NETWORK else f"Training {config.preset}",
            cancel=self.state.cancel,
            progress=self._progress_of,
        )
        worker.yielded.connect(self._on_event)
        worker.returned.connect(self._on_done)
        worker.errored.connect(lambda exc: self.status.setText(f"Training stopped with an error: {exc}"))
        worker.finished.connect(self._on_finished)
        self.worker = worker
        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.save_button.setEnabled(False)
        self.status.setText("Starting…")
        self._redraw_timer.start()
        start_job(self.window_, worker, "Training")
        return worker

    def _progress_of(self, event):
        import time

        from deemo_gui.core.training import EpochEvent, StepEvent

        if isinstance(event, tuple) and event[0] == "member":  # runs in the worker: its own copy of the member
            if self._progress_member is not None:
                self._progress_epochs.append(self._progress_epoch)
            self._progress_member, self._progress_epoch = event[1], 0
        member = self._progress_member
        if member and isinstance(event, (StepEvent, EpochEvent)):  # an ensemble: members done + this one's share
            self._progress_epoch = event.epoch
            done = self._progress_epochs
            expected = sum(done) / len(done) if done else 2.0 * member["patience"]  # early stopping ends a member
            within = min(0.95, event.epoch / max(expected, event.epoch + 1))
            limit = member["time_limit"] or 600.0
            elapsed = min(limit, time.perf_counter() - member["started"])
            what = (
                f"loss {event.loss:.3f}"
                if isinstance(event, StepEvent)
                else f"validation AUROC {event.valid_auroc:.3f}"
            )
            share = (member["member"] - 1 + within) / member["members"]  # when early stopping ends the members
            share = max(share, elapsed / limit)  # when the time limit does (large data: a few members fit)
            return (
                int(1000 * member["members"] * min(share, 0.999)),
                1000 * member["members"],
                f"member {member['member']}/{member['members']}, epoch {event.epoch}, {what} "
                f"({elapsed / 60:.1f} of {limit / 60:.0f} min)",
            )
        if isinstance(event, StepEvent):
            total = max(1, self.max_epochs) * event.n_steps
            return (
                (event.epoch - 1) * event.n_steps + event.step,
                total,
                f"epoch {event.epoch}/{self.max_epochs}, loss {event.loss:.3f}",
            )
        if isinstance(event, EpochEvent):
            return (event.epoch, event.max_epochs, f"epoch {event.epoch}: validation AUROC {event.valid_auroc:.3f}")
        if isinstance(event, tuple) and event[0] == "status":
            return (0, 0, event[1])
        return None

    def _on_event(self, event) -> None:
        from deemo_gui.core.training import EpochEvent, StepEvent

        if isinstance(event, tuple):
            kind, payload = event
            if kind == "status":
                self.status.setText(payload)
            elif kind == "member":
                self._start_member(payload)
            elif kind == "ready":
                self.max_epochs = payload["max_epochs"]
                self._monitor = payload.get("monitor", "auroc")
                if payload.get("converge"):  # it stops long before its cap: the curves follow the epochs run
                    for plot in (self.loss_plot, self.auroc_plot):
                        plot.enableAutoRange(axis="x")
                else:
                    self.loss_plot.setXRange(0, self.max_epochs, padding=0.02)
                    self.auroc_plot.setXRange(0.5, self.max_epochs + 0.5, padding=0)
                self._n_valid = payload["n_valid"]
                until = (
                    f"until {payload['patience']} epochs bring no better validation loss (at most {self.max_epochs})"
                    if payload.get("converge")
                    else f"up to {self.max_epochs} epochs"
                )
                self.status.setText(
                    f"Training on {payload['n_train']:,} sequences ({payload['input_length']} nt), "
                    f"validating on {payload['n_valid']:,}; {until}."
                    + self._caution_html(training_cautions(self._data_path, payload["n_valid"]))
                )
        elif isinstance(event, StepEvent):
            self._loss_x.append(event.epoch - 1 + event.step / event.n_steps)
            self._loss_y.append(event.loss)
        elif isinstance(event, EpochEvent):
            self._epoch_x.append(event.epoch)
            self._epoch_loss.append(event.train_loss)
            self._auroc.append(event.valid_auroc)
            if event.improved:  # best validation AUROC or loss, whichever the training follows
                self._kept = len(self._auroc) - 1
            member = f"Member {self._member['member']} of up to {self._member['members']} · " if self._member else ""
            epochs = (
                f"Epoch {event.epoch} (stops after {self._member['patience']} without a better validation loss, "
                f"at most {event.max_epochs})"
                if self._member
                else f"Epoch {event.epoch}/{event.max_epochs}"
            )
            self.status.setText(
                f"{member}{epochs}: loss {event.train_loss:.4f}, validation AUROC "
                f"{event.valid_auroc:.4f}{self._best_note(event.improved)} — "
                f"{event.sequences_per_second:,.0f} sequences/s"
            )
            self._redraw()

    def _best_note(self, improved: bool) -> str:
        """' (best so far)' after the AUROC when this epoch is the one kept, saying what chose it."""
        if not improved:
            return ""
        return " (best validation loss so far)" if self._member or self._monitor == "loss" else " (best so far)"

    def _start_member(self, info: dict) -> None:
        """A new member of the default ensemble: its own curves (x follows the epochs it runs)."""
        if self._member is not None and self._kept is not None:
            self._member_aurocs.append(self._auroc[self._kept])
        self._member = info
        self.max_epochs = info["max_epochs"]
        self._n_valid = info["n_valid"]
        self._reset_curves()
        for plot in (self.loss_plot, self.auroc_plot):
            plot.enableAutoRange(axis="x")
        self.auroc_plot.setTitle(f"Validation AUROC — member {info['member']} of up to {info['members']}", color="#222")
        done = ", ".join(f"{a:.3f}" for a in self._member_aurocs)
        self.status.setText(
            f"Training member {info['member']} of up to {info['members']} (seed {info['seed']}) on "
            f"{info['n_train']:,} sequences ({info['input_length']} nt), validating on {info['n_valid']:,}; "
            f"the whole ensemble stops within {(info['time_limit'] or 600) / 60:.0f} min."
            + (f" Best validation AUROC of the members so far: {done}." if done else "")
            + self._caution_html(training_cautions(self._data_path, info["n_valid"]))
        )

    def _reset_curves(self) -> None:
        self._loss_x, self._loss_y, self._epoch_x, self._epoch_loss, self._auroc = [], [], [], [], []
        self._kept = None
        self._drawn = (-1, -1)
        self._redraw()

    def _redraw(self) -> None:
        """Push new points to the curves (5 Hz while training); untouched curves are not redrawn."""
        drawn = getattr(self, "_drawn", (-1, -1))
        if len(self._loss_x) != drawn[0]:
            self.step_curve.setData(self._loss_x, self._loss_y)
        if len(self._epoch_x) != drawn[1]:
            self.epoch_curve.setData(self._epoch_x, self._epoch_loss)
            self.auroc_curve.setData(self._epoch_x, self._auroc)
            if self._auroc:
                k = self._kept
                self.best_marker.setData([] if k is None else [self._epoch_x[k]], [] if k is None else [self._auroc[k]])
                self.auroc_plot.setYRange(min(0.5, min(self._auroc) - 0.02), 1.0)
            else:
                self.best_marker.setData([], [])
        self._drawn = (len(self._loss_x), len(self._epoch_x))

    def _on_done(self, done) -> None:
        if done is None:
            self.status.setText("Training cancelled before the first epoch: no model.")
            return
        self.last_done = done
        stem = os.path.basename(self._data_path).split(".")[0]
        ensemble = (done.metadata.get("training") or {}).get("ensemble")
        name = f"{'ensemble' if ensemble else done.model.preset} on {stem}"
        meta = dict(done.metadata)
        # the new model is ticked; models trained earlier here that were ticked automatically are
        # unticked (they piled up in every panel); what the user ticked stays ticked
        earlier = set(self._auto_ticked)
        keep = [m for m in self.viewer.selected_models if m.name not in earlier]
        self.trained_entry = self.viewer.add_model_object(done.model, name=name, select=True)
        self.trained_entry.metadata.update(meta)
        dropped = [m.name for m in self.viewer.selected_models if m.name in earlier]
        self.viewer.select_models(keep + [self.trained_entry])
        self._auto_ticked = [self.trained_entry.name]
        self.viewer.events.models_changed.emit()
        self.save_button.setEnabled(True)
        self._dropped = dropped
        self._show_done()

    def _show_done(self) -> None:
        """The status after training: result, saved or not (follows File ▸ Save), cautions, verdict."""
        done, entry = self.last_done, self.trained_entry
        if done is None or entry is None:
            return
        where = (
            (f"saved to {escape(os.path.basename(entry.path))}" if entry.saved else "not saved yet — Save model…")
            if entry in self.viewer.models
            else "removed from the list"
        )
        from deemo_gui.core.ensemble import members_text

        ensemble = (entry.metadata.get("training") or {}).get("ensemble")
        line = baseline_line(entry.metadata)
        n_valid = (entry.metadata.get("training") or {}).get("n_valid", getattr(self, "_n_valid", None))
        cautions = training_cautions(self._data_path, n_valid, done.best_valid_auroc)
        head = "Done, with cautions" if cautions else "Done"
        result = (
            f"{members_text(ensemble)} in {ensemble['seconds'] / 60:.1f} min, "
            f"the members' mean best validation AUROC {done.best_valid_auroc:.4f} (best epochs "
            f"{', '.join(map(str, ensemble['best_epochs']))})"
            if ensemble
            else f"best validation AUROC {done.best_valid_auroc:.4f} at epoch {done.best_epoch} of {done.epochs_run}"
        )
        test = entry.metadata.get("test") or {}
        if test.get("auroc") is not None:
            held = " held out from the training file" if "held_out" in test else ""
            result += f"; test AUROC {test['auroc']:.4f} on {test.get('n', 0):,} sequences{held}"
        self.status.setText(
            f"{head} ({done.reason}): {result}. “{escape(entry.name)}” is in the model list ({where})."
            + (
                f" Unticked the model trained before ({escape(', '.join(self._dropped))}): tick it again to compare."
                if self._dropped
                else ""
            )
            + self._caution_html(cautions)
            + (f"<br>{escape(line)}" if line else "")
            + (f"<br>{trust_html([entry])}" if trust_html([entry]) else "")
        )

    @staticmethod
    def _caution_html(cautions: list[str]) -> str:
        return "".join(f"<br><span style='color:#9A6700'>⚠ {escape(c)}</span>" for c in cautions)

    def _on_finished(self) -> None:
        self._redraw_timer.stop()
        self._redraw()
        self.start_button.setEnabled(True)
        self.cancel_button.setEnabled(False)

    def _save(self) -> None:
        if self.trained_entry is None:
            return
        save = getattr(self.window_, "save_model_dialog", None)
        if save is not None:
            save(self.trained_entry.name)
