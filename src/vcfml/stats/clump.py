"""LD clumping and the polygenic score: the two halves of the classic
clumping + thresholding (C+T) recipe of PLINK (``--clump`` then ``--score``)
and PRSice-2.

Clumping keeps one site per LD block: sites are taken in order of p-value;
each site not yet clumped becomes an *index* site and removes every site
within ``window_kb`` on its chromosome whose r² with it exceeds ``r2``. The
score is then the sum of the kept sites' effect sizes times their dosages, a
missing call counting as the site's mean dosage, as ``plink2 --score
cols=scoresums`` computes it (``tests/test_baselines.py`` compares the two).

Which r²? By default (``ld="genotype"``) the squared Pearson correlation of
dosages (missing calls filled with the mean), as :func:`vcfml.stats.ld_r2` and
``plink --r2`` compute it. PLINK 1.9's ``--clump`` (and PRSice-2, which follows
it) uses another r²: that of the two-site *haplotype* frequencies, estimated by
maximum likelihood from the unphased genotypes (the double heterozygotes are
the ambiguous ones), each pair of sites on the samples called at both.
``ld="haplotype"`` computes that one (by EM) and then gives the same index
sites as ``plink1.9 --clump`` with the same ``--clump-r2``, ``--clump-kb``,
``--clump-p1`` and ``--clump-p2`` (``tests/test_clump_plink.py``). The two r²
are not interchangeable: on the course's coalescent cohort (600 people,
chr22, MAF >= 0.05, r² 0.1 within 250 kb) only 31 of 67 genotype-r² index sites
were also PLINK 1.9's. The installed ``plink2`` (v2.00a3.5) has no ``--clump``
to compare with (PLINK 2 added it later).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vcfml.stats.frequency import mean_dosage

CLUMP_R2 = 0.1  # PRSice-2's default
CLUMP_WINDOW_KB = 250  # PRSice-2's and plink's default


def clump(
    genotypes: np.ndarray,
    pvalues: np.ndarray,
    chrom: np.ndarray | pd.Series,
    pos: np.ndarray | pd.Series,
    *,
    r2: float = CLUMP_R2,
    window_kb: float = CLUMP_WINDOW_KB,
    p_max: float = 1.0,
    p_clumped: float | None = None,
    ld: str = "genotype",
) -> np.ndarray:
    """Column indices of the index sites, most significant first.

    Args:
        genotypes: (n_samples, n_sites) dosages, -1 missing (the samples the
            p-values were computed on: clumping must not look at others).
        pvalues: one per site; NaN sites are never index sites nor clumped.
        chrom, pos: each site's contig and position.
        r2: a site whose r² with an index site is above this is clumped away.
        window_kb: only sites this close to the index site (same contig) are compared.
        p_max: sites with a larger p-value are never index sites (PLINK's
            ``--clump-p1``, PRSice's ``--clump-p``, 1).
        p_clumped: sites with a larger p-value are not clumped either: they
            stay out of every clump (PLINK's ``--clump-p2``); default ``p_max``.
        ld: ``"genotype"`` (dosage correlation) or ``"haplotype"`` (PLINK 1.9's
            estimated haplotype r², for diploid calls): see the module doc.
    """
    if ld not in ("genotype", "haplotype"):
        raise ValueError(f"ld must be 'genotype' or 'haplotype', got {ld!r}")
    pvalues = np.asarray(pvalues, dtype=float)
    n_sites = genotypes.shape[1]
    if len(pvalues) != n_sites:
        raise ValueError(f"{len(pvalues)} p-values for {n_sites} sites")
    chrom = np.asarray(chrom).astype(str)
    pos = np.asarray(pos, dtype=np.int64)
    p_clumped = p_max if p_clumped is None else max(p_clumped, p_max)
    candidate = np.isfinite(pvalues) & (pvalues <= p_clumped)
    order = np.flatnonzero(candidate & (pvalues <= p_max))
    order = order[np.argsort(pvalues[order], kind="stable")]
    if ld == "genotype":
        standardized = _standardized(genotypes, np.flatnonzero(candidate))
    # Sites sorted by (contig, position), to find each window with a binary search.
    by_place = np.lexsort((pos, chrom))
    place_of = np.empty(n_sites, dtype=np.int64)
    place_of[by_place] = np.arange(n_sites)
    sorted_chrom, sorted_pos = chrom[by_place], pos[by_place]
    # Each sorted site's contig is the run [contig_first, contig_last) of the sorted order.
    starts = np.flatnonzero(np.r_[True, sorted_chrom[1:] != sorted_chrom[:-1]])
    ends = np.r_[starts[1:], n_sites]
    run = np.repeat(np.arange(len(starts)), ends - starts)
    contig_first, contig_last = starts[run], ends[run]
    window = int(window_kb * 1000)
    done = ~candidate
    index_sites = []
    for site in order:
        if done[site]:
            continue
        index_sites.append(site)
        done[site] = True
        here = place_of[site]
        first, last = contig_first[here], contig_last[here]
        contig_pos = sorted_pos[first:last]
        low = first + np.searchsorted(contig_pos, sorted_pos[here] - window, side="left")
        high = first + np.searchsorted(contig_pos, sorted_pos[here] + window, side="right")
        neighbours = by_place[low:high]
        neighbours = neighbours[~done[neighbours]]
        if neighbours.size == 0:
            continue
        if ld == "genotype":
            r2_values = (standardized[:, neighbours].T @ standardized[:, site]) ** 2
        else:
            r2_values = haplotype_r2(genotypes[:, site], genotypes[:, neighbours])
        done[neighbours[r2_values > r2]] = True
    return np.asarray(index_sites, dtype=np.int64)


def haplotype_r2(first: np.ndarray, others: np.ndarray, iterations: int = 200) -> np.ndarray:
    """r² of the two-site haplotype frequencies of site ``first`` (n_samples,)
    with each column of ``others``, estimated by EM from unphased diploid
    dosages (-1 missing: a sample counts for a pair only where both are called).

    Only a double heterozygote's phase is unknown; EM shares it between the two
    phasings by the current haplotype frequencies (Excoffier & Slatkin 1995;
    PLINK 1.9 solves the same likelihood equation as a cubic)."""
    one_hot = [(first == g).astype(np.float64) for g in range(3)]
    others_hot = [(others == g).astype(np.float64) for g in range(3)]
    count = np.array([[one_hot[a] @ others_hot[b] for b in range(3)] for a in range(3)])
    n = count.sum(axis=(0, 1))
    haplotypes = 2 * np.maximum(n, 1)
    p_a = (count[1].sum(axis=0) + 2 * count[2].sum(axis=0)) / haplotypes
    p_b = (count[:, 1].sum(axis=0) + 2 * count[:, 2].sum(axis=0)) / haplotypes
    # ALT-ALT haplotypes of the unambiguous genotypes, and the double heterozygotes
    known = 2 * count[2, 2] + count[2, 1] + count[1, 2]
    double = count[1, 1]
    p11 = (known + 0.5 * double) / haplotypes
    for _ in range(iterations):
        p12, p21 = p_a - p11, p_b - p11
        p22 = 1 - p_a - p_b + p11
        coupling = p11 * p22
        repulsion = p12 * p21
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(coupling + repulsion > 0, coupling / (coupling + repulsion), 0.5)
        updated = (known + double * share) / haplotypes
        if np.allclose(updated, p11, rtol=0, atol=1e-12):
            p11 = updated
            break
        p11 = updated
    variance = p_a * (1 - p_a) * p_b * (1 - p_b)
    with np.errstate(invalid="ignore", divide="ignore"):
        r2 = np.where(variance > 0, (p11 - p_a * p_b) ** 2 / variance, 0.0)
    return np.where(n > 0, r2, 0.0)


def _standardized(genotypes: np.ndarray, sites: np.ndarray) -> np.ndarray:
    """Dosages (missing = mean) centred and scaled so that a column's dot product
    with another is their Pearson correlation; zero columns where monomorphic.
    Only ``sites`` are filled (others stay zero): the rest are never compared."""
    out = np.zeros(genotypes.shape, dtype=np.float32)
    for start in range(0, len(sites), 4096):
        block = np.sort(sites[start : start + 4096])
        calls = genotypes[:, block]
        values = np.where(calls < 0, mean_dosage(calls)[None, :], calls).astype(np.float32)
        values -= values.mean(axis=0)
        norm = np.sqrt((values**2).sum(axis=0))
        with np.errstate(invalid="ignore", divide="ignore"):
            out[:, block] = np.where(norm > 0, values / norm, 0.0)
    return out


def polygenic_score(genotypes: np.ndarray, weights: np.ndarray, means: np.ndarray) -> np.ndarray:
    """Sum over sites of weight x dosage, a missing call counting as ``means``
    (the mean dosage of the samples the weights were fitted on, or of the scored
    samples as ``plink2 --score`` does by default)."""
    values = genotypes.astype(np.float64)
    missing = genotypes < 0
    if missing.any():
        values[missing] = np.broadcast_to(np.asarray(means, dtype=float), values.shape)[missing]
    return values @ np.asarray(weights, dtype=float)
