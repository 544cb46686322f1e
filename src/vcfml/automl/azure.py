"""The same AutoML experiment on Azure Machine Learning (SDK v2), for learners
with a workspace.

vcfml writes what the Azure ML v2 command line (``az ml job create --file``) and
SDK (``azure.ai.ml.load_job``) read: a training table as Parquet with its
``MLTable`` file, and an AutoML classification job specification in YAML with the
same metric, limits, cross-validation, allowed models and explainability as the
local run. It submits the job only when a workspace configuration
(``config.json``) is found and the ``azure`` extra is installed
(``pip install -e ".[azure]"``: ``azure-ai-ml``, ``mltable``, ``azure-identity``).
The retired v1 SDK (``azureml-sdk``, ``azureml-train-automl``) is not used.

Azure ML does its own feature selection, so vcfml sends every site that passes
the MAF filter (a filter that does not look at the phenotype) and never a
phenotype-screened subset: screening before Azure's cross-validation would leak
the validation samples' labels into the choice of sites.
"""

from __future__ import annotations

import json
import math
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from vcfml.automl.screening import column_means
from vcfml.automl.settings import AutoMLSettings
from vcfml.errors import VcfmlError, require_extra
from vcfml.features import Dataset

JOB_SCHEMA = "https://azuremlschemas.azureedge.net/latest/autoMLJob.schema.json"
MLTABLE_SCHEMA = "https://azuremlschemas.azureedge.net/latest/MLTable.schema.json"
COMPUTE_SCHEMA = "https://azuremlschemas.azureedge.net/latest/amlCompute.schema.json"
# Azure AutoML's names for the metrics it can optimize.
PRIMARY_METRICS = {
    "roc_auc": "AUC_weighted",
    "accuracy": "accuracy",
    # norm_macro_recall = 2 x balanced accuracy - 1 for two classes: same ranking.
    "balanced_accuracy": "norm_macro_recall",
}
ALGORITHMS = {
    "logistic": "LogisticRegression",
    "lightgbm": "LightGBM",
    "random_forest": "RandomForest",
    "extra_trees": "ExtremeRandomTrees",
}
CONFIG_LOCATIONS = ["config.json", ".azureml/config.json"]


def training_table(dataset: Dataset, min_maf: float) -> pd.DataFrame:
    """Features and target as one table: sites passing the MAF filter, covariates, target."""
    _, maf = column_means(dataset.genotypes)
    keep = maf >= min_maf
    names = [name for name, kept in zip(dataset.variant_names, keep, strict=True) if kept]
    calls = dataset.genotypes[:, keep]
    # Missing calls become empty cells: Azure's featurization imputes them itself.
    table = pd.DataFrame(np.where(calls < 0, np.nan, calls).astype(np.float32), columns=names)
    for column in dataset.covariates.columns:
        table[column] = dataset.covariates[column].to_numpy()
    table[dataset.target_name] = dataset.target
    return table


def job_specification(
    settings: AutoMLSettings,
    target: str,
    compute: str = "cpu-cluster",
    experiment: str = "vcfml-automl",
    data_path: str = "./training-data",
) -> dict:
    """The v2 AutoML classification job, as ``az ml job create --file`` reads it."""
    settings = settings.resolved()
    if settings.metric not in PRIMARY_METRICS:
        raise VcfmlError(
            f"Azure AutoML cannot optimize {settings.metric!r}; "
            f"use one of {', '.join(PRIMARY_METRICS)} with --backend azure"
        )
    limits: dict = {
        "max_concurrent_trials": settings.concurrent_trials,
        "enable_early_termination": True,
    }
    if settings.budget is not None:
        limits["timeout_minutes"] = max(15, math.ceil(settings.budget / 60))
    if settings.max_trials:
        limits["max_trials"] = settings.max_trials
    spec = {
        "$schema": JOB_SCHEMA,
        "type": "automl",
        "experiment_name": experiment,
        "compute": f"azureml:{compute}",
        "task": "classification",
        "primary_metric": PRIMARY_METRICS[settings.metric],
        "target_column_name": target,
        "training_data": {"type": "mltable", "path": data_path},
        "limits": limits,
        "training": {
            "enable_model_explainability": True,
            "allowed_training_algorithms": [ALGORITHMS[name] for name in settings.estimators],
            "enable_stack_ensemble": False,
            "enable_vote_ensemble": settings.ensemble,
        },
        "featurization": {"mode": "auto"},
    }
    if settings.validation_fraction is not None:
        spec["validation_data_size"] = settings.validation_fraction
    else:
        spec["n_cross_validations"] = settings.folds
    if settings.test_size:
        # As locally: a share of the samples that the search never sees, scored once.
        spec["test_data_size"] = settings.test_size
    return spec


