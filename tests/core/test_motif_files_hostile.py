"""Hostile and broken MEME/JASPAR files: each is read right or refused with one DataError line naming the
file, the line and the motif. Real matrices: JASPAR's CTCF (MA0139) and REST (MA0138), written by deemo."""

from __future__ import annotations

import gzip
import os

import numpy as np
import pytest

from deemo_gui.core.errors import DataError
from deemo_gui.core.motifs import PWM, JasparDB, read_jaspar, read_meme, read_motifs, releases, write_jaspar, write_meme

RELEASE = "JASPAR2024" if "JASPAR2024" in releases() else releases()[-1]


@pytest.fixture(scope="module")
def pair() -> list[PWM]:
    db = JasparDB(RELEASE)
    return [db.get("MA0139"), db.get("MA0138")]


@pytest.fixture
def meme_text(tmp_path, pair) -> str:
    write_meme(pair, tmp_path / "orig.meme")
    return (tmp_path / "orig.meme").read_text()


@pytest.fixture
def jaspar_text(tmp_path, pair) -> str:
    write_jaspar(pair, tmp_path / "orig.jaspar")
    return (tmp_path / "orig.jaspar").read_text()


def _refused(path, pattern: str, reader=read_motifs) -> str:
    with pytest.raises(DataError, match=pattern) as err:
        reader(path)
    msg = str(err.value)
    assert str(path) in msg and "\n" not in msg
    return msg


def _line_of(text: str, start: str) -> int:
    return next(k + 1 for k, ln in enumerate(text.split("\n")) if ln.startswith(start))


# ---------------------------------------------------------------------------------------------
# Windows editors, indentation, line ends: read, not dropped


def test_bom_crlf_and_indented_motif_lines_are_read(tmp_path, pair, meme_text):
    text = meme_text.replace("MOTIF ", "  \tMOTIF ").replace("letter-probability", "   letter-probability")
    path = tmp_path / "windows.meme"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    back = read_motifs(path)
    assert [p.id for p in back] == [p.id for p in pair]
    for a, b in zip(pair, back):
        np.testing.assert_allclose(b.probs, a.probs, atol=1e-6)
    assert read_meme(path)[1].name == "REST"


def test_jaspar_bom_crlf_and_indented_headers_are_read(tmp_path, pair, jaspar_text):
    path = tmp_path / "windows.jaspar"
    path.write_bytes(b"\xef\xbb\xbf" + jaspar_text.replace(">", "  >").replace("\n", "\r\n").encode())
    back = read_motifs(path)
    assert [(p.id, p.name) for p in back] == [(p.id, p.name) for p in pair]
    np.testing.assert_allclose(back[0].counts, pair[0].counts)


def test_unicode_line_separators_do_not_shift_line_numbers(tmp_path, meme_text):
    # str.splitlines() would split at U+2028 / U+0085 and report a later line than an editor shows
    text = meme_text.replace("MOTIF MA0139.2 CTCF", "MOTIF MA0139.2 CT\u2028CF\x85")
    lines = text.split("\n")
    row = _line_of(text, "letter-probability") + 1
    lines[row - 1] = "0.5 0.5 -1 0"
    (tmp_path / "sep.meme").write_text("\n".join(lines), encoding="utf-8")
    _refused(tmp_path / "sep.meme", rf"sep.meme, line {row}: motif 'MA0139.2' row 1: negative value")


# ---------------------------------------------------------------------------------------------
# Header values


@pytest.mark.parametrize("value", ["nan", "inf", "-5", "0", "abc", "1e400", "-inf"])
def test_nsites_must_be_a_positive_finite_number(tmp_path, meme_text, value):
    text = meme_text.replace("nsites= ", f"nsites= {value} was= ", 1)
    (tmp_path / "ns.meme").write_text(text)
    line = _line_of(text, "letter-probability")
    _refused(
        tmp_path / "ns.meme", rf"ns.meme, line {line}: motif 'MA0139.2': nsites= '{value}' must be a positive number"
    )


