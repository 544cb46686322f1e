"""The metrics AutoML can optimize, computed by scikit-learn from probabilities."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn import metrics


@dataclass(frozen=True)
class Metric:
    name: str
    greater_is_better: bool
    score: Callable[[np.ndarray, np.ndarray], float]  # (y_true, probability of class 1)


def _labels(probability: np.ndarray) -> np.ndarray:
    return (probability >= 0.5).astype(int)


METRICS: dict[str, Metric] = {
    "roc_auc": Metric("roc_auc", True, metrics.roc_auc_score),
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
