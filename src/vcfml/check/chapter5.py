"""Self-checks for chapter 5, interpretability."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from vcfml.check.feedback import CheckResult, failed, passed


def exercise_5_1(candidates: Sequence[str], truth: dict) -> CheckResult:
    """Score a list of ten candidate causal sites (variant IDs) against the truth."""
    candidates = list(dict.fromkeys(candidates))
    if len(candidates) != 10:
        return failed(
            "5.1", f"You named {len(candidates)} distinct sites.", "name exactly ten variant IDs."
        )
    causal = {site["id"] for site in truth["causal_sites"]}
    hits = len(causal & set(candidates))
    if hits < len(causal) // 2:
        return failed(
            "5.1",
            f"{hits} of your ten are causal.",
            "rank sites by the model's importance (importance_table), not by how often they vary.",
        )
    return passed("5.1", f"{hits} of the {len(causal)} causal sites are in your ten.")


def exercise_5_2(
    frequency_difference: pd.Series, genotypes: np.ndarray, population: Sequence[str]
) -> CheckResult:
    """Check the ALT-frequency difference between two populations for chosen sites."""
    population = np.asarray(population)
    groups = sorted(set(population))
    if len(groups) != 2:
        return failed(
            "5.2", "Expected two populations.", "use the population column of samples.tsv."
        )
    calls = np.where(genotypes < 0, np.nan, genotypes).astype(float)
    first = np.nanmean(calls[population == groups[0]], axis=0) / 2
    second = np.nanmean(calls[population == groups[1]], axis=0) / 2
    want = np.abs(second - first)
    got = np.asarray(frequency_difference, dtype=float)
    if got.shape != want.shape:
        return failed(
            "5.2", f"{got.size} values for {want.size} sites.", "one difference per site (column)."
        )
    if not np.allclose(got, want, atol=1e-6):
        return failed(
            "5.2",
            "Some differences are off.",
            "ALT frequency = mean dosage / 2 over called samples (skip -1) in each population; take |difference|.",
        )
    return passed("5.2", "allele-frequency differences between the populations are right.")
