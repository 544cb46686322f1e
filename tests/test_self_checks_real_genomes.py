"""The self-checks of chapter 7 (real genomes), tested three ways: a right
answer passes, each wrong answer is rejected with feedback that names the
mistake, and a right answer written differently from the solution passes."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.neighbors import KNeighborsClassifier, NearestCentroid

from vcfml import check
from vcfml.check.chapter7 import HWE_CUTOFF, qc_cohort
from vcfml.stats import (
    allele_frequency,
    autosomal,
    hardy,
    indep_pairwise,
    king_table,
    minor_allele_frequency,
    pca_sites,
    sample_missingness,
    site_missingness,
)

# --- 7.1 (a): which samples to keep ---------------------------------------------------


def keep_samples(genotypes, sample_ids, mind=0.02, cutoff=0.177, drop="second"):
    """The solution's way: call rate, then one of each related pair."""
    ids = np.asarray(sample_ids)
    good = sample_missingness(genotypes)["f_miss"].to_numpy() <= mind
    kinship = king_table(genotypes[good], list(ids[good]))
    removed = set()
    for _, pair in kinship[kinship["kinship"] > cutoff].iterrows():
        if pair["id1"] in removed or pair["id2"] in removed:
            continue
        removed.add(pair["id2"] if drop == "second" else pair["id1"])
        if drop == "both":
            removed.add(pair["id2"])
    return [s for s in ids[good] if s not in removed]


def test_7_1_samples_right_answer_passes(capsys):
    assert check.exercise_7_1_samples(keep_samples)
    assert "one of each related pair" in capsys.readouterr().out


def test_7_1_samples_right_but_different_passes():
    """Another cutoff (second degree), the other member of each pair, a pandas way."""
    assert check.exercise_7_1_samples(lambda g, s: keep_samples(g, s, 0.05, 0.0884, "first"))

    def by_hand(genotypes, sample_ids):
        calls = pd.DataFrame(genotypes, index=sample_ids)
        kept = calls[(calls < 0).mean(axis=1) < 0.05]
        table = king_table(kept.to_numpy(), list(kept.index))
        related = table[table["kinship"] > 0.2]
        return sorted(set(kept.index) - set(related["id1"]))

    assert check.exercise_7_1_samples(by_hand)


def test_7_1_samples_wrong_answers_fail_with_the_mistake_named(capsys):
    assert not check.exercise_7_1_samples(lambda g, s: keep_samples(g, s, drop="both"))
    assert "removed both" in capsys.readouterr().out
    assert not check.exercise_7_1_samples(lambda g, s: keep_samples(g, s, mind=1.0))
    assert "miss a fifth of their calls" in capsys.readouterr().out
    assert not check.exercise_7_1_samples(lambda g, s: keep_samples(g, s, cutoff=0.6))
    assert "kept both" in capsys.readouterr().out
    assert not check.exercise_7_1_samples(lambda g, s: keep_samples(g, s, mind=0.0))
    assert "samples that have no problem" in capsys.readouterr().out
    assert not check.exercise_7_1_samples(lambda g, s: list(range(len(s))))
    assert "not sample IDs" in capsys.readouterr().out

    def stub(genotypes, sample_ids):
        raise NotImplementedError("7.1 (a)")

    assert not check.exercise_7_1_samples(stub)
    assert "NotImplementedError" in capsys.readouterr().out


# --- 7.1 (b): which sites to keep ------------------------------------------------------


def keep_sites(genotypes, case, geno=0.02, maf=0.01, hwe=HWE_CUTOFF, hwe_on="controls", fold=True):
    """The solution's way: call rate, MAF, HWE exact test in controls."""
    p = allele_frequency(genotypes)
    minor = minor_allele_frequency(p) if fold else p
    rows = ~case if hwe_on == "controls" else np.ones_like(case)
    in_hwe = hardy(genotypes[rows])["p_hwe"].to_numpy() >= hwe
    return (site_missingness(genotypes)["f_miss"].to_numpy() <= geno) & (minor >= maf) & in_hwe


def test_7_1_sites_right_answer_passes(capsys):
    assert check.exercise_7_1_sites(keep_sites)
    assert "kept the associated site" in capsys.readouterr().out


def test_7_1_sites_right_but_different_passes():
    """Other thresholds, and numpy arithmetic instead of the library."""
    assert check.exercise_7_1_sites(lambda g, c: keep_sites(g, c, 0.05, 0.005, 1e-10))

    def by_hand(genotypes, case):
        called = genotypes >= 0
        p = np.where(called, genotypes, 0).sum(axis=0) / (2 * called.sum(axis=0))
        controls = hardy(genotypes[~case])["p_hwe"].to_numpy()
        return list(
            (called.mean(axis=0) > 0.97) & (np.minimum(p, 1 - p) > 0.01) & (controls > 1e-5)
        )

    assert check.exercise_7_1_sites(lambda g, c: np.array(by_hand(g, c)))


