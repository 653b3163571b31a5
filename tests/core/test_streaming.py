"""Streaming reads and `deemo predict` as a stream: the same records, rows and errors as reading
the whole file, in bounded memory (issue 14, item 1). Speed is measured in benchmarks/reading.py."""

import csv
import io
import logging
from pathlib import Path

import numpy as np
import pytest

from deemo_gui.cli.main import main
from deemo_gui.core import fasta, line_stream, predict_stream
from deemo_gui.core.errors import DataError
from deemo_gui.core.inference import predict_proba
from deemo_gui.core.inputfile import read_text
from deemo_gui.core.modelfile import load_model
from deemo_gui.core.sequences import (
    _parse_fasta,
    fit_length,
    load_dataset,
    one_hot,
    read_sequences,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "resources" / "examples").glob("*.fa"))
MODEL = ROOT / "models" / "ARID3A_K562_deepbind.safetensors"


def _whole_text(path):
    """The line parser over the whole text at once: what every FASTA was read with before streaming."""
    name, text = read_text(path, "sequence file")
    return _parse_fasta(text, name)


def _same(a, b):
    assert a.ids == b.ids and a.seqs == b.seqs and a.soft_masked == b.soft_masked and a.source == b.source
    assert (a.labels is None) == (b.labels is None) and (a.labels is None or np.array_equal(a.labels, b.labels))


def _odd_fasta(tmp_path):
    """Every kind of chunk: wrapped, CRLF, comments, blank lines, soft-masked runs, descriptions, labels."""
    real = read_sequences(EXAMPLES[0])
    parts = []
    for i, (rid, seq) in enumerate(zip(real.ids[:300], real.seqs[:300])):
        seq = seq[:20] + seq[20:40].lower() + seq[40:] if i % 3 == 0 else seq
        body = "\n".join(seq[k : k + 60] for k in range(0, len(seq), 60)) if i % 2 else seq
        head = f">{rid} desc\tx label={i % 2}" if i % 5 else f">{rid} label={i % 2}"
        parts.append(f"{head}\n{body}\n" + ("\n; a comment\n" if i % 7 == 0 else ""))
    path = tmp_path / "odd.fa"
    path.write_bytes("".join(parts).replace("\n", "\r\n", 400).encode())
    return path


