"""Benchmark: does AutoML beat a polygenic score?

For each cohort and seed, ``run_automl`` (``--budget`` seconds, default 60) and
the three genetics baselines of :mod:`vcfml.automl.baselines` (covariates only,
clumping + thresholding, lasso logistic on every site) are fitted on the same
search samples and scored on the same held-out 20% of the cohort, exactly as
``vcfml automl`` does. Beside them, the Bayes-optimal AUC of those test samples
(the expected AUC of their true case probabilities): the ceiling.

Cohorts (``--cohorts``):

* ``additive-10k``, ``additive-100k``: liability model, 1,000 people x 10,000
  or 100,000 sites, 10 causal sites, h2 0.5, sex effect 0.5;
* ``epistatic``, ``dominance``: the same 1,000 x 10,000 with half the genetic
  variance from pairwise interactions or dominance deviations
  (``--mode epistatic`` / ``dominance``, ``nonadditive_share`` 0.5);
* ``epistatic-2k``, ``epistatic-4k``, ``epistatic-8k``: the epistatic cohort
  with 2,000, 4,000 or 8,000 people (the same model for a seed: sites, effects,
  pairs; more people drawn from it), a sample-size curve: with 800 search
  people the interactions hardly stand out (``benchmarks/pair_screen.py``);
* ``coalescent``: msprime + stdpopsim (OutOfAfrica_3G09, two populations,
  1,000 people), population as a covariate; its ceiling is the Bayes AUC of the
  whole cohort (truth.json), not of the test share.

Prints one row per cohort and seed and the mean per cohort (AUC, ratio to
Bayes); ``--record`` appends both tables to benchmarks/RESULTS.md.

Usage: python benchmarks/baselines.py [--budget 60] [--seeds 0 1 2]
       [--cohorts additive-10k additive-100k epistatic dominance coalescent] [--record]
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from common import add_output_options, load_change, machine_state, publish

from vcfml.automl import AutoMLSettings, run_automl
from vcfml.automl.baselines import BASELINES, baseline_report
from vcfml.automl.splits import holdout_split
from vcfml.features import Dataset, join_samples
from vcfml.io.vcf_reader import GenotypeMatrix
from vcfml.simulate import bayes, simulate_coalescent, simulate_liability

LIABILITY = {"n_samples": 1000, "n_causal": 10, "h2": 0.5, "sex_effect": 0.5, "prevalence": 0.3}
COHORTS = {
    "additive-10k": {"n_sites": 10_000},
    "additive-100k": {"n_sites": 100_000, "draw_order": "by-block"},
    "epistatic": {"n_sites": 10_000, "mode": "epistatic", "nonadditive_share": 0.5},
    "dominance": {"n_sites": 10_000, "mode": "dominance", "nonadditive_share": 0.5},
    "epistatic-2k": {
        "n_samples": 2000,
        "n_sites": 10_000,
        "mode": "epistatic",
        "nonadditive_share": 0.5,
    },
    "epistatic-4k": {
        "n_samples": 4000,
        "n_sites": 10_000,
        "mode": "epistatic",
        "nonadditive_share": 0.5,
    },
    "epistatic-8k": {
        "n_samples": 8000,
        "n_sites": 10_000,
        "mode": "epistatic",
        "nonadditive_share": 0.5,
    },
    "coalescent": None,
}
SHORT = {"covariates_only": "covariates", "clump_threshold": "C+T", "penalized_logistic": "lasso"}


def dataset_of(cohort, covariates: list[str]) -> Dataset:
    """The cohort as ``vcfml automl`` would load it, without the round trip to disk."""
    genotypes = np.ascontiguousarray(cohort.genotypes)
    matrix = GenotypeMatrix(genotypes, cohort.variants, cohort.samples["sample_id"].tolist())
    return join_samples(matrix, cohort.samples.set_index("sample_id"), covariates=covariates)


def simulate(name: str, seed: int):
    """(cohort, covariates) of one benchmark cohort."""
    if name == "coalescent":
        return simulate_coalescent(n_samples=1000, seed=12 + seed), ["sex", "population"]
    return simulate_liability(**{**LIABILITY, **COHORTS[name]}, seed=100 + seed), ["sex"]


def one_run(name: str, seed: int, budget: float) -> dict:
    cohort, covariates = simulate(name, seed)
    dataset = dataset_of(cohort, covariates)
    settings = AutoMLSettings(budget=budget, seed=seed, verbose=0)
    began = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_automl(dataset, settings)
        automl_seconds = time.perf_counter() - began
        report = baseline_report(dataset, result)
    _, test_rows = holdout_split(dataset.target, settings.resolved())
    probability = getattr(cohort, "case_probability", None)
    if probability is not None:
        ceiling, ceiling_of = bayes.expected_auc(np.asarray(probability)[test_rows]), "test"
    else:
        ceiling, ceiling_of = cohort.truth["bayes_optimal"]["cohort"]["auc"], "cohort"
    row = {
        "cohort": name,
        "shape": f"{dataset.genotypes.shape[0]:,} x {dataset.genotypes.shape[1]:,}",
        "seed": seed,
        "bayes_auc": ceiling,
        "bayes_of": ceiling_of,
        "automl_auc": result.test_metrics["roc_auc"]["mean"],
        "automl_ci95": result.test_metrics["roc_auc"]["ci95"],
        "automl_model": result.model.estimator_name,
        "automl_trials": int((result.leaderboard["estimator"] != "ensemble").sum()),
        "automl_screen": str(
            result.leaderboard.set_index("iteration").loc[result.chosen_trial, "screen"]
        ),
        "automl_seconds": round(automl_seconds, 1),
        "baseline_seconds": round(report.seconds, 1),
    }
    for baseline in report.results:
        row[f"{baseline.name}_auc"] = baseline.test_metrics["roc_auc"]["mean"]
        row[f"{baseline.name}_ci95"] = baseline.test_metrics["roc_auc"]["ci95"]
        row[f"{baseline.name}_sites"] = baseline.n_sites
    comparison = report.comparison
    row["best_baseline"] = comparison["baseline"]
    row["difference"] = comparison["difference"]
    row["difference_ci95"] = comparison["ci95"]
    return row


def _spread(values: pd.Series) -> float:
    """Standard deviation over seeds (0 for one seed)."""
    return float(values.std(ddof=1)) if len(values) > 1 else 0.0


def _with_interval(value: float, interval: list[float]) -> str:
    return f"{value:.3f} ({interval[0]:.3f}-{interval[1]:.3f})"


def tables(rows: list[dict]) -> tuple[str, str]:
    """(every run, the mean per cohort) as Markdown."""
    runs = pd.DataFrame(
        {
            "cohort": [r["cohort"] for r in rows],
            "sites": [r["shape"] for r in rows],
            "seed": [r["seed"] for r in rows],
            "Bayes AUC": [f"{r['bayes_auc']:.3f} ({r['bayes_of']})" for r in rows],
            "AutoML": [_with_interval(r["automl_auc"], r["automl_ci95"]) for r in rows],
            **{
                SHORT[name]: [_with_interval(r[f"{name}_auc"], r[f"{name}_ci95"]) for r in rows]
                for name in BASELINES
            },
            "AutoML - best baseline": [
                f"{r['difference']:+.3f} ({r['difference_ci95'][0]:+.3f} to "
                f"{r['difference_ci95'][1]:+.3f}) vs {SHORT[r['best_baseline']]}"
                for r in rows
            ],
            "AutoML model (screen, trials)": [
                f"{r['automl_model']} ({r['automl_screen']}, {r['automl_trials']})" for r in rows
            ],
            "seconds (AutoML / baselines)": [
                f"{r['automl_seconds']:.0f} / {r['baseline_seconds']:.0f}" for r in rows
            ],
        }
    )
    frame = pd.DataFrame(rows)
    summary = []
    for cohort, group in frame.groupby("cohort", sort=False):
        entry = {"cohort": cohort, "seeds": len(group), "Bayes AUC": group["bayes_auc"].mean()}
        for column, label in [("automl_auc", "AutoML")] + [
            (f"{name}_auc", SHORT[name]) for name in BASELINES
        ]:
            mean = group[column].mean()
            entry[label] = (
                f"{mean:.3f} ± {_spread(group[column]):.3f} "
                f"({mean / group['bayes_auc'].mean():.2f})"
            )
        best_linear = group[[f"{name}_auc" for name in ("clump_threshold", "penalized_logistic")]]
        versus_linear = group["automl_auc"] - best_linear.max(axis=1)
        entry["AutoML - best baseline"] = (
            f"{group['difference'].mean():+.3f} ± {_spread(group['difference']):.3f}"
        )
        entry["AutoML - best of C+T, lasso"] = (
            f"{versus_linear.mean():+.3f} ± {_spread(versus_linear):.3f}"
        )
        summary.append(entry)
    summary_table = pd.DataFrame(summary)
    summary_table["Bayes AUC"] = summary_table["Bayes AUC"].map("{:.3f}".format)
    return runs.to_markdown(index=False), summary_table.to_markdown(index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=60.0)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--cohorts", nargs="+", choices=list(COHORTS), default=list(COHORTS))
    parser.add_argument(
        "--from-json", type=Path, nargs="+",
        help="tabulate (and with --record, record) the rows of earlier --json runs "
        "instead of running: parts of one benchmark run side by side, or new runs merged "
        "into the recorded benchmarks/results/baselines.json (a later file's row of the "
        "same cohort and seed replaces an earlier one's)",
    )  # fmt: skip
    add_output_options(parser, "append the tables to benchmarks/RESULTS.md")
    args = parser.parse_args()
    if args.from_json:
        combine(args)
        return
    before = machine_state()
    rows = []
    for name in args.cohorts:
        for seed in args.seeds:
            rows.append(one_run(name, seed, args.budget))
            last = rows[-1]
            print(
                f"{name} seed {seed}: Bayes {last['bayes_auc']:.3f}, AutoML "
                f"{last['automl_auc']:.3f}, "
                + ", ".join(f"{SHORT[n]} {last[f'{n}_auc']:.3f}" for n in BASELINES),
                flush=True,
            )
    runs, summary = tables(rows)
    print(runs, "\n", summary, sep="\n")
    after = machine_state()
    details = (
        f", AutoML budget {args.budget:g} s, seeds {' '.join(map(str, args.seeds))}, "
        f"held-out test = 20% of each cohort (ratio to Bayes in brackets in the mean table); "
        f"{load_change(before, after)}"
    )
    publish(
        args, "baselines.py", f"{runs}\n\nMean per cohort:\n\n{summary}", details, "baselines",
        {"machine": after, "load": load_change(before, after), "rows": rows},
    )  # fmt: skip


def combine(args: argparse.Namespace) -> None:
    """Tables of the rows of several ``--json`` files; the machine and load of each."""
    documents = [json.loads(path.read_text()) for path in args.from_json]
    merged: dict[tuple[str, int], dict] = {}
    for document in documents:
        for row in document["rows"]:
            merged[(row["cohort"], row["seed"])] = row  # a later run of a cohort and seed wins
    rows = list(merged.values())
    runs, summary = tables(rows)
    print(runs, "\n", summary, sep="\n")
    loads = "; ".join(
        f"{', '.join(sorted({row['cohort'] for row in document['rows']}))}: "
        + document.get("load", "an earlier recorded run (its load is in its section)")
        for document in documents
    )
    details = f", {len(documents)} runs tabulated together; {loads}"
    args.json = None
    publish(
        args, "baselines.py", f"{runs}\n\nMean ± standard deviation over seeds per cohort "
        f"(ratio of the mean to the Bayes AUC in brackets):\n\n{summary}", details, "baselines",
        {"machine": documents[-1]["machine"], "parts": [str(p) for p in args.from_json],
         "load": loads, "rows": rows},
    )  # fmt: skip


if __name__ == "__main__":
    main()
