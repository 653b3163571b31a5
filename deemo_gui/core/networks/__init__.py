"""Sequence-classification networks: one module per architecture and a registry of named presets."""

from .base import SequenceNetwork
from .registry import build_network, list_presets, parse_override, preset_hparams, stored_hparams, training_defaults

__all__ = [
    "SequenceNetwork",
    "build_network",
    "list_presets",
    "parse_override",
    "preset_hparams",
    "stored_hparams",
    "training_defaults",
]
