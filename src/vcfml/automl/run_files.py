"""The files of an AutoML run directory, the contract other tools rely on.

``RUN_DIR/``
    ``leaderboard.tsv``  every trial: iteration, estimator, n_sites, params,
    seconds, the metric (mean and std over folds), best so far;
    ``model/``           the refitted pipeline (``model.skops`` + ``model.json``,
    see :mod:`vcfml.automl.model`; no code runs when it is loaded);
    ``metrics.json``     ``test``: every metric on the held-out test samples
    (``mean``, bootstrap ``std``, ``ci95``, ``n_samples``), the estimate to quote;
    ``search``: the chosen trial's mean and std over the search's folds, the best
    of ``n_trials`` and so optimistic; ``score`` is the test estimate of the run's
    metric (the search score when ``test_size=0``, ``score_source`` says which);
    ``baselines``: the genetics baselines' test estimates and AutoML minus the
    best of them (:mod:`vcfml.automl.baselines`; their rows close the
    leaderboard, estimator ``baseline:NAME``); ``test_by_population``: each
    model's test estimate per population when the samples table has one;
    ``importance.tsv``   ``feature chrom pos importance rank`` (covariates have
    empty chrom/pos), measured on the held-out test samples; empty (a header)
    when the budget left no time for it;
    ``run.json``         settings, inputs, package versions, wall time, the
    held-out ``test_samples``, and ``importance_model``: which model
    ``importance.tsv`` describes.

The folder is written whole or not at all: into a temporary sibling folder that
is renamed into place at the end, so an interrupted run (Ctrl-C, a crash) leaves
nothing, and of two runs writing one folder at once one wins whole and the other
fails. An existing run folder is refused unless ``overwrite``, which replaces it
whole (no file of the old run, such as its ``explain/``, is left beside the new
model).
"""

from __future__ import annotations

import json
import platform
import warnings
from os import PathLike
from pathlib import Path

import pandas as pd

from vcfml.automl.baselines import BaselineReport, leaderboard_with_baselines
from vcfml.automl.model import (
    LEGACY_MODEL_FILE,
    MODEL_FILE,
    FittedModel,
    installed_versions,
    version_differences,
)
from vcfml.automl.search import AutoMLResult
from vcfml.errors import VcfmlError, VcfmlInputError
from vcfml.io.paths import folder_written_whole

PACKAGES = ["vcfml", "flaml", "scikit-learn", "lightgbm", "numpy", "pandas", "cyvcf2", "shap"]


def versions() -> dict[str, str]:
    """Python's and :data:`PACKAGES`' versions, recorded in ``run.json``."""
    return {"python": platform.python_version(), **installed_versions(PACKAGES)}


def check_run_dir(run_dir: str | PathLike[str], overwrite: bool = False) -> Path:
    """Refuse, before any work, a ``run_dir`` that cannot become a run folder: a
    file, a folder that is not a run folder (never replaced, even with
    ``overwrite``), or an existing run folder without ``overwrite``. An empty
    folder is fine."""
    run_dir = Path(run_dir)
    if run_dir.exists() and not run_dir.is_dir():
        raise VcfmlInputError(run_dir, "is a file, not a run folder: choose another --out")
    if run_dir.is_dir() and any(run_dir.iterdir()):
        if not (run_dir / "run.json").exists():
            raise VcfmlInputError(
                run_dir,
                "is a folder that is not an AutoML run (no run.json): not replaced, even "
                "with --overwrite; choose a new or empty folder for --out",
            )
        if not overwrite:
            raise VcfmlInputError(
                run_dir,
                "a run folder already exists: give --overwrite to replace it whole, or "
                "choose another --out",
            )
    parent = run_dir.resolve().parent
    if parent.exists() and not parent.is_dir():
        raise VcfmlInputError(parent, "is a file, not a folder: choose another --out")
    return run_dir


