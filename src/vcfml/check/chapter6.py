"""Self-checks for chapter 6, scaling up."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from vcfml.automl.screening import column_means
from vcfml.check.feedback import CheckResult, call_answer, failed, passed
from vcfml.stats.frequency import allele_frequency

HINTS = {
    "shape": (
        "return one number per site: a block is (sites, samples), but allele_frequency "
        "expects (samples, sites) and gives one value per column; turn the block around first."
    ),
    "missing": "leave missing calls (-1) out of both the sum and the count of called samples.",
    "empty": "a site where every call is missing has no called samples: return 0.0 for it.",
    "frequency": (
        "that is the ALT frequency (0 to 1); a mean dosage counts the ALT alleles per call, "
        "two alleles for a diploid call: multiply the frequency by 2."
    ),
    "rounded": "a mean dosage is a fraction (e.g. 0.45): do not round it or cast it to int.",
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
            if (block[site] < 0).all():
                hint = HINTS["empty"]
            elif np.allclose(got, expected / 2):
                hint = HINTS["frequency"]
            elif any(np.allclose(got, f(expected)) for f in (np.round, np.floor, np.trunc)):
                hint = HINTS["rounded"]
            else:
                hint = HINTS["missing"]
            return failed(
                "6.1",
                f"site {site} of a test block: expected {expected[site]:.4f}, got {got[site]:.4f}.",
                hint,
            )
    return passed(
        "6.1", "mean_dosage agrees with the screen's own column means on every test block."
    )


def exercise_6_1_merge(merged_frequency, batches) -> CheckResult:
    """Judge 6.1 (b): each site's ALT frequency over the batches together, which
    only sums of ALT and called alleles (not a mean of the batches' frequencies)
    give exactly."""
    whole = allele_frequency(np.vstack(batches))
    got = np.asarray(merged_frequency, dtype=float)
    if got.shape != whole.shape:
        return failed(
            "6.1 (b)",
            f"merged_frequency has shape {got.shape} for {whole.size} sites.",
            "one frequency per site (column).",
        )
    if np.allclose(got, whole, equal_nan=True):
        return passed(
            "6.1 (b)",
            "merged from the batches' allele counts, exactly the whole cohort's frequencies.",
        )
    mean_of_batches = np.mean([allele_frequency(batch) for batch in batches], axis=0)
    people = np.array([batch.shape[0] for batch in batches], dtype=float)
    by_people = np.average([allele_frequency(b) for b in batches], axis=0, weights=people)
    if np.allclose(got, mean_of_batches):
        hint = (
            "a mean of the batches' frequencies counts the batch of 100 as much as the "
            "batch of 500: add their ALT alleles and their called alleles, divide once."
        )
    elif np.allclose(got, by_people):
        hint = (
            "weighting by people is close but not exact: missing calls make a batch's "
            "called alleles differ from twice its people. Add the allele counts."
        )
    elif np.allclose(got, np.vstack(batches).mean(axis=0) / 2):
        hint = "missing calls are -1: allele_counts leaves them out; a plain mean does not."
    else:
        hint = "sum allele_counts' two numbers over the batches, then divide ALT by called."
    worst = float(np.nanmax(np.abs(got - whole)))
    return failed(
        "6.1 (b)", f"merged_frequency is off by up to {worst:.4f} from the whole cohort's.", hint
    )
