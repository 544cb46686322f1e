"""Linkage disequilibrium and the site-frequency spectrum, on a dosage matrix.

Linkage disequilibrium (LD) between two sites is measured here by r²: the
squared Pearson correlation of their ALT-allele dosages over the samples. On
unphased diploid data this is the "genotype r²" that PLINK's ``--r2`` reports;
it estimates the haplotype r² well when genotypes are in Hardy-Weinberg
proportions. Missing calls (-1) are replaced by the site's mean dosage, so they
pull r² towards zero rather than dropping samples pair by pair.

Everything is vectorized: the dosages are standardized once, and all r² values
come from one matrix product.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

BLOCK_SITES = 4096  # columns standardized at a time when r² is taken against a few sites


def standardize(dosages: np.ndarray, dtype=np.float64) -> np.ndarray:
    """Columns with mean 0 and variance 1 (missing -> mean; constant columns -> 0)."""
    values = np.asarray(dosages).astype(dtype)
    missing = values < 0
    if missing.any():
        values[missing] = np.nan
        means = np.nan_to_num(np.nanmean(values, axis=0))
        values = np.where(missing, means[None, :], values)
    values -= values.mean(axis=0)
    scale = values.std(axis=0)
    scale[scale == 0] = np.inf  # a constant column becomes 0, not NaN
    values /= scale
    return values


def ld_r2(dosages: np.ndarray, other: np.ndarray | None = None) -> np.ndarray:
    """r² between every pair of sites (columns).

    Args:
        dosages: (n_samples, n_sites) ALT dosages, -1 for missing.
        other: optional (n_samples, m) second matrix; then the result is the
            (n_sites, m) r² between each column of ``dosages`` and each of ``other``.

    Returns:
        r² values in [0, 1]; a site that does not vary has r² 0 with everything.
    """
    if other is None:
        left = standardize(dosages)
        return np.clip((left.T @ left / left.shape[0]) ** 2, 0.0, 1.0)
    # One block of columns at a time: a cohort's whole matrix in float64 would take
    # 8 bytes per call. float64 throughout, so that r² values written to truth.json
    # (rounded to 4 decimals) come out the same with any BLAS.
    right = standardize(other)
    n_sites = np.shape(dosages)[1]
    result = np.empty((n_sites, right.shape[1]), dtype=np.float64)
    for start in range(0, n_sites, BLOCK_SITES):
        block = standardize(np.asarray(dosages)[:, start : start + BLOCK_SITES])
        r = block.T @ right / block.shape[0]
        result[start : start + BLOCK_SITES] = np.clip(r**2, 0.0, 1.0)
    return result


def adjacent_r2(dosages: np.ndarray) -> np.ndarray:
    """r² of each site with the next one (columns i and i + 1): the quickest look
    at LD along a chromosome. Returns n_sites - 1 values."""
    z = standardize(dosages, np.float32)
    return np.clip((np.einsum("ij,ij->j", z[:, :-1], z[:, 1:]) / z.shape[0]) ** 2, 0.0, 1.0)


def tag_sets(
    dosages: np.ndarray,
    sites: Sequence[int],
    threshold: float = 0.8,
    groups: Sequence | None = None,
) -> list[np.ndarray]:
    """For each site in ``sites``, the other sites with r² >= ``threshold`` to it.

    Args:
        dosages: (n_samples, n_sites) dosages.
        sites: column indices of the sites to tag (e.g. the causal ones).
        threshold: the r² a site needs to count as a tag (0.8 is the usual
            choice of tagging studies, e.g. de Bakker et al. 2005).
        groups: optional label per site (e.g. the simulated region); only sites
            in the same group can be tags. Independently simulated regions are
            unlinked, so any r² between them is chance.

    Returns:
        One sorted array of column indices per site, the site itself excluded.
    """
    sites = np.asarray(sites, dtype=int)
    if len(sites) == 0:
        return []
    r2 = ld_r2(dosages, np.asarray(dosages)[:, sites])  # (n_sites, len(sites))
    result = []
    for column, site in enumerate(sites):
        close = r2[:, column] >= threshold
        close[site] = False
        if groups is not None:
            labels = np.asarray(groups)
            close &= labels == labels[site]
        result.append(np.flatnonzero(close))
    return result


def ld_decay(
    dosages: np.ndarray,
    positions: np.ndarray,
    bin_edges: Sequence[float],
    groups: Sequence | None = None,
) -> pd.DataFrame:
    """Mean r² of pairs of sites by their distance apart.

    All pairs of the given sites are used, so pass a few thousand sites at most
    (e.g. every 20th); pairs in different ``groups`` (contigs, or independently
    simulated regions) are left out.

    Returns:
        A table with one row per distance bin: ``bin_start``, ``bin_end``,
        ``pairs`` and ``mean_r2`` (NaN where a bin has no pair).
    """
    positions = np.asarray(positions, dtype=np.int64)
    r2 = ld_r2(dosages)
    first, second = np.triu_indices(len(positions), k=1)
    keep = np.ones(len(first), dtype=bool)
    if groups is not None:
        labels = np.asarray(groups)
        keep = labels[first] == labels[second]
    distance = np.abs(positions[second] - positions[first])[keep]
    values = r2[first[keep], second[keep]]
    edges = np.asarray(bin_edges, dtype=float)
    which = np.digitize(distance, edges) - 1
    inside = (which >= 0) & (which < len(edges) - 1)
    pairs = np.bincount(which[inside], minlength=len(edges) - 1)
    sums = np.bincount(which[inside], weights=values[inside], minlength=len(edges) - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(pairs > 0, sums / np.maximum(pairs, 1), np.nan)
    return pd.DataFrame(
        {"bin_start": edges[:-1], "bin_end": edges[1:], "pairs": pairs, "mean_r2": means}
    )


def site_frequency_spectrum(dosages: np.ndarray, folded: bool = True) -> np.ndarray:
    """How many sites carry each allele count (diploid sites, no missing calls).

    Args:
        dosages: (n_samples, n_sites) diploid dosages 0, 1 or 2 (autosomal sites;
            haploid calls would need their own allele number).
        folded: count the minor allele (0..n_samples), as when the ancestral
            allele is unknown; otherwise the ALT allele (0..2 n_samples).

    Returns:
        ``spectrum[i]`` = number of sites whose (minor or ALT) allele count is i.
        Under the neutral coalescent with constant size the unfolded spectrum
        falls as 1/i: most variants are rare.
    """
    dosages = np.asarray(dosages)
    if (dosages < 0).any():
        raise ValueError("site_frequency_spectrum needs complete calls (no -1)")
    n_chromosomes = 2 * dosages.shape[0]
    counts = dosages.sum(axis=0, dtype=np.int64)
    if folded:
        counts = np.minimum(counts, n_chromosomes - counts)
        return np.bincount(counts, minlength=n_chromosomes // 2 + 1)
    return np.bincount(counts, minlength=n_chromosomes + 1)
