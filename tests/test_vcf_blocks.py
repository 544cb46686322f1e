"""read_vcf_blocks: a VCF read a block of records at a time gives exactly what
read_vcf gives, on both paths (the compiled text reader and htslib), with memory
that does not grow with the number of sites."""

from __future__ import annotations

import gzip
import subprocess
import tracemalloc
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import VCF_META, dosages_from_bcftools
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_vcf_text import vcf_texts

from vcfml import read_vcf, read_vcf_blocks
from vcfml.errors import VcfmlInputError
from vcfml.io import vcf_reader, vcf_text


def concatenated(path: Path, **options) -> vcf_reader.GenotypeMatrix:
    """The blocks put back together, checking what every block shares."""
    blocks = list(read_vcf_blocks(path, **options))
    assert blocks, "at least one block"
    first = blocks[0]
    for block in blocks:
        assert block.samples == first.samples and block.contigs == first.contigs
        assert block.source == Path(path)
    return vcf_reader.GenotypeMatrix(
        genotypes=np.concatenate([block.genotypes for block in blocks], axis=1),
        variants=pd.concat([block.variants for block in blocks]),
        samples=first.samples,
        source=first.source,
        contigs=first.contigs,
    )


def assert_same(blocks: vcf_reader.GenotypeMatrix, whole: vcf_reader.GenotypeMatrix) -> None:
    np.testing.assert_array_equal(blocks.genotypes, whole.genotypes)
    assert blocks.genotypes.dtype == np.int8
    pd.testing.assert_frame_equal(blocks.variants, whole.variants)
    assert blocks.samples == whole.samples and blocks.contigs == whole.contigs


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    generated=vcf_texts(),
    block_sites=st.integers(1, 40),
    text_block_bytes=st.sampled_from([vcf_text.BLOCK_BYTES, 37, 300, 4096]),
    data=st.data(),
)
def test_blocks_put_together_are_read_vcf(
    generated, block_sites, text_block_bytes, data, tmp_path, monkeypatch
):
    # Random VCF text (multiallelic, haploid, mixed ploidy, missing, phased),
    # random block sizes, and text read in blocks shorter than a line (lines and
    # the header then span several blocks of text).
    samples, text = generated
    path = tmp_path / "generated.vcf"
    path.write_text(text)
    whole = read_vcf(path)
    monkeypatch.setattr(vcf_text, "BLOCK_BYTES", text_block_bytes)
    blocks = list(read_vcf_blocks(path, block_sites=block_sites))
    put_together = concatenated(path, block_sites=block_sites)
    assert_same(put_together, whole)
    # Blocks hold at most block_sites columns, but a record's columns stay
    # together (a record with more ALT alleles is a block of its own), and a
    # block ends only where the next record does not fit.
    pos = put_together.variants["pos"]
    for block, following in pairwise(blocks):
        assert block.n_variants <= block_sites or block.variants["pos"].nunique() == 1
        assert pos[following.variants.index[0]] != block.variants["pos"].iloc[-1]
        next_record = following.variants["pos"] == following.variants["pos"].iloc[0]
        assert block.n_variants + next_record.sum() > block_sites
    # A subset of samples in any order.
    subset = data.draw(st.permutations(samples).flatmap(lambda s: st.just(s[: len(s) // 2 + 1])))
    assert_same(
        concatenated(path, block_sites=block_sites, samples=subset),
        read_vcf(path, samples=subset),
    )


def test_simulated_cohort_matches_bcftools(liability_dir, bcftools):
    # chrX with haploid males, 2% missing calls, 300 samples x 800 sites.
    path = liability_dir / "cohort.vcf.gz"
    blocks = list(read_vcf_blocks(path, block_sites=97))
    assert len(blocks) == -(-read_vcf(path).n_variants // 97)
    genotypes = np.concatenate([block.genotypes for block in blocks], axis=1)
    np.testing.assert_array_equal(genotypes, dosages_from_bcftools(bcftools, path))


@pytest.mark.parametrize("form", ["bgzip", "plain text", "gzip", "BCF"])
def test_every_file_form(form, liability_dir, bcftools, tmp_path):
    source = liability_dir / "cohort.vcf.gz"
    if form == "bgzip":
        path = source
    elif form == "plain text":
        path = tmp_path / "cohort.vcf"
        path.write_bytes(gzip.decompress(source.read_bytes()))
    elif form == "gzip":  # gzip but not BGZF: Python's gzip reads it
        path = tmp_path / "cohort.vcf.gz"
        path.write_bytes(gzip.compress(gzip.decompress(source.read_bytes())))
    else:  # BCF: the htslib path
        path = tmp_path / "cohort.bcf"
        subprocess.run([bcftools, "view", "-Ob", "-o", str(path), str(source)], check=True)
    samples = read_vcf(source).samples[::-3]
    assert_same(concatenated(path, block_sites=128), read_vcf(source))
    assert_same(
        concatenated(path, block_sites=50, samples=samples), read_vcf(source, samples=samples)
    )


def write_records(path: Path, records: list[str], samples=("a", "b", "c")) -> Path:
    header = ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", *samples]
    path.write_text(VCF_META + "\t".join(header) + "\n" + "".join(r + "\n" for r in records))
    return path


GOOD = [f"chr1\t{10 * n}\trs{n}\tA\tG,T\t.\tPASS\t.\tGT\t0/1\t1|2\t./." for n in range(1, 7)]
# GT not first in FORMAT: legal, read by htslib, declined by the compiled reader.
DECLINED = "chr1\t100\trs100\tC\tT\t.\tPASS\t.\tDP:GT\t3:0/1\t4:1\t5:1|1"


def test_text_declined_after_some_blocks_goes_on_with_htslib(tmp_path):
    path = write_records(tmp_path / "x.vcf", [*GOOD, DECLINED, *GOOD[:2]])
    # The compiled reader yields blocks before it meets the record it declines ...
    text = vcf_text.GenotypeText(path, np.arange(3))
    early = list(text.blocks(3, 4, vcf_reader.VARIANT_COLUMNS))
    assert len(early) == 3 and text.declined and text.records_yielded == 6
    # ... and htslib reads on from there: the same blocks as read_vcf's matrix.
    for block_sites in (1, 4, 5, 100):
        assert_same(concatenated(path, block_sites=block_sites), read_vcf(path))


def test_a_bad_record_names_file_and_record_after_the_blocks_before_it(tmp_path):
    bad = "chr1\t100\trs100\tC\tT\t.\tPASS\t.\tGT\t0/1\t1/1"  # a sample column short
    path = write_records(tmp_path / "x.vcf", [*GOOD, bad, *GOOD[:2]])
    with pytest.raises(VcfmlInputError) as whole:
        read_vcf(path)
    blocks = read_vcf_blocks(path, block_sites=4)
    assert next(blocks).n_variants == 4
    with pytest.raises(VcfmlInputError) as streamed:
        list(blocks)
    assert str(streamed.value) == str(whole.value)
    assert "x.vcf (line 15, record 7, after chr1:60): wrong number of columns" in str(whole.value)


def test_truncated_files_are_errors(tmp_path, liability_dir):
    text = gzip.decompress((liability_dir / "cohort.vcf.gz").read_bytes())
    cut = tmp_path / "cut.vcf"
    cut.write_bytes(text[: len(text) // 2])  # ends inside a record
    with pytest.raises(VcfmlInputError, match=r"cut\.vcf \(line \d+, record \d+"):
        list(read_vcf_blocks(cut, block_sites=64))
    # A gzip stream cut short (not BGZF, so no end-of-file block to check first).
    compressed = gzip.compress(text)
    cut_gzip = tmp_path / "cut.vcf.gz"
    cut_gzip.write_bytes(compressed[: len(compressed) // 2])
    for read in (read_vcf, lambda path: list(read_vcf_blocks(path, block_sites=64))):
        with pytest.raises(
            VcfmlInputError,
            match=r"cut\.vcf\.gz \(line \d+, record \d+.*\): file is truncated or corrupt",
        ):
            read(cut_gzip)
    # A BGZF file without its end-of-file block: found before the first block.
    bgzf = (liability_dir / "cohort.vcf.gz").read_bytes()
    cut_bgzf = tmp_path / "cut_bgzf.vcf.gz"
    cut_bgzf.write_bytes(bgzf[:-28])
    with pytest.raises(VcfmlInputError, match=r"cut_bgzf\.vcf\.gz: file is truncated"):
        read_vcf_blocks(cut_bgzf)


def test_bad_arguments(tmp_path):
    path = write_records(tmp_path / "x.vcf", GOOD)
    with pytest.raises(VcfmlInputError, match="block_sites must be at least 1, got 0"):
        read_vcf_blocks(path, block_sites=0)
    with pytest.raises(VcfmlInputError, match=r"block_sites must be a whole number, got 1\.5"):
        read_vcf_blocks(path, block_sites=1.5)
    with pytest.raises(VcfmlInputError, match="requested samples not in the file"):
        read_vcf_blocks(path, samples=["a", "nobody"])


def test_a_file_without_variants_gives_one_empty_block(tmp_path):
    path = write_records(tmp_path / "x.vcf", [])
    (block,) = read_vcf_blocks(path)
    assert block.genotypes.shape == (3, 0)
    assert_same(block, read_vcf(path))


def test_a_kept_block_is_not_overwritten(tmp_path):
    path = write_records(tmp_path / "x.vcf", GOOD)
    blocks = list(read_vcf_blocks(path, block_sites=2))  # all kept at once
    assert not any(
        np.shares_memory(a.genotypes, b.genotypes) for a in blocks for b in blocks[1:] if a is not b
    )
    kept = np.concatenate([block.genotypes for block in blocks], axis=1)
    np.testing.assert_array_equal(kept, read_vcf(path).genotypes)


def cohort_text(path: Path, n_sites: int, n_samples: int = 400) -> Path:
    rng = np.random.default_rng(0)
    calls = np.array(["0/0", "0/1", "1|1", "./."])[rng.integers(0, 4, size=(50, n_samples))]
    lines = ["\t".join(row) for row in calls]
    records = [
        f"chr1\t{site + 1}\trs{site}\tA\tG\t.\tPASS\t.\tGT\t{lines[site % 50]}"
        for site in range(n_sites)
    ]
    return write_records(path, records, samples=[f"s{n}" for n in range(n_samples)])


def streamed_peak(path: Path) -> tuple[int, int]:
    """Peak traced memory while the blocks are read and dropped, and the sum of
    the dosages (so that every block is really read)."""
    total = 0
    tracemalloc.start()
    try:
        for block in read_vcf_blocks(path, block_sites=100):
            total += int(block.genotypes.sum(dtype=np.int64))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, total


@pytest.mark.parametrize("suffix", ["vcf", "bcf"])
def test_memory_does_not_grow_with_sites(tmp_path, suffix, bcftools, monkeypatch):
    monkeypatch.setattr(vcf_text, "BLOCK_BYTES", 1 << 16)  # text blocks small beside the matrix
    paths = [cohort_text(tmp_path / f"{n}.vcf", n) for n in (1000, 10_000)]
    if suffix == "bcf":  # the htslib path
        for index, path in enumerate(paths):
            paths[index] = path.with_suffix(".bcf")
            subprocess.run(
                [bcftools, "view", "-Ob", "-o", str(paths[index]), str(path)], check=True
            )
    list(read_vcf_blocks(paths[0], block_sites=100))  # numba's cache, lazy imports
    (small, _), (large, large_sum) = (streamed_peak(path) for path in paths)
    assert large_sum == read_vcf(paths[1]).genotypes.sum(dtype=np.int64)
    # 10x the sites: the whole int8 matrix would be 4 MB at 10,000 sites; the
    # streamed peak (a text block, or htslib's queue of 256 records) stays
    # about what it is at 1,000.
    whole_matrix = 10_000 * 400
    assert large < small * 1.25 + 64 * 1024, (small, large)
    assert large < whole_matrix / 2, (large, whole_matrix)


def test_a_header_of_many_lines_spanning_text_blocks(tmp_path, monkeypatch):
    """100,000 contig lines (a draft assembly's header) over text blocks of 4 KiB:
    the records after it are read as with a short header."""
    path = write_records(tmp_path / "short.vcf", GOOD)
    lines = path.read_text().splitlines(keepends=True)
    contigs = [f"##contig=<ID=scaffold{index},length=1000>\n" for index in range(100_000)]
    long_header = tmp_path / "long.vcf"
    long_header.write_text("".join([lines[0], *contigs, *lines[1:]]))
    monkeypatch.setattr(vcf_text, "BLOCK_BYTES", 4096)
    expected = read_vcf(path)
    blocks = list(read_vcf_blocks(long_header, block_sites=2))
    np.testing.assert_array_equal(
        np.concatenate([block.genotypes for block in blocks], axis=1), expected.genotypes
    )
    assert pd.concat([block.variants for block in blocks])["id"].tolist() == (
        expected.variants["id"].tolist()
    )
