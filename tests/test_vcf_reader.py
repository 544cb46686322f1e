"""The loader against the reference (bcftools) and against its own writer."""

from __future__ import annotations

import gzip
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import bcftools_query, dosages_from_bcftools, vcf_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vcfml import read_vcf, write_vcf
from vcfml.errors import VcfmlInputError

EDGE_SAMPLES = ["a", "b", "c", "d"]
EDGE_RECORDS = [
    "chr1 100 rs1 A G . PASS . GT 0|1 1|1 0|0 1|0",  # phased
    "chr1 200 rs2 C T . PASS . GT 0/1 ./. 1/1 ./1",  # unphased, missing, half missing
    "chr1 300 rs3 G A,T . q10 . GT 1/2 2/2 0/1 ./.",  # multiallelic, filtered
    "chr2 50 . T C . PASS . GT 0/0 0/1 1/1 0/0",  # no ID
    "chrX 400 rs5 A C . PASS . GT 1 0/1 . 0",  # haploid (and one diploid) calls
]


@pytest.fixture()
def edge_vcf(tmp_path) -> Path:
    path = tmp_path / "edge.vcf"
    path.write_text(vcf_text(EDGE_SAMPLES, EDGE_RECORDS))
    return path


def test_edge_cases_match_bcftools(edge_vcf, bcftools):
    result = read_vcf(edge_vcf)
    assert result.genotypes.dtype == np.int8
    assert result.samples == EDGE_SAMPLES
    np.testing.assert_array_equal(result.genotypes, dosages_from_bcftools(bcftools, edge_vcf))


def test_edge_cases_policy(edge_vcf):
    result = read_vcf(edge_vcf)
    table = result.variants
    # One column per ALT allele: rs3 has two.
    assert table["id"].tolist() == ["rs1", "rs2", "rs3", "rs3", ".", "rs5"]
    assert table["alt"].tolist() == ["G", "T", "A", "T", "C", "C"]
    assert table["allele_index"].tolist() == [1, 1, 1, 2, 1, 1]
    # 1/2 counts one copy of each ALT allele.
    np.testing.assert_array_equal(result.genotypes[:, 2], [1, 0, 1, -1])
    np.testing.assert_array_equal(result.genotypes[:, 3], [1, 2, 0, -1])
    # Half-missing is missing; haploid '1' is one copy.
    np.testing.assert_array_equal(result.genotypes[:, 1], [1, -1, 2, -1])
    np.testing.assert_array_equal(result.genotypes[:, 5], [1, 1, -1, 0])
    assert table["phased"].tolist() == [True, False, False, False, False, False]
    assert table["filter"].tolist() == ["PASS", "PASS", "q10", "q10", "PASS", "PASS"]
    assert table["af"].iloc[0] == pytest.approx(4 / 8)
    assert table["af"].iloc[5] == pytest.approx(2 / 4)  # 1 + 0/1 + 0: two ALT of four alleles


def test_variant_labels_fall_back_to_position(edge_vcf):
    labels = read_vcf(edge_vcf).variant_labels()
    assert labels == ["rs1", "rs2", "chr1:300:G:A", "chr1:300:G:T", "chr2:50:T:C", "rs5"]


def test_pass_only_and_maf_filters(edge_vcf):
    kept = read_vcf(edge_vcf, pass_only=True)
    assert "q10" not in set(kept.variants["filter"])
    assert kept.n_variants == 4
    common = read_vcf(edge_vcf, min_maf=0.4)
    maf = np.minimum(common.variants["af"], 1 - common.variants["af"])
    assert (maf >= 0.4).all()
    everything = read_vcf(edge_vcf)
    all_maf = np.minimum(everything.variants["af"], 1 - everything.variants["af"])
    assert common.n_variants == int((all_maf >= 0.4).sum()) < everything.n_variants


def test_sample_subset_in_requested_order(edge_vcf):
    full = read_vcf(edge_vcf)
    subset = read_vcf(edge_vcf, samples=["d", "b"])
    assert subset.samples == ["d", "b"]
    np.testing.assert_array_equal(subset.genotypes, full.genotypes[[3, 1]])


def test_unknown_sample_is_an_error(edge_vcf):
    with pytest.raises(VcfmlInputError, match=r"edge\.vcf.*not in the file: zz"):
        read_vcf(edge_vcf, samples=["a", "zz"])


def test_region_needs_index_and_matches_bcftools(liability_dir, bcftools):
    path = liability_dir / "cohort.vcf.gz"
    full = read_vcf(path)
    region = "chr2:1-150000000"
    part = read_vcf(path, region=region)
    expected = (full.variants["chrom"] == "chr2") & (full.variants["pos"] <= 150_000_000)
    assert part.n_variants == int(expected.sum()) > 0
    np.testing.assert_array_equal(part.genotypes, full.genotypes[:, expected.to_numpy()])
    positions = bcftools_query(bcftools, path, "%POS\n", "-r", region).split()
    assert part.variants["pos"].tolist() == [int(p) for p in positions]

    unindexed = liability_dir.parent / "unindexed.vcf.gz"
    shutil.copy(path, unindexed)
    with pytest.raises(VcfmlInputError, match="needs an index"):
        read_vcf(unindexed, region=region)
    with pytest.raises(VcfmlInputError, match="contig 'chr99'"):
        read_vcf(path, region="chr99:1-10")


