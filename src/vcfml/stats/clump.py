"""LD clumping and the polygenic score: the two halves of the classic
clumping + thresholding (C+T) recipe of PLINK (``--clump`` then ``--score``)
and PRSice-2.

Clumping keeps one site per LD block: sites are taken in order of p-value;
each site not yet clumped becomes an *index* site and removes every site
within ``window_kb`` on its chromosome whose r² with it exceeds ``r2``. The
score is then the sum of the kept sites' effect sizes times their dosages, a
missing call counting as the site's mean dosage, as ``plink2 --score
cols=scoresums`` computes it (``tests/test_baselines.py`` compares the two).

r² is the squared Pearson correlation of dosages (missing calls filled with
the mean), as :func:`vcfml.stats.ld_r2` computes it; PLINK 2 estimates it from
genotype counts as well, so the index sites agree with ``plink2 --clump``
except for pairs right at the threshold.
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
) -> np.ndarray:
    """Column indices of the index sites, most significant first.

    Args:
        genotypes: (n_samples, n_sites) dosages, -1 missing (the samples the
            p-values were computed on: clumping must not look at others).
        pvalues: one per site; NaN sites are never index sites nor clumped.
        chrom, pos: each site's contig and position.
        r2: a site whose r² with an index site is above this is clumped away.
        window_kb: only sites this close to the index site (same contig) are compared.
        p_max: sites with a larger p-value are left out (PRSice's ``--clump-p``, 1).
    """
    pvalues = np.asarray(pvalues, dtype=float)
    n_sites = genotypes.shape[1]
    if len(pvalues) != n_sites:
        raise ValueError(f"{len(pvalues)} p-values for {n_sites} sites")
    chrom = np.asarray(chrom).astype(str)
    pos = np.asarray(pos, dtype=np.int64)
    candidate = np.isfinite(pvalues) & (pvalues <= p_max)
    order = np.flatnonzero(candidate)
    order = order[np.argsort(pvalues[order], kind="stable")]
    standardized = _standardized(genotypes, order)
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
        correlation = standardized[:, neighbours].T @ standardized[:, site]
        done[neighbours[correlation**2 > r2]] = True
    return np.asarray(index_sites, dtype=np.int64)


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
