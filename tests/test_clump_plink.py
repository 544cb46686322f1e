"""The course's clumping (:func:`vcfml.stats.clump.clump`) against ``plink1.9
--clump`` on a cohort with real LD (the coalescent data set): the same index
sites with the same r², window, p1 and p2. The installed ``plink2`` has no
``--clump``; PLINK 1.9's is the recipe PRSice-2 follows."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import reference_tool

from vcfml import read_vcf
from vcfml.features import join_samples
from vcfml.stats import allele_frequency, minor_allele_frequency
from vcfml.stats.association import logistic_scan
from vcfml.stats.clump import clump, haplotype_r2

COHORT = Path(__file__).resolve().parents[1] / "data" / "coalescent"


@pytest.fixture(scope="module")
def scan(tmp_path_factory):
    """chr22 sites of MAF >= 0.05 (diploid in everyone), their p-values, and
    the association file ``plink1.9 --clump`` reads."""
    dataset = join_samples(read_vcf(COHORT / "cohort.vcf.gz"), COHORT / "samples.tsv")
    maf = minor_allele_frequency(allele_frequency(dataset.genotypes))
    keep = np.flatnonzero((dataset.variants["chrom"] == "chr22").to_numpy() & (maf >= 0.05))
    genotypes = dataset.genotypes[:, keep]
    variants = dataset.variants.iloc[keep].reset_index(drop=True)
    pvalues = logistic_scan(genotypes, dataset.target, np.ones((len(dataset.target), 1))).pvalue
    assert np.isfinite(pvalues).all()
    folder = tmp_path_factory.mktemp("clump")
    pd.DataFrame({"SNP": variants["id"], "P": pvalues}).to_csv(
        folder / "assoc.tsv", sep="\t", index=False
    )
    return genotypes, variants, pvalues, folder


def plink_clump(folder: Path, r2: float, kb: float, p1: float, p2: float) -> list[str]:
    plink = reference_tool("plink1.9", "plink1.9")
    out = folder / f"clump-{len(list(folder.iterdir()))}"
    subprocess.run(
        [
            plink, "--vcf", str(COHORT / "cohort.vcf.gz"), "--double-id", "--chr", "22",
            "--extract", str(folder / "assoc.tsv"), "--clump", str(folder / "assoc.tsv"),
            "--clump-r2", str(r2), "--clump-kb", str(kb), "--clump-p1", str(p1),
            "--clump-p2", str(p2), "--threads", "1", "--out", str(out),
        ],
        check=True, capture_output=True,
    )  # fmt: skip
    clumped = out.with_suffix(".clumped")
    if not clumped.exists():  # no site passes p1
        return []
    return pd.read_csv(clumped, sep=r"\s+")["SNP"].tolist()


@pytest.mark.parametrize(
    ("r2", "kb", "p1", "p2"),
    [(0.1, 250, 1.0, 1.0), (0.5, 100, 0.01, 0.01), (0.2, 50, 1e-4, 0.05)],
)
def test_haplotype_clumping_gives_plink_index_sites(scan, r2, kb, p1, p2):
    genotypes, variants, pvalues, folder = scan
    ours = clump(
        genotypes, pvalues, variants["chrom"], variants["pos"],
        r2=r2, window_kb=kb, p_max=p1, p_clumped=p2, ld="haplotype",
    )  # fmt: skip
    theirs = plink_clump(folder, r2, kb, p1, p2)
    assert 10 < len(theirs) < len(variants)  # clumping removed sites, kept some
    # The same index sites; PLINK lists them by chromosome and position.
    assert sorted(variants["id"].to_numpy()[ours].tolist()) == sorted(theirs)
    assert pvalues[ours].max() <= p1


def test_genotype_r2_clumping_is_not_plinks(scan):
    """The default r² (dosage correlation) is another statistic: with the same
    settings it keeps other index sites than PLINK 1.9 (module doc)."""
    genotypes, variants, pvalues, folder = scan
    ours = clump(genotypes, pvalues, variants["chrom"], variants["pos"])
    theirs = plink_clump(folder, 0.1, 250, 1.0, 1.0)
    assert set(variants["id"].to_numpy()[ours]) != set(theirs)


def test_haplotype_r2():
    rng = np.random.default_rng(3)
    # Phased haplotypes with known frequencies; genotypes are their sums.
    frequencies = np.array([0.4, 0.1, 0.1, 0.4])  # AB, Ab, aB, ab: D = 0.15
    haplotypes = rng.choice(4, size=(20_000, 2), p=frequencies)
    first = (haplotypes <= 1).sum(axis=1)  # A on haplotypes AB and Ab
    second = ((haplotypes == 0) | (haplotypes == 2)).sum(axis=1)  # B on AB and aB
    expected = 0.15**2 / (0.5**4)
    observed = haplotype_r2(first, second[:, None])[0]
    assert observed == pytest.approx(expected, abs=0.02)
    # A site with itself: r² 1; with a missing call, the pair skips that sample.
    assert haplotype_r2(first, first[:, None])[0] == pytest.approx(1.0)
    other = second.copy()
    other[:10] = -1
    assert haplotype_r2(first, other[:, None])[0] == pytest.approx(observed, abs=1e-3)
    with pytest.raises(ValueError, match="ld must be"):
        clump(first[:, None], np.array([0.1]), ["chr1"], [1], ld="phased")
