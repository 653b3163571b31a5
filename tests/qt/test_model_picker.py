"""The model picker: grouped by data set or architecture, searchable, full names in tooltips, a fixed
order while ticking, details of the current row (at start: the first ticked model), and a newly
trained model the only one ticked by the app."""

from types import SimpleNamespace

import pytest
from PySide6.QtCore import Qt

from deemo_gui.core.tfnames import jaspar_name, split_model_name, tf_token


@pytest.fixture
def window(open_window, dialogs, qtbot):
    from deemo_gui.viewer import Viewer

    v = Viewer()
    v.open("resources/examples/REST_GM12878_test.fa")
    for arch in ("cnn", "rnn"):
        v.add_model(f"models/REST_GM12878_{arch}.safetensors", lazy=True)
    win = open_window(v)  # the shipped zoo joins the list, unticked
    _idle(qtbot, win)
    return win


def _idle(qtbot, win):
    """No prediction job left running when the window closes."""
    qtbot.wait(150)
    qtbot.waitUntil(lambda: not win.jobs.running and not win.live._busy, timeout=60_000)


def test_names_split_into_data_set_tf_and_architecture():
    assert split_model_name("REST_GM12878_deepbind", "deepbind") == ("REST GM12878", "REST", "deepbind")
    assert split_model_name("MYC_H1-hESC_cnn-rnn", "cnn-rnn") == ("MYC H1-hESC", "MYC", "cnn-rnn")
    assert split_model_name("cnn on REST_GM12878_AC", "cnn") == ("REST GM12878", "REST", "cnn")
    assert split_model_name("CTCF_rnn", "rnn")[:2] == ("CTCF", "CTCF")
    assert tf_token("TF_40_CHIP_100_genomic.seq.gz") is None and tf_token("peaks.fa") is None
    assert tf_token("ctcf_train.fa") == "CTCF" and jaspar_name("Oct4") == "POU5F1" and jaspar_name("oct-4") == "POU5F1"


def test_grouped_by_data_set_with_short_rows_and_full_names_in_tooltips(window):
    picker = window.model_picker
    tree = picker.tree
    labels = [tree.topLevelItem(k).text(0) for k in range(tree.topLevelItemCount())]
    assert len(labels) == 12 and labels[0].startswith("ALX4 · SELEX")  # 11 ENCODE/SELEX sets + CTCF
    rest = next(tree.topLevelItem(k) for k in range(tree.topLevelItemCount()) if labels[k].startswith("REST"))
    assert rest.text(0) == "REST · GM12878 (5)" and rest.text(1) == "✓ 2/5" and rest.isExpanded()
    rows = [rest.child(k).text(0) for k in range(rest.childCount())]
    assert rows == ["deepbind", "cnn", "rnn", "cnn-rnn", "demo"]  # the two "REST_GM12878_d…" told apart
    assert rest.child(0).toolTip(0).startswith("REST_GM12878_deepbind\n")
    collapsed = [tree.topLevelItem(k) for k in range(tree.topLevelItemCount()) if not labels[k].startswith("REST")]
    assert not any(g.isExpanded() for g in collapsed)  # only the data set in use is open
    assert picker.ticked_label.text() == "2 of 56 ticked"
    picker.set_grouping("architecture")
    archs = [tree.topLevelItem(k).text(0).split(" (")[0] for k in range(tree.topLevelItemCount())]
    assert archs == ["cnn", "cnn-rnn", "deepbind", "demo", "rnn"]
    cnn = tree.topLevelItem(0)
    assert cnn.childCount() == 12 and "REST_GM12878_cnn" in [cnn.child(k).text(0) for k in range(12)]


def test_search_by_tf_cell_and_architecture(window, qtbot):
    picker = window.model_picker
    picker.search.setText("rest deepbind")
    assert picker.visible_names() == ["REST_GM12878_deepbind"]
    picker.search.setText("HepG2 rnn")
    assert picker.visible_names() == [
        f"{tf}_HepG2_{a}" for tf in ("FOXA1", "USF1", "ZBTB7A") for a in ("rnn", "cnn-rnn")
    ]
    assert all(picker.item_of(n).parent().isExpanded() for n in picker.visible_names())
    picker.search.setText("no such tf")
    assert picker.visible_names() == []
    picker.search.clear()
    assert len(picker.visible_names()) == 56
    rest_open = [picker._groups[k].isExpanded() for k in picker._groups]
    assert rest_open.count(True) == 1  # the groups fold back as they were before the search


