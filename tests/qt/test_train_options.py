"""Train panel: advanced settings folded away, preset descriptions from the networks' own docs, an
optional test file, the TF name stored in the model file, cautions (shipped test file, small
validation set, near chance), and a status that follows saving. Known motifs by JASPAR name/alias."""

import numpy as np
import pytest
from PySide6.QtWidgets import QFileDialog

from deemo_gui.core.sequences import read_sequences
from deemo_gui.qt.panels.train import preset_description, training_cautions


@pytest.fixture(scope="module")
def rest_150(tmp_path_factory, data_dir):
    """150 REST peaks (positives only): with shuffled negatives, 30 validation sequences."""
    data = read_sequences(data_dir / "deepbind_encode" / "REST_GM12878_AC.seq.gz")
    pick = np.sort(np.random.default_rng(1).choice(len(data), 150, replace=False))
    path = tmp_path_factory.mktemp("train") / "rest_150.fa"
    path.write_text("".join(f">{data.ids[i]}\n{data.seqs[i]}\n" for i in pick))
    return path


@pytest.fixture
def window(open_window, dialogs):
    return open_window()


def test_preset_descriptions_come_from_the_networks_docs():
    text = preset_description("koo-cnn-4")
    assert text.startswith("koo-cnn-4: conv -> BN -> ReLU -> max-pool(pool1)") and "pool1 4" in text
    assert "learning rate 0.0003, batch 100" in text
    assert "motif detectors" in preset_description("deepbind") and preset_description("nope") == ""


def test_cautions():
    assert "held-out test file" in training_cautions("resources/examples/REST_GM12878_test.fa")[0]
    assert training_cautions("resources/data/deepbind_encode/REST_GM12878_AC.seq.gz", 1200, 0.9) == []
    small, chance = training_cautions("peaks.fa", 30, 0.52)
    assert "only 30 validation sequences" in small and "near chance" in chance


def test_advanced_settings_reach_the_training_config(window):
    panel = window.show_panel("Train")
    assert not panel.advanced.isVisibleTo(panel)
    panel.advanced_toggle.click()
    assert panel.advanced.isVisibleTo(panel)
    panel.preset_combo.setCurrentText("cnn")
    assert "conv -> ReLU -> max-pool" in panel.preset_info.text()
    assert panel.lr_spin.specialValueText() == "preset default (0.001)"
    cfg = panel.config()
    assert (cfg.lr, cfg.batch_size, cfg.patience, cfg.seed, cfg.valid_fraction) == (None, None, None, 0, 0.1)
    panel.lr_spin.setValue(0.003)
    panel.batch_spin.setValue(64)
    panel.valid_spin.setValue(0.25)
    panel.patience_spin.setValue(3)
    panel.seed_spin.setValue(7)
    cfg = panel.config()
    assert (cfg.lr, cfg.batch_size, cfg.patience, cfg.seed, cfg.valid_fraction) == (0.003, 64, 3, 7, 0.25)
    assert cfg.resolved()["lr"] == 0.003


def test_train_with_test_file_tf_name_cautions_and_saved_status(qtbot, window, rest_150, tmp_path, monkeypatch):
    from deemo_gui.core.modelfile import load_model
    from deemo_gui.viewer import analysis as A

    panel = window.show_panel("Train")
    panel.data_edit.setText(str(rest_150))
    panel.set_label_mode("shuffle")
    panel.preset_combo.setCurrentText("deepbind")
    panel.epochs_spin.setValue(1)
    panel.device_combo.setCurrentText("cpu")
    panel.test_edit.setText("resources/examples/REST_GM12878_test.fa")
    panel.tf_edit.setText("NRSF")  # REST's other name
    assert panel.start() is not None
    qtbot.waitUntil(lambda: panel.last_done is not None and panel.start_button.isEnabled(), timeout=180_000)
    entry = panel.trained_entry
    text = panel.status.text()
    assert "Done, with cautions" in text and "only 30 validation sequences" in text
    assert "not saved yet" in text
    assert entry.metadata["test"]["n"] == 1000 and entry.metadata["tf"] == "NRSF"
    assert A.model_tf(entry) == "NRSF" and A.known_motif(A.model_tf(entry)).name == "REST"
    target = tmp_path / "rest.safetensors"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    panel.save_button.click()
    assert entry.saved and "saved to rest.safetensors" in panel.status.text()
    assert "not saved yet" not in panel.status.text()
    assert load_model(target).metadata["tf"] == "NRSF"
    qtbot.wait(200)
    qtbot.waitUntil(lambda: not window.jobs.running, timeout=60_000)


