"""Principal components of genotypes, computed as ``plink2 --pca meanimpute``.

Each site is standardized by its allele frequency ``p`` (the one definition of
:mod:`vcfml.stats.frequency`): ``x = (dosage - 2p) / sqrt(2p(1-p))``, with a
missing call set to 0 (its expected value: mean imputation). The
variance-standardized relationship matrix is ``X X' / M`` over the ``M``
polymorphic sites; its leading eigenvectors are the principal components (one
value per sample, unit length) and its eigenvalues say how much of the
genotype variance each explains. This is the genetic relationship matrix of
Yang et al. (2011) and of PLINK 2; ``tests/test_stats.py`` compares both.

Which sites (:func:`pca_sites`, what ``vcfml pca`` and ``vcfml scan --pcs``
use): autosomal ones only, since chrX dosages differ by sex and a component
would then be sex, not ancestry; minor-allele frequency at least 0.05, since
very rare variants add noise and a few rare-variant carriers can make a
component of their own; and pruned for LD (``plink2 --indep-pairwise 50 5
0.2``), since a block of correlated sites (an inversion, the MHC) otherwise
becomes a component. ``plink2 --help pca``: "It is usually best to perform
this calculation on a variant set in approximate linkage equilibrium, with
no very-low-MAF variants"; Price et al. 2006 (EIGENSTRAT), Patterson et al.
2006. :func:`pca` itself uses the sites it is given.

:func:`project` puts new samples on the reference's components: each site
standardized with the *reference's* frequency, weighted by the site's allele
weight ``X' u / (M lambda)``, so a reference sample lands exactly on its own
component value. That is ``plink2 --pca allele-wts`` then ``plink2 --score
... no-mean-imputation variance-standardize`` with the reference's
``--read-freq``, up to PLINK's scale (``-1 / (M sqrt(lambda))``; tested in
``tests/test_pca.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from vcfml.genome import autosomal
from vcfml.stats.frequency import BLOCK_COLUMNS, allele_frequency

DEFAULT_MIN_MAF = 0.05
DEFAULT_PRUNE = (50, 5, 0.2)  # window, step (sites), r²


@dataclass
class PCAResult:
    """Principal components (samples x k, unit-length columns) and eigenvalues,
    with what :func:`project` needs: each site's ALT frequency and allele
    weights (sites x k; 0 for a monomorphic site)."""

    components: np.ndarray
    eigenvalues: np.ndarray
    n_sites: int
    frequency: np.ndarray | None = None
    weights: np.ndarray | None = None

    def to_frame(self, samples: list[str]) -> pd.DataFrame:
        table = pd.DataFrame(
            self.components,
            columns=[f"PC{i}" for i in range(1, self.components.shape[1] + 1)],
        )
        table.insert(0, "sample_id", list(samples))
        return table


def pca_sites(
    genotypes: np.ndarray,
    chrom: np.ndarray | pd.Series,
    *,
    min_maf: float = DEFAULT_MIN_MAF,
    prune: tuple[int, int, float] | None = DEFAULT_PRUNE,
) -> np.ndarray:
    """The sites to compute principal components from (boolean over columns):
    autosomal, minor-allele frequency at least ``min_maf``, and kept by
    ``plink2 --indep-pairwise`` with ``prune`` = (window, step, r²); ``None``
    skips pruning. See the module docstring for why."""
    from vcfml.stats.frequency import minor_allele_frequency
    from vcfml.stats.prune import indep_pairwise

    chrom = np.asarray(chrom).astype(str)
    keep = autosomal(chrom).copy()
    if min_maf > 0:
        keep &= minor_allele_frequency(allele_frequency(genotypes)) >= min_maf
    if prune is not None and keep.any():
        columns = np.flatnonzero(keep)
        kept = indep_pairwise(genotypes[:, columns], chrom[columns], *prune)
        keep[columns[~kept]] = False
    return keep


def _standardized(block: np.ndarray, p: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        values = (block - 2 * p) / np.sqrt(2 * p * (1 - p))
    values[(block < 0) | ~np.isfinite(values)] = 0.0
    return values


def relationship_matrix(genotypes: np.ndarray) -> tuple[np.ndarray, int]:
    """Variance-standardized relationship matrix (n x n) and the number of sites used."""
    frequency = allele_frequency(genotypes)
    usable = np.flatnonzero((frequency > 0) & (frequency < 1))
    n = genotypes.shape[0]
    matrix = np.zeros((n, n))
    for start in range(0, len(usable), BLOCK_COLUMNS):
        columns = usable[start : start + BLOCK_COLUMNS]
        block = genotypes[:, columns]
        p = frequency[columns]
        standardized = (block - 2 * p) / np.sqrt(2 * p * (1 - p))
        standardized[block < 0] = 0.0
        matrix += standardized @ standardized.T
    return matrix / max(len(usable), 1), len(usable)


def pca(genotypes: np.ndarray, n_components: int = 10) -> PCAResult:
    """The top ``n_components`` principal components of a dosage matrix
    (already restricted to the sites to use, e.g. autosomal ones)."""
    if genotypes.shape[0] < 2:
        raise ValueError("principal components need at least two samples")
    matrix, n_sites = relationship_matrix(genotypes)
    if n_sites == 0:
        raise ValueError("no polymorphic sites to compute principal components from")
    k = min(n_components, genotypes.shape[0] - 1)
    values, vectors = np.linalg.eigh(matrix)
    order = np.argsort(values)[::-1][:k]
    vectors = vectors[:, order]
    # A deterministic sign: the largest loading of each component is positive.
    signs = np.sign(vectors[np.abs(vectors).argmax(axis=0), np.arange(k)])
    components, eigenvalues = vectors * signs, values[order]
    frequency = allele_frequency(genotypes)
    weights = np.zeros((genotypes.shape[1], k))
    for start in range(0, genotypes.shape[1], BLOCK_COLUMNS):
        stop = start + BLOCK_COLUMNS
        block = _standardized(genotypes[:, start:stop], frequency[start:stop])
        weights[start:stop] = block.T @ components
    weights /= n_sites * eigenvalues
    return PCAResult(components, eigenvalues, n_sites, frequency, weights)


def project(result: PCAResult, genotypes: np.ndarray) -> np.ndarray:
    """New samples' component values (samples x k) on the reference's PCs.

    ``genotypes`` has the same sites, in the same order, as the matrix
    :func:`pca` was given (ALT dosages; -1 or a site the new file lacks
    counts as the reference mean, i.e. 0 after standardizing)."""
    if result.weights is None or result.frequency is None:
        raise ValueError("this PCAResult has no allele weights: compute it with pca()")
    if genotypes.shape[1] != len(result.frequency):
        raise ValueError(
            f"{genotypes.shape[1]} sites to project, but the components were "
            f"computed from {len(result.frequency)}"
        )
    scores = np.zeros((genotypes.shape[0], result.weights.shape[1]))
    for start in range(0, genotypes.shape[1], BLOCK_COLUMNS):
        stop = start + BLOCK_COLUMNS
        block = _standardized(genotypes[:, start:stop], result.frequency[start:stop])
        scores += block @ result.weights[start:stop]
    return scores
