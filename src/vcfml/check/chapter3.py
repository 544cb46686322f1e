"""Self-checks for chapter 3, AutoML concepts."""

from __future__ import annotations

from sklearn.feature_selection import SelectorMixin
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from vcfml.check.feedback import CheckResult, failed, passed


def exercise_3_1(search) -> CheckResult:
    """Check a manual grid search: screening inside the pipeline, k in the grid."""
    if not isinstance(search, GridSearchCV) or not hasattr(search, "best_score_"):
        return failed(
            "3.1", "Expected a fitted GridSearchCV.", "call search.fit(X, y) before checking."
        )
    selectors = (
        [name for name, step in search.estimator.steps[:-1] if isinstance(step, SelectorMixin)]
        if isinstance(search.estimator, Pipeline)
        else []
    )
    if not selectors:
        return failed(
            "3.1",
            "The searched estimator is not a pipeline with a screening step.",
            "put the site selection in a Pipeline before the model, so each fold screens its own training part.",
        )
    grid = search.param_grid if isinstance(search.param_grid, list) else [search.param_grid]
    selector = selectors[0]
    if not any(key.startswith(f"{selector}__") for part in grid for key in part):
        return failed(
            "3.1",
            "The grid does not vary the number of kept sites.",
            f"add '{selector}__k' (how many sites to keep) to the grid: it matters most.",
        )
    return passed(
        "3.1", f"best cross-validated score {search.best_score_:.3f} with {search.best_params_}."
    )


def exercise_3_2(leaky_auc: float, honest_auc: float) -> CheckResult:
    """Check the leakage experiment on a pure-noise phenotype."""
    if not 0.4 <= honest_auc <= 0.6:
        return failed(
            "3.2",
            f"The honest AUC is {honest_auc:.3f}; on noise it should be near 0.5.",
            "fit the screening inside cross-validation (a Pipeline), never on all samples.",
        )
    if leaky_auc < honest_auc + 0.1:
        return failed(
            "3.2",
            f"The leaky AUC ({leaky_auc:.3f}) is not much above the honest one.",
            "for the leaky version select sites on all samples first, then cross-validate the model alone.",
        )
    return passed(
        "3.2",
        f"screening before CV reports AUC {leaky_auc:.3f} on pure noise; inside CV it is {honest_auc:.3f}.",
    )
