"""The one GitHub Pages deployment (tools/publish.py), checked without GitHub or `act`.

The workflow (.github/workflows/pages.yml) only runs ``make publish`` and uploads
``_build/pages``; everything that decides what is served is here: which workshops
are published, where, and that no address of a workshop serves a solution it holds
back, whatever the course at the root holds.
"""

from __future__ import annotations

import json
import shutil
import sys
import zipfile

import nbformat
import pytest
import yaml
from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import publish
from publish import PREFIX, PublishError, assemble, make_plan, read_settings, verify

EXAMPLE = ROOT / "workshops" / "example.yml"
SOLUTIONS = ROOT / "solutions"


def workshop_file(folder, name, **changes):
    config = yaml.safe_load(EXAMPLE.read_text())
    config.update(changes)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(yaml.safe_dump(config))
    return path


def settings(tmp_path, root):
    path = tmp_path / "publish.yml"
    path.write_text(f"root: {root}\n")
    return path


def a_solution_line():
    """A line of solution code the exercise does not show (what a leak looks like)."""
    from exercises import solution_lines

    notebook = nbformat.read(SOLUTIONS / "04_run_and_evaluate.ipynb", as_version=4)
    exercise = (ROOT / "exercises" / "04_run_and_evaluate.ipynb").read_text()
    return next(
        line
        for cell in notebook.cells
        for line in solution_lines(cell.source)
        if len(line) > 20 and line not in exercise
    )


def fake_site(folder, pages, extra=None):
    """A built site as jupyter-book leaves it: pages, sources, a search index."""
    folder.mkdir(parents=True, exist_ok=True)
    for page in pages:
        (folder / f"{page}.html").parent.mkdir(parents=True, exist_ok=True)
        (folder / f"{page}.html").write_text(f"<html><body>{page}</body></html>")
    (folder / "index.html").write_text("<html>index</html>")
    (folder / "searchindex.js").write_text(f"Search.setIndex({json.dumps({'docnames': pages})})")
    for relative, text in (extra or {}).items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_text(text)
    return folder


def test_only_workshops_with_publish_true_are_published(tmp_path):
    folder = tmp_path / "workshops"
    workshop_file(folder, "live.yml", publish=True)
    workshop_file(folder / "2027", "spring.yaml", publish=True, solutions_released=True)
    workshop_file(folder, "draft.yml")  # publish defaults to false
    plan = make_plan(settings(tmp_path, "course"), folder)
    assert plan.root == "course"
    assert sorted(plan.workshops) == ["live", "spring"]
    text = "\n".join(plan.describe())
    assert "/ : the full course, solutions included" in text
    assert "/workshops/live/ : " in text and "(solutions not released)" in text
    assert "/workshops/spring/ : " in text and "(solutions released)" in text


def test_a_bad_or_duplicate_workshop_file_stops_the_publication(tmp_path):
    folder = tmp_path / "workshops"
    workshop_file(folder, "live.yml", publish=True)
    workshop_file(folder, "live.yaml", title="Same name")
    with pytest.raises(PublishError, match="the workshop name 'live' is also the name of"):
        make_plan(settings(tmp_path, "course"), folder)
    (folder / "live.yaml").unlink()
    workshop_file(folder, "typo.yml", automl_budget=True)
    with pytest.raises(PublishError, match=r"typo\.yml: key 'automl_budget'"):
        make_plan(settings(tmp_path, "course"), folder)


def test_settings_say_what_the_root_serves(tmp_path):
    assert read_settings(tmp_path / "absent.yml") == "course"
    assert read_settings(settings(tmp_path, "index")) == "index"
    with pytest.raises(PublishError, match="key 'root' must be one of course, index"):
        read_settings(settings(tmp_path, "everything"))
    bad = tmp_path / "bad.yml"
    bad.write_text("root: course\nsolutions: false\n")
    with pytest.raises(PublishError, match="unknown key 'solutions'"):
        read_settings(bad)
    assert read_settings(publish.SETTINGS) in publish.ROOTS  # the committed file


def plan_with_one_workshop(tmp_path, root, **changes):
    folder = tmp_path / "workshops"
    workshop_file(folder, "live.yml", publish=True, **changes)
    return make_plan(settings(tmp_path, root), folder)