def test_7_1_sites_wrong_answers_fail_with_the_mistake_named(capsys):
    cohort = qc_cohort()
    # The planted associated site is out of HWE over all samples: the mistake is detectable.
    all_samples = hardy(cohort["genotypes"])["p_hwe"].to_numpy()
    assert all_samples[cohort["case_only_hwe"]] < HWE_CUTOFF
    assert not check.exercise_7_1_sites(lambda g, c: keep_sites(g, c, hwe_on="all"))
    assert "in controls only" in capsys.readouterr().out
    assert not check.exercise_7_1_sites(lambda g, c: keep_sites(g, c, fold=False))
    assert "min(p, 1 - p)" in capsys.readouterr().out
    assert not check.exercise_7_1_sites(lambda g, c: keep_sites(g, c, geno=1.0))
    assert "missing" in capsys.readouterr().out
    assert not check.exercise_7_1_sites(lambda g, c: keep_sites(g, c, maf=0.3))
    assert "sites that have no problem" in capsys.readouterr().out
    # MAF on the wrong axis: one value per sample.
    assert not check.exercise_7_1_sites(lambda g, c: allele_frequency(g.T) > 0.01)
    assert "axis=0" in capsys.readouterr().out


def test_7_1_sites_hwe_error_site_is_named(capsys):
    assert not check.exercise_7_1_sites(lambda g, c: keep_sites(g, c, hwe=0.0))
    assert "no heterozygous calls" in capsys.readouterr().out


# --- 7.2 (a): which sites the PCA uses -------------------------------------------------


def sites_for_pca(genotypes, variants, min_maf=0.01, prune=True, autosomes=True):
    chrom = variants["chrom"].to_numpy()
    keep = autosomal(chrom).copy() if autosomes else np.ones(len(chrom), dtype=bool)
    keep &= minor_allele_frequency(allele_frequency(genotypes)) >= min_maf
    if prune:
        columns = np.flatnonzero(keep)
        keep[columns[~indep_pairwise(genotypes[:, columns], chrom[columns], 50, 5, 0.2)]] = False
    return keep


def test_7_2_sites_right_answer_passes(capsys):
    assert check.exercise_7_2_sites(sites_for_pca)
    assert "no chrX" in capsys.readouterr().out


def test_7_2_sites_right_but_different_passes():
    """The library's own choice, and a stricter MAF with a looser r²."""
    assert check.exercise_7_2_sites(lambda g, v: pca_sites(g, v["chrom"]))
    assert check.exercise_7_2_sites(
        lambda g, v: pca_sites(g, v["chrom"], min_maf=0.05, prune=(20, 2, 0.5))
    )


def test_7_2_sites_wrong_answers_fail_with_the_mistake_named(capsys):
    assert not check.exercise_7_2_sites(lambda g, v: sites_for_pca(g, v, autosomes=False))
    assert "chrX sites" in capsys.readouterr().out
    assert not check.exercise_7_2_sites(lambda g, v: sites_for_pca(g, v, min_maf=0.0))
    assert "minor-allele frequency below 1%" in capsys.readouterr().out
    assert not check.exercise_7_2_sites(lambda g, v: sites_for_pca(g, v, prune=False))
    assert "perfect LD" in capsys.readouterr().out
    assert not check.exercise_7_2_sites(lambda g, v: np.ones(g.shape[0], dtype=bool))
    assert "one per site" in capsys.readouterr().out


# --- 7.2 (b): nearest-neighbour assignment ---------------------------------------------


def nearest(reference, groups, new, columns=("PC1", "PC2", "PC3")):
    model = KNeighborsClassifier(n_neighbors=5).fit(reference[list(columns)], groups)
    return model.predict(new[list(columns)])


def test_7_2_assign_right_answer_passes(capsys):
    assert check.exercise_7_2_assign(nearest)
    assert "differ along PC2 only" in capsys.readouterr().out


def test_7_2_assign_right_but_different_passes():
    """One neighbour on two PCs, and the nearest group centre."""
    assert check.exercise_7_2_assign(lambda r, g, n: nearest(r, g, n, ("PC1", "PC2")))
    assert check.exercise_7_2_assign(
        lambda r, g, n: NearestCentroid().fit(r, g).predict(n).tolist()
    )


def test_7_2_assign_wrong_answers_fail_with_the_mistake_named(capsys):
    assert not check.exercise_7_2_assign(lambda r, g, n: nearest(r, g, n, ("PC1",)))
    assert "not PC1 alone" in capsys.readouterr().out
    assert not check.exercise_7_2_assign(lambda r, g, n: nearest(r, g, r))
    assert "one group per new sample" in capsys.readouterr().out
    assert not check.exercise_7_2_assign(lambda r, g, n: np.zeros(len(n), dtype=int))
    assert "not cluster numbers" in capsys.readouterr().out
