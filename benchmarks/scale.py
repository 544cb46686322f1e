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
same run; ``of which screening`` is the VCF screen's time inside its process
(without Python's start, the imports and reading the samples table: about 4 s
on the idle machine of RESULTS.md, now that ``vcfml.scale`` no longer imports
the search engine). Peak memory is the largest resident set of the whole process
tree (the step and its worker processes) sampled every 50 ms. Prints a Markdown
table and the load average (run it on an otherwise idle machine). With
``--record`` it appends the table to benchmarks/RESULTS.md, writes every row to
benchmarks/results/scale.json (scale_10000_samples.json for
``--samples 10000``) and, when the run reaches 10^6 sites with the Zarr
path, to ``book/06_scaling/scaling_measured.json`` (chapter 6 plots it);
``--json PATH`` writes the rows elsewhere, for a trial run.

``--samples 10000 --sites 1000000 --no-zarr`` is the 10^10-call row: the VCF
path and plink2 only (conversion to Zarr would take about 20 minutes more). The
simulator draws it in the liability model's ``by-block`` order and streams it to
disk; the screen streams it back (``prescreen_vcf``); "simulate + VCF end to end"
adds the simulation to the screen and the search. With ``--record`` that row also
goes to ``book/06_scaling/scaling_10000_samples.json`` for chapter 6.

Goals (issue 16; 2 cores, 24 GiB): VCF to screened sites within 3x plink2 import +
``--glm`` at 1,000 x 10^6, end to end with a 60 s budget within 120 s, peak under
2 GiB; 10,000 x 10^6 simulated, screened and searched within 20 minutes, peak
under 4 GiB.

Usage: python benchmarks/scale.py [--sites 10000 100000 1000000] [--samples 1000] [--budget 60]
       [--no-zarr] [--record] [--json PATH]
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
from common import add_output_options, load_change, machine_state, publish

# Chapter 6 plots these numbers at build time, so they live beside its page.
RESULTS_JSON = Path(__file__).resolve().parents[1] / "book" / "06_scaling" / "scaling_measured.json"
BIG_JSON = RESULTS_JSON.with_name("scaling_10000_samples.json")  # the 10^10-call row
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
import sys, json, pickle, time
from vcfml.automl import AutoMLSettings
from vcfml.scale import prescreen_vcf
settings = AutoMLSettings(budget=float(sys.argv[4]), max_sites=200, verbose=0)
began = time.perf_counter()
result = prescreen_vcf(sys.argv[1], sys.argv[3], settings=settings)
work = time.perf_counter() - began
with open(sys.argv[2] + ".vcf-kept.pkl", "wb") as handle:
    pickle.dump(result.dataset, handle)
print(json.dumps({"kept": int(result.kept.size), "blocks": result.n_blocks, "work_s": work}))
""",
    "automl": r"""
import sys, json, pickle
from pathlib import Path
from vcfml.automl import AutoMLSettings, run_automl
kept = Path(sys.argv[2] + ".kept.pkl")  # the Zarr screen's; the VCF screen's without Zarr
with open(kept if kept.exists() else sys.argv[2] + ".vcf-kept.pkl", "rb") as handle:
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
# One cohort at a time: the writer's threads may use every core.
# The by-block draw order: the fast one, made for cohorts this size.
cohort = simulate("liability", seed=1, n_samples=int(sys.argv[1]), n_sites=int(sys.argv[2]),
                  include_chrx=False, draw_order="by-block")
cohort.write(sys.argv[3], with_depth=False)
"""


def simulate_cohort(samples: int, sites: int, folder: Path) -> dict:
    """Write a cohort as GT + INFO (AC, AN, AF), without FORMAT/DP: a genotype file.
    Its wall time and peak memory, like a step's."""
    return run_command([sys.executable, "-c", SIMULATE, str(samples), str(sites), str(folder)])


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


ZARR_STEPS = ("convert", "screen")
SHOWN = {
    "samples": "samples", "sites": "sites", "calls": "calls",
    "simulate_s": "simulate + write (s)", "convert_s": "convert (s)",
    "screen_s": "Zarr screen (s)", "screen_vcf_s": "screen from VCF (s)",
    "screen_vcf_work_s": "of which screening (s)", "plink2_s": "plink2 import + glm (s)",
    "zarr_vs_plink2": "convert+screen / plink2", "vcf_vs_plink2": "VCF screen / plink2",
    "automl_s": "AutoML (s)", "end_to_end_s": "end to end, Zarr (s)",
    "vcf_end_to_end_s": "end to end, VCF (s)",
    "vcf_all_steps_s": "simulate + VCF end to end (s)", "peak_gib": "peak, Zarr (GiB)",
    "screen_vcf_peak_gib": "peak, VCF screen (GiB)",
    "vcf_all_steps_peak_gib": "peak, simulate + VCF path (GiB)", "kept_sites": "sites kept",
    "cv_auc": "CV AUC",
}  # fmt: skip


