"""The analysis helpers behind the Dashboard, Saliency and Temporal panels, without Qt: equal to the
core explainers on the fitted sequence, mapped to the sequence's own coordinates, cached in
`viewer.results`, JASPAR motifs and hits of the model's TF."""

import numpy as np
import pytest

from deemo_gui import explain
from deemo_gui.core.sequences import one_hot, read_sequences
from deemo_gui.viewer import Viewer
from deemo_gui.viewer import analysis as A
from deemo_gui.viewer.sequences import fit_one

REST_DATA = "deepbind_encode/REST_GM12878_AC.seq.gz"


def trained_rest_model(tmp_path_factory, data_dir, preset: str) -> str:
    """`preset` trained on 2,000 REST ChIP-seq records (positives + shuffled negatives), saved once per
    test session (deterministic: seed 0, one CPU thread)."""
    path = tmp_path_factory.getbasetemp() / f"REST_GM12878_{preset}.safetensors"
    if not path.exists():
        import torch

        from deemo_gui.core.modelfile import save_model
        from deemo_gui.core.sequences import load_dataset
        from deemo_gui.core.training import TrainingConfig, train

        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            data = load_dataset(data_dir / REST_DATA, negatives="shuffle", seed=0)
            data = data.subset(np.sort(np.random.default_rng(0).choice(len(data), 2000, replace=False)))
            lr = 1e-2 if "rnn" in preset else 5e-3
            done = train(data, TrainingConfig(preset=preset, max_epochs=2, batch_size=64, lr=lr, seed=0, device="cpu"))
            save_model(done.model, path, done.metadata)
        finally:
            torch.set_num_threads(threads)
    return str(path)


@pytest.fixture(scope="module")
def viewer(tmp_path_factory, data_dir):
    import torch

    torch.set_num_threads(1)
    v = Viewer()
    v.open(data_dir / "deepbind_encode" / "REST_GM12878_B.seq.gz")
    v.add_model(trained_rest_model(tmp_path_factory, data_dir, "deepbind"))
    v.add_model(trained_rest_model(tmp_path_factory, data_dir, "rnn-small"))
    return v


@pytest.fixture(scope="module")
def rest_seq(data_dir):
    """A REST_GM12878_B peak with a JASPAR REST (MA0138) hit at p < 1e-4."""
    from deemo_gui.core.motifs import JasparDB, scan

    data = read_sequences(data_dir / "deepbind_encode" / "REST_GM12878_B.seq.gz")
    hits = scan(JasparDB("JASPAR2024").get("MA0138"), data.seqs[:200], p_threshold=1e-4)
    i = int(hits["seq_index"].iloc[0])
    return data.ids[i], data.seqs[i]


