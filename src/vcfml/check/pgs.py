"""Self-check for exercise 4.3: AutoML or a polygenic score?

The learner runs AutoML and the genetics baselines (:mod:`vcfml.automl.baselines`)
on cohorts simulated with additive, epistatic and dominance liabilities, then
names (b) the model with the best held-out test score in each cohort and (c) the
model to deploy. The check recomputes both from the runs' own reports (never a
stored answer): the winner is the best *test* estimate; the model to deploy is
AutoML only when its paired interval against the best baseline lies above zero,
and otherwise a linear polygenic score (C+T or the lasso, either is right), since
a gain within the noise of the test does not pay for a model that is harder to
explain and to move to other cohorts.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from vcfml.automl.baselines import BaselineReport
from vcfml.check.feedback import CheckResult, failed, passed

EXERCISE = "4.3"
AUTOML = "automl"
LINEAR = ("clump_threshold", "penalized_logistic")
FLOOR = "covariates_only"
ALIASES = {
    "automl": AUTOML,
    "auto-ml": AUTOML,
    "flaml": AUTOML,
    "clump_threshold": "clump_threshold",
    "c+t": "clump_threshold",
    "ct": "clump_threshold",
    "prs": "clump_threshold",
    "clumping": "clump_threshold",
    "penalized_logistic": "penalized_logistic",
    "lasso": "penalized_logistic",
    "penalized": "penalized_logistic",
    "covariates_only": FLOOR,
    "covariates": FLOOR,
}


def model_name(answer) -> str | None:
    """A learner's name for a model, as the baselines module spells it
    (``"lasso"`` → ``"penalized_logistic"``, ``"C+T"`` → ``"clump_threshold"``,
    ``"baseline:lasso"`` too); ``None`` when it names no model."""
    text = str(answer).strip().lower().removeprefix("baseline:").replace(" ", "_")
    return ALIASES.get(text)


def held_out_scores(report: BaselineReport) -> dict[str, float]:
    """Each model's held-out test estimate in a run (AutoML's from the comparison)."""
    scores = {r.name: float(r.test_metrics[report.metric]["mean"]) for r in report.results}
    scores[AUTOML] = float(report.comparison["automl"])
    return scores


def search_scores(report: BaselineReport, automl_search: float) -> dict[str, float]:
    """Each model's score on the search folds (what must not pick the winner)."""
    scores = {r.name: r.search_score(report.metric) for r in report.results}
    scores[AUTOML] = float(automl_search)
    return scores


def exercise_4_3(
    reports: Mapping[str, BaselineReport],
    winners: Mapping[str, str],
    deploy: Mapping[str, str],
    automl_search: Mapping[str, float] | None = None,
) -> CheckResult:
    """Check the winner and the deployment decision of each cohort.

    ``reports``: cohort → the :class:`~vcfml.automl.baselines.BaselineReport` of
    its run (``baseline_report(dataset, result)``); ``winners`` and ``deploy``:
    cohort → a model name (``"automl"``, ``"clump_threshold"`` or ``"C+T"``,
    ``"penalized_logistic"`` or ``"lasso"``, ``"covariates_only"``);
    ``automl_search``: cohort → AutoML's search score (``result.best_score``),
    to recognise a winner picked on the folds instead of the test.
    """
    for name, answer in (("winners", winners), ("deploy", deploy)):
        if not isinstance(answer, Mapping):
            return failed(
                EXERCISE,
                f"{name} is a {type(answer).__name__}, not a dictionary.",
                f"{name} = {{'additive': 'lasso', ...}}: one model name per cohort.",
            )
        missing = sorted(set(reports) - set(answer))
        if missing:
            return failed(
                EXERCISE,
                f"{name} has no answer for {', '.join(missing)}.",
                "give one model name per cohort, with the cohorts' names as keys.",
            )
        unknown = {c: answer[c] for c in reports if model_name(answer[c]) is None}
        if unknown:
            return failed(
                EXERCISE,
                f"{name} names no model for {unknown}.",
                "use 'automl', 'clump_threshold' (or 'C+T'), 'penalized_logistic' (or "
                "'lasso') or 'covariates_only'.",
            )
    for cohort, report in reports.items():
        result = _check_winner(cohort, report, winners[cohort], automl_search)
        if result is not None:
            return result
    for cohort, report in reports.items():
        result = _check_deploy(cohort, report, deploy[cohort])
        if result is not None:
            return result
    chosen = ", ".join(f"{c}: {model_name(deploy[c])}" for c in reports)
    return passed(EXERCISE, f"winners on the test and deployments ({chosen}) follow the data.")


def _check_winner(cohort, report, answer, automl_search) -> CheckResult | None:
    scores = held_out_scores(report)
    best = max(scores.values())
    name = model_name(answer)
    if np.isclose(scores[name], best, rtol=0, atol=1e-12):
        return None
    if automl_search is not None and cohort in automl_search:
        on_folds = search_scores(report, automl_search[cohort])
        if name == max(on_folds, key=on_folds.get):
            return failed(
                EXERCISE,
                f"In {cohort}, {name} has the best score on the search folds, not on the "
                "held-out test.",
                "the folds chose each model; compare them on the test people, which "
                "none of them saw (report.results[...].test_metrics, report.comparison).",
            )
    if np.isclose(scores[name], min(scores.values()), rtol=0, atol=1e-12):
        return failed(
            EXERCISE,
            f"In {cohort}, {name} has the lowest test score, not the highest.",
            "the winner is the model with the highest test AUC.",
        )
    return failed(
        EXERCISE,
        f"In {cohort}, {name} (test {scores[name]:.3f}) is not the model with the best test score.",
        "compare every model's test estimate, AutoML's included (report.comparison['automl']).",
    )


def _check_deploy(cohort, report, answer) -> CheckResult | None:
    name = model_name(answer)
    low, high = report.comparison["ci95"]
    if name == FLOOR:
        return failed(
            EXERCISE,
            f"In {cohort}, covariates_only ignores the genotypes: it is the floor, not a "
            "genetic predictor.",
            "deploy a model that uses the genotypes.",
        )
    if low > 0:
        if name != AUTOML:
            return failed(
                EXERCISE,
                f"In {cohort}, AutoML's paired interval against the best baseline lies above "
                "zero, and you deploy a baseline.",
                "a gain beyond the noise of the test is a reason to take the harder model.",
            )
        return None
    if name == AUTOML:
        return failed(
            EXERCISE,
            f"In {cohort}, AutoML's paired interval against the best baseline "
            f"({low:+.3f} to {high:+.3f}) does not lie above zero, and you deploy AutoML.",
            "a gain within the noise does not pay for a model that is harder to explain and "
            "to move to other cohorts: deploy a linear polygenic score.",
        )
    return None
