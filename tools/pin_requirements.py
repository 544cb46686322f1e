"""Pin the course's packages for every supported Python (``make constraints``; maintainers).

pip resolves for another Python version without having it installed
(``pip install --dry-run --python-version X --only-binary=:all: --report``), so one
machine writes ``requirements/constraints-pyX.Y.txt`` for every Python in
:data:`PYTHONS`. Existing pins are kept unless ``--upgrade`` is given, so adding a
dependency does not silently move every other version; a Python pinned for the
first time starts from the pins of the Python before it, so that it runs the same
versions wherever their wheels exist. Our own environment markers (such as
``python_version < '3.11'``) are evaluated for the target version here; pins of
packages that only other Pythons need (tomli on 3.10) are kept from the old file.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
# The newest patch release of each: some packages need e.g. 3.11.5 or newer.
PYTHONS = {
    "3.10": "3.10.19",
    "3.11": "3.11.14",
    "3.12": "3.12.12",
    "3.13": "3.13.9",
    "3.14": "3.14.0",
}
EXTRAS = ("dev", "notebook", "scale", "tracking", "view")
# Pythons pinned for what participants install only (a workshop pack's setup.sh,
# and the view extra that its error message tells them how to add):
# scikit-allel, a test reference in `dev`, has no wheel for 3.14 yet.
PARTICIPANT_EXTRAS = ("notebook", "scale", "view")
PARTICIPANTS_ONLY = {"3.14"}
TOOLS = {"pip": "25.3", "setuptools": "84.2.1", "wheel": "0.48.0"}


def project_requirements(python: str) -> list[str]:
    """vcfml's own requirements and those of its extras, markers evaluated for ``python``."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: maintainers pin with 3.11 or newer
        sys.exit("tools/pin_requirements.py needs Python 3.11 or newer (tomllib)")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    texts = list(project["dependencies"])
    for extra in PARTICIPANT_EXTRAS if python in PARTICIPANTS_ONLY else EXTRAS:
        texts += project["optional-dependencies"][extra]
    environment = {"python_version": python, "python_full_version": PYTHONS[python], "extra": ""}
    kept = []
    for text in texts:
        requirement = Requirement(text)
        if requirement.marker is None or requirement.marker.evaluate(environment):
            requirement.marker = None
            kept.append(str(requirement))
    return kept


def read_pins(path: Path) -> dict[str, str]:
    pins = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if "==" in line and not line.startswith("#"):
                name, version = line.split("==", 1)
                pins[canonicalize_name(name)] = f"{name}=={version.strip()}"
    return pins


def resolve(python: str, keep: dict[str, str]) -> dict[str, str]:
    with tempfile.TemporaryDirectory() as folder:
        folder_path = Path(folder)
        constraints = folder_path / "keep.txt"
        constraints.write_text("\n".join(keep.values()) + "\n")
        report = folder_path / "report.json"
        command = [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--dry-run",
            "--ignore-installed",
            "--only-binary=:all:",
            "--python-version",
            PYTHONS[python],
            "--target",
            str(folder_path / "target"),
            "--report",
            str(report),
            "-c",
            str(constraints),
            *project_requirements(python),
        ]
        subprocess.run(command, check=True)
        installed = json.loads(report.read_text())["install"]
    return {
        canonicalize_name(item["metadata"]["name"]): (
            f"{item['metadata']['name']}=={item['metadata']['version']}"
        )
        for item in installed
    }


def previous_pins(python: str) -> dict[str, str]:
    """The pins of the Python listed before ``python`` (a starting point for a new one)."""
    versions = list(PYTHONS)
    index = versions.index(python)
    return (
        read_pins(ROOT / "requirements" / f"constraints-py{versions[index - 1]}.txt")
        if index
        else {}
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", action="append", choices=list(PYTHONS), help="default: all")
    parser.add_argument("--upgrade", action="store_true", help="re-resolve from scratch")
    args = parser.parse_args(argv)
    for python in args.python or PYTHONS:
        path = ROOT / "requirements" / f"constraints-py{python}.txt"
        old = {} if args.upgrade else read_pins(path)
        seeded = not old and not args.upgrade and previous_pins(python)
        tools = {name: f"{name}=={version}" for name, version in TOOLS.items()}
        keep = {name: pin for name, pin in (old or seeded or {}).items() if name not in tools}
        try:
            pins = resolve(python, keep)
        except subprocess.CalledProcessError:
            if not seeded:
                raise
            print(f"Python {python}: the pins of the Python before it do not all have wheels;")
            print("resolving afresh at the newest versions")
            keep, pins = {}, resolve(python, {})
        # pip evaluates its dependencies' markers for the Python running it, so
        # packages such as tomli (needed below 3.11 only) are missing from a 3.10
        # resolution made on 3.11: keep their earlier pins.
        for name, pin in old.items():
            if name not in tools:
                pins.setdefault(name, pin)
        pins.update(tools)
        path.write_text("\n".join(sorted(pins.values(), key=str.lower)) + "\n")
        added = sorted(set(pins) - set(old)) if old else ["(a new file)"]
        print(f"{path.relative_to(ROOT)}: {len(pins)} pins; new: {', '.join(added) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
