"""The Train panel: training to completion, cancel midway (best model kept), save, bad data."""

import numpy as np
import pytest
from PySide6.QtWidgets import QFileDialog

from deemo_gui.core.sequences import read_sequences


@pytest.fixture(scope="module")
def rest_positives(tmp_path_factory, data_dir):
    """600 REST ChIP-seq peaks (positives only) as FASTA: the panel makes shuffled negatives."""
    data = read_sequences(data_dir / "deepbind_encode" / "REST_GM12878_AC.seq.gz")
    pick = np.sort(np.random.default_rng(0).choice(len(data), 600, replace=False))
    path = tmp_path_factory.mktemp("train") / "rest_600.fa"
    path.write_text("".join(f">{data.ids[i]}\n{data.seqs[i]}\n" for i in pick))
    return path


@pytest.fixture
def window(open_window, dialogs):
    return open_window()


def _panel(window, path, epochs, preset="deepbind"):
    panel = window.show_panel("Train")
    panel.data_edit.setText(str(path))
    panel.set_label_mode("shuffle")
    panel.preset_combo.setCurrentText(preset)
    panel.epochs_spin.setValue(epochs)
    panel.device_combo.setCurrentText("cpu")
    return panel


def test_train_to_completion_and_save(qtbot, window, rest_positives, tmp_path, monkeypatch, dialogs):
    panel = _panel(window, rest_positives, epochs=2)
    assert panel.preset_combo.count() >= 10 and "cpu" in [
        panel.device_combo.itemText(k) for k in range(panel.device_combo.count())
    ]
    worker = panel.start()
    assert worker is not None and not panel.start_button.isEnabled() and panel.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: panel.last_done is not None, timeout=120_000)
    qtbot.waitUntil(lambda: panel.start_button.isEnabled(), timeout=10_000)
    done = panel.last_done
    assert done.reason == "max epochs" and done.epochs_run == 2
    assert done.metadata["training"]["n_train"] == 1080  # 600 peaks + 600 shuffles, 10 % held out
    assert len(panel._epoch_x) == 2 and len(panel._loss_y) >= 2 * 4
    assert len(panel.auroc_curve.getData()[0]) == 2 and "Done" in panel.status.text()
    # The model is in the viewer and the picker, selected, not saved yet.
    entry = panel.trained_entry
    assert entry in window.viewer.models and entry.selected and not entry.saved
    assert window.model_picker.item_of(entry.name).text(0) == f"{entry.name}  (unsaved)"
    # Save through the file dialog; the file loads back with its training record.
    target = tmp_path / "rest_trained.safetensors"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    panel.save_button.click()
    from deemo_gui.core.modelfile import load_model

    model = load_model(target)
    assert model.metadata["training"]["epochs_run"] == 2 and model.preset == "deepbind"
    assert entry.saved and entry.path == str(target)
    assert dialogs == []


def test_cancel_midway_keeps_the_best_model(qtbot, window, rest_positives, dialogs):
    from deemo_gui.core.training import EpochEvent

    panel = _panel(window, rest_positives, epochs=40)
    worker = panel.start()
    epochs = []
    worker.yielded.connect(lambda e: epochs.append(e) if isinstance(e, EpochEvent) else None)
    qtbot.waitUntil(lambda: len(epochs) >= 1, timeout=120_000)
    panel.cancel_button.click()
    assert "Cancelling" in panel.status.text()
    qtbot.waitUntil(lambda: not worker.is_running(), timeout=60_000)
    qtbot.waitUntil(lambda: panel.start_button.isEnabled(), timeout=10_000)
    done = panel.last_done
    assert done is not None and done.reason == "cancelled" and done.epochs_run < 40
    assert done.best_valid_auroc == max(e.valid_auroc for e in epochs[: done.epochs_run])
    assert panel.trained_entry in window.viewer.models and panel.save_button.isEnabled()
    assert dialogs == []


def test_bad_training_data_shows_an_error_and_recovers(qtbot, window, tmp_path, dialogs):
    bad = tmp_path / "protein.fa"
    bad.write_text(">p1\nMKVLAAGIVQW\n")
    panel = _panel(window, bad, epochs=1)
    worker = panel.start()
    qtbot.waitUntil(lambda: not worker.is_running(), timeout=30_000)
    qtbot.waitUntil(lambda: len(dialogs) == 1, timeout=5_000)
    assert "protein.fa" in dialogs[0][1] and panel.start_button.isEnabled()
    assert panel.last_done is None and "error" in panel.status.text()
    # Missing label file: refused before any work starts.
    panel.set_label_mode("labels", "")
    assert panel.start() is None and "label" in dialogs[-1][1]


