"""The book builds with every notebook executed, and a failing notebook fails it.

Jupyter Book 1 can exit 0 when a notebook raises; tools/build_book.py looks for
execution reports and warnings too. Both directions are tested here.
"""

from __future__ import annotations

import sys
import textwrap
from fnmatch import fnmatch

import nbformat
import pytest
import yaml
from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
from build_book import build
from workshop import toc_pages

pytestmark = pytest.mark.book


def toc_files() -> list[str]:
    return toc_pages(yaml.safe_load((ROOT / "_toc.yml").read_text()))


def test_book_builds_every_page(built_book):
    result = built_book
    for page in toc_files():
        assert (result.html / f"{page}.html").exists(), f"{page} was not built"
    solution = (result.html / "solutions" / "01_genotypes_to_dosages.html").read_text()
    assert "same as read_vcf: True" in solution  # executed at build time
    assert "Executing notebook" in result.log


def test_make_book_executes_every_solution():
    """`make book` executes the solutions. The test build (tests/conftest.py) shows
    their committed outputs when nbval executes and checks them in the same run."""
    execute = yaml.safe_load((ROOT / "_config.yml").read_text())["execute"]
    assert execute["execute_notebooks"] in ("auto", "cache", "force")
    for notebook in (ROOT / "solutions").glob("*.ipynb"):
        page = f"solutions/{notebook.name}"
        assert not any(fnmatch(page, pattern) for pattern in execute["exclude_patterns"])


def test_every_notebook_is_in_the_toc():
    listed = set(toc_files())
    for folder in ("solutions", "exercises"):
        for notebook in (ROOT / folder).glob("*.ipynb"):
            assert f"{folder}/{notebook.stem}" in listed, (
                f"{folder}/{notebook.name} is not in _toc.yml"
            )


def test_failing_notebook_fails_the_build(tmp_path):
    source = tmp_path / "book"
    source.mkdir()
    (source / "_config.yml").write_text(
        textwrap.dedent(
            """
            title: broken
            only_build_toc_files: true
            execute:
              execute_notebooks: force
              allow_errors: false
            """
        )
    )
    (source / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n  - file: broken\n")
    (source / "intro.md").write_text("# Intro\n")
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("raise RuntimeError('boom')")],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    nbformat.write(notebook, source / "broken.ipynb")
    result = build(source=source, output=tmp_path / "out", echo=False)
    assert not result.ok
    assert any("broken" in problem or "Execution" in problem for problem in result.problems)


def test_every_user_of_the_built_site_shares_its_process():
    """Under ``make test -n 2`` a test that asks for built_book on the other worker
    would build the whole site a second time: every such test is in the book's unit."""
    import re

    from conftest import work_unit

    tests = ROOT / "tests"
    for path in sorted(tests.glob("test_*.py")):
        text = path.read_text()
        for name in re.findall(r"^def (test_\w+)\([^)]*\bbuilt_book\b", text, re.M):
            nodeid = f"tests/{path.name}::{name}"
            assert work_unit(nodeid) == "tests/test_book.py", nodeid
