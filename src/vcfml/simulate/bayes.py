"""The best any model could do: Bayes-optimal accuracy and AUC.

A simulator knows each sample's true probability of being a case given the
features a model can see. Predicting with that probability is optimal, so its
expected accuracy and AUC are the ceiling against which the course grades
AutoML. Both are *expected* values over the phenotype's randomness, computed
with scikit-learn's weighted AUC: each sample counts as a case with weight p and
as a control with weight 1 - p.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score


def expected_accuracy(case_probability: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Expected accuracy of predicting 'case' whenever p > 0.5."""
    p = np.asarray(case_probability, dtype=float)
    return float(np.average(np.maximum(p, 1 - p), weights=weights))


def expected_auc(case_probability: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Expected ROC AUC of ranking samples by their true case probability."""
    p = np.asarray(case_probability, dtype=float)
    w = np.ones_like(p) if weights is None else np.asarray(weights, dtype=float)
    labels = np.concatenate([np.ones_like(p), np.zeros_like(p)])
    scores = np.concatenate([p, p])
    sample_weight = np.concatenate([w * p, w * (1 - p)])
    return float(roc_auc_score(labels, scores, sample_weight=sample_weight))


def summary(case_probability: np.ndarray, weights: np.ndarray | None = None) -> dict[str, float]:
    """Accuracy and AUC, rounded for a readable truth.json."""
    return {
        "accuracy": round(expected_accuracy(case_probability, weights), 4),
        "auc": round(expected_auc(case_probability, weights), 4),
    }
