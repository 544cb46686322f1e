"""The compiled inner loops of the logistic scan (:func:`vcfml.stats.logistic_scan`).

A Newton step of a per-site logistic regression needs, for every site ``s`` of a
block, the information matrix ``X_s' W_s X_s`` and the gradient ``X_s' (y - p_s)``,
where ``X_s`` is the design (intercept and covariates) with the site's dosage as
the last column and each sample's weight ``p(1-p)`` depends on the site. With
NumPy that is a dozen passes over the (samples x sites) arrays (the linear
predictor, the sigmoid, the weights, the residuals, their products) and a matrix
product with every pair of design columns. :func:`newton_sums` makes one pass
over the samples instead: for each sample it computes the weights of all the
block's sites, then adds them into per-site sums, the sites being the inner,
contiguous loop (which the compiler vectorizes). Only the ``c(c+1)/2`` distinct
products of two design columns are summed, not ``c²``.

Everything is double precision and summed in the same order (four samples at a time)
on every CPU, whatever BLAS kernel or vector width the machine has; only the
exponential is NumPy's vectorized one, which can differ in the last bit between
processors. The scan's estimates, standard errors and its verdict on
convergence do not depend on the processor (``tests/test_cpu_independence.py``).
``benchmarks/scan_hapmap3.py`` records the whole scan's time.
"""

from __future__ import annotations

import numba
import numpy as np

GROUP = 4  # samples whose terms are added to the per-site sums at once (unrolled below)


def column_products(design: np.ndarray) -> np.ndarray:
    """(n, c(c+1)/2): the products of two design columns ``j <= k``, in the order
    of ``np.triu_indices(c)``."""
    rows, columns = np.triu_indices(design.shape[1])
    return np.ascontiguousarray(design[:, rows] * design[:, columns])


def odds_against(
    dosage: np.ndarray, sites: np.ndarray, design: np.ndarray, coefficients: np.ndarray
) -> np.ndarray:
    """(n, len(sites)): ``exp(-eta)`` of every sample at each of the block's columns
    ``sites``, ``eta`` being the linear predictor at that site's ``coefficients``
    (the dosage's last). The exponential is NumPy's, whose vectorized kernel took a
    fifth of the time of one call per value from compiled code (1.3 against 6.6
    ns a value); it may differ from the C library's in the last bit, far below the
    ``TOLERANCE`` of a Newton step."""
    negative = _negative_linear_predictor(dosage, sites, design, coefficients)
    return np.exp(negative, out=negative)


@numba.njit(cache=True, nogil=True)
def _negative_linear_predictor(dosage, sites, design, coefficients):  # pragma: no cover
    n = dosage.shape[0]
    b = sites.size
    c = design.shape[1]
    beta = np.ascontiguousarray(coefficients.T)  # (c+1, b): a row per coefficient
    out = np.empty((n, b))
    for i in range(n):
        for s in range(b):
            out[i, s] = -beta[c, s] * dosage[i, sites[s]]
        for k in range(c):
            value = design[i, k]
            for s in range(b):
                out[i, s] -= value * beta[k, s]
    return out