def test_missing_nsites_is_none_and_odd_e_values_are_ignored(tmp_path, pair, meme_text):
    text = meme_text.replace("E= 0", "E= not-a-number")
    text = text.replace(text[text.index("nsites=") : text.index("E=")], "", 1)
    (tmp_path / "opt.meme").write_text(text)
    back = read_meme(tmp_path / "opt.meme")
    assert back[0].nsites is None and back[1].nsites == pytest.approx(pair[1].nsites)


@pytest.mark.parametrize(
    "field, value",
    [("w", "0"), ("w", "-1"), ("w", "3.0"), ("w", "\u0661\u0665"), ("alength", "four"), ("w", "9" * 5000)],
)
def test_width_and_alength_must_be_positive_whole_numbers(tmp_path, meme_text, field, value):
    text = meme_text.replace(f"{field}= ", f"{field}= {value} was= ", 1)
    (tmp_path / "w.meme").write_text(text)
    _refused(
        tmp_path / "w.meme",
        rf"w.meme, line {_line_of(text, 'letter')}: motif 'MA0139.2': {field}= .* "
        "must be a positive whole number",
    )


@pytest.mark.parametrize(
    "row, pattern",
    [
        ("0.5 0.5 nan 0", "NaN, infinite or out-of-range"),
        ("0.5 0.5 1e400 0", "NaN, infinite or out-of-range"),
        ("0.5 0.5 -1 0", "negative value"),
        ("0.5 0.5 \u0660.\u0665 0", "is not a row of numbers"),  # Arabic-Indic digits: float() would take them
        ("0.5 0.5 1_0 0", "is not a row of numbers"),  # so would it "1_0" (= 10)
        ("1e308 1e308 0 0", "has values too large to add up"),
    ],
)
def test_meme_rows_must_be_finite_non_negative_numbers(tmp_path, meme_text, row, pattern):
    lines = meme_text.split("\n")
    k = _line_of(meme_text, "letter-probability")
    lines[k] = row
    (tmp_path / "row.meme").write_text("\n".join(lines))
    _refused(tmp_path / "row.meme", rf"row.meme, line {k + 1}: motif 'MA0139.2' row 1\b.*{pattern}")


# ---------------------------------------------------------------------------------------------
# JASPAR counts


@pytest.mark.parametrize(
    "a_row, pattern",
    [
        ("A [ nan 2 ]", r"line 2: matrix 'X1' row A: NaN, infinite or out-of-range"),
        ("A [ inf 2 ]", r"line 2: matrix 'X1' row A: NaN, infinite or out-of-range"),
        ("A [ 1e400 2 ]", r"line 2: matrix 'X1' row A: NaN, infinite or out-of-range"),
        ("A [ -5 2 ]", r"line 2: matrix 'X1' row A: negative value"),
        ("A [ 1 ]", r"line 2: matrix 'X1' rows differ in length \(A=1, C=2, G=2, T=2\)"),
        ("A [ 1.7e308 2 ]", r"line 1: matrix 'X1' has counts too large to add up"),
    ],
)
def test_jaspar_counts_must_be_finite_non_negative_and_even(tmp_path, a_row, pattern):
    (tmp_path / "x.jaspar").write_text(f">X1 foo\n{a_row}\nC [ 1.7e308 2 ]\nG [ 1 2 ]\nT [ 1 2 ]\n")
    _refused(tmp_path / "x.jaspar", pattern)


def test_jaspar_empty_matrices_are_refused(tmp_path):
    (tmp_path / "e.jaspar").write_text(">E1\nA [ ]\nC [ ]\nG [ ]\nT [ ]\n")
    _refused(tmp_path / "e.jaspar", r"e.jaspar, line 1: matrix 'E1' has no columns")
    (tmp_path / "h.jaspar").write_text("\ufeff>H1\n>H2\nA 1\nC 1\nG 1\nT 1\n")
    _refused(tmp_path / "h.jaspar", r"h.jaspar, line 1: matrix 'H1' has 0 rows")


# ---------------------------------------------------------------------------------------------
# Not a motif file at all


