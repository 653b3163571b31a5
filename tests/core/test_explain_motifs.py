"""Filter PWMs (Koo & Eddy 2019) and motif extraction (DeMo Dashboard sec. 3.4): a filter planted
with a real JASPAR matrix is recovered; the methods find the homeobox core in models trained on ALX4."""

import numpy as np
import pytest
import torch
from _explain_models import alx4_held_out, alx4_model

from deemo_gui.core.errors import ConfigError, DataError
from deemo_gui.core.explain.extract import best_windows, saliency_window_starts, temporal_window_starts
from deemo_gui.core.motifs import JasparDB, compare
from deemo_gui.core.networks import build_network
from deemo_gui.explain import (
    activation_pwms,
    extract_motifs,
    filter_pwms,
    first_layer_activations,
    motif_from_saliency,
    motif_from_temporal,
)

L = 101
N = 400


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def ctcf():
    return JasparDB("JASPAR2024").get("MA0139")  # CTCF, 15 columns


@pytest.fixture(scope="module")
def planted(ctcf):
    """Uniform random sequences, half with one CTCF site sampled from the matrix; a CNN whose
    filter 0 is the CTCF log-odds matrix with a bias that lets only good matches through."""
    rng = np.random.default_rng(0)
    seqs = rng.integers(0, 4, (N, L))
    starts = rng.integers(0, L - ctcf.width, N // 2)
    for i, s in enumerate(starts):
        seqs[i, s : s + ctcf.width] = [rng.choice(4, p=ctcf.probs[:, c]) for c in range(ctcf.width)]
    X = np.eye(4, dtype=np.float32)[seqs].transpose(0, 2, 1).copy()
    torch.manual_seed(0)
    model = build_network("cnn-small", 1, L, kernel_sizes=[ctcf.width, 5]).eval()
    with torch.no_grad():
        lo = torch.tensor(ctcf.log_odds(), dtype=torch.float32)
        model.first_conv.weight[0] = lo
        model.first_conv.bias[0] = -0.5 * float(lo.max(dim=0).values.sum())
    return model, X, starts


def corr(a, b):
    return float(np.corrcoef(np.asarray(a).ravel(), np.asarray(b).ravel())[0, 1])


def test_first_layer_activations_are_the_relu_of_the_convolution(planted):
    model, X, starts = planted
    acts = first_layer_activations(model, X[:7], batch_size=3)
    with torch.no_grad():
        expected = torch.relu(model.first_conv(torch.from_numpy(X[:7]))).numpy()
    np.testing.assert_allclose(acts, expected, atol=1e-5)
    # the planted filter peaks where the planted site is centred
    centre = starts[:7] + (model.first_conv.kernel_size[0] - 1) // 2
    active = acts[:, 0, :].max(axis=1) > 0
    assert active.sum() >= 5
    assert np.array_equal(acts[active, 0, :].argmax(axis=1), centre[active])


def test_planted_filter_is_recovered(planted, ctcf):
    model, X, _ = planted
    pwms = filter_pwms(model, X, trim_ic=None)
    f0 = next(p for p in pwms if p.id == "filter0")
    assert f0.width == ctcf.width and f0.nsites >= N // 4
    assert corr(f0.probs, ctcf.probs) > 0.95
    assert f0.consensus() == ctcf.consensus()
    # shifted by one column the match is much worse: the alignment is exact
    assert corr(f0.probs[:, 1:], ctcf.probs[:, :-1]) < 0.6
    # Tomtom against JASPAR CORE vertebrates: the best match is a CTCF matrix
    best = compare([f0.trim()], JasparDB("JASPAR2024").all()).iloc[0]
    assert best["target_name"] == "CTCF" and best["q"] < 0.01


def test_filter_threshold_and_options(planted, ctcf):
    model, X, _ = planted
    loose = {p.id: p for p in filter_pwms(model, X, threshold=0.0, trim_ic=None)}
    strict = {p.id: p for p in filter_pwms(model, X, threshold=0.7, trim_ic=None)}  # Koo & Eddy's text: 70%
    assert strict["filter0"].nsites < loose["filter0"].nsites
    wide = {p.id: p for p in filter_pwms(model, X, trim_ic=None, window=ctcf.width + 4)}["filter0"]
    assert wide.width == ctcf.width + 4 and corr(wide.probs[:, 2:-2], ctcf.probs) > 0.95
    trimmed = {p.id: p for p in filter_pwms(model, X)}["filter0"]
    assert trimmed.width <= ctcf.width
    unweighted = {p.id: p for p in filter_pwms(model, X, weighted=False, trim_ic=None)}["filter0"]
    assert corr(unweighted.probs, ctcf.probs) > 0.9
    assert all(p.nsites >= 10 for p in loose.values())
    with pytest.raises(ConfigError, match="threshold"):
        filter_pwms(model, X, threshold=1.5)
    with pytest.raises(ConfigError, match="first convolution"):
        filter_pwms(build_network("rnn", 1, L), X)


def test_activation_baseline_recovers_the_planted_filter(planted, ctcf):
    model, X, _ = planted
    pwms = activation_pwms(model, X)
    a0 = next(p for p in pwms if p.id == "activation0")
    with torch.no_grad():
        peak = model.first_conv(torch.from_numpy(X))[:, 0].max(dim=1).values.numpy()
    assert a0.nsites == (peak > 0).sum() and a0.nsites > N // 4
    assert corr(a0.probs, ctcf.probs) > 0.95


def test_best_windows():
    track = np.zeros((2, 20))
    track[0, 5:9] = 1
    track[1, 15:20] = 2
    track[1, 0] = 3
    np.testing.assert_array_equal(best_windows(track, 4), [5, 15])


def test_saliency_motif_mechanics():
    """Given a saliency map, the window with the largest summed |map| of each sequence is counted."""
    rng = np.random.default_rng(1)
    seqs = rng.integers(0, 4, (30, 25))
    X = np.eye(4, dtype=np.float32)[seqs].transpose(0, 2, 1).copy()
    starts = rng.integers(0, 25 - 5, 30)
    attr = rng.normal(scale=0.1, size=X.shape) * X
    for i, s in enumerate(starts):
        attr[i, :, s : s + 5] = -2.0 * X[i, :, s : s + 5]  # sign does not matter: magnitude counts
    pwm = motif_from_saliency(X, attr=attr, width=5)
    np.testing.assert_array_equal(saliency_window_starts(attr, 5), starts)
    counts = sum(X[i, :, s : s + 5] for i, s in enumerate(starts))
    np.testing.assert_allclose(pwm.counts, counts)
    np.testing.assert_allclose(pwm.probs, (counts + 0.01) / (30 + 0.04))


def test_temporal_motif_at_the_negative_to_positive_switch():
    """The paper's rule: the window ends where P(+) crosses 0.5 from below (the largest such step);
    a switch in the first `width` positions is the start transient, not a motif."""
    rng = np.random.default_rng(3)
    X = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (5, 40))].transpose(0, 2, 1).copy()
    forward = np.full((5, 40), 0.2)
    forward[0, 25:] = 0.7  # one switch at 25: window 17..25
    forward[1, 2:] = 0.9  # a start transient only (switch at 2 < 9): left out
    forward[1, 5:] = 0.3
    forward[2, :] = 0.1
    forward[2, 3:6] = 0.95  # transient at 3, then a real switch at 30 with a smaller step than the transient
    forward[2, 30:] = 0.6
    forward[3, 12:] = 0.45  # a large rise that stays negative (12), then a small switch at 20
    forward[3, 20:] = 0.55
    forward[4, 15:] = 0.6  # switches at 15 (+0.4) and, after a dip, at 33 (+0.5): the larger step wins
    forward[4, 20:] = 0.3
    forward[4, 33:] = 0.8
    starts = temporal_window_starts(forward, 9)
    np.testing.assert_array_equal(starts, [17, -1, 22, 12, 25])
    # the earlier rule: the largest rise anywhere, clamped; the transient wins in sequences 1 and 2
    np.testing.assert_array_equal(temporal_window_starts(forward, 9, rule="largest-rise"), [17, 0, 0, 4, 25])
    pwm = motif_from_temporal(X, forward=forward, width=9)
    assert pwm.nsites == 4 and "4 of 5 sequences" in pwm.source
    counts = sum(X[i, :, s : s + 9] for i, s in zip((0, 2, 3, 4), (17, 22, 12, 25)))
    np.testing.assert_allclose(pwm.counts, counts)
    with pytest.raises(DataError, match="switches"):
        motif_from_temporal(X[1:2], forward=forward[1:2], width=9)
    with pytest.raises(ConfigError, match="rule"):
        temporal_window_starts(forward, 9, rule="steepest")