def measure(samples: int, sites: int, scratch: Path, budget: float, zarr: bool) -> dict:
    """Simulate one cohort, then time every step and plink2 on it (one row)."""
    folder = scratch / f"cohort_{samples}x{sites}"
    simulated = simulate_cohort(samples, sites, folder)
    vcf_bytes = (folder / "cohort.vcf.gz").stat().st_size
    vcf, table = folder / "cohort.vcf.gz", folder / "samples.tsv"
    store = str(folder / "cohort.vcz")
    names = [name for name in STEPS if zarr or name not in ZARR_STEPS]
    steps = {
        name: run_step(STEPS[name], str(vcf), store, str(table), str(budget)) for name in names
    }
    row = {
        "samples": samples,
        "sites": sites,
        "calls": samples * sites,
        "simulate_s": simulated["seconds"],
        "simulate_peak_gib": simulated["peak_gib"],
        "vcf_gib": vcf_bytes / 2**30,
        **{f"{name}_s": step["seconds"] for name, step in steps.items()},
        **{f"{name}_peak_gib": step["peak_gib"] for name, step in steps.items()},
        "kept_sites": steps["screen from VCF"]["kept"],
        "blocks": steps["screen from VCF"]["blocks"],
        "cv_auc": steps["automl"]["cv_auc"],
    }
    row["screen_vcf_s"] = steps["screen from VCF"]["seconds"]
    row["screen_vcf_work_s"] = steps["screen from VCF"]["work_s"]
    row["screen_vcf_peak_gib"] = steps["screen from VCF"]["peak_gib"]
    row["vcf_end_to_end_s"] = row["screen_vcf_s"] + steps["automl"]["seconds"]
    # Issue 16's bigger row counts everything: simulated, read, screened and searched.
    row["vcf_all_steps_s"] = row["simulate_s"] + row["vcf_end_to_end_s"]
    row["vcf_all_steps_peak_gib"] = max(
        row["simulate_peak_gib"], row["screen_vcf_peak_gib"], steps["automl"]["peak_gib"]
    )
    row.update(plink2_reference(vcf, table, folder))
    row["vcf_vs_plink2"] = row["screen_vcf_s"] / row["plink2_s"]
    if zarr:
        zarr_path = ("convert", "screen", "automl")
        row["end_to_end_s"] = sum(steps[name]["seconds"] for name in zarr_path)
        row["peak_gib"] = max(steps[name]["peak_gib"] for name in zarr_path)
        row["zarr_vs_plink2"] = (row["convert_s"] + row["screen_s"]) / row["plink2_s"]
    return row


def write_for_the_book(path: Path, machine: str, budget: float, after: dict, rows: list) -> None:
    """The rows as chapter 6 reads them, with the date, machine and load."""
    payload = {"date": datetime.date.today().isoformat(), "machine": machine,
               "budget_s": budget, "load_average": after["load_average"], "rows": rows}  # fmt: skip
    path.write_text(json.dumps(payload, indent=1) + "\n")
    print(f"wrote {path}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--samples", type=int, default=SAMPLES)
    parser.add_argument("--budget", type=float, default=60.0, help="AutoML seconds")
    parser.add_argument(
        "--no-zarr",
        action="store_true",
        help="skip the conversion and the Zarr screen (the VCF path and plink2 only)",
    )
    add_output_options(
        parser,
        "append to RESULTS.md and write benchmarks/results/scale.json "
        "(and the book's scaling_measured.json when the run reaches 10^6 sites with Zarr)",
    )
    args = parser.parse_args()

    before = machine_state()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for sites in args.sites:
            row = measure(args.samples, sites, Path(scratch), args.budget, not args.no_zarr)
            rows.append(row)
            print(json.dumps(row), flush=True)
    after = machine_state()

    table = pd.DataFrame(rows)
    memory = psutil.virtual_memory().total / 2**30
    machine = f"{platform.machine()}, {os.cpu_count()} cores, {memory:.0f} GiB"
    if (
        args.record
        and max(args.sites) >= 1_000_000
        and not args.no_zarr
        and args.samples == SAMPLES
    ):
        # Chapter 6 plots this file and its text speaks of 10^4 to 10^6 sites.
        write_for_the_book(RESULTS_JSON, machine, args.budget, after, rows)
    shown = table[[key for key in SHOWN if key in table]].rename(columns=SHOWN)
    markdown = shown.to_markdown(index=False, floatfmt=".3g")
    print(markdown)
    load = load_change(before, after)
    print(load)
    if args.record and args.samples * max(args.sites) >= 10**10:
        write_for_the_book(BIG_JSON, machine, args.budget, after, rows)
    payload = {"machine": after, "load_average_before": before["load_average"],
               "budget_s": args.budget, "rows": rows}  # fmt: skip
    # The 10^10 row (10,000 samples) gets a file of its own beside the 1,000-sample rows.
    name = "scale" if args.samples == SAMPLES else f"scale_{args.samples}_samples"
    details = f"; {args.samples} samples, AutoML budget {args.budget:g} s, {load}"
    publish(args, "scale.py", markdown, details, name, payload)
    return 0


if __name__ == "__main__":
    sys.exit(main())
