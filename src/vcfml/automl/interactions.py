"""A pairwise-interaction screen: partners of the strongest sites.

The association screen (:mod:`vcfml.automl.screening`) ranks sites one by one.
A pure interaction, a pair of sites whose *product* moves the risk while
neither site's dosage does on its own, is invisible to it: the partner of a
causal site can rank anywhere among thousands of noise sites, and a tree model
that is handed only the top-ranked sites never sees it. Searching every pair is
out of reach (5 x 10^7 pairs at 10,000 sites, 5 x 10^9 at 100,000), so this
screen does what two-stage epistasis scans do: the ``n_anchors`` best sites of
the one-site ranking are *anchors*, and each is tested against every eligible
site for an interaction. The ``n_pairs`` strongest anchor-partner pairs decide
which partners move up the ranking, next to their anchor. A partner of an
interaction whose two sites both have no marginal effect is still missed: no
screen of this cost finds those.

The test, for anchor ``a`` and site ``b`` with dosages standardized on the
training samples (``z``): under the model ``target ~ covariates + z_a``
(fitted once per anchor, logistic for a 0/1 target, linear otherwise), the
score statistic of the product ``z_a z_b`` is ``(sum r z_a z_b)^2 / (sum w
z_a^2 z_b^2)`` with residuals ``r`` and weights ``w`` (``mu(1-mu)``, or the
residual variance). It leaves out the projection of the product on the
covariates and on ``z_b``, which for sites drawn independently is small; it is a
ranking, not a p-value. Two matrix products per block of sites give every
anchor's statistics at once, so the screen costs about as much as the one-site
screen does. Like that screen, it is fitted on training samples only.

Under a time budget the screen can be told a ``deadline``: after each block of
sites it projects when the last block will be done (the blocks so far, per
block), and gives up (:class:`OutOfTime`) as soon as that is past the deadline,
so that a run never waits for a ranking it cannot afford. A partial scan is
not kept: partners found among the first blocks only would be a ranking biased
by genome order.
"""

from __future__ import annotations

import time

import numpy as np

from vcfml.errors import VcfmlError
from vcfml.stats.association import fit_logistic

N_ANCHORS = 30  # best one-site sites tested against every site
N_PAIRS = 10  # strongest anchor-partner pairs whose partners move up
BLOCK = 8192  # sites standardized at once (memory: samples x BLOCK floats, twice)


class OutOfTime(Exception):
    """The interaction screen would end after its deadline; ``expected`` is the
    projected number of seconds it would have taken in all."""

    def __init__(self, expected: float) -> None:
        super().__init__(f"the interaction screen would take about {expected:.1f}s")
        self.expected = expected


