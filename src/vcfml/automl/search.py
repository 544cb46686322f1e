"""The AutoML search, made for genotypes.

FLAML's tuner (``flaml.tune``, the cost-frugal CFO search) proposes
configurations: a model family, its hyperparameters and how many screened sites
to use. vcfml evaluates each one by cross-validation in which the association
screen was fitted on the training folds only. Because the screen's ranking
does not depend on the configuration, it is computed once per fold before the
search starts; a trial then only fits a small model on the top ``k`` sites, so
even 100,000-site cohorts get many trials within the budget.

Every trial keeps its out-of-fold predictions; after the search a weighted vote
of the best trials (:mod:`vcfml.automl.ensemble`, Azure ML's VotingEnsemble)
becomes the last trial, and is chosen when it scores better than every single one.

The budget is a promise: screening, all trials and the final refit together
stay within about 10% of it. The search gets 85% of what is left after
screening; the rest is kept for refitting the chosen pipeline on all samples.
"""

from __future__ import annotations

import importlib.util
import json
import math
import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from flaml import tune
from sklearn.model_selection import StratifiedKFold, train_test_split
from tqdm import TqdmWarning

from vcfml.automl.ensemble import POOL_SIZE, VotingEnsemble, select_ensemble
from vcfml.automl.estimators import FAMILIES, build_estimator
from vcfml.automl.metrics import METRICS, all_scores
from vcfml.automl.model import FittedModel
from vcfml.automl.screening import GenotypeScreen, impute
from vcfml.automl.settings import AutoMLSettings
from vcfml.errors import VcfmlError
from vcfml.features import Dataset

SEARCH_SHARE = 0.85
ENSEMBLE = "ensemble"  # the estimator name of the vote in the leaderboard
ENSEMBLE_SHARE = 0.9  # no new round of the ensemble selection after this share of the budget
REFIT_MARGIN = 1.5  # a refit on all samples costs about this much more than one fold's fit


@dataclass
class _Fold:
    """One train/validation split with its screen already fitted on the training part."""

    train_x: np.ndarray  # top-ranked sites (imputed) then covariates
    train_y: np.ndarray
    valid_x: np.ndarray
    valid_y: np.ndarray
    n_ranked: int


@dataclass
class AutoMLResult:
    """What a run produces: the refitted best pipeline, every trial and the scores."""

    model: FittedModel
    leaderboard: pd.DataFrame
    cv_metrics: dict[str, dict[str, float]]
    settings: AutoMLSettings
    wall_seconds: float
    screening_seconds: float
    chosen_trial: int = 0

    @property
    def best_score(self) -> float:
        """Cross-validated score of the chosen pipeline (see ``selection``)."""
        return self.cv_metrics[self.settings.metric]["mean"]


