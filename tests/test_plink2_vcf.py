"""The VCF that plink2 writes (``--export vcf``) works everywhere: contig lines
without a length, REF = the .bim's A2, sample names = IIDs (issue 23, item 6)."""

from __future__ import annotations

import gzip
import subprocess

import matplotlib

matplotlib.use("Agg")
import pandas as pd
from conftest import ROOT, reference_tool

from vcfml.cli import main
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


def test_the_pipeline_on_plink2s_vcf(tmp_path, monkeypatch):
    """simulate --genotypes, automl, predict and explain --truth on the VCF plink2
    writes from the HapMap 3 PLINK files: no contig lengths, REF = A2, IID names."""
    plink2 = reference_tool("plink2", "plink2")
    prefix = ROOT / "data" / "hapmap3" / "source" / "HM3_thinned_autosomal_overlap"
    out = tmp_path / "hm3"
    export = ["--export", "vcf", "bgz", "id-paste=iid", "--out", str(out), "--silent"]
    subprocess.run([plink2, "--bfile", str(prefix), *export, "--threads", "1"], check=True)
    vcf = str(out.with_suffix(".vcf.gz"))
    subprocess.run(["tabix", "-p", "vcf", vcf], check=True)
    with gzip.open(vcf, "rt") as text:
        header = text.read(20_000)
    assert "##contig=<ID=1>" in header  # what this test is about: no length
    data, run, samples = tmp_path / "D", tmp_path / "R", str(tmp_path / "D" / "samples.tsv")
    phenotype = ["--causal", "5", "--h2", "0.6", "--seed", "2", "--out", str(data)]
    search = ["--budget", "30", "--no-track", "--quiet", "--out", str(run)]
    steps = [
        ["simulate", "--genotypes", vcf, *phenotype],
        ["automl", "--vcf", vcf, "--samples", samples, *search],
        ["predict", "--run", str(run), "--vcf", vcf, "--samples", samples, "--out", "p.tsv"],
        ["explain", "--run", str(run), "--truth", str(data / "truth.json"), "--out", "E"],
    ]
    monkeypatch.chdir(tmp_path)
    for step in steps:
        assert main(step) == 0, step[0]
    assert (tmp_path / "E" / "recovery.json").exists()
    assert (tmp_path / "E" / "manhattan_importance.png").stat().st_size > 0
    predictions = pd.read_csv(tmp_path / "p.tsv", sep="\t")
    assert predictions["sample_id"].iloc[0] == "NA19916"  # IIDs, not FID_IID
