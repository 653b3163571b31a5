"""Motif files: MEME minimal format (`.meme`, `.txt`) and JASPAR count matrices (`.jaspar`, `.pfm`).

MEME minimal format (https://meme-suite.org/meme/doc/meme-format.html): an optional header
(`MEME version`, `ALPHABET=`, `strands:`, `Background letter frequencies`), then per motif a
`MOTIF <id> [<name>]` line, a `letter-probability matrix: alength= 4 w= W nsites= N E= x` line
and W rows of 4 probabilities (A C G T). `log-odds matrix` blocks and `URL` lines are skipped.

JASPAR format: `>ID name` then four rows `A [ 1 2 3 ]` (brackets and letters optional; without
letters the rows are A C G T in order). Raw `.pfm` files with no header hold one matrix.

Both readers accept gzip files, a UTF-8 BOM and indented lines, and raise `DataError` naming the
file, line and motif. Both writers replace the file atomically (a temporary file, then `os.replace`).
"""

from __future__ import annotations

import codecs
import io
import os
import re
import warnings

import numpy as np

from deemo_gui.core.atomic import write_text
from deemo_gui.core.errors import DataError
from deemo_gui.core.inputfile import read_bytes
from deemo_gui.core.motifs.pwm import ALPHABET, PWM, SUM_TOLERANCE

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf)", re.IGNORECASE | re.ASCII)
_KEYVAL = re.compile(r"\b(\w++)\s*=\s*(\S+)", re.ASCII)  # \b and ++: linear on a 100k-letter word
_NEWLINE = re.compile(r"\r\n|\r|\n")
_MEME_HINT = re.compile(r"^[ \t]*MOTIF\b|MEME version", re.MULTILINE)


def _read_text(path) -> tuple[str, str]:
    """(name, text): UTF-8 (BOM stripped), or latin-1 for old files with accented names."""
    name, raw = read_bytes(path, "motif file")
    if b"\x00" in raw:
        raise DataError(f"{name}: binary file (NUL bytes), not a MEME or JASPAR motif file")
    try:
        return name, raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return name, raw.removeprefix(codecs.BOM_UTF8).decode("latin-1")


def _lines(text: str) -> list[str]:
    """Lines split at \\n, \\r\\n or \\r only (not at the other characters str.splitlines() takes), stripped."""
    return [ln.strip() for ln in _NEWLINE.split(text)]


def _first(line: str) -> str:
    return line.split(None, 1)[0] if line else ""


def _show(text: str, n: int = 60) -> str:
    """repr of `text`, shortened to about `n` characters for a one-line message."""
    return repr(text if len(text) <= n else text[:n] + "...")


def _parse_row(line: str, n_expected: int | None, where: str) -> np.ndarray:
    tokens = line.split()
    if not all(_NUMBER.fullmatch(t) for t in tokens):
        raise DataError(f"{where}: {_show(line)} is not a row of numbers")
    values = np.array([float(t) for t in tokens], dtype=np.float64)
    if n_expected is not None and len(values) != n_expected:
        raise DataError(f"{where}: {len(values)} values, expected {n_expected} (A C G T)")
    if not np.all(np.isfinite(values)):
        raise DataError(f"{where}: NaN, infinite or out-of-range value in {_show(line)}")
    if np.any(values < 0):
        raise DataError(f"{where}: negative value in {_show(line)}")
    return values


def _renormalize(rows: np.ndarray, name: str, motif: str, first_line: int) -> np.ndarray:
    """rows (W, 4) -> probs (4, W), each column summed to 1, warning where a row was off."""
    with np.errstate(over="ignore"):
        sums = rows.sum(axis=1)
    for i, s in enumerate(sums):
        if not 0 < s < np.inf:
            problem = "is all zero" if s <= 0 else "has values too large to add up"
            raise DataError(
                f"{name}, line {first_line + i}: motif {_show(motif)} row {i + 1} {problem}; "
                "each row must hold the 4 letter probabilities of one position"
            )
    off = np.flatnonzero(np.abs(sums - 1.0) > SUM_TOLERANCE)
    if off.size:
        warnings.warn(
            f"{name}: motif {_show(motif)}: {off.size} row(s) do not sum to 1 (row {off[0] + 1} sums to "
            f"{sums[off[0]]:.4g}); renormalized",
            stacklevel=4,
        )
    return (rows / sums[:, None]).T


