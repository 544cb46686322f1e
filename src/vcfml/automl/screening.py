"""Genotype-aware preprocessing: MAF filter, imputation and association screening.

Genotype data has far more features (sites) than samples. Handing every site to
a model drowns the few causal ones in noise, so the pipeline first ranks sites
by a per-site association test and keeps the strongest. The test is sklearn's
ANOVA F (``f_classif``); for a 0/1 phenotype and a dosage it ranks sites exactly
like the Cochran-Armitage trend test (F is a monotone function of n r^2).

Everything here is *fitted on training data only*: the allele frequencies used
by the MAF filter, the mean dosages used to fill missing calls and the ranking.
Screening on all samples before cross-validation leaks the phenotype of the
validation samples into the choice of sites, and makes a pure-noise phenotype
look predictable (chapter 3 shows it).
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_selection import f_classif

from vcfml.errors import VcfmlError

BLOCK_COLUMNS = 4096  # sites converted to float at a time, to bound memory


class GenotypeScreen(TransformerMixin, BaseEstimator):
    """Keep the ``n_sites`` sites most associated with the target.

    Input is the (n_samples, n_sites) int8 dosage matrix (-1 missing). The
    output is float32: the kept sites, missing calls filled with the training
    mean dosage. Sites whose training minor-allele frequency is below
    ``min_maf`` are never kept.
    """

    def __init__(self, n_sites: int = 100, min_maf: float = 0.0) -> None:
        self.n_sites = n_sites
        self.min_maf = min_maf

    def fit(self, genotypes: np.ndarray, y: np.ndarray) -> GenotypeScreen:
        means, maf = column_means(genotypes)
        scores, pvalues = association_scores(genotypes, y, means)
        eligible = np.flatnonzero(maf >= self.min_maf) if self.min_maf > 0 else np.arange(len(maf))
        eligible = eligible[np.isfinite(scores[eligible])]
        if eligible.size == 0:
            raise VcfmlError(
                f"no variants left after filtering (min_maf={self.min_maf}, "
                f"{genotypes.shape[1]} sites, none polymorphic enough)"
            )
        order = eligible[np.argsort(-scores[eligible], kind="stable")]
        self.ranking_ = order
        self.scores_ = scores
        self.pvalues_ = pvalues
        self.means_ = means
        self.maf_ = maf
        self.selected_ = np.sort(order[: self.n_sites])
        return self

    def transform(self, genotypes: np.ndarray) -> np.ndarray:
        return impute(genotypes[:, self.selected_], self.means_[self.selected_])


def column_means(genotypes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean dosage of each site over called genotypes, and its minor-allele frequency."""
    n_sites = genotypes.shape[1]
    means = np.zeros(n_sites)
    for start in range(0, n_sites, BLOCK_COLUMNS):
        block = genotypes[:, start : start + BLOCK_COLUMNS]
        called = block >= 0
        counts = called.sum(axis=0)
        totals = np.where(called, block, 0).sum(axis=0, dtype=np.int64)
        with np.errstate(invalid="ignore", divide="ignore"):
            means[start : start + BLOCK_COLUMNS] = np.where(counts > 0, totals / counts, 0.0)
    frequency = means / 2
    return means, np.minimum(frequency, 1 - frequency)


def impute(genotypes: np.ndarray, means: np.ndarray) -> np.ndarray:
    """float32 copy with missing calls (-1) replaced by the given column means."""
    values = genotypes.astype(np.float32)
    missing = genotypes < 0
    if missing.any():
        values[missing] = np.broadcast_to(means.astype(np.float32), values.shape)[missing]
    return values


def association_scores(
    genotypes: np.ndarray, y: np.ndarray, means: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-site F statistic of dosage against the 0/1 target and its p-value
    (NaN for monomorphic sites)."""
    scores = np.empty(genotypes.shape[1])
    pvalues = np.empty(genotypes.shape[1])
    for start in range(0, genotypes.shape[1], BLOCK_COLUMNS):
        stop = start + BLOCK_COLUMNS
        block = impute(genotypes[:, start:stop], means[start:stop])
        with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
            # Monomorphic sites get NaN and are never kept; no need to warn.
            warnings.simplefilter("ignore", UserWarning)
            f_values, p_values = f_classif(block, y)
        scores[start:stop] = f_values
        pvalues[start:stop] = p_values
    return scores, pvalues
