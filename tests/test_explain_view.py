"""The interactive explanation view: its table joins scan, importance and truth
per variant, and in Chromium, offline, hovering a point shows that variant's
details (the 2019 workshop's explanation dashboard, as a static page)."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
from conftest import ARTIFACTS, ROOT

from vcfml.errors import MissingExtraError
from vcfml.explain_view import explanation_table, explanation_view, view_html

CONTIGS = {"chr1": 1000, "chr2": 500, "chrX": None}


@pytest.fixture
def tables():
    scan = pd.DataFrame(
        {
            "chrom": ["chr1", "chr1", "chr2", "chrX"],
            "pos": [100, 900, 250, 40],
            "id": ["rsA", "rsB", "rsC", "rsX"],
            "pvalue": [1e-12, 0.5, 0.01, 1e-6],
        }
    )
    importance = pd.DataFrame(
        {
            "feature": ["rsA", "rsX", "sex=male"],
            "chrom": ["chr1", "chrX", ""],
            "pos": [100, 40, None],
            "importance": [0.2, 0.01, 0.0],
            "rank": [1, 2, 3],
        }
    )
    truth = {"causal_sites": [{"id": "rsA", "chrom": "chr1", "pos": 100}]}
    return scan, importance, truth


def test_table_places_variants_and_joins_importance(tables):
    scan, importance, truth = tables
    table = explanation_table(scan, importance, CONTIGS, truth).set_index("id")
    assert table.loc[["rsA", "rsB", "rsC", "rsX"], "x"].tolist() == [100, 900, 1250, 1540]
    assert np.isclose(table.loc["rsA", "log10p"], 12)
    assert table.loc["rsA", "importance"] == 0.2 and table.loc["rsB", "importance"] == 0.0
    assert table.loc["rsX", "model_rank"] == "2" and table.loc["rsB", "model_rank"] == "not used"
    assert table["causal"].tolist() == ["yes", "no", "no", "no"]
    assert "sex=male" not in table.index  # covariates have no place on the genome


def test_fragment_carries_bokeh_inline(tables):
    html = view_html(explanation_view(*tables[:2], CONTIGS, tables[2]))
    assert "cdn.bokeh.org" not in html and "<script" in html and "bokeh.min.js" in html


def test_view_without_bokeh_names_the_extra_that_brings_it(tables, monkeypatch):
    """Workshop packs leave Bokeh out (the `view` extra): the table still works, the
    view says in one line what to install."""
    view = explanation_view(*tables[:2], CONTIGS, tables[2])  # drawn while Bokeh is there
    for module in ("bokeh.layouts", "bokeh.embed"):
        monkeypatch.setitem(sys.modules, module, None)  # as if Bokeh were not installed
    assert len(explanation_table(*tables[:2], CONTIGS, tables[2])) == 4
    expected = r"explanation view \(Bokeh\) needs the 'view' extra.*\.venv/bin/pip install bokeh"
    with pytest.raises(MissingExtraError, match=expected):
        explanation_view(*tables[:2], CONTIGS, tables[2])
    with pytest.raises(MissingExtraError, match=r"'view' extra.*bokeh\.embed is missing"):
        view_html(view)


def hover_first_causal(page) -> dict:
    """Move the mouse onto the first causal site of the first plot; return what it is."""
    page.wait_for_function("() => window.Bokeh && Object.keys(Bokeh.index).length > 0")
    where = page.evaluate(
        """() => {
        const plots = [];
        const walk = (v) => { if (v.frame && v.model.renderers) plots.push(v);
                              (v.child_views || []).forEach(walk); };
        Object.values(Bokeh.index).forEach(walk);
        const plot = plots[0];
        plot.el.scrollIntoView({block: "center"});
        const data = plot.model.renderers[0].data_source.data;
        const i = data.causal.indexOf('yes');
        const box = plot.el.getBoundingClientRect();
        return {x: box.left + plot.frame.x_scale.compute(data.x[i]),
                y: box.top + plot.frame.y_scale.compute(data.log10p[i]),
                id: data.id[i], plots: plots.length};
    }"""
    )
    page.mouse.move(where["x"], where["y"])
    page.wait_for_timeout(300)
    return where


@pytest.mark.book
def test_hover_shows_the_variant_offline(tables, tmp_path, chromium):
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT / "tools"))
    from check_site import CHROMIUM_ARGS

    path = tmp_path / "view.html"
    path.write_text(view_html(explanation_view(*tables[:2], CONTIGS, tables[2]), standalone=True))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page()
        errors, outside = [], []
        page.on("console", lambda message: message.type == "error" and errors.append(message))
        page.on(
            "request",
            lambda request: request.url.startswith("http") and outside.append(request.url),
        )
        page.goto(path.as_uri())
        where = hover_first_causal(page)
        tooltip = page.locator("text=p-value").first
        tooltip.wait_for(state="visible", timeout=5000)
        shown = page.locator("body").inner_text() + page.evaluate(
            "() => Array.from(document.querySelectorAll('*')).map(e => e.shadowRoot ? e.shadowRoot.textContent : '').join(' ')"
        )
        (ARTIFACTS / "screenshots").mkdir(parents=True, exist_ok=True)
        page.screenshot(path=ARTIFACTS / "screenshots" / "explanation_view_hover.png")
        browser.close()
    assert where["plots"] == 2 and where["id"] == "rsA"
    assert "rsA" in shown and "chr1:100" in shown and "1.00e-12" in shown and "0.2000" in shown
    assert errors == [] and outside == []


@pytest.mark.book
def test_built_explanation_page_hovers(built_book, chromium):
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT / "tools"))
    from check_site import CHROMIUM_ARGS, serve

    with serve(built_book.html) as root, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1600})
        page.goto(root + "book/05_interpretability/explaining.html", wait_until="load")
        where = hover_first_causal(page)
        page.locator("text=p-value").first.wait_for(state="visible", timeout=5000)
        (ARTIFACTS / "screenshots").mkdir(parents=True, exist_ok=True)
        page.screenshot(path=ARTIFACTS / "screenshots" / "explaining_page_hover.png")
        browser.close()
    assert where["plots"] == 2
