"""Every malformed input gets one clear line naming the file and the problem.

The files are in tests/data/bad/ (made by tests/data/make_bad_inputs.py), so
each case can be opened and read.
"""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest
from conftest import BAD_INPUTS

from vcfml import read_vcf
from vcfml.errors import VcfmlInputError
from vcfml.features import join_samples

VCF_CASES = [
    ("not_a_vcf.vcf", r"not a VCF file: line 1 should start with '##fileformat=VCF'"),
    ("empty.vcf", r"file is empty"),
    ("missing_chrom_header.vcf", r"missing the '#CHROM \.\.\.' header line: line 5"),
    (
        "wrong_column_count.vcf",
        r"\(line 7, record 2, after chr1:10\): wrong number of columns: 11 instead of 12",
    ),
    (
        "no_gt_in_format.vcf",
        r"\(line 6, record 1, chr1:10\): this record has no GT field in FORMAT",
    ),
    ("duplicate_sample_ids.vcf", r"line 5: duplicate sample IDs in the header: s1"),
    (
        "bad_position.vcf",
        r"\(line 6, record 1, first record\): POS must be a positive integer, got 'ten'",
    ),
    ("truncated.vcf.gz", r"file is truncated"),
    ("does_not_exist.vcf", r"file not found"),
]


@pytest.mark.parametrize(("name", "message"), VCF_CASES)
def test_bad_vcf_raises_clear_error(name, message):
    path = BAD_INPUTS / name
    with pytest.raises(VcfmlInputError, match=message) as error:
        read_vcf(path)
    assert str(error.value).startswith(str(path))
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(("name", "message"), VCF_CASES)
def test_cli_reports_bad_vcf_in_one_line(name, message):
    result = subprocess.run(
        [sys.executable, "-m", "vcfml.cli", "inspect", str(BAD_INPUTS / name)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    ours = [line for line in result.stderr.splitlines() if line.startswith("vcfml: error:")]
    assert len(ours) == 1 and name in ours[0]
    assert "Traceback" not in result.stderr


SAMPLE_CASES = [
    ("samples_missing_vcf_sample.tsv", r"1 samples of good\.vcf are missing: s3"),
    ("samples_extra_sample.tsv", r"1 samples are not in good\.vcf: s4"),
    ("samples_three_values.tsv", r"must have exactly two values .* found 3: 0, 1, 2"),
    ("samples_missing_target.tsv", r"target 'phenotype' is missing for 1 samples \(first: s2\)"),
    ("samples_duplicate_ids.tsv", r"\(line 3\): sample 's1' appears more than once"),
    ("samples_no_id_column.tsv", r"\(line 1\): no 'sample_id' column"),
    ("samples_comma_separated.tsv", r"no 'sample_id' column .* should be tab-separated"),
    ("samples_blank.tsv", r"file has no header row \(only blank lines\)"),
]


@pytest.mark.parametrize(("name", "message"), SAMPLE_CASES)
def test_bad_samples_table_raises_clear_error(name, message):
    genotypes = read_vcf(BAD_INPUTS / "good.vcf")
    with pytest.raises(VcfmlInputError, match=message) as error:
        join_samples(genotypes, BAD_INPUTS / name)
    assert str(error.value).startswith(str(BAD_INPUTS / name))


def test_text_in_a_numeric_covariate_names_the_sample():
    # At training, "age" with text in it would be a category; a model trained on
    # numbers (levels None) refuses it instead of a float() traceback.
    genotypes = read_vcf(BAD_INPUTS / "good.vcf")
    path = BAD_INPUTS / "samples_text_in_age.tsv"
    with pytest.raises(VcfmlInputError) as error:
        join_samples(genotypes, path, covariate_levels={"age": None})
    assert str(error.value) == (
        f"{path}: covariate 'age' must be a number (the model was trained on numbers), "
        "sample s2 has 'forty'"
    )


def test_identifier_columns_are_warned_about(tmp_path):
    path = tmp_path / "samples.tsv"
    path.write_text("sample_id\tbarcode\tphenotype\ns1\tAC1\t1\ns2\tGT7\t0\ns3\tTT2\t0\n")
    genotypes = read_vcf(BAD_INPUTS / "good.vcf")
    with pytest.warns(UserWarning, match=r"column 'barcode' has a different value for every"):
        join_samples(genotypes, path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        join_samples(genotypes, path, covariates=[])  # named: no warning


def test_good_files_join():
    dataset = join_samples(read_vcf(BAD_INPUTS / "good.vcf"), BAD_INPUTS / "good_samples.tsv")
    np.testing.assert_array_equal(dataset.target, [1, 0, 0])
    assert dataset.feature_names == ["rs1", "rs20", "sex=male"]