def test_temporal_motif_mechanics():
    """rule="largest-rise": windows end at the largest rise of the forward score; near the start they are clamped."""
    rng = np.random.default_rng(2)
    seqs = rng.integers(0, 4, (3, 30))
    X = np.eye(4, dtype=np.float32)[seqs].transpose(0, 2, 1).copy()
    forward = np.full((3, 30), 0.1)
    forward[0, 20:] = 0.9  # rise at 20: window 12..20
    forward[1, 3:] = 0.8  # rise at 3: window clamped to 0..8
    forward[2, 10:] = 0.5
    forward[2, 25:] = 0.95  # rises at 10 (+0.4) and 25 (+0.45): the larger wins, window 17..25
    pwm = motif_from_temporal(X, forward=forward, width=9, rule="largest-rise")
    np.testing.assert_array_equal(temporal_window_starts(forward, 9, rule="largest-rise"), [12, 0, 17])
    counts = X[0, :, 12:21] + X[1, :, 0:9] + X[2, :, 17:26]
    np.testing.assert_allclose(pwm.counts, counts)


@pytest.fixture(scope="module")
def alx4_sites():
    """Held-out round-4 reads and where JASPAR's ALX4 matrix (MA0853) scores best in each (either strand)."""
    from deemo_gui.core.motifs.scan import position_scores

    alx4 = JasparDB("JASPAR2024").get("MA0853")
    X = alx4_held_out(300)
    start = position_scores(alx4, X).max(axis=1).argmax(axis=1)
    return X, start, alx4.width


