"""The model families the search can try, their hyperparameter spaces and how
each configuration becomes a scikit-learn estimator.

Spaces are written with FLAML's ``tune`` domains. Each family has a cheap,
sensible starting configuration (``start``) that is tried first, so every
family gets at least one fair trial and the search spends its budget moving
away from them only when that pays.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import sklearn
from lightgbm import LGBMClassifier
from lightgbm.callback import EarlyStopException
from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from vcfml.automl._flaml import tune
from vcfml.automl.settings import ESTIMATOR_NAMES


@dataclass(frozen=True)
class EstimatorFamily:
    name: str
    space: dict[str, Any]
    start: dict[str, Any]  # a complete, cheap configuration tried first
    build: Callable[[dict[str, Any], int], Any]
    is_tree: bool


# scikit-learn 1.8 replaced ``penalty`` by ``l1_ratio``; older releases
# (those for Python 3.10) still need ``penalty``.
_SKLEARN_HAS_L1_RATIO = tuple(int(part) for part in sklearn.__version__.split(".")[:2]) >= (1, 8)


def _logistic(params: dict[str, Any], seed: int):
    lasso = params["penalty"] == "l1"
    regularization = (
        {"l1_ratio": 1.0 if lasso else 0.0}
        if _SKLEARN_HAS_L1_RATIO
        else {"penalty": params["penalty"]}
    )
    model = LogisticRegression(
        C=params["C"],
        solver="liblinear" if lasso else "lbfgs",
        max_iter=2000,
        random_state=seed,
        **regularization,
    )
    return make_pipeline(StandardScaler(), model)


def _lightgbm(params: dict[str, Any], seed: int):
    return LGBMClassifier(
        n_estimators=int(params["n_estimators"]),
        num_leaves=int(params["num_leaves"]),
        learning_rate=params["learning_rate"],
        min_child_samples=int(params["min_child_samples"]),
        colsample_bytree=params["colsample_bytree"],
        reg_lambda=params["reg_lambda"],
        random_state=seed,
        n_jobs=1,
        deterministic=True,
        force_col_wise=True,
        verbose=-1,
    )


def _forest(kind):
    def build(params: dict[str, Any], seed: int):
        return kind(
            n_estimators=int(params["n_estimators"]),
            max_features=params["max_features"],
            min_samples_leaf=int(params["min_samples_leaf"]),
            random_state=seed,
            n_jobs=1,
        )

    return build


FOREST_SPACE = {
    "n_estimators": tune.lograndint(20, 300),
    "max_features": tune.uniform(0.05, 1.0),
    "min_samples_leaf": tune.lograndint(1, 30),
}
FOREST_START = {"n_estimators": 50, "max_features": 0.3, "min_samples_leaf": 5}

FAMILIES: dict[str, EstimatorFamily] = {
    "logistic": EstimatorFamily(
        "logistic",
        {"C": tune.loguniform(1e-3, 1e2), "penalty": tune.choice(["l2", "l1"])},
        {"C": 0.1, "penalty": "l2"},
        _logistic,
        is_tree=False,
    ),
    "lightgbm": EstimatorFamily(
        "lightgbm",
        {
            "n_estimators": tune.lograndint(10, 500),
            "num_leaves": tune.lograndint(4, 64),
            "learning_rate": tune.loguniform(0.01, 0.3),
            "min_child_samples": tune.lograndint(5, 60),
            "colsample_bytree": tune.uniform(0.3, 1.0),
            "reg_lambda": tune.loguniform(1e-3, 10.0),
        },
        {
            "n_estimators": 100,
            "num_leaves": 8,
            "learning_rate": 0.05,
            "min_child_samples": 20,
            "colsample_bytree": 0.8,
            "reg_lambda": 1.0,
        },
        _lightgbm,
        is_tree=True,
    ),
    "random_forest": EstimatorFamily(
        "random_forest", FOREST_SPACE, FOREST_START, _forest(RandomForestClassifier), True
    ),
    "extra_trees": EstimatorFamily(
        "extra_trees", FOREST_SPACE, FOREST_START, _forest(ExtraTreesClassifier), True
    ),
}
DEFAULT_ESTIMATORS = ESTIMATOR_NAMES  # every family, in the order a run tries them


def build_estimator(name: str, params: dict[str, Any], seed: int):
    """A fresh, unfitted estimator for one configuration."""
    return FAMILIES[name].build(params, seed)


FIRST_TREES = 5  # a forest under a deadline first grows this many trees, to time one tree


def fit_before(estimator, features: np.ndarray, y: np.ndarray, deadline: float | None) -> bool:
    """Fit ``estimator``, stopping early when ``deadline`` (a ``time.perf_counter()``
    value) passes; returns whether the fit ran to the end.

    FLAML never interrupts a running trial, so the budget is kept here, inside
    the fit: a forest grows a few trees, times them, and adds only as many more as
    the time left affords (``warm_start``: the same trees as one fit); a
    LightGBM model stops boosting at the first round after it (a callback raising
    LightGBM's own early-stopping signal). A logistic regression is one short
    solve and always runs to the end. Without a deadline it is a plain ``fit``.
    """
    if deadline is None:
        estimator.fit(features, y)
        return True
    if getattr(estimator, "fits_before_deadline", False):  # the vote: each member in turn
        estimator.fit(features, y, deadline=deadline)
        return estimator.complete_
    if isinstance(estimator, RandomForestClassifier | ExtraTreesClassifier):
        began, target = time.perf_counter(), estimator.n_estimators
        grown = min(FIRST_TREES, target)
        estimator.set_params(warm_start=True, n_estimators=grown)
        estimator.fit(features, y)
        while grown < target:  # add as many trees as the time left affords, at the pace so far
            now = time.perf_counter()
            affordable = int((deadline - now) / ((now - began) / grown))
            if affordable < 1:
                break
            grown = min(target, grown + affordable)
            estimator.set_params(n_estimators=grown)
            estimator.fit(features, y)
        estimator.set_params(warm_start=False)
        return grown == target
    if isinstance(estimator, LGBMClassifier):
        stopped = []

        def stop_at_deadline(env) -> None:
            if time.perf_counter() > deadline:
                stopped.append(env.iteration)
                raise EarlyStopException(env.iteration, env.evaluation_result_list or [])

        estimator.fit(features, y, callbacks=[stop_at_deadline])
        return not stopped
    estimator.fit(features, y)
    return True
