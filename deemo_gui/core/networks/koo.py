"""Koo & Eddy 2019: a two-layer CNN whose first max-pool size sets how motif-like its first filters are."""

from __future__ import annotations

import torch
from torch import nn

from .base import FirstConvMixin, SequenceNetwork
from .layers import first_activation, max_pool, pooled_length, same_conv


class KooCNN(FirstConvMixin, SequenceNetwork):
    """conv -> BN -> ReLU -> max-pool(pool1) -> dropout, twice (pool2 the second time), flatten,
    dense -> BN -> ReLU -> dropout, linear to logits.

    Layer order follows p-koo/learning_sequence_motifs, code/models/cnn_*.py. The flatten ties the
    network to ``input_length``.
    """

    def __init__(
        self,
        preset: str,
        n_tasks: int,
        input_length: int,
        *,
        conv1_filters: int,
        conv1_kernel: int,
        pool1: int,
        conv2_filters: int,
        conv2_kernel: int,
        pool2: int,
        dense_units: int,
        conv_dropout: float,
        dense_dropout: float,
        first_layer_activation: str = "relu",
    ):
        super().__init__(
            preset,
            n_tasks,
            input_length,
            {
                "conv1_filters": conv1_filters,
                "conv1_kernel": conv1_kernel,
                "pool1": pool1,
                "conv2_filters": conv2_filters,
                "conv2_kernel": conv2_kernel,
                "pool2": pool2,
                "dense_units": dense_units,
                "conv_dropout": conv_dropout,
                "dense_dropout": dense_dropout,
                "first_layer_activation": first_layer_activation,
            },
        )
        self.features = nn.Sequential(
            same_conv(4, conv1_filters, conv1_kernel),
            nn.BatchNorm1d(conv1_filters),
            first_activation(first_layer_activation),
            max_pool(pool1),
            nn.Dropout(conv_dropout),
            same_conv(conv1_filters, conv2_filters, conv2_kernel),
            nn.BatchNorm1d(conv2_filters),
            nn.ReLU(),
            max_pool(pool2),
            nn.Dropout(conv_dropout),
            nn.Flatten(),
        )
        flat = conv2_filters * pooled_length(pooled_length(input_length, pool1), pool2)
        self.dense = nn.Sequential(
            nn.Linear(flat, dense_units),
            nn.BatchNorm1d(dense_units),
            nn.ReLU(),
            nn.Dropout(dense_dropout),
        )
        self.output = nn.Linear(dense_units, n_tasks)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        if X.shape[-1] != self.input_length:
            raise ValueError(f"{self.preset} was built for {self.input_length} bp sequences, got {X.shape[-1]} bp")
        return self.output(self.dense(self.features(X)))
