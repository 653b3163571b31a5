"""A seeded mutation fuzzer over real example files of every format the app reads.

Each target is (name, seed files as bytes, reader): a mutated seed is written to disk and read; the
reader must either return a valid result or raise a `DeemoError`. Anything else is a crash. Used by
tests/core/test_fuzz.py (a bounded run in the default suite) and, for long campaigns,
`python tests/core/_fuzzing.py N [SEED]` (it saves each crashing input under tests/data/fuzz_regressions/).
"""

from __future__ import annotations

import gzip
import json
import random
import struct
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "resources" / "data"
REGRESSIONS = ROOT / "tests" / "data" / "fuzz_regressions"
SEEDS = ROOT / "tests" / "data" / "fuzz_seeds"  # made by tests/data/fuzz_seeds/make.py

_UNICODE = ["ſ", "ﬅ", "\ufeff", "\u2028", "é", "🧬", "Ａ", "\u0130", "ß", "\u00a0", "\x85"]
_BYTES = [b"\x00", b"\r", b"\r\n", b"\n", b"\t", b",", b'"', b">", b" ", b"\xff", b"\x1f\x8b", b"=", b"\\"]
_NUMBERS = [b"nan", b"inf", b"-inf", b"-5", b"0", b"1e400", b"2", b"", b"-0", b"1.5", b"99999999999999999999"]


