"""Broken and hostile input, class by class: one DeemoError line naming the file, never a crash or a guess."""

import gzip
import json
import os
import resource
import shutil
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from deemo_gui.cli.main import main
from deemo_gui.core.errors import ConfigError, DataError, ModelFileError
from deemo_gui.core.modelfile import is_signed, load_model, metadata_digest, read_metadata, save_model
from deemo_gui.core.networks import build_network
from deemo_gui.core.sequences import load_dataset, read_sequences
from deemo_gui.core.training import Trainer, TrainingConfig

ROOT = Path(__file__).resolve().parents[2]
ZOO_MODEL = ROOT / "models" / "REST_GM12878_deepbind.safetensors"
REST_TEST = ROOT / "resources" / "data" / "deepbind_encode" / "REST_GM12878_B.seq.gz"


def _fasta(path: Path, text: str) -> Path:
    path.write_text(text, newline="")
    return path


# --- sequence files ---------------------------------------------------------------------------------


def test_bit_flipped_and_truncated_gzip_are_data_errors(tmp_path):
    raw = REST_TEST.read_bytes()
    flipped = bytearray(raw)
    flipped[len(raw) // 2] ^= 0x10
    (tmp_path / "flip.seq.gz").write_bytes(bytes(flipped))
    (tmp_path / "cut.seq.gz").write_bytes(raw[: len(raw) // 3])
    for name in ("flip.seq.gz", "cut.seq.gz"):
        with pytest.raises(DataError, match=f"{name}: damaged gzip file"):
            read_sequences(tmp_path / name)


def test_gzip_bomb_stops_at_the_size_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("DEEMO_MAX_INPUT_BYTES", str(10_000_000))
    (tmp_path / "bomb.fa.gz").write_bytes(gzip.compress(b">a\n" + b"A" * 50_000_000))
    with pytest.raises(DataError, match="larger than the 10 MiB"):
        read_sequences(tmp_path / "bomb.fa.gz")


def test_concatenated_gzip_members_are_read_whole(tmp_path):
    part = gzip.compress(b">a\nACGT\n")
    (tmp_path / "two.fa.gz").write_bytes(part + gzip.compress(b">b\nTTTT\n"))
    assert read_sequences(tmp_path / "two.fa.gz").ids == ["a", "b"]


def test_devices_and_pipes_are_refused_without_reading(tmp_path):
    with pytest.raises(DataError, match="/dev/zero: not a regular file"):
        read_sequences("/dev/zero")
    fifo = tmp_path / "pipe.fa"
    os.mkfifo(fifo)
    result = {}
    reader = threading.Thread(target=lambda: result.update(err=_catch(read_sequences, fifo)), daemon=True)
    reader.start()
    reader.join(5)
    assert not reader.is_alive(), "reading a FIFO blocked"
    assert "not a regular file" in str(result["err"])


def _catch(fn, *args):
    try:
        fn(*args)
    except DataError as exc:
        return exc
    return None


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("\n\nid\tsequence\tbound\na\tACGT\t1\n", None),  # blank lines before the header
        ("id,sequence\na,AC\rGT\n", "line 3"),  # bare CR inside a field
        ("id,sequence,bound\na,ACGT,2\n", "must be a 0/1 label"),
        (">a\nACſT\n", "invalid character 'ſ' at position 3"),  # 'ſ'.upper() == 'S'
        (">a\nACﬅ\n", "invalid character 'ﬅ'"),  # 'ﬅ'.upper() == 'ST'
        (">a label=2\nACGT\n>b label=1\nACGT\n", "line 1: label must be 0 or 1, found 'label=2'"),
        (">a label=1\nACGT\n>b\nACGT\n", "line 3: no 'label=' in this header"),
        (">a label=\nACGT\n", "found 'label='"),
    ],
)
def test_sequence_file_classes(tmp_path, text, fragment):
    path = _fasta(tmp_path / "x.txt", text)
    if fragment is None:
        assert read_sequences(path).seqs == ["ACGT"]
    else:
        with pytest.raises(DataError, match=fragment) as info:
            read_sequences(path)
        assert str(info.value).startswith(str(path)) and "\n" not in str(info.value)


def test_a_field_longer_than_the_csv_default_limit_is_read(tmp_path):
    path = _fasta(tmp_path / "long.tsv", "id\tsequence\n" + "a\t" + "ACGT" * 50_000 + "\n")
    assert len(read_sequences(path).seqs[0]) == 200_000


def test_duplicate_ids_are_named_in_a_warning(tmp_path, caplog):
    path = _fasta(tmp_path / "dup.fa", ">a\nACGT\n>b\nAAAA\n>a\nTTTT\n")
    data = read_sequences(path)
    assert data.seqs == ["ACGT", "AAAA", "TTTT"]
    assert any("occur more than once: 'a'" in r.getMessage() for r in caplog.records)


def test_deepbind_headerless_files_are_read(tmp_path):
    rows = read_sequences(REST_TEST)
    lines = "".join(f"{s}\t{int(y)}\n" for s, y in zip(rows.seqs[:40], rows.labels[:40, 0]))
    data = read_sequences(_fasta(tmp_path / "dream5.seq", lines))
    assert data.seqs == rows.seqs[:40]
    np.testing.assert_array_equal(data.labels, rows.labels[:40])
    with pytest.raises(DataError, match="line 2: expected 'sequence<TAB>0|1'"):
        read_sequences(_fasta(tmp_path / "bad.seq", "ACGT\t1\nACGT\t7\n"))


# --- model files ------------------------------------------------------------------------------------


def _rewrite_header(src: Path, dst: Path, edit) -> Path:
    raw = src.read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8 : 8 + n])
    edit(header)
    hb = json.dumps(header).encode()
    hb += b" " * (-len(hb) % 8)
    dst.write_bytes(struct.pack("<Q", len(hb)) + hb + raw[8 + n :])
    return dst


