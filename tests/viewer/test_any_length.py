"""Sequences of any length in the viewer: every explanation method on M = 51, 200 and 1,000 nt with
101-nt models (N padding, best window, a chosen window), equal to the core explainer on the
window's own one-hot and NaN only outside the window; predictions = the best window's score."""

from pathlib import Path

import numpy as np
import pytest

from deemo_gui import explain
from deemo_gui.core.inference import predict_proba
from deemo_gui.core.sequences import one_hot, read_fasta
from deemo_gui.core.windows import scan, window_sequence
from deemo_gui.viewer import Viewer
from deemo_gui.viewer import analysis as A

ROOT = Path(__file__).resolve().parents[2]
LENGTHS = (51, 200, 1000)


@pytest.fixture(scope="module")
def viewer(tmp_path_factory):
    import torch

    torch.set_num_threads(1)
    data = read_fasta(ROOT / "resources" / "examples" / "REST_GM12878_test.fa")
    neg = [s for s, y in zip(data.seqs, data.labels[:, 0]) if y == 0]
    pos = [s for s, y in zip(data.seqs, data.labels[:, 0]) if y == 1]
    region = "".join(neg[:6]) + pos[0] + "".join(neg[6:9])  # REST peak at 606-707
    records = {51: pos[1][25:76], 200: neg[9] + pos[2][:99], 1000: region[5:1005]}
    tmp = tmp_path_factory.mktemp("any_length") / "any_length.fa"
    tmp.write_text("".join(f">len{n}\n{s}\n" for n, s in records.items()))
    v = Viewer()
    v.open(tmp)
    v.add_model(ROOT / "models" / "REST_GM12878_cnn.safetensors")
    v.add_model(ROOT / "models" / "REST_GM12878_rnn.safetensors")
    assert [m.name for m in v.selected_models] == ["REST_GM12878_cnn", "REST_GM12878_rnn"]
    return v


def _reference(module, method, X):
    if method == "prob":
        return predict_proba(module, X)[0, :1]
    if method == "saliency":
        return explain.saliency(module, X)[0]
    if method == "guided":
        return explain.guided(module, X)[0]
    if method == "integrated_gradients":
        return explain.integrated_gradients(module, X)[0]
    if method == "ism":
        return explain.ism(module, X)[0]
    if method == "saliency_logo":
        return explain.saliency_logo(explain.guided(module, X))[0]
    if method in ("deeplift", "deeplift_delta"):
        attr, delta = explain.deep_lift_shap(module, X, return_delta=True)
        return attr[0] if method == "deeplift" else delta
    fwd, bwd = explain.temporal(module, X)
    return np.stack([fwd[0], bwd[0]])


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("n", LENGTHS)
@pytest.mark.parametrize("model", ["REST_GM12878_cnn", "REST_GM12878_rnn"])
def test_every_method_on_the_window_it_reads(viewer, n, model):
    entry = viewer.model(model)
    seq = viewer.sequence(viewer.index_of(f"len{n}"))
    assert len(seq) == n
    recurrent = entry.module.is_recurrent
    methods = [m for m in A.METHODS if (m != "temporal" or recurrent) and not (recurrent and m.startswith("deeplift"))]
    out = A.analyze_sequence(entry, seq, methods, cache=viewer.results)
    L = 101
    if n < L:
        assert out["offset"] == -((L - n) // 2) and out["window"] == (0, n) and "scan" not in out
    else:
        found = scan(entry.module, seq)
        assert out["offset"] == found.best_start() and out["scan"].best_start() == found.best_start()
        assert out["window"] == (found.best_start(), found.best_start() + L)
    X = one_hot([window_sequence(seq, out["offset"], L)])
    lo, hi = out["window"]
    for method in methods:
        got = np.asarray(out[method])
        ref = _reference(entry.module, method, X)
        if method in ("prob", "deeplift_delta"):
            np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)
            continue
        assert got.shape[-1] == n, method
        inside = got[..., lo:hi]
        assert np.isfinite(inside).all(), f"{method}: NaN inside the window"
        assert np.isnan(got[..., :lo]).all() and np.isnan(got[..., hi:]).all(), method
        col0 = lo - out["offset"]
        np.testing.assert_allclose(inside, ref[..., col0 : col0 + hi - lo], rtol=1e-4, atol=1e-5, err_msg=method)
    track = out["saliency_track"]
    assert np.isfinite(track[lo:hi]).all()


def test_a_chosen_window_is_explained_and_clamped(viewer):
    entry = viewer.model("REST_GM12878_cnn")
    seq = viewer.sequence(viewer.index_of("len1000"))
    out = A.analyze_sequence(entry, seq, ("saliency",), window=100, cache=viewer.results)
    assert out["window"] == (100, 201)
    ref = explain.saliency(entry.module, one_hot([seq[100:201]]))[0]
    np.testing.assert_allclose(out["saliency"][:, 100:201], ref, rtol=1e-5, atol=1e-7)
    assert A.analyze_sequence(entry, seq, ("prob",), window=5000)["window"] == (899, 1000)


def test_viewer_predicts_the_best_window_and_follows_the_chosen_one(viewer):
    viewer.set_current("len1000")
    preds = viewer.predict_current()
    seq = viewer.current_sequence
    for name in preds:
        found = scan(viewer.model(name).module, seq)
        assert preds[name][0] == pytest.approx(float(found.score()[0]), rel=1e-6)
        assert viewer.window_of(name) == (found.best_start(), found.best_start() + 101)
    viewer.set_window(300)
    assert viewer.window_of("REST_GM12878_cnn") == (300, 401)
    result = A.analyze_current(viewer, models=["REST_GM12878_cnn"], methods=("prob",))
    assert result["REST_GM12878_cnn"]["window"] == (300, 401)
    viewer.set_current("len51")  # another record: back to the best window
    assert viewer.window_choice is None
    assert viewer.window_of("REST_GM12878_cnn") == (0, 51)  # N-padded: the model reads all 51 bases


def test_list_predictions_score_each_record_by_its_best_window(viewer):
    entry = viewer.model("REST_GM12878_cnn")
    table = viewer.predict_list([entry.name])[entry.name]
    for i in range(viewer.n_sequences):
        seq = viewer.sequence(i)
        assert table[i, 0] == pytest.approx(float(scan(entry.module, seq).score()[0]), rel=1e-5)


def test_scan_options_change_the_scores(viewer):
    viewer.set_current("len1000")
    viewer.set_scan_options(stride=50, reverse_complement=True)
    try:
        preds = viewer.predict_current()
        seq = viewer.current_sequence
        found = scan(viewer.model("REST_GM12878_cnn").module, seq, 50, True)
        assert preds["REST_GM12878_cnn"][0] == pytest.approx(float(found.score()[0]), rel=1e-6)
        assert viewer.scan_of("REST_GM12878_cnn").stride == 50
    finally:
        viewer.set_scan_options(stride=1, reverse_complement=False)
    from deemo_gui.core.errors import ConfigError

    with pytest.raises(ConfigError, match="stride"):
        viewer.set_scan_options(stride=0)
