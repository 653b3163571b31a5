"""Exports and the whole-list motif filter, Qt-free: FASTA with edits and soft-masking, the
prediction table (CSV / TSV) of every record, records with a motif on either strand (brute force)."""

import csv
from pathlib import Path

import numpy as np
import pytest

from deemo_gui.core.errors import DataError
from deemo_gui.core.sequences import read_fasta, reverse_complement
from deemo_gui.core.windows import score_sequences
from deemo_gui.viewer import Viewer
from deemo_gui.viewer.export import records_with_pattern, write_fasta, write_predictions
from deemo_gui.viewer.search import letter_matches

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def viewer(tmp_path):
    data = read_fasta(ROOT / "resources" / "examples" / "REST_GM12878_test.fa")
    path = tmp_path / "mixed.fa"
    records = [
        (data.ids[0], data.seqs[0][:30].lower() + data.seqs[0][30:]),
        (data.ids[1], data.seqs[1][:60]),
        ("long", "".join(data.seqs[2:6])),
    ]
    path.write_text("".join(f">{i} label={k % 2}\n{s}\n" for k, (i, s) in enumerate(records)))
    v = Viewer()
    v.open(path)
    v.add_model(ROOT / "models" / "REST_GM12878_cnn.safetensors")
    return v


def test_fasta_export_keeps_edits_and_soft_masking(viewer, tmp_path):
    viewer.set_current(1)
    viewer.edit(5, "A" if viewer.current_sequence[5] != "A" else "C")
    out = tmp_path / "out.fa"
    assert write_fasta(viewer, out) == 3
    back = read_fasta(out)
    assert back.seqs == [viewer.sequence(i) for i in range(3)]
    assert back.soft_masked == {0: ((0, 30),)}
    text = out.read_text()
    assert f">{viewer.ids[1]} edited\n" in text and max(len(line) for line in text.splitlines()) <= 60
    assert write_fasta(viewer, out, [2]) == 1 and read_fasta(out).ids == ["long"]
    with pytest.raises(DataError, match="nothing to export"):
        write_fasta(viewer, out, [])


@pytest.mark.parametrize("suffix, delimiter", [(".csv", ","), (".tsv", "\t")])
def test_prediction_table_has_every_record_and_its_labels(viewer, tmp_path, suffix, delimiter):
    viewer.predict_list()
    path = tmp_path / f"p{suffix}"
    assert write_predictions(viewer, path) == 3
    rows = list(csv.reader(path.open(), delimiter=delimiter))
    assert rows[0] == ["id", "file", "length", "label_bound", "p_REST_GM12878_cnn"]
    module = viewer.model("REST_GM12878_cnn").module
    expected = score_sequences(module, [viewer.sequence(i) for i in range(3)])[:, 0]
    for i, row in enumerate(rows[1:]):
        assert row[0] == viewer.ids[i] and int(row[2]) == len(viewer.sequence(i)) and row[3] == str(i % 2)
        assert float(row[4]) == pytest.approx(float(expected[i]), abs=1e-6)


def test_prediction_table_needs_predictions(viewer, tmp_path):
    with pytest.raises(DataError, match="no predictions"):
        write_predictions(viewer, tmp_path / "p.csv")


def _brute_has(seq: str, pattern: str) -> bool:
    w = len(pattern)
    for strand in (seq, reverse_complement(seq)):
        for k in range(len(strand) - w + 1):
            if all(letter_matches(strand[k + j], pattern[j]) for j in range(w)):
                return True
    return False


@pytest.mark.parametrize("pattern", ["GGACAG", "CTGTCC", "CANNTG", "GCGCGCGC", "TTTTTTTTTTTT", "RRRRRRRYYY"])
def test_records_with_a_motif_on_either_strand_match_brute_force(viewer, pattern):
    got = records_with_pattern(viewer, pattern)
    want = [i for i in range(viewer.n_sequences) if _brute_has(viewer.sequence(i), pattern)]
    np.testing.assert_array_equal(got, want)
    with pytest.raises(DataError, match="not a nucleotide"):
        records_with_pattern(viewer, "GGZ")


def test_a_session_reopens_peaks_from_their_genome(tmp_path):
    import sys

    sys.path.insert(0, str(ROOT))
    from tests._genome import build

    g = build(tmp_path / "genome")
    v = Viewer()
    v.open(g.bed, genome=g.fasta)
    v.set_current(3)
    v.edit(10, "A" if v.current_sequence[10] != "A" else "C")
    session = tmp_path / "peaks.deemo.json"
    v.save_session(session)
    w = Viewer()
    w.open_session(session)
    assert w.ids == v.ids and [w.origin(i) for i in range(5)] == [v.origin(i) for i in range(5)]
    assert w.current_sequence == v.current_sequence and w.files[0].genome == v.files[0].genome
    assert w.files[0].length == 101