def _edit_meta(src: Path, dst: Path, edit, resign: bool = False) -> Path:
    def on_header(header):
        meta = json.loads(header["__metadata__"]["deemo"])
        edit(meta)
        if resign:
            meta["metadata_sha256"] = metadata_digest(meta)
        header["__metadata__"]["deemo"] = json.dumps(meta)

    return _rewrite_header(src, dst, on_header)


@pytest.mark.parametrize(
    "edit, fragment",
    [
        (lambda h: h.update(__metadata__=[1, 2]), "not a deemo model"),
        (lambda h: h["__metadata__"].update(deemo="[1]"), "not a deemo model file"),
        (lambda h: h["__metadata__"].update(deemo="[" * 100_000), "not JSON"),
    ],
)
def test_metadata_of_the_wrong_json_type(tmp_path, edit, fragment):
    path = _rewrite_header(ZOO_MODEL, tmp_path / "m.safetensors", edit)
    with pytest.raises(ModelFileError, match=fragment):
        load_model(path)


@pytest.mark.parametrize("version", ["abc", None, 1e400, True, 0])
def test_format_version_of_the_wrong_type(tmp_path, version):
    path = _edit_meta(ZOO_MODEL, tmp_path / "m.safetensors", lambda m: m.update(format_version=version))
    with pytest.raises(ModelFileError, match="format_version"):
        read_metadata(path)


def test_edited_metadata_is_refused_by_its_checksum(tmp_path):
    assert is_signed(read_metadata(ZOO_MODEL))
    for edit in (lambda m: m["test"].update(auroc=0.999), lambda m: m.update(task_names=["a,b\nc"])):
        path = _edit_meta(ZOO_MODEL, tmp_path / "m.safetensors", edit)
        with pytest.raises(ModelFileError, match="metadata do not match their checksum"):
            load_model(path)


def test_format_1_files_load_and_are_reported_unsigned(tmp_path, caplog):
    path = _edit_meta(
        ZOO_MODEL, tmp_path / "old.safetensors", lambda m: (m.pop("metadata_sha256"), m.update(format_version=1))
    )
    model = load_model(path)
    assert not is_signed(model.metadata)
    assert any("not covered by a checksum" in r.getMessage() for r in caplog.records)


