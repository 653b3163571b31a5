"""The Deep Motif Dashboard CNN-RNN: same-padded conv layers (max-pooled between them in the large variant)
feeding a bi-LSTM."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from .base import FirstConvMixin
from .layers import BiLSTMHead, conv_stack, layer_lists
from .rnn import RecurrentNetwork


class CNNRNN(FirstConvMixin, RecurrentNetwork):
    """conv -> ReLU per layer, then the bi-LSTM head of :class:`~.rnn.RNN` on the feature maps.

    ``pool_size`` 1 (small, medium): no pooling, as in the DeMo code (QData/DeepMotif, model.lua, CNN-RNN
    branch: padded conv + ReLU), so the encoding keeps one column per input position. The large variant of
    Table 1 max-pools by 2 between its two conv layers: each encoded column then covers ``encoded_stride``
    = 2 input positions (temporal scores map positions to columns with it).
    """

    def __init__(
        self,
        preset: str,
        n_tasks: int,
        input_length: int,
        *,
        conv_filters: int | Sequence[int],
        kernel_sizes: int | Sequence[int],
        lstm_hidden: int,
        lstm_layers: int,
        dropout: float,
        pool_size: int = 1,
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
                "lstm_hidden": lstm_hidden,
                "lstm_layers": lstm_layers,
                "dropout": dropout,
            },
        )
        self.features, channels = conv_stack(filters, kernels, pool_size)
        self.encoded_stride = pool_size ** (len(filters) - 1) if pool_size > 1 else 1
        self.rnn_head = BiLSTMHead(channels, lstm_hidden, lstm_layers, dropout, n_tasks)

    def encode(self, X: torch.Tensor) -> torch.Tensor:
        return self.features(X)
