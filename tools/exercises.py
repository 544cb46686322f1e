"""Generate exercise notebooks from solution notebooks.

Solutions are the single source of truth (as in the scikit-learn MOOC). An
exercise is its solution with the answers taken out, following two markers:

* a cell tagged ``solution`` is removed from the exercise (use it for prose
  or code that only explains the answer; nothing later may depend on it);
* in a code cell, the lines between ``# BEGIN SOLUTION`` and ``# END SOLUTION``
  are replaced by a stub that raises ``NotImplementedError``. Text after
  ``# BEGIN SOLUTION`` on the same line is the hint the stub shows::

      # BEGIN SOLUTION Split the GT string on '/' or '|'.
      alleles = gt.replace("|", "/").split("/")
      # END SOLUTION

  becomes::

      # TODO: Split the GT string on '/' or '|'.
      raise NotImplementedError("Split the GT string on '/' or '|'.")

The first heading ``# 📃 Solution for Exercise N.M: title`` becomes
``# 📝 Exercise N.M: title``. Outputs and execution counts are cleared and cell
ids are kept, so regenerated exercises diff cleanly and each exercise cell can
be matched with its solution cell.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"
SOLUTION_TAG = "solution"
STUB_TAG = "exercise-stub"
BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
DEFAULT_HINT = "Write your solution here."
SOLUTION_TITLE = re.compile(r"^# (?:📃 )?Solution for (Exercise .*)$", re.MULTILINE)


class MarkerError(ValueError):
    """A solution notebook's markers do not pair up."""


def exercise_path(solution: Path) -> Path:
    return EXERCISES / solution.name


def solution_notebooks() -> list[Path]:
    return sorted(SOLUTIONS.glob("*.ipynb"))


def make_exercise(solution: nbformat.NotebookNode, name: str = "notebook") -> nbformat.NotebookNode:
    """The exercise version of a solution notebook (the input is not changed)."""
    exercise = copy.deepcopy(solution)
    exercise.metadata["language_info"] = {"name": "python"}
    cells = []
    for cell in exercise.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if SOLUTION_TAG in tags:
            continue
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)
            source, stubbed = replace_solution_regions(cell.source, f"{name} cell {cell.get('id')}")
            cell.source = source
            if stubbed:
                cell.metadata["tags"] = [*tags, STUB_TAG]
        elif cell.cell_type == "markdown":
            cell.source = SOLUTION_TITLE.sub(r"# 📝 \1", cell.source, count=1)
        cells.append(cell)
    exercise.cells = cells
    return exercise


def replace_solution_regions(source: str, where: str = "cell") -> tuple[str, bool]:
    """Replace every BEGIN/END SOLUTION region of a code cell by a stub."""
    output: list[str] = []
    inside = False
    stubbed = False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith(BEGIN):
            if inside:
                raise MarkerError(f"{where}: '{BEGIN}' inside another solution region")
            inside = True
            stubbed = True
            indent = line[: len(line) - len(line.lstrip())]
            hint = stripped[len(BEGIN) :].strip(" :") or DEFAULT_HINT
            output.append(f"{indent}# TODO: {hint}")
            output.append(f"{indent}raise NotImplementedError({hint!r})")
        elif stripped.startswith(END):
            if not inside:
                raise MarkerError(f"{where}: '{END}' without '{BEGIN}'")
            inside = False
        elif not inside:
            output.append(line)
    if inside:
        raise MarkerError(f"{where}: '{BEGIN}' without '{END}'")
    return "\n".join(output), stubbed


def solution_lines(source: str) -> list[str]:
    """The code lines inside solution regions (what an exercise must not show).

    Comments and lines of pure punctuation (a closing ``])``) are left out: they
    give nothing away and appear in any code.
    """
    lines, inside = [], False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith(BEGIN):
            inside = True
        elif stripped.startswith(END):
            inside = False
        elif inside and any(c.isalnum() for c in stripped) and not stripped.startswith("#"):
            lines.append(stripped)
    return lines


def render(notebook: nbformat.NotebookNode) -> str:
    """The exact text a notebook is saved as (so files can be compared)."""
    return nbformat.writes(notebook) + "\n"


def generate(check_only: bool = False) -> list[str]:
    """Write every exercise; with ``check_only``, only report stale ones."""
    problems = []
    for solution in solution_notebooks():
        expected = render(make_exercise(nbformat.read(solution, as_version=4), solution.name))
        target = exercise_path(solution)
        current = target.read_text() if target.exists() else None
        if current == expected:
            continue
        if check_only:
            problems.append(
                f"{target.relative_to(ROOT)} is out of date with "
                f"{solution.relative_to(ROOT)}: run `make exercises`"
            )
        else:
            target.parent.mkdir(exist_ok=True)
            target.write_text(expected)
            problems.append(f"wrote {target.relative_to(ROOT)}")
    solution_names = {path.name for path in solution_notebooks()}
    for orphan in sorted(EXERCISES.glob("*.ipynb")):
        if orphan.name not in solution_names:
            problems.append(
                f"{orphan.relative_to(ROOT)} has no solution twin in solutions/: "
                "delete it or add the solution, then run `make exercises`"
            )
    return problems
