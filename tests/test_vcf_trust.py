"""Reader cases the library review found silently wrong: positions above 2^31 on
the htslib path (S1) and calls with more than two alleles (S3), each checked
against the reference tool (bcftools view, plink2's missing polyploid calls)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import reference_tool, vcf_text

from vcfml import read_vcf
from vcfml.io import vcf_text as compiled

HUGE_META = """##fileformat=VCFv4.3
##contig=<ID=chr1,length=3000000000000>
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
"""
HUGE_POSITIONS = [100, 2_147_483_653, 2_199_023_255_559]


def read_with_htslib(path: Path, **options):
    """The reader with the compiled text path turned off."""
    original = compiled.read_text_dosages
    compiled.read_text_dosages = lambda *args, **kwargs: None
    try:
        return read_vcf(path, **options)
    finally:
        compiled.read_text_dosages = original


@pytest.fixture()
def huge_pos(tmp_path, bcftools) -> Path:
    """A bgzipped, CSI-indexed VCF with positions past 2^31 and 2^41."""
    header = "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT"])
    lines = [
        f"chr1\t{pos}\trs{index}\tA\tG\t.\tPASS\t.\tGT\t0/1\t1/1"
        for index, pos in enumerate(HUGE_POSITIONS)
    ]
    text = HUGE_META + header + "\ta\tb\n" + "\n".join(lines) + "\n"
    plain = tmp_path / "huge.vcf"
    plain.write_text(text)
    path = tmp_path / "huge.vcf.gz"
    subprocess.run([bcftools, "view", "-Oz", "-o", str(path), str(plain)], check=True)
    subprocess.run([bcftools, "index", "-c", str(path)], check=True)
    return path


def bcftools_view_positions(bcftools: str, path: Path, *options: str) -> list[int]:
    """POS as ``bcftools view`` prints it (``bcftools query %POS`` wraps in 1.16)."""
    text = subprocess.run(
        [bcftools, "view", "-H", *options, str(path)], capture_output=True, text=True, check=True
    ).stdout
    return [int(line.split("\t")[1]) for line in text.splitlines()]


def test_positions_past_2_31_match_bcftools_view_on_every_path(huge_pos, bcftools, tmp_path):
    expected = bcftools_view_positions(bcftools, huge_pos)
    assert expected == HUGE_POSITIONS
    # The compiled text path, htslib on the whole file, and htslib through a region.
    assert read_vcf(huge_pos).variants["pos"].tolist() == expected
    assert read_with_htslib(huge_pos).variants["pos"].tolist() == expected
    region = "chr1:1-3000000000000"
    assert read_vcf(huge_pos, region=region).variants["pos"].tolist() == (
        bcftools_view_positions(bcftools, huge_pos, "-r", region)
    )
    # CRLF text is read by htslib too.
    crlf = tmp_path / "huge_crlf.vcf"
    crlf.write_bytes((tmp_path / "huge.vcf").read_bytes().replace(b"\n", b"\r\n"))
    assert read_vcf(crlf).variants["pos"].tolist() == expected


POLYPLOID_SAMPLES = ["a", "b", "c", "d"]
POLYPLOID_RECORDS = [
    "chr1 100 tri A G . PASS . GT 0/1/1 0/1 1/1/1 0/0",
    "chr1 200 tet C T . PASS . GT 1/1/1/1 0|1 0/0/0/0 1",
    "chr1 300 multi G A,T . PASS . GT 1/2/2 1/2 2/2/2/2 0/0",
    "chr1 400 next T C . PASS . GT 0/1 1/1 0/0 0/1",
]


def plink2_missing_counts(path: Path, out: Path) -> list[int]:
    """MISSING_CT per variant from ``plink2 --missing``."""
    plink2 = reference_tool("plink2", "plink2")
    subprocess.run(
        [plink2, "--vcf", str(path), "--missing", "variant-only", "--allow-extra-chr",
         "--out", str(out)],
        check=True, capture_output=True,
    )  # fmt: skip
    lines = Path(f"{out}.vmiss").read_text().splitlines()[1:]
    return [int(line.split("\t")[2]) for line in lines]


@pytest.mark.parametrize("path_kind", ["compiled", "htslib"])
def test_polyploid_calls_are_missing_as_in_plink2(tmp_path, path_kind):
    path = tmp_path / "poly.vcf"
    path.write_text(vcf_text(POLYPLOID_SAMPLES, POLYPLOID_RECORDS))
    result = read_vcf(path) if path_kind == "compiled" else read_with_htslib(path)
    genotypes = result.genotypes
    # The same calls are missing as in plink2 (one column per ALT allele here).
    missing = (genotypes < 0).sum(axis=0)
    expected = plink2_missing_counts(path, tmp_path / "plink")
    assert missing.tolist() == [expected[0], expected[1], expected[2], expected[2], expected[3]]
    assert genotypes.max() <= 2
    np.testing.assert_array_equal(genotypes[:, 0], [-1, 1, -1, 0])
    np.testing.assert_array_equal(genotypes[:, 1], [-1, 1, -1, 1])
    np.testing.assert_array_equal(genotypes[:, 2], [-1, 1, -1, 0])  # multi: ALT A
    np.testing.assert_array_equal(genotypes[:, 3], [-1, 1, -1, 0])  # multi: ALT T
    np.testing.assert_array_equal(genotypes[:, 4], [1, 2, 0, 1])
    af = result.variants["af"].to_numpy()
    # Only the haploid and diploid calls count: tri 1 of 4 alleles, tet 2 of 3.
    np.testing.assert_allclose(af[:2], [1 / 4, 2 / 3])
    assert (af[~np.isnan(af)] <= 1).all()
