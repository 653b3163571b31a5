"""Named presets: their architectures, default hyperparameters and training defaults."""

from __future__ import annotations

import copy
import math

from deemo_gui.core.errors import ConfigError
from deemo_gui.core.modelschema import HPARAM_CHOICES, MAX_HPARAM_INT, MAX_LAYERS, hparam_cap

from .base import SequenceNetwork
from .cnn import CNN
from .cnn_rnn import CNNRNN
from .deepbind import DeepBind
from .demo import DeepMotif
from .koo import KooCNN
from .rnn import RNN

# --- Deep Motif Dashboard (DeMo), Lanchantin et al. 2017, PSB, Table 1 (../shared/papers/000_*.txt), as printed:
#   CNN small / medium / large: 2 / 3 / 4 conv layers of 64 filters, kernels 9,5[,3[,3]], max-pool 2;
#   RNN: bi-LSTM 1x16 / 1x32 / 2x32;
#   CNN-RNN small: 1 conv (64, k 5), bi-LSTM 2x32; medium: 1 conv (128, k 9), 1x32; large: 2 convs (128, k 9,5)
#   with max-pool 2, 1x32.
# The released code (QData/DeepMotif main.lua) defaults to -cnn_size 128: the zoo's `cnn` models were trained
# with 128 filters before the presets followed the paper (their files record it; `deemo zoo rebuild` passes it
# back with --set). Dropout: the paper gives no rate ("dropout ... for each model"); 0.5 is the code's -dropout.
DEMO_DROPOUT = 0.5  # QData/DeepMotif main.lua: -dropout 0.5

PRESETS: dict[str, tuple[type[SequenceNetwork], dict]] = {
    "cnn-small": (
        CNN,
        {
            "conv_filters": [64, 64],
            "kernel_sizes": [9, 5],
            "pool_size": 2,
            "dropout": DEMO_DROPOUT,
            "first_layer_activation": "relu",
        },
    ),
    "cnn": (
        CNN,
        {
            "conv_filters": [64] * 3,
            "kernel_sizes": [9, 5, 3],
            "pool_size": 2,
            "dropout": DEMO_DROPOUT,
            "first_layer_activation": "relu",
        },
    ),
    "cnn-large": (
        CNN,
        {
            "conv_filters": [64] * 4,
            "kernel_sizes": [9, 5, 3, 3],
            "pool_size": 2,
            "dropout": DEMO_DROPOUT,
            "first_layer_activation": "relu",
        },
    ),
    "rnn-small": (RNN, {"lstm_hidden": 16, "lstm_layers": 1, "dropout": DEMO_DROPOUT}),
    "rnn": (RNN, {"lstm_hidden": 32, "lstm_layers": 1, "dropout": DEMO_DROPOUT}),
    "rnn-large": (RNN, {"lstm_hidden": 32, "lstm_layers": 2, "dropout": DEMO_DROPOUT}),
    "cnn-rnn-small": (
        CNNRNN,
        {
            "conv_filters": [64],
            "kernel_sizes": [5],
            "pool_size": 1,
            "lstm_hidden": 32,
            "lstm_layers": 2,
            "dropout": DEMO_DROPOUT,
        },
    ),
    "cnn-rnn": (
        CNNRNN,
        {
            "conv_filters": [128],
            "kernel_sizes": [9],
            "pool_size": 1,
            "lstm_hidden": 32,
            "lstm_layers": 1,
            "dropout": DEMO_DROPOUT,
        },
    ),
    "cnn-rnn-large": (
        CNNRNN,
        {
            "conv_filters": [128, 128],
            "kernel_sizes": [9, 5],
            "pool_size": 2,
            "lstm_hidden": 32,
            "lstm_layers": 1,
            "dropout": DEMO_DROPOUT,
        },
    ),
    # --- Deep Motif, Lanchantin et al. 2016 (ICLR workshop; ../shared/papers/001_*.txt, sec. 2.1 and Table 1):
    # {3,4} conv layers x 128 filters of width 5, max-pool {2,1}, a highway MLP of {5,7} layers x 32 units, tuned
    # per TF; we take the first of each. "We use dropout ... for regularization in the convolutional layers":
    # dropout after each conv layer (rate not given; 0.5 as the DeMo code). Gate bias -1: Srivastava et al. 2015.
    "demo": (
        DeepMotif,
        {
            "n_conv": 3,
            "conv_filters": 128,
            "kernel_size": 5,
            "pool_size": 2,
            "n_highway": 5,
            "highway_units": 32,
            "gate_bias": -1.0,
            "conv_dropout": DEMO_DROPOUT,
            "dropout": 0.0,
        },
    ),
    # --- DeepBind, Alipanahi et al. 2015, Nat. Biotechnol., Supplementary Notes: ChIP-seq models used 16
    # motif detectors of length 24, max+avg pooling, an optional 32-unit ReLU hidden layer with dropout.
    "deepbind": (
        DeepBind,
        {
            "n_motifs": 16,
            "motif_length": 24,
            "hidden_units": 32,
            "dropout": 0.5,
            "first_layer_activation": "relu",
            "batch_norm": 0,  # 1: batch norm after the detectors and the hidden layer (not in DeepBind)
        },
    ),
}

