"""The app predicts and explains one model from several worker threads at once: methods that hook or
patch modules must do it on a private copy."""

import threading

import numpy as np
import torch

from deemo_gui.core.explain.filters import first_layer_activations
from deemo_gui.core.explain.guided import guided
from deemo_gui.core.explain.saliency import saliency
from deemo_gui.core.networks import build_network


def test_hooks_and_patches_never_touch_the_shared_model():
    torch.manual_seed(0)
    model = build_network("cnn-small").eval()
    X = torch.zeros(64, 4, 101)
    X[torch.arange(64)[:, None], torch.randint(0, 4, (64, 101)), torch.arange(101)] = 1
    with torch.no_grad():
        expected_logits = model(X).numpy()
    expected_saliency = saliency(model, X)
    errors, mismatches = [], []

    def explain_repeatedly():
        try:
            for _ in range(5):
                first_layer_activations(model, X)
                guided(model, X)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=explain_repeatedly)
    thread.start()
    while thread.is_alive():
        with torch.no_grad():
            if not np.allclose(model(X).numpy(), expected_logits, atol=1e-6):
                mismatches.append("logits")
        if not np.allclose(saliency(model, X), expected_saliency, atol=1e-6):
            mismatches.append("saliency")
    thread.join()
    assert not errors and not mismatches
    assert not any(m._forward_hooks for m in model.modules())
    assert not any("forward" in vars(m) for m in model.modules())
