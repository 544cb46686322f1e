"""Run a workshop pack as a participant would (``make pack-check WORKSHOP=...``; slow).

The site is built, and ``make site-check`` opens it, in the course's full
environment. A participant runs the pack's own, leaner one (``setup.sh``: no
xgboost, no MLflow, no test tools), where a library may say things the full
environment never shows: FLAML's "... is not available. Please install
flaml[automl]" warning appeared only there. So this script unpacks the pack into an
empty folder with a fresh ``HOME``, runs ``bash setup.sh`` (it downloads the pinned
packages, or takes them from pip's cache: minutes), executes exercise notebooks with
the pack's kernel **Python (vcfml)**, and fails on any warning or error a notebook
prints, other than the exercises' own blanks (``NotImplementedError``, and the
``NameError`` of a cell that uses a blank's result).

Optional and slow (a set-up plus one AutoML notebook with the workshop's budget);
not part of ``make test``: run it before a workshop, after ``make book WORKSHOP=...``.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).parent))

# What a participant must not see printed in a notebook: warnings and tracebacks.
WARNING = re.compile(r"\w*Warning: ")
# An exercise's blanks raise NotImplementedError until they are filled, and the cells
# that use a blank's result then raise NameError: expected, not problems.
BLANKS = {"NotImplementedError", "NameError"}
# The notebook run by default: the first exercise that runs AutoML (FLAML is imported).
AUTOML_MARK = "run_automl"


def notebook_problems(notebook: nbformat.NotebookNode, name: str) -> list[str]:
    """Each warning (stderr or a printed warning) and each error other than a blank."""
    problems = []
    for number, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                text = output.text
                if (output.name == "stderr" and text.strip()) or WARNING.search(text):
                    first = text.strip().splitlines()[0][:200]
                    problems.append(f"{name} cell {number}: prints {first!r}")
            elif output.output_type == "error" and output.ename not in BLANKS:
                problems.append(f"{name} cell {number}: {output.ename}: {output.evalue[:200]}")
    return problems


def default_notebooks(folder: Path) -> list[Path]:
    """The first exercise that runs AutoML (it imports FLAML), else the first exercise."""
    notebooks = sorted((folder / "exercises").glob("*.ipynb"))
    automl = [path for path in notebooks if AUTOML_MARK in path.read_text(encoding="utf-8")]
    return (automl or notebooks)[:1]


def check_pack(pack: Path, python: str, names: list[str], scratch: Path) -> list[str]:
    """Unpack, ``setup.sh``, execute; every problem a participant would see."""
    with zipfile.ZipFile(pack) as zipped:
        zipped.extractall(scratch)
    (folder,) = [path for path in scratch.iterdir() if path.is_dir()]
    env = {**os.environ, "HOME": str(scratch), "PYTHON": python}
    env.pop("PYTHONPATH", None)  # the pack's own vcfml, not this checkout's
    env.pop("VIRTUAL_ENV", None)
    setup = subprocess.run(["bash", "setup.sh"], cwd=folder, env=env, text=True)
    if setup.returncode != 0:
        return [f"setup.sh failed with status {setup.returncode}"]
    notebooks = [folder / "exercises" / f"{n}.ipynb" for n in names] or default_notebooks(folder)
    problems = []
    for notebook in notebooks:
        print(f"executing {notebook.name} with the kernel vcfml ...", flush=True)
        run = subprocess.run(
            [
                str(folder / ".venv" / "bin" / "jupyter"),
                "nbconvert",
                "--to",
                "notebook",
                "--execute",
                "--allow-errors",
                "--ExecutePreprocessor.kernel_name=vcfml",
                "--output",
                f"{notebook.stem}.executed.ipynb",
                str(notebook),
            ],
            cwd=notebook.parent,
            env=env,
            text=True,
            capture_output=True,
        )
        if run.returncode != 0:
            problems.append(f"{notebook.name}: nbconvert failed: {run.stderr.strip()[-500:]}")
            continue
        executed = nbformat.read(notebook.with_suffix(".executed.ipynb"), as_version=4)
        problems += notebook_problems(executed, notebook.name)
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", type=Path, help="workshops/NAME.yml (its pack must be built)")
    parser.add_argument("--python", default="python3", help="the Python setup.sh uses")
    parser.add_argument(
        "--notebook",
        action="append",
        default=[],
        help="an exercise to run, e.g. 04_run_and_evaluate (default: the first AutoML one)",
    )
    args = parser.parse_args(argv)
    from workshop import PARTICIPANTS, workshop_output

    output = workshop_output(args.config, None, PARTICIPANTS)
    pack = output / f"{output.name}-pack.zip"
    if not pack.is_file():
        print(f"error: no pack {pack}: make book WORKSHOP={args.config} first", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="pack-check-") as scratch:
        problems = check_pack(pack, args.python, args.notebook, Path(scratch))
    if problems:
        print(f"{len(problems)} problems a participant would see:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    print(f"The pack {pack.name} sets up and runs cleanly.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
