"""LD pruning, as ``plink2 --indep-pairwise WINDOW STEP R2`` (PLINK 2.00a3.5).

Why prune: principal components, kinship and heritability estimates assume
sites that carry independent information. A block of sites in strong linkage
disequilibrium (LD) counts the same haplotype many times, and the top PCs
then describe that block (the inversion on 8p23, the MHC) instead of
ancestry. Pruning keeps a set of sites whose pairwise r² within a window is
at most the threshold.

The algorithm is PLINK 2's (``IndepPairwiseThread`` of ``plink2_ld.cc`` in
2.00a3.5, ported so that the kept list is identical, ``tests/test_qc.py``):

* each chromosome on its own, sites in file order; a window of ``window``
  sites slides by ``step`` sites;
* a site with no homozygous call, or only one genotype, is removed at once;
* r² is the squared correlation of the genotype codes +1/0/-1 over the samples
  called at both sites; a pair is in LD when ``r² > threshold``;
* within a window, each kept site in turn is compared with the later kept
  sites it has not yet been compared with; at the first pair in LD the site
  with the lower minor-allele frequency goes (the earlier one on a tie); the
  pass repeats until nothing more is removed, then the window slides.

The greedy order matters: another order keeps another (equally valid) set,
which is why this follows PLINK's order exactly. (PLINK 2 builds from March
2023 on scan a window in another order by default, for speed; their
``--indep-order 1`` is this one.) Variant-count windows only
(PLINK's ``kb`` windows are not ported).
"""

from __future__ import annotations

import numba
import numpy as np

SMALL_EPSILON = 2.0**-44  # PLINK 2's kSmallEpsilon, for the MAF tie


@numba.njit(cache=True)
def _pair_in_ld(codes, called, a, b, threshold):
    """r² > threshold for sites a and b, from integer counts as PLINK 2 does."""
    x = codes[a]
    y = codes[b]
    ca = called[a]
    cb = called[b]
    dot = np.int32(0)
    sum1 = np.int32(0)
    ssq1 = np.int32(0)
    sum2 = np.int32(0)
    ssq2 = np.int32(0)
    n = np.int32(0)
    for s in range(x.shape[0]):
        xs = np.int32(x[s])  # a missing call is coded 0
        ys = np.int32(y[s])
        cas = np.int32(ca[s])
        cbs = np.int32(cb[s])
        dot += xs * ys
        sum1 += xs * cbs
        ssq1 += xs * xs * cbs
        sum2 += ys * cas
        ssq2 += ys * ys * cas
        n += cas * cbs
    cov = float(np.int64(dot) * n - np.int64(sum1) * sum2)
    var1 = float(np.int64(ssq1) * n - np.int64(sum1) * sum1)
    var2 = float(np.int64(ssq2) * n - np.int64(sum2) * sum2)
    return cov * cov > threshold * var1 * var2


@numba.njit(cache=True)
def _prune_contig(codes, called, major, dropped, first, end, window, step, threshold, removed):
    """Prune sites first..end-1 (one chromosome); sets ``removed``."""
    length = end - first
    if length < 2:
        return
    unchecked = np.zeros(end - first, dtype=np.int64)  # first site not yet compared with
    members = np.empty(window + length, dtype=np.int64)  # the window's sites, in order
    gone = np.zeros(window + length, dtype=np.bool_)  # removed while in the window
    size = 0
    window_start = first
    window_end = first + min(length, window)
    site = first
    while True:
        # load sites up to the end of the window
        while site < window_end:
            if dropped[site]:
                gone[size] = True
                removed[site] = True
            else:
                gone[size] = False
                unchecked[site - first] = site + 1
            members[size] = site
            size += 1
            site += 1
        # prune the window until nothing changes
        n_removed = 0
        for k in range(size):
            n_removed += gone[k]
        while True:
            before = n_removed
            i = 0
            while True:
                while i < size and gone[i]:
                    i += 1
                if i == size:
                    break
                a = members[i]
                start_from = unchecked[a - first]
                j = i + 1
                while j < size and (gone[j] or members[j] < start_from):
                    j += 1
                if j < size:
                    while True:
                        b = members[j]
                        if _pair_in_ld(codes, called, a, b, threshold):
                            if major[a] > major[b] * (1 + SMALL_EPSILON):
                                gone[i] = True
                                removed[a] = True
                            else:
                                gone[j] = True
                                removed[b] = True
                                k = j + 1
                                while k < size and gone[k]:
                                    k += 1
                                unchecked[a - first] = members[k] if k < size else site
                            break
                        j += 1
                        while j < size and gone[j]:
                            j += 1
                        if j == size:
                            unchecked[a - first] = site
                            break
                i += 1
            n_removed = 0
            for k in range(size):
                n_removed += gone[k]
            if n_removed <= before:
                break
        # slide the window
        if window_end == end:
            return
        window_start += step
        window_end = min(window_start + window, end)
        kept = 0
        for k in range(size):
            if not gone[k] and members[k] >= window_start:
                members[kept] = members[k]
                gone[kept] = False
                kept += 1
        size = kept


def indep_pairwise(
    genotypes: np.ndarray,
    chrom: np.ndarray,
    window: int = 50,
    step: int = 5,
    r2: float = 0.5,
) -> np.ndarray:
    """Which sites ``plink2 --indep-pairwise window step r2`` keeps (its
    ``.prune.in``), as a boolean array over the columns of ``genotypes``.

    ``chrom`` gives each site's chromosome; sites of one chromosome must be
    next to each other (as in a sorted VCF). Every call is read as diploid:
    prune autosomes (a man's one-copy chrX calls are not weighted as PLINK
    does with a sex column).
    """
    if window < 2 or step < 1 or step > window:
        raise ValueError(
            f"window {window} and step {step}: need a window of at least 2 sites "
            "and 1 <= step <= window"
        )
    if not 0 <= r2 < 1:
        raise ValueError(f"the r² threshold must be in [0, 1), got {r2}")
    genotypes = np.asarray(genotypes)
    n_sites = genotypes.shape[1]
    chrom = np.asarray(chrom).astype(str)
    if len(chrom) != n_sites:
        raise ValueError(f"{len(chrom)} chromosome names for {n_sites} sites")
    called = genotypes >= 0
    n_called = called.sum(axis=0)
    hom_ref = (genotypes == 0).sum(axis=0)
    hom_alt = (genotypes == 2).sum(axis=0)
    dropped = ((hom_ref == 0) & (hom_alt == 0)) | (hom_ref == n_called) | (hom_alt == n_called)
    alt = (genotypes == 1).sum(axis=0) + 2 * hom_alt
    with np.errstate(invalid="ignore", divide="ignore"):
        p = alt / (2.0 * n_called)
    major = np.maximum(p, 1 - p)
    removed = np.zeros(n_sites, dtype=np.bool_)
    boundaries = np.flatnonzero(chrom[1:] != chrom[:-1]) + 1
    starts = np.concatenate([[0], boundaries])
    ends = np.concatenate([boundaries, [n_sites]])
    if len(set(chrom[starts])) != len(starts):
        raise ValueError("the sites of a chromosome are not next to each other: sort the VCF")
    # one row per site (contiguous): +1 hom REF, 0 het or missing, -1 hom ALT
    codes = np.ascontiguousarray(np.where(called, 1 - genotypes, 0).T.astype(np.int8))
    called = np.ascontiguousarray(called.T.astype(np.int8))
    for start, end in zip(starts, ends, strict=True):
        _prune_contig(
            codes, called, major, dropped, int(start), int(end), int(window), int(step),
            float(r2), removed,
        )  # fmt: skip
    return ~removed
