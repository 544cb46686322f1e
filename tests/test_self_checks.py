"""Every self-check of chapters 1-5 that judges behaviour is tested three ways:
a right answer passes, a wrong answer is rejected with feedback naming what is
wrong, and a right answer written differently from the solution also passes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from scipy.stats import norm
from sklearn.feature_selection import SelectKBest, f_classif
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import (
    GridSearchCV,
    RandomizedSearchCV,
    StratifiedKFold,
    cross_val_predict,
    cross_val_score,
)
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from vcfml import check, read_vcf
from vcfml.stats import allele_frequency, haploid_in_males, ld_r2

GENDERS = np.array(["male", "female", "unknown"])


# --- 1.1: decoding a GT call, and a test set that can fail ----------------------------


def gt_to_dosage(gt):
    alleles = gt.replace("|", "/").split("/")
    return -1 if "." in alleles else alleles.count("1")


def gt_by_regex(gt):
    """Right but different: a regular expression, numpy integers."""
    import re

    alleles = re.split(r"[/|]", gt)
    return (
        np.int8(-1) if any(a == "." for a in alleles) else np.int8(sum(a == "1" for a in alleles))
    )


def test_1_1_right_answers_pass(capsys):
    assert check.exercise_1_1(gt_to_dosage)
    assert "decodes all 13 test calls" in capsys.readouterr().out
    assert check.exercise_1_1(gt_by_regex)


@pytest.mark.parametrize(
    ("wrong", "feedback"),
    [
        (lambda gt: -1 if "." in gt else gt.split("/").count("1"), "a phased call"),
        (lambda gt: gt.replace("|", "/").split("/").count("1"), "the whole call as -1"),
        (lambda gt: -1 if set(gt) <= set("./|") else gt_to_dosage(gt.replace(".", "0")),
         "the whole call as -1"),
        (lambda gt: 2 * gt_to_dosage(gt) if len(gt) == 1 and gt != "." else gt_to_dosage(gt),
         "'1' is one copy of ALT"),
        (lambda gt: float("nan") if "." in gt else gt_to_dosage(gt), "the whole call as -1"),
        (lambda gt: -1 if "." in gt else sum(a != "0" for a in gt.replace("|", "/").split("/")),
         "a '2' is the *second* ALT allele"),
    ],
    ids=["slash-only", "missing-as-0", "half-missing-kept", "haploid-doubled", "nan", "non-ref"],
)  # fmt: skip
def test_1_1_wrong_decoders_are_named(wrong, feedback, capsys):
    assert not check.exercise_1_1(wrong)
    out = capsys.readouterr().out
    assert out.startswith("❌ Exercise 1.1: not yet.") and feedback in out


def test_1_1_b_test_sets(capsys):
    assert check.exercise_1_1_tests(["0|1", "./.", "./1", "1", "1/2"])
    assert "3 of your calls catch the naive decoder" in capsys.readouterr().out
    # Right but different: other calls, a tuple, a repeated call.
    assert check.exercise_1_1_tests(("1|1", ".|.", ".", ".", "0|1"))
    assert not check.exercise_1_1_tests(["0/1", "1/1", "1/2", "0|1"])
    assert "1 of your 4 calls catch the naive decoder" in capsys.readouterr().out
    assert not check.exercise_1_1_tests(["0|1", "./.", "0/3"])
    assert "'0/3' is not a GT call" in capsys.readouterr().out
    assert not check.exercise_1_1_tests("0|1")
    assert "not a list of calls" in capsys.readouterr().out


# --- 1.2: frequencies and missingness, chr1 and chrX ---------------------------------

LIABILITY_VCF = str(ROOT / "data" / "liability" / "cohort.vcf.gz")


def masked_frequency(calls, alleles_per_call):
    called = calls >= 0
    return np.where(called, calls, 0).sum(axis=0) / np.where(called, alleles_per_call, 0).sum(
        axis=0
    )


@pytest.fixture(scope="module")
def chrx_calls():
    chrx = read_vcf(LIABILITY_VCF, region="chrX")
    samples = pd.read_csv(ROOT / "data" / "liability" / "samples.tsv", sep="\t")
    male = samples.set_index("sample_id").loc[chrx.samples, "sex"].eq("male").to_numpy()
    haploid = haploid_in_males(chrx.variants["chrom"], chrx.variants["pos"])
    assert haploid.any() and not haploid.all()  # the test needs PAR and non-PAR sites
    return chrx.genotypes, np.where(np.outer(male, haploid), 1, 2)


def test_1_2_right_answers_pass(chrx_calls, capsys):
    calls = read_vcf(LIABILITY_VCF, region="chr1").genotypes
    assert check.exercise_1_2(
        LIABILITY_VCF, "chr1", masked_frequency(calls, 2), (calls < 0).mean(axis=1)
    )
    assert "missingness of 600 samples" in capsys.readouterr().out
    genotypes, alleles_per_call = chrx_calls
    assert check.exercise_1_2(LIABILITY_VCF, "chrX", masked_frequency(genotypes, alleles_per_call))


def test_1_2_right_but_different_passes(chrx_calls):
    """The library's ploidy-aware frequency, and NaN-mean arithmetic, are right too."""
    genotypes, alleles_per_call = chrx_calls
    assert check.exercise_1_2(LIABILITY_VCF, "chrX", allele_frequency(genotypes, alleles_per_call))
    calls = read_vcf(LIABILITY_VCF, region="chr1").genotypes
    nan_mean = np.nanmean(np.where(calls < 0, np.nan, calls), axis=0) / 2
    assert check.exercise_1_2(LIABILITY_VCF, "chr1", nan_mean, np.mean(calls == -1, axis=1))


def test_1_2_wrong_answers_fail_with_the_mistake_named(chrx_calls, capsys):
    calls = read_vcf(LIABILITY_VCF, region="chr1").genotypes
    assert (calls < 0).any()  # else an unmasked mean could not be told apart
    missing = (calls < 0).mean(axis=1)
    wrong_chr1 = [
        (calls.mean(axis=0) / 2, missing, "leave them out"),
        (np.where(calls < 0, 0, calls).mean(axis=0) / 2, missing, "twice the called samples"),
        (masked_frequency(calls, 1), missing, "that is the mean dosage"),
        (masked_frequency(calls, 2), (calls < 0).mean(axis=0), "one value per sample"),
        (masked_frequency(calls, 2), (calls < 0).sum(axis=1), "one value per sample"),
        (masked_frequency(calls, 2), (calls >= 0).mean(axis=1), "one value per sample"),
        (masked_frequency(calls, 2)[:1].repeat(600), missing, "one frequency per column"),
    ]
    for frequency, per_sample, feedback in wrong_chr1:
        assert not check.exercise_1_2(LIABILITY_VCF, "chr1", frequency, per_sample)
        assert feedback in capsys.readouterr().out


def test_1_2_chrx_mistakes_get_chrx_hints(chrx_calls, capsys):
    """Each chrX mistake of the learner's review gets its own hint, not chr1's."""
    genotypes, right = chrx_calls
    chrx = read_vcf(LIABILITY_VCF, region="chrX")
    on_x = np.ones(genotypes.shape[1], dtype=bool)
    non_par = right.min(axis=0) == 1
    male = right.min(axis=1) == 1
    mistakes = [
        (masked_frequency(genotypes, 2), "a man's call on chrX"),
        (masked_frequency(genotypes, np.where(np.outer(male, on_x), 1, 2)), "the exception"),
        (masked_frequency(genotypes, np.where(np.outer(~male, non_par), 1, 2)), "swapped"),
        (masked_frequency(genotypes, np.where(np.outer(male, ~non_par), 1, 2)), "inverted"),
        (np.where(genotypes < 0, 0, genotypes).sum(axis=0) / right.sum(axis=0),
         "also counts the missing calls"),
        (genotypes.mean(axis=0) / 2, "leave them out"),
    ]  # fmt: skip
    assert chrx.genotypes.shape == genotypes.shape
    for frequency, feedback in mistakes:
        assert not check.exercise_1_2(LIABILITY_VCF, "chrX", frequency)
        out = capsys.readouterr().out
        assert feedback in out and "twice the called samples" not in out


# --- 2.1: the 2019 generator ------------------------------------------------------


def generator(
    plant_every_case=False,
    redraw_every_gender=False,
    redraw_gender=True,
    plant_all_causal=False,
    first_causal_only=False,
    others_all_three=False,
    planted_get_affected=False,
    cases_with_replacement=False,
    uniform=False,
):
    """The notebook's loop, with switches for the mistakes the reviews found."""

    def classic_cohort(n_samples, n_sites, n_cases, n_causal, seed):
        rng = np.random.default_rng(seed)
        p = [1 / 3] * 3 if uniform else [0.9, 0.05, 0.05]
        genotypes = rng.choice(3, size=(n_samples, n_sites), p=p)
        sex = rng.choice(GENDERS, size=n_samples)
        affected = str(rng.choice(["male", "female"]))
        cases = rng.choice(n_samples, size=n_cases, replace=cases_with_replacement)
        causal = rng.choice(n_sites, size=n_causal, replace=False)
        others = GENDERS if others_all_three else np.setdiff1d(GENDERS, [affected])
        for case in cases:
            tested = causal[:1] if first_causal_only else causal
            lacks = not (genotypes[case, tested] == 2).any()
            if plant_all_causal and lacks:
                genotypes[case, causal] = 2
            elif lacks or plant_every_case:
                genotypes[case, rng.choice(causal)] = 2
            if redraw_gender and (lacks or redraw_every_gender):
                sex[case] = affected if planted_get_affected else rng.choice(others)
        phenotype = np.zeros(n_samples, dtype=int)
        phenotype[cases] = 1
        return genotypes, sex, phenotype, causal, affected

    return classic_cohort


