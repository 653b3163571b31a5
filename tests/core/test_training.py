import numpy as np
import pytest

from deemo_gui.core.sequences import load_dataset, read_sequences
from deemo_gui.core.training import DoneEvent, EpochEvent, StepEvent, Trainer, TrainingConfig, evaluate, train


@pytest.fixture(scope="module")
def rest_small(data_dir):
    data = load_dataset(data_dir / "deepbind_encode" / "REST_GM12878_AC.seq.gz", negatives="shuffle", seed=0)
    rng = np.random.default_rng(0)
    return data.subset(rng.choice(len(data), 4000, replace=False))


@pytest.fixture(scope="module")
def rest_test(data_dir):
    return read_sequences(data_dir / "deepbind_encode" / "REST_GM12878_B.seq.gz")


def test_cnn_learns_rest_on_a_small_real_subset(rest_small, rest_test):
    done = train(rest_small, TrainingConfig(preset="cnn-small", max_epochs=4, batch_size=64, seed=0, device="cpu"))
    assert isinstance(done, DoneEvent) and 1 <= done.best_epoch <= done.epochs_run <= 4
    report = evaluate(done.model, rest_test)
    assert report["n"] == 1000 and report["auroc"] > 0.85, report
    assert done.metadata["training"]["n_train"] == 3600


def test_events_and_cancel_keep_best_model(rest_small):
    trainer = Trainer(rest_small, TrainingConfig(preset="cnn-small", max_epochs=10, seed=1, device="cpu"))
    events = []
    for event in trainer.run():
        events.append(event)
        if isinstance(event, EpochEvent) and event.epoch == 2:
            trainer.cancel()
    done = events[-1]
    assert isinstance(done, DoneEvent) and done.reason == "cancelled" and done.epochs_run == 2
    assert any(isinstance(e, StepEvent) for e in events)
    assert done.best_valid_auroc == max(e.valid_auroc for e in events if isinstance(e, EpochEvent))


def test_cancel_during_first_epoch_still_returns_a_model(rest_small):
    trainer = Trainer(rest_small, TrainingConfig(preset="cnn-small", max_epochs=5, seed=1, device="cpu"))
    for event in trainer.run():
        if isinstance(event, StepEvent) and event.step == 3:
            trainer.cancel()
    assert event.reason == "cancelled" and event.model is not None


def test_seeded_training_is_deterministic(rest_small):
    cfg = TrainingConfig(preset="cnn-small", max_epochs=1, seed=5, device="cpu")
    a, b = train(rest_small, cfg), train(rest_small, cfg)
    for (k, v), (_, w) in zip(a.model.state_dict().items(), b.model.state_dict().items()):
        assert (v == w).all(), k


def test_batch_norm_presets_survive_a_last_batch_of_one(rest_small):
    data = rest_small.subset(range(257))  # 257 = one full batch of 256 + one record
    valid = rest_small.subset(range(257, 400))
    done = train(data, TrainingConfig(preset="koo-cnn-10", max_epochs=1, seed=0, device="cpu"), valid=valid)
    assert done.epochs_run == 1


def test_time_limit_and_reverse_complement_augmentation(data_dir):
    import torch

    from deemo_gui.core.sequences import reverse_complement_onehot

    data = load_dataset(data_dir / "deepbind_encode" / "REST_GM12878_B.seq.gz")
    trainer = Trainer(
        data,
        TrainingConfig(
            preset="deepbind",
            max_epochs=50,
            batch_size=100,
            rc_augment=True,
            time_limit=1e-3,
            baselines=False,
            seed=0,
            device="cpu",
        ),
    )
    seen = []
    forward = trainer.model.forward
    trainer.model.forward = lambda X: (seen.append(X.detach().clone()), forward(X))[1]
    done = next(e for e in trainer.run() if isinstance(e, DoneEvent))
    assert done.reason == "time limit" and done.epochs_run == 1
    batch = seen[0]  # the first training batch: each row is a training record or its reverse complement
    train = torch.from_numpy(trainer.X.numpy())
    rc = reverse_complement_onehot(train)
    as_is = (batch[:, None] == train[None]).flatten(2).all(-1).any(-1)
    flipped = (batch[:, None] == rc[None]).flatten(2).all(-1).any(-1)
    assert (as_is | flipped).all() and 20 < int(flipped.sum()) < 80  # about half of 100


def test_cli_time_option_parses_durations():
    import argparse

    from deemo_gui.cli.options import duration as parse_duration

    assert (parse_duration("90s"), parse_duration("10m"), parse_duration("1.5h"), parse_duration("30")) == (
        90,
        600,
        5400,
        30,
    )
    for bad in ("soon", "-5m", "0"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_duration(bad)


def test_evaluate_stores_none_for_a_task_with_one_class(rest_test):
    """A rare label with no positives in the test set has no AUROC: None (the model file is JSON), and the
    mean is over the tasks that have one."""
    import json

    from deemo_gui.core.networks import build_network
    from deemo_gui.core.sequences import SequenceSet

    y = rest_test.labels[:, :1]
    data = SequenceSet(rest_test.ids, rest_test.seqs, np.column_stack([y, np.zeros_like(y)]), ["REST", "rare"])
    model = build_network("deepbind", n_tasks=2, input_length=101).eval()
    report = evaluate(model, data)  # the model names no tasks: task0, task1
    assert report["per_task"]["task1"]["auroc"] is None and report["per_task"]["task1"]["aupr"] is None
    assert report["auroc"] == pytest.approx(report["per_task"]["task0"]["auroc"])
    json.dumps(report, allow_nan=False)
