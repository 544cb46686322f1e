"""A run folder people can trust: no code runs from a model file, a run folder
is written whole or not at all, and two runs at once never mix or lose one.

The model is saved with skops (vcfml.automl.model); these tests feed `predict`,
`explain` and `FittedModel.load` files that would run code if unpickled, and
check that a marker file their code would create never appears.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import time

import joblib
import numpy as np
import pytest
from conftest import ROOT

from vcfml.automl import FittedModel
from vcfml.automl.run_files import load_run, save_run
from vcfml.cli import main
from vcfml.errors import VcfmlInputError
from vcfml.features import join_samples
from vcfml.io.vcf_reader import read_vcf

CLASSIC = ROOT / "data" / "classic"


class Payload:
    """Unpickling this creates ``marker``: what a hostile model file would do."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def automl_args(out, *extra) -> list[str]:
    return [
        "automl",
        *("--vcf", str(CLASSIC / "cohort.vcf.gz"), "--samples", str(CLASSIC / "samples.tsv")),
        *("--out", str(out), "--deterministic", "--max-trials", "2", "--quiet", *extra),
    ]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("trust") / "run"
    assert main(automl_args(out, "--no-track", "--estimators", "lightgbm")) == 0
    return out


def predict(run_dir, out, *extra) -> int:
    arguments = ["predict", "--run", str(run_dir), "--vcf", str(CLASSIC / "cohort.vcf.gz")]
    return main([*arguments, "--samples", str(CLASSIC / "samples.tsv"), "--out", str(out), *extra])


def error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("vcfml: error: ")]
    assert len(lines) == 1, err
    return lines[0]


def test_the_model_is_saved_without_pickle_and_reloads(run):
    files = sorted(path.name for path in (run / "model").iterdir())
    assert files == ["model.json", "model.skops"]
    model, _ = load_run(run)
    assert model.estimator_name == "lightgbm"
    saved = json.loads((run / "model" / "model.json").read_text())
    assert saved["versions"]["scikit-learn"] and saved["format"] == "skops-1"
    assert len(saved["variants"]["pos"]) == len(model.variants)


def test_a_pickle_in_place_of_the_model_runs_nothing(run, tmp_path, capsys):
    evil = tmp_path / "evil"
    shutil.copytree(run, evil)
    marker = tmp_path / "PWNED"
    (evil / "model" / "model.skops").unlink()
    (evil / "model" / "model.joblib").write_bytes(pickle.dumps(Payload(marker)))
    # An old (pickled) model is refused without --trust, and explain never loads it.
    assert predict(evil, tmp_path / "p.tsv") == 1
    line = error_line(capsys)
    assert "model.joblib: is a pickle from an older vcfml" in line and "--trust" in line
    assert main(["explain", "--run", str(evil), "--out", str(tmp_path / "plots")]) == 0
    with pytest.raises(VcfmlInputError, match="loading a pickle runs any code"):
        FittedModel.load(evil / "model")
    assert not marker.exists() and not (tmp_path / "p.tsv").exists()

    # The same bytes named model.skops: not a skops file, refused before anything runs.
    (evil / "model" / "model.joblib").rename(evil / "model" / "model.skops")
    assert predict(evil, tmp_path / "p.tsv") == 1
    assert "model.skops: not a skops model file" in error_line(capsys)
    assert not marker.exists()


def test_a_skops_file_with_an_unknown_type_is_refused(run, tmp_path, capsys):
    import skops.io

    model, _ = load_run(run)
    hostile = tmp_path / "hostile"
    shutil.copytree(run, hostile)
    # os.system where the estimator should be: skops would rebuild it if trusted.
    skops.io.dump(
        {"screen": model.pipeline_["screen"], "model": os.system}, hostile / "model" / "model.skops"
    )
    assert predict(hostile, tmp_path / "p.tsv") == 1
    line = error_line(capsys)
    assert "holds types that vcfml does not load: " in line and "system" in line


