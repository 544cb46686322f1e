"""Benchmark: AutoML on real genotypes (HapMap 3) against the Bayes ceiling.

Issue 23's first "done when", run as a user would, from a fresh folder, with
the ``vcfml`` command for each seed:

    vcfml simulate --genotypes data/hapmap3/hapmap3.vcf.gz --causal 10 --h2 0.5 \\
        --prevalence 0.2 --seed S --out D
    vcfml automl --vcf data/hapmap3/hapmap3.vcf.gz --samples D/samples.tsv --budget 60 \\
        --seed S --out R
    vcfml predict --run R --vcf data/hapmap3/hapmap3.vcf.gz --samples D/samples.tsv --out P.tsv
    vcfml explain --run R --truth D/truth.json --out E

The test AUC (automl's held-out 20%) is compared with the Bayes-optimal AUC of
the *same* held-out samples, from each one's exact case probability in
``truth.json``; the target is a ratio of at least 0.93. Every command must exit
with status 0.

Prints a Markdown table; ``--record`` appends it to benchmarks/RESULTS.md and
writes benchmarks/results/hapmap3_automl.json.

Usage: nice python benchmarks/hapmap3_automl.py [--seeds 1 2 3] [--budget 60] [--record]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from common import add_output_options, load_change, machine_state, publish

from vcfml.simulate.bayes import expected_auc

ROOT = Path(__file__).resolve().parents[1]
VCF = ROOT / "data" / "hapmap3" / "hapmap3.vcf.gz"
TARGET_RATIO = 0.93


def vcfml(*arguments: str, cwd: Path) -> float:
    """Run one ``vcfml`` command; its wall time. A failure stops the benchmark."""
    started = time.perf_counter()
    command = [str(Path(sys.executable).with_name("vcfml")), *arguments]
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(arguments[:1])} failed:\n{result.stdout}\n{result.stderr}")
    return time.perf_counter() - started


def one_seed(seed: int, budget: float, folder: Path) -> dict:
    data, run, explained = folder / "D", folder / "R", folder / "E"
    vcf = str(VCF)
    vcfml(
        "simulate", "--genotypes", vcf, "--causal", "10", "--h2", "0.5",
        "--prevalence", "0.2", "--seed", str(seed), "--out", str(data), cwd=folder,
    )  # fmt: skip
    samples = str(data / "samples.tsv")
    automl_seconds = vcfml(
        "automl", "--vcf", vcf, "--samples", samples, "--budget", str(budget),
        "--seed", str(seed), "--out", str(run), "--quiet", cwd=folder,
    )  # fmt: skip
    vcfml("predict", "--run", str(run), "--vcf", vcf, "--samples", samples,
          "--out", str(folder / "P.tsv"), cwd=folder)  # fmt: skip
    vcfml("explain", "--run", str(run), "--truth", str(data / "truth.json"),
          "--out", str(explained), cwd=folder)  # fmt: skip
    truth = json.loads((data / "truth.json").read_text())
    run_info = json.loads((run / "run.json").read_text())
    metrics = json.loads((run / "metrics.json").read_text())
    recovery = json.loads((explained / "recovery.json").read_text())
    test = run_info["test_samples"]
    bayes_test = expected_auc(np.array([truth["case_probability"][s] for s in test]))
    auc = metrics["test"]["roc_auc"]
    return {
        "seed": seed,
        "cases": int(pd.read_csv(data / "samples.tsv", sep="\t")["phenotype"].sum()),
        "bayes_auc_cohort": truth["bayes_optimal"]["cohort"]["auc"],
        "bayes_auc_test": round(bayes_test, 4),
        "test_auc": round(auc["mean"], 4),
        "test_auc_ci95": [round(value, 4) for value in auc["ci95"]],
        "ratio": round(auc["mean"] / bayes_test, 4),
        "chosen": f"{run_info['best']['estimator']}, {run_info['best']['n_sites']} sites",
        "automl_seconds": round(automl_seconds, 1),
        "recall_at_10": recovery["model"]["recall_at_10"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--budget", type=float, default=60.0)
    add_output_options(parser, "append the table to RESULTS.md")
    args = parser.parse_args()
    before = machine_state()
    rows = []
    for seed in args.seeds:
        with tempfile.TemporaryDirectory() as folder:
            rows.append(one_seed(seed, args.budget, Path(folder)))
        print(rows[-1], flush=True)
    after = machine_state()
    ratios = np.array([row["ratio"] for row in rows])
    lines = [
        "| seed | cases | Bayes AUC (cohort) | Bayes AUC (test) | test AUC (95% CI) | ratio "
        "| chosen | automl wall s | recall@10 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        low, high = row["test_auc_ci95"]
        lines.append(
            f"| {row['seed']} | {row['cases']} | {row['bayes_auc_cohort']:.3f} "
            f"| {row['bayes_auc_test']:.3f} | {row['test_auc']:.3f} ({low:.3f}-{high:.3f}) "
            f"| {row['ratio']:.3f} | {row['chosen']} | {row['automl_seconds']:.1f} "
            f"| {row['recall_at_10']:.1f} |"
        )
    lines.append(
        f"\nratio test AUC / Bayes AUC of the same held-out samples: median "
        f"{np.median(ratios):.3f}, range {ratios.min():.3f}-{ratios.max():.3f} over "
        f"{len(rows)} seeds; {int((ratios >= TARGET_RATIO).sum())} of {len(rows)} at or above "
        f"{TARGET_RATIO}"
    )
    table = "\n".join(lines)
    print(table)
    details = f"; budget {args.budget:g} s, {load_change(before, after)}"
    payload = {"rows": rows, "budget": args.budget, "before": before, "after": after}
    publish(args, "hapmap3_automl.py", table, details, "hapmap3_automl", payload)
    return 0


if __name__ == "__main__":
    sys.exit(main())
