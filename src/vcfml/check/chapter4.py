"""Self-checks for chapter 4, running experiments."""

from __future__ import annotations

import numpy as np
from sklearn import metrics

from vcfml.check.feedback import CheckResult, failed, passed
from vcfml.simulate import simulate_liability


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


def exercise_4_2(test_truth: dict, train_truth: dict, test_auc: float, test, model) -> CheckResult:
    """Check an evaluation on a second cohort drawn from the same model.

    ``test`` is the second cohort as read back (a :class:`~vcfml.features.Dataset`)
    and ``model`` the model trained on the first. The check redraws the second
    cohort from ``test_truth`` to confirm that ``test`` holds its people and
    their true phenotypes, then predicts with ``model`` itself and recomputes
    the AUC, so an AUC of any other predictions or labels is caught.
    """
    if test_truth.get("model") != "liability" or "parameters" not in test_truth:
        return failed(
            "4.2",
            "test_truth is not the truth of a liability cohort.",
            "use the .truth of the cohort simulate_liability returned.",
        )
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
    redrawn = simulate_liability(seed=test_truth["seed"], **test_truth["parameters"]).samples
    true_phenotype = redrawn.set_index("sample_id")["phenotype"]
    samples = list(getattr(test, "samples", []))
    target = np.asarray(getattr(test, "target", []))
    if sorted(samples) != sorted(true_phenotype.index) or target.size != len(samples):
        return failed(
            "4.2",
            f"test holds {len(samples)} samples, not the {len(true_phenotype)} people of the "
            "second cohort.",
            "read the second cohort back: join_samples(read_vcf(folder / 'cohort.vcf.gz'), "
            "folder / 'samples.tsv', ...).",
        )
    mismatched = int((true_phenotype.loc[samples].to_numpy() != target).sum())
    if mismatched:
        return failed(
            "4.2",
            f"{mismatched} of test's phenotypes differ from the second cohort's.",
            "take the labels from the second cohort's samples.tsv (test.target).",
        )
    try:
        probability = model.predict_proba(test)
    except Exception as error:  # a learner's object, not a model: report, do not crash
        return failed(
            "4.2",
            f"model.predict_proba(test) raised {type(error).__name__}: {error}",
            "pass the trained model (result.model) and the second cohort read with the "
            "training cohort's covariate_levels.",
        )
    want = metrics.roc_auc_score(target, probability)
    if not np.isclose(test_auc, want, atol=1e-6):
        from_labels = np.isclose(test_auc, metrics.roc_auc_score(target, probability > 0.5))
        source = "predicted labels (0/1)" if from_labels else "other predictions or labels"
        return failed(
            "4.2",
            f"test_auc = {test_auc:.4f} is not the model's AUC on the second cohort; it looks "
            f"computed from {source}.",
            "roc_auc_score(test.target, model.predict_proba(test)): the AUC needs probabilities.",
        )
    return passed("4.2", f"AUC {test_auc:.3f} on {len(samples)} new people from the same model.")
