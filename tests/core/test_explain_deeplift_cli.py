"""`deemo explain --method deeplift`: the npz holds the API's attributions and convergence deltas;
recurrent models and bad options exit 2 with one line."""

import numpy as np
import pytest
import torch
from _explain_models import alx4_model, alx4_reads

from deemo_gui.cli.main import main
from deemo_gui.core.explain.deeplift import TOLERANCE
from deemo_gui.core.modelfile import load_model, save_model
from deemo_gui.core.sequences import one_hot
from deemo_gui.explain import deep_lift_shap


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("deeplift_cli")
    cnn, rnn = tmp / "cnn.safetensors", tmp / "rnn.safetensors"
    save_model(alx4_model("cnn-small"), cnn)
    save_model(alx4_model("rnn-small"), rnn)
    pos, _ = alx4_reads()
    fasta = tmp / "reads.fa"
    fasta.write_text("".join(f">r4_{i}\n{pos[i]}\n" for i in range(6000, 6030)))
    return tmp, cnn, rnn, fasta, one_hot(pos[6000:6030])


def run(capsys, *args):
    capsys.readouterr()
    rc = main([str(a) for a in args])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_deeplift_npz(files, capsys):
    tmp, cnn, _, fasta, X = files
    out = tmp / "dl.npz"
    rc, stdout, err = run(
        capsys,
        "explain",
        cnn,
        fasta,
        "--method",
        "deeplift",
        "--n-shuffles",
        "10",
        "--seed",
        "4",
        "--out",
        out,
        "--device",
        "cpu",
    )
    assert rc == 0 and "30 sequences" in stdout and "convergence_delta (30,)" in stdout
    assert "warning" not in err
    z = np.load(out)
    assert str(z["method"]) == "deeplift" and z["attributions"].shape == (30, 4, 20)
    attr, delta = deep_lift_shap(load_model(cnn), X, n_shuffles=10, seed=4, return_delta=True)
    np.testing.assert_allclose(z["attributions"], attr, atol=1e-6)
    np.testing.assert_allclose(z["convergence_delta"], delta, atol=1e-6)
    assert np.abs(z["convergence_delta"]).max() < TOLERANCE
    rc, _, _ = run(
        capsys,
        "explain",
        cnn,
        fasta,
        "--method",
        "deeplift",
        "--hypothetical",
        "--n-shuffles",
        "10",
        "--seed",
        "4",
        "--out",
        tmp / "hyp.npz",
        "--device",
        "cpu",
    )
    hyp = np.load(tmp / "hyp.npz")["attributions"]
    assert rc == 0 and np.count_nonzero(hyp) > np.count_nonzero(attr)
    np.testing.assert_allclose(hyp * X, attr, atol=1e-6)


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--n-shuffles", "0"], "--n-shuffles"),
        (["--seed", "-1"], "--seed"),
    ],
)
def test_bad_options_exit_2(extra, message, files, capsys):
    tmp, cnn, _, fasta, _ = files
    with pytest.raises(SystemExit) as exit_:
        main([str(a) for a in ("explain", cnn, fasta, "--method", "deeplift", "--out", tmp / "x.npz", *extra)])
    assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_recurrent_and_misused_options_are_one_line_errors(files, capsys):
    tmp, cnn, rnn, fasta, _ = files
    rc, _, err = run(capsys, "explain", rnn, fasta, "--method", "deeplift", "--out", tmp / "r.npz", "--device", "cpu")
    assert rc == 2 and err.count("\n") == 1 and "LSTM" in err and "integrated gradients, ISM or saliency" in err
    assert not (tmp / "r.npz").exists()
    rc, _, err = run(capsys, "explain", cnn, fasta, "--method", "ism", "--hypothetical", "--out", tmp / "i.npz")
    assert rc == 2 and "--hypothetical is for --method deeplift" in err
