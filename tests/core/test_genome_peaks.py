"""Indexed genome, BED/narrowPeak windows, GC-matched background and chromosome splits, on a small
genome built from real sequences with REST peaks at known coordinates (tests/_genome.py)."""

import gzip
import logging
import os

import _genome
import numpy as np
import pytest

from deemo_gui.core import genome as G
from deemo_gui.core.background import BIN_WIDTH, gc_bin, gc_of
from deemo_gui.core.chromsplit import parse_chroms, split_by_chromosome
from deemo_gui.core.errors import ConfigError, DataError
from deemo_gui.core.peaks import peak_sequences, reverse_complement_keep_case, to_fasta
from deemo_gui.core.peakset import peak_datasets, peak_training_set
from deemo_gui.core.regions import Origin, read_regions
from deemo_gui.core.sequences import read_sequences, reverse_complement


@pytest.fixture(scope="module")
def tg(tmp_path_factory):
    return _genome.build(tmp_path_factory.mktemp("genome"))


@pytest.fixture
def fresh(tg, tmp_path):
    """A copy of the test genome without an index."""
    fasta = tmp_path / "genome.fa"
    fasta.write_bytes(tg.fasta.read_bytes())
    return fasta


def test_fetch_matches_slicing_and_pyfaidx(tg, fresh):
    pyfaidx = pytest.importorskip("pyfaidx")
    rng = np.random.default_rng(1)
    with G.Genome(fresh) as g:
        assert g.index_path == str(fresh) + ".fai" and os.path.exists(g.index_path)
        assert g.lengths == {c: len(s) for c, s in tg.chroms.items()}
        ref = pyfaidx.Fasta(str(fresh), as_raw=True, sequence_always_upper=False, rebuild=False)
        for chrom, seq in tg.chroms.items():
            for _ in range(30):
                a = int(rng.integers(0, len(seq)))
                b = int(rng.integers(a, len(seq) + 1))
                assert g.fetch(chrom, a, b) == seq[a:b]
                if b > a:
                    assert ref[chrom][a:b] == seq[a:b]
        assert g.fetch_padded("chr1", -5, 3) == ("N" * 8, 5)
        with pytest.raises(DataError, match="outside chr1"):
            g.fetch("chr1", 0, len(tg.chroms["chr1"]) + 1)
        with pytest.raises(DataError, match="no sequence 'chrZ'.*chr1 vs 1"):
            g.fetch("chrZ", 0, 1)


def test_fai_is_samtools_format_and_matches_pyfaidx(fresh, tmp_path):
    pyfaidx = pytest.importorskip("pyfaidx")
    G.Genome(fresh).close()
    ours = (fresh.parent / "genome.fa.fai").read_text()
    other = tmp_path / "other.fa"
    other.write_bytes(fresh.read_bytes())
    pyfaidx.Fasta(str(other)).close()  # pyfaidx writes samtools' .fai
    assert ours == (tmp_path / "other.fa.fai").read_text()


def test_stale_or_damaged_fai_is_rebuilt(fresh):
    G.Genome(fresh).close()
    fai = fresh.parent / "genome.fa.fai"
    fai.write_text("chr1\tnot a number\n")
    with G.Genome(fresh) as g:
        assert g.fetch("chr2", 0, 5)
    assert "not a number" not in fai.read_text()


