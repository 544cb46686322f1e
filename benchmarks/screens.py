"""Benchmark: does the interaction-aware screen help, trial for trial?

``baselines.py`` gives AutoML a time budget, so on a busy machine it runs fewer
trials and its numbers mix the method with the load. Here each run has a fixed
number of trials (``deterministic``: no clock), so the load changes the seconds
only: the same cohorts and seeds as ``baselines.py`` (the same simulation, the same
held-out 20%), searched with ``screen="marginal"`` (one site at a time) and with
``screen="auto"`` (the search may also choose the pairs ranking,
:mod:`vcfml.automl.interactions`). Prints the held-out test AUC of each, their
difference, and the Bayes AUC of the test people.

Usage: python benchmarks/screens.py [--trials 40] [--seeds 0 1 2]
       [--cohorts epistatic additive-10k] [--record]
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from baselines import COHORTS, dataset_of, simulate
from common import add_output_options, load_change, machine_state, publish, recorded_run

from vcfml.automl import AutoMLSettings, run_automl
from vcfml.automl.splits import holdout_split
from vcfml.simulate import bayes


def one_cohort(name: str, seed: int, trials: int) -> dict:
    cohort, covariates = simulate(name, seed)
    dataset = dataset_of(cohort, covariates)
    row: dict = {"cohort": name, "seed": seed, "trials": trials}
    for screen in ("marginal", "auto"):
        settings = AutoMLSettings(
            deterministic=True, max_trials=trials, seed=seed, verbose=0, screen=screen
        )
        began = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = run_automl(dataset, settings)
        board = result.leaderboard.set_index("iteration")
        row[f"{screen}_auc"] = result.test_score
        row[f"{screen}_model"] = (
            f"{board.loc[result.chosen_trial, 'estimator']} "
            f"({board.loc[result.chosen_trial, 'screen']}, "
            f"{int(board.loc[result.chosen_trial, 'n_sites'])} sites)"
        )
        row[f"{screen}_seconds"] = round(time.perf_counter() - began, 1)
    _, test = holdout_split(dataset.target, settings.resolved())
    row["bayes_auc"] = bayes.expected_auc(np.asarray(cohort.case_probability)[test])
    row["difference"] = row["auto_auc"] - row["marginal_auc"]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--cohorts", nargs="+", choices=[c for c in COHORTS if c != "coalescent"],
        default=["epistatic", "additive-10k"],
    )  # fmt: skip
    parser.add_argument(
        "--from-json", type=Path, help="tabulate (and with --record, record) a --json run"
    )
    add_output_options(parser, "append the table to benchmarks/RESULTS.md")
    args = parser.parse_args()
    if args.from_json:
        document, load = recorded_run(args.from_json)
        args.json = None
        report(args, document["rows"], document["machine"], load)
        return
    before = machine_state()
    rows = []
    for name in args.cohorts:
        for seed in args.seeds:
            rows.append(one_cohort(name, seed, args.trials))
            last = rows[-1]
            print(
                f"{name} seed {seed}: marginal {last['marginal_auc']:.3f}, "
                f"auto {last['auto_auc']:.3f}, Bayes {last['bayes_auc']:.3f}",
                flush=True,
            )
    after = machine_state()
    report(args, rows, after, load_change(before, after))


def report(args: argparse.Namespace, rows: list[dict], machine: dict, load: str) -> None:
    """Print the tables; with ``--record``/``--json`` write them (common.publish)."""
    frame = pd.DataFrame(rows)
    table = frame[
        ["cohort", "seed", "bayes_auc", "marginal_auc", "auto_auc", "difference",
         "marginal_model", "auto_model", "marginal_seconds", "auto_seconds"]
    ].round(3).to_markdown(index=False)  # fmt: skip
    summary = (
        frame.groupby("cohort", sort=False)
        .agg(
            seeds=("seed", "nunique"),
            marginal=("marginal_auc", "mean"),
            auto=("auto_auc", "mean"),
            difference=("difference", "mean"),
            spread=("difference", "std"),
        )
        .round(3)
        .to_markdown()
    )
    print(table, "\n", summary, sep="\n")
    details = (
        f", {frame['trials'].iloc[0]} trials a run (deterministic), seeds "
        f"{' '.join(map(str, sorted(frame['seed'].unique())))}; {load}"
    )
    publish(
        args, "screens.py",
        f"{table}\n\nMean over seeds (spread = standard deviation of the difference):\n\n{summary}",
        details, "screens", {"machine": machine, "load": load, "rows": rows},
    )  # fmt: skip


if __name__ == "__main__":
    main()