def save_run(
    result: AutoMLResult,
    run_dir: str | PathLike[str],
    importance: pd.DataFrame | None,
    inputs: dict[str, str] | None = None,
    notes: list[str] | None = None,
    overwrite: bool = False,
    model_samples: list[str] | None = None,
    baselines: BaselineReport | None = None,
) -> Path:
    """Write the run directory, whole or not at all (see the module's
    docstring). ``importance`` ``None``: skipped (an empty table is written,
    and ``notes`` say why). ``model_samples``: the samples the saved model was
    fitted on (run.json lists them, so that ``vcfml predict`` can warn when it
    scores them). ``baselines`` (:func:`vcfml.automl.baselines.baseline_report`):
    their rows in the leaderboard, ``"baselines"`` and ``"test_by_population"``
    in metrics.json.

    Raises:
        VcfmlInputError: ``run_dir`` is a file, a folder that is not a run, an
            existing run without ``overwrite``, or was written by another run
            while this one ran.
    """
    run_dir = check_run_dir(run_dir, overwrite)
    # check_run_dir refused a run folder without overwrite; an empty folder may be replaced
    if_exists = "replace" if overwrite or run_dir.is_dir() else "fail"
    with folder_written_whole(run_dir, if_exists) as temporary:
        _write_run(result, temporary, importance, inputs, notes, model_samples, baselines)
    return run_dir