def _write(path, text: str) -> None:
    """Write `text` atomically (a temporary file beside `path`, then renamed); DataError if it cannot be written."""
    try:
        write_text(path, text)
    except OSError as exc:
        raise DataError(f"{os.fspath(path)}: cannot write ({exc.strerror or exc})") from None


def _nsites(pwm: PWM) -> float | None:
    """The PWM's nsites if it is a positive finite number, else None."""
    n = pwm.nsites
    return float(n) if n is not None and 0 < n < np.inf else None


def _clean_name(s: str) -> str:
    return " ".join(str(s).split())


def _clean_token(s: str, fallback: str) -> str:
    return "_".join(str(s).split()) or fallback


# ---------------------------------------------------------------------------------------------
# MEME


def read_meme(path) -> list[PWM]:
    """All motifs of a MEME minimal-format file, in file order."""
    return _parse_meme(*_read_text(path))


def _whole(header: dict, key: str, where: str) -> int | None:
    """A positive whole-number header field (w=, alength=), or None if absent."""
    if key not in header:
        return None
    value = header[key]
    if not (value.isascii() and value.isdigit() and len(value) < 10) or int(value) == 0:
        raise DataError(f"{where}: {key}= {_show(value)} must be a positive whole number")
    return int(value)


def _parse_meme(name: str, text: str) -> list[PWM]:
    if not text.strip():
        raise DataError(f"{name}: empty file; expected MEME motifs ('MOTIF <id>' + letter-probability matrix)")
    lines = _lines(text)
    alphabet_line = next((ln for ln in lines if ln.startswith("ALPHABET")), None)
    if alphabet_line is not None:
        if "=" in alphabet_line:  # minimal format: ALPHABET= ACGT
            letters = (alphabet_line.split("=", 1)[1].split() or [""])[0].upper()
            is_dna = letters.startswith("ACGT")
        else:  # MEME 5 custom alphabet block: ALPHABET "DNA" DNA-LIKE
            is_dna = "DNA" in alphabet_line.upper()
            letters = alphabet_line[len("ALPHABET") :].strip()
        if not is_dna:
            raise DataError(f"{name}: ALPHABET {_show(letters)} is not DNA (ACGT); deemo reads DNA motifs only")

    firsts = [_first(ln) for ln in lines]
    pwms: list[PWM] = []
    seen_motif = False
    i = 0
    n = len(lines)
    while i < n:
        if firsts[i] != "MOTIF":
            i += 1
            continue
        seen_motif = True
        fields = lines[i].split()
        if len(fields) < 2:
            raise DataError(f"{name}, line {i + 1}: MOTIF line without an identifier")
        motif_id = fields[1]
        motif_name = " ".join(fields[2:])
        motif_line = i + 1
        i += 1
        # find this motif's letter-probability matrix (before the next MOTIF)
        while i < n and firsts[i] != "MOTIF" and "letter-probability matrix" not in lines[i]:
            i += 1
        if i >= n or firsts[i] == "MOTIF":
            raise DataError(
                f"{name}, line {motif_line}: motif {_show(motif_id)} has no 'letter-probability matrix:' "
                "block; deemo needs probabilities, not only log-odds"
            )
        where = f"{name}, line {i + 1}: motif {_show(motif_id)}"
        header = {k.lower(): v for k, v in _KEYVAL.findall(lines[i].split(":", 1)[-1])}
        alength = _whole(header, "alength", where) or 4
        width = _whole(header, "w", where)
        nsites = None
        if "nsites" in header:
            value = header["nsites"]
            nsites = float(value) if _NUMBER.fullmatch(value) else float("nan")
            if not 0 < nsites < np.inf:
                raise DataError(
                    f"{where}: nsites= {_show(value)} must be a positive number (the sites the motif was "
                    "built from); fix it or leave nsites= out"
                )
        if alength != 4:
            raise DataError(f"{where} has alength= {alength}; DNA motifs have 4")
        i += 1
        rows: list[np.ndarray] = []
        first_row_line = i + 1
        while i < n and (width is None or len(rows) < width):
            if not lines[i]:
                if rows and width is None:
                    break  # without w=, the matrix ends at the first blank line
                i += 1
                continue
            if not _NUMBER.fullmatch(firsts[i]):
                break  # MOTIF, URL, log-odds ... : the matrix has ended
            if not rows:
                first_row_line = i + 1
            rows.append(_parse_row(lines[i], 4, f"{name}, line {i + 1}: motif {_show(motif_id)} row {len(rows) + 1}"))
            i += 1
        if width is not None and len(rows) != width:
            raise DataError(
                f"{name}, line {first_row_line}: motif {_show(motif_id)} has {len(rows)} rows but w= {width}"
            )
        if not rows:
            raise DataError(f"{name}, line {first_row_line}: motif {_show(motif_id)} has an empty matrix")
        if width is not None:
            j = i
            while j < n and not lines[j]:
                j += 1
            if j < n and _NUMBER.fullmatch(firsts[j]):
                raise DataError(
                    f"{name}, line {j + 1}: motif {_show(motif_id)} has more rows than w= {width}; "
                    "fix w= or remove the extra rows"
                )
        probs = _renormalize(np.vstack(rows), name, motif_id, first_row_line)
        try:
            pwms.append(PWM(id=motif_id, name=motif_name, probs=probs, nsites=nsites, source=name))
        except DataError as exc:
            raise DataError(f"{name}, line {motif_line}: {exc}") from None
    if not seen_motif:
        raise DataError(f"{name}: no 'MOTIF' lines; is this a MEME motif file?")
    return pwms