def run_automl(dataset: Dataset, settings: AutoMLSettings | None = None) -> AutoMLResult:
    """Search models and hyperparameters for predicting ``dataset.target``.

    Raises:
        VcfmlError: bad settings, a target that is not binary, fewer samples of
            a class than folds, or no variant left after filtering.
    """
    start = time.perf_counter()
    settings = (settings or AutoMLSettings()).resolved()
    _check_target(dataset, settings)
    if settings.concurrent_trials > 1 and importlib.util.find_spec("ray") is None:
        raise VcfmlError(
            f"concurrent_trials={settings.concurrent_trials} runs trials in parallel on Ray, "
            'which is not installed: pip install -e ".[parallel]" (or use --backend azure)'
        )
    folds = _prepare_folds(dataset, settings)
    screening_seconds = time.perf_counter() - start
    max_sites = min(fold.n_ranked for fold in folds)
    space, starts = _search_space(settings, max_sites)
    metric = METRICS[settings.metric]
    records: list[dict[str, Any]] = []
    out_of_fold: dict[int, list[np.ndarray]] = {}  # trial -> each fold's validation predictions

    progress = _progress_bar(
        total=settings.max_trials if settings.budget is None else round(settings.budget),
        desc=f"AutoML ({settings.metric})",
        unit="trial" if settings.budget is None else "s",
        disable=settings.verbose < 1,
        leave=True,
        mininterval=1.0,
    )

    def score_trial(config: dict[str, Any]) -> dict[str, Any]:
        """Cross-validate one configuration; plain values only, so a Ray worker can run it."""
        began = time.perf_counter()
        learner = dict(config["learner"])
        name = learner.pop("estimator")
        k = int(config["n_sites"])
        fold_scores, probabilities = [], []
        for fold in folds:
            columns = np.r_[0:k, fold.n_ranked : fold.train_x.shape[1]]
            estimator = build_estimator(name, learner, settings.seed)
            estimator.fit(fold.train_x[:, columns], fold.train_y)
            probability = estimator.predict_proba(fold.valid_x[:, columns])[:, 1]
            fold_scores.append(all_scores(fold.valid_y, probability))
            probabilities.append(probability.tolist())
        primary = float(pd.DataFrame(fold_scores)[settings.metric].mean())
        return {
            # FLAML minimizes or maximizes "score" as told below; NaN would stall it.
            "score": primary if math.isfinite(primary) else _worst(metric),
            "trial": json.dumps(
                {
                    "name": name,
                    "k": k,
                    "learner": {key: _plain(value) for key, value in learner.items()},
                    "fold_scores": fold_scores,
                    "probabilities": probabilities,
                    "seconds": time.perf_counter() - began,
                    "finished": time.time(),
                }
            ),
        }

    def add_record(trial_json: str) -> None:
        trial = json.loads(trial_json)
        scores = pd.DataFrame(trial["fold_scores"])
        _record(
            records, trial["name"], trial["k"], trial["learner"], scores,
            trial["seconds"], settings, metric,
        )  # fmt: skip
        out_of_fold[records[-1]["iteration"]] = [np.asarray(p) for p in trial["probabilities"]]
        _show_progress(progress, records, settings, start)

    def evaluate(config: dict[str, Any]) -> dict[str, float]:
        result = score_trial(config)
        add_record(result["trial"])
        return {"score": result["score"]}

    search_seconds = None  # deterministic mode: no clock, only max_trials
    if settings.budget is not None:
        spent = time.perf_counter() - start
        search_seconds = max(1e-3, SEARCH_SHARE * settings.budget - spent)
    concurrent = settings.concurrent_trials > 1
    analysis = tune.run(
        score_trial if concurrent else evaluate,
        config=space,
        points_to_evaluate=starts,
        metric="score",
        mode="max" if metric.greater_is_better else "min",
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
        evaluate({"learner": dict(starts[0]["learner"]), "n_sites": starts[0]["n_sites"]})
    if settings.ensemble and settings.selection == "best":
        before = len(records)
        _add_ensemble(records, out_of_fold, folds, settings, metric, start)
        if len(records) > before:
            _show_progress(progress, records, settings, start)
    progress.close()

    leaderboard = pd.DataFrame(records)
    best = _chosen_row(leaderboard, metric, settings)
    model = _refit(dataset, settings, best, leaderboard)
    cv_metrics = json.loads(best["cv_metrics"])
    return AutoMLResult(
        model=model,
        leaderboard=leaderboard.drop(columns=["cv_metrics"]),
        cv_metrics=cv_metrics,
        settings=settings,
        wall_seconds=time.perf_counter() - start,
        screening_seconds=screening_seconds,
        chosen_trial=int(best["iteration"]),
    )


def _progress_bar(**options):
    """A tqdm bar: a widget in notebooks with ipywidgets, text elsewhere."""
    with warnings.catch_warnings():
        # Without ipywidgets, tqdm.auto falls back to text and says so; text is fine.
        warnings.simplefilter("ignore", TqdmWarning)
        from tqdm.auto import tqdm

        return tqdm(**options)


def _check_target(dataset: Dataset, settings: AutoMLSettings) -> None:
    y = dataset.target
    if y.size == 0 or set(np.unique(y)) != {0, 1}:
        raise VcfmlError("the target must have both classes (0 and 1) to train a classifier")
    smallest = int(min((y == 0).sum(), (y == 1).sum()))
    if settings.validation_fraction is None and smallest < settings.folds:
        raise VcfmlError(
            f"the smaller class has {smallest} samples, fewer than the {settings.folds} "
            "cross-validation folds; use fewer folds or more samples"
        )
    if dataset.genotypes.shape[1] == 0:
        raise VcfmlError("no variants: the VCF (after filtering) has no sites to learn from")


def cv_splits(y: np.ndarray, settings: AutoMLSettings) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (train, validation) row indices of each fold, as the search uses them.

    Public so that a screen run elsewhere (on a Dask cluster, chapter 6) can rank
    sites on exactly the training rows of each fold.
    """
    indices = np.arange(len(y))
    if settings.validation_fraction is not None:
        train, valid = train_test_split(
            indices, test_size=settings.validation_fraction, stratify=y, random_state=settings.seed
        )
        return [(train, valid)]
    splitter = StratifiedKFold(settings.folds, shuffle=True, random_state=settings.seed)
    return list(splitter.split(indices, y))


def _prepare_folds(dataset: Dataset, settings: AutoMLSettings) -> list[_Fold]:
    y = dataset.target
    covariates = dataset.covariates.to_numpy(dtype=np.float32)
    folds = []
    for train, valid in cv_splits(y, settings):
        screen = GenotypeScreen(n_sites=settings.max_sites, min_maf=settings.min_maf)
        screen.fit(dataset.genotypes[train], y[train], covariates[train])
        top = screen.ranking_[: settings.max_sites]
        means = screen.means_[top]
        folds.append(
            _Fold(
                train_x=np.hstack(
                    [impute(dataset.genotypes[np.ix_(train, top)], means), covariates[train]]
                ),
                train_y=y[train],
                valid_x=np.hstack(
                    [impute(dataset.genotypes[np.ix_(valid, top)], means), covariates[valid]]
                ),
                valid_y=y[valid],
                n_ranked=len(top),
            )
        )
    return folds


def _search_space(settings: AutoMLSettings, max_sites: int) -> tuple[dict, list[dict]]:
    """FLAML search space: a choice of model family (each with its own
    hyperparameters) and the number of screened sites."""
    families = [FAMILIES[name] for name in settings.estimators]
    learner = tune.choice([{"estimator": f.name, **f.space} for f in families])
    if settings.n_sites is not None:
        n_sites: Any = min(settings.n_sites, max_sites)
        first_k = n_sites
    else:
        n_sites = tune.lograndint(1, max_sites + 1) if max_sites > 1 else 1
        first_k = min(10, max_sites)
    starts = [{"learner": {"estimator": f.name, **f.start}, "n_sites": first_k} for f in families]
    return {"learner": learner, "n_sites": n_sites}, starts


def _record(records, name, k, params, scores, seconds, settings, metric) -> None:
    primary = float(scores[settings.metric].mean())
    better = max if metric.greater_is_better else min
    best = better(records[-1]["best_so_far"], primary) if records else primary
    summary = {
        m: {"mean": float(scores[m].mean()), "std": float(scores[m].std(ddof=0))} for m in scores
    }
    records.append(
        {
            "iteration": len(records) + 1,
            "estimator": name,
            "n_sites": k,
            "params": json.dumps(
                {key: _plain(value) for key, value in params.items()}, sort_keys=True
            ),
            "seconds": round(seconds, 3),
            settings.metric: primary,
            f"{settings.metric}_std": float(scores[settings.metric].std(ddof=0)),
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


def _chosen_row(leaderboard: pd.DataFrame, metric, settings: AutoMLSettings) -> pd.Series:
    """The pipeline to refit: the best trial, or with the one-standard-error rule
    the trial using the fewest sites among those within one standard error of
    the best (Breiman et al., 1984). Scores that close are within the noise of
    cross-validation; the sparser pipeline is as good, generalizes better with
    p >> n, and is easier to explain."""
    best = _best_row(leaderboard, metric)
    if settings.selection == "best":
        return best
    n_folds = settings.folds if settings.validation_fraction is None else 1
    margin = best[f"{metric.name}_std"] / math.sqrt(n_folds) if n_folds > 1 else 0.0
    sign = 1.0 if metric.greater_is_better else -1.0
    close = leaderboard[sign * (leaderboard[metric.name] - best[metric.name]) >= -margin]
    order = close.sort_values(
        ["n_sites", metric.name, "iteration"], ascending=[True, not metric.greater_is_better, True]
    )
    return order.iloc[0]


def _worst(metric) -> float:
    return -1e9 if metric.greater_is_better else 1e9


def _add_ensemble(records, out_of_fold, folds, settings, metric, start) -> None:
    """Append the vote of the best trials as one more trial, when it scores
    better than each of them and its members can be refitted in the budget left."""
    began = time.perf_counter()
    sign = 1.0 if metric.greater_is_better else -1.0
    finite = [record for record in records if math.isfinite(record[metric.name])]
    ranked = sorted(finite, key=lambda record: (-sign * record[metric.name], record["iteration"]))
    pool = [record["iteration"] for record in ranked[:POOL_SIZE]]
    if len(pool) < 2:
        return
    deadline = None if settings.budget is None else start + settings.budget * ENSEMBLE_SHARE
    targets = [fold.valid_y for fold in folds]
    vote = select_ensemble(out_of_fold, targets, metric, pool, deadline=deadline)
    if len(vote.weights) < 2 or sign * (vote.score - ranked[0][metric.name]) <= 0:
        return
    members = [record for record in ranked if record["iteration"] in vote.weights]
    if settings.budget is not None:
        refit_seconds = sum(REFIT_MARGIN * member["seconds"] / len(folds) for member in members)
        if refit_seconds > settings.budget - (time.perf_counter() - start):
            return
    scores = pd.DataFrame(
        [
            all_scores(fold.valid_y, probability)
            for fold, probability in zip(folds, vote.fold_probabilities, strict=True)
        ]
    )
    weights = {str(trial): round(weight, 4) for trial, weight in vote.weights.items()}
    n_sites = max(member["n_sites"] for member in members)
    seconds = time.perf_counter() - began
    _record(records, ENSEMBLE, n_sites, {"weights": weights}, scores, seconds, settings, metric)


def _refit(
    dataset: Dataset, settings: AutoMLSettings, chosen: pd.Series, leaderboard: pd.DataFrame
) -> FittedModel:
    """Fit the chosen pipeline (or each member of the chosen vote) on all samples.

    One screen serves every member: its ranking does not depend on how many
    sites are kept, so a member of ``k`` sites reads the ``k`` best-ranked
    columns of a screen that keeps the most any member needs.
    """
    if chosen["estimator"] == ENSEMBLE:
        weights = json.loads(chosen["params"])["weights"]
        trials = leaderboard.set_index("iteration")
        rows = [trials.loc[int(iteration)].rename(int(iteration)) for iteration in weights]
    else:
        weights = {}
        rows = [chosen]
    screen = GenotypeScreen(n_sites=int(chosen["n_sites"]), min_maf=settings.min_maf)
    covariates = dataset.covariates.to_numpy(dtype=np.float32)
    screen.fit(dataset.genotypes, dataset.target, covariates)
    features = np.hstack([screen.transform(dataset.genotypes), covariates])
    rank = np.empty(dataset.genotypes.shape[1], dtype=np.int64)
    rank[screen.ranking_] = np.arange(len(screen.ranking_))
    kept_rank = rank[screen.selected_]
    members, columns = [], []
    for row in rows:
        sites = np.flatnonzero(kept_rank < int(row["n_sites"]))
        columns.append(np.r_[sites, len(kept_rank) + np.arange(covariates.shape[1])])
        members.append(build_estimator(row["estimator"], json.loads(row["params"]), settings.seed))
    variants = dataset.variants.iloc[screen.selected_][["chrom", "pos", "id", "ref", "alt"]]
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
    estimator.fit(features, dataset.target)  # a single model's columns are all of them
    return FittedModel(
        estimator_name=chosen["estimator"],
        params=params,
        screen=screen,
        estimator=estimator,
        variants=variants.reset_index(drop=True),
        covariate_names=list(dataset.covariates.columns),
        covariate_levels=dict(dataset.covariate_levels or {}),
        target_name=dataset.target_name,
        target_labels=tuple(dataset.target_labels),
    )


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value