def test_schema_bounds_on_unsigned_files(tmp_path):
    cases = [
        (lambda m: m.update(task_names=["a\nb"]), "task_names"),
        (lambda m: m["test"].update(auroc="0.99"), "test.auroc"),
        (lambda m: m.update(n_tasks=10**9), "n_tasks"),
        (lambda m: m.update(hparams=[1]), "hparams must be an object"),
        (lambda m: m["hparams"].update(n_motifs=-3), "hparams.n_motifs"),
    ]
    for edit, fragment in cases:
        path = _edit_meta(
            ZOO_MODEL,
            tmp_path / "m.safetensors",
            lambda m, e=edit: (m.pop("metadata_sha256"), m.update(format_version=1), e(m)),
        )
        with pytest.raises(ModelFileError, match=fragment):
            load_model(path)


@pytest.mark.parametrize("hidden", [1_000_000_000, 4_000])
def test_crafted_hyperparameters_refused_fast_with_bounded_memory(tmp_path, hidden):
    """The 14 KB file that claims `hidden_units: 1000000000` (re-signed by hand, so only the bounds and
    the shape check stand guard) is refused in well under a second without allocating the network."""
    path = _edit_meta(
        ZOO_MODEL, tmp_path / "evil.safetensors", lambda m: m["hparams"].update(hidden_units=hidden), resign=True
    )
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    with pytest.raises(ModelFileError, match="hidden_units|do not fit preset"):
        load_model(path)
    assert time.perf_counter() - start < 1.0
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100_000  # KiB


def test_non_finite_weights_are_refused(tmp_path):
    model = build_network("deepbind")
    with torch.no_grad():
        next(model.parameters())[0].fill_(float("nan"))
    path = save_model(model, tmp_path / "nan.safetensors")
    with pytest.raises(ModelFileError, match="NaN or Inf"):
        load_model(path)


