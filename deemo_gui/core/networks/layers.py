"""Building blocks shared by the presets: same-padded convolutions, pools, highway layers, bi-LSTM head."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from deemo_gui.core.errors import ConfigError

# DeepBind's even kernel (24) pads one column more on one side; torch says so on every forward pass of
# every run (GUI, scripts, tests). It is a note about a copy, not a problem: silenced for that message only.
warnings.filterwarnings("ignore", message=r"Using padding='same' with even kernel lengths", category=UserWarning)


def layer_lists(filters: int | Sequence[int], kernels: int | Sequence[int]) -> tuple[list[int], list[int]]:
    """Per-layer filter counts and kernel sizes; a single int is repeated to the other list's length."""
    if isinstance(filters, int):
        if isinstance(kernels, int):
            return [filters], [kernels]
        filters = [filters] * len(kernels)
    elif isinstance(kernels, int):
        kernels = [kernels] * len(filters)
    if len(filters) != len(kernels):
        raise ConfigError(
            f"conv_filters has {len(filters)} layers but kernel_sizes has {len(kernels)}: give one value per layer"
        )
    return [int(f) for f in filters], [int(k) for k in kernels]


def same_conv(in_channels: int, out_channels: int, kernel_size: int) -> nn.Conv1d:
    """A stride-1 convolution whose output has the input's length (zero padding).

    An even kernel (DeepBind's 24) pads one column more on the right; PyTorch then warns once that
    this costs a copy of the input.
    """
    return nn.Conv1d(in_channels, out_channels, kernel_size, padding="same")


class Exp(nn.Module):
    """Exponential activation for the first layer (Koo & Ploenzke, Nat. Mach. Intell. 2021): it suppresses
    weak matches and amplifies strong ones, so first-layer filters learn whole, interpretable motifs."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.exp(x)


FIRST_ACTIVATIONS = {"relu": nn.ReLU, "exp": Exp}


def first_activation(name: str) -> nn.Module:
    """The first layer's activation module by name ("relu" or "exp")."""
    if name not in FIRST_ACTIVATIONS:
        raise ConfigError(f"first_layer_activation {name!r}: choose one of {', '.join(FIRST_ACTIVATIONS)}")
    return FIRST_ACTIVATIONS[name]()


def max_pool(size: int) -> nn.MaxPool1d:
    """Non-overlapping max pool; ``ceil_mode`` keeps at least one column for inputs shorter than ``size``."""
    return nn.MaxPool1d(size, ceil_mode=True)


def pooled_length(length: int, size: int) -> int:
    """Output length of :func:`max_pool` on ``length`` columns."""
    return math.ceil(length / size)


def conv_stack(
    filters: Sequence[int],
    kernels: Sequence[int],
    pool_size: int = 1,
    dropout: float = 0.0,
    first: str = "relu",
) -> tuple[nn.Sequential, int]:
    """conv -> ReLU (the first: `first`) -> [max-pool, on all but the last layer] -> [dropout] per layer;
    returns (stack, channels)."""
    layers: list[nn.Module] = []
    channels = 4
    for i, (n_filters, kernel) in enumerate(zip(filters, kernels)):
        layers += [same_conv(channels, n_filters, kernel), first_activation(first) if i == 0 else nn.ReLU()]
        if pool_size > 1 and i < len(filters) - 1:
            layers.append(max_pool(pool_size))
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        channels = n_filters
    return nn.Sequential(*layers), channels


def global_max_pool() -> nn.Sequential:
    """(N, C, L) -> (N, C): maximum over positions, for any L."""
    return nn.Sequential(nn.AdaptiveMaxPool1d(1), nn.Flatten())


class MaxAvgPool(nn.Module):
    """(N, C, L) -> (N, 2C): global max and global average over positions, concatenated."""

    def __init__(self):
        super().__init__()
        self.max = global_max_pool()
        self.avg = nn.Sequential(nn.AdaptiveAvgPool1d(1), nn.Flatten())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.max(x), self.avg(x)], dim=1)


