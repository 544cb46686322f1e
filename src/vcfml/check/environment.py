"""Is this machine ready for the course? One green or red line per check, with the fix.

Run by ``make check-env``, by ``vcfml check-env``, at the end of a workshop pack's
``setup.sh`` and in the first notebook of chapter 1, so that a problem shows up
before the first exercise, not in the middle of an AutoML run. Azure is checked
only when a workspace is configured (a ``config.json`` file): the course runs
without an account.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from vcfml.check.feedback import FAILED, PASSED

# The Pythons with pinned packages in requirements/ (3.14: workshop packs only).
SUPPORTED_PYTHONS = ((3, 10), (3, 11), (3, 12), (3, 13), (3, 14))
CHECKSUMS = "SHA256SUMS"
MIN_AVAILABLE_GIB = 2.0
MIN_CORES = 2
AZURE_CONFIG = "config.json"
AZURE_CONFIG_KEYS = ("subscription_id", "resource_group", "workspace_name")


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        text = f"{PASSED if self.ok else FAILED} {self.name}: {self.detail}"
        if not self.ok and self.fix:
            text += f"\n   Fix: {self.fix}"
        return text


@dataclass
class EnvironmentReport:
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def __bool__(self) -> bool:
        return self.ok

    def _ipython_display_(self) -> None:
        """Show nothing more in Jupyter: every line was printed."""


def check_python(version: tuple[int, int] = sys.version_info[:2]) -> Check:
    text = ".".join(str(part) for part in version)
    supported = ", ".join(f"{major}.{minor}" for major, minor in SUPPORTED_PYTHONS)
    return Check(
        "Python",
        tuple(version) in SUPPORTED_PYTHONS,
        f"{text} (the course has pinned packages for {supported})",
        "install Python 3.11 (conda: `conda env create -f environment.yml`; "
        "Debian/Ubuntu: `sudo apt install python3.11 python3.11-venv`) and set up again",
    )


def read_constraints(path: Path) -> dict[str, str]:
    """Pinned versions from a pip constraints file (``name==version`` lines)."""
    pins = {}
    for line in Path(path).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line and ";" not in line:
            name, version = line.split("==", 1)
            pins[canonicalize_name(name)] = version.strip()
    return pins


COURSE_EXTRAS = ("", "scale")  # vcfml's own requirements, and chapter 6's


def check_packages(constraints: Path | None = None) -> Check:
    """Every package vcfml needs is installed, satisfies vcfml's requirement and,
    when a constraints file is given, has exactly the course's pinned version."""
    fix = "run `make install` in the course folder (or `bash setup.sh` in a workshop pack)"
    try:
        requirements = [Requirement(text) for text in metadata.requires("vcfml") or []]
    except metadata.PackageNotFoundError:
        return Check("Packages", False, "vcfml itself is not installed", fix)
    pins = read_constraints(constraints) if constraints else {}
    problems, checked = [], 0
    for requirement in requirements:
        if requirement.marker and not any(
            requirement.marker.evaluate({"extra": extra}) for extra in COURSE_EXTRAS
        ):
            continue  # an extra the course does not need, such as azure
        checked += 1
        try:
            installed = metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            problems.append(f"{requirement.name} is missing")
            continue
        pinned = pins.get(canonicalize_name(requirement.name))
        if not requirement.specifier.contains(installed, prereleases=True):
            problems.append(f"{requirement.name} {installed} (needs {requirement.specifier})")
        elif pinned and installed != pinned:
            problems.append(f"{requirement.name} {installed} (the course pins {pinned})")
    if problems:
        return Check("Packages", False, "; ".join(problems), fix)
    where = f" at the versions pinned in {Path(constraints).name}" if constraints else ""
    return Check("Packages", True, f"{checked} packages vcfml needs are installed{where}")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_checksums(folder: Path) -> Path:
    """Write ``SHA256SUMS`` (the ``sha256sum`` format) for every data file in ``folder``."""
    folder = Path(folder)
    files = sorted(
        path
        for path in folder.rglob("*")
        if path.is_file() and path.name != CHECKSUMS and path.suffix not in {".yml", ".md"}
    )
    lines = [f"{file_sha256(path)}  {path.relative_to(folder).as_posix()}" for path in files]
    target = folder / CHECKSUMS
    target.write_text("\n".join(lines) + "\n")
    return target


