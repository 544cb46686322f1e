"""Benchmark: the chunked path (VCF -> VCF Zarr -> Dask screen -> AutoML) as sites grow.

For each cohort of 1,000 samples x 10^4, 10^5 and 10^6 sites (10^9 genotype calls
for the largest), simulate a liability cohort and write it as bgzipped VCF with GT
and INFO AC/AN/AF (no FORMAT/DP: conversion time grows with every field) (timed,
not part of the analysis), then time, each step in a fresh process:

1. conversion to VCF Zarr with bio2zarr (2 worker processes);
2. the screen on Dask, block by block (all sites, every fold);
3. the AutoML search on the kept sites (its budget, ``--budget`` seconds).

Two more, on the same file, for comparison:

4. the same screen straight from the VCF (``vcfml.scale.prescreen_vcf``: the
   compiled reader, statistics by blocks; no conversion, one machine);
5. ``plink2`` import (``--make-pgen``) + ``--glm`` with the same covariate (sex).

The ratios ``convert+screen / plink2`` and ``VCF screen / plink2`` come from the
same run. Peak memory is the largest resident set of the whole process tree (the
step and its worker processes) sampled every 50 ms. Prints a Markdown table, writes the
numbers to ``book/06_scaling/scaling_measured.json`` (chapter 6 plots them; only
with ``--record`` and 10^6 sites) and, with ``--record``, appends the table to
benchmarks/RESULTS.md.

Goals (2 cores, 24 GiB): 10^6 sites end to end (steps 1-3) in under 10 minutes with
peak memory under 4 GiB; cost growing linearly with sites.

Usage: python benchmarks/scale.py [--sites 10000 100000 1000000] [--budget 60] [--record]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd
import psutil
from common import record

# Chapter 6 plots these numbers at build time, so they live beside its page.
RESULTS_JSON = Path(__file__).resolve().parents[1] / "book" / "06_scaling" / "scaling_measured.json"
SAMPLES = 1000

STEPS = {
    "convert": r"""
import sys
from vcfml.io.vcf_zarr import vcf_to_zarr
vcf_to_zarr(sys.argv[1], sys.argv[2], workers=2, variants_chunk_size=10_000)
""",
    "screen": r"""
import sys, json
from vcfml.automl import AutoMLSettings
from vcfml.scale import prescreen
settings = AutoMLSettings(budget=float(sys.argv[4]), max_sites=200, verbose=0)
result = prescreen(sys.argv[2], sys.argv[3], settings=settings)
import pickle
with open(sys.argv[2] + ".kept.pkl", "wb") as handle:
    pickle.dump(result.dataset, handle)
print(json.dumps({"kept": int(result.kept.size), "blocks": result.n_blocks}))
""",
    "screen from VCF": r"""
import sys, json
from vcfml.automl import AutoMLSettings
from vcfml.scale import prescreen_vcf
settings = AutoMLSettings(budget=float(sys.argv[4]), max_sites=200, verbose=0)
result = prescreen_vcf(sys.argv[1], sys.argv[3], settings=settings)
print(json.dumps({"kept": int(result.kept.size), "blocks": result.n_blocks}))
""",
    "automl": r"""
import sys, json, pickle
from vcfml.automl import AutoMLSettings, run_automl
with open(sys.argv[2] + ".kept.pkl", "rb") as handle:
    dataset = pickle.load(handle)
settings = AutoMLSettings(budget=float(sys.argv[4]), max_sites=200, verbose=0)
result = run_automl(dataset, settings)
auc = result.cv_metrics["roc_auc"]["mean"]
print(json.dumps({"cv_auc": auc, "trials": len(result.leaderboard)}))
""",
}


def tree_rss(process: psutil.Process) -> int:
    total = 0
    for member in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):  # a worker that just exited
            total += member.memory_info().rss
    return total


def run_step(code: str, *arguments: str) -> dict:
    """Run one step in a fresh Python; its wall time, peak tree memory and output."""
    return run_command([sys.executable, "-c", code, *arguments])


def run_command(argv: list[str]) -> dict:
    """Run a command; its wall time, peak tree memory and its last JSON line."""
    began = time.perf_counter()
    child = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watched = psutil.Process(child.pid)
    peak = 0
    finished = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not finished.is_set():
            try:
                peak = max(peak, tree_rss(watched))
            except psutil.Error:
                break
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = child.communicate()
    finished.set()
    sampler.join()
    if child.returncode != 0:
        raise RuntimeError(f"step failed:\n{stderr[-3000:]}")
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    return {
        "seconds": time.perf_counter() - began,
        "peak_gib": peak / 2**30,
        **(json.loads(lines[-1]) if lines else {}),
    }


SIMULATE = r"""
import sys
from vcfml.simulate import simulate
cohort = simulate("liability", seed=1, n_samples=int(sys.argv[1]), n_sites=int(sys.argv[2]),
                  include_chrx=False)
