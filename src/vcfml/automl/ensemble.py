"""The last step of a search: a weighted vote of the best trials.

Trials that score almost the same rarely make the same mistakes: a logistic
regression on 600 sites and a boosted tree model on 40 sites err on different
people. Averaging their probabilities cancels part of those errors. Azure ML's
AutoML ends every experiment with such a *VotingEnsemble*; vcfml does the same,
locally, with the same recipe: greedy ensemble selection with replacement
(Caruana et al., "Ensemble selection from libraries of models", ICML 2004).

Every trial keeps its out-of-fold probabilities, the predictions each fold's
model made for the samples it did not see. Starting from nothing, each round
adds the trial (again, if it is already in) whose addition gives the best
score of the averaged probabilities; after ``rounds`` rounds the best prefix is
kept. A trial picked three times weighs three times as much.

Weights chosen on some predictions always look good on those predictions. So
the search (:func:`vcfml.automl.search.run_automl`) splits the folds in two:
the weights, and the best single trial to compare with, are chosen on the
out-of-fold predictions of the first folds; the vote is kept only when it beats
that trial on the other folds, whose samples neither choice looked at.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from vcfml.automl.estimators import fit_before
from vcfml.automl.metrics import Metric

POOL_SIZE = 20  # best trials the vote may choose from
ROUNDS = 15  # Azure ML's default ``ensemble_iterations``


@dataclass
class Vote:
    """The chosen trials and their weights, with the vote's per-fold predictions."""

    weights: dict[int, float]  # trial iteration -> weight, summing to 1
    fold_probabilities: list[np.ndarray]
    score: float


def select_ensemble(
    oof: dict[int, list[np.ndarray]],
    fold_targets: list[np.ndarray],
    metric: Metric,
    pool: list[int],
    rounds: int = ROUNDS,
    deadline: float | None = None,
) -> Vote:
    """Greedy ensemble selection with replacement over the ``pool`` trials.

    ``oof[trial][fold]`` holds that trial's probabilities for the validation
    samples of the fold, in the order of ``fold_targets[fold]``. Scores are the
    mean over folds, as for a single trial. Ties go to the earlier trial in
    ``pool`` (the better ranked one), so the choice is deterministic. No new
    round starts after ``deadline`` (a ``time.perf_counter()`` value).
    """
    if not pool:
        raise ValueError("the ensemble needs at least one trial to choose from")
    sign = 1.0 if metric.greater_is_better else -1.0
    n_folds = len(fold_targets)
    candidates = [np.column_stack([oof[trial][f] for trial in pool]) for f in range(n_folds)]
    totals = [np.zeros(len(y)) for y in fold_targets]
    chosen: list[int] = []
    history: list[float] = []
    for size in range(1, rounds + 1):
        if deadline is not None and chosen and time.perf_counter() > deadline:
            break
        scores = np.mean(
            [
                metric.score_columns(y, (totals[f][:, None] + candidates[f]) / size)
                for f, y in enumerate(fold_targets)
            ],
            axis=0,
        )
        signed = np.where(np.isfinite(scores), sign * scores, -np.inf)
        best = int(np.argmax(signed))  # the first (best ranked) trial on ties
        chosen.append(pool[best])
        totals = [totals[f] + candidates[f][:, best] for f in range(n_folds)]
        history.append(float(signed[best]))
    keep = int(np.argmax(history)) + 1  # the best prefix; the shortest one on ties
    counts = Counter(chosen[:keep])
    weights = {trial: count / keep for trial, count in counts.items()}
    probabilities = [
        sum(weight * oof[trial][f] for trial, weight in weights.items()) for f in range(n_folds)
    ]
    return Vote(weights, probabilities, sign * history[keep - 1])


class VotingEnsemble(ClassifierMixin, BaseEstimator):
    """Weighted average of its members' probabilities.

    Every member was chosen with its own number of screened sites, so each one
    reads its own columns of the model's input: ``columns[i]`` lists them (its
    sites, then the covariates; ``None``: every column for every member).
    ``fit`` fits a copy of every member on its columns.

    This is scikit-learn's soft ``VotingClassifier`` with a column selection
    per member, written out because ``VotingClassifier`` does not do the job in
    either of the two ways it could be used (checked with scikit-learn 1.9.1):

    - fitted by its own ``fit`` (each member a ``ColumnTransformer`` pipeline),
      it fits its members one after the other with nothing that can stop them:
      the budget's deadline (:func:`fit_before`: trees stop growing, boosting
      stops) cannot reach inside, so a vote's refit could overrun ``--budget``;
    - with members fitted beforehand under the deadline and wrapped in
      ``sklearn.frozen.FrozenEstimator`` (its way to take prefit estimators),
      ``clone`` keeps the fitted members and ``fit`` leaves them as they are:
      ``cross_val_score`` on the model's pipeline would then score members
      fitted on the very samples it validates on, a silently optimistic score
      (a frozen vote cloned and fitted on the opposite labels predicts exactly
      what it predicted before). Here ``clone`` + ``fit`` refits every member
      (``tests/test_ensemble.py``).
    """

    fits_before_deadline = True  # fit() takes a deadline (see fit_before)

    def __init__(
        self, members: list, columns: list[np.ndarray] | None = None, weights: list | None = None
    ) -> None:
        self.members = members
        self.columns = columns
        self.weights = weights

    def _member_columns(self) -> list:
        if self.columns is None:
            return [slice(None)] * len(self.members)
        return [np.asarray(columns) for columns in self.columns]

    def fit(
        self, features: np.ndarray, y: np.ndarray, deadline: float | None = None
    ) -> VotingEnsemble:
        """Fit every member; with a ``deadline`` each one stops early once it has
        passed (see :func:`~vcfml.automl.estimators.fit_before`)."""
        features, y = validate_data(self, features, y)
        check_classification_targets(y)
        self.members_ = [clone(member) for member in self.members]
        self.complete_ = all(
            [
                fit_before(member, features[:, columns], y, deadline)
                for member, columns in zip(self.members_, self._member_columns(), strict=True)
            ]
        )
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        """The members' probabilities (one column per class of ``classes_``),
        averaged with their weights."""
        check_is_fitted(self, "members_")
        features = validate_data(self, features, reset=False)
        weights = self.weights if self.weights is not None else [1.0] * len(self.members_)
        total = np.zeros((len(features), len(self.classes_)))
        for member, columns, weight in zip(
            self.members_, self._member_columns(), weights, strict=True
        ):
            total += weight * member.predict_proba(features[:, columns])
        return total / np.sum(weights)

    def predict(self, features: np.ndarray) -> np.ndarray:
        """The class (from ``classes_``) of highest averaged probability."""
        probability = self.predict_proba(features)  # first: NotFittedError before fit
        return self.classes_[np.argmax(probability, axis=1)]
