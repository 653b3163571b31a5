"""Rev. comp. in the window: the other strand as a view (strand marker, the file's positions counted
down on the ruler, no "bases changed"), predictions of the shown strand, and back."""

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint

from deemo_gui.core.inference import predict_proba
from deemo_gui.core.sequences import one_hot, reverse_complement
from deemo_gui.viewer import Viewer

ROOT = Path(__file__).resolve().parents[2]


def test_rev_comp_button_shows_the_minus_strand(qtbot, open_window, dialogs):
    win = open_window(Viewer())
    assert win.open_file(str(ROOT / "resources" / "examples" / "REST_GM12878_test.fa"))
    assert win.open_model(str(ROOT / "models" / "REST_GM12878_cnn.safetensors"))
    v, editor = win.viewer, win.editor
    forward = v.current_sequence
    editor.revcomp_button.click()
    assert v.current_sequence == reverse_complement(forward)
    info = editor.info.text()
    assert "− strand" in info and "changed" not in info, info
    module = v.model("REST_GM12878_cnn").module
    expected = float(predict_proba(module, one_hot([reverse_complement(forward)]))[0, 0])
    qtbot.waitUntil(
        lambda: v.predictions.get("REST_GM12878_cnn", [None])[0] == pytest.approx(expected, abs=1e-6), timeout=30_000
    )
    seen = []
    editor.canvas.hover.connect(seen.append)
    y = editor.canvas.RULER_H + 20
    for x in (editor.canvas.x_of(3) + 2, editor.canvas.x_of(0) + 2):  # a move the canvas sees, onto base 1
        qtbot.mouseMove(editor.canvas, QPoint(int(x), y))
        qtbot.wait(20)
    qtbot.waitUntil(lambda: bool(seen) and "position 1 " in seen[-1], timeout=5000)
    assert f"(− strand; {len(forward)} in the file)" in seen[-1], seen[-1]
    editor.revcomp_button.click()
    assert v.current_sequence == forward and "− strand" not in editor.info.text()
    assert not dialogs
