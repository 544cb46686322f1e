"""The book's explanatory figures: the committed SVGs are what tools/make_figures.py
draws today, and every chapter's reading pages show at least one figure."""

from __future__ import annotations

import re
import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import make_figures

FIGURE = re.compile(r"```\{figure\} (\S+)|plt\.subplots|plot_manhattan|explanation_view")


def test_committed_figures_are_up_to_date(tmp_path):
    for path in make_figures.draw_all(tmp_path):
        committed = make_figures.FIGURES / path.name
        assert committed.exists(), f"run tools/make_figures.py: {committed.name} missing"
        assert committed.read_bytes() == path.read_bytes(), f"{path.name} is stale"


def test_every_chapter_has_a_figure_and_every_figure_exists():
    for chapter in sorted((ROOT / "book").glob("0[1-6]_*")):
        pages = sorted(chapter.glob("*.md"))
        shown = [match for page in pages for match in FIGURE.finditer(page.read_text())]
        assert shown, f"{chapter.name} has no figure"
        for page in pages:
            for target in re.findall(r"```\{figure\} (\S+)", page.read_text()):
                assert (page.parent / target).resolve().exists(), f"{page.name}: {target}"
