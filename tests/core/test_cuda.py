"""The GPU path: training (also mixed precision), prediction, every attribution method, class optimization,
filter motifs and the CLI on device cuda, each compared with the same computation on CPU.

Skipped where torch sees no CUDA GPU (this project's CI machines); run on a GPU workstation with the CUDA
build of torch (README, "Training on a GPU"): `pytest tests/core/test_cuda.py`. Mixed precision on CPU
(bfloat16) is tested here too, since it runs anywhere.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from _explain_models import alx4_held_out, alx4_model, alx4_reads

from deemo_gui.core.methods import METHODS
from deemo_gui.core.sequences import SequenceSet
from deemo_gui.core.training import TrainingConfig, train

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU here (torch.cuda.is_available() is False)")


def alx4_data(n: int = 1000) -> SequenceSet:
    pos, neg = alx4_reads()
    return SequenceSet(
        [f"r4_{i}" for i in range(n)] + [f"r0_{i}" for i in range(n)],
        pos[:n] + neg[:n],
        np.r_[np.ones(n), np.zeros(n)][:, None],
        source="alx4 round 4 vs round 0",
    )


def fit(device: str, amp: bool = False, n: int = 1000):
    return train(
        alx4_data(n),
        TrainingConfig(
            preset="cnn-small", max_epochs=2, batch_size=64, lr=1e-3, seed=0, device=device, amp=amp, baselines=False
        ),
    )


@pytest.fixture(autouse=True)
def tf32_as_pytorch_starts():
    """Each test starts with PyTorch's default (TF32 on), so each entry point must switch it off itself."""
    before = torch.backends.cudnn.allow_tf32
    torch.backends.cudnn.allow_tf32 = True
    yield
    torch.backends.cudnn.allow_tf32 = before


def test_cuda_devices_run_in_full_float32():
    """A CUDA device switches cuDNN's TF32 convolutions off, a CPU one leaves them (constructing the device
    needs no GPU)."""
    from deemo_gui.core.device import full_float32

    assert full_float32(torch.device("cpu")).type == "cpu" and torch.backends.cudnn.allow_tf32 is True
    assert full_float32(torch.device("cuda", 0)).index == 0 and torch.backends.cudnn.allow_tf32 is False


def test_every_entry_point_to_a_device_asks_for_full_float32(monkeypatch):
    """resolve_device, predict_logits and the explanations' `evaluating` each pass their device through
    `full_float32` (spied on; on CPU it changes nothing)."""
    import deemo_gui.core.device as device_module
    import deemo_gui.core.explain._common as common
    import deemo_gui.core.inference as inference

    seen = []

    def spy(device):
        seen.append(device.type)
        return device

    for module in (device_module, inference, common):
        monkeypatch.setattr(module, "full_float32", spy)
    model = torch.nn.Sequential(torch.nn.Conv1d(4, 2, 3), torch.nn.Flatten(), torch.nn.LazyLinear(1))
    model(torch.zeros(1, 4, 10))
    assert device_module.resolve_device(torch.device("cpu")).type == "cpu" and seen == ["cpu"]
    inference.predict_logits(model, np.zeros((2, 4, 10), np.float32), device="cpu")
    with common.evaluating(model, "cpu"):
        pass
    assert seen == ["cpu", "cpu", "cpu"]


def test_mixed_precision_on_cpu_learns_and_is_recorded():
    torch.set_num_threads(1)
    full, mixed = fit("cpu", n=500), fit("cpu", amp=True, n=500)
    assert mixed.metadata["training"]["mixed_precision"] is True
    assert full.metadata["training"]["mixed_precision"] is False
    assert mixed.best_valid_auroc > 0.85 and abs(mixed.best_valid_auroc - full.best_valid_auroc) < 0.05


@cuda
@pytest.mark.parametrize("amp", [False, True])
def test_training_on_cuda_learns_as_on_cpu(amp):
    on_cpu, on_gpu = fit("cpu"), fit("cuda", amp=amp)
    assert on_gpu.metadata["training"]["device"].startswith("cuda")
    assert next(on_gpu.model.parameters()).is_cuda
    assert torch.backends.cudnn.allow_tf32 is False  # resolving "cuda" switched TF32 off
    # cuDNN's kernels sum in another order: the same seed gives close, not identical, weights
    assert on_gpu.best_valid_auroc > 0.9 and abs(on_gpu.best_valid_auroc - on_cpu.best_valid_auroc) < 0.03


