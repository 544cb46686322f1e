"""Self-checks for chapter 4, running experiments."""

from __future__ import annotations

import numpy as np
from sklearn import metrics

from vcfml.check.feedback import CheckResult, failed, passed


def exercise_4_1(sensitivity: float, specificity: float, y_true, y_pred) -> CheckResult:
    """Check sensitivity and specificity computed from a confusion matrix."""
    tn, fp, fn, tp = metrics.confusion_matrix(y_true, y_pred, labels=[0, 1]).ravel()
    want_sensitivity, want_specificity = tp / (tp + fn), tn / (tn + fp)
    if np.isclose(sensitivity, want_specificity) and np.isclose(specificity, want_sensitivity):
        return failed(
            "4.1",
            "The two are swapped.",
            "sensitivity is about the cases, specificity about the controls.",
        )
    if not np.isclose(sensitivity, want_sensitivity):
        return failed(
            "4.1",
            f"sensitivity = {sensitivity:.3f} is not right.",
            "true positives divided by all true cases (the 'true case' row).",
        )
    if not np.isclose(specificity, want_specificity):
        return failed(
            "4.1",
            f"specificity = {specificity:.3f} is not right.",
            "true negatives divided by all true controls (the 'true control' row).",
        )
    return passed("4.1", f"sensitivity {sensitivity:.3f}, specificity {specificity:.3f}.")


def exercise_4_2(
    test_truth: dict, train_truth: dict, test_auc: float, y_test, probability
) -> CheckResult:
    """Check an evaluation on a second cohort drawn from the same model."""
    if test_truth["causal_sites"] != train_truth["causal_sites"]:
        return failed(
            "4.2",
            "The second cohort comes from another model (other causal sites).",
            "keep seed and the model parameters, change only sample_seed.",
        )
    if test_truth["parameters"].get("sample_seed") in (None, train_truth["seed"]):
        return failed(
            "4.2",
            "The second cohort has the same people as the first.",
            "pass a new sample_seed to draw new people.",
        )
    want = metrics.roc_auc_score(y_test, probability)
    if not np.isclose(test_auc, want):
        return failed(
            "4.2",
            f"test_auc = {test_auc:.4f} does not match the predictions.",
            "roc_auc_score(true labels of the second cohort, predicted probabilities).",
        )
    return passed("4.2", f"AUC {test_auc:.3f} on new people from the same model.")
