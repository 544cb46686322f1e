"""The AutoML search, made for genotypes.

Before anything else, a stratified share of the samples (``test_size``, 20%
by default) is held out. Screening, the search and the choice of the vote never
see it; the chosen pipeline, refitted on the other samples, is scored on it once.
That *test estimate* is the number to quote. The search's own best score is
optimistic: it is the best of many trials scored on the same folds, and the
more trials, the luckier the best one (the winner's curse of model selection).
The saved model is then refitted on all samples.

FLAML's tuner (``flaml.tune``, the cost-frugal CFO search) proposes
configurations: a model family, its hyperparameters and how many screened sites
to use. vcfml evaluates each one by cross-validation in which the association
screen was fitted on the training folds only. Because the screen's ranking
does not depend on the configuration, it is computed once per fold before the
search starts; a trial then only fits a small model on the top ``k`` sites, so
even 100,000-site cohorts get many trials within the budget.

Every trial keeps its out-of-fold predictions; after the search a weighted vote
of the best trials (:mod:`vcfml.automl.ensemble`, Azure ML's VotingEnsemble)
becomes the last trial when it beats the best single trial honestly: weights and
that trial are chosen on the first folds, the comparison is made on the others.

The budget counts from ``started`` (the CLI passes its own start, so reading
the VCF counts too) and is kept by mechanisms, not hopes: the screen of the
folds stops when it has used its share; FLAML starts no trial after the search's
share and every fit stops at the search's deadline (trees stop growing, boosting
stops; see :func:`~vcfml.automl.estimators.fit_before`); each refit is checked
against the time left, and skipped (the model of the search samples is kept)
when it would not fit; the final refit may use the budget to its end. The
caller's ``reserved_seconds`` (the CLI's importance and MLflow logging, which
it skips with a message when there is no time) are kept out of the budget
from the start.
"""

from __future__ import annotations

import importlib.util
import json
import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from tqdm import TqdmWarning

from vcfml.automl._flaml import tune
from vcfml.automl.ensemble import POOL_SIZE, VotingEnsemble, select_ensemble
from vcfml.automl.estimators import FAMILIES, build_estimator, fit_before
from vcfml.automl.interactions import N_PAIRS
from vcfml.automl.metrics import METRICS, all_scores, bootstrap_scores
from vcfml.automl.model import FittedModel, build_pipeline
from vcfml.automl.screening import GenotypeScreen, impute, screen_ploidy
from vcfml.automl.settings import AutoMLSettings
from vcfml.automl.splits import cv_splits, holdout_split
from vcfml.errors import VcfmlError
from vcfml.features import Dataset
from vcfml.interrupts import raise_if_interrupted

SEARCH_SHARE = 0.8  # trials end here, less the time the refits' screens will take
SCREEN_SHARE = 0.4  # no new fold is screened after this share of the budget
ENSEMBLE_SHARE = 0.82  # no new round of the ensemble selection after this share
ENSEMBLE = "ensemble"  # the estimator name of the vote in the leaderboard
MARGINAL, PAIRS = "marginal", "pairs"  # the screens a trial chooses from (settings.screen)
REFIT_MARGIN = 1.5  # a refit on all samples costs about this much more than one fold's fit
# FLAML's searcher draws its proposals from its own seed (20 unless told), which
# settings.seed did not reach: the searcher gets FLAML's seed + settings.seed, so
# seed 0 proposes what FLAML's default does and another seed other proposals.
FLAML_SEARCHER_SEED = 20


@dataclass(frozen=True)
class Clock:
    """The budget as deadlines: ``time.perf_counter()`` values, ``None`` without a budget."""

    start: float
    budget: float | None

    def at(self, share: float) -> float | None:
        return None if self.budget is None else self.start + share * self.budget

    def left(self, share: float = 1.0) -> float:
        """Seconds until ``share`` of the budget (infinite without a budget)."""
        deadline = self.at(share)
        return math.inf if deadline is None else deadline - time.perf_counter()


@dataclass
class _Fold:
    """One train/validation split with its screen already fitted on the training part."""

    train_x: np.ndarray  # the sites either ranking puts on top (imputed), then covariates
    train_y: np.ndarray
    valid_x: np.ndarray
    valid_y: np.ndarray
    n_ranked: int  # sites each ranking offers
    orders: dict[str, np.ndarray]  # per screen, its ranked sites as columns of train_x
    n_columns: int  # site columns of train_x; the covariates follow

    def columns(self, screen: str, k: int) -> np.ndarray:
        """Columns of the ``k`` best sites of ``screen``, then the covariates."""
        return np.r_[self.orders[screen][:k], self.n_columns : self.train_x.shape[1]]


