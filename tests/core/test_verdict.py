"""The trust verdict's checks, each against an independent computation."""

from pathlib import Path

import numpy as np
import pytest
import torch

from deemo_gui.cli.main import main
from deemo_gui.core.metrics import auroc
from deemo_gui.core.modelfile import load_model
from deemo_gui.core.networks import build_network
from deemo_gui.core.verdict import auroc_standard_error, baseline_line, first_layer_correlation, verdict


def test_auroc_standard_error_matches_a_simulation():
    """Hanley & McNeil's formula vs the spread of AUROC over 3,000 simulated binormal data sets."""
    rng = np.random.default_rng(0)
    n_pos = n_neg = 40
    y = np.r_[np.ones(n_pos), np.zeros(n_neg)]
    values = [auroc(y, np.r_[rng.normal(1.2, 1, n_pos), rng.normal(0, 1, n_neg)]) for _ in range(3000)]
    simulated, mean = float(np.std(values)), float(np.mean(values))
    assert abs(auroc_standard_error(mean, n_pos, n_neg) - simulated) / simulated < 0.1


def _meta(test_auroc=0.95, n=1000, baselines=None, stopped="early stopping", best=5, run=10):
    meta = {
        "preset": "cnn",
        "test": {"auroc": test_auroc, "n": n, "per_task": {"bound": {"positives": n // 2}}},
        "training": {"stopped": stopped, "best_epoch": best, "epochs_run": run, "n_valid": 500},
    }
    if baselines is not None:
        meta["baselines"] = baselines
    return meta


BASELINES = {"pwm": {"id": "MA0138.3", "name": "REST", "test_auroc": 0.90}, "kmer": {"test_auroc": 0.93}}


def test_a_model_that_beats_its_baselines_is_trusted():
    v = verdict(_meta(baselines=BASELINES), first_layer_r=0.3)
    assert v.level == "trusted" and v.reasons == []
    assert baseline_line(_meta(baselines=BASELINES)) == "cnn 0.950 · k-mer 0.930 · best PWM (REST) 0.900 (test AUROC)"


def test_each_check_gives_its_reason():
    v = verdict(_meta(test_auroc=0.91, baselines=BASELINES))
    assert v.level == "untrusted" and "does not beat the baselines: test AUROC 0.910 vs k-mer 0.930" in v.reasons[0]
    assert verdict(_meta(test_auroc=0.925, baselines=BASELINES)).level == "trusted"  # within the 0.01 margin
    assert "near chance" in verdict(_meta(test_auroc=0.55, baselines=BASELINES)).summary
    small = verdict(_meta(n=30, baselines=BASELINES))
    assert small.level == "caution" and "too small to tell (30 sequences" in small.summary
    capped = verdict(_meta(baselines=BASELINES, stopped="max epochs", best=10, run=10))
    assert "stopped at its cap (10 epochs) while still improving" in capped.summary
    moved = verdict(_meta(baselines=BASELINES), first_layer_r=0.95)
    assert moved.level == "caution" and "barely moved" in moved.summary
    assert "no baselines" in verdict(_meta()).summary


def test_an_ensemble_is_judged_on_every_member_and_named_in_the_baseline_line():
    meta = _meta(baselines=BASELINES)
    meta["training"]["ensemble"] = {"stopped": ["early stopping"] * 2, "best_epochs": [5, 7], "epochs_run": [11, 13]}
    assert verdict(meta).level == "trusted" and baseline_line(meta).startswith("ensemble 0.950 · k-mer")
    meta["training"]["ensemble"].update(stopped=["early stopping", "max epochs"], best_epochs=[5, 13])
    assert "stopped at its cap (13 epochs) while still improving" in verdict(meta).summary


def test_validation_figures_are_used_without_a_test_set():
    meta = {
        "training": {"valid_auroc": 0.7, "n_valid": 60, "valid_positives": 30},
        "baselines": {"kmer": {"valid_auroc": 0.8}},
    }
    v = verdict(meta)
    assert v.level == "untrusted"
    assert any("validation AUROC 0.700 vs k-mer 0.800" in r for r in v.reasons)
    assert any("validation set is too small" in r for r in v.reasons)


def test_first_layer_correlation_is_one_at_initialisation_and_drops_when_trained():
    torch.manual_seed(7)
    model = build_network("cnn-small")
    model.metadata = {"training": {"seed": 7}}
    assert first_layer_correlation(model) > 0.999
    with torch.no_grad():
        first = next(m for m in model.modules() if isinstance(m, torch.nn.Conv1d))
        first.weight.add_(torch.randn_like(first.weight) * first.weight.std() * 2)
    assert first_layer_correlation(model) < 0.6
    assert first_layer_correlation(build_network("rnn")) is None  # no convolution, no check


SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
HARD = SHARED / "dream5_chipseq" / "TF_23_CHIP_100_genomic.seq.gz"


@pytest.mark.skipif(not HARD.exists(), reason="DREAM5 data are in ../shared/data")
def test_one_epoch_on_a_hard_set_does_not_beat_the_baselines(tmp_path, capsys):
    """DREAM5 TF_23 ChIP vs genomic background (800 training sequences): a one-epoch cnn is told it loses."""
    out = tmp_path / "weak.safetensors"
    rc = main(
        [
            "train",
            str(HARD),
            "--arch",
            "cnn",
            "--epochs",
            "1",
            "--test-fraction",
            "0.2",
            "--out",
            str(out),
            "--device",
            "cpu",
            "--quiet",
        ]
    )
    assert rc == 0
    captured = capsys.readouterr()
    model = load_model(out)
    b = model.metadata["baselines"]
    assert b["kmer"]["test_auroc"] > model.metadata["test"]["auroc"] + 0.01
    v = verdict(model.metadata)
    assert v.level == "untrusted" and v.reasons[0].startswith("does not beat the baselines")
    assert "deemo: model verdict: untrusted: does not beat the baselines" in captured.err
    assert "k-mer" in captured.out and "best PWM" in captured.out  # the summary line beside the network


def test_a_well_trained_zoo_model_beats_its_baselines():
    model = load_model(Path(__file__).resolve().parents[2] / "models" / "REST_GM12878_cnn.safetensors")
    b = model.metadata["baselines"]
    assert b["pwm"]["id"].startswith("MA0138") and b["kmer"]["test_auroc"] is not None
    v = verdict(model.metadata, first_layer_correlation(model))
    assert not any("baselines" in r or "near chance" in r for r in v.reasons), v.reasons


def test_the_model_card_describes_a_folded_ensemble():
    from deemo_gui.core.zoo import model_card, read_index

    entry = next(e for e in read_index() if e["name"] == "REST_GM12878_cnn")
    info = {"folded": "2 DeepBind networks x 2 strands, mean logit, as one network", "seeds": [0, 1]}
    info.update(best_epochs=[4, 6], valid_aurocs=[0.91, 0.925], seconds=61.5)
    card = model_card(entry, {"preset": "deepbind", "hparams": {}, "training": {"ensemble": info}})
    assert (
        "- Ensemble (2 DeepBind networks x 2 strands, mean logit, as one network): seeds 0, 1; best epochs 4, 6; "
        "validation AUROC of each 0.910, 0.925; 61.5 s in all." in card
    )
