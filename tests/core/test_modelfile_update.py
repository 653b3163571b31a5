import hashlib
import struct

import numpy as np
import pytest
import torch

from deemo_gui.core.errors import ConfigError, ModelFileError
from deemo_gui.core.modelfile import load_model, read_metadata, save_model, update_metadata
from deemo_gui.core.networks import build_network


def _tensor_bytes(path) -> str:
    """SHA-256 of everything after the safetensors header (the raw tensor data)."""
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    return hashlib.sha256(raw[8 + n :]).hexdigest()


@pytest.fixture
def model_file(tmp_path):
    torch.manual_seed(0)
    model = build_network("cnn-small", input_length=101).eval()
    return model, save_model(model, tmp_path / "m.safetensors", {"test": {"auroc": 0.9}})


def test_update_metadata_round_trip_keeps_weights(model_file):
    model, path = model_file
    before, data_before = read_metadata(path), _tensor_bytes(path)
    match = {"target_id": "MA0138.3", "target_name": "REST", "E": 1e-5, "q": 2e-3, "release": "JASPAR2024"}
    update_metadata(path, {"classopt_match": match})
    after = read_metadata(path)
    assert after["classopt_match"] == match
    changed = ("classopt_match", "metadata_sha256")  # the checksum is renewed with the metadata
    assert {k: v for k, v in after.items() if k not in changed} == {k: v for k, v in before.items() if k not in changed}
    assert _tensor_bytes(path) == data_before
    assert struct.unpack("<Q", open(path, "rb").read(8))[0] % 8 == 0
    loaded = load_model(path)  # checks the weights against weights_sha256
    X = torch.rand(2, 4, 101)
    with torch.no_grad():
        np.testing.assert_array_equal(loaded(X).numpy(), model(X).numpy())
    update_metadata(path, {"classopt_match": None})  # a second rewrite (shorter header) works too
    assert read_metadata(path)["classopt_match"] is None and _tensor_bytes(path) == data_before
    load_model(path)


def test_update_metadata_refuses_weight_keys_and_bad_values(model_file):
    _, path = model_file
    original = open(path, "rb").read()
    with pytest.raises(ConfigError, match="weights_sha256"):
        update_metadata(path, {"weights_sha256": "0" * 64})
    with pytest.raises(ConfigError, match="preset"):
        update_metadata(path, {"preset": "rnn"})
    with pytest.raises(ConfigError, match="JSON"):
        update_metadata(path, {"x": object()})
    assert open(path, "rb").read() == original
    update_metadata(path, {"preset": "cnn-small"})  # unchanged values are fine


def test_update_metadata_refuses_non_model_files(tmp_path):
    p = tmp_path / "ckpt.pt"
    torch.save({"w": torch.zeros(2)}, p)
    with pytest.raises(ModelFileError, match="never unpickles"):
        update_metadata(p, {"a": 1})
