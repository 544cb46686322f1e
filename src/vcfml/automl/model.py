"""A fitted pipeline (variant alignment, screen, model) that can be saved,
reloaded and applied to another VCF file.

:class:`FittedModel` is a scikit-learn classifier (``get_params``, ``clone``,
fitted attributes ending in ``_``) around a real scikit-learn
:class:`~sklearn.pipeline.Pipeline` (``pipeline_`` once fitted), so
scikit-learn's tools work on both (``cross_val_score``, ``CalibrationDisplay``,
``RocCurveDisplay.from_estimator``); their input is a :class:`~vcfml.features.Dataset`
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
from os import PathLike
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

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


class FittedModel(ClassifierMixin, BaseEstimator):
    """The best pipeline of an AutoML run, refitted on the training samples: a
    scikit-learn classifier whose input is a :class:`~vcfml.features.Dataset`
    (or its :meth:`~vcfml.features.Dataset.to_frame` table).

    It keeps scikit-learn's contract: the constructor only stores its
    parameters; :meth:`fit` fits a clone of ``pipeline`` (``pipeline_``), so
    ``sklearn.base.clone(model)`` is the same model unfitted and
    ``cross_val_score(clone(model), dataset.to_frame(), labels)`` refits all of
    it, variants chosen by the search aside (see :class:`VariantAlignment`).
    ``predict_proba`` has one column per class of ``classes_`` (the control,
    then the case) and ``predict`` returns those labels.

    Parameters:
        pipeline: the scikit-learn ``Pipeline`` to fit: ``align``
            (:class:`VariantAlignment`, which holds the model's variants and
            covariate names), ``screen`` (imputation of the kept sites) and
            ``model`` (a :class:`~vcfml.automl.ensemble.VotingEnsemble` for a vote).
        estimator_name: model family (``lightgbm``, ``logistic``, ...), or
            ``ensemble`` for a vote of several trials.
        params: its hyperparameters (for a vote: each member's trial, family,
            number of sites, weight and hyperparameters).
        covariate_levels: how to encode covariates of new samples.
        target_name: the samples-table column of the target.
        target_labels: the labels the target codes as 0 and 1 (the control and
            the case); ``None``: those of the :class:`Dataset` it is fitted on.
        metadata: more keys for ``model.json`` (the run's scores).

    Attributes:
        pipeline_: the fitted clone of ``pipeline``.
        classes_: the target's labels, ``classes_[1]`` the case.
        complete_: whether the fit ran to the end (a ``deadline`` stops trees
            growing and boosting, see :func:`~vcfml.automl.estimators.fit_before`).
    """

    fits_before_deadline = True  # fit() takes a deadline (see fit_before)

    def __init__(
        self,
        pipeline: Pipeline | None = None,
        estimator_name: str = "unknown",
        params: dict | None = None,
        covariate_levels: dict[str, list[str] | None] | None = None,
        target_name: str = "phenotype",
        target_labels: tuple[str, str] | None = None,
        metadata: dict | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.estimator_name = estimator_name
        self.params = params
        self.covariate_levels = covariate_levels
        self.target_name = target_name
        self.target_labels = target_labels
        self.metadata = metadata

    def fit(self, X, y=None, deadline: float | None = None) -> FittedModel:
        """Fit a clone of ``pipeline`` on ``X``.

        Args:
            X: a :class:`Dataset` or its ``to_frame()`` table.
            y: the target, as labels of ``target_labels`` or as the dataset's
                0/1 codes; default: a Dataset's ``target``.
            deadline: a ``time.perf_counter()`` value at which tree growing and
                boosting stop (``complete_`` is then False).

        Raises:
            TypeError: ``X`` is not a Dataset or a table (an array's columns
                cannot be matched to the model's variants).
            ValueError: no pipeline, no target, a target with other labels, or
                a Dataset whose labels differ from ``target_labels``.
        """
        from sklearn.base import clone

        from vcfml.automl.estimators import fit_before

        if self.pipeline is None:
            raise ValueError("FittedModel needs a pipeline to fit (see build_pipeline)")
        if not isinstance(X, Dataset | pd.DataFrame):  # as VariantAlignment, before y
            raise TypeError(
                "the model's input is a vcfml Dataset or its table (Dataset.to_frame()), "
                f"not {type(X).__name__}"
            )
        labels = self.target_labels
        if isinstance(X, Dataset):
            if labels is not None and tuple(map(str, labels)) != tuple(X.target_labels):
                raise ValueError(
                    f"the dataset's target labels {tuple(X.target_labels)} are not the "
                    f"model's {tuple(labels)}"
                )
            labels = X.target_labels if labels is None else labels
            y = X.target if y is None else y
        if y is None:
            raise ValueError("fit needs the target y (or a Dataset, which holds it)")
        self.classes_ = np.asarray(labels if labels is not None else ("0", "1"), dtype=object)
        codes = self._codes(y)
        self.pipeline_ = clone(self.pipeline)
        features = self.pipeline_[:-1].fit_transform(X, codes)
        self.complete_ = fit_before(self.pipeline_[-1], features, codes, deadline)
        return self

    def _codes(self, y) -> np.ndarray:
        """``y`` as 0/1 codes: labels of ``classes_`` or codes already."""
        y = np.asarray(y)
        if y.dtype.kind in "biu":
            codes = y.astype(np.int64)
        else:
            names = [str(label) for label in self.classes_]
            text = y.astype(str)
            unknown = sorted(set(text) - set(names))
            if unknown:
                raise ValueError(f"target labels {unknown} are not the model's {names}")
            codes = (text == names[1]).astype(np.int64)
        if not np.isin(codes, [0, 1]).all():
            raise ValueError(
                "Only binary classification is supported: the target codes are 0 and 1, "
                f"got {sorted(set(codes.tolist()))}"
            )
        return codes

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False  # a case and a control
        return tags

    @property
    def estimator_(self):
        """The fitted model, the last step of ``pipeline_``."""
        return self.pipeline_[-1]

    @property
    def variants(self) -> pd.DataFrame:
        """The kept variants (chrom, pos, id, ref, alt), in model column order:
        a parameter of the pipeline's ``align`` step, chosen by the search."""
        return self.pipeline["align"].variants

    @property
    def covariate_names(self) -> list[str]:
        """Encoded covariate columns, after the variant columns."""
        return list(self.pipeline["align"].covariate_names)

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
        check_is_fitted(self, "pipeline_")
        aligned = VariantAlignment(self.variants, self.covariate_names, missing).transform(dataset)
        return self.pipeline_["screen"].transform(aligned)

    def predict_proba(self, X, missing: str = "error") -> np.ndarray:
        """Probabilities, (n_samples, 2), as scikit-learn: column 0 for
        ``classes_[0]`` (the control), column 1 for ``classes_[1]`` (the case);
        ``predict_proba(dataset)[:, 1]`` is P(case) per sample.
        """
        features = self.features(X, missing)  # first: NotFittedError before fit
        return self.estimator_.predict_proba(features)

    def predict(self, X, missing: str = "error") -> np.ndarray:
        """The label (from ``classes_``) of each sample: the case when its
        probability of case is at least 0.5."""
        case = self.predict_proba(X, missing)[:, 1] >= 0.5
        return self.classes_[case.astype(int)]

    def score(self, X, y=None, sample_weight=None) -> float:
        """Accuracy of :meth:`predict`; ``y`` as labels or 0/1 codes (default: a
        Dataset's target)."""
        from sklearn.metrics import accuracy_score

        if y is None and isinstance(X, Dataset):
            y = X.target
        predicted = (self.predict_proba(X)[:, 1] >= 0.5).astype(np.int64)
        return float(accuracy_score(self._codes(y), predicted, sample_weight=sample_weight))

    def save(self, directory: str | PathLike[str]) -> Path:
        """Write ``model.skops`` (screen and estimator) and ``model.json``
        (everything else, plain JSON) into ``directory``."""
        import skops.io

        check_is_fitted(self, "pipeline_")
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        skops.io.dump(
            {"screen": self.pipeline_["screen"], "model": self.estimator_}, directory / MODEL_FILE
        )
        summary = {
            "format": MODEL_FORMAT,
            "estimator": self.estimator_name,
            "params": self.params or {},
            "n_sites": len(self.variants),
            "features": self.feature_names,
            "target": self.target_name,
            "target_labels": [str(label) for label in self.classes_],
            "variants": {
                column: self.variants[column].tolist() for column in self.variants.columns
            },
            "covariate_names": list(self.covariate_names),
            "covariate_levels": self.covariate_levels or {},
            "versions": model_versions(),
            **(self.metadata or {}),
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
    fitted = build_pipeline(variants, covariate_names, parts["model"])
    fitted.steps[1] = ("screen", parts["screen"])
    metadata = {key: value for key, value in summary.items() if key not in SUMMARY_KEYS}
    return _fitted(
        fitted,
        estimator_name=summary.get("estimator", "unknown"),
        params=summary.get("params", {}),
        covariate_levels=dict(summary.get("covariate_levels") or {}),
        target_name=summary["target"],
        target_labels=tuple(summary.get("target_labels", ("0", "1"))),
        metadata=metadata,
    )


def _fitted(fitted: Pipeline, **parameters) -> FittedModel:
    """A FittedModel whose fit is ``fitted`` (a pipeline fitted elsewhere: read
    from a file); its ``pipeline`` parameter is the same pipeline unfitted, so
    that ``clone`` and ``fit`` work on it as on any other."""
    model = FittedModel(pipeline=clone(fitted), **parameters)
    model.pipeline_ = fitted
    model.classes_ = np.asarray(parameters["target_labels"], dtype=object)
    model.complete_ = True
    return model


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
    state = vars(model)
    if "pipeline_" in state:
        return model
    try:  # vcfml 0.1's FittedModel, a dataclass: its fitted pipeline is `pipeline`
        return _fitted(
            state["pipeline"],
            estimator_name=state["estimator_name"],
            params=state["params"],
            covariate_levels=dict(state.get("covariate_levels") or {}),
            target_name=state["target_name"],
            target_labels=tuple(state["target_labels"]),
            metadata=dict(state.get("metadata") or {}),
        )
    except (KeyError, TypeError) as error:
        raise VcfmlInputError(path, f"not a FittedModel vcfml can read (lacks {error})") from None


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