@dataclass
class AutoMLResult:
    """What a run produces: the refitted best pipeline, every trial and the scores.

    Attributes:
        model: the chosen pipeline refitted on all samples (or, when the budget
            left no time for that refit, on the search samples: ``refit_on_all``).
        leaderboard: every trial; the vote's row is scored on the folds its
            weights did not see (column ``folds``).
        cv_metrics: the chosen trial's scores in the search (mean and std over
            folds). Optimistic: the best of ``len(leaderboard)`` trials on the
            same folds.
        test_metrics: every metric on the held-out test samples, with a 95%
            bootstrap interval (``None`` with ``test_size=0``).
        test_samples: the held-out sample IDs.
        holdout_model: the chosen pipeline fitted on the search samples only,
            the one the test samples scored (and that explanations use).
        notes: what the budget made the run skip or cut short.
        folds_used, folds_planned: the folds each trial was scored on, and
            those the settings asked for (fewer when the screen ran out of budget).
        screens: the rankings the trials chose from: those of ``settings.screen``,
            less the pairs one when the budget left no time for it (``notes``).
    """

    model: FittedModel
    leaderboard: pd.DataFrame
    cv_metrics: dict[str, dict[str, float]]
    settings: AutoMLSettings
    wall_seconds: float
    screening_seconds: float
    chosen_trial: int = 0
    test_metrics: dict[str, dict] | None = None
    test_samples: list[str] = field(default_factory=list)
    holdout_model: FittedModel | None = None
    refit_on_all: bool = True
    notes: list[str] = field(default_factory=list)
    folds_used: int = 0  # folds every trial was scored on
    folds_planned: int = 0  # folds the settings asked for (more than used: budget)
    started: float = 0.0  # perf_counter() the budget counts from
    screens: tuple[str, ...] = ()  # the rankings the trials chose from (fewer: budget)

    @property
    def best_score(self) -> float:
        """The search score of the chosen pipeline: optimistic, the best of many trials."""
        return self.cv_metrics[self.settings.metric]["mean"]

    @property
    def test_score(self) -> float | None:
        """The run's metric on the held-out test samples: the number to quote."""
        if self.test_metrics is None:
            return None
        return self.test_metrics[self.settings.metric]["mean"]

    def search_score_line(self) -> str:
        """``search score of the chosen ...``: which model and folds the search
        score is of. A vote is scored on the folds its weights did not see, so its
        score is not comparable with the single trials' (all folds); the line
        gives the best single trial's score on the same folds beside it."""
        metric = self.settings.metric
        board = self.leaderboard
        n_trials = int((board["estimator"] != ENSEMBLE).sum())  # single trials, not the vote
        chosen = board.set_index("iteration").loc[self.chosen_trial]
        folds = f"folds {chosen['folds']}" if "folds" in chosen else "the search's folds"
        if self.folds_planned and self.folds_used < self.folds_planned:
            folds += f" ({self.folds_used} of the {self.folds_planned} folds asked for: budget)"
        if chosen["estimator"] == ENSEMBLE:
            params = json.loads(chosen["params"])
            single = params.get("best_single_score_on_these_folds")
            versus = (
                f"; the best single trial ({params.get('best_single_trial')}) scored "
                f"{single:.4f} on the same folds"
                if single is not None
                else ""
            )
            return (
                f"search score of the chosen vote, on {folds}, which its weights did not see "
                f"(optimistic: its trials were chosen among {n_trials}): "
                f"{metric} {self.best_score:.4f}{versus}"
            )
        return (
            f"search score of the chosen trial {self.chosen_trial} ({chosen['estimator']}), "
            f"mean over {folds} (optimistic: chosen among {n_trials} trials on the same folds): "
            f"{metric} {self.best_score:.4f}"
        )

    def seconds_left(self) -> float:
        """Seconds of the budget left now (infinite without a budget)."""
        return Clock(self.started, self.settings.budget).left()


