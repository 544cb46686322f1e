"""Which samples each step of a run sees: the held-out test share, the
cross-validation folds, and every set of rows a screen is fitted on.

Its own module, light on imports (numpy and scikit-learn's splitters), so that a
screen run elsewhere (:mod:`vcfml.scale`, chapter 6) splits the samples exactly as
the search does without importing the search engine.
"""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import StratifiedKFold, train_test_split

from vcfml.automl.settings import AutoMLSettings
from vcfml.errors import VcfmlError

__all__ = ["cv_splits", "holdout_split", "screened_rows"]


def holdout_split(y: np.ndarray, settings: AutoMLSettings) -> tuple[np.ndarray, np.ndarray]:
    """Row indices of the search samples and of the held-out test samples
    (stratified, seeded; no test rows with ``test_size=0``)."""
    rows = np.arange(len(y))
    if not settings.test_size:
        return rows, rows[:0]
    try:
        search, test = train_test_split(
            rows, test_size=settings.test_size, stratify=y, random_state=settings.seed
        )
    except ValueError as error:  # too few samples of a class to split
        raise VcfmlError(
            f"cannot hold out a stratified test share of {settings.test_size} from "
            f"{len(y)} samples ({error}); use more samples or test_size=0"
        ) from error
    return np.sort(search), np.sort(test)


def screened_rows(y: np.ndarray, settings: AutoMLSettings) -> list[np.ndarray]:
    """Every set of rows a run fits a screen on, as row numbers of the whole
    dataset: each fold's training rows (folds of the search samples), the search
    samples (the refit the test samples score) and all samples (the saved
    model's refit). A screen run elsewhere (on a Dask cluster, chapter 6) that
    keeps each set's top sites gives the search exactly what it would see."""
    settings = settings.resolved()
    search, test = holdout_split(y, settings)
    rows = [search[train] for train, _ in cv_splits(y[search], settings)]
    if len(test):
        rows.append(search)
    return [*rows, np.arange(len(y))]


def cv_splits(y: np.ndarray, settings: AutoMLSettings) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (train, validation) row indices of each fold of the samples ``y``.

    The search calls it on its search samples, after the test share is held
    out (:func:`screened_rows` gives the rows in the whole dataset's numbering).
    """
    indices = np.arange(len(y))
    if settings.validation_fraction is not None:
        train, valid = train_test_split(
            indices, test_size=settings.validation_fraction, stratify=y, random_state=settings.seed
        )
        return [(train, valid)]
    splitter = StratifiedKFold(settings.folds, shuffle=True, random_state=settings.seed)
    return list(splitter.split(indices, y))
