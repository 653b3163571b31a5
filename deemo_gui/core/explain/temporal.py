"""Temporal output scores of recurrent networks: P(+) of every prefix and every suffix.

Source: Lanchantin et al. 2017 (Deep Motif Dashboard, PSB) sec. 3.2: "the subsequences start from
just the first nucleotide (position), and end with the entire sequence X"; the model is run on
x_1..x_i (forward) and on x_i..x_L (backward) for i = 1..L and the positive-class probability of each
run is recorded. Two definitions (``definition=``), equal for the rnn presets (no encoder):

- ``"paper"`` (default): the whole model on each prefix / suffix. A CNN-RNN's convolution sees only
  the prefix (its "same" zero padding starts where the prefix ends), as when the prefix is scored
  as a sequence of its own.
- ``"demo-code"``: the DeMo code's variant (QData/DeepMotif, temporal_output_values.lua): the
  convolution runs once over the whole sequence and its output columns are sliced (``X_in =
  CNN:forward(X)`` then ``X_in[{{1,1},{1,i}}]``), so a prefix's last columns still see up to half a
  kernel of sequence beyond the prefix.

Here ``forward[n, t]`` = P(+) of the prefix x_1..x_{t+1} and ``backward[n, t]`` = P(+) of the suffix
x_{t+1}..x_L (0-based t). Instead of L separate model calls per sequence, all prefixes (and all
suffixes) of a batch of sequences go through ``model.head(H, lengths)`` as one packed batch: the
bi-LSTM runs each row on its first ``lengths[i]`` columns only, which is the same computation (for
"paper", the encodings of the prefixes of one length are computed together for the whole batch).
With ``encoded_stride`` s > 1 (an encoder that pools), "demo-code" maps input position t to encoded
column t // s: the prefix ending at t uses columns 0..t // s, the suffix starting at t columns
t // s..end; "paper" runs the encoder on the prefix itself, and a prefix too short for the encoder
(one base before a pool of 2) gets the score of the shortest prefix the encoder can read (ours).

Fast path (``fast=True``, used for the presets' one-layer ``BiLSTMHead`` where the encodings of the
prefixes are slices of the full one: every rnn, and "demo-code"): the same numbers with far
less work. Of a prefix's two LSTM directions only the backward one differs from the full sequence's
(the forward direction reads the prefix exactly as it reads the whole sequence), and of a suffix's
only the forward one; the shared direction comes from one bi-LSTM pass over the full sequence and
cumulative sums. The other direction is run for all prefixes (suffixes) at once, one time step per
iteration over the rows still active, with the input-to-gate products computed once per column
instead of once per prefix. Checked against the per-prefix loop in the tests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from deemo_gui.core.errors import ConfigError

from ._common import as_onehot, batches, check_batch_size, check_target, evaluating, to_numpy

if TYPE_CHECKING:
    from deemo_gui.core.networks.rnn import RecurrentNetwork


DEFINITIONS = ("paper", "demo-code")


def check_definition(definition: str) -> str:
    if definition not in DEFINITIONS:
        raise ConfigError(f"temporal definition must be one of {', '.join(DEFINITIONS)}, got {definition!r}")
    return definition


def _encoder_is_identity(model) -> bool:
    """True when ``encode`` is the plain RNN's (X itself): both definitions then give the same numbers."""
    from deemo_gui.core.networks.rnn import RecurrentNetwork

    return "encode" not in vars(model) and getattr(type(model), "encode", None) is RecurrentNetwork.encode


def _check_recurrent(model) -> None:
    if not (getattr(model, "is_recurrent", False) and hasattr(model, "encode") and hasattr(model, "head")):
        name = getattr(model, "preset", type(model).__name__)
        raise ConfigError(
            f"temporal output scores need a recurrent network (rnn*, cnn-rnn* presets); {name!r} is not one"
        )


