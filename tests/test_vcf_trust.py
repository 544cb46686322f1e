"""Reader cases the library review found silently wrong: positions above 2^31 on
the htslib path (S1) and calls with more than two alleles (S3), each checked
against the reference tool (bcftools view, plink2's missing polyploid calls)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import reference_tool, vcf_text

from vcfml import read_vcf, write_vcf
from vcfml.errors import VcfmlInputError
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


@pytest.mark.parametrize("region", ["chr1:abc-", "chr1:", "chr1:-5", "chr1:x-y", "chr1:5:6"])
def test_a_malformed_region_is_an_error_as_in_bcftools(huge_pos, bcftools, region):
    reference = subprocess.run(
        [bcftools, "view", "-H", "-r", region, str(huge_pos)], capture_output=True, text=True
    )
    assert reference.returncode != 0 or "Could not parse" in reference.stderr
    with pytest.raises(VcfmlInputError, match="could not parse the region"):
        read_vcf(huge_pos, region=region)


def test_region_forms_and_contig_aliases(huge_pos, bcftools):
    for region in ["chr1", "chr1:100", "chr1:100-", "chr1:1-3,000,000,000"]:
        assert read_vcf(huge_pos, region=region).variants["pos"].tolist() == (
            bcftools_view_positions(bcftools, huge_pos, "-r", region.replace(",", ""))
        )
    # "1" names chr1, as vcfml predict aligns them.
    assert (
        read_vcf(huge_pos, region="1:1-3000000000").variants["pos"].tolist() == (HUGE_POSITIONS[:2])
    )
    with pytest.raises(VcfmlInputError, match="end is before the start"):
        read_vcf(huge_pos, region="chr1:200-100")
    with pytest.raises(VcfmlInputError, match="contig 'chr9' is not in the file"):
        read_vcf(huge_pos, region="chr9:1-10")


def test_inspect_refuses_a_malformed_region(huge_pos, capsys):
    from vcfml.cli import main

    assert main(["inspect", str(huge_pos), "--region", "chr1:abc-"]) != 0
    assert "could not parse the region" in capsys.readouterr().err


def writer_inputs():
    genotypes = np.array([[0, 1, 2], [1, -1, 0]], dtype=np.int8)
    variants = pd.DataFrame(
        {
            "chrom": ["chr1"] * 3,
            "pos": [10, 20, 30],
            "id": ["rs1", "rs2", "rs3"],
            "ref": ["A", "C", "G"],
            "alt": ["G", "T", "A"],
        }
    )
    return genotypes, variants, ["S1", "S2"]


def changed(column: str, value: object) -> pd.DataFrame:
    variants = writer_inputs()[1].astype({column: object})
    variants.loc[1, column] = value
    return variants


@pytest.mark.parametrize(
    ("genotypes", "variants", "samples", "message"),
    [
        (np.array([[0, 0.5, 2], [1, -1, 0]]), None, None, "whole numbers.*S1 has 0.5"),
        (np.array([[0, np.nan, 2], [1, -1, 0]]), None, None, "whole numbers"),
        (None, None, ["S1", "S\n2"], "sample name 'S\\\\n2'"),
        (None, None, ["S\t1", "S2"], "sample name 'S\\\\t1'"),
        (None, changed("id", "rs 2"), None, "ID 'rs 2' at variant 1"),
        (None, changed("id", "rs\t2"), None, "ID"),
        (None, changed("pos", 0), None, "POS must be whole numbers from 1, got 0"),
        (None, changed("pos", -5), None, "POS must be whole numbers from 1, got -5"),
        (None, changed("alt", ""), None, "ALT '' at variant 1"),
        (None, changed("ref", np.nan), None, "REF nan at variant 1"),
        (None, changed("ref", "A C"), None, "REF 'A C'"),
        (None, changed("chrom", "chr 1"), None, "CHROM"),
    ],
)
def test_write_vcf_refuses_what_vcf_forbids(tmp_path, genotypes, variants, samples, message):
    default_genotypes, default_variants, default_samples = writer_inputs()
    path = tmp_path / "out.vcf.gz"
    with pytest.raises(VcfmlInputError, match=message):
        write_vcf(
            path,
            default_genotypes if genotypes is None else genotypes,
            default_variants if variants is None else variants,
            default_samples if samples is None else samples,
            contigs={"chr1": 1000, "chr 1": 1000},
        )
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []  # no temporary file left either


def test_write_vcf_takes_whole_float_dosages_and_leaves_no_temporary_file(tmp_path, bcftools):
    genotypes, variants, samples = writer_inputs()
    path = write_vcf(
        tmp_path / "out.vcf.gz", genotypes.astype(float), variants, samples, contigs={"chr1": 1000}
    )
    np.testing.assert_array_equal(read_vcf(path, region="chr1").genotypes, genotypes)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.vcf.gz", "out.vcf.gz.tbi"]
