"""The writer's tabix index (htslib's indexer fed with the offsets the writer
knows, vcfml.io.tabix) is the file ``tabix`` writes by reading the VCF back, byte
for byte, wherever the lines fall on the BGZF blocks."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pysam
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vcfml.io import tabix, vcf_writer
from vcfml.io.bgzf import BLOCK_INPUT
from vcfml.io.vcf_writer import write_vcf

CONTIGS = {"chr1": 10_000_000, "chr2": 10_000_000, "chrX": 10_000_000}


def random_cohort(seed: int, n_samples: int, n_variants: int):
    """Dosages, depths and a sorted variant table over the contigs, with REF
    alleles of several lengths (tabix's end is POS - 1 + len(REF))."""
    rng = np.random.default_rng(seed)
    chroms = np.sort(rng.choice(["chr1", "chr2"], n_variants))
    positions = np.zeros(n_variants, dtype=np.int64)
    for chrom in ("chr1", "chr2"):
        on = chroms == chrom
        # Spread over several 16 kb tabix windows and bins; repeated positions too.
        positions[on] = np.sort(rng.integers(1, 3_000_000, on.sum()))
    variants = pd.DataFrame(
        {
            "chrom": chroms,
            "pos": positions,
            "id": [f"v{i}" for i in range(n_variants)],
            "ref": ["A" * int(length) for length in rng.integers(1, 40, n_variants)],
            "alt": "T",
        }
    )
    genotypes = rng.integers(-1, 3, (n_samples, n_variants)).astype(np.int8)
    depth = rng.integers(0, 120, (n_samples, n_variants))
    return genotypes, depth, variants


def tabix_reads_back(path: Path) -> bytes:
    """The index pysam's tabix builds by reading ``path`` (copied aside)."""
    copy = path.with_name("copy_" + path.name)
    copy.write_bytes(path.read_bytes())
    pysam.tabix_index(str(copy), preset="vcf", force=True)
    return Path(f"{copy}.tbi").read_bytes()


def write(path: Path, genotypes, depth, variants, meta=()) -> Path:
    samples = [f"s{i}" for i in range(genotypes.shape[0])]
    return write_vcf(path, genotypes, variants, samples, contigs=CONTIGS, depth=depth, meta=meta)


@settings(max_examples=12, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_samples=st.integers(1, 300),
    n_variants=st.integers(0, 400),
    with_depth=st.booleans(),
)
def test_the_writers_index_is_the_one_tabix_writes(
    tmp_path_factory, seed, n_samples, n_variants, with_depth
):
    genotypes, depth, variants = random_cohort(seed, n_samples, n_variants)
    path = write(
        tmp_path_factory.mktemp("tbi") / "x.vcf.gz",
        genotypes,
        depth if with_depth else None,
        variants,
    )
    assert Path(f"{path}.tbi").read_bytes() == tabix_reads_back(path)


@pytest.mark.parametrize("where", ["a line", "the text"])
def test_a_line_or_the_text_ending_on_a_block_boundary_is_indexed_as_tabix_does(tmp_path, where):
    """htslib reads the end of a block as the start of the next one, and the end of
    the text as the start of the EOF block: a header padded so that the first line
    (or the whole text) ends exactly at 65,280 bytes checks both."""
    genotypes, depth, variants = random_cohort(3, 50, 30)
    unpadded = write(tmp_path / "unpadded.vcf.gz", genotypes, depth, variants, meta=["pad=x"])
    text = gzip.decompress(unpadded.read_bytes())
    end = text.index(b"\n", text.index(b"\nchr") + 1) + 1 if where == "a line" else len(text)
    padding = -end % BLOCK_INPUT
    path = write(tmp_path / "x.vcf.gz", genotypes, depth, variants, meta=["pad=x" + "x" * padding])
    padded = gzip.decompress(path.read_bytes())
    end += padding
    assert end % BLOCK_INPUT == 0 and padded[end - 1 : end] == b"\n"
    assert Path(f"{path}.tbi").read_bytes() == tabix_reads_back(path)
    records = pysam.TabixFile(str(path)).fetch("chr1")
    assert sum(1 for _ in records) == int((variants["chrom"] == "chr1").sum())


def test_without_htslibs_index_functions_the_writer_indexes_with_tabix(tmp_path, monkeypatch):
    genotypes, depth, variants = random_cohort(5, 20, 50)
    expected = write(tmp_path / "a.vcf.gz", genotypes, depth, variants)
    monkeypatch.setattr(tabix, "_htslib", lambda: None)
    fallback = write(tmp_path / "b.vcf.gz", genotypes, depth, variants)
    assert Path(f"{fallback}.tbi").read_bytes() == Path(f"{expected}.tbi").read_bytes()


def test_a_failed_index_leaves_the_earlier_file_and_index_as_they_were(tmp_path, monkeypatch):
    """The new VCF and its index are written under temporary names and renamed
    into place only when both are complete: if indexing the new file fails, the
    old file and its index stay, still a matching pair, and nothing else is left."""
    genotypes, depth, variants = random_cohort(6, 10, 30)
    path = write(tmp_path / "c.vcf.gz", genotypes, depth, variants)
    before = path.read_bytes(), Path(f"{path}.tbi").read_bytes()

    def refuse(*args, **kwargs):
        raise RuntimeError("indexing failed")

    monkeypatch.setattr(vcf_writer, "write_vcf_index", refuse)
    with pytest.raises(RuntimeError, match="indexing failed"):
        write(path, genotypes[:, :20], depth[:, :20], variants.iloc[:20])
    assert (path.read_bytes(), Path(f"{path}.tbi").read_bytes()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.vcf.gz", "c.vcf.gz.tbi"]
    with gzip.open(path, "rt") as handle:
        assert sum(not line.startswith("#") for line in handle) == 30