def run_automl(
    dataset: Dataset,
    settings: AutoMLSettings | None = None,
    started: float | None = None,
    reserved_seconds: float = 0.0,
) -> AutoMLResult:
    """Search models and hyperparameters for predicting ``dataset.target``.

    ``started`` is the ``time.perf_counter()`` value the budget counts from
    (default: now); the CLI passes its own start so that reading the VCF counts.
    ``reserved_seconds`` at the end of the budget are left to the caller (the
    CLI's importance and MLflow logging); at most half the budget is reserved.

    Raises:
        VcfmlError: bad settings, a target that is not binary, too few samples
            of a class for the test share and the folds, or no variant left
            after filtering.
    """
    start = time.perf_counter() if started is None else started
    settings = (settings or AutoMLSettings()).resolved()
    usable = None
    if settings.budget is not None:
        usable = max(settings.budget / 2, settings.budget - reserved_seconds)
    clock = Clock(start, usable)
    _check_target(dataset, settings)
    if settings.concurrent_trials > 1 and importlib.util.find_spec("ray") is None:
        raise VcfmlError(
            f"concurrent_trials={settings.concurrent_trials} runs trials in parallel on Ray, "
            'which is not installed: pip install -e ".[parallel]" (or use --backend azure)'
        )
    search_rows, test_rows = holdout_split(dataset.target, settings)
    search_data = dataset.subset(search_rows) if len(test_rows) else dataset
    screen_began = time.perf_counter()
    planned_folds = len(cv_splits(search_data.target, settings))
    notes: list[str] = []
    folds = _prepare_folds(search_data, settings, clock, notes)
    screening_seconds = time.perf_counter() - screen_began
    max_sites = min(fold.n_ranked for fold in folds)
    screens = tuple(folds[0].orders)
    space, starts = _search_space(settings, max_sites, screens)
    metric = METRICS[settings.metric]
    records: list[dict[str, Any]] = []
    cut_trials: set[int] = set()  # kept only because nothing else had finished yet
    out_of_fold: dict[int, list[np.ndarray]] = {}  # trial -> each fold's validation predictions
    # Each refit screens all its samples once, as each fold did for its training part.
    refits = 2 if len(test_rows) else 1
    refit_screen_seconds = refits * REFIT_MARGIN * screening_seconds / len(folds)
    search_end = clock.at(SEARCH_SHARE)
    if search_end is not None:
        search_end -= refit_screen_seconds

    progress = _progress_bar(
        total=settings.max_trials if settings.budget is None else round(settings.budget),
        desc=f"AutoML ({settings.metric})",
        unit="trial" if settings.budget is None else "s",
        disable=settings.verbose < 1,
        leave=True,
        mininterval=1.0,
    )

    def score_trial(config: dict[str, Any]) -> dict[str, Any]:
        """Cross-validate one configuration; plain values only, so a Ray worker can run it.

        A trial the search's deadline cuts short (between folds, or inside a
        fit) is not a fair score of its configuration: it is marked ``cut``.
        """
        began = time.perf_counter()
        learner = dict(config["learner"])
        name = learner.pop("estimator")
        k = int(config["n_sites"])
        screen = config.get("screen", MARGINAL)
        fold_scores, probabilities, cut = [], [], False
        for fold in folds:
            raise_if_interrupted()  # a Ctrl-C a finalizer swallowed (vcfml.interrupts)
            if fold_scores and search_end is not None and time.perf_counter() > search_end:
                cut = True
                break
            columns = fold.columns(screen, k)
            estimator = build_estimator(name, learner, settings.seed)
            complete = fit_before(estimator, fold.train_x[:, columns], fold.train_y, search_end)
            cut = cut or not complete
            probability = estimator.predict_proba(fold.valid_x[:, columns])[:, 1]
            fold_scores.append(all_scores(fold.valid_y, probability))
            probabilities.append(probability.tolist())
        primary = float(pd.DataFrame(fold_scores)[settings.metric].mean())
        return {
            # FLAML minimizes or maximizes "score" as told below; NaN would stall it.
            "score": primary if math.isfinite(primary) and not cut else _worst(metric),
            "trial": json.dumps(
                {
                    "name": name,
                    "k": k,
                    "screen": screen,
                    "learner": {key: _plain(value) for key, value in learner.items()},
                    "fold_scores": fold_scores,
                    "probabilities": probabilities,
                    "seconds": time.perf_counter() - began,
                    "finished": time.time(),
                    "cut": cut,
                }
            ),
        }

    def add_record(trial_json: str) -> None:
        trial = json.loads(trial_json)
        if trial["cut"] and records:  # an unfinished trial is no evidence; keep the first
            return
        scores = pd.DataFrame(trial["fold_scores"])
        _record(
            records, trial["name"], trial["k"], trial["learner"], scores,
            trial["seconds"], settings, metric, folds=_fold_names(range(len(scores))),
            screen=trial["screen"],
        )  # fmt: skip
        out_of_fold[records[-1]["iteration"]] = [np.asarray(p) for p in trial["probabilities"]]
        if trial["cut"]:
            cut_trials.add(records[-1]["iteration"])
        _show_progress(progress, records, settings, start)

    def evaluate(config: dict[str, Any]) -> dict[str, float]:
        result = score_trial(config)
        add_record(result["trial"])
        return {"score": result["score"]}

    search_seconds = None  # deterministic mode: no clock, only max_trials
    if search_end is not None:
        search_seconds = max(1e-3, search_end - time.perf_counter())
    concurrent = settings.concurrent_trials > 1
    mode = "max" if metric.greater_is_better else "min"
    analysis = tune.run(
        score_trial if concurrent else evaluate,
        config=space,
        metric="score",
        mode=mode,
        search_alg=_searcher(space, starts, mode, search_seconds, settings),
        time_budget_s=search_seconds,
        num_samples=settings.max_trials or -1,
        verbose=0,
        use_ray=concurrent,
        **({"n_concurrent_trials": settings.concurrent_trials} if concurrent else {}),
    )
    if concurrent:  # the trials ran in Ray workers: collect them in the order they finished
        finished = [trial.last_result["trial"] for trial in analysis.trials if trial.last_result]
        for trial_json in sorted(finished, key=lambda text: json.loads(text)["finished"]):
            add_record(trial_json)
    if not records:  # the budget was spent before any trial: run the cheapest one
        evaluate(dict(starts[0]))
    if settings.ensemble and settings.selection == "best":
        before = len(records)
        _add_ensemble(records, out_of_fold, folds, settings, metric, clock)
        if len(records) > before:
            _show_progress(progress, records, settings, start)
    progress.close()

    leaderboard = pd.DataFrame(records)
    best = _chosen_row(leaderboard, metric, settings, len(folds), cut_trials)
    if len(folds) < planned_folds:  # never silent: the scores rest on fewer folds
        notes.append(
            f"scored every trial on {len(folds)} of the {planned_folds} folds: screening "
            f"the others would have taken more than {SCREEN_SHARE:.0%} of the budget; "
            "give a larger --budget for all of them"
        )
    holdout_model, test_metrics, test_samples = None, None, []
    refit_seconds = _refit_seconds(best, leaderboard, len(folds), screening_seconds)
    # The refits may use the budget to its end: what the caller needs after the
    # run (the CLI's importance and MLflow logging) is already kept out of it
    # (reserved_seconds), so no further share is held back here.
    end = clock.at(1.0)
    if len(test_rows):
        # leave the final refit its time, with a margin
        final_refit_start = None if end is None else end - REFIT_MARGIN * refit_seconds
        holdout_model = _refit(search_data, settings, best, leaderboard, final_refit_start, notes)
        test_data = dataset.subset(test_rows)
        probability = holdout_model.predict_proba(test_data)[:, 1]
        test_metrics = bootstrap_scores(
            test_data.target, probability, seed=settings.seed, deadline=final_refit_start
        )
        test_samples = list(test_data.samples)
        if refit_seconds > clock.left():
            notes.append(
                f"kept the model fitted on the {len(search_rows)} search samples: refitting it "
                f"on all samples would take about {refit_seconds:.1f}s, more than the "
                f"{max(0.0, clock.left()):.1f}s of the budget left for it"
            )
            model = holdout_model
        else:
            model = _refit(dataset, settings, best, leaderboard, end, notes)
    else:
        model = _refit(dataset, settings, best, leaderboard, end, notes)
    return AutoMLResult(
        model=model,
        leaderboard=leaderboard.drop(columns=["cv_metrics"]),
        cv_metrics=json.loads(best["cv_metrics"]),
        settings=settings,
        wall_seconds=time.perf_counter() - start,
        screening_seconds=screening_seconds,
        chosen_trial=int(best["iteration"]),
        test_metrics=test_metrics,
        test_samples=test_samples,
        holdout_model=holdout_model,
        refit_on_all=model is not holdout_model,
        notes=notes,
        folds_used=len(folds),
        folds_planned=planned_folds,
        started=start,
        screens=screens,
    )


