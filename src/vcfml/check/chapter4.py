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
    rounded = [
        abs(got - want) <= 0.005 + 1e-12 and not np.isclose(got, want)
        for got, want in ((sensitivity, want_sensitivity), (specificity, want_specificity))
    ]
    if any(rounded):
        return failed(
            "4.1",
            f"sensitivity {sensitivity} and specificity {specificity} are rounded.",
            "keep the full ratios; round only when you print them (f'{value:.3f}').",
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
    n_people = test_truth["parameters"].get("n_samples", NEW_PEOPLE)
    if n_people < NEW_PEOPLE:
        return failed(
            "4.2",
            f"The second cohort has {n_people} people; the exercise asks for {NEW_PEOPLE:,}.",
            f"with {n_people} people the AUC moves by about "
            f"{_auc_noise(n_people):.2f} from one test to the next, with {NEW_PEOPLE:,} by "
            f"about {_auc_noise(NEW_PEOPLE):.2f}: pass n_samples={NEW_PEOPLE}.",
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


NEW_PEOPLE = 2000  # the size of the second cohort exercise 4.2 asks for


def _auc_noise(n: int, auc: float = 0.8, share: float = 0.3) -> float:
    """Hanley-McNeil standard error of an AUC on n people with that share of cases."""
    cases, controls = n * share, n * (1 - share)
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    variance = auc * (1 - auc) + (cases - 1) * (q1 - auc**2) + (controls - 1) * (q2 - auc**2)
    return float(np.sqrt(variance / (cases * controls)))


def exercise_4_2_interval(
    low: float, high: float, overstated: bool, search_score: float, target, probability
) -> CheckResult:
    """Judge 4.2 (b): a 95% interval for the AUC on the new people, and whether
    the search score overstated it beyond that noise.

    The check bootstraps the people itself (2,000 resamples, the model fixed)
    and accepts an interval whose ends are within 0.01 of its percentiles: a
    percentile bootstrap of a few hundred resamples, or a normal interval from
    a standard error (Hanley-McNeil, DeLong), passes.
    """
    target = np.asarray(target).astype(int)
    probability = np.asarray(probability, dtype=float)
    if probability.ndim == 2:
        probability = probability[:, -1]
    try:
        low, high = float(low), float(high)
    except (TypeError, ValueError):
        return failed("4.2 (b)", "low and high should be numbers.", "two AUCs: the ends.")
    auc = metrics.roc_auc_score(target, probability)
    rng = np.random.default_rng(0)
    draws = []
    for _ in range(2000):
        rows = rng.integers(0, target.size, target.size)
        draws.append(metrics.roc_auc_score(target[rows], probability[rows]))
    want_low, want_high = np.percentile(draws, [2.5, 97.5])
    if not low <= auc <= high:
        return failed(
            "4.2 (b)",
            f"Your interval {low:.3f} to {high:.3f} does not contain the AUC on the new "
            f"people ({auc:.3f}).",
            "resample the new people with their labels and predicted probabilities; the "
            "interval is the middle 95% of the resampled AUCs.",
        )
    if abs(low - want_low) > 0.01 or abs(high - want_high) > 0.01:
        width, want_width = high - low, want_high - want_low
        if np.isclose(width, want_width / 1.96, rtol=0.15):
            hint = (
                "that is ± one standard error; a 95% interval is about ± 1.96 standard "
                "errors (the 2.5th and 97.5th percentiles of the resampled AUCs)."
            )
        elif width < want_width:
            hint = (
                "too narrow: resample as many people as there are, with replacement, and "
                "take the 2.5th and 97.5th percentiles (not a standard error of the mean)."
            )
        else:
            hint = (
                "too wide: resample the people of the second cohort (all of them), with "
                "the model's probabilities, not its 0/1 calls."
            )
        return failed(
            "4.2 (b)",
            f"Your interval is {low:.3f} to {high:.3f}; resampling the people gives about "
            f"{want_low:.3f} to {want_high:.3f}.",
            hint,
        )
    if bool(overstated) != bool(search_score > high):
        return failed(
            "4.2 (b)",
            f"overstated is {bool(overstated)}, but the search score {search_score:.3f} lies "
            + ("above" if search_score > high else "below" if search_score < low else "inside")
            + f" the interval {low:.3f} to {high:.3f}.",
            "the search score overstated the model only if it lies above the interval's top; "
            "inside it, the difference is within the noise of the test.",
        )
    return passed(
        "4.2 (b)",
        f"95% interval {low:.3f} to {high:.3f} around {auc:.3f}; the search score "
        f"{search_score:.3f} " + ("overstated it." if overstated else "is within the noise."),
    )


def exercise_4_0_split(split_rows: Callable) -> CheckResult:
    """Judge 4.0 (a): ``split_rows(rows, target)`` returns (train_rows, test_rows).

    It is called on six fresh label vectors (500 people, 3% to 40% cases) and
    must keep 20% of the people for the test, use every row once, and keep the
    share of cases in both parts (within one person), which only a split
    stratified by the labels does every time.
    """
    rows = np.arange(500)
    for seed, share in enumerate((0.4, 0.03, 0.1, 0.05, 0.25, 0.04)):
        rng = np.random.default_rng(100 + seed)
        target = np.zeros(rows.size, dtype=int)
        target[rng.choice(rows.size, int(share * rows.size), replace=False)] = 1
        result, parts = call_answer("4.0 (a)", split_rows, rows.copy(), target.copy())
        if result is not None:
            return result
        try:
            train, test = (np.asarray(part).astype(int).ravel() for part in parts)
        except (TypeError, ValueError):
            return failed(
                "4.0 (a)",
                "split_rows should return two arrays of row indices.",
                "return train_test_split(rows, ...), which gives (train_rows, test_rows).",
            )
        if sorted(np.concatenate([train, test]).tolist()) != rows.tolist():
            return failed(
                "4.0 (a)",
                "The two parts do not hold every row exactly once.",
                "split the row indices you are given; do not draw new ones.",
            )
        if test.size != 100:
            return failed(
                "4.0 (a)",
                f"The test part has {test.size} of 500 people.",
                "keep 20% of the people for the test (test_size=0.2).",
            )
        want = share * test.size
        if abs(target[test].sum() - want) > 1:
            return failed(
                "4.0 (a)",
                f"On fresh labels with {share:.0%} cases your test part has "
                f"{target[test].mean():.0%} cases.",
                "an unlucky split can leave too few cases in the test part: pass "
                "stratify= the labels, so both parts keep the share of cases.",
            )
    return passed(
        "4.0 (a)",
        "20% of the people in the test part, with the share of cases kept on six fresh "
        "label vectors (3% to 40% cases).",
    )


def exercise_4_0_accuracy(predicted, test_accuracy: float, probability, target) -> CheckResult:
    """Judge 4.0 (b): 0/1 calls from the model's probabilities and their accuracy.

    With calibrated probabilities, calling a case when P(case) > 0.5 makes the
    most correct calls; ``>= 0.5`` and rounding agree with it.
    """
    target = np.asarray(target).astype(int)
    probability = np.asarray(probability, dtype=float)
    if probability.ndim == 2:
        probability = probability[:, -1]
    predicted = np.asarray(predicted)
    if predicted.shape != target.shape or not np.isin(predicted, [0, 1]).all():
        return failed(
            "4.0 (b)",
            "predicted should hold one 0 or 1 per test person.",
            "turn each probability into a class: a case when it passes a threshold.",
        )
    accuracy = metrics.accuracy_score(target, predicted)
    try:
        test_accuracy = float(test_accuracy)
    except (TypeError, ValueError):
        return failed("4.0 (b)", f"test_accuracy is {test_accuracy!r}.", "one number.")
    if not np.isclose(test_accuracy, accuracy):
        return failed(
            "4.0 (b)",
            f"test_accuracy = {test_accuracy:.3f}, but your calls are right for "
            f"{accuracy:.3f} of the test people.",
            "accuracy_score(test.target, predicted): the held-out people, not train.",
        )
    half = (probability > 0.5).astype(int)
    if (predicted != half).mean() > 0.01:
        share = float(predicted.mean())
        return failed(
            "4.0 (b)",
            f"Your rule calls {share:.0%} of the test people cases; P(case) > 0.5 calls "
            f"{half.mean():.0%}.",
            "with calibrated probabilities, a case is more likely than not when its "
            "probability is above 0.5: that threshold makes the most correct calls. (The "
            "share of cases is not a threshold.)",
        )
    return passed(
        "4.0 (b)",
        f"held-out accuracy {accuracy:.3f} on {target.size} people, calls at P(case) > 0.5.",
    )


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
