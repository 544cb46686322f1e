"""What the benchmark scripts share: cohort sizes on the command line, the
``--record`` and ``--json`` options, and how a result table is appended to
RESULTS.md and its rows written as JSON with the machine and the date."""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import resource
import subprocess
import time
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


RESULTS_DIR = RESULTS.parent / "results"


def machine_state() -> dict:
    """The machine and how busy it was: a load average near the core count or above
    means the times were measured on a shared machine and are too slow."""
    import psutil

    return {
        "machine": platform.machine(),
        "cores": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "load_average": [round(value, 2) for value in os.getloadavg()],
    }


def record_json(name: str, payload: dict, path: Path | None = None) -> Path:
    """Write a benchmark's rows as JSON (default ``benchmarks/results/<name>.json``),
    with the date and the machine, for the book to read."""
    import json

    path = path or RESULTS_DIR / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"script": f"{name}.py", "date": datetime.date.today().isoformat(), **payload}
    path.write_text(json.dumps(document, indent=1) + "\n")
    return path


def recorded_run(path: Path) -> tuple[dict, str]:
    """A ``--json`` run read back (for ``--from-json``): its document and the load it
    ran under (the document's own ``load``, else the load average recorded after it)."""
    import json

    document = json.loads(path.read_text())
    after = f"load average {document['machine']['load_average'][0]:g} after"
    return document, document.get("load", after)


def add_output_options(parser: argparse.ArgumentParser, record_help: str) -> None:
    """``--record`` (what it writes: ``record_help``) and ``--json PATH`` (a trial run)."""
    parser.add_argument("--record", action="store_true", help=record_help)
    parser.add_argument("--json", type=Path, help="write the rows as JSON here (a trial run)")


def load_change(before: dict, after: dict) -> str:
    """How busy the machine was before and after the run (:func:`machine_state`)."""
    return f"load average {before['load_average'][0]:g} before, {after['load_average'][0]:g} after"


def publish(
    args: argparse.Namespace, script: str, table: str, details: str, name: str, payload: dict
) -> None:
    """With ``--record`` or ``--json``, write the rows as JSON (:func:`record_json`);
    with ``--record``, also append the table to RESULTS.md (:func:`record`)."""
    if args.record or args.json:
        print(f"wrote {record_json(name, payload, args.json)}")
    if args.record:
        record(script, table, details)


def timed_command(command: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, the child's) of one run of ``command``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
