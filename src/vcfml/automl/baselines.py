"""Genetics baselines: what AutoML must beat, on the same people.

Three models a geneticist would fit first, each chosen on the search's own
cross-validation folds and scored once on the same held-out test samples as
the AutoML model (:func:`vcfml.automl.splits.holdout_split` and
:func:`~vcfml.automl.splits.cv_splits` with the run's settings), so the
numbers compare like with like:

``covariates_only``
    logistic regression on the covariates (sex, principal components, ...):
    the floor, what the genotypes add nothing to.
``clump_threshold``
    the clumping + thresholding polygenic score of PLINK (``--clump``,
    ``--score``) and PRSice-2: the association scan (logistic, adjusted for the
    covariates, :func:`vcfml.stats.logistic_scan`) on the training samples, LD
    clumping at r² 0.1 within 250 kb (:func:`vcfml.stats.clump.clump`), the
    score = the scan's betas x dosages of the clumped sites whose p-value is
    below a threshold, and a logistic regression on score + covariates. The
    threshold is chosen on the folds: each fold's scan and clumping see its
    training part only. Autosomal (and PAR) sites only: chrX's male coding
    would need PLINK's own conventions, and the course's simulated causal sites
    are autosomal.
``penalized_logistic``
    lasso-penalized logistic regression on every site that passes the MAF
    filter (standardized dosages, missing = training mean) plus the
    covariates: the standard "machine learning on all genotypes" baseline
    (bigstatsr's ``big_spLogReg``, snpnet). scikit-learn's liblinear fits each
    point of a path of penalties with the sequential strong rule (Tibshirani
    et al. 2012, as glmnet and bigstatsr do): only sites that can enter are
    fitted, then the KKT conditions are checked on all sites and violators
    added. The path goes from the penalty where the first site enters towards
    weaker penalties and stops when the fold's validation score has not
    improved for ``PATH_PATIENCE`` steps (bigstatsr's early stopping); the
    penalty with the best mean score over the folds is refitted. The
    covariates are penalized too (liblinear penalizes every column).

No fold, scan, clumping, threshold or penalty sees the test samples; the test
is scored once per baseline (``tests/test_baselines.py`` plants a signal in
the test samples only and checks that no baseline finds it).

The search itself can pick a penalized linear learner: its ``logistic``
family (:mod:`vcfml.automl.estimators`) tries L1 and L2 penalties, but on the
top screened sites only (at most ``max_sites``), not on every site.
"""

from __future__ import annotations

import json
import math
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from vcfml.automl.metrics import METRICS, all_scores, bootstrap_scores
from vcfml.automl.settings import AutoMLSettings
from vcfml.automl.splits import cv_splits, holdout_split
from vcfml.features import Dataset
from vcfml.stats import (
    allele_frequency,
    haploid_in_males,
    logistic_scan,
    mean_dosage,
    minor_allele_frequency,
    one_copy_contig,
)
from vcfml.stats.clump import CLUMP_R2, CLUMP_WINDOW_KB, clump, polygenic_score

BASELINES = ("covariates_only", "clump_threshold", "penalized_logistic")
DESCRIPTIONS = {
    "covariates_only": "logistic regression on the covariates only (the floor)",
    "clump_threshold": (
        f"clumping (r2 {CLUMP_R2}, {CLUMP_WINDOW_KB} kb) + p-value threshold polygenic score "
        "with covariates"
    ),
    "penalized_logistic": "lasso logistic regression on every site passing the MAF filter",
}
P_THRESHOLDS = (5e-8, 1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.05, 0.1, 0.2, 0.5, 1.0)  # PRSice's bars
PATH_STEP = math.sqrt(2)  # the penalty's C grows by this factor along the lasso path
PATH_STEPS = 20  # at most this many points after the first site enters
PATH_PATIENCE = 3  # a fold's path stops after this many points without a better score
UNPENALIZED_C = 1e4  # logistic regression on a score and covariates: practically unpenalized
COMPARISON_RESAMPLES = 1000


