"""Benchmark: writing and loading simulated cohorts, vcfml against other readers.

For each cohort size, simulate a liability cohort (autosomes only, 1% missing
calls, GT:DP) and write it (timed: the streamed simulate-and-write, and
``write_vcf`` of the matrix alone: GT:DP and GT compressed by libdeflate, the
default, and GT:DP by zlib), then load it into a samples x variants ALT-dosage matrix with

* ``gzip floor``: Python's gzip (zlib) decompressing the file, nothing parsed;
* ``libdeflate floor``: vcfml's BGZF reader (libdeflate) decompressing it, nothing parsed;
* ``vcfml.read_vcf`` (its compiled GT reader of VCF text, inflated by libdeflate);
* ``vcfml, zlib inflate``: the same with htslib's BGZF reader (zlib) in place of
  libdeflate, as before vcfml had its own BGZF reader;
* ``vcfml blocks``: ``read_vcf_blocks`` streaming blocks of 1,000 sites, each
  summed and dropped (its ``peak / int8 matrix`` is over the matrix it never
  holds: streaming memory does not grow with the sites);
* ``vcfml htslib path``: ``read_vcf`` with the compiled reader turned off;
* a plain cyvcf2 loop (``gt_types`` per record, stacked at the end);
* optionally scikit-allel's ``read_vcf`` followed by ``to_n_alt`` (``--allel``).

``x cyvcf2 loop`` is the cyvcf2 loop's time over the reader's, ``x gzip floor``
and ``x libdeflate floor`` the reader's time over decompression alone (by zlib
and by libdeflate), all measured in the same run
on the same file; ``M calls / CPU s`` counts every thread's CPU time, so it
changes less than the wall-clock rate on a shared machine.

Each load runs in a fresh process, so that its peak memory (peak resident set
minus the resident set before loading) is its own, ``--repeats`` times (3) with
the readers interleaved; the median run is shown, with the range of all runs.
Prints a Markdown table and the load average (run it on an otherwise idle
machine); ``--record`` appends the table to benchmarks/RESULTS.md and writes
benchmarks/results/load_vcf.json
(``--json PATH`` writes the JSON elsewhere, for a trial run).

Usage: python benchmarks/load_vcf.py [--sizes 2000x10000 1000x100000] [--allel] [--repeats 3]
       [--record] [--json PATH]
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
from common import add_output_options, load_change, machine_state, parse_size, publish

from vcfml import write_vcf
from vcfml.simulate import simulate

READERS = [
    "gzip floor",
    "libdeflate floor",
    "vcfml",
    "vcfml, zlib inflate",
    "vcfml blocks",
    "vcfml htslib path",
    "cyvcf2 loop",
]

CHILD = r"""
import json, sys, time
import numpy as np
reader, path, warmup = sys.argv[1], sys.argv[2], sys.argv[3]
from cyvcf2 import VCF
import allel
from vcfml import read_vcf

class Streamed:  # what a streaming reader saw: the dosage sum, the matrix it never held
    def __init__(self, checksum, shape):
        self.checksum, self.shape, self.size = checksum, shape, shape[0] * shape[1]
        self.nbytes = self.size  # int8

