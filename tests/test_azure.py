"""The Azure ML backend's job specification and MLTable, checked offline."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from vcfml import read_vcf
from vcfml.automl import AutoMLSettings
from vcfml.automl.azure import (
    compute_specification,
    find_workspace_config,
    job_specification,
    submit,
    write_job,
)
from vcfml.errors import VcfmlError
from vcfml.features import join_samples


def test_job_specification_mirrors_the_local_settings():
    settings = AutoMLSettings(
        metric="roc_auc", budget=1800, max_trials=40, folds=5, estimators=["lightgbm", "logistic"]
    )
    spec = job_specification(settings, "phenotype", compute="my-cluster")
    assert spec["type"] == "automl" and spec["task"] == "classification"
    assert spec["primary_metric"] == "AUC_weighted"
    assert spec["target_column_name"] == "phenotype"
    assert spec["n_cross_validations"] == 5
    assert spec["limits"]["timeout_minutes"] == 30 and spec["limits"]["max_trials"] == 40
    assert spec["training"]["allowed_training_algorithms"] == ["LightGBM", "LogisticRegression"]
    assert spec["training"]["enable_model_explainability"] is True
    assert (
        spec["training"]["enable_vote_ensemble"] is True
    )  # as locally: the vote is the last trial
    single = job_specification(AutoMLSettings(budget=60, ensemble=False), "phenotype")
    assert single["training"]["enable_vote_ensemble"] is False
    assert spec["compute"] == "azureml:my-cluster"
    assert spec["training_data"] == {"type": "mltable", "path": "./training-data"}
    holdout = job_specification(AutoMLSettings(validation_fraction=0.2, budget=60), "phenotype")
    assert holdout["validation_data_size"] == 0.2 and "n_cross_validations" not in holdout
    # The test share is held out on Azure too (test_data_size), unless switched off.
    assert spec["test_data_size"] == AutoMLSettings().test_size == 0.2
    assert "test_data_size" not in job_specification(
        AutoMLSettings(budget=60, test_size=0), "phenotype"
    )


def test_metrics_azure_cannot_optimize_are_refused():
    with pytest.raises(VcfmlError, match="Azure AutoML cannot optimize 'f1'"):
        job_specification(AutoMLSettings(metric="f1", budget=60), "phenotype")


def test_write_job_writes_mltable_and_parquet(classic_dir, tmp_path):
    dataset = join_samples(read_vcf(classic_dir / "cohort.vcf.gz"), classic_dir / "samples.tsv")
    job = write_job(dataset, AutoMLSettings(budget=600, min_maf=0.0), tmp_path / "azure")
    spec = yaml.safe_load(job.read_text())
    assert spec["primary_metric"] == "AUC_weighted"
    mltable = yaml.safe_load((tmp_path / "azure" / "training-data" / "MLTable").read_text())
    assert mltable["paths"] == [{"file": "./training.parquet"}]
    table = pd.read_parquet(tmp_path / "azure" / "training-data" / "training.parquet")
    assert table.shape == (500, 100 + 3 + 1)
    assert table["phenotype"].tolist() == dataset.target.tolist()
    assert list(table.columns[-4:]) == ["sex=female", "sex=male", "sex=unknown", "phenotype"]


def test_submit_needs_a_workspace(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert find_workspace_config(tmp_path) is None
    with pytest.raises(VcfmlError, match="no Azure ML workspace configured"):
        submit(tmp_path / "job.yml", tmp_path / "out")
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "deeper").mkdir()
    assert find_workspace_config(tmp_path / "deeper") == tmp_path / "config.json"


def test_submit_without_the_azure_extra_says_how_to_install_it(tmp_path, monkeypatch):
    import sys

    (tmp_path / "config.json").write_text("{}")
    monkeypatch.setitem(sys.modules, "azure.ai.ml", None)  # as if the extra were missing
    with pytest.raises(VcfmlError, match=r"Azure ML backend needs the 'azure' extra.*own"):
        submit(tmp_path / "job.yml", tmp_path / "out", config=tmp_path / "config.json")


def test_concurrent_trials_reach_the_job_and_its_cluster(classic_dir, tmp_path):
    settings = AutoMLSettings(budget=1800, concurrent_trials=4, min_maf=0.0)
    spec = job_specification(settings, "phenotype", compute="big-cluster")
    assert spec["limits"]["max_concurrent_trials"] == 4
    dataset = join_samples(read_vcf(classic_dir / "cohort.vcf.gz"), classic_dir / "samples.tsv")
    write_job(
        dataset, settings, tmp_path / "azure", compute="big-cluster", cluster_size="Standard_D4s_v3"
    )
    compute = yaml.safe_load((tmp_path / "azure" / "compute.yml").read_text())
    assert compute["name"] == "big-cluster" and compute["type"] == "amlcompute"
    assert compute["size"] == "Standard_D4s_v3"
    assert compute["min_instances"] == 0 and compute["max_instances"] == 4
    assert compute_specification(max_instances=2)["max_instances"] == 2
    with pytest.raises(VcfmlError, match="at least 1 node"):
        compute_specification(max_instances=0)
    with pytest.raises(VcfmlError, match="concurrent_trials must be at least 1"):
        AutoMLSettings(budget=60, concurrent_trials=0).resolved()


def test_the_azure_sdk_reads_what_vcfml_writes(classic_dir, tmp_path):
    """Runs in the Azure environment (`pip install -e ".[azure]"` in its own venv):
    the real SDK loads the job and the cluster, and mltable reads the table back."""
    pytest.importorskip("azure.ai.ml")
    mltable = pytest.importorskip("mltable")
    from azure.ai.ml import load_compute, load_job

    dataset = join_samples(read_vcf(classic_dir / "cohort.vcf.gz"), classic_dir / "samples.tsv")
    settings = AutoMLSettings(budget=1800, folds=5, concurrent_trials=2, min_maf=0.0)
    job_file = write_job(dataset, settings, tmp_path / "azure")
    job = load_job(source=str(job_file))
    assert job.n_cross_validations == 5 and job.limits.max_concurrent_trials == 2
    assert job.training.enable_vote_ensemble is True
    cluster = load_compute(source=str(tmp_path / "azure" / "compute.yml"))
    assert (cluster.min_instances, cluster.max_instances) == (0, 2)
    table = mltable.load(str(tmp_path / "azure" / "training-data")).to_pandas_dataframe()
    assert table.shape == (500, 100 + 3 + 1)
    assert table["phenotype"].tolist() == dataset.target.tolist()