def write_meme(pwms, path, background=(0.25, 0.25, 0.25, 0.25)) -> None:
    """Write MEME minimal format (version 4), readable by the MEME suite, memelite and `read_meme`."""
    bg = np.asarray(background, dtype=np.float64)
    if bg.shape != (4,) or not np.all(np.isfinite(bg)) or np.any(bg < 0):
        raise DataError(f"background {background!r} must be 4 non-negative frequencies (A C G T)")
    out = io.StringIO()
    out.write("MEME version 4\n\nALPHABET= ACGT\n\nstrands: + -\n\n")
    out.write("Background letter frequencies\n")
    out.write(" ".join(f"{b} {f:.4f}" for b, f in zip(ALPHABET, bg)) + "\n\n")
    for k, pwm in enumerate(pwms):
        motif_name = _clean_name(pwm.name)
        out.write(f"MOTIF {_clean_token(pwm.id, f'motif{k + 1}')}" + (f" {motif_name}" if motif_name else "") + "\n")
        out.write(f"letter-probability matrix: alength= 4 w= {pwm.width} nsites= {_nsites(pwm) or 20:g} E= 0\n")
        for col in pwm.probs.T:
            out.write(" ".join(f"{v:.6f}" for v in col) + "\n")
        out.write("\n")
    _write(path, out.getvalue())


# ---------------------------------------------------------------------------------------------
# JASPAR


def _split_jaspar_row(line: str) -> tuple[str | None, str]:
    """(letter or None, the numbers) of `A [ 1 2 3 ]`, `A 1 2 3` or `1 2 3` (no regex: linear on any line)."""
    body = line.strip()
    letter = None
    if body[:1] in ("A", "C", "G", "T", "a", "c", "g", "t") and (len(body) == 1 or not body[1].isalnum()):
        letter, body = body[0], body[1:].strip()
    if body.startswith("["):
        body = body[1:]
    if body.endswith("]"):
        body = body[:-1]
    return letter, body


