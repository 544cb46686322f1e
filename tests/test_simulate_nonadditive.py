"""The liability model's non-additive modes (dominance, epistatic): their
Bayes-optimal probabilities are exact (checked against the cases drawn, a Monte
Carlo estimate) and the non-additive variance is what ``nonadditive_share`` says."""

from __future__ import annotations

import json

import numpy as np
import pytest

from vcfml.cli import main
from vcfml.simulate import simulate


def _causal_calls(cohort) -> np.ndarray:
    ids = [site["id"] for site in cohort.truth["causal_sites"]]
    columns = cohort.variants.reset_index(drop=True).index[cohort.variants["id"].isin(ids)]
    return cohort.genotypes[:, columns]


@pytest.mark.parametrize("mode", ["dominance", "epistatic"])
def test_bayes_probabilities_match_monte_carlo(mode):
    """Two causal sites and sex make at most 18 kinds of people; within each,
    the share of cases drawn must match the Bayes probability (Monte Carlo
    error only). A wrong model (the additive part alone) must not match."""
    cohort = simulate(
        "liability", seed=7, n_samples=40_000, n_sites=20, n_causal=2, mode=mode,
        h2=0.6, nonadditive_share=0.7, missing_rate=0.0, min_maf=0.3, prevalence=0.3,
    )  # fmt: skip
    probability = cohort.case_probability
    phenotype = cohort.samples["phenotype"].to_numpy()
    calls = _causal_calls(cohort)
    male = (cohort.samples["sex"] == "male").to_numpy()
    kinds = calls[:, 0] * 6 + calls[:, 1] * 2 + male
    checked, worst = 0, 0.0
    for kind in np.unique(kinds):
        inside = kinds == kind
        if inside.sum() < 200:
            continue
        p = probability[inside]
        assert np.ptp(p) < 1e-12  # the probability depends on the genotypes and sex only
        standard_error = np.sqrt(p[0] * (1 - p[0]) / inside.sum())
        worst = max(worst, abs(phenotype[inside].mean() - p[0]) / standard_error)
        checked += 1
    assert checked >= 12 and worst < 4.5
    # The truth is not additive: on the probit scale, dosages and sex leave much
    # of the genetic part unexplained (an additive model would leave nothing).
    from scipy.stats import norm

    probit = norm.ppf(probability)
    design = np.column_stack([np.ones(len(kinds)), calls, male])
    residual = probit - design @ np.linalg.lstsq(design, probit, rcond=None)[0]
    assert residual.var() > 0.2 * probit.var()


@pytest.mark.parametrize("mode", ["dominance", "epistatic"])
def test_nonadditive_share_of_the_genetic_variance(mode):
    """The dosage's linear fit explains (1 - share) of the genetic variance, in a
    single population at the ancestral frequencies (up to sampling)."""
    cohort = simulate(
        "liability", seed=2, n_samples=30_000, n_sites=40, n_causal=8, mode=mode,
        h2=0.5, nonadditive_share=0.6, missing_rate=0.0, sex_effect=0.0,
    )  # fmt: skip
    calls = _causal_calls(cohort).astype(float)
    # genetic value = probit of the Bayes probability, rescaled (sex effect 0)
    from scipy.stats import norm

    threshold = cohort.truth["thresholds"][0]
    noise_sd = np.sqrt(1 - 0.5)
    genetic = threshold + noise_sd * norm.ppf(np.clip(cohort.case_probability, 1e-15, 1 - 1e-15))
    assert genetic.var() == pytest.approx(0.5, rel=0.1)
    design = np.column_stack([np.ones(len(calls)), calls])
    fitted = design @ np.linalg.lstsq(design, genetic, rcond=None)[0]
    additive_share = fitted.var() / genetic.var()
    assert additive_share == pytest.approx(0.4, abs=0.06)


def test_truth_and_cli(tmp_path, capsys):
    status = main(
        [
            "simulate", "--model", "liability", "--mode", "epistatic", "--samples", "200",
            "--sites", "100", "--causal", "6", "--nonadditive-share", "0.5", "--out",
            str(tmp_path / "epi"),
        ]
    )  # fmt: skip
    assert status == 0
    truth = json.loads((tmp_path / "epi" / "truth.json").read_text())
    assert truth["parameters"]["mode"] == "epistatic"
    assert truth["parameters"]["nonadditive_share"] == 0.5
    causal = [site["id"] for site in truth["causal_sites"]]
    assert [pair["sites"] for pair in truth["interactions"]] == [
        causal[0:2],
        causal[2:4],
        causal[4:6],
    ]
    assert main(["simulate", "--mode", "epistatic", "--causal", "1", "--out", str(tmp_path / "x")])
    assert "n_causal must be at least 2" in capsys.readouterr().err
    additive = simulate("liability", seed=1, n_samples=50, n_sites=30, n_causal=3)
    assert "nonadditive_share" not in additive.truth["parameters"]
    assert "interactions" not in additive.truth
    dominance = simulate(
        "liability", seed=1, n_samples=50, n_sites=30, n_causal=3, mode="dominance"
    )
    assert all("dominance_effect" in site for site in dominance.truth["causal_sites"])
