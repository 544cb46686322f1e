"""Generate exercise notebooks from solution notebooks.

Solutions are the single source of truth (as in the scikit-learn MOOC). An
exercise is its solution with the answers taken out, following two markers:

* a cell tagged ``solution`` is removed from the exercise (use it for prose
  or code that only explains the answer; nothing later may depend on it);
* in a code cell, the lines between ``# BEGIN SOLUTION`` and ``# END SOLUTION``
  are replaced by a stub that raises ``NotImplementedError`` with a fixed,
  neutral message that only points at the task::

      # BEGIN SOLUTION
      alleles = gt.replace("|", "/").split("/")
      # END SOLUTION

  becomes::

      # TODO: Exercise 1.1 (a): write your code here; see the task above.
      raise NotImplementedError("Exercise 1.1 (a): write your code here; see the task above.")

  The regions of a notebook are lettered (a), (b), ... in order, so the
  notebook's markdown can name its tasks the same way.

Hints never go into the stub (a learner who runs the cell would read the method
before trying). They live in the markdown as collapsible blocks (a MyST
``{admonition}`` with ``:class: dropdown``, or HTML ``<details>``): hint 1 a
nudge, hint 2 the method. Text after ``# BEGIN SOLUTION`` on the same line is a
note for authors; in a notebook whose markdown has no collapsible hint, it
becomes one, in a markdown cell placed above the stubbed cell.

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
SOLUTION_TITLE = re.compile(r"^# (?:📃 )?Solution for (Exercise .*)$", re.MULTILINE)
EXERCISE_NUMBER = re.compile(r"^# (?:📃 )?Solution for (Exercise [^:]+)", re.MULTILINE)
COLLAPSIBLE = re.compile(r":class:\s*dropdown|<details", re.IGNORECASE)
HINT_CELL = "```{{admonition}} Hint\n:class: dropdown\n{hint}\n```"


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
    title = next(
        (m.group(1) for c in solution.cells if (m := EXERCISE_NUMBER.search(c.source))),
        "Exercise",
    )
    authored_hints = any(
        cell.cell_type == "markdown" and COLLAPSIBLE.search(cell.source) for cell in solution.cells
    )
    cells = []
    regions = 0
    for cell in exercise.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if SOLUTION_TAG in tags:
            continue
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)
            notes = region_notes(cell.source)
            source, count = replace_solution_regions(
                cell.source, f"{name} cell {cell.get('id')}", title=title, first=regions
            )
            regions += count
            cell.source = source
            if count:
                cell.metadata["tags"] = [*tags, STUB_TAG]
                if notes and not authored_hints:
                    hint = "\n\n".join(notes)
                    cells.append(
                        nbformat.v4.new_markdown_cell(
                            HINT_CELL.format(hint=hint), id=f"{cell.get('id')}-hint"
                        )
                    )
        elif cell.cell_type == "markdown":
            cell.source = SOLUTION_TITLE.sub(r"# 📝 \1", cell.source, count=1)
        cells.append(cell)
    exercise.cells = cells
    return exercise


def stub_message(title: str, index: int) -> str:
    """The fixed message of the stub for the ``index``-th region (0-based)."""
    return f"{title} ({chr(ord('a') + index)}): write your code here; see the task above."


def region_notes(source: str) -> list[str]:
    """The authors' notes after ``# BEGIN SOLUTION`` in a cell, in order."""
    notes = []
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith(BEGIN) and (note := stripped[len(BEGIN) :].strip(" :")):
            notes.append(note)
    return notes


def replace_solution_regions(
    source: str, where: str = "cell", *, title: str = "Exercise", first: int = 0
) -> tuple[str, int]:
    """Replace every BEGIN/END SOLUTION region of a code cell by a stub.

    Returns the new source and the number of regions replaced; ``first`` is
    the number of regions earlier cells of the notebook had (for the letters).
    """
    output: list[str] = []
    inside = False
    count = 0
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith(BEGIN):
            if inside:
                raise MarkerError(f"{where}: '{BEGIN}' inside another solution region")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            message = stub_message(title, first + count)
            count += 1
            output.append(f"{indent}# TODO: {message}")
            output.append(f"{indent}raise NotImplementedError({message!r})")
        elif stripped.startswith(END):
            if not inside:
                raise MarkerError(f"{where}: '{END}' without '{BEGIN}'")
            inside = False
        elif not inside:
            output.append(line)
    if inside:
        raise MarkerError(f"{where}: '{BEGIN}' without '{END}'")
    return "\n".join(output), count


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
