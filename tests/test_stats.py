"""vcfml.stats against PLINK 2 and against hand-computed cases.

PLINK 2 (Debian's plink2, installed by .ci/run) is the reference: the same
simulated cohorts (autosomes with population structure, and chrX with haploid
males) go through ``plink2 --glm`` and ``vcfml scan`` with the same
covariates, and through ``plink2 --pca`` and ``vcfml pca``.

The liability simulator writes haploid male calls on chrX outside the
pseudo-autosomal regions and diploid ones inside them; PLINK 2 is told where
the PARs are (``--split-par b38``, which renames those sites' contig PAR1/PAR2),
so both tools agree on every site, PAR sites included.
"""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import reference_tool
from scipy import stats as scipy_stats

from vcfml import read_vcf
from vcfml.automl import AutoMLSettings, run_automl
from vcfml.automl.screening import GenotypeScreen, screen_ploidy
from vcfml.cli import main
from vcfml.errors import VcfmlError
from vcfml.explain import association_table
from vcfml.features import Dataset, join_samples
from vcfml.simulate import simulate_liability
from vcfml.stats import (
    allele_frequency,
    call_ploidy,
    check_covariates,
    haploid_in_males,
    hardy_weinberg,
    linear_scan,
    logistic_scan,
    missingness,
    score_test,
)

PLINK_COLUMNS = "cols=chrom,pos,ref,alt,a1freq,nobs,beta,se,tz,p"


@pytest.fixture(scope="module")
def plink2() -> str:
    """The reference for association scans, allele frequencies and PCA."""
    return reference_tool("plink2", "plink2")


@pytest.fixture(scope="module")
def cohort(tmp_path_factory) -> Path:
    """600 samples of three populations, autosomes and chrX, a sex effect;
    plus a quantitative trait and a constant and a collinear column for bad-input tests."""
    folder = tmp_path_factory.mktemp("structured")
    simulated = simulate_liability(
        n_samples=600, n_sites=2000, n_populations=3, fst=0.05, seed=3
    ).write(folder)
    table = pd.read_csv(folder / "samples.tsv", sep="\t")
    rng = np.random.default_rng(0)
    population_shift = table["population"].map({"pop1": 0.0, "pop2": 0.5, "pop3": -0.5})
    table["height"] = 170 + 5 * population_shift + rng.normal(0, 3, len(table))
    table["age"] = rng.integers(20, 80, len(table))
    table["age_months"] = table["age"] * 12
    table["site"] = "clinic"
    table.to_csv(folder / "samples.tsv", sep="\t", index=False)
    table["SEX"] = np.where(table["sex"] == "male", 1, 2)
    table["PHENO1"] = table["phenotype"] + 1  # PLINK: 1 control, 2 case
    table.rename(columns={"sample_id": "#IID"})[["#IID", "SEX", "PHENO1", "height"]].to_csv(
        folder / "plink.psam", sep="\t", index=False
    )
    return Path(simulated)


def run_plink(plink2: str, cohort: Path, out: Path, *options: str) -> None:
    subprocess.run(
        [
            plink2, "--vcf", str(cohort / "cohort.vcf.gz"), "--psam", str(cohort / "plink.psam"),
            "--split-par", "b38", "--threads", "1", "--out", str(out), *options,
        ],
        check=True, capture_output=True,
    )  # fmt: skip


def compare(ours: pd.DataFrame, plink: pd.DataFrame) -> dict[str, float]:
    """Agreement of two scans on the sites both could test (PAR sites included)."""
    assert len(ours) == len(plink)
    assert (ours["pos"].to_numpy() == plink["POS"].to_numpy()).all()
    both = ours["pvalue"].notna().to_numpy() & plink["P"].notna().to_numpy()
    assert both.sum() > 0.95 * len(plink)
    ours, plink = ours[both], plink[both]
    autosomal = (plink["#CHROM"].astype(str) != "X").to_numpy()
    top = 20
    return {
        "spearman": scipy_stats.spearmanr(-np.log10(ours["pvalue"]), -np.log10(plink["P"]))[0],
        "same_top": len(
            set(np.argsort(ours["pvalue"].to_numpy())[:top])
            & set(np.argsort(plink["P"].to_numpy())[:top])
        ),
        "beta": float(np.max(np.abs(ours["beta"].to_numpy() - plink["BETA"].to_numpy()))),
        # Relative SE differences: nearly all sites agree to 1e-6; a few logistic
        # fits differ by up to 2% (PLINK 2's single-precision solver?), so both
        # the 99th percentile and the largest are reported.
        "se_p99": float(np.quantile(np.abs(ours["se"] / plink["SE"] - 1), 0.99)),
        "se_max": float(np.max(np.abs(ours["se"] / plink["SE"] - 1))),
        # --glm's A1_FREQ on chrX is of the model's coding (a male counts as two
        # copies); vcfml's a1_freq is --freq's on every contig (checked below).
        "a1_freq": float(np.max(np.abs(ours["a1_freq"] - plink["A1_FREQ"])[autosomal])),
        "n": int(np.max(np.abs(ours["n"].to_numpy() - plink["OBS_CT"].to_numpy()))),
    }


