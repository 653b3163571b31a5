"""Small models trained once per test session on real data, shared by the tests/core/test_explain_* files.

ALX4 HT-SELEX (resources/data/selex_alx4, DeepSELEX demo data): selection round 4 (bound) against
round 0 (unselected library), 20-mers. The homeobox motif TAATTA dominates round 4, so a CNN
learns it in two epochs of a few thousand reads (seconds on one CPU thread).
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import torch

DATA = Path(__file__).resolve().parents[2] / "resources" / "data" / "selex_alx4"
N_TRAIN = 2000


@functools.cache
def alx4_reads() -> tuple[list[str], list[str]]:
    from deemo_gui.core.sequences import read_sequences

    return read_sequences(DATA / "alx4_round4.txt").seqs, read_sequences(DATA / "alx4_round0.txt").seqs


@functools.cache
def alx4_model(preset: str = "cnn-small"):
    """``preset`` trained on 2,000 round-4 and 2,000 round-0 reads for 2 epochs (seed 0)."""
    from deemo_gui.core.sequences import SequenceSet
    from deemo_gui.core.training import TrainingConfig, train

    torch.set_num_threads(1)
    pos, neg = alx4_reads()
    n = N_TRAIN
    data = SequenceSet(
        [f"r4_{i}" for i in range(n)] + [f"r0_{i}" for i in range(n)],
        pos[:n] + neg[:n],
        np.r_[np.ones(n), np.zeros(n)][:, None],
        source="alx4 round 4 vs round 0",
    )
    lr = 1e-2 if "rnn" in preset else 1e-3
    done = train(data, TrainingConfig(preset=preset, max_epochs=2, batch_size=64, lr=lr, device="cpu", seed=0))
    assert done.best_valid_auroc > 0.9, done.best_valid_auroc
    return done.model.eval()


def alx4_held_out(n: int = 300, positives_only: bool = True) -> np.ndarray:
    """One-hot reads not used for training: round 4 (and round 0 unless positives_only)."""
    from deemo_gui.core.sequences import one_hot

    pos, neg = alx4_reads()
    seqs = pos[5000 : 5000 + n] + ([] if positives_only else neg[5000 : 5000 + n])
    return one_hot(seqs)
