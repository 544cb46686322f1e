"""``vcfml inspect`` numbers agree with the matrix and with bcftools."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import bcftools_query, vcf_text

from vcfml import read_vcf
from vcfml.summary import summarize


def test_summary_counts_match_bcftools(liability_dir, bcftools):
    path = liability_dir / "cohort.vcf.gz"
    summary = summarize(read_vcf(path))
    calls = bcftools_query(bcftools, path, "[%GT\t]\n").split()
    missing = sum(call.startswith(".") for call in calls)
    assert summary.missing_fraction == pytest.approx(missing / len(calls))
    chroms = bcftools_query(bcftools, path, "%CHROM\n").split()
    per_contig = dict(zip(summary.contigs["chrom"], summary.contigs["variants"], strict=True))
    assert per_contig == {c: chroms.count(c) for c in dict.fromkeys(chroms)}
    assert summary.n_samples == 300 and summary.n_records == 800
    assert summary.maf_spectrum.sum() == 800


def test_summary_of_phased_multiallelic_file(tmp_path):
    path = tmp_path / "x.vcf"
    path.write_text(
        vcf_text(
            ["a", "b"], ["chr1 1 . A G,T . PASS . GT 0|1 1|2", "chr1 5 . C G . PASS . GT 0|0 ./."]
        )
    )
    summary = summarize(read_vcf(path))
    assert summary.n_records == 2 and summary.n_multiallelic_records == 1
    assert summary.n_variants == 3 and summary.n_phased_sites == 3
    assert "all sites phased" in summary.to_text()
    np.testing.assert_allclose(summary.sample_missingness.to_numpy(), [0, 1 / 3])
