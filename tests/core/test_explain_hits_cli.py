"""`deemo explain --hits FILE.tsv --motif TF`: the JASPAR hits in each explained window with the
attribution inside them, equal to `core.motifs.hit_attribution` on the API's attributions."""

import numpy as np
import pandas as pd
from test_explain_cli import _one_thread, files, run  # noqa: F401

from deemo_gui.core.modelfile import load_model
from deemo_gui.core.motifs import scan
from deemo_gui.core.motifs.hit_attribution import ATTRIBUTION_COLUMNS, hit_attribution
from deemo_gui.core.sequences import decode
from deemo_gui.explain import saliency
from deemo_gui.viewer.analysis import known_motif


def test_explain_writes_hits_with_attribution(files, capsys, tmp_path):  # noqa: F811
    _, cnn, _, fasta, X = files
    out, tsv = tmp_path / "sal.npz", tmp_path / "hits.tsv"
    rc, stdout, _ = run(
        capsys,
        "explain",
        cnn,
        fasta,
        "--method",
        "saliency",
        "--out",
        out,
        "--device",
        "cpu",
        "--hits",
        tsv,
        "--motif",
        "ALX4",
    )
    assert rc == 0 and "hits with their saliency attribution" in stdout
    got = pd.read_csv(tsv, sep="\t")
    pwm = known_motif("ALX4")
    seqs = decode(X)
    hits = scan(pwm, seqs, p_threshold=1e-4)
    assert len(got) == len(hits) > 0 and set(got["name"]) == {pwm.name}
    attr = saliency(load_model(cnn), X)
    ref = pd.concat([hit_attribution(g, pwm, attr[i], seqs[i]) for i, g in hits.groupby("seq_index")]).loc[hits.index]
    np.testing.assert_allclose(
        got[ATTRIBUTION_COLUMNS].to_numpy(float), ref[ATTRIBUTION_COLUMNS].to_numpy(float), rtol=1e-4, atol=1e-6
    )
    assert list(got["id"]) == [f"r4_{6000 + i}" if i < 40 else f"r0_{6000 + i - 40}" for i in hits["seq_index"]]


def test_explain_hits_needs_a_motif_and_an_attribution(files, capsys, tmp_path):  # noqa: F811
    _, cnn, rnn, fasta, _ = files
    rc, _, err = run(
        capsys, "explain", cnn, fasta, "--method", "saliency", "--out", tmp_path / "a.npz", "--hits", tmp_path / "h.tsv"
    )
    assert rc != 0 and "--motif" in err and len(err.strip().splitlines()) == 1
    rc, _, err = run(
        capsys,
        "explain",
        cnn,
        fasta,
        "--method",
        "saliency",
        "--out",
        tmp_path / "a.npz",
        "--hits",
        tmp_path / "h.tsv",
        "--motif",
        "NOSUCHTF",
    )
    assert rc != 0 and "NOSUCHTF" in err
    rc, _, err = run(
        capsys,
        "explain",
        rnn,
        fasta,
        "--method",
        "temporal",
        "--out",
        tmp_path / "t.npz",
        "--hits",
        tmp_path / "h.tsv",
        "--motif",
        "ALX4",
    )
    assert rc != 0 and "not temporal" in err