def test_train_from_peaks_and_a_genome_holds_out_chromosomes(qtbot, window, tmp_path, dialogs):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import _genome

    g = _genome.build(tmp_path / "genome")
    window.viewer.open(g.bed, genome=g.fasta)  # the open peaks: "Use open file" picks the genome too
    panel = window.show_panel("Train")
    panel._use_open_file()
    assert panel.label_combo.currentData() == "peaks" and panel.aux_edit.text() == str(Path(g.fasta).resolve())
    panel.preset_combo.setCurrentText("deepbind")
    panel.epochs_spin.setValue(1)
    panel.device_combo.setCurrentText("cpu")
    assert panel.start() is not None
    qtbot.waitUntil(lambda: panel.last_done is not None, timeout=120_000)
    meta = panel.last_done.metadata
    assert "chromosomes chr8, chr9" in meta["test"]["data"] and meta["test"]["n"] > 0
    assert "chromosomes chr6, chr7" in meta["training"]["validation"]
    assert dialogs == []


def test_the_default_network_trains_an_ensemble_member_by_member_and_cancels(qtbot, window, rest_positives, dialogs):
    panel = window.show_panel("Train")
    assert panel.preset_combo.currentText() == "auto" and "recommended" in panel.preset_info.text()
    assert panel.time_spin.value() == 10 and panel.config().time_limit == 600
    assert panel.epochs_spin.specialValueText() == "recipe default (up to 100)"
    panel = _panel(window, rest_positives, epochs=1, preset="auto")
    worker = panel.start()
    members, progress = [], []
    worker.yielded.connect(lambda e: members.append(e[1]) if isinstance(e, tuple) and e[0] == "member" else None)
    worker.progress.connect(lambda *p: progress.append(p))
    qtbot.waitUntil(lambda: len(members) >= 2, timeout=120_000)
    assert "Training member 2 of up to 8" in panel.status.text() and "so far: 0." in panel.status.text()
    assert "member 2 of up to 8" in panel.auroc_plot.plotItem.titleLabel.text
    panel.cancel_button.click()
    qtbot.waitUntil(lambda: not worker.is_running(), timeout=60_000)
    qtbot.waitUntil(lambda: panel.start_button.isEnabled(), timeout=10_000)
    done = panel.last_done
    assert done is not None and done.reason == "cancelled"
    assert done.metadata["training"]["ensemble"]["members"] == 1  # the interrupted second member is dropped
    assert panel.trained_entry.name.startswith("ensemble on rest_600") and panel.save_button.isEnabled()
    assert "1 DeepBind network folded into one" in panel.status.text()
    assert any("member 1/8" in str(p) for p in progress)
    from deemo_gui.qt.model_picker import model_details_html

    details = model_details_html(panel.trained_entry)
    assert "the default ensemble, 1 network(s) (seeds 0) × 2 strands folded into one" in details
    assert dialogs == []


def test_the_star_marks_the_kept_epoch_not_the_highest_auroc(window):
    """With early stopping on validation loss the kept epoch need not have the best AUROC."""
    from deemo_gui.core.training import EpochEvent

    panel = window.show_panel("Train")
    for epoch, auroc, improved in ((1, 0.70, True), (2, 0.80, True), (3, 0.85, False), (4, 0.75, False)):
        panel._on_event(EpochEvent(epoch, 10, 0.5, auroc, 0.5, 3e-3, 1.0, 100.0, improved))
    panel._redraw()
    x, y = panel.best_marker.getData()
    assert list(x) == [2] and list(y) == [0.80] and "(best so far)" not in panel.status.text()


def test_ensemble_progress_counts_members_not_the_time_budget(window):
    """8 members that stop early fill the bar member by member, not by the 10-minute budget."""
    import time

    from deemo_gui.core.training import EpochEvent

    panel = window.show_panel("Train")
    started = time.perf_counter()

    def member(m):
        info = dict(member=m, members=8, patience=20, max_epochs=100, started=started, time_limit=600.0)
        return ("member", info)

    def epoch(n):
        return EpochEvent(n, 100, 0.5, 0.7, 0.5, 3e-3, 1.0, 100.0, True)

    panel._progress_of(member(1))
    first = panel._progress_of(epoch(10))  # no member finished yet: about 2 x patience expected
    assert first[:2] == (250, 8000) and "member 1/8, epoch 10" in first[2] and "of 10 min" in first[2]
    panel._progress_of(epoch(30))
    panel._progress_of(member(2))  # member 1 ran 30 epochs: the next is expected to run as many
    assert panel._progress_of(epoch(15))[:2] == (1500, 8000)
    for m in range(3, 9):
        panel._progress_of(member(m))
        panel._progress_of(epoch(30))
    value, total, _text = panel._progress_of(epoch(31))  # longer than expected: never past its share
    assert 7900 <= value < total == 8000
    panel._progress_of(("member", dict(member(2)[1], started=started - 300)))  # half the 10 minutes gone
    assert panel._progress_of(epoch(1))[0] >= 4000  # the time limit will end it, not the members
    panel._member = member(8)[1]
    panel._on_event(epoch(31))
    assert "Epoch 31 (stops after 20 without a better validation loss, at most 100)" in panel.status.text()