def _prefix_rows(H: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """All prefixes of every row of H (n, C, M): (n*M, C, M) with lengths 1..M per row."""
    n, _, M = H.shape
    rows = H.repeat_interleave(M, dim=0)  # padding beyond each length is ignored by the packed LSTM
    lengths = torch.arange(1, M + 1).repeat(n)
    return rows, lengths


def _suffix_rows(H: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """All suffixes of every row of H, left-aligned: row (i, k) = H[i, :, k:] then zeros; length M - k."""
    n, C, M = H.shape
    k = torch.arange(M, device=H.device)
    idx = (k[:, None] + k[None, :]).clamp(max=M - 1)  # (M starts, M columns)
    valid = (k[:, None] + k[None, :]) < M
    rows = H[:, :, idx]  # (n, C, M, M): [i, c, k, j] = H[i, c, k + j]
    rows = rows * valid.to(H.dtype)
    rows = rows.permute(0, 2, 1, 3).reshape(n * M, C, M)
    lengths = (M - k).cpu().repeat(n)
    return rows, lengths


def _min_encodable(model, X1: torch.Tensor) -> int:
    """The shortest input length (1..L) that ``model.encode`` turns into at least one column."""
    for k in range(1, X1.shape[2] + 1):
        try:
            if model.encode(X1[:, :, :k]).shape[2] >= 1:
                return k
        except RuntimeError:  # a pooling layer with an input shorter than its window
            continue
    raise ConfigError("the encoder of this model cannot read any prefix of these sequences")


def _paper_rows(model, X: torch.Tensor, k0: int, suffix: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """The encodings of every prefix (suffix) of every row of X, left-aligned: row (i, t) is
    ``encode(X[i, :, :t + 1])`` (``encode(X[i, :, t:])``), zero-padded; lengths their columns."""
    n, _, L = X.shape
    parts = []
    for t in range(L):
        k = max(t + 1 if not suffix else L - t, k0)
        parts.append(model.encode(X[:, :, L - k :] if suffix else X[:, :, :k]))
    M = max(p.shape[2] for p in parts)
    C = parts[0].shape[1]
    rows = X.new_zeros(n, L, C, M)
    lengths = torch.empty(L, dtype=torch.int64)
    for t, p in enumerate(parts):
        rows[:, t, :, : p.shape[2]] = p
        lengths[t] = p.shape[2]
    return rows.reshape(n * L, C, M), lengths.repeat(n)


def _fast_head(model) -> nn.LSTM | None:
    """The one-layer bi-LSTM of a standard ``BiLSTMHead`` whose ``head`` is not overridden, else None."""
    from deemo_gui.core.networks.layers import BiLSTMHead
    from deemo_gui.core.networks.rnn import RecurrentNetwork

    head = getattr(model, "rnn_head", None)
    if type(head) is not BiLSTMHead or getattr(type(model), "head", None) is not RecurrentNetwork.head:
        return None
    lstm = head.lstm
    if lstm.num_layers != 1 or not lstm.bidirectional or not lstm.batch_first or not lstm.bias:
        return None
    if getattr(lstm, "proj_size", 0):
        return None
    return lstm


def _run_one_direction(gates: torch.Tensor, w_hh: torch.Tensor) -> torch.Tensor:
    """One LSTM direction for many overlapping runs at once; zero initial state.

    ``gates`` (M, n, 4h): input-to-gate products plus both biases, in the order the runs read the
    columns. Run (b, i) starts at column b of sequence i and reads columns b, b + 1, ..., M - 1 of
    ``gates``; at iteration s the runs still going are b < M - s, and their inputs are the contiguous
    block ``gates[s:]``. Returns the sum of each run's outputs, (M, n, h) indexed by b.
    """
    M, n, four_h = gates.shape
    hidden = w_hh.shape[1]
    h = gates.new_zeros(M * n, hidden)
    c = gates.new_zeros(M * n, hidden)
    acc = gates.new_zeros(M * n, hidden)
    w_t = w_hh.t()
    for s in range(M):
        A = (M - s) * n
        g = gates[s:].reshape(A, four_h) + h[:A] @ w_t
        i, f, gg, o = g.chunk(4, dim=1)
        c_new = torch.sigmoid(f) * c[:A] + torch.sigmoid(i) * torch.tanh(gg)
        h_new = torch.sigmoid(o) * torch.tanh(c_new)
        c[:A], h[:A] = c_new, h_new
        acc[:A] += h_new
    return acc.reshape(M, n, hidden)


def _fast_scores(model, lstm: nn.LSTM, H: torch.Tensor, target: int) -> tuple[torch.Tensor, torch.Tensor]:
    """P(+) of every prefix and every suffix (each (n, M), index = length - 1 and start) through the
    one-layer bi-LSTM head."""
    M = H.shape[2]
    steps = H.transpose(1, 2)  # (n, M, C)
    full = lstm(steps)[0]  # (n, M, 2h): both directions over the whole sequence
    hidden = lstm.hidden_size
    out_f, out_b = full[..., :hidden], full[..., hidden:]
    w = dict(lstm.named_parameters())  # weight_ih_l0, ..._reverse: typed, unlike the attributes
    gates_f = steps @ w["weight_ih_l0"].t() + w["bias_ih_l0"] + w["bias_hh_l0"]  # (n, M, 4h)
    gates_b = steps @ w["weight_ih_l0_reverse"].t() + w["bias_ih_l0_reverse"] + w["bias_hh_l0_reverse"]
    length = torch.arange(1, M + 1, device=H.device, dtype=H.dtype)
    # Prefix of length k: its backward LSTM reads columns k-1, k-2, ..., 0. In the column order
    # M-1, M-2, ..., 0 that is a run starting at b = M - k.
    back = _run_one_direction(gates_b.flip(1).transpose(0, 1).contiguous(), w["weight_hh_l0_reverse"])
    back = back.flip(0).transpose(0, 1)  # (n, M, h) by prefix length
    prefix = torch.cat([out_f.cumsum(dim=1), back], dim=2) / length[None, :, None]
    # Suffix starting at column k: its forward LSTM reads k, k+1, ..., M-1: a run starting at b = k.
    fwd = _run_one_direction(gates_f.transpose(0, 1).contiguous(), w["weight_hh_l0"]).transpose(0, 1)
    back_shared = out_b.flip(1).cumsum(dim=1).flip(1)  # the full run's backward outputs from k on
    suffix = torch.cat([fwd, back_shared], dim=2) / length.flip(0)[None, :, None]
    head = model.rnn_head
    p_prefix = torch.sigmoid(head.output(head.dropout(prefix))[..., target])
    p_suffix = torch.sigmoid(head.output(head.dropout(suffix))[..., target])
    return p_prefix, p_suffix


def temporal(
    model: RecurrentNetwork,
    X,
    target: int = 0,
    batch_size: int = 4096,
    device=None,
    fast: bool = True,
    definition: str = "paper",
) -> tuple[np.ndarray, np.ndarray]:
    """Forward and backward temporal output scores, each (N, L), of task ``target``.

    ``definition``: "paper" (default; the model run on each prefix / suffix) or "demo-code" (the
    encoder run once on the whole sequence, its columns sliced); the same for the rnn presets.
    ``batch_size``: prefix (or suffix) rows computed together; the sequences of a batch are grouped
    so that each batch has about that many rows. ``fast=False`` always takes the general path
    (``model.head`` on packed prefixes). ConfigError for non-recurrent models.
    """
    _check_recurrent(model)
    definition = check_definition(definition)
    X = as_onehot(X)
    target = check_target(model, target)
    batch_size = check_batch_size(batch_size)
    N, _, L = X.shape
    stride = int(getattr(model, "encoded_stride", 1) or 1)
    sliced = definition == "demo-code" or _encoder_is_identity(model)
    fwd_out = torch.zeros(N, L)
    bwd_out = torch.zeros(N, L)
    with evaluating(model, device) as dev, torch.no_grad():
        probe = model.encode(X[:1].to(dev))
        M = probe.shape[2]
        col = torch.clamp(torch.arange(L) // stride, max=M - 1)  # encoded column of each input position
        lstm = _fast_head(model) if fast and sliced else None
        if not sliced:
            k0 = _min_encodable(model, X[:1].to(dev))
            per_call = max(1, min(batch_size, 1024) // L)  # rows (n*L, C, M): at most 1024 per call
            for s in batches(N, per_call):
                Xs = X[s].to(dev)
                for suffix, out in ((False, fwd_out), (True, bwd_out)):
                    rows, lengths = _paper_rows(model, Xs, k0, suffix)
                    p = torch.sigmoid(model.head(rows, lengths)[:, target].float()).cpu()
                    out[s] = p.reshape(-1, L)
            return to_numpy(fwd_out), to_numpy(bwd_out)
        # the general path holds (rows, C, M) padded copies: at most 1024 rows per call
        per_call = max(1, (batch_size if lstm is not None else min(batch_size, 1024)) // M)
        for s in batches(N, per_call):
            H = model.encode(X[s].to(dev))
            if lstm is not None:
                p_prefix, p_suffix = _fast_scores(model, lstm, H, target)
                fwd_out[s] = p_prefix.float().cpu()[:, col]
                bwd_out[s] = p_suffix.float().cpu()[:, col]
                continue
            for build, out in ((_prefix_rows, fwd_out), (_suffix_rows, bwd_out)):
                rows, lengths = build(H)
                p = torch.sigmoid(model.head(rows, lengths)[:, target].float()).cpu()
                out[s] = p.reshape(-1, M)[:, col]
    return to_numpy(fwd_out), to_numpy(bwd_out)
