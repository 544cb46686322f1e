"""Make what a workshop's participants download (``make workshop-pack WORKSHOP=...``).

The pack is one zip file, ``_build/workshops/NAME/NAME-pack.zip``, holding a folder
``NAME/`` with:

- ``exercises/`` (the workshop's chapters) and ``solutions/`` only when released
  (executed on the workshop's data); every notebook names the kernel ``vcfml``;
- ``data/``: the workshop's own datasets with their ``SHA256SUMS``;
- ``wheels/``: the course library, built from this checkout;
- ``requirements/``: the pinned package versions, one file per Python (no ``make``);
- ``setup.sh`` (Linux, macOS, Windows with WSL) and ``environment.yml`` (conda);
- ``README.md`` with the workshop's name, dates, instructors and the two steps.

``setup.sh`` makes ``.venv``, installs the pinned packages (the lean participant set:
no test or build tools, no bytecode for the test suites inside packages), registers
the Jupyter kernel ``vcfml`` ("Python (vcfml)") with the day's AutoML budget, and
runs ``vcfml check-env``. ``make book WORKSHOP=...`` makes the pack too and puts
it in the site.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(ROOT / "book" / "_ext"))

from benchmark_results import lookup_file  # noqa: E402
from workshop import CAPSTONE, StagedWorkshop, WorkshopConfigError, stage  # noqa: E402

KERNEL = "vcfml"
KERNEL_DISPLAY_NAME = "Python (vcfml)"
# Paths that setup.sh leaves without bytecode: the test suites inside packages
# (pandas/tests, scipy/.../tests, ...), not a folder named tests above the pack.
TEST_SUITES = r"site-packages/.+/tests?/"

SETUP_SH = """#!/usr/bin/env bash
# Set up this workshop pack: a virtual environment with the course's pinned
# packages, the Jupyter kernel "{display_name}" (it sets the day's AutoML budget),
# then a check of the machine. Safe to run again: it only checks what is there.
# Usage: bash setup.sh            (or PYTHON=python3.11 bash setup.sh)
set -euo pipefail
cd "$(dirname "$0")"
PYTHON="${{PYTHON:-python3}}"
if ! command -v "$PYTHON" > /dev/null; then
  echo "No '$PYTHON' here: install {pythons}, or name yours:" >&2
  echo "  PYTHON=python3.11 bash setup.sh" >&2
  exit 1
fi
version=$("$PYTHON" -c 'import sys; print(f"{{sys.version_info[0]}}.{{sys.version_info[1]}}")')
constraints="requirements/constraints-py$version.txt"
if [ ! -f "$constraints" ]; then
  echo "Python $version has no pinned packages here: use {pythons}, e.g." >&2
  echo "  PYTHON=python3.11 bash setup.sh" >&2
  exit 1
fi
test -x .venv/bin/python || "$PYTHON" -m venv .venv
# Only pip: setuptools and wheel build packages, and everything here comes as a wheel.
.venv/bin/python -m pip install --quiet --upgrade -c "$constraints" pip
.venv/bin/python -m pip install --quiet --no-compile -c "$constraints" \\
  "$(ls wheels/vcfml-*.whl)[notebook,scale]"
# Bytecode for every module but the test suites some packages ship (pandas, scipy,
# numpy, ...): nobody runs those here, and their bytecode alone is about 80 MiB.
# As with pip, a file that does not compile (a template) is left as it is.
.venv/bin/python -m compileall -qq -j 0 -x '{test_suites}' \\
  "$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')" || true
.venv/bin/python -m ipykernel install --user --name {kernel} \\
  --display-name "{display_name}" --env VCFML_AUTOML_BUDGET {budget:g}
.venv/bin/vcfml check-env --data data --constraints "$constraints"
echo
echo "Ready. Start Jupyter with:  .venv/bin/jupyter lab exercises/"
echo "The notebooks open with the kernel '{display_name}' (AutoML runs {budget:g} s)."
echo "Check this machine again with:"
echo "  .venv/bin/vcfml check-env --data data --constraints $constraints"
"""

README = """# {title}