def _searcher(space, starts, mode, search_seconds, settings: AutoMLSettings):
    """The searcher ``tune.run`` would build by itself (BlendSearch with optuna,
    else CFO), seeded from ``settings.seed`` (see ``FLAML_SEARCHER_SEED``)."""
    from flaml.tune.searcher.blendsearch import CFO, BlendSearch

    searcher = BlendSearch if importlib.util.find_spec("optuna") is not None else CFO
    return searcher(
        metric="score",
        mode=mode,
        space=space,
        points_to_evaluate=starts,
        time_budget_s=search_seconds,
        num_samples=settings.max_trials or -1,
        seed=FLAML_SEARCHER_SEED + settings.seed,
    )


def _fold_names(indices) -> str:
    """Folds as people count them: ``1-5``, or ``4,5``."""
    numbers = [index + 1 for index in indices]
    if len(numbers) > 2 and numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"{numbers[0]}-{numbers[-1]}"
    return ",".join(map(str, numbers))


def _refit_seconds(
    chosen: pd.Series, leaderboard: pd.DataFrame, n_folds: int, screening_seconds: float
) -> float:
    """About how long a refit on all samples takes: one screen and each member's fit."""
    if chosen["estimator"] == ENSEMBLE:
        trials = leaderboard.set_index("iteration")
        weights = json.loads(chosen["params"])["weights"]
        fits = sum(float(trials.loc[int(trial), "seconds"]) for trial in weights)
    else:
        fits = float(chosen["seconds"])
    return REFIT_MARGIN * (fits + screening_seconds) / n_folds


