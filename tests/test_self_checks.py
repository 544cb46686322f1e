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
    assert not check.exercise_1_2(LIABILITY_VCF, "chr1", calls.mean(axis=0) / 2)
    assert "leave them out" in capsys.readouterr().out
    genotypes, _ = chrx_calls
    assert not check.exercise_1_2(LIABILITY_VCF, "chrX", masked_frequency(genotypes, 2))
    assert "a man's call on chrX" in capsys.readouterr().out
    assert not check.exercise_1_2(
        LIABILITY_VCF, "chr1", masked_frequency(calls, 2), (calls < 0).mean(axis=0)
    )
    assert "one value per sample" in capsys.readouterr().out


# --- 2.1: the 2019 generator ------------------------------------------------------


def generator(plant_every_case=False, redraw_every_gender=False, redraw_gender=True):
    """The notebook's loop, with switches for the mistakes the review found."""

    def classic_cohort(n_samples, n_sites, n_cases, n_causal, seed):
        rng = np.random.default_rng(seed)
        genotypes = rng.choice(3, size=(n_samples, n_sites), p=[0.9, 0.05, 0.05])
        sex = rng.choice(GENDERS, size=n_samples)
        affected = str(rng.choice(["male", "female"]))
        cases = rng.choice(n_samples, size=n_cases, replace=False)
        causal = rng.choice(n_sites, size=n_causal, replace=False)
        others = np.setdiff1d(GENDERS, [affected])
        for case in cases:
            lacks = not (genotypes[case, causal] == 2).any()
            if lacks or plant_every_case:
                genotypes[case, rng.choice(causal)] = 2
            if redraw_gender and (lacks or redraw_every_gender):
                sex[case] = rng.choice(others)
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
        (generator(redraw_every_gender=True), "redraw the gender of planted cases only"),
        (generator(redraw_gender=False), "have the affected gender"),
    ],
)
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


def test_2_2_constants_copied_from_the_notebook_fail():
    def fixed_h2(dosages, male, truth):
        mean = _mean_liability(dosages, male, truth)
        return norm.sf((truth["thresholds"][0] - mean) / np.sqrt(0.5))

    assert not check.exercise_2_2(fixed_h2)


# --- 3.1: a search over a screening pipeline -----------------------------------------


@pytest.fixture(scope="module")
def genotype_data():
    rng = np.random.default_rng(0)
    X = rng.binomial(2, 0.3, size=(150, 40)).astype(float)
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


GRID = {"screen__k": [3, 10], "model__C": [0.1, 1.0]}


def test_3_1_right_answer_passes(genotype_data, capsys):
    search = GridSearchCV(pipeline(), GRID, scoring="roc_auc", cv=3).fit(*genotype_data)
    assert check.exercise_3_1(search)
    assert "GridSearchCV tried 4 configurations" in capsys.readouterr().out


def test_3_1_right_but_different_passes(genotype_data):
    other = Pipeline(
        [
            ("fill", SimpleImputer(missing_values=-1, strategy="most_frequent")),
            ("keep", SelectKBest(f_classif)),
            ("clf", LogisticRegression(max_iter=2000)),
        ]
    )
    search = RandomizedSearchCV(
        other, {"keep__k": [2, 5, 10, 20], "clf__C": [0.01, 0.1, 1]}, n_iter=4,
        scoring="roc_auc", cv=StratifiedKFold(3), random_state=0,
    ).fit(*genotype_data)  # fmt: skip
    assert check.exercise_3_1(search)


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
            GridSearchCV(LogisticRegression(), {"C": [0.1, 1]}, scoring="roc_auc", cv=3),
            "not a pipeline with a screening step",
        ),
    ],
)
def test_3_1_wrong_answers_are_named(search, feedback, genotype_data, capsys):
    assert not check.exercise_3_1(search.fit(*genotype_data))
    assert feedback in capsys.readouterr().out


