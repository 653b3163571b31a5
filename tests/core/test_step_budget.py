"""Training to convergence (core.step_budget, `deemo train --converge`): the rules every preset shares."""

import numpy as np
import pytest

from deemo_gui.cli.main import main
from deemo_gui.core.modelfile import load_model
from deemo_gui.core.sequences import load_dataset
from deemo_gui.core.step_budget import CONVERGE_MAX_EPOCHS, auto_batch_size, auto_patience, converge_settings
from deemo_gui.core.training import DoneEvent, Trainer, TrainingConfig
from deemo_gui.core.zoo import model_card


@pytest.fixture(scope="module")
def rest_800(data_dir):
    data = load_dataset(data_dir / "deepbind_encode" / "REST_GM12878_AC.seq.gz", negatives="shuffle", seed=0)
    return data.subset(np.sort(np.random.default_rng(0).choice(len(data), 800, replace=False)))


def test_converge_settings_are_sized_to_the_data_and_explicit_values_win():
    small, large = converge_settings(800, 0.1), converge_settings(10_000, 0.1)
    assert (small["batch_size"], small["patience"]) == (32, 20)  # 23 steps an epoch: 450 steps = 20 epochs
    assert (large["batch_size"], large["patience"]) == (128, 6)  # 71 steps an epoch: the 6-epoch floor
    assert small["max_epochs"] == CONVERGE_MAX_EPOCHS == 300 and small["time_limit"] == 600
    assert small["rc_augment"] and small["monitor"] == "loss"
    # a separate validation file: every record trains, so an epoch has more steps
    assert converge_settings(3431, 0.0)["patience"] == auto_patience(3431, auto_batch_size(3431), 0.0) == 8
    explicit = converge_settings(800, 0.1, batch_size=64, max_epochs=5, patience=2, time_limit=30.0)
    assert (explicit["batch_size"], explicit["max_epochs"], explicit["patience"], explicit["time_limit"]) == (
        64,
        5,
        2,
        30.0,
    )


def test_trainer_to_convergence_stops_early_with_the_rules_recorded(rest_800):
    config = TrainingConfig(preset="deepbind", converge=True, patience=3, device="cpu", baselines=False)
    trainer = Trainer(rest_800, config)
    assert trainer.settings["batch_size"] == 32 and trainer.settings["max_epochs"] == 300
    assert trainer.config.rc_augment and trainer.config.monitor == "loss" and trainer.config.time_limit == 600
    done = next(e for e in trainer.run() if isinstance(e, DoneEvent))
    assert done.reason == "early stopping" and done.epochs_run == done.best_epoch + 3 < 300
    t = done.metadata["training"]
    assert t["converge"] and t["rc_augment"] and t["monitor"] == "loss"
    # the preset's own rules unless asked: its fixed batch of 256 and validation AUROC
    plain = Trainer(rest_800, TrainingConfig(preset="deepbind", device="cpu", baselines=False))
    assert plain.settings["batch_size"] == 256 and not plain.config.rc_augment and plain.config.monitor == "auroc"


def test_cli_converge_records_and_describes_the_rules(tmp_path, data_dir, capsys):
    pos = data_dir / "deepbind_encode" / "REST_GM12878_AC.seq.gz"
    out = tmp_path / "m.safetensors"
    args = ["train", str(pos), "--negatives", "shuffle", "--max-train", "800", "--out", str(out), "--quiet"]
    rules = ["--converge", "--patience", "2", "--no-baselines", "--device", "cpu"]
    assert main([*args, "--arch", "deepbind", *rules]) == 0
    meta = load_model(out).metadata
    assert meta["training"]["converge"] and meta["training"]["settings"]["batch_size"] == 32
    assert meta["training"]["settings"]["patience"] == 2 and meta["training"]["stopped"] == "early stopping"
    entry = {
        "name": "m",
        "preset": "deepbind",
        "tf": "REST",
        "task_names": ["bound"],
        "input_length": 101,
        "test_auroc": None,
        "test_aupr": None,
        "test_n": None,
        "jaspar_id": None,
        "pwm_auroc": None,
        "command": meta["training"]["command"],
        "weights_sha256": "x",
    }
    card = model_card(entry, meta)
    assert "Trained with `--converge`: the batch size and the early-stopping patience sized" in card
    assert "early stopping on validation loss" in card
    assert "reverse-complement augmentation" in card
    assert main([*args, "--converge"]) == 2  # the default recipe sizes its own training
    assert "--converge is for a preset" in capsys.readouterr().err


def test_explicit_values_and_a_validation_file_inside_the_trainer(rest_800):
    from deemo_gui.core.errors import ConfigError

    order = np.random.default_rng(0).permutation(800)  # positives come first in the file
    train, valid = rest_800.subset(np.sort(order[:700])), rest_800.subset(np.sort(order[700:]))
    trainer = Trainer(train, TrainingConfig(preset="deepbind", converge=True, max_epochs=2, time_limit=5.0), valid)
    # every one of the 700 records trains (the validation file is its own): 22 steps an epoch, 20 epochs
    assert trainer.settings["max_epochs"] == 2 and trainer.config.time_limit == 5.0
    assert trainer.settings["patience"] == auto_patience(700, 32, 0.0) == 20
    with pytest.raises(ConfigError, match="batch size must be a positive whole number"):
        Trainer(train, TrainingConfig(preset="deepbind", converge=True, batch_size=0), valid)


def test_the_default_recipe_refuses_converge_and_the_verdict_advises_what_applies(rest_800):
    from deemo_gui.core.ensemble import trainer_for
    from deemo_gui.core.errors import ConfigError
    from deemo_gui.core.verdict import verdict

    with pytest.raises(ConfigError, match="converge is for a preset"):
        trainer_for(rest_800, TrainingConfig(preset="auto", converge=True))
    capped = {"stopped": "max epochs", "best_epoch": 10, "epochs_run": 10}
    assert "`deemo train --converge`" in verdict({"training": capped}).summary
    assert "raise --epochs" in verdict({"training": {**capped, "converge": True}}).summary
    ensemble = {"ensemble": {"stopped": ["max epochs"], "best_epochs": [100], "epochs_run": [100]}}
    assert "raise --epochs" in verdict({"training": ensemble}).summary
    # the 10-minute limit of --converge, reached while the loss still fell (the zoo's demo on ZBTB7A)
    timed = {"stopped": "time limit", "best_epoch": 54, "epochs_run": 54, "converge": True}
    assert "stopped at its time limit after 54 epochs while still improving" in verdict({"training": timed}).summary
    assert "time limit" not in verdict({"training": {**timed, "best_epoch": 50}}).summary  # it had levelled off


def test_cards_of_files_without_the_new_keys():
    from deemo_gui.core.zoo import _rules_text

    assert _rules_text({}) == ""  # a preset's file from before: nothing claimed
    old_ensemble = {"ensemble": {"members": 8}}
    assert _rules_text(old_ensemble) == "; early stopping on validation loss; reverse-complement augmentation"
    assert _rules_text({"monitor": "auroc", "rc_augment": False}) == "; early stopping on validation AUROC"
