"""Per-site association tests adjusted for covariates, vectorized over sites.

For every site the model is ``target ~ intercept + covariates + dosage``:
linear regression for a quantitative target, logistic regression for a 0/1
target, as ``plink2 --glm`` fits it. Each site is fitted on the samples with a
called genotype at that site (a missing call drops the sample from that site's
regression only, as PLINK 2 does). There is no Python loop over sites: the
sufficient statistics of a block of sites are a few matrix products (linear), or
one compiled pass over the samples per Newton step taken for all sites of the
block at once (logistic, :mod:`vcfml.stats.logistic_sums`).

Functions:

* :func:`linear_scan`, :func:`logistic_scan`: Wald tests with PLINK 2's
  ``beta``, ``se``, ``stat`` (t or z) and ``pvalue``;
* the score test of the same hypothesis, which the AutoML screen ranks
  sites by, is :func:`vcfml.stats.score.score_test`;
* :func:`check_covariates`: a constant or collinear covariate is an input
  error, named, not a silent NaN column.

A genotype that is (nearly) a linear function of the covariates among the
called samples, e.g. a monomorphic site, gets NaN results, like PLINK 2's
``NA`` (its variance-inflation check, VIF > 50).
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numba
import numpy as np
import pandas as pd
from scipy import special  # the distribution functions without scipy.stats' import cost

from vcfml.errors import VcfmlError, VcfmlInputError

BLOCK_COLUMNS = 128  # sites per block: n x 128 float arrays stay in cache (4x faster than 512)
MAX_VIF = 50.0  # PLINK 2's --vif default
MAX_ITERATIONS = 25
THREADS = os.cpu_count() or 1  # blocks fitted at once
# The logistic scan's Newton steps are in double precision, their sums made in one
# compiled pass over the samples in the same order on every CPU (logistic_sums), so
# the estimates and the count of sites that did not converge do not depend on the
# processor (tests/test_cpu_independence.py). (Until December 2026 the steps ran in
# single precision, as PLINK 2's do, finished by two steps in double: the compiled
# double-precision pass is faster than either.) Separation (the ALT allele only in
# cases or only in controls, the commonest cause of a fit that does not converge) is
# found exactly first, by comparing dosages, so those sites cost no Newton steps.
# The covariates are centred and scaled first (:func:`standardized_design`), so
# that every coefficient is of order one.
TOLERANCE = 1e-4  # on each coefficient, relative above 1; Newton then lands within ~1e-8
MAX_ABS_BETA = 1e3  # a larger logistic effect means separation: report NaN
SEPARATED_RESIDUAL = 1e-3  # every |y - p| below this after MAX_ITERATIONS: separation


@dataclass
class ScanResult:
    """One value per site: effect of one more ALT copy, its standard error, the
    t (linear) or Wald z (logistic) statistic, the p-value and the number of
    samples in the site's regression."""

    beta: np.ndarray
    se: np.ndarray
    stat: np.ndarray
    pvalue: np.ndarray
    n: np.ndarray
    not_converged: np.ndarray | None = None
    """Per site, True where the logistic fit did not converge (its results are
    NaN); None for the linear scan, which has no iterations."""

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "n": self.n,
                "beta": self.beta,
                "se": self.se,
                "stat": self.stat,
                "pvalue": self.pvalue,
            }
        )


def check_covariates(covariates: pd.DataFrame, source: object = "samples table") -> np.ndarray:
    """The design matrix: an intercept column, then the covariates.

    Raises:
        VcfmlInputError: a covariate that is constant, or a linear function of
            the others (the message names the column and the file).
    """
    values = covariates.to_numpy(dtype=float)
    names = list(map(str, covariates.columns))
    design = np.column_stack([np.ones(len(values)), values]) if len(values) else values
    for index, name in enumerate(names):
        column = values[:, index]
        if len(column) and np.ptp(column) == 0:
            raise VcfmlInputError(
                source,
                f"covariate {name!r} has the same value ({column[0]:g}) for every sample, "
                "so it cannot adjust anything; leave it out",
            )
    for index, name in enumerate(names):
        others = np.delete(design, index + 1, axis=1)
        fitted = others @ np.linalg.lstsq(others, design[:, index + 1], rcond=None)[0]
        residual = design[:, index + 1] - fitted
        centered = design[:, index + 1] - design[:, index + 1].mean()
        if residual @ residual <= 1e-8 * (centered @ centered):
            partners = _collinear_partners(values, index, names)
            raise VcfmlInputError(
                source,
                f"covariate {name!r} is collinear with {partners}: it adds nothing the others "
                "do not say; leave one out",
            )
    return design


