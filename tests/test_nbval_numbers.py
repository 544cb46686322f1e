"""nbval compares decimal numbers to a relative 1e-4 (tests/nbval_numbers.py): rounding
noise from another CPU passes, a real change of a shown number still fails."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbval_numbers import DECIMAL, RELATIVE_TOLERANCE, same_within_tolerance

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("reference", "test"),
    [
        ("p = 3.031725e-60", "p = 3.031726e-60"),  # last digit of seven: noise
        ("<td>14.903106</td>", "<td>14.903107</td>"),
        ("beta 0.250000, se 0.1", "beta 0.250001, se 0.1"),
        ("no numbers at all", "no numbers at all"),
    ],
)
def test_rounding_noise_passes(reference, test):
    assert same_within_tolerance(reference, test)


@pytest.mark.parametrize(
    ("reference", "test"),
    [
        ("p = 3.031725e-60", "p = 3.036208e-60"),  # the AMD run's difference: 1.5e-3
        ("AUC 0.812", "AUC 0.813"),  # a shown digit changed
        ("AUC 0.812", "AUC -0.812"),
        ("1007 of 2000 sites", "1008 of 2000 sites"),  # whole numbers are exact
        ("rs12 is causal", "rs13 is causal"),
        ("AUC 0.812 on CEU", "AUC 0.812 on YRI"),
        ("0.5 0.5", "0.5"),
        ("6 of 1885 sites did not converge", "6 of 1886 sites did not converge"),
        ("6 of 1885 sites did not converge", "7 of 1885 sites did not converge"),  # a verdict
    ],
)
def test_a_real_change_fails(reference, test):
    assert not same_within_tolerance(reference, test)


def test_the_tolerance_is_relative():
    assert RELATIVE_TOLERANCE == 1e-4
    assert same_within_tolerance("1.00000e-300", "1.00005e-300")
    assert not same_within_tolerance("1.0000e-300", "1.0002e-300")
    assert DECIMAL.findall("x=1e-5, n=12, y=.5 z=2.") == ["1e-5", ".5", "2."]


def run_nbval(notebook: Path) -> subprocess.CompletedProcess:
    """pytest --nbval on one notebook in a fresh process, with this plugin loaded as
    the root conftest.py loads it for the repository's own runs."""
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(notebook),
            "--nbval",
            "--nbval-current-env",
            "-p",
            "tests.nbval_numbers",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "-q",
            "--rootdir",
            str(notebook.parent),
            "-c",
            os.devnull,
        ],
        cwd=notebook.parent,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


def notebook_printing(value: str, shown: str) -> nbformat.NotebookNode:
    """A one-cell notebook that prints ``value``, committed as having printed ``shown``."""
    cell = nbformat.v4.new_code_cell(f"print({value!r})", execution_count=1)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=shown + "\n")]
    return nbformat.v4.new_notebook(cells=[cell])


@pytest.mark.parametrize(
    ("printed", "committed", "passes"),
    [
        ("p = 3.031150e-60", "p = 3.031150e-60", True),
        ("p = 3.031150e-60", "p = 3.031151e-60", True),
        ("p = 3.031150e-60", "p = 3.036208e-60", False),
        ("AUC 0.812 on 200 people", "AUC 0.812 on 201 people", False),
    ],
)
def test_nbval_with_the_plugin(tmp_path, printed, committed, passes):
    notebook = tmp_path / "numbers.ipynb"
    nbformat.write(notebook_printing(printed, committed), notebook)
    result = run_nbval(notebook)
    assert (result.returncode == 0) == passes, result.stdout[-2000:]


def test_nbval_fails_on_a_perturbed_solution(tmp_path):
    """A course notebook whose committed output has one shown number changed by 1%
    fails nbval on that cell, and only there."""
    source = ROOT / "solutions" / "01_frequencies_and_missingness.ipynb"
    notebook = nbformat.read(source, as_version=4)
    perturbed = None
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            text = output.get("text") or output.get("data", {}).get("text/plain", "")
            number = DECIMAL.search(text)
            if cell.cell_type == "code" and number and float(number.group()) != 0:
                changed = f"{float(number.group()) * 1.01:.6g}"
                new_text = text[: number.start()] + changed + text[number.end() :]
                if "text" in output:
                    output["text"] = new_text
                else:
                    output["data"]["text/plain"] = new_text
                perturbed = index
                break
        if perturbed is not None:
            break
    assert perturbed is not None, "no decimal number in the notebook's outputs"
    (tmp_path / "solutions").mkdir()
    (tmp_path / "data").symlink_to(ROOT / "data")
    copy = tmp_path / "solutions" / source.name
    nbformat.write(notebook, copy)
    result = run_nbval(copy)
    assert result.returncode != 0
    code_cells = [i for i, c in enumerate(notebook.cells) if c.cell_type == "code"]
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 1, result.stdout[-3000:]
    assert f"Cell {code_cells.index(perturbed)}" in failed[0] or f"Cell {perturbed}" in failed[0]
