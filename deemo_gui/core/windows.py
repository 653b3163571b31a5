"""Scoring a sequence of any length with a model of a fixed input length `L`.

A sequence of length `n`:

- `n == L`: one window, the sequence itself.
- `n > L`: scanned with sliding windows of `L` bases, starts `0, stride, 2*stride, ...` and always
  the last start `n - L`, so every base is in at least one window. Optionally each window is also
  scored on the reverse strand; a window's score is then the larger of the two strands (as DeepBind
  scores both strands and keeps the maximum; Alipanahi et al. 2015, Supplementary Notes 1.2).
- `n < L`: one window, the sequence N-padded on both sides (centred, the extra N on the right);
  `WindowScan.padded` says so. N is encoded as an all-zero column (no evidence for any base).

**The sequence's score is its best window**: the maximum over windows of P(task) (per task), the
rule for scanning a long region with a motif model or a short-window network (DeepBind's
`max` over positions; Basset/gReLU tiling). `WindowScan.best(task)` is that window; its score is
what the prediction table, `deemo predict` and the viewer show for a sequence longer than `L`.

Offsets: a window is given by its start `o` in sequence coordinates, so model column `j` is base
`j + o`; `o < 0` for a padded sequence (the first `-o` columns are N).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from deemo_gui.core.errors import ConfigError

# More windows than this for one sequence raise the stride (documented on `auto_stride`).
MAX_WINDOWS = 4096


def pad_offset(n: int, length: int) -> int:
    """The (non-positive) offset of an `n`-nt sequence N-padded to `length`, centred."""
    return -((length - n) // 2) if n < length else 0


def auto_stride(n: int, length: int, stride: int = 1, max_windows: int = MAX_WINDOWS) -> int:
    """`stride`, raised just enough that a sequence gives at most `max_windows` windows."""
    if stride < 1:
        raise ConfigError(f"window stride must be at least 1, got {stride}")
    span = n - length
    if span <= 0:
        return stride
    return max(stride, -(-span // (max_windows - 1)))


def window_starts(n: int, length: int, stride: int = 1) -> np.ndarray:
    """Window starts (offsets) for an `n`-nt sequence: see the module docstring."""
    if length < 1:
        raise ConfigError(f"model input length must be at least 1, got {length}")
    if stride < 1:
        raise ConfigError(f"window stride must be at least 1, got {stride}")
    if n <= length:
        return np.array([pad_offset(n, length)], dtype=np.int64)
    starts = np.arange(0, n - length + 1, stride, dtype=np.int64)
    if starts[-1] != n - length:
        starts = np.append(starts, n - length)
    return starts


def window_sequence(seq: str, start: int, length: int) -> str:
    """The `length` bases a model reads at offset `start` (N where the window leaves the sequence)."""
    left = max(0, -start)
    body = seq[max(0, start) : max(0, start + length)]
    return "N" * left + body + "N" * (length - left - len(body))


def clamp_start(start: int, n: int, length: int) -> int:
    """The nearest valid window offset to `start` for an `n`-nt sequence."""
    if n <= length:
        return pad_offset(n, length)
    return int(min(max(int(start), 0), n - length))


def _windows_onehot(seq: str, starts: np.ndarray, length: int) -> np.ndarray:
    """`(W, 4, length)` one-hot of the windows, sliced from one encoding of the sequence."""
    from deemo_gui.core.sequences import one_hot

    if len(seq) <= length:
        return one_hot([window_sequence(seq, int(starts[0]), length)])
    x = one_hot([seq])[0]  # (4, n)
    view = np.lib.stride_tricks.sliding_window_view(x, length, axis=1)  # (4, n-L+1, L)
    return np.ascontiguousarray(view[:, starts].transpose(1, 0, 2))


@dataclass(frozen=True)
class WindowScan:
    """The windows of one sequence and their scores under one model."""

    n: int  # sequence length
    length: int  # the model's input length
    stride: int
    reverse_complement: bool
    starts: np.ndarray  # (W,) offsets
    probs: np.ndarray  # (W, T) P(task) of each window (max over strands with reverse_complement)
    strands: np.ndarray  # (W, T) +1 / -1: the strand that gave the score

    @property
    def padded(self) -> bool:
        return self.n < self.length

    @property
    def scanned(self) -> bool:
        """More than one window: the sequence is longer than the model's input."""
        return len(self.starts) > 1

    @property
    def centres(self) -> np.ndarray:
        """Sequence position (0-based, fractional) of each window's centre: the score track's x."""
        return self.starts + (self.length - 1) / 2.0

    def best(self, task: int = 0) -> int:
        """Index of the best window for `task` (the first of equal maxima)."""
        return int(np.argmax(self.probs[:, task]))

    def best_start(self, task: int = 0) -> int:
        return int(self.starts[self.best(task)])

    def score(self) -> np.ndarray:
        """`(T,)` the sequence's score per task: its best window's P."""
        return self.probs.max(axis=0)


def scan(
    model, seq: str, stride: int = 1, reverse_complement: bool = False, batch_size: int = 256, device=None
) -> WindowScan:
    """Score every window of `seq` (upper or lower case) with `model`; see the module docstring.

    `stride` is raised for very long sequences so there are at most `MAX_WINDOWS` windows."""
    from deemo_gui.core.inference import predict_proba
    from deemo_gui.core.sequences import reverse_complement_onehot

    length = int(model.input_length)
    n = len(seq)
    if n == 0:
        raise ConfigError("cannot score an empty sequence")
    stride = auto_stride(n, length, stride)
    starts = window_starts(n, length, stride)
    T = int(getattr(model, "n_tasks", 1))
    probs = np.empty((len(starts), T), dtype=np.float32)
    strands = np.ones((len(starts), T), dtype=np.int8)
    for i in range(0, len(starts), batch_size):
        X = _windows_onehot(seq, starts[i : i + batch_size], length)
        p = predict_proba(model, X, batch_size=batch_size, device=device)
        if reverse_complement:
            q = predict_proba(model, reverse_complement_onehot(X), batch_size=batch_size, device=device)
            strands[i : i + len(X)] = np.where(q > p, -1, 1)
            p = np.maximum(p, q)
        probs[i : i + len(X)] = p
    return WindowScan(
        n=n,
        length=length,
        stride=stride,
        reverse_complement=reverse_complement,
        starts=starts,
        probs=probs,
        strands=strands,
    )


def score_sequences(
    model, seqs, stride: int = 1, reverse_complement: bool = False, batch_size: int = 256, device=None
) -> np.ndarray:
    """`(N, T)` P per task of each sequence: the model's input directly at length `L`, else the
    best window (`scan`). Sequences of length `L` are batched together."""
    from deemo_gui.core.inference import predict_proba
    from deemo_gui.core.sequences import one_hot, reverse_complement_onehot

    seqs = list(seqs)
    length = int(model.input_length)
    out = np.zeros((len(seqs), int(getattr(model, "n_tasks", 1))), dtype=np.float32)
    exact = [i for i, s in enumerate(seqs) if len(s) == length]
    for k in range(0, len(exact), batch_size):
        idx = exact[k : k + batch_size]
        X = one_hot([seqs[i] for i in idx])
        p = predict_proba(model, X, batch_size=batch_size, device=device)
        if reverse_complement:
            p = np.maximum(p, predict_proba(model, reverse_complement_onehot(X), batch_size=batch_size, device=device))
        out[idx] = p
    for i, s in enumerate(seqs):
        if len(s) != length:
            out[i] = scan(model, s, stride, reverse_complement, batch_size, device).score()
    return out
