"""The training loop as an iterator of progress events, cancellable between steps.

Adam, batch 256 (Deep Motif Dashboard), binary cross-entropy on logits (one sigmoid per task),
early stopping on validation AUROC with the best weights kept. Per-preset defaults (learning
rate, clipping, lr halving, epochs) come from `networks.training_defaults`, which cites sources.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import torch

from deemo_gui.core.baselines import fit_baselines
from deemo_gui.core.device import resolve_device
from deemo_gui.core.errors import ConfigError, DataError
from deemo_gui.core.inference import predict_logits
from deemo_gui.core.metrics import classification_report
from deemo_gui.core.networks import build_network, training_defaults
from deemo_gui.core.networks.base import SequenceNetwork
from deemo_gui.core.sequences import SequenceSet, fit_length, one_hot, require_labels
from deemo_gui.core.step_budget import converge_settings


@dataclass
class TrainingConfig:
    """What to train and how; `None` means the preset's default."""

    preset: str = "cnn"
    max_epochs: int | None = None
    lr: float | None = None
    batch_size: int | None = None
    patience: int | None = None
    grad_clip: float | None = None
    lr_halving_patience: int | None = None
    weight_decay: float | None = None
    seed: int = 0
    device: str = "auto"
    valid_fraction: float = 0.1
    input_length: int | None = None
    baselines: bool = True  # also fit the best single JASPAR PWM and a gapped k-mer model (core.baselines)
    rc_augment: bool = False  # train on each batch with a random half of it reverse-complemented
    time_limit: float | None = None  # seconds: no epoch is started that would end past it
    amp: bool = False  # mixed precision: float16 with loss scaling on CUDA, bfloat16 on CPU (torch.autocast)
    monitor: str = "auroc"  # what early stopping and the kept model follow: validation "auroc" or "loss"
    shift_augment: int = 0  # train on each sequence moved by a random 0..N bases either way (zeros fill in)
    # To convergence (core.step_budget): batch and patience sized to the data, up to 300 epochs, early
    # stopping on validation loss, RC augmentation, 10 minutes; explicit batch/epochs/patience/time win.
    converge: bool = False
    overrides: dict = field(default_factory=dict)

    def resolved(self) -> dict:
        """Preset defaults with this config's explicit values on top."""
        out = dict(training_defaults(self.preset))
        for key in ("max_epochs", "lr", "batch_size", "patience", "grad_clip", "lr_halving_patience", "weight_decay"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        for key in ("max_epochs", "batch_size", "patience"):
            if not (isinstance(out[key], int) and not isinstance(out[key], bool) and out[key] >= 1):
                raise ConfigError(f"{key.replace('_', ' ')} must be a positive whole number, got {out[key]!r}")
        for key in ("lr", "grad_clip", "weight_decay"):
            value = out.get(key)
            if value is not None and not (
                math.isfinite(value) and (value > 0 or (key == "weight_decay" and value == 0))
            ):
                raise ConfigError(f"{key.replace('_', ' ')} must be a positive number, got {value!r}")
        if not 0 < self.valid_fraction < 1:
            raise ConfigError(f"validation fraction must be between 0 and 1, got {self.valid_fraction}")
        if self.monitor not in ("auroc", "loss"):
            raise ConfigError(f"monitor must be 'auroc' or 'loss', got {self.monitor!r}")
        if not (isinstance(self.shift_augment, int) and self.shift_augment >= 0):
            raise ConfigError(f"shift augment must be a whole number of bases >= 0, got {self.shift_augment!r}")
        return out


@dataclass
class StepEvent:
    epoch: int
    step: int
    n_steps: int
    loss: float


@dataclass
class EpochEvent:
    epoch: int
    max_epochs: int
    train_loss: float
    valid_auroc: float
    valid_aupr: float
    lr: float
    seconds: float
    sequences_per_second: float
    improved: bool


@dataclass
class DoneEvent:
    model: SequenceNetwork
    best_epoch: int
    best_valid_auroc: float
    epochs_run: int
    reason: str  # "early stopping" | "max epochs" | "cancelled"
    history: list[EpochEvent]
    metadata: dict


def split_validation(
    data: SequenceSet, fraction: float, seed: int, what: str = "validation fraction"
) -> tuple[SequenceSet, SequenceSet]:
    """A seeded random split of `data` into (rest, held out); both must keep records."""
    if not 0 < fraction < 1:
        raise ConfigError(f"{what} must be between 0 and 1, got {fraction}")
    order = np.random.default_rng(seed).permutation(len(data))
    n_valid = max(1, int(round(fraction * len(data))))
    if n_valid >= len(data):
        raise ConfigError(f"{what} {fraction:g} of {len(data)} records leaves none to train on; use a smaller one")
    return data.subset(np.sort(order[n_valid:])), data.subset(np.sort(order[:n_valid]))


def check_two_classes(data: SequenceSet, purpose: str) -> None:
    """DataError unless some task of `data` has both bound and unbound records (AUROC needs both)."""
    y = require_labels(data, purpose)
    if not any(0 < y[:, t].sum() < len(y) for t in range(y.shape[1])):
        kind = "bound" if y.size and y.flat[0] == 1 else "unbound"
        raise DataError(
            f"{data.source}: the {purpose} set ({len(data)} records) has only {kind} records, so its AUROC is "
            f"undefined; give {purpose} data with both classes (or more records, so that a random split has both)"
        )


def most_common_length(seqs: list[str]) -> int:
    return Counter(len(s) for s in seqs).most_common(1)[0][0]


class Trainer:
    """Prepare data and network; `run()` yields StepEvent/EpochEvent (and `("status", text)` before the
    baselines) and finally one DoneEvent."""

    def __init__(
        self,
        train: SequenceSet,
        config: TrainingConfig,
        valid: SequenceSet | None = None,
        test: SequenceSet | None = None,
    ):
        if config.converge:  # the rules sized to this file (the validation share is held out of it)
            fraction = config.valid_fraction if valid is None else 0.0
            sized = converge_settings(
                len(train), fraction, config.batch_size, config.max_epochs, config.patience, config.time_limit
            )
            config = dataclasses.replace(config, **sized)
        self.config = config
        self.settings = config.resolved()
        require_labels(train, "training")
        if valid is None:
            train, valid = split_validation(train, config.valid_fraction, config.seed)
        else:
            require_labels(valid, "validation")
            if valid.n_tasks != train.n_tasks:
                raise DataError(f"{valid.source}: {valid.n_tasks} tasks, the training data has {train.n_tasks}")
        if len(train) < 2 or len(np.unique(require_labels(train, "training"))) < 2:
            raise DataError(f"{train.source}: training needs both positive and negative examples")
        check_two_classes(valid, "validation")
        if test is not None:
            check_two_classes(test, "test")
            if test.n_tasks != train.n_tasks:
                raise DataError(f"{test.source}: {test.n_tasks} label columns, the training data has {train.n_tasks}")
        self.test_data = test
        self.input_length = config.input_length or most_common_length(train.seqs)
        self.train_data, self.valid_data = train, valid
        self.device = resolve_device(config.device)
        torch.manual_seed(config.seed)
        self.model = build_network(
            config.preset, n_tasks=train.n_tasks, input_length=self.input_length, **config.overrides
        ).to(self.device)
        self.X = torch.from_numpy(one_hot(fit_length(train.seqs, self.input_length, train.source)[0]))
        self.y = torch.from_numpy(train.labels)
        self.X_valid = one_hot(fit_length(valid.seqs, self.input_length, valid.source)[0])
        self._cancelled = False

    def cancel(self) -> None:
        """Stop after the current step; the best model so far is kept and returned."""
        self._cancelled = True

    def run(self) -> Iterator[StepEvent | EpochEvent | DoneEvent | tuple[str, str]]:
        s = self.settings
        model, device = self.model, self.device
        opt = torch.optim.Adam(model.parameters(), lr=s["lr"], weight_decay=s.get("weight_decay") or 0.0)
        loss_fn = torch.nn.BCEWithLogitsLoss()
        amp_dtype = torch.bfloat16 if device.type == "cpu" else torch.float16
        scaler = torch.amp.GradScaler("cuda", enabled=self.config.amp and device.type == "cuda")
        gen = torch.Generator().manual_seed(self.config.seed)
        batch, n = int(s["batch_size"]), len(self.X)
        # A last batch of one record is skipped (a different record each epoch, the order is shuffled):
        # batch norm in training mode cannot normalise a single sample (Koo & Eddy presets).
        n_steps = n // batch + (1 if n % batch > 1 else 0)
        X, y = self.X.to(device), self.y.to(device)
        best_state, best_auroc, best_score, best_epoch, since_best, since_lr = None, -np.inf, -np.inf, 0, 0, 0
        shift = self.config.shift_augment
        window = torch.arange(X.shape[2], device=device)
        history: list[EpochEvent] = []
        reason = "max epochs"
        started = time.perf_counter()
        for epoch in range(1, int(s["max_epochs"]) + 1):
            model.train()
            start, total = time.perf_counter(), 0.0
            order = torch.randperm(n, generator=gen).to(device)
            for step in range(n_steps):
                idx = order[step * batch : (step + 1) * batch]
                opt.zero_grad(set_to_none=True)
                xb = X[idx]
                if self.config.rc_augment:  # the other strand carries the same site (A<->T, C<->G, reversed)
                    flip = (torch.rand(len(idx), generator=gen) < 0.5).to(device)
                    xb = torch.where(flip[:, None, None], xb.flip(dims=(1, 2)), xb)
                if shift:  # the site moves within the window; what is shifted out is lost, zeros (N) come in
                    offset = torch.randint(0, 2 * shift + 1, (len(idx),), generator=gen).to(device)
                    cols = (window[None, :] + offset[:, None]).unsqueeze(1).expand(-1, xb.shape[1], -1)
                    xb = torch.nn.functional.pad(xb, (shift, shift)).gather(2, cols)
                with torch.autocast(device.type, dtype=amp_dtype, enabled=self.config.amp):
                    loss = loss_fn(model(xb), y[idx])
                scaler.scale(loss).backward()  # without --amp (or off CUDA) the scaler passes everything through
                if s.get("grad_clip"):
                    scaler.unscale_(opt)
                    torch.nn.utils.clip_grad_norm_(model.parameters(), s["grad_clip"])
                scaler.step(opt)
                scaler.update()
                loss_value = float(loss.detach())
                total += loss_value * len(idx)
                yield StepEvent(epoch, step + 1, n_steps, loss_value)
                if self._cancelled:
                    break
            train_seconds = time.perf_counter() - start
            if self._cancelled and best_state is not None:
                reason = "cancelled"
                break
            report = self.validate()
            score = -report["loss"] if self.config.monitor == "loss" else report["auroc"]
            improved = bool(score > best_score) and math.isfinite(report["auroc"])
            if improved:
                best_state = copy.deepcopy(model.state_dict())
                best_auroc, best_score, best_epoch, since_best, since_lr = report["auroc"], score, epoch, 0, 0
            else:
                since_best += 1
                since_lr += 1
            event = EpochEvent(
                epoch,
                int(s["max_epochs"]),
                total / n,
                report["auroc"],
                report["aupr"],
                opt.param_groups[0]["lr"],
                time.perf_counter() - start,
                n / train_seconds,
                improved,
            )
            history.append(event)
            yield event
            if self._cancelled:
                reason = "cancelled"
                break
            if s.get("lr_halving_patience") and since_lr >= s["lr_halving_patience"]:
                for group in opt.param_groups:
                    group["lr"] *= 0.5
                since_lr = 0
            if since_best >= int(s["patience"]):
                reason = "early stopping"
                break
            limit = self.config.time_limit
            if limit and epoch < int(s["max_epochs"]):
                elapsed = time.perf_counter() - started
                if elapsed + elapsed / epoch > limit:  # the next epoch would end past the limit
                    reason = "time limit"
                    break
        if best_state is None:
            raise ConfigError(
                f"training on {self.train_data.source} gave no usable model: the validation AUROC was never a number "
                f"(the loss diverged to NaN); try a lower learning rate (now {s['lr']:g})"
            )
        model.load_state_dict(best_state)
        model.eval()
        meta = self._metadata(best_epoch, best_auroc, history, reason)
        if self.config.baselines and reason != "cancelled":
            yield ("status", "Fitting the baselines (best single JASPAR PWM, gapped k-mer model)…")
            meta["baselines"] = fit_baselines(self.train_data, self.valid_data, self.test_data, seed=self.config.seed)
        model.metadata = meta
        yield DoneEvent(model, best_epoch, float(best_auroc), len(history), reason, history, meta)

    def validate(self) -> dict:
        """The validation set's classification report, with its mean binary cross-entropy as "loss"."""
        logits = predict_logits(self.model, self.X_valid, device=self.device)
        y = require_labels(self.valid_data, "validation")
        report = classification_report(y, logits, self.train_data.task_names)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(torch.from_numpy(logits), torch.from_numpy(y))
        return {**report, "loss": float(loss)}

    def _metadata(self, best_epoch: int, best_auroc: float, history: list[EpochEvent], reason: str) -> dict:
        return {
            "task_names": list(self.train_data.task_names),
            "training": {
                "data": self.train_data.source,
                "validation": self.valid_data.source
                if self.valid_data.source != self.train_data.source
                else f"{self.config.valid_fraction:.0%} held out of the training data (seed {self.config.seed})",
                "n_train": len(self.train_data),
                "n_valid": len(self.valid_data),
                "valid_positives": int(require_labels(self.valid_data, "validation")[:, 0].sum()),
                "settings": self.settings,
                "converge": self.config.converge,
                "rc_augment": self.config.rc_augment,
                "monitor": self.config.monitor,
                "seed": self.config.seed,
                "device": str(self.device),
                "mixed_precision": self.config.amp,
                "epochs_run": len(history),
                "best_epoch": best_epoch,
                "stopped": reason,
                "valid_auroc": best_auroc,
                "history": [
                    {
                        "epoch": e.epoch,
                        "loss": round(e.train_loss, 5),
                        "valid_auroc": round(e.valid_auroc, 5),
                        "seconds": round(e.seconds, 2),
                        "sequences_per_second": round(e.sequences_per_second, 1),
                    }
                    for e in history
                ],
            },
        }


def train(train_data: SequenceSet, config: TrainingConfig, valid: SequenceSet | None = None) -> DoneEvent:
    """Run a whole training and return its DoneEvent (for scripts; GUIs iterate `Trainer.run`); preset
    "auto" trains the default network (core.ensemble), which holds out 10 % of `train_data` as its test set
    (`ensemble.hold_out_test`; scored in the DoneEvent's metadata["test"])."""
    from deemo_gui.core.ensemble import trainer_for

    done = None
    for event in trainer_for(train_data, config, valid).run():
        if isinstance(event, DoneEvent):
            done = event
    assert done is not None, "Trainer.run always ends with a DoneEvent"
    return done


def evaluate(model: SequenceNetwork, data: SequenceSet, device=None) -> dict:
    """AUROC/AUPR per task and mean on labelled `data`, fitted to the model's input length."""
    y = require_labels(data, "evaluation")
    names = (getattr(model, "metadata", None) or {}).get("task_names") or [f"task{i}" for i in range(y.shape[1])]
    if y.shape[1] != model.n_tasks:
        raise DataError(f"{data.source}: {y.shape[1]} label columns, the model predicts {model.n_tasks} tasks")
    X = one_hot(fit_length(data.seqs, model.input_length, data.source)[0])
    report = classification_report(y, predict_logits(model, X, device=device), names)
    for metrics in (report, *report["per_task"].values()):  # a task with one class: None, not NaN (JSON)
        for key in ("auroc", "aupr"):
            if not math.isfinite(metrics[key]):
                metrics[key] = None
    return report