def test_the_artifact_serves_no_solution_under_a_workshop_address(tmp_path):
    plan = plan_with_one_workshop(tmp_path, "course")
    course = fake_site(
        tmp_path / "course",
        ["book/intro", "exercises/04_run_and_evaluate", "solutions/04_run_and_evaluate"],
    )
    clean = fake_site(tmp_path / "live", ["book/intro", "exercises/04_run_and_evaluate"])
    target = tmp_path / "pages"
    assemble(plan, course, {"live": clean}, target)
    assert verify(plan, target, SOLUTIONS) == []
    # The course at the root holds its solutions (root: course); the workshop's path none.
    assert (target / "solutions" / "04_run_and_evaluate.html").exists()
    served = [p for p in (target / PREFIX / "live").rglob("*") if p.is_file()]
    assert served and not [p for p in served if "solutions" in p.parts]
    assert (target / ".nojekyll").exists()
    # An earlier artifact is emptied, not merged into.
    (target / PREFIX / "live" / "stale.html").write_text("x")
    assemble(plan, course, {"live": clean}, target)
    assert not (target / PREFIX / "live" / "stale.html").exists()


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("page", "solution file served: solutions/04_run_and_evaluate.html"),
        ("source", "solution file served: _sources/solutions/04_run_and_evaluate.ipynb"),
        ("index", "search index lists the solution page solutions/04_run_and_evaluate"),
        ("pack", "live-pack.zip holds solutions: live/solutions/04_run_and_evaluate.ipynb"),
        ("code", "solution code in book/intro.html"),
    ],
)
def test_every_kind_of_leak_under_a_workshop_address_fails(tmp_path, kind, message):
    plan = plan_with_one_workshop(tmp_path, "course")
    pages = ["book/intro"]
    extra = {}
    if kind == "page":
        extra["solutions/04_run_and_evaluate.html"] = "<p>answer</p>"
    elif kind == "source":
        extra["_sources/solutions/04_run_and_evaluate.ipynb"] = "{}"
    elif kind == "index":
        pages.append("solutions/04_run_and_evaluate")
    elif kind == "code":
        extra["book/intro.html"] = f"<pre>{a_solution_line()}</pre>"
    leaky = fake_site(tmp_path / "live", pages, extra)
    if kind == "index":
        (leaky / "solutions" / "04_run_and_evaluate.html").unlink()  # the index entry only
    if kind == "pack":
        with zipfile.ZipFile(leaky / "live-pack.zip", "w") as zipped:
            zipped.writestr("live/solutions/04_run_and_evaluate.ipynb", "{}")
    target = tmp_path / "pages"
    assemble(plan, fake_site(tmp_path / "course", ["book/intro"]), {"live": leaky}, target)
    problems = verify(plan, target, SOLUTIONS)
    assert any(problem.startswith("/workshops/live/: ") for problem in problems)
    assert any(message in problem for problem in problems), problems


def test_a_workshop_that_released_its_solutions_may_serve_them(tmp_path):
    plan = plan_with_one_workshop(tmp_path, "course", solutions_released=True)
    released = fake_site(tmp_path / "live", ["book/intro", "solutions/04_run_and_evaluate"])
    target = tmp_path / "pages"
    assemble(plan, fake_site(tmp_path / "course", ["book/intro"]), {"live": released}, target)
    assert verify(plan, target, SOLUTIONS) == []


def test_root_index_serves_no_course_and_no_solution(tmp_path):
    plan = plan_with_one_workshop(tmp_path, "index")
    clean = fake_site(tmp_path / "live", ["book/intro"])
    target = tmp_path / "pages"
    assemble(plan, None, {"live": clean}, target)
    assert verify(plan, target, SOLUTIONS) == []
    index = (target / "index.html").read_text()
    assert 'href="workshops/live/index.html"' in index and "Example University" in index
    assert sorted(p.name for p in target.iterdir()) == [".nojekyll", "index.html", PREFIX]
    # Anything else at the root is checked too.
    (target / "answers.html").write_text(a_solution_line())
    assert any(problem.startswith("/: solution code") for problem in verify(plan, target))


def test_a_served_folder_that_is_not_published_fails(tmp_path):
    plan = plan_with_one_workshop(tmp_path, "index")
    target = tmp_path / "pages"
    assemble(plan, None, {"live": fake_site(tmp_path / "live", ["book/intro"])}, target)
    shutil.copytree(target / PREFIX / "live", target / PREFIX / "old")
    assert "/workshops/old/ is served but not published" in verify(plan, target, SOLUTIONS)


def test_a_course_site_with_a_workshops_folder_is_refused(tmp_path):
    plan = plan_with_one_workshop(tmp_path, "course")
    course = fake_site(tmp_path / "course", ["book/intro", "workshops/live/index"])
    with pytest.raises(PublishError, match="has a folder workshops/"):
        assemble(plan, course, {"live": fake_site(tmp_path / "live", [])}, tmp_path / "pages")


def test_publish_builds_real_workshop_folders_without_leaks(tmp_path, monkeypatch):
    """The whole path the workflow takes, with tools/workshop.py's real staging, data and
    pack; only jupyter-book and the notebook execution are stood in for (the real
    site build is tests/test_site_browser.py's)."""
    import workshop
    from test_workshop import fake_jupyter_book

    monkeypatch.setattr(workshop, "build", fake_jupyter_book)
    monkeypatch.setattr(workshop, "execute_notebook", lambda path: None)
    folder = tmp_path / "workshops"
    small = {"seed": 5, "samples": 100, "sites": 100}
    workshop_file(folder, "held.yml", publish=True, chapters=[1], dataset=small)
    workshop_file(
        folder / "2026", "done.yaml", publish=True, chapters=[1], dataset=small,
        solutions_released=True,
    )  # fmt: skip
    workshop_file(folder, "draft.yml", chapters=[1], dataset=small)
    plan = make_plan(settings(tmp_path, "course"), folder)
    course = fake_site(tmp_path / "course", ["book/intro", "solutions/01_genotypes_to_dosages"])
    course_html, sites = publish.build_everything(
        plan, output_root=tmp_path / "out", build_course=lambda: course
    )
    target = tmp_path / "pages"
    assemble(plan, course_html, sites, target)
    assert verify(plan, target) == []
    held = target / PREFIX / "held"
    assert (held / "held-pack.zip").is_file() and (held / "book" / "setup.html").is_file()
    assert not [p for p in held.rglob("*") if "solutions" in p.parts]
    with zipfile.ZipFile(held / "held-pack.zip") as zipped:
        assert not [name for name in zipped.namelist() if "solutions" in name]
    assert (target / PREFIX / "done" / "solutions" / "01_genotypes_to_dosages.html").exists()
    assert not (target / PREFIX / "draft").exists()