def test_an_old_pickled_model_loads_only_with_trust(run, tmp_path, capsys):
    old = tmp_path / "old"
    shutil.copytree(run, old)
    model, _ = load_run(run)
    (old / "model" / "model.skops").unlink()
    # What vcfml 0.1 wrote: its FittedModel was a dataclass holding the fitted pipeline.
    dataclass_state = {
        "estimator_name": model.estimator_name,
        "params": model.params,
        "pipeline": model.pipeline_,
        "variants": model.variants,
        "covariate_names": model.covariate_names,
        "covariate_levels": model.covariate_levels,
        "target_name": model.target_name,
        "target_labels": tuple(model.classes_),
        "metadata": {},
    }
    legacy = object.__new__(FittedModel)
    legacy.__dict__.update(dataclass_state)
    joblib.dump(legacy, old / "model" / "model.joblib")
    assert predict(old, tmp_path / "p.tsv") == 1
    assert "is a pickle from an older vcfml" in error_line(capsys)
    assert predict(old, tmp_path / "p.tsv", "--trust") == 0
    err = capsys.readouterr().err
    assert "vcfml: warning: " in err and "loading a pickle (trust=True)" in err
    with pytest.warns(UserWarning, match="it can run any code it holds"):
        trusted = FittedModel.load(old / "model", trust=True)
    np.testing.assert_array_equal(trusted.variants["pos"], model.variants["pos"])
    dataset = join_samples(read_vcf(CLASSIC / "cohort.vcf.gz"), CLASSIC / "samples.tsv")
    np.testing.assert_allclose(trusted.predict_proba(dataset), model.predict_proba(dataset))
    assert list(trusted.classes_) == list(model.classes_) and trusted.pipeline_ is not None


def test_other_package_versions_are_reported(run, tmp_path, capsys):
    other = tmp_path / "other"
    shutil.copytree(run, other)
    path = other / "model" / "model.json"
    saved = json.loads(path.read_text())
    here = saved["versions"]["numpy"]
    saved["versions"].update(numpy="1.0.0", vcfml="0.0.1")
    path.write_text(json.dumps(saved))
    assert predict(other, tmp_path / "p.tsv") == 0
    err = capsys.readouterr().err
    assert f"numpy 1.0.0 (here {here})" in err and "vcfml 0.0.1 (here " in err
    assert err.count("vcfml: warning: ") == 2  # versions, and the training samples


def test_an_existing_run_is_refused_or_replaced_whole(run, tmp_path, capsys):
    out = tmp_path / "again"
    shutil.copytree(run, out)
    (out / "explain").mkdir()
    (out / "explain" / "recovery.json").write_text("{}")  # of the old model
    before = (out / "run.json").read_text()
    assert main(automl_args(out, "--no-track", "--seed", "7")) == 1
    assert "a run folder already exists: give --overwrite" in error_line(capsys)
    assert (out / "run.json").read_text() == before
    assert main(automl_args(out, "--no-track", "--seed", "7", "--overwrite")) == 0
    assert json.loads((out / "run.json").read_text())["settings"]["seed"] == 7
    assert not (out / "explain").exists(), "a file of the old run is left beside the new one"
    assert [path.name for path in tmp_path.iterdir()] == ["again"]  # no temporary left


