"""Solutions are the single source; exercises are generated from them.

These tests fail when an exercise is stale, orphaned or shows solution code,
and they run every exercise the way a learner would: each cell must run,
except stubs, which may only raise NotImplementedError. After a stub, the
solution's version of that cell runs so the rest of the notebook is tested
with real values. Where nbval runs the solution in the same pytest run (`make
test`) and the exercise would execute exactly the solution's code, that run
stands for this one and only the stubs are checked (see
test_exercise_runs_except_its_stubs).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

sys.path.insert(0, str(ROOT / "tools"))
import exercises as generator

SOLUTIONS = generator.solution_notebooks()
SOLUTION_IDS = [path.stem for path in SOLUTIONS]


def test_there_are_solutions():
    assert SOLUTIONS, "no solution notebooks found in solutions/"


def test_every_solution_has_an_exercise_and_back():
    solutions = {path.name for path in SOLUTIONS}
    exercises = {path.name for path in (ROOT / "exercises").glob("*.ipynb")}
    assert solutions - exercises == set(), "solutions without exercise: run `make exercises`"
    assert exercises - solutions == set(), "exercises without solution twin in solutions/"


def test_exercises_are_up_to_date():
    problems = generator.generate(check_only=True)
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("solution", SOLUTIONS, ids=SOLUTION_IDS)
def test_exercise_hides_solution_code(solution):
    notebook = nbformat.read(solution, as_version=4)
    exercise_text = generator.exercise_path(solution).read_text()
    exercise = nbformat.reads(exercise_text, as_version=4)
    assert generator.BEGIN not in exercise_text and generator.END not in exercise_text
    for cell in exercise.cells:
        assert generator.SOLUTION_TAG not in cell.metadata.get("tags", [])
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    exercise_code = "\n".join(c.source for c in exercise.cells if c.cell_type == "code")
    hidden = [
        line
        for c in notebook.cells
        if c.cell_type == "code"
        for line in generator.solution_lines(c.source)
    ]
    assert hidden, f"{solution.name} has no solution region: nothing for the learner to do"
    leaked = [line for line in hidden if line in exercise_code]
    assert leaked == [], f"solution code visible in the exercise: {leaked}"
    stubs = [c for c in exercise.cells if generator.STUB_TAG in c.metadata.get("tags", [])]
    assert stubs and all("raise NotImplementedError(" in c.source for c in stubs)


def is_stub(cell: nbformat.NotebookNode) -> bool:
    return generator.STUB_TAG in cell.metadata.get("tags", [])


def nbval_runs_every_cell(cell: nbformat.NotebookNode) -> bool:
    """Whether nbval executes this cell and fails on an error in it (no skip or
    raises-exception marker, as a tag or a comment)."""
    from nbval.plugin import find_comment_markers, find_metadata_tags

    markers = [*find_metadata_tags(cell.metadata), *find_comment_markers(cell.source)]
    return not any(kind in ("skip", "check_exception") and on for kind, on in markers)


def cells_nbval_runs(session: pytest.Session, notebook: Path) -> int:
    """How many of the notebook's cells this pytest run executes with nbval."""
    return sum(
        1
        for item in session.items
        if type(item).__name__ == "IPyNbCell" and Path(str(item.fspath)).resolve() == notebook
    )


def committed_files(folder: str) -> dict[str, str] | None:
    """The files git tracks in ``folder`` other than notebooks, with their blob ids;
    None where git cannot tell (no repository)."""
    result = subprocess.run(
        ["git", "ls-files", "-s", "--", folder], cwd=ROOT, capture_output=True, text=True
    )
    if result.returncode != 0:
        return None
    files = {}
    for line in result.stdout.splitlines():
        info, path = line.split("\t", 1)
        if not path.endswith(".ipynb"):
            files[path.removeprefix(f"{folder}/")] = info.split()[1]
    return files


def runs_exactly_the_solution(
    exercise: nbformat.NotebookNode, solution: nbformat.NotebookNode, solution_name: str
) -> bool:
    """Whether running the exercise as a learner would, each stub followed by its
    solution cell, executes the solution's code cells in order, in a folder with the
    same committed files, and its stubs are the generator's. The nbval run of the
    solution then executes the same code: only the stubs remain to be checked."""
    solution_cells = {cell.id: cell for cell in solution.cells}
    executed = [
        solution_cells[cell.id].source if is_stub(cell) else cell.source
        for cell in exercise.cells
        if cell.cell_type == "code"
    ]
    solution_code = [cell for cell in solution.cells if cell.cell_type == "code"]
    generated = generator.make_exercise(solution, solution_name)
    files = committed_files("solutions")
    return (
        executed == [cell.source for cell in solution_code]
        and all(nbval_runs_every_cell(cell) for cell in solution_code)
        and [c.source for c in generated.cells if c.cell_type == "code"]
        == [c.source for c in exercise.cells if c.cell_type == "code"]
        and files is not None
        and files == committed_files("exercises")
    )


