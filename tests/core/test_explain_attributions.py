"""Saliency, guided backpropagation, ISM and integrated gradients against independent oracles:
Captum (Saliency, InputXGradient, GuidedBackprop, IntegratedGradients) and brute-force loops."""

import warnings

import numpy as np
import pytest
import torch
from captum.attr import GuidedBackprop, InputXGradient, IntegratedGradients, Saliency

from deemo_gui.core.errors import ConfigError, DataError
from deemo_gui.core.explain.integrated_gradients import shuffled_baselines
from deemo_gui.core.networks import build_network, list_presets
from deemo_gui.core.sequences import one_hot, read_sequences
from deemo_gui.explain import guided, integrated_gradients, ism, position_saliency, saliency, saliency_logo

PRESETS = list_presets()
LENGTH = 101


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def X(data_dir):
    """Six real REST ChIP-seq peaks (101 bp), one with two unknown bases."""
    seqs = read_sequences(data_dir / "deepbind_encode" / "REST_GM12878_B.seq.gz").seqs[:6]
    seqs[2] = seqs[2][:40] + "NN" + seqs[2][42:]
    return torch.from_numpy(one_hot(seqs))


def net(preset, n_tasks=2, length=LENGTH, seed=0):
    torch.manual_seed(seed)
    return build_network(preset, n_tasks=n_tasks, input_length=length).eval()