def standardized_design(design: np.ndarray) -> np.ndarray:
    """The design with each covariate centred and scaled to unit standard deviation.

    Why: a covariate whose mean is large next to its spread (year of birth,
    1960 +- 10) makes the intercept and its own coefficient cancel each other,
    and the logistic Newton steps, in single precision, then never settle (the
    site came back NaN), and the linear scan's sums lose digits. With an
    intercept in the design this is only a change of the covariates'
    coefficients: the genotype's beta, SE and p-value are the same (PLINK 2's
    ``--covar-variance-standardize`` does the same). A design without a
    constant column is returned as it is.
    """
    design = np.asarray(design, dtype=float)
    if design.shape[0] == 0:
        return design
    spread = design.std(axis=0)
    constant = spread == 0
    if not (constant & (design[0] != 0)).any():
        return design
    out = design.copy()
    varying = ~constant
    out[:, varying] = (design[:, varying] - design[:, varying].mean(axis=0)) / spread[varying]
    return out


def _collinear_partners(values: np.ndarray, index: int, names: list[str]) -> str:
    correlations = [
        abs(np.corrcoef(values[:, index], values[:, other])[0, 1]) if other != index else 0.0
        for other in range(values.shape[1])
    ]
    best = int(np.nanargmax(correlations))
    if correlations[best] > 0.999:
        return repr(names[best])
    return "a combination of " + ", ".join(repr(n) for i, n in enumerate(names) if i != index)


@numba.njit(cache=True, nogil=True)
def _fill_dosage(block, dosage, called):  # pragma: no cover - compiled
    n_samples, n_sites = block.shape
    for sample in range(n_samples):
        for site in range(n_sites):
            value = block[sample, site]
            if value >= 0:
                dosage[sample, site] = value
                called[sample, site] = 1
            else:  # missing (negative; NaN too)
                dosage[sample, site] = 0
                called[sample, site] = 0


def _block_dosage(
    genotypes: np.ndarray, start: int, stop: int, scale
) -> tuple[np.ndarray, np.ndarray]:
    """Double-precision dosages of a block (0 where missing) and the called-mask,
    in one compiled pass over the calls: NumPy's four passes (compare, where, two
    casts) and their temporaries took 5-10x as long."""
    block = genotypes[:, start:stop]
    dosage = np.empty(block.shape)
    called = np.empty(block.shape)
    _fill_dosage(block, dosage, called)
    if scale is not None:
        dosage *= scale if scale.shape[1] == 1 else scale[:, start:stop]
    return dosage, called


def _pair_products(design: np.ndarray) -> np.ndarray:
    """(n, c*c): every product of two design columns, for per-site C'WC = W' @ this."""
    n, c = design.shape
    return (design[:, :, None] * design[:, None, :]).reshape(n, c * c)


def _genotype_column_last(cwc: np.ndarray, cwg: np.ndarray, gwg: np.ndarray) -> np.ndarray:
    """Per-site (c+1, c+1) matrices [[C'WC, C'Wg], [g'WC, g'Wg]]."""
    b, c, _ = cwc.shape
    matrix = np.empty((b, c + 1, c + 1))
    matrix[:, :c, :c] = cwc
    matrix[:, :c, c] = cwg
    matrix[:, c, :c] = cwg
    matrix[:, c, c] = gwg
    return matrix


def _genotype_vif(
    cwc: np.ndarray, cwg: np.ndarray, gwg: np.ndarray, weights_total: np.ndarray, gw: np.ndarray
) -> np.ndarray:
    """Variance inflation of the genotype given the covariates, per site:
    its weighted variance over the part the covariates leave unexplained."""
    solved = _solve(cwc, cwg)
    residual = gwg - np.einsum("bc,bc->b", cwg, solved)
    with np.errstate(invalid="ignore", divide="ignore"):
        total = gwg - gw**2 / weights_total
        return np.where(residual > 1e-12 * np.maximum(gwg, 1e-300), total / residual, np.inf)


