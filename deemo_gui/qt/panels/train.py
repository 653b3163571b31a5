"""The Train panel: choose data, a preset and epochs; train in a worker with live loss and AUROC
curves; cancel keeps the best model so far; the model joins the model picker and can be saved."""
from __future__ import annotations

import os
from dataclasses import dataclass
from html import escape

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from deemo_gui.core.verdict import baseline_line
from deemo_gui.qt.panels._single_job import SingleJobMixin, start_job
from deemo_gui.qt.trust import trust_html
from deemo_gui.qt.workers import Worker, observe

SEQUENCE_FILTER = ("Sequence files (*.fa *.fasta *.fna *.fa.gz *.fasta.gz *.seq *.seq.gz *.tsv *.csv *.txt *.gz);;"
                   "All files (*)")

LABEL_MODES = [
    ("file", "In the data file", "0/1 labels in the file itself: TSV/CSV label columns, DeepBind .seq 'Bound', "
     "or label=0/1 in FASTA headers"),
    ("labels", "Label file…", "A separate file with one line of 0/1 labels per record (e.g. Keras-genomics .target)"),
    ("shuffle", "Shuffled negatives", "The data file holds bound sequences only; negatives are dinucleotide-shuffled "
     "copies of them (Altschul-Erickson), as DeepBind and the Deep Motif Dashboard did"),
    ("negatives", "Negatives file…", "The data file holds bound sequences only; unbound sequences come from another file"),
    ("peaks", "Peaks + genome…", "The data file is a BED/narrowPeak of peaks: positives are the windows on their "
     "summits in this genome FASTA, negatives GC-matched genomic background outside the peaks; chr8 and chr9 "
     "are held out as the test set and chr6 and chr7 for validation (as `deemo train PEAKS --genome`)"),
]


@dataclass
class _CancelState:
    cancelled: bool = False
    trainer: object = None

    def cancel(self) -> None:
        self.cancelled = True
        if self.trainer is not None:
            self.trainer.cancel()


