"""Network presets: shapes, the recurrent encode/head contract, Captum-safe ReLUs, registry and overrides."""

import json
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from deemo_gui.core.errors import ConfigError
from deemo_gui.core.networks import (
    SequenceNetwork,
    build_network,
    list_presets,
    parse_override,
    preset_hparams,
    training_defaults,
)

PRESETS = list_presets()
RECURRENT = [p for p in PRESETS if p.startswith(("rnn", "cnn-rnn"))]
CONVOLUTIONAL = [p for p in PRESETS if not p.startswith("rnn")]
NETWORKS_SRC = Path(__file__).resolve().parents[2] / "deemo_gui" / "core" / "networks"


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def one_hot(n, length, seed=0):
    g = torch.Generator().manual_seed(seed)
    idx = torch.randint(0, 4, (n, length), generator=g)
    return nn.functional.one_hot(idx, 4).float().transpose(1, 2).contiguous()


def test_preset_table():
    assert PRESETS == [
        "cnn-small",
        "cnn",
        "cnn-large",
        "rnn-small",
        "rnn",
        "rnn-large",
        "cnn-rnn-small",
        "cnn-rnn",
        "cnn-rnn-large",
        "demo",
        "deepbind",
        "koo-cnn-2",
        "koo-cnn-4",
        "koo-cnn-10",
        "koo-cnn-25",
        "koo-cnn-50",
        "koo-cnn-100",
    ]


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("n_tasks", [1, 3])
def test_forward_backward_shapes(preset, n_tasks):
    for length in (20, 101, 200, 1000):
        torch.manual_seed(0)
        model = build_network(preset, n_tasks=n_tasks, input_length=length).train()
        assert isinstance(model, SequenceNetwork)
        assert (model.preset, model.n_tasks, model.input_length) == (preset, n_tasks, length)
        X = one_hot(4, length).requires_grad_(True)
        y_hat = model(X)
        assert y_hat.shape == (4, n_tasks) and y_hat.dtype == torch.float32
        y_hat.sum().backward()
        assert X.grad.shape == X.shape and torch.isfinite(X.grad).all() and X.grad.abs().sum() > 0
        assert all(p.grad is not None for p in model.parameters())


@pytest.mark.parametrize("preset", PRESETS)
def test_hparams_are_json_and_rebuild_the_same_architecture(preset):
    model = build_network(preset, n_tasks=2, input_length=101)
    assert json.loads(json.dumps(model.hparams)) == model.hparams == preset_hparams(preset)
    again = build_network(preset, 2, 101, **model.hparams)
    assert {k: v.shape for k, v in model.state_dict().items()} == {k: v.shape for k, v in again.state_dict().items()}


def test_sizes_follow_the_papers():
    n_convs = {p: sum(isinstance(m, nn.Conv1d) for m in build_network(p).modules()) for p in PRESETS}
    assert [n_convs[p] for p in ("cnn-small", "cnn", "cnn-large", "cnn-rnn-small", "cnn-rnn", "cnn-rnn-large")] == [
        2,
        3,
        4,
        1,
        1,
        2,
    ]
    assert build_network("cnn").first_conv.weight.shape == (64, 4, 9)  # DeMo Table 1 (the code: 128)
    assert build_network("deepbind").first_conv.weight.shape == (16, 4, 24)
    for pool1 in (2, 4, 10, 25, 50, 100):
        koo = build_network(f"koo-cnn-{pool1}", input_length=200)
        assert koo.first_conv.weight.shape == (30, 4, 19)
        assert koo.hparams["pool1"] * koo.hparams["pool2"] == 100
        assert koo.dense[0].in_features == 128 * 2  # 200 bp / 100 = 2 columns left
    lstm = {p: build_network(p).rnn_head.lstm for p in RECURRENT}
    assert [(lstm[p].hidden_size, lstm[p].num_layers, lstm[p].bidirectional) for p in ("rnn-small", "rnn-large")] == [
        (16, 1, True),
        (32, 2, True),
    ]
    big = lstm["rnn-large"]
    assert torch.all(big.bias_ih_l1_reverse[32:64] == 1) and torch.all(big.bias_ih_l1_reverse[:32] == 0)
    assert torch.all(big.bias_hh_l0 == 0)  # DeMo/torch-rnn init: forget-gate bias 1
    assert 0.8 < big.weight_hh_l1.std().item() * (64 + 32) ** 0.5 < 1.2  # layer 2 reads 2 x 32 inputs
    demo = build_network("demo")
    assert len(demo.highway) == 5 and demo.project.out_features == 32
    assert torch.all(demo.highway[0].gate.bias == -1.0)


