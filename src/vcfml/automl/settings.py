"""What an AutoML run may do: metric, budget, validation scheme, models, seed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from vcfml.automl.metrics import METRICS
from vcfml.errors import VcfmlError
from vcfml.settings import automl_budget, budget_is_set

# The model families a run may try, by name. The names live here, apart from
# their search spaces (vcfml.automl.estimators, which imports FLAML and LightGBM),
# so that checking settings, or splitting samples for a screen run elsewhere
# (chapter 6), does not load the search engine; a test keeps the two in step.
ESTIMATOR_NAMES = ("logistic", "lightgbm", "random_forest", "extra_trees")

# How the screen ranks sites (vcfml.automl.screening): one by one, or with the
# partners of the strongest anchor-site interactions moved up (vcfml.automl.interactions);
# "auto" lets the search choose between the two, trial by trial, on the folds.
SCREENS = ("auto", "marginal", "pairs")

COURSE_TRIALS = 12  # trials of a course notebook run when no budget is set


@dataclass
class AutoMLSettings:
    """Settings of one AutoML run.

    Attributes:
        metric: primary metric, one of ``accuracy``, ``roc_auc``,
            ``balanced_accuracy``, ``f1``, ``log_loss``.
        test_size: stratified share of the samples held out before anything
            else (screening, search, the vote) and scored once at the end: the
            test estimate, with a 95% bootstrap interval. ``0`` switches it off
            (then only the search's optimistic score is left).
        budget: seconds for the whole run, screening, refits, importance and
            MLflow logging included; by default the course-wide budget
            (``VCFML_AUTOML_BUDGET``).
        max_trials: stop after this many configurations (with or without a budget).
        deterministic: ignore the clock: run exactly ``max_trials`` trials so
            the result depends only on the data and the seed (book and tests).
        folds: k of stratified k-fold cross-validation (``None`` to use
            ``validation_fraction`` instead).
        validation_fraction: hold out this stratified fraction instead of CV.
        estimators: model families to try (default: all).
        blocked: model families not to try.
        n_sites: fix how many sites the screen keeps; ``None`` searches it
            between 1 and ``max_sites``.
        max_sites: the most sites a model may use.
        min_maf: sites rarer than this (in the training data) are never used.
        screen: how each fold's screen ranks the sites. ``marginal``: one by
            one, by the covariate-adjusted association test. ``pairs``: the
            same ranking with the partners of the strongest pairwise
            interactions of its best sites moved up next to them
            (:mod:`vcfml.automl.interactions`): a pair whose partner has no
            effect on its own reaches the model. ``auto`` (default): both are
            computed in every fold (on its training samples only) and the search
            chooses one per trial, like a hyperparameter, so cross-validation
            decides whether the interaction screen helps on these data. Under a
            budget the pairs screen is skipped (and a note in the run says so)
            when it would not fit in the first fold's share of the screening
            time; the trials then use the one-site ranking.
            Measured (``benchmarks/screens.py``, 40 trials, 3 seeds, 1,000 x
            10,000): against ``marginal``, +0.002 ± 0.005 test AUC on an additive
            cohort and 0.000 ± 0.053 on the epistatic one (+0.055 on the seed
            whose interacting partner the screen found): no loss, a gain only
            when an interaction is strong enough to find.
        seed: seeds the folds, the search and the models.
        selection: ``best`` (default) refits the top-scoring trial;
            ``one_standard_error`` refits the trial using the fewest sites among
            those within one standard error of the best cross-validated score: a
            sparser, easier to explain model, but with few samples (large
            standard errors) it can drop real signal. Measured on the
            1,000 x 100,000 benchmark cohort: 5 sites and test AUC 0.787 against
            33 sites and 0.811 for ``best``.
        ensemble: after the search, try a weighted vote of the best trials
            (Azure ML's VotingEnsemble, :mod:`vcfml.automl.ensemble`) and
            choose it when its cross-validated score beats every single trial.
            Only with ``selection="best"``: the one-standard-error rule asks
            for one sparse model, which a vote is not.
        verbose: 0 silent, 1 progress bar and new bests, 2 every trial.
        concurrent_trials: trials evaluated at the same time. On Azure ML this
            is the job's ``max_concurrent_trials`` (the compute cluster gets as
            many nodes). Locally, above 1, FLAML runs trials on Ray (the
            ``parallel`` extra, ``pip install -e ".[parallel]"``).
    """

    metric: str = "roc_auc"
    test_size: float = 0.2
    budget: float | None = None
    max_trials: int | None = None
    deterministic: bool = False
    folds: int | None = 5
    validation_fraction: float | None = None
    estimators: Sequence[str] | None = None
    blocked: Sequence[str] = field(default_factory=tuple)
    n_sites: int | None = None
    max_sites: int = 1000
    min_maf: float = 0.01
    screen: str = "auto"
    seed: int = 0
    selection: str = "best"
    ensemble: bool = True
    verbose: int = 1
    concurrent_trials: int = 1

    def resolved(self) -> AutoMLSettings:
        """A checked copy with the default budget and estimator list filled in."""
        problems = []
        if self.metric not in METRICS:
            problems.append(f"unknown metric {self.metric!r}; choose one of {', '.join(METRICS)}")
        budget = self.budget
        if self.deterministic:
            if not self.max_trials:
                problems.append("deterministic mode needs max_trials (a fixed number of trials)")
            budget = None
        elif budget is None:
            budget = automl_budget()
        if budget is not None and not budget > 0:
            problems.append(f"budget must be a positive number of seconds, got {budget}")
        if not 0 <= self.test_size < 1:
            problems.append(f"test_size must be in [0, 1), got {self.test_size}")
        if self.max_trials is not None and self.max_trials < 1:
            problems.append(f"max_trials must be at least 1, got {self.max_trials}")
        if self.validation_fraction is None and (self.folds is None or self.folds < 2):
            problems.append("use folds >= 2 or a validation_fraction")
        if self.validation_fraction is not None and not 0 < self.validation_fraction < 1:
            problems.append(
                f"validation_fraction must be in (0, 1), got {self.validation_fraction}"
            )
        allowed = list(self.estimators or ESTIMATOR_NAMES)
        unknown = [name for name in [*allowed, *self.blocked] if name not in ESTIMATOR_NAMES]
        if unknown:
            problems.append(
                f"unknown estimators {unknown}; choose from {', '.join(ESTIMATOR_NAMES)}"
            )
        allowed = [name for name in allowed if name not in set(self.blocked)]
        if not allowed and not unknown:
            problems.append("every estimator is blocked: nothing to try")
        if self.n_sites is not None and self.n_sites < 1:
            problems.append(f"n_sites must be at least 1, got {self.n_sites}")
        if self.selection not in {"one_standard_error", "best"}:
            problems.append(
                f"selection must be 'one_standard_error' or 'best', got {self.selection!r}"
            )
        if self.concurrent_trials < 1:
            problems.append(f"concurrent_trials must be at least 1, got {self.concurrent_trials}")
        if self.screen not in SCREENS:
            problems.append(f"screen must be one of {', '.join(SCREENS)}, got {self.screen!r}")
        if not 0 <= self.min_maf < 0.5:
            problems.append(f"min_maf must be in [0, 0.5), got {self.min_maf}")
        if problems:
            raise VcfmlError("; ".join(problems))
        values = asdict(self)
        values.update(budget=budget, estimators=tuple(allowed), blocked=tuple(self.blocked))
        return AutoMLSettings(**values)

    def to_dict(self) -> dict:
        values = asdict(self)
        values["estimators"] = list(values["estimators"] or [])
        values["blocked"] = list(values["blocked"])
        return values


def course_settings(fraction: float = 1.0, **overrides) -> AutoMLSettings:
    """Settings for an AutoML run in a course notebook.

    With ``VCFML_AUTOML_BUDGET`` set (a workshop), the run is timed: ``fraction``
    of that budget. Without it (CI, the committed outputs), the run is
    deterministic: a fixed number of trials, the same on every machine.

    Course runs refit one model, not a vote of several (``ensemble=False``), so
    that chapter 5 can explain it exactly with SHAP; chapter 4 shows the vote.
    They rank sites one by one (``screen="marginal"``): the course's cohorts are
    additive unless a notebook says otherwise (it then passes ``screen="auto"``),
    and 12 trials are few to share between two screens.
    """
    values: dict = {"ensemble": False, "verbose": 0, "screen": "marginal"}
    if budget_is_set():
        values["budget"] = automl_budget(fraction)
    else:
        values.update(deterministic=True, max_trials=COURSE_TRIALS)
    values.update(overrides)
    return AutoMLSettings(**values)