def test_read_only_folder_falls_back_to_cache_then_memory(fresh, tmp_path, monkeypatch, caplog):
    beside = str(fresh) + ".fai"
    real_write = G.write_text

    def refuse_beside(path, text):
        if path == beside:
            raise DataError(f"{path}: cannot write (Permission denied)")
        return real_write(path, text)

    monkeypatch.setenv("DEEMO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(G, "write_text", refuse_beside)
    with G.Genome(fresh) as g:
        assert g.index_path.startswith(str(tmp_path / "cache")) and os.path.exists(g.index_path)
    with G.Genome(fresh) as g:  # found there the next time
        assert g.index_path.startswith(str(tmp_path / "cache"))
    os.remove(g.index_path)
    monkeypatch.setattr(G, "write_text", lambda path, text: (_ for _ in ()).throw(DataError("read-only")))
    with caplog.at_level(logging.WARNING), G.Genome(fresh) as g:
        assert g.index_path is None and g.fetch("chr6", 10, 20) == _genome_seq(fresh, "chr6")[10:20]
    assert "kept in memory" in caplog.text


def _genome_seq(fasta, chrom):
    return next(s for i, s in zip(read_sequences(fasta).ids, read_sequences(fasta).seqs) if i == chrom)


def test_gzip_genome_and_unequal_lines(tg, tmp_path):
    gz = tmp_path / "genome.fa.gz"
    gz.write_bytes(gzip.compress(tg.fasta.read_bytes()))
    with G.Genome(gz) as g:
        assert g.fetch("chr9", 100, 160) == tg.chroms["chr9"][100:160]
    bad = tmp_path / "bad.fa"
    bad.write_text(">chr1\nACGTACGT\nACG\nACGTACGT\n")
    with pytest.raises(DataError, match=r"bad.fa, line 4: record 'chr1' has lines of unequal length"):
        G.Genome(bad)
    dup = tmp_path / "dup.fa"
    dup.write_text(">a\nAC\n>a\nGT\n")
    with pytest.raises(DataError, match="line 3.*occurs twice"):
        G.Genome(dup)


def test_windows_are_the_inserted_peaks_on_both_strands(tg):
    data = peak_sequences(tg.bed, tg.fasta, length=101)
    assert len(data) == len(tg.peaks)
    for seq, origin, peak in zip(data.seqs, data.origins, tg.peaks):
        if peak["off_end"]:
            continue
        assert seq == peak["seq"]  # "-" windows reverse-complemented back to the REST sequence
        assert (origin.chrom, origin.start, origin.end, origin.strand) == (
            peak["chrom"],
            peak["insert"],
            peak["insert"] + 101,
            peak["strand"],
        )
        genome_slice = tg.chroms[peak["chrom"]][origin.start : origin.end]
        assert seq == (genome_slice if peak["strand"] == "+" else reverse_complement(genome_slice))
    assert {p["strand"] for p in tg.peaks} == {"+", "-"}
    i = next(k for k, p in enumerate(tg.peaks) if p["strand"] == "-")
    o = data.origins[i]
    assert data.ids[i] == f"{o.chrom}:{o.start}-{o.end}(-)"
    assert o.genome_position(0) == o.end - 1 and o.position_label(100) == f"{o.chrom}:{o.start + 1:,}"


def test_summit_centring_lengths_and_off_end_policy(tg, caplog):
    for length in (51, 200):
        data = peak_sequences(tg.bed, tg.fasta, length=length)
        for origin, peak in zip(data.origins, tg.peaks):
            assert origin.start + length // 2 == peak["summit"] and len(origin) == length
    with caplog.at_level(logging.WARNING):
        padded = peak_sequences(tg.bed, tg.fasta, length=101)
    assert "1 of 49 windows of 101 bp run off a chromosome end and were N-padded" in caplog.text
    k = next(i for i, p in enumerate(tg.peaks) if p["off_end"])
    assert padded.seqs[k].endswith("N" * 45) and padded.seqs[k][:56] == tg.chroms["chr2"][-56:]
    skipped = peak_sequences(tg.bed, tg.fasta, length=101, off_end="skip")
    assert len(skipped) == len(tg.peaks) - 1


def test_bed3_region_centre_and_soft_mask(tg, tmp_path):
    bed = tmp_path / "r.bed"
    start = 20 * 101 + 10  # chr2's soft-masked background block holds lower case at 30..80 of it
    bed.write_text(f"browser position chr2\nchr2\t{start}\t{start + 91}\n")
    data = peak_sequences(bed, tg.fasta, length=101)
    o = data.origins[0]
    assert o.start == start + 91 // 2 - 50 and o.strand == "+"
    raw = tg.chroms["chr2"][o.start : o.end]
    assert data.seqs[0] == raw.upper() and data.soft_masked[0]
    assert to_fasta(data).split("\n", 1)[1].replace("\n", "") == raw
    assert reverse_complement_keep_case("aCgT") == "AcGt"


@pytest.mark.parametrize(
    "line, message",
    [
        ("chr1\t10", "line 2: 2 column"),
        ("chr1\tten\t20", "line 2: start \\(column 2\\) must be a whole number"),
        ("chr1\t30\t20", "line 2: start 30 and end 20 do not make a region"),
        ("chr1\t10\t20\tx\t0\t*", "line 2: strand \\(column 6\\) must be \\+, - or \\."),
        ("chr1\t10\t20\tx\t0\t+\t1\t1\t1\t99", "line 2: the narrowPeak summit offset 99 is outside the 10-bp peak"),
    ],
)
def test_bad_bed_rows_are_one_line_errors(tmp_path, line, message):
    bed = tmp_path / "bad.bed"
    bed.write_text("#header\n" + line + "\n")
    with pytest.raises(DataError, match=f"bad.bed, {message}"):
        read_regions(bed)


def test_bed_on_another_assembly_names_the_line(tg, tmp_path):
    bed = tmp_path / "b.bed"
    bed.write_text("chr1\t1000\t1100\n1\t1000\t1100\n")
    with pytest.raises(DataError, match="b.bed, line 2: chromosome '1' is not in"):
        peak_sequences(bed, tg.fasta)


def test_gc_matched_background_avoids_peaks_and_matches_gc(tg):
    with G.Genome(tg.fasta) as g:
        data = peak_training_set(tg.bed, g, negatives="gc", seed=3)
    y = data.labels[:, 0]
    pos = [i for i in range(len(data)) if y[i] == 1]
    neg = [i for i in range(len(data)) if y[i] == 0]
    assert len(neg) == len(pos)
    regions = read_regions(tg.bed)
    for i in neg:
        o = data.origins[i]
        for r in regions:
            assert o.chrom != r.chrom or o.end <= r.start or o.start >= r.end, (o, r)
        for j in pos:
            p = data.origins[j]
            assert o.chrom != p.chrom or o.end <= p.start or o.start >= p.end
        assert data.seqs[i] == tg.chroms[o.chrom][o.start : o.end].upper()
        assert data.seqs[i].count("N") <= 5
    # per chromosome, the GC histograms agree within one bin (borrowing) and the means within 0.01
    for chrom in {data.origins[i].chrom for i in pos}:
        gp = sorted(gc_of(data.seqs[i]) for i in pos if data.origins[i].chrom == chrom)
        gn = sorted(gc_of(data.seqs[i]) for i in neg if data.origins[i].chrom == chrom)
        assert len(gp) == len(gn)
        assert abs(np.mean(gp) - np.mean(gn)) < 0.01
        assert all(abs(gc_bin(a) - gc_bin(b)) <= 2 for a, b in zip(gp, gn))
    exact = sum(
        gc_bin(gc_of(data.seqs[a])) == gc_bin(gc_of(data.seqs[b]))
        for a, b in zip(sorted(pos, key=lambda i: gc_of(data.seqs[i])), sorted(neg, key=lambda i: gc_of(data.seqs[i])))
    )
    assert exact >= 0.8 * len(pos) and BIN_WIDTH == 0.02
    with G.Genome(tg.fasta) as g:  # deterministic with a seed
        again = peak_training_set(tg.bed, g, negatives="gc", seed=3)
        other = peak_training_set(tg.bed, g, negatives="gc", seed=4)
    assert again.ids == data.ids and other.ids != data.ids


def test_shuffle_negatives_keep_dinucleotides(tg):
    with G.Genome(tg.fasta) as g:
        data = peak_training_set(tg.bed, g, negatives="shuffle")
    n = len(data) // 2
    assert data.labels[:n].all() and not data.labels[n:].any()
    assert data.origins[n:] == [None] * n
    for a, b in zip(data.seqs[:n], data.seqs[n:]):
        assert sorted(a[i : i + 2] for i in range(len(a) - 1)) == sorted(b[i : i + 2] for i in range(len(b) - 1))


def test_chromosome_split_default_and_configured(tg):
    with G.Genome(tg.fasta) as g:
        train, valid, test = peak_datasets(tg.bed, g)
        assert {o.chrom for o in test.origins} == {"chr8", "chr9"}
        assert {o.chrom for o in valid.origins} == {"chr6", "chr7"}
        assert {o.chrom for o in train.origins} == {"chr1", "chr2"}
        for part in (train, valid, test):
            assert 0 < part.labels.sum() < len(part)
        train, valid, test = peak_datasets(
            tg.bed, g, test_chroms=parse_chroms("chr2", ()), valid_chroms=parse_chroms("none", ()), negatives="shuffle"
        )
        assert valid is None and {o.chrom for o in test.origins if o} == {"chr2"}
        assert "chr2" not in {o.chrom for o in train.origins if o}
        with pytest.raises(DataError, match="no peak lies on the test chromosomes chrX.*chr1, chr2, chr6"):
            peak_datasets(tg.bed, g, test_chroms=("chrX",))
    with pytest.raises(ConfigError, match="both a test and a validation"):
        split_by_chromosome(["chr8", "chr1"], ("chr8",), ("8",))
    # Ensembl names ("8") match the default "chr8"
    tr, va, te = split_by_chromosome(["1", "8", "9", "6"], ("chr8", "chr9"), ("chr6",))
    assert te.tolist() == [1, 2] and va.tolist() == [3] and tr.tolist() == [0]


def test_origin_of_a_minus_window():
    o = Origin("chr8", 100, 110, "-")
    assert [o.genome_position(i) for i in (0, 9)] == [109, 100] and o.record_id == "chr8:100-110(-)"
