"""The genetics baselines (covariates only, clumping + thresholding, lasso):
the C+T score against ``plink2 --score``, clumping, no look at the test
samples, and their place in every ``vcfml automl`` run."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import reference_tool

from vcfml.automl import AutoMLSettings
from vcfml.automl.baselines import (
    BASELINES,
    BaselineResult,
    _ClumpedScan,
    _Part,
    compare_with_best,
    run_baselines,
)
from vcfml.automl.by_population import population_column, scores_by_group
from vcfml.automl.splits import holdout_split
from vcfml.cli import main
from vcfml.features import Dataset, join_samples
from vcfml.io.vcf_reader import read_vcf
from vcfml.simulate import simulate
from vcfml.stats import mean_dosage
from vcfml.stats.clump import clump, polygenic_score


@pytest.fixture(scope="module")
def cohort_dir(tmp_path_factory) -> Path:
    """Two populations, 20 causal sites, some missing calls."""
    cohort = simulate(
        "liability", seed=4, n_samples=500, n_sites=1500, n_causal=15, n_populations=2,
        fst=0.1, missing_rate=0.02, h2=0.6,
    )  # fmt: skip
    return cohort.write(tmp_path_factory.mktemp("baselines"))


@pytest.fixture(scope="module")
def dataset(cohort_dir) -> Dataset:
    return join_samples(
        read_vcf(cohort_dir / "cohort.vcf.gz"), cohort_dir / "samples.tsv", covariates=["sex"]
    )


def test_clump_keeps_one_site_per_ld_block():
    rng = np.random.default_rng(0)
    base = rng.integers(0, 3, 200)
    other = rng.integers(0, 3, 200)
    genotypes = np.column_stack([base, base, other, base]).astype(np.int8)
    genotypes[0, 1] = -1  # a missing call does not stop the pair from clumping
    chrom = np.array(["chr1", "chr1", "chr1", "chr2"])
    pos = np.array([1_000, 100_000, 150_000, 1_000])
    pvalues = np.array([1e-3, 1e-5, 1e-2, 1e-4])
    # Site 1 (best p) clumps site 0 (r2 ~ 1, 99 kb away); site 2 is unlinked;
    # site 3 is the same genotypes but on another contig.
    assert clump(genotypes, pvalues, chrom, pos).tolist() == [1, 3, 2]
    # Outside the window nothing is clumped; a NaN p-value is never kept.
    wide = clump(genotypes, pvalues, chrom, pos, window_kb=50)
    assert sorted(wide.tolist()) == [0, 1, 2, 3]
    assert 2 not in clump(genotypes, np.array([1e-3, 1e-5, np.nan, 1e-4]), chrom, pos)


def test_clump_threshold_score_equals_plink2_score(cohort_dir, dataset, tmp_path):
    plink2 = reference_tool("plink2", "plink2")
    part = _Part.of(dataset, np.arange(len(dataset.samples)))
    scan = _ClumpedScan(part, dataset, AutoMLSettings().resolved())
    assert 20 < len(scan.sites) < dataset.genotypes.shape[1]  # clumping removed something
    keep = scan.pvalue <= 0.2
    sites, weights = scan.sites[keep], scan.beta[keep]
    variants = dataset.variants.iloc[sites]
    pd.DataFrame({"ID": variants["id"], "A1": variants["alt"], "BETA": weights}).to_csv(
        tmp_path / "weights.tsv", sep="\t", index=False
    )
    subprocess.run(
        [
            plink2, "--vcf", str(cohort_dir / "cohort.vcf.gz"), "--threads", "1",
            "--score", str(tmp_path / "weights.tsv"), "1", "2", "3", "header",
            "cols=+scoresums", "--out", str(tmp_path / "plink"),
        ],
        check=True, capture_output=True,
    )  # fmt: skip
    plink = pd.read_csv(tmp_path / "plink.sscore", sep="\t").set_index("#IID")
    calls = dataset.genotypes[:, sites]
    assert (calls < 0).any()  # missing calls: both fill them with the mean dosage
    ours = polygenic_score(calls, weights, mean_dosage(calls))
    theirs = plink.loc[dataset.samples, "SCORE1_SUM"].to_numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-4)
    # The baseline itself scores with the same function on those sites.
    np.testing.assert_allclose(scan.score(dataset.genotypes, 0.2), ours)


def test_no_baseline_sees_the_test_samples(dataset):
    """A site equal to the phenotype in the test samples only (noise in the
    others): a baseline that looked at the test would find it."""
    settings = AutoMLSettings(seed=1).resolved()
    _, test = holdout_split(dataset.target, settings)
    rng = np.random.default_rng(0)
    planted = rng.integers(0, 3, len(dataset.samples)).astype(np.int8)
    planted[test] = 2 * dataset.target[test]
    genotypes = np.column_stack([dataset.genotypes, planted])
    variants = pd.concat(
        [
            dataset.variants,
            pd.DataFrame(
                {"chrom": ["chr1"], "pos": [5], "id": ["planted"], "ref": ["A"], "alt": ["G"]}
            ),
        ],
        ignore_index=True,
    )
    leaky = Dataset(
        genotypes, variants, dataset.covariates, dataset.target, dataset.target_labels,
        dataset.samples,
    )  # fmt: skip
    honest = {r.name: r for r in run_baselines(dataset, settings)}
    planted_run = {r.name: r for r in run_baselines(leaky, settings)}
    for name in BASELINES:
        before = honest[name].test_metrics["roc_auc"]["mean"]
        after = planted_run[name].test_metrics["roc_auc"]["mean"]
        # The planted site alone would score AUC 1 on the test samples.
        assert after < 0.95 and abs(after - before) < 0.05, name


def test_baselines_learn_the_signal(dataset):
    results = {r.name: r for r in run_baselines(dataset, AutoMLSettings(seed=0))}
    floor = results["covariates_only"].test_metrics["roc_auc"]["mean"]
    for name in ("clump_threshold", "penalized_logistic"):
        test = results[name].test_metrics["roc_auc"]
        assert test["mean"] > floor + 0.05, name
        assert test["ci95"][0] <= test["mean"] <= test["ci95"][1]
        assert results[name].n_sites > 0
    assert results["clump_threshold"].params["p_threshold"] in (
        5e-8, 1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.05, 0.1, 0.2, 0.5, 1.0,
    )  # fmt: skip


def test_paired_comparison():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    good = y + rng.normal(0, 0.8, 400)
    poor = y + rng.normal(0, 3, 400)

    def baseline(name, search_auc, probability):
        return BaselineResult(name, {}, [{"roc_auc": search_auc}], 1, 0.0, {}, probability)

    # The best baseline is chosen on the search folds, not on the test.
    chosen = compare_with_best(
        y, good, [baseline("a", 0.6, poor), baseline("b", 0.55, good)], "roc_auc"
    )
    assert chosen["baseline"] == "a"
    low, high = chosen["ci95"]
    assert 0 < low < chosen["difference"] < high
    same = compare_with_best(y, good, [baseline("a", 0.6, good)], "roc_auc")
    assert same["difference"] == 0 and same["ci95"] == [0.0, 0.0]


def test_scores_by_population():
    y = np.array([0, 1] * 50 + [1] * 10)
    probability = np.r_[np.tile([0.2, 0.8], 25), np.tile([0.8, 0.2], 25), np.full(10, 0.5)]
    groups = np.array(["A"] * 50 + ["B"] * 50 + ["C"] * 10)
    table = scores_by_group(y, {"m": probability}, groups, "roc_auc")
    assert table["A"]["m"]["mean"] == 1.0 and table["B"]["m"]["mean"] == 0.0
    assert table["C"]["m"] is None and table["C"]["n_cases"] == 10


def test_automl_run_reports_the_baselines(cohort_dir, tmp_path, capsys):
    out = tmp_path / "run"
    status = main(
        [
            "automl", "--vcf", str(cohort_dir / "cohort.vcf.gz"),
            "--samples", str(cohort_dir / "samples.tsv"), "--covariates", "sex",
            "--max-trials", "3", "--deterministic", "--out", str(out), "--no-track",
            "--quiet", "--seed", "2",
        ]
    )  # fmt: skip
    assert status == 0
    printed = capsys.readouterr().out
    assert "AutoML minus the best baseline" in printed
    assert "test by population: pop1" in printed and "test by population: pop2" in printed
    metrics = json.loads((out / "metrics.json").read_text())
    models = metrics["baselines"]["models"]
    assert set(models) == set(BASELINES)
    for model in models.values():
        assert model["test"]["roc_auc"]["n_samples"] == metrics["test"]["roc_auc"]["n_samples"]
    comparison = metrics["baselines"]["automl_minus_best"]
    assert comparison["automl"] == pytest.approx(metrics["test"]["roc_auc"]["mean"])
    best = models[comparison["baseline"]]["test"]["roc_auc"]["mean"]
    assert comparison["difference"] == pytest.approx(comparison["automl"] - best)
    by_population = metrics["test_by_population"]
    assert set(by_population) == {"pop1", "pop2"}
    assert sum(g["n_samples"] for g in by_population.values()) == 100
    leaderboard = pd.read_csv(out / "leaderboard.tsv", sep="\t")
    rows = leaderboard[leaderboard["estimator"].str.startswith("baseline:")]
    assert sorted(rows["estimator"]) == sorted(f"baseline:{name}" for name in BASELINES)
    assert rows["iteration"].isna().all() and rows["test_roc_auc"].notna().all()
    chosen = leaderboard[leaderboard["iteration"] == metrics["chosen_trial"]]
    assert chosen["test_roc_auc"].iloc[0] == pytest.approx(metrics["test"]["roc_auc"]["mean"])

    # vcfml predict scores each population of a labelled table as well.
    predictions = tmp_path / "predictions.tsv"
    assert main(
        [
            "predict", "--run", str(out), "--vcf", str(cohort_dir / "cohort.vcf.gz"),
            "--samples", str(cohort_dir / "samples.tsv"), "--out", str(predictions),
        ]
    ) == 0  # fmt: skip
    assert "by population: pop1" in capsys.readouterr().out
    report = json.loads(predictions.with_name("predictions.metrics.json").read_text())
    assert set(report["scores_by_population"]) == {"pop1", "pop2"}
    assert report["scores_by_population"]["pop1"]["model"]["mean"] > 0.5

    skipped = tmp_path / "lean"
    main(
        [
            "automl", "--vcf", str(cohort_dir / "cohort.vcf.gz"),
            "--samples", str(cohort_dir / "samples.tsv"), "--covariates", "sex",
            "--max-trials", "2", "--deterministic", "--out", str(skipped), "--no-track",
            "--quiet", "--no-baselines",
        ]
    )  # fmt: skip
    assert "baselines" not in json.loads((skipped / "metrics.json").read_text())
    assert "AutoML minus" not in capsys.readouterr().out


def test_population_column(cohort_dir, dataset):
    groups = population_column(cohort_dir / "samples.tsv", dataset.samples)
    assert set(groups) == {"pop1", "pop2"} and len(groups) == len(dataset.samples)
    table = pd.read_csv(cohort_dir / "samples.tsv", sep="\t").drop(columns="population")
    assert population_column(table.set_index("sample_id"), dataset.samples) is None


def test_fitted_baseline_scores_other_people(dataset):
    """``result.model`` is the refitted baseline: on the held-out test samples it
    gives the test probabilities again, and it scores people without a phenotype."""
    settings = AutoMLSettings(seed=0)
    _, test_rows = holdout_split(dataset.target, settings)
    test = dataset.subset(test_rows)
    unlabelled = Dataset(**{**test.__dict__, "target": np.array([], dtype=int)})
    for result in run_baselines(dataset, settings):
        np.testing.assert_allclose(result.model.predict_proba(test), result.test_probability)
        np.testing.assert_allclose(result.model.predict_proba(unlabelled), result.test_probability)


def test_lasso_is_reproducible(dataset):
    """Same data and settings, same lasso: liblinear's shuffling is seeded."""
    settings = AutoMLSettings(seed=0)
    first, second = (run_baselines(dataset, settings, ["penalized_logistic"])[0] for _ in "ab")
    assert first.n_sites == second.n_sites
    np.testing.assert_array_equal(first.test_probability, second.test_probability)