def captum(method_cls, model, X, target, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return method_cls(model).attribute(X.clone().requires_grad_(True), target=target, **kw).detach().numpy()


@pytest.mark.parametrize("preset", PRESETS)
def test_saliency_equals_captum(preset, X):
    model = net(preset)
    grad = saliency(model, X, target=1, kind="gradient", batch_size=4)
    gxi = saliency(model, X, target=1)
    np.testing.assert_allclose(grad, captum(Saliency, model, X, 1, abs=False), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(gxi, captum(InputXGradient, model, X, 1), rtol=1e-5, atol=1e-7)
    assert grad.shape == gxi.shape == tuple(X.shape) and grad.dtype == np.float32
    assert np.abs(grad).sum() > 0
    # the other task has another gradient: target is really used
    assert not np.allclose(saliency(model, X, target=0, kind="gradient"), grad)


@pytest.mark.parametrize("preset", PRESETS)
def test_guided_equals_captum(preset, X):
    model = net(preset)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ours = guided(model, X, target=1, batch_size=5)
    np.testing.assert_allclose(ours, captum(GuidedBackprop, model, X, 1), rtol=1e-5, atol=1e-7)
    plain = saliency(model, X, target=1, kind="gradient")
    has_relu = any(isinstance(m, torch.nn.ReLU) for m in model.modules())
    if has_relu:  # guided backprop really changes the gradient where there are ReLUs
        assert not np.allclose(ours, plain, atol=1e-6)
    else:  # rnn presets: no ReLU, so the plain gradient, with a warning saying so
        np.testing.assert_allclose(ours, plain, rtol=1e-6, atol=1e-8)
        assert any("no nn.ReLU" in str(w.message) for w in caught)


def test_signed_saliency_is_the_mean_centred_gradient(X):
    model = net("cnn")
    grad = captum(Saliency, model, X, 0, abs=False)
    signed = saliency(model, X, kind="signed")
    np.testing.assert_allclose(signed, grad - grad.mean(axis=1, keepdims=True), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(signed.sum(axis=1), 0, atol=1e-6)


def test_position_saliency_is_the_dashboard_track(X):
    model = net("cnn-small")
    gxi = saliency(model, X)
    track = position_saliency(gxi)
    grad = captum(Saliency, model, X, 0, abs=False)
    observed = (np.abs(grad) * X.numpy()).sum(axis=1)  # DeMo code: abs(inputGrads) * X
    np.testing.assert_allclose(track, observed, rtol=1e-5, atol=1e-8)
    assert track.shape == (len(X), LENGTH)
    assert np.all(track[2, 40:42] == 0)  # unknown bases get no saliency


def test_mode_and_device_are_restored_and_dropout_is_off(X):
    model = net("cnn").train()
    eval_result = saliency(net("cnn"), X)
    result = saliency(model, X, device="cpu")
    assert model.training  # restored
    assert next(model.parameters()).device.type == "cpu"
    np.testing.assert_array_equal(result, eval_result)  # computed in eval mode (no dropout)
    assert all(p.grad is None for p in model.parameters())  # parameters' gradients untouched


def test_batch_size_does_not_change_results(X):
    model = net("koo-cnn-25")  # batch norm: only independent of the batch in eval mode
    np.testing.assert_allclose(saliency(model, X, batch_size=1), saliency(model, X, batch_size=256), atol=1e-6)


def test_numpy_single_sequence_and_errors(X):
    model = net("deepbind", n_tasks=1)
    one = saliency(model, X[0].numpy())
    np.testing.assert_allclose(one, saliency(model, X[:1]), atol=1e-7)
    with pytest.raises(ConfigError, match="target"):
        saliency(model, X, target=1)
    with pytest.raises(ConfigError, match="kind"):
        saliency(model, X, kind="abs")
    with pytest.raises(DataError, match=r"\(N, 4, L\)"):
        saliency(model, np.zeros((2, 5, 10)))


# --- saliency logo --------------------------------------------------------------------------


def test_saliency_logo_matches_koo_normalize_pwm():
    rng = np.random.default_rng(0)
    attr = rng.normal(size=(3, 4, 12))
    heights = saliency_logo(attr, lam=3.0)
    for a, h in zip(attr, heights):
        # Koo & Eddy, deepomics/utils.py normalize_pwm(W, factor=3) then seq_logo's IC scaling
        p = np.exp(a / np.max(np.abs(a)) * 3)
        p = p / np.outer(np.ones(4), np.sum(np.abs(p), axis=0))
        ic = np.log2(4) + np.sum(p * np.log2(p), axis=0)
        np.testing.assert_allclose(h, p * ic, rtol=1e-5)


def test_saliency_logo_hand_computed_column():
    attr = np.zeros((1, 4, 2))
    attr[0, 0, 0] = 1.0  # A salient at position 0; position 1 all zero -> uniform, no height
    h = saliency_logo(attr)
    pa = np.e**3 / (np.e**3 + 3)
    po = 1 / (np.e**3 + 3)
    ic = 2 + pa * np.log2(pa) + 3 * po * np.log2(po)
    assert h[0, 0, 0] == pytest.approx(pa * ic, rel=1e-5) == pytest.approx(1.0759, abs=1e-3)
    np.testing.assert_allclose(h[0, :, 1], 0, atol=1e-7)
    assert np.all(saliency_logo(np.zeros((2, 4, 5))) == 0)


# --- in-silico mutagenesis ------------------------------------------------------------------


def brute_force_ism(model, X, target, start, end, output):
    f = (lambda z: torch.sigmoid(z)) if output == "prob" else (lambda z: z)
    out = np.zeros(X.shape, dtype=np.float64)
    with torch.no_grad():
        for i in range(len(X)):
            ref = float(f(model(X[i : i + 1])[0, target]))
            for j in range(start, end):
                for b in range(4):
                    if X[i, b, j] == 1:
                        continue
                    x = X[i : i + 1].clone()
                    x[0, :, j] = 0
                    x[0, b, j] = 1
                    out[i, b, j] = float(f(model(x)[0, target])) - ref
    return out


@pytest.mark.parametrize(
    "preset,output",
    [("cnn", "logit"), ("rnn", "prob"), ("deepbind", "logit"), ("koo-cnn-25", "prob"), ("cnn-rnn-small", "logit")],
)
def test_ism_equals_brute_force(preset, output, X):
    model = net(preset)
    Xs = X[1:4]  # includes the sequence with NN at 40..41
    ours = ism(model, Xs, target=1, start=30, end=50, output=output, batch_size=37)
    expected = brute_force_ism(model, Xs, 1, 30, 50, output)
    np.testing.assert_allclose(ours, expected, rtol=1e-4, atol=1e-6)
    assert np.all(ours[:, :, :30] == 0) and np.all(ours[:, :, 50:] == 0)
    assert np.all(ours[Xs.numpy() == 1] == 0)  # reference letters
    assert np.all(ours[1, :, 40:42] != 0)  # at N all four letters are substitutions
    assert np.count_nonzero(ours[0]) == 3 * 20


def test_ism_window_errors(X):
    with pytest.raises(ConfigError, match="window"):
        ism(net("cnn"), X, start=50, end=40)
    with pytest.raises(ConfigError, match="output"):
        ism(net("cnn"), X, output="odds")


# --- integrated gradients -------------------------------------------------------------------


@pytest.mark.parametrize("preset", ["cnn", "rnn", "deepbind", "demo"])
def test_integrated_gradients_uniform_equals_captum(preset, X):
    model = net(preset)
    ours = integrated_gradients(model, X, target=1, n_steps=20, batch_size=64)
    theirs = captum(IntegratedGradients, model, X, 1, baselines=torch.full_like(X, 0.25), n_steps=20)
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-6)


def test_integrated_gradients_shuffle_is_the_mean_over_shuffles(X):
    model = net("cnn-small")
    ours = integrated_gradients(model, X, baseline="shuffle", n_baselines=3, n_steps=10, seed=7)
    bases = shuffled_baselines(X, 3, seed=7)
    # the shuffles keep each sequence's dinucleotide counts
    assert torch.equal(bases.sum(dim=3), X.sum(dim=2).expand(3, -1, -1))
    theirs = np.mean([captum(IntegratedGradients, model, X, 0, baselines=b, n_steps=10) for b in bases], axis=0)
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-6)


def test_integrated_gradients_completeness(X):
    model = net("rnn")  # smooth (sigmoid/tanh): the Gauss-Legendre integral is very accurate
    with torch.no_grad():
        model.rnn_head.output.weight.mul_(50)  # scores of a few units, not ~0
    attr, delta = integrated_gradients(model, X, n_steps=50, return_delta=True)
    with torch.no_grad():
        diff = (model(X)[:, 0] - model(torch.full_like(X, 0.25))[:, 0]).numpy()
    assert np.abs(diff).max() > 0.5
    np.testing.assert_allclose(attr.sum(axis=(1, 2)), diff, rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(delta, attr.sum(axis=(1, 2)) - diff, atol=1e-4)


def test_integrated_gradients_warns_when_completeness_fails(X):
    model = net("cnn")
    with torch.no_grad():
        model.output.weight.mul_(1000)
    with pytest.warns(UserWarning, match="completeness"):
        integrated_gradients(model, X[:2], n_steps=1)
