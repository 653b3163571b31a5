"""DeepLIFT/SHAP against tangermeme's `deep_lift_shap` (the field's reference implementation) and
the completeness property, on models trained on real ALX4 SELEX reads and the shipped zoo."""

import copy
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from _explain_models import alx4_held_out, alx4_model
from tangermeme.deep_lift_shap import BilinearOp
from tangermeme.deep_lift_shap import deep_lift_shap as tangermeme_dls

from deemo_gui.core.errors import ConfigError, DataError
from deemo_gui.core.explain.deeplift import (
    RECURRENT_MESSAGE,
    TOLERANCE,
    shuffled_references,
)
from deemo_gui.core.modelfile import load_model
from deemo_gui.core.networks import build_network
from deemo_gui.core.networks.layers import Highway
from deemo_gui.core.sequences import one_hot, read_sequences
from deemo_gui.explain import deep_lift_shap

MODELS = Path(__file__).resolve().parents[2] / "models"


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def rest(data_dir):
    """Twenty real REST ChIP-seq peaks (101 bp), one with two unknown bases."""
    seqs = read_sequences(data_dir / "deepbind_encode" / "REST_GM12878_B.seq.gz").seqs[:20]
    seqs[2] = seqs[2][:40] + "NN" + seqs[2][42:]
    return torch.from_numpy(one_hot(seqs))


def logits(model, X, target=0):
    with torch.no_grad():
        return model(torch.as_tensor(X, dtype=torch.float32))[:, target].numpy()


def for_tangermeme(model, length):
    """The same network with tangermeme's modules where ours have none: global max pools as MaxPool1d
    over the whole input (tangermeme has no AdaptiveMaxPool1d rule), highway products as BilinearOp."""
    net = copy.deepcopy(model)
    sizes = {}
    hooks = [
        m.register_forward_pre_hook(lambda m, i: sizes.__setitem__(id(m), i[0].shape[-1]))
        for m in net.modules()
        if isinstance(m, torch.nn.AdaptiveMaxPool1d)
    ]
    with torch.no_grad():
        net(torch.zeros(1, 4, length))
    for h in hooks:
        h.remove()
    for parent in list(net.modules()):
        for name, child in parent.named_children():
            if isinstance(child, torch.nn.AdaptiveMaxPool1d):
                setattr(parent, name, torch.nn.MaxPool1d(sizes[id(child)]))
        if isinstance(parent, Highway):
            parent.mul_h, parent.mul_c = BilinearOp("...,...->..."), BilinearOp("...,...->...")

            def forward(x, self=parent):
                t = self.sigmoid(self.gate(x))
                return self.mul_h(t, self.relu(self.transform(x))) + self.mul_c(1 - t, x)

            parent.forward = forward
    return net


