"""Benchmark: is ``vcfml automl --budget B`` a promise?

For each cohort size a liability cohort is simulated and written as a VCF; then
``vcfml automl --budget B`` runs as its own process for each budget, with MLflow
logging on (a fresh store each time), and the wall time of the whole process is
measured: Python start, reading the VCF, screening, search, refits, importance
and logging. The genetics baselines run after the search, outside the budget
(``vcfml automl --help``: ``--budget`` covers everything "except the
baselines"), so their seconds (metrics.json) are subtracted: the goal is a wall
time less the baselines' within 1.05 x B. The whole wall time is shown too.

Prints a Markdown table; ``--record`` appends it to benchmarks/RESULTS.md.

Usage: python benchmarks/budget.py [--budgets 30 60] [--sizes 2000x10000 1000x100000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from common import parse_size, record

from vcfml.simulate import simulate_liability

MODEL = {"n_causal": 10, "h2": 0.5, "sex_effect": 0.5, "prevalence": 0.3, "seed": 21}
GOAL = 1.05  # wall time at most this many budgets


def run_once(cohort: Path, budget: float, out: Path) -> dict:
    command = [
        sys.executable,
        "-m",
        "vcfml.cli",
        "automl",
        "--vcf",
        str(cohort / "cohort.vcf.gz"),
        "--samples",
        str(cohort / "samples.tsv"),
        "--budget",
        str(budget),
        "--out",
        str(out),
        "--quiet",
        "--tracking-uri",
        f"sqlite:///{out.parent / (out.name + '.db')}",
    ]
    began = time.perf_counter()
    finished = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - began
    if finished.returncode != 0:
        raise SystemExit(f"vcfml automl failed:\n{finished.stderr}")
    metrics = json.loads((out / "metrics.json").read_text())
    run = json.loads((out / "run.json").read_text())
    baselines = metrics.get("baselines", {}).get("seconds", 0.0)
    return {
        "wall s": round(wall, 1),
        "baselines s": round(baselines, 1),
        "(wall - baselines) / budget": round((wall - baselines) / budget, 3),
        "screens": ", ".join(metrics.get("screens", [])),
        "trials": metrics["n_trials"],
        "test AUC": round(metrics["test"]["roc_auc"]["mean"], 4),
        "skipped or cut": "; ".join(run["notes"]) or "",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budgets", type=float, nargs="+", default=[30, 60])
    parser.add_argument("--sizes", nargs="+", default=["2000x10000", "1000x100000"])
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for size in args.sizes:
            n_samples, n_sites = parse_size(size)
            cohort = Path(scratch) / size
            simulate_liability(n_samples=n_samples, n_sites=n_sites, **MODEL).write(cohort)
            for budget in args.budgets:
                result = run_once(cohort, budget, Path(scratch) / f"run-{size}-{budget:g}")
                name = f"{n_samples:,} x {n_sites:,}"
                rows.append({"cohort": name, "budget s": budget, **result})
                print(rows[-1], flush=True)
    table = pd.DataFrame(rows).to_markdown(index=False)
    print(table)
    if args.record:
        record("budget.py", table, f", goal: wall time less the baselines' <= {GOAL} x budget")


if __name__ == "__main__":
    main()
