"""Class optimization is computed once ever per weights, task and settings: one service, one cache,
kept on disk so that another process (a new `ClassOptService`) reads it back."""

import os
import subprocess
import sys

import numpy as np
import torch

from deemo_gui.core.networks import build_network as build_model
from deemo_gui.viewer import analysis as A
from deemo_gui.viewer.classopt_cache import ClassOptKey, ClassOptService, key_for, weights_hash


def _drain_counting(gen):
    steps = 0
    while True:
        try:
            next(gen)
            steps += 1
        except StopIteration as stop:
            return stop.value, steps


def test_second_instance_reads_the_disk_cache(tmp_path):
    torch.manual_seed(0)
    net = build_model("cnn").eval()
    key = key_for(net, target=0, steps=20)
    first = ClassOptService(str(tmp_path))
    result, progress = _drain_counting(first.steps(net, key, every=10))
    assert progress == 3 and os.path.exists(first.path(key))
    again = ClassOptService(str(tmp_path))  # what a new process sees
    hit, progress = _drain_counting(again.steps(net, key, every=10))
    assert progress == 0  # nothing recomputed
    np.testing.assert_array_equal(hit.pwm.probs, result.pwm.probs)
    np.testing.assert_array_equal(hit.history, result.history)
    assert (hit.score, hit.consensus_score, hit.settings) == (result.score, result.consensus_score, result.settings)
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".tmp")]


def test_key_changes_with_weights_task_and_settings():
    torch.manual_seed(0)
    net = build_model("cnn")
    key = key_for(net, steps=20)
    assert key == key_for(net, steps=20) and key.digest == key_for(net, steps=20).digest
    other = build_model("cnn")
    with torch.no_grad():
        other.load_state_dict(net.state_dict())
        next(other.parameters()).add_(1e-3)
    assert key_for(other, steps=20).weights != key.weights
    assert (
        len(
            {
                key.digest,
                key_for(other, steps=20).digest,
                key_for(net, target=0, steps=21).digest,
                ClassOptKey(key.weights, steps=20, lam=0.01).digest,
            }
        )
        == 4
    )


def test_shipped_model_key_reads_only_its_metadata():
    from deemo_gui.viewer import Viewer

    v = Viewer()
    entry = v.add_model("models/REST_GM12878_cnn.safetensors", lazy=True)
    assert weights_hash(entry) == entry.metadata["weights_sha256"] and not entry.loaded
    assert A.stored_class_optimization(entry, steps=5) is None and not entry.loaded


def test_another_process_hits_the_cache(tmp_path, monkeypatch):
    """The Dashboard's class optimization of a shipped model, in two processes: the second reads it."""
    monkeypatch.setenv("DEEMO_CACHE_DIR", str(tmp_path))
    script = (
        "import time; from deemo_gui.viewer import Viewer; from deemo_gui.viewer import analysis as A\n"
        "e = Viewer().add_model('models/REST_GM12878_cnn.safetensors', lazy=True)\n"
        "hit = A.stored_class_optimization(e, steps=30) is not None\n"
        "n = sum(1 for _ in A.iter_class_optimization(e, steps=30, every=10))\n"
        "print(hit, n)\n"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
        ).stdout.split()
        for _ in range(2)
    ]
    assert runs == [["False", "4"], ["True", "0"]]


def test_rmsprop_step_equals_torch_optim():
    from deemo_gui.core.explain.classopt import _rmsprop_step

    torch.manual_seed(0)
    X = torch.rand(2, 4, 10, requires_grad=True)
    Y = X.detach().clone().requires_grad_(True)
    opt = torch.optim.RMSprop([Y], lr=0.05, alpha=0.99, eps=1e-8)
    square = torch.zeros_like(X)
    for _ in range(5):
        g = torch.randn_like(X)
        _rmsprop_step(X, g, square, 0.05)
        Y.grad = g.clone()
        opt.step()
    torch.testing.assert_close(X.detach(), Y.detach(), rtol=0, atol=1e-7)