@pytest.mark.parametrize("solution", SOLUTIONS, ids=SOLUTION_IDS)
def test_exercise_runs_except_its_stubs(solution, request):
    """Each cell of the exercise runs; a stub may only raise NotImplementedError.

    In `make test` (``pytest tests solutions --nbval``) nbval executes every cell of
    the solution in this same run and fails on any error. When the exercise, run
    with each stub followed by its solution cell, executes exactly the solution's
    code (checked here), executing it again would repeat that run, so only the
    stubs are checked: each compiles, and up to its ``raise NotImplementedError`` it
    is the solution cell, which ran. Not repeated then: a stub's first lines running
    once more before its solution cell (today they only assign and define).
    Otherwise, or when nbval does not run the whole solution, the exercise is
    executed here cell by cell.
    """
    exercise = nbformat.read(generator.exercise_path(solution), as_version=4)
    solution_notebook = nbformat.read(solution, as_version=4)
    code_cells = sum(1 for cell in solution_notebook.cells if cell.cell_type == "code")
    if cells_nbval_runs(request.session, solution.resolve()) == code_cells and (
        runs_exactly_the_solution(exercise, solution_notebook, solution.name)
    ):
        stubs = [cell for cell in exercise.cells if is_stub(cell)]
        assert stubs, f"{solution.name}: no stub for the learner to fill in"
        for cell in stubs:
            assert "raise NotImplementedError(" in cell.source
            compile(cell.source, f"{solution.name} cell {cell.id}", "exec")
        return
    solution_cells = {cell.id: cell for cell in solution_notebook.cells}
    client = NotebookClient(
        exercise,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(ROOT / "exercises")}},
    )
    with client.setup_kernel():
        for index, cell in enumerate(exercise.cells):
            if cell.cell_type != "code":
                continue
            stub = is_stub(cell)
            try:
                client.execute_cell(cell, index)
            except CellExecutionError as error:
                assert stub, f"{solution.name} cell {cell.id} failed: {error.ename}: {error.evalue}"
                assert error.ename == "NotImplementedError", (
                    f"stub cell {cell.id} raised {error.ename}, not NotImplementedError"
                )
            if stub:
                client.execute_cell(solution_cells[cell.id].copy(), index)


PREDICT = re.compile(r"\*\*Predict first\*\*|Predict, then run")


@pytest.mark.parametrize("solution", SOLUTIONS, ids=SOLUTION_IDS)
def test_every_exercise_asks_for_two_decisions_and_a_prediction(solution):
    notebook = nbformat.read(solution, as_version=4)
    regions = sum(
        cell.source.count(generator.BEGIN) for cell in notebook.cells if cell.cell_type == "code"
    )
    predictions = sum(
        len(PREDICT.findall(cell.source)) for cell in notebook.cells if cell.cell_type == "markdown"
    )
    assert regions >= 2, f"{solution.name}: {regions} place(s) where the learner writes code"
    assert predictions >= 1, f"{solution.name}: no 'Predict first' question"


STATED_TIME = re.compile(r"\*Time: about (\d+) minutes\.\*")
# Minutes per place the learner writes code. A chapter exercise's blank follows a task
# that names the calls (5 minutes); the capstone's blanks are whole steps (read and
# summarize a cohort, predict new people, choose candidates) that the learner assembles
# from chapters 1-5 with only the cheatsheet, and its AutoML run takes the workshop's
# budget: 10 minutes each.
MINUTES_PER_BLANK = {"08_capstone": 10}


def expected_minutes(notebook: nbformat.NotebookNode, per_blank: int = 5) -> int:
    """What a notebook asks, in minutes: 1 per cell read, ``per_blank`` (5) per place
    the learner writes code, 3 per prediction."""
    regions = sum(c.source.count(generator.BEGIN) for c in notebook.cells if c.cell_type == "code")
    predictions = sum(
        len(PREDICT.findall(c.source)) for c in notebook.cells if c.cell_type == "markdown"
    )
    read = sum(
        1
        for c in notebook.cells
        if generator.SOLUTION_TAG not in c.metadata.get("tags", [])
        and not (c.cell_type == "code" and generator.BEGIN in c.source)
    )
    return read + per_blank * regions + 3 * predictions


@pytest.mark.parametrize("solution", SOLUTIONS, ids=SOLUTION_IDS)
def test_time_estimate_matches_what_the_exercise_asks(solution):
    notebook = nbformat.read(solution, as_version=4)
    stated = STATED_TIME.search(notebook.cells[0].source)
    assert stated, f"{solution.name}: no '*Time: about N minutes.*' in the first cell"
    expected = expected_minutes(notebook, MINUTES_PER_BLANK.get(solution.stem, 5))
    assert abs(int(stated.group(1)) - expected) <= 5, (
        f"{solution.name} says {stated.group(1)} minutes; its cells, blanks and predictions "
        f"add up to about {expected}"
    )