def tangermeme(model, X, refs=None, target=0, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kw = {"references": refs} if refs is not None else kw
        return tangermeme_dls(
            for_tangermeme(model, X.shape[-1]),
            torch.as_tensor(X),
            target=target,
            device="cpu",
            batch_size=100,
            only_warn=True,
            **kw,
        ).numpy()


def pearson_rows(a, b):
    a, b = a.sum(axis=1), b.sum(axis=1)  # per-position attribution (N, L)
    return np.array([np.corrcoef(x, y)[0, 1] for x, y in zip(a, b)])


def test_completeness_on_trained_cnn():
    model = alx4_model("cnn-small")
    X = alx4_held_out(100)
    refs = shuffled_references(X, 20, seed=3)
    attr, delta = deep_lift_shap(model, X, references=refs, return_delta=True)
    expected = logits(model, X) - logits(model, refs.reshape(-1, 4, X.shape[-1])).reshape(len(X), 20).mean(1)
    np.testing.assert_allclose(attr.sum(axis=(1, 2)), expected, atol=TOLERANCE)
    assert np.abs(delta).max() < TOLERANCE
    assert np.abs(expected).mean() > 1.0  # a real signal, not 0 = 0
    assert np.all(attr[X == 0] == 0)  # placed on the observed letter only


def test_completeness_on_shipped_highway_model(rest):
    model = load_model(MODELS / "REST_GM12878_demo.safetensors")
    assert any(isinstance(m, Highway) for m in model.modules())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no convergence warning
        attr, delta = deep_lift_shap(model, rest, return_delta=True)
    assert np.abs(delta).max() < TOLERANCE
    assert np.all(attr[2, :, 40:42] == 0)  # unknown bases: N in every reference too, no attribution


@pytest.mark.parametrize("preset", ["cnn", "deepbind", "koo-cnn-25", "demo"])
def test_equals_tangermeme_with_the_same_references(preset, rest):
    torch.manual_seed(0)
    model = build_network(preset, n_tasks=2, input_length=101).eval()
    refs = shuffled_references(rest, 8, seed=1)
    ours = deep_lift_shap(model, rest, target=1, references=refs)
    theirs = tangermeme(model, rest, refs, target=1)
    np.testing.assert_allclose(ours, theirs, atol=1e-6)
    hyp = deep_lift_shap(model, rest, target=1, references=refs, hypothetical=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs_hyp = tangermeme_dls(
            for_tangermeme(model, 101), rest, target=1, references=refs, device="cpu", only_warn=True, hypothetical=True
        ).numpy()
    np.testing.assert_allclose(hyp, theirs_hyp, atol=1e-6)
    np.testing.assert_allclose(hyp * rest.numpy(), ours, atol=1e-7)


def test_agrees_with_tangermeme_on_trained_cnn():
    """Same references: r >= 0.999 for every read (the engines agree). With tangermeme's own
    shuffles (another random draw of 20) the maps differ only as much as two of our seeds do."""
    model = alx4_model("cnn-small")
    X = torch.from_numpy(alx4_held_out(100))
    refs = shuffled_references(X, 20)
    ours = deep_lift_shap(model, X, references=refs)
    assert pearson_rows(ours, tangermeme(model, X, refs)).min() >= 0.999
    own = pearson_rows(ours, tangermeme(model, X, n_shuffles=20, random_state=0))
    seeds = pearson_rows(ours, deep_lift_shap(model, X, seed=1))
    assert np.median(own) >= np.median(seeds) - 0.03 and np.median(own) > 0.85


def test_recurrent_models_are_refused():
    for preset in ("rnn", "cnn-rnn"):
        model = build_network(preset, n_tasks=1, input_length=50).eval()
        with pytest.raises(ConfigError, match="LSTM") as err:
            deep_lift_shap(model, np.zeros((1, 4, 50), dtype=np.float32))
        assert str(err.value) == RECURRENT_MESSAGE and "\n" not in RECURRENT_MESSAGE
        assert "integrated gradients, ISM or saliency" in RECURRENT_MESSAGE


def test_model_untouched_and_reproducible(rest):
    model = build_network("demo", n_tasks=1, input_length=101).train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    a = deep_lift_shap(model, rest, n_shuffles=5, seed=7)
    assert model.training and all(p.grad is None for p in model.parameters())
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert all(type(m).__name__ != "Rescale" for m in model.modules())
    # a sequence's references depend on the seed and its text, not on the other sequences or the batch
    np.testing.assert_allclose(deep_lift_shap(model, rest[5:6], n_shuffles=5, seed=7), a[5:6], atol=1e-6)
    np.testing.assert_allclose(deep_lift_shap(model, rest, n_shuffles=5, seed=7, batch_size=3), a, atol=1e-6)
    assert not np.allclose(deep_lift_shap(model, rest[:3], n_shuffles=5, seed=8), a[:3])


def test_shuffled_references_keep_dinucleotides(rest):
    refs = shuffled_references(rest[:3], 4, seed=0)
    assert refs.shape == (3, 4, 4, 101)
    x = rest[0].numpy()
    for r in refs[0].numpy():
        assert not np.array_equal(r, x)
        np.testing.assert_array_equal(
            np.einsum("il,jl->ij", x[:, :-1], x[:, 1:]), np.einsum("il,jl->ij", r[:, :-1], r[:, 1:])
        )


def test_bad_input_and_missing_rules(rest):
    model = build_network("cnn-small", n_tasks=1, input_length=101).eval()
    with pytest.raises(ConfigError, match="n_shuffles"):
        deep_lift_shap(model, rest, n_shuffles=0)
    with pytest.raises(ConfigError, match="target"):
        deep_lift_shap(model, rest, target=1)
    with pytest.raises(DataError, match="references"):
        deep_lift_shap(model, rest, references=np.zeros((2, 3, 4, 101)))
    with pytest.raises(DataError, match=r"\(N, 4, L\)"):
        deep_lift_shap(model, np.zeros((2, 5, 10)))

    class Odd(torch.nn.Module):  # a layer without a rule
        def __init__(self):
            super().__init__()
            self.conv, self.act = torch.nn.Conv1d(4, 3, 5), torch.nn.Hardtanh()

        def forward(self, x):
            return self.act(self.conv(x)).amax(dim=2)

    with pytest.raises(ConfigError, match="no rule for the Hardtanh layer"):
        deep_lift_shap(Odd(), rest)

    class Functional(torch.nn.Module):  # a nonlinearity outside any module: treated as linear, so warned
        def __init__(self):
            super().__init__()
            torch.manual_seed(0)
            self.conv = torch.nn.Conv1d(4, 8, 5)

        def forward(self, x):
            return torch.relu(self.conv(x)).amax(dim=2)

    with pytest.warns(UserWarning, match="convergence delta"):
        _, delta = deep_lift_shap(Functional(), rest, return_delta=True)
    assert np.abs(delta).max() > TOLERANCE
