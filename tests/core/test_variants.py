"""Variant reading and effects on the test genome (real REST peaks at known coordinates) with the shipped
REST models: Δ against the model run directly on hand-built windows, indel windows and alignment, the
REF check, and the `deemo variants` / `deemo peaks` / `deemo train --genome` commands."""

import gzip
import logging
from pathlib import Path

import _genome
import numpy as np
import pytest

from deemo_gui.cli.main import main
from deemo_gui.core.errors import DataError
from deemo_gui.core.explain.saliency import saliency
from deemo_gui.core.genome import Genome
from deemo_gui.core.inference import predict_logits, predict_proba
from deemo_gui.core.modelfile import load_model
from deemo_gui.core.sequences import one_hot, read_sequences
from deemo_gui.core.variant_effects import SequenceReference, align, variant_effects
from deemo_gui.core.variants import Variant, read_variants

MODELS = Path(__file__).resolve().parents[2] / "models"
CNN = MODELS / "REST_GM12878_cnn.safetensors"
DEEPBIND = MODELS / "REST_GM12878_deepbind.safetensors"


@pytest.fixture(scope="module")
def tg(tmp_path_factory):
    return _genome.build(tmp_path_factory.mktemp("genome"))


@pytest.fixture(scope="module")
def models():
    return [("cnn", load_model(CNN)), ("deepbind", load_model(DEEPBIND))]


def _vcf_lines(tg):
    """SNVs at REST peak summits, a deletion and an insertion, a multi-allelic site with a symbolic allele, a
    breakend; positions 1-based as VCF writes them."""
    out = []
    for k, p in enumerate(tg.peaks[:4]):
        g = tg.chroms[p["chrom"]]
        s = p["summit"]
        alt = "ACGT"[("ACGT".index(g[s]) + 1) % 4]
        out.append((p["chrom"], s + 1, f"snv{k}", g[s], alt))
    p = tg.peaks[0]
    g, s = tg.chroms[p["chrom"]], p["summit"]
    out.append((p["chrom"], s - 2, "del3", g[s - 3 : s + 1], g[s - 3]))
    out.append((p["chrom"], s + 6, "ins3", g[s + 5], g[s + 5] + "TTT"))
    other = [b for b in "ACGT" if b != g[s + 10]]
    out.append((p["chrom"], s + 11, "multi", g[s + 10], f"{other[0]},{other[1]},<DEL>"))
    out.append((p["chrom"], s + 20, "bnd", g[s + 19], g[s + 19] + "]chr2:100]"))
    return out


def write_vcf(tg, path, lines=None, gz=False):
    text = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n" + "".join(
        f"{c}\t{p}\t{i}\t{r}\t{a}\t.\tPASS\t.\n" for c, p, i, r, a in (lines or _vcf_lines(tg))
    )
    path.write_bytes(gzip.compress(text.encode()) if gz else text.encode())
    return path


def test_vcf_split_and_skips(tg, tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        variants = read_variants(write_vcf(tg, tmp_path / "v.vcf.gz", gz=True))
    assert [v.id for v in variants] == ["snv0", "snv1", "snv2", "snv3", "del3", "ins3", "multi", "multi"]
    assert "2 ALT allele(s) skipped (1 breakend, 1 symbolic)" in caplog.text
    tsv = tmp_path / "v.tsv"
    tsv.write_text("Chrom\tPos\tRef\tAlt\nchr1\t10\tA\tG\n")
    assert read_variants(tsv) == [Variant("chr1", 10, ".", "A", "G", 2)]


@pytest.mark.parametrize(
    "line, message",
    [
        ("chr1\tx\t.\tA\tG", "line 3: POS must be a whole number"),
        ("chr1\t5\t.\tA\tQ", "line 3: ALT allele 'Q' is not a DNA sequence"),
        ("chr1\t5\t.\tA", "line 3: 4 columns, the header has 5 or more"),
    ],
)
def test_bad_vcf_lines(tmp_path, line, message):
    vcf = tmp_path / "bad.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\n" + line + "\n")
    with pytest.raises(DataError, match=f"bad.vcf, {message}"):
        read_variants(vcf)


