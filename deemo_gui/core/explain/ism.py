"""In-silico mutagenesis: the change of the score for every single-nucleotide substitution.

Source: Alipanahi et al. 2015 (DeepBind, Nat Biotechnol 33:831, "mutation maps") and Zhou &
Troyanskaya 2015 (DeepSEA); the DeMo Dashboard code ships the same heat map
(QData/DeepMotif heatmap_scripts/heatmap_mutation.R). Delta = score(mutant) - score(reference);
the reference letter's entry is 0. At an unknown base (all-zero one-hot column) all four letters
are substitutions.
"""

from __future__ import annotations

import numpy as np
import torch

from deemo_gui.core.errors import ConfigError

from ._common import as_onehot, batches, check_batch_size, check_target, evaluating, logits_of, to_numpy

OUTPUTS = ("logit", "prob")


def mutants(X: torch.Tensor, start: int, end: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sequence, letter, position) of every single substitution of ``X[:, :, start:end]``."""
    window = X[:, :, start:end].numpy()
    seq, letter, pos = np.nonzero(window == 0)
    return seq, letter, pos + start


def ism(
    model: torch.nn.Module,
    X,
    target: int = 0,
    start: int | None = None,
    end: int | None = None,
    output: str = "logit",
    batch_size: int = 1024,
    device=None,
) -> np.ndarray:
    """Delta-score map (N, 4, L): entry [i, b, j] = score(X_i with letter b at j) - score(X_i).

    ``start``/``end``: mutate only positions [start, end) (0-based; default the whole sequence);
    outside, the map is 0. ``output``: ``"logit"`` (default, the class score of sec. 3.1) or
    ``"prob"`` (the sigmoid probability). ``batch_size`` counts mutant sequences per forward pass.
    """
    if output not in OUTPUTS:
        raise ConfigError(f"ism output must be one of {', '.join(OUTPUTS)}, got {output!r}")
    X = as_onehot(X)
    target = check_target(model, target)
    batch_size = check_batch_size(batch_size)
    L = X.shape[2]
    start = 0 if start is None else int(start)
    end = L if end is None else int(end)
    if not 0 <= start < end <= L:
        raise ConfigError(f"ism window must satisfy 0 <= start < end <= {L}, got start={start}, end={end}")
    seq, letter, pos = mutants(X, start, end)
    out = torch.zeros_like(X)
    with evaluating(model, device) as dev:
        ref = _transform(logits_of(model, X, target, batch_size, dev), output)
        with torch.no_grad():
            for s in batches(len(seq), batch_size):
                i, b, j = (torch.from_numpy(a[s]) for a in (seq, letter, pos))
                rows = torch.arange(len(i))
                x = X[i].clone()
                x[rows, :, j] = 0.0
                x[rows, b, j] = 1.0
                score = _transform(model(x.to(dev))[:, target].float().cpu(), output)
                out[i, b, j] = score - ref[i]
    return to_numpy(out)


def _transform(logits: torch.Tensor, output: str) -> torch.Tensor:
    return torch.sigmoid(logits) if output == "prob" else logits
