"""Self-checks for chapter 6, scaling up."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from vcfml.automl.screening import column_means
from vcfml.check.feedback import CheckResult, call_answer, failed, passed

HINTS = {
    "shape": (
        "return one number per site: a block is (sites, samples), but allele_frequency "
        "expects (samples, sites) and gives one value per column; turn the block around first."
    ),
    "missing": "leave missing calls (-1) out of both the sum and the count of called samples.",
    "empty": "a site where every call is missing has no called samples: return 0.0 for it.",
}


def test_blocks(seed: int = 6) -> list[np.ndarray]:
    """Site-major int8 blocks like those of the store: 0/1/2 dosages, -1 missing,
    a haploid-looking site (0/1 only) and a site with every call missing."""
    generator = np.random.default_rng(seed)
    block = generator.choice(
        np.array([0, 1, 2, -1], dtype=np.int8), size=(7, 40), p=[0.5, 0.3, 0.15, 0.05]
    )
    block[3] = generator.choice(np.array([0, 1], dtype=np.int8), size=40)
    block[5] = -1
    return [block, block[:2], np.zeros((4, 9), dtype=np.int8)]


def exercise_6_1(mean_dosage: Callable[[np.ndarray], np.ndarray]) -> CheckResult:
    """Check a per-block function: the mean dosage of each site over its called samples."""
    for block in test_blocks():
        result, got = call_answer("6.1", mean_dosage, block.copy())
        if result is not None:
            return result
        expected, _ = column_means(block.T)
        got = np.asarray(got, dtype=float)
        if got.shape != expected.shape:
            return failed(
                "6.1",
                f"for a block of {block.shape[0]} sites x {block.shape[1]} samples it returned "
                f"shape {got.shape}, not ({block.shape[0]},).",
                HINTS["shape"],
            )
        if np.isnan(got).any() and not np.isnan(expected).any():
            return failed("6.1", "some sites came out as NaN.", HINTS["empty"])
        if not np.allclose(got, expected):
            site = int(np.flatnonzero(~np.isclose(got, expected))[0])
            hint = HINTS["empty"] if (block[site] < 0).all() else HINTS["missing"]
            return failed(
                "6.1",
                f"site {site} of a test block: expected {expected[site]:.4f}, got {got[site]:.4f}.",
                hint,
            )
    return passed(
        "6.1", "mean_dosage agrees with the screen's own column means on every test block."
    )
