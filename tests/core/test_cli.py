import json
import subprocess
import sys

import numpy as np
import pytest

from deemo_gui.cli.main import main
from deemo_gui.core.modelfile import load_model
from deemo_gui.core.sequences import read_sequences


@pytest.fixture(scope="module")
def small_files(tmp_path_factory, data_dir):
    """A 1,500-record positives file and the real REST test set."""
    tmp = tmp_path_factory.mktemp("cli")
    seqs = read_sequences(data_dir / "deepbind_encode" / "REST_GM12878_AC.seq.gz")
    pos = tmp / "rest_pos.fa"
    pos.write_text("".join(f">{i}\n{s}\n" for i, s in zip(seqs.ids[:1500], seqs.seqs[:1500])))
    return tmp, pos, data_dir / "deepbind_encode" / "REST_GM12878_B.seq.gz"


@pytest.fixture(scope="module")
def trained(small_files):
    tmp, pos, test = small_files
    out = tmp / "m.safetensors"
    rc = main(
        [
            "train",
            str(pos),
            "--negatives",
            "shuffle",
            "--arch",
            "cnn-small",
            "--epochs",
            "2",
            "--test",
            str(test),
            "--out",
            str(out),
            "--quiet",
            "--device",
            "cpu",
        ]
    )
    assert rc == 0
    return out


def test_train_without_arch_trains_the_default_ensemble(small_files, tmp_path, capsys):
    tmp, pos, test = small_files
    out = tmp_path / "default.safetensors"
    args = ["train", str(pos), "--negatives", "shuffle", "--test", str(test), "--out", str(out), "--device", "cpu"]
    assert main([*args, "--members", "2", "--epochs", "2", "--no-baselines", "--quiet"]) == 0
    summary = capsys.readouterr().out
    assert "auto, 2 DeepBind networks folded into one, best epochs" in summary
    model = load_model(out)
    info = model.metadata["training"]["ensemble"]
    assert model.preset == "deepbind" and info["members"] == 2 and info["member_hparams"]["batch_norm"] == 1
    assert model.metadata["training"]["settings"]["lr"] == 3e-3 and model.metadata["test"]["auroc"] > 0.9
    assert main([*args, "--arch", "cnn", "--members", "2"]) == 2  # --members is the ensemble's
    assert "--members is for --arch auto" in capsys.readouterr().err


def test_train_writes_model_with_test_metrics(trained):
    meta = load_model(trained).metadata
    assert meta["preset"] == "cnn-small" and meta["test"]["n"] == 1000
    assert 0.5 < meta["test"]["auroc"] <= 1.0


def test_evaluate_json_matches_stored_metrics(trained, small_files, capsys):
    _, _, test = small_files
    capsys.readouterr()
    assert main(["evaluate", str(trained), str(test), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) >= {"auroc", "aupr", "n"}
    assert report["auroc"] == pytest.approx(load_model(trained).metadata["test"]["auroc"], abs=1e-9)


def test_predict_csv(trained, small_files, tmp_path):
    _, _, test = small_files
    out = tmp_path / "p.csv"
    assert main(["predict", str(trained), str(test), "--out", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert lines[0] == "id,p_bound" and len(lines) == 1001
    p = np.array([float(line.split(",")[1]) for line in lines[1:]])
    assert ((p > 0) & (p < 1)).all()


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="a CUDA GPU is here")
def test_predict_on_a_missing_gpu_is_a_one_line_error(trained, small_files, tmp_path, capsys):
    _, _, test = small_files
    out = tmp_path / "p.csv"
    assert main(["predict", str(trained), str(test), "--device", "cuda", "--out", str(out)]) == 2
    assert "no CUDA GPU is available here; use --device cpu or auto" in capsys.readouterr().err
    assert not out.exists()
    assert main(["predict", str(trained), str(test), "--device", "cpu", "--out", str(out)]) == 0


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "deemo_gui.cli.main", *args], capture_output=True, text=True)


def test_bad_inputs_one_line_nonzero_no_traceback(tmp_path, trained):
    bad = tmp_path / "bad.fa"
    bad.write_text(">x\nACGTQ\n")
    evil = tmp_path / "evil.safetensors"
    evil.write_bytes(b"\x80\x04K\x01.")
    cases = [
        ("train", str(bad), "--arch", "cnn", "--out", str(tmp_path / "o.safetensors"), "--negatives", "shuffle"),
        ("train", str(bad), "--arch", "nonsense", "--out", str(tmp_path / "o.safetensors")),
        ("evaluate", str(evil), str(bad)),
        ("predict", str(trained), str(tmp_path / "missing.fa")),
    ]
    for args in cases:
        r = run_cli(*args)
        assert r.returncode == 2, (args, r.stderr)
        assert "Traceback" not in r.stderr
        lines = [line for line in r.stderr.splitlines() if line.strip() and "WARNING" not in line]
        assert len(lines) == 1 and lines[0].startswith("deemo: error:"), r.stderr