@dataclass
class BaselineResult:
    """One baseline: its choice on the folds and its held-out test estimate.

    Attributes:
        fold_scores: every metric on each fold's validation samples, at the
            chosen threshold or penalty.
        test_metrics: every metric on the held-out test samples with a 95%
            bootstrap interval, as :func:`vcfml.automl.metrics.bootstrap_scores`
            (``None`` with ``test_size=0``).
        test_probability: the case probability of each test sample.
        n_sites: sites in the model refitted on the search samples.
    """

    name: str
    params: dict
    fold_scores: list[dict[str, float]]
    n_sites: int
    seconds: float
    test_metrics: dict | None = None
    test_probability: np.ndarray | None = None
    description: str = ""
    model: FittedBaseline | None = None

    def search_score(self, metric: str) -> float:
        return float(np.mean([scores[metric] for scores in self.fold_scores]))


@dataclass
class BaselineReport:
    """The baselines of a run, and AutoML's test estimate minus the best one's."""

    results: list[BaselineResult]
    metric: str
    comparison: dict | None = None
    by_population: dict | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        """``metrics.json``'s ``"baselines"``."""
        return {
            "metric": self.metric,
            "models": {
                result.name: {
                    "description": result.description,
                    "test": result.test_metrics,
                    "search": _summary(result.fold_scores),
                    "params": result.params,
                    "n_sites": result.n_sites,
                    "seconds": round(result.seconds, 3),
                }
                for result in self.results
            },
            "automl_minus_best": self.comparison,
            "seconds": round(self.seconds, 3),
        }

    def leaderboard_rows(self) -> pd.DataFrame:
        """Rows for ``leaderboard.tsv`` (estimator ``baseline:NAME``, no iteration)."""
        rows = []
        for result in self.results:
            scores = pd.DataFrame(result.fold_scores)
            row = {
                "estimator": f"baseline:{result.name}",
                "n_sites": result.n_sites,
                "params": json.dumps(result.params, sort_keys=True),
                "seconds": round(result.seconds, 3),
                self.metric: float(scores[self.metric].mean()),
                f"{self.metric}_std": float(scores[self.metric].std(ddof=0)),
                "folds": f"1-{len(scores)}"
                if len(scores) > 2
                else ",".join(str(i + 1) for i in range(len(scores))),
                "cv_metrics": json.dumps(_summary(result.fold_scores)),
            }
            if result.test_metrics is not None:
                test = result.test_metrics[self.metric]
                row[f"test_{self.metric}"] = test["mean"]
                row[f"test_{self.metric}_ci95"] = json.dumps(test["ci95"])
            rows.append(row)
        return pd.DataFrame(rows)

    def summary_line(self) -> str | None:
        """One line: AutoML's test estimate minus the best baseline's, with its interval."""
        c = self.comparison
        if c is None:
            return None
        low, high = c["ci95"]
        return (
            f"AutoML minus the best baseline ({c['baseline']}, chosen on the search folds): "
            f"{c['metric']} {c['difference']:+.4f} (paired bootstrap 95% CI {low:+.4f} to "
            f"{high:+.4f}; AutoML {c['automl']:.4f}, baseline {c['baseline_score']:.4f})"
        )


class FittedBaseline:
    """A baseline as refitted on the search samples, to score other people
    (another population, another cohort) with the same sites and covariates:
    what a portability check (train in one ancestry, test in another) needs."""

    def __init__(self, fitted) -> None:
        self._fitted = fitted

    def predict_proba(self, dataset: Dataset) -> np.ndarray:
        """Each sample's case probability; ``dataset`` must have the training
        dataset's sites in the same order and its covariate columns."""
        part = _Part(
            dataset.genotypes,
            dataset.covariates.to_numpy(dtype=float),
            np.zeros(dataset.genotypes.shape[0]),  # the labels are not used to predict
        )
        return self._fitted.predict_proba(part)


