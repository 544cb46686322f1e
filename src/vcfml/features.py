"""Join genotypes with the samples table: features and target for a model.

A model needs one row per sample with every feature and the target. The
genotypes come from the VCF and the phenotype and covariates (sex, age,
population, ...) from the samples table; this module lines them up by
``sample_id`` and refuses to guess when they do not match.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from vcfml.errors import VcfmlInputError, preview_names
from vcfml.io.samples_table import read_samples_table
from vcfml.io.vcf_reader import GenotypeMatrix

# Two-label targets whose positive ("case") label is unambiguous.
KNOWN_POSITIVE = {
    frozenset({"case", "control"}): "case",
    frozenset({"affected", "unaffected"}): "affected",
    frozenset({"yes", "no"}): "yes",
    frozenset({"true", "false"}): "true",
}


@dataclass(frozen=True)
class Dataset:
    """Genotypes, covariates and target of the same samples, in the same order.

    Attributes:
        genotypes: (n_samples, n_variants) int8 dosages, -1 missing.
        variants: the variants table of the genotype columns.
        covariates: numeric covariate columns (categorical ones one-hot
            encoded as ``column=level``), indexed by sample ID.
        target: 0/1 per sample; 1 is the positive class (case).
        target_labels: the original labels of 0 and 1.
        samples: sample IDs.
    """

    genotypes: np.ndarray
    variants: pd.DataFrame
    covariates: pd.DataFrame
    target: np.ndarray
    target_labels: tuple[str, str]
    samples: list[str]

    @property
    def variant_names(self) -> list[str]:
        return GenotypeMatrix(self.genotypes, self.variants, self.samples).variant_labels()

    @property
    def feature_names(self) -> list[str]:
        return self.variant_names + list(self.covariates.columns)

    def to_frame(self) -> pd.DataFrame:
        """All features as one table (genotype columns first), one row per sample."""
        genotype_frame = pd.DataFrame(
            self.genotypes,
            index=pd.Index(self.samples, name="sample_id"),
            columns=self.variant_names,
        )
        return pd.concat([genotype_frame, self.covariates.set_axis(genotype_frame.index)], axis=1)


def join_samples(
    genotypes: GenotypeMatrix,
    samples_table: pd.DataFrame | str | PathLike[str],
    *,
    target: str = "phenotype",
    covariates: Sequence[str] | None = None,
    positive_label: str | None = None,
) -> Dataset:
    """Line up genotypes with a samples table by ``sample_id``.

    Args:
        genotypes: as returned by :func:`vcfml.read_vcf`.
        samples_table: a table indexed by sample ID, or the path of one.
        target: the column to predict; two values (0/1, 1/2 as in PLINK,
            case/control, ... or any two labels with ``positive_label``).
        covariates: the columns to use as extra features; by default every
            column except the target.
        positive_label: which of two labels is the positive class.

    Raises:
        VcfmlInputError: samples missing on either side, an unknown column, a
            target without exactly two values or with missing values, or a
            missing covariate value. The message names the samples table.
    """
    source = None
    if not isinstance(samples_table, pd.DataFrame):
        source = Path(samples_table)
        samples_table = read_samples_table(source)
    label = source if source is not None else "samples table"
    _check_same_samples(genotypes, samples_table, label)
    table = samples_table.loc[genotypes.samples]
    if target not in table.columns:
        raise VcfmlInputError(label, f"no column {target!r} to use as the target")
    y, labels = encode_target(table[target], label, target, positive_label)
    if covariates is None:
        covariates = [column for column in table.columns if column != target]
    unknown = [column for column in covariates if column not in table.columns]
    if unknown:
        raise VcfmlInputError(label, f"unknown covariate columns: {', '.join(unknown)}")
    return Dataset(
        genotypes=genotypes.genotypes,
        variants=genotypes.variants,
        covariates=encode_covariates(table[list(covariates)], label),
        target=y,
        target_labels=labels,
        samples=list(genotypes.samples),
    )


def _check_same_samples(genotypes: GenotypeMatrix, table: pd.DataFrame, label) -> None:
    in_vcf = set(genotypes.samples)
    in_table = set(table.index)
    only_vcf = [name for name in genotypes.samples if name not in in_table]
    only_table = [name for name in table.index if name not in in_vcf]
    vcf_name = genotypes.source.name if genotypes.source is not None else "the VCF"
    if only_vcf:
        raise VcfmlInputError(
            label, f"{len(only_vcf)} samples of {vcf_name} are missing: {preview_names(only_vcf)}"
        )
    if only_table:
        raise VcfmlInputError(
            label, f"{len(only_table)} samples are not in {vcf_name}: {preview_names(only_table)}"
        )


def encode_target(
    values: pd.Series, label, column: str, positive_label: str | None = None
) -> tuple[np.ndarray, tuple[str, str]]:
    """Turn a two-valued column into 0/1 and say which label became 1."""
    missing = values.isna()
    if missing.any():
        first = values.index[missing.to_numpy().argmax()]
        raise VcfmlInputError(
            label, f"target {column!r} is missing for {int(missing.sum())} samples (first: {first})"
        )
    text = values.astype(str).str.strip()
    levels = sorted(set(text))
    if len(levels) != 2:
        shown = ", ".join(levels[:5])
        raise VcfmlInputError(
            label,
            f"target {column!r} must have exactly two values for a binary phenotype, "
            f"found {len(levels)}: {shown}",
        )
    positive = positive_label if positive_label is not None else _positive_level(levels)
    if positive is None:
        raise VcfmlInputError(
            label, f"target {column!r} has labels {levels}; say which is the case (positive_label)"
        )
    if positive not in levels:
        raise VcfmlInputError(label, f"positive label {positive!r} is not one of {levels}")
    negative = next(level for level in levels if level != positive)
    return (text == positive).to_numpy(dtype=np.int8), (negative, positive)


def _positive_level(levels: list[str]) -> str | None:
    numeric = {"0": "1", "1": "2"}  # 0/1, or PLINK's 1 = control / 2 = case
    if levels in (["0", "1"], ["1", "2"]):
        return numeric[levels[0]]
    lowered = {level.lower(): level for level in levels}
    positive = KNOWN_POSITIVE.get(frozenset(lowered))
    return lowered[positive] if positive else None


def encode_covariates(table: pd.DataFrame, label) -> pd.DataFrame:
    """Numeric columns stay; text columns become one indicator per level
    (``sex=male``), with one level dropped when there are only two."""
    missing = table.isna()
    if missing.to_numpy().any():
        column = missing.any().idxmax()
        sample = missing[column].idxmax()
        raise VcfmlInputError(label, f"covariate {column!r} is missing for sample {sample}")
    encoded = []
    for column in table.columns:
        values = table[column]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            encoded.append(values.astype(float).rename(column))
            continue
        levels = sorted(values.astype(str).unique())
        kept = levels[1:] if len(levels) == 2 else levels
        for level in kept:
            encoded.append((values.astype(str) == level).astype(float).rename(f"{column}={level}"))
    if not encoded:
        return pd.DataFrame(index=table.index)
    return pd.concat(encoded, axis=1)