@numba.njit(cache=True, nogil=True)
def newton_sums(dosage, called, sites, design, products, y, odds):  # pragma: no cover
    """Information matrices ``(len(sites), c+1, c+1)`` and gradients
    ``(len(sites), c+1)`` of the logistic log-likelihood, the dosage last, for the
    block's columns ``sites`` (the sites still iterating: no copy of the block
    each step), given ``odds`` = ``exp(-eta)`` per sample and site
    (:func:`odds_against`), so that the probability is ``1 / (1 + odds)``. A
    single column of ``odds`` holds for every site: the covariates-only fit, where
    every site starts.

    ``dosage`` and ``called`` are (n, b) C-ordered, 0 and 0 where a call is
    missing (so that sample drops out of that site's sums); ``products`` is
    :func:`column_products` of ``design``. With ``y`` empty, the weights are
    the called-mask and the gradient is zero: the unweighted sums ``X'X`` of
    PLINK 2's variance-inflation check (``odds`` is then not read).

    For each sample, the weights of all the sites come first, then each sum gets
    that sample's term for every site: the sites are the inner, contiguous loop,
    which the compiler vectorizes. (Making the weights of the whole block first
    and summing them with BLAS matrix products was slower: (samples x sites)
    arrays of weights no longer fit in the cache.)
    """
    n = dosage.shape[0]
    b = sites.size
    c = design.shape[1]
    n_products = products.shape[1]
    unweighted = y.size == 0
    shared = odds.shape[1] == 1
    weighted_products = np.zeros((n_products, b))
    weighted_cross = np.zeros((c, b))  # sum w x_k g
    weighted_square = np.zeros(b)  # sum w g^2
    score_design = np.zeros((c, b))  # sum r x_k
    score_dosage = np.zeros(b)  # sum r g
    # Samples are taken GROUP at a time: each per-site sum is loaded and stored once
    # per group, not once per sample (0.48 against 0.57 s of CPU for the HapMap 3
    # scan). A last, shorter group is padded with samples of weight 0.
    g = np.zeros((GROUP, b))
    weight = np.zeros((GROUP, b))
    residual = np.zeros((GROUP, b))
    weighted_dosage = np.zeros((GROUP, b))
    value = np.zeros(GROUP)
    for first in range(0, n, GROUP):
        size = min(GROUP, n - first)
        if size < GROUP:
            g[:] = 0.0
            weight[:] = 0.0
            residual[:] = 0.0
        for u in range(size):
            i = first + u
            for s in range(b):
                g[u, s] = dosage[i, sites[s]]
                weight[u, s] = called[i, sites[s]]
            if not unweighted:
                target = y[i]
                for s in range(b):
                    probability = 1.0 / (1.0 + odds[i, 0 if shared else s])
                    residual[u, s] = weight[u, s] * (target - probability)
                    weight[u, s] *= probability * (1.0 - probability)
        for u in range(GROUP):
            for s in range(b):
                weighted_dosage[u, s] = weight[u, s] * g[u, s]
        for p in range(n_products):
            for u in range(GROUP):
                value[u] = products[first + u, p] if u < size else 0.0
            for s in range(b):
                weighted_products[p, s] += _group_sum(weight, value, s)
        for k in range(c):
            for u in range(GROUP):
                value[u] = design[first + u, k] if u < size else 0.0
            for s in range(b):
                weighted_cross[k, s] += _group_sum(weighted_dosage, value, s)
                score_design[k, s] += _group_sum(residual, value, s)
        for s in range(b):
            weighted_square[s] += _group_dot(weighted_dosage, g, s)
            score_dosage[s] += _group_dot(residual, g, s)
    information = np.empty((b, c + 1, c + 1))
    gradient = np.empty((b, c + 1))
    for s in range(b):
        p = 0
        for j in range(c):
            for k in range(j, c):
                information[s, j, k] = weighted_products[p, s]
                information[s, k, j] = weighted_products[p, s]
                p += 1
            information[s, j, c] = weighted_cross[j, s]
            information[s, c, j] = weighted_cross[j, s]
            gradient[s, j] = score_design[j, s]
        information[s, c, c] = weighted_square[s]
        gradient[s, c] = score_dosage[s]
    return information, gradient


@numba.njit(inline="always")
def _group_sum(terms, value, s):  # pragma: no cover - compiled
    """The group's terms at site ``s`` (rows of ``terms``), each times its
    sample's ``value``, written out for the compiler (GROUP is 4)."""
    return (
        terms[0, s] * value[0]
        + terms[1, s] * value[1]
        + terms[2, s] * value[2]
        + terms[3, s] * value[3]
    )


@numba.njit(inline="always")
def _group_dot(terms, factors, s):  # pragma: no cover - compiled
    """The group's terms at site ``s`` times the same samples' ``factors`` there."""
    return (
        terms[0, s] * factors[0, s]
        + terms[1, s] * factors[1, s]
        + terms[2, s] * factors[2, s]
        + terms[3, s] * factors[3, s]
    )


@numba.njit(cache=True, nogil=True)
def separates(dosage, called, y):  # pragma: no cover - compiled
    """Per site (columns of the (n, b) ``dosage``), whether a threshold on the
    dosage splits the called cases from the called controls, ties allowed:
    quasi-complete separation, under which the logistic model has no
    maximum-likelihood estimate whatever the covariates (Albert and Anderson
    1984, Biometrika 71:1). Exact: comparisons of dosages, no arithmetic."""
    n, b = dosage.shape
    case_min = np.full(b, np.inf)
    case_max = np.full(b, -np.inf)
    control_min = np.full(b, np.inf)
    control_max = np.full(b, -np.inf)
    for i in range(n):
        if y[i] == 1:
            for s in range(b):
                if called[i, s] > 0:
                    case_min[s] = min(case_min[s], dosage[i, s])
                    case_max[s] = max(case_max[s], dosage[i, s])
        else:
            for s in range(b):
                if called[i, s] > 0:
                    control_min[s] = min(control_min[s], dosage[i, s])
                    control_max[s] = max(control_max[s], dosage[i, s])
    out = np.empty(b, dtype=np.bool_)
    for s in range(b):
        out[s] = (control_max[s] <= case_min[s]) or (case_max[s] <= control_min[s])
    return out
