"""The PLINK 1 reader and the committed HapMap 3 VCF, call for call against plink2."""

from __future__ import annotations

import subprocess

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, reference_tool

from vcfml.errors import VcfmlInputError
from vcfml.io.plink_bed import read_bed
from vcfml.io.vcf_reader import read_vcf

SOURCE = ROOT / "data" / "hapmap3" / "source"
PREFIX = SOURCE / "HM3_thinned_autosomal_overlap"
HAPMAP3 = ROOT / "data" / "hapmap3"


@pytest.fixture(scope="module")
def plink2_export(tmp_path_factory):
    """plink2's own VCF of the committed PLINK files (REF = A2, IID names)."""
    plink2 = reference_tool("plink2", "plink2")
    out = tmp_path_factory.mktemp("plink2") / "hm3"
    export = ["--export", "vcf", "bgz", "id-paste=iid"]
    options = ["--out", str(out), "--threads", "1", "--silent"]
    subprocess.run([plink2, "--bfile", str(PREFIX), *export, *options], check=True)
    return read_vcf(out.with_suffix(".vcf.gz"))


def test_reader_and_committed_vcf_equal_plink2_export(plink2_export):
    dosages, bim, fam = read_bed(PREFIX)
    committed = read_vcf(HAPMAP3 / "hapmap3.vcf.gz")
    assert dosages.shape == (957, 14079)
    for matrix in (dosages, committed.genotypes):
        np.testing.assert_array_equal(matrix, plink2_export.genotypes)
    assert committed.samples == plink2_export.samples == fam["iid"].tolist()
    columns = ["chrom", "pos", "id", "ref", "alt"]
    pd.testing.assert_frame_equal(committed.variants[columns], plink2_export.variants[columns])
    assert (committed.variants["ref"] == bim["a2"]).all()
    assert (committed.variants["alt"] == bim["a1"]).all()
    # the data hold missing calls, so the missing code is exercised
    assert (dosages == -1).sum() == (plink2_export.genotypes == -1).sum() > 0


def test_committed_samples_table():
    samples = pd.read_csv(HAPMAP3 / "samples.tsv", sep="\t")
    fam = pd.read_csv(PREFIX.with_suffix(".fam"), sep=" ", header=None)
    assert samples["sample_id"].tolist() == fam[1].tolist()
    assert (samples["sex"] == fam[4].map({1: "male", 2: "female"})).all()
    counts = samples["population"].value_counts().to_dict()
    assert counts == {
        "MKK": 140, "YRI": 108, "CEU": 107, "GIH": 87, "LWK": 87, "JPT": 85,
        "TSI": 84, "CHB": 81, "CHD": 81, "ASW": 49, "MEX": 48,
    }  # fmt: skip
    groups = samples.groupby("population")["continental_group"].unique()
    assert all(len(group) == 1 for group in groups)
    assert groups["YRI"][0] == "AFR" and groups["GIH"][0] == "SAS"


def _copy_prefix(tmp_path, bed: bytes | None = None, bim: str | None = None):
    prefix = tmp_path / "x"
    prefix.with_suffix(".fam").write_text("f1 a 0 0 1 -9\nf2 b 0 0 2 -9\n")
    prefix.with_suffix(".bim").write_text(bim or "1 rs1 0 100 A G\n1 rs2 0 200 C T\n")
    prefix.with_suffix(".bed").write_bytes(bed if bed is not None else b"\x6c\x1b\x01\x00\x00")
    return prefix


def test_reader_decodes_each_code(tmp_path):
    # Two bits a sample, sample a in the lowest bits. Site 1, byte 0b00_00_10_11:
    # a = 11 (hom A2: 0 copies of A1), b = 10 (het: 1). Site 2, byte 0b00_00_01_00:
    # a = 00 (hom A1: 2), b = 01 (missing: -1).
    dosages, _, _ = read_bed(_copy_prefix(tmp_path, bed=b"\x6c\x1b\x01\x0b\x04"))
    np.testing.assert_array_equal(dosages, [[0, 2], [1, -1]])
    dosages, _, _ = read_bed(_copy_prefix(tmp_path, bed=b"\x6c\x1b\x01\x01\x00"))
    np.testing.assert_array_equal(dosages, [[-1, 2], [2, 2]])


@pytest.mark.parametrize(
    ("bed", "bim", "message"),
    [
        (b"\x6c\x1b\x00\x00\x00", None, "not a variant-major PLINK 1 .bed file"),
        (b"\x6c\x1b\x01\x00", None, "4 bytes, but 2 variants x 2 samples"),
        (None, "1 rs1 0 100 A G\n1 rs2 0 x C T\n", "line 2: column pos is 'x'"),
        (None, "1 rs1 0 100 A\n1 rs2 0 200 C\n", "5 columns, expected 6"),
    ],
)
def test_reader_names_the_problem(tmp_path, bed, bim, message):
    with pytest.raises(VcfmlInputError, match=message):
        read_bed(_copy_prefix(tmp_path, bed=bed, bim=bim))
