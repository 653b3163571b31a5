"""The viewer model without Qt: files, edits, undo/redo, search on both strands, models, sessions."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from deemo_gui.core.errors import DataError, ModelFileError
from deemo_gui.core.sequences import read_sequences, reverse_complement
from deemo_gui.viewer import Viewer
from deemo_gui.viewer.search import IUPAC, letter_matches, search

REST = "deepbind_encode/REST_GM12878_B.seq.gz"
CTCF = "ctcf_gifford/ctcf_test.fa"
CTCF_LABELS = "ctcf_gifford/ctcf_test.target"
REST_CORE = "CAGCACCNNGGACAG"  # the core of the REST/NRSF RE1 motif (JASPAR MA0138)


@pytest.fixture
def viewer(data_dir):
    v = Viewer()
    v.open(data_dir / CTCF, labels=data_dir / CTCF_LABELS)
    return v


class Recorder:
    def __init__(self, viewer):
        self.events = []
        for name in (
            "sequences_changed",
            "current_changed",
            "sequence_edited",
            "selection_changed",
            "search_changed",
            "models_changed",
            "predictions_changed",
            "error",
        ):
            getattr(viewer.events, name).connect(lambda *args, n=name: self.events.append((n, args)))

    def names(self):
        return [n for n, _ in self.events]


def test_viewer_model_does_not_import_qt_or_torch():
    code = (
        "import sys; from deemo_gui.viewer import Viewer; v = Viewer(); "
        "v.open('resources/data/ctcf_gifford/ctcf_test.fa'); v.edit(0, 'A'); v.search('CCGCNNGG'); "
        "print(any(m.startswith('PySide6') for m in sys.modules), 'torch' in sys.modules)"
    )
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_open_real_files_with_labels(data_dir):
    v = Viewer()
    rec = Recorder(v)
    v.open(data_dir / REST)
    assert v.n_sequences == 1000 and v.current_index == 0
    assert v.current_id == read_sequences(data_dir / REST).ids[0] and len(v.current_sequence) == 101
    assert v.label(0).tolist() == [1.0] and v.label(999).tolist() == [0.0]
    v.open(data_dir / CTCF, labels=data_dir / CTCF_LABELS)
    assert v.n_sequences == 2000 and len(v.files) == 2
    assert v.file_of(1500).path.endswith("ctcf_test.fa")
    truth = read_sequences(data_dir / CTCF)
    assert v.sequence(1000) == truth.seqs[0] and v.sequence_id(1000) == truth.ids[0]
    assert v.current_index == 0  # opening another file keeps the current sequence
    assert rec.names().count("sequences_changed") == 2
    assert 0.0 <= v.gc(1000) <= 1.0
    assert np.isnan(v.edits.gc_values[1500])  # GC is computed lazily, on request


def test_bad_files_raise_and_leave_state_unchanged(viewer, tmp_path, data_dir):
    before = (viewer.n_sequences, viewer.current_id, viewer.current_sequence, len(viewer.files))
    messages = []
    viewer.events.error.connect(messages.append)
    protein = tmp_path / "protein.fa"
    protein.write_text(">p1\nMKVLAAGIVQW\n")
    for bad in (tmp_path / "missing.fa", protein, tmp_path):
        with pytest.raises(DataError):
            viewer.open(bad)
    with pytest.raises(DataError, match="label lines"):
        viewer.open(data_dir / REST, labels=data_dir / "ctcf_gifford" / "ctcf_train.target")  # 19,544 lines
    assert (viewer.n_sequences, viewer.current_id, viewer.current_sequence, len(viewer.files)) == before
    assert len(messages) == 4 and "protein.fa" in messages[1]
    with pytest.raises(ModelFileError):
        viewer.add_model(protein)
    assert viewer.models == []


def test_set_current_by_index_and_id(viewer):
    rec = Recorder(viewer)
    rid = viewer.sequence_id(17)
    assert viewer.set_current(rid) == 17 and viewer.current_index == 17
    assert viewer.set_current(3) == 3
    with pytest.raises(DataError):
        viewer.set_current("no-such-record")
    with pytest.raises(DataError):
        viewer.set_current(5000)
    assert viewer.current_index == 3
    assert [a for n, a in rec.events if n == "current_changed"] == [(17,), (3,)]


def test_edits_undo_redo_and_revcomp(viewer):
    rec = Recorder(viewer)
    original = viewer.current_sequence
    viewer.edit(0, "G" if original[0] != "G" else "A")
    first = viewer.current_sequence
    assert first != original and first[1:] == original[1:] and viewer.is_edited(0)
    viewer.edit(10, "NNN")
    assert viewer.current_sequence[10:13] == "NNN"
    viewer.replace_range(20, 25, "")
    assert len(viewer.current_sequence) == len(original) - 5
    viewer.replace_range(0, 0, "ACGT")  # insertion
    assert viewer.current_sequence.startswith("ACGT")
    assert viewer.undo() and viewer.undo() and viewer.undo()
    assert viewer.current_sequence == first
    assert viewer.redo() and viewer.current_sequence[10:13] == "NNN"
    viewer.undo()
    viewer.undo()
    assert viewer.current_sequence == original and not viewer.is_edited(0) and not viewer.can_undo
    assert viewer.can_redo
    viewer.reverse_complement()
    assert viewer.current_sequence == reverse_complement(original)
    viewer.edit(5, "a")  # lower case accepted, stored upper case
    assert viewer.current_sequence[5] == "A" and not viewer.can_redo  # a new edit clears redo
    # Refused input changes nothing.
    state = viewer.current_sequence
    for bad in (
        lambda: viewer.edit(0, "X"),
        lambda: viewer.edit(100, "AA"),
        lambda: viewer.edit(-1, "A"),
        lambda: viewer.replace_range(5, 500, "A"),
        lambda: viewer.replace_range(0, len(state), ""),
    ):
        with pytest.raises(DataError):
            bad()
    assert viewer.current_sequence == state
    assert rec.names().count("sequence_edited") == 12
    # Edits stay with their record when the current record changes.
    viewer.set_current(1)
    assert viewer.current_sequence == viewer.original_sequence(1) and not viewer.can_undo
    viewer.set_current(0)
    assert viewer.current_sequence == state and viewer.can_undo
    assert viewer.edited_indices == [0]


def test_selection_and_fasta(viewer):
    seq = viewer.current_sequence
    viewer.select(30, 10)
    assert viewer.selection == (10, 30) and viewer.selected_text() == seq[10:30]
    fasta = viewer.selection_fasta()
    assert fasta.splitlines() == [f">{viewer.current_id}:11-30", seq[10:30]]
    viewer.select(90, 500)
    assert viewer.selection == (90, 101)
    viewer.clear_selection()
    assert viewer.selection is None and viewer.selection_fasta().splitlines()[1] == seq[:60]


def brute_force(seq: str, pattern: str):
    """Every (start, strand) where the pattern matches, position by position (the oracle)."""
    w, out = len(pattern), set()
    rc = reverse_complement(pattern)
    for i in range(len(seq) - w + 1):
        window = seq[i : i + w]
        if all(letter_matches(s, p) for s, p in zip(window, pattern)):
            out.add((i, "+"))
        if all(letter_matches(s, p) for s, p in zip(window, rc)):
            out.add((i, "-"))
    return out


def test_search_both_strands_matches_brute_force(data_dir):
    data = read_sequences(data_dir / CTCF)
    rng = np.random.default_rng(0)
    letters = "ACGTRYSWKMBDHVN"
    patterns = ["CCGCNNGG", "CACGTG", "TGASTCA", "GGG", "RRCCGGYY", "A", "CCCTC", "NNNNN", "WWW"]
    patterns += ["".join(rng.choice(list(letters), size=int(rng.integers(2, 7)))) for _ in range(20)]
    seqs = data.seqs[:40] + ["ACGTNNACGTRY", "AAAA"]
    for seq in seqs:
        for pattern in patterns:
            hits = search(seq, pattern)
            assert {(h.start, h.strand) for h in hits} == brute_force(seq, pattern), (seq, pattern)
            assert len(hits) == len({(h.start, h.strand) for h in hits})
            for h in hits:
                assert h.text == seq[h.start : h.end] and h.end - h.start == len(pattern)
    # A palindrome hits both strands at the same place; overlaps are all found.
    assert [(h.start, h.strand) for h in search("TTCACGTGAA", "CACGTG")] == [(2, "+"), (2, "-")]
    assert [h.start for h in search("AAAA", "AA") if h.strand == "+"] == [0, 1, 2]
    assert set(IUPAC) == set("ACGTRYSWKMBDHVN")


def test_viewer_search_updates_on_edit_and_rejects_bad_patterns(viewer):
    rec = Recorder(viewer)
    seq = viewer.current_sequence
    hits = viewer.search("CCGCNNGG")
    assert viewer.search_hits == hits and {(h.start, h.strand) for h in hits} == brute_force(seq, "CCGCNNGG")
    site = "CCGCCAGG"
    viewer.edit(60, site)
    assert any(h.start == 60 and h.strand == "+" for h in viewer.search_hits)
    viewer.undo()
    assert not any(h.start == 60 and h.strand == "+" for h in viewer.search_hits) or seq[60:68] == site
    with pytest.raises(DataError, match="not a nucleotide letter"):
        viewer.search("CCGCXXGG")
    assert viewer.search_pattern == "CCGCNNGG"
    viewer.clear_search()
    assert viewer.search_hits == [] and "search_changed" in rec.names()


def test_models_predictions_and_motif_mutation(data_dir, rest_model):
    v = Viewer()
    v.open(data_dir / REST)
    rec = Recorder(v)
    entry = v.add_model(rest_model)
    assert entry.selected and entry.preset == "deepbind" and entry.input_length == 101
    assert entry.metadata["training"]["n_train"] == 1800
    assert "models_changed" in rec.names()
    # Mutating the REST motif (RE1 core) lowers P(bound) more than mutating the same number of
    # bases elsewhere in the same peak.
    motif_drops, control_drops = [], []
    for i in range(0, 120):
        v.set_current(i)
        hits = v.search(REST_CORE)
        if len(hits) != 1:
            continue
        h = hits[0]
        p0 = v.predict_current()[entry.name][0]
        v.replace_range(h.start, h.end, "A" * (h.end - h.start))
        motif_drops.append(p0 - v.predict_current()[entry.name][0])
        v.undo()
        start = 0 if h.start >= 50 else 101 - (h.end - h.start)
        v.replace_range(start, start + h.end - h.start, "A" * (h.end - h.start))
        control_drops.append(p0 - v.predict_current()[entry.name][0])
        v.undo()
    assert len(motif_drops) >= 10
    assert np.median(motif_drops) > 0.1 and max(motif_drops) > 0.3, motif_drops
    assert np.median(motif_drops) > np.median(control_drops) + 0.05, (motif_drops, control_drops)
    # Opening the same file again selects the listed model instead of adding a twin.
    assert v.add_model(rest_model) is entry and len(v.models) == 1
    # Predictions are recorded per model; a second copy of the network compares side by side.
    import copy

    twin = v.add_model_object(copy.deepcopy(entry.module), name="rest_deepbind")
    assert twin.name == "rest_deepbind (2)"
    out = v.predict_current()
    assert set(out) == {entry.name, twin.name} and out[entry.name] == pytest.approx(out[twin.name])
    v.select_models([twin.name])
    assert set(v.predict_current()) == {twin.name}
    v.remove_model(twin.name)
    assert [m.name for m in v.models] == [entry.name] and v.selected_models == []


def test_predictions_for_the_whole_list_and_stale_results(data_dir, rest_model):
    v = Viewer()
    v.open(data_dir / REST)
    entry = v.add_model(rest_model)
    table = v.predict_list()[entry.name]
    assert table.shape == (1000, 1)
    labels = np.array([v.label(i)[0] for i in range(1000)])
    from deemo_gui.core.metrics import classification_report

    logits = np.log(table / (1 - table))
    assert classification_report(labels[:, None], logits, ["bound"])["auroc"] > 0.85
    # A result computed for an older text of the sequence is ignored.
    seq = v.current_sequence
    v.edit(0, "T" if seq[0] != "T" else "A")
    assert not v.set_predictions(seq, {entry.name: [0.5]})
    assert v.set_predictions(v.current_sequence, {entry.name: [0.25]})
    assert v.list_predictions[entry.name][0, 0] == pytest.approx(0.25)
    # Models of another input length see the sequence centre-cropped or N-padded.
    v.replace_range(0, 10, "")
    assert len(v.predict_current()[entry.name]) == 1


def test_device_choice(viewer, rest_model):
    entry = viewer.add_model(rest_model)
    viewer.set_device("cpu")
    assert viewer.device == "cpu" and next(entry.module.parameters()).device.type == "cpu"
    import torch

    if not torch.cuda.is_available():
        with pytest.raises(Exception, match="CUDA"):
            viewer.set_device("cuda")
        assert viewer.device == "cpu"


def test_lazy_model_entries(viewer, rest_model):
    entry = viewer.add_model(rest_model, lazy=True, select=False)
    assert not entry.loaded and entry.metadata["preset"] == "deepbind"
    viewer.select_models([entry.name])
    assert entry.name in viewer.predict_current() and entry.loaded


def test_a_lazy_model_whose_file_breaks_is_left_out_once(viewer, rest_model, tmp_path, monkeypatch):
    import shutil

    from deemo_gui.core import modelfile
    from deemo_gui.viewer import BrokenModelError

    path = tmp_path / "rest.safetensors"
    shutil.copy(rest_model, path)
    good = viewer.add_model(rest_model, name="good")
    bad = viewer.add_model(path, lazy=True, name="bad")
    path.unlink()
    viewer.set_current(0)
    broken = []
    viewer.events.model_broken.connect(lambda name, why: broken.append((name, why)))
    loads = []
    load_model = modelfile.load_model
    monkeypatch.setattr(modelfile, "load_model", lambda *a, **k: (loads.append(a), load_model(*a, **k))[1])
    for _ in range(2):
        with pytest.raises(BrokenModelError, match="no such file") as exc:
            viewer.compute_predictions(viewer.current_sequence, [good, bad])
        assert exc.value.entry is bad and isinstance(exc.value, ModelFileError)
    assert len(loads) == 1 and "no such file" in bad.error and "broken" in repr(bad)
    assert viewer.selected_models == [good] and bad.selected  # left out at once; unticked here, once
    assert viewer.deselect_broken_models() == [bad] and viewer.deselect_broken_models() == []
    assert broken == [("bad", bad.error)] and not bad.selected
    viewer.select_models(["good", "bad"])
    assert viewer.selected_models == [good] and list(viewer.predict_current()) == ["good"]
    # Fixed: opening the file again repairs the same entry.
    with pytest.raises(ModelFileError):
        viewer.add_model(path)
    shutil.copy(rest_model, path)
    assert viewer.add_model(path) is bad and bad.error is None and bad.loaded
    assert set(viewer.predict_current()) == {"good", "bad"} and len(viewer.models) == 2


def test_session_round_trip(tmp_path, data_dir, rest_model):
    v = Viewer()
    v.open(data_dir / CTCF, labels=data_dir / CTCF_LABELS)
    v.open(data_dir / REST)
    v.add_model(rest_model)
    rid = v.sequence_id(1003)
    v.set_current(rid)
    v.edit(5, "NNNN")
    edited = v.current_sequence
    v.set_current(2)
    v.edit(0, "G" if v.current_sequence[0] != "G" else "C")
    v.search("CACGTG")
    v.select(3, 9)
    path = tmp_path / "work.deemo.json"
    v.save_session(path)
    saved = json.loads(path.read_text())
    assert saved["format"] == "deemo-session" and len(saved["files"]) == 2 and len(saved["edits"]) == 2

    w = Viewer()
    w.open_session(path)
    assert w.n_sequences == 2000 and [m.name for m in w.models] == ["rest_deepbind"]
    assert w.current_index == 2 and w.current_sequence == v.current_sequence and w.can_undo
    assert w.search_pattern == "CACGTG" and w.selection == (3, 9)
    assert w.sequence(w.index_of(rid)) == edited
    assert w.label(0) is not None  # the label file came back too

    # A session whose file disappeared raises and leaves the viewer as it was.
    broken = json.loads(path.read_text())
    broken["files"][1]["path"] = str(tmp_path / "gone.seq.gz")
    broken["files"][1]["relative"] = "gone.seq.gz"
    (tmp_path / "broken.json").write_text(json.dumps(broken))
    with pytest.raises(DataError, match="gone.seq.gz"):
        w.open_session(tmp_path / "broken.json")
    assert w.n_sequences == 2000 and w.current_index == 2
    (tmp_path / "not_session.json").write_text('{"a": 1}')
    with pytest.raises(DataError, match="not a deemo session"):
        w.open_session(tmp_path / "not_session.json")


def test_results_cache_is_lru_and_per_model():
    from deemo_gui.viewer import ResultsCache
    from deemo_gui.viewer.keys import AnalysisKey, HitsKey

    cache = ResultsCache(maxsize=3)
    cache.put(AnalysisKey("m1", "ACGT", "saliency"), 1)
    cache.put(AnalysisKey("m2", "ACGT", "saliency"), 2)
    cache.put(HitsKey(("MA0138.2",), "ACGT", 1e-4), 4)
    assert cache.get(AnalysisKey("m1", "ACGT", "saliency")) == 1
    cache.put(AnalysisKey("m1", "ACGT", "ism"), 3)  # evicts the least recently used (m2)
    assert cache.get(AnalysisKey("m2", "ACGT", "saliency")) is None and len(cache) == 3
    cache.discard_model("m1")
    assert len(cache) == 1 and HitsKey(("MA0138.2",), "ACGT", 1e-4) in cache  # not a model's result


def test_reverse_complement_is_a_view_of_the_other_strand(tmp_path):
    """Rev. comp. shows the other strand without recording edits; edits made there land on the
    file's strand at the mirrored position; the selection, soft mask and session follow."""
    path = tmp_path / "s.fa"
    path.write_text(">r1\nacgtACGTTTGCA\n>r2\nGGGG\n")
    v = Viewer()
    v.open(path)
    forward = v.current_sequence
    v.select(0, 3)
    v.reverse_complement()
    assert v.strand(0) == "-" and v.current_sequence == reverse_complement(forward)
    assert not v.is_edited(0) and v.edited_indices == [] and not v.can_undo
    assert v.selection == (10, 13) and v.selected_text() == reverse_complement(forward[0:3])
    assert v.soft_masked(0) == ((9, 13),)  # acgt at the end of the minus strand
    v.edit(0, "A" if v.current_sequence[0] != "A" else "C")  # base 1 of "-" is base 13 of the file
    assert v.is_edited(0) and v.forward_sequence(0)[:-1] == forward[:-1]
    assert v.forward_sequence(0)[-1] == reverse_complement(v.current_sequence[0])
    assert v.original_sequence(0) == reverse_complement(forward)  # the edit shows as one changed base
    assert sum(a != b for a, b in zip(v.original_sequence(0), v.current_sequence)) == 1
    v.save_session(tmp_path / "s.deemo.json")
    w = Viewer()
    w.open_session(tmp_path / "s.deemo.json")
    assert w.strand(0) == "-" and w.current_sequence == v.current_sequence and w.is_edited(0)
    assert w.forward_sequence(0) == v.forward_sequence(0)
    v.reverse_complement()
    assert v.strand(0) == "+" and v.current_sequence == v.forward_sequence(0)
    v.undo()
    assert v.current_sequence == forward and not v.is_edited(0)
