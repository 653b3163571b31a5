"""Deep Motif (Lanchantin et al. 2016): a CNN whose global-max features feed a highway MLP."""

from __future__ import annotations

import torch
from torch import nn

from .base import FirstConvMixin, SequenceNetwork
from .layers import Highway, conv_stack, global_max_pool


class DeepMotif(FirstConvMixin, SequenceNetwork):
    """``n_conv`` same-padded conv layers (max-pool after all but the last; ``conv_dropout`` after each: the
    paper's "dropout ... in the convolutional layers"), global max, a linear projection to ``highway_units``,
    ``n_highway`` highway layers, ``dropout`` (0 in the preset; files made before ``conv_dropout`` existed
    used 0.5 here), linear to logits."""

    def __init__(
        self,
        preset: str,
        n_tasks: int,
        input_length: int,
        *,
        n_conv: int,
        conv_filters: int,
        kernel_size: int,
        pool_size: int,
        n_highway: int,
        highway_units: int,
        gate_bias: float,
        dropout: float,
        conv_dropout: float = 0.0,
    ):
        super().__init__(
            preset,
            n_tasks,
            input_length,
            {
                "n_conv": n_conv,
                "conv_filters": conv_filters,
                "kernel_size": kernel_size,
                "pool_size": pool_size,
                "n_highway": n_highway,
                "highway_units": highway_units,
                "gate_bias": gate_bias,
                "dropout": dropout,
                "conv_dropout": conv_dropout,
            },
        )
        self.features, channels = conv_stack([conv_filters] * n_conv, [kernel_size] * n_conv, pool_size, conv_dropout)
        self.pool = global_max_pool()
        self.project = nn.Linear(channels, highway_units)
        self.highway = nn.Sequential(*(Highway(highway_units, gate_bias) for _ in range(n_highway)))
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(highway_units, n_tasks)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.output(self.dropout(self.highway(self.project(self.pool(self.features(X))))))
