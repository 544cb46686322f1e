"""Benchmark: the coalescent cohort of issue 12, end to end through the command line.

1. ``vcfml simulate --model coalescent --samples 1000 --test-samples 2000`` (timed;
   goal: under 60 s on 2 cores);
2. LD: mean r² of adjacent sites on chr22, against an independent-site
   (liability-model) cohort of the same size (goal: well above it);
3. the site-frequency spectrum: share of chr22 sites with minor-allele frequency
   below 1% and 5% (goal: skewed towards rare alleles);
4. ``vcfml automl`` (budget 60 s) on the training cohort, ``vcfml predict`` on
   ``test/``, and the test AUC as a fraction of the Bayes-optimal test AUC from
   ``test/truth.json`` (goal: at least 0.95). The test cohort is seen by nothing
   in the search.

Prints a Markdown table; ``--record`` appends it to benchmarks/RESULTS.md.

Usage: python benchmarks/coalescent.py [--budget 60] [--seed 12] [--parts cohort course]
       [--record]
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
from common import record
from sklearn.metrics import roc_auc_score

from vcfml.automl import course_settings, run_automl
from vcfml.features import join_samples
from vcfml.io.vcf_reader import read_vcf
from vcfml.simulate import simulate_liability
from vcfml.stats import adjacent_r2, site_frequency_spectrum


def vcfml(*arguments: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "vcfml.cli", *arguments], check=True)
    return time.perf_counter() - start


COURSE_DATA = Path(__file__).resolve().parents[1] / "data" / "coalescent"


def course_rows() -> list[tuple]:
    start = time.perf_counter()
    genotypes = read_vcf(COURSE_DATA / "cohort.vcf.gz")
    dataset = join_samples(genotypes, COURSE_DATA / "samples.tsv")
    read_seconds = time.perf_counter() - start
    settings = course_settings()
    start = time.perf_counter()
    result = run_automl(dataset, settings)
    seconds = time.perf_counter() - start
    shape = f"{genotypes.genotypes.shape[0]} x {genotypes.genotypes.shape[1]:,}"
    return [
        (f"data/coalescent ({shape}): read + join (s)", round(read_seconds, 1), ""),
        (
            f"data/coalescent: AutoML, {len(result.leaderboard)} trials (s)",
            round(seconds, 1),
            "< 30",
        ),
    ]


def run(budget: float, seed: int, parts: list[str]) -> pd.DataFrame:
    rows = course_rows() if "course" in parts else []
    if "cohort" not in parts:
        return pd.DataFrame(rows, columns=["measure", "value", "goal"])
    with tempfile.TemporaryDirectory() as folder:
        cohort = Path(folder) / "D"
        seconds = vcfml(
            "simulate", "--model", "coalescent", "--samples", "1000", "--test-samples", "2000",
            "--seed", str(seed), "--out", str(cohort),
        )  # fmt: skip
        rows.append(("simulate 1,000 + 2,000 people (s)", round(seconds, 1), "< 60"))
        matrix = read_vcf(cohort / "cohort.vcf.gz")
        chr22 = (matrix.variants["chrom"] == "chr22").to_numpy()
        dosages = matrix.genotypes[:, chr22]
        rows.append(("sites (all regions)", matrix.genotypes.shape[1], ""))
        coalescent_r2 = float(adjacent_r2(dosages).mean())
        independent = simulate_liability(
            n_samples=1000, n_sites=int(chr22.sum()), include_chrx=False, seed=seed
        )
        independent_r2 = float(adjacent_r2(independent.genotypes).mean())
        rows.append(("mean r² of adjacent sites, coalescent chr22", round(coalescent_r2, 4), ""))
        rows.append(("mean r² of adjacent sites, independent sites", round(independent_r2, 4), ""))
        spectrum = site_frequency_spectrum(dosages)
        maf = np.arange(len(spectrum)) / (2 * dosages.shape[0])
        polymorphic = spectrum[1:].sum()
        for limit in (0.01, 0.05):
            share = spectrum[1:][maf[1:] < limit].sum() / polymorphic
            rows.append((f"share of chr22 sites with MAF < {limit:g}", round(float(share), 3), ""))

        run_dir = Path(folder) / "run"
        seconds = vcfml(
            "automl", "--vcf", str(cohort / "cohort.vcf.gz"), "--samples",
            str(cohort / "samples.tsv"), "--budget", str(budget), "--out", str(run_dir),
            "--no-track", "--quiet",
        )  # fmt: skip
        rows.append(("vcfml automl (s)", round(seconds, 1), f"budget {budget:g}"))
        predictions = Path(folder) / "test_predictions.tsv"
        seconds = vcfml(
            "predict", "--run", str(run_dir), "--vcf", str(cohort / "test" / "cohort.vcf.gz"),
            "--samples", str(cohort / "test" / "samples.tsv"), "--out", str(predictions),
        )  # fmt: skip
        rows.append(("vcfml predict on test/ (s)", round(seconds, 1), ""))
        test = pd.read_csv(cohort / "test" / "samples.tsv", sep="\t")
        predicted = pd.read_csv(predictions, sep="\t").set_index("sample_id")
        auc = roc_auc_score(test["phenotype"], predicted.loc[test["sample_id"], "probability"])
        ceiling = json.loads((cohort / "test" / "truth.json").read_text())["bayes_optimal"]
        bayes_auc = ceiling["cohort"]["auc"]
        rows.append(("test AUC (2,000 new people)", round(auc, 4), ""))
        rows.append(("Bayes-optimal test AUC", bayes_auc, ""))
        rows.append(("fraction of Bayes AUC", round(auc / bayes_auc, 3), ">= 0.95"))
    return pd.DataFrame(rows, columns=["measure", "value", "goal"])


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--budget", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument(
        "--parts", nargs="+", choices=["cohort", "course"], default=["cohort", "course"]
    )
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    table = run(args.budget, args.seed, args.parts)
    text = table.to_markdown(index=False)
    print(text)
    if args.record:
        details = f", parts {' '.join(args.parts)}, seed {args.seed}, budget {args.budget:g} s"
        record("coalescent.py", text, details)
    return 0


if __name__ == "__main__":
    sys.exit(main())