@cuda
def test_prediction_on_cuda_matches_cpu():
    from deemo_gui.core.inference import predict_logits

    model, X = alx4_model("cnn-small"), alx4_held_out(300, positives_only=False)
    on_cpu = predict_logits(model, X, device="cpu")
    on_gpu = predict_logits(model, X, device="cuda")
    assert next(model.parameters()).device.type == "cpu"  # the model is moved back
    assert torch.backends.cudnn.allow_tf32 is False  # full float32 (with TF32 an H200 was off by 6.5e-4)
    np.testing.assert_allclose(on_gpu, on_cpu, rtol=1e-4, atol=1e-4)


@cuda
@pytest.mark.parametrize("name", sorted(METHODS))
def test_every_attribution_method_on_cuda_matches_cpu(name):
    method = METHODS[name]
    preset = "cnn-rnn-small" if method.recurrent else "cnn-small"
    model = alx4_model(preset)
    X = alx4_held_out(40)
    on_cpu = method.compute(copy.deepcopy(model).cpu(), X, 0, **method.defaults)
    gpu_model = copy.deepcopy(model).cuda()
    on_gpu = method.compute(gpu_model, X, 0, **method.defaults)
    assert next(gpu_model.parameters()).is_cuda  # computed where the model is, and left there
    for key, value in on_cpu.items():
        if key == "convergence_delta":  # the completeness sum's rounding error (~1e-7): small on both
            total = float(np.abs(on_cpu["attributions"].sum(axis=(1, 2))).max())
            for delta in (on_cpu[key], on_gpu[key]):
                assert np.abs(delta).max() <= 1e-4 * max(total, 1.0), (name, delta)
            continue
        scale = float(np.abs(value).max()) or 1.0
        np.testing.assert_allclose(on_gpu[key], value, rtol=1e-3, atol=1e-3 * scale, err_msg=f"{name}: {key}")


@cuda
def test_class_optimization_and_filter_motifs_on_cuda():
    from deemo_gui.core.explain import class_optimization, filter_pwms

    model = alx4_model("cnn-small")
    on_cpu = class_optimization(copy.deepcopy(model), steps=100, seed=0, device="cpu")
    on_gpu = class_optimization(copy.deepcopy(model), steps=100, seed=0, device="cuda")
    a, b = on_cpu.X.ravel(), on_gpu.X.ravel()
    assert np.corrcoef(a, b)[0, 1] > 0.95
    X = alx4_held_out(300)
    pwms_cpu = filter_pwms(copy.deepcopy(model), X, device="cpu")
    pwms_gpu = filter_pwms(copy.deepcopy(model), X, device="cuda")
    assert [p.id for p in pwms_gpu] == [p.id for p in pwms_cpu]


@cuda
def test_cli_trains_and_explains_on_cuda(tmp_path, data_dir):
    from deemo_gui.cli.main import main
    from deemo_gui.core.device import available_devices
    from deemo_gui.core.modelfile import read_metadata

    assert "cuda" in available_devices()  # the Train panel's device chooser offers it
    out = tmp_path / "rest.safetensors"
    assert (
        main(
            [
                "train",
                str(data_dir / "deepbind_encode" / "REST_GM12878_AC.seq.gz"),
                "--negatives",
                "shuffle",
                "--max-train",
                "1000",
                "--arch",
                "deepbind",
                "--epochs",
                "1",
                "--device",
                "cuda",
                "--amp",
                "--no-baselines",
                "--quiet",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert read_metadata(out)["training"]["device"].startswith("cuda")
    for method in ("saliency", "deeplift"):
        assert (
            main(
                [
                    "explain",
                    str(out),
                    str(data_dir / "deepbind_encode" / "REST_GM12878_B.seq.gz"),
                    "--method",
                    method,
                    "--device",
                    "cuda",
                    "--out",
                    str(tmp_path / f"{method}.npz"),
                ]
            )
            == 0
        )
    test = data_dir / "deepbind_encode" / "REST_GM12878_B.seq.gz"
    scores = {}
    for device in ("cuda", "cpu"):  # `deemo predict` (and the workflow's scoring rule) on either device
        csv = tmp_path / f"{device}.csv"
        assert main(["predict", str(out), str(test), "--both-strands", "--device", device, "--out", str(csv)]) == 0
        scores[device] = np.loadtxt(csv, delimiter=",", skiprows=1, usecols=1)
    np.testing.assert_allclose(scores["cuda"], scores["cpu"], atol=1e-4)
