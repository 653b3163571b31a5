"""Temporal output scores against the naive per-prefix / per-suffix loop of the DeMo code."""

import numpy as np
import pytest
import torch

from deemo_gui.core.errors import ConfigError
from deemo_gui.core.networks import build_network
from deemo_gui.core.sequences import one_hot, read_sequences
from deemo_gui.explain import temporal

LENGTH = 60


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def X(data_dir):
    seqs = [
        s[20 : 20 + LENGTH] for s in read_sequences(data_dir / "deepbind_encode" / "REST_GM12878_B.seq.gz").seqs[:5]
    ]
    return torch.from_numpy(one_hot(seqs))


def naive(model, X, target, stride=1):
    """One model call per prefix and per suffix, the DeMo code's way (QData/DeepMotif
    temporal_output_values.lua): a CNN-RNN's encoding of the whole sequence, sliced."""
    N, _, L = X.shape
    fwd, bwd = np.zeros((N, L)), np.zeros((N, L))
    with torch.no_grad():
        H = model.encode(X)
        for t in range(L):
            if model.preset.startswith("rnn"):  # the whole model on the sub-sequence itself
                f, b = model(X[:, :, : t + 1]), model(X[:, :, t:])
            else:  # the head on the slices of the full-sequence encoding
                f, b = model.head(H[:, :, : t // stride + 1]), model.head(H[:, :, t // stride :])
            fwd[:, t] = torch.sigmoid(f[:, target]).numpy()
            bwd[:, t] = torch.sigmoid(b[:, target]).numpy()
    return fwd, bwd


def paper_loop(model, X, target):
    """The paper's definition, one call per prefix and suffix: the whole model on x_1..x_t and x_t..x_L.
    A prefix too short for a pooling encoder takes the score of the shortest one it can read."""
    N, _, L = X.shape
    fwd, bwd = np.zeros((N, L)), np.zeros((N, L))
    k0 = 1
    with torch.no_grad():
        while True:
            try:
                model(X[:1, :, :k0])
                break
            except RuntimeError:
                k0 += 1
        for t in range(L):
            fwd[:, t] = torch.sigmoid(model(X[:, :, : max(t + 1, k0)])[:, target]).numpy()
            bwd[:, t] = torch.sigmoid(model(X[:, :, min(t, L - k0) :])[:, target]).numpy()
    return fwd, bwd


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("preset", ["rnn-small", "rnn-large", "cnn-rnn-small", "cnn-rnn-large"])
def test_temporal_paper_definition_equals_the_per_prefix_loop(preset, fast, X):
    torch.manual_seed(0)
    model = build_network(preset, n_tasks=2, input_length=LENGTH).eval()
    with torch.no_grad():
        model.rnn_head.output.weight.mul_(20)
    fwd, bwd = temporal(model, X, target=1, batch_size=150, fast=fast)  # the default: the paper's
    pf, pb = paper_loop(model, X, 1)
    np.testing.assert_allclose(fwd, pf, atol=1e-5)
    np.testing.assert_allclose(bwd, pb, atol=1e-5)
    if preset.startswith("cnn-rnn"):  # the convolution sees the prefix only: not the DeMo code's numbers
        nf, _ = naive(model, X, 1, stride=model.encoded_stride)
        assert np.abs(fwd - nf).max() > 1e-3
    else:  # no encoder: the two definitions agree
        df, db = temporal(model, X, target=1, definition="demo-code")
        np.testing.assert_allclose(fwd, df, atol=1e-5)
        np.testing.assert_allclose(bwd, db, atol=1e-5)


@pytest.mark.parametrize("preset", ["rnn-small", "cnn-rnn-small"])
def test_temporal_on_trained_models_is_the_per_prefix_loop(preset):
    """Real models (ALX4 HT-SELEX, trained for 2 epochs): paper and DeMo-code definitions, each
    against its own loop; for the CNN-RNN they differ where the kernel reaches past the prefix."""
    from _explain_models import alx4_held_out, alx4_model

    model = alx4_model(preset)
    X = torch.from_numpy(alx4_held_out(40))
    fwd, bwd = temporal(model, X, batch_size=200)
    pf, pb = paper_loop(model, X, 0)
    np.testing.assert_allclose(fwd, pf, atol=1e-5)
    np.testing.assert_allclose(bwd, pb, atol=1e-5)
    df, db = temporal(model, X, batch_size=200, definition="demo-code")
    nf, nb = naive(model, X, 0)
    np.testing.assert_allclose(df, nf, atol=1e-5)
    np.testing.assert_allclose(db, nb, atol=1e-5)
    np.testing.assert_allclose(fwd[:, -1], df[:, -1], atol=1e-5)  # the whole sequence either way
    if preset.startswith("cnn-rnn"):
        assert np.abs(fwd - df).max() > 1e-2


def test_temporal_definition_is_checked(X):
    with pytest.raises(ConfigError, match="definition"):
        temporal(build_network("rnn-small", 1, LENGTH), X, definition="lua")


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("preset", ["rnn-small", "rnn-large", "cnn-rnn-small", "cnn-rnn-large"])
def test_temporal_equals_naive_loop(preset, fast, X):
    torch.manual_seed(0)
    model = build_network(preset, n_tasks=2, input_length=LENGTH).train()
    with torch.no_grad():  # larger output weights so the scores vary visibly along the sequence
        model.rnn_head.output.weight.mul_(20)
    fwd, bwd = temporal(
        model,
        X,
        target=1,
        batch_size=150,
        fast=fast,  # 150 rows: 2 sequences per batch
        definition="demo-code",
    )
    assert model.training  # mode restored
    model.eval()
    nf, nb = naive(model, X, 1, stride=model.encoded_stride)  # cnn-rnn-large pools by 2
    np.testing.assert_allclose(fwd, nf, atol=1e-5)
    np.testing.assert_allclose(bwd, nb, atol=1e-5)
    assert fwd.shape == bwd.shape == (len(X), LENGTH) and fwd.dtype == np.float32
    # the last prefix and the first suffix are the whole sequence
    with torch.no_grad():
        whole = torch.sigmoid(model(X)[:, 1]).numpy()
    np.testing.assert_allclose(fwd[:, -1], whole, atol=1e-5)
    np.testing.assert_allclose(bwd[:, 0], whole, atol=1e-5)
    assert np.ptp(fwd, axis=1).min() > 1e-3  # not a constant: prefixes really differ


def test_fast_path_is_taken_for_one_layer_heads():
    from deemo_gui.core.explain.temporal import _fast_head

    assert _fast_head(build_network("rnn", 1, LENGTH)) is not None
    assert _fast_head(build_network("cnn-rnn", 1, LENGTH)) is not None
    assert _fast_head(build_network("rnn-large", 1, LENGTH)) is None  # two layers: general path


@pytest.mark.parametrize("fast", [True, False])
def test_encoded_stride_maps_columns_to_positions(fast, X):
    """An encoder that pools by 2: input position t uses encoded column t // 2."""
    torch.manual_seed(1)
    model = build_network("cnn-rnn-small", n_tasks=1, input_length=LENGTH).eval()
    features = model.features
    pool = torch.nn.MaxPool1d(2)
    model.encode = lambda x: pool(features(x))
    model.encoded_stride = 2
    with torch.no_grad():
        model.rnn_head.output.weight.mul_(20)
    fwd, bwd = temporal(model, X, fast=fast, definition="demo-code")
    nf, nb = naive(model, X, 0, stride=2)
    np.testing.assert_allclose(fwd, nf, atol=1e-5)
    np.testing.assert_allclose(bwd, nb, atol=1e-5)
    np.testing.assert_array_equal(fwd[:, 0::2], fwd[:, 1::2])  # two positions per column


def test_temporal_needs_a_recurrent_network(X):
    with pytest.raises(ConfigError, match="recurrent"):
        temporal(build_network("cnn", 1, LENGTH), X)