def _solve(matrices: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Batched solve that leaves NaN for singular systems instead of failing."""
    try:
        return np.linalg.solve(matrices, vectors[..., None])[..., 0]
    except np.linalg.LinAlgError:
        out = np.full(vectors.shape, np.nan)
        for i in range(len(matrices)):
            with contextlib.suppress(np.linalg.LinAlgError):
                out[i] = np.linalg.solve(matrices[i], vectors[i])
        return out


def _inverse_last(matrices: np.ndarray) -> np.ndarray:
    """The last diagonal element of each matrix's inverse (NaN if singular)."""
    unit = np.zeros(matrices.shape[:2])
    unit[:, -1] = 1.0
    return _solve(matrices, unit)[:, -1]


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[None]:
    """BLAS on one thread while a scan runs. The scans spread their blocks of
    sites over ``THREADS`` threads themselves, and their matrix products are
    small (samples x 128 sites): BLAS's own threads on top of those only contend
    for the cores. On HapMap 3 (957 x 14,079, 7 covariates) the logistic scan
    took about 7x the CPU time with OpenBLAS's default threads on 2 cores
    (``benchmarks/scan_hapmap3.py``)."""
    from threadpoolctl import threadpool_limits  # scikit-learn's dependency

    with threadpool_limits(limits=1, user_api="blas"):
        yield


def linear_scan(
    genotypes: np.ndarray,
    y: np.ndarray,
    design: np.ndarray,
    dosage_scale: np.ndarray | None = None,
) -> ScanResult:
    """Ordinary least squares of ``y`` on ``design`` + dosage, for every site.

    ``design`` is (n_samples, c) with the intercept column (see
    :func:`check_covariates`); ``dosage_scale`` multiplies dosages (2 for a
    male's non-PAR chrX call under PLINK 2's coding). A missing call drops the
    sample from that site's sums only: the called-mask enters the same matrix
    products as the dosages, so missing calls cost nothing per site. Blocks of
    sites run on ``THREADS`` threads.
    """
    design = standardized_design(design)
    y = np.asarray(y, dtype=float)
    if (design == 1).all(axis=0).any():
        # With an intercept, centring y changes nothing but the residual sum of
        # squares' cancellation (yy - b'X'y), which a large mean would make inexact.
        y = y - y.mean()
    n_sites = genotypes.shape[1]
    c = design.shape[1]
    pairs = _pair_products(design)
    design_y = design * y[:, None]
    out = {key: np.full(n_sites, np.nan) for key in ("beta", "se", "stat", "pvalue")}
    n_obs = np.zeros(n_sites, dtype=np.int64)

    def fit_block(start: int) -> None:
        stop = min(start + BLOCK_COLUMNS, n_sites)
        dosage, called = _block_dosage(genotypes, start, stop, dosage_scale)
        b = stop - start
        ctc = (called.T @ pairs).reshape(b, c, c)
        ctg = dosage.T @ design
        gg = (dosage * dosage).sum(axis=0)
        cty = called.T @ design_y
        gy = dosage.T @ y
        yy = called.T @ (y * y)
        n = called.sum(axis=0)
        xtx = _genotype_column_last(ctc, ctg, gg)
        xty = np.column_stack([cty, gy])
        coefficients = _solve(xtx, xty)
        residual_ss = yy - np.einsum("bk,bk->b", coefficients, xty)
        dof = n - c - 1
        with np.errstate(invalid="ignore", divide="ignore"):
            sigma2 = np.maximum(residual_ss, 0) / dof
            se = np.sqrt(sigma2 * _inverse_last(xtx))
            beta = coefficients[:, -1]
            stat = beta / se
        vif = _genotype_vif(ctc, ctg, gg, n, ctg[:, 0])
        valid = (vif <= MAX_VIF) & (dof > 0) & np.isfinite(stat)
        out["beta"][start:stop] = np.where(valid, beta, np.nan)
        out["se"][start:stop] = np.where(valid, se, np.nan)
        out["stat"][start:stop] = np.where(valid, stat, np.nan)
        out["pvalue"][start:stop] = np.where(
            valid, 2 * special.stdtr(np.maximum(dof, 1), -np.abs(stat)), np.nan
        )
        n_obs[start:stop] = n

    # NumPy releases the GIL in its array operations: blocks run on all cores.
    with single_threaded_blas(), ThreadPoolExecutor(max_workers=THREADS) as pool:
        list(pool.map(fit_block, range(0, n_sites, BLOCK_COLUMNS)))
    return ScanResult(n=n_obs, **out)


def fit_logistic(design: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Maximum-likelihood logistic coefficients of ``y`` on ``design`` (Newton).

    Raises:
        VcfmlError: the covariates alone predict every sample's target (complete
            separation). The coefficients then run off, every weight ``p(1-p)``
            falls to zero, and each site's test would be NaN or meaningless.
            Quasi-separation (a rare covariate level seen only in cases) is
            left to the caller (:func:`logistic_scan` refuses it; the score
            test is fine with it: those samples drop out, as in the limit).
    """
    return _fit_logistic(design, y)[0]


def _fit_logistic(design: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, int]:
    """The coefficients, and how many samples the covariates predict exactly
    (0 when Newton converged)."""
    beta = np.zeros(design.shape[1])
    mean = np.clip(y.mean(), 1e-6, 1 - 1e-6)
    beta[0] = np.log(mean / (1 - mean))
    for _ in range(MAX_ITERATIONS):
        probability = _sigmoid(design @ beta)
        weights = probability * (1 - probability)
        information = (design * weights[:, None]).T @ design
        step = np.linalg.lstsq(information, design.T @ (y - probability), rcond=None)[0]
        beta += step
        if np.abs(step).max() < TOLERANCE:
            return beta, 0
    exact = np.abs(y - _sigmoid(design @ beta)) < SEPARATED_RESIDUAL
    if design.shape[1] > 1 and exact.all():
        raise VcfmlError(
            "the covariates alone predict every sample's target (complete separation), so "
            "no site can add anything and the logistic model has no finite fit; "
            "leave out the covariate that separates the cases from the controls"
        )
    return beta, int(exact.sum())


def _sigmoid(eta: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-eta))``, in place in one new array: the same numbers as the
    formula, 3x as fast in double precision (no temporaries to allocate)."""
    with np.errstate(over="ignore"):  # exp overflows to inf for eta < -709: the limit, 0
        out = np.negative(eta)
        np.exp(out, out=out)
        out += 1.0
        return np.reciprocal(out, out=out)


def _settled(step: np.ndarray, coefficients: np.ndarray) -> np.ndarray:
    """Sites whose every coefficient moved less than ``TOLERANCE`` (relative above 1);
    a NaN step is not settled."""
    with np.errstate(invalid="ignore"):
        return (np.abs(step) < TOLERANCE * np.maximum(1.0, np.abs(coefficients))).all(axis=1)


def logistic_scan(
    genotypes: np.ndarray,
    y: np.ndarray,
    design: np.ndarray,
    dosage_scale: np.ndarray | None = None,
) -> ScanResult:
    """Logistic regression of 0/1 ``y`` on ``design`` + dosage, for every site:
    Newton-Raphson (IRLS) steps in double precision for a block of sites at once,
    starting from the covariates-only fit, each step's sums made in one compiled
    pass over the samples (:mod:`vcfml.stats.logistic_sums`), the same on every
    CPU. A site that does not converge in 25 steps, or whose effect runs off
    (separation), gets NaN and is counted in ``not_converged``, as ``plink2 --glm
    no-firth``; a site that PLINK 2's VIF check refuses (no variation, or predicted
    by the covariates) gets NaN without a fit."""
    from vcfml.stats.logistic_sums import column_products, newton_sums, odds_against, separates

    design = standardized_design(design)
    y = np.asarray(y, dtype=float)
    n_sites = genotypes.shape[1]
    c = design.shape[1]
    products = column_products(design)
    null, separated = _fit_logistic(design, y)
    if separated:
        raise VcfmlError(
            f"the covariates alone predict the target of {separated} samples exactly "
            "(quasi-separation: e.g. a covariate level seen only in cases or only in "
            "controls), so no site's logistic fit can converge; leave out or merge it"
        )
    not_converged = np.zeros(n_sites, dtype=bool)
    out = {key: np.full(n_sites, np.nan) for key in ("beta", "se", "stat", "pvalue")}
    n_obs = np.zeros(n_sites, dtype=np.int64)

    null_odds = np.exp(-(design @ null))[:, None]  # every site starts at the null fit

    def newton(dosage, called, sites, coefficients, odds=None):
        """One Newton step for the block's columns ``sites``: the new coefficients,
        the information at the old ones, and which sites settled (every
        coefficient moved less than ``TOLERANCE``, relative above 1)."""
        if odds is None:
            odds = odds_against(dosage, sites, design, coefficients)
        information, gradient = newton_sums(dosage, called, sites, design, products, y, odds)
        step = _solve(information, gradient)
        updated = coefficients + step
        return updated, information, _settled(step, updated)

    def fit_block(start: int) -> None:
        stop = min(start + BLOCK_COLUMNS, n_sites)
        dosage, called = _block_dosage(genotypes, start, stop, dosage_scale)
        n_obs[start:stop] = called.sum(axis=0)
        b = stop - start
        # PLINK 2's VIF check uses the unweighted correlation of the predictors. A
        # site it refuses (one that does not vary, or that the covariates predict)
        # is NaN for that reason, whether or not its fit would converge.
        every_site = np.arange(b)
        sums, _ = newton_sums(dosage, called, every_site, design, products, np.empty(0), null_odds)
        vif = _genotype_vif(
            sums[:, :c, :c], sums[:, :c, c], sums[:, c, c], n_obs[start:stop], dosage.sum(axis=0)
        )
        testable = vif <= MAX_VIF
        # A site whose dosages separate cases from controls (most often the ALT
        # allele carried only by cases or only by controls) has no finite fit:
        # counted as not converged at once, not iterated 25 times to find out.
        separating = testable & separates(dosage, called, y)
        not_converged[start + np.flatnonzero(separating)] = True
        testable &= ~separating
        coefficients = np.tile(np.append(null, 0.0), (b, 1))
        converged = np.zeros(b, dtype=bool)
        active = np.flatnonzero(testable)  # only testable sites are fitted
        for iteration in range(MAX_ITERATIONS):
            if active.size == 0:
                break
            odds = null_odds if iteration == 0 else None
            beta, _, done = newton(dosage, called, active, coefficients[active], odds)
            coefficients[active] = beta
            runaway = ~np.isfinite(beta).all(axis=1) | (np.abs(beta[:, c]) > MAX_ABS_BETA)
            converged[active[done & ~runaway]] = True
            active = active[~done & ~runaway]
        # Newton converges quadratically: the step that settled a site left it
        # within ~TOLERANCE² of the estimate. One more step gives the information
        # there (the standard error) and confirms the site settled.
        final = np.flatnonzero(converged)
        beta, information, settled = newton(dosage, called, final, coefficients[final])
        not_converged[start + final[~settled]] = True
        not_converged[start + np.setdiff1d(np.flatnonzero(testable), final)] = True
        final, beta, information = final[settled], beta[settled], information[settled]
        with np.errstate(invalid="ignore", divide="ignore"):
            se = np.sqrt(_inverse_last(information))
            stat = beta[:, c] / se
        valid = np.isfinite(stat)
        index = start + final
        out["beta"][index] = np.where(valid, beta[:, c], np.nan)
        out["se"][index] = np.where(valid, se, np.nan)
        out["stat"][index] = np.where(valid, stat, np.nan)
        out["pvalue"][index] = np.where(valid, 2 * special.ndtr(-np.abs(stat)), np.nan)

    # The compiled sums and NumPy release the GIL: blocks run on all cores.
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        list(pool.map(fit_block, range(0, n_sites, BLOCK_COLUMNS)))
    if not_converged.any():
        warnings.warn(
            f"{int(not_converged.sum())} of {n_sites} sites did not converge in "
            f"{MAX_ITERATIONS} Newton steps; their results are NaN (most often "
            "separation: the ALT allele seen only in cases or only in controls, "
            "which PLINK 2 reports as SEPARATION)",
            stacklevel=2,
        )
    return ScanResult(n=n_obs, not_converged=not_converged, **out)
