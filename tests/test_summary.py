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


def test_maf_spectrum_is_labelled_as_minor_allele_frequencies(tmp_path):
    """The spectrum's header said ``af`` (the ALT frequency) over minor-allele
    frequencies, and its first bin ``(-0.001, 0.01]``: now ``MAF`` and ``[0, 0.01]``."""
    path = tmp_path / "x.vcf"
    records = [  # ALT frequencies 0, 0.25, 0.75 (MAF 0.25) and 1 (MAF 0), 4 people
        "chr1 1 . A G . PASS . GT 0/0 0/0 0/0 0/0",
        "chr1 2 . A G . PASS . GT 0/1 0/1 0/0 0/0",
        "chr1 3 . A G . PASS . GT 1/1 1/1 0/1 0/1",
        "chr1 4 . A G . PASS . GT 1/1 1/1 1/1 1/1",
    ]
    path.write_text(vcf_text(list("abcd"), records))
    summary = summarize(read_vcf(path))
    spectrum = summary.maf_spectrum
    assert spectrum.index.name == "MAF"
    assert spectrum.index[0] == "[0, 0.01]" and spectrum.index[-1] == "(0.4, 0.5]"
    assert spectrum["[0, 0.01]"] == 2 and spectrum["(0.2, 0.3]"] == 2 and spectrum.sum() == 4
    text = summary.to_text()
    assert "  MAF\n" in text and "af\n" not in text and "-0.001" not in text
