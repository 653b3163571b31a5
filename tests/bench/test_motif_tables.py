"""benchmarks/motif_tables.py: the own-matrix rule, the tables from the results file, the model-card line."""

import numpy as np
import pytest

from benchmarks.motif_tables import (
    RESULTS,
    classopt_match,
    load_results,
    own_ids,
    table_classopt,
    table_extraction,
    table_issue3,
)
from deemo_gui.core.motifs import PWM
from deemo_gui.core.zoo import model_card, read_index


def _pwm(id_, name):
    return PWM.from_probs(np.full((4, 6), 0.25), id=id_, name=name)


def test_own_matrices_are_the_tf_by_name_or_as_a_dimer_partner_not_paralogues():
    targets = [
        _pwm("MA0139.2", "CTCF"),
        _pwm("MA1102.3", "CTCFL"),
        _pwm("MA1931.1", "ELK1::HOXA1"),
        _pwm("MA0028.3", "ELK1"),
        _pwm("MA0151.1", "Arid3a"),
    ]
    assert own_ids("CTCF", targets) == {"MA0139.2"}
    assert own_ids("CTCFL", targets) == {"MA1102.3"}
    assert own_ids("ELK1", targets) == {"MA0028.3", "MA1931.1"}
    assert own_ids("ARID3A", targets) == {"MA0151.1"}


@pytest.mark.skipif(not RESULTS.exists(), reason="no motif_tables.json")
def test_tables_and_model_cards_from_the_results_file():
    results = load_results()
    assert "| cnn | " in table_extraction(results) and " / 11" in table_extraction(results)
    assert "| deepbind | " in table_classopt(results)
    assert "REST_GM12878_cnn" in table_issue3(results) and "CTCF_cnn" in table_issue3(results)
    entry = next(e for e in read_index() if e["name"] == "REST_GM12878_cnn")
    match = classopt_match(results["models"]["REST_GM12878_cnn"])
    assert entry["classopt_match"] == match  # the zoo index holds what the benchmark found
    card = model_card(entry, {"preset": "cnn", "hparams": {}, "training": {}})
    assert (
        f"{match['target_id']} {match['target_name']} (E = {match['E']:.2g}, q = {match['q']:.2g}, JASPAR2024)" in card
    )


def test_per_sequence_rate_counts_windows_on_the_tfs_site_and_not_random_ones():
    from benchmarks.motif_tables import per_sequence_rate, random_starts
    from deemo_gui.core.motifs import JasparDB
    from deemo_gui.core.sequences import one_hot

    targets = JasparDB("JASPAR2024").all(collection="CORE", tax_group="vertebrates")
    ctcf = [t for t in targets if t.id.startswith("MA0139")][0]
    core = ctcf.consensus()[5:14]  # 9 columns of the CTCF core
    rng = np.random.default_rng(0)
    seqs, starts = [], rng.integers(0, 40, 20)
    for s in starts:
        bg = "".join(rng.choice(list("ACGT"), 60))
        seqs.append(bg[:s] + core + bg[s + 9 :])
    X = one_hot(seqs)
    own = own_ids("CTCF", targets)
    assert per_sequence_rate(X, starts, targets, own) == 1.0
    assert per_sequence_rate(X, random_starts(X), targets, own) < 0.5


def test_recipe_verdict_names_the_recipe_ahead_on_more_of_the_three_figures():
    from benchmarks.motif_tables import _recipe_verdict

    scores = {
        "cnn": {"classopt": (7, 0.75, 0.94), "classopt_simplex": (6, 0.73, 0.78)},  # DeMo code 3 of 3
        "rnn": {"classopt": (1, 0.50, 0.37), "classopt_simplex": (1, 0.54, 0.78)},  # tie, then simplex 2
        "demo": {"classopt": (3, 0.60, 0.50), "classopt_simplex": (2, 0.60, 0.50)},  # DeMo code 1, ties
        "deepbind": {"classopt": (3, 0.70, 0.40), "classopt_simplex": (2, 0.71, 0.40)},  # 1 each: neither
    }
    text = _recipe_verdict(scores)
    assert "the DeMo code's for cnn and demo, the simplex for rnn." in text
    assert "stays the default" in text and "deepbind" not in text
    flipped = _recipe_verdict(
        {k: {"classopt": v["classopt_simplex"], "classopt_simplex": v["classopt"]} for k, v in scores.items()}
    )
    assert "the DeMo code's for rnn, the simplex for cnn and demo." in flipped and "ahead for more presets" in flipped
