"""Shared fixtures: small simulated cohorts, a VCF writer for hand-made cases,
and the bcftools reference that reader tests compare against."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from vcfml.simulate import simulate

ROOT = Path(__file__).resolve().parents[1]
BAD_INPUTS = Path(__file__).parent / "data" / "bad"

VCF_META = """##fileformat=VCFv4.3
##FILTER=<ID=PASS,Description="All filters passed">
##FILTER=<ID=q10,Description="Quality below 10">
##contig=<ID=chr1,length=100000>
##contig=<ID=chr2,length=100000>
##contig=<ID=chrX,length=100000>
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
"""


def vcf_text(samples: list[str], records: list[str]) -> str:
    """A small VCF with the given sample columns and records (tab-joined later)."""
    header = "\t".join(
        ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", *samples]
    )
    return VCF_META + header + "\n" + "".join(line.replace(" ", "\t") + "\n" for line in records)


def reference_tool(name: str, packages: str) -> str:
    """The path of a reference program the tests compare with (Debian packages that
    .ci/run installs); a clear failure, not a skip, where it is missing."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: run `apt-get install -y {packages}`")
    return path


@pytest.fixture(scope="session")
def bcftools() -> str:
    """The reference implementation of VCF reading."""
    return reference_tool("bcftools", "bcftools tabix")