{banner}

Instructors: {instructors}

## Get ready (before the workshop)

1. Unpack this folder and open a terminal in it (Windows: in WSL).
2. Run `bash setup.sh` (or `PYTHON=python3.11 bash setup.sh` to pick a Python;
   {pythons} work). It installs the course's packages into `.venv/` in this folder
   ({install_size}), registers the Jupyter kernel **{display_name}** and
   checks your machine: every line should be ✅; a ❌ line says how to fix it.

To check the machine again later (here with Python 3.11; use your version in the
file name):

    .venv/bin/vcfml check-env --data data --constraints requirements/constraints-py3.11.txt

Conda users: `conda env create -f environment.yml`, `conda activate vcfml`, then

    python -m ipykernel install --user --name {kernel} --display-name "{display_name}" \\
      --env VCFML_AUTOML_BUDGET {budget:g}

## During the workshop

Start Jupyter with `.venv/bin/jupyter lab exercises/` and open the first exercise.
The notebooks open with the kernel **{display_name}**; if Jupyter asks which kernel
to use, pick that one (on an Azure ML compute instance or a JupyterHub too): it runs
every AutoML cell for {budget:g} seconds, the workshop's setting. Each exercise ends
with a self-check cell.

Chapters: {chapters}. {solutions}
"""

ENVIRONMENT_YML = """# Conda users: conda env create -f environment.yml && conda activate vcfml
# Python 3.11 from conda-forge, then the course library at the pinned versions.
name: vcfml
channels:
  - conda-forge
dependencies:
  - python=3.11
  - pip
  - pip:
      - -c requirements/constraints-py3.11.txt
      - ./wheels/{wheel}[notebook,scale]
"""
RESULTS = ROOT / "benchmarks" / "RESULTS.md"


def install_size() -> str:
    """What ``setup.sh`` installs with Python 3.11, as ``benchmarks/install_size.py
    --record`` last measured it: read from RESULTS.md, never typed."""

    def recorded(column: str, spec: str) -> str:
        return lookup_file(RESULTS, f"install_size.py; 3.11; {column}; {spec}")

    return (
        f"measured: about {recorded('installed .venv (MiB)', ',d')} MiB "
        f"({recorded('(GB)', '.2f')} GB) installed, a "
        f"{recorded('download (MiB)', ',d')} MiB download; the installed size is the sum "
        "of the files' sizes, and `du -sh .venv` shows somewhat more, as it counts whole "
        "disk blocks"
    )


def chapter_names(chapters: list[int]) -> str:
    """``1, 3, 4, 5 and the capstone``: the README's list of what the pack teaches."""
    names = [str(number) for number in chapters if number != CAPSTONE]
    if CAPSTONE in chapters:
        return ", ".join(names) + (" and the capstone" if names else "the capstone")
    return ", ".join(names)


# What building the wheel reads from the checkout (pyproject.toml names the readme).
WHEEL_SOURCES = ("pyproject.toml", "README.md", "src")


def build_wheel(target: Path) -> Path:
    """The course library as a wheel, built from this checkout without the network.

    setuptools writes ``build/`` and ``*.egg-info`` beside the sources it builds,
    so two packs built at once from the checkout (``make test`` on two processes)
    overwrote each other's files. Each build gets its own copy of the sources.
    """
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="vcfml-wheel-") as scratch:
        source = Path(scratch)
        for name in WHEEL_SOURCES:
            if (ROOT / name).is_dir():
                ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
                shutil.copytree(ROOT / name, source / name, ignore=ignore)
            else:
                shutil.copy2(ROOT / name, source / name)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--quiet",
                "--no-deps",
                "--no-build-isolation",
                "--wheel-dir",
                str(target),
                str(source),
            ],
            check=True,
        )
    (wheel,) = target.glob("vcfml-*.whl")
    return wheel


