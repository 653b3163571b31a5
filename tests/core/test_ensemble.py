"""The candidate default recipe (core.ensemble): members folded, both strands averaged, into one DeepBind."""

import numpy as np
import pytest
import torch

from deemo_gui.core.ensemble import (
    DEFAULT_ARCH,
    EnsembleTrainer,
    auto_hidden_units,
    ensemble_config,
    fold_deepbind,
    train_ensemble,
    trainer_for,
)
from deemo_gui.core.errors import ConfigError
from deemo_gui.core.networks import build_network
from deemo_gui.core.sequences import load_dataset
from deemo_gui.core.step_budget import auto_batch_size, auto_patience
from deemo_gui.core.training import DoneEvent, Trainer, TrainingConfig


@pytest.fixture(scope="module")
def rest_600(data_dir):
    """600 REST peaks and shuffles, both classes."""
    data = load_dataset(data_dir / "deepbind_encode" / "REST_GM12878_AC.seq.gz", negatives="shuffle", seed=0)
    return data.subset(np.sort(np.random.default_rng(0).choice(len(data), 600, replace=False)))


def _one_hot(n: int, length: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.nn.functional.one_hot(torch.randint(0, 4, (n, length), generator=g), 4).float().transpose(1, 2)


@pytest.mark.parametrize("motif_length", [8, 9])
def test_folded_network_is_the_rc_averaged_ensemble(motif_length):
    members = []
    for seed in range(3):
        torch.manual_seed(seed)
        members.append(build_network("deepbind", input_length=51, motif_length=motif_length, n_motifs=16).eval())
    folded = fold_deepbind(members)
    assert folded.hparams["n_motifs"] == 3 * 2 * 16 and folded.hparams["motif_length"] % 2 == 1
    x = _one_hot(40, 51)
    with torch.no_grad():
        ensemble = torch.stack([(m(x) + m(x.flip(dims=(1, 2)))) / 2 for m in members]).mean(0)
        assert torch.allclose(folded(x), ensemble, atol=1e-5)
        assert torch.allclose(folded(x), folded(x.flip(dims=(1, 2))), atol=1e-5)  # strand-symmetric
    x.requires_grad_(True)
    folded(x).sum().backward()  # gradient attributions flow through the fold
    assert x.grad is not None and float(x.grad.abs().sum()) > 0


@pytest.mark.parametrize("motif_length", [8, 9])
def test_batch_norm_folds_into_the_detectors_and_hidden_layer(motif_length):
    members = []
    for seed in range(3):
        torch.manual_seed(seed)
        net = build_network(
            "deepbind", n_tasks=2, input_length=51, motif_length=motif_length, n_motifs=16, batch_norm=1
        )
        for norm in (net.features[1], net.hidden[1]):  # trained-looking statistics, not the identity
            assert isinstance(norm, torch.nn.BatchNorm1d)
            norm.running_mean.normal_()
            norm.running_var.uniform_(0.5, 2.0)
            norm.weight.data.normal_()
            norm.bias.data.normal_()
        members.append(net.eval())
    assert members[0].hparams["batch_norm"] == 1
    folded = fold_deepbind(members)
    assert folded.hparams["batch_norm"] == 0
    assert not any(isinstance(m, torch.nn.BatchNorm1d) for m in folded.modules())
    x = _one_hot(40, 51)
    with torch.no_grad():
        ensemble = torch.stack([(m(x) + m(x.flip(dims=(1, 2)))) / 2 for m in members]).mean(0)
        assert float(ensemble.std()) > 1e-3  # not a constant
        assert torch.allclose(folded(x), ensemble, atol=1e-5)


def test_fold_refuses_other_networks_and_mixed_shapes():
    with pytest.raises(ConfigError):
        fold_deepbind([build_network("cnn-small", input_length=51)])  # type: ignore[list-item]
    a = build_network("deepbind", input_length=51, n_motifs=8)
    b = build_network("deepbind", input_length=51, n_motifs=16)
    with pytest.raises(ConfigError):
        fold_deepbind([a, b])


def test_ensemble_config_sizes_the_batch_to_the_data():
    assert [auto_batch_size(n) for n in (100, 800, 3431, 10_000, 100_000)] == [32, 32, 64, 128, 256]
    config = ensemble_config(800, seed=3, lr=None)
    assert config.preset == "deepbind" and config.batch_size == 32 and config.lr == 3e-3 and config.seed == 3
    assert config.rc_augment and config.monitor == "loss" and config.time_limit == 600
    assert config.weight_decay == 1e-3 and config.patience == 20
    assert config.overrides == {"motif_length": 8, "n_motifs": 256, "batch_norm": 1, "dropout": 0.0, "hidden_units": 8}
    # the hidden layer: about one unit per 100 sequences, 8 to DeepBind's 32; an explicit value wins
    assert [auto_hidden_units(n) for n in (100, 800, 1600, 3431, 10_000)] == [8, 8, 16, 32, 32]
    assert ensemble_config(800, overrides={"hidden_units": 32}).overrides["hidden_units"] == 32
    # patience: about 450 steps without a better validation loss, 6 to 20 epochs
    assert [auto_patience(n, auto_batch_size(n)) for n in (800, 3431, 10_000, 100_000)] == [20, 9, 6, 6]
    assert ensemble_config(10_000, patience=3).patience == 3


def test_the_recipe_is_sized_to_what_the_members_train_on(data_dir):
    """After the test hold-out, and with no validation share when the validation data is its own file."""
    data = load_dataset(data_dir / "deepbind_encode" / "REST_GM12878_AC.seq.gz", negatives="shuffle", seed=0)
    data = data.subset(np.sort(np.random.default_rng(1).choice(len(data), 2000, replace=False)))
    held = EnsembleTrainer(data, baselines=False)  # 10 % held out as test, then 10 % of the rest validates
    n = len(held.data[0])
    assert n == 1800 and held.config.patience == auto_patience(1800, 32, 0.1) == 9  # 2,000 would give 8
    valid, test = data.subset(np.arange(1000)), data.subset(np.arange(1000, 2000))
    own = EnsembleTrainer(data, valid, test, baselines=False)
    assert len(own.data[0]) == 2000 and own.config.patience == auto_patience(2000, 32, 0.0) == 7  # 10 %: 8
    assert ensemble_config(2000).patience == 8


def test_monitor_loss_and_shift_augmentation_train(rest_600):
    data = rest_600
    config = TrainingConfig(
        preset="deepbind", max_epochs=2, monitor="loss", shift_augment=5, baselines=False, device="cpu"
    )
    done = next(e for e in Trainer(data, config).run() if isinstance(e, DoneEvent))
    assert done.epochs_run == 2 and 0 <= done.best_valid_auroc <= 1
    with pytest.raises(ConfigError):
        TrainingConfig(monitor="accuracy").resolved()
    with pytest.raises(ConfigError):
        TrainingConfig(shift_augment=-1).resolved()


def test_train_ensemble_folds_the_members_it_had_time_for(rest_600):
    data = rest_600
    events = list(train_ensemble(data, members=2, max_epochs=2, baselines=False, device="cpu"))
    done = events[-1]
    assert isinstance(done, DoneEvent)
    info = done.metadata["training"]["ensemble"]
    assert info["members"] == 2 and info["seeds"] == [0, 1]
    assert done.model.hparams["n_motifs"] == 2 * 2 * 256 and done.model.hparams["motif_length"] == 9
    assert sum(isinstance(e, tuple) and e[0] == "status" for e in events) == 2


def test_cancel_keeps_the_finished_members_and_drops_the_interrupted_one(rest_600):
    trainer = EnsembleTrainer(rest_600, members=3, max_epochs=1, baselines=False, device="cpu")
    events = []
    for event in trainer.run():
        events.append(event)
        if isinstance(event, tuple) and event[0] == "member" and event[1]["member"] == 2:
            assert event[1]["members"] == 3 and event[1]["seed"] == 1 and event[1]["time_limit"] == 600
            trainer.cancel()
    done = events[-1]
    assert isinstance(done, DoneEvent) and done.reason == "cancelled"
    assert done.metadata["training"]["ensemble"]["members"] == 1 and done.model.hparams["n_motifs"] == 2 * 256
    assert sum(isinstance(e, tuple) and e[0] == "member" for e in events) == 2


def test_trainer_for_the_default_puts_explicit_settings_on_the_recipe(rest_600):
    config = TrainingConfig(preset=DEFAULT_ARCH, seed=4, lr=1e-3, time_limit=60.0, overrides={"hidden_units": 16})
    trainer = trainer_for(rest_600, config, members=2)
    assert isinstance(trainer, EnsembleTrainer) and trainer.members == 2
    c = trainer.config
    assert (c.preset, c.seed, c.lr, c.time_limit, c.rc_augment, c.monitor) == ("deepbind", 4, 1e-3, 60.0, True, "loss")
    assert c.overrides["hidden_units"] == 16 and c.overrides["n_motifs"] == 256
    assert isinstance(trainer_for(rest_600, TrainingConfig(preset="cnn")), Trainer)
    with pytest.raises(ConfigError, match="lr must be"):
        trainer_for(rest_600, TrainingConfig(preset=DEFAULT_ARCH, lr=-1.0))
    with pytest.raises(ConfigError, match="members"):
        EnsembleTrainer(rest_600, members=0)


def test_first_layer_check_of_a_folded_ensemble_compares_each_member_to_its_own_start(rest_600):
    from deemo_gui.core.verdict import first_layer_correlation

    events = list(train_ensemble(rest_600, members=2, max_epochs=1, lr=1e-9, baselines=False, device="cpu"))
    untrained = events[-1].model
    assert first_layer_correlation(untrained) > 0.999  # lr 1e-9: the detectors are their initialisation
    info = untrained.metadata["training"]["ensemble"]
    info["seeds"] = [1, 0]  # each member against the other's start: unrelated random weights
    assert abs(first_layer_correlation(untrained)) < 0.1
    trained = list(train_ensemble(rest_600, members=2, max_epochs=3, baselines=False, device="cpu"))[-1].model
    assert first_layer_correlation(trained) < 0.995


def test_train_from_python_with_preset_auto_gives_the_folded_ensemble(rest_600):
    from deemo_gui.core.training import train

    done = train(rest_600, TrainingConfig(preset=DEFAULT_ARCH, max_epochs=1, baselines=False, device="cpu"))
    assert done.model.preset == "deepbind" and done.metadata["training"]["ensemble"]["members"] == 8


def test_cancel_before_the_first_member_still_gives_a_model(rest_600):
    trainer = EnsembleTrainer(rest_600, members=3, max_epochs=5, baselines=False, device="cpu")
    trainer.cancel()
    done = list(trainer.run())[-1]
    assert isinstance(done, DoneEvent) and done.reason == "cancelled" and done.epochs_run == 1
    assert done.metadata["training"]["ensemble"]["members"] == 1


def test_without_a_test_set_the_folded_model_is_scored_on_records_no_member_saw(rest_600):
    from sklearn.metrics import roc_auc_score

    from deemo_gui.core.inference import predict_logits
    from deemo_gui.core.sequences import one_hot
    from deemo_gui.core.verdict import baseline_line

    trainer = EnsembleTrainer(rest_600, members=2, max_epochs=2, device="cpu")
    train, _, held = trainer.data
    assert len(held) == 60 and len(train) == 540 and not set(held.seqs) & set(train.seqs)
    events = list(trainer.run())
    sizes = [e[1]["n_train"] + e[1]["n_valid"] for e in events if isinstance(e, tuple) and e[0] == "member"]
    assert sizes == [540, 540]  # every member trains and validates without the held-out records
    meta = events[-1].metadata
    test = meta["test"]
    assert test["n"] == 60 and test["held_out"] == {"fraction": 0.1, "seed": 10_000, "of": 600, "stratified": True}
    assert held.labels[:, 0].sum() == round(0.1 * rest_600.labels[:, 0].sum())  # stratified by the label
    assert "60 of 600 records held out" in test["data"]
    expected = roc_auc_score(held.labels[:, 0], predict_logits(events[-1].model, one_hot(held.seqs))[:, 0])
    assert test["auroc"] == pytest.approx(expected, abs=1e-6)
    assert meta["baselines"]["kmer"]["test_auroc"] is not None  # the baselines are scored on the same records
    assert baseline_line(meta).endswith("(test AUROC)") and baseline_line(meta).startswith(f"ensemble {expected:.3f}")
    given = EnsembleTrainer(rest_600, test=held, members=1, max_epochs=1, baselines=False, device="cpu")
    assert given.held_out is None and len(given.data[0]) == 600  # a test set given: nothing is held out


def test_no_hold_out_where_it_could_not_test_anything(rest_600):
    from deemo_gui.core.ensemble import ENSEMBLE_MIN_HOLDOUT, hold_out_test

    small = rest_600.subset(np.sort(np.random.default_rng(0).choice(600, ENSEMBLE_MIN_HOLDOUT - 1, replace=False)))
    assert hold_out_test(small, 0) == (small, None, None)
    trainer = EnsembleTrainer(small, members=1, max_epochs=1, baselines=False, device="cpu")
    events = list(trainer.run())
    assert events[0][0] == "status" and "No test set held out (fewer than 200 records)" in events[0][1]
    assert "test" not in events[-1].metadata  # the verdict falls back to validation, and says which
    # a rare second label: a 10 % split would give one of the parts a single class, so nothing is held out
    y = rest_600.labels
    rare = rest_600.subset(np.arange(len(y)))
    rare.labels = np.column_stack([y[:, 0], np.eye(len(y))[0]])  # one positive in 600 for the second task
    rest, test, record = hold_out_test(rare, 0)
    assert test is None and record is None and len(rest) == 600