def test_a_shipped_test_file_is_flagged_when_training_starts(qtbot, window):
    panel = window.show_panel("Train")
    panel.data_edit.setText("resources/examples/REST_GM12878_test.fa")
    panel.set_label_mode("file")
    panel.preset_combo.setCurrentText("deepbind")
    panel.epochs_spin.setValue(1)
    panel.device_combo.setCurrentText("cpu")
    panel.start()
    qtbot.waitUntil(lambda: "held-out test file" in panel.status.text(), timeout=60_000)
    panel.cancel()
    qtbot.waitUntil(lambda: panel.start_button.isEnabled(), timeout=120_000)


def test_known_motif_by_jaspar_name_and_alias():
    from types import SimpleNamespace

    from deemo_gui.viewer import analysis as A

    assert A.known_motif("Oct4").name == "POU5F1" and A.known_motif("NRSF").name == "REST"
    assert A.known_motif("LRF").name == "ZBTB7A"
    anonymous = SimpleNamespace(name="TF_40_CHIP_100_genomic_cnn", metadata={}, path=None)
    assert A.model_tf(anonymous) is None
    assert A.model_tf(SimpleNamespace(name="cnn on oct4_peaks", metadata={}, path=None)) == "OCT4"
    assert A.model_tf(SimpleNamespace(name="x", metadata={"tf": "Sox2"}, path=None)) == "Sox2"


def test_help_lists_keyboard_shortcuts_and_a_first_start_hint(window, qtbot):
    rows = {v: k for k, v in window.shortcuts_table()}
    assert any(v.startswith("File ▸ Open") for v in rows) and "Help ▸ Keyboard shortcuts" in rows
    assert any(v.startswith("Sequence editor:") for v in rows)
    window.show_shortcuts()
    assert window._shortcuts_box.isVisible() and "Ctrl+O" in window._shortcuts_box.text()
    window._shortcuts_box.close()
    from deemo_gui.qt.main_window import settings

    # The hint comes 0.8 s after the window shows, once: the settings remember it.
    qtbot.waitUntil(lambda: settings().value("first_start_hint_shown", False, type=bool), timeout=10_000)
    assert window.first_start_hint() is False


def test_to_convergence_reaches_the_config_and_the_model_file(qtbot, window, rest_150):
    from deemo_gui.core.ensemble import DEFAULT_ARCH

    panel = window.show_panel("Train")
    panel.preset_combo.setCurrentText(DEFAULT_ARCH)
    assert not panel.converge_check.isEnabled()  # the default recipe sizes its own training
    panel.preset_combo.setCurrentText("deepbind")
    assert panel.converge_check.isEnabled() and not panel.config().converge
    assert panel.epochs_spin.specialValueText().startswith("preset default")
    panel.converge_check.setChecked(True)
    assert panel.epochs_spin.specialValueText() == "to convergence (up to 300)"
    assert "to convergence: batch size and early-stopping patience sized" in panel.preset_info.text()
    from deemo_gui.core.networks import training_defaults

    cap = training_defaults("deepbind")["max_epochs"]
    assert f"up to {cap} epochs" not in panel.preset_info.text()  # the preset's own cap is not what runs
    assert panel.batch_spin.specialValueText() == "sized to the data"
    panel.converge_check.setChecked(False)  # unticked: the preset's own settings again
    assert panel.epochs_spin.specialValueText() == f"preset default ({cap})"
    assert f"up to {cap} epochs" in panel.preset_info.text()
    panel.converge_check.setChecked(True)
    panel.preset_combo.setCurrentText(DEFAULT_ARCH)  # ticked, then the default recipe: not applied to it
    assert not panel.converge_check.isEnabled() and not panel.config().converge
    panel.preset_combo.setCurrentText("deepbind")
    panel.data_edit.setText(str(rest_150))
    panel.set_label_mode("shuffle")
    panel.device_combo.setCurrentText("cpu")
    panel.patience_spin.setValue(2)
    assert panel.config().converge and panel.start() is not None
    qtbot.waitUntil(lambda: panel.last_done is not None and panel.start_button.isEnabled(), timeout=180_000)
    t = panel.last_done.metadata["training"]
    assert t["converge"] and t["settings"]["batch_size"] == 32 and t["stopped"] == "early stopping"
    assert panel.loss_plot.getViewBox().autoRangeEnabled()[0]  # x follows the epochs run, not the 300 cap
