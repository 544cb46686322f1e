"""Evaluation statistics, interpretation and recovery of the truth."""

from __future__ import annotations

import json

import matplotlib
import numpy as np
import pandas as pd
import pytest
from sklearn import metrics

from vcfml import read_vcf
from vcfml.automl import AutoMLSettings, run_automl
from vcfml.evaluate import (
    confusion_table,
    evaluate_predictions,
    plot_confusion_matrix,
    plot_precision_recall,
    plot_roc,
    statistics_table,
)
from vcfml.explain import (
    association_table,
    explain_sample,
    importance_table,
    plot_importance,
    plot_manhattan,
    recovery,
)
from vcfml.features import join_samples

matplotlib.use("Agg")

Y_TRUE = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
Y_PRED = np.array([1, 1, 1, 0, 1, 0, 0, 0, 0, 0])  # TP 3, FN 1, FP 1, TN 5


def test_statistics_table_matches_definitions():
    table = statistics_table(Y_TRUE, Y_PRED)["value"]
    assert table["TPR"] == pytest.approx(3 / 4) == metrics.recall_score(Y_TRUE, Y_PRED)
    assert table["TNR"] == pytest.approx(5 / 6)
    assert table["PPV"] == pytest.approx(3 / 4) and table["NPV"] == pytest.approx(5 / 6)
    assert table["FPR"] == pytest.approx(1 / 6) and table["FNR"] == pytest.approx(1 / 4)
    assert table["FDR"] == pytest.approx(1 / 4) and table["FOR"] == pytest.approx(1 / 6)
    assert table["accuracy"] == pytest.approx(0.8)
    assert table["informedness"] == pytest.approx(3 / 4 + 5 / 6 - 1)
    assert table["markedness"] == pytest.approx(3 / 4 + 5 / 6 - 1)
    assert table["prevalence"] == pytest.approx(0.4)
    lr_plus, lr_minus = metrics.class_likelihood_ratios(Y_TRUE, Y_PRED)
    assert table["LR+"] == pytest.approx(lr_plus) and table["LR-"] == pytest.approx(lr_minus)
    assert table["DOR"] == pytest.approx((3 * 5) / (1 * 1))
    assert table["MCC"] == pytest.approx(metrics.matthews_corrcoef(Y_TRUE, Y_PRED))
    assert len(table) == 17


def test_confusion_table_and_plots():
    table = confusion_table(Y_TRUE, Y_PRED, ("control", "case"))
    assert (
        table.loc["true case", "predicted case"] == 3
        and table.loc["true control", "predicted case"] == 1
    )
    probability = np.linspace(0.9, 0.1, 10)
    for ax in (
        plot_confusion_matrix(Y_TRUE, Y_PRED),
        plot_roc(Y_TRUE, probability),
        plot_precision_recall(Y_TRUE, probability),
    ):
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    scores = evaluate_predictions(Y_TRUE, probability)
    assert scores["roc_auc"] == pytest.approx(metrics.roc_auc_score(Y_TRUE, probability))
    assert scores["n_cases"] == 4


@pytest.fixture(scope="module")
def classic(classic_dir):
    dataset = join_samples(read_vcf(classic_dir / "cohort.vcf.gz"), classic_dir / "samples.tsv")
    truth = json.loads((classic_dir / "truth.json").read_text())
    return dataset, truth


@pytest.mark.parametrize(
    ("estimator", "method"),
    [("lightgbm", "shap"), ("logistic", "permutation"), ("random_forest", "shap")],
)
def test_importance_finds_the_classic_truth(classic, estimator, method):
    dataset, truth = classic
    settings = AutoMLSettings(
        deterministic=True, max_trials=1, n_sites=10, estimators=[estimator], verbose=0
    )
    model = run_automl(dataset, settings).model
    table = importance_table(model, dataset)
    assert table.attrs["method"] == method
    assert list(table.columns) == ["feature", "chrom", "pos", "importance", "rank"]
    report = recovery(table, truth, association_table(dataset))
    assert report["model"]["recall_at_10"] == 1.0
    assert sorted(report["model"]["causal_site_ranks"].values())[-1] <= 4
    assert report["association_scan"]["precision_at_2"] == 1.0
    explanation = explain_sample(model, dataset, dataset.samples[0], top=5)
    assert list(explanation.columns) == ["feature", "value", "shap"] and len(explanation) == 5
    assert explanation["shap"].abs().max() > 0  # explained against the cohort, not itself


def test_recovery_counts():
    table = pd.DataFrame(
        {
            "feature": ["a", "sex=male", "b", "c"],
            "chrom": ["chr1", "", "chr1", "chr2"],
            "pos": ["10", "", "20", "5"],
            "importance": [3.0, 2.0, 1.0, 0.5],
        }
    )
    truth = {
        "causal_sites": [
            {"id": "b", "chrom": "chr1", "pos": 20},
            {"id": "z", "chrom": "chr3", "pos": 1},
        ]
    }
    report = recovery(table, truth)["model"]
    assert report["causal_site_ranks"] == {"b": 3, "z": None}
    assert report["sex_rank"] == 2
    assert report["precision_at_2"] == 0.5 and report["recall_at_2"] == 0.5


def test_manhattan_uses_genome_positions(classic):
    dataset, truth = classic
    scan = association_table(dataset)
    ax = plot_manhattan(
        scan, {f"chr{i}": 1000 for i in range(1, 23)} | {"chr5": 181_538_259}, "score", truth
    )
    assert ax.get_xlabel().startswith("Genome position") and ax.get_ylabel() == "score"
    assert ax.get_legend() is not None
    assert plot_importance(
        scan.rename(columns={"id": "feature", "score": "importance"})
    ).get_title()
