"""Principal components of genotypes, computed as ``plink2 --pca meanimpute``.

Each site is standardized by its allele frequency ``p`` (the one definition of
:mod:`vcfml.stats.frequency`): ``x = (dosage - 2p) / sqrt(2p(1-p))``, with a
missing call set to 0 (its expected value: mean imputation). The
variance-standardized relationship matrix is ``X X' / M`` over the ``M``
polymorphic sites; its leading eigenvectors are the principal components (one
value per sample, unit length) and its eigenvalues say how much of the
genotype variance each explains. This is the genetic relationship matrix of
Yang et al. (2011) and of PLINK 2; ``tests/test_stats.py`` compares both.

Only autosomal sites are used by default: chrX dosages differ by sex, and the
first component would then be sex, not ancestry.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from vcfml.genome import autosomal  # noqa: F401  (vcfml.stats exports it from here)
from vcfml.stats.frequency import BLOCK_COLUMNS, allele_frequency


@dataclass
class PCAResult:
    """Principal components (samples x k, unit-length columns) and eigenvalues."""

    components: np.ndarray
    eigenvalues: np.ndarray
    n_sites: int

    def to_frame(self, samples: list[str]) -> pd.DataFrame:
        table = pd.DataFrame(
            self.components,
            columns=[f"PC{i}" for i in range(1, self.components.shape[1] + 1)],
        )
        table.insert(0, "sample_id", list(samples))
        return table


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
    return PCAResult(components=vectors * signs, eigenvalues=values[order], n_sites=n_sites)