def test_damaged_and_bit_flipped_gzip(tmp_path, meme_text):
    raw = gzip.compress(meme_text.encode())
    (tmp_path / "cut.meme.gz").write_bytes(raw[: len(raw) // 2])
    _refused(tmp_path / "cut.meme.gz", "damaged gzip file")
    flipped = bytearray(raw)
    flipped[12] ^= 0x10  # in the first deflate block header: zlib.error "invalid code lengths set"
    (tmp_path / "flip.meme.gz").write_bytes(bytes(flipped))
    _refused(tmp_path / "flip.meme.gz", "damaged gzip file")
    (tmp_path / "ok.meme.gz").write_bytes(raw)
    assert len(read_motifs(tmp_path / "ok.meme.gz")) == 2


def test_fifo_device_folder_and_binary_are_refused(tmp_path, meme_text):
    os.mkfifo(tmp_path / "pipe.meme")  # reading it would block forever
    _refused(tmp_path / "pipe.meme", "not a regular file")
    with pytest.raises(DataError, match="/dev/zero: not a regular file"):
        read_meme("/dev/zero")
    with pytest.raises(DataError, match="is a folder, not a motif file"):
        read_jaspar(tmp_path)
    (tmp_path / "nul.meme").write_bytes(meme_text.encode()[:200] + b"\x00\x00" + meme_text.encode()[200:])
    _refused(tmp_path / "nul.meme", "binary file")


def test_cli_prints_one_line(tmp_path, capsys, meme_text):
    from deemo_gui.cli.main import main

    (tmp_path / "bad.meme").write_text(meme_text.replace("nsites= ", "nsites= nan was= ", 1))
    rc = main(
        [
            "motifs",
            str(tmp_path / "no_model.safetensors"),
            "--method",
            "filters",
            "--out",
            str(tmp_path / "out.meme"),
            "--compare",
            str(tmp_path / "bad.meme"),
        ]
    )
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1
    assert err.startswith(f"deemo: error: {tmp_path / 'bad.meme'}, line ") and "nsites= 'nan'" in err


# ---------------------------------------------------------------------------------------------
# Writers


def test_writers_never_write_nan_or_broken_names(tmp_path, pair):
    ctcf = pair[0]
    odd = [
        PWM(id="odd\nid", name="two\nlines", probs=ctcf.probs, nsites=float("nan")),
        PWM(id="big", name="", probs=ctcf.probs, nsites=float("inf")),
    ]
    write_meme(odd, tmp_path / "odd.meme")
    write_jaspar(odd, tmp_path / "odd.jaspar")
    for name in ("odd.meme", "odd.jaspar"):
        text = (tmp_path / name).read_text()
        assert "nan" not in text.lower() and "inf" not in text.lower(), name
        back = read_motifs(tmp_path / name)
        assert [p.id for p in back] == ["odd_id", "big"] and back[0].name in ("two lines", "")
        np.testing.assert_allclose(back[1].probs, ctcf.probs, atol=1e-5)
    assert "nsites= 20 " in (tmp_path / "odd.meme").read_text()
    with pytest.raises(DataError, match="background"):
        write_meme(pair, tmp_path / "bg.meme", background=(0.25, 0.25, float("nan"), 0.25))


def test_writers_are_atomic_and_leave_no_temporary_file(tmp_path, pair, monkeypatch):
    path = tmp_path / "m.meme"
    write_meme(pair[:1], path)
    before = path.read_bytes()
    with monkeypatch.context() as m:  # the disk fills up as the new file is renamed into place
        m.setattr(os, "replace", lambda *a: (_ for _ in ()).throw(OSError(28, "No space left on device")))
        with pytest.raises(DataError, match="m.meme: cannot write \\(No space left on device\\)"):
            write_meme(pair, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["m.meme"]
    (tmp_path / "folder.jaspar").mkdir()
    with pytest.raises(DataError, match="folder.jaspar: cannot write"):
        write_jaspar(pair, tmp_path / "folder.jaspar")
    write_jaspar(pair, tmp_path / "m.jaspar")
    assert sorted(os.listdir(tmp_path)) == ["folder.jaspar", "m.jaspar", "m.meme"]
    assert [p.id for p in read_motifs(tmp_path / "m.jaspar")] == [p.id for p in pair]
