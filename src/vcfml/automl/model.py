"""A fitted pipeline (screen + model) that can be saved, reloaded and applied to
another VCF file.

Columns of a new file are matched to the training variants by chromosome,
position, REF and ALT, never by column order: two VCFs of the same cohort rarely
list exactly the same sites in the same order, and silent misalignment would
produce confident nonsense.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import joblib
import numpy as np
import pandas as pd

from vcfml.automl import alignment
from vcfml.automl.screening import GenotypeScreen, impute
from vcfml.errors import VcfmlError, VcfmlInputError
from vcfml.features import Dataset
from vcfml.io.vcf_reader import variant_labels

MODEL_FILE = "model.joblib"
SUMMARY_FILE = "model.json"
KEY_COLUMNS = ["chrom", "pos", "ref", "alt"]


@dataclass
class FittedModel:
    """The best pipeline of an AutoML run, refitted on all training samples.

    Attributes:
        estimator_name: model family (``lightgbm``, ``logistic``, ...), or
            ``ensemble`` for a vote of several trials.
        params: its hyperparameters (for a vote: each member's trial, family,
            number of sites, weight and hyperparameters).
        screen: the fitted :class:`GenotypeScreen` (kept sites, imputation means).
        estimator: the fitted scikit-learn estimator (a
            :class:`~vcfml.automl.ensemble.VotingEnsemble` for a vote).
        variants: the kept variants (chrom, pos, id, ref, alt), in model column order.
        covariate_names: encoded covariate columns, after the variant columns.
        covariate_levels: how to encode covariates of new samples.
        target_name, target_labels: the target column and its labels for 0 and 1.
    """

    estimator_name: str
    params: dict
    screen: GenotypeScreen
    estimator: object
    variants: pd.DataFrame
    covariate_names: list[str]
    covariate_levels: dict[str, list[str] | None]
    target_name: str
    target_labels: tuple[str, str]
    metadata: dict = field(default_factory=dict)

    @property
    def variant_names(self) -> list[str]:
        return variant_labels(self.variants)

    @property
    def feature_names(self) -> list[str]:
        return self.variant_names + list(self.covariate_names)

    @property
    def is_tree(self) -> bool:
        from vcfml.automl.estimators import FAMILIES

        family = FAMILIES.get(self.estimator_name)  # None for a vote of several models
        return family is not None and family.is_tree

    def features(self, dataset: Dataset, missing: str = "error") -> np.ndarray:
        """The model's input matrix for a dataset read from any VCF."""
        calls = align_variants(self.variants, dataset, missing)
        genotypes = impute(calls, self.screen.means_[self.screen.selected_])
        covariates = dataset.covariates.reindex(columns=self.covariate_names)
        if covariates.isna().to_numpy().any():
            absent = [c for c in self.covariate_names if c not in dataset.covariates.columns]
            raise VcfmlError(f"the samples table lacks covariates the model uses: {absent}")
        return np.hstack([genotypes, covariates.to_numpy(dtype=np.float32)])

    def predict_proba(self, dataset: Dataset, missing: str = "error") -> np.ndarray:
        """Probability of the positive class (case) for each sample."""
        return self.estimator.predict_proba(self.features(dataset, missing))[:, 1]

    def save(self, directory: str | PathLike[str]) -> Path:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        joblib.dump(self, directory / MODEL_FILE)
        summary = {
            "estimator": self.estimator_name,
            "params": self.params,
            "n_sites": len(self.variants),
            "features": self.feature_names,
            "target": self.target_name,
            "target_labels": list(self.target_labels),
            **self.metadata,
        }
        (directory / SUMMARY_FILE).write_text(json.dumps(summary, indent=2, default=str) + "\n")
        return directory

    @staticmethod
    def load(directory: str | PathLike[str]) -> FittedModel:
        path = Path(directory) / MODEL_FILE
        if not path.exists():
            raise VcfmlInputError(
                directory, f"no {MODEL_FILE}: is this an AutoML run's model/ folder?"
            )
        model = joblib.load(path)
        if not isinstance(model, FittedModel):
            raise VcfmlInputError(path, "does not hold a vcfml FittedModel")
        return model


def align_variants(
    variants: pd.DataFrame, dataset: Dataset, missing: str = "error", max_missing_share: float = 0.0
) -> np.ndarray:
    """Columns of ``dataset`` for the given variants: contig aliases, REF/ALT
    swaps and duplicates handled by :func:`vcfml.automl.alignment.align_variants`
    (which also returns a report of what it did; ``vcfml predict`` prints it).

    ``missing="error"`` refuses a file that lacks more than ``max_missing_share``
    of the model variants (none, by default here; the CLI allows 10%);
    ``missing="impute"`` fills absent variants with missing calls, which the
    model replaces by the training mean dosage.
    """
    calls, _ = alignment.align_variants(
        variants, dataset, missing=missing, max_missing_share=max_missing_share
    )
    return calls


def missing_variants(variants: pd.DataFrame, dataset: Dataset) -> pd.DataFrame:
    """The model variants that the dataset's VCF does not have."""
    present = _key_index(dataset.variants)
    keep = [key not in present for key in _keys(variants)]
    return variants.loc[keep, KEY_COLUMNS]


def _keys(table: pd.DataFrame) -> list[tuple]:
    return list(zip(*(table[c].astype(str) for c in KEY_COLUMNS), strict=True))


def _key_index(table: pd.DataFrame) -> dict[tuple, int]:
    return {key: index for index, key in enumerate(_keys(table))}
