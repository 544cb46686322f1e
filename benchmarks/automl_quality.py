"""Benchmark: how close does AutoML get to the best possible model?

For each training cohort (liability model: 10 causal sites, h2 = 0.5, sex
effect 0.5) a separate, larger test cohort is drawn from the *same* model
(``sample_seed``). Every method trains on the training cohort with the same
budget on 2 cores and is scored by ROC AUC on the test cohort:

* ``vcfml automl``: the genotype-aware search (screening inside CV);
* plain FLAML ``AutoML`` on all sites and sex;
* LightGBM with default settings on all sites and sex;
* association scan + logistic regression, the number of kept sites chosen by
  5-fold CV (screen fitted inside each fold);
* the Bayes-optimal AUC of the test cohort from ``truth.json``: the ceiling.

``--coalescent`` adds the coalescent cohort of issue 12 (msprime + stdpopsim,
OutOfAfrica_3G09, 1,000 training people over chr22 and chrX, with LD and two
populations; the 2,000 test people come from the same simulation), with
population as a covariate as ``vcfml automl`` would use it.

Each method runs in its own process and is stopped after five times the budget.

Prints a Markdown table; ``--record`` appends it to benchmarks/RESULTS.md.

Usage: python benchmarks/automl_quality.py [--budget 60] [--sizes 2000x10000 1000x100000]
       [--coalescent]
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from common import parse_size, record
from flaml import AutoML
from lightgbm import LGBMClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from vcfml.automl import AutoMLSettings, run_automl
from vcfml.automl.screening import GenotypeScreen, impute
from vcfml.features import Dataset, join_samples
from vcfml.io.vcf_reader import GenotypeMatrix
from vcfml.simulate import simulate_coalescent, simulate_liability

MODEL = {"n_causal": 10, "h2": 0.5, "sex_effect": 0.5, "prevalence": 0.3, "seed": 21}
TEST_SAMPLES = 4000
COALESCENT = {"n_samples": 1000, "n_test_samples": 2000, "seed": 12}
LIMIT_FACTOR = 5  # a method still running after 5 x the budget is stopped and reported
BUDGETED = ("vcfml automl", "plain FLAML, all sites")
SCAN_GRID = [5, 10, 20, 50, 100, 200, 500]


def in_memory_dataset(cohort, covariates=("sex",)) -> Dataset:
    """The cohort as the loader would return it, without the round trip to disk."""
    genotypes = np.ascontiguousarray(cohort.genotypes)
    matrix = GenotypeMatrix(genotypes, cohort.variants, cohort.samples["sample_id"].tolist())
    return join_samples(matrix, cohort.samples.set_index("sample_id"), covariates=list(covariates))


def covariate_columns(dataset: Dataset) -> np.ndarray:
    """The 0/1 covariate columns (sex, and population where there is one)."""
    return dataset.covariates.drop(columns="sex=female", errors="ignore").to_numpy(float)


def frame(dataset: Dataset) -> pd.DataFrame:
    values = np.where(dataset.genotypes < 0, np.nan, dataset.genotypes).astype(np.float32)
    table = pd.DataFrame(values, columns=[f"v{i}" for i in range(values.shape[1])])
    for i, column in enumerate(covariate_columns(dataset).T):
        table[f"covariate{i}"] = column
    return table


def timed(function, train: Dataset, test: Dataset, budget: float, limit: float):
    """Run one method in a forked child (it inherits the data without copying)
    and stop it after ``limit`` seconds: plain AutoML on 100,000 columns can
    overrun its budget many times over. Returns (probabilities or None, seconds)."""
    context = multiprocessing.get_context("fork")
    with tempfile.TemporaryDirectory() as folder:
        result = Path(folder) / "probability.npy"

        def child() -> None:
            np.save(result, function(train, test, budget))

        start = time.perf_counter()
        process = context.Process(target=child)
        process.start()
        process.join(limit)
        seconds = time.perf_counter() - start
        if process.is_alive():
            process.kill()
            process.join()
            return None, seconds
        return (np.load(result) if result.exists() else None), seconds


def vcfml_automl(train: Dataset, test: Dataset, budget: float) -> np.ndarray:
    result = run_automl(train, AutoMLSettings(budget=budget, verbose=0, seed=0))
    model = result.model
    trials = len(result.leaderboard)
    print(f"  vcfml: {model.estimator_name}, {len(model.variants)} sites, {trials} trials")
    return model.predict_proba(test)[:, 1]


def plain_flaml(train: Dataset, test: Dataset, budget: float) -> np.ndarray:
    automl = AutoML()
    automl.fit(
        frame(train),
        train.target,
        task="classification",
        metric="roc_auc",
        time_budget=budget,
        seed=0,
        verbose=0,
    )
    return automl.predict_proba(frame(test))[:, 1]


def lightgbm_defaults(train: Dataset, test: Dataset, budget: float) -> np.ndarray:
    model = LGBMClassifier(verbose=-1, random_state=0).fit(frame(train), train.target)
    return model.predict_proba(frame(test))[:, 1]


def scan_logistic(train: Dataset, test: Dataset, budget: float) -> np.ndarray:
    sex_train = covariate_columns(train)
    folds = StratifiedKFold(5, shuffle=True, random_state=0).split(train.genotypes, train.target)
    scores = {k: [] for k in SCAN_GRID}
    for fit_rows, valid_rows in folds:
        screen = GenotypeScreen(n_sites=max(SCAN_GRID)).fit(
            train.genotypes[fit_rows], train.target[fit_rows]
        )
        for k in SCAN_GRID:
            columns = screen.ranking_[:k]
            means = screen.means_[columns]
            x_fit = np.hstack(
                [impute(train.genotypes[np.ix_(fit_rows, columns)], means), sex_train[fit_rows]]
            )
            x_valid = np.hstack(
                [impute(train.genotypes[np.ix_(valid_rows, columns)], means), sex_train[valid_rows]]
            )
            model = LogisticRegression(max_iter=2000).fit(x_fit, train.target[fit_rows])
            scores[k].append(
                roc_auc_score(train.target[valid_rows], model.predict_proba(x_valid)[:, 1])
            )
    best_k = max(SCAN_GRID, key=lambda k: np.mean(scores[k]))
    print(f"  scan + logistic: k = {best_k}")
    screen = GenotypeScreen(n_sites=best_k).fit(train.genotypes, train.target)
    model = LogisticRegression(max_iter=2000).fit(
        np.hstack([screen.transform(train.genotypes), sex_train]), train.target
    )
    return model.predict_proba(
        np.hstack([screen.transform(test.genotypes), covariate_columns(test)])
    )[:, 1]


METHODS = {
    "vcfml automl": vcfml_automl,
    "plain FLAML, all sites": plain_flaml,
    "LightGBM defaults, all sites": lightgbm_defaults,
    "association scan + logistic": scan_logistic,
}


def cohorts(sizes: list[tuple[int, int]], coalescent: bool):
    """(label, train Dataset, test Dataset, Bayes-optimal test AUC) for each cohort."""
    for n_samples, n_sites in sizes:
        label = f"{n_samples:,} x {n_sites:,}"
        print(f"{label}: simulating train and test cohorts")
        train_cohort = simulate_liability(n_samples=n_samples, n_sites=n_sites, **MODEL)
        test_cohort = simulate_liability(
            n_samples=TEST_SAMPLES, n_sites=n_sites, sample_seed=777, **MODEL
        )
        ceiling = test_cohort.truth["bayes_optimal"]["cohort"]["auc"]
        yield label, in_memory_dataset(train_cohort), in_memory_dataset(test_cohort), ceiling
    if coalescent:
        train_cohort = simulate_coalescent(**COALESCENT)
        test_cohort = train_cohort.test
        label = f"coalescent {len(train_cohort.samples):,} x {train_cohort.genotypes.shape[1]:,}"
        print(f"{label}: simulated")
        ceiling = test_cohort.truth["bayes_optimal"]["cohort"]["auc"]
        covariates = ("sex", "population")
        yield (
            label,
            in_memory_dataset(train_cohort, covariates),
            in_memory_dataset(test_cohort, covariates),
            ceiling,
        )


def run(sizes: list[tuple[int, int]], budget: float, coalescent: bool = False) -> pd.DataFrame:
    rows = []
    for label, train, test, ceiling in cohorts(sizes, coalescent):
        for name, method in METHODS.items():
            print(f"  running {name}")
            probability, seconds = timed(method, train, test, budget, LIMIT_FACTOR * budget)
            if probability is None:
                print(f"  {name}: stopped after {seconds:.0f}s ({LIMIT_FACTOR:g} x the budget)")
                rows.append(
                    {
                        "train cohort": label,
                        "method": name,
                        "test AUC": "did not finish",
                        "fraction of Bayes AUC": "",
                        "wall s": f"> {seconds:.0f}",
                        "budget s": budget if name in BUDGETED else "",
                    }
                )
                continue
            auc = roc_auc_score(test.target, probability)
            share = auc / ceiling
            print(f"  {name}: test AUC {auc:.4f} ({share:.3f} of the ceiling), {seconds:.1f}s")
            rows.append(
                {
                    "train cohort": label,
                    "method": name,
                    "test AUC": round(auc, 4),
                    "fraction of Bayes AUC": round(auc / ceiling, 3),
                    "wall s": round(seconds, 1),
                    "budget s": budget
                    if name in ("vcfml automl", "plain FLAML, all sites")
                    else "",
                }
            )
        rows.append(
            {
                "train cohort": label,
                "method": "Bayes-optimal (truth.json)",
                "test AUC": ceiling,
                "fraction of Bayes AUC": 1.0,
                "wall s": "",
                "budget s": "",
            }
        )
    return pd.DataFrame(rows)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--budget", type=float, default=60.0)
    parser.add_argument(
        "--sizes", nargs="*", type=parse_size, default=[(2000, 10_000), (1000, 100_000)]
    )
    parser.add_argument("--coalescent", action="store_true", help="add the coalescent cohort")
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    table = run(args.sizes, args.budget, args.coalescent)
    text = table.to_markdown(index=False)
    print(text)
    if args.record:
        details = f", budget {args.budget:g} s, test cohort {TEST_SAMPLES} samples"
        if args.coalescent:
            details += f" (coalescent: {COALESCENT['n_test_samples']} from the same simulation)"
        record("automl_quality.py", text, details)
    return 0


if __name__ == "__main__":
    sys.exit(main())
