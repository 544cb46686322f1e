"""A fitted pipeline (variant alignment, screen, model) that can be saved,
reloaded and applied to another VCF file.

The pipeline is a real scikit-learn :class:`~sklearn.pipeline.Pipeline`, so
scikit-learn's tools work on it (``cross_val_score``, ``CalibrationDisplay``,
``RocCurveDisplay.from_estimator``); its input is a :class:`~vcfml.features.Dataset`
or the table of :meth:`Dataset.to_frame`.

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
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline

from vcfml.automl import alignment
from vcfml.errors import VcfmlError, VcfmlInputError, preview_names
from vcfml.features import Dataset
from vcfml.io.vcf_reader import variant_labels

MODEL_FILE = "model.joblib"
SUMMARY_FILE = "model.json"
KEY_COLUMNS = ["chrom", "pos", "ref", "alt"]


class VariantAlignment(TransformerMixin, BaseEstimator):
    """The pipeline's first step: the model's variants (dosages, -1 missing) and
    covariates, in model column order, from a :class:`Dataset` or a
    :meth:`Dataset.to_frame` table of any VCF of the same variants.

    A ``Dataset`` is matched on chrom/pos/ref/alt (:func:`align_variants`); a
    table on its column names (the variant labels of ``to_frame``). Nothing is
    learned: the variants are those the search's screen kept on the training
    samples. So refitting the pipeline (``cross_val_score``) refits the model on
    those sites, not the choice of sites: on the training cohort that score is
    optimistic; the run's held-out test estimate is the honest one.
    """

    def __init__(
        self,
        variants: pd.DataFrame | None = None,
        covariate_names: list[str] | tuple[str, ...] = (),
        missing: str = "error",
    ) -> None:
        self.variants = variants
        self.covariate_names = covariate_names
        self.missing = missing

    def fit(self, X, y=None) -> VariantAlignment:
        return self

    def transform(self, X) -> np.ndarray:
        if isinstance(X, Dataset):
            calls = align_variants(self.variants, X, self.missing)
            covariates = X.covariates
        elif isinstance(X, pd.DataFrame):
            labels = variant_labels(self.variants)
            absent = [label for label in labels if label not in X.columns]
            if absent and self.missing == "error":
                raise VcfmlError(
                    f"{len(absent)} of the model's {len(labels)} variants are not columns of "
                    f"the table ({preview_names(absent)}); use missing='impute' to fill them "
                    "with the training mean dosage"
                )
            calls = X.reindex(columns=labels).fillna(-1).to_numpy(dtype=np.float32)
            covariates = X
        else:
            raise TypeError(
                "the model's input is a vcfml Dataset or its table (Dataset.to_frame()), "
                f"not {type(X).__name__}"
            )
        absent = [name for name in self.covariate_names if name not in covariates.columns]
        if absent:
            raise VcfmlError(f"the samples table lacks covariates the model uses: {absent}")
        values = covariates[list(self.covariate_names)].to_numpy(dtype=np.float32)
        return np.hstack([np.asarray(calls, dtype=np.float32), values])


def build_pipeline(
    variants: pd.DataFrame, covariate_names: list[str], estimator, missing: str = "error"
) -> Pipeline:
    """Alignment, then the screen's imputation of the kept sites with their
    training mean dosage (covariates pass through), then the model."""
    n_sites = len(variants)
    screen = ColumnTransformer(
        [
            (
                "sites",
                SimpleImputer(missing_values=-1, strategy="mean", keep_empty_features=True),
                list(range(n_sites)),
            ),
            ("covariates", "passthrough", list(range(n_sites, n_sites + len(covariate_names)))),
        ]
    )
    return Pipeline(
        [
            ("align", VariantAlignment(variants, list(covariate_names), missing)),
            ("screen", screen),
            ("model", estimator),
        ]
    )


@dataclass
class FittedModel:
    """The best pipeline of an AutoML run, refitted on the training samples.

    Attributes:
        estimator_name: model family (``lightgbm``, ``logistic``, ...), or
            ``ensemble`` for a vote of several trials.
        params: its hyperparameters (for a vote: each member's trial, family,
            number of sites, weight and hyperparameters).
        pipeline: the fitted scikit-learn ``Pipeline``: ``align``
            (:class:`VariantAlignment`), ``screen`` (imputation of the kept
            sites) and ``model`` (a :class:`~vcfml.automl.ensemble.VotingEnsemble`
            for a vote).
        variants: the kept variants (chrom, pos, id, ref, alt), in model column order.
        covariate_names: encoded covariate columns, after the variant columns.
        covariate_levels: how to encode covariates of new samples.
        target_name, target_labels: the target column and its labels for 0 and 1.
    """

    estimator_name: str
    params: dict
    pipeline: Pipeline
    variants: pd.DataFrame
    covariate_names: list[str]
    covariate_levels: dict[str, list[str] | None]
    target_name: str
    target_labels: tuple[str, str]
    metadata: dict = field(default_factory=dict)

    @property
    def estimator(self):
        """The fitted model, the pipeline's last step."""
        return self.pipeline[-1]

    @property
    def classes_(self) -> np.ndarray:
        """The target's labels, as scikit-learn's ``classes_``: column ``i`` of
        :meth:`predict_proba` is the probability of ``classes_[i]``; the second
        (``classes_[1]``) is the case, the label the dataset codes as 1."""
        return np.asarray(self.target_labels, dtype=object)

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

    def features(self, dataset, missing: str = "error") -> np.ndarray:
        """The model's input matrix (kept sites imputed, then covariates)."""
        aligned = VariantAlignment(self.variants, self.covariate_names, missing).transform(dataset)
        return self.pipeline["screen"].transform(aligned)

    def predict_proba(self, dataset, missing: str = "error") -> np.ndarray:
        """Probabilities, (n_samples, 2), as scikit-learn: column 0 for
        ``classes_[0]`` (the control), column 1 for ``classes_[1]`` (the case);
        ``predict_proba(dataset)[:, 1]`` is P(case) per sample.
        """
        return self.estimator.predict_proba(self.features(dataset, missing))

    def predict(self, dataset, missing: str = "error") -> np.ndarray:
        """The label (from ``classes_``) of each sample: the case when its
        probability of case is at least 0.5."""
        case = self.predict_proba(dataset, missing)[:, 1] >= 0.5
        return self.classes_[case.astype(int)]

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