def test_model_writes_are_atomic_and_leave_no_temporary_file(tmp_path):
    path = save_model(build_network("deepbind"), tmp_path / "m.safetensors")
    with pytest.raises(ConfigError, match="NaN"):
        save_model(build_network("deepbind"), path, {"note": float("nan")})
    load_model(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.safetensors"]


# --- training: checks before the long work ----------------------------------------------------------


def _rest(n: int):
    data = load_dataset(REST_TEST)
    return data.subset(np.arange(n))


def test_one_class_validation_is_refused_before_training():
    data = _rest(1000)
    positives = data.subset(np.flatnonzero(data.labels[:, 0] == 1)[:30])
    with pytest.raises(DataError, match="has only bound records"):
        Trainer(data, TrainingConfig(preset="deepbind", device="cpu"), valid=positives)


def test_cli_checks_test_labels_before_training(tmp_path, capsys):
    unlabelled = _fasta(tmp_path / "test.fa", ">a\nACGT\n>b\nTTTT\n")
    start = time.perf_counter()
    rc = main(
        [
            "train",
            str(REST_TEST),
            "--arch",
            "deepbind",
            "--epochs",
            "50",
            "--test",
            str(unlabelled),
            "--out",
            str(tmp_path / "m.safetensors"),
            "--device",
            "cpu",
            "--quiet",
        ]
    )
    assert rc == 2 and time.perf_counter() - start < 10
    err = capsys.readouterr().err.strip()
    assert err.startswith("deemo: error:") and "no labels for test" in err and "\n" not in err
    assert not (tmp_path / "m.safetensors").exists()


# --- the CLI: one line, exit 2, for each class ------------------------------------------------------


def _cases(tmp_path: Path) -> list[tuple[list[str], str]]:
    flip = bytearray(REST_TEST.read_bytes())
    flip[5000] ^= 0x04
    (tmp_path / "flip.seq.gz").write_bytes(bytes(flip))
    _fasta(tmp_path / "long_s.fa", ">a\nACſT\n")
    _fasta(tmp_path / "labels.fa", ">a label=2\nACGT\n")
    crafted = _edit_meta(
        ZOO_MODEL, tmp_path / "crafted.safetensors", lambda m: m["hparams"].update(hidden_units=10**9), resign=True
    )
    edited = _edit_meta(ZOO_MODEL, tmp_path / "edited.safetensors", lambda m: m["test"].update(auroc=1.0))
    nan = build_network("deepbind")
    with torch.no_grad():
        next(nan.parameters())[0].fill_(float("inf"))
    save_model(nan, tmp_path / "nan.safetensors")
    session = tmp_path / "s.json"
    session.write_text(json.dumps({"format": "deemo-session", "version": "abc"}))
    model = str(ZOO_MODEL)
    return [
        (["predict", model, str(tmp_path / "flip.seq.gz")], "damaged gzip file"),
        (["predict", model, "/dev/zero"], "not a regular file"),
        (["predict", model, str(tmp_path / "long_s.fa")], "invalid character"),
        (["evaluate", model, str(tmp_path / "labels.fa")], "label must be 0 or 1"),
        (["predict", str(crafted), str(REST_TEST)], "hidden_units"),
        (["evaluate", str(edited), str(REST_TEST)], "checksum"),
        (["predict", str(tmp_path / "nan.safetensors"), str(REST_TEST)], "NaN or Inf"),
        (
            ["motifs", model, "--method", "filters", "--data", "/dev/zero", "--out", str(tmp_path / "o.meme")],
            "not a regular file",
        ),
    ]


def test_cli_each_class_one_line_exit_2(tmp_path, capsys):
    for argv, fragment in _cases(tmp_path):
        rc = main(argv)
        err = capsys.readouterr().err.strip().splitlines()
        lines = [line for line in err if "WARNING" not in line]
        assert rc == 2, (argv, err)
        assert len(lines) == 1 and lines[0].startswith("deemo: error:") and fragment in lines[0], (argv, err)


def test_cli_entry_point_prints_no_traceback(tmp_path):
    flip = tmp_path / "flip.seq.gz"
    shutil.copy(REST_TEST, flip)
    raw = bytearray(flip.read_bytes())
    raw[3000] ^= 0x40
    flip.write_bytes(bytes(raw))
    r = subprocess.run(
        [sys.executable, "-m", "deemo_gui.cli.main", "predict", str(ZOO_MODEL), str(flip)],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip().startswith("deemo: error:") and len(r.stderr.strip().splitlines()) == 1


# --- found by an independent review (each once crashed, hung, replaced a device or misled) -----------


def test_writers_never_replace_devices_pipes_folders_and_write_through_symlinks(tmp_path):
    from deemo_gui.core.atomic import write_text

    fifo = tmp_path / "p.csv"
    os.mkfifo(fifo)
    for target, fragment in (
        ("/dev/full", "not a regular file"),
        (fifo, "not a regular file"),
        (tmp_path, "a folder"),
        (tmp_path / "missing" / "x.csv", "does not exist"),
    ):
        with pytest.raises(DataError, match=fragment):
            write_text(target, "x")
    assert os.path.exists("/dev/full") and not os.path.isfile("/dev/full") and fifo.is_fifo()
    assert not (tmp_path / "missing").exists()
    (tmp_path / "target.csv").write_text("old")
    (tmp_path / "link.csv").symlink_to("target.csv")
    write_text(tmp_path / "link.csv", "new")
    assert (tmp_path / "link.csv").is_symlink() and (tmp_path / "target.csv").read_text() == "new"


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["train", str(REST_TEST), "--arch", "deepbind", "--seed", "-1"], "a seed is from 0"),
        (["train", str(REST_TEST), "--arch", "deepbind", "--test-fraction", "0.9999"], "--test-fraction 0.9999"),
        (["train", str(REST_TEST), "--arch", "deepbind", "--set", "hidden_units=100000000"], "from 1 to 4096"),
        (["train", str(REST_TEST), "--arch", "cnn", "--set", "conv_filters=[64,64]"], "without brackets"),
        (
            ["train", str(REST_TEST), "--arch", "deepbind", "--test-labels", str(REST_TEST)],
            "--test-labels needs --test",
        ),
    ],
)
def test_training_options_refused_before_training(tmp_path, capsys, argv, fragment):
    try:
        rc = main(argv + ["--out", str(tmp_path / "m.safetensors"), "--device", "cpu", "--quiet"])
    except SystemExit as exc:  # argparse's own checks (the --seed type) exit from the parser
        rc = exc.code
    err = capsys.readouterr().err.strip()
    assert rc == 2 and err.startswith("deemo: error:") and fragment in err and "\n" not in err