def load(file):
    if reader == "gzip floor":
        import gzip
        with gzip.open(file, "rb") as handle:
            while handle.read(1 << 22):
                pass
        return None
    if reader == "libdeflate floor":
        from vcfml.io.bgzf_reader import BgzfReader
        with BgzfReader(file) as handle:
            while handle.read(1 << 22):
                pass
        return None
    if reader == "vcfml":
        return read_vcf(file).genotypes
    if reader == "vcfml, zlib inflate":
        from pysam.libcbgzf import BGZFile
        from vcfml.io import vcf_text
        vcf_text._open_text = lambda path: BGZFile(str(path), "rb")
        return read_vcf(file).genotypes
    if reader == "vcfml blocks":
        from vcfml import read_vcf_blocks
        checksum, n_variants = 0, 0
        for block in read_vcf_blocks(file, block_sites=1000):
            checksum += int(block.genotypes.sum(dtype=np.int64))
            n_variants += block.n_variants
        return Streamed(checksum, (block.n_samples, n_variants))
    if reader == "vcfml htslib path":
        from vcfml.io import vcf_text
        vcf_text.read_text_dosages = lambda *args, **kwargs: None
        return read_vcf(file).genotypes
    if reader == "cyvcf2 loop":
        # gt_types is a view of a buffer cyvcf2 reuses for the next record: copy it.
        rows = [record.gt_types.copy() for record in VCF(file, gts012=True)]
        matrix = np.array(rows, dtype=np.int8).T
        matrix[matrix == 3] = -1
        return matrix
    callset = allel.read_vcf(file, fields=["calldata/GT"])
    return allel.GenotypeArray(callset["calldata/GT"]).to_n_alt(fill=-1).T

load(warmup)  # first use loads lazy libraries (pyarrow for pandas strings, numba's cache, ...)

def status_kib(field):
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])

# Writing 5 to clear_refs resets the kernel's peak-RSS mark (VmHWM), so the
# peak below is that of the load alone, not of the imports.
with open("/proc/self/clear_refs", "w") as handle:
    handle.write("5")
before = status_kib("VmRSS")
start, cpu = time.perf_counter(), time.process_time()
matrix = load(path)
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
peak = status_kib("VmHWM")
if matrix is None:
    print(json.dumps({"seconds": seconds, "cpu_s": cpu, "peak_mib": (peak - before) / 1024}))
else:
    checksum = (matrix.checksum if isinstance(matrix, Streamed)
                else int(np.asarray(matrix, dtype=np.int64).sum()))
    print(json.dumps({"seconds": seconds, "cpu_s": cpu, "peak_mib": (peak - before) / 1024,
                      "matrix_mib": matrix.nbytes / 2**20, "shape": list(matrix.shape),
                      "checksum": checksum}))
