"""The self-checks of exercises 1.3 and 5.4 (vcfml.check.tools), which compare bcftools
and plink2 with vcfml: each accepts the right answer and a right-but-different one,
and rejects the plausible wrong answers with a message that names the mistake."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from vcfml.check.tools import exercise_1_3, exercise_1_3_freq, exercise_5_4

pytestmark = pytest.mark.skipif(
    shutil.which("bcftools") is None or shutil.which("plink2") is None,
    reason="bcftools and plink2 are the references of these checks",
)

COHORT = ROOT / "data" / "liability"
VCF, SAMPLES = str(COHORT / "cohort.vcf.gz"), str(COHORT / "samples.tsv")


# --- exercise 1.3 (a): bcftools query -> dosages --------------------------------------


def query(path: str, region: str) -> list[list[str]]:
    command = ["bcftools", "query", "-r", region, "-f", "[%GT\\t]\\n", path]
    text = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return [line.rstrip("\t").split("\t") for line in text.splitlines()]


def decode(call: str) -> int:
    alleles = call.replace("|", "/").split("/")
    return -1 if "." in alleles else alleles.count("1")


def right_dosages(path, region):
    return np.array([[decode(c) for c in row] for row in query(path, region)]).T


def nan_dataframe(path, region):  # right but different: floats, NaN for missing
    matrix = right_dosages(path, region).astype(float)
    return pd.DataFrame(np.where(matrix < 0, np.nan, matrix))


def transposed(path, region):
    return right_dosages(path, region).T


def missing_as_zero(path, region):
    def dosage(call):
        return sum(allele == "1" for allele in call.replace("|", "/").split("/"))

    return np.array([[dosage(c) for c in row] for row in query(path, region)]).T


def half_missing_counted(path, region):
    def dosage(call):
        alleles = call.replace("|", "/").split("/")
        return -1 if all(a == "." for a in alleles) else alleles.count("1")

    return np.array([[dosage(c) for c in row] for row in query(path, region)]).T


def phased_broken(path, region):
    def dosage(call):
        alleles = call.split("/")
        return -1 if "." in call else sum(a == "1" for a in alleles)

    return np.array([[dosage(c) for c in row] for row in query(path, region)]).T


def test_1_3_accepts_the_right_and_a_right_but_different_answer(capsys):
    assert exercise_1_3(right_dosages, VCF)
    assert exercise_1_3(nan_dataframe, VCF)
    assert capsys.readouterr().out.count("✅") == 2


@pytest.mark.parametrize(
    ("answer", "named"),
    [
        (transposed, "the transpose of (samples, sites)"),
        (missing_as_zero, "missing calls came out as 0"),
        (half_missing_counted, "half-missing calls such as './1' got a dosage"),
        (phased_broken, "phased calls such as '0|1'"),
    ],
)
def test_1_3_rejects_wrong_dosages_naming_the_mistake(answer, named, capsys):
    assert not exercise_1_3(answer, VCF)
    out = capsys.readouterr().out
    assert "❌ Exercise 1.3" in out and named in out


def test_1_3_reports_a_stub():
    def stub(path, region):
        raise NotImplementedError("Exercise 1.3 (a)")

    assert not exercise_1_3(stub, VCF)


# --- exercise 1.3 (b): plink2 --freq ---------------------------------------------------


def run_freq(vcf, samples_tsv, out, *, sex=True, split_par=True):
    table = pd.read_csv(samples_tsv, sep="\t")
    psam = pd.DataFrame({"#IID": table["sample_id"]})
    if sex:
        psam["SEX"] = np.where(table["sex"] == "male", 1, 2)
    psam.to_csv(f"{out}.psam", sep="\t", index=False)
    command = ["plink2", "--vcf", vcf, "--psam", f"{out}.psam", "--freq", "--threads", "1"]
    if split_par:
        command += ["--split-par", "hg38"]
    subprocess.run([*command, "--out", out], check=True, capture_output=True)
    return pd.read_csv(f"{out}.afreq", sep="\t")


def right_freq(vcf, samples_tsv, out):
    return run_freq(vcf, samples_tsv, out).set_index("ID")["ALT_FREQS"]


def array_in_file_order(vcf, samples_tsv, out):  # right but different
    return run_freq(vcf, samples_tsv, out)["ALT_FREQS"].to_numpy()


def ref_frequency(vcf, samples_tsv, out):
    return 1 - right_freq(vcf, samples_tsv, out)


def without_sex(vcf, samples_tsv, out):
    return run_freq(vcf, samples_tsv, out, sex=False).set_index("ID")["ALT_FREQS"]


def without_split_par(vcf, samples_tsv, out):
    return run_freq(vcf, samples_tsv, out, split_par=False).set_index("ID")["ALT_FREQS"]


def test_1_3_freq_accepts_the_right_and_a_right_but_different_answer(capsys):
    assert exercise_1_3_freq(right_freq, VCF, SAMPLES)
    assert exercise_1_3_freq(array_in_file_order, VCF, SAMPLES)
    assert capsys.readouterr().out.count("✅") == 2


@pytest.mark.parametrize(
    ("answer", "named"),
    [
        (ref_frequency, "1 minus the ALT frequency"),
        (without_sex, "plink2 needs every sample's sex"),
        (without_split_par, "`--split-par hg38`"),
    ],
)
def test_1_3_freq_rejects_wrong_frequencies_naming_the_mistake(answer, named, capsys):
    assert not exercise_1_3_freq(answer, VCF, SAMPLES)
    out = capsys.readouterr().out
    assert "❌ Exercise 1.3" in out and named in out


# --- exercise 5.4: plink2 --glm ---------------------------------------------------------


def run_glm(vcf, samples_tsv, out, *modifiers):
    table = pd.read_csv(samples_tsv, sep="\t")
    pd.DataFrame(
        {
            "#IID": table["sample_id"],
            "SEX": np.where(table["sex"] == "male", 1, 2),
            "PHENO1": table["phenotype"] + 1,
        }
    ).to_csv(f"{out}.psam", sep="\t", index=False)
    command = ["plink2", "--vcf", vcf, "--psam", f"{out}.psam", "--split-par", "hg38"]
    command += ["--glm", "allow-no-covars", *modifiers, "--threads", "1", "--out", out]
    subprocess.run(command, check=True, capture_output=True)
    return pd.read_csv(f"{out}.PHENO1.glm.logistic.hybrid", sep="\t")


def table(glm, beta):
    return pd.DataFrame({"id": glm["ID"], "beta": beta, "pvalue": glm["P"]})


def right_scan(vcf, samples_tsv, out):
    glm = run_glm(vcf, samples_tsv, out, "sex", "omit-ref", "hide-covar")
    return table(glm, np.log(glm["OR"]))


def sorted_with_extras(vcf, samples_tsv, out):  # right but different
    glm = run_glm(vcf, samples_tsv, out, "sex", "omit-ref", "hide-covar", "cols=+beta")
    answer = table(glm, glm["BETA"]).assign(se=glm["SE"], chrom=glm["#CHROM"])
    return answer.sort_values("pvalue").reset_index(drop=True)


def odds_ratios(vcf, samples_tsv, out):
    glm = run_glm(vcf, samples_tsv, out, "sex", "omit-ref", "hide-covar")
    return table(glm, glm["OR"])


def covariate_rows(vcf, samples_tsv, out):
    glm = run_glm(vcf, samples_tsv, out, "sex", "omit-ref")
    return table(glm, np.log(glm["OR"]))


def minor_allele(vcf, samples_tsv, out):
    glm = run_glm(vcf, samples_tsv, out, "sex", "hide-covar")
    return table(glm, np.log(glm["OR"]))


def without_sex_covariate(vcf, samples_tsv, out):
    glm = run_glm(vcf, samples_tsv, out, "no-x-sex", "omit-ref", "hide-covar")
    return table(glm, np.log(glm["OR"]))


def test_5_4_accepts_the_right_and_a_right_but_different_answer(capsys):
    assert exercise_5_4(right_scan, VCF, SAMPLES)
    assert exercise_5_4(sorted_with_extras, VCF, SAMPLES)
    out = capsys.readouterr().out
    assert out.count("✅") == 2 and "/tmp" not in out


@pytest.mark.parametrize(
    ("answer", "named"),
    [
        (odds_ratios, "your beta is the odds ratio"),
        (covariate_rows, "TEST == 'ADD'"),
        (minor_allele, "add `omit-ref`"),
        (without_sex_covariate, "your effects are those of a scan without sex"),
    ],
)
def test_5_4_rejects_wrong_scans_naming_the_mistake(answer, named, capsys):
    assert not exercise_5_4(answer, VCF, SAMPLES)
    out = capsys.readouterr().out
    assert "❌ Exercise 5.4" in out and named in out


def test_5_4_rejects_a_table_without_the_columns(capsys):
    def raw(vcf, samples_tsv, out):
        return run_glm(vcf, samples_tsv, out, "sex", "omit-ref", "hide-covar")

    assert not exercise_5_4(raw, VCF, SAMPLES)
    assert "columns id, beta and pvalue" in capsys.readouterr().out


def test_the_checks_run_on_a_cohort_of_their_own(tmp_path, capsys):
    """A function that ignores its arguments and returns the course cohort's answer fails."""
    fixed = right_freq(VCF, SAMPLES, str(tmp_path / "fixed"))
    assert not exercise_1_3_freq(lambda vcf, samples_tsv, out: fixed, VCF, SAMPLES)
    assert "❌ Exercise 1.3" in capsys.readouterr().out
    assert Path(VCF).exists()