def test_out_naming_a_file_or_another_folder_is_refused_before_any_work(tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("keep me")
    began = time.perf_counter()
    assert main(automl_args(afile, "--no-track")) == 1
    assert f"{afile}: is a file, not a run folder" in error_line(capsys)
    assert time.perf_counter() - began < 5 and afile.read_text() == "keep me"
    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.txt").write_text("keep me")
    assert main(automl_args(home, "--no-track", "--overwrite")) == 1
    assert "is a folder that is not an AutoML run (no run.json): not replaced" in error_line(capsys)
    assert (home / "thesis.txt").read_text() == "keep me"


def test_an_interrupted_save_leaves_nothing(run, tmp_path, monkeypatch):
    from vcfml.automl import AutoMLSettings, run_automl

    dataset = join_samples(read_vcf(CLASSIC / "cohort.vcf.gz"), CLASSIC / "samples.tsv")
    result = run_automl(dataset, AutoMLSettings(deterministic=True, max_trials=1, verbose=0))

    def interrupted(self, directory):  # Ctrl-C in the middle of writing the model
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "partial").write_text("half")
        raise KeyboardInterrupt

    monkeypatch.setattr(FittedModel, "save", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_run(result, tmp_path / "new", None)
    assert list(tmp_path.iterdir()) == []
    # Over an existing run with --overwrite: the old run stays whole.
    old = tmp_path / "old"
    shutil.copytree(run, old)
    files = sorted(path.relative_to(old) for path in old.rglob("*"))
    with pytest.raises(KeyboardInterrupt):
        save_run(result, old, None, overwrite=True)
    assert sorted(path.relative_to(old) for path in old.rglob("*")) == files
    assert [path.name for path in tmp_path.iterdir()] == ["old"]


def vcfml_process(*arguments) -> subprocess.Popen:
    """``vcfml`` as a terminal starts it: SIGINT at its default, even when these tests
    run where it is ignored (a shell's background job ignores it, and a child would
    inherit that, so its Ctrl-C would never come)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    env.pop("MLFLOW_TRACKING_URI", None)
    return subprocess.Popen(
        [sys.executable, "-m", "vcfml.cli", *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def test_two_runs_on_one_out_one_wins_whole_and_mlflow_takes_both_stores(tmp_path):
    """Three `vcfml automl` at once: two on one --out (one wins whole, the other
    fails in one line), a third elsewhere; all log to the one MLflow store
    beside them, which used to fail with `duplicate column name: step`."""
    runs = tmp_path / "runs"
    processes = {
        seed: vcfml_process(*automl_args(runs / out, "--seed", str(seed))[0:])
        for seed, out in [(1, "same"), (2, "same"), (3, "other")]
    }
    finished = {}
    for seed, process in processes.items():
        out, err = process.communicate(timeout=600)
        finished[seed] = (process.returncode, out, err)
        assert "Traceback" not in err, (seed, err)
    assert finished[3][0] == 0, finished[3][2]
    statuses = sorted(finished[seed][0] for seed in (1, 2))
    assert statuses == [0, 1], finished
    loser = next(seed for seed in (1, 2) if finished[seed][0] == 1)
    winner = 3 - loser
    errors = [line for line in finished[loser][2].splitlines() if line.startswith("vcfml:")]
    assert len(errors) == 1 and errors[0].startswith(f"vcfml: error: {runs / 'same'}"), errors
    run = json.loads((runs / "same" / "run.json").read_text())
    assert run["settings"]["seed"] == winner
    leaderboard = (runs / "same" / "leaderboard.tsv").read_text()
    assert leaderboard  # the winner's files, all of them, consistent
    assert sorted(path.name for path in runs.iterdir() if path.name.startswith(".")) == []
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{runs / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("vcfml-automl")
    parents = [
        found.info.run_name
        for found in client.search_runs([experiment.experiment_id])
        if "mlflow.parentRunId" not in found.data.tags
    ]
    assert sorted(parents) == ["other", "same"]


def test_ctrl_c_during_automl_leaves_nothing(tmp_path):
    out = tmp_path / "runs" / "interrupted"
    arguments = [
        "automl",
        *("--vcf", str(CLASSIC / "cohort.vcf.gz"), "--samples", str(CLASSIC / "samples.tsv")),
        *("--out", str(out), "--deterministic", "--max-trials", "500", "--no-track"),
    ]
    process = vcfml_process(*arguments)
    seen = ""
    while "AutoML (" not in seen:  # the search's progress bar: past imports and reading
        character = process.stderr.read(1)
        assert character, seen
        seen += character
    time.sleep(1)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)  # reads both pipes: none can fill and block
    status = process.returncode
    assert status == 130 and "vcfml: interrupted" in err and "Traceback" not in err, err
    assert not out.exists()
    parent = out.parent
    assert not parent.exists() or list(parent.iterdir()) == []


def test_the_package_exposes_the_readme_workflow_lazily():
    """`from vcfml import ...` gives the README's names; the search engine loads
    only when one of its names is used."""
    code = (
        "import sys, vcfml\n"
        "assert 'flaml' not in sys.modules and 'vcfml.automl.search' not in sys.modules\n"
        "from vcfml import AutoMLSettings, importance_table, join_samples, read_vcf, run_automl\n"
        "from vcfml import prescreen\n"
        "import vcfml.automl.search, vcfml.explain, vcfml.features, vcfml.scale\n"
        "assert run_automl is vcfml.automl.search.run_automl\n"
        "assert importance_table is vcfml.explain.importance_table\n"
        "assert join_samples is vcfml.features.join_samples and prescreen is vcfml.scale.prescreen\n"
        "assert sorted(vcfml.__all__) == sorted(n for n in vcfml.__all__ if hasattr(vcfml, n))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    readme = (ROOT / "README.md").read_text()
    assert "from vcfml import AutoMLSettings, importance_table, join_samples, read_vcf" in readme


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_ctrl_c_a_finalizer_swallowed_still_stops_the_search():
    """Python raises a SIGINT's KeyboardInterrupt wherever the main thread is; inside
    a finalizer it is only reported ("Exception ignored") and the search went on.
    The command line records the signal, and the search raises it before each fold."""
    import gc
    import signal as signals

    from vcfml import interrupts

    class Finalized:
        def __del__(self):
            signals.raise_signal(signals.SIGINT)  # arrives while a finalizer runs

    previous = signals.getsignal(signals.SIGINT)
    try:
        interrupts.catch_interrupts()
        Finalized()  # collected at once: its KeyboardInterrupt is swallowed
        gc.collect()
        with pytest.raises(KeyboardInterrupt):
            interrupts.raise_if_interrupted()
    finally:
        signals.signal(signals.SIGINT, previous)
        interrupts._interrupted.clear()
