"""The genotype-aware AutoML: determinism, no leakage, save/load/apply, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from vcfml import read_vcf, write_vcf
from vcfml.automl import AutoMLSettings, FittedModel, run_automl
from vcfml.automl.model import missing_variants
from vcfml.automl.screening import GenotypeScreen
from vcfml.errors import VcfmlError
from vcfml.features import Dataset, join_samples


@pytest.fixture(scope="module")
def liability_dataset(liability_dir) -> Dataset:
    return join_samples(read_vcf(liability_dir / "cohort.vcf.gz"), liability_dir / "samples.tsv")


def quick(**overrides) -> AutoMLSettings:
    values = {"deterministic": True, "max_trials": 6, "verbose": 0, "seed": 1}
    values.update(overrides)
    return AutoMLSettings(**values)


def test_deterministic_mode_repeats_exactly(liability_dataset):
    first = run_automl(liability_dataset, quick())
    second = run_automl(liability_dataset, quick())
    columns = ["estimator", "n_sites", "params", "roc_auc"]
    pd.testing.assert_frame_equal(first.leaderboard[columns], second.leaderboard[columns])
    assert (first.leaderboard["estimator"] != "ensemble").sum() == 6  # and perhaps the vote
    assert first.leaderboard["best_so_far"].is_monotonic_increasing
    np.testing.assert_array_equal(
        first.model.predict_proba(liability_dataset), second.model.predict_proba(liability_dataset)
    )


def test_search_finds_signal(liability_dataset, liability_dir):
    import json

    truth = json.loads((liability_dir / "truth.json").read_text())
    result = run_automl(liability_dataset, quick(max_trials=10))
    ceiling = truth["bayes_optimal"]["cohort"]["auc"]
    assert result.best_score > 0.85 * ceiling
    assert set(result.cv_metrics) == {"roc_auc", "accuracy", "balanced_accuracy", "f1", "log_loss"}


def test_pure_noise_phenotype_gives_chance_auc(liability_dataset):
    rng = np.random.default_rng(0)
    noise = Dataset(
        genotypes=liability_dataset.genotypes,
        variants=liability_dataset.variants,
        covariates=liability_dataset.covariates.iloc[:, :0],
        target=rng.permutation(liability_dataset.target),
        target_labels=("0", "1"),
        samples=liability_dataset.samples,
        covariate_levels={},
    )
    honest = run_automl(noise, quick(max_trials=8))
    assert abs(honest.best_score - 0.5) < 0.1

    # The same data with the screen fitted on all samples first (the leak the
    # pipeline avoids) looks predictable: the test can tell the two apart.
    screen = GenotypeScreen(n_sites=20).fit(noise.genotypes, noise.target)
    features = screen.transform(noise.genotypes)
    scores = []
    for train, valid in StratifiedKFold(5, shuffle=True, random_state=0).split(
        features, noise.target
    ):
        model = LogisticRegression(C=1.0, max_iter=1000).fit(features[train], noise.target[train])
        scores.append(
            roc_auc_score(noise.target[valid], model.predict_proba(features[valid])[:, 1])
        )
    assert np.mean(scores) > honest.best_score + 0.1


def test_save_load_and_apply_to_a_reordered_vcf(liability_dataset, liability_dir, tmp_path):
    result = run_automl(liability_dataset, quick(n_sites=15, estimators=["logistic"]))
    result.model.save(tmp_path / "model")
    loaded = FittedModel.load(tmp_path / "model")
    expected = result.model.predict_proba(liability_dataset)
    np.testing.assert_allclose(loaded.predict_proba(liability_dataset), expected)

    # Another file of the same samples: other sites dropped, kept sites on another
    # contig ordering is impossible in a sorted VCF, so drop every other non-model site.
    genotypes = read_vcf(liability_dir / "cohort.vcf.gz")
    keep_keys = set(map(tuple, loaded.variants[["chrom", "pos"]].astype(str).to_numpy()))
    keys = list(
        zip(genotypes.variants["chrom"], genotypes.variants["pos"].astype(str), strict=True)
    )
    keep = np.array([k in keep_keys or i % 2 == 0 for i, k in enumerate(keys)])
    smaller = tmp_path / "smaller.vcf.gz"
    write_vcf(
        smaller,
        genotypes.genotypes[:, keep],
        genotypes.variants.loc[keep].reset_index(drop=True),
        genotypes.samples,
        contigs={name: length for name, length in genotypes.contigs.items()},
    )
    other = join_samples(
        read_vcf(smaller), liability_dir / "samples.tsv", covariate_levels=loaded.covariate_levels
    )
    assert other.genotypes.shape[1] < liability_dataset.genotypes.shape[1]
    np.testing.assert_allclose(loaded.predict_proba(other), expected, rtol=1e-6)

    # Remove one model variant: refused by default, imputed on request.
    first = loaded.variants.iloc[0]
    drop = (genotypes.variants["chrom"] == first["chrom"]) & (
        genotypes.variants["pos"] == first["pos"]
    )
    lacking = tmp_path / "lacking.vcf.gz"
    write_vcf(
        lacking,
        genotypes.genotypes[:, ~drop.to_numpy()],
        genotypes.variants.loc[~drop].reset_index(drop=True),
        genotypes.samples,
        contigs=genotypes.contigs,
    )
    partial = join_samples(
        read_vcf(lacking), liability_dir / "samples.tsv", covariate_levels=loaded.covariate_levels
    )
    assert len(missing_variants(loaded.variants, partial)) == 1
    with pytest.raises(VcfmlError, match=r"1 of the model's 15 variants are not in the VCF"):
        loaded.predict_proba(partial)
    imputed = loaded.predict_proba(partial, missing="impute")
    assert imputed.shape == expected.shape and not np.allclose(imputed, expected)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"metric": "recall"}, "unknown metric 'recall'"),
        ({"budget": -3}, "budget must be a positive number"),
        ({"deterministic": True}, "deterministic mode needs max_trials"),
        ({"estimators": ["svm"]}, "unknown estimators"),
        ({"estimators": ["logistic"], "blocked": ["logistic"]}, "every estimator is blocked"),
        ({"folds": 1}, "use folds >= 2"),
    ],
)
def test_bad_settings_are_refused(settings, message):
    with pytest.raises(VcfmlError, match=message):
        AutoMLSettings(**settings).resolved()


def test_data_problems_are_refused(liability_dataset):
    tiny = Dataset(
        genotypes=liability_dataset.genotypes[:12],
        variants=liability_dataset.variants,
        covariates=liability_dataset.covariates.iloc[:12],
        target=np.array([1, 1, 1] + [0] * 9, dtype=np.int8),
        target_labels=("0", "1"),
        samples=liability_dataset.samples[:12],
    )
    with pytest.raises(VcfmlError, match="smaller class has 3 samples, fewer than the 5"):
        run_automl(tiny, quick(test_size=0))
    with pytest.raises(VcfmlError, match=r"a test share of 0\.2 holds out fewer than 2 of them"):
        run_automl(tiny, quick())
    with pytest.raises(VcfmlError, match="3 samples, 1 after holding out the test share, fewer"):
        run_automl(tiny, quick(test_size=0.5))
    one_class = Dataset(**{**tiny.__dict__, "target": np.zeros(12, dtype=np.int8)})
    with pytest.raises(VcfmlError, match="target column 'phenotype': the target must have both"):
        run_automl(one_class, quick())
    from_file = Dataset(**{**one_class.__dict__, "source": "cohort.vcf.gz"})
    with pytest.raises(VcfmlError, match=r"'phenotype' \(samples of cohort.vcf.gz\): the target"):
        run_automl(from_file, quick())
    rare = liability_dataset.genotypes.copy()
    rare[:] = 0
    rare[0] = 1  # every site: one heterozygous carrier, MAF far below 0.2
    rare_only = Dataset(**{**liability_dataset.__dict__, "genotypes": rare})
    with pytest.raises(VcfmlError, match="no variants left after filtering"):
        run_automl(rare_only, quick(min_maf=0.2))


def test_one_standard_error_rule_prefers_fewer_sites(liability_dataset):
    best = run_automl(liability_dataset, quick(max_trials=10, ensemble=False))
    sparse = run_automl(liability_dataset, quick(max_trials=10, selection="one_standard_error"))
    board = sparse.leaderboard
    top = board.loc[board["roc_auc"].idxmax()]
    margin = top["roc_auc_std"] / 5**0.5
    close = board[board["roc_auc"] >= top["roc_auc"] - margin]
    chosen = board.set_index("iteration").loc[sparse.chosen_trial]
    assert chosen["n_sites"] == close["n_sites"].min()
    assert len(sparse.model.variants) <= len(best.model.variants)
    assert best.best_score == board["roc_auc"].max()


def test_concurrent_trials_need_ray(liability_dataset, monkeypatch):
    import vcfml.automl.search as search

    real_find_spec = search.importlib.util.find_spec
    monkeypatch.setattr(
        search.importlib.util,
        "find_spec",
        lambda name, *args: None if name == "ray" else real_find_spec(name, *args),
    )
    with pytest.raises(VcfmlError, match=r"runs trials in parallel on Ray.*\.\[parallel\]"):
        run_automl(liability_dataset, quick(concurrent_trials=2))


def test_concurrent_trials_on_ray(liability_dataset):
    """Runs where the `parallel` extra is installed (`pip install -e ".[parallel]"`)."""
    pytest.importorskip("ray")
    result = run_automl(liability_dataset, quick(concurrent_trials=2, max_trials=6))
    assert len(result.leaderboard) == 6
    assert result.leaderboard["iteration"].tolist() == list(range(1, 7))
    assert result.leaderboard["best_so_far"].is_monotonic_increasing
    assert result.best_score > 0.6


def test_seed_reaches_the_search(liability_dataset, monkeypatch):
    """``seed`` seeds FLAML's searcher too, not only the folds and the models: with
    the folds held fixed and a model family without randomness, another seed
    proposes other configurations, and the same seed the same ones."""
    import vcfml.automl.search as search

    fixed = StratifiedKFold(3, shuffle=True, random_state=0)
    monkeypatch.setattr(
        search, "cv_splits", lambda y, settings: list(fixed.split(np.zeros(len(y)), y))
    )

    def proposals(seed: int) -> list[tuple[int, str]]:
        settings = quick(seed=seed, estimators=["logistic"], test_size=0, ensemble=False)
        board = run_automl(liability_dataset, settings).leaderboard
        return list(zip(board["n_sites"], board["params"], strict=True))

    first = proposals(1)
    assert proposals(1) == first
    assert proposals(2) != first


def _board(rows: list[tuple[int, float, float]]) -> pd.DataFrame:
    """A leaderboard of (n_sites, roc_auc, roc_auc_std) rows."""
    return pd.DataFrame(
        {
            "iteration": range(1, len(rows) + 1),
            "estimator": "logistic",
            "n_sites": [row[0] for row in rows],
            "roc_auc": [row[1] for row in rows],
            "roc_auc_std": [row[2] for row in rows],
        }
    )


def test_a_trial_cut_short_is_not_chosen_over_finished_ones():
    from vcfml.automl.metrics import METRICS
    from vcfml.automl.search import _chosen_row

    # Trial 1 was cut by the budget (scored on one fold, by luck high); it is kept
    # in the leaderboard only because it came first.
    board = _board([(10, 0.90, 0.0), (20, 0.80, 0.02), (30, 0.78, 0.02)])
    chosen = _chosen_row(board, METRICS["roc_auc"], quick(), 5, {1})
    assert chosen["iteration"] == 2
    assert _chosen_row(board.iloc[:1], METRICS["roc_auc"], quick(), 5, {1})["iteration"] == 1


def test_one_standard_error_margin_uses_the_folds_actually_scored():
    from vcfml.automl.metrics import METRICS
    from vcfml.automl.search import _chosen_row

    # Best 0.80 +- 0.10 over the folds; a 5-site trial at 0.75 is within one standard
    # error over 2 folds (0.071) but not over the 5 configured ones (0.045).
    board = _board([(50, 0.80, 0.10), (5, 0.75, 0.05)])
    settings = quick(selection="one_standard_error", folds=5)
    assert _chosen_row(board, METRICS["roc_auc"], settings, 2)["n_sites"] == 5
    assert _chosen_row(board, METRICS["roc_auc"], settings, 5)["n_sites"] == 50


def test_estimator_names_match_their_search_spaces():
    """settings.py names the families without importing FLAML; the names must be
    exactly the families estimators.py defines, in the order a run tries them."""
    from vcfml.automl.estimators import DEFAULT_ESTIMATORS, FAMILIES
    from vcfml.automl.settings import ESTIMATOR_NAMES

    assert tuple(FAMILIES) == ESTIMATOR_NAMES == DEFAULT_ESTIMATORS