def test_reads_bcf_plain_and_gzip(liability_dir, bcftools, tmp_path):
    source = liability_dir / "cohort.vcf.gz"
    expected = read_vcf(source)
    bcf = tmp_path / "cohort.bcf"
    subprocess.run([bcftools, "view", "-Ob", "-o", str(bcf), str(source)], check=True)
    plain = tmp_path / "cohort.vcf"
    plain.write_bytes(gzip.decompress(source.read_bytes()))
    gzipped = tmp_path / "cohort.gzip.vcf.gz"
    gzipped.write_bytes(gzip.compress(plain.read_bytes()))
    for path in (bcf, plain, gzipped):
        result = read_vcf(path)
        np.testing.assert_array_equal(result.genotypes, expected.genotypes)
        pd.testing.assert_frame_equal(result.variants, expected.variants)


@pytest.mark.parametrize("fixture", ["classic_dir", "liability_dir", "structured_dir"])
def test_simulated_files_match_bcftools(fixture, request, bcftools):
    path = request.getfixturevalue(fixture) / "cohort.vcf.gz"
    result = read_vcf(path)
    np.testing.assert_array_equal(result.genotypes, dosages_from_bcftools(bcftools, path))
    positions = bcftools_query(bcftools, path, "%CHROM\t%POS\t%ID\t%REF\t%ALT\n").splitlines()
    table = result.variants
    assert positions == [
        f"{c}\t{p}\t{i}\t{r}\t{a}"
        for c, p, i, r, a in zip(
            table["chrom"], table["pos"], table["id"], table["ref"], table["alt"], strict=True
        )
    ]


# Property-based round trip: any dosage matrix written by vcfml reads back identically,
# and bcftools decodes the written file the same way.
@st.composite
def cohorts(draw):
    n_samples = draw(st.integers(1, 6))
    n_auto = draw(st.integers(0, 6))
    n_x = draw(st.integers(0, 4))
    if n_auto + n_x == 0:
        n_auto = 1
    haploid = np.array(draw(st.lists(st.booleans(), min_size=n_samples, max_size=n_samples)))
    auto = draw(
        st.lists(st.integers(-1, 2), min_size=n_samples * n_auto, max_size=n_samples * n_auto)
    )
    genotypes = np.array(auto, dtype=np.int8).reshape(n_samples, n_auto)
    x_calls = []
    for sample in range(n_samples):
        high = 1 if haploid[sample] else 2
        x_calls.append(draw(st.lists(st.integers(-1, high), min_size=n_x, max_size=n_x)))
    genotypes = np.hstack([genotypes, np.array(x_calls, dtype=np.int8).reshape(n_samples, n_x)])
    positions = sorted(draw(st.sets(st.integers(1, 10_000), min_size=n_auto, max_size=n_auto)))
    x_positions = sorted(draw(st.sets(st.integers(1, 10_000), min_size=n_x, max_size=n_x)))
    variants = pd.DataFrame(
        {
            "chrom": ["chr1"] * n_auto + ["chrX"] * n_x,
            "pos": positions + x_positions,
            "id": [f"v{i}" for i in range(n_auto + n_x)],
            "ref": ["A"] * (n_auto + n_x),
            "alt": ["T"] * (n_auto + n_x),
        }
    )
    return genotypes, variants, haploid


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=cohorts())
def test_write_read_round_trip(data, tmp_path_factory, bcftools):
    genotypes, variants, haploid = data
    folder = tmp_path_factory.mktemp("roundtrip")
    samples = [f"s{i}" for i in range(genotypes.shape[0])]
    path = write_vcf(
        folder / "x.vcf.gz",
        genotypes,
        variants,
        samples,
        contigs={"chr1": 20_000, "chrX": 20_000},
        haploid_samples=haploid,
    )
    result = read_vcf(path)
    np.testing.assert_array_equal(result.genotypes, genotypes)
    assert result.variants["pos"].tolist() == variants["pos"].tolist()
    np.testing.assert_array_equal(dosages_from_bcftools(bcftools, path), genotypes)


def test_writer_rejects_unsorted_and_bad_dosages(tmp_path):
    variants = pd.DataFrame(
        {"chrom": ["chr1", "chr1"], "pos": [20, 10], "id": ["a", "b"], "ref": "A", "alt": "G"}
    )
    genotypes = np.zeros((2, 2), dtype=np.int8)
    with pytest.raises(VcfmlInputError, match="sorted"):
        write_vcf(tmp_path / "x.vcf.gz", genotypes, variants, ["s1", "s2"], contigs={"chr1": 100})
    variants["pos"] = [10, 20]
    with pytest.raises(VcfmlInputError, match="dosages"):
        write_vcf(
            tmp_path / "x.vcf.gz", genotypes + 3, variants, ["s1", "s2"], contigs={"chr1": 100}
        )
    assert not (tmp_path / "x.vcf.gz").exists()
