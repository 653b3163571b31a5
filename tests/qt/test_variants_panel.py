"""The Variants panel: load a VCF and a genome, the table sorted by |Δ|, a click shows the row's aligned
ref/alt tracks, Export TSV writes the core table."""

import os
from pathlib import Path

import _genome
import numpy as np
import pytest

from deemo_gui.core.variant_effects import effects_tsv

ROOT = Path(__file__).resolve().parents[2]
CNN = ROOT / "models" / "REST_GM12878_cnn.safetensors"


@pytest.fixture(scope="module")
def tg(tmp_path_factory):
    return _genome.build(tmp_path_factory.mktemp("genome"))


def _vcf(tg, path):
    lines = ["##fileformat=VCFv4.2", "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    for k, p in enumerate(tg.peaks[:6]):
        g, s = tg.chroms[p["chrom"]], p["summit"]
        for off in (-8, 0, 7):
            ref = g[s + off].upper()
            alt = "ACGT"[("ACGT".index(ref) + 2) % 4]
            lines.append(f"{p['chrom']}\t{s + off + 1}\trs{k}_{off}\t{ref}\t{alt}\t.\tPASS\t.")
    p = tg.peaks[0]
    g, s = tg.chroms[p["chrom"]], p["summit"]
    lines.append(f"{p['chrom']}\t{s - 3}\tdel4\t{g[s - 4 : s + 1].upper()}\t{g[s - 4].upper()}\t.\tPASS\t.")
    lines.append(f"{p['chrom']}\t{s + 3}\tsv1\t{g[s + 2].upper()}\t<DEL>\t.\tPASS\t.")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_load_vcf_sort_click_and_export(open_window, qtbot, tg, tmp_path):
    from PySide6.QtCore import Qt

    from deemo_gui.viewer import Viewer

    viewer = Viewer()
    viewer.add_model(CNN)
    win = open_window(viewer)
    panel = win.show_panel("Variants")
    worker = panel.load(str(_vcf(tg, tmp_path / "v.vcf")), str(tg.fasta))
    qtbot.waitUntil(lambda: not worker.is_running() and bool(panel.effects), timeout=60_000)
    assert panel.table.rowCount() == 19 and "skipped (symbolic: 1)" in panel.status.text()
    deltas = [abs(panel.effect_at(r).delta[0]) for r in range(panel.table.rowCount())]
    assert deltas == sorted(deltas, reverse=True) and deltas[0] > 0
    assert float(panel.table.item(0, 8).text()) == pytest.approx(deltas[0], abs=5e-4)

    row = next(r for r in range(panel.table.rowCount()) if panel.effect_at(r).variant.id == "del4")
    panel.table.scrollToItem(panel.table.item(row, 0))
    rect = panel.table.visualItemRect(panel.table.item(row, 1))
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    e = panel.shown_effect
    assert e is panel.effect_at(row) and e.variant.id == "del4"
    assert len(panel.tracks.plots) == 3 and "del4" in panel.track_title.text()
    assert np.isnan(e.alt_track[51:54]).all()  # the deleted bases: a gap in the alt track

    row = next(r for r in range(panel.table.rowCount()) if panel.effect_at(r).variant.id == "rs0_0")
    panel.table.scrollToItem(panel.table.item(row, 0))
    rect = panel.table.visualItemRect(panel.table.item(row, 1))
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert panel.shown_effect.variant.id == "rs0_0"

    out = tmp_path / "effects.tsv"
    panel.export_tsv(out)
    assert out.read_text() == effects_tsv(panel.effects)
    assert out.read_text().splitlines()[1].split("\t")[2] == "rs0_-8"  # file order, not table order
    shot = os.environ.get("DEEMO_VARIANTS_SCREENSHOT")
    if shot:
        panel.resize(1300, 820)
        panel.grab().save(shot)


def test_variants_typed_on_the_current_sequence_match_brute_force(open_window, qtbot):
    from deemo_gui.core.inference import predict_proba
    from deemo_gui.core.sequences import one_hot
    from deemo_gui.viewer import Viewer

    viewer = Viewer()
    viewer.open(ROOT / "resources" / "examples" / "REST_GM12878_test.fa")
    viewer.add_model(CNN)
    win = open_window(viewer)
    panel = win.show_panel("Variants")
    seq = viewer.current_sequence
    alt = "A" if seq[50] != "A" else "C"
    panel.typed_edit.setText(f"51 {seq[50]}>{alt}; 2{seq[1]}>x")
    assert panel.run_typed() is None and "variant 2" in panel.status.text()  # one clear line, nothing run
    panel.typed_edit.setText(f"51 {seq[50]}>{alt}; 20 {seq[19:21]}>{seq[19]}")
    worker = panel.run_typed()
    qtbot.waitUntil(lambda: not worker.is_running() and len(panel.effects) == 2, timeout=60_000)
    snv = next(e for e in panel.effects if e.variant.alt == alt)
    module = viewer.model(CNN.stem).module
    p_ref, p_alt = predict_proba(module, one_hot([seq, seq[:50] + alt + seq[51:]]))[:, 0]
    # The typed SNV's window is re-centred on it: on a 101-nt record at base 51 it is the record itself.
    assert snv.p_ref[0] == pytest.approx(float(p_ref), abs=1e-5)
    assert snv.delta[0] == pytest.approx(float(p_alt - p_ref), abs=1e-5)
    assert f"typed on {viewer.current_id}" in panel.status.text()
    panel.typed_edit.setText(f"51 {'T' if seq[50] != 'T' else 'G'}>A")
    panel.run_typed()
    qtbot.waitUntil(lambda: "skipped" in panel.status.text(), timeout=60_000)  # the REF check, counted
    assert not panel.effects
