"""The presets against the papers' own numbers, read from the text extractions in ../shared/papers."""

from pathlib import Path

import pytest
import torch.nn as nn

from deemo_gui.core.networks import build_network, training_defaults

PAPERS = Path(__file__).resolve().parents[3] / "shared" / "papers"
DEMO = PAPERS / "000_c3904b8650bae451.txt"
KOO = PAPERS / "003_0bff12888c2bf115.txt"
pytestmark = pytest.mark.skipif(not DEMO.exists(), reason="the papers are in ../shared/papers (not in this checkout)")


def demo_table_1() -> dict[str, dict]:
    """DeMo Dashboard Table 1 as printed: {'cnn-small': {'conv_layers': 2, 'filters': 64, ...}, ...}."""
    text = DEMO.read_text(encoding="utf-8")
    start = text.index("Table 1: Variations of DNN Model Hyperparameters")
    rows = {}
    for line in text[start : text.index("Table 2", start)].splitlines():
        cells = [c.strip() for c in line.split("\t")]
        if len(cells) != 7 or cells[0].split()[0] not in ("Small", "Medium", "Large"):
            continue
        size, family = cells[0].split()[0].lower(), cells[0].split()[1].lower()
        name = {"medium": family, "small": f"{family}-small", "large": f"{family}-large"}[size]
        num = lambda c: None if c == "N/A" else [int(v) for v in c.split(",")]  # noqa: E731
        rows[name] = dict(
            conv_layers=num(cells[1]),
            filters=num(cells[2]),
            kernels=num(cells[3]),
            pool=num(cells[4]),
            lstm_layers=num(cells[5]),
            lstm_size=num(cells[6]),
        )
    assert len(rows) == 9, rows
    return rows


@pytest.mark.parametrize(
    "preset",
    ["cnn-small", "cnn", "cnn-large", "rnn-small", "rnn", "rnn-large", "cnn-rnn-small", "cnn-rnn", "cnn-rnn-large"],
)
def test_demo_presets_are_table_1(preset):
    row = demo_table_1()[preset]
    model = build_network(preset)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv1d)]
    pools = [m for m in model.modules() if isinstance(m, nn.MaxPool1d)]
    if row["conv_layers"] is None:
        assert not convs
    else:
        assert len(convs) == row["conv_layers"][0]
        assert {c.out_channels for c in convs} == set(row["filters"])
        assert [c.kernel_size[0] for c in convs] == row["kernels"]
        assert {p.kernel_size for p in pools} == (set(row["pool"]) if row["pool"] else set())
    if row["lstm_layers"] is not None:
        lstm = model.rnn_head.lstm
        assert (lstm.num_layers, lstm.hidden_size, lstm.bidirectional) == (
            row["lstm_layers"][0],
            row["lstm_size"][0],
            True,
        )


def test_koo_training_follows_their_methods():
    text = KOO.read_text(encoding="utf-8")
    assert "mini-batch size of 100 sequences) for 100 epochs" in text and "learning rate of 0.0003" in text
    assert "strength equal to  $1e-6$" in text
    d = training_defaults("koo-cnn-25")
    assert (d["batch_size"], d["max_epochs"], d["lr"], d["weight_decay"]) == (100, 100, 3e-4, 1e-6)


def test_deep_motif_dropout_is_in_the_conv_layers():
    text = (PAPERS / "001_4a97489025f68bc6.txt").read_text(encoding="utf-8")
    assert "for regularization in the\nconvolutional layers" in text
    model = build_network("demo")
    drops = [i for i, m in enumerate(model.features) if isinstance(m, nn.Dropout)]
    convs = [i for i, m in enumerate(model.features) if isinstance(m, nn.Conv1d)]
    assert len(drops) == len(convs) == 3 and all(d > c for d, c in zip(drops, convs))
    assert model.dropout.p == 0.0