def test_logistic_scan_with_pcs_agrees_with_plink2(plink2, cohort, tmp_path):
    # vcfml's PCs go to both tools, so the comparison tests the scan, not the PCA.
    assert main(["pca", "--vcf", str(cohort / "cohort.vcf.gz"), "--pcs", "3",
                 "--out", str(tmp_path / "pcs.tsv")]) == 0  # fmt: skip
    pcs = pd.read_csv(tmp_path / "pcs.tsv", sep="\t").rename(columns={"sample_id": "#IID"})
    pcs.to_csv(tmp_path / "pcs.cov", sep="\t", index=False)
    scan_out = tmp_path / "scan.tsv"
    assert main(["scan", "--vcf", str(cohort / "cohort.vcf.gz"),
                 "--samples", str(cohort / "samples.tsv"), "--target", "phenotype",
                 "--covariates", "sex", "--pcs", "3", "--out", str(scan_out)]) == 0  # fmt: skip
    # 'sex' puts PLINK's SEX column in every model, as --covariates sex does here.
    run_plink(plink2, cohort, tmp_path / "plink", "--covar", str(tmp_path / "pcs.cov"),
              "--glm", "sex", "omit-ref", "no-firth", "hide-covar", PLINK_COLUMNS)  # fmt: skip
    plink = pd.read_csv(tmp_path / "plink.PHENO1.glm.logistic", sep="\t")
    ours = pd.read_csv(scan_out, sep="\t")
    assert list(ours.columns) == [
        "chrom", "pos", "id", "ref", "alt", "a1", "a1_freq", "n", "beta", "se", "stat", "pvalue",
    ]  # fmt: skip
    agreement = compare(ours, plink)
    assert agreement["spearman"] >= 0.99
    assert agreement["same_top"] == 20
    assert agreement["beta"] < 1e-3
    assert agreement["se_p99"] < 1e-3 and agreement["se_max"] < 0.05
    assert agreement["a1_freq"] < 1e-5
    # The one allele frequency is PLINK 2's --freq, where a male chrX call counts once.
    run_plink(plink2, cohort, tmp_path / "freq", "--freq")
    frequency = pd.read_csv(tmp_path / "freq.afreq", sep="\t")
    np.testing.assert_allclose(ours["a1_freq"], frequency["ALT_FREQS"], atol=1e-5)
    assert agreement["n"] == 0
    in_par = plink["#CHROM"].astype(str).str.startswith("PAR").to_numpy()
    on_x = (ours["chrom"] == "chrX").to_numpy() & ~in_par
    assert on_x.sum() > 10  # the chrX coding (males 0/2, sex covariate) is part of the check
    assert in_par.any()  # and PAR1 sites, where men are diploid, are compared too


def test_linear_scan_agrees_with_plink2(plink2, cohort, tmp_path):
    scan_out = tmp_path / "scan.tsv"
    assert main(["scan", "--vcf", str(cohort / "cohort.vcf.gz"),
                 "--samples", str(cohort / "samples.tsv"), "--target", "height",
                 "--covariates", "sex,population", "--out", str(scan_out)]) == 0  # fmt: skip
    table = pd.read_csv(cohort / "samples.tsv", sep="\t")
    covariates = pd.DataFrame(
        {
            "#IID": table["sample_id"],
            "pop2": (table["population"] == "pop2").astype(int),
            "pop3": (table["population"] == "pop3").astype(int),
        }
    )
    covariates.to_csv(tmp_path / "pop.cov", sep="\t", index=False)
    run_plink(plink2, cohort, tmp_path / "plink", "--covar", str(tmp_path / "pop.cov"),
              "--pheno-name", "height", "--glm", "sex", "omit-ref", "hide-covar",
              PLINK_COLUMNS)  # fmt: skip
    plink = pd.read_csv(tmp_path / "plink.height.glm.linear", sep="\t")
    agreement = compare(pd.read_csv(scan_out, sep="\t"), plink)
    assert agreement["spearman"] >= 0.99
    assert agreement["same_top"] == 20
    assert agreement["beta"] < 1e-3
    assert agreement["se_p99"] < 1e-3 and agreement["se_max"] < 0.05


def test_pca_agrees_with_plink2(plink2, cohort, tmp_path):
    # every autosomal site (no MAF filter, no pruning), as plink2 --autosome; the
    # defaults (common, LD-pruned sites) are compared in tests/test_pca.py
    assert main(["pca", "--vcf", str(cohort / "cohort.vcf.gz"), "--pcs", "5", "--min-maf", "0",
                 "--no-prune", "--out", str(tmp_path / "pcs.tsv")]) == 0  # fmt: skip
    run_plink(plink2, cohort, tmp_path / "plink", "--autosome", "--pca", "5", "meanimpute")
    ours = pd.read_csv(tmp_path / "pcs.tsv", sep="\t")
    plink = pd.read_csv(tmp_path / "plink.eigenvec", sep="\t")
    assert ours["sample_id"].tolist() == plink["#IID"].tolist()
    eigenvalues = np.loadtxt(tmp_path / "plink.eigenval")
    from vcfml.stats import autosomal, pca

    genotypes = read_vcf(cohort / "cohort.vcf.gz")
    result = pca(genotypes.genotypes[:, autosomal(genotypes.variants["chrom"])], 5)
    np.testing.assert_allclose(result.eigenvalues, eigenvalues, rtol=1e-4)
    assert eigenvalues[0] > 5 * eigenvalues[2]  # two strong ancestry axes: three populations
    for index in range(1, 6):
        ours_pc, plink_pc = ours[f"PC{index}"].to_numpy(), plink[f"PC{index}"].to_numpy()
        sign = np.sign(ours_pc @ plink_pc)
        np.testing.assert_allclose(sign * ours_pc, plink_pc, atol=1e-5)


def test_score_test_ranks_like_the_wald_test(cohort):
    genotypes = read_vcf(cohort / "cohort.vcf.gz")
    dataset = join_samples(genotypes, cohort / "samples.tsv", covariates=["sex", "population"])
    covariates = dataset.covariates.drop(columns="population=pop1")
    design = check_covariates(covariates)
    wald = logistic_scan(dataset.genotypes, dataset.target, design)
    score, _ = score_test(dataset.genotypes, dataset.target, design)
    both = np.isfinite(score) & np.isfinite(wald.stat)
    assert scipy_stats.spearmanr(score[both], wald.stat[both] ** 2)[0] >= 0.99
    top_score = set(np.argsort(-np.nan_to_num(score, nan=-1))[:20])
    top_wald = set(np.argsort(-np.nan_to_num(wald.stat**2, nan=-1))[:20])
    assert len(top_score & top_wald) >= 18