def check_data(folder: Path) -> Check:
    """Each file listed in ``folder/SHA256SUMS`` exists and has that checksum."""
    folder = Path(folder)
    fix = (
        "run `make data` in the course folder to regenerate the files "
        "(in a workshop pack: unpack it again)"
    )
    listing = folder / CHECKSUMS
    if not listing.is_file():
        return Check("Data", False, f"{listing} is missing", fix)
    problems, count = [], 0
    for number, line in enumerate(listing.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        expected, _, name = line.partition("  ")
        if not name:
            problems.append(f"{listing}, line {number}: not 'checksum  file'")
            continue
        count += 1
        path = folder / name
        if not path.is_file():
            problems.append(f"{name} is missing")
        elif file_sha256(path) != expected:
            problems.append(f"{name} has changed (checksum differs)")
    if problems:
        return Check("Data", False, "; ".join(problems), fix)
    return Check("Data", True, f"{count} files in {folder} match {CHECKSUMS}")


def available_memory_gib() -> float:
    import psutil

    return psutil.virtual_memory().available / 2**30


def usable_cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def check_memory(available_gib: float | None = None) -> Check:
    available_gib = available_memory_gib() if available_gib is None else available_gib
    return Check(
        "Memory",
        available_gib >= MIN_AVAILABLE_GIB,
        f"{available_gib:.1f} GiB available (the course needs {MIN_AVAILABLE_GIB:g})",
        "close other programs, or use a VM with more memory (e.g. an Azure ML "
        "compute instance of size Standard_DS11_v2)",
    )


def check_cores(cores: int | None = None) -> Check:
    cores = usable_cores() if cores is None else cores
    return Check(
        "CPU cores",
        cores >= MIN_CORES,
        f"{cores} usable (the AutoML budgets are set for {MIN_CORES})",
        "AutoML will find fewer models in its budget: use a machine with 2 or more cores",
    )


def find_azure_config(start: Path) -> Path | None:
    """``config.json`` in ``start`` or a folder above it, as ``MLClient.from_config`` looks."""
    for folder in [start, *start.parents]:
        for candidate in (folder / AZURE_CONFIG, folder / ".azureml" / AZURE_CONFIG):
            if candidate.is_file():
                return candidate
    return None


def check_azure(config_path: Path, get_token: Callable[[], object] | None = None) -> Check:
    """The workspace file is complete, the SDK is installed and a login works."""
    fix_login = "run `az login` (on an Azure ML compute instance you are logged in already)"
    try:
        settings = json.loads(Path(config_path).read_text())
    except (OSError, json.JSONDecodeError) as error:
        return Check(
            "Azure",
            False,
            f"{config_path} is not readable JSON: {error}",
            "download config.json again from the workspace's overview page",
        )
    missing = [key for key in AZURE_CONFIG_KEYS if not settings.get(key)]
    if missing:
        return Check(
            "Azure",
            False,
            f"{config_path} lacks {', '.join(missing)}",
            "download config.json again from the workspace's overview page",
        )
    if get_token is None:
        try:
            from azure.identity import DefaultAzureCredential
        except ImportError:
            return Check(
                "Azure",
                False,
                "azure-identity is not installed",
                "install the extra in its own venv: `pip install -e '.[azure]'`",
            )

        def get_token() -> object:
            return DefaultAzureCredential().get_token("https://management.azure.com/.default")

    try:
        get_token()
    except Exception as error:  # the SDK raises many kinds; all mean "not logged in"
        return Check("Azure", False, f"no login: {type(error).__name__}: {error}", fix_login)
    return Check("Azure", True, f"logged in; workspace {settings['workspace_name']}")


def check_environment(
    data: str | Path = "data",
    constraints: str | Path | None = None,
    azure_config: str | Path | None = None,
) -> EnvironmentReport:
    """Run every check, print one line each, and return the report (true when all pass).

    ``constraints`` defaults to the course's pinned set for this Python,
    ``requirements/constraints-pyX.Y.txt`` beside the data folder, when there is one.
    ``azure_config`` defaults to a ``config.json`` found from the current folder
    upwards; without one the Azure check is skipped, because it is optional.
    """
    if constraints is None:
        pinned = (
            Path(data).resolve().parent
            / "requirements"
            / (f"constraints-py{sys.version_info[0]}.{sys.version_info[1]}.txt")
        )
        constraints = pinned if pinned.is_file() else None
    report = EnvironmentReport(
        [
            check_python(),
            check_packages(Path(constraints) if constraints else None),
            check_data(Path(data)),
            check_memory(),
            check_cores(),
        ]
    )
    config = Path(azure_config) if azure_config else find_azure_config(Path.cwd())
    if config is not None:
        report.checks.append(check_azure(config))
    for check in report.checks:
        print(check.line())
    if report.ok:
        print(f"{PASSED} Ready for the course.")
    else:
        print(f"{FAILED} Fix the lines marked {FAILED}, then check again.")
    return report