def test_generation_rules():
    source = "x = 1\n    # BEGIN SOLUTION Use the count method.\n    y = x + 1\n    # END SOLUTION\nprint(y)"
    stubbed, count = generator.replace_solution_regions(source, title="Exercise 9.9", first=1)
    assert count == 1
    message = "Exercise 9.9 (b): write your code here; see the task above."
    assert stubbed == (
        f"x = 1\n    # TODO: {message}\n    raise NotImplementedError({message!r})\nprint(y)"
    )
    with pytest.raises(generator.MarkerError, match="without"):
        generator.replace_solution_regions("# BEGIN SOLUTION\nx = 1")
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# 📃 Solution for Exercise 9.9: title", id="t"),
            nbformat.v4.new_markdown_cell(
                "The answer is 42.", id="a", metadata={"tags": ["solution"]}
            ),
            nbformat.v4.new_code_cell("answer = 6 * 7", id="c"),
        ]
    )
    exercise = generator.make_exercise(notebook)
    assert [cell.id for cell in exercise.cells] == ["t", "c"]
    assert exercise.cells[0].source == "# 📝 Exercise 9.9: title"


def hinted_notebook(authored_hint: bool) -> nbformat.NotebookNode:
    task = "Compute the answer."
    if authored_hint:
        task += "\n\n```{admonition} Hint 1\n:class: dropdown\nMultiply.\n```"
    return nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# 📃 Solution for Exercise 9.9: title", id="t"),
            nbformat.v4.new_markdown_cell(task, id="task"),
            nbformat.v4.new_code_cell(
                "# BEGIN SOLUTION Multiply six by seven.\nanswer = 6 * 7\n# END SOLUTION", id="c"
            ),
        ]
    )


def test_a_marker_note_becomes_a_collapsible_hint_never_the_stub_message():
    exercise = generator.make_exercise(hinted_notebook(authored_hint=False))
    assert [cell.id for cell in exercise.cells] == ["t", "task", "c-hint", "c"]
    hint, stub = exercise.cells[2], exercise.cells[3]
    assert hint.cell_type == "markdown" and ":class: dropdown" in hint.source
    assert "Multiply six by seven." in hint.source
    assert "Multiply" not in stub.source and "6 * 7" not in stub.source
    # A notebook that writes its hints in markdown gets no second copy.
    authored = generator.make_exercise(hinted_notebook(authored_hint=True))
    assert [cell.id for cell in authored.cells] == ["t", "task", "c"]


def stub_messages(source: str) -> list[str]:
    return re.findall(r"raise NotImplementedError\((['\"])(.*?)\1\)", source)


@pytest.mark.parametrize("solution", SOLUTIONS, ids=SOLUTION_IDS)
def test_stub_messages_point_at_the_task_and_give_nothing_away(solution):
    """A stub's message is the fixed pointer, never a hint or solution text."""
    notebook = nbformat.read(solution, as_version=4)
    exercise = nbformat.read(generator.exercise_path(solution), as_version=4)
    title = generator.EXERCISE_NUMBER.search(notebook.cells[0].source).group(1)
    stubs = [c for c in exercise.cells if generator.STUB_TAG in c.metadata.get("tags", [])]
    messages = [message for cell in stubs for _, message in stub_messages(cell.source)]
    assert messages == [generator.stub_message(title, i) for i in range(len(messages))]
    secret = [
        text
        for cell in notebook.cells
        if cell.cell_type == "code"
        for text in generator.solution_lines(cell.source) + generator.region_notes(cell.source)
    ]
    stub_code = "\n".join(cell.source for cell in stubs)
    for text in secret:
        assert text not in stub_code, f"{solution.name}: a stub shows {text!r}"
    hints = [c for c in exercise.cells if c.cell_type == "markdown"]
    assert any(generator.COLLAPSIBLE.search(c.source) for c in hints), (
        f"{solution.name}: no collapsible hint in the exercise's markdown"
    )


def test_stale_exercise_is_reported_with_the_fix(tmp_path, monkeypatch):
    solutions, exercises = tmp_path / "solutions", tmp_path / "exercises"
    solutions.mkdir()
    exercises.mkdir()
    source = nbformat.read(SOLUTIONS[0], as_version=4)
    nbformat.write(source, solutions / "one.ipynb")
    monkeypatch.setattr(generator, "ROOT", tmp_path)
    monkeypatch.setattr(generator, "SOLUTIONS", solutions)
    monkeypatch.setattr(generator, "EXERCISES", exercises)
    generator.generate()
    assert generator.generate(check_only=True) == []
    # Edit the solution's task text without regenerating.
    source.cells[0].source += "\n\nA new sentence."
    nbformat.write(source, solutions / "one.ipynb")
    nbformat.write(source, solutions / "two.ipynb")
    (exercises / "orphan.ipynb").write_text((exercises / "one.ipynb").read_text())
    problems = generator.generate(check_only=True)
    assert any(
        "exercises/one.ipynb is out of date" in p and "run `make exercises`" in p for p in problems
    )
    assert any("exercises/two.ipynb is out of date" in p for p in problems)
    assert any("orphan.ipynb has no solution twin" in p for p in problems)
