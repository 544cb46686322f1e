"""The built sites, opened page by page in headless Chromium (tools/check_site.py).

The default course and a workshop build with solutions not released must load
every page with no console error, no broken link or image, nothing fetched from
the network, and a search that finds "genotype"; the workshop site must not
contain a solution page or a line of solution code. A hand-made broken site shows
that the checker catches each of these problems.
"""

from __future__ import annotations

import json
import sys
import textwrap

import nbformat
import pytest
import yaml
from conftest import ARTIFACTS, ROOT

sys.path.insert(0, str(ROOT / "tools"))
import check_site as check_site_module
from check_site import check_site, site_pages, solution_leaks
from workshop import build_workshop

pytestmark = pytest.mark.book
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))


def assert_png(path):
    assert path.exists(), f"no screenshot {path}"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 10_000, f"{path} looks empty"


def test_default_site_works_in_a_browser(built_book, chromium):
    report = check_site(
        built_book.html,
        screenshot_dir=ARTIFACTS / "screenshots" / "default",
        chromium=chromium,
    )
    assert report.ok, "\n".join(report.problems)
    assert len(report.pages) >= 30
    assert report.search_hits > 0
    assert len(report.screenshots) == len(report.pages)  # one per page
    for shot in report.screenshots:
        assert_png(shot)
    # The full course shows its solutions, so the leak check must see them there.
    assert solution_leaks(built_book.html, SOLUTIONS)
    # Notebook pages offer Binder and the .ipynb download; every page links the repository.
    page = (built_book.html / "exercises" / "01_genotypes_to_dosages.html").read_text()
    assert "mybinder.org/v2/gh/" in page and "urlpath=lab/tree/exercises/" in page
    assert 'href="../_sources/exercises/01_genotypes_to_dosages.ipynb"' in page
    assert (built_book.html / "_sources" / "exercises" / "01_genotypes_to_dosages.ipynb").exists()
    assert 'href="https://github.com/automl-on-variants/automl-on-variants"' in page


@pytest.fixture(scope="module")
def workshop_site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("workshop")
    config = yaml.safe_load((ROOT / "workshops" / "example.yml").read_text())
    config.update(chapters=[1, 2], solutions_released=False, show_azure=False)
    config["dataset"] = {"seed": 11, "samples": 200, "sites": 300}
    path = folder / "smalltown-2027.yml"
    path.write_text(yaml.safe_dump(config))
    staged, result = build_workshop(path, output_root=folder / "out", echo=False)
    assert result.ok, "\n".join(result.problems)
    return staged, result


def test_workshop_site_has_its_banner_data_and_chapters(workshop_site):
    staged, result = workshop_site
    assert result.html == staged.output / "_build" / "html"
    assert staged.output.name == "smalltown-2027"
    intro = (result.html / "book" / "intro.html").read_text()
    assert "15–16 March 2027" in intro and "Example University" in intro
    assert "not part of this workshop" in intro  # links to chapters 3-5 became text
    for relative in site_pages(result.html):
        text = (result.html / relative).read_text()
        if 'http-equiv="Refresh"' not in text:  # index.html only redirects
            assert "15–16 March 2027" in text, f"no banner on {relative}"
    assert (result.html / "book" / "02_simulation" / "index.html").exists()
    for chapter in ("03_automl_concepts", "04_experiments", "05_interpretability"):
        assert not (result.html / "book" / chapter).exists()
    assert not list(result.html.glob("exercises/03_*"))

    truth = json.loads((staged.source / "data" / "liability" / "truth.json").read_text())
    default = json.loads((ROOT / "data" / "liability" / "truth.json").read_text())
    assert truth != default
    samples = (staged.source / "data" / "liability" / "samples.tsv").read_text().splitlines()
    assert len(samples) == 1 + 200


def test_workshop_site_without_solutions_works_in_a_browser(workshop_site, chromium):
    staged, result = workshop_site
    report = check_site(
        result.html,
        screenshot_dir=ARTIFACTS / "screenshots" / "workshop",
        chromium=chromium,
        forbidden_solutions=SOLUTIONS,
        workshop=staged.workshop,
    )
    assert report.ok, "\n".join(report.problems)
    assert not (result.html / "solutions").exists()
    assert not list((staged.source / "solutions").glob("*.ipynb"))
    assert len(report.screenshots) == len(report.pages)
    for shot in report.screenshots:
        assert_png(shot)


