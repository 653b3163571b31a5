"""DeepBind (Alipanahi et al. 2015): one wide convolution, max and average pooling, a small MLP."""

from __future__ import annotations

import torch
from torch import nn

from .base import FirstConvMixin, SequenceNetwork
from .layers import MaxAvgPool, first_activation, same_conv


class DeepBind(FirstConvMixin, SequenceNetwork):
    """conv (motif detectors) -> ReLU -> [global max, global average] -> linear -> ReLU -> dropout -> linear.

    DeepBind pads each side with m-1 columns of 0.25; we use zero "same" padding, so a motif
    detector can still reach the ends of the sequence but not hang over them by more than half its width.
    """

    def __init__(
        self,
        preset: str,
        n_tasks: int,
        input_length: int,
        *,
        n_motifs: int,
        motif_length: int,
        hidden_units: int,
        dropout: float,
        first_layer_activation: str = "relu",
        batch_norm: int = 0,
    ):
        super().__init__(
            preset,
            n_tasks,
            input_length,
            {
                "n_motifs": n_motifs,
                "motif_length": motif_length,
                "hidden_units": hidden_units,
                "dropout": dropout,
                "first_layer_activation": first_layer_activation,
                # 1: batch norm after the detectors and after the hidden layer (each before its ReLU), a
                # training aid; an ensemble folds it into the layers before (core.ensemble.fold_deepbind)
                "batch_norm": int(bool(batch_norm)),
            },
        )
        conv = same_conv(4, n_motifs, motif_length)
        norm = [nn.BatchNorm1d(n_motifs)] if batch_norm else []
        self.features = nn.Sequential(conv, *norm, first_activation(first_layer_activation))
        self.pool = MaxAvgPool()
        hidden_norm = [nn.BatchNorm1d(hidden_units)] if batch_norm else []
        self.hidden = nn.Sequential(nn.Linear(2 * n_motifs, hidden_units), *hidden_norm, nn.ReLU(), nn.Dropout(dropout))
        self.output = nn.Linear(hidden_units, n_tasks)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.output(self.hidden(self.pool(self.features(X))))
