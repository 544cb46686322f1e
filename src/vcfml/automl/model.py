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

A saved model is two files: ``model.skops`` holds the fitted screen and estimator
in `skops <https://skops.readthedocs.io>`_'s format, which rebuilds objects from
their state without running code from the file (a pickle, ``joblib``'s format,
runs whatever its author put in it, on load); ``model.json`` holds the rest
(variants, covariates, target, versions) as plain JSON. Loading refuses any type
that is not in :data:`TRUSTED_TYPES`. Models saved by older vcfml releases
(``model.joblib``) load only with ``trust=True`` (``--trust`` on the command
line), with a warning: do that only for files you made or whose source you trust.
"""

from __future__ import annotations

import json
import warnings
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
from vcfml.genome import KEY_COLUMNS
from vcfml.io.vcf_reader import variant_labels

MODEL_FILE = "model.skops"
LEGACY_MODEL_FILE = "model.joblib"  # vcfml 0.1's pickles: loaded only with trust=True
SUMMARY_FILE = "model.json"
MODEL_FORMAT = "skops-1"  # model.json's "format": the layout of these two files
# The types beyond scikit-learn's and numpy's own that a saved model may hold, each
# rebuilt from its state by skops (no code of the file runs): LightGBM's
# estimator and booster (the booster's state is its model text), scikit-learn's
# tree structure, the vote, and the plain containers they use. The search fits
# scikit-learn and LightGBM estimators only (FLAML's tune chooses their
# hyperparameters; no FLAML object is saved).
TRUSTED_TYPES = [
    "collections.OrderedDict",
    "lightgbm.basic.Booster",
    "lightgbm.sklearn.LGBMClassifier",
    "numpy.dtype",
    "sklearn.tree._tree.Tree",
    "vcfml.automl.ensemble.VotingEnsemble",
]
# Packages whose versions a model records; another version here is reported on load.
MODEL_PACKAGES = ["vcfml", "numpy", "scikit-learn", "lightgbm"]


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
        """Write ``model.skops`` (screen and estimator) and ``model.json``
        (everything else, plain JSON) into ``directory``."""
        import skops.io

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        skops.io.dump(
            {"screen": self.pipeline["screen"], "model": self.estimator}, directory / MODEL_FILE
        )
        summary = {
            "format": MODEL_FORMAT,
            "estimator": self.estimator_name,
            "params": self.params,
            "n_sites": len(self.variants),
            "features": self.feature_names,
            "target": self.target_name,
            "target_labels": list(self.target_labels),
            "variants": {
                column: self.variants[column].tolist() for column in self.variants.columns
            },
            "covariate_names": list(self.covariate_names),
            "covariate_levels": self.covariate_levels,
            "versions": model_versions(),
            **self.metadata,
        }
        text = json.dumps(summary, indent=2, default=_json_value) + "\n"
        (directory / SUMMARY_FILE).write_text(text)
        return directory

    @staticmethod
    def load(directory: str | PathLike[str], trust: bool = False) -> FittedModel:
        """The model saved in ``directory`` by :meth:`save`.

        Only the types of :data:`TRUSTED_TYPES` (and skops' own trusted
        scikit-learn and numpy types) are rebuilt; a file holding any other is
        refused before anything in it is built. A package version other than
        the one the model was saved with gives a warning naming both.

        Args:
            trust: also load an older vcfml's ``model.joblib``, a pickle, which
                runs any code it holds: only for files you made or trust.

        Raises:
            VcfmlInputError: no model, an untrusted type, an unreadable file, or
                a pickle without ``trust``.
        """
        directory = Path(directory)
        path = directory / MODEL_FILE
        if path.exists():
            return _load_skops(directory)
        legacy = directory / LEGACY_MODEL_FILE
        if legacy.exists():
            return _load_pickle(legacy, trust)
        raise VcfmlInputError(directory, f"no {MODEL_FILE}: is this an AutoML run's model/ folder?")


def installed_versions(packages: list[str]) -> dict[str, str]:
    """The installed version of each package (``not installed`` if absent)."""
    from importlib import metadata

    found = {}
    for package in packages:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def model_versions() -> dict[str, str]:
    """The installed versions of :data:`MODEL_PACKAGES`, recorded with a model."""
    return installed_versions(MODEL_PACKAGES)


def version_differences(saved: dict) -> list[str]:
    """``"scikit-learn 1.7.2 (here 1.9.1)"`` for each recorded package whose
    installed version differs."""
    here = model_versions()
    return [
        f"{name} {saved[name]} (here {here[name]})"
        for name in MODEL_PACKAGES
        if name in saved and str(saved[name]) != here[name]
    ]


def _json_value(value):
    """JSON for numpy scalars and arrays; anything else as its text."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