class Highway(nn.Module):
    """y = T(x) * H(x) + (1 - T(x)) * x with H = ReLU(Wx + b), T = sigmoid(W_T x + b_T) (Srivastava et al. 2015)."""

    def __init__(self, units: int, gate_bias: float):
        super().__init__()
        self.transform = nn.Linear(units, units)
        self.relu = nn.ReLU()
        self.gate = nn.Linear(units, units)
        self.sigmoid = nn.Sigmoid()
        # A negative gate bias makes each layer start close to the identity ("carry"), Srivastava et al.
        # 2015, "Highway Networks" (arXiv:1505.00387) sec. 2.2: initialise b_T negative, e.g. -1 or -3.
        nn.init.constant_(self.gate.bias, gate_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = self.sigmoid(self.gate(x))
        return t * self.relu(self.transform(x)) + (1 - t) * x


ONE_HOT_INPUT_STD = 2.0  # our measurement, see the comment in BiLSTMHead.__init__


class BiLSTMHead(nn.Module):
    """Bi-LSTM over the columns of ``H`` (N, C, L); each direction's outputs averaged over valid steps,
    concatenated, dropout, linear to logits. With ``lengths``, row i uses only ``H[i, :, :lengths[i]]``."""

    def __init__(self, in_channels: int, hidden: int, layers: int, dropout: float, n_tasks: int):
        super().__init__()
        self.lstm = nn.LSTM(
            in_channels,
            hidden,
            num_layers=layers,
            batch_first=True,
            bidirectional=True,
            dropout=dropout if layers > 1 else 0.0,
        )
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(2 * hidden, n_tasks)
        # DeMo code's LSTM (QData/DeepMotif util/LSTM.lua, from jcjohnson/torch-rnn): weights normal with
        # std 1/sqrt(D + H) for a layer of D inputs and H units; biases 0 except the forget gate's, 1.
        # It shortened the plateau before a one-hot bi-LSTM starts to learn in our CTCF runs.
        for name, param in self.lstm.named_parameters():
            if name.startswith("weight"):
                inputs = getattr(self.lstm, name.replace("weight_hh", "weight_ih")).shape[1]
                nn.init.normal_(param, 0.0, (inputs + hidden) ** -0.5)
                if name.startswith("weight_ih_l0") and in_channels == 4:
                    # One-hot input has one active channel per step, so std 1/sqrt(D+H) = 0.17 leaves the
                    # gates nearly blind to the base: on REST ChIP-seq vs shuffles (8,000 sequences) the
                    # DeMo scale stayed at chance for 15 epochs, std 2 reached validation AUROC 0.88 in 10.
                    nn.init.normal_(param, 0.0, ONE_HOT_INPUT_STD)
            else:
                nn.init.zeros_(param)
                if name.startswith("bias_ih"):
                    nn.init.ones_(param[hidden : 2 * hidden])  # PyTorch gate order: input, forget, cell, output

    def forward(self, H: torch.Tensor, lengths: Sequence[int] | torch.Tensor | None = None) -> torch.Tensor:
        steps = H.transpose(1, 2)  # (N, L, C)
        if lengths is None:
            pooled = self.lstm(steps)[0].mean(dim=1)
        else:
            lengths = torch.as_tensor(lengths, dtype=torch.int64).cpu()
            if lengths.shape != (H.shape[0],) or int(lengths.min()) < 1 or int(lengths.max()) > H.shape[2]:
                raise ValueError(f"lengths must be {H.shape[0]} values in 1..{H.shape[2]}, got {lengths.tolist()}")
            packed = pack_padded_sequence(steps, lengths, batch_first=True, enforce_sorted=False)
            out = pad_packed_sequence(self.lstm(packed)[0], batch_first=True, total_length=H.shape[2])[0]
            pooled = out.sum(dim=1) / lengths.to(out.device, out.dtype).unsqueeze(1)
        return self.output(self.dropout(pooled))
