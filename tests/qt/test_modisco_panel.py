"""The Motifs panel's TF-MoDISco page, offscreen: seqlet -> sequence navigation (the record becomes
current, the seqlet is selected in the editor), a run cancelled while the engine works, and (slow) a
whole run on the REST test peaks."""

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from deemo_gui.core import modisco_engine
from deemo_gui.core.modisco import ModiscoResult, ModiscoSettings, Pattern, Seqlet
from deemo_gui.viewer import Viewer

ROOT = Path(__file__).resolve().parents[2]
REST_FA = ROOT / "resources" / "examples" / "REST_GM12878_test.fa"
REST_CNN = ROOT / "models" / "REST_GM12878_cnn.safetensors"

pytestmark = pytest.mark.skipif(bool(modisco_engine.available()), reason="modisco-lite is not installed")


@pytest.fixture
def window(open_window, dialogs):
    viewer = Viewer()
    win = open_window(viewer)
    viewer.open(REST_FA)
    viewer.add_model(REST_CNN)
    return win


def _result(viewer, records):
    seqs = [viewer.sequence(i) for i in records]
    ppm = np.full((4, 12), 0.25)
    cwm = np.zeros((4, 12))
    cwm[1, 2:10] = 1.0
    seqlets = [Seqlet(0, 40, 48, "+", 5.0), Seqlet(2, 10, 18, "-", 7.0), Seqlet(1, 60, 68, "+", 1.0)]
    p = Pattern(
        name="pos_patterns.pattern_0",
        metacluster="pos",
        index=0,
        ppm=ppm,
        cwm=cwm,
        hcwm=cwm,
        trim=(2, 10),
        seqlets=seqlets,
    )
    return ModiscoResult(
        patterns=[p],
        ids=[viewer.sequence_id(i) for i in records],
        sequences=seqs,
        window_starts=np.zeros(len(records), np.int64),
        attribution="saliency",
        note="",
        release=None,
        settings=ModiscoSettings(),
        seconds={"total": 1.0},
        model="REST cnn",
    )


def test_clicking_a_seqlet_opens_its_record_with_the_seqlet_selected(qtbot, window):
    panel = window.show_panel("Motifs")
    panel.pages.setCurrentWidget(panel.modisco)
    page = panel.modisco
    records = [3, 10, 20]
    page.show_result(_result(window.viewer, records), records)
    assert page.patterns.rowCount() == 1 and page.patterns.item(0, 2).text() == "3"
    assert page.logos[0].matrix.shape == (4, 8) and page.logos[1].matrix.shape == (4, 8)
    # seqlets listed by contribution: the record-20 one (7.0) first
    assert page.seqlets.item(0, 0).text() == window.viewer.sequence_id(20)
    assert page.seqlets.item(0, 1).text() == "11" and page.seqlets.item(0, 3).text() == "-"
    rect = page.seqlets.visualItemRect(page.seqlets.item(1, 0))
    qtbot.mouseClick(page.seqlets.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.viewer.current_index == 3 and window.viewer.selection == (40, 48)
    page.show_seqlet(0)
    assert window.viewer.current_index == 20 and window.viewer.selection == (10, 18)


def test_a_run_cancelled_in_the_engine_stops_its_child(qtbot, window, monkeypatch):
    started = []
    real = modisco_engine._Child

    class Spy(real):
        def __init__(self, folder):
            super().__init__(folder)
            started.append(self)

    monkeypatch.setattr(modisco_engine, "_Child", Spy)
    panel = window.show_panel("Motifs")
    page = panel.modisco
    page.attribution.setCurrentIndex(page.attribution.findData("saliency"))
    page.max_spin.setValue(120)
    worker = page.run()
    assert worker is not None and page.cancel_button.isEnabled() and not page.run_button.isEnabled()
    qtbot.waitUntil(lambda: bool(started), timeout=120_000)
    qtbot.waitUntil(lambda: "TF-MoDISco: clustering" in page.status.text(), timeout=30_000)
    page.cancel()
    qtbot.waitUntil(lambda: not worker.is_running(), timeout=30_000)
    qtbot.waitUntil(lambda: page.run_button.isEnabled(), timeout=10_000)
    assert page.status.text() == "Cancelled." and page.result is None
    assert started[0].wait(0) is not None


@pytest.mark.slow
def test_a_whole_run_on_rest_peaks_finds_rest_and_exports_a_report(qtbot, window, tmp_path):
    panel = window.show_panel("Motifs")
    page = panel.modisco
    page.attribution.setCurrentIndex(page.attribution.findData("saliency"))
    worker = page.run()
    qtbot.waitUntil(lambda: not worker.is_running(), timeout=600_000)
    qtbot.waitUntil(lambda: page.result is not None, timeout=10_000)
    assert page.result.patterns[0].best["target_id"].startswith("MA0138")
    path = page.export_report(str(tmp_path / "rest.html"))
    assert "data:image/png;base64," in Path(path).read_text(encoding="utf-8")
    page.show_seqlet(0)
    s = page._shown[0]
    assert window.viewer.selection == (s.start, s.end)