def vectorized_generator(n_samples, n_sites, n_cases, n_causal, seed):
    """Right but different: vcfml's vectorized recipe, other draw order, a list of sites."""
    rng = np.random.default_rng(seed + 100)
    affected = "female"
    causal = sorted(rng.permutation(n_sites)[:n_causal].tolist())
    genotypes = rng.multinomial(1, [0.9, 0.05, 0.05], size=(n_samples, n_sites)).argmax(axis=2)
    sex = GENDERS[rng.integers(0, 3, n_samples)]
    phenotype = np.zeros(n_samples, dtype=np.int8)
    phenotype[rng.permutation(n_samples)[:n_cases]] = 1
    cases = np.flatnonzero(phenotype)
    lacking = cases[~(genotypes[np.ix_(cases, causal)] == 2).any(axis=1)]
    genotypes[lacking, np.asarray(causal)[rng.integers(0, n_causal, lacking.size)]] = 2
    sex[lacking] = rng.choice(["male", "unknown"], size=lacking.size)
    return genotypes, list(sex), phenotype, causal, affected


def test_2_1_right_answer_passes(capsys):
    assert check.exercise_2_1(generator())
    assert "✅ Exercise 2.1" in capsys.readouterr().out


def test_2_1_right_but_different_passes(capsys):
    assert check.exercise_2_1(vectorized_generator)


@pytest.mark.parametrize(
    ("mistake", "feedback"),
    [
        (generator(plant_every_case=True), "plant only in cases that have *no* 2"),
        (generator(plant_all_causal=True), "plant only in cases that have *no* 2"),
        (generator(first_causal_only=True), "plant only in cases that have *no* 2"),
        (generator(redraw_every_gender=True), "redraw the gender of planted cases only"),
        (generator(others_all_three=True), "*other than* the affected one"),
        (generator(planted_get_affected=True), "*other than* the affected one"),
        (generator(redraw_gender=False), "have the affected gender"),
        (generator(cases_with_replacement=True), "without replacement"),
        (generator(uniform=True), "not 0.90/0.05/0.05"),
    ],
    ids=["every-case", "all-causal", "first-causal", "every-gender", "all-three",
         "affected", "no-redraw", "replacement", "uniform"],
)  # fmt: skip
def test_2_1_wrong_answers_are_named(mistake, feedback, capsys):
    assert not check.exercise_2_1(mistake)
    out = capsys.readouterr().out
    assert out.startswith("❌ Exercise 2.1: not yet.") and feedback in out


def test_2_1_wrong_genotype_frequencies():
    def uniform(n_samples, n_sites, n_cases, n_causal, seed):
        genotypes, sex, phenotype, causal, affected = generator()(
            n_samples, n_sites, n_cases, n_causal, seed
        )
        rng = np.random.default_rng(1)
        controls = phenotype == 0
        genotypes[controls] = rng.integers(0, 3, size=genotypes[controls].shape)
        return genotypes, sex, phenotype, causal, affected

    assert not check.exercise_2_1(uniform)


def best_rule(genotypes, sex, causal, affected):
    return ((genotypes[:, causal] == 2).any(axis=1) & (sex != affected)).astype(int)


def test_2_1_b_right_rule_passes(capsys):
    assert check.exercise_2_1_rule(best_rule)
    assert "✅ Exercise 2.1 (b)" in capsys.readouterr().out


def test_2_1_b_right_but_different_rule_passes():
    """A loop that returns booleans, the genotype test written with max."""

    def loop(genotypes, sex, causal, affected):
        pairs = zip(genotypes, sex, strict=True)
        return [bool(row[causal].max() == 2 and s != affected) for row, s in pairs]

    assert check.exercise_2_1_rule(loop)


@pytest.mark.parametrize(
    ("wrong", "feedback"),
    [
        (lambda g, s, c, a: (g[:, c] == 2).any(axis=1), "gender matters too"),
        (lambda g, s, c, a: (g[:, c] == 2).any(axis=1) & (s == a), "the other way round"),
        (lambda g, s, c, a: s != a, "a gender alone"),
        (lambda g, s, c, a: (g == 2).any(axis=1) & (s != a), "only the causal sites"),
        (lambda g, s, c, a: (g[:, c] >= 1).any(axis=1) & (s != a), "*homozygous ALT*"),
        (lambda g, s, c, a: np.full(len(s), 0.5), "one 0 or 1 per person"),
    ],
    ids=["no-gender", "affected", "gender-only", "any-site", "any-alt", "probability"],
)
def test_2_1_b_wrong_rules_are_named(wrong, feedback, capsys):
    assert not check.exercise_2_1_rule(wrong)
    assert feedback in capsys.readouterr().out


# --- 2.2: the Bayes-optimal probability, per person ---------------------------------


def case_probability(dosages, male, truth):
    effects = np.array([site["effect"] for site in truth["causal_sites"]])
    frequencies = np.array([site["allele_frequency"] for site in truth["causal_sites"]])
    mean = (dosages - 2 * frequencies) @ effects + truth["sex_effect"]["male"] * male
    return norm.sf((truth["thresholds"][0] - mean) / np.sqrt(1 - truth["parameters"]["h2"]))


def _mean_liability(dosages, male, truth):
    effects = np.array([site["effect"] for site in truth["causal_sites"]])
    frequencies = np.array([site["allele_frequency"] for site in truth["causal_sites"]])
    return (dosages - 2 * frequencies) @ effects + truth["sex_effect"]["male"] * male


def test_2_2_right_answer_passes(capsys):
    assert check.exercise_2_2(case_probability)
    assert "✅ Exercise 2.2" in capsys.readouterr().out


def test_2_2_right_but_different_passes():
    def with_cdf_and_a_loop(dosages, male, truth):
        noise_sd = (1 - truth["parameters"]["h2"]) ** 0.5
        out = []
        for row, is_male in zip(dosages, male, strict=True):
            liability = sum(
                site["effect"] * (x - 2 * site["allele_frequency"])
                for x, site in zip(row, truth["causal_sites"], strict=True)
            )
            liability += truth["sex_effect"]["male"] if is_male else truth["sex_effect"]["female"]
            out.append(1 - norm.cdf(truth["thresholds"][0], loc=liability, scale=noise_sd))
        return pd.Series(out)

    assert check.exercise_2_2(with_cdf_and_a_loop)


def test_2_2_shuffled_vector_fails_though_its_mean_is_right(capsys):
    def shuffled(dosages, male, truth):
        return np.random.default_rng(0).permutation(case_probability(dosages, male, truth))

    assert not check.exercise_2_2(shuffled)
    assert "not in the people's order" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("mistake", "feedback"),
    [
        (lambda d, m, t: norm.sf(t["thresholds"][0] - _mean_liability(d, m, t)), "sqrt(1 - h2)"),
        (lambda d, m, t: case_probability(d, np.zeros_like(m), t), "males carry the sex effect"),
        (lambda d, m, t: 1 - case_probability(d, m, t), "use norm.sf, not norm.cdf"),
    ],
)
def test_2_2_wrong_answers_are_named(mistake, feedback, capsys):
    assert not check.exercise_2_2(mistake)
    assert feedback in capsys.readouterr().out


def _probability_with(center=2, noise=None, h2=None, sex=None):
    """case_probability with one of the learner's review's slips."""

    def wrong(dosages, male, truth):
        effects = np.array([site["effect"] for site in truth["causal_sites"]])
        frequencies = np.array([site["allele_frequency"] for site in truth["causal_sites"]])
        heritability = truth["parameters"]["h2"] if h2 is None else h2
        male_effect = truth["sex_effect"]["male"] if sex is None else sex
        mean = (dosages - center * frequencies) @ effects + male_effect * male
        sd = np.sqrt(1 - heritability) if noise is None else noise(heritability)
        return norm.sf((truth["thresholds"][0] - mean) / sd)

    return wrong


@pytest.mark.parametrize(
    ("mistake", "feedback"),
    [
        (_probability_with(noise=lambda h2: 1 - h2), "sqrt(1 - h2)"),
        (_probability_with(noise=lambda h2: 1.0), "sqrt(1 - h2)"),
        (_probability_with(center=0), "center each dosage"),
        (_probability_with(center=1), "center on 2p, not p"),
        (_probability_with(noise=np.sqrt), "not sqrt(h2)"),
        (_probability_with(h2=0.5), "read h2 from truth"),
        (_probability_with(sex=0.5), "read the sex effect from truth"),
    ],
    ids=["variance", "one", "uncentred", "centred-on-p", "sqrt-h2", "fixed-h2", "fixed-sex"],
)
def test_2_2_review_mistakes_are_named(mistake, feedback, capsys):
    assert not check.exercise_2_2(mistake)
    assert feedback in capsys.readouterr().out


@pytest.fixture(scope="module")
def bayes_calls():
    from vcfml.simulate import simulate_liability

    cohort = simulate_liability(n_samples=2000, n_sites=300, n_causal=10, h2=0.5,
                                sex_effect=0.5, prevalence=0.3, missing_rate=0.0, seed=42)  # fmt: skip
    dosages, male = check.chapter2.causal_inputs(cohort)
    probability = case_probability(dosages, male, cohort.truth)
    return (probability > 0.5).astype(int), cohort.samples["phenotype"].to_numpy(), probability


def _spread(calls, observed, n=150, draws=1000, replace=False, against=None, stat=np.std):
    rng = np.random.default_rng(0)
    truth = observed if against is None else against
    accuracies = [
        np.mean(calls[rows] == truth[rows])
        for rows in (rng.choice(len(observed), n, replace=replace) for _ in range(draws))
    ]
    return stat(accuracies)


