"""Self-checks for chapter 4, running experiments."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn import metrics

from vcfml.check.feedback import CheckResult, call_answer, failed, passed
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
        probability = np.asarray(model.predict_proba(test))
        if probability.ndim == 2:  # scikit-learn's (n, 2): column 1 is P(case)
            probability = probability[:, 1]
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
        from_control = np.isclose(test_auc, metrics.roc_auc_score(target, 1 - probability))
        source = (
            "predicted labels (0/1)"
            if from_labels
            else "column 0 of predict_proba (P(control))"
            if from_control
            else "other predictions or labels"
        )
        return failed(
            "4.2",
            f"test_auc = {test_auc:.4f} is not the model's AUC on the second cohort; it looks "
            f"computed from {source}.",
            "roc_auc_score(test.target, model.predict_proba(test)[:, 1]): the AUC needs "
            "probabilities of case.",
        )
    return passed("4.2", f"AUC {test_auc:.3f} on {len(samples)} new people from the same model.")


THRESHOLD_COSTS = ((5.0, 1.0), (1.0, 2.0))  # (cost of a missed case, of a false alarm)
THRESHOLD_TOLERANCE = 0.03  # a chosen threshold may cost 3% more than the best one


def exercise_4_1_threshold(choose_threshold: Callable[..., float]) -> CheckResult:
    """Judge ``choose_threshold(probability, target, miss_cost, alarm_cost)``,
    which returns the probability at or above which a person is called a case.

    The check draws calibrated predictions for 5,000 people (a probability
    from a Beta(1.5, 3.5), about 30% cases, each person a case with that
    probability), lets the function choose on one draw and measures the cost
    per person (``miss_cost`` per missed case + ``alarm_cost`` per false alarm)
    on another, for two costs: a missed case 5 times a false alarm, and a false
    alarm twice a missed case. Any rule within 3% of the best threshold's cost
    passes: the decision-theory threshold ``alarm / (alarm + miss)``, which
    needs no data, or the threshold with the smallest cost on the data given.
    The default 0.5, or the costs swapped, fail.
    """
    for miss_cost, alarm_cost in THRESHOLD_COSTS:
        chosen_on, measured_on = _calibrated_draw(seed=41), _calibrated_draw(seed=42)
        result, threshold = call_answer("4.1", choose_threshold, *chosen_on, miss_cost, alarm_cost)
        if result is not None:
            return result
        if isinstance(threshold, np.ndarray) and threshold.ndim == 0:
            threshold = threshold.item()  # e.g. np.quantile(...) of one value
        if (
            isinstance(threshold, bool)
            or not isinstance(threshold, int | float | np.integer | np.floating)
            or not 0 <= threshold <= 1
        ):
            return failed(
                "4.1",
                f"Your function returned {threshold!r}, not a probability between 0 and 1.",
                "return the threshold: people with a probability at or above it are called cases.",
            )
        best = alarm_cost / (alarm_cost + miss_cost)
        cost = _cost_per_person(float(threshold), *measured_on, miss_cost, alarm_cost)
        least = _cost_per_person(best, *measured_on, miss_cost, alarm_cost)
        if cost > least * (1 + THRESHOLD_TOLERANCE):
            return failed(
                "4.1",
                f"With a missed case costing {miss_cost:g} and a false alarm {alarm_cost:g}, "
                f"your threshold {threshold:.3f} costs {cost:.3f} per person on new people; "
                f"the best threshold costs {least:.3f}.",
                "call a person a case when the expected cost of missing them (p x miss cost) "
                "exceeds that of a false alarm ((1 - p) x alarm cost), or try every "
                "threshold and keep the cheapest.",
            )
    return passed(
        "4.1",
        "your threshold moves with the costs, as cheap as the best one on new people "
        f"for both costs tried ({', '.join(f'{m:g}:{a:g}' for m, a in THRESHOLD_COSTS)}).",
    )


def _calibrated_draw(seed: int, n: int = 5000) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities and outcomes of ``n`` people, each a case with their probability."""
    rng = np.random.default_rng(seed)
    probability = rng.beta(1.5, 3.5, n)
    return probability, (rng.random(n) < probability).astype(int)


def _cost_per_person(threshold, probability, target, miss_cost, alarm_cost) -> float:
    called = probability >= threshold
    missed = np.sum(~called & (target == 1))
    alarms = np.sum(called & (target == 0))
    return float((miss_cost * missed + alarm_cost * alarms) / len(target))