def bcftools_query(bcftools: str, path: Path, fmt: str, *options: str) -> str:
    result = subprocess.run(
        [bcftools, "query", *options, "-f", fmt, str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def dosages_from_bcftools(bcftools: str, path: Path) -> np.ndarray:
    """An independent decoder: bcftools prints GT strings, this counts ALT alleles.

    One column per ALT allele, as the loader's policy says; missing -> -1 (and
    a call of more than two alleles, which plink2 reads as missing).
    """
    n_alts = [len(alts.split(",")) for alts in bcftools_query(bcftools, path, "%ALT\n").split()]
    rows = []
    lines = bcftools_query(bcftools, path, "[%GT\t]\n").splitlines()
    for line, n_alt in zip(lines, n_alts, strict=True):
        calls = line.rstrip("\t").split("\t")
        for allele in range(1, n_alt + 1):
            rows.append([_count(call, allele) for call in calls])
    return np.array(rows, dtype=np.int8).T


def _count(call: str, allele: int) -> int:
    alleles = call.replace("|", "/").split("/")
    if "." in alleles or len(alleles) > 2:  # polyploid calls are missing, as in plink2
        return -1
    return sum(int(a) == allele for a in alleles)


@pytest.fixture(scope="session")
def classic_dir(tmp_path_factory) -> Path:
    return simulate("classic", seed=11).write(tmp_path_factory.mktemp("classic"))


@pytest.fixture(scope="session")
def liability_dir(tmp_path_factory) -> Path:
    cohort = simulate("liability", seed=5, n_samples=300, n_sites=800, missing_rate=0.02)
    return cohort.write(tmp_path_factory.mktemp("liability"))


@pytest.fixture(scope="session")
def structured_dir(tmp_path_factory) -> Path:
    cohort = simulate(
        "liability",
        seed=9,
        n_samples=400,
        n_sites=300,
        n_populations=2,
        fst=0.2,
        population_prevalences=[0.1, 0.5],
    )
    return cohort.write(tmp_path_factory.mktemp("structured"))


def notebooks_nbval_runs(session: pytest.Session) -> set[Path]:
    """The notebooks whose cells this pytest run executes and compares (nbval)."""
    return {
        Path(str(item.fspath)).resolve()
        for item in session.items
        if type(item).__name__ == "IPyNbCell"
    }


def book_config_reusing_solution_outputs(folder: Path) -> Path:
    """The course's ``_config.yml`` with the solution notebooks left out of execution:
    their committed outputs are built into the pages as they are. Paths in it are made
    absolute, as Jupyter Book reads them relative to the config file."""
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    execute = config.setdefault("execute", {})
    execute["exclude_patterns"] = [*execute.get("exclude_patterns", []), "solutions/*"]
    sphinx = config.setdefault("sphinx", {})
    sphinx["local_extensions"] = {
        name: str(ROOT / path) for name, path in sphinx.get("local_extensions", {}).items()
    }
    html = config.setdefault("html", {})
    if html.get("favicon"):
        html["favicon"] = str(ROOT / html["favicon"])
    path = folder / "_config.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@pytest.fixture(scope="session")
def built_book(request, tmp_path_factory):
    """The default course site, built once for the book and browser tests.

    Every page is built and every MyST code cell executed. The solution notebooks are
    executed too, unless this same run checks each of them with nbval (`make test`:
    ``pytest tests solutions --nbval``): nbval then executes them afresh and fails
    on any output that differs from the committed one, so the build shows the
    committed outputs instead of executing every notebook a second time. `make book`
    always executes them (tests/test_book.py checks that its config says so).
    """
    import sys

    sys.path.insert(0, str(ROOT / "tools"))
    from build_book import build

    output = tmp_path_factory.mktemp("book")
    solutions = {path.resolve() for path in (ROOT / "solutions").glob("*.ipynb")}
    config = None
    if solutions and solutions <= notebooks_nbval_runs(request.session):
        config = book_config_reusing_solution_outputs(tmp_path_factory.mktemp("book-config"))
    result = build(output=output, config=config, echo=False)
    assert result.ok, "\n".join(result.problems)
    result.solutions_executed = config is None
    return result


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's Chromium, driven by Playwright. Installed by .ci/run."""
    import sys

    sys.path.insert(0, str(ROOT / "tools"))
    from check_site import find_chromium

    path = find_chromium()
    if path is None:
        pytest.fail("Chromium is not installed: run `apt-get install -y chromium`")
    return path


ARTIFACTS = ROOT / "_build" / "test-artifacts"


# Tests that take tens of seconds to minutes: AutoML searches, Dask and bio2zarr,
# executed notebooks, workshop packs, `make` sub-processes. They carry the `slow`
# marker, so `make test-fast` (pytest -m "not slow and not book") runs the rest of
# the library's tests in a couple of minutes; `make test` runs everything. Listed
# here, in one place, as test-file names or file::test names.
SLOW_TESTS = {
    "test_automl.py": "AutoML searches",
    "test_automl_cli.py": "AutoML runs through the CLI, MLflow",
    "test_ensemble.py": "AutoML searches and refits",
    "test_scale.py": "bio2zarr conversion, Dask screens and a local cluster",
    "test_exercises.py": "executes the exercise notebooks (unless nbval runs their solutions)",
    "test_workshop.py": "builds workshop packs and runs make",
    "test_publish.py::test_publish_builds_real_workshop_folders_without_leaks": "stages and packs",
    "test_azure.py::test_the_azure_sdk_reads_what_vcfml_writes": "imports the Azure SDK",
    "test_check_env.py::test_make_jupyter_kernel_registers_python_vcfml": "runs make",
    "test_evaluate_explain.py::test_importance_finds_the_classic_truth": "fits and permutes models",
    "test_plink2_vcf.py::test_the_pipeline_on_plink2s_vcf": "AutoML on HapMap 3 via the CLI",
    "test_nbval_numbers.py::test_nbval_with_the_plugin": "runs nbval on a notebook in a subprocess",
    "test_nbval_numbers.py::test_nbval_fails_on_a_perturbed_solution": "runs nbval on a solution",
    "test_outputs_whole.py::test_ctrl_c_in_to_zarr_leaves_nothing": "bio2zarr, interrupted",
    "test_outputs_whole.py::test_two_simulate_runs_on_one_out_one_wins_whole": "two simulations",
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        file_name = Path(str(item.fspath)).name
        # Notebook cells (nbval) have no originalname; their files are not listed.
        test = f"{file_name}::{getattr(item, 'originalname', item.name)}"
        if file_name in SLOW_TESTS or test in SLOW_TESTS:
            item.add_marker(pytest.mark.slow)


# `make test` runs on two processes (pytest-xdist, ``-n 2 --dist loadscope``). A unit
# of work goes to one process as a whole: a notebook's cells, which share one kernel
# in order, or a test file, whose tests share module-scoped fixtures. Two exceptions:
# SAME_PROCESS puts tests that share an expensive session fixture into one unit, and
# the files in ONE_TEST_PER_UNIT (no fixture worth sharing) are split test by test.
# The units known to take minutes (LONG_UNITS) are handed out first, then the others by
# their number of tests, so that no long unit starts last.
SAME_PROCESS = {
    # The built course site (built_book), built once.
    "tests/test_site_browser.py::test_default_site_works_in_a_browser": "tests/test_book.py",
    "tests/test_explain_view.py::test_built_explanation_page_hovers": "tests/test_book.py",
}
ONE_TEST_PER_UNIT = {"tests/test_exercises.py", "tests/test_workshop.py"}
LONG_UNITS = [
    "tests/test_site_browser.py",  # three workshop sites built, pages opened in Chromium
    "tests/test_book.py",  # the course site built, every page opened in Chromium
]


def work_unit(nodeid: str) -> str:
    """The unit of work a test belongs to (see SAME_PROCESS)."""
    path, _, test = nodeid.partition("::")
    if f"{path}::{test.split('[')[0]}" in SAME_PROCESS:
        return SAME_PROCESS[f"{path}::{test.split('[')[0]}"]
    if path in ONE_TEST_PER_UNIT:
        return nodeid
    return path


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist, when it is installed
def pytest_xdist_make_scheduler(config, log):
    """Scheduling by work_unit(), longest unit first, for ``--dist loadscope``."""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class CourseScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

        def _assign_work_unit(self, node) -> None:
            long = [unit for unit in LONG_UNITS if unit in self.workqueue]
            scope = long[0] if long else max(self.workqueue, key=lambda u: len(self.workqueue[u]))
            self.workqueue.move_to_end(scope, last=False)
            super()._assign_work_unit(node)

    return CourseScheduling(config, log)