def test_2_2_b_right_and_right_but_different_pass(bayes_calls, capsys):
    calls, observed, _ = bayes_calls
    assert check.exercise_2_2_spread(_spread(calls, observed), calls, observed)
    assert "✅ Exercise 2.2 (b)" in capsys.readouterr().out
    # With replacement (a bootstrap), and as a numpy float from pandas: right too.
    bootstrap = pd.Series([_spread(calls, observed, replace=True)]).iloc[0]
    assert check.exercise_2_2_spread(bootstrap, calls, observed)


def test_2_2_b_wrong_spreads_are_named(bayes_calls, capsys):
    calls, observed, probability = bayes_calls
    mistakes = [
        (_spread(calls, observed, against=calls), "the spread is 0"),
        (_spread(calls, observed, stat=np.var), "standard deviation of the accuracies"),
        (
            _spread(calls, observed, stat=lambda a: np.std(a) / np.sqrt(len(a))),
            "standard error of the *mean*",
        ),
        (_spread(calls, observed, n=1500), "too small"),
        (_spread(calls, observed, n=15), "too large"),
        (float(np.std(np.maximum(probability, 1 - probability)) / np.sqrt(150)), "too small"),
    ]
    for spread, feedback in mistakes:
        assert not check.exercise_2_2_spread(spread, calls, observed)
        assert feedback in capsys.readouterr().out
    assert not check.exercise_2_2_spread("a lot", calls, observed)
    assert "store one number" in capsys.readouterr().out


# --- 3.1: a search over a screening pipeline -----------------------------------------


@pytest.fixture(scope="module")
def genotype_data():
    rng = np.random.default_rng(0)
    X = rng.binomial(2, 0.3, size=(150, 160)).astype(float)
    y = (X[:, :3].sum(axis=1) + rng.normal(0, 1, 150) > 2).astype(int)
    X[rng.random(X.shape) < 0.03] = -1
    return X, y


def pipeline(imputer=None):
    return Pipeline(
        [
            ("impute", imputer or SimpleImputer(missing_values=-1, strategy="mean")),
            ("screen", SelectKBest(f_classif)),
            ("scale", StandardScaler()),
            ("model", LogisticRegression(max_iter=2000)),
        ]
    )


GRID = {"screen__k": [5, 10, 20, 50, 100], "model__C": [0.01, 0.1, 1.0]}


def test_3_1_right_answer_passes(genotype_data, capsys):
    search = GridSearchCV(pipeline(), GRID, scoring="roc_auc", cv=3).fit(*genotype_data)
    assert check.exercise_3_1(search, genotype_data[0])
    assert "GridSearchCV tried 15 configurations" in capsys.readouterr().out


def test_3_1_right_but_different_passes(genotype_data):
    other = Pipeline(
        [
            ("fill", SimpleImputer(missing_values=-1, strategy="most_frequent")),
            ("keep", SelectKBest(f_classif)),
            ("clf", LogisticRegression(max_iter=2000)),
        ]
    )
    search = RandomizedSearchCV(
        other, {"keep__k": [2, 5, 10, 20, 50, 100], "clf__C": np.logspace(-2, 0, 3)},
        n_iter=4, scoring="roc_auc", cv=StratifiedKFold(3), random_state=0,
    ).fit(*genotype_data)  # fmt: skip
    assert check.exercise_3_1(search, pd.DataFrame(genotype_data[0]))
    # A list of two grids covers the task's values too.
    grids = [{"screen__k": [5, 10], "model__C": [0.01, 0.1, 1]},
             {"screen__k": [20, 50, 100], "model__C": [0.01, 0.1, 1]}]  # fmt: skip
    both = GridSearchCV(pipeline(), grids, scoring="roc_auc", cv=3).fit(*genotype_data)
    assert check.exercise_3_1(both, genotype_data[0])


@pytest.mark.parametrize(
    ("search", "feedback"),
    [
        (GridSearchCV(pipeline(), GRID, cv=3), "not by ROC AUC"),
        (GridSearchCV(pipeline(), GRID, scoring="accuracy", cv=3), "scores by accuracy"),
        (
            GridSearchCV(pipeline(SimpleImputer()), GRID, scoring="roc_auc", cv=3),
            "missing_values=-1",
        ),
        (
            GridSearchCV(pipeline(), {"model__C": [0.1, 1]}, scoring="roc_auc", cv=3),
            "screen__k",
        ),
        (
            GridSearchCV(
                pipeline(), {**GRID, "screen__k": [5, 10, 20, 50]}, scoring="roc_auc", cv=3
            ),
            "leaves out kept sites (k) = 100",
        ),
        (
            GridSearchCV(pipeline(), {**GRID, "model__C": [0.1, 1]}, scoring="roc_auc", cv=3),
            "leaves out C = 0.01",
        ),
        (
            GridSearchCV(LogisticRegression(), {"C": [0.1, 1]}, scoring="roc_auc", cv=3),
            "not a pipeline with a screening step",
        ),
        (
            GridSearchCV(
                Pipeline(
                    [
                        ("screen", SelectKBest(f_classif)),
                        ("impute", SimpleImputer(missing_values=-1)),
                        ("model", LogisticRegression(max_iter=2000)),
                    ]
                ),
                GRID,
                scoring="roc_auc",
                cv=3,
            ),
            "reach the screen as if they were a genotype",
        ),
    ],
)
def test_3_1_wrong_answers_are_named(search, feedback, genotype_data, capsys):
    assert not check.exercise_3_1(search.fit(*genotype_data))
    assert feedback in capsys.readouterr().out


def test_3_1_search_on_prescreened_columns_fails(genotype_data, capsys):
    """The leak of the learner's review: 100 sites screened on all samples, then the
    grid; the search's score is above what the data allow."""
    X, y = genotype_data
    imputed = SimpleImputer(missing_values=-1).fit_transform(X)
    kept = SelectKBest(f_classif, k=100).fit_transform(imputed, y)
    leaky = GridSearchCV(pipeline(), GRID, scoring="roc_auc", cv=3).fit(kept, y)
    assert not check.exercise_3_1(leaky, X)
    assert "fitted on 100 columns, but X has 160" in capsys.readouterr().out
    # Without X (or with X overwritten by the screened columns) the largest k gives it away.
    assert not check.exercise_3_1(leaky, kept)
    assert "keeps every one of the 100 columns" in capsys.readouterr().out


@pytest.fixture(scope="module")
def data_with_ceiling():
    """200 people, 1,000 sites, 3 causal; the phenotype is a liability threshold, so
    the Bayes-optimal probability, and its AUC (the ceiling), are known exactly."""
    rng = np.random.default_rng(1)
    X = rng.binomial(2, 0.3, size=(200, 1000)).astype(float)
    genetic = X[:, :3].sum(axis=1) - 1.8
    y = (genetic + rng.normal(0, 1, 200) > 0).astype(int)
    X[rng.random(X.shape) < 0.03] = -1
    return X, y, roc_auc_score(y, norm.cdf(genetic))


def test_3_1_a_score_above_the_ceiling_is_named(data_with_ceiling, capsys):
    """Sites screened on all samples, then searched with the screened matrix passed as
    X (so no column count gives it away): the best CV AUC is above the ceiling."""
    X, y, ceiling = data_with_ceiling
    honest = GridSearchCV(pipeline(), GRID, scoring="roc_auc", cv=3).fit(X, y)
    assert check.exercise_3_1(honest, X, ceiling=ceiling)
    imputed = SimpleImputer(missing_values=-1).fit_transform(X)
    kept = SelectKBest(f_classif, k=150).fit_transform(imputed, y)
    leaky = GridSearchCV(pipeline(), GRID, scoring="roc_auc", cv=3).fit(kept, y)
    assert check.exercise_3_1(leaky, kept)  # without the ceiling this leak passes
    capsys.readouterr()
    assert not check.exercise_3_1(leaky, kept, ceiling=ceiling)
    out = capsys.readouterr().out
    assert f"is above the cohort's ceiling, {ceiling:.3f}" in out and "leaked" in out
    # Right but different: another search class and imputer, the ceiling as numpy's float.
    other = RandomizedSearchCV(
        pipeline(SimpleImputer(missing_values=-1, strategy="median")), GRID, n_iter=15,
        scoring="roc_auc", cv=StratifiedKFold(3), random_state=0,
    ).fit(X, y)  # fmt: skip
    assert check.exercise_3_1(other, pd.DataFrame(X), ceiling=np.float64(ceiling))


def test_3_1_unfitted_or_not_a_search(capsys):
    assert not check.exercise_3_1(GridSearchCV(pipeline(), GRID))
    assert "not fitted" in capsys.readouterr().out
    assert not check.exercise_3_1(pipeline())
    assert "search object" in capsys.readouterr().out


@pytest.fixture(scope="module")
def fitted_grid(genotype_data):
    return GridSearchCV(pipeline(), GRID, scoring="roc_auc", cv=5).fit(*genotype_data)


def one_se_choice(search, order=("param_screen__k", "param_model__C")):
    scores = pd.DataFrame(search.cv_results_)
    best = scores.loc[scores["rank_test_score"] == 1].iloc[0]
    standard_error = best["std_test_score"] / np.sqrt(search.n_splits_)
    close = scores[scores["mean_test_score"] >= best["mean_test_score"] - standard_error]
    return close.sort_values(list(order)).iloc[0]["params"]


def test_3_1_b_choice(fitted_grid, capsys):
    chosen = one_se_choice(fitted_grid)
    assert chosen != fitted_grid.best_params_  # else the test could not tell them apart
    assert check.exercise_3_1_choice(chosen, fitted_grid)
    assert "✅ Exercise 3.1 (b)" in capsys.readouterr().out
    # Right but different: smallest C first, numpy values in the dict.
    other = one_se_choice(fitted_grid, ("param_model__C", "param_screen__k"))
    assert check.exercise_3_1_choice({k: np.float64(v) for k, v in other.items()}, fitted_grid)
    assert not check.exercise_3_1_choice(fitted_grid.best_params_, fitted_grid)
    assert "that is the best configuration" in capsys.readouterr().out
    biggest = {"screen__k": 100, "model__C": 1.0}
    assert not check.exercise_3_1_choice(biggest, fitted_grid)
    out = capsys.readouterr().out
    assert "more than one standard error below" in out or "simpler means" in out
    assert not check.exercise_3_1_choice({"screen__k": 7, "model__C": 1.0}, fitted_grid)
    assert "not one of the configurations" in capsys.readouterr().out
    assert not check.exercise_3_1_choice("k=5", fitted_grid)
    assert "not a dict of parameters" in capsys.readouterr().out


