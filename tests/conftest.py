"""Shared test set-up: offscreen Qt, one CPU thread per test process, and paths to real data."""

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "resources" / "data"
TEST_DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    """Each test has its own empty user cache (class optimizations are kept there across runs) and no
    class optimization seeds (the shipped models' own, `classopt_cache`): a test computes what it asks
    for, as a new installation did before the zoo carried them; tests of the seeds turn them on."""
    import sys

    monkeypatch.setenv("DEEMO_CACHE_DIR", str(tmp_path / "user-cache"))
    monkeypatch.setenv("DEEMO_CLASSOPT_SEEDS", "off")
    service = sys.modules.get("deemo_gui.viewer.classopt_cache")
    if service is not None:
        service.SERVICE.forget_memory()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def test_data_dir() -> Path:
    return TEST_DATA


@pytest.fixture(scope="session")
def rest_model(tmp_path_factory, data_dir) -> str:
    """A small DeepBind-style REST model trained on 2,000 real records, shared by the session's tests."""
    import numpy as np
    import torch

    from deemo_gui.core.modelfile import save_model
    from deemo_gui.core.sequences import load_dataset
    from deemo_gui.core.training import TrainingConfig, train

    path = tmp_path_factory.getbasetemp() / "rest_deepbind.safetensors"
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        data = load_dataset(data_dir / "deepbind_encode" / "REST_GM12878_AC.seq.gz", negatives="shuffle", seed=0)
        data = data.subset(np.sort(np.random.default_rng(0).choice(len(data), 2000, replace=False)))
        done = train(
            data, TrainingConfig(preset="deepbind", max_epochs=3, batch_size=32, lr=5e-3, seed=0, device="cpu")
        )
        save_model(done.model, path, done.metadata)
    finally:
        torch.set_num_threads(threads)
    return str(path)
