"""The ground truth and scores of benchmarks/attribution_accuracy.py against brute force on a small
Koo & Eddy set: masks are the planted instances, a perfect attribution scores 1, the window rule."""

import numpy as np

from benchmarks.attribution_accuracy import (
    instances,
    pick_pairs,
    truth_masks,
    window_hits,
)
from deemo_gui.core import synthetic
from deemo_gui.core.metrics import auroc


def test_masks_windows_and_a_perfect_attribution():
    data = synthetic.generate(motifs=("MA0466.2", "MA0062.2"), n=200, length=100, seed=1)
    pairs = pick_pairs(data, 5)
    assert len(pairs) == 10 and all(data.test.labels[i, t] == 1 for i, t in pairs)
    pos, bg = truth_masks(data, pairs)
    inst = instances(data, pairs)
    truth = data.truth[data.truth["split"] == "test"]
    for k, (i, t) in enumerate(pairs):
        rows = truth[truth["index"] == i]
        mine = rows[rows["tf"] == data.task_names[t]]
        assert pos[k].sum() == (mine["end"] - mine["start"]).sum() > 0
        assert (~bg[k]).sum() == (rows["end"] - rows["start"]).sum()  # instances never overlap
        assert sorted(inst[k]) == sorted(zip(mine["start"], mine["end"]))
    perfect = pos.astype(float)
    assert all(auroc(pos[k][pos[k] | bg[k]], perfect[k][pos[k] | bg[k]]) == 1.0 for k in range(len(pairs)))
    hit, chance = window_hits(perfect, inst)
    assert hit == 1.0 and 0 < chance < 1
    # brute-force chance of one pair: windows covering >= half of an instance
    ok = [any(min(s + 19, e) - max(s, st) >= min(e - st, 19) / 2 for st, e in inst[0]) for s in range(100 - 18)]
    assert window_hits(perfect[:1], inst[:1])[1] == np.mean(ok)
    assert window_hits(1.0 - perfect[:1], inst[:1])[0] <= np.mean(ok)  # pointing away from the motifs