def test_ticking_keeps_order_scroll_and_current_row(window, qtbot):
    picker = window.model_picker
    picker._expand_all(True)
    order = picker.visible_names()
    bar = picker.tree.verticalScrollBar()
    bar.setValue(bar.maximum() // 2)
    qtbot.wait(50)
    scrolled = bar.value()
    current = picker.current_name()
    for name in ("SP1_GM12878_cnn", "ELK1_GM12878_demo", "REST_GM12878_rnn"):
        item = picker.item_of(name)
        was = item.checkState(0)
        item.setCheckState(0, Qt.CheckState.Unchecked if was == Qt.CheckState.Checked else Qt.CheckState.Checked)
        qtbot.wait(20)
        assert picker.visible_names() == order and bar.value() == scrolled and picker.current_name() == current
    assert {m.name for m in window.viewer.selected_models} == {
        "REST_GM12878_cnn",
        "SP1_GM12878_cnn",
        "ELK1_GM12878_demo",
    }
    _idle(qtbot, window)


def test_details_follow_the_current_row_and_start_on_a_ticked_model(window, qtbot):
    picker = window.model_picker
    assert picker.current_name() == "REST_GM12878_cnn"
    assert picker.details.toPlainText().startswith("REST_GM12878_cnn")
    picker.tree.setCurrentItem(picker.item_of("CTCF_deepbind"))
    assert picker.details.toPlainText().startswith("CTCF_deepbind")
    group = picker.item_of("CTCF_deepbind").parent()
    picker.tree.setCurrentItem(group)
    text = picker.details.toPlainText()
    assert text.startswith("CTCF") and "deepbind" in text and "Test AUROC" in text
    picker.untick_button.click()
    assert window.viewer.selected_models == [] and picker.ticked_label.text() == "0 of 56 ticked"
    _idle(qtbot, window)


def test_a_newly_trained_model_is_the_only_one_the_app_ticks(window, qtbot):
    from deemo_gui.core.networks import build_network

    panel = window.show_panel("Train")
    panel._data_path = "resources/data/deepbind_encode/REST_GM12878_AC.seq.gz"
    viewer = window.viewer

    def done():
        net = build_network("deepbind", n_tasks=1, input_length=101)
        net.metadata = {"preset": "deepbind", "input_length": 101, "n_tasks": 1, "task_names": ["bound"]}
        return SimpleNamespace(
            model=net,
            metadata=dict(net.metadata),
            reason="max epochs",
            best_valid_auroc=0.9,
            best_epoch=1,
            epochs_run=1,
        )

    panel._on_done(done())
    first = panel.trained_entry
    assert {m.name for m in viewer.selected_models} == {"REST_GM12878_cnn", "REST_GM12878_rnn", first.name}
    assert window.model_picker.current_name() == first.name
    panel._on_done(done())
    second = panel.trained_entry
    assert {m.name for m in viewer.selected_models} == {"REST_GM12878_cnn", "REST_GM12878_rnn", second.name}
    assert "Unticked the model trained before" in panel.status.text() and first.name in panel.status.text()
    item = window.model_picker.item_of(second.name)
    assert item.parent().text(0).startswith("REST · GM12878") and item.text(0).endswith("(unsaved)")
    _idle(qtbot, window)


def test_details_show_a_ticked_model_when_the_zoo_was_listed_first(open_window, dialogs, qtbot):
    from deemo_gui.viewer import Viewer

    win = open_window(Viewer())  # the zoo is listed, nothing ticked
    win.viewer.add_model("models/REST_GM12878_rnn.safetensors")  # then ticked, e.g. by --model
    _idle(qtbot, win)
    picker = win.model_picker
    assert picker.current_name() == "REST_GM12878_rnn" and picker.item_of("REST_GM12878_rnn").parent().isExpanded()
    assert picker.details.toPlainText().startswith("REST_GM12878_rnn")
