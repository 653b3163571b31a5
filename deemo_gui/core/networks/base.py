"""The base class every network in deemo derives from."""

from __future__ import annotations

from torch import nn


class SequenceNetwork(nn.Module):
    """A network mapping one-hot DNA ``X`` of shape ``(N, 4, L)`` to logits ``(N, n_tasks)``.

    ``hparams`` holds the final, JSON-serializable hyperparameters (defaults plus overrides);
    ``build_network(preset, n_tasks, input_length, **hparams)`` rebuilds the same architecture.
    """

    metadata: dict  # the model file's metadata, set once trained or loaded (not before: no attribute)

    def __init__(self, preset: str, n_tasks: int, input_length: int, hparams: dict):
        super().__init__()
        self.preset = preset
        self.n_tasks = int(n_tasks)
        self.input_length = int(input_length)
        self.hparams = dict(hparams)

    @property
    def is_recurrent(self) -> bool:
        """True for networks with a bi-LSTM (they also have ``encode`` and ``head``)."""
        return False


class FirstConvMixin:
    """``first_conv`` and ``first_activation`` (its ReLU) for networks whose ``features`` stack starts with them.

    The filter explainer reads both. They are properties, not attributes, so the modules are not
    registered twice (a duplicate would appear twice in ``state_dict``).
    """

    features: nn.Sequential

    @property
    def first_conv(self) -> nn.Conv1d:
        return next(m for m in self.features if isinstance(m, nn.Conv1d))

    @property
    def first_activation(self) -> nn.Module:
        from .layers import FIRST_ACTIVATIONS

        return next(m for m in self.features if isinstance(m, tuple(FIRST_ACTIVATIONS.values())))
