import gzip

import numpy as np
import pytest

from deemo_gui.core.errors import DataError
from deemo_gui.core.sequences import (
    decode,
    fit_length,
    gc_content,
    load_dataset,
    one_hot,
    read_sequences,
    reverse_complement,
    reverse_complement_onehot,
)


def write(tmp_path, name, text, compress=False):
    p = tmp_path / name
    if compress:
        p.write_bytes(gzip.compress(text.encode()))
    else:
        p.write_text(text)
    return p


def test_fasta_multiline_gzip_lowercase_and_header_labels(tmp_path):
    text = ">a label=1 desc\nACGTac\ngtNN\n\n>b label=0\nrygt\n"
    for compress in (False, True):
        d = read_sequences(write(tmp_path, f"x{compress}.fa", text, compress))
        assert d.ids == ["a", "b"]
        assert d.seqs == ["ACGTACGTNN", "RYGT"]
        assert d.labels[:, 0].tolist() == [1.0, 0.0]


def test_one_hot_order_and_ambiguity_all_zero():
    X = one_hot(["ACGTN", "TTRAA"])
    assert X.shape == (2, 4, 5) and X.dtype == np.float32
    np.testing.assert_array_equal(X[0, :, :4], np.eye(4))
    assert X[0, :, 4].sum() == 0 and X[1, :, 2].sum() == 0
    assert decode(X) == ["ACGTN", "TTNAA"]


def test_reverse_complement_string_and_onehot_agree():
    seqs = ["ACGTTGCAAN", "GGGATCCAAT"]
    rc = [reverse_complement(s) for s in seqs]
    assert rc[0] == "NTTGCAACGT"
    np.testing.assert_array_equal(reverse_complement_onehot(one_hot(seqs)), one_hot(rc))


def test_fit_length_centre_crop_and_pad(caplog):
    out, changed = fit_length(["AACCGGTT", "ACG", "ACGTA"], 5)
    assert out == ["ACCGG", "NACGN", "ACGTA"] and changed == 2
    assert "2 of 3 sequences" in caplog.text


def test_gc_content():
    assert gc_content("GGCCATNN") == pytest.approx(4 / 6)


def test_deepbind_seq_gz_real(data_dir):
    d = read_sequences(data_dir / "deepbind_encode" / "REST_GM12878_B.seq.gz")
    assert len(d) == 1000 and {len(s) for s in d.seqs} == {101}
    assert d.labels.sum() == 500


def test_ctcf_fasta_with_target_file(data_dir):
    d = load_dataset(data_dir / "ctcf_gifford" / "ctcf_test.fa", labels=data_dir / "ctcf_gifford" / "ctcf_test.target")
    assert len(d) == 1000 and d.task_names == ["bound"]
    lines = (data_dir / "ctcf_gifford" / "ctcf_test.target").read_text().split("\n")
    assert d.labels[0, 0] == float(lines[0].split()[0])
    assert 0.3 < d.labels.mean() < 0.7


def test_shuffle_negatives_and_negatives_file(data_dir, tmp_path):
    pos = data_dir / "selex_alx4" / "alx4_round4.txt"
    d = load_dataset(pos, negatives="shuffle", seed=1)
    assert len(d) == 30000 and d.labels.mean() == 0.5
    d2 = load_dataset(pos, negatives=data_dir / "selex_alx4" / "alx4_round0.txt")
    assert len(d2) == 30000 and d2.seqs[15000] == read_sequences(data_dir / "selex_alx4" / "alx4_round0.txt").seqs[0]


def test_multitask_tsv(tmp_path):
    p = write(tmp_path, "m.tsv", "id\tsequence\tCTCF\tREST\nr1\tACGT\t1\t0\nr2\tGGCC\t0\t1\n")
    d = read_sequences(p)
    assert d.task_names == ["CTCF", "REST"] and d.labels.tolist() == [[1, 0], [0, 1]]
    p = write(tmp_path, "m.csv", "sequence,y\nACGT,1\n")
    assert read_sequences(p).labels.tolist() == [[1.0]]


@pytest.mark.parametrize(
    "name,text,message",
    [
        ("empty.fa", "", "empty file"),
        ("blank.fa", "\n\n  \n", "empty file"),
        ("prot.fa", ">p1\nMKVLAAGIVEQ\n", "invalid character 'L' at position 4"),
        ("gap.fa", ">g\nAC-GT\n", "invalid character '-'"),
        ("nohead.fa", "ACGT\n>x\nAC\n", "line 2: FASTA header after bare sequence"),
        ("emptyrec.fa", ">a\n>b\nACGT\n", "record 'a'"),
        ("tsvbad.tsv", "sequence\tlabel\nACGT\t2\n", "0/1 label"),
        ("junk.txt", "hello world, this is 1 file\n", "unrecognised format"),
    ],
)
def test_bad_files_raise_clear_data_errors(tmp_path, name, text, message):
    p = write(tmp_path, name, text)
    with pytest.raises(DataError, match=message) as info:
        read_sequences(p)
    assert str(p) in str(info.value) and "\n" not in str(info.value)


def test_binary_and_missing_files(tmp_path):
    p = tmp_path / "model.pt"
    p.write_bytes(b"\x80\x04\x95\x00\x00\x00")
    with pytest.raises(DataError, match="binary|UTF-8"):
        read_sequences(p)
    with pytest.raises(DataError, match="no such file"):
        read_sequences(tmp_path / "missing.fa")


def test_mismatched_label_count(tmp_path, data_dir):
    fa = write(tmp_path, "a.fa", ">a\nACGT\n>b\nACGT\n")
    lab = write(tmp_path, "a.target", "1\n0\n1\n")
    with pytest.raises(DataError, match="3 label lines for 2 sequences"):
        load_dataset(fa, labels=lab)
    lab = write(tmp_path, "b.target", "1\nyes\n")
    with pytest.raises(DataError, match="line 2"):
        load_dataset(fa, labels=lab)


def test_negatives_require_positive_only_file(data_dir):
    with pytest.raises(DataError, match="positives-only"):
        load_dataset(data_dir / "deepbind_encode" / "REST_GM12878_B.seq.gz", negatives="shuffle")
