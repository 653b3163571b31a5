"""The Deep Motif Dashboard RNN: a bi-LSTM over the one-hot columns, mean over time per direction, linear."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from .base import SequenceNetwork
from .layers import BiLSTMHead


class RecurrentNetwork(SequenceNetwork):
    """A network split as ``forward(X) == head(encode(X))`` for the temporal-output-score explainer.

    ``encode`` maps X (N, 4, L) to H (N, C, L'), one column per ``encoded_stride`` input positions;
    ``head(H, lengths)`` runs the bi-LSTM on the first ``lengths[i]`` columns of each row only.
    """

    encoded_stride = 1
    rnn_head: BiLSTMHead

    @property
    def is_recurrent(self) -> bool:
        return True

    def encode(self, X: torch.Tensor) -> torch.Tensor:
        return X

    def head(self, H: torch.Tensor, lengths: Sequence[int] | torch.Tensor | None = None) -> torch.Tensor:
        return self.rnn_head(H, lengths)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.head(self.encode(X))


class RNN(RecurrentNetwork):
    """Bi-LSTM on one-hot input (DeMo Dashboard, Lanchantin et al. 2017, Table 1).

    We use PyTorch's stacked bidirectional LSTM: with 2 layers, layer 2 sees both directions of layer 1,
    where the DeMo code (QData/DeepMotif, model.lua) stacked each direction separately.
    """

    def __init__(
        self,
        preset: str,
        n_tasks: int,
        input_length: int,
        *,
        lstm_hidden: int,
        lstm_layers: int,
        dropout: float,
    ):
        super().__init__(
            preset,
            n_tasks,
            input_length,
            {
                "lstm_hidden": lstm_hidden,
                "lstm_layers": lstm_layers,
                "dropout": dropout,
            },
        )
        self.rnn_head = BiLSTMHead(4, lstm_hidden, lstm_layers, dropout, n_tasks)