def _progress_bar(**options):
    """A tqdm bar: a widget in notebooks with ipywidgets, text elsewhere."""
    with warnings.catch_warnings():
        # Without ipywidgets, tqdm.auto falls back to text and says so; text is fine.
        warnings.simplefilter("ignore", TqdmWarning)
        from tqdm.auto import tqdm

        return tqdm(**options)


def _check_target(dataset: Dataset, settings: AutoMLSettings) -> None:
    """Refuse a target AutoML cannot learn, naming the column (and the VCF it goes with)."""
    y = dataset.target
    column = f"target column '{dataset.target_name}'"
    if dataset.source is not None:
        column += f" (samples of {dataset.source})"
    if y.size == 0 or set(np.unique(y)) != {0, 1}:
        raise VcfmlError(
            f"{column}: the target must have both classes (0 and 1) to train a classifier"
        )
    smallest = int(min((y == 0).sum(), (y == 1).sum()))
    held_out = math.ceil(smallest * settings.test_size) if settings.test_size else 0
    if settings.test_size and held_out < 2:
        raise VcfmlError(
            f"{column}: the smaller class has {smallest} samples: a test share of "
            f"{settings.test_size} holds out fewer than 2 of them; use a larger test_size "
            "(--test-size), more samples, or test_size=0 for no test estimate"
        )
    left = smallest - held_out
    if settings.validation_fraction is None and left < settings.folds:
        after = f", {left} after holding out the test share," if held_out else ","
        raise VcfmlError(
            f"{column}: the smaller class has {smallest} samples{after} fewer than the "
            f"{settings.folds} cross-validation folds; use fewer folds or more samples"
        )
    if dataset.genotypes.shape[1] == 0:
        raise VcfmlError("no variants: the VCF (after filtering) has no sites to learn from")


def _prepare_folds(
    dataset: Dataset, settings: AutoMLSettings, clock: Clock, notes: list[str]
) -> list[_Fold]:
    """Screen each fold's training samples. The screen stops on time: no fold
    is screened that would end after ``SCREEN_SHARE`` of the budget (judged from
    the previous fold's time), and the search uses the folds done (at least one).

    With ``settings.screen`` ``auto`` each fold keeps both rankings, the
    one-site and the pairs one (:func:`screen_rankings`): the columns are the
    sites either puts in its top ``max_sites``, and each ranking is an order of
    those columns. The pairs screen must fit too: on the first fold it may take
    no more than that fold's share of the screening time (``SCREEN_SHARE`` over
    the folds asked for), else it is skipped for the whole run and only the
    one-site ranking is searched; a later fold whose pairs screen would end
    after ``SCREEN_SHARE`` is not used. Either way ``notes`` says so."""
    y = dataset.target
    covariates = dataset.covariates.to_numpy(dtype=np.float32)
    splits = cv_splits(y, settings)
    screens = screens_of(settings)
    folds: list[_Fold] = []
    last_seconds = 0.0
    for train, valid in splits:
        if folds and clock.left(SCREEN_SHARE) < last_seconds:
            break
        began = time.perf_counter()
        pairs_deadline = clock.at(SCREEN_SHARE)
        if not folds and pairs_deadline is not None:  # this fold's share of the screening
            pairs_deadline = began + max(0.0, clock.left(SCREEN_SHARE)) / len(splits)
        screen, rankings = screen_rankings(
            dataset.genotypes[train], y[train], covariates[train],
            screen_ploidy(dataset, train), settings, screens=screens,
            pairs_deadline=pairs_deadline,
        )  # fmt: skip
        if screen.pairs_skipped_ is not None:
            if folds:  # its pairs ranking is missing: this fold cannot score every trial
                notes.append(
                    f"screened {len(folds)} folds, not {len(folds) + 1} or more: on fold "
                    f"{len(folds) + 1}, {screen.pairs_skipped_}"
                )
                break
            screens = tuple(name for name in screens if name != PAIRS) or (MARGINAL,)
            rankings = {MARGINAL: screen.marginal_ranking_[: settings.max_sites]}
            notes.append(
                f"skipped the pairs screen (interactions): on fold 1, {screen.pairs_skipped_}, "
                f"the fold's share of the {SCREEN_SHARE:.0%} of the budget kept for screening; "
                "every trial used the one-site ranking; give a larger --budget for it"
            )
        sites = np.unique(np.concatenate(list(rankings.values())))
        orders = {name: np.searchsorted(sites, ranked) for name, ranked in rankings.items()}
        means = screen.means_[sites]
        folds.append(
            _Fold(
                train_x=np.hstack(
                    [impute(dataset.genotypes[np.ix_(train, sites)], means), covariates[train]]
                ),
                train_y=y[train],
                valid_x=np.hstack(
                    [impute(dataset.genotypes[np.ix_(valid, sites)], means), covariates[valid]]
                ),
                valid_y=y[valid],
                n_ranked=min(len(ranked) for ranked in rankings.values()),
                orders=orders,
                n_columns=len(sites),
            )
        )
        last_seconds = time.perf_counter() - began
    return folds


