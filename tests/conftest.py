"""Shared test set-up: offscreen Qt, one CPU thread per test process, and paths to real data."""
import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "resources" / "data"
TEST_DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def test_data_dir() -> Path:
    return TEST_DATA
