"""Evaluate predictions: confusion matrix, the statistics table, ROC and PR curves.

Everything is computed by scikit-learn and drawn by matplotlib; this module
only arranges the numbers the way the original workshop printed them, with a
one-line explanation of each.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from sklearn import metrics

from vcfml.automl.metrics import all_scores


def confusion_table(
    y_true: np.ndarray, y_pred: np.ndarray, labels: tuple[str, str] = ("control", "case")
) -> pd.DataFrame:
    """Counts of true (rows) against predicted (columns) classes."""
    matrix = metrics.confusion_matrix(y_true, y_pred, labels=[0, 1])
    return pd.DataFrame(
        matrix,
        index=pd.Index([f"true {label}" for label in labels], name=""),
        columns=[f"predicted {label}" for label in labels],
    )


def statistics_table(y_true: np.ndarray, y_pred: np.ndarray) -> pd.DataFrame:
    """Every statistic of a 2x2 confusion matrix, as the 2019 workshop listed them."""
    tn, fp, fn, tp = metrics.confusion_matrix(y_true, y_pred, labels=[0, 1]).ravel()

    def ratio(numerator: float, denominator: float) -> float:
        return float(numerator / denominator) if denominator else float("nan")

    tpr, tnr = ratio(tp, tp + fn), ratio(tn, tn + fp)
    ppv, npv = ratio(tp, tp + fp), ratio(tn, tn + fn)
    lr_plus, lr_minus = ratio(tpr, 1 - tnr), ratio(1 - tpr, tnr)
    rows = [
        ("TPR", tpr, "sensitivity, recall: cases predicted as cases"),
        ("TNR", tnr, "specificity: controls predicted as controls"),
        ("PPV", ppv, "precision: predicted cases that are cases"),
        ("NPV", npv, "predicted controls that are controls"),
        ("FPR", 1 - tnr, "fall-out: controls predicted as cases"),
        ("FDR", 1 - ppv, "predicted cases that are controls"),
        ("FNR", 1 - tpr, "miss rate: cases predicted as controls"),
        ("FOR", 1 - npv, "predicted controls that are cases"),
        ("accuracy", metrics.accuracy_score(y_true, y_pred), "fraction predicted right"),
        ("F1", metrics.f1_score(y_true, y_pred, zero_division=0), "harmonic mean of PPV and TPR"),
        ("MCC", metrics.matthews_corrcoef(y_true, y_pred), "Matthews correlation, -1 to 1"),
        (
            "informedness",
            metrics.balanced_accuracy_score(y_true, y_pred, adjusted=True),
            "TPR + TNR - 1 (Youden's J)",
        ),
        ("markedness", ppv + npv - 1, "PPV + NPV - 1"),
        ("prevalence", ratio(tp + fn, tp + fn + tn + fp), "fraction of true cases"),
        ("LR+", lr_plus, "positive likelihood ratio, TPR / FPR"),
        ("LR-", lr_minus, "negative likelihood ratio, FNR / TNR"),
        ("DOR", ratio(lr_plus, lr_minus), "diagnostic odds ratio, LR+ / LR-"),
    ]
    return pd.DataFrame(rows, columns=["statistic", "value", "meaning"]).set_index("statistic")


def evaluate_predictions(
    y_true: np.ndarray, probability: np.ndarray, threshold: float = 0.5
) -> dict[str, float]:
    """The AutoML metrics plus a few counts, for metrics.json and the CLI."""
    y_pred = (probability >= threshold).astype(int)
    scores = all_scores(y_true, probability)
    scores["mcc"] = float(metrics.matthews_corrcoef(y_true, y_pred))
    scores["n_samples"] = len(y_true)
    scores["n_cases"] = int(np.sum(y_true))
    return scores


def plot_confusion_matrix(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    labels: tuple[str, str] = ("control", "case"),
    ax: Axes | None = None,
) -> Axes:
    display = metrics.ConfusionMatrixDisplay.from_predictions(
        y_true, y_pred, labels=[0, 1], display_labels=list(labels), ax=ax, colorbar=False
    )
    display.ax_.set_title("Confusion matrix")
    return display.ax_


def plot_roc(y_true: np.ndarray, probability: np.ndarray, ax: Axes | None = None) -> Axes:
    display = metrics.RocCurveDisplay.from_predictions(
        y_true, probability, ax=ax, name="model", plot_chance_level=True
    )
    display.ax_.set_title("ROC curve")
    display.ax_.set_xlabel("False positive rate (1 - specificity)")
    display.ax_.set_ylabel("True positive rate (sensitivity)")
    return display.ax_


def plot_precision_recall(
    y_true: np.ndarray, probability: np.ndarray, ax: Axes | None = None
) -> Axes:
    display = metrics.PrecisionRecallDisplay.from_predictions(
        y_true, probability, ax=ax, name="model", plot_chance_level=True
    )
    display.ax_.set_title("Precision-recall curve")
    display.ax_.set_xlabel("Recall (sensitivity)")
    display.ax_.set_ylabel("Precision (PPV)")
    return display.ax_