"""


def load_in_child(reader: str, path: Path, warmup: Path) -> dict:
    output = subprocess.run(
        [sys.executable, "-c", CHILD, reader, str(path), str(warmup)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def _median_run(runs: list[dict]) -> dict:
    """The run with the median time (the lower middle one of an even count)."""
    return sorted(runs, key=lambda run: run["seconds"])[(len(runs) - 1) // 2]


def _spread(runs: list[dict], key: str) -> tuple[float, float]:
    values = [run[key] for run in runs]
    return min(values), max(values)


def run(
    sizes: list[tuple[int, int]], workdir: Path, readers: list[str], repeats: int
) -> pd.DataFrame:
    rows = []
    small = simulate("liability", seed=2, n_samples=20, n_sites=50, include_chrx=False)
    warmup = small.write(workdir / "warmup") / "cohort.vcf.gz"
    for n_samples, n_sites in sizes:
        calls = n_samples * n_sites
        start = time.perf_counter()
        # Autosomes only: the other readers do not count haploid chrX calls as
        # vcfml does, and the checksums below must agree.
        cohort = simulate(
            "liability", seed=1, n_samples=n_samples, n_sites=n_sites, include_chrx=False
        )
        folder = cohort.write(workdir / f"{n_samples}x{n_sites}")
        simulated = time.perf_counter() - start
        write = _write_rates(cohort, workdir / "matrix.vcf.gz") if calls <= 10**8 else {}
        del cohort
        path = folder / "cohort.vcf.gz"
        # Each reader `repeats` times, interleaved; the median run is reported, the
        # spread beside it (a shared virtual machine varies by 10-20% run to run).
        runs: dict[str, list[dict]] = {reader: [] for reader in readers}
        for _ in range(repeats):
            for reader in readers:
                runs[reader].append(load_in_child(reader, path, warmup))
        results = {reader: _median_run(reader_runs) for reader, reader_runs in runs.items()}
        checksums = {r["checksum"] for r in results.values() if "checksum" in r}
        if len(checksums) != 1:
            raise SystemExit(f"readers disagree on {path}: checksums {checksums}")
        loop = results["cyvcf2 loop"]["seconds"]
        floor = results["gzip floor"]["seconds"]
        deflate_floor = results["libdeflate floor"]["seconds"]
        for reader, result in results.items():
            matrix_mib = result.get("matrix_mib")
            rows.append(
                {
                    "cohort": f"{n_samples:,} x {n_sites:,}",
                    "reader": reader,
                    "seconds": round(result["seconds"], 2),
                    "runs (s)": "-".join(
                        f"{value:.2f}" for value in _spread(runs[reader], "seconds")
                    ),
                    "M calls/s": round(calls / result["seconds"] / 1e6, 1),
                    "x cyvcf2 loop": round(loop / result["seconds"], 2),
                    "x gzip floor": round(result["seconds"] / floor, 2),
                    "x libdeflate floor": round(result["seconds"] / deflate_floor, 2),
                    "M calls / CPU s": round(calls / max(result["cpu_s"], 1e-9) / 1e6, 1),
                    "peak MiB": round(result["peak_mib"], 1),
                    "peak / int8 matrix": (
                        round(result["peak_mib"] / matrix_mib, 2) if matrix_mib else ""
                    ),
                    "simulate + write s": round(simulated, 1),
                    **{key: round(value, 1) for key, value in write.items()},
                }
            )
    return pd.DataFrame(rows)


def _write_rates(cohort, path: Path) -> dict[str, float]:
    """write_vcf of the matrix in memory (formatting, BGZF on every core, tabix index),
    in M calls/s, with FORMAT GT:DP (7 bytes of text a call) and GT only (4 bytes),
    compressed by libdeflate (the default), and GT:DP by zlib too (bgzip's bytes)."""
    genotypes, depth = cohort.genotypes, cohort.depth
    rates = {}
    cases = (
        ("GT:DP", depth, "libdeflate"),
        ("GT", None, "libdeflate"),
        ("GT:DP zlib", depth, "zlib"),
    )
    for name, fields, compressor in cases:
        # A first small write loads the compiled loops (numba's cache) for these types.
        write_vcf(
            path,
            genotypes[:, :10],
            cohort.variants.iloc[:10],
            cohort.samples["sample_id"].tolist(),
            contigs=cohort.contigs,
            depth=None if fields is None else fields[:, :10],
            haploid_samples=cohort.haploid,
            compressor=compressor,
        )
        start = time.perf_counter()
        write_vcf(
            path,
            genotypes,
            cohort.variants,
            cohort.samples["sample_id"].tolist(),
            contigs=cohort.contigs,
            depth=fields,
            haploid_samples=cohort.haploid,
            compressor=compressor,
        )
        rates[f"write_vcf {name} M calls/s"] = genotypes.size / (time.perf_counter() - start) / 1e6
    return rates


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes", nargs="+", type=parse_size, default=[(2000, 10_000), (1000, 100_000)]
    )
    parser.add_argument("--allel", action="store_true", help="also time scikit-allel")
    parser.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="fresh-process loads per reader (the median is shown)",
    )
    add_output_options(
        parser, "append the table to RESULTS.md and write benchmarks/results/load_vcf.json"
    )
    args = parser.parse_args()
    readers = READERS + (["scikit-allel"] if args.allel else [])
    before = machine_state()
    with tempfile.TemporaryDirectory() as workdir:
        table = run(args.sizes, Path(workdir), readers, args.repeats)
    after = machine_state()
    text = table.to_markdown(index=False)
    print(text)
    load = load_change(before, after)
    print(load)
    payload = {
        "machine": after,
        "load_average_before": before["load_average"],
        "rows": table.to_dict("records"),
    }
    publish(args, "load_vcf.py", text, f"; {load}", "load_vcf", payload)
    return 0


if __name__ == "__main__":
    sys.exit(main())