def anchor_residuals(
    y: np.ndarray, design: np.ndarray, anchors: np.ndarray, binary: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Per anchor (columns), the residuals ``r`` and weights ``w`` of the model
    ``target ~ design + anchor`` (``anchors``: (n_samples, n_anchors) standardized
    dosages). A fit that fails (separation) leaves that anchor's residuals zero:
    it finds no partner."""
    n, k = anchors.shape
    residuals, weights = np.zeros((n, k)), np.zeros((n, k))
    for j in range(k):
        full = np.column_stack([design, anchors[:, j]])
        if binary:
            try:
                fitted = 1 / (1 + np.exp(-(full @ fit_logistic(full, y))))
            except VcfmlError:  # separation: this anchor finds no partner
                continue
            residuals[:, j] = y - fitted
            weights[:, j] = fitted * (1 - fitted)
        else:
            fitted = full @ np.linalg.lstsq(full, y, rcond=None)[0]
            residuals[:, j] = y - fitted
            weights[:, j] = ((y - fitted) ** 2).sum() / max(n - full.shape[1], 1)
    return residuals, weights


def interaction_scores(
    genotypes: np.ndarray,
    y: np.ndarray,
    means: np.ndarray,
    anchors: np.ndarray,
    covariates: np.ndarray | None = None,
    binary: bool = True,
    deadline: float | None = None,
) -> np.ndarray:
    """(len(anchors), n_sites) interaction statistics of each anchor (site
    indices) with every site (module doc); 0 for a site with itself and for a
    constant site. Missing calls (negative) count as the site's mean ``means``.

    Raises:
        OutOfTime: with a ``deadline`` (a ``time.perf_counter()`` value), as
            soon as the projected end of the scan is past it.
    """
    began = time.perf_counter()
    genotypes = np.asarray(genotypes)
    y = np.asarray(y, dtype=float)
    n, n_sites = genotypes.shape
    design = np.ones((n, 1))
    if covariates is not None and np.size(covariates):
        design = np.column_stack([design, np.asarray(covariates, dtype=float)])
    anchor_z = _standardized(genotypes[:, anchors], means[anchors])
    residuals, weights = anchor_residuals(y, design, anchor_z, binary)
    left = anchor_z * residuals  # (n, k): each anchor's z times its residuals
    right = anchor_z**2 * weights
    scores = np.zeros((len(anchors), n_sites))
    scan_began = time.perf_counter()
    for start in range(0, n_sites, BLOCK):
        block = slice(start, min(start + BLOCK, n_sites))
        z = _standardized(genotypes[:, block], means[block])
        numerator = (left.T @ z) ** 2
        variance = right.T @ (z * z)
        with np.errstate(divide="ignore", invalid="ignore"):
            scores[:, block] = np.where(variance > 1e-12, numerator / variance, 0.0)
        if deadline is not None:
            now, done = time.perf_counter(), block.stop
            expected = (scan_began - began) + (now - scan_began) * n_sites / done
            if began + expected > deadline and done < n_sites:
                raise OutOfTime(expected)
    scores[np.arange(len(anchors)), anchors] = 0.0
    return scores


def strongest_pairs(
    scores: np.ndarray, anchors: np.ndarray, eligible: np.ndarray, n_pairs: int
) -> list[tuple[int, int, float]]:
    """The ``n_pairs`` strongest (anchor, partner, statistic) pairs, partners
    among the ``eligible`` sites, each unordered pair once."""
    masked = np.full_like(scores, -1.0)
    masked[:, eligible] = np.nan_to_num(scores[:, eligible], nan=-1.0)
    order = np.argsort(-masked, axis=None, kind="stable")
    pairs, seen = [], set()
    for flat in order:
        row, partner = divmod(int(flat), scores.shape[1])
        value = float(masked[row, partner])
        if len(pairs) == n_pairs or value <= 0:
            break
        key = frozenset((int(anchors[row]), partner))
        if key in seen:
            continue
        seen.add(key)
        pairs.append((int(anchors[row]), partner, value))
    return pairs


def pair_ranking(order: np.ndarray, pairs: list[tuple[int, int, float]]) -> np.ndarray:
    """The one-site ranking ``order`` with each pair's partner moved up to just
    after its anchor (strongest pair first). A permutation of ``order``."""
    partners: dict[int, list[int]] = {}
    for anchor, partner, _ in pairs:
        partners.setdefault(anchor, []).append(partner)
    ranking, placed = [], set()
    for site in order.tolist():
        for candidate in [site, *partners.get(site, [])]:
            if candidate not in placed:
                placed.add(candidate)
                ranking.append(candidate)
    return np.asarray(ranking, dtype=np.int64)


def _standardized(genotypes: np.ndarray, means: np.ndarray) -> np.ndarray:
    """float32 (x - mean) / sd per column, missing calls at the mean (0); a
    constant column stays 0."""
    values = genotypes.astype(np.float32)
    missing = genotypes < 0
    centered = values - means.astype(np.float32)
    centered[missing] = 0.0
    sd = np.sqrt((centered**2).mean(axis=0))
    return np.divide(centered, sd, out=np.zeros_like(centered), where=sd > 1e-6)