SUMMARY_KEYS = {
    "format",
    "estimator",
    "params",
    "n_sites",
    "features",
    "target",
    "target_labels",
    "variants",
    "covariate_names",
    "covariate_levels",
    "versions",
}


def _load_skops(directory: Path) -> FittedModel:
    import skops.io

    path = directory / MODEL_FILE
    summary_path = directory / SUMMARY_FILE
    try:
        summary = json.loads(summary_path.read_text())
    except FileNotFoundError:
        raise VcfmlInputError(
            summary_path, "file not found: the model folder is incomplete"
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise VcfmlInputError(summary_path, f"not valid JSON ({error})") from error
    absent = [key for key in ("variants", "covariate_names", "target") if key not in summary]
    if not isinstance(summary, dict) or absent:
        raise VcfmlInputError(summary_path, f"not a vcfml model description (lacks {absent})")
    try:
        # Reads the file's schema only: nothing in it is built yet.
        untrusted = skops.io.get_untrusted_types(file=path)
    except Exception as error:  # not a zip, no schema: skops raises several kinds
        raise VcfmlInputError(
            path, f"not a skops model file ({type(error).__name__}: {error})"
        ) from error
    unknown = sorted(set(untrusted) - set(TRUSTED_TYPES))
    if unknown:
        raise VcfmlInputError(
            path,
            f"holds types that vcfml does not load: {', '.join(unknown)}; a vcfml model "
            "holds scikit-learn, LightGBM and vcfml estimators only, so this file was made "
            "by something else (refused without building anything from it)",
        )
    differences = version_differences(summary.get("versions", {}))
    if differences:
        warnings.warn(
            f"{path}: saved with {', '.join(differences)}; its predictions may differ from "
            "the run's: check them, or train again with these versions",
            UserWarning,
            stacklevel=3,
        )
    from sklearn.exceptions import InconsistentVersionWarning

    try:
        parts = skops.io.load(path, trusted=TRUSTED_TYPES)
    except InconsistentVersionWarning:  # raised where a caller made it an error
        raise
    except Exception as error:  # a damaged or hand-edited file
        raise VcfmlInputError(
            path, f"cannot be loaded ({type(error).__name__}: {error})"
        ) from error
    if not isinstance(parts, dict) or not {"screen", "model"} <= set(parts):
        raise VcfmlInputError(path, "does not hold a vcfml model (a screen and an estimator)")
    variants = pd.DataFrame(summary["variants"])
    if "pos" in variants:
        variants["pos"] = variants["pos"].astype(np.int64)
    covariate_names = list(summary["covariate_names"])
    pipeline = build_pipeline(variants, covariate_names, parts["model"])
    pipeline.steps[1] = ("screen", parts["screen"])
    metadata = {key: value for key, value in summary.items() if key not in SUMMARY_KEYS}
    return FittedModel(
        estimator_name=summary.get("estimator", "unknown"),
        params=summary.get("params", {}),
        pipeline=pipeline,
        variants=variants,
        covariate_names=covariate_names,
        covariate_levels=dict(summary.get("covariate_levels") or {}),
        target_name=summary["target"],
        target_labels=tuple(summary.get("target_labels", ("0", "1"))),
        metadata=metadata,
    )


def _load_pickle(path: Path, trust: bool) -> FittedModel:
    if not trust:
        raise VcfmlInputError(
            path,
            "is a pickle from an older vcfml; loading a pickle runs any code it holds, so it "
            "is refused: train the model again, or, only if you made this file or trust its "
            "source, load it with --trust (FittedModel.load(..., trust=True))",
        )
    warnings.warn(
        f"{path}: loading a pickle (trust=True): it can run any code it holds; save the "
        "model again (FittedModel.save) to get the safe format",
        UserWarning,
        stacklevel=3,
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