# --- Koo & Eddy 2019, PLoS Comput. Biol., "Representation learning of genomic sequence motifs with
# convolutional neural networks"; p-koo/learning_sequence_motifs code/models/cnn_<pool1>.py:
# conv 30x19, pool1; conv 128x5, pool2 = 100 / pool1; dense 512; dropout 0.1 (conv) and 0.5 (dense).
for _pool1 in (2, 4, 10, 25, 50, 100):
    PRESETS[f"koo-cnn-{_pool1}"] = (
        KooCNN,
        {
            "conv1_filters": 30,
            "conv1_kernel": 19,
            "pool1": _pool1,
            "conv2_filters": 128,
            "conv2_kernel": 5,
            "pool2": 100 // _pool1,
            "dense_units": 512,
            "conv_dropout": 0.1,
            "dense_dropout": 0.5,
            "first_layer_activation": "relu",
        },
    )

# --- Training defaults, one row per family; the training loop reads these through training_defaults().
# Batch 256 and Adam: DeMo code (QData/DeepMotif main.lua: -batch_size 256, optim.adam).
TRAINING_DEFAULTS: dict[str, dict] = {
    "feedforward": {
        "lr": 1e-3,
        "batch_size": 256,
        "max_epochs": 30,
        "patience": 5,
        "grad_clip": None,
        "lr_halving_patience": None,
        "weight_decay": 0.0,
        "optimizer": "adam",
    },
    # DeMo code (main.lua): -learning_rate 1e-2, -grad_clip 5, -max_epochs 50, lr halved (-lr_decay_factor
    # 0.5) every 10 epochs. Note the code clips each gradient *element* to [-5, 5]; halving on a 3-epoch
    # plateau of validation AUROC (and early stopping after 10) is our adaptation.
    "recurrent": {
        "lr": 1e-2,
        "batch_size": 256,
        "max_epochs": 50,
        "patience": 10,
        "grad_clip": 5.0,
        "lr_halving_patience": 3,
        "weight_decay": 0.0,
        "optimizer": "adam",
    },
    # Koo & Eddy 2019, Methods (../shared/papers/003_*.txt): Adam at a constant lr 3e-4, mini-batches of 100,
    # 100 epochs, L2 1e-6, the best validation model kept; patience 20 is their code's
    # (code/train_synthetic_data.py). Their L2 adds 1e-6 * ||w||^2 to the loss; Adam's weight_decay adds
    # 1e-6 * w to the gradient (half the strength; immaterial at this size).
    "koo": {
        "lr": 3e-4,
        "batch_size": 100,
        "max_epochs": 100,
        "patience": 20,
        "grad_clip": None,
        "lr_halving_patience": None,
        "weight_decay": 1e-6,
        "optimizer": "adam",
    },
}


# --- Per-preset exceptions to the family defaults (ours, measured on ARID3A_K562, 10,000 training
# sequences, CPU, on the earlier cnn-rnn-large without pooling): cnn-rnn-large (two conv layers, then
# a two-layer bi-LSTM) does not learn at the recurrent lr 1e-2 -- training loss stayed at ln 2 and
# validation AUROC at 0.50-0.51 for 4 epochs, and a 20-epoch run stopped early at test AUROC 0.49 --
# while lr 1e-3 reached validation AUROC 0.73 in 4
# epochs (3e-3: 0.54 after 2). rnn-large learns at 1e-2 (0.72 after 3 epochs), so keeps it.
PRESET_TRAINING: dict[str, dict] = {
    "cnn-rnn-large": {"lr": 1e-3},
}


def _family(preset: str) -> str:
    if preset.startswith(("rnn", "cnn-rnn")):
        return "recurrent"
    return "koo" if preset.startswith("koo") else "feedforward"


def list_presets() -> list[str]:
    """The preset names, in table order."""
    return list(PRESETS)


def _check_preset(preset: str) -> None:
    if preset not in PRESETS:
        raise ConfigError(f"unknown network preset {preset!r}; choose one of: {', '.join(PRESETS)}")


def preset_hparams(preset: str) -> dict:
    """A copy of the preset's default hyperparameters."""
    _check_preset(preset)
    return copy.deepcopy(PRESETS[preset][1])


