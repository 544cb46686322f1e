"""The score test of ``target ~ covariates + dosage``: the one implementation.

The AutoML screen ranks sites by this statistic, and it runs in two places: in
memory (:class:`vcfml.automl.screening.GenotypeScreen`, one set of training
rows) and streamed or on Dask (:mod:`vcfml.scale`, every fold's training rows at
once, a block of sites at a time). Both call :func:`score_sums` and
:func:`score_statistics` here, so they compute the same numbers the same way
(``tests/test_score.py`` checks that they are identical on a cohort with chrX,
haploid and missing calls); two copies of the arithmetic had drifted apart once.

Under the covariates-only model (fitted once per row set, :func:`score_null`)
with fitted values ``mu`` and weights ``w`` (``mu(1-mu)`` for logistic, 1 for
linear), the statistic is ``(g'(y - mu))^2 / (phi * g'W(I - H)g)`` with ``g`` the
dosage centred on its mean over the called samples (a missing call sits at the
mean, as the screen imputes it, and adds nothing), ``H`` the projection onto the
covariates and ``phi`` the residual variance (1 for logistic). Score and Wald
statistics are asymptotically the same chi-square statistic under small
effects, so they rank sites alike (``tests/test_stats.py`` measures it).

**One compiled pass.** For each site and row set the statistic needs only sums,
over the samples of the set, of a few per-sample values (membership, residual
``y - mu`` and weighted design ``w x``): over the missing calls, and weighted by
the dosage over the called ones. :func:`score_sums` adds them up in one pass
over the calls (a call of dosage 0 adds nothing, so the many zeros of rare
sites cost one comparison); the centred sums follow from them. A dosage above 2
(a polyploid call, which the readers already set missing, as plink2 does)
counts as missing: it can never index or weigh anything else.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numba
import numpy as np
from scipy import special

from vcfml.stats.association import THREADS, _sigmoid, fit_logistic

BLOCK_SITES = 4096  # sites transposed to site-major at a time by score_test
TESTABLE = 1e-9  # a variance below this share of the dosage's second moment: NaN


@dataclass(frozen=True)
class ScoreNull:
    """The covariates-only model of each set of rows, as the score test needs it.

    Attributes:
        values: (samples, row sets, 2 + c): membership (1/0), residual
            ``y - mu`` and weighted design ``w * x`` (intercept first, so
            column 2 is ``w``) of each sample in each set (zero outside it).
        totals: (row sets, 2 + c): the same summed over each set.
        inverses: (row sets, c, c): ``pinv(X' W X)`` of each set (pinv: a
            covariate constant within one fold, a rare level, must not stop the
            screen).
        dispersion: (row sets,): the residual variance (1 for logistic).
    """

    values: np.ndarray
    totals: np.ndarray
    inverses: np.ndarray
    dispersion: np.ndarray


def score_null(
    y: np.ndarray,
    design: np.ndarray,
    row_sets: list[np.ndarray] | None = None,
    binary: bool = True,
) -> ScoreNull:
    """Fit the covariates-only model on each set of rows (default: all rows).

    ``design`` is (samples, c) with the intercept column first; ``y`` is 0/1
    with ``binary`` (logistic), else numeric (linear).
    """
    y = np.asarray(y, dtype=float)
    design = np.asarray(design, dtype=float)
    n_samples, n_columns = design.shape
    row_sets = [np.arange(n_samples)] if row_sets is None else row_sets
    values = np.zeros((n_samples, len(row_sets), 2 + n_columns))
    inverses = np.empty((len(row_sets), n_columns, n_columns))
    dispersion = np.ones(len(row_sets))
    for index, rows in enumerate(row_sets):
        x, target = design[rows], y[rows]
        if binary:
            fitted = _sigmoid(x @ fit_logistic(x, target))
            weights = fitted * (1 - fitted)
        else:
            fitted = x @ np.linalg.lstsq(x, target, rcond=None)[0]
            weights = np.ones_like(target)
            dispersion[index] = ((target - fitted) ** 2).sum() / max(len(rows) - n_columns, 1)
        weighted_design = x * weights[:, None]
        inverses[index] = np.linalg.pinv(x.T @ weighted_design)
        values[rows, index, 0] = 1.0
        values[rows, index, 1] = target - fitted
        values[rows, index, 2:] = weighted_design
    return ScoreNull(values, values.sum(axis=0), inverses, dispersion)


@numba.njit(cache=True, nogil=True)
def _score_sums(site_major, values, max_dosage):  # pragma: no cover - compiled
    n_sites, n_samples = site_major.shape
    _, n_sets, n_values = values.shape
    sums = np.zeros((n_sites, n_sets, 2 * n_values + 1))
    for site in range(n_sites):
        for sample in range(n_samples):
            dosage = site_major[site, sample]
            if dosage == 0:
                continue
            if dosage < 0 or dosage > max_dosage:  # missing (or polyploid: missing too)
                for row_set in range(n_sets):
                    for value in range(n_values):
                        sums[site, row_set, value] += values[sample, row_set, value]
                continue
            g = np.float64(dosage)
            for row_set in range(n_sets):
                for value in range(n_values):
                    sums[site, row_set, n_values + value] += g * values[sample, row_set, value]
                sums[site, row_set, 2 * n_values] += g * g * values[sample, row_set, 2]
    return sums


def score_sums(site_major: np.ndarray, null: ScoreNull) -> np.ndarray:
    """(sites, row sets, 2 (2 + c) + 1) sums of one block of sites, site-major:
    of each per-sample value over the missing calls, of the value times the
    dosage over the called ones, and of ``w * dosage**2``.

    Integer dosages above 2 count as missing; float dosages (imputed) are taken
    as they are, negative ones as missing.
    """
    block = np.ascontiguousarray(site_major)
    max_dosage = 2 if np.issubdtype(block.dtype, np.integer) else np.inf
    return _score_sums(block, null.values, max_dosage)


def score_statistics(
    sums: np.ndarray, null: ScoreNull
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """From :func:`score_sums`: per site and row set (arrays (sites, row sets)),
    the number of called samples, the sum of their dosages, the score chi-square
    (1 df; NaN where the covariates explain the dosage entirely, e.g. a site
    monomorphic in the set, or nothing is called) and its p-value."""
    n_values = null.values.shape[2]
    missing, weighted, second = sums[..., :n_values], sums[..., n_values:-1], sums[..., -1]
    called = null.totals - missing  # sums over the called samples
    n_called, dosage_sum = called[..., 0], weighted[..., 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n_called > 0, dosage_sum / n_called, np.nan)
    # Sum of a * (dosage - mean) over the called samples, for each per-sample value a.
    centred = weighted[..., 1:] - mean[..., None] * called[..., 1:]
    score, projected = centred[..., 0], centred[..., 1:]
    scale = second - 2 * mean * weighted[..., 2] + mean**2 * called[..., 2]
    explained = (np.einsum("ksc,scd->ksd", projected, null.inverses) * projected).sum(axis=-1)
    variance = scale - explained
    with np.errstate(invalid="ignore", divide="ignore"):
        value = score**2 / (null.dispersion * variance)
    # The second moment (uncentred) bounds the rounding of the centred sums, so a
    # site constant among the called samples of a set gets NaN, never noise.
    testable = variance > TESTABLE * np.maximum(second, 1e-300)
    statistic = np.where(testable, value, np.nan)
    return n_called, dosage_sum, statistic, special.chdtrc(1, statistic)


def score_test(
    dosages: np.ndarray,
    y: np.ndarray,
    design: np.ndarray,
    binary: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Score-test chi-square statistic (1 df) and p-value per site.

    ``dosages`` is the (samples, sites) dosage matrix, negative where missing:
    a missing call is set to the site's mean dosage over the called samples (as
    :class:`~vcfml.automl.screening.GenotypeScreen` imputes it). ``design`` has
    the intercept column first. For a linear model (``binary=False``) the
    statistic is a monotone function of the partial correlation of dosage and
    target given the covariates. Sites the covariates explain entirely
    (constant sites) get NaN.
    """
    null = score_null(y, design, binary=binary)
    n_sites = dosages.shape[1]
    statistic = np.full(n_sites, np.nan)

    def fill_block(start: int) -> None:
        site_major = dosages[:, start : start + BLOCK_SITES].T
        statistic[start : start + BLOCK_SITES] = score_statistics(
            score_sums(site_major, null), null
        )[2][:, 0]

    # The compiled pass releases the GIL: blocks of sites run on all cores.
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        list(pool.map(fill_block, range(0, n_sites, BLOCK_SITES)))
    return statistic, special.chdtrc(1, statistic)
