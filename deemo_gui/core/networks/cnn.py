"""The Deep Motif Dashboard CNN: same-padded conv layers with max-pools, global max pool, linear output."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .base import FirstConvMixin, SequenceNetwork
from .layers import conv_stack, global_max_pool, layer_lists


class CNN(FirstConvMixin, SequenceNetwork):
    """conv -> ReLU -> max-pool -> dropout per layer (no pool after the last), global max, linear.

    Layer order follows the DeMo Dashboard code (QData/DeepMotif, model.lua, CNN branch); we pad the
    convolutions ("same") so that short inputs survive several layers, where the code used valid ones.
    """

    def __init__(
        self,
        preset: str,
        n_tasks: int,
        input_length: int,
        *,
        conv_filters: int | Sequence[int],
        kernel_sizes: int | Sequence[int],
        pool_size: int,
        dropout: float,
        first_layer_activation: str = "relu",
    ):
        filters, kernels = layer_lists(conv_filters, kernel_sizes)
        super().__init__(
            preset,
            n_tasks,
            input_length,
            {
                "conv_filters": filters,
                "kernel_sizes": kernels,
                "pool_size": pool_size,
                "dropout": dropout,
                "first_layer_activation": first_layer_activation,
            },
        )
        self.features, channels = conv_stack(filters, kernels, pool_size, dropout, first_layer_activation)
        self.pool = global_max_pool()
        self.output = nn.Linear(channels, n_tasks)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.output(self.pool(self.features(X)))