def test_adjusted_screen_no_longer_prefers_chrx(liability_like):
    """With a sex effect, unadjusted chrX dosage is a proxy for sex (males 0/1,
    females 0/1/2): the unadjusted screen fills its top 20 with chrX sites,
    the sex-adjusted one does not."""
    dataset, causal = liability_like
    top = {}
    for label, covariates in (("raw", None), ("adjusted", dataset.covariates.to_numpy(float))):
        screen = GenotypeScreen(n_sites=20).fit(dataset.genotypes, dataset.target, covariates)
        kept = dataset.variants.iloc[screen.ranking_[:20]]
        top[label] = ((kept["chrom"] == "chrX").sum(), kept["id"].isin(causal).sum())
    assert top["raw"][0] >= 10
    assert top["adjusted"][0] <= 5
    assert top["adjusted"][1] >= top["raw"][1]


@pytest.fixture(scope="module")
def liability_like():
    cohort = simulate_liability(n_samples=600, n_sites=1500, seed=5, sex_effect=1.0)
    from vcfml.io.vcf_reader import GenotypeMatrix

    samples = list(cohort.samples["sample_id"])
    matrix = GenotypeMatrix(cohort.genotypes, cohort.variants, samples)
    dataset = join_samples(matrix, cohort.samples.set_index("sample_id"), covariates=["sex"])
    return dataset, {site["id"] for site in cohort.truth["causal_sites"]}


def test_association_table_has_no_negative_or_spurious_nan_scores(liability_like):
    dataset, _ = liability_like
    genotypes = dataset.genotypes.copy()
    genotypes[:, 0] = 0  # monomorphic: untestable
    genotypes[:, 1] = 0
    # Two ALT copies, one in a case and one in a control: near-constant but testable.
    genotypes[[np.argmax(dataset.target == 1), np.argmax(dataset.target == 0)], 1] = 1
    table = association_table(replace(dataset, genotypes=genotypes))
    assert (table["score"].dropna() >= 0).all()
    assert np.isnan(table.loc[0, "pvalue"])
    assert table.loc[0, "rank"] > table["pvalue"].notna().sum()  # untestable sites come last
    assert np.isfinite(table.loc[1, "pvalue"]) and np.isfinite(table.loc[1, "score"])


def test_allele_frequency_counts_each_call_by_its_ploidy():
    # samples x sites; sample 0 and 1 male, 2 female; site 1 is non-PAR chrX.
    genotypes = np.array([[1, 1], [0, -1], [2, 2]], dtype=np.int8)
    haploid = haploid_in_males(np.array(["chr1", "chrX"]), np.array([100, 5_000_000]))
    ploidy = call_ploidy(haploid, np.array([True, True, False]))
    np.testing.assert_allclose(allele_frequency(genotypes, ploidy), [3 / 6, 3 / 3])
    np.testing.assert_allclose(allele_frequency(genotypes), [3 / 6, 3 / 4])  # all diploid
    assert call_ploidy(haploid, np.array([False, False, False])) == 2
    in_par = haploid_in_males(np.array(["chrX", "chrX"]), np.array([2_000_000, 3_000_000]))
    assert in_par.tolist() == [False, True]


def test_reader_af_is_the_stats_allele_frequency(cohort):
    genotypes = read_vcf(cohort / "cohort.vcf.gz")
    table = pd.read_csv(cohort / "samples.tsv", sep="\t").set_index("sample_id")
    male = (table.loc[genotypes.samples, "sex"] == "male").to_numpy()
    # The simulator writes haploid male calls on chrX outside the GRCh38 PARs.
    haploid = haploid_in_males(genotypes.variants["chrom"], genotypes.variants["pos"], "GRCh38")
    frequency = allele_frequency(genotypes.genotypes, call_ploidy(haploid, male))
    np.testing.assert_allclose(frequency, genotypes.variants["af"])


def test_missingness_and_hardy_weinberg():
    genotypes = np.array([[0, -1]] * 50 + [[1, 0]] * 20 + [[2, 1]] * 30, dtype=np.int8)
    np.testing.assert_allclose(missingness(genotypes), [0, 0.5])
    result = hardy_weinberg(genotypes)
    p = (2 * 30 + 20) / 200
    expected = np.array([100 * (1 - p) ** 2, 200 * p * (1 - p), 100 * p**2])
    chi2 = (((np.array([50, 20, 30]) - expected) ** 2) / expected).sum()
    assert result.loc[0, "chi2"] == pytest.approx(chi2)
    assert result.loc[0, "pvalue"] == pytest.approx(scipy_stats.chi2.sf(chi2, 1))
    assert result.loc[0, "pvalue"] < 1e-8  # far too few heterozygotes
    assert (result.loc[1, ["hom_ref", "het", "hom_alt"]] == [20, 30, 0]).all()