def screens_of(settings: AutoMLSettings) -> tuple[str, ...]:
    """The rankings a run's trials choose from."""
    return (MARGINAL, PAIRS) if settings.screen == "auto" else (settings.screen,)


def screen_rankings(
    genotypes: np.ndarray,
    y: np.ndarray,
    covariates: np.ndarray,
    ploidy: np.ndarray | int,
    settings: AutoMLSettings,
    limit: int | None = None,
    screens: tuple[str, ...] | None = None,
    pairs_deadline: float | None = None,
) -> tuple[GenotypeScreen, dict[str, np.ndarray]]:
    """The fitted screen and, per screen (default: the run's,
    :func:`screens_of`), its top ``limit`` (default ``max_sites``) sites, best
    first. The pairs screen is skipped when it would end after
    ``pairs_deadline`` (then ``screen.pairs_skipped_`` says why, and the pairs
    ranking is the one-site one: the caller decides)."""
    screens = screens_of(settings) if screens is None else screens
    screen = GenotypeScreen(
        n_sites=settings.max_sites,
        min_maf=settings.min_maf,
        pairs=N_PAIRS if PAIRS in screens else 0,
    )
    screen.fit(genotypes, y, covariates, ploidy, pairs_deadline=pairs_deadline)
    limit = settings.max_sites if limit is None else limit
    ranked = {MARGINAL: screen.marginal_ranking_, PAIRS: screen.ranking_}
    return screen, {name: ranked[name][:limit] for name in screens}


def _search_space(
    settings: AutoMLSettings, max_sites: int, screens: tuple[str, ...]
) -> tuple[dict, list[dict]]:
    """FLAML search space: a choice of model family (each with its own
    hyperparameters), the number of screened sites and the ranking (``screens``:
    those the folds have)."""
    families = [FAMILIES[name] for name in settings.estimators]
    learner = tune.choice([{"estimator": f.name, **f.space} for f in families])
    if settings.n_sites is not None:
        n_sites: Any = min(settings.n_sites, max_sites)
        first_k = n_sites
    else:
        n_sites = tune.lograndint(1, max_sites + 1) if max_sites > 1 else 1
        first_k = min(10, max_sites)
    starts = [
        {"learner": {"estimator": f.name, **f.start}, "n_sites": first_k, "screen": screens[0]}
        for f in families
    ]
    # The interaction screen's first try: the first tree family on the same sites.
    trees = [f for f in families if f.is_tree]
    if len(screens) > 1 and trees:
        starts.append(
            {"learner": {"estimator": trees[0].name, **trees[0].start}, "n_sites": first_k,
             "screen": screens[1]}
        )  # fmt: skip
    screen: Any = tune.choice(list(screens)) if len(screens) > 1 else screens[0]
    return {"learner": learner, "n_sites": n_sites, "screen": screen}, starts


def _record(
    records, name, k, params, scores, seconds, settings, metric, folds, screen=MARGINAL
) -> None:
    """Append one leaderboard row. ``best_so_far`` follows the trials, which are
    all scored on the same folds; the vote, scored on fewer folds, keeps it."""
    primary = float(scores[settings.metric].mean())
    better = max if metric.greater_is_better else min
    if not records:
        best = primary
    elif name == ENSEMBLE:
        best = records[-1]["best_so_far"]
    else:
        best = better(records[-1]["best_so_far"], primary)
    summary = {
        m: {"mean": float(scores[m].mean()), "std": float(scores[m].std(ddof=0))} for m in scores
    }
    records.append(
        {
            "iteration": len(records) + 1,
            "estimator": name,
            "n_sites": k,
            "screen": screen,
            "params": json.dumps(
                {key: _plain(value) for key, value in params.items()}, sort_keys=True
            ),
            "seconds": round(seconds, 3),
            settings.metric: primary,
            f"{settings.metric}_std": float(scores[settings.metric].std(ddof=0)),
            "folds": folds,
            "best_so_far": best,
            "cv_metrics": json.dumps(summary),
        }
    )