def test_3_1_b_standard_deviation_for_standard_error_is_named(fitted_grid, capsys):
    scores = pd.DataFrame(fitted_grid.cv_results_)
    best = scores.loc[scores["rank_test_score"] == 1].iloc[0]
    wide = scores[scores["mean_test_score"] >= best["mean_test_score"] - best["std_test_score"]]
    se = best["std_test_score"] / np.sqrt(5)
    outside = wide[wide["mean_test_score"] < best["mean_test_score"] - se]
    if outside.empty:
        pytest.skip("no configuration between one SE and one SD below the best on this data")
    assert not check.exercise_3_1_choice(outside.iloc[0]["params"], fitted_grid)
    assert "not the standard deviation itself" in capsys.readouterr().out


# --- 3.2: leaky versus honest screening -----------------------------------------------


def leaky_auc(X, y, folds):
    kept = SelectKBest(f_classif, k=20).fit_transform(X, y)
    model = LogisticRegression(max_iter=2000)
    return cross_val_score(model, kept, y, cv=folds, scoring="roc_auc").mean()


def honest_auc(X, y, folds):
    honest = make_pipeline(SelectKBest(f_classif, k=20), LogisticRegression(max_iter=2000))
    return cross_val_score(honest, X, y, cv=folds, scoring="roc_auc").mean()


def test_3_2_right_answer_passes(capsys):
    assert check.exercise_3_2(leaky_auc, honest_auc)
    assert "✅ Exercise 3.2" in capsys.readouterr().out


def test_3_2_right_but_different_passes():
    """Pooled out-of-fold probabilities, scored once: another correct estimate."""

    def honest_pooled(X, y, folds):
        honest = make_pipeline(SelectKBest(f_classif, k=20), LogisticRegression(max_iter=2000))
        probability = cross_val_predict(honest, X, y, cv=folds, method="predict_proba")[:, 1]
        return roc_auc_score(y, probability)

    assert check.exercise_3_2(leaky_auc, honest_pooled)


def test_3_2_typed_numbers_and_wrong_answers_fail(capsys):
    assert not check.exercise_3_2(0.74, 0.51)
    assert "raised TypeError" in capsys.readouterr().out

    def leaky_accuracy(X, y, folds):
        kept = SelectKBest(f_classif, k=20).fit_transform(X, y)
        return cross_val_score(LogisticRegression(max_iter=2000), kept, y, cv=folds).mean()

    def honest_accuracy(X, y, folds):
        honest = make_pipeline(SelectKBest(f_classif, k=20), LogisticRegression(max_iter=2000))
        return cross_val_score(honest, X, y, cv=folds).mean()

    assert not check.exercise_3_2(leaky_accuracy, honest_accuracy)
    assert "are accuracies" in capsys.readouterr().out
    assert not check.exercise_3_2(leaky_auc, leaky_auc)
    assert "inside cross-validation" in capsys.readouterr().out
    assert not check.exercise_3_2(honest_auc, honest_auc)
    assert "select sites on *all* samples" in capsys.readouterr().out
    assert not check.exercise_3_2(leaky_auc, lambda X, y, folds: 0.5)
    assert "never used the folds" in capsys.readouterr().out
    notebook_y = np.random.default_rng(0).permutation  # stands for the notebook's phenotype
    assert not check.exercise_3_2(
        leaky_auc, lambda X, y, folds: honest_auc(X, notebook_y(y), folds)
    )
    assert "use the X and y the function receives" in capsys.readouterr().out
    assert not check.exercise_3_2(honest_auc, leaky_auc)
    assert "the two are swapped" in capsys.readouterr().out

    def leaky_k5(X, y, folds):
        kept = SelectKBest(f_classif, k=5).fit_transform(X, y)
        model = LogisticRegression(max_iter=2000)
        return cross_val_score(model, kept, y, cv=folds, scoring="roc_auc").mean()

    assert not check.exercise_3_2(leaky_k5, honest_auc)
    assert "keep k=20 sites" in capsys.readouterr().out


def test_3_2_leaky_scored_on_its_training_data_fails(capsys):
    def leaky_on_training(X, y, folds):
        kept = SelectKBest(f_classif, k=20).fit_transform(X, y)
        model = LogisticRegression(max_iter=2000).fit(kept, y)
        return roc_auc_score(y, model.predict_proba(kept)[:, 1])

    assert not check.exercise_3_2(leaky_on_training, honest_auc)
    assert "leaky_auc never used the folds" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("honest", "feedback"),
    [
        (lambda X, y, folds: cross_val_score(LogisticRegression(max_iter=2000), X, y, cv=folds,
                                             scoring="roc_auc").mean(), "keeps every site"),
        (lambda X, y, folds: cross_val_score(
            make_pipeline(SelectKBest(f_classif, k=100), LogisticRegression(max_iter=2000)),
            X, y, cv=folds, scoring="roc_auc").mean(), "keeps 100 sites"),
    ],
    ids=["no-screen", "k100"],
)  # fmt: skip
def test_3_2_honest_without_the_task_screen_is_named(honest, feedback, capsys):
    assert not check.exercise_3_2(leaky_auc, honest)
    assert feedback in capsys.readouterr().out


@pytest.fixture(scope="module")
def noise_data():
    X, noise, _ = check.chapter3._noise_and_signal(seed=11)
    return X[:, :300], noise, StratifiedKFold(5, shuffle=True, random_state=0)


def test_3_2_c_leak_by_k(noise_data, capsys):
    X, y, folds = noise_data
    by_k = {k: leaky_auc_k(X, y, folds, k) for k in (5, 20, 100)}
    assert check.exercise_3_2_by_k(by_k, X, y, folds)
    assert "✅ Exercise 3.2 (c)" in capsys.readouterr().out
    # Right but different: a pandas Series keyed by numpy integers.
    assert check.exercise_3_2_by_k(pd.Series(by_k, index=np.array([5, 20, 100])), X, y, folds)
    fixed = {k: leaky_auc_k(X, y, folds, 20) for k in (5, 20, 100)}
    assert not check.exercise_3_2_by_k(fixed, X, y, folds)
    assert "all three are the same number" in capsys.readouterr().out
    honest = {
        k: cross_val_score(make_pipeline(SelectKBest(f_classif, k=k), LogisticRegression()),
                           X, y, cv=folds, scoring="roc_auc").mean()
        for k in (5, 20, 100)
    }  # fmt: skip
    assert not check.exercise_3_2_by_k(honest, X, y, folds)
    assert "honest estimates" in capsys.readouterr().out
    assert not check.exercise_3_2_by_k({5: 0.6, 20: 0.7}, X, y, folds)
    assert "use the keys 5, 20 and 100" in capsys.readouterr().out


def leaky_auc_k(X, y, folds, k):
    kept = SelectKBest(f_classif, k=k).fit_transform(X, y)
    model = LogisticRegression(max_iter=2000)
    return cross_val_score(model, kept, y, cv=folds, scoring="roc_auc").mean()


# --- 4.0: the 2019 experiment: the split and the calls ---------------------------------


def stratified_split(rows, target):
    from sklearn.model_selection import train_test_split

    return train_test_split(rows, test_size=0.2, stratify=target, random_state=2019)


def test_4_0_split_right_and_right_but_different(capsys):
    assert check.exercise_4_0_split(stratified_split)
    assert "✅ Exercise 4.0 (a)" in capsys.readouterr().out

    def by_hand(rows, target):
        """Right but different: 20% of each class's rows, as lists, test first in a dict."""
        rng = np.random.default_rng(1)
        test = []
        for label in (0, 1):
            members = rows[target == label]
            test += rng.choice(members, round(0.2 * members.size), replace=False).tolist()
        return [r for r in rows.tolist() if r not in set(test)], test

    assert check.exercise_4_0_split(by_hand)


@pytest.mark.parametrize(
    ("wrong", "feedback"),
    [
        (lambda rows, y: __import__("sklearn.model_selection").model_selection.train_test_split(
            rows, test_size=0.2, random_state=2019), "stratify="),
        (lambda rows, y: __import__("sklearn.model_selection").model_selection.train_test_split(
            rows, test_size=0.3, stratify=y, random_state=0), "test_size=0.2"),
        (lambda rows, y: (rows[:400], rows[350:]), "every row exactly once"),
        (lambda rows, y: 7, "two arrays"),
    ],
    ids=["unstratified", "30-percent", "overlap", "not-a-split"],
)  # fmt: skip
def test_4_0_split_wrong_answers_are_named(wrong, feedback, capsys):
    assert not check.exercise_4_0_split(wrong)
    assert feedback in capsys.readouterr().out


