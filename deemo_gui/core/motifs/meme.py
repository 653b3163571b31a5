"""Motif files: MEME minimal format (`.meme`, `.txt`) and JASPAR count matrices (`.jaspar`, `.pfm`).

MEME minimal format (https://meme-suite.org/meme/doc/meme-format.html): an optional header
(`MEME version`, `ALPHABET=`, `strands:`, `Background letter frequencies`), then per motif a
`MOTIF <id> [<name>]` line, a `letter-probability matrix: alength= 4 w= W nsites= N E= x` line
and W rows of 4 probabilities (A C G T). `log-odds matrix` blocks and `URL` lines are skipped.

JASPAR format: `>ID name` then four rows `A [ 1 2 3 ]` (brackets and letters optional; without
letters the rows are A C G T in order). Raw `.pfm` files with no header hold one matrix.

Both readers accept gzip files and raise `DataError` naming the file, line and motif.
"""
from __future__ import annotations

import gzip
import io
import os
import re
import warnings

import numpy as np

from deemo_gui.core.errors import DataError
from deemo_gui.core.motifs.pwm import ALPHABET, PWM, SUM_TOLERANCE

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf)"
_KEYVAL = re.compile(r"(\w+)\s*=\s*(\S+)")


def _read_text(path) -> tuple[str, str]:
    name = os.fspath(path)
    try:
        with open(name, "rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        raise DataError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{name}: is a directory, not a motif file") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise DataError(f"{name}: damaged gzip file ({exc})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = raw.decode("latin-1")
        except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes any bytes
            raise DataError(f"{name}: not a text file") from None
    if "\x00" in text:
        raise DataError(f"{name}: binary file, not a MEME or JASPAR motif file")
    return name, text


def _parse_row(line: str, n_expected: int | None, where: str) -> np.ndarray:
    tokens = line.split()
    try:
        values = np.array([float(t) for t in tokens], dtype=np.float64)
    except ValueError:
        raise DataError(f"{where}: {line.strip()!r} is not a row of numbers") from None
    if n_expected is not None and len(values) != n_expected:
        raise DataError(f"{where}: {len(values)} values, expected {n_expected} (A C G T)")
    if not np.all(np.isfinite(values)):
        raise DataError(f"{where}: NaN or infinite value in {line.strip()!r}")
    if np.any(values < 0):
        raise DataError(f"{where}: negative value in {line.strip()!r}")
    return values


def _renormalize(rows: np.ndarray, name: str, motif: str, first_line: int) -> np.ndarray:
    """rows (W, 4) -> probs (4, W), each column summed to 1, warning where a row was off."""
    sums = rows.sum(axis=1)
    for i, s in enumerate(sums):
        if s <= 0:
            raise DataError(
                f"{name}, line {first_line + i}: motif {motif!r} row {i + 1} is all zero; "
                "each row must hold the 4 letter probabilities of one position"
            )
    off = np.flatnonzero(np.abs(sums - 1.0) > SUM_TOLERANCE)
    if off.size:
        warnings.warn(
            f"{name}: motif {motif!r}: {off.size} row(s) do not sum to 1 (row {off[0] + 1} sums to "
            f"{sums[off[0]]:.4g}); renormalized",
            stacklevel=3,
        )
    return (rows / sums[:, None]).T


# ---------------------------------------------------------------------------------------------
# MEME


def read_meme(path) -> list[PWM]:
    """All motifs of a MEME minimal-format file, in file order."""
    name, text = _read_text(path)
    if not text.strip():
        raise DataError(f"{name}: empty file; expected MEME motifs ('MOTIF <id>' + letter-probability matrix)")
    lines = text.splitlines()
    alphabet_line = next((ln for ln in lines if ln.startswith("ALPHABET")), None)
    if alphabet_line is not None:
        if "=" in alphabet_line:  # minimal format: ALPHABET= ACGT
            letters = (alphabet_line.split("=", 1)[1].split() or [""])[0].upper()
            is_dna = letters.startswith("ACGT")
        else:  # MEME 5 custom alphabet block: ALPHABET "DNA" DNA-LIKE
            is_dna = "DNA" in alphabet_line.upper()
            letters = alphabet_line[len("ALPHABET"):].strip()
        if not is_dna:
            raise DataError(
                f"{name}: ALPHABET {letters!r} is not DNA (ACGT); deemo reads DNA motifs only"
            )

    pwms: list[PWM] = []
    seen_motif = False
    i = 0
    n = len(lines)
    while i < n:
        line = lines[i]
        if not line.startswith("MOTIF"):
            i += 1
            continue
        seen_motif = True
        fields = line.split()
        if len(fields) < 2:
            raise DataError(f"{name}, line {i + 1}: MOTIF line without an identifier")
        motif_id = fields[1]
        motif_name = " ".join(fields[2:])
        motif_line = i + 1
        i += 1
        # find this motif's letter-probability matrix (before the next MOTIF)
        while i < n and not lines[i].startswith("MOTIF") and "letter-probability matrix" not in lines[i]:
            i += 1
        if i >= n or lines[i].startswith("MOTIF"):
            raise DataError(
                f"{name}, line {motif_line}: motif {motif_id!r} has no 'letter-probability matrix:' "
                "block; deemo needs probabilities, not only log-odds"
            )
        header = dict((k.lower(), v) for k, v in _KEYVAL.findall(lines[i].split(":", 1)[-1]))
        try:
            alength = int(header.get("alength", 4))
            width = int(header["w"]) if "w" in header else None
            nsites = float(header["nsites"]) if "nsites" in header else None
        except ValueError:
            raise DataError(f"{name}, line {i + 1}: cannot read {lines[i].strip()!r}") from None
        if alength != 4:
            raise DataError(f"{name}, line {i + 1}: motif {motif_id!r} has alength= {alength}; DNA motifs have 4")
        i += 1
        rows, first_row_line = [], i + 1
        while i < n and (width is None or len(rows) < width):
            ln = lines[i]
            if not ln.strip():
                if rows and width is None:
                    break  # without w=, the matrix ends at the first blank line
                i += 1
                continue
            first = ln.split()[0]
            if not re.fullmatch(_NUMBER, first, flags=re.IGNORECASE):
                break  # MOTIF, URL, log-odds ... : the matrix has ended
            if not rows:
                first_row_line = i + 1
            rows.append(_parse_row(ln, 4, f"{name}, line {i + 1}: motif {motif_id!r} row {len(rows) + 1}"))
            i += 1
        if width is not None and len(rows) != width:
            raise DataError(
                f"{name}, line {first_row_line}: motif {motif_id!r} has {len(rows)} rows but w= {width}"
            )
        if not rows:
            raise DataError(f"{name}, line {first_row_line}: motif {motif_id!r} has an empty matrix")
        if width is not None:
            j = i
            while j < n and not lines[j].strip():
                j += 1
            if j < n and lines[j].split() and re.fullmatch(_NUMBER, lines[j].split()[0], flags=re.IGNORECASE):
                raise DataError(
                    f"{name}, line {j + 1}: motif {motif_id!r} has more rows than w= {width}; "
                    "fix w= or remove the extra rows"
                )
        probs = _renormalize(np.vstack(rows), name, motif_id, first_row_line)
        pwms.append(PWM(id=motif_id, name=motif_name, probs=probs, nsites=nsites, source=name))
    if not seen_motif:
        raise DataError(f"{name}: no 'MOTIF' lines; is this a MEME motif file?")
    return pwms


def _clean_token(s: str, fallback: str) -> str:
    s = re.sub(r"\s+", "_", s.strip())
    return s or fallback


def write_meme(pwms, path, background=(0.25, 0.25, 0.25, 0.25)) -> None:
    """Write MEME minimal format (version 4), readable by the MEME suite, memelite and `read_meme`."""
    pwms = list(pwms)
    out = io.StringIO()
    out.write("MEME version 4\n\nALPHABET= ACGT\n\nstrands: + -\n\n")
    out.write("Background letter frequencies\n")
    out.write(" ".join(f"{b} {f:.4f}" for b, f in zip(ALPHABET, background)) + "\n\n")
    for k, pwm in enumerate(pwms):
        motif_id = _clean_token(pwm.id, f"motif{k + 1}")
        out.write(f"MOTIF {motif_id}" + (f" {pwm.name.strip()}" if pwm.name.strip() else "") + "\n")
        nsites = pwm.nsites if pwm.nsites is not None else 20
        out.write(f"letter-probability matrix: alength= 4 w= {pwm.width} nsites= {nsites:g} E= 0\n")
        for col in pwm.probs.T:
            out.write(" ".join(f"{v:.6f}" for v in col) + "\n")
        out.write("\n")
    with open(os.fspath(path), "w", encoding="utf-8") as fh:
        fh.write(out.getvalue())


# ---------------------------------------------------------------------------------------------
# JASPAR


_JASPAR_ROW = re.compile(r"^\s*([ACGTacgt])?\s*\[?(.*?)\]?\s*$")


def read_jaspar(path) -> list[PWM]:
    """All matrices of a JASPAR `.jaspar` file (several `>` records) or a raw 4-row `.pfm`."""
    name, text = _read_text(path)
    lines = [(k + 1, ln) for k, ln in enumerate(text.splitlines()) if ln.strip() and not ln.startswith("#")]
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
                f"{name}, line {lineno}: matrix {rid!r} has {len(rows)} rows; JASPAR matrices have 4 (A C G T)"
            )
        by_letter: dict[str, np.ndarray] = {}
        for k, (rl, ln) in enumerate(rows):
            m = _JASPAR_ROW.match(ln)
            letter = (m.group(1) or ALPHABET[k]).upper()
            if letter in by_letter:
                raise DataError(f"{name}, line {rl}: matrix {rid!r} has two {letter} rows")
            by_letter[letter] = _parse_row(m.group(2), None, f"{name}, line {rl}: matrix {rid!r} row {letter}")
        widths = {b: len(v) for b, v in by_letter.items()}
        if len(set(widths.values())) != 1:
            first = rows[0][0]
            raise DataError(
                f"{name}, line {first}: matrix {rid!r} rows differ in length "
                f"({', '.join(f'{b}={w}' for b, w in widths.items())}); every row needs one value per position"
            )
        counts = np.vstack([by_letter[b] for b in ALPHABET])
        if counts.shape[1] == 0:
            raise DataError(f"{name}, line {lineno}: matrix {rid!r} has no columns")
        try:
            pwms.append(PWM.from_counts(counts, id=rid, name=rname, source=name))
        except DataError as exc:
            raise DataError(f"{name}, line {lineno}: {exc}") from None
    return pwms


def write_jaspar(pwms, path) -> None:
    """Write JASPAR format. Counts are written when known, else probabilities x nsites (or x 100)."""
    out = io.StringIO()
    for k, pwm in enumerate(pwms):
        if pwm.counts is not None:
            values = pwm.counts
        else:
            values = pwm.probs * (pwm.nsites if pwm.nsites else 100.0)
        integral = np.allclose(values, np.round(values))
        out.write(f">{_clean_token(pwm.id, f'motif{k + 1}')}\t{pwm.name.strip()}\n")
        for b, row in zip(ALPHABET, values):
            cells = " ".join(f"{int(round(v)):d}" if integral else f"{v:.6g}" for v in row)
            out.write(f"{b}  [ {cells} ]\n")
    with open(os.fspath(path), "w", encoding="utf-8") as fh:
        fh.write(out.getvalue())


def read_motifs(path) -> list[PWM]:
    """MEME or JASPAR, decided from the content ('MOTIF' lines mean MEME)."""
    name, text = _read_text(path)
    if re.search(r"^MOTIF", text, flags=re.MULTILINE) or "MEME version" in text:
        return read_meme(path)
    return read_jaspar(path)