@pytest.mark.parametrize("preset", CONVOLUTIONAL)
def test_first_conv_and_its_activation(preset):
    model = build_network(preset, input_length=101).eval()
    assert isinstance(model.first_conv, nn.Conv1d) and model.first_conv.in_channels == 4
    assert isinstance(model.first_activation, nn.ReLU)
    seen = {}
    model.first_conv.register_forward_hook(lambda m, i, o: seen.update(conv=o))
    model.first_activation.register_forward_hook(lambda m, i, o: seen.update(relu=(i[0], o)))
    model(one_hot(2, 101))
    relu_in, relu_out = seen["relu"]
    assert seen["conv"].shape == relu_out.shape == (2, model.first_conv.out_channels, 101)
    if preset.startswith("koo"):  # conv -> batch norm -> ReLU
        assert relu_in.shape == seen["conv"].shape
    else:
        assert torch.equal(relu_in, seen["conv"])
    assert (relu_out >= 0).all()
    # properties, not registered twice: no duplicate keys in the state dict
    assert not any(k.startswith(("first_conv", "first_activation")) for k in model.state_dict())


def test_recurrent_flags():
    for preset in PRESETS:
        model = build_network(preset)
        assert model.is_recurrent == (preset in RECURRENT)
        assert hasattr(model, "head") == (preset in RECURRENT)
    assert not hasattr(build_network("rnn"), "first_conv")


