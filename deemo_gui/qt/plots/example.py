"""A composite dashboard example on real data, for screenshots, docs and the plot tests.

The JASPAR CTCF matrix (MA0139, from pyjaspar's offline release) drawn as an information logo
aligned over its best hit in a real CTCF ChIP-seq peak (resources/data/ctcf_gifford), the
sequence with its two best hits (one per strand), and saliency / temporal / ISM tracks.

The three score tracks here are computed from the PWM, *not* from a trained network (the plots
must be testable without one): saliency = the log-odds of each base inside the hits; temporal =
a logistic of the best hit score seen so far reading forward / backward; ISM = the change of the
best window score under each single substitution. They look like what a CTCF model produces,
which is all a rendering example needs.

`python -m deemo_gui.qt.plots.example [out.png]` writes the screenshot (default
/tmp/deemo_plots.png).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from deemo_gui.data_paths import resource

CTCF_FASTA = resource("data", "ctcf_gifford", "ctcf_test.fa")


def _first_record(path: Path) -> tuple[str, str]:
    name, seq = None, []
    with open(path) as fh:
        for line in fh:
            line = line.strip()
            if line.startswith(">"):
                if name is not None:
                    break
                name = line[1:]
            elif line:
                seq.append(line)
    return name or "", "".join(seq).upper()


def example_data(sequence: str | None = None):
    """Everything the example draws, as plain arrays: a dict with `pwm`, `sequence`, `name`,
    `hits` [(start, end, strand, label)], `saliency` (L,), `forward`, `backward` (L,), `ism` (4, L)."""
    from deemo_gui.core.motifs.jaspar import JasparDB
    from deemo_gui.core.motifs.scan import position_scores

    pwm = JasparDB().get("MA0139")
    if sequence is None:
        name, sequence = _first_record(CTCF_FASTA)
    else:
        name = "sequence"
    L, W = len(sequence), pwm.width
    scores = position_scores(pwm, [sequence])[0]  # (2, L - W + 1)
    hits = []
    for s, strand in enumerate("+-"):
        i = int(np.argmax(scores[s]))
        hits.append((i, i + W, strand, f"{pwm.name} {pwm.id}", float(scores[s, i])))
    hits.sort(key=lambda h: -h[4])
    LO = pwm.log_odds()
    codes = np.array(["ACGT".find(b) for b in sequence])
    sal = np.zeros(L)
    for start, end, strand, _, score in hits:
        M = LO if strand == "+" else LO[::-1, ::-1]
        contrib = M[codes[start:end], np.arange(W)]
        sal[start:end] = np.maximum(sal[start:end], np.clip(contrib, 0, None) * max(score, 0) / 20)
    sal += 0.02 * np.random.default_rng(0).random(L)
    sal /= sal.max()
    best = scores.max(axis=0)  # best strand per window start
    ends = np.arange(best.size) + W - 1
    fwd = np.array([best[ends <= t].max() if np.any(ends <= t) else -20.0 for t in range(L)])
    bwd = np.array([best[np.arange(best.size) >= t].max() if t < best.size else -20.0 for t in range(L)])

    def logistic(v):
        return 1 / (1 + np.exp(-(v - 8.0) / 2.0))

    ism = np.zeros((4, L))
    start, end, strand, _, score = hits[0]
    M = LO if strand == "+" else LO[::-1, ::-1]
    for j in range(W):
        ref = codes[start + j]
        ism[:, start + j] = (M[:, j] - M[ref, j]) / 10.0
    return {
        "pwm": pwm,
        "name": name,
        "sequence": sequence,
        "hits": [h[:4] for h in hits],
        "saliency": sal,
        "forward": logistic(fwd),
        "backward": logistic(bwd),
        "ism": ism,
    }


def build_example(data: dict | None = None):
    """The composite stack (a `TrackStack`): aligned JASPAR logo, sequence with hits, saliency,
    temporal scores and the ISM heatmap, X-linked. Needs a QApplication."""
    from deemo_gui.qt.plots.heatmap import HeatmapPlot
    from deemo_gui.qt.plots.logo_item import LogoPlot
    from deemo_gui.qt.plots.score_track import saliency_plot, temporal_plot
    from deemo_gui.qt.plots.sequence_track import SequencePlot
    from deemo_gui.qt.plots.stack import TrackStack

    d = example_data() if data is None else data
    pwm, seq = d["pwm"], d["sequence"]
    start, end, strand, label = d["hits"][0]
    shown = pwm if strand == "+" else pwm.reverse_complement()
    info = shown.probs * shown.information_content()[None, :]

    stack = TrackStack()
    logo = LogoPlot(
        info,
        ylabel="bits",
        x0=start,
        title=f"{pwm.name} ({pwm.id}, {pwm.source}) at its best hit, {strand} strand — {d['name']}",
    )
    stack.add(logo, height=1.3)
    seq_plot = SequencePlot(seq, d["hits"], ylabel="sequence")
    stack.add(seq_plot, height=1.2)
    stack.add(saliency_plot(d["saliency"], seq, ylabel="saliency"), height=1.0)
    stack.add(temporal_plot(d["forward"], d["backward"], seq, ylabel="temporal"), height=1.0)
    heat = HeatmapPlot(d["ism"], seq, ylabel="ISM")
    stack.add(heat, height=1.0, side=heat.colorbar)
    stack.setXRange(-0.5, len(seq) - 0.5, padding=0.005)
    stack.data = d
    return stack


def main(argv=None) -> int:
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from deemo_gui.qt.plots.stack import save_screenshot

    argv = sys.argv[1:] if argv is None else argv
    out = argv[0] if argv else "/tmp/deemo_plots.png"
    app = QApplication.instance() or QApplication([])
    stack = build_example()
    save_screenshot(stack, out, size=(1400, 700))
    print(out)
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
