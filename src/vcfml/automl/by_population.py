"""The test estimate within each population: does a model port across ancestries?

A model trained mostly on one ancestry loses accuracy in another (allele
frequencies, LD and even the causal variants differ; Martin et al. 2019, Nat
Genet 51:584). One number over all test samples hides that, so when the samples
table has a ``population`` column, ``vcfml automl`` and ``vcfml predict`` also
score each population's samples apart.
"""

from __future__ import annotations

from os import PathLike

import numpy as np
import pandas as pd

from vcfml.automl.metrics import bootstrap_scores

POPULATION_COLUMNS = ("population", "pop", "ancestry", "super_pop", "superpopulation")
GROUP_RESAMPLES = 200  # bootstrap resamples per population and model


def population_column(
    samples_table: pd.DataFrame | str | PathLike[str], sample_ids: list[str]
) -> np.ndarray | None:
    """Each sample's population, from the first column of the samples table named
    like one (``population``, ``pop``, ``ancestry``, ``super_pop``, case ignored);
    ``None`` when there is none."""
    if not isinstance(samples_table, pd.DataFrame):
        from vcfml.io.samples_table import read_samples_table

        samples_table = read_samples_table(samples_table)
    columns = {str(name).lower(): name for name in samples_table.columns}
    for name in POPULATION_COLUMNS:
        if name in columns:
            return samples_table.loc[sample_ids, columns[name]].astype(str).to_numpy()
    return None


def scores_by_group(
    y: np.ndarray,
    probabilities: dict[str, np.ndarray],
    groups: np.ndarray | pd.Series,
    metric_name: str,
    seed: int = 0,
    n_resamples: int = GROUP_RESAMPLES,
) -> dict[str, dict]:
    """Each model's score within each group, with a 95% bootstrap interval.

    Returns ``{group: {"n_samples", "n_cases", MODEL: {"mean", "ci95"} or None}}``;
    ``None`` where the group holds one class only (no AUC can be computed).
    """
    y = np.asarray(y)
    groups = np.asarray(groups).astype(str)
    out: dict[str, dict] = {}
    for group in sorted(set(groups)):
        inside = groups == group
        entry: dict = {"n_samples": int(inside.sum()), "n_cases": int(y[inside].sum())}
        for name, probability in probabilities.items():
            if y[inside].min() == y[inside].max():
                entry[name] = None
                continue
            scores = bootstrap_scores(
                y[inside], np.asarray(probability)[inside], n_resamples=n_resamples, seed=seed
            )[metric_name]
            entry[name] = {"mean": scores["mean"], "ci95": scores["ci95"]}
        out[group] = entry
    return out


def format_groups(table: dict[str, dict], metric_name: str) -> list[str]:
    """One line per population: each model's score and interval."""
    lines = []
    for group, entry in table.items():
        parts = []
        for name, value in entry.items():
            if name in ("n_samples", "n_cases"):
                continue
            if value is None:
                parts.append(f"{name} n/a (one class)")
            else:
                low, high = value["ci95"]
                parts.append(f"{name} {value['mean']:.4f} ({low:.4f}-{high:.4f})")
        lines.append(
            f"{group} ({entry['n_samples']} samples, {entry['n_cases']} cases): {metric_name} "
            + ", ".join(parts)
        )
    return lines