def test_delta_equals_the_model_on_hand_built_windows(tg, tmp_path, models):
    variants = read_variants(write_vcf(tg, tmp_path / "v.vcf"))
    with Genome(tg.fasta) as g:
        effects, skipped = variant_effects(models, variants, g)
    assert not skipped and len(effects) == 2 * len(variants)
    for e in effects:
        v = e.variant
        chrom = tg.chroms[v.chrom].upper()
        p = v.pos - 1
        ref = chrom[p - 50 : p + 51]
        alt = chrom[p - 50 : p] + v.alt + chrom[p + len(v.ref) : p + len(v.ref) + 51 - len(v.alt)]
        assert len(alt) == 101 and e.windows.ref == ref and e.windows.alt == alt
        module = dict(models)[e.model]
        brute = predict_proba(module, one_hot([ref, alt]))
        np.testing.assert_allclose([e.p_ref[0], e.p_alt[0]], brute[:, 0], atol=1e-6)
        assert e.rows()[0]["delta"] == pytest.approx(float(brute[1, 0] - brute[0, 0]), abs=1e-6)
        logits = predict_logits(module, one_hot([ref, alt]))[:, 0]
        assert e.rows()[0]["delta_logit"] == pytest.approx(float(logits[1] - logits[0]), abs=1e-4)
        if v.is_snv:  # tracks: the saliency of each window, unchanged
            attr = saliency(module, one_hot([ref, alt])).sum(axis=1)
            np.testing.assert_allclose(e.ref_track, attr[0], atol=1e-5)
            np.testing.assert_allclose(e.alt_track, attr[1], atol=1e-5)
    # REST peaks: the summit windows are bound, and a 3-bp deletion in the RE1 site matters
    cnn = [e for e in effects if e.model == "cnn"]
    assert all(e.p_ref[0] > 0.5 for e in cnn[:4])


def test_indel_alignment_lines_up_shared_bases(tg, tmp_path, models):
    variants = [v for v in read_variants(write_vcf(tg, tmp_path / "v.vcf")) if v.id in ("del3", "ins3")]
    with Genome(tg.fasta) as g:
        effects, _ = variant_effects(models[:1], variants, g)
    for e in effects:
        v = e.variant
        ra, aa = e.aligned_sequences
        w = max(len(v.ref), len(v.alt))
        assert len(ra) == len(aa) == 101
        c = 50
        assert ra[:c] == aa[:c] and ra[c + w :] == aa[c + w :]  # the same genome bases outside the allele block
        chrom = tg.chroms[v.chrom].upper()
        assert ra[c + w :] == chrom[v.pos - 1 + len(v.ref) : v.pos - 1 + len(v.ref) + 101 - c - w]
        assert ra[c : c + w].rstrip("-") == v.ref and aa[c : c + w].rstrip("-") == v.alt
        gaps = [i for i in range(101) if "-" in (ra[i], aa[i])]
        assert np.isnan(e.delta_track[gaps]).all() and not np.isnan(np.delete(e.delta_track, gaps)).any()
    r, a = align(np.arange(10.0), np.arange(10.0) + 100, 5, 1, 3)  # an insertion of 2 bases
    assert np.isnan(r[6:8]).all() and r[8] == 6 and a[8] == 108 and a[5:8].tolist() == [105, 106, 107]


def test_ref_mismatch_is_an_error_or_skipped(tg, tmp_path, models, caplog):
    p = tg.peaks[1]
    s = p["summit"]
    wrong = "ACGT"[("ACGT".index(tg.chroms[p["chrom"]][s].upper()) + 1) % 4]
    vcf = write_vcf(tg, tmp_path / "m.vcf", [(p["chrom"], s + 1, "rsBad", wrong, "N")] + _vcf_lines(tg)[:2])
    variants = read_variants(vcf)
    with Genome(tg.fasta) as g:
        with pytest.raises(
            DataError,
            match=rf"m.vcf, line 3: variant rsBad {p['chrom']}:[0-9,]+ {wrong}>N: REF {wrong} "
            r"but .*genome.fa has [ACGT] there.*--skip-mismatches",
        ):
            variant_effects(models[:1], variants, g, source=str(vcf))
        with caplog.at_level(logging.WARNING):
            effects, skipped = variant_effects(models[:1], variants, g, skip_mismatches=True, source=str(vcf))
    assert skipped["mismatch"] == 1 and len(effects) == 2 and "1 of 3 variants skipped" in caplog.text


