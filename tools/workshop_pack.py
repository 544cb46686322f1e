"""Make what a workshop's participants download (``make workshop-pack WORKSHOP=...``).

The pack is one zip file, ``_build/workshops/NAME/NAME-pack.zip``, holding a folder
``NAME/`` with:

- ``exercises/`` (the workshop's chapters) and ``solutions/`` only when released;
- ``data/``: the workshop's own datasets with their ``SHA256SUMS``;
- ``wheels/``: the course library, built from this checkout;
- ``requirements/``: the pinned package versions, one file per Python;
- ``setup.sh`` (Linux, macOS, Windows with WSL) and ``environment.yml`` (conda);
- ``README.md`` with the workshop's name, dates, instructors and the two steps.

``setup.sh`` makes ``.venv``, installs the pinned packages, registers the Jupyter
kernel "Python (vcfml)" with the day's AutoML budget, and runs ``vcfml check-env``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))

from workshop import StagedWorkshop, WorkshopConfigError, stage  # noqa: E402

SETUP_SH = """#!/usr/bin/env bash
# Set up this workshop pack: a virtual environment with the course's pinned
# packages, the Jupyter kernel "Python (vcfml)", then a check of the machine.
# Usage: bash setup.sh            (or PYTHON=python3.11 bash setup.sh)
set -euo pipefail
cd "$(dirname "$0")"
PYTHON="${{PYTHON:-python3}}"
version=$("$PYTHON" -c 'import sys; print(f"{{sys.version_info[0]}}.{{sys.version_info[1]}}")')
constraints="requirements/constraints-py$version.txt"
if [ ! -f "$constraints" ]; then
  echo "Python $version has no pinned packages here: use 3.10, 3.11 or 3.12, e.g." >&2
  echo "  PYTHON=python3.11 bash setup.sh" >&2
  exit 1
fi
test -x .venv/bin/python || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade -c "$constraints" pip setuptools wheel
.venv/bin/python -m pip install --quiet -c "$constraints" "$(ls wheels/vcfml-*.whl)[notebook,scale]"
.venv/bin/python -m ipykernel install --user --name {kernel} \\
  --display-name "Python (vcfml)" --env VCFML_AUTOML_BUDGET {budget:g}
.venv/bin/vcfml check-env --data data --constraints "$constraints"
echo
echo "Ready. Start Jupyter with:  .venv/bin/jupyter lab exercises/"
echo "(on an Azure ML compute instance, open the notebooks and pick the kernel 'Python (vcfml)')"
"""

README = """# {title}

{banner}

Instructors: {instructors}

## Get ready (before the workshop)

1. Unpack this folder and open a terminal in it (Windows: in WSL).
2. Run `bash setup.sh`. It installs everything into `.venv/` (about 2 GB, a few
   minutes), registers the Jupyter kernel *Python (vcfml)* and checks your machine:
   every line should be ✅. A ❌ line says how to fix it.

Conda users: `conda env create -f environment.yml`, `conda activate vcfml`, then
`python -m ipykernel install --user --name vcfml --display-name "Python (vcfml)"`.

## During the workshop

Start Jupyter with `.venv/bin/jupyter lab exercises/` and open the first exercise.
Each exercise ends with a self-check cell. Every AutoML cell runs for
{budget:g} seconds (set by the kernel; change `VCFML_AUTOML_BUDGET` to run longer).

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


def build_wheel(target: Path) -> Path:
    """The course library as a wheel, built from this checkout without the network."""
    target.mkdir(parents=True, exist_ok=True)
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
            str(ROOT),
        ],
        check=True,
    )
    (wheel,) = target.glob("vcfml-*.whl")
    return wheel


def make_pack(config_path: Path, output_root: Path | None = None) -> Path:
    staged: StagedWorkshop = stage(config_path, output_root)
    workshop = staged.workshop
    folder = staged.output / "pack" / staged.name
    if folder.parent.exists():
        shutil.rmtree(folder.parent)
    folder.mkdir(parents=True)

    shutil.copytree(staged.source / "exercises", folder / "exercises")
    if workshop.solutions_released:
        shutil.copytree(staged.source / "solutions", folder / "solutions")
    shutil.copytree(staged.source / "data", folder / "data")
    shutil.copytree(ROOT / "requirements", folder / "requirements")
    wheel = build_wheel(folder / "wheels")
    shutil.copy2(config_path, folder / "workshop.yml")
    kernel = "vcfml"
    (folder / "setup.sh").write_text(SETUP_SH.format(kernel=kernel, budget=workshop.automl_budget))
    (folder / "setup.sh").chmod(0o755)
    (folder / "environment.yml").write_text(ENVIRONMENT_YML.format(wheel=wheel.name))
    (folder / "README.md").write_text(
        README.format(
            title=workshop.title,
            banner=workshop.banner,
            instructors=", ".join(workshop.instructors),
            budget=workshop.automl_budget,
            chapters=", ".join(str(number) for number in workshop.chapters),
            solutions="Solutions are included in `solutions/`."
            if workshop.solutions_released
            else "Solutions are released after the workshop.",
        )
    )

    archive = staged.output / f"{staged.name}-pack.zip"
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