def test_4_0_accuracy_checks(capsys):
    from sklearn.metrics import accuracy_score

    rng = np.random.default_rng(3)
    probability = rng.beta(0.5, 0.5, 100)
    target = (rng.random(100) < probability).astype(int)
    predicted = (probability > 0.5).astype(int)
    accuracy = accuracy_score(target, predicted)
    assert check.exercise_4_0_accuracy(predicted, accuracy, probability, target)
    assert "✅ Exercise 4.0 (b)" in capsys.readouterr().out
    # Right but different: rounding, booleans, a two-column probability array.
    rounded = np.round(probability) == 1
    two_columns = np.column_stack([1 - probability, probability])
    assert check.exercise_4_0_accuracy(rounded, np.mean(rounded == target), two_columns, target)
    by_prevalence = (probability > target.mean() - 0.3).astype(int)
    assert not check.exercise_4_0_accuracy(
        by_prevalence, accuracy_score(target, by_prevalence), probability, target
    )
    assert "above 0.5" in capsys.readouterr().out
    assert not check.exercise_4_0_accuracy(predicted, 0.99, probability, target)
    assert "right for" in capsys.readouterr().out
    assert not check.exercise_4_0_accuracy(probability, accuracy, probability, target)
    assert "one 0 or 1 per test person" in capsys.readouterr().out


# --- 4.1: sensitivity and specificity -------------------------------------------------


def test_4_1_counts_right_wrong_and_rounded(capsys):
    y_true = np.array([1] * 89 + [0] * 211)
    y_pred = np.array([1] * 50 + [0] * 39 + [1] * 25 + [0] * 186)
    sensitivity, specificity = 50 / 89, 186 / 211
    assert check.exercise_4_1(sensitivity, specificity, y_true, y_pred)
    assert check.exercise_4_1(np.float32(sensitivity), specificity, list(y_true), y_pred)
    wrong = [
        ((specificity, sensitivity), "The two are swapped"),
        ((50 / 75, 186 / 225), "true positives divided by all true cases"),  # PPV, NPV
        ((50, 186), "true positives divided by all true cases"),  # counts
        ((100 * sensitivity, 100 * specificity), "true positives divided"),  # percentages
        ((39 / 89, 25 / 211), "true positives divided"),  # FNR, FPR
        ((round(sensitivity, 2), round(specificity, 2)), "are rounded"),
        ((sensitivity, 25 / 211), "true negatives divided by all true controls"),
    ]
    for (sens, spec), feedback in wrong:
        assert not check.exercise_4_1(sens, spec, y_true, y_pred)
        assert feedback in capsys.readouterr().out


# --- 4.1: a decision threshold ---------------------------------------------------


def threshold_by_decision_theory(probability, target, miss_cost, alarm_cost):
    """Call a case when p x miss cost > (1 - p) x alarm cost: no data needed."""
    return alarm_cost / (alarm_cost + miss_cost)


def threshold_with_least_cost(probability, target, miss_cost, alarm_cost):
    """Try every observed probability as the threshold; keep the cheapest."""
    candidates = np.unique(probability)
    costs = [
        miss_cost * np.sum((probability < t) & (target == 1))
        + alarm_cost * np.sum((probability >= t) & (target == 0))
        for t in candidates
    ]
    return float(candidates[int(np.argmin(costs))])


def test_4_1_threshold_right_answer_passes(capsys):
    assert check.exercise_4_1_threshold(threshold_by_decision_theory)
    assert "✅ Exercise 4.1" in capsys.readouterr().out


def test_4_1_threshold_right_but_different_passes():
    assert check.exercise_4_1_threshold(threshold_with_least_cost)
    # The same rule returning a 0-d numpy array (what np.quantile and friends give).
    assert check.exercise_4_1_threshold(lambda p, y, miss, alarm: np.array(alarm / (alarm + miss)))


@pytest.mark.parametrize(
    "wrong",
    [
        lambda p, y, miss, alarm: 0.5,  # the default, blind to the costs
        lambda p, y, miss, alarm: miss / (miss + alarm),  # the costs swapped
        lambda p, y, miss, alarm: float(y.mean()),  # the prevalence
        lambda p, y, miss, alarm: 1 / 6,  # right for 5:1 only, fixed
    ],
    ids=["default", "swapped", "prevalence", "fixed"],
)
def test_4_1_threshold_wrong_rules_fail(wrong, capsys):
    assert not check.exercise_4_1_threshold(wrong)
    assert "costs" in capsys.readouterr().out


def test_4_1_threshold_stub_and_non_numbers_fail(capsys):
    def stub(probability, target, miss_cost, alarm_cost):
        raise NotImplementedError

    assert not check.exercise_4_1_threshold(stub)
    assert not check.exercise_4_1_threshold(lambda p, y, miss, alarm: "0.2")
    assert "not a probability" in capsys.readouterr().out


@pytest.fixture(scope="module")  # the three tests only read it (subset copies rows)
def two_cohorts(tmp_path_factory):
    from vcfml import read_vcf
    from vcfml.automl import AutoMLSettings, run_automl
    from vcfml.features import join_samples
    from vcfml.simulate import simulate_liability

    parameters = {"n_samples": 300, "n_sites": 60, "n_causal": 4, "seed": 5}
    folders = {name: tmp_path_factory.mktemp(name) for name in ("train", "test")}
    first = simulate_liability(**parameters)
    second = simulate_liability(**{**parameters, "n_samples": 2000, "sample_seed": 9})
    first.write(folders["train"])
    second.write(folders["test"])
    train = join_samples(
        read_vcf(folders["train"] / "cohort.vcf.gz"), folders["train"] / "samples.tsv"
    )
    model = run_automl(train, AutoMLSettings(max_trials=2, seed=0)).model
    test = join_samples(
        read_vcf(folders["test"] / "cohort.vcf.gz"), folders["test"] / "samples.tsv",
        covariate_levels=model.covariate_levels,
    )  # fmt: skip
    return first.truth, second.truth, train, test, model


def test_4_2_right_answer_passes(two_cohorts, capsys):
    train_truth, test_truth, _, test, model = two_cohorts
    auc = roc_auc_score(test.target, model.predict_proba(test)[:, 1])
    assert check.exercise_4_2(test_truth, train_truth, auc, test, model)
    assert "✅ Exercise 4.2" in capsys.readouterr().out


