"""The Dashboard's JASPAR hits carry the attribution inside them (labels and hover = the core's
`hit_attribution` of each model's gradient x input), and each hit's JASPAR logo (reverse
complement on -) is drawn at the hit, on the shared axis, right above the saliency tracks."""

import os

import numpy as np
from test_analysis_panels import (  # noqa: F401
    _modules,
    _wait_aligned,
    _wait_ready,
    model_paths,
    rest_records,
    window,
)

from deemo_gui.core.motifs import JasparDB, scan
from deemo_gui.core.motifs.hit_attribution import (
    ATTRIBUTION_COLUMNS,
    attribution_text,
    hit_attribution,
)
from deemo_gui.viewer import analysis as A


def test_dashboard_hits_carry_attribution_and_logos_sit_above_saliency(qtbot, window, tmp_path):  # noqa: F811
    v = window.viewer
    cnn, rnn = _modules(v)
    panel = window.show_panel("Dashboard")
    _wait_ready(qtbot, panel, v)
    seq = v.current_sequence
    rest = JasparDB("JASPAR2024").get("MA0138")
    hits = scan(rest, [seq], p_threshold=1e-4)
    assert len(hits) >= 1

    # The attribution of every hit, per model: the core function on the Dashboard's own saliency.
    for entry in (cnn, rnn):
        sal = A.analyze_sequence(entry, seq, ("saliency",), cache=v.results)["saliency"]
        ref = hit_attribution(hits, rest, sal, seq)
        got = panel.hit_attributions[entry.name]
        np.testing.assert_allclose(
            got[ATTRIBUTION_COLUMNS].to_numpy(float), ref[ATTRIBUTION_COLUMNS].to_numpy(float), rtol=1e-6, atol=1e-9
        )
        assert (got["attribution_seen"] == rest.width).all()  # a 101-nt peak: the model saw all of it
    # ... in the hit boxes' labels and the hover read-out.
    h0 = panel.hit_attributions[cnn.name].iloc[0]
    labels = [h.label for h in panel.sequence_plot.track.hits()]
    assert all("attribution" in s and "% of the sequence's" in s for s in labels)
    info = panel.sequence_plot.info_at(float(h0["start"]), 0)
    assert f"REST p={h0['p']:.1e}" in info.extra and f"{cnn.name}: {attribution_text(h0)}" in info.extra

    # One JASPAR logo per hit at its start, the reverse complement on "-", above the saliency tracks.
    plot = panel.hit_logo_plot
    assert plot is not None and len(plot.logo_items) == len(hits)
    by_start = sorted(zip(plot.hits, plot.logo_items), key=lambda t: (t[0].start, t[0].strand))
    for (_, h), (hl, item) in zip(hits.sort_values(["start", "strand"]).iterrows(), by_start):
        on = rest.reverse_complement() if h["strand"] == "-" else rest
        assert hl.start == item.x0() == h["start"] and hl.strand == h["strand"]
        np.testing.assert_allclose(item.matrix(), A.ic_logo(on))
        r = item.mapRectToParent(item.boundingRect())
        assert (r.left(), r.right()) == (h["start"] - 0.5, h["end"] - 0.5)
    stack = panel.graphics.plots
    assert stack.index(plot) + 1 == stack.index(panel.saliency_plots[cnn.name])
    _wait_aligned(qtbot, [plot, panel.sequence_plot, *panel.saliency_plots.values()])
    info = plot.info_at(float(h0["start"]), 1.0)
    assert (
        info.index == h0["start"]
        and "attribution" in info.extra
        and set(info.values) == {"p(A)", "p(C)", "p(G)", "p(T)"}
    )

    out = os.environ.get("DEEMO_SHOT_DIR") or str(tmp_path)
    panel.export(os.path.join(out, "dashboard_hit_attribution.png"))
