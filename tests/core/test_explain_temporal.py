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
    seqs = [s[20:20 + LENGTH] for s in read_sequences(data_dir / "deepbind_encode" / "REST_GM12878_B.seq.gz").seqs[:5]]
    return torch.from_numpy(one_hot(seqs))


def naive(model, X, target, stride=1):
    """One model call per prefix and per suffix (QData/DeepMotif temporal_output_values.lua)."""
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


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("preset", ["rnn-small", "rnn-large", "cnn-rnn-small", "cnn-rnn-large"])
def test_temporal_equals_naive_loop(preset, fast, X):
    torch.manual_seed(0)
    model = build_network(preset, n_tasks=2, input_length=LENGTH).train()
    with torch.no_grad():  # larger output weights so the scores vary visibly along the sequence
        model.rnn_head.output.weight.mul_(20)
    fwd, bwd = temporal(model, X, target=1, batch_size=150, fast=fast)  # 150 rows: 2 sequences per batch
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
    fwd, bwd = temporal(model, X, fast=fast)
    nf, nb = naive(model, X, 0, stride=2)
    np.testing.assert_allclose(fwd, nf, atol=1e-5)
    np.testing.assert_allclose(bwd, nb, atol=1e-5)
    np.testing.assert_array_equal(fwd[:, 0::2], fwd[:, 1::2])  # two positions per column


def test_temporal_needs_a_recurrent_network(X):
    with pytest.raises(ConfigError, match="recurrent"):
        temporal(build_network("cnn", 1, LENGTH), X)