def test_4_2_right_but_different_passes(two_cohorts):
    """Samples in another order, AUC computed from the ranks (Mann-Whitney)."""
    from scipy.stats import rankdata

    train_truth, test_truth, _, test, model = two_cohorts
    order = np.random.default_rng(0).permutation(len(test.samples))
    shuffled = test.subset(order)
    p, y = model.predict_proba(shuffled)[:, 1], shuffled.target
    ranks = rankdata(p)
    n1 = y.sum()
    auc = (ranks[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * (len(y) - n1))
    assert check.exercise_4_2(test_truth, train_truth, float(auc), shuffled, model)


def test_4_2_wrong_answers_are_named(two_cohorts, capsys):
    train_truth, test_truth, train, test, model = two_cohorts
    auc = roc_auc_score(test.target, model.predict_proba(test)[:, 1])
    on_training = roc_auc_score(train.target, model.predict_proba(train)[:, 1])
    assert not check.exercise_4_2(test_truth, train_truth, on_training, test, model)
    assert "not the model's AUC on the second cohort" in capsys.readouterr().out
    labels = roc_auc_score(test.target, model.predict_proba(test)[:, 1] > 0.5)
    assert not check.exercise_4_2(test_truth, train_truth, labels, test, model)
    assert "predicted labels (0/1)" in capsys.readouterr().out
    control = roc_auc_score(test.target, model.predict_proba(test)[:, 0])
    assert not check.exercise_4_2(test_truth, train_truth, control, test, model)
    assert "column 0 of predict_proba" in capsys.readouterr().out
    assert not check.exercise_4_2(test_truth, train_truth, auc, train, model)
    assert "test holds 300 samples, not the 2000 people" in capsys.readouterr().out
    assert not check.exercise_4_2(train_truth, train_truth, auc, test, model)
    assert "new sample_seed" in capsys.readouterr().out
    from vcfml.simulate import simulate_liability

    parameters = {**test_truth["parameters"], "n_samples": 200}
    too_few = simulate_liability(seed=test_truth["seed"], **parameters).truth
    assert not check.exercise_4_2(too_few, train_truth, auc, test, model)
    assert "has 200 people; the exercise asks for 2,000" in capsys.readouterr().out
    wrong_labels = test.subset(np.arange(len(test.samples)))
    wrong_labels.target[:] = 1 - wrong_labels.target
    assert not check.exercise_4_2(test_truth, train_truth, auc, wrong_labels, model)
    assert "phenotypes differ" in capsys.readouterr().out


def bootstrap_interval(target, probability, draws=500, seed=0):
    rng = np.random.default_rng(seed)
    aucs = []
    for _ in range(draws):
        rows = rng.integers(0, len(target), len(target))
        aucs.append(roc_auc_score(target[rows], probability[rows]))
    return np.percentile(aucs, [2.5, 97.5])


def test_4_2_b_intervals(two_cohorts, capsys):
    from scipy.stats import norm as normal

    _, _, _, test, model = two_cohorts
    target, probability = np.asarray(test.target), model.predict_proba(test)[:, 1]
    auc = roc_auc_score(target, probability)
    low, high = bootstrap_interval(target, probability)
    assert check.exercise_4_2_interval(low, high, auc > high, auc, target, probability)
    assert "✅ Exercise 4.2 (b)" in capsys.readouterr().out
    # Right but different: a normal interval from the Hanley-McNeil standard error.
    se = check.chapter4._auc_noise(len(target), auc, target.mean())
    z = normal.ppf(0.975)
    assert check.exercise_4_2_interval(auc - z * se, auc + z * se, False, auc, target, probability)
    wrong = [
        ((low, high, True, auc, target, probability), "overstated the model only if"),
        ((low, high, False, high + 0.01, target, probability), "overstated the model only if"),
        ((auc - se, auc + se, False, auc, target, probability), "± one standard error"),
        ((auc - 0.002, auc + 0.002, False, auc, target, probability), "too narrow"),
        ((auc - 0.1, auc + 0.1, False, auc, target, probability), "too wide"),
        ((auc + 0.01, auc + 0.05, False, auc, target, probability), "does not contain"),
    ]
    for arguments, feedback in wrong:
        assert not check.exercise_4_2_interval(*arguments)
        assert feedback in capsys.readouterr().out


# --- 5.1: ten candidate causal sites --------------------------------------------------


@pytest.fixture
def ranked_sites():
    """A scan whose top ten holds 2 of 5 causal sites, among eight chrX proxies for sex."""
    rows = [("chr6", "c1"), ("chr21", "c2")] + [("chrX", f"x{i}") for i in range(8)]
    rows += [("chr1", "c3"), ("chr2", "a1"), ("chr3", "a2"), ("chr5", "c4"), ("chr6", "c5")]
    rows += [("chr7", f"a{i}") for i in range(3, 10)]
    scan = pd.DataFrame(rows, columns=["chrom", "id"])
    scan["rank"] = np.arange(1, len(scan) + 1)
    truth = {"causal_sites": [{"id": f"c{i}"} for i in range(1, 6)]}
    return scan, truth


def test_5_1_right_answer_passes(ranked_sites, capsys):
    scan, truth = ranked_sites
    autosomal = scan.loc[scan["chrom"] != "chrX"].sort_values("rank")["id"].head(10)
    assert check.exercise_5_1(autosomal.tolist(), truth, scan)
    assert "5 of the 5 causal sites" in capsys.readouterr().out


def test_5_1_right_but_different_passes(ranked_sites):
    scan, truth = ranked_sites
    model_first = ["c3", "c1", "c2", "x0", "x1", "a1", "a2", "a3", "a4", "a5"]
    assert check.exercise_5_1(model_first, truth, scan)
    # The same IDs as a one-column array (scan[["id"]].to_numpy() shape).
    assert check.exercise_5_1(np.array(model_first).reshape(-1, 1), truth, scan)


def test_5_1_rows_instead_of_ids_get_feedback_not_a_traceback(ranked_sites, capsys):
    scan, truth = ranked_sites
    rows = scan.sort_values("rank")[["id", "chrom"]].head(10).to_numpy().tolist()
    assert not check.exercise_5_1(rows, truth, scan)
    assert "flat list of variant ID strings" in capsys.readouterr().out


def test_5_1_scan_alone_and_bad_lists_fail(ranked_sites, capsys):
    scan, truth = ranked_sites
    scan_top = scan.sort_values("rank")["id"].head(10).tolist()
    assert not check.exercise_5_1(scan_top, truth, scan)
    out = capsys.readouterr().out
    assert "already has 2" in out and "8 of your ten are on chrX" in out
    assert not check.exercise_5_1(["c1"], truth, scan)
    assert "exactly ten" in capsys.readouterr().out
    assert not check.exercise_5_1([*scan_top[:9], "sex=male"], truth, scan)
    assert "not variant IDs" in capsys.readouterr().out


def model_then_scan(importance, scan):
    """The solution's procedure: the model's variants by importance, then the scan's best."""
    by_model = importance.loc[importance["chrom"] != "", "feature"].tolist()
    by_scan = scan.sort_values("rank")["id"].tolist()
    return list(dict.fromkeys(by_model + by_scan))[:10]


def scan_then_model(importance, scan):
    """Right but different: covariates dropped by ID, scan by p-value, model sites last."""
    used = importance.loc[importance["feature"].isin(scan["id"]), "feature"].tolist()
    others = [site for site in scan.sort_values("pvalue")["id"] if site not in used]
    return others[: 10 - len(used)] + used


def scan_only(importance, scan):
    return scan.sort_values("rank")["id"].head(10).tolist()


def model_then_worst(importance, scan):
    used = importance.loc[importance["chrom"] != "", "feature"].tolist()
    worst = scan.sort_values("rank", ascending=False)["id"].tolist()
    return list(dict.fromkeys(used + worst))[:10]


@pytest.fixture
def model_importance(ranked_sites):
    """What the model used on the ranked_sites cohort: two top sites, sex and c3."""
    scan, _ = ranked_sites
    rows = [("c1", "chr6", 0.9), ("c2", "chr21", 0.6), ("sex=male", "", 0.4), ("c3", "chr1", 0.2)]
    table = pd.DataFrame(rows, columns=["feature", "chrom", "importance"])
    table["pos"] = 0
    table["rank"] = np.arange(1, len(table) + 1)
    scan["pvalue"] = np.logspace(-20, -1, len(scan))
    return table


def test_5_1_a_function_that_combines_model_and_scan_passes(ranked_sites, model_importance, capsys):
    scan, truth = ranked_sites
    assert check.exercise_5_1(model_then_scan, truth, scan, model_importance)
    out = capsys.readouterr().out
    assert "3 of the 5 causal sites" in out and "ranks 150th, your function keeps it" in out


def test_5_1_right_but_different_function_passes(ranked_sites, model_importance):
    scan, truth = ranked_sites
    assert check.exercise_5_1(scan_then_model, truth, scan, model_importance)


def test_5_1_scan_only_and_other_wrong_functions_fail(ranked_sites, model_importance, capsys):
    scan, truth = ranked_sites
    _, fresh_scan, _ = check.chapter5.disagreeing_rankings()
    recessive = fresh_scan.loc[fresh_scan["rank"] == 150, "id"].item()
    assert not check.exercise_5_1(scan_only, truth, scan, model_importance)
    out = capsys.readouterr().out
    assert "leave out 1 of the sites the model uses (on this cohort), e.g. c3" in out
    # On the notebook-like cohort a scan-only list can hold every model site; the fresh
    # rankings, where the model uses a site the scan ranks 150th, still reject it.
    on_top = scan.sort_values("rank")["id"].head(10).tolist()
    agreeing = model_importance.loc[model_importance["feature"] != "c3"]
    assert set(agreeing.loc[agreeing["chrom"] != "", "feature"]) <= set(on_top)
    assert not check.exercise_5_1(scan_only, truth, scan, agreeing)
    out = capsys.readouterr().out
    assert "where the model and the scan disagree" in out and recessive in out
    assert "(importance rank 4, scan rank 150)" in out
    assert not check.exercise_5_1(model_then_worst, truth, scan, model_importance)
    out = capsys.readouterr().out
    assert "3 of your ten are causal" in out and "the model's sites then the scan's 4" in out

    def with_sex(importance, scan):
        return list(dict.fromkeys([*importance["feature"], *scan.sort_values("rank")["id"]]))[:10]

    assert not check.exercise_5_1(with_sex, truth, scan, model_importance)
    assert "not variant IDs" in capsys.readouterr().out
    assert not check.exercise_5_1(
        lambda i, s: model_then_scan(i, s)[:5], truth, scan, model_importance
    )
    assert "exactly ten" in capsys.readouterr().out
    assert not check.exercise_5_1(model_then_scan, truth, scan)
    assert "needs the model's importance" in capsys.readouterr().out


def test_5_1_lists_on_rankings_that_disagree():
    """A list with the importance table: the scan's top ten is rejected, the combination
    passes, and the model's sites in another order with another fill pass too."""
    importance, scan, truth = check.chapter5.disagreeing_rankings()
    assert not check.exercise_5_1(scan_only(importance, scan), truth, scan, importance)
    assert check.exercise_5_1(model_then_scan(importance, scan), truth, scan, importance)
    assert check.exercise_5_1(scan_then_model(importance, scan), truth, scan, importance)


def _model_then(fill_order):
    """The model's sites, then the scan in another order (a learner's review slip)."""

    def choose(importance, scan):
        used = importance.loc[importance["pos"] != "", "feature"].tolist()
        return list(dict.fromkeys(used + fill_order(scan)["id"].tolist()))[:10]

    return choose


def test_5_1_pos_filter_as_on_the_real_table_passes(capsys):
    """importance_table writes "" for a covariate's position; the fresh rankings do too."""
    importance, scan, truth = check.chapter5.disagreeing_rankings()
    assert (importance.loc[importance["feature"] == "sex=male", "pos"] == "").all()
    assert {"beta", "se", "a1_freq", "stat"} <= set(scan.columns)
    assert check.exercise_5_1(_model_then(lambda t: t.sort_values("pvalue")), truth, scan,
                              importance)  # fmt: skip
    assert "✅ Exercise 5.1" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("fill", "feedback"),
    [
        (lambda t: t.sort_values("rank", ascending=False), "from the bottom of the scan"),
        (lambda t: t.sort_values("pvalue", ascending=False), "from the bottom of the scan"),
        (lambda t: t, "in the order the table has them"),
        (lambda t: t.sort_values("beta", ascending=False), "sorted by beta"),
        (lambda t: t.sort_values("beta"), "sorted by beta"),
    ],
    ids=["rank-reversed", "pvalue-descending", "unsorted", "beta-descending", "beta-ascending"],
)
def test_5_1_fill_orders_are_named(fill, feedback, capsys):
    importance, scan, truth = check.chapter5.disagreeing_rankings()
    assert not check.exercise_5_1(_model_then(fill), truth, scan, importance)
    assert feedback in capsys.readouterr().out


def test_5_1_a_missing_column_is_reported_without_dumping_tables(capsys):
    importance, scan, truth = check.chapter5.disagreeing_rankings()
    assert not check.exercise_5_1(_model_then(lambda t: t.sort_values("effect")), truth, scan,
                                  importance)  # fmt: skip
    out = capsys.readouterr().out
    assert "raised KeyError: 'effect'" in out and "a table of 5 rows with columns feature" in out
    assert len(out) < 600  # a description of the tables, not the tables


# --- 5.2: allele-frequency differences between populations ----------------------------


