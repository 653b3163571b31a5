"""Class optimization (DeMo Dashboard sec. 3.3) on a model trained on real ALX4 SELEX data."""

import numpy as np
import pytest
import torch
from _explain_models import alx4_model

from deemo_gui.core.errors import ConfigError
from deemo_gui.core.explain.classopt import to_pwm_probs
from deemo_gui.core.motifs import PWM
from deemo_gui.explain import (
    ClassOptProgress,
    ClassOptResult,
    class_optimization,
    class_optimization_steps,
    motif_from_class_optimization,
)


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def model():
    return alx4_model("cnn-small")


@pytest.fixture(scope="module")
def result(model):
    return class_optimization(model, steps=200, restarts=3, seed=0)


def test_probability_rises(result, model):
    h = result.history
    assert h.shape == (3, 201)
    assert h[:, 0].max() < 0.5  # random starts look like unselected reads
    assert result.score > 0.95 and result.score == pytest.approx(h[result.restart, -1], abs=1e-6)
    best = h[result.restart]
    assert best[-1] > best[0] + 0.5
    smooth = np.convolve(best, np.ones(5) / 5, mode="valid")
    assert np.mean(np.diff(smooth) >= -1e-3) > 0.95  # essentially monotone once smoothed
    # the final raw input really scores that high
    with torch.no_grad():
        p = torch.sigmoid(model(torch.from_numpy(result.X)[None])[0, 0]).item()
    assert p == pytest.approx(result.score, abs=1e-5)


def test_result_pwm_and_homeobox_core(result):
    assert isinstance(result, ClassOptResult) and isinstance(result.pwm, PWM)
    assert result.pwm.probs.shape == (4, 20)
    np.testing.assert_allclose(result.pwm.probs.sum(axis=0), 1.0, atol=1e-9)
    assert result.consensus_score > 0.9  # the PWM's consensus is itself a strong positive
    core = motif_from_class_optimization(result, width=6)
    assert core.width == 6
    consensus = result.pwm.consensus()
    assert "AATTA" in consensus or "TAATT" in consensus, consensus


def test_consensus_score_is_the_one_hot_argmax_sequence(result, model):
    """P(+) reported for the DNA sequence the optimisation points to, not only for the relaxed input."""
    onehot = torch.zeros(1, 4, result.X.shape[1])
    onehot[0, torch.from_numpy(result.X).argmax(dim=0), torch.arange(result.X.shape[1])] = 1.0
    with torch.no_grad():
        p = torch.sigmoid(model(onehot)[0, 0]).item()
    assert result.consensus_score == pytest.approx(p, abs=1e-6)
    assert f"{result.consensus_score:.3f} of its one-hot consensus" in result.pwm.source
    assert f"{result.score:.3f} of the relaxed input" in result.pwm.source


def test_pwm_post_processing_of_the_demo_code():
    X = np.array([[2.0, 0.2, -1.0], [0.5, 0.2, -1.0], [0.0, 0.4, -1.0], [-3.0, 0.0, -1.0]])
    p = to_pwm_probs(X)
    # clamp to [0, 1], divide by the max (1), + 0.01, normalise columns; an all-zero column -> uniform
    first = np.array([1.0, 0.5, 0.0, 0.0]) + 0.01
    np.testing.assert_allclose(p[:, 0], first / first.sum())
    second = np.array([0.2, 0.2, 0.4, 0.0]) + 0.01
    np.testing.assert_allclose(p[:, 1], second / second.sum())
    np.testing.assert_allclose(p[:, 2], 0.25)


def test_restarts_are_independent_and_seeded(model):
    single = class_optimization(model, steps=30, restarts=1, seed=3)
    batch = class_optimization(model, steps=30, restarts=2, seed=3)
    np.testing.assert_allclose(batch.history[0], single.history[0], atol=1e-5)  # restart 0 == run alone
    assert not np.allclose(batch.history[1], batch.history[0])


def test_generator_progress_and_cancel(model):
    model.zero_grad(set_to_none=True)
    model.train()
    gen = class_optimization_steps(model, steps=100, every=25)
    items = [next(gen) for _ in range(3)]
    assert [i.step for i in items] == [0, 25, 50]
    assert all(isinstance(i, ClassOptProgress) and i.pwm.shape == (4, 20) for i in items)
    assert not model.training  # eval while optimising
    gen.close()  # cancel
    assert model.training  # restored
    model.eval()
    assert all(p.grad is None for p in model.parameters())
    items = list(class_optimization_steps(model, steps=50, every=25))
    assert [type(i).__name__ for i in items] == ["ClassOptProgress"] * 3 + ["ClassOptResult"]


def test_uniform_init_and_errors(model):
    res = class_optimization(model, steps=1, init="uniform")
    assert res.history[0, 0] == pytest.approx(torch.sigmoid(model(torch.full((1, 4, 20), 0.25))[0, 0]).item())
    with pytest.raises(ConfigError, match="steps"):
        class_optimization(model, steps=0)
    with pytest.raises(ConfigError, match="objective"):
        class_optimization(model, objective="loss")


def test_simplex_parametrization_keeps_a_pwm_and_finds_the_homeobox_core(model):
    """On the simplex the optimised input is a PWM at every step: its columns sum to 1, the PWM is
    the input itself (no rescaling), and its consensus is a strong positive with the ALX4 core."""
    res = class_optimization(model, restarts=3, seed=0, parametrization="simplex", lr=None, steps=None)
    assert res.settings["parametrization"] == "simplex" and res.settings["steps"] == 300
    np.testing.assert_allclose(res.X.sum(axis=0), 1.0, atol=1e-5)
    np.testing.assert_allclose(res.pwm.probs, res.X / res.X.sum(axis=0), atol=1e-6)
    assert res.history[res.restart, -1] > res.history[res.restart, 0] + 0.5
    assert res.consensus_score > 0.9
    consensus = res.pwm.consensus()
    assert "AATTA" in consensus or "TAATT" in consensus, consensus
    assert res.pwm.information_content().max() > 1.0  # peaked where the network looks...
    assert np.median(res.pwm.information_content()) < 1.5  # ...and flatter where it does not


def test_adam_step_is_torch_adam():
    from deemo_gui.core.explain.classopt import _adam_step

    torch.manual_seed(0)
    Z = torch.randn(2, 4, 7)
    ref = Z.clone().requires_grad_(True)
    opt = torch.optim.Adam([ref], lr=0.1)
    m, v = torch.zeros_like(Z), torch.zeros_like(Z)
    for t in range(1, 6):
        g = torch.randn_like(Z)
        ref.grad = g.clone()
        opt.step()
        _adam_step(Z, g, m, v, t, 0.1)
    torch.testing.assert_close(Z, ref.detach(), atol=1e-6, rtol=1e-5)


def test_unknown_parametrization_is_refused(model):
    with pytest.raises(ConfigError, match="parametrization must be one of demo, simplex"):
        class_optimization(model, parametrization="sphere")