def test_3_1_unfitted_or_not_a_search(capsys):
    assert not check.exercise_3_1(GridSearchCV(pipeline(), GRID))
    assert "not fitted" in capsys.readouterr().out
    assert not check.exercise_3_1(pipeline())
    assert "search object" in capsys.readouterr().out


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
    assert "use the X and y the function receives" in capsys.readouterr().out


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
    second = simulate_liability(**{**parameters, "sample_seed": 9})
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
    assert "phenotypes differ from the second cohort's" in capsys.readouterr().out
    assert not check.exercise_4_2(train_truth, train_truth, auc, test, model)
    assert "new sample_seed" in capsys.readouterr().out
    wrong_labels = test.subset(np.arange(len(test.samples)))
    wrong_labels.target[:] = 1 - wrong_labels.target
    assert not check.exercise_4_2(test_truth, train_truth, auc, wrong_labels, model)
    assert "phenotypes differ" in capsys.readouterr().out


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


# --- 5.3: clumping a ranking into loci -------------------------------------------------


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
    ],
    ids=["unclumped", "fixed-threshold", "one-locus"],
)
def test_5_3_wrong_clumps_fail(wrong, a_ranking, capsys):
    assert not check.exercise_5_3_clumps(wrong, 0.5, *a_ranking)
    assert "greedy clumping gives" in capsys.readouterr().out


@pytest.mark.parametrize("threshold", [1.0, 0.0, "0.5"])
def test_5_3_thresholds_that_merge_nothing_or_everything_fail(threshold, a_ranking, capsys):
    assert not check.exercise_5_3_clumps(clump_by_loop, threshold, *a_ranking)
    assert "between 0.05 and 0.9" in capsys.readouterr().out


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
    from vcfml.check.capstone import _cohorts
    from vcfml.explain import association_table
    from vcfml.features import join_samples

    paths = check.capstone_cohort(tmp_path_factory.mktemp("capstone"))
    assert not any(
        path.name == "truth.json" for path in paths["train_vcf"].parent.parent.rglob("*")
    )
    assert "phenotype" not in paths["new_samples"].read_text().splitlines()[0]
    train = join_samples(read_vcf(paths["train_vcf"]), paths["train_samples"])
    model = run_automl(train, AutoMLSettings(max_trials=3, seed=0, ensemble=False)).model
    new = join_samples(
        read_vcf(paths["new_vcf"]), paths["new_samples"],
        covariate_levels=model.covariate_levels, require_target=False,
    )  # fmt: skip
    probability = pd.Series(model.predict_proba(new)[:, 1], index=new.samples)
    scan = association_table(train)
    truth = _cohorts()[1].truth
    return probability, scan, truth


def test_capstone_right_answer_passes(capstone_run, capsys):
    probability, scan, truth = capstone_run
    causal = [site["id"] for site in truth["causal_sites"]]
    fillers = [i for i in scan.sort_values("rank")["id"] if i not in causal]
    assert check.capstone(probability, causal[:4] + fillers[:6])
    assert "✅ Exercise capstone" in capsys.readouterr().out


def test_capstone_right_but_different_passes(capstone_run):
    """Rank-equivalent scores in another order, and another choice of candidates."""
    probability, scan, truth = capstone_run
    causal = [site["id"] for site in truth["causal_sites"]]
    logit = np.log(probability / (1 - probability)).sample(frac=1, random_state=0)
    fillers = [i for i in scan.sort_values("rank", ascending=False)["id"] if i not in causal]
    assert check.capstone(logit, fillers[:7] + causal[-3:])


def test_capstone_wrong_answers_fail(capstone_run, capsys):
    probability, scan, truth = capstone_run
    causal = [site["id"] for site in truth["causal_sites"]]
    fillers = [i for i in scan.sort_values("rank")["id"] if i not in causal]
    good = causal[:4] + fillers[:6]
    shuffled = pd.Series(np.random.default_rng(0).permutation(probability.to_numpy()),
                         index=probability.index)  # fmt: skip
    assert not check.capstone(shuffled, good)
    assert "predict probabilities" in capsys.readouterr().out
    assert not check.capstone(probability, fillers[:10])
    feedback = capsys.readouterr().out
    assert "0 of the 6 causal sites" in feedback
    assert "standing in for sex" in feedback  # the hint names the capstone's trap
    assert not check.capstone(probability.iloc[:-5], good)
    assert "have no prediction" in capsys.readouterr().out
    assert not check.capstone(probability.to_numpy(), good)
    assert "not a pandas Series" in capsys.readouterr().out
