"""`vcfml scan` on inputs the library review found silently wrong or ending in a
traceback: PLINK's phenotype coding (S2), a case label to name (--positive-label),
samples and levels called NA, haploid calls on autosomes (S5), a VCF without
samples and a folder as --samples."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import VCF_META, reference_tool, vcf_text
from scipy import stats as scipy_stats

from vcfml import read_vcf
from vcfml.cli import main
from vcfml.errors import VcfmlInputError
from vcfml.io.samples_table import read_samples_table
from vcfml.simulate import simulate_liability


@pytest.fixture(scope="module")
def plink2() -> str:
    return reference_tool("plink2", "plink2")


@pytest.fixture(scope="module")
def cohort(tmp_path_factory) -> Path:
    """300 samples whose phenotype is also written PLINK's way: 1 control, 2 case,
    with 15 samples -9 and 10 samples 0 (both missing to plink2)."""
    folder = simulate_liability(n_samples=300, n_sites=800, seed=8, include_chrx=False).write(
        tmp_path_factory.mktemp("plink_coded")
    )
    table = pd.read_csv(folder / "samples.tsv", sep="\t")
    coded = table["phenotype"] + 1
    coded.iloc[5:20] = -9
    coded.iloc[40:50] = 0
    table["pheno_plink"] = coded
    table["status"] = np.where(table["phenotype"] == 1, "sick", "healthy")
    table.to_csv(folder / "samples.tsv", sep="\t", index=False)
    psam = pd.DataFrame(
        {"#IID": table["sample_id"], "SEX": np.where(table["sex"] == "male", 1, 2),
         "PHENO1": coded}
    )  # fmt: skip
    psam.to_csv(folder / "plink.psam", sep="\t", index=False)
    return folder


def test_plink_coded_phenotype_is_case_control_with_missing_codes_as_plink2(
    plink2, cohort, tmp_path, capsys
):
    out = tmp_path / "scan.tsv"
    assert main(["scan", "--vcf", str(cohort / "cohort.vcf.gz"), "--samples",
                 str(cohort / "samples.tsv"), "--target", "pheno_plink", "--covariates", "sex",
                 "--out", str(out)]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    assert "25 samples without a phenotype left out" in printed
    assert "logistic regression" in printed
    subprocess.run(
        [plink2, "--vcf", str(cohort / "cohort.vcf.gz"), "--psam", str(cohort / "plink.psam"),
         "--glm", "sex", "omit-ref", "no-firth", "hide-covar", "allow-no-covars",
         "cols=chrom,pos,nobs,beta,se,p", "--threads", "1", "--out", str(tmp_path / "plink")],
        check=True, capture_output=True,
    )  # fmt: skip
    plink = pd.read_csv(tmp_path / "plink.PHENO1.glm.logistic", sep="\t")
    ours = pd.read_csv(out, sep="\t")
    assert (ours["n"] == plink["OBS_CT"]).all() and ours["n"].max() == 275  # 300 - 25
    both = ours["pvalue"].notna() & plink["P"].notna()
    assert both.mean() > 0.95
    rho = scipy_stats.spearmanr(ours["pvalue"][both], plink["P"][both])[0]
    assert rho > 0.999
    np.testing.assert_allclose(ours["beta"][both], plink["BETA"][both], atol=1e-3)


def test_positive_label_names_the_cases(cohort, tmp_path, capsys):
    vcf, samples = str(cohort / "cohort.vcf.gz"), str(cohort / "samples.tsv")
    assert main(["scan", "--vcf", vcf, "--samples", samples, "--target", "status",
                 "--out", str(tmp_path / "s.tsv")]) == 1  # fmt: skip
    assert "say which is the case" in capsys.readouterr().err
    assert main(["scan", "--vcf", vcf, "--samples", samples, "--target", "status",
                 "--positive-label", "sick", "--out", str(tmp_path / "s.tsv")]) == 0  # fmt: skip
    assert main(["scan", "--vcf", vcf, "--samples", samples, "--target", "phenotype",
                 "--out", str(tmp_path / "p.tsv")]) == 0  # fmt: skip
    named = pd.read_csv(tmp_path / "s.tsv", sep="\t")
    coded = pd.read_csv(tmp_path / "p.tsv", sep="\t")
    pd.testing.assert_frame_equal(named, coded)
    assert main(["scan", "--vcf", vcf, "--samples", samples, "--target", "status",
                 "--positive-label", "ill", "--out", str(tmp_path / "s.tsv")]) == 1  # fmt: skip
    assert "positive label 'ill' is not one of" in capsys.readouterr().err


def test_a_sample_or_level_named_na_is_a_value_unless_said(tmp_path):
    path = tmp_path / "samples.tsv"
    path.write_text("sample_id\tregion\tphenotype\nNA\tNA\t1\ns2\tEU\t0\n")
    table = read_samples_table(path)
    assert table.index.tolist() == ["NA", "s2"]
    assert table["region"].tolist() == ["NA", "EU"]
    with pytest.raises(VcfmlInputError, match="empty sample_id"):
        read_samples_table(path, missing_values=["NA"])
    numbers = tmp_path / "age.tsv"
    numbers.write_text("sample_id\tage\ns1\t41\ns2\tNA\n")
    with pytest.raises(VcfmlInputError, match=r"line 3.*'age' holds numbers and 'NA'.*--missing"):
        read_samples_table(numbers)
    assert read_samples_table(numbers, missing_values=["NA"])["age"].isna().tolist() == [
        False,
        True,
    ]


def test_haploid_calls_on_an_autosome_count_once_in_a1_freq(plink2, tmp_path):
    """The review's S5: a1_freq was half the reader's af. plink2 --freq reads a
    haploid call as homozygous, which gives the same ALT frequency."""
    rng = np.random.default_rng(4)
    samples = [f"s{index}" for index in range(40)]
    records = []
    for site in range(5):
        calls = rng.integers(0, 2, len(samples))
        fields = [str(value) for value in calls]
        if site == 4:  # and one mixed site: haploid and diploid calls
            fields[:20] = ["0/1" if value else "0/0" for value in calls[:20]]
        records.append(f"chr1 {100 * (site + 1)} rs{site} A G . PASS . GT " + " ".join(fields))
    vcf = tmp_path / "haploid.vcf"
    vcf.write_text(vcf_text(samples, records))
    table = pd.DataFrame({"sample_id": samples, "phenotype": rng.normal(size=len(samples))})
    table.to_csv(tmp_path / "samples.tsv", sep="\t", index=False)
    assert main(["scan", "--vcf", str(vcf), "--samples", str(tmp_path / "samples.tsv"),
                 "--out", str(tmp_path / "scan.tsv")]) == 0  # fmt: skip
    ours = pd.read_csv(tmp_path / "scan.tsv", sep="\t")
    np.testing.assert_allclose(ours["a1_freq"], read_vcf(vcf).variants["af"], atol=1e-6)
    subprocess.run(
        [plink2, "--vcf", str(vcf), "--freq", "--allow-extra-chr", "--out", str(tmp_path / "p")],
        check=True, capture_output=True,
    )  # fmt: skip
    plink = pd.read_csv(tmp_path / "p.afreq", sep="\t")
    np.testing.assert_allclose(ours["a1_freq"][:4], plink["ALT_FREQS"][:4], atol=1e-6)


def test_scan_of_a_vcf_without_samples_and_of_a_folder_as_samples(tmp_path, capsys):
    vcf = tmp_path / "sites.vcf"  # a sites-only VCF: no FORMAT, no sample columns
    header = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
    vcf.write_text(VCF_META + header + "chr1\t100\trs1\tA\tG\t.\tPASS\t.\n")
    table = tmp_path / "samples.tsv"
    table.write_text("sample_id\tphenotype\ns1\t1\n")
    assert main(["scan", "--vcf", str(vcf), "--samples", str(table),
                 "--out", str(tmp_path / "o.tsv")]) == 1  # fmt: skip
    assert "has no samples" in capsys.readouterr().err
    assert main(["scan", "--vcf", str(vcf), "--samples", str(tmp_path),
                 "--out", str(tmp_path / "o.tsv")]) == 1  # fmt: skip
    error = capsys.readouterr().err
    assert "is a folder" in error and "Traceback" not in error


def test_an_unknown_sex_code_is_shown_as_written():
    from vcfml.cli_stats import sex_of

    table = pd.DataFrame({"sex": [1, 0]}, index=["s1", "s2"])
    with pytest.raises(VcfmlInputError, match=r"column 'sex' has 0 for sample s2"):
        sex_of(table, "samples.tsv")