def training_defaults(preset: str) -> dict:
    """A copy of the preset's training defaults (lr, batch_size, max_epochs, patience, grad_clip, ...)."""
    _check_preset(preset)
    return {**TRAINING_DEFAULTS[_family(preset)], **PRESET_TRAINING.get(preset, {})}


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


SWITCHES = {"batch_norm"}  # integer hyperparameters that are 0 (off) or 1 (on)


def _checked(preset: str, key: str, value, default):
    """``value`` as the type of ``default``, or ConfigError. A list default also takes a single int."""
    where = f"hyperparameter {key!r} of preset {preset!r}"
    cap = hparam_cap(key)  # the bounds a model file may have (core.modelschema): what trains also loads
    if isinstance(default, str):
        if value not in HPARAM_CHOICES:
            raise ConfigError(f"{where} is one of {', '.join(HPARAM_CHOICES)}, got {value!r}")
        return value
    if isinstance(default, list):
        items = [value] if _is_int(value) else value
        if not (
            isinstance(items, (list, tuple))
            and 0 < len(items) <= MAX_LAYERS
            and all(_is_int(v) and 1 <= v <= MAX_HPARAM_INT for v in items)
        ):
            raise ConfigError(
                f"{where} takes 1 to {MAX_LAYERS} integers from 1 to {MAX_HPARAM_INT} "
                f"(e.g. {','.join(map(str, default))}), got {value!r}"
            )
        return value if _is_int(value) else list(value)
    if key in SWITCHES:
        if not (isinstance(value, (int, bool)) and value in (0, 1)):
            raise ConfigError(f"{where} is 0 (off) or 1 (on), got {value!r}")
        return int(value)
    if _is_int(default):
        if not (_is_int(value) and 1 <= value <= cap):
            raise ConfigError(f"{where} takes an integer from 1 to {cap}, got {value!r}")
        return value
    if not (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)):
        raise ConfigError(f"{where} takes a finite number, got {value!r}")
    if "dropout" in key and not 0 <= value < 1:
        raise ConfigError(f"{where} is a probability in [0, 1), got {value!r}")
    return float(value)


# Hyperparameters added after model files were first written, with the value that rebuilds those files'
# networks (files record every hyperparameter of their time): CNN-RNN pooling (Table 1's large variant),
# Deep Motif's dropout in the conv layers, the first layer's activation ("exp": Koo & Ploenzke 2021) and
# DeepBind's batch norm (off).
ADDED_HPARAMS = {"pool_size": 1, "conv_dropout": 0.0, "first_layer_activation": "relu", "batch_norm": 0}


def stored_hparams(preset: str, hparams: dict) -> dict:
    """A model file's hyperparameters, completed with `ADDED_HPARAMS` for keys the file predates."""
    _check_preset(preset)
    defaults = PRESETS[preset][1]
    return {**{k: v for k, v in ADDED_HPARAMS.items() if k in defaults and k not in hparams}, **hparams}


def build_network(preset: str, n_tasks: int = 1, input_length: int = 101, **overrides) -> SequenceNetwork:
    """Build ``preset`` for ``n_tasks`` outputs and ``input_length`` bp, with hyperparameter overrides."""
    _check_preset(preset)
    cls, defaults = PRESETS[preset]
    unknown = sorted(set(overrides) - set(defaults))
    if unknown:
        raise ConfigError(
            f"unknown hyperparameter(s) {', '.join(unknown)} for preset {preset!r}; valid: {', '.join(defaults)}"
        )
    if not (_is_int(n_tasks) and n_tasks >= 1 and _is_int(input_length) and input_length >= 1):
        raise ConfigError(f"n_tasks and input_length must be positive integers, got {n_tasks!r}, {input_length!r}")
    hparams = copy.deepcopy(defaults)
    hparams.update({k: _checked(preset, k, v, defaults[k]) for k, v in overrides.items()})
    return cls(preset, n_tasks, input_length, **hparams)


def _scalar(text: str):
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    for parse in (int, float):
        try:
            return parse(text)
        except ValueError:
            pass
    return text


def parse_override(text: str) -> tuple[str, object]:
    """Parse ``"key=value"``: ints, floats, true/false, and comma lists (``conv_filters=64,64,128``)."""
    key, sep, value = text.partition("=")
    key, value = key.strip(), value.strip()
    if not sep or not key or not value:
        raise ConfigError(f"override {text!r} is not of the form key=value (e.g. dropout=0.3)")
    if any(c in value for c in "[]()"):
        raise ConfigError(f"override {text!r}: write lists without brackets, e.g. {key}=64,64")
    if "," in value:
        return key, [_scalar(v.strip()) for v in value.split(",") if v.strip()]
    return key, _scalar(value)
