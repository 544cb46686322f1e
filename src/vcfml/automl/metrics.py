"""The metrics AutoML can optimize, computed by scikit-learn from probabilities."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.stats import mannwhitneyu
from sklearn import config_context, metrics

BOOTSTRAP_RESAMPLES = 500  # resamples of the test samples behind each 95% interval
MIN_RESAMPLES = 100  # resamples drawn even when the budget's deadline has passed


def _auc_of_columns(y_true: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """ROC AUC of every column at once: the Mann-Whitney U statistic divided by
    n_cases x n_controls, which SciPy computes for all columns in one call."""
    cases, controls = probabilities[y_true == 1], probabilities[y_true == 0]
    u = mannwhitneyu(cases, controls, axis=0, method="asymptotic").statistic
    return np.asarray(u) / (len(cases) * len(controls))


@dataclass(frozen=True)
class Metric:
    name: str
    greater_is_better: bool
    score: Callable[[np.ndarray, np.ndarray], float]  # (y_true, probability of class 1)
    scoring: str  # scikit-learn's name of the same score (permutation importance, cross_val_score)
    # The same for many columns at once, where a library computes that faster.
    score_many: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None

    def score_columns(self, y_true: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
        """The score of each column of ``probabilities`` (samples x candidates).

        The ensemble search scores many candidate votes per round; for ROC AUC
        one SciPy call is about 40 times faster than scikit-learn per column.
        """
        if self.score_many is not None:
            return self.score_many(y_true, probabilities)
        return np.array([self.score(y_true, column) for column in probabilities.T])


def _labels(probability: np.ndarray) -> np.ndarray:
    return (probability >= 0.5).astype(int)


METRICS: dict[str, Metric] = {
    "roc_auc": Metric("roc_auc", True, metrics.roc_auc_score, "roc_auc", _auc_of_columns),
    "accuracy": Metric(
        "accuracy", True, lambda y, p: metrics.accuracy_score(y, _labels(p)), "accuracy"
    ),
    "balanced_accuracy": Metric(
        "balanced_accuracy",
        True,
        lambda y, p: metrics.balanced_accuracy_score(y, _labels(p)),
        "balanced_accuracy",
    ),
    "f1": Metric("f1", True, lambda y, p: metrics.f1_score(y, _labels(p), zero_division=0), "f1"),
    "log_loss": Metric(
        "log_loss", False, lambda y, p: metrics.log_loss(y, p, labels=[0, 1]), "neg_log_loss"
    ),
}


def all_scores(y_true: np.ndarray, probability: np.ndarray) -> dict[str, float]:
    """Every metric for one set of predictions."""
    return {name: float(metric.score(y_true, probability)) for name, metric in METRICS.items()}


def bootstrap_scores(
    y_true: np.ndarray,
    probability: np.ndarray,
    n_resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = 0,
    deadline: float | None = None,
) -> dict[str, dict]:
    """Every metric on held-out samples, with a 95% bootstrap interval.

    For each metric: ``mean`` (the score on all the samples), ``std`` (the
    standard deviation over resamples: the bootstrap standard error), ``ci95``
    (2.5th and 97.5th percentiles over resamples), ``n_samples`` and
    ``n_resamples``. Each resample redraws the samples with replacement, a
    label and its prediction together, and scores them with scikit-learn.
    Resamples holding one class only are redrawn. With a ``deadline`` (a
    ``time.perf_counter()`` value) no new resample starts after it, once
    ``MIN_RESAMPLES`` are done: the interval is then a little noisier.
    """
    rng = np.random.default_rng(seed)
    n = len(y_true)
    draws: dict[str, list[float]] = {name: [] for name in METRICS}
    with config_context(skip_parameter_validation=True, assume_finite=True):
        while len(draws["roc_auc"]) < n_resamples:
            if (
                deadline is not None
                and len(draws["roc_auc"]) >= MIN_RESAMPLES
                and time.perf_counter() > deadline
            ):
                break
            rows = rng.integers(0, n, n)
            y, p = y_true[rows], probability[rows]
            if y.min() == y.max():
                continue
            for name, metric in METRICS.items():
                draws[name].append(float(metric.score(y, p)))
    result = {}
    for name, metric in METRICS.items():
        values = np.asarray(draws[name])
        result[name] = {
            "mean": float(metric.score(y_true, probability)),
            "std": float(values.std(ddof=1)),
            "ci95": [float(v) for v in np.percentile(values, [2.5, 97.5])],
            "n_samples": n,
            "n_resamples": len(values),
        }
    return result
