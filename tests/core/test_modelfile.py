import json
import pickle

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from deemo_gui.core.errors import ModelFileError
from deemo_gui.core.modelfile import load_model, metadata_digest, read_metadata, save_model
from deemo_gui.core.networks import build_network, list_presets


@pytest.mark.parametrize("preset", ["cnn", "rnn-small", "cnn-rnn-small", "demo", "deepbind", "koo-cnn-10"])
def test_round_trip_same_predictions(tmp_path, preset):
    torch.manual_seed(0)
    model = build_network(preset, n_tasks=2, input_length=101).eval()
    path = save_model(model, tmp_path / "m.safetensors", {"task_names": ["CTCF", "REST"], "test": {"auroc": 0.9}})
    loaded = load_model(path)
    X = torch.rand(3, 4, 101)
    with torch.no_grad():
        np.testing.assert_allclose(loaded(X).numpy(), model(X).numpy(), rtol=1e-6, atol=1e-6)
    assert not loaded.training
    assert loaded.metadata["task_names"] == ["CTCF", "REST"] and loaded.metadata["preset"] == preset
    assert read_metadata(path)["test"]["auroc"] == 0.9


def test_pickles_are_refused_without_unpickling(tmp_path):
    class Boom:
        def __reduce__(self):
            return (pytest.fail, ("the file was unpickled!",))

    p = tmp_path / "evil.safetensors"
    p.write_bytes(pickle.dumps(Boom()))
    with pytest.raises(ModelFileError, match="pickled"):
        load_model(p)
    torch.save(build_network("cnn-small").state_dict(), tmp_path / "ckpt.pt")
    with pytest.raises(ModelFileError, match="never unpickles"):
        load_model(tmp_path / "ckpt.pt")


def test_tampered_weights_refused(tmp_path):
    path = save_model(build_network("cnn-small"), tmp_path / "m.safetensors")
    raw = bytearray(open(path, "rb").read())
    raw[-5] ^= 0xFF
    open(path, "wb").write(bytes(raw))
    with pytest.raises(ModelFileError, match="checksum"):
        load_model(path)


def test_mismatched_and_foreign_files(tmp_path):
    # A safetensors file that is not a deemo model.
    save_file({"w": torch.zeros(2)}, tmp_path / "other.safetensors")
    with pytest.raises(ModelFileError, match="not a deemo model"):
        load_model(tmp_path / "other.safetensors")
    # Metadata claiming a different preset than the weights.
    model = build_network("cnn-small")
    path = save_model(model, tmp_path / "m.safetensors")
    from safetensors import safe_open

    with safe_open(path, "pt") as f:
        meta = json.loads(f.metadata()["deemo"])
        state = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 (safetensors' safe_open is no dict)
    meta["hparams"]["conv_filters"] = [32, 64]
    save_file(state, tmp_path / "bad.safetensors", metadata={"deemo": json.dumps(meta)})
    with pytest.raises(ModelFileError, match="metadata do not match their checksum"):
        load_model(tmp_path / "bad.safetensors")
    meta["metadata_sha256"] = metadata_digest(meta)  # re-signed by hand: the shapes still give it away
    save_file(state, tmp_path / "bad.safetensors", metadata={"deemo": json.dumps(meta)})
    with pytest.raises(ModelFileError, match="do not fit preset 'cnn-small'"):
        load_model(tmp_path / "bad.safetensors")
    (tmp_path / "t.safetensors").write_text("hello, not a model at all")
    with pytest.raises(ModelFileError):
        load_model(tmp_path / "t.safetensors")
    with pytest.raises(ModelFileError, match="no such file"):
        load_model(tmp_path / "none.safetensors")


def test_every_preset_saves_and_loads(tmp_path):
    for preset in list_presets():
        model = build_network(preset, n_tasks=1, input_length=101)
        loaded = load_model(save_model(model, tmp_path / f"{preset}.safetensors"))
        assert loaded.preset == preset


def test_a_saved_model_has_a_plain_files_mode_and_nothing_beside_it(tmp_path):
    import os

    umask = os.umask(0)
    os.umask(umask)
    path = save_model(build_network("cnn-rnn"), str(tmp_path / "m.safetensors"))
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask  # safetensors' save_file made it 0600
    assert os.listdir(tmp_path) == ["m.safetensors"]
    load_model(path)
