"""Self-checks for chapter 3, AutoML concepts.

The checks judge behavior: 3.1 probes the learner's fitted search (does its
pipeline fill missing calls, does it score by ROC AUC, does it vary the number
of kept sites) whatever search class built it; 3.2 calls the learner's two
functions on phenotypes they never saw, pure noise and a real signal.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.base import clone
from sklearn.feature_selection import SelectKBest, SelectorMixin, f_classif
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import get_scorer
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.model_selection._search import BaseSearchCV
from sklearn.pipeline import Pipeline, make_pipeline

from vcfml.check.feedback import CheckResult, call_answer, failed, passed


def _probe_data(n_samples: int = 120, n_sites: int = 30, seed: int = 0):
    """Dosages with 5% missing calls (-1) and a phenotype driven by site 0."""
    rng = np.random.default_rng(seed)
    X = rng.binomial(2, 0.3, size=(n_samples, n_sites)).astype(float)
    y = (X[:, 0] + rng.normal(0, 0.8, n_samples) > 0.6).astype(int)
    X[rng.random(X.shape) < 0.05] = -1
    return X, y


TASK_K = (5, 10, 20, 50, 100)  # the numbers of kept sites exercise 3.1 asks for
TASK_C = (0.01, 0.1, 1.0)
# How far a best cross-validated AUC may rise above the Bayes-optimal AUC by chance: about
# one standard error of an AUC near 0.86 on 600 people with 30% cases (Hanley & McNeil
# 1982, Radiology 143:29), which also covers the small optimism of the best of 15 scores.
CEILING_MARGIN = 0.02


def exercise_3_1(search, X=None, *, ceiling: float | None = None) -> CheckResult:
    """Check a manual hyperparameter search over a screening pipeline.

    Any fitted scikit-learn search (GridSearchCV, RandomizedSearchCV, the
    halving searches) passes when its pipeline fills missing calls (-1) before
    screening, screens inside the pipeline, searches the task's values of k
    (5, 10, 20, 50, 100) and C (0.01, 0.1, 1), scores by ROC AUC, and was
    fitted on the whole matrix ``X`` (when given): a search fitted on columns
    screened beforehand, on all samples, has seen every fold's phenotypes, and
    its score is leaked (exercise 3.2).

    ``ceiling`` (the cohort's Bayes-optimal AUC, ``truth.json``): no model can
    expect to beat it, so a best cross-validated AUC more than ``CEILING_MARGIN``
    above it is leaked too, however the columns were screened or renamed.
    """
    given = None if X is None else np.shape(X)
    if not isinstance(search, BaseSearchCV):
        return failed(
            "3.1",
            f"Expected a scikit-learn search object, got {type(search).__name__}.",
            "GridSearchCV(pipeline, grid, scoring=..., cv=folds), then search.fit(X, y).",
        )
    if not hasattr(search, "cv_results_"):
        return failed("3.1", "The search is not fitted yet.", "call search.fit(X, y) first.")
    estimator = search.estimator
    selectors = (
        [i for i, (_, step) in enumerate(estimator.steps) if isinstance(step, SelectorMixin)]
        if isinstance(estimator, Pipeline)
        else []
    )
    if not selectors:
        return failed(
            "3.1",
            "The searched estimator is not a pipeline with a screening step.",
            "put the site selection in a Pipeline before the model, so each fold screens its "
            "own training part.",
        )
    position = selectors[0]
    selector = estimator.steps[position][0]
    X, y = _probe_data()
    before = estimator[:position]
    if position == 0:
        return failed(
            "3.1",
            "Missing calls (-1) reach the screen as if they were a genotype.",
            "fill the missing calls before screening, e.g. SimpleImputer(missing_values=-1, ...).",
        )
    filled = clone(before).fit_transform(X, y)
    filled = filled.toarray() if hasattr(filled, "toarray") else np.asarray(filled, dtype=float)
    missing = X == -1
    called_low = np.where(missing, np.inf, filled).min(axis=0)
    called_high = np.where(missing, -np.inf, filled).max(axis=0)
    outside = missing & ((filled < called_low - 1e-9) | (filled > called_high + 1e-9))
    if filled.shape != X.shape or outside.any() or not np.isfinite(filled).all():
        return failed(
            "3.1",
            "Missing calls (-1) come out of the steps before the screen as values no real "
            "genotype has.",
            "the imputer must know that -1 means missing: SimpleImputer(missing_values=-1, "
            "strategy=...); its default looks for NaN.",
        )
    k_values = {
        str(value) for value in search.cv_results_.get(f"param_{selector}__k", np.array([]))
    }
    if len(k_values) < 2:
        return failed(
            "3.1",
            "The search does not vary the number of kept sites.",
            f"add '{selector}__k' (how many sites to keep) to the grid: it matters most.",
        )
    columns = getattr(search, "n_features_in_", None)
    if given is not None and columns is not None and columns != given[1]:
        return failed(
            "3.1",
            f"The search was fitted on {columns} columns, but X has {given[1]}: the "
            "sites were chosen before the search, on all samples.",
            "fit the search on the whole X: the screen must run inside each fold (as a "
            "pipeline step), or the score is leaked, as exercise 3.2 shows.",
        )
    largest = max((_number(v) for v in _searched_values(search, f"{selector}__k")), default=None)
    if columns is not None and largest is not None and largest >= columns:
        return failed(
            "3.1",
            f"The largest k ({largest:g}) keeps every one of the {columns} columns the search "
            "was given: were the sites screened before the search, on all samples?",
            "fit the search on the whole genotype matrix; the screen is a step of the pipeline.",
        )
    model_c = next(
        (name for name in _searched_names(search) if name.endswith("__C") or name == "C"), None
    )
    for name, wanted in ((f"{selector}__k", TASK_K), (model_c, TASK_C)):
        searched = {_number(v) for v in _searched_values(search, name)} if name else set()
        absent = [v for v in wanted if not any(np.isclose(v, list(searched)))]
        if absent:
            what = "kept sites (k)" if name and name.endswith("__k") else "C"
            return failed(
                "3.1",
                f"The search leaves out {what} = {', '.join(f'{v:g}' for v in absent)}.",
                f"search every value the task names: k in {', '.join(map(str, TASK_K))}; "
                f"C in {', '.join(f'{c:g}' for c in TASK_C)}.",
            )
    # Score one fitted pipeline with the search's scorer and with ROC AUC.
    probe = clone(search.best_estimator_).set_params(**{f"{selector}__k": 5}).fit(X, y)
    auc = get_scorer("roc_auc")(probe, X, y)
    scored = search.scorer_(probe, X, y)
    if isinstance(scored, dict) or not np.isclose(scored, auc):
        name = search.scoring if isinstance(search.scoring, str) else "its default"
        return failed(
            "3.1",
            f"The search scores by {name}, not by ROC AUC.",
            "pass scoring='roc_auc': accuracy depends on a threshold and on the share of cases.",
        )
    if ceiling is not None and search.best_score_ > float(ceiling) + CEILING_MARGIN:
        return failed(
            "3.1",
            f"The best cross-validated AUC, {search.best_score_:.3f}, is above the cohort's "
            f"ceiling, {float(ceiling):.3f}: the Bayes-optimal rule, which knows the causal "
            "sites, cannot expect that much, so the folds' phenotypes leaked into the search "
            "(sites screened on all samples before it).",
            "fit the search on the whole genotype matrix; the screen is a step of the "
            "pipeline, so each fold screens its own training part (exercise 3.2).",
        )
    return passed(
        "3.1",
        f"{type(search).__name__} tried {len(search.cv_results_['params'])} configurations; "
        f"best cross-validated AUC {search.best_score_:.3f} with {search.best_params_}.",
    )


def _grids(search) -> list[dict]:
    """The search's parameter grid(s) or distributions, as a list of dicts."""
    grid = getattr(search, "param_grid", None) or getattr(search, "param_distributions", None)
    if grid is None:
        return []
    return [grid] if isinstance(grid, dict) else list(grid)


def _searched_names(search) -> set[str]:
    return {name for grid in _grids(search) for name in grid}


def _searched_values(search, name: str) -> list:
    """Every value the search could try for ``name`` (a distribution gives the tried ones)."""
    values = []
    for grid in _grids(search):
        options = grid.get(name)
        if options is None:
            continue
        if hasattr(options, "rvs"):  # a scipy distribution: only the tried values are known
            values += list(search.cv_results_.get(f"param_{name}", []))
        else:
            values += list(options)
    return [value for value in values if _number(value) is not None]


def _number(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _weak_honest_hint(value: float, X, y, folds) -> str:
    """Why an honest estimate misses a real signal: no screen, too many sites, or
    the notebook's data in place of the function's arguments."""
    model = LogisticRegression(max_iter=2000)
    if abs(cross_val_score(model, X, y, cv=folds, scoring="roc_auc").mean() - value) < 0.01:
        return (
            "your honest_auc keeps every site (no screen): on 600 sites and 300 people the "
            "model fits noise. Keep the 20 best sites, selected inside each fold (a Pipeline)."
        )
    for k in (50, 100):
        honest = make_pipeline(SelectKBest(f_classif, k=k), model)
        if abs(cross_val_score(honest, X, y, cv=folds, scoring="roc_auc").mean() - value) < 0.01:
            return f"your honest_auc keeps {k} sites; the exercise keeps k=20 in both versions."
    return "use the X and y the function receives, not the notebook's variables."


def _noise_and_signal(seed: int):
    """A 300 x 600 dosage matrix, a pure-noise phenotype and one with signal."""
    rng = np.random.default_rng(seed)
    X = rng.binomial(2, rng.uniform(0.05, 0.5, 600), size=(300, 600)).astype(float)
    noise = rng.integers(0, 2, 300)
    signal = X[:, :5].sum(axis=1) + rng.normal(0, 1.0, 300) > np.median(X[:, :5].sum(axis=1))
    return X, noise, signal.astype(int)


class _CountingFolds(StratifiedKFold):
    """Stratified folds that count how often they are used, so that the check
    can tell a cross-validated score from one on the training data."""

    def __init__(self, n_splits=5, *, shuffle=False, random_state=None):
        super().__init__(n_splits, shuffle=shuffle, random_state=random_state)
        self.uses = 0

    def split(self, X, y=None, groups=None):
        self.uses += 1
        return super().split(X, y, groups)


def _reference(X, y, folds, scoring: str) -> tuple[float, float]:
    model = LogisticRegression(max_iter=2000)
    kept = SelectKBest(f_classif, k=20).fit_transform(X, y)
    leaky = cross_val_score(model, kept, y, cv=folds, scoring=scoring).mean()
    honest = make_pipeline(SelectKBest(f_classif, k=20), model)
    return leaky, cross_val_score(honest, X, y, cv=folds, scoring=scoring).mean()


def exercise_3_2(leaky_auc: Callable, honest_auc: Callable) -> CheckResult:
    """Check the two ways to screen: ``leaky_auc(X, y, folds)`` and ``honest_auc(X, y, folds)``.

    Both are called on new data: a pure-noise phenotype, where the honest
    estimate must be near 0.5 and the leaky one far above it, and a phenotype
    with signal, where the honest one must find it. The numbers must be ROC AUCs
    close to the check's own computation (another model or k gives a warning
    band of 0.05, not an exact match).
    """
    X, noise, signal = _noise_and_signal(seed=3)
    folds = StratifiedKFold(5, shuffle=True, random_state=1)
    values = {}
    for name, function in (("leaky_auc", leaky_auc), ("honest_auc", honest_auc)):
        for phenotype_name, y in (("noise", noise), ("signal", signal)):
            given = _CountingFolds(5, shuffle=True, random_state=1)
            result, value = call_answer("3.2", function, X, y, given)
            if result is not None:
                return result
            if given.uses == 0:
                return failed(
                    "3.2",
                    f"{name} never used the folds it was given: it scores the model on the "
                    "people it was fitted on (a training AUC), or on the notebook's own "
                    "variables instead of its arguments.",
                    "score with cross_val_score(..., cv=folds) on the X, y and folds the "
                    "function receives: the leaky version leaks through the screen only, "
                    "its model is still cross-validated.",
                )
            try:
                values[name, phenotype_name] = float(value)
            except (TypeError, ValueError):
                return failed(
                    "3.2", f"{name} returned {value!r}.", "return one number: the mean ROC AUC."
                )
    leaky, honest = values["leaky_auc", "noise"], values["honest_auc", "noise"]
    want_leaky, want_honest = _reference(X, noise, folds, "roc_auc")
    accuracy = _reference(X, noise, folds, "accuracy")
    if np.allclose([leaky, honest], accuracy, atol=1e-6) and not np.allclose(
        [leaky, honest], [want_leaky, want_honest], atol=1e-6
    ):
        return failed(
            "3.2",
            f"On new noise your numbers ({leaky:.3f}, {honest:.3f}) are accuracies.",
            "cross_val_score scores by accuracy unless you pass scoring='roc_auc'.",
        )
    if abs(leaky - want_honest) < 0.05 and abs(honest - want_leaky) < 0.05:
        return failed(
            "3.2",
            f"On new noise leaky_auc gives {leaky:.3f} and honest_auc {honest:.3f}: the two "
            "are swapped.",
            "the leaky version screens on all samples *before* cross-validation; the honest "
            "one screens inside each fold (a Pipeline).",
        )
    if not 0.4 <= honest <= 0.6:
        return failed(
            "3.2",
            f"On a new pure-noise phenotype honest_auc gives {honest:.3f}; it should be near 0.5.",
            "fit the screening inside cross-validation (a Pipeline), never on all samples.",
        )
    if leaky < honest + 0.1:
        return failed(
            "3.2",
            f"On a new pure-noise phenotype leaky_auc ({leaky:.3f}) is not much above "
            f"honest_auc ({honest:.3f}).",
            "for the leaky version select sites on *all* samples first, then cross-validate "
            "the model alone on the kept columns.",
        )
    with_signal = values["honest_auc", "signal"]
    if with_signal < 0.7:
        return failed(
            "3.2",
            f"On a phenotype driven by five sites honest_auc gives only {with_signal:.3f}.",
            _weak_honest_hint(with_signal, X, signal, folds),
        )
    if abs(leaky - want_leaky) > 0.05 or abs(honest - want_honest) > 0.05:
        return failed(
            "3.2",
            f"On new noise you get {leaky:.3f} and {honest:.3f}; 20 sites and a logistic "
            f"regression give {want_leaky:.3f} and {want_honest:.3f}.",
            "keep k=20 sites, use the folds you are given and scoring='roc_auc'.",
        )
    return passed(
        "3.2",
        f"on new pure noise, screening before CV reports AUC {leaky:.3f}; inside CV "
        f"{honest:.3f}; with a real signal the honest estimate is {with_signal:.3f}.",
    )


def exercise_3_1_choice(chosen: dict, search) -> CheckResult:
    """Judge 3.1 (b): the configuration kept by the one-standard-error rule.

    The chosen parameters must score within one standard error (the folds'
    standard deviation over the square root of their number) of the best mean,
    and no configuration in that band may be simpler in both respects: fewer
    kept sites and no weaker regularization (C no larger), or the other way round.
    So "fewest sites, then smallest C" and "smallest C, then fewest sites" both pass.
    """
    results = getattr(search, "cv_results_", None)
    if results is None:
        return failed("3.1 (b)", "The search is not fitted.", "run exercise 3.1 (a) first.")
    try:
        chosen = {str(name): value for name, value in dict(chosen).items()}
    except (TypeError, ValueError):
        return failed(
            "3.1 (b)",
            f"chosen is a {type(chosen).__name__}, not a dict of parameters.",
            "store the kept row's `params` (a dict like search.best_params_).",
        )
    params = [dict(p) for p in results["params"]]
    row = next((i for i, p in enumerate(params) if _same_params(p, chosen)), None)
    if row is None:
        return failed(
            "3.1 (b)",
            f"{chosen} is not one of the configurations the search tried.",
            "take the `params` of a row of search.cv_results_.",
        )
    k_name = next((n for n in params[0] if n.endswith("__k")), None)
    c_name = next((n for n in params[0] if n.endswith("__C") or n == "C"), None)
    means, stds = np.asarray(results["mean_test_score"]), np.asarray(results["std_test_score"])
    best = int(np.argmax(means))
    n_splits = search.n_splits_
    band = means[best] - stds[best] / np.sqrt(n_splits)
    if means[row] < band - 1e-12:
        wide = means[best] - stds[best]
        hint = (
            "the standard error is the standard deviation over the square root of the "
            f"number of folds ({n_splits}), not the standard deviation itself."
            if means[row] >= wide - 1e-12
            else "keep only configurations whose mean is at least the best minus one "
            "standard error."
        )
        return failed(
            "3.1 (b)",
            f"{chosen} scores {means[row]:.3f}, more than one standard error below the best "
            f"({means[best]:.3f}, band from {band:.3f}).",
            hint,
        )

    def size(i):
        return _number(params[i].get(k_name, 0)), _number(params[i].get(c_name, 0))

    simpler = [
        i for i in range(len(params))
        if means[i] >= band - 1e-12 and size(i) != size(row)
        and size(i)[0] <= size(row)[0] and size(i)[1] <= size(row)[1]
    ]  # fmt: skip
    if simpler:
        other = params[simpler[0]]
        hint = (
            "that is the best configuration; the rule keeps the *simplest* one whose score "
            "is within one standard error of it."
            if row == best
            else "simpler means fewer kept sites and a smaller C (stronger regularization)."
        )
        return failed(
            "3.1 (b)",
            f"{other} is within one standard error of the best too, and simpler than {chosen}.",
            hint,
        )
    return passed(
        "3.1 (b)",
        f"{chosen} (CV AUC {means[row]:.3f}) is within one standard error of the best "
        f"({means[best]:.3f}) and no configuration in that band is simpler.",
    )


def _same_params(a: dict, b: dict) -> bool:
    if set(a) != set(b):
        return False
    return all(
        (_number(a[n]) is not None and _number(b[n]) is not None
         and np.isclose(_number(a[n]), _number(b[n]))) or a[n] == b[n]
        for n in a
    )  # fmt: skip


LEAK_KS = (5, 20, 100)


def exercise_3_2_by_k(leaky_by_k: dict, X, y, folds) -> CheckResult:
    """Judge 3.2 (c): the leaky AUC on the noise phenotype for k = 5, 20 and 100,
    recomputed here (screen on all samples, then cross-validate a logistic
    regression on the kept columns)."""
    try:
        got = {int(k): float(v) for k, v in dict(leaky_by_k).items()}
    except (TypeError, ValueError):
        return failed(
            "3.2 (c)",
            "leaky_by_k should map each k to one AUC.",
            "a dict {5: auc, 20: auc, 100: auc}.",
        )
    if sorted(got) != list(LEAK_KS):
        return failed(
            "3.2 (c)", f"leaky_by_k has the keys {sorted(got)}.", "use the keys 5, 20 and 100."
        )
    model = LogisticRegression(max_iter=2000)
    want = {}
    for k in LEAK_KS:
        kept = SelectKBest(f_classif, k=k).fit_transform(X, y)
        want[k] = cross_val_score(model, kept, y, cv=folds, scoring="roc_auc").mean()
    off = [k for k in LEAK_KS if abs(got[k] - want[k]) > 0.02]
    if not off:
        return passed(
            "3.2 (c)",
            "the leak grows with k: "
            + ", ".join(f"k={k} {got[k]:.3f}" for k in LEAK_KS)
            + " on pure noise.",
        )
    values = [got[k] for k in LEAK_KS]
    if np.ptp(values) < 1e-9:
        hint = (
            "all three are the same number: the function keeps a fixed number of sites; "
            "pass k to the screen (SelectKBest(f_classif, k=k))."
        )
    elif all(0.4 <= v <= 0.6 for v in values):
        hint = (
            "these are honest estimates, near 0.5: the leak needs the screen fitted on all "
            "samples, before cross-validation."
        )
    else:
        hint = (
            "screen on all samples with SelectKBest(f_classif, k=k), then cross_val_score "
            "a logistic regression on the kept columns with the folds and scoring='roc_auc'."
        )
    k = off[0]
    return failed("3.2 (c)", f"For k={k} you have {got[k]:.3f}; the leaky AUC is {want[k]:.3f}.",
                  hint)  # fmt: skip