def test_saliency_windows_sit_on_the_jaspar_alx4_sites(alx4_sites):
    X, site, w_site = alx4_sites
    model = alx4_model("cnn-small")
    pwm = motif_from_saliency(X, model=model)  # the paper's 9-mers
    assert pwm.width == 9 and pwm.nsites == len(X)
    from deemo_gui.explain import position_saliency, saliency

    starts = best_windows(position_saliency(saliency(model, X)), 9)
    near = np.abs((starts + 4.5) - (site + w_site / 2)) <= 2
    chance = np.abs((np.random.default_rng(0).integers(0, 20 - 9 + 1, len(X)) + 4.5) - (site + w_site / 2)) <= 2
    assert near.mean() > chance.mean() + 0.15, (near.mean(), chance.mean())


def test_temporal_windows_end_at_fixed_offsets_of_the_jaspar_alx4_sites(alx4_sites):
    """The rises of the forward score sit at a few fixed offsets from the JASPAR site (where the
    LSTM has read the homeobox core), far more concentrated than windows placed at random."""
    from deemo_gui.explain import temporal

    X, site, _ = alx4_sites
    forward, _ = temporal(alx4_model("rnn-small"), X)
    end = np.diff(forward, axis=1).argmax(axis=1) + 1
    random_end = np.random.default_rng(0).integers(1, 20, len(X))

    def top3(offsets):
        return np.sort(np.unique(offsets, return_counts=True)[1])[-3:].sum() / len(offsets)

    assert top3(end - site) > top3(random_end - site) + 0.2, (top3(end - site), top3(random_end - site))
    pwm = motif_from_temporal(X, forward=forward)
    assert pwm.width == 9 and pwm.total_ic > 2


def test_extract_motifs_dispatch(planted):
    model, X, _ = planted
    assert [p.id for p in extract_motifs(model, "saliency", X[:20], width=9)] == ["saliency"]
    assert len(extract_motifs(model, "filters", X, trim_ic=None)) >= 1
    with pytest.raises(ConfigError, match="needs sequences"):
        extract_motifs(model, "filters")
    with pytest.raises(ConfigError, match="recurrent"):
        extract_motifs(model, "temporal", X[:5])
    with pytest.raises(ConfigError, match="width"):
        extract_motifs(model, "saliency", X[:5], width=0)


def test_even_kernel_windows_are_aligned(planted, ctcf):
    """PyTorch's "same" padding puts the extra column of an even kernel on the right."""
    _, X, _ = planted
    W = ctcf.width - 1  # 14 columns
    torch.manual_seed(0)
    model = build_network("deepbind", 1, L, motif_length=W).eval()
    with torch.no_grad():
        lo = torch.tensor(ctcf.log_odds()[:, :W], dtype=torch.float32)
        model.first_conv.weight[0] = lo
        model.first_conv.bias[0] = -0.5 * float(lo.max(dim=0).values.sum())
    f0 = {p.id: p for p in filter_pwms(model, X, trim_ic=None)}["filter0"]
    assert f0.width == W and corr(f0.probs, ctcf.probs[:, :W]) > 0.95
    a0 = {p.id: p for p in activation_pwms(model, X)}["activation0"]
    assert corr(a0.probs, ctcf.probs[:, :W]) > 0.95
