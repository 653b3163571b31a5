"""`deemo explain` and `deemo motifs`: files written match the Python API; user errors are one line."""

import numpy as np
import pandas as pd
import pytest
import torch
from _explain_models import alx4_model, alx4_reads

from deemo_gui.cli.main import main
from deemo_gui.core.modelfile import load_model, save_model
from deemo_gui.core.motifs import TOMTOM_COLUMNS, JasparDB, read_meme, write_meme
from deemo_gui.core.sequences import one_hot
from deemo_gui.explain import filter_pwms, guided, integrated_gradients, ism, saliency, temporal


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("explain_cli")
    cnn, rnn = tmp / "cnn.safetensors", tmp / "rnn.safetensors"
    save_model(alx4_model("cnn-small"), cnn)
    save_model(alx4_model("rnn-small"), rnn)
    pos, neg = alx4_reads()
    fasta = tmp / "reads.fa"
    fasta.write_text(
        "".join(f">r4_{i} label=1\n{pos[i]}\n" for i in range(6000, 6040))
        + "".join(f">r0_{i} label=0\n{neg[i]}\n" for i in range(6000, 6040))
    )
    return tmp, cnn, rnn, fasta, one_hot(pos[6000:6040] + neg[6000:6040])


def run(capsys, *args):
    capsys.readouterr()
    rc = main([str(a) for a in args])
    out = capsys.readouterr()
    return rc, out.out, out.err


