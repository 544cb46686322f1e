"""Benchmark: the QC of ``vcfml.stats`` on the real HapMap 3 file (957 x 14,079),
step by step, next to PLINK 2 doing the same from the same VCF.

Times, in this process after one warm-up call (numba compiles once, then
caches): sample and site missingness, heterozygosity, the Hardy-Weinberg
exact test, the KING-robust table of all 457,446 pairs, LD pruning
(``--indep-pairwise 1000 10 0.02``, flashpca's thinning of these data, and
``50 5 0.2``, vcfml pca's default); and ``plink2 --vcf ... --missing --het
--hardy --make-king-table --indep-pairwise 1000 10 0.02`` in one process
(VCF import included). Each is run ``--repeats`` times: median, min-max.
Prints a Markdown table; ``--record`` appends it to benchmarks/RESULTS.md.

Usage: python benchmarks/qc.py [--repeats 5] [--record] [--note "..."]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from common import machine_state, record

from vcfml import read_vcf
from vcfml.stats import (
    hardy,
    heterozygosity,
    indep_pairwise,
    king_table,
    sample_missingness,
    site_missingness,
)

HAPMAP = Path(__file__).resolve().parents[1] / "data" / "hapmap3" / "hapmap3.vcf.gz"


def timed(function, repeats: int) -> list[float]:
    function()  # warm-up: numba's cache, BLAS threads
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--record", action="store_true", help="append to benchmarks/RESULTS.md")
    parser.add_argument("--note", default="", help="a note for the RESULTS.md heading")
    args = parser.parse_args()
    before = machine_state()
    genotypes = read_vcf(HAPMAP)
    matrix, chrom = genotypes.genotypes, genotypes.variants["chrom"].to_numpy()
    steps = {
        "missingness (samples and sites)": lambda: (
            sample_missingness(matrix),
            site_missingness(matrix),
        ),
        "heterozygosity F": lambda: heterozygosity(matrix),
        "Hardy-Weinberg exact test": lambda: hardy(matrix),
        "KING-robust, all pairs": lambda: king_table(matrix, genotypes.samples),
        "LD pruning 1000 10 0.02": lambda: indep_pairwise(matrix, chrom, 1000, 10, 0.02),
        "LD pruning 50 5 0.2": lambda: indep_pairwise(matrix, chrom, 50, 5, 0.2),
    }
    rows = [(name, timed(step, args.repeats)) for name, step in steps.items()]
    plink2 = shutil.which("plink2")
    if plink2:
        with tempfile.TemporaryDirectory() as folder:
            command = [plink2, "--vcf", str(HAPMAP), "--missing", "--het", "--hardy",
                       "--make-king-table", "--indep-pairwise", "1000", "10", "0.02",
                       "--out", str(Path(folder) / "p")]  # fmt: skip
            rows.append(
                (
                    "plink2, all of the above but 50 5 0.2 (VCF import included)",
                    timed(lambda: subprocess.run(command, check=True, capture_output=True), 3),
                )
            )
    lines = ["| step | median (s) | min-max (s) |", "|---|---|---|"]
    for name, times in rows:
        lines.append(
            f"| {name} | {statistics.median(times):.2f} | {min(times):.2f}-{max(times):.2f} |"
        )
    after = machine_state()
    table = "\n".join(lines)
    load = f"load average {before['load_average'][0]} before, {after['load_average'][0]} after"
    print(table)
    print(f"{genotypes.n_samples} x {genotypes.n_variants}; {load}")
    if args.record:
        note = f"; {args.note}" if args.note else ""
        record("qc.py", table + f"\n\n{load}.", f", HapMap 3{note}")


if __name__ == "__main__":
    main()