def _write_run(
    result: AutoMLResult,
    run_dir: Path,
    importance: pd.DataFrame | None,
    inputs: dict[str, str] | None,
    notes: list[str] | None,
    model_samples: list[str] | None = None,
    baselines: BaselineReport | None = None,
) -> None:
    leaderboard = result.leaderboard
    if baselines is not None:
        leaderboard = leaderboard_with_baselines(leaderboard, result, baselines)
    leaderboard.to_csv(run_dir / "leaderboard.tsv", sep="\t", index=False)
    result.model.set_params(
        metadata={
            "search_metrics": result.cv_metrics,
            "test_metrics": result.test_metrics,
            "metric": result.settings.metric,
        }
    )
    result.model.save(run_dir / "model")
    n_trials = len(result.leaderboard)
    tested = result.test_metrics is not None
    metrics = {
        "metric": result.settings.metric,
        "score": result.test_score if tested else result.best_score,
        "score_source": "test" if tested else "search (optimistic)",
        "test": result.test_metrics,
        "search": result.cv_metrics,
        "search_note": (
            f"the chosen trial's mean over the search's folds: the best of {n_trials} trials "
            "scored on the same folds, so optimistic (winner's curse)"
        ),
        "chosen_trial": result.chosen_trial,
        "selection": result.settings.selection,
        "n_trials": n_trials,
        "refit_on_all_samples": result.refit_on_all,
        "folds": {"used": result.folds_used, "planned": result.folds_planned},
        # the rankings the trials chose from (the pairs one is dropped when the budget
        # left no time for it; run.json's notes say so)
        "screens": list(result.screens),
    }
    if baselines is not None:
        if baselines.results:
            metrics["baselines"] = baselines.to_json()
        if baselines.by_population is not None:
            metrics["test_by_population"] = baselines.by_population
    (run_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    if importance is None:
        importance = pd.DataFrame(columns=["feature", "chrom", "pos", "importance", "rank"])
    importance.to_csv(run_dir / "importance.tsv", sep="\t", index=False)
    run = {
        "settings": result.settings.to_dict(),
        "inputs": inputs or {},
        "best": {
            "estimator": result.model.estimator_name,
            "params": result.model.params,
            "n_sites": len(result.model.variants),
        },
        "importance_method": importance.attrs.get("method"),
        "importance_units": importance.attrs.get("units"),
        "importance_samples": importance.attrs.get("samples"),
        "importance_model": importance.attrs.get("model"),
        "test_samples": result.test_samples,
        "refit_on_all_samples": result.refit_on_all,
        "model_samples": list(model_samples) if model_samples is not None else None,
        "notes": [*result.notes, *(notes or [])],
        "wall_seconds": round(result.wall_seconds, 3),
        "screening_seconds": round(result.screening_seconds, 3),
        "versions": versions(),
    }
    (run_dir / "run.json").write_text(json.dumps(run, indent=2) + "\n")


def load_run(run_dir: str | PathLike[str], trust: bool = False) -> tuple[FittedModel, dict]:
    """The fitted model and run.json of a run directory.

    Args:
        trust: also load an older vcfml's pickled model (``model.joblib``),
            which runs any code it holds (see :meth:`FittedModel.load`).

    Raises:
        VcfmlInputError: not a run directory, an unreadable ``run.json``, or a
            model that this Python cannot or will not load (another
            scikit-learn, an untrusted type, a pickle without ``trust``); the
            message names the file and the versions.
    """
    run = read_run(run_dir)
    return load_model(Path(run_dir) / "model", run.get("versions", {}), trust=trust), run


def read_run(run_dir: str | PathLike[str]) -> dict:
    """run.json of a run directory, without loading its model (``vcfml explain``
    needs no model)."""
    run_dir = Path(run_dir)
    run_file = run_dir / "run.json"
    if not run_file.exists():
        raise VcfmlInputError(
            run_dir, "not an AutoML run directory (no run.json); run `vcfml automl` first"
        )
    return read_json(run_file)


def read_json(path: str | PathLike[str]) -> dict:
    """A JSON object from a file, or one line saying what is wrong with it."""
    path = Path(path)
    if not path.exists():
        raise VcfmlInputError(path, "file not found")
    try:
        value = json.loads(path.read_text())
    except UnicodeDecodeError as error:
        raise VcfmlInputError(path, "not a text (JSON) file") from error
    except json.JSONDecodeError as error:
        raise VcfmlInputError(
            path, f"not valid JSON: {error.msg} (column {error.colno})", line=error.lineno
        ) from error
    if not isinstance(value, dict):
        raise VcfmlInputError(path, f"should hold a JSON object, not a {type(value).__name__}")
    return value


def load_model(
    directory: str | PathLike[str], saved_versions: dict | None = None, trust: bool = False
) -> FittedModel:
    """:meth:`FittedModel.load`, where a model saved by other package versions
    becomes one line naming the versions instead of a traceback or a silently
    different model (scikit-learn only warns, with ``InconsistentVersionWarning``),
    and other recorded versions (``saved_versions``, run.json's) that differ
    from those installed give a warning."""
    import sklearn
    from sklearn.exceptions import InconsistentVersionWarning

    directory = Path(directory)
    path = directory / MODEL_FILE
    if not path.exists() and (directory / LEGACY_MODEL_FILE).exists():
        path = directory / LEGACY_MODEL_FILE
    saved = dict(saved_versions or {})
    here = versions()
    retrain = "train it again with `vcfml automl`, or install the versions it was saved with"
    with warnings.catch_warnings():
        warnings.simplefilter("error", InconsistentVersionWarning)
        try:
            model = FittedModel.load(directory, trust=trust)
        except InconsistentVersionWarning as warning:
            raise VcfmlInputError(
                path,
                f"was saved with scikit-learn {warning.original_sklearn_version} "
                f"({warning.estimator_name}) but this is scikit-learn "
                f"{warning.current_sklearn_version}: {retrain}",
            ) from None
        except VcfmlError:
            raise
        except Exception as error:  # unpickling raises anything: missing classes, bad bytes
            differ = [
                f"{name} {saved[name]} (here {here.get(name)})"
                for name in ("scikit-learn", "lightgbm", "numpy", "vcfml", "python")
                if name in saved and saved[name] != here.get(name)
            ]
            versions_text = (
                f"saved with {', '.join(differ)}"
                if differ
                else f"scikit-learn here is {sklearn.__version__}"
            )
            first_line = (str(error).splitlines() or [""])[0]
            raise VcfmlInputError(
                path,
                f"cannot be loaded ({type(error).__name__}: {first_line}); "
                f"{versions_text}: {retrain}",
            ) from error
    if path.name == LEGACY_MODEL_FILE:  # model.json of a pickle records no versions
        differences = version_differences(saved)
        if differences:
            warnings.warn(
                f"{path}: saved with {', '.join(differences)}; its predictions may differ "
                "from the run's: check them, or train again with these versions",
                UserWarning,
                stacklevel=2,
            )
    return model
