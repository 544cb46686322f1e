"""An interactive explanation view: the association scan and the model's
importance along the genome, with every variant's details on hover.

The 2019 workshop read its model through Azure's explanation dashboard, where
pointing at a feature shows its values. This is the offline equivalent: two
Bokeh plots sharing one genome axis, which work in a static web page or a
notebook without any server or network (Bokeh's JavaScript is written inline).
Bokeh comes with the ``view`` extra (no exercise needs it, so workshop packs
leave it out); :func:`explanation_table` works without it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vcfml.errors import require_extra

HOVER_FIELDS = [
    ("variant", "@id"),
    ("position", "@chrom:@pos"),
    ("p-value", "@pvalue{%.2e}"),
    ("importance", "@importance{0.0000}"),
    ("model rank", "@model_rank"),
    ("causal (truth)", "@causal"),
]


def explanation_table(
    scan: pd.DataFrame,
    importance: pd.DataFrame,
    contigs: dict[str, int | None],
    truth: dict | None = None,
) -> pd.DataFrame:
    """One row per variant: genome coordinate, -log10 p, importance and truth.

    ``scan`` is :func:`vcfml.explain.association_table`, ``importance`` is
    :func:`vcfml.explain.importance_table`; variants the model does not use get
    importance 0 and no rank.
    """
    table = scan[["chrom", "pos", "id", "pvalue"]].copy()
    table["chrom"] = table["chrom"].astype(str)
    table["pos"] = table["pos"].astype(int)
    offsets, ticks, position = {}, {}, 0
    for name, length in contigs.items():
        on_contig = table.loc[table["chrom"] == name, "pos"]
        span = length or (int(on_contig.max()) if len(on_contig) else 1)
        offsets[name], ticks[name] = position, position + span / 2
        position += span
    table.attrs["ticks"] = ticks
    table["x"] = table["chrom"].map(offsets).fillna(0).astype(np.int64) + table["pos"]
    table["log10p"] = -np.log10(table["pvalue"].astype(float).clip(lower=1e-300)).fillna(0.0)
    used = importance[importance["chrom"].astype(str) != ""].set_index("feature")
    table["importance"] = table["id"].map(used["importance"]).fillna(0.0).astype(float)
    table["model_rank"] = (
        table["id"]
        .map(used["rank"])
        .map(lambda rank: "not used" if pd.isna(rank) else str(int(rank)))
    )
    causal = {site["id"] for site in (truth or {}).get("causal_sites", [])}
    table["causal"] = np.where(table["id"].isin(causal), "yes", "no")
    colours = {name: ("#1f4e79" if i % 2 == 0 else "#7fa7d1") for i, name in enumerate(contigs)}
    table["colour"] = np.where(
        table["causal"] == "yes", "#c00000", table["chrom"].map(colours).fillna("#1f4e79")
    )
    table["size"] = np.where(table["causal"] == "yes", 10, 5)
    return table


def explanation_view(
    scan: pd.DataFrame,
    importance: pd.DataFrame,
    contigs: dict[str, int | None],
    truth: dict | None = None,
    width: int | None = None,
):
    """Two linked Bokeh plots (scan above, importance below) with hover details.

    Without ``width`` the plots stretch to the width of the page or notebook cell.
    """
    with require_extra("view"):
        from bokeh.layouts import column
        from bokeh.models import ColumnDataSource, FixedTicker, HoverTool
        from bokeh.plotting import figure

    table = explanation_table(scan, importance, contigs, truth)
    source = ColumnDataSource({name: table[name].to_numpy() for name in table.columns})
    formatters = {"@pvalue": "printf"}
    hover = HoverTool(tooltips=HOVER_FIELDS, formatters=formatters)
    scan_plot = figure(
        **_sizing(width),
        height=260,
        title="Association scan: -log10 p per variant",
        tools=["pan", "box_zoom", "wheel_zoom", "reset", hover],
        toolbar_location="above",
    )
    scan_plot.scatter("x", "log10p", source=source, color="colour", size="size", alpha=0.8)
    scan_plot.yaxis.axis_label = "-log10 p"
    importance_plot = figure(
        **_sizing(width),
        height=220,
        x_range=scan_plot.x_range,
        title="Model importance (red: true causal sites)",
        tools=[
            "pan",
            "box_zoom",
            "wheel_zoom",
            "reset",
            HoverTool(tooltips=HOVER_FIELDS, formatters=formatters),
        ],
        toolbar_location=None,
    )
    importance_plot.scatter("x", "importance", source=source, color="colour", size="size")
    importance_plot.yaxis.axis_label = "importance"
    ticks = table.attrs["ticks"]
    importance_plot.xaxis.ticker = FixedTicker(ticks=list(ticks.values()))
    importance_plot.xaxis.major_label_overrides = {
        value: name.removeprefix("chr") for name, value in ticks.items()
    }
    importance_plot.xaxis.axis_label = "genome position (chromosome)"
    scan_plot.xaxis.visible = False
    return column(scan_plot, importance_plot, **_sizing(width))


def _sizing(width: int | None) -> dict:
    return {"sizing_mode": "stretch_width"} if width is None else {"width": width}


def view_html(view, standalone: bool = False) -> str:
    """HTML for the view with Bokeh's JavaScript inline: no CDN, works offline.

    ``standalone`` gives a whole page (to open in a browser); otherwise a
    fragment to place in a notebook output or a book page.
    """
    with require_extra("view"):
        from bokeh.embed import components, file_html
        from bokeh.resources import INLINE, Resources

    if standalone:  # file_html bundles only the Bokeh components the view uses
        return file_html(view, INLINE, title="vcfml explanation view")
    script, div = components(view)
    return Resources(mode="inline", components=["bokeh"]).render_js() + script + div