cohort.write(sys.argv[3], with_depth=False)
"""


def simulate_cohort(sites: int, folder: Path) -> float:
    """Write a cohort as GT + INFO (AC, AN, AF), without FORMAT/DP: a genotype file."""
    began = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", SIMULATE, str(SAMPLES), str(sites), str(folder)],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - began


def plink2_reference(vcf: Path, samples: Path, folder: Path) -> dict:
    """plink2 on the same file: VCF import (--make-pgen), then --glm with the same
    covariate the screen has (sex), phenotype 0/1 read as control/case (--1)."""
    table = pd.read_csv(samples, sep="\t")
    pheno = folder / "plink_pheno.tsv"
    pd.DataFrame(
        {
            "#IID": table["sample_id"],
            "phenotype": table["phenotype"],
            "male": (table["sex"] == "male").astype(int),
        }
    ).to_csv(pheno, sep="\t", index=False)
    prefix = str(folder / "plink")
    common = ["--threads", str(os.cpu_count()), "--memory", "2000"]
    imported = run_command(["plink2", "--vcf", str(vcf), "--make-pgen", "--out", prefix, *common])
    glm = run_command(
        ["plink2", "--pfile", prefix, "--pheno", str(pheno), "--pheno-name", "phenotype", "--1",
         "--covar", str(pheno), "--covar-name", "male", "--glm", "hide-covar",
         "--out", prefix, *common]
    )  # fmt: skip
    return {
        "plink2_import_s": imported["seconds"],
        "plink2_glm_s": glm["seconds"],
        "plink2_s": imported["seconds"] + glm["seconds"],
        "plink2_peak_gib": max(imported["peak_gib"], glm["peak_gib"]),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--budget", type=float, default=60.0, help="AutoML seconds")
    parser.add_argument("--record", action="store_true", help="append to RESULTS.md")
    args = parser.parse_args()

    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for sites in args.sites:
            folder = Path(scratch) / f"cohort_{sites}"
            simulated = simulate_cohort(sites, folder)
            vcf, samples = folder / "cohort.vcf.gz", folder / "samples.tsv"
            store = str(folder / "cohort.vcz")
            steps = {
                name: run_step(code, str(vcf), store, str(samples), str(args.budget))
                for name, code in STEPS.items()
            }
            row = {
                "samples": SAMPLES,
                "sites": sites,
                "calls": SAMPLES * sites,
                "simulate_s": simulated,
                **{f"{name}_s": step["seconds"] for name, step in steps.items()},
                **{f"{name}_peak_gib": step["peak_gib"] for name, step in steps.items()},
                "kept_sites": steps["screen"]["kept"],
                "blocks": steps["screen"]["blocks"],
                "cv_auc": steps["automl"]["cv_auc"],
            }
            zarr_path = ("convert", "screen", "automl")
            row["end_to_end_s"] = sum(steps[name]["seconds"] for name in zarr_path)
            row["peak_gib"] = max(steps[name]["peak_gib"] for name in zarr_path)
            row["screen_vcf_s"] = steps["screen from VCF"]["seconds"]
            row["screen_vcf_peak_gib"] = steps["screen from VCF"]["peak_gib"]
            row["vcf_end_to_end_s"] = row["screen_vcf_s"] + steps["automl"]["seconds"]
            row.update(plink2_reference(vcf, samples, folder))
            row["zarr_vs_plink2"] = (row["convert_s"] + row["screen_s"]) / row["plink2_s"]
            row["vcf_vs_plink2"] = row["screen_vcf_s"] / row["plink2_s"]
            rows.append(row)
            print(json.dumps(row), flush=True)

    table = pd.DataFrame(rows)
    memory = psutil.virtual_memory().total / 2**30
    machine = f"{platform.machine()}, {os.cpu_count()} cores, {memory:.0f} GiB"
    if args.record and max(args.sites) >= 1_000_000:
        # Chapter 6 plots this file and its text speaks of 10^4 to 10^6 sites.
        RESULTS_JSON.write_text(
            json.dumps(
                {"date": datetime.date.today().isoformat(), "machine": machine,
                 "budget_s": args.budget, "rows": rows},
                indent=1,
            )
            + "\n"
        )  # fmt: skip
    shown = table[
        ["sites", "calls", "convert_s", "screen_s", "screen_vcf_s", "plink2_s",
         "zarr_vs_plink2", "vcf_vs_plink2", "automl_s", "end_to_end_s", "vcf_end_to_end_s",
         "peak_gib", "screen_vcf_peak_gib", "kept_sites", "cv_auc"]
    ].rename(
        columns={
            "convert_s": "convert (s)", "screen_s": "Zarr screen (s)",
            "screen_vcf_s": "screen from VCF (s)", "plink2_s": "plink2 import + glm (s)",
            "zarr_vs_plink2": "convert+screen / plink2", "vcf_vs_plink2": "VCF screen / plink2",
            "automl_s": "AutoML (s)", "end_to_end_s": "end to end, Zarr (s)",
            "vcf_end_to_end_s": "end to end, VCF (s)", "peak_gib": "peak, Zarr (GiB)",
            "screen_vcf_peak_gib": "peak, VCF screen (GiB)",
            "kept_sites": "sites kept", "cv_auc": "CV AUC",
        }
    )  # fmt: skip
    markdown = shown.to_markdown(index=False, floatfmt=".3g")
    print(markdown)
    if args.record:
        record(
            "scale.py",
            markdown,
            f"; {SAMPLES} samples, AutoML budget {args.budget:g} s, "
            f"simulation not included (largest: {table['simulate_s'].iloc[-1]:.0f} s)",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