def _show_progress(progress, records, settings, start) -> None:
    last = records[-1]
    metric = settings.metric
    is_new_best = len(records) == 1 or records[-2]["best_so_far"] != last["best_so_far"]
    if settings.verbose >= 2 or (settings.verbose >= 1 and is_new_best):
        progress.write(
            f"trial {last['iteration']:>3}  {last['estimator']:<13} sites={last['n_sites']:<5} "
            f"{metric}={last[metric]:.4f}  best={last['best_so_far']:.4f}  ({last['seconds']:.2f}s)"
        )
    done = len(records) if settings.budget is None else round(time.perf_counter() - start)
    progress.set_postfix(best=f"{last['best_so_far']:.4f}", trials=len(records), refresh=False)
    progress.update(max(0, min(done, progress.total) - progress.n))


def _best_row(leaderboard: pd.DataFrame, metric) -> pd.Series:
    column = leaderboard[metric.name].fillna(_worst(metric))
    index = column.idxmax() if metric.greater_is_better else column.idxmin()
    return leaderboard.loc[index]


def _chosen_row(
    leaderboard: pd.DataFrame,
    metric,
    settings: AutoMLSettings,
    n_folds: int,
    cut_trials: set[int] | frozenset[int] = frozenset(),
) -> pd.Series:
    """The pipeline to refit: the best trial, or with the one-standard-error rule
    the trial using the fewest sites among those within one standard error of
    the best (Breiman et al., 1984). Scores that close are within the noise of
    cross-validation; the sparser pipeline is as good, generalizes better with
    p >> n, and is easier to explain. A vote in the leaderboard is there because
    it beat the best single trial on folds its weights did not see: it is chosen.

    ``n_folds`` is the number of folds the trials were scored on (fewer than
    ``settings.folds`` when the budget stopped the screening early): the
    standard error of a mean over them is the spread over ``sqrt(n_folds)``.
    A trial the budget cut short (``cut_trials``, scored on fewer folds or with
    a truncated fit) is chosen only when no trial finished.
    """
    votes = leaderboard[leaderboard["estimator"] == ENSEMBLE]
    if len(votes):
        return votes.iloc[-1]
    finished = leaderboard[~leaderboard["iteration"].isin(list(cut_trials))]
    if len(finished):
        leaderboard = finished
    best = _best_row(leaderboard, metric)
    if settings.selection == "best":
        return best
    margin = best[f"{metric.name}_std"] / math.sqrt(n_folds) if n_folds > 1 else 0.0
    sign = 1.0 if metric.greater_is_better else -1.0
    close = leaderboard[sign * (leaderboard[metric.name] - best[metric.name]) >= -margin]
    order = close.sort_values(
        ["n_sites", metric.name, "iteration"], ascending=[True, not metric.greater_is_better, True]
    )
    return order.iloc[0]


def _worst(metric) -> float:
    return -1e9 if metric.greater_is_better else 1e9


