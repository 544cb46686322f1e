"""Benchmark: the simulators stream, at a rate and a peak memory that hold as sites grow.

Issue 16 asks every model to write its VCF block by block, with a peak memory that
does not grow with the number of sites (at most 1 GiB for 1,000 x 10^6) and writing
at 20 M calls/s or more. For each model and size, one fresh process simulates the
cohort and writes it (GT:DP, the default; tabix index included), then reports:

* the wall time of ``simulate(...)`` + ``write(...)`` (imports excluded) and the
  rate in M calls/s;
* the peak resident memory of the process (``VmHWM``: imports included, so the
  smallest row shows the fixed cost);
* the size of the file.

Models: the 2019 ``classic`` generator, the ``liability`` model in its default
``row-major`` draw order (how the course's datasets are made) and in its
``by-block`` order (for big cohorts). The coalescent is not here: msprime's
simulation, not the writing, sets its cost (``benchmarks/coalescent.py``).

Run it on an otherwise idle machine; ``--record`` appends the table to RESULTS.md
and writes benchmarks/results/simulate.json.

Usage: python benchmarks/simulate.py [--sizes 1000x100000 1000x1000000] [--record]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
from common import add_output_options, load_change, machine_state, parse_size, publish

CHILD = r"""
import json, sys, time
from pathlib import Path
from vcfml.simulate import simulate
model, draw_order, samples, sites, out = sys.argv[1:6]
parameters = {"n_samples": int(samples), "n_sites": int(sites)}
if model == "liability":
    parameters["draw_order"] = draw_order
else:  # the classic generator's cases: half the cohort
    parameters["n_cases"] = int(samples) // 2
began = time.perf_counter()
cohort = simulate(model, seed=1, **parameters)
folder = cohort.write(out)
seconds = time.perf_counter() - began
status = Path("/proc/self/status").read_text().splitlines()
peak_kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
size = (folder / "cohort.vcf.gz").stat().st_size
print(json.dumps({"seconds": seconds, "peak_mib": peak_kib / 1024, "file_mib": size / 2**20}))
"""

MODELS = [("classic", ""), ("liability", "row-major"), ("liability", "by-block")]


def measure(model: str, draw_order: str, samples: int, sites: int, scratch: Path) -> dict:
    out = scratch / f"{model}-{draw_order}-{samples}x{sites}"
    argv = [sys.executable, "-c", CHILD, model, draw_order, str(samples), str(sites), str(out)]
    finished = subprocess.run(argv, capture_output=True, text=True)
    if finished.returncode != 0:
        raise RuntimeError(f"{model} {draw_order} failed:\n{finished.stderr[-3000:]}")
    result = json.loads(finished.stdout.strip().splitlines()[-1])
    shutil.rmtree(out)
    calls = samples * sites
    return {
        "model": model if not draw_order else f"{model} ({draw_order})",
        "samples": samples,
        "sites": sites,
        "simulate + write s": round(result["seconds"], 1),
        "M calls/s": round(calls / result["seconds"] / 1e6, 1),
        "peak MiB": round(result["peak_mib"]),
        "file MiB": round(result["file_mib"], 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["1000x100000", "1000x1000000"])
    add_output_options(parser, "append to RESULTS.md")
    args = parser.parse_args()

    before = machine_state()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for size in args.sizes:
            samples, sites = parse_size(size)
            for model, draw_order in MODELS:
                rows.append(measure(model, draw_order, samples, sites, Path(scratch)))
                print(json.dumps(rows[-1]), flush=True)
    after = machine_state()
    markdown = pd.DataFrame(rows).to_markdown(index=False)
    load = load_change(before, after)
    print(markdown)
    print(load)
    payload = {"machine": after, "load_average_before": before["load_average"], "rows": rows}
    publish(
        args, "simulate.py", markdown, f"; GT:DP, tabix index included, {load}", "simulate", payload
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