def read_jaspar(path) -> list[PWM]:
    """All matrices of a JASPAR `.jaspar` file (several `>` records) or a raw 4-row `.pfm`."""
    return _parse_jaspar(*_read_text(path))


def _parse_jaspar(name: str, text: str) -> list[PWM]:
    lines = [(k + 1, ln) for k, ln in enumerate(_lines(text)) if ln and not ln.startswith("#")]
    if not lines:
        raise DataError(f"{name}: empty file; expected JASPAR matrices ('>ID name' then rows A C G T)")
    records: list[tuple[int, str, str, list[tuple[int, str]]]] = []
    for lineno, ln in lines:
        if ln.startswith(">"):
            fields = ln[1:].split(None, 1)
            rid = fields[0] if fields else f"motif{len(records) + 1}"
            rname = fields[1].strip() if len(fields) > 1 else ""
            records.append((lineno, rid, rname, []))
        else:
            if not records:
                # a raw .pfm without a header: one unnamed matrix
                base = os.path.basename(name).split(".")[0]
                records.append((lineno, base, base, []))
            records[-1][3].append((lineno, ln))
    pwms = []
    for lineno, rid, rname, rows in records:
        if len(rows) != 4:
            raise DataError(
                f"{name}, line {lineno}: matrix {_show(rid)} has {len(rows)} rows; JASPAR matrices have 4 (A C G T)"
            )
        by_letter: dict[str, np.ndarray] = {}
        for k, (rl, ln) in enumerate(rows):
            found, numbers = _split_jaspar_row(ln)
            letter = (found or ALPHABET[k]).upper()
            if letter in by_letter:
                raise DataError(f"{name}, line {rl}: matrix {_show(rid)} has two {letter} rows")
            by_letter[letter] = _parse_row(numbers, None, f"{name}, line {rl}: matrix {_show(rid)} row {letter}")
        widths = {b: len(v) for b, v in by_letter.items()}
        if len(set(widths.values())) != 1:
            first = rows[0][0]
            raise DataError(
                f"{name}, line {first}: matrix {_show(rid)} rows differ in length "
                f"({', '.join(f'{b}={w}' for b, w in widths.items())}); every row needs one value per position"
            )
        counts = np.vstack([by_letter[b] for b in ALPHABET])
        if counts.shape[1] == 0:
            raise DataError(f"{name}, line {lineno}: matrix {_show(rid)} has no columns")
        with np.errstate(over="ignore"):
            if not np.all(np.isfinite(counts.sum(axis=0))):
                raise DataError(f"{name}, line {lineno}: matrix {_show(rid)} has counts too large to add up")
        try:
            pwms.append(PWM.from_counts(counts, id=rid, name=rname, source=name))
        except DataError as exc:
            raise DataError(f"{name}, line {lineno}: {exc}") from None
    return pwms


def write_jaspar(pwms, path) -> None:
    """Write JASPAR format. Counts are written when known, else probabilities x nsites (or x 100)."""
    out = io.StringIO()
    for k, pwm in enumerate(pwms):
        values = pwm.counts if pwm.counts is not None else pwm.probs * (_nsites(pwm) or 100.0)
        integral = np.allclose(values, np.round(values))
        out.write(f">{_clean_token(pwm.id, f'motif{k + 1}')}\t{_clean_name(pwm.name)}\n")
        for b, row in zip(ALPHABET, values):
            cells = " ".join(f"{int(round(v)):d}" if integral else f"{v:.6g}" for v in row)
            out.write(f"{b}  [ {cells} ]\n")
    _write(path, out.getvalue())


def read_motifs(path) -> list[PWM]:
    """MEME or JASPAR, decided from the content ('MOTIF' lines mean MEME)."""
    name, text = _read_text(path)
    return _parse_meme(name, text) if _MEME_HINT.search(text) else _parse_jaspar(name, text)
