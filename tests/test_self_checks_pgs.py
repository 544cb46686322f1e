"""Exercise 4.3's self-check (AutoML or a polygenic score?): the right answer,
wrong answers it must reject with a message naming the mistake, and right
answers written differently."""

from __future__ import annotations

import numpy as np
import pytest

from vcfml.automl.baselines import BaselineReport, BaselineResult
from vcfml.check import exercise_4_3
from vcfml.check.pgs import model_name


def _report(test: dict[str, float], folds: dict[str, float], automl: float, ci95) -> BaselineReport:
    """A run's report: each baseline's test and fold score, AutoML's test score and
    its paired interval against the best baseline."""
    results = [
        BaselineResult(
            name=name,
            params={},
            fold_scores=[{"roc_auc": folds[name]}] * 3,
            n_sites=0,
            seconds=0.0,
            test_metrics={"roc_auc": {"mean": score, "ci95": [score - 0.05, score + 0.05]}},
            test_probability=np.zeros(4),
        )
        for name, score in test.items()
    ]
    best = max(folds, key=folds.get)
    comparison = {"automl": automl, "baseline": best, "ci95": list(ci95), "metric": "roc_auc"}
    return BaselineReport(results, "roc_auc", comparison=comparison)


@pytest.fixture
def runs():
    """Additive: the lasso wins the test, C+T the folds, AutoML within the noise.
    Dominance: AutoML wins, beyond the noise."""
    reports = {
        "additive": _report(
            {"covariates_only": 0.60, "clump_threshold": 0.78, "penalized_logistic": 0.80},
            {"covariates_only": 0.61, "clump_threshold": 0.83, "penalized_logistic": 0.79},
            automl=0.79,
            ci95=(-0.04, 0.02),
        ),
        "dominance": _report(
            {"covariates_only": 0.60, "clump_threshold": 0.66, "penalized_logistic": 0.67},
            {"covariates_only": 0.60, "clump_threshold": 0.65, "penalized_logistic": 0.66},
            automl=0.75,
            ci95=(0.03, 0.13),
        ),
    }
    search = {"additive": 0.81, "dominance": 0.74}
    return reports, search


RIGHT_WINNERS = {"additive": "penalized_logistic", "dominance": "automl"}
RIGHT_DEPLOY = {"additive": "penalized_logistic", "dominance": "automl"}


def test_right_answer(runs, capsys):
    reports, search = runs
    assert exercise_4_3(reports, RIGHT_WINNERS, RIGHT_DEPLOY, search)
    assert "✅" in capsys.readouterr().out


def test_right_but_different(runs, capsys):
    """Other spellings, and C+T instead of the lasso where AutoML's gain is noise."""
    reports, search = runs
    assert exercise_4_3(
        reports,
        {"additive": "Lasso", "dominance": "AutoML"},
        {"additive": "C+T", "dominance": "automl"},
    )
    assert exercise_4_3(
        reports,
        {"additive": "baseline:penalized_logistic", "dominance": "automl"},
        {"additive": "lasso", "dominance": "AutoML"},
        search,
    )


@pytest.mark.parametrize(
    ("winners", "deploy", "named"),
    [
        # the winner picked on the search folds (C+T's 0.83), not on the test
        ({"additive": "clump_threshold", "dominance": "automl"}, RIGHT_DEPLOY, "search folds"),
        # the lowest test score
        ({"additive": "covariates_only", "dominance": "automl"}, RIGHT_DEPLOY, "lowest"),
        # AutoML deployed although its gain is within the noise
        (RIGHT_WINNERS, {"additive": "automl", "dominance": "automl"}, "does not lie above zero"),
        # a baseline deployed although AutoML's gain is beyond the noise
        (RIGHT_WINNERS, {"additive": "lasso", "dominance": "lasso"}, "lies above zero"),
        # the floor deployed
        (RIGHT_WINNERS, {"additive": "covariates_only", "dominance": "automl"}, "floor"),
        # a cohort left out, a name that is no model, not a dictionary
        ({"additive": "lasso"}, RIGHT_DEPLOY, "no answer for dominance"),
        (RIGHT_WINNERS, {"additive": "random forest", "dominance": "automl"}, "names no model"),
        (RIGHT_WINNERS, ["lasso", "automl"], "not a dictionary"),
    ],
)
def test_wrong_answers(runs, capsys, winners, deploy, named):
    reports, search = runs
    assert not exercise_4_3(reports, winners, deploy, search)
    out = capsys.readouterr().out
    assert "❌" in out and named in out


def test_model_names():
    assert model_name("C+T") == "clump_threshold"
    assert model_name(" LASSO ") == "penalized_logistic"
    assert model_name("baseline:covariates_only") == "covariates_only"
    assert model_name("gradient boosting") is None