def pinned_pythons() -> list[str]:
    """The Pythons with a constraints file, oldest first."""
    versions = [
        path.stem.removeprefix("constraints-py")
        for path in (ROOT / "requirements").glob("constraints-py3.*.txt")
    ]
    return sorted(versions, key=lambda version: tuple(map(int, version.split("."))))


def with_course_kernel(notebook_path: Path, target: Path) -> None:
    """Copy a notebook, naming the kernel that ``setup.sh`` registers.

    The course's notebooks name ``python3``; opened as they are, they would run
    without the workshop's ``VCFML_AUTOML_BUDGET`` (that kernel's environment).
    """
    notebook = nbformat.read(notebook_path, as_version=4)
    notebook.metadata["kernelspec"] = {
        "name": KERNEL,
        "display_name": KERNEL_DISPLAY_NAME,
        "language": "python",
    }
    nbformat.write(notebook, target)


def make_pack(config_path: Path, output_root: Path | None = None) -> Path:
    """Stage the workshop (released solutions executed on its data), then pack it."""
    return pack_staged(stage(config_path, output_root), config_path)


def pack_staged(staged: StagedWorkshop, config_path: Path) -> Path:
    """The participants' zip from a staged workshop; returns its path."""
    workshop = staged.workshop
    folder = staged.output / "pack" / staged.name
    if folder.parent.exists():
        shutil.rmtree(folder.parent)
    folder.mkdir(parents=True)

    folders = ["exercises", "solutions"] if workshop.solutions_released else ["exercises"]
    for name in folders:
        (folder / name).mkdir()
        for notebook in sorted((staged.source / name).glob("*.ipynb")):
            with_course_kernel(notebook, folder / name / notebook.name)
    shutil.copytree(staged.source / "data", folder / "data")
    (folder / "requirements").mkdir()
    pythons = pinned_pythons()
    for version in pythons:
        name = f"constraints-py{version}.txt"
        shutil.copy2(ROOT / "requirements" / name, folder / "requirements" / name)
    wheel = build_wheel(folder / "wheels")
    # The values the build used, without the instructors' file and its comments
    # (which may say what is held back, or when).
    (folder / "workshop.yml").write_text(
        f"# The settings of the workshop {staged.name}: what this pack was made with.\n"
        + yaml.safe_dump(
            workshop.model_dump(mode="json", exclude={"publish"}),
            sort_keys=False,
            allow_unicode=True,
        )
    )
    pythons_text = f"Python {pythons[0]} to {pythons[-1]}"
    (folder / "setup.sh").write_text(
        SETUP_SH.format(
            kernel=KERNEL,
            display_name=KERNEL_DISPLAY_NAME,
            budget=workshop.automl_budget,
            pythons=pythons_text,
            test_suites=TEST_SUITES,
        )
    )
    (folder / "setup.sh").chmod(0o755)
    (folder / "environment.yml").write_text(ENVIRONMENT_YML.format(wheel=wheel.name))
    (folder / "README.md").write_text(
        README.format(
            title=workshop.title,
            banner=workshop.banner,
            instructors=", ".join(workshop.instructors),
            budget=workshop.automl_budget,
            kernel=KERNEL,
            display_name=KERNEL_DISPLAY_NAME,
            pythons=pythons_text,
            install_size=install_size(),
            chapters=chapter_names(workshop.chapters),
            solutions="Solutions, executed on this workshop's data, are in `solutions/`."
            if workshop.solutions_released
            else "Solutions are released after the workshop.",
        )
    )

    archive = staged.pack
    archive.unlink(missing_ok=True)
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                info = zipfile.ZipInfo.from_file(path, path.relative_to(folder.parent))
                with open(path, "rb") as handle:
                    zipped.writestr(info, handle.read(), compress_type=zipfile.ZIP_DEFLATED)
    return archive


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", type=Path, help="workshops/NAME.yml")
    args = parser.parse_args(argv)
    try:
        archive = make_pack(args.config)
    except WorkshopConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"wrote {archive} ({archive.stat().st_size / 2**20:.1f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