def test_variants_on_a_typed_sequence(models):
    seq = read_sequences(Path(__file__).resolve().parents[2] / "resources" / "examples" / "REST_GM12878_test.fa")
    s = seq.seqs[0]
    ref = SequenceReference({seq.ids[0]: s})
    v = Variant(seq.ids[0], 51, ".", s[50], "ACGT"[("ACGT".index(s[50]) + 2) % 4])
    (e,), _ = variant_effects(models[:1], [v], ref)
    alt = s[:50] + v.alt + s[51:]
    brute = predict_proba(models[0][1], one_hot([s, alt]))[:, 0]
    np.testing.assert_allclose([e.p_ref[0], e.p_alt[0]], brute, atol=1e-6)


def test_cli_variants_tsv_npz_and_errors(tg, tmp_path, capsys):
    vcf = write_vcf(tg, tmp_path / "v.vcf")
    out, npz = tmp_path / "effects.tsv", tmp_path / "attr.npz"
    assert (
        main(
            [
                "variants",
                str(CNN),
                str(DEEPBIND),
                "--vcf",
                str(vcf),
                "--genome",
                str(tg.fasta),
                "--out",
                str(out),
                "--attributions",
                str(npz),
            ]
        )
        == 0
    )
    rows = [line.split("\t") for line in out.read_text().splitlines()]
    assert rows[0] == ["chrom", "pos", "id", "ref", "alt", "model", "task", "p_ref", "p_alt", "delta", "delta_logit"]
    assert [r[2] for r in rows[1::2]] == ["snv0", "snv1", "snv2", "snv3", "del3", "ins3", "multi", "multi"]
    assert {r[5] for r in rows[1:]} == {"REST_GM12878_cnn", "REST_GM12878_deepbind"}
    for r in rows[1:]:
        assert float(r[9]) == pytest.approx(float(r[8]) - float(r[7]), abs=2e-6)
    z = np.load(npz)
    assert z["ref"].shape == (16, 101) and z["ref_sequence"][0][50] == rows[1][3]
    capsys.readouterr()
    bad = tmp_path / "bad.vcf"
    bad.write_text("#CHROM\tPOS\tID\tREF\tALT\nchrZ\t5\t.\tA\tG\n")
    assert main(["variants", str(CNN), "--vcf", str(bad), "--genome", str(tg.fasta), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("deemo: error: ") and "bad.vcf, line 2" in err and "chrZ" in err and err.count("\n") == 1


def test_cli_peaks_and_train_from_peaks(tg, tmp_path, capsys):
    fa = tmp_path / "w.fa"
    assert main(["peaks", str(tg.bed), "--genome", str(tg.fasta), "--out", str(fa), "--negatives", "gc"]) == 0
    data = read_sequences(fa)
    assert len(data) == 2 * len(tg.peaks) and data.labels.sum() == len(tg.peaks)
    assert data.seqs[0] == tg.peaks[0]["seq"]
    model = tmp_path / "m.safetensors"
    assert (
        main(
            [
                "train",
                str(tg.bed),
                "--genome",
                str(tg.fasta),
                "--arch",
                "cnn",
                "--epochs",
                "1",
                "--quiet",
                "--test-chroms",
                "chr8,chr9",
                "--valid-chroms",
                "chr6,chr7",
                "--out",
                str(model),
            ]
        )
        == 0
    )
    meta = load_model(model).metadata
    assert "test chromosomes chr8, chr9" in meta["test"]["data"] and meta["test"]["n"] == 32
    assert "validation chromosomes chr6, chr7" in meta["training"]["validation"]
    capsys.readouterr()
    assert (
        main(
            [
                "train",
                str(tg.bed),
                "--genome",
                str(tg.fasta),
                "--arch",
                "cnn",
                "--test-chroms",
                "chr21",
                "--out",
                str(model),
            ]
        )
        == 2
    )
    assert "no peak lies on the test chromosomes chr21" in capsys.readouterr().err
    bad = tmp_path / "bad.bed"
    bad.write_text("chr1\t100\n")
    assert main(["peaks", str(bad), "--genome", str(tg.fasta), "--out", str(fa)]) == 2
    assert "bad.bed, line 1" in capsys.readouterr().err
