"""Benchmark: ``vcfml scan`` against PLINK 2 (VCF import + ``--glm``), side by side.

Simulates a liability cohort (default 1,000 samples x 100,000 sites, with chrX),
then times, each in its own process and on the same files:

* ``vcfml scan --covariates sex`` (reading the VCF included);
* ``plink2 --vcf ... --make-pgen`` (the import) and ``plink2 --pfile ... --glm sex``
  (logistic regression with sex as the one covariate).

A second vcfml process times its parts (imports, ``read_vcf``, the scan itself).
Both use the machine's threads (PLINK 2's default; NumPy's BLAS). Also reports
how well the two agree (Spearman of -log10 p, shared top-20 sites). Prints a
Markdown table; ``--record`` appends it to benchmarks/RESULTS.md.

Usage: python benchmarks/scan.py [--size 1000x100000] [--record] [--note "machine shared ..."]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from common import parse_size, record
from scipy import stats

from vcfml.simulate import simulate

# Where vcfml's time goes, in a fresh process: imports, reading the VCF, the scan.
PARTS = r"""
import json, sys, time
start = time.perf_counter()
import pandas as pd
from vcfml import read_vcf
from vcfml.cli_stats import aligned_table, scan_covariates, scan_target, sex_of
from vcfml.stats import association_scan, check_covariates
imported = time.perf_counter()
genotypes = read_vcf(sys.argv[1])
read = time.perf_counter()
table = aligned_table(pd.read_csv(sys.argv[2], sep="\t", index_col=0), genotypes.samples, "", "")
target, binary, _ = scan_target(table, "phenotype", "")
design = check_covariates(scan_covariates(table, ["sex"], "phenotype", ""))
association_scan(genotypes.genotypes, genotypes.variants, target, design, binary=binary,
                 male=sex_of(table, ""), af=genotypes.variants["af"].to_numpy())
print(json.dumps({"imports": imported - start, "read_vcf": read - imported,
                  "scan": time.perf_counter() - read}))
"""


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1000x100000", help="samples x sites")
    parser.add_argument("--record", action="store_true", help="append to RESULTS.md")
    parser.add_argument("--note", default="", help="a remark for RESULTS.md (e.g. machine load)")
    args = parser.parse_args()
    plink2 = shutil.which("plink2")
    if plink2 is None:
        sys.exit("plink2 is not installed (apt-get install plink2)")
    n_samples, n_sites = parse_size(args.size)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        simulate("liability", seed=1, n_samples=n_samples, n_sites=n_sites).write(folder)
        table = pd.read_csv(folder / "samples.tsv", sep="\t")
        psam = pd.DataFrame(
            {
                "#IID": table["sample_id"],
                "SEX": np.where(table["sex"] == "male", 1, 2),
                "PHENO1": table["phenotype"] + 1,
            }
        )
        psam.to_csv(folder / "cohort.psam", sep="\t", index=False)
        vcf = str(folder / "cohort.vcf.gz")
        vcfml = [sys.executable, "-m", "vcfml.cli", "scan", "--vcf", vcf]
        vcfml += ["--samples", str(folder / "samples.tsv"), "--covariates", "sex"]
        vcfml += ["--out", str(folder / "scan.tsv")]
        seconds = {"vcfml scan": timed(vcfml)}
        child = [sys.executable, "-c", PARTS, vcf, str(folder / "samples.tsv")]
        parts = json.loads(subprocess.run(child, check=True, capture_output=True).stdout)
        common = ["--out", str(folder / "plink")]
        seconds["plink2 import"] = timed(
            [plink2, "--vcf", vcf, "--psam", str(folder / "cohort.psam"), "--split-par", "b38",
             "--make-pgen", *common]
        )  # fmt: skip
        seconds["plink2 --glm"] = timed(
            [plink2, "--pfile", str(folder / "plink"), "--glm", "sex", "allow-no-covars",
             "omit-ref", "hide-covar", *common]
        )  # fmt: skip
        ours = pd.read_csv(folder / "scan.tsv", sep="\t")
        # PLINK 2's default firth-fallback names the file .glm.logistic.hybrid.
        (report,) = folder.glob("plink.PHENO1.glm.logistic*")
        theirs = pd.read_csv(report, sep="\t", dtype={"#CHROM": str})
    plink_total = seconds["plink2 import"] + seconds["plink2 --glm"]
    outside_par = ~theirs["#CHROM"].astype(str).str.startswith("PAR").to_numpy()
    both = outside_par & ours["pvalue"].notna().to_numpy() & theirs["P"].notna().to_numpy()
    rho = stats.spearmanr(-np.log10(ours["pvalue"][both]), -np.log10(theirs["P"][both]))[0]
    top = 20
    shared = len(
        set(ours.index[both][np.argsort(ours["pvalue"][both].to_numpy())[:top]])
        & set(theirs.index[both][np.argsort(theirs["P"][both].to_numpy())[:top]])
    )
    rows = [
        {"tool": "vcfml scan (read VCF + scan)", "seconds": seconds["vcfml scan"]},
        *({"tool": f"... of which {part}", "seconds": value} for part, value in parts.items()),
        {"tool": "plink2 import (--vcf --make-pgen)", "seconds": seconds["plink2 import"]},
        {"tool": "plink2 --glm", "seconds": seconds["plink2 --glm"]},
        {"tool": "plink2 total", "seconds": plink_total},
    ]
    result = pd.DataFrame(rows).round(1).to_markdown(index=False)
    summary = (
        f"\nvcfml / plink2 = {seconds['vcfml scan'] / plink_total:.2f} (goal: at most 3); "
        f"agreement on {both.sum():,} sites: Spearman {rho:.5f} of -log10 p, "
        f"{shared} of the top {top} shared"
    )
    print(result + summary)
    if args.record:
        details = f", {n_samples:,} x {n_sites:,} sites, covariate sex"
        if args.note:
            details += f"; {args.note}"
        record("scan.py", result + "\n\n" + summary.strip(), details)


if __name__ == "__main__":
    main()