def _summary(fold_scores: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    scores = pd.DataFrame(fold_scores)
    return {
        m: {"mean": float(scores[m].mean()), "std": float(scores[m].std(ddof=0))} for m in scores
    }


def run_baselines(
    dataset: Dataset,
    settings: AutoMLSettings | None = None,
    names: tuple[str, ...] | list[str] = BASELINES,
) -> list[BaselineResult]:
    """Fit each baseline on the search samples of ``settings`` (choosing its
    threshold or penalty on the search's folds) and score it on the held-out test.

    The split and folds are those :func:`vcfml.automl.run_automl` makes with the
    same ``settings`` (same seed, test share and folds).
    """
    settings = (settings or AutoMLSettings()).resolved()
    unknown = [name for name in names if name not in BASELINES]
    if unknown:
        raise ValueError(f"unknown baselines {unknown}; choose from {', '.join(BASELINES)}")
    search_rows, test_rows = holdout_split(dataset.target, settings)
    search = _Part.of(dataset, search_rows)
    test = _Part.of(dataset, test_rows) if len(test_rows) else None
    folds = cv_splits(search.y, settings)
    metric = METRICS[settings.metric]
    results = []
    for name in names:
        began = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", FutureWarning)
            if name == "covariates_only":
                fold_scores, params = _covariates_folds(search, folds), {}
                fitted = _CovariatesModel(search)
            elif name == "clump_threshold":
                fold_scores, params = _clump_threshold_folds(
                    search, folds, dataset, settings, metric
                )
                fitted = _ClumpThresholdModel(search, dataset, settings, params["p_threshold"])
            else:
                fold_scores, params = _penalized_folds(search, folds, settings, metric)
                fitted = _PenalizedModel(search, settings, params["path_step"])
            result = BaselineResult(
                name=name,
                params=params,
                fold_scores=fold_scores,
                n_sites=fitted.n_sites,
                seconds=0.0,
                description=DESCRIPTIONS[name],
                model=FittedBaseline(fitted),
            )
            if test is not None:
                probability = fitted.predict_proba(test)
                result.test_probability = probability
                result.test_metrics = bootstrap_scores(test.y, probability, seed=settings.seed)
        result.seconds = time.perf_counter() - began
        results.append(result)
    return results


def baseline_report(
    dataset: Dataset,
    result,
    populations: np.ndarray | None = None,
    names: tuple[str, ...] | list[str] = BASELINES,
) -> BaselineReport:
    """Run the baselines with an AutoML run's settings, and compare them with its
    chosen model on the same held-out test samples (``result``: an
    :class:`~vcfml.automl.search.AutoMLResult`).

    ``populations`` (one per sample of ``dataset``, e.g. from
    :func:`vcfml.automl.by_population.population_column`): every model's test
    estimate within each population as well. ``names=()``: AutoML alone.
    """
    from vcfml.automl.by_population import scores_by_group

    began = time.perf_counter()
    settings = result.settings
    results = run_baselines(dataset, settings, names) if names else []
    report = BaselineReport(results, settings.metric)
    if result.holdout_model is not None and result.test_samples:
        _, test_rows = holdout_split(dataset.target, settings)
        test = dataset.subset(test_rows)
        automl = case_probability(result.holdout_model.predict_proba(test))
        if results:
            report.comparison = compare_with_best(
                test.target, automl, results, settings.metric, seed=settings.seed
            )
        if populations is not None:
            probabilities = {"automl": automl}
            probabilities.update({r.name: r.test_probability for r in results})
            report.by_population = scores_by_group(
                test.target, probabilities, np.asarray(populations)[test_rows],
                settings.metric, seed=settings.seed,
            )  # fmt: skip
    report.seconds = time.perf_counter() - began
    return report


def leaderboard_with_baselines(leaderboard: pd.DataFrame, result, report: BaselineReport):
    """The search's leaderboard, the chosen trial's test estimate beside it, then
    one row per baseline (estimator ``baseline:NAME``, no iteration number)."""
    table = leaderboard.copy()
    metric = report.metric
    if result.test_metrics is not None and report.results:
        chosen = table["iteration"] == result.chosen_trial
        table[f"test_{metric}"] = np.where(chosen, result.test_metrics[metric]["mean"], np.nan)
        table[f"test_{metric}_ci95"] = np.where(
            chosen, json.dumps(result.test_metrics[metric]["ci95"]), ""
        )
    if not report.results:
        return table
    return pd.concat([table, report.leaderboard_rows()], ignore_index=True)


def compare_with_best(
    y_test: np.ndarray,
    automl_probability: np.ndarray,
    baselines: list[BaselineResult],
    metric_name: str,
    seed: int = 0,
    n_resamples: int = COMPARISON_RESAMPLES,
) -> dict | None:
    """AutoML's test score minus the best baseline's, with a paired bootstrap
    95% interval (each resample redraws the test samples, the same ones for both
    models, so the interval reflects the difference, not each model's noise).

    The best baseline is the one with the best score on the search's folds,
    not on the test (choosing on the test would favour the baselines by luck).
    """
    candidates = [b for b in baselines if b.test_probability is not None]
    if not candidates:
        return None
    metric = METRICS[metric_name]
    sign = 1.0 if metric.greater_is_better else -1.0
    best = max(candidates, key=lambda b: sign * b.search_score(metric_name))
    y = np.asarray(y_test)
    automl_probability = np.asarray(automl_probability, dtype=float)
    rng = np.random.default_rng(seed)
    draws: list[float] = []
    while len(draws) < n_resamples:
        rows = rng.integers(0, len(y), len(y))
        if y[rows].min() == y[rows].max():
            continue
        draws.append(
            metric.score(y[rows], automl_probability[rows])
            - metric.score(y[rows], best.test_probability[rows])
        )
    automl = float(metric.score(y, automl_probability))
    baseline = float(metric.score(y, best.test_probability))
    return {
        "metric": metric_name,
        "baseline": best.name,
        "chosen_by": "best mean score on the search folds",
        "automl": automl,
        "baseline_score": baseline,
        "difference": automl - baseline,
        "ci95": [float(v) for v in np.percentile(draws, [2.5, 97.5])],
        "n_resamples": n_resamples,
        "method": "paired bootstrap of the test samples",
    }


def case_probability(probability: np.ndarray) -> np.ndarray:
    """The case column of ``predict_proba``'s answer, (n,) or (n, 2)."""
    probability = np.asarray(probability, dtype=float)
    return probability[:, 1] if probability.ndim == 2 else probability


# ---------------------------------------------------------------- the data


@dataclass
class _Part:
    """Some samples: genotypes, covariates (float) and target."""

    genotypes: np.ndarray
    covariates: np.ndarray
    y: np.ndarray

    @classmethod
    def of(cls, dataset: Dataset, rows: np.ndarray) -> _Part:
        return cls(
            dataset.genotypes[rows],
            dataset.covariates.to_numpy(dtype=float)[rows],
            dataset.target[rows],
        )

    def rows(self, rows: np.ndarray) -> _Part:
        return _Part(self.genotypes[rows], self.covariates[rows], self.y[rows])


class _Standardizer:
    """Centre and scale columns with the training samples' mean and SD."""

    def __init__(self, values: np.ndarray) -> None:
        self.mean = values.mean(axis=0)
        sd = values.std(axis=0)
        self.sd = np.where(sd > 0, sd, 1.0)

    def __call__(self, values: np.ndarray) -> np.ndarray:
        return (values - self.mean) / self.sd


def _logistic_on(features: np.ndarray, y: np.ndarray):
    """A practically unpenalized logistic regression on standardized features;
    with no feature, the training share of cases for everyone."""
    if features.shape[1] == 0:
        share = float(y.mean())
        return lambda new: np.full(len(new), share)
    scale = _Standardizer(features)
    model = LogisticRegression(C=UNPENALIZED_C, max_iter=1000).fit(scale(features), y)
    return lambda new: model.predict_proba(scale(new))[:, 1]


def _fold_scores(part: _Part, folds, fit) -> list[dict[str, float]]:
    """``fit(train_part)`` returns ``predict(part) -> probability``; every metric per fold."""
    scores = []
    for train, valid in folds:
        predict = fit(part.rows(train))
        scores.append(all_scores(part.y[valid], predict(part.rows(valid))))
    return scores


# ---------------------------------------------------------- covariates only


class _CovariatesModel:
    n_sites = 0

    def __init__(self, part: _Part) -> None:
        self._predict = _logistic_on(part.covariates, part.y)

    def predict_proba(self, part: _Part) -> np.ndarray:
        return self._predict(part.covariates)


def _covariates_folds(part: _Part, folds) -> list[dict[str, float]]:
    return _fold_scores(part, folds, lambda train: _CovariatesModel(train).predict_proba)


# ------------------------------------------------- clumping + thresholding


class _ClumpedScan:
    """The scan and clumping of some (training) samples: each clumped site's
    beta, p-value and mean dosage, ready to score at any threshold."""

    def __init__(self, part: _Part, dataset: Dataset, settings: AutoMLSettings) -> None:
        variants = dataset.variants
        chrom, pos = variants["chrom"], variants["pos"]
        diploid = ~haploid_in_males(chrom, pos, "GRCh38") & ~one_copy_contig(chrom)
        maf = minor_allele_frequency(allele_frequency(part.genotypes))
        eligible = np.flatnonzero(diploid & (maf >= settings.min_maf) & (maf > 0))
        genotypes = part.genotypes[:, eligible]
        design = np.column_stack([np.ones(len(part.y)), part.covariates])
        with warnings.catch_warnings():  # a site that does not converge is NaN: left out
            warnings.filterwarnings("ignore", message=".*did not converge", category=UserWarning)
            scan = logistic_scan(genotypes, part.y, design)
        index = clump(
            genotypes,
            scan.pvalue,
            chrom.to_numpy()[eligible],
            pos.to_numpy()[eligible],
        )
        self.sites = eligible[index]  # columns of the dataset
        self.beta = scan.beta[index]
        self.pvalue = scan.pvalue[index]
        self.means = mean_dosage(genotypes[:, index])

    def score(self, genotypes: np.ndarray, threshold: float) -> np.ndarray:
        keep = self.pvalue <= threshold
        return polygenic_score(genotypes[:, self.sites[keep]], self.beta[keep], self.means[keep])


def _clump_threshold_folds(part: _Part, folds, dataset, settings, metric):
    """Each fold's scan and clumping on its training part; every threshold
    scored on its validation part; the threshold with the best mean chosen."""
    by_threshold: dict[float, list[dict[str, float]]] = {t: [] for t in P_THRESHOLDS}
    for train, valid in folds:
        training, validation = part.rows(train), part.rows(valid)
        scan = _ClumpedScan(training, dataset, settings)
        for threshold in P_THRESHOLDS:
            features = np.column_stack(
                [scan.score(training.genotypes, threshold), training.covariates]
            )
            predict = _logistic_on(features, training.y)
            probability = predict(
                np.column_stack(
                    [scan.score(validation.genotypes, threshold), validation.covariates]
                )
            )
            by_threshold[threshold].append(all_scores(validation.y, probability))
    sign = 1.0 if metric.greater_is_better else -1.0
    means = {
        t: float(np.mean([s[metric.name] for s in scores])) for t, scores in by_threshold.items()
    }
    best = max(P_THRESHOLDS, key=lambda t: (sign * means[t], -t))
    params = {
        "p_threshold": best,
        "clump_r2": CLUMP_R2,
        "clump_window_kb": CLUMP_WINDOW_KB,
        "search_score_by_threshold": {str(t): round(v, 6) for t, v in means.items()},
    }
    return by_threshold[best], params


class _ClumpThresholdModel:
    def __init__(self, part: _Part, dataset: Dataset, settings, threshold: float) -> None:
        self.scan = _ClumpedScan(part, dataset, settings)
        self.threshold = threshold
        self.n_sites = int((self.scan.pvalue <= threshold).sum())
        self._predict = _logistic_on(self._features(part), part.y)

    def _features(self, part: _Part) -> np.ndarray:
        return np.column_stack([self.scan.score(part.genotypes, self.threshold), part.covariates])

    def predict_proba(self, part: _Part) -> np.ndarray:
        return self._predict(self._features(part))


# ------------------------------------------------------ penalized logistic


class _LassoPath:
    """L1-penalized logistic regression of ``y`` on the standardized sites
    (passing the MAF filter) and covariates of the training samples, along a
    path of penalties with the sequential strong rule."""

    def __init__(self, part: _Part, settings: AutoMLSettings) -> None:
        maf = minor_allele_frequency(allele_frequency(part.genotypes))
        self.sites = np.flatnonzero((maf >= settings.min_maf) & (maf > 0))
        self.means = mean_dosage(part.genotypes[:, self.sites])
        x = self._raw(part)
        self.scale = _Standardizer(x)
        self.x = self.scale(x).astype(np.float32)
        self.y = part.y.astype(float)
        self.n_covariates = part.covariates.shape[1]
        self.fixed = np.zeros(self.x.shape[1], dtype=bool)
        self.fixed[len(self.sites) :] = True  # covariates are always fitted
        self.gradient = np.abs(self.x.T @ (self.y - self.y.mean()))
        self.lambda_max = float(self.gradient[~self.fixed].max(initial=0.0)) or 1.0
        self.previous_lambda = self.lambda_max
        self.active = self.fixed.copy()
        self.model: LogisticRegression | None = None
        self.columns = np.flatnonzero(self.fixed)

    def _raw(self, part: _Part) -> np.ndarray:
        calls = part.genotypes[:, self.sites]
        values = np.where(calls < 0, self.means[None, :].astype(np.float32), calls).astype(
            np.float32
        )
        return np.hstack([values, part.covariates.astype(np.float32)])

    def step(self, c: float) -> None:
        """Fit at penalty ``C`` (liblinear: ``|w|_1 + C * log loss``), where a
        site is zero exactly when ``|x_j' (y - p)| <= 1 / C``."""
        lam = 1.0 / c
        keep = self.active | self.fixed | (self.gradient >= 2 * lam - self.previous_lambda)
        while True:
            columns = np.flatnonzero(keep)
            # liblinear shuffles the samples with its own random state: fixed, so the
            # same data and settings give the same lasso (and the same test estimate)
            options = {"solver": "liblinear", "tol": 1e-4, "max_iter": 500, "random_state": 0}
            model = (
                LogisticRegression(C=c, l1_ratio=1.0, **options)
                if _HAS_L1_RATIO
                else LogisticRegression(C=c, penalty="l1", **options)
            )
            model.fit(self.x[:, columns].astype(np.float64), self.y)
            probability = model.predict_proba(self.x[:, columns].astype(np.float64))[:, 1]
            gradient = np.abs(self.x.T @ (self.y - probability).astype(np.float32))
            violators = ~keep & (gradient > lam * 1.01)
            if not violators.any():
                break
            keep |= violators
        self.model, self.columns = model, columns
        self.active = np.zeros_like(keep)
        self.active[columns[model.coef_[0] != 0]] = True
        self.gradient, self.previous_lambda = gradient, lam

    @property
    def n_sites(self) -> int:
        return int(self.active[: len(self.sites)].sum())

    def predict_proba(self, part: _Part) -> np.ndarray:
        x = self.scale(self._raw(part))[:, self.columns].astype(np.float64)
        return self.model.predict_proba(x)[:, 1]

    def c_at(self, step: int) -> float:
        """The path's ``step``-th C: from where the first site enters, weaker by ``PATH_STEP``."""
        return PATH_STEP**step / self.lambda_max


def _penalized_folds(part: _Part, folds, settings, metric):
    """Each fold walks the path until its validation score has not improved for
    ``PATH_PATIENCE`` points; the step with the best mean over the folds (among
    the steps every fold reached) is chosen. The path's C grid is relative to
    each training part's own first-entry penalty."""
    sign = 1.0 if metric.greater_is_better else -1.0
    per_fold: list[list[dict[str, float]]] = []
    for train, valid in folds:
        path = _LassoPath(part.rows(train), settings)
        validation = part.rows(valid)
        scores, best, since = [], -math.inf, 0
        for step in range(PATH_STEPS + 1):
            path.step(path.c_at(step))
            scores.append(all_scores(validation.y, path.predict_proba(validation)))
            value = sign * scores[-1][metric.name]
            if value > best:
                best, since = value, 0
            else:
                since += 1
                if since >= PATH_PATIENCE:
                    break
        per_fold.append(scores)
    reached = min(len(scores) for scores in per_fold)
    means = [
        float(np.mean([scores[step][metric.name] for scores in per_fold]))
        for step in range(reached)
    ]
    chosen = max(range(reached), key=lambda step: (sign * means[step], -step))
    params = {
        "penalty": "l1",
        "path_step": chosen,
        "c_over_first_entry": round(PATH_STEP**chosen, 6),
        "search_score_by_step": [round(v, 6) for v in means],
    }
    return [scores[chosen] for scores in per_fold], params


class _PenalizedModel:
    def __init__(self, part: _Part, settings: AutoMLSettings, chosen_step: int) -> None:
        self.path = _LassoPath(part, settings)
        for step in range(chosen_step + 1):  # the strong rule needs the path's previous point
            self.path.step(self.path.c_at(step))
        self.n_sites = self.path.n_sites

    def predict_proba(self, part: _Part) -> np.ndarray:
        return self.path.predict_proba(part)


def _sklearn_has_l1_ratio() -> bool:
    import sklearn

    return tuple(int(p) for p in sklearn.__version__.split(".")[:2]) >= (1, 8)


_HAS_L1_RATIO = _sklearn_has_l1_ratio()
