"""The honest engine (issue 14): a test estimate nothing in the search saw, a
budget kept by mechanisms, explanations out of sample, a scikit-learn model."""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.calibration import CalibrationDisplay
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import cross_val_score

from vcfml import read_vcf
from vcfml.automl import AutoMLSettings, run_automl
from vcfml.automl.estimators import FIRST_TREES, build_estimator, fit_before
from vcfml.automl.metrics import METRICS, bootstrap_scores
from vcfml.cli import main
from vcfml.errors import VcfmlError
from vcfml.explain import BudgetSpent, importance_table, run_importance, shap_units, shap_values
from vcfml.features import Dataset, join_samples
from vcfml.simulate import simulate


def quick(**overrides) -> AutoMLSettings:
    values = {"deterministic": True, "max_trials": 8, "verbose": 0, "seed": 1}
    values.update(overrides)
    return AutoMLSettings(**values)


def noise_dataset(n_samples: int = 600, n_sites: int = 2000, seed: int = 0) -> Dataset:
    """Genotypes and a phenotype drawn independently: nothing to learn."""
    rng = np.random.default_rng(seed)
    frequency = rng.uniform(0.05, 0.5, n_sites)
    genotypes = rng.binomial(2, frequency, size=(n_samples, n_sites)).astype(np.int8)
    variants = pd.DataFrame(
        {
            "chrom": "chr1",
            "pos": np.arange(1, n_sites + 1) * 100,
            "id": [f"rs{i}" for i in range(n_sites)],
            "ref": "A",
            "alt": "G",
        }
    )
    samples = [f"S{i:04d}" for i in range(n_samples)]
    return Dataset(
        genotypes=genotypes,
        variants=variants,
        covariates=pd.DataFrame(index=pd.Index(samples, name="sample_id")),
        target=rng.permutation(np.repeat([0, 1], n_samples // 2)).astype(np.int8),
        target_labels=("control", "case"),
        samples=samples,
        covariate_levels={},
    )


def read_cohort(cohort, folder, **options) -> Dataset:
    path = cohort.write(folder)
    return join_samples(read_vcf(path / "cohort.vcf.gz"), path / "samples.tsv", **options)


@pytest.fixture(scope="module")
def liability_dataset(liability_dir) -> Dataset:
    return join_samples(read_vcf(liability_dir / "cohort.vcf.gz"), liability_dir / "samples.tsv")


def test_noise_phenotype_test_estimate_is_chance():
    """600 x 2,000 pure noise: the search's best looks like signal; the test
    estimate, which nothing in the search saw, is consistent with 0.5."""
    result = run_automl(noise_dataset(), quick(max_trials=12, seed=0))
    test = result.test_metrics["roc_auc"]
    low, high = test["ci95"]
    assert abs(test["mean"] - 0.5) <= 0.08
    assert low <= 0.5 <= high
    assert test["n_samples"] == 120 and len(result.test_samples) == 120
    assert result.test_score == test["mean"]


def test_liability_test_estimate_matches_a_large_new_cohort(tmp_path):
    """The test estimate is within 0.04 of the AUC the saved model gets on 4,000
    new people drawn from the same model (another sample seed)."""
    spec = {"seed": 21, "n_sites": 800, "missing_rate": 0.0}
    train = read_cohort(simulate("liability", n_samples=1000, **spec), tmp_path / "train")
    result = run_automl(train, quick(max_trials=10, ensemble=False))
    other = simulate("liability", n_samples=4000, sample_seed=99, **spec)
    large = read_cohort(other, tmp_path / "large", covariate_levels=result.model.covariate_levels)
    large_auc = roc_auc_score(large.target, result.model.predict_proba(large)[:, 1])
    assert abs(result.test_score - large_auc) <= 0.04, (result.test_score, large_auc)
    assert result.refit_on_all and result.model is not result.holdout_model


def test_test_size_zero_switches_the_estimate_off(liability_dataset):
    result = run_automl(liability_dataset, quick(test_size=0, max_trials=3))
    assert result.test_metrics is None and result.test_score is None
    assert result.holdout_model is None and result.test_samples == []
    with pytest.raises(VcfmlError, match="test_size must be in"):
        AutoMLSettings(test_size=1.2).resolved()


def test_bootstrap_interval_holds_the_score_and_narrows_with_samples():
    rng = np.random.default_rng(3)
    intervals = {}
    for n in (100, 1600):
        y = rng.integers(0, 2, n)
        p = np.clip(0.5 + 0.2 * (y - 0.5) + rng.normal(0, 0.25, n), 0.01, 0.99)
        scores = bootstrap_scores(y, p, n_resamples=200, seed=0)
        assert set(scores) == set(METRICS)
        for name, values in scores.items():
            assert values["mean"] == pytest.approx(METRICS[name].score(y, p))
            assert values["ci95"][0] <= values["mean"] <= values["ci95"][1]
        intervals[n] = np.diff(scores["roc_auc"]["ci95"])[0]
    assert intervals[1600] < intervals[100] / 2  # about 1/sqrt(16) as wide
    # A deadline already passed still gives the minimum of resamples.
    y = rng.integers(0, 2, 100)
    cut = bootstrap_scores(y, rng.random(100), seed=0, deadline=0.0)
    assert cut["roc_auc"]["n_resamples"] == 100


@pytest.mark.parametrize("name", ["random_forest", "extra_trees", "lightgbm"])
def test_fits_stop_at_the_deadline(name):
    rng = np.random.default_rng(0)
    x, y = rng.random((200, 30)), rng.integers(0, 2, 200)
    params = {
        "random_forest": {"n_estimators": 200, "max_features": 0.3, "min_samples_leaf": 2},
        "lightgbm": {
            "n_estimators": 300,
            "num_leaves": 8,
            "learning_rate": 0.05,
            "min_child_samples": 5,
            "colsample_bytree": 1.0,
            "reg_lambda": 1.0,
        },
    }
    params["extra_trees"] = params["random_forest"]
    late = build_estimator(name, params[name], 0)
    assert not fit_before(late, x, y, deadline=time.perf_counter() - 1)
    grown = len(late.estimators_) if name != "lightgbm" else late.booster_.num_trees()
    assert grown == (FIRST_TREES if name != "lightgbm" else 1)
    assert late.predict_proba(x).shape == (200, 2)
    # Time enough: the same model as a plain fit.
    timely, plain = build_estimator(name, params[name], 0), build_estimator(name, params[name], 0)
    assert fit_before(timely, x, y, deadline=time.perf_counter() + 3600)
    plain.fit(x, y)
    np.testing.assert_allclose(timely.predict_proba(x), plain.predict_proba(x))


def test_the_refits_may_use_the_budget_to_its_end(liability_dataset, monkeypatch):
    """The final refit stops at the end of the usable budget (the budget less
    what the caller reserved), not at a share of it (it was cut at 90% while
    time was left: review, "Truncated refit with budget left"); the refit for
    the test estimate leaves the final one its estimated time. The deadlines
    are read from the fits, so no wall-clock time is asserted."""
    import vcfml.automl.estimators as estimators
    import vcfml.automl.search as search

    deadlines: dict[int, list[float | None]] = {}

    def spy(estimator, features, y, deadline):
        deadlines.setdefault(len(y), []).append(deadline)
        return fit_before(estimator, features, y, deadline)

    monkeypatch.setattr(search, "fit_before", spy)  # the trials
    monkeypatch.setattr(estimators, "fit_before", spy)  # the refits (FittedModel.fit)
    started, budget, reserved = time.perf_counter(), 3600.0, 600.0
    settings = AutoMLSettings(budget=budget, max_trials=3, ensemble=False, verbose=0, seed=1)
    result = run_automl(liability_dataset, settings, started=started, reserved_seconds=reserved)
    n_all = len(liability_dataset.samples)
    n_search = n_all - len(result.test_samples)
    assert result.refit_on_all and not result.notes
    assert deadlines[n_all] == [started + (budget - reserved)]
    (holdout,) = deadlines[n_search]
    assert started < holdout < started + (budget - reserved)


def test_a_spent_budget_screens_one_fold_and_keeps_the_search_model(liability_dataset):
    """A run whose budget is already spent when it starts: one fold screened,
    one trial, no vote, and the refit on all samples skipped with a note."""
    settings = AutoMLSettings(budget=5, verbose=0, seed=1)
    result = run_automl(liability_dataset, settings, started=time.perf_counter() - 100)
    board = result.leaderboard
    assert len(board) == 1 and board["folds"].tolist() == ["1"]
    assert not result.refit_on_all and result.model is result.holdout_model
    assert any("kept the model fitted on the" in note for note in result.notes)
    assert result.test_metrics["roc_auc"]["n_resamples"] == 100  # the minimum
    # The folds the budget dropped are said, never silent (review S9).
    assert (result.folds_used, result.folds_planned) == (1, 5)
    assert any("scored every trial on 1 of the 5 folds" in note for note in result.notes)


def test_cli_skips_importance_and_mlflow_when_no_budget_is_left(liability_dir, tmp_path, capsys):
    out = tmp_path / "run"
    status = main(
        [
            "automl",
            "--vcf",
            str(liability_dir / "cohort.vcf.gz"),
            "--samples",
            str(liability_dir / "samples.tsv"),
            "--out",
            str(out),
            "--budget",
            "0.01",  # spent by reading the VCF
            "--quiet",
            "--tracking-uri",
            f"sqlite:///{tmp_path / 'mlflow.db'}",
        ]
    )
    assert status == 0
    printed = capsys.readouterr().out
    assert "skipped the importance" in printed and "skipped MLflow logging" in printed
    assert "search score of the chosen trial 1 (" in printed
    assert "mean over folds 1 (1 of the 5 folds asked for: budget)" in printed
    # no time for the pairs screen of the default screen="auto": said, and in metrics.json
    assert "note: skipped the pairs screen (interactions)" in printed
    assert json.loads((out / "metrics.json").read_text())["screens"] == ["marginal"]
    assert "note: scored every trial on 1 of the 5 folds" in printed
    assert "test estimate on 60 held-out samples (the number to quote)" in printed
    assert not (tmp_path / "mlflow.db").exists()
    importance = pd.read_csv(out / "importance.tsv", sep="\t")
    assert importance.empty and list(importance.columns) == [
        "feature",
        "chrom",
        "pos",
        "importance",
        "rank",
    ]
    run = json.loads((out / "run.json").read_text())
    assert run["importance_method"] is None and len(run["notes"]) >= 2


def test_importance_is_measured_on_the_test_samples_with_the_run_metric(liability_dataset):
    settings = quick(metric="balanced_accuracy", estimators=["logistic"], max_trials=3)
    result = run_automl(liability_dataset, settings)
    table = run_importance(result, liability_dataset)
    assert table.attrs["samples"] == "held-out test"
    shared = sum(name in result.model.variant_names for name in result.holdout_model.variant_names)
    assert table.attrs["model"].startswith("the model fitted on the search samples")
    assert (
        f"has {shared} of this model's {len(result.holdout_model.variants)} sites"
        in (table.attrs["model"])
    )
    assert table.attrs["units"] == "drop in balanced_accuracy"
    assert table.attrs["n_samples"] == len(result.test_samples) == 60
    assert list(table["feature"]).count(result.holdout_model.feature_names[0]) == 1
    # No time left: the importance says so instead of overrunning the budget.
    with pytest.raises(BudgetSpent, match="of the budget are left"):
        run_importance(result, liability_dataset, deadline=time.perf_counter() - 1)


@pytest.mark.parametrize(
    ("name", "units"), [("random_forest", "probability"), ("lightgbm", "log-odds")]
)
def test_shap_units_are_what_the_values_add_up_to(liability_dataset, name, units):
    result = run_automl(liability_dataset, quick(estimators=[name], max_trials=1, n_sites=20))
    model = result.model
    assert shap_units(model) == units
    features = model.features(liability_dataset)[:2]
    values = shap_values(model, features)
    probability = model.estimator_.predict_proba(features)[:, 1]
    output = probability if units == "probability" else np.log(probability / (1 - probability))
    # SHAP values are additive in the model's output: their difference between
    # two people is the difference of that output.
    assert values[0].sum() - values[1].sum() == pytest.approx(output[0] - output[1], abs=1e-4)
    table = importance_table(model, liability_dataset.subset(range(40)))
    assert table.attrs["units"] == f"mean |SHAP value| ({units})"


def test_the_model_is_a_scikit_learn_pipeline(liability_dataset, tmp_path):
    result = run_automl(liability_dataset, quick(max_trials=4))
    model = result.model
    assert [name for name, _ in model.pipeline_.steps] == ["align", "screen", "model"]
    probability = model.pipeline_.predict_proba(liability_dataset)
    assert probability.shape == (300, 2) and list(model.pipeline_.classes_) == [0, 1]
    np.testing.assert_allclose(probability.sum(axis=1), 1)
    # The model itself speaks the target's labels, as a scikit-learn classifier.
    assert list(model.classes_) == list(liability_dataset.target_labels)
    np.testing.assert_allclose(model.predict_proba(liability_dataset), probability)
    case = probability[:, 1] >= 0.5
    np.testing.assert_array_equal(
        model.predict(liability_dataset), model.classes_[case.astype(int)]
    )
    # The pipeline itself takes a Dataset or its table, as scikit-learn tools need.
    frame = liability_dataset.to_frame()
    np.testing.assert_allclose(model.pipeline_.predict_proba(frame), probability, rtol=1e-6)
    np.testing.assert_allclose(
        model.pipeline_.predict_proba(liability_dataset), probability, rtol=1e-6
    )
    scores = cross_val_score(
        clone(model.pipeline_), frame, liability_dataset.target, cv=3, scoring="roc_auc"
    )
    assert scores.shape == (3,) and np.all((scores > 0.5) & (scores <= 1))
    display = CalibrationDisplay.from_estimator(
        model.pipeline_, frame, liability_dataset.target, n_bins=5
    )
    assert len(display.prob_true) >= 2
    with pytest.raises(TypeError, match="vcfml Dataset or its table"):
        model.pipeline_.predict_proba(np.zeros((3, 3)))


def test_the_fitted_model_keeps_scikit_learn_s_contract(liability_dataset):
    """FittedModel is a scikit-learn classifier: clone gives it unfitted (it was a
    dataclass that clone refused), fit refits all of it, fitted state ends in _."""
    from sklearn.base import is_classifier
    from sklearn.exceptions import NotFittedError

    model = run_automl(liability_dataset, quick(max_trials=4)).model
    assert is_classifier(model) and model.get_params()["estimator_name"] == model.estimator_name
    fresh = clone(model)
    assert fresh.get_params()["pipeline"] is not model.pipeline
    assert not hasattr(fresh, "pipeline_") and not hasattr(fresh, "classes_")
    with pytest.raises(NotFittedError):
        fresh.predict_proba(liability_dataset)
    assert list(fresh.variants["pos"]) == list(model.variants["pos"])  # a parameter
    # Refitted on the same samples: the same model (the search's fit is seeded).
    fresh.fit(liability_dataset)
    assert fresh.complete_ and list(fresh.classes_) == list(model.classes_)
    np.testing.assert_allclose(
        fresh.predict_proba(liability_dataset), model.predict_proba(liability_dataset)
    )
    # scikit-learn's tools refit it; the labels or the dataset's 0/1 codes are its y.
    frame, labels = liability_dataset.to_frame(), model.predict(liability_dataset)
    scores = cross_val_score(clone(model), frame, liability_dataset.target, cv=3)
    assert scores.shape == (3,) and np.all((scores > 0.5) & (scores <= 1))
    assert model.score(frame, labels) == 1.0
    with pytest.raises(ValueError, match="are not the model's"):
        clone(model).fit(frame, np.where(liability_dataset.target == 1, "sick", "well"))
    other = Dataset(**{**vars(liability_dataset), "target_labels": ("well", "sick")})
    with pytest.raises(ValueError, match="target labels"):
        clone(model).fit(other)
