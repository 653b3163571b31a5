import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from deemo_gui.core.metrics import aupr, auroc, average_ranks, classification_report


@pytest.mark.parametrize("seed", range(5))
def test_auroc_and_aupr_match_sklearn_with_ties(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 500)
    score = np.round(rng.normal(size=500) + y, 1)  # rounding makes many ties
    assert auroc(y, score) == pytest.approx(roc_auc_score(y, score), abs=1e-12)
    assert aupr(y, score) == pytest.approx(average_precision_score(y, score), abs=1e-12)


def test_report_multitask_means_and_single_class_nan():
    y = np.array([[1, 0], [0, 0], [1, 0], [0, 0]])
    s = np.array([[0.9, 0.1], [0.2, 0.3], [0.8, 0.5], [0.1, 0.2]])
    r = classification_report(y, s, ["a", "b"])
    assert r["per_task"]["a"]["auroc"] == 1.0 and np.isnan(r["per_task"]["b"]["auroc"])
    assert r["auroc"] == 1.0 and r["n"] == 4


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_average_ranks_equal_scipy_rankdata(seed):
    from scipy.stats import rankdata

    rng = np.random.default_rng(seed)
    values = rng.integers(0, 7, size=300).astype(np.float32)  # many ties
    assert np.array_equal(average_ranks(values), rankdata(values))
    assert np.array_equal(average_ranks(np.array([])), rankdata(np.array([])))
