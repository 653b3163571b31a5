"""Publication exports (logomaker / matplotlib): real JASPAR CTCF logo, a signed attribution logo,
and the saliency / temporal track figure, in PNG, SVG and PDF; Qt-free."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from deemo_gui import palette
from deemo_gui.core.errors import DataError
from deemo_gui.core.logo_export import save_logo, save_tracks

MAGIC = {".png": b"\x89PNG\r\n\x1a\n", ".pdf": b"%PDF-"}


def _check(path, ext):
    data = path.read_bytes()
    assert len(data) > 1000
    if ext == ".svg":
        assert b"<svg" in data[:1000]
    else:
        assert data.startswith(MAGIC[ext])


@pytest.fixture(scope="module")
def ctcf():
    from deemo_gui.core.motifs.jaspar import JasparDB

    return JasparDB().get("MA0139")


@pytest.mark.parametrize("ext", [".png", ".svg", ".pdf"])
def test_save_logo_formats(tmp_path, ctcf, ext):
    out = save_logo(ctcf, tmp_path / f"ctcf{ext}", title=f"{ctcf.name} {ctcf.id}")
    _check(out, ext)


def test_save_logo_colours_in_png(tmp_path):
    import matplotlib.image as mpimg

    m = np.zeros((4, 4))
    for k in range(4):
        m[k, k] = 2.0
    out = save_logo(m, tmp_path / "acgt.png", dpi=80)
    img = (mpimg.imread(out)[..., :3] * 255).reshape(-1, 3)
    for letter, hex_color in palette.NUCLEOTIDE_COLORS.items():
        d = np.linalg.norm(img - np.array(palette.hex_to_rgb(hex_color))[None], axis=1)
        assert np.mean(d < 30) > 0.01, letter


def test_save_logo_signed_dataframe_and_highlight(tmp_path):
    import pandas as pd

    m = np.random.default_rng(0).normal(size=(4, 8))
    df = pd.DataFrame(m.T, columns=list("ACGT"))
    _check(save_logo(df, tmp_path / "signed.png", ylabel="attribution", highlight=(2, 5), x0=10), ".png")


def test_save_logo_errors(tmp_path):
    with pytest.raises(DataError, match=r"\(4, W\)"):
        save_logo(np.zeros((5, 3)), tmp_path / "x.png")
    with pytest.raises(DataError, match="extension"):
        save_logo(np.ones((4, 3)), tmp_path / "noext")
    with pytest.raises(DataError, match="format"):
        save_logo(np.ones((4, 3)), tmp_path / "x.docx")


@pytest.mark.parametrize("ext", [".png", ".svg", ".pdf"])
def test_save_tracks_formats(tmp_path, ext):
    rng = np.random.default_rng(1)
    seq = "".join(rng.choice(list("ACGT"), 60))
    sal = rng.random(60)
    fwd = np.clip(np.linspace(0, 1, 60), 0, 1)
    out = save_tracks(
        seq,
        tmp_path / f"tracks{ext}",
        saliency=sal,
        forward=fwd,
        backward=fwd[::-1],
        hits=[(10, 25, "+", "CTCF"), (30, 40, "-", "REST")],
        title="test",
    )
    _check(out, ext)


def test_save_tracks_long_sequence_and_errors(tmp_path):
    seq = "ACGT" * 250
    _check(save_tracks(seq, tmp_path / "long.png", saliency=np.ones(1000)), ".png")
    with pytest.raises(DataError, match="one value per base"):
        save_tracks("ACGT", tmp_path / "bad.png", saliency=np.ones(5))


def test_export_module_is_qt_free():
    code = (
        "import sys, numpy as np; from deemo_gui.core.logo_export import save_logo; "
        "import tempfile, os; d = tempfile.mkdtemp(); save_logo(np.ones((4, 3)) / 2, os.path.join(d, 'a.png')); "
        "assert not any(m.startswith(('PySide6', 'pyqtgraph')) for m in sys.modules), 'Qt imported'"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
