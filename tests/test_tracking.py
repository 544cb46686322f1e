"""Where `vcfml automl` logs to MLflow: beside the run folder, never the current folder."""

from __future__ import annotations

import pytest
from conftest import ROOT

from vcfml.cli import main

CLASSIC = ROOT / "data" / "classic"


def run_automl(out, *extra):
    return main(
        [
            "automl",
            *("--vcf", str(CLASSIC / "cohort.vcf.gz"), "--samples", str(CLASSIC / "samples.tsv")),
            *("--target", "phenotype", "--metric", "roc_auc", "--out", str(out)),
            *("--deterministic", "--max-trials", "3", "--quiet", *extra),
        ]
    )


def test_the_store_goes_beside_the_run_folder(tmp_path, monkeypatch, capsys):
    import mlflow

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    runs = tmp_path / "runs"
    assert run_automl(runs / "first") == 0
    assert run_automl(runs / "second") == 0
    assert list(here.iterdir()) == [], "vcfml automl wrote into the current folder"
    assert (runs / "mlflow.db").is_file() and (runs / "mlartifacts").is_dir()
    assert (
        f"mlflow ui --backend-store-uri sqlite:///{runs / 'mlflow.db'}"
        in capsys.readouterr().out.replace("../runs", str(runs))
    )
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{runs / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("vcfml-automl")
    parents = [
        run.info.run_name
        for run in client.search_runs([experiment.experiment_id])
        if "mlflow.parentRunId" not in run.data.tags
    ]
    assert sorted(parents) == ["first", "second"]  # both runs in one store


@pytest.mark.parametrize("how", ["option", "environment"])
def test_a_chosen_store_is_used(tmp_path, monkeypatch, how):
    store = f"sqlite:///{tmp_path / 'chosen.db'}"
    monkeypatch.chdir(tmp_path)
    if how == "environment":
        monkeypatch.setenv("MLFLOW_TRACKING_URI", store)
        extra = []
    else:
        monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
        extra = ["--tracking-uri", store]
    assert run_automl(tmp_path / "runs" / "one", *extra) == 0
    assert (tmp_path / "chosen.db").is_file()
    assert not (tmp_path / "runs" / "mlflow.db").exists()


def test_without_mlflow_the_run_is_written_and_one_line_says_so(tmp_path, monkeypatch, capsys):
    """Workshop packs leave the tracking extra out: the run must not fail for it."""
    import sys

    monkeypatch.setitem(sys.modules, "mlflow", None)  # import mlflow -> ImportError
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    assert run_automl(tmp_path / "runs" / "lean") == 0
    assert (tmp_path / "runs" / "lean" / "leaderboard.tsv").is_file()
    assert not (tmp_path / "runs" / "mlflow.db").exists()
    error = capsys.readouterr().err.strip()
    assert error.startswith("vcfml: not logged to MLflow: logging a run to MLflow needs")
    assert "'tracking' extra" in error and "pip install mlflow" in error
    assert "\n" not in error and "Traceback" not in error
