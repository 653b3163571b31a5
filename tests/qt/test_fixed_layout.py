"""A layout that does not move: ticking more models neither pushes the tabs down (the prediction
read-out is a fixed-height strip that scrolls) nor grows the verdict banner beyond one line."""

import pytest

ZOO = [
    "REST_GM12878_cnn",
    "REST_GM12878_deepbind",
    "REST_GM12878_rnn",
    "REST_GM12878_demo",
    "ZBTB7A_HepG2_rnn",
    "MYC_H1-hESC_cnn",
    "SP1_GM12878_deepbind",
]


@pytest.fixture
def window(open_window, dialogs):
    from deemo_gui.viewer import Viewer

    v = Viewer()
    v.open("resources/examples/REST_GM12878_test.fa")
    for name in ZOO:
        v.add_model(f"models/{name}.safetensors", lazy=True, select=False)
    v.select_models(ZOO[:1])
    return open_window(v)


def _idle(qtbot, win):
    qtbot.wait(150)
    qtbot.waitUntil(lambda: not win.jobs.running and not win.live._busy, timeout=60_000)
    qtbot.wait(100)


def test_ticking_models_keeps_tabs_and_buttons_in_place(window, qtbot):
    from PySide6.QtCore import QPoint

    panel = window.show_panel("Saliency")
    _idle(qtbot, window)
    strip = window.editor.scores_strip
    tabs_y = window.tabs.mapTo(window, QPoint(0, 0)).y()
    button_y = panel.header.itemAt(panel.header.count() - 1).geometry().y() if panel.header.count() else 0
    height = strip.height()
    for k in range(2, len(ZOO) + 1):
        window.viewer.select_models(ZOO[:k])
        _idle(qtbot, window)
        assert window.tabs.mapTo(window, QPoint(0, 0)).y() == tabs_y
        assert strip.height() == height
        if panel.header.count():
            assert panel.header.itemAt(panel.header.count() - 1).geometry().y() == button_y
    board = window.editor.scores
    assert len(board.rows) == len(ZOO) and board.height() > strip.viewport().height()  # scrolls
    assert strip.verticalScrollBar().maximum() > 0
    assert all(name in board.toolTip() for name in ZOO)


def test_the_verdict_banner_is_one_line_with_the_rest_on_hover(window, qtbot):
    panel = window.show_panel("Saliency")
    window.viewer.select_models(ZOO)
    _idle(qtbot, window)
    qtbot.waitUntil(lambda: panel.trust.isVisible(), timeout=30_000)
    trust = panel.trust
    one_line = trust.fontMetrics().height() + trust.contentsMargins().top() + trust.contentsMargins().bottom() + 4
    assert trust.height() <= one_line
    flagged = trust.full_text().splitlines()
    assert len(flagged) >= 3 and f"+ {len(flagged) - 1} more models" in trust.text()
    assert flagged[0].split(" — ")[1].startswith("untrusted")  # the worst first
    assert all(line.split(" — ")[0][2:] in trust.toolTip() for line in flagged)
