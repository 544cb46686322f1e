"""The files of an AutoML run directory, the contract other tools rely on.

``RUN_DIR/``
    ``leaderboard.tsv``  every trial: iteration, estimator, n_sites, params,
    seconds, the metric (mean and std over folds), best so far;
    ``model/``           the refitted pipeline (``model.joblib`` + ``model.json``);
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
    ``run.json``         settings, inputs, package versions, wall time.
"""

from __future__ import annotations

import json
import platform
import warnings
from importlib import metadata
from os import PathLike
from pathlib import Path

import pandas as pd

from vcfml.automl.baselines import BaselineReport, leaderboard_with_baselines
from vcfml.automl.model import MODEL_FILE, FittedModel
from vcfml.automl.search import AutoMLResult
from vcfml.errors import VcfmlError, VcfmlInputError

PACKAGES = ["vcfml", "flaml", "scikit-learn", "lightgbm", "numpy", "pandas", "cyvcf2", "shap"]


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def save_run(
    result: AutoMLResult,
    run_dir: str | PathLike[str],
    importance: pd.DataFrame | None,
    inputs: dict[str, str] | None = None,
    notes: list[str] | None = None,
    baselines: BaselineReport | None = None,
) -> Path:
    """Write the run directory. ``importance`` ``None``: skipped (an empty table
    is written, and ``notes`` say why). ``baselines``
    (:func:`vcfml.automl.baselines.baseline_report`): their rows in the
    leaderboard, ``"baselines"`` and ``"test_by_population"`` in metrics.json."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    leaderboard = result.leaderboard
    if baselines is not None:
        leaderboard = leaderboard_with_baselines(leaderboard, result, baselines)
    leaderboard.to_csv(run_dir / "leaderboard.tsv", sep="\t", index=False)
    result.model.metadata = {
        "search_metrics": result.cv_metrics,
        "test_metrics": result.test_metrics,
        "metric": result.settings.metric,
    }
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
        "test_samples": result.test_samples,
        "notes": [*result.notes, *(notes or [])],
        "wall_seconds": round(result.wall_seconds, 3),
        "screening_seconds": round(result.screening_seconds, 3),
        "versions": versions(),
    }
    (run_dir / "run.json").write_text(json.dumps(run, indent=2) + "\n")
    return run_dir


def load_run(run_dir: str | PathLike[str]) -> tuple[FittedModel, dict]:
    """The fitted model and run.json of a run directory.

    Raises:
        VcfmlInputError: not a run directory, an unreadable ``run.json``, or a
            model that this Python cannot load (e.g. pickled with another
            scikit-learn); the message names the file and the versions.
    """
    run_dir = Path(run_dir)
    run_file = run_dir / "run.json"
    if not run_file.exists():
        raise VcfmlInputError(
            run_dir, "not an AutoML run directory (no run.json); run `vcfml automl` first"
        )
    run = read_json(run_file)
    return load_model(run_dir / "model", run.get("versions", {})), run


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


def load_model(directory: str | PathLike[str], saved_versions: dict | None = None) -> FittedModel:
    """:meth:`FittedModel.load`, where a model pickled by other package versions
    becomes one line naming the versions instead of a traceback or a silently
    different model (scikit-learn only warns, with ``InconsistentVersionWarning``)."""
    import sklearn
    from sklearn.exceptions import InconsistentVersionWarning

    path = Path(directory) / MODEL_FILE
    saved = dict(saved_versions or {})
    here = versions()
    retrain = "train it again with `vcfml automl`, or install the versions it was saved with"
    with warnings.catch_warnings():
        warnings.simplefilter("error", InconsistentVersionWarning)
        try:
            return FittedModel.load(directory)
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
