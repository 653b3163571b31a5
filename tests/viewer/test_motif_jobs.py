"""Motif jobs without Qt: class optimization with progress, filter motifs, extraction by method, their
Tomtom matches in JASPAR, alignment, search, MEME round trip, cancel and the results cache.

The model: cnn-small trained for two epochs on ALX4 HT-SELEX (resources/data/selex_alx4, round 4
bound vs round 0), 20-mers; the homeobox core TAATTA dominates round 4, so the learned motifs should
match ALX4 (JASPAR MA0853) or another homeobox matrix.
"""

import numpy as np
import pytest
import torch
from _homeobox import is_homeobox

from deemo_gui.core.motifs import JasparDB, read_meme, write_meme
from deemo_gui.viewer import Viewer
from deemo_gui.viewer import motif_jobs as mj


@pytest.fixture(scope="module")
def alx4(data_dir):
    """(viewer with round 4 vs round 0 open, the trained entry)."""
    from deemo_gui.core.sequences import load_dataset
    from deemo_gui.core.training import TrainingConfig, train

    torch.set_num_threads(1)
    pos, neg = data_dir / "selex_alx4" / "alx4_round4.txt", data_dir / "selex_alx4" / "alx4_round0.txt"
    data = load_dataset(str(pos), negatives=str(neg))
    n = len(data) // 2
    sub = data.subset(np.r_[0:2000, n : n + 2000])
    done = train(sub, TrainingConfig(preset="cnn-small", max_epochs=2, batch_size=64, lr=1e-3, device="cpu", seed=0))
    assert done.best_valid_auroc > 0.9
    viewer = Viewer()
    viewer.open(pos, negatives=str(neg))
    entry = viewer.add_model_object(done.model, name="alx4 cnn-small")
    return viewer, entry


def test_collect_sequences_takes_positives_fitted_to_the_model(alx4):
    viewer, entry = alx4
    sample = mj.collect_sequences(viewer, entry, max_seqs=1000)
    assert len(sample.seqs) == 1000 and sample.positives_only
    assert all(len(s) == entry.input_length == 20 for s in sample.seqs)
    assert sample.seqs[0] == viewer.sequence(0)  # round 4 reads come first
    assert "first 1,000 of 15,000 positive" in sample.description
    everything = mj.collect_sequences(viewer, entry, positives=False, max_seqs=None)
    assert len(everything.seqs) == 30_000 and not everything.positives_only
    with pytest.raises(Exception, match="no sequences are open"):
        mj.collect_sequences(Viewer(), entry)


def test_class_optimization_job_progress_matches_and_cache(alx4):
    viewer, entry = alx4
    events = []
    job = mj.classopt_job(entry, steps=300, every=25, cache=viewer.results)
    out = mj.run(job, events.append)
    steps = [e.payload for e in events if e.payload is not None]
    assert [p.step for p in steps] == list(range(0, 301, 25))
    assert all(p.pwm.shape == (4, 20) for p in steps)
    # P(+) rises from the random start to near 1
    assert steps[-1].score > 0.95 and steps[-1].score > steps[0].score + 0.2
    assert out.result.history.shape == (1, 301) and out.result.score > 0.95
    # the compared window: 9 most informative columns, inside the PWM
    assert out.query.width == 9 and 0 <= out.query_start <= 11
    np.testing.assert_allclose(out.query.probs, out.result.pwm.probs[:, out.query_start : out.query_start + 9])
    assert "TAAT" in out.query.consensus() or "ATTA" in out.query.consensus()
    # Tomtom against JASPAR2024 CORE vertebrates: a homeobox matrix among the best
    df = out.matches
    assert list(df.columns) == ["query", "target_id", "target_name", "p", "E", "q", "offset", "strand", "overlap"]
    assert (df["p"].diff().dropna() >= 0).all()
    assert sum(is_homeobox(n) for n in df["target_name"].head(5)) >= 3, df.head(5)
    assert out.match.best is not None and out.match.best.id == df.iloc[0]["target_id"]
    # cached: a second run returns the same outcome without optimising again
    again = []
    assert mj.run(mj.classopt_job(entry, steps=300, every=25, cache=viewer.results), again.append) is out
    assert again == []


def test_cancelling_class_optimization_restores_the_model(alx4):
    _, entry = alx4
    model = entry.module
    model.train()
    job = mj.classopt_job(model, steps=100_000, every=10)
    for event in job:
        if event.payload is not None and event.payload.step >= 20:
            break
    job.close()  # what Worker.cancel does
    assert model.training  # mode restored by the core generator
    model.eval()


def test_filter_motifs_match_homeobox_matrices(alx4):
    viewer, entry = alx4
    sample = mj.collect_sequences(viewer, entry, max_seqs=2000)
    events = []
    out = mj.run(mj.filters_job(entry, sample.seqs, cache=viewer.results), events.append)
    assert out.n_filters == 64 and 0 < len(out.motifs) <= 64 and out.n_sequences == 2000
    assert any("Tomtom" in e.text for e in events)
    ids = [m.pwm.id for m in out.motifs]
    assert ids == sorted(ids, key=lambda s: int(s[6:]))  # filter order
    for m in out.motifs:
        assert m.best is not None and m.best.id == m.best_id and len(m.matches) == mj.TOP_MATCHES
        assert m.matches["query"].eq(m.pwm.id).all()
    strong = sorted(out.motifs, key=lambda m: m.best_E)[:5]
    assert all(m.significant for m in strong)
    assert sum(is_homeobox(m.best_name) for m in strong) >= 4, [(m.best_name, m.best_E) for m in strong]
    # the threshold changes the windows: a higher one keeps fewer sites
    strict = mj.run(mj.filters_job(entry, sample.seqs, threshold=0.8))
    by_id = {m.pwm.id: m.pwm.nsites for m in out.motifs}
    assert sum(m.pwm.nsites for m in strict.motifs) < sum(by_id.values())