@pytest.mark.parametrize("chunk", [4 << 20, 1000, 7])
def test_streaming_reader_equals_the_whole_text_reader(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(fasta, "CHUNK", chunk)
    for path in EXAMPLES[:3] + [_odd_fasta(tmp_path)]:
        _same(read_sequences(path), _whole_text(path))
    data = read_sequences(tmp_path / "odd.fa")
    assert data.labels is not None and data.soft_masked[0] == ((20, 40),)


def test_errors_are_the_whole_text_reader_errors_when_chunks_disagree(tmp_path, monkeypatch):
    """A bad record in an early chunk and a header without a name in a later one: the header error,
    with its line, is reported, as when the file is read whole (parsing before validation)."""
    monkeypatch.setattr(fasta, "CHUNK", 64)
    path = tmp_path / "two.fa"
    path.write_text(">a\nACGTX\n" + "".join(f">r{i}\n{'ACGT' * 10}\n" for i in range(20)) + ">\nACGT\n")
    with pytest.raises(DataError, match=r"two.fa, line 43: FASTA header without a name"):
        read_sequences(path)


def test_records_stream_a_chunk_at_a_time(tmp_path, monkeypatch):
    monkeypatch.setattr(fasta, "CHUNK", 2000)
    path = tmp_path / "many.fa"
    path.write_text("".join(f">r{i}\n{'ACGTN' * 20}A\n" for i in range(5000)))
    stream = predict_stream.records(path)
    ids, seqs = next(stream)
    assert 0 < len(ids) < 50 and seqs[0] == "ACGTN" * 20 + "A"  # not the whole file
    assert sum(len(i) for i, _ in stream) + len(ids) == 5000


def test_scoring_is_lazy_a_group_at_a_time():
    """score_batches takes records from a generator as it goes: the first rows exist before the
    input is exhausted (memory does not grow with the input)."""
    model = load_model(MODEL)
    pulled = []

    def endless():
        for k in range(10**9):
            pulled.append(k)
            yield [f"r{k}"] * 300, ["ACGT" * 25 + "A"] * 300

    ids, probs = next(predict_stream.score_batches(model, endless(), group=256))
    assert len(ids) == 256 and probs.shape == (256, 1) and pulled == [0]


def test_predict_writes_the_rows_reading_the_whole_file_gives(tmp_path, caplog):
    src = read_sequences(EXAMPLES[1])
    path = tmp_path / "x.fa"
    path.write_text("".join(f">{i}\n{s}\n" for i, s in zip(src.ids[:700], src.seqs[:700])) + ">short\nACGT\n>a,b\nAC\n")
    out = tmp_path / "p.csv"
    with caplog.at_level(logging.WARNING):
        assert main(["predict", str(MODEL), str(path), "--out", str(out)]) == 0
    assert "2 of 702 sequences were shorter than 101 nt and were N-padded" in caplog.text
    model, data = load_model(MODEL), read_sequences(path)
    probs = predict_proba(model, one_hot(fit_length(data.seqs, model.input_length)[0]))
    expected = io.StringIO(newline="")
    writer = csv.writer(expected)
    writer.writerow(["id", "p_bound"])
    for rid, row in zip(data.ids, probs):
        writer.writerow([rid] + [f"{v:.6f}" for v in row])
    assert out.read_bytes() == expected.getvalue().encode()
    assert '"a,b",' in out.read_text()


def test_predict_warns_about_duplicate_ids_once_at_the_end(tmp_path, caplog, monkeypatch):
    monkeypatch.setattr(fasta, "CHUNK", 500)
    path = tmp_path / "d.fa"
    path.write_text("".join(f">r{i % 90}\n{'ACGT' * 25}A\n" for i in range(100)))
    with caplog.at_level(logging.WARNING):
        assert main(["predict", str(MODEL), str(path), "--out", str(tmp_path / "p.csv")]) == 0
    warnings = [r.getMessage() for r in caplog.records if "more than once" in r.getMessage()]
    assert warnings == [
        (
            f"{path}: 10 record id(s) occur more than once: 'r0', 'r1', 'r2', 'r3', 'r4' and 5 more; "
            "records are told apart by position"
        )
    ]


def test_a_bad_record_late_in_the_file_leaves_the_old_output(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(fasta, "CHUNK", 1000)
    path, out = tmp_path / "late.fa", tmp_path / "p.csv"
    path.write_text("".join(f">r{i}\n{'ACGT' * 25}A\n" for i in range(3000)) + ">bad\nACGU\n")
    out.write_text("old\n")
    assert main(["predict", str(MODEL), str(path), "--out", str(out)]) == 2
    assert "late.fa, record 'bad' (line 6001): invalid character 'U'" in capsys.readouterr().err
    assert out.read_text() == "old\n" and sorted(p.name for p in tmp_path.iterdir()) == ["late.fa", "p.csv"]


def test_table_and_plain_readers_keep_soft_masked_runs(tmp_path):
    (tmp_path / "t.tsv").write_text("id\tsequence\tbound\nx\tACgtA\t1\ny\tACGT\t0\n")
    (tmp_path / "p.txt").write_text("ACGT\nacGT\n")
    (tmp_path / "y.txt").write_text("1\n0\n")
    assert read_sequences(tmp_path / "t.tsv").soft_masked == {0: ((2, 4),)}
    assert read_sequences(tmp_path / "p.txt").soft_masked == {1: ((0, 2),)}
    assert load_dataset(tmp_path / "p.txt", labels=tmp_path / "y.txt").soft_masked == {1: ((0, 2),)}
    assert load_dataset(tmp_path / "p.txt", negatives="shuffle").soft_masked == {1: ((0, 2),)}


def _line_files(tmp_path):
    """The line-based formats, from a real DeepBind .seq file: with its header, headerless, TSV, CSV,
    one per line (blank lines, CRLF and a BOM included)."""
    real = read_sequences(ROOT / "resources" / "data" / "deepbind_encode" / "ARID3A_K562_AC.seq.gz")
    seqs, y = real.seqs[:300], real.labels[:300, 0].astype(int)
    rows = list(zip(real.ids[:300], seqs, y))
    files = {
        "db.seq": "FoldID\tEventID\tseq\tBound\n" + "".join(f"A\t{i}\t{s}\t{b}\n" for i, s, b in rows),
        "dbh.txt": "\n".join(f"{s}\t{b}" + ("\n" if k % 50 == 0 else "") for k, (_, s, b) in enumerate(rows)),
        "t.tsv": "\ufeffid\tsequence\ty\r\n"
        + "".join(f"{i}\t{s.lower() if k % 9 == 0 else s}\t{b}\r\n" for k, (i, s, b) in enumerate(rows)),
        "t.csv": "\n\nname,sequence\n" + "".join(f"{i},{s}\n" for i, s, _ in rows),
        "plain.txt": "\n".join(s for _, s, _ in rows) + "\n\n",
    }
    for fname, text in files.items():
        (tmp_path / fname).write_text(text, encoding="utf-8")
    return [tmp_path / f for f in files]


@pytest.mark.parametrize("chunk", [1 << 20, 500, 7])
def test_line_formats_stream_as_the_whole_file_reads(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(line_stream, "CHUNK", chunk)
    for path in _line_files(tmp_path):
        whole = read_sequences(path)
        parts = list(line_stream.iter_sequence_sets(path))
        assert len(parts) > 1 or chunk == 1 << 20
        assert sum((p.ids for p in parts), []) == whole.ids, path.name
        assert sum((p.seqs for p in parts), []) == whole.seqs, path.name
        if whole.labels is not None:
            assert np.array_equal(np.concatenate([p.labels for p in parts]), whole.labels), path.name


@pytest.mark.parametrize(
    "text, error",
    [
        (
            "FoldID\tEventID\tseq\tBound\n" + "A\te\tACGT\t1\n" * 40 + "A\te\tACXT\t1\n",
            r"x.txt, line 42 \(e\): invalid character 'X'",
        ),
        (
            "FoldID\tEventID\tseq\tBound\n" + "A\te\tACGT\t1\n" * 40 + "A\te\tACGT\t2\n",
            r"x.txt, line 42: Bound must be 0 or 1",
        ),
        ("ACGT\t1\n" * 30 + "ACGT 1\n", r"x.txt, line 31: expected 'sequence<TAB>0\|1'"),
        ("id,sequence\n" + "a,ACGT\n" * 30 + "b,AC,GT\n", r"x.txt, line 32: 3 columns, the header has 2"),
        ("ACGT\n" * 30 + ">r\nACGT\n", r"x.txt, line 31: FASTA header after bare sequence lines"),
        ("id,sequence\n\n\n", r"x.txt: header but no sequences"),
    ],
)
def test_line_format_errors_name_the_line_of_the_whole_file(tmp_path, monkeypatch, text, error):
    monkeypatch.setattr(line_stream, "CHUNK", 16)
    path = tmp_path / "x.txt"
    path.write_text(text)
    with pytest.raises(DataError, match=error):
        read_sequences(path)
    with pytest.raises(DataError, match=error):
        list(line_stream.iter_sequence_sets(path))


def test_predict_streams_a_deepbind_seq_file(tmp_path, monkeypatch):
    monkeypatch.setattr(line_stream, "CHUNK", 4000)
    path = _line_files(tmp_path)[0]
    stream = predict_stream.records(path)
    ids, seqs = next(stream)
    assert 0 < len(ids) < 300 and seqs[0] == read_sequences(path).seqs[0]
    assert len(ids) + sum(len(i) for i, _ in stream) == 300


def _read_or_error(read, path):
    try:
        data = read(path)
    except DataError as exc:
        return str(exc)
    labels = None if data.labels is None else data.labels.tolist()
    return data.ids, data.seqs, data.soft_masked, labels


_FUZZ_BYTES = b">>>\n\n\n\r ;\tACGTNacgtnUX=label=01\x1c\x0b\xc3\xa9"


def _fuzz_fasta(rng) -> bytes:
    """One-line records (the reader's fast case) with names of one or more widths, and now and then
    descriptions, labels, soft-masked runs, '>' in a name; then a few random edits."""
    width = rng.choice([3, 8, 11])
    parts = []
    for i in range(int(rng.integers(1, 40))):
        name = f"r{i:0{width}d}" if rng.random() < 0.9 else f"x{i}"
        name += ">y" if rng.random() < 0.03 else ""
        head = name + (f" d label={i % 2}" if rng.random() < 0.1 else "")
        seq = "".join(rng.choice(list("ACGTN"), int(rng.integers(1, 30))))
        seq = seq[:3] + seq[3:9].lower() + seq[9:] if rng.random() < 0.1 else seq
        parts.append(f">{head}\n{seq}\n")
    data = bytearray("".join(parts).encode())
    for _ in range(int(rng.integers(0, 4))):
        k = int(rng.integers(0, len(data) + 1))
        op = rng.random()
        if op < 0.4:
            data[k:k] = bytes([_FUZZ_BYTES[int(rng.integers(0, len(_FUZZ_BYTES)))]])
        elif op < 0.8:
            del data[k : k + int(rng.integers(1, 4))]
        else:
            data[k:k] = data[: int(rng.integers(0, 40))]  # a repeated stretch: duplicate names
    return bytes(data) if data.startswith(b">") else b">" + data  # still FASTA by its first byte


def test_fast_reader_equals_the_line_parser_on_mutated_files(tmp_path, monkeypatch):
    """A differential fuzz of the one-line fast path (`fasta._one_line`): on 1,500 mutated files,
    at chunk sizes from 5 bytes to the whole file, the same records, masks, labels or error as the
    line parser over the whole text, and as `_fast` without the one-line path."""
    rng = np.random.default_rng(14)
    path = tmp_path / "f.fa"
    fast = slow = 0
    real_one_line = fasta._one_line

    def counted(chunk):
        nonlocal fast, slow
        done = real_one_line(chunk)
        fast += done is not None and done[0] is not None
        slow += done is None
        return done

    for _ in range(1500):
        path.write_bytes(_fuzz_fasta(rng))
        expected = _read_or_error(_whole_text, path)
        monkeypatch.setattr(fasta, "CHUNK", int(rng.choice([5, 60, 300, 1 << 20])))
        monkeypatch.setattr(fasta, "_one_line", counted)
        assert _read_or_error(read_sequences, path) == expected, path.read_bytes()
        monkeypatch.setattr(fasta, "_one_line", lambda chunk: None)
        assert _read_or_error(read_sequences, path) == expected, path.read_bytes()
    assert fast > 500 and slow > 100  # both ways were taken


@pytest.mark.parametrize(
    "text",
    [
        ">a\nACGT\n>\nACGT\n",  # a header without a name: last, first, in the middle
        ">\nACGT\n>a\nAC\n",
        ">a\nAC\n>\nAC\n>b\nAC\n",
        ">a\nACGT\n\x1c\n",  # a last line that str.strip() would take for blank, bytes.strip() does not
        ">a\nACGT\n \t\n\n\n",
        ">a\n>b\nAC\nGT\n",  # a header without a sequence, then a wrapped one
        ">a\nAC\nGT\nAC\n",
        ">a\n>AC\n>b\nGT\n",
        ">a>b\nACGT\n>c\nA\n",
        ">a\nacgtNN\n>b\nAC\n",
        ">a label=1\nAC\n>b label=0\nGT\n",
        ">label=1\nAC\n>label=0\nGT\n",
        ">a\nACGT\n\n>b\nAC\n",
        ">a\nAC GT\n",
        ">a\t\nAC\n>b \nAC\n",
        ">\u00e9\nAC\n",
        ">a\x01\nAC\n",
        ">a\n;c\n>b\nAC\n",
        ">a\nACGU\n",
        ">a\nAC\n>a\nAC\n",
    ],
)
def test_fast_reader_edge_cases_equal_the_line_parser(tmp_path, monkeypatch, text):
    path = tmp_path / "e.fa"
    path.write_bytes(text.encode())
    expected = _read_or_error(_whole_text, path)
    for chunk in (3, 1 << 20):
        monkeypatch.setattr(fasta, "CHUNK", chunk)
        assert _read_or_error(read_sequences, path) == expected


def _duplicate_warnings(caplog, batches, name="f.fa"):
    caplog.clear()
    seen = predict_stream._IdHashes(lambda: iter(batches))
    with caplog.at_level(logging.WARNING):
        for ids in batches:
            seen.add(ids)
        seen.warn(name)
    return [r.getMessage() for r in caplog.records if "more than once" in r.getMessage()]


@pytest.mark.parametrize("collide", [False, True])
def test_duplicate_id_warning_fires_exactly_when_ids_repeat(caplog, monkeypatch, collide):
    """Ids of one width (hashed in bulk), of several (hashed one by one, the earlier chunks again),
    non-ASCII; with `collide`, every hash is the same, so only the exact count of the ids tells."""
    if collide:
        monkeypatch.setattr(predict_stream, "_hash", lambda s: 7)
        monkeypatch.setattr(predict_stream, "_mix", lambda words: np.zeros(len(words), dtype=np.int64))
    same_width = [[f"p{i:05d}" for i in range(k, k + 100)] for k in range(0, 300, 100)]
    assert _duplicate_warnings(caplog, same_width) == []
    assert _duplicate_warnings(caplog, [*same_width, ["p00150"]]) == [
        "f.fa: 1 record id(s) occur more than once: 'p00150'; records are told apart by position"
    ]
    mixed = [*same_width, ["q1", "q22", "q333", "é1"], ["é2", "é1x"]]
    assert _duplicate_warnings(caplog, mixed) == []
    assert _duplicate_warnings(caplog, [*mixed, ["p00007", "é1", "q22"]]) == [
        "f.fa: 3 record id(s) occur more than once: 'p00007', 'q22', 'é1'; records are told apart by position"
    ]
    assert _duplicate_warnings(caplog, [["ab", "ab"], ["cd"]]) != []  # within one chunk
    assert _duplicate_warnings(caplog, [["abcd"], ["ab\u00e9"], ["abcd"]]) != []  # 4 bytes each, then 4 again
    assert _duplicate_warnings(caplog, [["abcd"], ["ab\u00e9"]]) == []


def test_bulk_hashes_take_one_width_only():
    data = "\n".join(["ab", "cd", "ef"]).encode()
    w, hashes = predict_stream._bulk_hashes(data, 3, 0)
    assert w == 2 and len(set(hashes.tolist())) == 3
    assert predict_stream._bulk_hashes(data, 3, 3) is None
    assert predict_stream._bulk_hashes(b"abc\nd\nef", 3, 0) is None  # 8 bytes = 3 x (2 + 1) - 1, other widths
    assert predict_stream._bulk_hashes(b"\n\n", 3, 0) is None
    long = ["x" * 20 + str(i) for i in range(10)]
    assert len(set(predict_stream._bulk_hashes("\n".join(long).encode(), 10, 0)[1].tolist())) == 10


def test_records_confirm_colliding_hashes_by_reading_the_ids_again(tmp_path, caplog, monkeypatch):
    monkeypatch.setattr(fasta, "CHUNK", 300)
    monkeypatch.setattr(predict_stream, "_hash", lambda s: 7)
    monkeypatch.setattr(predict_stream, "_mix", lambda words: np.zeros(len(words), dtype=np.int64))
    path = tmp_path / "c.fa"
    for names, warned in [([f"r{i:03d}" for i in range(200)], []), ([f"r{i}" for i in range(200)] + ["r5"], ["'r5'"])]:
        path.write_text("".join(f">{n}\nACGT\n" for n in names))
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            assert sum(len(ids) for ids, _ in predict_stream.records(path)) == len(names)
        found = [r.getMessage() for r in caplog.records if "more than once" in r.getMessage()]
        assert len(found) == len(warned) and all(w in f for w, f in zip(warned, found))


def test_duplicate_ids_among_many_chunks(caplog):
    """Past the first block of hashes (16,384), and hashed again one by one after 40,000 in bulk."""
    chunks = [[f"s{i:05d}" for i in range(k, k + 1000)] for k in range(0, 40_000, 1000)]
    assert _duplicate_warnings(caplog, chunks) == []
    assert len(_duplicate_warnings(caplog, [*chunks, ["s39999"]])) == 1
    assert _duplicate_warnings(caplog, [*chunks, ["t1", "t22"]]) == []
    found = _duplicate_warnings(caplog, [*chunks, ["t1", "t22"], ["s00003", "t1"]])
    assert len(found) == 1 and "2 record id(s)" in found[0] and "'s00003', 't1'" in found[0]
