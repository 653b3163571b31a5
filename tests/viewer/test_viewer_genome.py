"""Viewer API: open peaks with a genome (origins kept), and variant effects as rows."""

from pathlib import Path

import _genome
import numpy as np
import pytest

from deemo_gui.core.inference import predict_proba
from deemo_gui.core.sequences import one_hot
from deemo_gui.viewer import Viewer

CNN = Path(__file__).resolve().parents[2] / "models" / "REST_GM12878_cnn.safetensors"


@pytest.fixture(scope="module")
def tg(tmp_path_factory):
    return _genome.build(tmp_path_factory.mktemp("genome"))


def test_open_peaks_and_variant_rows(tg, tmp_path):
    viewer = Viewer()
    entry = viewer.add_model(CNN)
    f = viewer.open(tg.bed, genome=tg.fasta)
    assert viewer.n_sequences == len(tg.peaks) and f.data.origins[0].chrom == tg.peaks[0]["chrom"]
    assert viewer.current_sequence == tg.peaks[0]["seq"] and viewer.current_id.endswith("(+)")
    seq = viewer.current_sequence
    alt = "ACGT"[("ACGT".index(seq[50]) + 1) % 4]
    (row,) = viewer.variant_effects([(51, seq[50], alt)])
    brute = predict_proba(entry.module, one_hot([seq, seq[:50] + alt + seq[51:]]))[:, 0]
    np.testing.assert_allclose([row["p_ref"], row["p_alt"]], brute, atol=1e-6)
    p = tg.peaks[0]
    g = tg.chroms[p["chrom"]]
    vcf = tmp_path / "v.tsv"
    vcf.write_text(f"chrom\tpos\tref\talt\n{p['chrom']}\t{p['summit'] + 1}\t{g[p['summit']]}\t{alt}\n")
    rows = viewer.variant_effects(vcf, genome=tg.fasta)
    assert [r["model"] for r in rows] == [entry.name] and rows[0]["delta"] == pytest.approx(
        rows[0]["p_alt"] - rows[0]["p_ref"]
    )
    labelled = viewer.open_peaks(tg.bed, tg.fasta, length=51, negatives="gc")
    assert {len(s) for s in labelled.data.seqs} == {51} and labelled.data.labels.sum() == len(tg.peaks)


def test_typed_variants_parse_or_say_which_is_wrong():
    from deemo_gui.core.errors import DataError
    from deemo_gui.viewer.genome import parse_typed_variants

    assert parse_typed_variants("51 a>g; 1,060: CT>C\n7 A>AT") == [(51, "A", "G"), (1060, "CT", "C"), (7, "A", "AT")]
    for text, why in (
        ("51 A-G", "variant 1"),
        ("51 A>Z", "'Z' is not a base"),
        ("0 A>G", "start at 1"),
        ("5 A>A", "same as REF"),
        ("  ", "no variant typed"),
    ):
        with pytest.raises(DataError, match=why):
            parse_typed_variants(text)
