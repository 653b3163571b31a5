"""The Saliency panel's DeepLIFT/SHAP choice: the track is the core's, the title carries the
convergence delta (a warning above tolerance), a recurrent model gets a note instead of a track."""

import numpy as np
from test_analysis_panels import (  # noqa: F401
    _modules,
    _wait_ready,
    model_paths,
    rest_records,
    window,
)

from deemo_gui import explain
from deemo_gui.core.explain.deeplift import TOLERANCE
from deemo_gui.core.sequences import one_hot
from deemo_gui.qt.panels.saliency import deeplift_delta_text


def test_saliency_panel_shows_deeplift(qtbot, window, tmp_path):  # noqa: F811
    v = window.viewer
    cnn, rnn = _modules(v)
    panel = window.show_panel("Saliency")
    _wait_ready(qtbot, panel, v)
    k = panel.method_combo.findData("deeplift")
    assert panel.method_combo.itemText(k) == "DeepLIFT/SHAP"
    assert "convergence delta" in panel.method_combo.itemData(k, 3)
    panel.set_method("deeplift")
    X = one_hot([v.current_sequence])
    attr, delta = explain.deep_lift_shap(cnn.module, X, return_delta=True)
    plot = panel.track_plots[cnn.name]
    np.testing.assert_allclose(plot.bars.opts["height"], attr[0].sum(0), rtol=1e-4, atol=1e-6)
    title = plot.titleLabel.text
    assert "DeepLIFT/SHAP" in title and "convergence Δ" in title and "above" not in title
    assert abs(delta[0]) < TOLERANCE
    note = panel.track_plots[rnn.name]
    assert note.placeholder is not None and "not defined for recurrent models" in note.placeholder.toPlainText()
    panel.grab().save(str(tmp_path / "saliency_deeplift.png"))


def test_delta_above_tolerance_is_a_warning():
    assert "above" not in deeplift_delta_text({"deeplift_delta": np.array([2e-7])})
    text = deeplift_delta_text({"deeplift_delta": np.array([0.25])})
    assert "0.2" in text and "above 0.001" in text and "#B2182B" in text
    assert deeplift_delta_text({}) == ""
