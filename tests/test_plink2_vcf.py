"""The VCF that plink2 writes (``--export vcf``) works everywhere: contig lines
without a length, REF = the .bim's A2, sample names = IIDs (issue 23, item 6)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import pandas as pd

from vcfml.explain import plot_manhattan


def test_manhattan_without_contig_lengths():
    # the review's repro: a contig with no length and no plotted site crashed
    # with "cannot convert float NaN to integer"
    values = pd.DataFrame({"chrom": ["1"], "pos": [1000], "importance": [0.1]})
    ax = plot_manhattan(values, {"1": None, "2": None})
    assert ax.get_xlim() == (0, 1001)  # contig 1 as long as its last site, contig 2: 1
    truth = {"causal_sites": [{"chrom": "2", "pos": 5000, "id": "rs2"}]}
    ax = plot_manhattan(values, {"1": None, "2": None, "3": 300}, truth=truth)
    assert ax.get_xlim() == (0, 1000 + 5000 + 300)  # contig 2 reaches its causal site
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "3"]


def test_manhattan_of_an_empty_importance_table():
    # a run whose importance table is empty (the budget ended first) has no
    # points to plot, but the contigs and the causal sites are still drawn
    empty = pd.DataFrame({"chrom": pd.Series([], dtype=str), "pos": [], "importance": []})
    truth = {"causal_sites": [{"chrom": "2", "pos": 5000, "id": "rs2"}]}
    ax = plot_manhattan(empty, {"1": 100, "2": None}, truth=truth)
    assert ax.get_xlim() == (0, 5100)