def train_job(path: str, labels: str | None, negatives: str | None, config, state: _CancelState,
              genome: str | None = None):
    """Read the data (with `genome`: `path` is a peaks file, split by chromosome with GC-matched
    negatives), build the Trainer and yield its events (runs in a worker thread)."""
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
    if state.cancelled:
        return None
    yield ("status", f"Preparing {len(data):,} sequences…")
    trainer = Trainer(data, config, valid, test)
    state.trainer = trainer
    if state.cancelled:
        return None
    yield ("ready", {"n_train": len(trainer.train_data), "n_valid": len(trainer.valid_data),
                     "max_epochs": int(trainer.settings["max_epochs"]), "input_length": trainer.input_length})
    done = None
    for event in trainer.run():
        if isinstance(event, DoneEvent):
            done = event
            if test is not None:   # the held-out chromosomes, stored as `deemo train --genome` does
                from deemo_gui.core.training import evaluate

                yield ("status", f"Evaluating on {len(test):,} held-out sequences…")
                meta = dict(done.metadata)
                meta["test"] = {"data": test.source, **evaluate(done.model, test)}
                done.metadata = done.model.metadata = meta
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
        self._auto_ticked: list[str] = []   # models trained here and ticked by the panel, not the user
        self.max_epochs = 0
        self._steps_per_epoch = 1
        self._loss_x: list[float] = []
        self._loss_y: list[float] = []
        self._epoch_x: list[int] = []
        self._epoch_loss: list[float] = []
        self._auroc: list[float] = []

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
        self.preset_combo.setToolTip("Network architecture (see `deemo presets`): deepbind is fast to train; cnn, "
                                     "rnn and cnn-rnn are the Deep Motif Dashboard models")
        self.preset_combo.currentTextChanged.connect(self._preset_changed)
        self.epochs_spin = QSpinBox()
        self.epochs_spin.setRange(0, 1000)
        self.epochs_spin.setSpecialValueText("preset default")
        self.epochs_spin.setToolTip("Maximum epochs; training stops earlier when validation AUROC stops improving")
        self.device_combo = QComboBox()
        self.device_combo.addItem("auto")

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Training data:", data_row)
        form.addRow("", self.use_open_button)
        form.addRow("Labels:", self.label_combo)
        form.addRow("", aux_row)
        form.addRow("Network:", self.preset_combo)
        form.addRow("Epochs:", self.epochs_spin)
        form.addRow("Device:", self.device_combo)

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
        self.status = QLabel("Choose a training file, then Start.")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.RichText)  # the verdict after training is coloured
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(form)
        left_layout.addLayout(buttons)
        left_layout.addWidget(self.status)
        left_layout.addStretch(1)
        left.setMinimumWidth(340)
        left.setMaximumWidth(520)

        # -- curves -----------------------------------------------------------------------
        self.loss_plot = pg.PlotWidget(background="w")
        self.loss_plot.setTitle("Training loss", color="#222")
        self.loss_plot.setLabel("bottom", "epoch")
        self.loss_plot.setLabel("left", "binary cross-entropy")
        self.loss_plot.addLegend(offset=(-10, 10))
        # Per-batch loss: many points, drawn without antialiasing and downsampled (cheap repaints keep the
        # window responsive while training; see benchmarks/gui_latency.py).
        self.step_curve = self.loss_plot.plot([], [], pen=pg.mkPen("#9ab3d5", width=1), name="per batch",
                                              antialias=False, autoDownsample=True, clipToView=True)
        self.epoch_curve = self.loss_plot.plot([], [], pen=pg.mkPen("#255C99", width=2), symbol="o",
                                               symbolSize=6, symbolBrush="#255C99", name="epoch mean",
                                               antialias=True)
        self.auroc_plot = pg.PlotWidget(background="w")
        self.auroc_plot.setTitle("Validation AUROC", color="#222")
        self.auroc_plot.setLabel("bottom", "epoch")
        self.auroc_plot.setLabel("left", "AUROC")
        self.auroc_plot.setYRange(0.5, 1.0)
        # Horizontal grid lines only: a full translucent grid made each repaint ~45 ms offscreen and
        # stalled the window while training (benchmarks/gui_latency.py).
        self.auroc_plot.showGrid(x=False, y=True, alpha=0.2)
        self.auroc_curve = self.auroc_plot.plot([], [], pen=pg.mkPen("#109648", width=2), symbol="o",
                                                symbolSize=6, symbolBrush="#109648", antialias=True)
        self.best_marker = self.auroc_plot.plot([], [], pen=None, symbol="star", symbolSize=14,
                                                symbolBrush="#F7B32B")
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
        self._suggest_open_file()

    # -- choices -------------------------------------------------------------------------------
    def _fill_choices(self) -> None:
        from deemo_gui.core.device import available_devices
        from deemo_gui.core.networks import list_presets

        current = self.preset_combo.currentText()
        self.preset_combo.blockSignals(True)
        self.preset_combo.clear()
        self.preset_combo.addItems(list_presets())
        self.preset_combo.setCurrentText(current if current else "deepbind")
        self.preset_combo.blockSignals(False)
        self._preset_changed(self.preset_combo.currentText())
        self.device_combo.clear()
        self.device_combo.addItems(available_devices())

    def _preset_changed(self, preset: str) -> None:
        if not preset:
            return
        from deemo_gui.core.networks import training_defaults

        try:
            epochs = training_defaults(preset)["max_epochs"]
        except Exception:  # unknown preset typed in: Start reports it
            return
        self.epochs_spin.setSpecialValueText(f"preset default ({epochs})")

    def _label_mode_changed(self) -> None:
        mode = self.label_combo.currentData()
        needs_file = mode in ("labels", "negatives", "peaks")
        self.aux_edit.setEnabled(needs_file)
        self.aux_browse.setEnabled(needs_file)
        self.aux_edit.setPlaceholderText("label file" if mode == "labels" else
                                         "negatives file (FASTA…)" if mode == "negatives" else
                                         "genome FASTA (hg38.fa…)" if mode == "peaks" else "not needed")

    def _suggest_open_file(self) -> None:
        self.use_open_button.setEnabled(bool(self.viewer.files))
        if not self.data_edit.text() and self.viewer.files:
            self._use_open_file()

    def _use_open_file(self) -> None:
        if not self.viewer.files:
            return
        f = self.viewer.files[-1]
        self.data_edit.setText(f.path)
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

    def set_label_mode(self, mode: str, path: str = "") -> None:
        self.label_combo.setCurrentIndex(self.label_combo.findData(mode))
        self.aux_edit.setText(path)

    def _browse_data(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Training data", "", SEQUENCE_FILTER)
        if path:
            self.data_edit.setText(path)

    def _browse_aux(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Label or negatives file", "", "All files (*)")
        if path:
            self.aux_edit.setText(path)

    # -- run ---------------------------------------------------------------------------------
    def config(self):
        from deemo_gui.core.training import TrainingConfig

        return TrainingConfig(preset=self.preset_combo.currentText() or "deepbind",
                              max_epochs=self.epochs_spin.value() or None,
                              device=self.device_combo.currentText() or "auto")

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
        self._reset_curves()
        self.state = _CancelState()
        self.last_done, self.trained_entry = None, None
        self._data_path = path
        worker = Worker(train_job, path, labels, negatives, config, self.state, aux if mode == "peaks" else None,
                        name=f"Training {config.preset}", cancel=self.state.cancel, progress=self._progress_of)
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
        from deemo_gui.core.training import EpochEvent, StepEvent

        if isinstance(event, StepEvent):
            total = max(1, self.max_epochs) * event.n_steps
            return ((event.epoch - 1) * event.n_steps + event.step, total,
                    f"epoch {event.epoch}/{self.max_epochs}, loss {event.loss:.3f}")
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
            elif kind == "ready":
                self.max_epochs = payload["max_epochs"]
                self.loss_plot.setXRange(0, self.max_epochs, padding=0.02)
                self.auroc_plot.setXRange(0.5, self.max_epochs + 0.5, padding=0)
                self.status.setText(
                    f"Training on {payload['n_train']:,} sequences ({payload['input_length']} nt), "
                    f"validating on {payload['n_valid']:,}; up to {self.max_epochs} epochs.")
        elif isinstance(event, StepEvent):
            self._steps_per_epoch = event.n_steps
            self._loss_x.append(event.epoch - 1 + event.step / event.n_steps)
            self._loss_y.append(event.loss)
        elif isinstance(event, EpochEvent):
            self._epoch_x.append(event.epoch)
            self._epoch_loss.append(event.train_loss)
            self._auroc.append(event.valid_auroc)
            self.status.setText(
                f"Epoch {event.epoch}/{event.max_epochs}: loss {event.train_loss:.4f}, validation AUROC "
                f"{event.valid_auroc:.4f}{' (best so far)' if event.improved else ''} — "
                f"{event.sequences_per_second:,.0f} sequences/s")
            self._redraw()

    def _reset_curves(self) -> None:
        self._loss_x, self._loss_y, self._epoch_x, self._epoch_loss, self._auroc = [], [], [], [], []
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
                k = max(range(len(self._auroc)), key=self._auroc.__getitem__)
                self.best_marker.setData([self._epoch_x[k]], [self._auroc[k]])
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
        name = f"{done.model.preset} on {stem}"
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
        line = baseline_line(self.trained_entry.metadata, done.model.preset)
        self.status.setText(
            f"Done ({done.reason}): best validation AUROC {done.best_valid_auroc:.4f} at epoch "
            f"{done.best_epoch} of {done.epochs_run}. “{self.trained_entry.name}” is in the model list "
            "(not saved yet — Save model…)."
            + (f" Unticked the model trained before ({escape(', '.join(dropped))}): tick it again to compare."
               if dropped else "")
            + (f"<br>{escape(line)}" if line else "")
            + (f"<br>{trust_html([self.trained_entry])}" if trust_html([self.trained_entry]) else ""))

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
