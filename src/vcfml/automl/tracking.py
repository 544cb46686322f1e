"""Log an AutoML run to MLflow, so ``mlflow ui`` shows it like an Azure ML experiment.

One parent run holds the settings, the test estimate (``test_*``), the search's
optimistic scores (``search_*``) and the run directory's files; one nested run
per trial holds its pipeline and score. The default store is a SQLite file
``mlflow.db`` beside the run directory (``--out runs/cohort`` logs to
``runs/mlflow.db``, so every run in ``runs/`` shows in one ``mlflow ui``), its
artifacts in ``mlartifacts/`` there; ``MLFLOW_TRACKING_URI`` or ``tracking_uri``
choose another store. Nothing is written to the current folder and nothing
leaves the machine. Logging is part of the budget: with a ``deadline`` the
trials not logged by then are left out (the returned count says how many were
logged), and the CLI skips logging when too little budget is left.

Two runs logging to one SQLite store at once would race in MLflow's schema
migration of a new store (``duplicate column name``) and in SQLite's locks, so a
run holds an exclusive lock on ``STORE.lock`` beside a SQLite store while it logs;
the other waits its turn (a few seconds). A tracking server handles its own
concurrency.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from vcfml.automl.search import AutoMLResult
from vcfml.errors import require_extra

EXPERIMENT = "vcfml-automl"
STORE_NAME = "mlflow.db"
ARTIFACTS_NAME = "mlartifacts"


def default_store(run_dir: Path | None) -> Path:
    """Where a run is logged by default: ``mlflow.db`` beside its run directory."""
    folder = Path(run_dir).resolve().parent if run_dir is not None else Path.cwd()
    return folder / STORE_NAME


@contextmanager
def store_lock(store: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``store`` + ``.lock`` (waiting for it): one
    writer at a time. The operating system's lock (``flock``, ``msvcrt.locking``
    on Windows) ends with the process, so a killed run never leaves it held."""
    lock = store.with_name(store.name + ".lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a+b") as handle:
        if os.name == "nt":  # pragma: no cover - Windows
            import msvcrt

            while True:
                try:
                    msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)  # retries for 10 s
                    break
                except OSError:
                    continue
            try:
                yield
            finally:
                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _sqlite_path(uri: str) -> Path | None:
    """The file of a ``sqlite:///`` store, else None."""
    if uri.startswith("sqlite:///"):
        return Path(uri.removeprefix("sqlite:///"))
    return None


def track_run(
    result: AutoMLResult,
    run_dir: Path | None = None,
    tracking_uri: str | None = None,
    experiment: str = EXPERIMENT,
    deadline: float | None = None,
) -> tuple[str, int]:
    """Log the run; returns the MLflow run ID of the parent run and the number
    of trials logged (all of them unless ``deadline``, a ``time.perf_counter()``
    value, came first)."""
    with require_extra("tracking"):
        import mlflow
        from mlflow.entities import Metric, Param

    uri = tracking_uri or os.environ.get("MLFLOW_TRACKING_URI")
    artifacts = None
    if not uri:
        store = default_store(run_dir)
        uri = f"sqlite:///{store}"
        artifacts = (store.parent / ARTIFACTS_NAME).as_uri()
    store = _sqlite_path(uri)
    with store_lock(store) if store is not None else nullcontext():
        return _log(mlflow, Metric, Param, result, run_dir, uri, artifacts, experiment, deadline)


def _log(mlflow, Metric, Param, result, run_dir, uri, artifacts, experiment, deadline):
    # The client, not mlflow.set_tracking_uri: that would set MLFLOW_TRACKING_URI for
    # the rest of the process, and the next run would log into this run's store.
    client = mlflow.MlflowClient(tracking_uri=uri)
    found = client.get_experiment_by_name(experiment)
    experiment_id = (
        found.experiment_id
        if found
        else client.create_experiment(experiment, artifact_location=artifacts)
    )
    settings = result.settings.to_dict()
    parent = client.create_run(experiment_id, run_name=run_dir.name if run_dir else "automl")
    parent_id = parent.info.run_id
    params = [
        Param(key, json.dumps(value) if not isinstance(value, str) else value)
        for key, value in settings.items()
    ]
    params += [
        Param("best_estimator", result.model.estimator_name),
        Param("best_n_sites", str(len(result.model.variants))),
    ]
    metrics = [
        Metric(f"search_{name}", values["mean"], 0, 0) for name, values in result.cv_metrics.items()
    ]
    for name, values in (result.test_metrics or {}).items():
        metrics += [
            Metric(f"test_{name}", values["mean"], 0, 0),
            Metric(f"test_{name}_ci95_low", values["ci95"][0], 0, 0),
            Metric(f"test_{name}_ci95_high", values["ci95"][1], 0, 0),
        ]
    client.log_batch(parent_id, metrics=metrics, params=params)
    metric = result.settings.metric
    logged = 0
    for trial in result.leaderboard.itertuples(index=False):
        if deadline is not None and time.perf_counter() > deadline:
            break
        logged += 1
        row = trial._asdict()
        child = client.create_run(
            experiment_id,
            run_name=f"trial {row['iteration']:03d} {row['estimator']}",
            tags={"mlflow.parentRunId": parent_id},
        )
        trial_params = {"estimator": row["estimator"], "n_sites": str(row["n_sites"])}
        trial_params.update({k: str(v) for k, v in json.loads(row["params"]).items()})
        client.log_batch(
            child.info.run_id,
            metrics=[
                Metric(metric, float(row[metric]), 0, row["iteration"]),
                Metric("seconds", float(row["seconds"]), 0, row["iteration"]),
            ],
            params=[Param(k, v) for k, v in trial_params.items()],
        )
        client.set_terminated(child.info.run_id)
    if run_dir is not None:
        for name in ["leaderboard.tsv", "metrics.json", "importance.tsv", "run.json"]:
            if (run_dir / name).exists():
                client.log_artifact(parent_id, str(run_dir / name))
    client.set_terminated(parent_id)
    return parent_id, logged
