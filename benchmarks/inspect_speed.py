"""Benchmark: ``vcfml inspect`` on the course's VCFs, warm, next to ``plink2 --freq``.

Issue 26's goal: ``vcfml inspect`` on the course's data under 1 s warm (a
second run: numba's compile cache and the operating system's file cache are
filled by the first). Each command runs in its own process, as a user types it:
one first run (reported, not part of the goal: after an install it also compiles
and caches), then ``--repeats`` warm runs (median, min-max). Also times
``python -c "import vcfml.cli"`` (what every command pays before it starts) and
``plink2 --freq --missing`` on the same file, for scale. Wall seconds are the
goal; CPU seconds (user + system of the child) are printed beside them because a
busy machine inflates them less. The machine's load average before and after is
printed with the table: on a shared machine the seconds are slower than on an
idle one.

Usage: python benchmarks/inspect_speed.py [--repeats 5] [--record] [--note "..."]
(well under a minute on an idle machine).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from common import load_change, machine_state, record, timed_command

DATA = Path(__file__).resolve().parents[1] / "data"
FILES = ["classic/cohort.vcf.gz", "liability/cohort.vcf.gz", "coalescent/cohort.vcf.gz",
         "hapmap3/hapmap3.vcf.gz"]  # fmt: skip
GOAL_SECONDS = 1.0


def runs(command: list[str], repeats: int) -> tuple[float, list[tuple[float, float]]]:
    """The first run's wall seconds, then ``repeats`` warm runs' wall and CPU seconds."""
    first, _ = timed_command(command)
    return first, [timed_command(command) for _ in range(repeats)]


def row(name: str, first: float, warm: list[tuple[float, float]], goal: bool) -> str:
    wall, cpu = [w for w, _ in warm], [c for _, c in warm]
    verdict = ""
    if goal:
        verdict = "yes" if statistics.median(wall) < GOAL_SECONDS else "**no**"
    return (
        f"| {name} | {first:.2f} | {statistics.median(wall):.2f} ({min(wall):.2f}-"
        f"{max(wall):.2f}) | {statistics.median(cpu):.2f} ({min(cpu):.2f}-{max(cpu):.2f}) "
        f"| {verdict} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="warm runs per command")
    parser.add_argument("--record", action="store_true", help="append to benchmarks/RESULTS.md")
    parser.add_argument("--note", default="", help="a note for the RESULTS.md heading")
    args = parser.parse_args()
    before = machine_state()
    lines = [
        "| command | first run, wall (s) | warm wall (s), median (min-max) "
        "| warm CPU (s), median (min-max) | under 1 s warm (wall) |",
        "|---|---|---|---|---|",
    ]
    first, warm = runs([sys.executable, "-c", "import vcfml.cli"], args.repeats)
    lines.append(row("`python -c 'import vcfml.cli'`", first, warm, goal=False))
    plink2 = shutil.which("plink2")
    with tempfile.TemporaryDirectory() as folder:
        for name in FILES:
            vcf = DATA / name
            command = [sys.executable, "-m", "vcfml.cli", "inspect", str(vcf)]
            first, warm = runs(command, args.repeats)
            lines.append(row(f"`vcfml inspect {name}`", first, warm, goal=True))
            if plink2:
                command = [plink2, "--vcf", str(vcf), "--freq", "--missing", "--threads", "1",
                           "--allow-extra-chr", "--out", str(Path(folder) / "p")]  # fmt: skip
                first, warm = runs(command, args.repeats)
                lines.append(row(f"`plink2 --freq --missing` ({name})", first, warm, goal=False))
    after = machine_state()
    table = "\n".join(lines)
    load = load_change(before, after)
    print(table)
    print(f"{args.repeats} warm runs each; {load} ({before['cores']} cores)")
    if args.record:
        note = f"; {args.note}" if args.note else ""
        record(
            "inspect_speed.py",
            table + f"\n\n{args.repeats} warm runs each; {load}.",
            f", the course's VCFs{note}",
        )


if __name__ == "__main__":
    main()