@pytest.mark.parametrize(
    "name, data, fragment",
    [
        ("quote.csv", b'id,sequence\n"r0,ACGT\nr1,ACGT\n', "line 2: a quote opened here is not closed"),
        ("utf16.fa", ">a\nACGT\n".encode("utf-16"), "UTF-16 text"),
        ("x.fa.bz2", b"BZh91AY&SY" + b"\x00" * 20, "bzip2-compressed"),
        ("x.fa.xz", b"\xfd7zXZ\x00" + b"\x00" * 20, "xz-compressed"),
        ("x.zip", b"PK\x03\x04" + b"\x00" * 20, "a zip archive"),
        ("twice.fa.gz", gzip.compress(gzip.compress(b">a\nACGT\n")), "gzip-compressed twice"),
        ("reads.fq", b"@r1\nACGT\n+\nIIII\n", "FASTQ reads"),
        ("dup.tsv", b"sequence\tsequence\nACGT\tACGT\n", "2 'sequence' columns"),
        ("model.fa", ZOO_MODEL.read_bytes(), "a model file (safetensors)"),
    ],
)
def test_misleading_inputs_are_named_for_what_they_are(tmp_path, name, data, fragment):
    (tmp_path / name).write_bytes(data)
    with pytest.raises(DataError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        read_sequences(tmp_path / name)


def test_quoted_headers_and_old_mac_line_ends_are_read(tmp_path):
    (tmp_path / "q.csv").write_text('"id","sequence","bound"\n"a","ACGT","1"\n')
    assert read_sequences(tmp_path / "q.csv").seqs == ["ACGT"]
    (tmp_path / "mac.fa").write_bytes(b">a\rACGT\r>b\rTTTT\r")
    assert read_sequences(tmp_path / "mac.fa").seqs == ["ACGT", "TTTT"]


def test_size_limit_setting_is_checked(tmp_path, monkeypatch):
    path = _fasta(tmp_path / "x.fa", ">a\n" + "ACGT" * 400 + "\n")
    monkeypatch.setenv("DEEMO_MAX_INPUT_BYTES", "1000")
    with pytest.raises(DataError, match="larger than the 1,000 bytes"):
        read_sequences(path)
    monkeypatch.setenv("DEEMO_MAX_INPUT_BYTES", "1e3")
    with pytest.raises(ConfigError, match="DEEMO_MAX_INPUT_BYTES='1e3'"):
        read_sequences(path)


def test_metadata_the_verdict_reads_is_schema_checked(tmp_path):
    cases = [
        (lambda m: m["test"].update(per_task={"bound": "x"}), "test.per_task.bound must be an object"),
        (lambda m: m["test"]["per_task"]["bound"].update(positives="x"), "positives must be a non-negative"),
        (lambda m: m["training"].update(valid_positives="x"), "training.valid_positives"),
        (lambda m: m.update(baselines={"kmer": "x"}), "baselines.kmer must be an object"),
    ]
    for edit, fragment in cases:
        path = _edit_meta(ZOO_MODEL, tmp_path / "m.safetensors", edit, resign=True)
        with pytest.raises(ModelFileError, match=fragment):
            load_model(path)
    from deemo_gui.core.verdict import verdict

    assert verdict({"test": {"auroc": 0.9}}).level == "caution"  # no n, no per_task: told, not a crash


def test_weights_of_another_dtype_are_refused(tmp_path):
    from safetensors.torch import load_file, save_file

    state = {k: (v * 100).to(torch.int8) if v.is_floating_point() else v for k, v in load_file(ZOO_MODEL).items()}
    meta = read_metadata(ZOO_MODEL)
    from deemo_gui.core.modelfile import weights_digest

    meta["weights_sha256"] = weights_digest(state)
    meta["metadata_sha256"] = metadata_digest(meta)
    save_file(state, tmp_path / "int8.safetensors", metadata={"deemo": json.dumps(meta)})
    with pytest.raises(ModelFileError, match="weights do not fit"):
        load_model(tmp_path / "int8.safetensors")


def test_control_characters_in_record_ids_are_refused(tmp_path):
    for name, text in (("esc.fa", ">a\x1bb\nACGT\n"), ("bel.csv", "id,sequence\nx\x07,ACGT\n")):
        with pytest.raises(DataError, match="contains the control character"):
            read_sequences(_fasta(tmp_path / name, text))