@dataclass
class Target:
    name: str
    seeds: list[bytes]
    read: Callable[[str], object]
    suffix: str = ""
    weight: int = 1


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One to three random edits of `data` (bit flips, deletions, duplications, odd bytes, unicode, ...)."""
    buf = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        op = rng.randrange(12)
        n = len(buf)
        i = rng.randrange(n + 1) if n else 0
        if op == 0 and n:
            buf[rng.randrange(n)] ^= 1 << rng.randrange(8)
        elif op == 1 and n:
            j = min(n, i + rng.randint(1, 64))
            del buf[i:j]
        elif op == 2 and n:
            j = min(n, i + rng.randint(1, 200))
            buf[i:i] = buf[i:j]
        elif op == 3:
            buf[i:i] = rng.choice(_BYTES)
        elif op == 4:
            buf[i:i] = rng.choice(_UNICODE).encode()
        elif op == 5:
            del buf[rng.randrange(n + 1) :]
        elif op == 6:
            buf = bytearray(bytes(buf).replace(b"\n", rng.choice([b"\r\n", b"\r"])))
        elif op == 7:
            buf[0:0] = rng.choice([b"\xef\xbb\xbf", b"\n\n", b"  ", b"\t"])
        elif op == 8:
            lines = bytes(buf).split(b"\n")
            if len(lines) > 2:
                a, b = rng.randrange(len(lines)), rng.randrange(len(lines))
                lines[a], lines[b] = lines[b], lines[a]
                buf = bytearray(b"\n".join(lines))
        elif op == 9:
            buf[i:i] = rng.choice([b"A", b"N", b"x", b"-", b" "]) * rng.choice([1000, 140_000])
        elif op == 10:
            digits = [k for k in range(n) if 48 <= buf[k] <= 57]
            if digits:
                k = rng.choice(digits)
                buf[k : k + 1] = rng.choice(_NUMBERS)
        elif op == 11 and n:
            j = min(n, i + rng.randint(1, 8))
            buf[i:j] = bytes(rng.randrange(256) for _ in range(j - i))
    return bytes(buf)


def mutate_gzip(data: bytes, rng: random.Random) -> bytes:
    """Either the compressed bytes mutated (damaged .gz) or mutated text compressed again."""
    if rng.random() < 0.5:
        return mutate(gzip.compress(data, mtime=0), rng)
    return gzip.compress(mutate(data, rng), mtime=0)


# --- seeds: small slices of the bundled real data --------------------------------------------------


def _head_lines(path: Path, n: int) -> bytes:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        return b"".join(fh.readline() for _ in range(n))


def sequence_seeds() -> list[bytes]:
    deepbind = _head_lines(DATA / "deepbind_encode" / "REST_GM12878_B.seq.gz", 12)
    fasta = _head_lines(ROOT / "resources" / "examples" / "REST_GM12878_test.fa", 16)
    rows = [line.split(b"\t") for line in deepbind.splitlines()[1:]]
    tsv = b"id\tsequence\tREST\n" + b"".join(r[1] + b"\t" + r[2] + b"\t" + r[3] + b"\n" for r in rows)
    csv_ = b"name,sequence,bound,other\n" + b"".join(r[1] + b"," + r[2].lower() + b"," + r[3] + b",0\n" for r in rows)
    headerless = b"".join(r[2] + b"\t" + r[3] + b"\n" for r in rows)
    plain = _head_lines(DATA / "selex_alx4" / "alx4_round4.txt", 12)
    labelled = b"".join(b">" + r[1] + b" label=" + r[3] + b"\n" + r[2][:50] + b"\n" + r[2][50:] + b"\n" for r in rows)
    return [deepbind, fasta, tsv, csv_, headerless, plain, labelled]


def check_sequences(data) -> None:
    """What a successful read must satisfy (a silent wrong result is a failure too)."""
    from deemo_gui.core.sequences import VALID_LETTERS

    assert len(data.ids) == len(data.seqs) > 0
    for s in data.seqs:
        assert s and set(s) <= VALID_LETTERS, s[:40]
    if data.labels is not None:
        assert data.labels.shape == (len(data.seqs), data.n_tasks)
        assert set(np.unique(data.labels)) <= {0.0, 1.0}


def read_sequences_checked(path: str):
    from deemo_gui.core.sequences import read_sequences

    data = read_sequences(path)
    check_sequences(data)
    return data


def read_labels(path: str):
    from deemo_gui.core.sequences import read_label_file

    return read_label_file(path, 12, "fuzz")


def motif_seeds() -> list[bytes]:
    return [(SEEDS / name).read_bytes() for name in ("motifs.meme", "motifs.jaspar")]


def read_motifs(path: str):
    from deemo_gui.core.motifs.meme import read_motifs as read

    pwms = read(path)
    for p in pwms:
        assert np.all(np.isfinite(p.probs)) and p.probs.shape[0] == 4 and p.probs.shape[1] > 0
        assert np.allclose(p.probs.sum(axis=0), 1, atol=1e-3)
        assert p.nsites is None or (np.isfinite(p.nsites) and p.nsites > 0)
    return pwms


def session_seeds() -> list[bytes]:
    return [(SEEDS / "session.deemo-session").read_bytes()]


def read_session(path: str):
    from deemo_gui.viewer.session import read_session as read

    return read(path)


def _model_bytes(meta_edit: Callable[[dict], None] | None = None, version: int | None = None) -> bytes:
    raw = (ROOT / "models" / "REST_GM12878_deepbind.safetensors").read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8 : 8 + n])
    meta = json.loads(header["__metadata__"]["deemo"])
    if version == 1:  # an unsigned format-1 file: the schema checks are what stands guard
        meta.pop("metadata_sha256", None)
        meta["format_version"] = 1
    if meta_edit:
        meta_edit(meta)
    header["__metadata__"]["deemo"] = json.dumps(meta)
    hb = json.dumps(header).encode()
    hb += b" " * (-len(hb) % 8)
    return struct.pack("<Q", len(hb)) + hb + raw[8 + n :]


def model_seeds() -> list[bytes]:
    return [_model_bytes(), _model_bytes(version=1)]


_ODD_VALUES = [None, "abc", [], {}, [1, 2], -1, 0, 1e400, 10**12, True, "", [[[[]]]], {"a": 1}, 1.5, "ACGT\n"]


def mutate_model(data: bytes, rng: random.Random) -> bytes:
    """Half structured (a metadata field gets a value of another type), half raw byte mutations."""
    if rng.random() < 0.5:
        return mutate(data, rng)

    def edit(meta: dict) -> None:
        key = rng.choice(sorted(meta))
        value = meta[key]
        if isinstance(value, dict) and value and rng.random() < 0.6:
            value[rng.choice(sorted(value))] = rng.choice(_ODD_VALUES)
        elif isinstance(value, list) and value and rng.random() < 0.5:
            value[rng.randrange(len(value))] = rng.choice(_ODD_VALUES)
        else:
            meta[key] = rng.choice(_ODD_VALUES)

    return _model_bytes(edit, version=1)


def read_model_metadata(path: str):
    from deemo_gui.core.modelfile import read_metadata

    return read_metadata(path)


def load_model_checked(path: str):
    import torch

    from deemo_gui.core.modelfile import load_model

    model = load_model(path)
    with torch.no_grad():
        p = torch.sigmoid(model(torch.zeros(1, 4, model.input_length)))
    assert torch.isfinite(p).all()
    assert len(model.metadata.get("task_names") or ["x"] * model.n_tasks) == model.n_tasks
    return model


def targets() -> list[Target]:
    seqs = sequence_seeds()
    labels = [_head_lines(DATA / "ctcf_gifford" / "ctcf_test.target", 12), b"1\n0\n" * 6, b"1,0,1\n0,1,0\n" * 6]
    return [
        Target("sequences", seqs, read_sequences_checked, ".txt", weight=5),
        Target("sequences-gz", seqs, read_sequences_checked, ".gz", weight=2),
        Target("labels", labels, read_labels, ".labels"),
        Target("motifs", motif_seeds(), read_motifs, ".motifs", weight=2),
        Target("session", session_seeds(), read_session, ".deemo-session"),
        Target("model-metadata", model_seeds(), read_model_metadata, ".safetensors", weight=2),
        Target("model-load", model_seeds(), load_model_checked, ".safetensors"),
    ]


def run(
    n_inputs: int,
    folder: Path,
    seed: int = 0,
    per_target: dict[str, int] | None = None,
    save_crashes: bool = False,
    slow_s: float = 5.0,
) -> tuple[int, list[tuple[str, bytes, str]]]:
    """Read `n_inputs` mutated inputs (split by target weight); returns (count, crashes).

    A crash is any exception other than a one-line DeemoError, or a read slower than `slow_s`."""
    import warnings

    from deemo_gui.core.errors import DeemoError

    warnings.simplefilter("ignore")  # readers warn about renormalised rows, crops, ...
    rng = random.Random(seed)
    all_targets = targets()
    total_weight = sum(t.weight for t in all_targets)
    crashes, count = [], 0
    for t in all_targets:
        n = (per_target or {}).get(t.name, n_inputs * t.weight // total_weight)
        path = folder / f"input{t.suffix}"
        for _ in range(n):
            seed_bytes = rng.choice(t.seeds)
            if t.suffix == ".gz":
                data = mutate_gzip(seed_bytes, rng)
            elif t.name.startswith("model"):
                data = mutate_model(seed_bytes, rng)
            else:
                data = mutate(seed_bytes, rng)
            path.write_bytes(data)
            count += 1
            start = time.perf_counter()
            try:
                t.read(str(path))
            except DeemoError as exc:
                if "\n" in str(exc).strip():
                    crashes.append((t.name, data, f"a multi-line error: {exc}"))
            except Exception:  # noqa: BLE001 - the point: anything else is a crash
                crashes.append((t.name, data, traceback.format_exc(limit=3)))
            seconds = time.perf_counter() - start
            if seconds > slow_s:  # a hang is a crash too
                crashes.append((t.name, data, f"took {seconds:.1f} s (limit {slow_s} s)"))
            if save_crashes and crashes and crashes[-1][1] is data:
                _save(t, data)
    return count, crashes


def _save(target: Target, data: bytes) -> Path:
    import hashlib

    folder = REGRESSIONS / target.name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (hashlib.sha256(data).hexdigest()[:16] + target.suffix)
    path.write_bytes(data)
    return path


def regression_cases() -> list[tuple[Target, Path]]:
    by_name = {t.name: t for t in targets()}
    return [(by_name[p.parent.name], p) for p in sorted(REGRESSIONS.glob("*/*")) if p.parent.name in by_name]


if __name__ == "__main__":
    import logging
    import tempfile

    sys.path.insert(0, str(ROOT))
    logging.disable(logging.WARNING)
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        count, crashes = run(n, Path(tmp), seed=seed, save_crashes=True)
    print(f"{count} inputs in {time.perf_counter() - start:.1f} s, {len(crashes)} crashes")
    seen = set()
    for name, _, tb in crashes:
        last = tb.strip().splitlines()[-1]
        if (name, last) not in seen:
            seen.add((name, last))
            print(f"--- {name}\n{tb}")