def test_analysis_equals_core_explainers(viewer, rest_seq):
    cnn, rnn = viewer.models
    seq = rest_seq[1]
    X = one_hot([seq])
    out = A.analyze_sequence(cnn, seq)
    m = cnn.module
    assert out["window"] == (0, 101)
    from deemo_gui.core.inference import predict_proba

    np.testing.assert_allclose(out["prob"][0], predict_proba(m, X)[0, 0], rtol=1e-6)
    np.testing.assert_allclose(out["saliency"], explain.saliency(m, X)[0], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(
        out["saliency_track"], explain.position_saliency(explain.saliency(m, X))[0], rtol=1e-5, atol=1e-7
    )
    np.testing.assert_allclose(out["guided"], explain.guided(m, X)[0], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(out["integrated_gradients"], explain.integrated_gradients(m, X)[0], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(out["ism"], explain.ism(m, X)[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        out["saliency_logo"], explain.saliency_logo(explain.guided(m, X))[0], rtol=1e-5, atol=1e-7
    )
    assert "temporal" not in out  # a CNN has no temporal output scores
    r = A.analyze_sequence(rnn, seq, methods=("temporal",))
    fwd, bwd = explain.temporal(rnn.module, X)
    np.testing.assert_allclose(r["temporal"], np.stack([fwd[0], bwd[0]]), rtol=1e-5, atol=1e-6)
    assert set(r) == {"window", "offset", "temporal"}


def test_attribution_track_is_the_value_at_the_observed_base(viewer, rest_seq):
    cnn = viewer.models[0]
    seq = rest_seq[1]
    out = A.analyze_sequence(cnn, seq, methods=("saliency", "guided", "integrated_gradients"))
    X = one_hot([seq])[0]
    np.testing.assert_allclose(A.attribution_track(out, "saliency", seq), (out["saliency"] * X).sum(0), atol=1e-7)
    np.testing.assert_allclose(A.attribution_track(out, "guided", seq), (out["guided"] * X).sum(0), atol=1e-7)
    np.testing.assert_allclose(
        A.attribution_track(out, "integrated_gradients", seq), out["integrated_gradients"].sum(0), atol=1e-6
    )


def test_results_are_cached_per_model_sequence_and_method(viewer, rest_seq, monkeypatch):
    cnn = viewer.models[0]
    seq = rest_seq[1]
    first = A.analyze_sequence(cnn, seq, methods=("saliency", "ism"), cache=viewer.results)
    assert A.cached_analysis(cnn, seq, ("saliency", "ism"), viewer.results) is not None
    assert A.cached_analysis(cnn, seq, ("saliency", "guided"), viewer.results) is None

    def boom(*a, **k):
        raise AssertionError("recomputed although cached")

    import deemo_gui.core.explain as core_explain

    monkeypatch.setattr(core_explain, "saliency", boom)
    monkeypatch.setattr(core_explain, "ism", boom)
    again = A.analyze_sequence(cnn, seq, methods=("saliency", "ism"), cache=viewer.results)
    assert again["ism"] is first["ism"]
    edited = seq[:50] + ("A" if seq[50] != "A" else "C") + seq[51:]
    with pytest.raises(AssertionError, match="recomputed"):
        A.analyze_sequence(cnn, edited, methods=("saliency",), cache=viewer.results)  # another text misses


def test_other_lengths_map_back_to_sequence_coordinates(viewer, rest_seq):
    cnn = viewer.models[0]
    seq = rest_seq[1]
    m = cnn.module
    short = seq[10:90]  # 80 nt: N-padded to 101 (10 N left, 11 right)
    out = A.analyze_sequence(cnn, short, methods=("saliency", "ism"))
    ref = explain.ism(m, one_hot([fit_one(short, 101)]))[0]
    assert out["ism"].shape == (4, 80) and out["window"] == (0, 80)
    np.testing.assert_allclose(out["ism"], ref[:, 10:90], rtol=1e-5, atol=1e-6)
    long = seq + seq[:30]  # 131 nt: the window at 15 sees bases 15..116
    out = A.analyze_sequence(cnn, long, methods=("saliency",), window=15)
    ref = explain.saliency(m, one_hot([long[15:116]]))[0]
    assert out["window"] == (15, 116)
    np.testing.assert_allclose(out["saliency"][:, 15:116], ref, rtol=1e-5, atol=1e-7)
    assert np.isnan(out["saliency"][:, :15]).all() and np.isnan(out["saliency"][:, 116:]).all()
    assert np.isnan(out["saliency_track"][:15]).all() and np.isfinite(out["saliency_track"][15:116]).all()


def test_cancelling_between_methods_keeps_what_was_done(viewer, rest_seq):
    cnn = viewer.models[0]
    seq = rest_seq[1][::-1]
    gen = A.iter_analyze(cnn, seq, ("prob", "saliency", "ism"), cache=viewer.results)
    assert next(gen) == (1, 3, "prob")
    assert next(gen) == (2, 3, "saliency")
    gen.close()
    assert A.cache_key(cnn.name, seq, "saliency", 0) in viewer.results
    assert A.cache_key(cnn.name, seq, "ism", 0) not in viewer.results


def test_analyze_current_covers_the_selected_models(viewer, rest_seq):
    viewer.set_current(rest_seq[0])
    out = A.analyze_current(viewer, methods=("prob", "temporal"))
    names = [m.name for m in viewer.models]
    assert list(out) == names
    assert "temporal" not in out[names[0]] and out[names[1]]["temporal"].shape == (2, len(rest_seq[1]))
    assert A.is_recurrent(viewer.models[1]) and not A.is_recurrent(viewer.models[0])


def test_recurrent_and_tf_from_metadata_without_loading(tmp_path_factory, data_dir):
    v = Viewer()
    entry = v.add_model(trained_rest_model(tmp_path_factory, data_dir, "rnn-small"), lazy=True)
    assert A.is_recurrent(entry) and A.model_tf(entry) == "REST" and not entry.loaded
    assert A.input_length(entry) == 101 and not entry.loaded


def test_model_tf_from_names_and_training_data():
    class Entry:
        def __init__(self, name, data=None, path=None):
            self.name, self.path, self.metadata = name, path, {"training": {"data": data}}

    assert A.model_tf(Entry("REST_GM12878_cnn")) == "REST"
    assert A.model_tf(Entry("MYC_H1-hESC_rnn")) == "MYC"
    assert A.model_tf(Entry("deepbind (unsaved)", "resources/data/deepbind_encode/CTCFL_K562_AC.seq.gz")) == "CTCFL"
    assert A.model_tf(Entry("cnn (unsaved)")) is None


def test_known_motifs_and_their_hits(rest_seq):
    from deemo_gui.core.motifs import JasparDB, scan

    rest = A.known_motif("REST")
    assert rest.id.startswith("MA0138") and rest.source == "JASPAR2024"
    assert A.known_motif("MA0139").name == "CTCF" and A.known_motif("GATA1").name == "GATA1"
    assert A.known_motif("NOT_A_TF") is None and A.known_motif(None) is None
    hits = A.motif_hits(rest, rest_seq[1])
    ref = scan(JasparDB("JASPAR2024").get("MA0138"), [rest_seq[1]], p_threshold=1e-4)
    assert len(hits) >= 1 and (hits["p"] < 1e-4).all() and list(hits["name"].unique()) == ["REST"]
    np.testing.assert_array_equal(hits["start"], ref["start"])
    assert set(hits["strand"]) <= {"+", "-"}
    from deemo_gui.viewer.entries import ResultsCache

    cache = ResultsCache()
    assert A.cached_hits([rest], rest_seq[1], cache, compute=False) is None
    A.cached_hits([rest], rest_seq[1], cache)
    assert A.cached_hits([rest], rest_seq[1], cache, compute=False) is not None
    assert A.cached_known_motifs(["REST", "REST", None]) == [rest]
    logo = A.ic_logo(rest)
    np.testing.assert_allclose(logo.sum(0), rest.information_content(), atol=1e-9)


def test_class_optimization_is_cached_per_model(viewer):
    cnn = viewer.models[0]
    gen = A.iter_class_optimization(cnn, steps=20, every=10)
    progress = []
    while True:
        try:
            progress.append(next(gen))
        except StopIteration as stop:
            result = stop.value
            break
    assert [p.step for p in progress] == [0, 10, 20]
    ref = explain.class_optimization(cnn.module, steps=20)
    np.testing.assert_allclose(result.pwm.probs, ref.pwm.probs, atol=1e-6)
    assert A.stored_class_optimization(cnn, steps=20) is result
    assert A.class_optimized_logo(cnn, steps=20).shape == (4, 101)