@pytest.fixture(scope="module")
def two_populations(tmp_path_factory):
    from vcfml.simulate import simulate_liability
    from vcfml.stats import call_ploidy

    folder = tmp_path_factory.mktemp("structured")
    simulate_liability(n_samples=400, n_sites=300, n_populations=2, fst=0.15,
                       population_prevalences=[0.1, 0.5], seed=606).write(folder)  # fmt: skip
    genotypes = read_vcf(folder / "cohort.vcf.gz")
    samples = pd.read_csv(folder / "samples.tsv", sep="\t").set_index("sample_id")
    samples = samples.loc[genotypes.samples]
    haploid = haploid_in_males(genotypes.variants["chrom"], genotypes.variants["pos"])
    assert haploid.any()  # the test needs non-PAR chrX sites
    male = (samples["sex"] == "male").to_numpy()
    ploidy = np.broadcast_to(call_ploidy(haploid, male), genotypes.genotypes.shape)
    return genotypes, samples, ploidy


def _per_population(genotypes, samples, ploidy):
    population = samples["population"].to_numpy()
    calls = genotypes.genotypes
    return population, [
        allele_frequency(
            calls[population == p], np.broadcast_to(ploidy, calls.shape)[population == p]
        )
        for p in ("pop1", "pop2")
    ]


def test_5_2_right_and_right_but_different(two_populations, capsys):
    genotypes, samples, ploidy = two_populations
    population, (first, second) = _per_population(genotypes, samples, ploidy)
    assert check.exercise_5_2(np.abs(second - first), genotypes, population, sex=samples["sex"])
    assert "a man's non-PAR chrX call counted once" in capsys.readouterr().out
    # Right but different: masked sums by hand, as a pandas Series, sex as M/F letters.
    calls = genotypes.genotypes
    by_hand = []
    for p in ("pop1", "pop2"):
        rows = population == p
        called = calls[rows] >= 0
        by_hand.append(np.where(called, calls[rows], 0).sum(axis=0)
                       / np.where(called, ploidy[rows], 0).sum(axis=0))  # fmt: skip
    letters = samples["sex"].map({"male": "M", "female": "F"})
    assert check.exercise_5_2(pd.Series(np.abs(by_hand[0] - by_hand[1])), genotypes,
                              list(population), sex=letters)  # fmt: skip


def test_5_2_wrong_answers_are_named(two_populations, capsys):
    genotypes, samples, ploidy = two_populations
    population, (first, second) = _per_population(genotypes, samples, ploidy)
    calls = genotypes.genotypes
    _, (first_2, second_2) = _per_population(genotypes, samples, 2)
    everyone = allele_frequency(calls, ploidy)
    half = [calls[population == p].mean(axis=0) / 2 for p in ("pop1", "pop2")]
    mistakes = [
        (second - first, "absolute difference"),
        (np.abs(second_2 - first_2), "a man carries one X"),
        (np.abs(half[1] - half[0]), "missing calls are -1"),
        (np.abs(first - everyone), "not one of them with the whole cohort"),
        (np.abs(np.minimum(second, 1 - second) - np.minimum(first, 1 - first)),
         "not minor-allele frequencies"),
        (2 * np.abs(second - first), "mean dosages"),
    ]  # fmt: skip
    for answer, feedback in mistakes:
        assert not check.exercise_5_2(answer, genotypes, population, sex=samples["sex"])
        assert feedback in capsys.readouterr().out
    assert not check.exercise_5_2(np.abs(second - first), calls, population)
    assert "which calls are a man's chrX calls" in capsys.readouterr().out


def test_5_2_b_number_of_pcs_graded_by_lambda_gc(capsys):
    """Graded by the genomic inflation of a fresh cohort's scan, not by the truth."""
    assert check.exercise_5_2_pcs(1)
    assert "bring lambda_GC from" in capsys.readouterr().out
    assert check.exercise_5_2_pcs(np.int64(3))  # right but different: more, within reason
    assert not check.exercise_5_2_pcs(0)
    assert "ancestry still inflates" in capsys.readouterr().out
    assert not check.exercise_5_2_pcs(25)
    assert "costs power" in capsys.readouterr().out
    assert not check.exercise_5_2_pcs(1.5)
    assert "whole number" in capsys.readouterr().out


def test_genomic_inflation_of_null_pvalues_is_one():
    pvalues = np.random.default_rng(0).uniform(size=20_000)
    assert abs(check.chapter5.genomic_inflation(pvalues) - 1) < 0.03


# --- 5.3: clumping a ranking into loci -------------------------------------------------


def find_causal(top, causal, top_dosages, causal_dosages):
    """The notebook's answer to 5.3 (a)."""
    r2 = ld_r2(top_dosages, causal_dosages)
    return {
        site: causal[int(np.argmax(row))] if row.max() >= 0.8 else None
        for site, row in zip(top, r2, strict=True)
    }


def find_causal_with(rule):
    def find(top, causal, top_dosages, causal_dosages):
        r2 = ld_r2(top_dosages, causal_dosages)
        return {site: rule(row, causal) for site, row in zip(top, r2, strict=True)}

    return find


@pytest.fixture(scope="module")
def tagged_cohort():
    """Fresh loci as a cohort: the first site of each locus is causal."""
    from types import SimpleNamespace

    ranked, dosages = check.chapter5._fresh_loci(seed=7)
    cohort = SimpleNamespace(genotypes=dosages, variants=pd.DataFrame({"id": ranked}))
    causal = [site for site in ranked if site.endswith("_site1")]
    truth = {"causal_sites": [{"id": site} for site in causal]}
    top = [site for site in ranked if site not in causal][:10]
    columns = [ranked.index(site) for site in top], [ranked.index(site) for site in causal]
    return cohort, truth, top, causal, dosages[:, columns[0]], dosages[:, columns[1]]


def test_5_3_a_right_and_right_but_different(tagged_cohort, capsys):
    cohort, truth, top, causal, top_dosages, causal_dosages = tagged_cohort
    answer = find_causal(top, causal, top_dosages, causal_dosages)
    assert check.exercise_5_3(answer, cohort, truth, find_causal)
    assert "agrees on fresh loci" in capsys.readouterr().out
    # Right but different: a pandas Series with NaN for none, no function.
    series = pd.Series(answer).map(lambda v: np.nan if v is None else v)
    assert check.exercise_5_3(series, cohort, truth)


@pytest.mark.parametrize(
    ("rule", "feedback"),
    [
        (lambda row, causal: causal[int(np.argmax(row))] if np.sqrt(row.max()) >= 0.8 else None,
         "|r| >= 0.8 is r² >= 0.64"),
        (lambda row, causal: causal[int(np.argmax(row))] if row.max() >= 0.5 else None,
         "not in LD with"),
        (lambda row, causal: causal[int(np.argmax(row))], "not in LD with"),
        (lambda row, causal: causal[int(np.argmin(row))] if row.max() >= 0.8 else None,
         "not in LD with"),
        (lambda row, causal: None, "did not name"),
        (lambda row, causal: int(np.argmax(row)) if row.max() >= 0.8 else None,
         "not by its column index"),
    ],
    ids=["abs-r", "r2-0.5", "no-threshold", "argmin", "strict", "column-index"],
)  # fmt: skip
def test_5_3_a_wrong_rules_are_named(rule, feedback, tagged_cohort, capsys):
    cohort, truth, top, causal, top_dosages, causal_dosages = tagged_cohort
    wrong = find_causal_with(rule)
    answer = wrong(top, causal, top_dosages, causal_dosages)
    assert not check.exercise_5_3(answer, cohort, truth, wrong)
    assert feedback in capsys.readouterr().out
    assert not check.exercise_5_3(list(answer.items()), cohort, truth)
    assert "Expected a mapping" in capsys.readouterr().out


def clump_by_loop(ranked, dosages, r2_threshold):
    """The notebook's answer: walk the ranking, keep a site not in LD with a lead."""
    r2 = ld_r2(dosages)
    leads = []
    for i in range(len(ranked)):
        if all(r2[i, j] < r2_threshold for j in leads):
            leads.append(i)
    return [ranked[i] for i in leads]


def clump_by_removing_tags(ranked, dosages, r2_threshold):
    """Written differently: take the best site left, strike out its tags, repeat;
    the leads come back as a set."""
    in_ld = ld_r2(dosages) >= r2_threshold
    left = np.ones(len(ranked), dtype=bool)
    leads = set()
    while left.any():
        lead = int(np.flatnonzero(left)[0])
        leads.add(ranked[lead])
        left &= ~in_ld[lead]
    return leads


@pytest.fixture
def a_ranking():
    """Fresh loci (another seed than the check's own): IDs and their dosages."""
    return check.chapter5._fresh_loci(seed=7)


def test_5_3_clumps_right_answer_passes(a_ranking, capsys):
    assert check.exercise_5_3_clumps(clump_by_loop, 0.5, *a_ranking)
    assert "✅ Exercise 5.3" in capsys.readouterr().out


def test_5_3_clumps_right_but_different_passes(a_ranking):
    assert check.exercise_5_3_clumps(sorted_leads(clump_by_removing_tags), 0.1, *a_ranking)
    assert check.exercise_5_3_clumps(clump_by_loop, 0.8, *a_ranking)


def sorted_leads(clump):
    return lambda ranked, dosages, r2_threshold: sorted(clump(ranked, dosages, r2_threshold))


@pytest.mark.parametrize(
    "wrong",
    [
        lambda ranked, dosages, r2_threshold: list(ranked),  # no clumping: every tag a hit
        lambda ranked, dosages, r2_threshold: clump_by_loop(ranked, dosages, 0.8),  # fixed r²
        lambda ranked, dosages, r2_threshold: list(ranked)[:1],  # one locus only
        lambda ranked, dosages, r2_threshold: [  # compared with the previous site only
            site
            for i, site in enumerate(ranked)
            if i == 0 or ld_r2(dosages[:, [i - 1, i]])[0, 1] < r2_threshold
        ],
        lambda ranked, dosages, r2_threshold: clump_by_loop(  # |r| instead of r²
            ranked, dosages, r2_threshold**2
        ),
    ],
    ids=["unclumped", "fixed-threshold", "one-locus", "previous", "abs-r"],
)
def test_5_3_wrong_clumps_fail(wrong, a_ranking, capsys):
    assert not check.exercise_5_3_clumps(wrong, 0.5, *a_ranking)
    assert "greedy clumping gives" in capsys.readouterr().out