def test_workshop_site_sends_participants_to_the_pack(workshop_site):
    staged, result = workshop_site
    pack = result.html / "smalltown-2027-pack.zip"
    assert pack.is_file() and pack.read_bytes() == staged.pack.read_bytes()
    setup = (result.html / "book" / "setup.html").read_text()
    assert 'href="../smalltown-2027-pack.zip"' in setup and "bash setup.sh" in setup
    assert "git clone" not in setup and "make install" not in setup
    intro = (result.html / "book" / "intro.html").read_text()
    assert "git clone" not in intro and "make test" not in intro
    howto = (result.html / "book" / "exercises_howto.html").read_text()
    assert "make exercises" not in howto and "make test" not in howto
    assert not (result.html / "book" / "contributing.html").exists()
    for relative in site_pages(result.html):
        page = (result.html / relative).read_text()
        assert "mybinder.org" not in page, f"Binder button on {relative}"
        assert "github.com/automl-on-variants" not in page, f"repository link on {relative}"


def test_released_then_withdrawn_solutions_leave_nothing(tmp_path, chromium):
    """The instructor's sequence from issue 17: build with the solutions released, then
    without; the second site has no solution page, notebook, source or index entry."""
    config = yaml.safe_load((ROOT / "workshops" / "example.yml").read_text())
    config.update(chapters=[1], solutions_released=True)
    config["dataset"] = {"seed": 5, "samples": 150, "sites": 200}
    path = tmp_path / "sequence.yml"
    path.write_text(yaml.safe_dump(config))
    staged, result = build_workshop(path, output_root=tmp_path / "out", echo=False)
    assert result.ok, "\n".join(result.problems)
    assert (result.html / "solutions" / "01_genotypes_to_dosages.html").exists()
    assert "solutions/01_genotypes_to_dosages" in (result.html / "searchindex.js").read_text()

    config["solutions_released"] = False
    path.write_text(yaml.safe_dump(config))
    staged, result = build_workshop(path, output_root=tmp_path / "out", echo=False)
    assert result.ok, "\n".join(result.problems)
    assert not list(result.html.rglob("*solutions*"))
    assert "solutions/" not in (result.html / "searchindex.js").read_text()
    # Nor anywhere else in the participants' build folder: Sphinx's doctrees, the
    # staged source, the pack's folder, screenshots (the instructors' site is elsewhere).
    left = [p for p in staged.output.rglob("*") if "solution" in p.as_posix().lower()]
    assert not left, left[:5]
    report = check_site(result.html, chromium=chromium, workshop=staged.workshop)
    assert report.ok, "\n".join(report.problems)


def test_checker_reports_each_kind_of_problem(tmp_path, chromium, monkeypatch):
    # This search page has no script: no result can ever appear, so waiting the
    # full 20 s for one would only idle; 3 s still covers loading a local page.
    monkeypatch.setattr(check_site_module, "SEARCH_WAIT_MS", 3_000)
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text(
        textwrap.dedent(
            """
            <html><head><title>broken</title>
            <script src="https://cdn.example.org/lib.js"></script>
            <script>undefinedFunction();</script></head>
            <body><a href="missing.html">gone</a> <a href="other.html#nowhere">anchor</a>
            <img src="missing.png"></body></html>
            """
        )
    )
    (site / "other.html").write_text(
        "<html><body><p id='here'>x = read_vcf(path)  # a solution line</p></body></html>"
    )
    (site / "search.html").write_text("<html><body><ul class='search'></ul></body></html>")
    report = check_site(site, chromium=chromium)
    problems = "\n".join(report.problems)
    assert "broken link to missing.html" in problems
    assert "missing anchor other.html#nowhere" in problems
    assert "requests the network: https://cdn.example.org/lib.js" in problems
    assert "JavaScript error" in problems and "undefinedFunction" in problems
    assert "image does not render: missing.png" in problems
    assert "found nothing" in problems
    assert report.search_hits == 0


def test_leak_check_finds_solution_code_and_pages(tmp_path):
    solution = tmp_path / "solutions" / "demo.ipynb"
    solution.parent.mkdir()
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "# BEGIN SOLUTION hint\nanswer = matrix.sum(axis=0) / 2\n# END SOLUTION"
            )
        ]
    )
    nbformat.write(notebook, solution)
    site = tmp_path / "site"
    (site / "exercises").mkdir(parents=True)
    (site / "exercises" / "demo.html").write_text("<pre>raise NotImplementedError</pre>")
    assert solution_leaks(site, [solution]) == []
    (site / "searchindex.js").write_text("Search.setIndex({x: 'answer = matrix.sum(axis=0) / 2'})")
    (site / "solutions").mkdir()
    (site / "solutions" / "demo.html").write_text("<p>hidden</p>")
    leaks = "\n".join(solution_leaks(site, [solution]))
    assert "solution code in searchindex.js" in leaks
    assert "solution file served: solutions/demo.html" in leaks