def test_filters_job_cancels_between_tomtom_chunks(alx4):
    viewer, entry = alx4
    sample = mj.collect_sequences(viewer, entry, max_seqs=500)
    job = mj.filters_job(entry, sample.seqs, min_sites=1)
    texts = []
    for event in job:
        texts.append(event.text)
        if event.text.startswith("Tomtom: motif 1-"):
            break
    job.close()
    assert texts[-1].startswith("Tomtom: motif 1-16 of")


def test_extract_job_by_method(alx4):
    viewer, entry = alx4
    sample = mj.collect_sequences(viewer, entry, max_seqs=1000)
    out = mj.run(mj.extract_job(entry, sample.seqs, methods=("saliency", "temporal", "activation")))
    assert set(out.skipped) == {"temporal"} and "recurrent" in out.skipped["temporal"]
    sal = out.by_method("saliency")
    assert len(sal) == 1 and sal[0].pwm.width == 9 and sal[0].best_row is not None
    act = out.by_method("activation")
    assert len(act) > 10 and all(m.pwm.id.startswith("activation") for m in act)
    assert sum(is_homeobox(m.best_name) for m in sorted(act, key=lambda m: m.best_E)[:5]) >= 3
    # the methods that apply to each kind of model
    assert mj.available_methods(entry)["temporal"] and not mj.available_methods(entry)["saliency"]
    with pytest.raises(Exception, match="motif method must be one of"):
        mj.run(mj.extract_job(entry, sample.seqs, methods=("nonsense",)))


def test_search_jaspar_by_name_and_id():
    pwms = mj.jaspar_motifs("JASPAR2024")
    ctcf = mj.search_jaspar(pwms, "CTCF")
    assert ctcf[0].id.startswith("MA0139") and ctcf[-1].name == "CTCFL"
    assert [p.id[:6] for p in mj.search_jaspar(pwms, "ma0139")] == ["MA0139"]
    assert {p.name for p in mj.search_jaspar(pwms, "foxa")} >= {"FOXA1", "FOXA2"}
    assert mj.search_jaspar(pwms, "") == pwms and mj.search_jaspar(pwms, "zzzz") == []


def test_aligned_follows_tomtom_offset_and_strand():
    db = JasparDB("JASPAR2024")
    ctcf = db.get("MA0139")
    targets = mj.jaspar_motifs("JASPAR2024")
    part = ctcf.slice(3, 12)
    part.id = "part"
    row = mj.tomtom([part], targets).iloc[0]
    assert row["target_id"] == ctcf.id and row["strand"] == "+" and int(row["offset"]) == 3
    qx, t, tx = mj.aligned(part, ctcf, row)
    assert (qx, tx) == (0, -3) and t is ctcf  # query column i sits on target column i + 3
    rc = part.reverse_complement()
    rc.id = "rc"
    row = mj.tomtom([rc], targets).iloc[0]
    assert row["target_id"] == ctcf.id and row["strand"] == "-"
    qx, t, tx = mj.aligned(rc, ctcf, row)
    # on the matched strand the columns under the query are the query itself
    cols = np.arange(rc.width) - tx
    np.testing.assert_allclose(t.probs[:, cols], rc.probs, atol=1e-9)


def test_meme_round_trip_of_filter_motifs(alx4, tmp_path):
    viewer, entry = alx4
    sample = mj.collect_sequences(viewer, entry, max_seqs=2000)
    out = mj.run(mj.filters_job(entry, sample.seqs, cache=viewer.results))  # cached from above
    pwms = [m.pwm for m in out.motifs]
    write_meme(pwms, tmp_path / "filters.meme")
    back = read_meme(tmp_path / "filters.meme")
    assert [p.id for p in back] == [p.id for p in pwms]
    for a, b in zip(pwms, back):
        np.testing.assert_allclose(a.probs, b.probs, atol=1e-4)


def test_logo_bits_is_information_scaled():
    probs = np.array([[1.0, 0.25], [0, 0.25], [0, 0.25], [0, 0.25]])
    np.testing.assert_allclose(mj.logo_bits(probs), [[2.0, 0], [0, 0], [0, 0], [0, 0]], atol=1e-12)


def test_filter_motifs_need_a_convolution(alx4, data_dir):
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "models" / "REST_GM12878_rnn.safetensors"
    if not path.exists():
        pytest.skip("no shipped rnn model")
    viewer, _ = alx4
    entry = viewer.add_model(path, lazy=True, select=False)
    assert mj.available_methods(entry)["activation"] and not mj.available_methods(entry)["temporal"]
    with pytest.raises(Exception, match="first convolution layer"):
        mj.run(mj.filters_job(entry, ["ACGT" * 25 + "A"]))


def test_temporal_without_a_switch_is_skipped_with_the_reason(monkeypatch):
    """Sequences whose forward score never switches to positive after the start transient give no
    temporal motif: the method is skipped with the reason, the job goes on."""
    from pathlib import Path

    import deemo_gui.core.explain as core_explain

    path = Path(__file__).resolve().parents[2] / "models" / "REST_GM12878_rnn.safetensors"
    if not path.exists():
        pytest.skip("no shipped rnn model")
    entry = Viewer().add_model(path, lazy=True, select=False)
    monkeypatch.setattr(core_explain, "temporal", lambda m, X, target=0: (np.full((len(X), X.shape[2]), 0.2),) * 2)
    out = mj.run(mj.extract_job(entry, ["ACGT" * 25 + "A"] * 3, methods=("temporal",)))
    assert "switches" in out.skipped["temporal"] and not out.motifs