@pytest.mark.parametrize("preset", RECURRENT)
def test_encode_head_identity(preset):
    torch.manual_seed(1)
    model = build_network(preset, n_tasks=2, input_length=50).eval()
    X = one_hot(3, 50)
    H = model.encode(X)
    stride = 2 if preset == "cnn-rnn-large" else 1  # its two conv layers are max-pooled by 2 (DeMo Table 1)
    assert model.encoded_stride == stride
    if preset.startswith("rnn"):
        assert torch.equal(H, X)
    else:
        assert H.shape == (3, model.hparams["conv_filters"][-1], 50 // stride)
    torch.testing.assert_close(model.head(H), model(X), atol=1e-5, rtol=0)
    torch.testing.assert_close(model.head(H, lengths=[50 // stride] * 3), model(X), atol=1e-5, rtol=0)


@pytest.mark.parametrize("preset", RECURRENT)
def test_head_on_padded_prefixes_equals_head_on_the_prefix_alone(preset):
    torch.manual_seed(2)
    model = build_network(preset, n_tasks=3, input_length=40).eval()
    H = model.encode(one_hot(4, 40, seed=3))
    lengths = [1, 7, 23 * H.shape[2] // 40, H.shape[2]]  # encoded columns (cnn-rnn-large pools by 2)
    padded = torch.zeros_like(H)
    for i, k in enumerate(lengths):
        padded[i, :, :k] = H[i, :, :k]
    with_garbage = 5 * torch.randn_like(H)  # whatever lies beyond lengths[i] must be ignored
    for i, k in enumerate(lengths):
        with_garbage[i, :, :k] = H[i, :, :k]
    expected = torch.cat([model.head(H[i : i + 1, :, :k]) for i, k in enumerate(lengths)])
    torch.testing.assert_close(model.head(padded, lengths=lengths), expected, atol=1e-5, rtol=0)
    torch.testing.assert_close(model.head(with_garbage, lengths=torch.tensor(lengths)), expected, atol=1e-5, rtol=0)
    # and the prefixes really differ from the full sequence
    assert (expected[0] - model.head(H[:1])).abs().max() > 1e-4


def test_head_rejects_bad_lengths():
    model = build_network("rnn", input_length=10).eval()
    H = model.encode(one_hot(2, 10))
    for bad in ([0, 5], [5, 11], [5]):
        with pytest.raises(ValueError):
            model.head(H, lengths=bad)


class _ReluAndInplaceSpy(TorchFunctionMode):
    """Records functional relu calls and in-place ops on anything but ``buffers`` during a forward pass
    (batch norm counts its batches in place, which touches no activation)."""

    def __init__(self, buffers):
        super().__init__()
        self.buffer_ids = {id(b) for b in buffers}
        self.relu_calls, self.inplace = 0, []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        if name in ("relu", "relu_"):
            self.relu_calls += 1
        in_place_method = name.endswith("_") and not name.startswith("_")
        if kwargs.get("inplace") or (in_place_method and id(args[0]) not in self.buffer_ids):
            self.inplace.append(name)
        return func(*args, **kwargs)


@pytest.mark.parametrize("preset", PRESETS)
def test_every_relu_is_its_own_module_and_nothing_is_inplace(preset):
    model = build_network(preset, n_tasks=2, input_length=101).train()
    relus = [m for _, m in model.named_modules(remove_duplicate=False) if isinstance(m, nn.ReLU)]
    assert len({id(m) for m in relus}) == len(relus)
    assert not any(m.inplace for m in model.modules() if hasattr(m, "inplace"))
    module_calls = []
    for m in relus:
        m.register_forward_hook(lambda mod, i, o: module_calls.append(id(mod)))
    spy = _ReluAndInplaceSpy(model.buffers())
    with spy:
        model(one_hot(4, 101))
    assert len(module_calls) == len(set(module_calls)) == len(relus)  # each ReLU used exactly once
    assert spy.relu_calls == len(relus)  # every relu that ran came from a module
    assert spy.inplace == []
    if not preset.startswith("rnn"):
        assert len(relus) >= 1


def test_source_has_no_functional_relu_or_inplace():
    for path in NETWORKS_SRC.glob("*.py"):
        text = path.read_text()
        for banned in ("F.relu", "torch.relu", "inplace=True", ".relu_("):
            assert banned not in text, f"{path.name} contains {banned}"


@pytest.mark.parametrize("preset", ["cnn", "rnn-large", "cnn-rnn", "demo", "deepbind", "koo-cnn-4"])
def test_init_is_deterministic_given_the_seed(preset):
    torch.manual_seed(7)
    a = build_network(preset, n_tasks=2)
    torch.manual_seed(7)
    b = build_network(preset, n_tasks=2)
    torch.manual_seed(8)
    c = build_network(preset, n_tasks=2)
    for (k, va), vb in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.equal(va, vb), k
    assert any(not torch.equal(va, vc) for va, vc in zip(a.parameters(), c.parameters()))
    X = one_hot(3, 101)
    assert torch.equal(a.eval()(X), b.eval()(X))


def test_unknown_preset_and_override_raise_config_error():
    with pytest.raises(ConfigError, match="koo-cnn-100") as err:
        build_network("cnn-huge")
    assert "\n" not in str(err.value) and "cnn-small" in str(err.value)
    for fn in (preset_hparams, training_defaults):
        with pytest.raises(ConfigError):
            fn("nope")
    with pytest.raises(ConfigError, match="kernel_sizes") as err:
        build_network("cnn", conv_filter=[64])
    assert "conv_filter" in str(err.value) and "\n" not in str(err.value)
    bad = [
        ("cnn", {"dropout": 1.5}),
        ("cnn", {"dropout": "x"}),
        ("rnn", {"lstm_hidden": 0}),
        ("rnn", {"lstm_layers": 1.5}),
        ("cnn", {"conv_filters": [64, 64]}),
        ("cnn", {"kernel_sizes": []}),
        ("demo", {"n_highway": True}),
    ]
    for preset, override in bad:
        with pytest.raises(ConfigError):
            build_network(preset, **override)
    with pytest.raises(ConfigError):
        build_network("cnn", n_tasks=0)


def test_overrides_are_applied():
    model = build_network("cnn", n_tasks=2, conv_filters=32, dropout=0)
    assert model.hparams == {
        "conv_filters": [32, 32, 32],
        "kernel_sizes": [9, 5, 3],
        "pool_size": 2,
        "dropout": 0.0,
        "first_layer_activation": "relu",
    }
    assert [m.out_channels for m in model.modules() if isinstance(m, nn.Conv1d)] == [32, 32, 32]
    model = build_network("cnn", conv_filters=[16, 32], kernel_sizes=[7, 3])
    assert [(m.out_channels, m.kernel_size[0]) for m in model.modules() if isinstance(m, nn.Conv1d)] == [
        (16, 7),
        (32, 3),
    ]
    model = build_network("koo-cnn-10", input_length=300, pool1=3, pool2=10)
    assert model.dense[0].in_features == 128 * 10
    assert build_network("rnn", lstm_hidden=8).rnn_head.lstm.hidden_size == 8
    assert preset_hparams("cnn")["conv_filters"] == [64, 64, 64]  # defaults untouched


def test_parse_override():
    assert parse_override("conv_filters=64,64,128") == ("conv_filters", [64, 64, 128])
    assert parse_override(" dropout = 0.3 ") == ("dropout", 0.3)
    assert parse_override("lr=1e-3") == ("lr", 1e-3)
    assert parse_override("lstm_layers=2") == ("lstm_layers", 2) and isinstance(parse_override("a=2")[1], int)
    assert parse_override("flag=True") == ("flag", True) and parse_override("flag=false") == ("flag", False)
    assert parse_override("gate_bias=-2") == ("gate_bias", -2)
    assert parse_override("x=0.5,2") == ("x", [0.5, 2])
    for bad in ("dropout", "=3", "dropout="):
        with pytest.raises(ConfigError):
            parse_override(bad)
    key, value = parse_override("conv_filters=32,32")
    assert build_network("cnn-small", **{key: value}).hparams["conv_filters"] == [32, 32]


def test_training_defaults():
    keys = {
        "lr",
        "batch_size",
        "max_epochs",
        "patience",
        "grad_clip",
        "lr_halving_patience",
        "weight_decay",
        "optimizer",
    }
    for preset in PRESETS:
        d = training_defaults(preset)
        assert set(d) == keys and d["optimizer"] == "adam"
        assert d["batch_size"] == (100 if preset.startswith("koo") else 256)  # Koo & Eddy Methods; DeMo code
        json.dumps(d)
    for preset in RECURRENT:
        d = training_defaults(preset)
        lr = 1e-3 if preset == "cnn-rnn-large" else 1e-2  # it does not learn at 1e-2 (registry comment)
        assert (d["lr"], d["grad_clip"], d["max_epochs"]) == (lr, 5.0, 50)
        assert isinstance(d["lr_halving_patience"], int)
    for preset in ("cnn", "demo", "deepbind", "koo-cnn-25"):
        d = training_defaults(preset)
        assert d["lr"] == (3e-4 if preset.startswith("koo") else 1e-3) and d["grad_clip"] is None
    training_defaults("cnn")["lr"] = 5.0
    assert training_defaults("cnn")["lr"] == 1e-3  # a copy


def test_koo_rejects_other_lengths():
    model = build_network("koo-cnn-25", input_length=200).eval()
    with pytest.raises(ValueError, match="200 bp"):
        model(one_hot(2, 101))


@pytest.mark.parametrize("preset", ["cnn", "deepbind", "koo-cnn-4"])
def test_exponential_first_layer_activation(preset):
    """Koo & Ploenzke 2021: exp after the first convolution (only there); saved, loaded, explained."""
    from deemo_gui.core.networks.layers import Exp

    model = build_network(preset, input_length=200, first_layer_activation="exp").eval()
    exps = [m for m in model.modules() if isinstance(m, Exp)]
    assert len(exps) == 1 and model.first_activation is exps[0]
    assert list(model.features).index(exps[0]) == (2 if preset.startswith("koo") else 1)  # right after conv 1
    X = one_hot(3, 200)
    with torch.no_grad():
        conv_out = model.first_conv(X)
        if preset.startswith("koo"):
            conv_out = model.features[1](conv_out)  # batch norm before the activation, as in their code
        torch.testing.assert_close(model.first_activation(conv_out), torch.exp(conv_out))
        assert torch.isfinite(model(X)).all()
    with pytest.raises(ConfigError, match="one of relu, exp"):
        build_network(preset, first_layer_activation="tanh")
