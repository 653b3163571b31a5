"""Training budgets sized to the data: the batch size, the early-stopping patience, and the rules every
preset shares when it is trained to convergence (`TrainingConfig(converge=True)`, `deemo train --converge`,
the Train panel's "To convergence"; the equal-rules study in BENCHMARKS.md uses the same rules).
"""

from __future__ import annotations

import math

# Early stopping after about PATIENCE_STEPS optimisation steps without a better validation loss, within
# PATIENCE_EPOCHS: 20 epochs on 800 sequences (22 steps an epoch, where patience 20 was measured best for
# the default recipe), 6 on 10,000 (70 steps an epoch: SP1's members peak at epoch 4-8, and patience 6
# leaves time for all 8 members of the default recipe, 0.897 against 0.892 with 20).
PATIENCE_STEPS = 450
PATIENCE_EPOCHS = (6, 20)
# To convergence: at 100 epochs, 13 of 24 `cnn` and `demo` pilot runs (four 51-nt DREAM5 sets, 3 seeds) hit
# the cap with their best epoch at 82-100; with 300, all 390 runs of the equal-rules study stopped early.
CONVERGE_MAX_EPOCHS = 300
CONVERGE_TIME_LIMIT = 600.0  # seconds: the 10-minute budget (explicit --time wins)
# What `converge` does, for the model card (whose settings line gives the resolved numbers).
CONVERGE_RULES = (
    "the batch size and the early-stopping patience sized to the data, early stopping on validation loss, "
    "reverse-complement augmentation (the rules of BENCHMARKS.md's equal-rules study; the numbers above)"
)
CONVERGE_SUMMARY = (
    "batch size and early-stopping patience sized to the data (about 40 steps an epoch; "
    f"about {PATIENCE_STEPS} steps without a better validation loss), up to {CONVERGE_MAX_EPOCHS} epochs, "
    "early stopping on validation loss, reverse-complement augmentation, "
    f"{CONVERGE_TIME_LIMIT / 60:.0f} minutes unless told; the preset's own learning rate and clipping"
)


def auto_batch_size(n: int) -> int:
    """About 40 or more optimisation steps an epoch: a power of two from 32 to 256 (the presets' fixed 256
    gives 800 sequences 3 steps an epoch, and the first layer barely moved before early stopping)."""
    return int(min(256, max(32, 2 ** int(math.log2(max(n, 1) / 40)))))


def auto_patience(n_train: int, batch_size: int, valid_fraction: float = 0.1) -> int:
    """Epochs of patience: about PATIENCE_STEPS steps an `n_train`-record file (of which `valid_fraction`
    is held out for validation) takes at `batch_size`, within PATIENCE_EPOCHS."""
    steps = max(1, math.ceil(n_train * (1 - valid_fraction) / batch_size))
    low, high = PATIENCE_EPOCHS
    return int(min(high, max(low, round(PATIENCE_STEPS / steps))))


def converge_settings(
    n_train: int,
    valid_fraction: float,
    batch_size: int | None = None,
    max_epochs: int | None = None,
    patience: int | None = None,
    time_limit: float | None = None,
) -> dict:
    """The to-convergence rules for a training file of `n_train` records (`valid_fraction` of them held out;
    0 when the validation data is its own file), as TrainingConfig fields; explicit values win."""
    batch = auto_batch_size(n_train) if batch_size is None else batch_size
    return dict(
        batch_size=batch,
        max_epochs=CONVERGE_MAX_EPOCHS if max_epochs is None else max_epochs,
        patience=auto_patience(n_train, max(1, batch), valid_fraction) if patience is None else patience,
        time_limit=CONVERGE_TIME_LIMIT if time_limit is None else time_limit,
        rc_augment=True,  # the other strand carries the same site
        monitor="loss",  # smoother than the AUROC of a small validation set
    )
