"""Build the Jupyter Book and fail loudly on anything a reader would see broken.

``jupyter-book build`` can exit 0 although a notebook failed to execute (it
writes a report and carries on), so after the build this script also looks for
execution reports and for warnings in the log. Used by ``make book`` and by the
test suite.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FAILURE_PATTERNS = [
    re.compile(r"Execution Failed", re.IGNORECASE),
    re.compile(r"CellExecutionError"),
    re.compile(r"WARNING: "),  # Sphinx style, not the kernel's "WARNING |" log lines
    re.compile(r"ERROR: "),
]


@dataclass
class BookBuild:
    html: Path
    log: str
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def build(
    source: Path = ROOT,
    output: Path = ROOT,
    config: Path | None = None,
    toc: Path | None = None,
    echo: bool = True,
) -> BookBuild:
    """Build ``source`` into ``output/_build/html``; report every problem found."""
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    command = [
        str(jupyter_book),
        "build",
        str(source),
        "--builder",
        "html",
        "--path-output",
        str(output),
        "-W",
        "--keep-going",
    ]
    if config is not None:
        command += ["--config", str(config)]
    if toc is not None:
        command += ["--toc", str(toc)]
    process = subprocess.Popen(
        command, cwd=source, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        if echo:
            print(line, end="")
    returncode = process.wait()
    log = "".join(lines)
    html = output / "_build" / "html"
    problems = []
    if returncode != 0:
        problems.append(f"jupyter-book exited with status {returncode}")
    for pattern in FAILURE_PATTERNS:
        for line in log.splitlines():
            if pattern.search(line):
                problems.append(f"log: {line.strip()}")
    reports = html / "reports"
    if reports.exists():
        problems += [f"execution report: {report}" for report in sorted(reports.rglob("*.log"))]
    if not (html / "index.html").exists():
        problems.append(f"no {html / 'index.html'} was written")
    return BookBuild(html=html, log=log, problems=list(dict.fromkeys(problems)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, default=ROOT, help="folder that gets _build/")
    parser.add_argument("--config", type=Path, help="alternative _config.yml")
    parser.add_argument("--toc", type=Path, help="alternative _toc.yml")
    args = parser.parse_args()
    result = build(output=args.output.resolve(), config=args.config, toc=args.toc)
    return report(result, "The book")


def report(result: BookBuild, what: str) -> int:
    """Print where the site is, or every problem found; the exit status for make."""
    if not result.ok:
        print(f"\n{what} FAILED to build:", file=sys.stderr)
        for problem in result.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    print(f"\n{what} is built: open {result.html / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
