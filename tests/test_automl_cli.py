"""The command-line contract of the modelling layer, end to end on the classic data."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import ROOT

from vcfml.cli import main

CLASSIC = ROOT / "data" / "classic"


@pytest.fixture(scope="module")
def classic_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("runs") / "classic"
    status = main(
        [
            "automl",
            "--vcf",
            str(CLASSIC / "cohort.vcf.gz"),
            "--samples",
            str(CLASSIC / "samples.tsv"),
            "--target",
            "phenotype",
            "--metric",
            "roc_auc",
            "--out",
            str(run),
            "--seed",
            "3",
            "--deterministic",
            "--max-trials",
            "8",
            "--quiet",
            "--tracking-uri",
            f"sqlite:///{run.parent / 'mlflow.db'}",
        ]
    )
    assert status == 0
    return run


def test_run_directory_contract(classic_run):
    for name in [
        "leaderboard.tsv",
        "metrics.json",
        "importance.tsv",
        "run.json",
        "model/model.skops",
        "model/model.json",
    ]:
        assert (classic_run / name).exists(), name
    leaderboard = pd.read_csv(classic_run / "leaderboard.tsv", sep="\t")
    baselines = leaderboard["estimator"].str.startswith("baseline:")
    assert baselines.sum() == 3  # the genetics baselines close the table (test_baselines.py)
    leaderboard = leaderboard[~baselines]
    assert {
        "iteration",
        "estimator",
        "n_sites",
        "params",
        "seconds",
        "roc_auc",
        "best_so_far",
    } <= set(leaderboard)
    assert (leaderboard["estimator"] != "ensemble").sum() == 8  # trials, then maybe the vote
    importance = pd.read_csv(classic_run / "importance.tsv", sep="\t", keep_default_na=False)
    assert list(importance.columns) == ["feature", "chrom", "pos", "importance", "rank"]
    covariates = importance[importance["chrom"] == ""]
    assert set(covariates["pos"]) == {""} and covariates["feature"].str.startswith("sex=").all()
    run = json.loads((classic_run / "run.json").read_text())
    assert run["settings"]["metric"] == "roc_auc" and run["versions"]["flaml"]
    metrics = json.loads((classic_run / "metrics.json").read_text())
    chosen = leaderboard.set_index("iteration").loc[metrics["chosen_trial"]]
    assert metrics["search"]["roc_auc"]["mean"] == pytest.approx(chosen["roc_auc"])
    assert "optimistic" in metrics["search_note"] and "cross_validated" not in metrics
    if chosen["estimator"] != "ensemble":
        assert chosen["roc_auc"] == leaderboard["roc_auc"].max()  # selection="best"
    # The test estimate: every metric, same shape as the search's plus ci95 and
    # n_samples, on the 20% held out (classic: 500 samples).
    test = metrics["test"]
    assert set(test) == set(metrics["search"])
    for values in test.values():
        low, high = values["ci95"]
        assert low <= values["mean"] <= high and values["n_samples"] == 100
    assert metrics["score"] == test["roc_auc"]["mean"] and metrics["score_source"] == "test"
    assert len(run["test_samples"]) == 100 and run["importance_samples"] == "held-out test"
    # Which model importance.tsv describes, said plainly (the saved one was refitted).
    assert run["refit_on_all_samples"] and "not the saved model" in run["importance_model"]
    assert len(run["model_samples"]) == 500  # the saved model was refitted on all of them
    assert metrics["folds"] == {"used": 5, "planned": 5}


def test_classic_truth_is_in_the_top_three(classic_run):
    truth = json.loads((CLASSIC / "truth.json").read_text())
    importance = pd.read_csv(classic_run / "importance.tsv", sep="\t", keep_default_na=False)
    top = importance.head(3)
    causal = {site["id"] for site in truth["causal_sites"]}
    assert causal <= set(top["feature"])
    assert top["feature"].str.startswith("sex=").any()


def test_predict_writes_predictions_and_metrics(classic_run, tmp_path, capsys):
    out = tmp_path / "predictions.tsv"
    status = main(
        [
            "predict",
            "--run",
            str(classic_run),
            "--vcf",
            str(CLASSIC / "cohort.vcf.gz"),
            "--samples",
            str(CLASSIC / "samples.tsv"),
            "--out",
            str(out),
        ]
    )
    assert status == 0
    predictions = pd.read_csv(out, sep="\t")
    assert list(predictions.columns) == ["sample_id", "probability", "prediction"]
    assert len(predictions) == 500 and predictions["probability"].between(0, 1).all()
    captured = capsys.readouterr()
    assert '"roc_auc"' in captured.out
    # Every sample here was used to fit the model: its scores are optimistic, said so.
    assert "vcfml: warning: 500 of the 500 samples were used to fit the model" in captured.err
    assert (
        json.loads((tmp_path / "predictions.metrics.json").read_text())["training_samples"] == 500
    )


def test_explain_writes_plots_and_recovery(classic_run, tmp_path):
    out = tmp_path / "explain"
    assert (
        main(
            [
                "explain",
                "--run",
                str(classic_run),
                "--truth",
                str(CLASSIC / "truth.json"),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    for name in [
        "manhattan_importance.png",
        "manhattan_association.png",
        "importance.png",
        "recovery.json",
    ]:
        assert (out / name).stat().st_size > 0
    report = json.loads((out / "recovery.json").read_text())
    assert report["model"]["recall_at_2"] == 1.0 and report["model"]["sex_rank"] <= 3
    assert report["association_scan"]["sex_rank"] is None
    # The folder is written whole: an existing one is refused, or replaced whole.
    arguments = ["explain", "--run", str(classic_run), "--out", str(out)]
    (out / "stale.txt").write_text("of an older explain")
    assert main(arguments) == 1
    assert (out / "stale.txt").exists()
    assert main([*arguments, "--overwrite"]) == 0
    assert not (out / "stale.txt").exists() and not (out / "recovery.json").exists()
    assert (out / "importance.png").stat().st_size > 0
    assert sorted(path.name for path in tmp_path.iterdir()) == ["explain"]


def test_mlflow_has_the_runs(classic_run):
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{classic_run.parent / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("vcfml-automl")
    runs = client.search_runs([experiment.experiment_id])
    trials = [r for r in runs if r.data.params.get("estimator") != "ensemble"]
    assert len(trials) == 9  # the parent and one per trial (and maybe one for the vote)
    parent = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    assert len(parent) == 1 and "search_roc_auc" in parent[0].data.metrics
    assert "test_roc_auc" in parent[0].data.metrics


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--metric", "recall"], "unknown metric 'recall'"),
        (["--budget", "0"], "--budget must be a positive number"),
        (["--target", "sex"], "found 3: female, male, unknown"),
        (["--folds", "400"], "fewer than the 400 cross-validation folds"),
        (["--min-maf", "0.4999"], "no variants left after filtering"),
    ],
)
def test_automl_errors(arguments, message, tmp_path, capsys):
    base = [
        "automl",
        "--vcf",
        str(CLASSIC / "cohort.vcf.gz"),
        "--samples",
        str(CLASSIC / "samples.tsv"),
        "--out",
        str(tmp_path / "run"),
        "--quiet",
        "--no-track",
        "--deterministic",
        "--max-trials",
        "2",
    ]
    assert main(base + arguments) == 1
    err = capsys.readouterr().err
    assert err.startswith("vcfml: error:") and message in err


def test_predict_needs_a_run(tmp_path, capsys):
    assert (
        main(["predict", "--run", str(tmp_path), "--vcf", "x", "--samples", "y", "--out", "z"]) == 1
    )
    assert "not an AutoML run directory" in capsys.readouterr().err