def compute_specification(
    name: str = "cpu-cluster",
    size: str = "Standard_DS3_v2",
    max_instances: int = 1,
    idle_minutes: int = 2,
) -> dict:
    """An Azure ML compute cluster, as ``az ml compute create --file`` reads it.

    It scales from 0 nodes (nothing to pay while idle) to ``max_instances``; an
    AutoML job runs at most one trial per node, so give it at least as many nodes
    as ``concurrent_trials``.
    """
    if max_instances < 1:
        raise VcfmlError(f"a compute cluster needs at least 1 node, got {max_instances}")
    return {
        "$schema": COMPUTE_SCHEMA,
        "name": name,
        "type": "amlcompute",
        "size": size,
        "min_instances": 0,
        "max_instances": max_instances,
        "idle_time_before_scale_down": idle_minutes * 60,
        "tier": "dedicated",
    }


def write_job(
    dataset: Dataset,
    settings: AutoMLSettings,
    directory: str | PathLike[str],
    cluster_size: str = "Standard_DS3_v2",
    **job_options,
) -> Path:
    """Write ``job.yml``, ``compute.yml`` and ``training-data/`` (Parquet + MLTable).

    ``compute.yml`` describes the cluster the job names, with one node per
    concurrent trial; create it once with ``az ml compute create --file compute.yml``.
    """
    directory = Path(directory)
    data = directory / "training-data"
    data.mkdir(parents=True, exist_ok=True)
    training_table(dataset, settings.min_maf).to_parquet(data / "training.parquet", index=False)
    mltable = {
        "$schema": MLTABLE_SCHEMA,
        "type": "mltable",
        "paths": [{"file": "./training.parquet"}],
        "transformations": ["read_parquet"],
    }
    (data / "MLTable").write_text(yaml.safe_dump(mltable, sort_keys=False))
    spec = job_specification(settings, dataset.target_name, **job_options)
    job = directory / "job.yml"
    job.write_text(yaml.safe_dump(spec, sort_keys=False))
    compute = compute_specification(
        spec["compute"].removeprefix("azureml:"),
        size=cluster_size,
        max_instances=settings.resolved().concurrent_trials,
    )
    (directory / "compute.yml").write_text(yaml.safe_dump(compute, sort_keys=False))
    return job


def find_workspace_config(start: Path | None = None) -> Path | None:
    """``config.json`` of an Azure ML workspace in this folder or a parent."""
    folder = (start or Path.cwd()).resolve()
    for candidate in [folder, *folder.parents]:
        for name in CONFIG_LOCATIONS:
            if (candidate / name).is_file():
                return candidate / name
    return None


def submit(job_file: Path, download_to: Path, config: Path | None = None) -> dict:
    """Submit the job, stream its status and download the best model.

    Needs the ``azure`` extra and a workspace ``config.json``; signs in with
    ``DefaultAzureCredential`` (``az login``, a managed identity on a compute
    instance, or environment variables).
    """
    config = config or find_workspace_config()
    if config is None:
        raise VcfmlError(
            "no Azure ML workspace configured: download config.json from the workspace's "
            f"overview page into this folder. The job specification is in {job_file}"
        )
    with require_extra("azure"):
        from azure.ai.ml import MLClient, load_job
        from azure.identity import DefaultAzureCredential
    client = MLClient.from_config(credential=DefaultAzureCredential(), path=str(config))
    submitted = client.jobs.create_or_update(load_job(source=str(job_file)))
    client.jobs.stream(submitted.name)
    download_to.mkdir(parents=True, exist_ok=True)
    client.jobs.download(submitted.name, output_name="best_model", download_path=str(download_to))
    summary = {"job": submitted.name, "studio_url": submitted.studio_url}
    (download_to / "azure_job.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary
