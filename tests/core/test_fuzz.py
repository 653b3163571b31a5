"""Every reader either parses a mutated real file or raises a one-line DeemoError (issue: hostile input)."""

import logging
import os
import time

import _fuzzing as fuzzing
import pytest

from deemo_gui.core.errors import DeemoError

N_INPUTS = int(os.environ.get("DEEMO_FUZZ_N", 12_000))
MODEL_LOADS = 300  # full network builds are ~5 ms each; the metadata target covers the schema 10x more


def test_fuzzer_finds_no_crash_in_12000_inputs(tmp_path):
    logging.disable(logging.WARNING)
    try:
        start = time.perf_counter()
        count, crashes = fuzzing.run(N_INPUTS, tmp_path, seed=20261201, per_target={"model-load": MODEL_LOADS})
        seconds = time.perf_counter() - start
    finally:
        logging.disable(logging.NOTSET)
    assert count >= 10_000
    assert not crashes, f"{len(crashes)} crashes, first in {crashes[0][0]}:\n{crashes[0][2]}"
    assert seconds < 120, f"{count} inputs took {seconds:.0f} s"


def test_fuzzer_catches_a_reader_that_crashes(tmp_path, monkeypatch):
    """The harness itself can fail: a reader raising a plain ValueError is reported as a crash."""
    real = fuzzing.read_labels

    def broken(path):
        real(path)
        raise ValueError("boom")

    monkeypatch.setattr(fuzzing, "read_labels", broken)
    names = [t.name for t in fuzzing.targets()]
    count, crashes = fuzzing.run(0, tmp_path, per_target={n: (20 if n == "labels" else 0) for n in names})
    assert count == 20 and crashes and all(name == "labels" for name, _, _ in crashes)


@pytest.mark.parametrize("case", fuzzing.regression_cases(), ids=lambda c: f"{c[0].name}/{c[1].name}")
def test_fuzz_regression_case(case):
    """Each input that once crashed a reader is kept and must now parse or raise a DeemoError."""
    target, path = case
    try:
        target.read(str(path))
    except DeemoError as exc:
        assert "\n" not in str(exc).strip()