@pytest.mark.parametrize(
    ("change", "options", "message"),
    [
        (None, ["--covariates", "sex,weight"], "covariate column 'weight' is not in the table"),
        (None, ["--covariates", "site"], "covariate 'site=clinic' has the same value"),
        (
            None,
            ["--covariates", "age,age_months"],
            "covariate 'age' is collinear with 'age_months'",
        ),
        ("one_class", [], "target 'phenotype' has one value (1) for every sample"),
        ("drop_row", [], "1 samples of cohort.vcf.gz have no row: sample_0002"),
        ("extra_row", [], "1 samples are not in cohort.vcf.gz: sample_9999"),
    ],
)
def test_scan_bad_inputs(cohort, tmp_path, capsys, change, options, message):
    table = pd.read_csv(cohort / "samples.tsv", sep="\t")
    if change == "one_class":
        table["phenotype"] = 1
    elif change == "drop_row":
        table = table[table["sample_id"] != "sample_0002"]
    elif change == "extra_row":
        table = pd.concat([table, table.iloc[[0]].assign(sample_id="sample_9999")])
    samples = tmp_path / "samples.tsv"
    table.to_csv(samples, sep="\t", index=False)
    out = tmp_path / "scan.tsv"
    status = main(["scan", "--vcf", str(cohort / "cohort.vcf.gz"), "--samples", str(samples),
                   *options, "--out", str(out)])  # fmt: skip
    error = capsys.readouterr().err.strip()
    assert status == 1
    assert error.count("\n") == 0 and error.startswith(f"vcfml: error: {samples}")
    assert message in error
    assert not out.exists()


def test_linear_score_test_is_the_partial_correlation():
    """For a quantitative target the score statistic is n * (partial r)^2 up to
    the degrees of freedom: it ranks sites exactly as the partial correlation."""
    rng = np.random.default_rng(1)
    n = 300
    covariate = rng.normal(size=n)
    genotypes = rng.binomial(2, 0.3, size=(n, 50)).astype(np.int8)
    y = 0.5 * covariate + 0.3 * genotypes[:, 3] + rng.normal(size=n)
    design = np.column_stack([np.ones(n), covariate])
    statistic, _ = score_test(genotypes, y, design, binary=False)
    projection = design @ np.linalg.pinv(design)
    residual_y = y - projection @ y
    residual_g = genotypes - projection @ genotypes
    partial = (residual_g.T @ residual_y) / (
        np.linalg.norm(residual_g, axis=0) * np.linalg.norm(residual_y)
    )
    np.testing.assert_allclose(statistic, (n - 2) * partial**2, rtol=1e-8)
    assert np.argmax(statistic) == 3