def _add_ensemble(records, out_of_fold, folds, settings, metric, clock: Clock) -> None:
    """Append the vote of the best trials as one more trial when it beats the
    best single trial honestly.

    The folds are split in two. On the first ones' out-of-fold predictions the
    trials are ranked (the pool and the best single trial) and the vote's
    weights are fitted; on the others, which neither choice looked at, the vote
    must score better than that single trial. Its leaderboard row holds its
    scores on those other folds only.
    """
    began = time.perf_counter()
    n_folds = len(folds)
    if n_folds < 2:
        return
    fitting = list(range((n_folds + 1) // 2))
    deciding = list(range(len(fitting), n_folds))
    sign = 1.0 if metric.greater_is_better else -1.0

    def mean_score(trial: int, fold_indices: list[int]) -> float:
        return float(
            np.mean([metric.score(folds[f].valid_y, out_of_fold[trial][f]) for f in fold_indices])
        )

    candidates = [
        record["iteration"]
        for record in records
        if record["estimator"] != ENSEMBLE and len(out_of_fold[record["iteration"]]) == n_folds
    ]
    on_fitting = {trial: mean_score(trial, fitting) for trial in candidates}
    ranked = sorted(
        (trial for trial in candidates if math.isfinite(on_fitting[trial])),
        key=lambda trial: (-sign * on_fitting[trial], trial),
    )
    pool = ranked[:POOL_SIZE]
    if len(pool) < 2:
        return
    vote = select_ensemble(
        {trial: [out_of_fold[trial][f] for f in fitting] for trial in pool},
        [folds[f].valid_y for f in fitting],
        metric,
        pool,
        deadline=clock.at(ENSEMBLE_SHARE),
    )
    if len(vote.weights) < 2:
        return
    voted = [
        sum(weight * out_of_fold[trial][f] for trial, weight in vote.weights.items())
        for f in deciding
    ]
    scores = pd.DataFrame(
        [all_scores(folds[f].valid_y, p) for f, p in zip(deciding, voted, strict=True)]
    )
    single = mean_score(pool[0], deciding)
    if not sign * (float(scores[metric.name].mean()) - single) > 0:
        return
    members = [record for record in records if record["iteration"] in vote.weights]
    weights = {str(trial): round(weight, 4) for trial, weight in vote.weights.items()}
    n_sites = max(member["n_sites"] for member in members)
    params = {
        "weights": weights,
        "weights_fitted_on_folds": _fold_names(fitting),
        "best_single_trial": pool[0],
        "best_single_score_on_these_folds": round(single, 6),
    }
    seconds = time.perf_counter() - began
    screens = ",".join(sorted({member["screen"] for member in members}))
    _record(
        records, ENSEMBLE, n_sites, params, scores, seconds, settings, metric,
        folds=_fold_names(deciding), screen=screens,
    )  # fmt: skip


def _refit(
    dataset: Dataset,
    settings: AutoMLSettings,
    chosen: pd.Series,
    leaderboard: pd.DataFrame,
    deadline: float | None,
    notes: list[str],
) -> FittedModel:
    """Fit the chosen pipeline (or each member of the chosen vote) on ``dataset``.

    One screen serves every member: its rankings do not depend on how many
    sites are kept, so a member of ``k`` sites reads the ``k`` best-ranked
    sites of the ranking (one-site or pairs) its trial used; the model's
    variants are the sites any member reads. The fit stops growing trees at
    ``deadline`` (a ``time.perf_counter()`` value; ``None``: no budget), and says
    so in ``notes``.
    """
    if chosen["estimator"] == ENSEMBLE:
        weights = json.loads(chosen["params"])["weights"]
        trials = leaderboard.set_index("iteration")
        rows = [trials.loc[int(iteration)].rename(int(iteration)) for iteration in weights]
    else:
        weights = {}
        rows = [chosen]
    covariates = dataset.covariates.to_numpy(dtype=np.float32)
    # ranked given the covariates; a man's non-PAR chrX call counts once in the MAF
    # only the rankings the chosen trials used: no pairs screen for a one-site model
    used = tuple(sorted({str(row.get("screen", MARGINAL)) for row in rows}))
    _, rankings = screen_rankings(
        dataset.genotypes, dataset.target, covariates, screen_ploidy(dataset), settings,
        limit=max(int(row["n_sites"]) for row in rows), screens=used,
    )  # fmt: skip
    covariate_names = list(dataset.covariates.columns)
    # each member's sites: the top n_sites of the ranking its trial used
    member_sites = [rankings[row.get("screen", MARGINAL)][: int(row["n_sites"])] for row in rows]
    selected = np.unique(np.concatenate(member_sites))
    members, columns = [], []
    for row, sites in zip(rows, member_sites, strict=True):
        positions = np.sort(np.searchsorted(selected, sites))
        columns.append(np.r_[positions, len(selected) + np.arange(len(covariate_names))])
        members.append(build_estimator(row["estimator"], json.loads(row["params"]), settings.seed))
    variants = dataset.variants.iloc[selected][["chrom", "pos", "id", "ref", "alt"]]
    variants = variants.reset_index(drop=True)
    if weights:
        total = sum(weights.values())
        shares = [weight / total for weight in weights.values()]
        estimator = VotingEnsemble(members, columns, shares)
        params = {
            "members": [
                {
                    "trial": int(row.name),
                    "estimator": row["estimator"],
                    "n_sites": int(row["n_sites"]),
                    "weight": share,
                    "params": json.loads(row["params"]),
                }
                for row, share in zip(rows, shares, strict=True)
            ]
        }
    else:
        estimator, params = members[0], json.loads(chosen["params"])
    model = FittedModel(
        pipeline=build_pipeline(variants, covariate_names, estimator),
        estimator_name=chosen["estimator"],
        params=params,
        covariate_levels=dict(dataset.covariate_levels or {}),
        target_name=dataset.target_name,
        target_labels=tuple(dataset.target_labels),
    )
    # A single model's columns are all of them; a vote's members pick theirs.
    model.fit(dataset, deadline=deadline)
    if not model.complete_:
        notes.append(
            f"the refit on {len(dataset.samples)} samples stopped early (fewer trees or "
            "boosting rounds than the trial) to keep the budget"
        )
    return model


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value
