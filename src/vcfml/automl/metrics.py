"""The metrics AutoML can optimize, computed by scikit-learn from probabilities."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.stats import mannwhitneyu
from sklearn import metrics


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
    "roc_auc": Metric("roc_auc", True, metrics.roc_auc_score, _auc_of_columns),
    "accuracy": Metric("accuracy", True, lambda y, p: metrics.accuracy_score(y, _labels(p))),
    "balanced_accuracy": Metric(
        "balanced_accuracy", True, lambda y, p: metrics.balanced_accuracy_score(y, _labels(p))
    ),
    "f1": Metric("f1", True, lambda y, p: metrics.f1_score(y, _labels(p), zero_division=0)),
    "log_loss": Metric("log_loss", False, lambda y, p: metrics.log_loss(y, p, labels=[0, 1])),
}


def all_scores(y_true: np.ndarray, probability: np.ndarray) -> dict[str, float]:
    """Every metric for one set of predictions."""
    return {name: float(metric.score(y_true, probability)) for name, metric in METRICS.items()}
