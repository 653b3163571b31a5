"""`deemo-gui --self-test` in-process (from the source tree): window, zoo model, prediction,
saliency, Tomtom against the offline JASPAR release, logo and screenshot export, one summary line."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SUMMARY = re.compile(
    r"^deemo-gui self-test OK: source .*\| model (\S+) P=[01]\.\d{3} .*"
    r"\| tomtom (MA\d{4}\.\d+) vs (\d+) (JASPAR\d{4}) CORE vertebrates: best (MA\d{4}\.\d+) p=\S+ \(([\d.]+) s;"
)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    monkeypatch.setenv("DEEMO_GUI_SETTINGS", str(tmp_path / "settings.ini"))
    monkeypatch.setenv("DEEMO_SELFTEST_OUT", str(tmp_path / "out"))


def _zoo_has_models() -> bool:
    from deemo_gui.core.zoo import zoo_dir

    return any(zoo_dir().glob("*.safetensors"))


def test_self_test_passes_and_prints_one_line(qapp, capsys, tmp_path):
    if not _zoo_has_models():
        pytest.skip("models/ has no model yet (the zoo is trained by `deemo zoo`)")
    from deemo_gui.selftest import main

    assert main() == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1, out
    m = SUMMARY.match(out[0])
    assert m, out[0]
    query, n_targets, best = m.group(2), int(m.group(3)), m.group(5)
    assert query.split(".")[0] == best.split(".")[0]  # a JASPAR matrix finds itself
    assert n_targets > 500  # the whole CORE vertebrates collection
    assert (tmp_path / "out" / "logo.png").stat().st_size > 1000
    assert (tmp_path / "out" / "window.png").stat().st_size > 10_000


def test_self_test_reports_a_missing_zoo_in_one_line(qapp, capsys, monkeypatch, tmp_path):
    empty = tmp_path / "no-models"
    empty.mkdir()
    monkeypatch.setenv("DEEMO_MODELS", str(empty))
    from deemo_gui.selftest import main

    assert main() == 1
    out = capsys.readouterr().out.strip().splitlines()
    assert out == [f"deemo-gui self-test FAILED: zoo: no model files (*.safetensors) in {empty}"]


def test_self_test_flag_is_wired():
    from deemo_gui.qt.app import build_parser

    assert build_parser().parse_args(["--self-test"]).self_test
