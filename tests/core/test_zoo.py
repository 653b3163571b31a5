import json

import pytest

from deemo_gui.cli.main import main
from deemo_gui.core.modelfile import load_model
from deemo_gui.core.sequences import load_dataset
from deemo_gui.core.training import evaluate
from deemo_gui.core.zoo import build_index, read_index, zoo_dir

ZOO = zoo_dir()
MODELS = sorted(ZOO.glob("*.safetensors"))
pytestmark = pytest.mark.skipif(not MODELS, reason="no shipped models")


def test_every_zoo_model_loads_with_its_metadata():
    for path in MODELS:
        model = load_model(path)
        meta = model.metadata
        assert meta["preset"] == path.stem.rpartition("_")[2]
        assert 0.5 < meta["test"]["auroc"] <= 1.0 and meta["test"]["n"] >= 1000
        assert meta["training"]["command"].startswith("deemo train ")
        assert (ZOO / f"{path.stem}.md").exists(), f"no model card for {path.name}"


def test_index_matches_the_files_and_the_zoo_is_small():
    index = {e["name"]: e for e in read_index()}
    assert index == {e["name"]: e for e in build_index()}
    assert sum(p.stat().st_size for p in MODELS) < 20 * 2**20


def test_a_cards_test_auroc_is_reproduced_from_its_file(data_dir):
    entry = next(e for e in read_index() if e["name"] == "REST_GM12878_cnn")
    model = load_model(ZOO / entry["file"])
    report = evaluate(model, load_dataset(data_dir / "deepbind_encode" / "REST_GM12878_B.seq.gz"))
    assert report["auroc"] == pytest.approx(entry["test_auroc"], abs=1e-9)
    assert f"| test AUROC | {entry['test_auroc']:.3f} |" in (ZOO / "REST_GM12878_cnn.md").read_text()


def test_zoo_list_and_rebuild_dry_run(capsys):
    assert main(["zoo", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {e["file"] for e in listed} == {p.name for p in MODELS}
    assert main(["zoo", "rebuild", "--only", "REST_GM12878_cnn", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("deemo train resources/data/deepbind_encode/REST_GM12878_AC.seq.gz")


def test_a_model_trained_on_a_gpu_is_rebuilt_on_the_cpu_where_there_is_none(capsys, monkeypatch):
    """The three `demo` models trained on an H200 record `--device cuda`; their cards say so."""
    import deemo_gui.core.device as device
    from deemo_gui.core.zoo import on_a_device_here

    argv = ["train", "x.fa", "--arch", "demo", "--device", "cuda", "--out", "m.safetensors"]
    monkeypatch.setattr(device, "available_devices", lambda: ["auto", "cpu"])
    here, note = on_a_device_here(argv)
    assert here == [*argv, "--device", "cpu"] and note.startswith("no cuda device here")  # the last one wins
    assert on_a_device_here(here) == (here, "") and on_a_device_here(argv[:4]) == (argv[:4], "")
    spelled = ["train", "x.fa", "--device=cuda"]
    assert on_a_device_here(spelled)[0] == [*spelled, "--device", "cpu"]
    monkeypatch.setattr(device, "available_devices", lambda: ["auto", "cpu", "cuda"])
    assert on_a_device_here(argv) == (argv, "")
    monkeypatch.setattr(device, "available_devices", lambda: ["auto", "cpu"])
    assert main(["zoo", "rebuild", "--only", "CTCF_demo,REST_GM12878_cnn", "--dry-run"]) == 0
    lines = capsys.readouterr().out.splitlines()
    gpu = next(line for line in lines if "CTCF_demo" in line)
    assert gpu.split("  # ")[0].endswith("--device cpu") and "not identical to the shipped model" in gpu
    assert "--device cpu" in next(line for line in lines if "REST_GM12878_cnn" in line)
    card = (ZOO / "CTCF_demo.md").read_text()
    assert "on a CUDA GPU as this model was trained" in card and "OMP_NUM_THREADS=1 deemo train" not in card
    assert "OMP_NUM_THREADS=1 deemo train" in (ZOO / "REST_GM12878_cnn.md").read_text()


def test_shipped_models_follow_DEEMO_MODELS(tmp_path, monkeypatch):
    from deemo_gui.core.zoo import shipped_model_paths

    assert shipped_model_paths() == [str(p) for p in MODELS]
    (tmp_path / "mine.safetensors").write_bytes(b"")
    monkeypatch.setenv("DEEMO_MODELS", str(tmp_path))
    assert shipped_model_paths() == [str(tmp_path / "mine.safetensors")]
    monkeypatch.setenv("DEEMO_MODELS", str(tmp_path / "missing"))
    assert shipped_model_paths() == []