@pytest.mark.parametrize("method", ["saliency", "guided", "ism", "ig", "temporal"])
def test_explain_writes_the_api_result(method, files, capsys):
    tmp, cnn, rnn, fasta, X = files
    model_file = rnn if method == "temporal" else cnn
    out = tmp / f"{method}.npz"
    extra = ["--n-steps", "20"] if method == "ig" else []
    rc, stdout, _ = run(
        capsys, "explain", model_file, fasta, "--method", method, "--out", out, "--device", "cpu", *extra
    )
    assert rc == 0 and "80 sequences" in stdout
    z = np.load(out)
    assert list(z["ids"][:2]) == ["r4_6000", "r4_6001"] and str(z["method"]) == method
    model = load_model(model_file)
    if method == "temporal":
        fwd, bwd = temporal(model, X)
        np.testing.assert_allclose(z["forward"], fwd, atol=1e-6)
        np.testing.assert_allclose(z["backward"], bwd, atol=1e-6)
        return
    expected = {
        "saliency": lambda: saliency(model, X),
        "guided": lambda: guided(model, X),
        "ism": lambda: ism(model, X),
        "ig": lambda: integrated_gradients(model, X, n_steps=20),
    }[method]()
    assert z["attributions"].shape == (80, 4, 20)
    np.testing.assert_allclose(z["attributions"], expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("definition", ["paper", "demo-code"])
def test_explain_temporal_definition(definition, files, capsys):
    tmp, _, _, fasta, X = files
    model_file = tmp / "cnn-rnn.safetensors"
    save_model(alx4_model("cnn-rnn-small"), model_file)
    out = tmp / f"temporal-{definition}.npz"
    rc, _, _ = run(
        capsys,
        "explain",
        model_file,
        fasta,
        "--method",
        "temporal",
        "--temporal-definition",
        definition,
        "--out",
        out,
        "--device",
        "cpu",
    )
    assert rc == 0
    z = np.load(out)
    assert str(z["definition"]) == definition
    fwd, bwd = temporal(load_model(model_file), X, definition=definition)
    np.testing.assert_allclose(z["forward"], fwd, atol=1e-6)
    np.testing.assert_allclose(z["backward"], bwd, atol=1e-6)


def test_explain_user_errors_are_one_line(files, capsys):
    tmp, cnn, _, fasta, _ = files
    rc, _, err = run(capsys, "explain", cnn, fasta, "--method", "temporal", "--out", tmp / "t.npz", "--device", "cpu")
    assert rc == 2 and err.startswith("deemo: error:") and "recurrent" in err and err.count("\n") == 1
    rc, _, err = run(capsys, "explain", cnn, fasta, "--method", "saliency", "--out", tmp / "t.csv")
    assert rc == 2 and ".npz" in err
    rc, _, err = run(capsys, "explain", cnn, fasta, "--method", "saliency", "--target", "3", "--out", tmp / "t.npz")
    assert rc == 2 and "target" in err and err.count("\n") == 1
    rc, _, err = run(capsys, "explain", cnn, fasta, "--method", "ig", "--n-steps", "1", "--out", tmp / "t.npz")
    assert rc == 0 and "deemo: warning: integrated gradients: completeness" in err
    assert "deemo: model verdict: " in err  # never an explanation without how good the model is


def test_motifs_filters_with_tomtom_against_a_motif_file(files, capsys):
    tmp, cnn, _, fasta, X = files
    jaspar = JasparDB("JASPAR2024")
    targets = [jaspar.get("MA0853")] + jaspar.all()[:40]  # ALX4 and 40 others
    target_file = tmp / "targets.meme"
    write_meme(targets, target_file)
    out, tsv = tmp / "filters.meme", tmp / "matches.tsv"
    rc, stdout, _ = run(
        capsys,
        "motifs",
        cnn,
        "--method",
        "filters",
        "--data",
        fasta,
        "--out",
        out,
        "--compare",
        target_file,
        "--tsv",
        tsv,
        "--min-sites",
        "30",
        "--device",
        "cpu",
    )
    assert rc == 0 and "best match" in stdout
    written = read_meme(out)
    expected = filter_pwms(load_model(cnn), X, min_sites=30)
    assert [p.id for p in written] == [p.id for p in expected] and written
    for a, b in zip(written, expected):
        np.testing.assert_allclose(a.probs, b.probs, atol=1e-5)
    df = pd.read_csv(tsv, sep="\t")
    assert list(df.columns) == TOMTOM_COLUMNS and len(df) == len(written) * len(targets)


def test_motifs_classopt_against_jaspar_release(files, capsys):
    tmp, cnn, _, _, _ = files
    out = tmp / "classopt.meme"
    rc, stdout, _ = run(
        capsys,
        "motifs",
        cnn,
        "--method",
        "classopt",
        "--steps",
        "50",
        "--width",
        "6",
        "--out",
        out,
        "--compare",
        "JASPAR2024",
        "--device",
        "cpu",
    )
    assert rc == 0 and "JASPAR2024" in stdout
    assert "of its one-hot consensus" in stdout and "of the relaxed input" in stdout
    (pwm,) = read_meme(out)
    assert pwm.width == 6


def test_motifs_classopt_on_the_simplex_equals_the_python_call(files, capsys):
    from deemo_gui.core.modelfile import load_model
    from deemo_gui.explain import class_optimization, motif_from_class_optimization

    tmp, cnn, _, _, _ = files
    out = tmp / "simplex.meme"
    rc, stdout, _ = run(
        capsys,
        "motifs",
        cnn,
        "--method",
        "classopt",
        "--classopt-recipe",
        "simplex",
        "--steps",
        "40",
        "--width",
        "6",
        "--out",
        out,
        "--device",
        "cpu",
    )
    assert rc == 0 and "(simplex, lam=0.009, lr=0.1, 40 steps)" in stdout
    (pwm,) = read_meme(out)
    res = class_optimization(load_model(cnn), steps=40, parametrization="simplex", lr=None)
    np.testing.assert_allclose(pwm.probs, motif_from_class_optimization(res, 6).probs, atol=1e-5)


@pytest.mark.parametrize("method", ["saliency", "temporal", "activation"])
def test_motifs_from_data(method, files, capsys):
    tmp, cnn, rnn, fasta, _ = files
    out = tmp / f"{method}.meme"
    model_file = rnn if method == "temporal" else cnn
    rc, stdout, _ = run(
        capsys, "motifs", model_file, "--method", method, "--data", fasta, "--out", out, "--device", "cpu"
    )
    assert rc == 0
    pwms = read_meme(out)
    assert pwms and (method == "activation" or (len(pwms) == 1 and pwms[0].width == 9))
    if method == "saliency":
        assert pwms[0].nsites == 40  # only the 40 positives (label=1) are used
    if method == "temporal":  # positives whose P(+) switches to positive after the start transient
        assert 0 < pwms[0].nsites <= 40


def test_motifs_user_errors(files, capsys):
    tmp, cnn, _, fasta, _ = files
    rc, _, err = run(capsys, "motifs", cnn, "--method", "saliency", "--out", tmp / "x.meme")
    assert rc == 2 and "--data" in err
    rc, _, err = run(capsys, "motifs", cnn, "--method", "classopt", "--out", tmp / "x.meme", "--tsv", tmp / "x.tsv")
    assert rc == 2 and "--compare" in err
    rc, _, err = run(capsys, "motifs", cnn, "--method", "classopt", "--out", tmp / "x.meme", "--compare", "JASPAR1999")
    assert rc == 2 and "JASPAR1999" in err and err.count("\n") == 1


def test_task_by_name_for_multi_task_models(files, capsys):
    """`--task REST` (or `--target 1`) picks that output; an unknown name is one line listing the tasks."""
    from deemo_gui.core.networks import build_network

    tmp, _, _, fasta, X = files
    torch.manual_seed(0)
    path = save_model(
        build_network("cnn-small", n_tasks=3, input_length=20),
        tmp / "three.safetensors",
        {"task_names": ["CTCF", "REST", "MAX"]},
    )
    model = load_model(path)
    for spec in ("REST", "1"):
        out = tmp / f"task_{spec}.npz"
        rc, _, _ = run(capsys, "explain", path, fasta, "--method", "saliency", "--task", spec, "--out", out)
        assert rc == 0 and int(np.load(out)["target"]) == 1
        np.testing.assert_allclose(np.load(out)["attributions"], saliency(model, X, 1), rtol=1e-5, atol=1e-7)
    rc, _, err = run(capsys, "explain", path, fasta, "--method", "saliency", "--task", "YY1", "--out", tmp / "x.npz")
    assert rc == 2 and err == "deemo: error: no task 'YY1' in this model; its tasks: 0 CTCF, 1 REST, 2 MAX\n"
    rc, _, err = run(
        capsys, "motifs", path, "--method", "classopt", "--task", "SP1", "--steps", "5", "--out", tmp / "x.meme"
    )
    assert rc == 2 and "no task 'SP1'" in err and err.count("\n") == 1


def test_motifs_cli_flags_flat_motifs(files, capsys, monkeypatch):
    """A motif too flat for Tomtom is marked 'not comparable' on its best-match line."""
    import deemo_gui.core.explain as core_explain
    from deemo_gui.core.motifs import PWM

    tmp, cnn, _, fasta, _ = files
    flat = PWM.from_probs(np.random.default_rng(0).dirichlet([20.0] * 4, size=9).T, id="saliency", name="saliency")
    monkeypatch.setattr(core_explain, "extract_motifs", lambda *a, **k: [flat])
    rc, out, _ = run(
        capsys,
        "motifs",
        cnn,
        "--method",
        "saliency",
        "--data",
        fasta,
        "--out",
        tmp / "flat.meme",
        "--compare",
        "JASPAR2024",
    )
    line = next(line for line in out.splitlines() if line.startswith("  saliency"))
    assert rc == 0 and f"not comparable: too flat ({flat.total_ic:.1f} bits over 9 columns, under 0.5" in line
