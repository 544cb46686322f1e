"""Phenotypes simulated on existing genotypes (``vcfml simulate --genotypes``)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from scipy.stats import norm

from vcfml.cli import main
from vcfml.errors import VcfmlInputError
from vcfml.io.vcf_reader import read_vcf
from vcfml.simulate.on_genotypes import simulate_on_genotypes, simulate_phenotype

HAPMAP3 = ROOT / "data" / "hapmap3"
N_SITES = 3000  # the first 3,000 HapMap 3 sites: enough for the statistics, fast


@pytest.fixture(scope="module")
def hapmap3():
    matrix = read_vcf(HAPMAP3 / "hapmap3.vcf.gz", region="1")
    samples = pd.read_csv(HAPMAP3 / "samples.tsv", sep="\t").set_index("sample_id")
    samples = samples.loc[matrix.samples]
    return matrix, (samples["sex"] == "male").to_numpy(), samples["population"].tolist()


def _mean_liability(matrix, truth, male, population) -> np.ndarray:
    """The mean liability recomputed from truth.json alone: standardised dosages
    (missing calls 0) times the standardised effects, plus sex and population."""
    ids = matrix.variants["id"].tolist()
    genetic = np.zeros(matrix.n_samples)
    for site in truth["causal_sites"]:
        dosage = matrix.genotypes[:, ids.index(site["id"])].astype(float)
        x = (dosage - site["dosage_mean"]) / site["dosage_sd"]
        genetic += np.where(dosage < 0, 0.0, x) * site["effect_standardised"]
    shift = np.array([truth["population_effects"].get(p, 0.0) for p in population])
    return genetic + truth["sex_effect"]["male"] * male + shift


def test_genetic_variance_is_h2_and_probabilities_follow_the_truth(hapmap3):
    matrix, male, population = hapmap3
    result = simulate_phenotype(
        matrix.genotypes, matrix.variants, matrix.samples, causal=8, h2=0.4,
        prevalence=0.15, male=male, sex_effect=0.5, population=population,
        population_effects={"YRI": 0.7, "CEU": -0.3}, seed=3,
    )  # fmt: skip
    truth = result.truth
    mean = _mean_liability(matrix, truth, male, population)
    genetic = mean - truth["sex_effect"]["male"] * male
    genetic -= np.array([truth["population_effects"].get(p, 0.0) for p in population])
    assert genetic.var() == pytest.approx(0.4, abs=1e-4)
    assert (matrix.genotypes[:, [matrix.variants["id"].tolist().index(s["id"])
            for s in truth["causal_sites"]]] < 0).any()  # fmt: skip
    expected = norm.sf((truth["threshold"] - mean) / np.sqrt(0.6))
    probability = np.array([truth["case_probability"][s] for s in matrix.samples])
    np.testing.assert_allclose(probability, expected, atol=2e-5)
    assert probability.mean() == pytest.approx(0.15, abs=1e-6)
    # per-allele effects: (dosage - 2 f) * effect is the same genetic value on called sites
    site = truth["causal_sites"][0]
    assert site["effect"] == pytest.approx(site["effect_standardised"] / site["dosage_sd"], 1e-4)
    assert site["allele_frequency"] == pytest.approx(site["dosage_mean"] / 2, abs=1e-6)


def test_bayes_probability_matches_monte_carlo(hapmap3):
    matrix, male, population = hapmap3
    truth = simulate_phenotype(
        matrix.genotypes, matrix.variants, matrix.samples, causal=5, h2=0.5,
        prevalence=0.3, male=male, sex_effect=0.4, seed=11,
    ).truth  # fmt: skip
    mean = _mean_liability(matrix, truth, male, population)
    rng = np.random.default_rng(0)
    draws = 20_000
    noise = rng.standard_normal((draws, 1)) * np.sqrt(0.5)
    monte_carlo = (mean[None, :] + noise > truth["threshold"]).mean(axis=0)
    probability = np.array([truth["case_probability"][s] for s in matrix.samples])
    # binomial SE at most 0.5 / sqrt(20,000) = 0.0035: 5 SE
    assert np.abs(monte_carlo - probability).max() < 0.018


def test_realised_h2_and_prevalence_over_seeds(hapmap3):
    matrix = hapmap3[0]
    genotypes, variants = matrix.genotypes[:, :N_SITES], matrix.variants.iloc[:N_SITES]
    prevalences, r2, cases_where_likely = [], [], []
    for seed in range(60):
        binary = simulate_phenotype(
            genotypes, variants, matrix.samples, causal=10, h2=0.5, prevalence=0.2, seed=seed
        )
        prevalences.append(binary.samples["phenotype"].mean())
        probability = np.array(list(binary.truth["case_probability"].values()))
        cases_where_likely.append(binary.samples["phenotype"][probability > 0.5].mean())
        quantitative = simulate_phenotype(
            genotypes, variants, matrix.samples, causal=10, h2=0.5, prevalence=None, seed=seed
        )
        ids = variants["id"].tolist()
        columns = [ids.index(site["id"]) for site in quantitative.truth["causal_sites"]]
        x = genotypes[:, columns].astype(float)
        x = np.where(x < 0, np.nanmean(np.where(x < 0, np.nan, x), axis=0), x)
        design = np.column_stack([np.ones(len(x)), x])
        y = quantitative.samples["phenotype"].to_numpy()
        residual = y - design @ np.linalg.lstsq(design, y, rcond=None)[0]
        n, k = design.shape
        r2.append(1 - residual.var() * (n - 1) / (n - k) / y.var(ddof=1))  # adjusted R²
    # one cohort's prevalence has SD sqrt(0.2 * 0.8 / 957) = 0.013; 60 cohorts: 0.0017
    assert np.mean(prevalences) == pytest.approx(0.2, abs=0.006)
    assert np.std(prevalences) == pytest.approx(0.013, abs=0.006)
    # the regression on the true causal sites explains h2 (SE of the mean about 0.003)
    assert np.mean(r2) == pytest.approx(0.5, abs=0.012)
    assert np.mean(cases_where_likely) > 0.5


def test_causal_sites_by_id_and_errors(hapmap3, tmp_path):
    matrix, _, population = hapmap3
    ids = matrix.variants["id"].tolist()
    result = simulate_phenotype(
        matrix.genotypes, matrix.variants, matrix.samples, causal=[ids[7], ids[2]], seed=1
    )
    assert [site["id"] for site in result.truth["causal_sites"]] == [ids[2], ids[7]]
    with pytest.raises(ValueError, match="causal site 'rs0' is not in the VCF"):
        simulate_phenotype(matrix.genotypes, matrix.variants, matrix.samples, causal=["rs0"])
    flat = matrix.genotypes.copy()
    flat[:, 4] = 1
    with pytest.raises(ValueError, match="without variation"):
        simulate_phenotype(flat, matrix.variants, matrix.samples, causal=[ids[4]])
    for bad, message in [
        ({"h2": 1.0}, "h2 must be between 0 and 1"),
        ({"prevalence": 0.0}, "prevalence must be between 0 and 1"),
        ({"causal": 0}, "causal must be between 1 and"),
        ({"sex_effect": 0.5}, "a sex effect needs each sample's sex"),
        ({"population_effects": {"YRI": 1.0}}, "population effects need"),
    ]:
        with pytest.raises(ValueError, match=message):
            simulate_phenotype(matrix.genotypes, matrix.variants, matrix.samples, **bad)
    with pytest.raises(ValueError, match=r"populations not in the data: \['XYZ'\]"):
        simulate_phenotype(
            matrix.genotypes, matrix.variants, matrix.samples, population=population,
            population_effects={"XYZ": 1.0},
        )  # fmt: skip
    table = tmp_path / "samples.tsv"
    pd.DataFrame({"sample_id": matrix.samples[:10], "sex": "male"}).to_csv(table, sep="\t")
    with pytest.raises(VcfmlInputError, match="947 samples of the VCF are not in the table"):
        simulate_on_genotypes(HAPMAP3 / "hapmap3.vcf.gz", samples_table=table, causal=3)


def test_cli_writes_samples_and_truth(tmp_path, capsys):
    vcf = str(HAPMAP3 / "hapmap3.vcf.gz")
    out = tmp_path / "D"
    ids = tmp_path / "ids.txt"
    ids.write_text("rs3748592\nrs9442373\n")
    table = str(HAPMAP3 / "samples.tsv")
    options = ["--causal", f"@{ids}", "--h2", "0.3", "--quantitative", "--samples-table", table]
    effects = ["--sex-effect", "0.2", "--population-effects", "MKK:0.5", "--seed", "4"]
    code = main(["simulate", "--genotypes", vcf, *options, *effects, "--out", str(out)])
    assert code in (0, None)
    samples = pd.read_csv(out / "samples.tsv", sep="\t")
    assert list(samples.columns) == ["sample_id", "sex", "population", "phenotype"]
    assert samples["phenotype"].dtype == float
    truth = json.loads((out / "truth.json").read_text())
    assert [s["id"] for s in truth["causal_sites"]] == ["rs3748592", "rs9442373"]
    assert truth["population_effects"] == {"MKK": 0.5} and truth["parameters"]["h2"] == 0.3
    assert truth["genotypes"]["vcf"] == vcf
    assert "best possible R²" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--model", "liability", "--causal", "rs1,rs2"], "is a number, not a list"),
        (["--quantitative"], "--quantitative only apply with --genotypes"),
        (["--genotypes", "G.vcf.gz", "--sites", "10"], "do not apply with --genotypes: --sites"),
        (
            ["--genotypes", "G.vcf.gz", "--model", "classic"],
            "do not apply with --genotypes: --model",
        ),
        (
            ["--genotypes", "G.vcf.gz", "--quantitative", "--prevalence", "0.1"],
            "exclude each other",
        ),
        (["--genotypes", "missing.vcf.gz"], "missing.vcf.gz"),
    ],
)
def test_cli_refuses_what_does_not_apply(tmp_path, capsys, arguments, message):
    code = main(["simulate", *arguments, "--out", str(tmp_path / "D")])
    assert code == 1
    assert message in capsys.readouterr().err