def test_compiled_newton_sums_equal_the_formulas():
    """The one-pass sums of the logistic scan are X'WX and X'(y - p) of every site's
    own design (missing calls left out), for any subset of the block's sites, and
    X'X (called samples) without a target: the variance-inflation check's sums."""
    from vcfml.stats.logistic_sums import column_products, newton_sums, odds_against

    rng = np.random.default_rng(8)
    n, b, c = 61, 9, 4  # 61: the last group of four samples is padded
    design = np.column_stack([np.ones(n), rng.normal(size=(n, c - 1))])
    y = (rng.random(n) < 0.4).astype(float)
    called = (rng.random((n, b)) > 0.1).astype(float)
    dosage = rng.integers(0, 3, (n, b)).astype(float) * called
    sites = np.array([0, 3, 4, 8])
    coefficients = rng.normal(scale=0.3, size=(len(sites), c + 1))
    products = column_products(design)
    empty = np.empty(0)
    odds = odds_against(dosage, sites, design, coefficients)
    information, gradient = newton_sums(dosage, called, sites, design, products, y, odds)
    unweighted, zero = newton_sums(dosage, called, sites, design, products, empty, odds)
    for row, site in enumerate(sites):
        keep = called[:, site] == 1
        x = np.column_stack([design, dosage[:, site]])[keep]
        p = 1 / (1 + np.exp(-(x @ coefficients[row])))
        np.testing.assert_allclose(information[row], (x * (p * (1 - p))[:, None]).T @ x, rtol=1e-12)
        np.testing.assert_allclose(gradient[row], x.T @ (y[keep] - p), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(unweighted[row], x.T @ x, rtol=1e-12)
    np.testing.assert_array_equal(zero, 0.0)


def test_the_first_step_from_the_null_fit_needs_no_sigmoid_per_site():
    """Given the covariates-only probabilities, the first step's sums are those of
    coefficients (null, 0): the dosage does not move the probability yet."""
    from vcfml.stats.logistic_sums import column_products, newton_sums, odds_against

    rng = np.random.default_rng(9)
    n, b, c = 50, 6, 3
    design = np.column_stack([np.ones(n), rng.normal(size=(n, c - 1))])
    y = (rng.random(n) < 0.5).astype(float)
    called = (rng.random((n, b)) > 0.2).astype(float)
    dosage = rng.integers(0, 3, (n, b)).astype(float) * called
    null = np.array([-0.3, 0.5, -0.2])
    coefficients = np.tile(np.append(null, 0.0), (b, 1))
    sites, products = np.arange(b), column_products(design)
    odds = odds_against(dosage, sites, design, coefficients)
    general = newton_sums(dosage, called, sites, design, products, y, odds)
    start = np.exp(-(design @ null))[:, None]  # one column: the same odds at every site
    shortcut = newton_sums(dosage, called, sites, design, products, y, start)
    for mine, theirs in zip(shortcut, general, strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-14)


def test_pca_and_scan_refuse_bad_requests(cohort, tmp_path, capsys):
    vcf = str(cohort / "cohort.vcf.gz")
    assert main(["pca", "--vcf", vcf, "--pcs", "0", "--out", str(tmp_path / "p.tsv")]) == 1
    assert "the number of PCs must be at least 1, got 0" in capsys.readouterr().err
    missing_folder = tmp_path / "absent" / "scan.tsv"
    status = main(["scan", "--vcf", vcf, "--samples", str(cohort / "samples.tsv"),
                   "--out", str(missing_folder)])  # fmt: skip
    assert status == 1 and "does not exist" in capsys.readouterr().err
    status = main(["scan", "--vcf", vcf, "--samples", str(cohort / "samples.tsv"),
                   "--target", "population", "--out", str(tmp_path / "s.tsv")])  # fmt: skip
    error = capsys.readouterr().err
    assert status == 1 and "target 'population' has 3 text values" in error


def _sexed_dataset(with_sex: bool) -> Dataset:
    """Four men and four women; site 1 is non-PAR chrX where only the men carry ALT
    (frequency 4 / 12 = 1/3 counting a man's call once, 4 / 16 counting it twice);
    site 2 is in PAR1, where men are diploid."""
    genotypes = np.array([[0, 1, 1]] * 4 + [[1, 0, 0]] * 4, dtype=np.int8)
    covariates = pd.DataFrame({"sex=male": [1.0] * 4 + [0.0] * 4, "age": np.arange(8.0)})
    return Dataset(
        genotypes=genotypes,
        variants=pd.DataFrame(
            {
                "chrom": ["chr1", "chrX", "chrX"],
                "pos": [100, 5_000_000, 1_000_000],
                "id": ["a", "b", "c"],
                "ref": ["A"] * 3,
                "alt": ["G"] * 3,
            }
        ),
        covariates=covariates if with_sex else covariates[["age"]],
        target=np.array([0, 1] * 4),
        target_labels=("0", "1"),
        samples=[f"s{i}" for i in range(8)],
        contigs={"chrX": 156_040_895},
    )


def test_screen_counts_a_male_chrx_call_once():
    dataset = _sexed_dataset(with_sex=True)
    ploidy = screen_ploidy(dataset)
    assert ploidy.tolist() == [[2, 1, 2]] * 4 + [[2, 2, 2]] * 4
    assert screen_ploidy(dataset, np.array([0, 5])).tolist() == [[2, 1, 2], [2, 2, 2]]
    assert screen_ploidy(_sexed_dataset(with_sex=False)) == 2  # sex unknown: diploid
    # The MAF filter at 0.3 keeps site 1 (MAF 1/3) only when the ploidy is right.
    kept = GenotypeScreen(n_sites=3, min_maf=0.3).fit(
        dataset.genotypes, dataset.target, None, ploidy
    )
    np.testing.assert_allclose(kept.maf_, [0.25, 1 / 3, 0.25])
    assert 1 in kept.selected_
    naive = GenotypeScreen(n_sites=3, min_maf=0.3)
    with pytest.raises(VcfmlError, match="no variants left"):
        naive.fit(dataset.genotypes, dataset.target, None)


def test_automl_search_screens_with_the_call_ploidy(monkeypatch):
    seen = []
    fit = GenotypeScreen.fit

    def spy(self, genotypes, y, covariates=None, ploidy=2, **options):
        seen.append(np.asarray(ploidy).copy())
        return fit(self, genotypes, y, covariates, ploidy, **options)

    monkeypatch.setattr(GenotypeScreen, "fit", spy)
    dataset = _sexed_dataset(with_sex=True)
    rng = np.random.default_rng(0)
    covariates = pd.concat([dataset.covariates] * 5, ignore_index=True)
    men = covariates["sex=male"].to_numpy() == 1
    genotypes = rng.integers(0, 3, (40, 3)).astype(np.int8)
    genotypes[men, 1] = np.minimum(genotypes[men, 1], 1)  # one X outside the PARs
    dataset = replace(
        dataset,
        genotypes=genotypes,
        covariates=covariates,
        target=rng.permutation(np.array([0, 1] * 20)),
        samples=[f"s{i}" for i in range(40)],
    )
    run_automl(dataset, AutoMLSettings(max_trials=1, folds=2, estimators=["logistic"]))
    assert len(seen) >= 3  # two folds and the refit
    for ploidy in seen:
        assert set(np.unique(ploidy[:, 1])) == {1, 2}  # men once at non-PAR chrX
        assert (ploidy[:, [0, 2]] == 2).all()  # autosome and PAR1: twice


def _write_one_copy_cohort(folder: Path) -> None:
    """A cohort whose one-copy calls are written diploid, as GATK writes them:
    men's non-PAR chrX calls ``0/0``/``1/1`` (a few ``0/1``), chrY written haploid
    for men (women ``.``), the mitochondrion ``0/0``/``1/1`` in everyone (a few
    ``0/1``). Every man has ``1/1`` calls on chrX, everyone on MT."""
    rng = np.random.default_rng(7)
    n = 160
    male = np.arange(n) % 2 == 0
    header = [
        "##fileformat=VCFv4.2",
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        *(f"##contig=<ID={name}>" for name in ("1", "Y", "MT")),
        "##contig=<ID=X,length=156040895>",
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t"
        + "\t".join(f"s{i}" for i in range(n)),
    ]
    lines = []
    for j, (chrom, pos) in enumerate(
        [("1", 1000 + 10 * j) for j in range(10)]
        + [("X", 5_000_000 + 10 * j) for j in range(25)]
        + [("Y", 3_000_000 + 10 * j) for j in range(6)]
        + [("MT", 100 + 10 * j) for j in range(8)]
    ):
        p = rng.uniform(0.3, 0.5)
        calls = []
        for i in range(n):
            one_copy = chrom == "MT" or (chrom in ("X", "Y") and male[i])
            alt = int(rng.random() < p)
            if rng.random() < 0.03:
                calls.append("./.")
            elif chrom == "Y":
                calls.append(str(alt) if male[i] else ".")
            elif one_copy:
                calls.append("0/1" if rng.random() < 0.04 else f"{alt}/{alt}")
            else:
                calls.append(f"{alt}/{int(rng.random() < p)}")
        lines.append(f"{chrom}\t{pos}\tv{j}\tA\tG\t.\tPASS\t.\tGT\t" + "\t".join(calls))
    (folder / "one_copy.vcf").write_text("\n".join(header + lines) + "\n")
    age = rng.normal(50, 10, n).round(2)
    y = (rng.random(n) < 0.4).astype(int)
    qt = rng.normal(0, 1, n).round(4)
    pd.DataFrame(
        {"sample_id": [f"s{i}" for i in range(n)], "sex": np.where(male, "male", "female"),
         "phenotype": y, "qt": qt, "age": age}
    ).to_csv(folder / "samples.tsv", sep="\t", index=False)  # fmt: skip
    pd.DataFrame(
        {"#IID": [f"s{i}" for i in range(n)], "SEX": np.where(male, 1, 2), "PHENO1": y + 1,
         "qt": qt, "age": age}
    ).to_csv(folder / "plink.psam", sep="\t", index=False)  # fmt: skip


@pytest.mark.parametrize(("target", "suffix"), [("phenotype", "PHENO1.glm.logistic"),
                                                 ("qt", "qt.glm.linear")])  # fmt: skip
def test_one_copy_calls_written_diploid_read_as_plink2(plink2, tmp_path, target, suffix):
    """Men's ``1/1`` on non-PAR chrX is one copy (``0/1`` half of one), chrY leaves the
    women out, MT is one copy in everyone: scan and --freq agree with PLINK 2."""
    _write_one_copy_cohort(tmp_path)
    vcf = tmp_path / "one_copy.vcf"
    assert main(["scan", "--vcf", str(vcf), "--samples", str(tmp_path / "samples.tsv"),
                 "--target", target, "--covariates", "age",
                 "--out", str(tmp_path / "scan.tsv")]) == 0  # fmt: skip
    ours = pd.read_csv(tmp_path / "scan.tsv", sep="\t")
    common = [plink2, "--vcf", str(vcf), "--psam", str(tmp_path / "plink.psam"),
              "--threads", "1"]  # fmt: skip
    subprocess.run([*common, "--freq", "--out", str(tmp_path / "freq")],
                   check=True, capture_output=True)  # fmt: skip
    subprocess.run([*common, "--covar", str(tmp_path / "plink.psam"), "--covar-name", "age",
                    "--pheno-name", "PHENO1" if target == "phenotype" else "qt",
                    "--glm", "omit-ref", "no-firth", "hide-covar", PLINK_COLUMNS,
                    "--out", str(tmp_path / "plink")], check=True, capture_output=True)  # fmt: skip
    frequency = pd.read_csv(tmp_path / "freq.afreq", sep="\t")
    np.testing.assert_allclose(ours["a1_freq"], frequency["ALT_FREQS"], atol=1e-5)
    plink = pd.read_csv(tmp_path / f"plink.{suffix}", sep="\t")
    assert (ours["n"] == plink["OBS_CT"]).all()  # chrY: the men only
    both = ours["beta"].notna() & plink["BETA"].notna()
    assert both.mean() > 0.9
    for contig in ("X", "Y", "MT"):
        assert (both & (ours["chrom"].astype(str) == contig)).sum() >= 5
    np.testing.assert_allclose(ours["beta"][both], plink["BETA"][both], atol=1e-4)
    np.testing.assert_allclose(ours["se"][both], plink["SE"][both], rtol=1e-3)


def test_written_diploid_one_copy_calls_count_once_in_the_frequency():
    # Two men (rows 0-1), one woman; one non-PAR chrX site where the men are ALT.
    ploidy = call_ploidy(np.array([True]), np.array([True, True, False]))
    haploid = np.array([[1], [1], [1]], dtype=np.int8)
    diploid = np.array([[2], [2], [1]], dtype=np.int8)  # the men written 1/1
    np.testing.assert_allclose(allele_frequency(haploid, ploidy), [3 / 4])
    np.testing.assert_allclose(allele_frequency(diploid, ploidy), [3 / 4])
    # Man 0 is written 0/1 at the first site and 1/1 at the second: the 0/1 is half
    # an ALT allele. How a man's calls were written is judged over all the sites.
    two_sites = call_ploidy(np.array([True, True]), np.array([True, True, False]))
    het = np.array([[1, 2], [2, 2], [1, 0]], dtype=np.int8)
    np.testing.assert_allclose(allele_frequency(het, two_sites), [2.5 / 4, 2 / 4])
    np.testing.assert_allclose(allele_frequency(het[:, :1], two_sites[:, :1]), [3 / 4])
    # The AutoML screen's MAF filter uses the same rule.
    screen = GenotypeScreen(n_sites=1).fit(diploid, np.array([0, 1, 0]), None, ploidy)
    np.testing.assert_allclose(screen.maf_, [1 / 4])


def test_scan_without_sex_codes_chrx_like_plink2_and_says_so(plink2, tmp_path, capsys):
    """Without a sex column PLINK 2 counts every chrX call as two alleles (samples of
    unknown sex); vcfml does the same, and warns, naming the missing column."""
    _write_one_copy_cohort(tmp_path)
    table = pd.read_csv(tmp_path / "samples.tsv", sep="\t").drop(columns="sex")
    table.to_csv(tmp_path / "no_sex.tsv", sep="\t", index=False)
    psam = pd.read_csv(tmp_path / "plink.psam", sep="\t").drop(columns="SEX")
    psam.to_csv(tmp_path / "no_sex.psam", sep="\t", index=False)
    vcf = tmp_path / "one_copy.vcf"
    assert main(["scan", "--vcf", str(vcf), "--samples", str(tmp_path / "no_sex.tsv"),
                 "--target", "qt", "--out", str(tmp_path / "scan.tsv")]) == 0  # fmt: skip
    error = capsys.readouterr().err
    assert "no_sex.tsv: no sex given (a 'sex' column in the samples table)" in error
    assert "25 chrX sites outside the PARs are coded like autosomes" in error
    subprocess.run([plink2, "--vcf", str(vcf), "--psam", str(tmp_path / "no_sex.psam"),
                    "--freq", "--out", str(tmp_path / "freq")],
                   check=True, capture_output=True)  # fmt: skip
    ours = pd.read_csv(tmp_path / "scan.tsv", sep="\t")
    frequency = pd.read_csv(tmp_path / "freq.afreq", sep="\t")
    on_x = (ours["chrom"].astype(str) == "X").to_numpy()
    np.testing.assert_allclose(ours["a1_freq"][on_x], frequency["ALT_FREQS"][on_x], atol=1e-5)


def test_badly_scaled_covariate_gives_the_centred_result_and_plink2s(plink2, cohort, tmp_path):
    """A year-of-birth covariate (mean 1960, SD 10) made the single-precision Newton
    steps never settle: sites came back NaN with no word. Now the covariates are
    standardized inside the scan; the genotype's results do not depend on it."""
    table = pd.read_csv(cohort / "samples.tsv", sep="\t")
    centred = np.random.default_rng(1).normal(0, 1, len(table)).round(3)
    table["centred"] = centred
    table["birth_year"] = 1960 + 10 * centred
    table.to_csv(tmp_path / "samples.tsv", sep="\t", index=False)
    scans = {}
    for covariate in ("centred", "birth_year"):
        out = tmp_path / f"{covariate}.tsv"
        assert main(["scan", "--vcf", str(cohort / "cohort.vcf.gz"),
                     "--samples", str(tmp_path / "samples.tsv"), "--target", "phenotype",
                     "--covariates", f"sex,{covariate}", "--out", str(out)]) == 0  # fmt: skip
        scans[covariate] = pd.read_csv(out, sep="\t")
    year, centred_scan = scans["birth_year"], scans["centred"]
    assert year["beta"].isna().sum() == centred_scan["beta"].isna().sum() < 0.05 * len(year)
    np.testing.assert_allclose(year["beta"], centred_scan["beta"], atol=1e-5)
    np.testing.assert_allclose(year["se"], centred_scan["se"], rtol=1e-4)
    table.rename(columns={"sample_id": "#IID"})[["#IID", "birth_year"]].to_csv(
        tmp_path / "year.cov", sep="\t", index=False
    )
    # PLINK 2 refuses this covariate ("scales vary too widely") unless told to
    # standardize it, which is what vcfml now does by itself.
    run_plink(plink2, cohort, tmp_path / "plink", "--covar", str(tmp_path / "year.cov"),
              "--covar-variance-standardize", "--glm", "sex", "omit-ref", "no-firth",
              "hide-covar", PLINK_COLUMNS)  # fmt: skip
    plink = pd.read_csv(tmp_path / "plink.PHENO1.glm.logistic", sep="\t")
    agreement = compare(year, plink)
    assert agreement["beta"] < 1e-3
    assert agreement["se_p99"] < 1e-3


def test_logistic_scan_counts_and_reports_fits_that_do_not_converge():
    rng = np.random.default_rng(0)
    y = np.repeat([0.0, 1.0], 100)
    genotypes = rng.binomial(2, 0.3, (200, 4)).astype(np.int8)
    genotypes[:, 0] = np.where(y == 1, 0, genotypes[:, 0])  # only controls carry ALT
    design = check_covariates(pd.DataFrame({"year": 1960 + 10 * rng.normal(size=200)}))
    # Separation: the effect runs off and Newton never settles; the site is counted.
    with pytest.warns(UserWarning, match="1 of 4 sites did not converge in 25 Newton steps"):
        result = logistic_scan(genotypes, y, design)
    assert result.not_converged.tolist() == [True, False, False, False]
    assert np.isnan(result.beta[0]) and np.isfinite(result.beta[1:]).all()


def test_linear_scan_is_exact_for_a_phenotype_with_a_large_mean():
    rng = np.random.default_rng(2)
    n = 2000
    genotypes = rng.binomial(2, 0.3, (n, 3)).astype(np.int8)
    covariate = rng.normal(1000, 1, n)
    y = 1e6 + 0.1 * genotypes[:, 0] + rng.normal(0, 1, n)
    design = check_covariates(pd.DataFrame({"c": covariate}))
    result = linear_scan(genotypes, y, design)
    for site in range(3):
        x = np.column_stack([design, genotypes[:, site]])
        coefficients, residual, *_ = np.linalg.lstsq(x, y - 1e6, rcond=None)
        sigma2 = residual[0] / (n - x.shape[1])
        se = np.sqrt(sigma2 * np.linalg.inv(x.T @ x)[-1, -1])
        assert result.beta[site] == pytest.approx(coefficients[-1], rel=1e-7)
        assert result.se[site] == pytest.approx(se, rel=1e-7)


def test_par_bounds_against_plink2_split_par(plink2, tmp_path):
    """The inner PAR bounds agree with ``plink2 --split-par b38``; at the telomeric
    ends (N-masked sequence) PLINK 2 says PAR and vcfml, with the GRC bounds, not."""
    positions = [5000, 10_000, 10_001, 2_781_479, 2_781_480, 155_701_382, 155_701_383,
                 156_030_895, 156_030_896, 156_040_000]  # fmt: skip
    lines = [
        "##fileformat=VCFv4.2",
        "##contig=<ID=X,length=156040895>",
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ts0",
        *(f"X\t{pos}\tv{pos}\tA\tG\t.\t.\t.\tGT\t0/1" for pos in positions),
    ]
    (tmp_path / "par.vcf").write_text("\n".join(lines) + "\n")
    subprocess.run([plink2, "--vcf", str(tmp_path / "par.vcf"), "--split-par", "b38",
                    "--make-just-pvar", "--out", str(tmp_path / "par")],
                   check=True, capture_output=True)  # fmt: skip
    records = [line.split("\t") for line in (tmp_path / "par.pvar").read_text().splitlines()]
    records = [fields for fields in records if not fields[0].startswith("#")]
    assert [int(fields[1]) for fields in records] == positions
    plink_par = np.array([fields[0].startswith("PAR") for fields in records])
    ours_par = ~haploid_in_males(np.array(["X"] * len(positions)), np.array(positions))
    ends = np.isin(positions, [5000, 10_000, 156_030_896, 156_040_000])
    assert (ours_par == plink_par)[~ends].all()
    assert plink_par[ends].all() and not ours_par[ends].any()


def test_covariates_that_separate_the_target_are_an_error(cohort, tmp_path, capsys):
    """The covariates-only logistic fit had no check: when a covariate alone told
    cases from controls, every site came back NaN (logistic scan) or p ~ 1 (the
    score test the AutoML screen ranks by), with no word."""
    rng = np.random.default_rng(0)
    y = np.repeat([0.0, 1.0], 100)
    genotypes = rng.binomial(2, 0.3, (200, 5)).astype(np.int8)
    score = np.where(y == 1, rng.uniform(0.001, 1, 200), rng.uniform(-1, -0.001, 200))
    design = check_covariates(pd.DataFrame({"score": score}))
    for test in (logistic_scan, score_test):
        with pytest.raises(VcfmlError, match="covariates alone predict every sample's target"):
            test(genotypes, y, design)
    # A rare level seen only in cases (quasi-separation): every site's fit would run
    # off, so the scan refuses it; the score test (the AutoML screen) is fine with it.
    rare = np.zeros(200)
    rare[-3:] = 1
    quasi = check_covariates(pd.DataFrame({"rare": rare}))
    with pytest.raises(VcfmlError, match="predict the target of 3 samples exactly"):
        logistic_scan(genotypes, y, quasi)
    statistic, pvalue = score_test(genotypes, y, quasi)
    assert np.isfinite(statistic).all() and (pvalue < 1).all()
    # The command names the samples table.
    table = pd.read_csv(cohort / "samples.tsv", sep="\t")
    table["score"] = np.where(table["phenotype"] == 1, 1.0, -1.0) + rng.uniform(0, 0.5, len(table))
    table.to_csv(tmp_path / "samples.tsv", sep="\t", index=False)
    status = main(["scan", "--vcf", str(cohort / "cohort.vcf.gz"),
                   "--samples", str(tmp_path / "samples.tsv"), "--covariates", "score",
                   "--out", str(tmp_path / "scan.tsv")])  # fmt: skip
    error = capsys.readouterr().err
    assert status == 1
    assert f"{tmp_path / 'samples.tsv'}: the covariates alone predict every sample's" in error
    assert not (tmp_path / "scan.tsv").exists()


def test_a_ploidy_with_other_rows_than_the_genotypes_is_named():
    """Exercise 5.2's slip: one population's rows of the genotypes with every
    sample's ploidy. numpy's broadcast error did not say so; the message does."""
    rng = np.random.default_rng(0)
    genotypes = rng.integers(0, 3, size=(10, 4)).astype(np.int8)
    ploidy = np.full((10, 4), 2, dtype=np.int8)
    ploidy[:5, 3] = 1  # five men's calls at a non-PAR chrX site
    rows = np.arange(10) >= 4
    with pytest.raises(ValueError, match=r"\(10, 4\) but the genotypes \(6, 4\): 10 rows") as error:
        allele_frequency(genotypes[rows], ploidy)
    assert "take the same rows of ploidy (ploidy[rows])" in str(error.value)
    expected = allele_frequency(genotypes[rows], ploidy[rows])  # the right answer runs
    assert expected.shape == (4,)
    assert allele_frequency(genotypes, 2).shape == (4,)  # one number for all still broadcasts


def test_separation_is_found_by_comparing_dosages_without_fitting():
    from vcfml.stats.logistic_sums import separates

    y = np.array([1, 1, 1, 0, 0, 0])
    called = np.ones((6, 5))
    called[0, 4] = 0  # the only case without ALT is missing: still separated
    dosage = np.array(
        [
            [1, 0, 2, 1, 0],
            [2, 1, 2, 0, 1],
            [1, 0, 1, 1, 1],
            [0, 0, 1, 0, 0],
            [0, 1, 1, 0, 0],
            [0, 0, 0, 2, 0],
        ],
        dtype=float,
    )
    # 0: ALT only in cases; 1: carriers on both sides; 2: cases >= 1 >= controls
    # (a threshold with ties); 3: overlap; 4: ALT only in called cases.
    assert separates(dosage, called, y).tolist() == [True, False, True, False, True]


def test_separated_sites_are_counted_as_the_double_precision_fit_would(monkeypatch):
    """The shortcut gives the verdict 25 Newton steps give: no site changes side."""
    from vcfml.stats import logistic_sums

    rng = np.random.default_rng(3)
    y = np.repeat([0.0, 1.0], 150)
    genotypes = rng.binomial(2, 0.005, (300, 400)).astype(np.int8)  # rare: few carriers
    design = check_covariates(pd.DataFrame({"age": rng.normal(50, 10, 300)}))
    with pytest.warns(UserWarning, match="did not converge"):
        quick = logistic_scan(genotypes, y, design)
    monkeypatch.setattr(logistic_sums, "separates", lambda d, m, y: np.zeros(d.shape[1], bool))
    with pytest.warns(UserWarning, match="did not converge"):
        iterated = logistic_scan(genotypes, y, design)
    assert quick.not_converged.sum() > 20
    np.testing.assert_array_equal(quick.not_converged, iterated.not_converged)
    np.testing.assert_allclose(quick.pvalue, iterated.pvalue, rtol=1e-12)  # NaN where NaN
