"""What the benchmark scripts share: cohort sizes on the command line, and how a
result table is appended to RESULTS.md with the machine and the date."""

from __future__ import annotations

import datetime
import os
import platform
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def parse_size(text: str) -> tuple[int, int]:
    """``2000x10000`` -> (2000 samples, 10000 sites)."""
    samples, sites = text.lower().split("x")
    return int(samples), int(sites)


def record(script: str, table: str, details: str = "") -> None:
    """Append a table to RESULTS.md under a heading naming script, date and machine."""
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    heading = f"## {script}, {datetime.date.today().isoformat()} ({machine}){details}"
    with RESULTS.open("a") as results:
        results.write(f"\n{heading}\n\n{table}\n")
