"""Temporal output scores of recurrent networks: P(+) of every prefix and every suffix.

Source: Lanchantin et al. 2017 (Deep Motif Dashboard, PSB) sec. 3.2 and their code
(QData/DeepMotif, temporal_output_values.lua): for a sequence of length L the model is run on
x_1..x_i (forward) and on x_i..x_L (backward) for i = 1..L, and the positive-class probability of
each run is recorded. For the CNN-RNN the convolution runs once over the whole sequence and its
output columns are sliced (the code's ``X_in = CNN:forward(X)`` then ``X_in[{{1,1},{1,i}}]``), so a
prefix's columns still see up to half a kernel of sequence beyond the prefix.

Here ``forward[n, t]`` = P(+) of the prefix x_1..x_{t+1} and ``backward[n, t]`` = P(+) of the suffix
x_{t+1}..x_L (0-based t). Instead of L separate model calls per sequence, all prefixes (and all
suffixes) of a batch of sequences go through ``model.head(H, lengths)`` as one packed batch: the
bi-LSTM runs each row on its first ``lengths[i]`` columns only, which is the same computation.
With ``encoded_stride`` s > 1 (an encoder that pools), input position t maps to encoded column
t // s: the prefix ending at t uses columns 0..t // s, the suffix starting at t columns t // s..end.
"""
from __future__ import annotations

import numpy as np
import torch

from ._common import as_onehot, batches, check_batch_size, check_target, evaluating, to_numpy
from deemo_gui.core.errors import ConfigError


def _check_recurrent(model) -> None:
    if not (getattr(model, "is_recurrent", False) and hasattr(model, "encode") and hasattr(model, "head")):
        name = getattr(model, "preset", type(model).__name__)
        raise ConfigError(
            f"temporal output scores need a recurrent network (rnn*, cnn-rnn* presets); {name!r} is not one"
        )


def _prefix_rows(H: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """All prefixes of every row of H (n, C, M): (n*M, C, M) with lengths 1..M per row."""
    n, C, M = H.shape
    rows = H.repeat_interleave(M, dim=0)  # padding beyond each length is ignored by the packed LSTM
    lengths = torch.arange(1, M + 1).repeat(n)
    return rows, lengths


def _suffix_rows(H: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """All suffixes of every row of H, left-aligned: row (i, k) = H[i, :, k:] then zeros; length M - k."""
    n, C, M = H.shape
    k = torch.arange(M)
    idx = (k[:, None] + torch.arange(M)[None, :]).clamp(max=M - 1)  # (M starts, M columns)
    valid = (k[:, None] + torch.arange(M)[None, :]) < M
    rows = H[:, :, idx]  # (n, C, M, M): [i, c, k, j] = H[i, c, k + j]
    rows = rows * valid.to(H.dtype)
    rows = rows.permute(0, 2, 1, 3).reshape(n * M, C, M)
    lengths = (M - k).repeat(n)
    return rows, lengths


def temporal(model: torch.nn.Module, X, target: int = 0, batch_size: int = 1024,
             device=None) -> tuple[np.ndarray, np.ndarray]:
    """Forward and backward temporal output scores, each (N, L), of task ``target``.

    ``batch_size``: prefix (or suffix) rows per call of the bi-LSTM head; the sequences of a batch
    are grouped so that each call gets about that many rows. ConfigError for non-recurrent models.
    """
    _check_recurrent(model)
    X = as_onehot(X)
    target = check_target(model, target)
    batch_size = check_batch_size(batch_size)
    N, _, L = X.shape
    stride = int(getattr(model, "encoded_stride", 1) or 1)
    fwd_out = torch.zeros(N, L)
    bwd_out = torch.zeros(N, L)
    with evaluating(model, device) as dev, torch.no_grad():
        probe = model.encode(X[:1].to(dev))
        M = probe.shape[2]
        col = torch.clamp(torch.arange(L) // stride, max=M - 1)  # encoded column of each input position
        per_call = max(1, batch_size // M)
        for s in batches(N, per_call):
            H = model.encode(X[s].to(dev))
            for build, out in ((_prefix_rows, fwd_out), (_suffix_rows, bwd_out)):
                rows, lengths = build(H)
                p = torch.sigmoid(model.head(rows, lengths)[:, target].float()).cpu()
                out[s] = p.reshape(-1, M)[:, col]
    return to_numpy(fwd_out), to_numpy(bwd_out)
