"""The pairwise-interaction screen: it finds a partner that has no effect on its
own, its statistic is the score test of the product, and it never sees the
held-out test samples."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from vcfml import read_vcf
from vcfml.automl import AutoMLSettings, run_automl
from vcfml.automl.interactions import interaction_scores, pair_ranking, strongest_pairs
from vcfml.automl.screening import GenotypeScreen
from vcfml.automl.splits import holdout_split
from vcfml.features import Dataset, join_samples
from vcfml.stats import mean_dosage
from vcfml.stats.association import fit_logistic


def hidden_pair(n: int = 800, n_sites: int = 1500, seed: int = 0):
    """Genotypes in HWE; risk from site 7 plus the product of sites 7 and 1234
    (standardized), so that site 1234 has no marginal effect."""
    rng = np.random.default_rng(seed)
    af = rng.uniform(0.2, 0.5, n_sites)
    genotypes = rng.binomial(2, af, (n, n_sites)).astype(np.int8)
    z = (genotypes - 2 * af) / np.sqrt(2 * af * (1 - af))
    logit = -0.5 + 0.8 * z[:, 7] + 1.2 * z[:, 7] * z[:, 1234]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return genotypes, y


def test_pair_screen_moves_a_hidden_partner_next_to_its_anchor():
    genotypes, y = hidden_pair()
    screen = GenotypeScreen(n_sites=5, pairs=3).fit(genotypes, y)
    marginal = screen.marginal_ranking_.tolist()
    assert marginal[0] == 7
    assert marginal.index(1234) > 50  # on its own, the partner is lost among noise sites
    anchor, partner, statistic = screen.pairs_[0]
    assert (anchor, partner) == (7, 1234) and statistic > 30
    assert screen.ranking_.tolist()[:2] == [7, 1234]
    assert 1234 in screen.selected_
    assert sorted(screen.ranking_.tolist()) == sorted(marginal)  # a reordering
    # Without pairs the screen is the one-site screen.
    plain = GenotypeScreen(n_sites=5).fit(genotypes, y)
    np.testing.assert_array_equal(plain.ranking_, screen.marginal_ranking_)
    assert plain.pairs_ == [] and 1234 not in plain.selected_


def test_interaction_statistic_is_close_to_the_score_test_of_the_product():
    genotypes, y = hidden_pair(seed=1)
    genotypes[::37, 1234] = -1  # missing calls count as the mean
    means = mean_dosage(genotypes)
    covariate = np.random.default_rng(2).standard_normal((len(y), 1))
    sites = np.array([1234, 3, 900])
    ours = interaction_scores(genotypes, y, means, np.array([7]), covariate)[0, sites]
    # The exact score test of z7 * z_b in target ~ 1 + covariate + z7 (+ nothing else).
    filled = np.where(genotypes < 0, means, genotypes).astype(float)
    z = (filled - means) / np.sqrt(((filled - means) ** 2).mean(axis=0))
    design = np.column_stack([np.ones(len(y)), covariate, z[:, 7]])
    exact = exact_score_test(z[:, sites] * z[:, [7]], y, design)
    np.testing.assert_allclose(ours, exact, rtol=0.15)
    assert ours[0] > 30 > ours[1]
    assert interaction_scores(genotypes, y, means, np.array([7]))[0, 7] == 0  # not with itself


def exact_score_test(columns: np.ndarray, y: np.ndarray, design: np.ndarray) -> np.ndarray:
    """Score-test chi-square of each column added to the logistic model ``y ~ design``
    (written out here: vcfml's score_test takes dosages, not products)."""
    fitted = 1 / (1 + np.exp(-(design @ fit_logistic(design, y.astype(float)))))
    weights = fitted * (1 - fitted)
    information = (design * weights[:, None]).T @ design
    cross = (design * weights[:, None]).T @ columns
    variance = (columns**2 * weights[:, None]).sum(axis=0) - np.einsum(
        "ij,ij->j", cross, np.linalg.solve(information, cross)
    )
    return (columns.T @ (y - fitted)) ** 2 / variance


def test_strongest_pairs_and_ranking():
    scores = np.array([[0.0, 5.0, 1.0, 9.0], [5.0, 0.0, 7.0, 0.5]])
    anchors = np.array([0, 1])
    pairs = strongest_pairs(scores, anchors, np.arange(4), 3)
    # (0, 1) and (1, 0) are one pair; a site outside `eligible` is never a partner
    assert [(a, b) for a, b, _ in pairs] == [(0, 3), (1, 2), (0, 1)]
    eligible = np.array([1, 2])
    assert [(a, b) for a, b, _ in strongest_pairs(scores, anchors, eligible, 5)] == [
        (1, 2),
        (0, 1),
        (0, 2),
    ]
    assert pair_ranking(np.array([1, 0, 2, 3]), pairs).tolist() == [1, 2, 0, 3]


@pytest.fixture(scope="module")
def liability_dataset(liability_dir) -> Dataset:
    return join_samples(
        read_vcf(liability_dir / "cohort.vcf.gz"), liability_dir / "samples.tsv", covariates=["sex"]
    )


def test_no_screen_sees_the_test_samples(liability_dataset):
    """Two planted sites: one equal to the phenotype in the test samples only,
    and one whose product with the strongest site is the phenotype there (noise
    in the other samples, for both). A screen, one-site or pairs, that looked at
    the test samples would hand them to the model."""
    dataset = liability_dataset
    settings = AutoMLSettings(
        deterministic=True, max_trials=8, verbose=0, seed=1, screen="pairs", ensemble=False,
        test_size=0.5,
    )  # fmt: skip
    search, test = holdout_split(dataset.target, settings.resolved())
    # The anchor: a strong site of common alleles, cut at its median dosage.
    screen = GenotypeScreen(n_sites=10, min_maf=0.3).fit(dataset.genotypes, dataset.target)
    anchor = screen.ranking_[0]
    calls = dataset.genotypes[:, anchor]
    above = calls[test] > np.median(calls)
    rng = np.random.default_rng(0)
    marginal = rng.integers(0, 3, len(dataset.samples)).astype(np.int8)
    marginal[test] = 2 * dataset.target[test]
    partner = rng.integers(0, 3, len(dataset.samples)).astype(np.int8)
    partner[test] = np.where((dataset.target[test] == 1) == above, 2, 0)
    planted = ["planted_marginal", "planted_partner"]
    leaky = Dataset(
        np.column_stack([dataset.genotypes, marginal, partner]),
        pd.concat(
            [
                dataset.variants,
                pd.DataFrame(
                    {
                        "chrom": ["chr1", "chr1"],
                        "pos": [5, 6],
                        "id": planted,
                        "ref": ["A", "A"],
                        "alt": ["G", "G"],
                    }
                ),
            ],
            ignore_index=True,
        ),
        dataset.covariates,
        dataset.target,
        dataset.target_labels,
        dataset.samples,
    )
    # With the test samples, the pairs screen does find the planted partner...
    everyone = GenotypeScreen(n_sites=50, pairs=10).fit(
        leaky.genotypes, leaky.target, leaky.covariates.to_numpy(float)
    )
    columns = leaky.genotypes.shape[1]
    assert any(columns - 1 in pair[:2] for pair in everyone.pairs_)
    # ...but the search samples alone do not, and the run's held-out model never uses them.
    searched = GenotypeScreen(n_sites=50, pairs=10).fit(
        leaky.genotypes[search], leaky.target[search], leaky.covariates.to_numpy(float)[search]
    )
    assert not {columns - 2, columns - 1} & {p for pair in searched.pairs_ for p in pair[:2]}
    honest = run_automl(dataset, settings)
    result = run_automl(leaky, settings)
    assert "pairs" in set(result.leaderboard["screen"])
    assert not set(planted) & set(result.holdout_model.variants["id"])
    assert result.test_score < 0.95 and abs(result.test_score - honest.test_score) < 0.05


def test_auto_screen_lets_the_search_choose(liability_dataset):
    settings = AutoMLSettings(deterministic=True, max_trials=10, verbose=0, seed=0)
    assert settings.screen == "auto"
    result = run_automl(liability_dataset, settings)
    assert set(result.leaderboard["screen"]) <= {"marginal", "pairs", "marginal,pairs"}
    assert {"marginal", "pairs"} <= set(result.leaderboard["screen"])
    # The refitted model uses the sites its trial's ranking put on top.
    chosen = result.leaderboard.set_index("iteration").loc[result.chosen_trial]
    if chosen["estimator"] != "ensemble":
        assert len(result.model.variants) == chosen["n_sites"]
    with pytest.raises(Exception, match="screen must be one of"):
        AutoMLSettings(screen="everything").resolved()


def test_cli_screen_choices_are_the_settings_screens():
    from vcfml.automl.settings import SCREENS
    from vcfml.cli import build_parser

    parser = build_parser()
    automl = next(
        action for action in parser._subparsers._group_actions[0].choices["automl"]._actions
        if action.dest == "screen"
    )  # fmt: skip
    assert set(automl.choices) == set(SCREENS) and automl.default == "auto"


def test_a_pairs_screen_past_its_deadline_is_skipped_and_says_why(monkeypatch):
    """The pairs screen gives up when it cannot end by its deadline: before it
    starts (a deadline already past) or block by block as it scans; what is left
    is the one-site ranking, and ``pairs_skipped_`` says why."""
    from vcfml.automl import interactions
    from vcfml.automl.interactions import OutOfTime

    genotypes, y = hidden_pair()
    past = time.perf_counter() - 1.0
    screen = GenotypeScreen(n_sites=5, pairs=3).fit(genotypes, y, pairs_deadline=past)
    assert screen.pairs_ == [] and "the pairs screen would take about" in screen.pairs_skipped_
    np.testing.assert_array_equal(screen.ranking_, screen.marginal_ranking_)
    assert 1234 not in screen.selected_  # the hidden partner stays lost
    # A deadline far ahead changes nothing: the partner is found as without one.
    ahead = GenotypeScreen(n_sites=5, pairs=3).fit(
        genotypes, y, pairs_deadline=time.perf_counter() + 3600
    )
    assert ahead.pairs_skipped_ is None and ahead.ranking_.tolist()[:2] == [7, 1234]
    # The scan checks its projected end after each block of sites.
    monkeypatch.setattr(interactions, "BLOCK", 100)
    means = mean_dosage(genotypes)
    with pytest.raises(OutOfTime) as late:
        interaction_scores(genotypes, y, means, np.array([7]), deadline=past)
    assert late.value.expected > 0
    whole = interaction_scores(genotypes, y, means, np.array([7]), deadline=None)
    assert whole[0].argmax() == 1234


def test_a_run_without_time_for_the_pairs_screen_searches_one_site_and_says_so(
    liability_dataset, monkeypatch
):
    """A run whose budget is spent when it starts: the pairs screen of
    ``screen="auto"`` is skipped, every trial uses the one-site ranking, the
    result says which rankings were searched, and a note says why. With time to
    spare the same run searches both; its refit screens pairs only for a trial
    that used them."""
    from vcfml.automl import search

    spent = run_automl(
        liability_dataset,
        AutoMLSettings(budget=5, verbose=0, seed=1),
        started=time.perf_counter() - 100,
    )
    assert spent.screens == ("marginal",)
    assert set(spent.leaderboard["screen"]) == {"marginal"}
    assert any(note.startswith("skipped the pairs screen") for note in spent.notes)

    asked: list[tuple[str, ...]] = []
    real = search.screen_rankings

    def spy(*args, screens=None, **kwargs):
        asked.append(screens)
        return real(*args, screens=screens, **kwargs)

    monkeypatch.setattr(search, "screen_rankings", spy)
    settings = AutoMLSettings(budget=3600, max_trials=6, ensemble=False, verbose=0, seed=1)
    roomy = run_automl(liability_dataset, settings)
    assert roomy.screens == ("marginal", "pairs") and not roomy.notes
    chosen = roomy.leaderboard.set_index("iteration").loc[roomy.chosen_trial, "screen"]
    folds, refits = asked[: roomy.folds_used], asked[roomy.folds_used :]
    assert folds == [("marginal", "pairs")] * roomy.folds_used
    assert refits and all(screens == (chosen,) for screens in refits)
