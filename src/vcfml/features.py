"""Join genotypes with the samples table: features and target for a model.

A model needs one row per sample with every feature and the target. The
genotypes come from the VCF and the phenotype and covariates (sex, age,
population, ...) from the samples table; this module lines them up by
``sample_id`` and refuses to guess when they do not match.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from vcfml.errors import VcfmlInputError, preview_names
from vcfml.io.samples_table import read_samples_table
from vcfml.io.vcf_reader import GenotypeMatrix, variant_labels

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
        covariate_levels: for each raw covariate column, its encoded levels
            (``None`` for a numeric column), so new data is encoded alike.
        target_name: the samples-table column the target came from.
        source: the VCF the genotypes were read from (for error messages).
        contigs: the VCF header's contig lengths (to recognise the genome build).
    """

    genotypes: np.ndarray
    variants: pd.DataFrame
    covariates: pd.DataFrame
    target: np.ndarray
    target_labels: tuple[str, str]
    samples: list[str]
    covariate_levels: dict[str, list[str] | None] | None = None
    target_name: str = "phenotype"
    source: Path | None = None
    contigs: dict[str, int | None] = field(default_factory=dict)

    @property
    def variant_names(self) -> list[str]:
        return variant_labels(self.variants)

    @property
    def feature_names(self) -> list[str]:
        return self.variant_names + list(self.covariates.columns)

    def subset(self, rows: Sequence[int] | np.ndarray) -> Dataset:
        """The same dataset restricted to some samples (e.g. a train/test split)."""
        rows = np.asarray(rows)
        return replace(
            self,
            genotypes=self.genotypes[rows],
            covariates=self.covariates.iloc[rows],
            target=self.target[rows] if self.target.size else self.target,
            samples=[self.samples[i] for i in rows],
        )

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
    covariate_levels: dict[str, list[str] | None] | None = None,
    require_target: bool = True,
) -> Dataset:
    """Line up genotypes with a samples table by ``sample_id``.

    Args:
        genotypes: as returned by :func:`vcfml.read_vcf`.
        samples_table: a table indexed by sample ID, or the path of one.
        target: the column to predict; two values (0/1, 1/2 as in PLINK,
            case/control, ... or any two labels with ``positive_label``).
        covariates: the columns to use as extra features; by default every
            column except the target. Name them when the table has other
            columns: an ID-like or phenotype-derived column would enter the model
            silently (a text column with a different value for every sample is
            warned about, as it can only be memorised).
        positive_label: which of two labels is the positive class.
        covariate_levels: encode covariates with these levels (those of a
            training set) instead of the levels found in this table.
        require_target: with ``False`` a table without the target column is
            accepted (prediction on new samples); the target is then empty.

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
    if target in table.columns:
        y, labels = encode_target(table[target], label, target, positive_label)
    elif require_target:
        raise VcfmlInputError(label, f"no column {target!r} to use as the target")
    else:
        y, labels = np.array([], dtype=np.int8), ("0", "1")
    if covariate_levels is not None:
        covariates = list(covariate_levels)
    elif covariates is None:
        covariates = [column for column in table.columns if column != target]
        _warn_identifier_columns(table[covariates], label)
    unknown = [column for column in covariates if column not in table.columns]
    if unknown:
        raise VcfmlInputError(label, f"unknown covariate columns: {', '.join(unknown)}")
    encoded, levels = encode_covariates(table[list(covariates)], label, covariate_levels)
    return Dataset(
        genotypes=genotypes.genotypes,
        variants=genotypes.variants,
        covariates=encoded,
        target=y,
        target_labels=labels,
        samples=list(genotypes.samples),
        covariate_levels=levels,
        target_name=target,
        source=genotypes.source,
        contigs=dict(genotypes.contigs),
    )


def _warn_identifier_columns(table: pd.DataFrame, label) -> None:
    """Warn about text columns with one value per sample (IDs, names, dates)."""
    if len(table) < 3:
        return
    for column in table.columns:
        values = table[column]
        numeric = pd.api.types.is_numeric_dtype(values)
        if not numeric and values.nunique(dropna=True) == len(values):
            warnings.warn(
                f"{label}: column {column!r} has a different value for every sample "
                "(an identifier?) and becomes a covariate by default; name the covariates "
                "to use (CLI: --covariates)",
                UserWarning,
                stacklevel=3,
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


def encode_covariates(
    table: pd.DataFrame, label, levels: dict[str, list[str] | None] | None = None
) -> tuple[pd.DataFrame, dict[str, list[str] | None]]:
    """Numeric columns stay; text columns become one indicator per level
    (``sex=male``), with the first level dropped when there are only two: what
    scikit-learn's ``OneHotEncoder(drop="if_binary")`` makes, with the levels in
    sorted order (``pandas.get_dummies``, which costs no scikit-learn import).

    With ``levels`` (from a training set) the same indicators are made; a level
    the training set never saw, or text in a column that was numeric, is an error
    that names the column and the sample.
    """
    missing = table.isna()
    if missing.to_numpy().any():
        column = missing.any().idxmax()
        sample = missing[column].idxmax()
        raise VcfmlInputError(label, f"covariate {column!r} is missing for sample {sample}")
    encoded = []
    found: dict[str, list[str] | None] = {}
    for column in table.columns:
        values = table[column]
        wanted = levels.get(column) if levels is not None else None
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        if (levels is None and numeric) or (levels is not None and wanted is None):
            encoded.append(_as_numbers(values, label))
            found[column] = None
            continue
        text = values.astype(str)
        categories = wanted if wanted is not None else sorted(text.unique())
        new = sorted(set(text) - set(categories))
        if new:
            raise VcfmlInputError(
                label, f"covariate {column!r} has values the model never saw: {new}"
            )
        found[column] = list(categories)
        # pandas' indicators, not scikit-learn's OneHotEncoder: the same columns, and
        # `vcfml scan` does not pay about half a second to import scikit-learn.
        indicators = pd.get_dummies(pd.Categorical(text, categories=categories), dtype=np.float64)
        indicators.index, indicators.columns = table.index, [f"{column}={v}" for v in categories]
        encoded.append(indicators.iloc[:, 1:] if len(categories) == 2 else indicators)
    if not encoded:
        return pd.DataFrame(index=table.index), found
    return pd.concat(encoded, axis=1), found


def _as_numbers(values: pd.Series, label) -> pd.Series:
    """A numeric covariate as floats; text in it is an error naming the sample."""
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() & values.notna()
    if bad.any():
        sample = bad.idxmax()
        raise VcfmlInputError(
            label,
            f"covariate {values.name!r} must be a number (the model was trained on numbers), "
            f"sample {sample} has {values[sample]!r}",
        )
    return numbers.astype(float).rename(values.name)
