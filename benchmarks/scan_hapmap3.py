"""Benchmark: ``vcfml scan`` against ``plink2 --glm`` on the real HapMap 3 file, 5 PCs.

Issue 26's goal: the association scan on ``data/hapmap3/hapmap3.vcf.gz`` (957
people x 14,079 SNPs, 0.15% missing calls spread over about half the sites) with
5 principal components as covariates within 2x ``plink2 --glm`` on the same
input with the same 5 PCs.

Set-up (not timed): a case/control phenotype simulated on the real genotypes
(:func:`vcfml.simulate.simulate_phenotype`: 6 causal sites, h2 0.5, prevalence
0.3, men +0.5 SD, seed 20261206) and the top 5 PCs of :func:`vcfml.stats.pca`
(autosomal sites chosen as ``vcfml pca`` does), written as columns of the samples
table for vcfml and as a covariate file for plink2: both tools get the same
numbers. Timed, each in its own process and ``--repeats`` times (median,
min-max; wall seconds and CPU seconds, which a busy machine inflates less):

* ``vcfml scan --covariates sex,PC1,...,PC5`` (reading the VCF included);
* ``plink2 --vcf ... --pheno --covar (sex, PC1-5) --glm hide-covar omit-ref
  no-firth`` (the VCF import included, as for vcfml).

A further vcfml process reports where its time goes (imports, ``read_vcf``, the
logistic scan), and the logistic scan's seconds per 1,000 sites for the sites
with missing calls and for the complete ones (a missing call drops the sample
from that site's sums: no per-site path). Also prints how well the two agree
(Spearman of -log10 p, the largest |beta - ln OR|). Prints a Markdown table;
``--record`` appends it to benchmarks/RESULTS.md with the machine's load average
before and after.

Usage: python benchmarks/scan_hapmap3.py [--repeats 3] [--record] [--note "..."]
(about a minute on an idle 2-core machine).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from common import load_change, machine_state, record, timed_command
from scipy import stats

from vcfml import read_vcf
from vcfml.simulate import simulate_phenotype
from vcfml.stats import pca, pca_sites

DATA = Path(__file__).resolve().parents[1] / "data" / "hapmap3"
VCF = DATA / "hapmap3.vcf.gz"
PCS = [f"PC{index}" for index in range(1, 6)]
GOAL_RATIO = 2.0

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
covariates = sys.argv[3].split(",")
design = check_covariates(scan_covariates(table, covariates, "phenotype", ""))
association_scan(genotypes.genotypes, genotypes.variants, target, design, binary=binary,
                 male=sex_of(table, ""), af=genotypes.variants["af"].to_numpy())
parts = {"imports": imported - start, "read_vcf": read - imported,
         "scan (logistic, 7 covariates)": time.perf_counter() - read}
# Sites with missing calls cost what complete sites cost (no per-site path):
from vcfml.stats.association import logistic_scan
try:
    from vcfml.stats.association import single_threaded_blas
except ImportError:  # a vcfml before it (to time the same script on an older version)
    from contextlib import nullcontext as single_threaded_blas
missing = (genotypes.genotypes < 0).any(axis=0)
for label, sites in (("complete", ~missing), ("with missing calls", missing)):
    begin = time.perf_counter()
    with single_threaded_blas():
        logistic_scan(genotypes.genotypes[:, sites], target, design)
    name = f"logistic scan of the {sites.sum():,} sites {label}, per 1,000 sites"
    parts[name] = (time.perf_counter() - begin) * 1000 / sites.sum()
print(json.dumps(parts))
"""


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def prepare(folder: Path) -> None:
    """The phenotype and the 5 PCs, for vcfml (samples.tsv) and plink2 (.pheno, .covar)."""
    genotypes = read_vcf(VCF)
    table = pd.read_csv(DATA / "samples.tsv", sep="\t").set_index("sample_id")
    table = table.loc[genotypes.samples]
    male = (table["sex"] == "male").to_numpy()
    phenotype = simulate_phenotype(
        genotypes.genotypes, genotypes.variants, genotypes.samples, causal=6, h2=0.5,
        prevalence=0.3, male=male, sex_effect=0.5, seed=20261206,
    )  # fmt: skip
    sites = pca_sites(genotypes.genotypes, genotypes.variants["chrom"])
    components = pca(genotypes.genotypes[:, sites], n_components=5).components
    table["phenotype"] = np.asarray(phenotype.samples["phenotype"], dtype=int)
    for index, name in enumerate(PCS):
        table[name] = components[:, index]
    table.to_csv(folder / "samples.tsv", sep="\t", float_format="%.10g")
    ids = pd.Series(table.index, name="#IID")
    pheno = pd.DataFrame({"#IID": ids, "PHENO1": table["phenotype"].to_numpy() + 1})
    pheno.to_csv(folder / "plink.pheno", sep="\t", index=False)
    covar = pd.DataFrame({"#IID": ids, "SEX": male.astype(int)})
    for name in PCS:
        covar[name] = table[name].to_numpy()
    covar.to_csv(folder / "plink.covar", sep="\t", index=False, float_format="%.10g")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each tool")
    parser.add_argument("--threads", type=int, default=None, help="plink2 --threads (default: all)")
    parser.add_argument("--record", action="store_true", help="append to benchmarks/RESULTS.md")
    parser.add_argument("--note", default="", help="a note for the RESULTS.md heading")
    args = parser.parse_args()
    plink2 = shutil.which("plink2")
    if plink2 is None:
        sys.exit("plink2 is not installed (apt-get install plink2)")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        prepare(folder)
        covariates = ",".join(["sex", *PCS])
        vcfml = [sys.executable, "-m", "vcfml.cli", "scan", "--vcf", str(VCF), "--samples",
                 str(folder / "samples.tsv"), "--target", "phenotype", "--covariates", covariates,
                 "--out", str(folder / "scan.tsv")]  # fmt: skip
        theirs_command = [plink2, "--vcf", str(VCF), "--pheno", str(folder / "plink.pheno"),
                          "--covar", str(folder / "plink.covar"), "--glm", "hide-covar",
                          "omit-ref", "no-firth", "--out", str(folder / "plink")]  # fmt: skip
        if args.threads:
            theirs_command += ["--threads", str(args.threads)]
        before = machine_state()
        timed_command(vcfml)  # a first run fills numba's cache and the file cache
        timed_command(theirs_command)
        ours = [timed_command(vcfml) for _ in range(args.repeats)]
        theirs = [timed_command(theirs_command) for _ in range(args.repeats)]
        child = [sys.executable, "-c", PARTS, str(VCF), str(folder / "samples.tsv"), covariates]
        parts = json.loads(subprocess.run(child, check=True, capture_output=True).stdout)
        after = machine_state()
        scan = pd.read_csv(folder / "scan.tsv", sep="\t")
        (report,) = folder.glob("plink.PHENO1.glm.logistic*")
        reference = pd.read_csv(report, sep="\t")
    both = scan["pvalue"].notna().to_numpy() & reference["P"].notna().to_numpy()
    rho = stats.spearmanr(-np.log10(scan["pvalue"][both]), -np.log10(reference["P"][both]))[0]
    beta_difference = np.abs(scan["beta"][both] - np.log(reference["OR"][both])).max()
    ratio = statistics.median(w for w, _ in ours) / statistics.median(w for w, _ in theirs)
    cpu_ratio = statistics.median(c for _, c in ours) / statistics.median(c for _, c in theirs)
    lines = ["| command | wall s, median (min-max) | CPU s, median (min-max) |", "|---|---|---|"]
    lines.append(
        f"| vcfml scan (read VCF + logistic scan, sex + 5 PCs) | "
        f"{spread([w for w, _ in ours])} | {spread([c for _, c in ours])} |"
    )
    lines += [f"| ... of which {part} (one run) | {value:.2f} | |" for part, value in parts.items()]
    lines.append(
        f"| plink2 --vcf --glm (import + logistic, sex + 5 PCs) | "
        f"{spread([w for w, _ in theirs])} | {spread([c for _, c in theirs])} |"
    )
    verdict = "met" if ratio <= GOAL_RATIO else "NOT met"
    load = load_change(before, after)
    summary = (
        f"vcfml / plink2 = {ratio:.2f} wall, {cpu_ratio:.2f} CPU (goal: at most {GOAL_RATIO:g} "
        f"wall: {verdict}); agreement on {both.sum():,} sites: Spearman {rho:.6f} of -log10 p, "
        f"largest |beta - ln OR| {beta_difference:.1e}; {args.repeats} runs each after one "
        f"warm-up; {load} ({before['cores']} cores)"
    )
    table = "\n".join(lines)
    print(table)
    print(summary)
    if args.record:
        note = f"; {args.note}" if args.note else ""
        record("scan_hapmap3.py", f"{table}\n\n{summary}.", f", HapMap 3 (957 x 14,079){note}")


if __name__ == "__main__":
    main()