def clump_against_every_earlier_site(ranked, dosages, r2_threshold):
    """The slip of the learner's review: a site is compared with every better-ranked
    site, tags included, instead of the leads kept so far."""
    r2 = ld_r2(dosages)
    return [ranked[i] for i in range(len(ranked)) if all(r2[i, j] < r2_threshold for j in range(i))]


def test_5_3_comparing_with_every_earlier_site_is_named_on_any_ranking(a_ranking, capsys):
    """On these fresh loci (as on the notebook's, for the review) the slip gives the same
    leads as greedy clumping; the check's chained loci tell them apart and name it."""
    ranked, dosages = a_ranking
    same = clump_against_every_earlier_site(ranked, dosages, 0.5)
    assert set(same) == set(clump_by_loop(ranked, dosages, 0.5))
    assert not check.exercise_5_3_clumps(clump_against_every_earlier_site, 0.5, *a_ranking)
    out = capsys.readouterr().out
    assert "On chained loci" in out and "every better-ranked site, tags included" in out
    assert "the leads kept so far only" in out
    # The right answers pass the chained loci too, in any order and written either way.
    assert check.exercise_5_3_clumps(clump_by_loop, 0.5, *a_ranking)
    assert check.exercise_5_3_clumps(sorted_leads(clump_by_removing_tags), 0.3, *a_ranking)


@pytest.mark.parametrize("threshold", [1.0, 0.0, "0.5"])
def test_5_3_thresholds_that_merge_nothing_or_everything_fail(threshold, a_ranking, capsys):
    assert not check.exercise_5_3_clumps(clump_by_loop, threshold, *a_ranking)
    assert "between 0.05 and 0.9" in capsys.readouterr().out


def test_5_3_clumps_positions_instead_of_ids_are_named(a_ranking, capsys):
    def positions(ranked, dosages, r2_threshold):
        leads = clump_by_loop(ranked, dosages, r2_threshold)
        return [list(ranked).index(site) for site in leads]

    assert not check.exercise_5_3_clumps(positions, 0.5, *a_ranking)
    assert "not their positions or column indices" in capsys.readouterr().out


def test_5_3_clumps_stub_fails(a_ranking, capsys):
    def stub(ranked, dosages, r2_threshold):
        raise NotImplementedError

    assert not check.exercise_5_3_clumps(stub, 0.5, *a_ranking)
    assert "NotImplementedError" in capsys.readouterr().out


# --- capstone: an unseen cohort, graded against its hidden truth ---------------------


@pytest.fixture(scope="module")
def capstone_run(tmp_path_factory):
    from vcfml import read_vcf
    from vcfml.automl import AutoMLSettings, run_automl
    from vcfml.check.capstone import _adjusted_pvalues, _cohorts
    from vcfml.features import join_samples

    paths = check.capstone_cohort(tmp_path_factory.mktemp("capstone"))
    written = list(paths["train_vcf"].parent.parent.rglob("*"))
    assert not any(path.name == "truth.json" or path.name == "test" for path in written)
    header = paths["new_samples"].read_text().splitlines()[0]
    assert "phenotype" not in header and "population" not in header
    train = join_samples(read_vcf(paths["train_vcf"]), paths["train_samples"])
    model = run_automl(train, AutoMLSettings(max_trials=3, seed=0, ensemble=False)).model
    new = join_samples(
        read_vcf(paths["new_vcf"]), paths["new_samples"],
        covariate_levels=model.covariate_levels, require_target=False,
    )  # fmt: skip
    probability = pd.Series(model.predict_proba(new)[:, 1], index=new.samples)
    pvalues = _adjusted_pvalues().sort_values(kind="stable")
    truth = _cohorts()[0].truth
    return probability, pvalues, truth, train


def _supported_fillers(pvalues, truth, n):
    """Sites of the adjusted scan's best ranks that are neither causal nor tags."""
    named = {site["id"] for site in truth["causal_sites"]}
    named |= {tag["id"] for site in truth["causal_sites"] for tag in site["tags"]}
    return [site for site in pvalues.index if site not in named][:n]


def test_capstone_right_answer_passes(capstone_run, capsys):
    probability, pvalues, truth, _ = capstone_run
    causal = [site["id"] for site in truth["causal_sites"]]
    supported = [site for site in causal if pvalues[site] <= 0.05]
    assert len(supported) >= 3  # else no honest list could pass
    assert check.capstone(probability, supported[:3] + _supported_fillers(pvalues, truth, 7))
    assert "✅ Exercise capstone" in capsys.readouterr().out


def test_capstone_right_but_different_passes(capstone_run):
    """Rank-equivalent scores in another order; tags in place of causal sites."""
    probability, pvalues, truth, _ = capstone_run
    logit = np.log(probability / (1 - probability)).sample(frac=1, random_state=0)
    by_tag = [
        (site["tags"][0]["id"] if site["tags"] else site["id"]) for site in truth["causal_sites"]
    ]
    supported = [site for site in by_tag if pvalues.get(site, 1) <= 0.05][:4]
    assert check.capstone(
        logit, supported + _supported_fillers(pvalues, truth, 10 - len(supported))
    )


def test_capstone_wrong_answers_fail(capstone_run, capsys):
    probability, pvalues, truth, train = capstone_run
    from vcfml.explain import association_table

    causal = [site["id"] for site in truth["causal_sites"]]
    supported = [site for site in causal if pvalues[site] <= 0.05]
    good = supported[:3] + _supported_fillers(pvalues, truth, 7)
    shuffled = pd.Series(np.random.default_rng(0).permutation(probability.to_numpy()),
                         index=probability.index)  # fmt: skip
    assert not check.capstone(shuffled, good)
    assert "predict probabilities" in capsys.readouterr().out
    assert not check.capstone(1 - probability, good)
    assert "predict probabilities" in capsys.readouterr().out
    assert not check.capstone(probability, _supported_fillers(pvalues, truth, 10))
    assert "find 0 of the 6 causal sites" in capsys.readouterr().out
    assert not check.capstone(probability, ["sex=male", *good[:9]])
    assert "not variant IDs (e.g. 'sex=male')" in capsys.readouterr().out
    reverse = [site for site in pvalues.index[::-1] if site not in supported][:7]
    assert not check.capstone(probability, supported[:3] + reverse)
    assert "show no association at all" in capsys.readouterr().out
    unadjusted = association_table(train).sort_values("rank")["id"].head(10).tolist()
    if sum(pvalues.get(site, 1) > 0.05 for site in unadjusted) > 2:
        assert not check.capstone(probability, unadjusted)
        assert "scan adjusted for sex and the principal components" in capsys.readouterr().out
    assert not check.capstone(probability.iloc[:-5], good)
    assert "have no prediction" in capsys.readouterr().out
    assert not check.capstone(probability.to_numpy(), good)
    assert "not a pandas Series" in capsys.readouterr().out
    assert not check.capstone(probability, good[:9])
    assert "9 distinct candidates" in capsys.readouterr().out


# --- 6.1: a per-block mean dosage, and merging batches ----------------------------------


def test_6_1_block_function(capsys):
    def right(block):
        return np.nan_to_num(2 * allele_frequency(block.T), nan=0.0)

    def by_hand(block):
        """Right but different: masked sums over the samples axis, a list back."""
        called = block >= 0
        with np.errstate(invalid="ignore"):
            mean = np.where(called, block, 0).sum(axis=1) / called.sum(axis=1)
        return [0.0 if np.isnan(value) else float(value) for value in mean]

    assert check.exercise_6_1(right) and check.exercise_6_1(by_hand)
    wrong = [
        (lambda b: 2 * np.nan_to_num(allele_frequency(b), nan=0.0), "turn the block around"),
        (lambda b: 2 * allele_frequency(b.T), "return 0.0 for it"),
        (lambda b: np.nan_to_num(allele_frequency(b.T), nan=0.0), "multiply the frequency by 2"),
        (lambda b: np.round(np.nan_to_num(2 * allele_frequency(b.T), nan=0.0)), "do not round"),
        (lambda b: b.mean(axis=1), "leave missing calls (-1) out"),
        (lambda b: np.where(b < 0, 0, b).mean(axis=1), "leave missing calls (-1) out"),
    ]
    capsys.readouterr()
    for function, feedback in wrong:
        assert not check.exercise_6_1(function)
        assert feedback in capsys.readouterr().out


def test_6_1_b_merging_batches(capsys):
    from vcfml.stats import allele_counts

    calls = read_vcf(LIABILITY_VCF, region="chr1").genotypes
    batches = [calls[:100], calls[100:]]
    alt, called = (sum(parts) for parts in zip(*(allele_counts(b) for b in batches), strict=True))
    assert check.exercise_6_1_merge(alt / called, batches)
    assert "✅ Exercise 6.1 (b)" in capsys.readouterr().out
    # Right but different: a weighted mean by called alleles.
    weights = np.array([allele_counts(b)[1] for b in batches], dtype=float)
    frequencies = np.array([allele_frequency(b) for b in batches])
    assert check.exercise_6_1_merge((frequencies * weights).sum(0) / weights.sum(0), batches)
    mean = frequencies.mean(axis=0)
    by_people = np.average(frequencies, axis=0, weights=[100, 500])
    for answer, feedback in [
        (mean, "counts the batch of 100 as much"),
        (by_people, "weighting by people"),
        (np.vstack(batches).mean(axis=0) / 2, "missing calls are -1"),
        (mean[:5], "one frequency per site"),
    ]:
        assert not check.exercise_6_1_merge(answer, batches)
        assert feedback in capsys.readouterr().out
