"""Self-checks for chapter 2, simulating data with known truth.

Both checks run the learner's function on inputs the notebook never showed and
judge what it *does*: the generator by the statistics its recipe implies, the
case probability person by person against the simulator's own formula.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.stats import norm

from vcfml.check.feedback import CheckResult, call_answer, failed, passed
from vcfml.simulate import simulate_classic, simulate_liability
from vcfml.simulate.bayes import expected_accuracy
from vcfml.simulate.classic import case_probability as classic_case_probability

GENOTYPE_PROBABILITIES = np.array([0.90, 0.05, 0.05])
# A run large enough that each statistic below is many standard errors from
# what a typical mistake produces.
RUN_2_1 = {"n_samples": 6000, "n_sites": 30, "n_cases": 3000, "n_causal": 2, "seed": 7}


def _within(observed: float, expected: float, n: int, sigmas: float = 5.0) -> bool:
    """Is a proportion from n draws within `sigmas` binomial standard errors?"""
    spread = sigmas * np.sqrt(max(expected * (1 - expected), 1e-4) / n)
    return abs(observed - expected) <= spread + 1e-9


def exercise_2_1(classic_cohort: Callable) -> CheckResult:
    """Check an implementation of the 2019 generator against its recipe.

    ``classic_cohort(n_samples, n_sites, n_cases, n_causal, seed)`` must return
    ``(genotypes, sex, phenotype, causal_sites, affected_sex)``. The check runs
    it on a larger cohort than the notebook's and tests what the recipe
    implies, so any correct implementation passes whatever order it draws in.
    """
    run = RUN_2_1
    result, output = call_answer(
        "2.1",
        classic_cohort,
        run["n_samples"],
        run["n_sites"],
        run["n_cases"],
        run["n_causal"],
        run["seed"],
    )
    if result is not None:
        return result
    try:
        genotypes, sex, phenotype, causal, affected = output
        genotypes, sex, phenotype = np.asarray(genotypes), np.asarray(sex), np.asarray(phenotype)
        causal = np.asarray(causal).astype(int)
    except (TypeError, ValueError):
        return failed(
            "2.1",
            "The function should return five things.",
            "return genotypes, sex, phenotype, causal_sites, affected_sex",
        )
    n, m = run["n_samples"], run["n_sites"]
    if genotypes.shape != (n, m) or phenotype.shape != (n,) or sex.shape != (n,):
        return failed(
            "2.1",
            f"Shapes are {genotypes.shape}, {sex.shape}, {phenotype.shape} for {n} samples "
            f"and {m} sites.",
            "genotypes is samples x sites; sex and phenotype have one value per sample.",
        )
    if causal.size != run["n_causal"] or len(set(causal.tolist())) != causal.size:
        return failed(
            "2.1",
            f"causal_sites has {causal.size} entries ({len(set(causal.tolist()))} distinct) "
            f"for n_causal={run['n_causal']}.",
            "choose n_causal different site indices, without replacement.",
        )
    cases = phenotype == 1
    if cases.sum() != run["n_cases"]:
        return failed(
            "2.1",
            f"{int(cases.sum())} cases instead of {run['n_cases']}.",
            "choose exactly n_cases samples, without replacement.",
        )
    twos_at_causal = (genotypes[np.ix_(cases, causal)] == 2).sum(axis=1)
    if (twos_at_causal == 0).any():
        return failed(
            "2.1",
            f"{int((twos_at_causal == 0).sum())} cases are homozygous ALT at no causal site.",
            "for each case with no 2 at the causal sites, set one causal site to 2.",
        )
    # Genotype frequencies first: a wrong draw also changes every statistic of
    # planting below, whose hints would then name the wrong cause.
    non_causal = np.setdiff1d(np.arange(m), causal)
    for group, name in ((~cases, "controls"), (cases, "cases at non-causal sites")):
        values = genotypes[np.ix_(group, non_causal if group is cases else np.arange(m))]
        frequencies = np.bincount(values.astype(int).ravel(), minlength=3)[:3] / values.size
        if not np.allclose(frequencies, GENOTYPE_PROBABILITIES, atol=0.01):
            return failed(
                "2.1",
                f"Genotypes of {name} are 0/1/2 with "
                f"{'/'.join(f'{f:.3f}' for f in frequencies)}, not 0.90/0.05/0.05.",
                "draw every genotype independently with those probabilities; "
                "change only causal sites of cases.",
            )
    # Without planting, a site is 2 with probability 0.05. A case that already
    # had a 2 is left alone, so a second 2 at the causal sites is as rare as
    # drawing two by chance. Planting in every case makes it far more common.
    p_two = GENOTYPE_PROBABILITIES[2]
    k = run["n_causal"]
    p_no_two = (1 - p_two) ** k
    p_two_or_more = 1 - p_no_two - k * p_two * (1 - p_two) ** (k - 1)
    share_two_or_more = float((twos_at_causal >= 2).mean())
    if not _within(share_two_or_more, p_two_or_more, int(cases.sum())):
        return failed(
            "2.1",
            f"{share_two_or_more:.1%} of cases have a 2 at two or more causal sites; "
            f"the recipe gives about {p_two_or_more:.1%}.",
            "plant only in cases that have *no* 2 at any causal site yet; leave the others as drawn.",
        )
    if affected not in ("male", "female"):
        return failed(
            "2.1", f"The affected gender is {affected!r}.", "draw it from 'male' and 'female'."
        )
    # Planted cases never carry the affected gender; the cases that already had a
    # 2 keep their uniformly drawn one, so a third of them do.
    want_affected = (1 - p_no_two) / 3
    share_affected = float((sex[cases] == affected).mean())
    if not _within(share_affected, want_affected, int(cases.sum())):
        too_few = share_affected < want_affected
        return failed(
            "2.1",
            f"{share_affected:.1%} of cases have the affected gender; the recipe gives about "
            f"{want_affected:.1%}.",
            "redraw the gender of planted cases only, from the genders *other than* the "
            "affected one; cases that already had a 2 keep theirs."
            if too_few
            else "planted cases get a gender drawn from the genders *other than* the affected one.",
        )
    share_controls = float((sex[~cases] == affected).mean())
    if not _within(share_controls, 1 / 3, int((~cases).sum())):
        return failed(
            "2.1",
            f"{share_controls:.1%} of controls have the affected gender instead of about a third.",
            "draw every sample's gender uniformly from male, female and unknown first.",
        )
    return passed("2.1", "your generator follows the 2019 recipe, quirks included.")


# Fresh classic cohorts for 2.1 (b): large enough that a rule one decision short
# of the recipe's best differs from it for well over 1% of people.
RUNS_2_1_RULE = (
    {"n_samples": 20_000, "n_sites": 60, "n_cases": 8_000, "n_causal": 2, "seed": 21},
    {"n_samples": 20_000, "n_sites": 60, "n_cases": 6_000, "n_causal": 3, "seed": 24},
)
RULE_AGREEMENT = 0.99  # share of people called as the Bayes-optimal rule calls them


def exercise_2_1_rule(predict_case: Callable) -> CheckResult:
    """Judge ``predict_case(genotypes, sex, causal, affected)`` (0/1 per person):
    the best rule the 2019 recipe allows, reasoned from the recipe.

    It is run on two fresh classic cohorts (vcfml's generator, each affected
    gender, 2 and 3 causal sites) and must make the Bayes-optimal rule's call
    (P(case | causal genotypes, gender) > 0.5) for at least 99% of people.
    """
    for run in RUNS_2_1_RULE:
        cohort = simulate_classic(**run)
        ids = cohort.variants["id"].tolist()
        causal = np.array([ids.index(site["id"]) for site in cohort.truth["causal_sites"]])
        sex = cohort.samples["sex"].to_numpy().astype(str)
        affected = cohort.truth["affected_sex"]
        genotypes = cohort.genotypes.astype(int)
        result, got = call_answer("2.1 (b)", predict_case, genotypes.copy(), sex.copy(),
                                  causal.copy(), affected)  # fmt: skip
        if result is not None:
            return result
        got = np.asarray(got)
        if got.shape != sex.shape or not np.isin(got, [0, 1]).all():
            return failed(
                "2.1 (b)",
                f"predict_case returned shape {got.shape} with values "
                f"{sorted(set(np.unique(got).tolist()))[:4]} for {sex.size} people.",
                "return one 0 or 1 per person (a boolean array works too).",
            )
        posterior = classic_case_probability(
            genotypes[:, causal], sex, affected, prior=run["n_cases"] / run["n_samples"],
            genotype_probabilities=GENOTYPE_PROBABILITIES,
        )  # fmt: skip
        bayes = posterior > 0.5
        agreement = float(np.mean(got.astype(bool) == bayes))
        if agreement < RULE_AGREEMENT:
            return failed("2.1 (b)", _rule_message(got, bayes, agreement, run),
                          _rule_hint(got.astype(bool), genotypes, sex, causal, affected))  # fmt: skip
    return passed(
        "2.1 (b)",
        f"your rule makes the Bayes-optimal call for {agreement:.1%} of 20,000 new people "
        f"(accuracy {np.mean(got == cohort.samples['phenotype'].to_numpy()):.3f}, "
        f"Bayes-optimal {np.mean(bayes == cohort.samples['phenotype'].to_numpy()):.3f}).",
    )


def _rule_message(got, bayes, agreement, run) -> str:
    return (
        f"On a new cohort ({run['n_causal']} causal sites) your rule and the Bayes-optimal "
        f"rule call {1 - agreement:.1%} of people differently."
    )


def _rule_hint(got, genotypes, sex, causal, affected) -> str:
    """Name the decision the rule got wrong by trying the usual ones."""
    has_two = (genotypes[:, causal] == 2).any(axis=1)
    other_gender = sex != affected
    mistakes = {
        "gender matters too: planting gave every planted case a gender other than the "
        "affected one, so a person with a 2 *and* the affected gender is more likely a "
        "control.": [has_two],
        "it is the other way round: planted cases got a gender *other than* the affected one.": [
            has_two & ~other_gender,
            ~other_gender,
        ],
        "a gender alone does not make a case: every case has a 2 at a causal site.": [other_gender],
        "only the causal sites were planted: a 2 at any other site is chance.": [
            (genotypes == 2).any(axis=1) & other_gender,
            (genotypes == 2).any(axis=1),
        ],
        "a case has a *homozygous ALT* (2) causal site; a 1 is as common in controls.": [
            (genotypes[:, causal] >= 1).any(axis=1) & other_gender,
            (genotypes[:, causal] >= 1).any(axis=1),
        ],
    }
    for hint, candidates in mistakes.items():
        if any(np.mean(got == candidate) > 0.999 for candidate in candidates):
            return hint
    return (
        "reason from the recipe: what did planting leave in every case (genotype and "
        "gender), and how common is that among controls?"
    )


# Cohorts the notebook never showed, with other heritability, sex effect and
# prevalence, so that constants copied from the notebook's cohort fail.
RUNS_2_2 = (
    {"n_samples": 1500, "n_sites": 80, "n_causal": 6, "h2": 0.3, "sex_effect": 0.8,
     "prevalence": 0.2, "missing_rate": 0.0, "seed": 11},
    {"n_samples": 1500, "n_sites": 80, "n_causal": 12, "h2": 0.7, "sex_effect": -0.4,
     "prevalence": 0.4, "missing_rate": 0.0, "seed": 12},
)  # fmt: skip


def causal_inputs(cohort) -> tuple[np.ndarray, np.ndarray]:
    """The dosages at the causal sites (in truth.json's order) and the male mask."""
    ids = cohort.variants["id"].tolist()
    columns = [ids.index(site["id"]) for site in cohort.truth["causal_sites"]]
    male = (cohort.samples["sex"] == "male").to_numpy()
    return cohort.genotypes[:, columns].astype(float), male


def reference_case_probability(dosages: np.ndarray, male: np.ndarray, truth: dict) -> np.ndarray:
    """Each person's P(case) under the liability-threshold model of ``truth``."""
    effects = np.array([site["effect"] for site in truth["causal_sites"]])
    frequencies = np.array([site["allele_frequency"] for site in truth["causal_sites"]])
    mean = (dosages - 2 * frequencies) @ effects + truth["sex_effect"]["male"] * male
    noise_sd = np.sqrt(1 - truth["parameters"]["h2"])
    return norm.sf((truth["thresholds"][0] - mean) / noise_sd)


def exercise_2_2(case_probability: Callable) -> CheckResult:
    """Check ``case_probability(dosages, male, truth)`` person by person.

    It is called on two fresh cohorts (other h2, sex effect, prevalence and
    number of causal sites) and must give every person the probability of the
    liability-threshold model, within rounding of truth.json's values.
    """
    for run in RUNS_2_2:
        cohort = simulate_liability(**run)
        dosages, male = causal_inputs(cohort)
        truth = cohort.truth
        result, got = call_answer("2.2", case_probability, dosages, male, truth)
        if result is not None:
            return result
        try:
            got = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            return failed(
                "2.2", "The function should return numbers.", "return one probability per person."
            )
        want = reference_case_probability(dosages, male, truth)
        described = f"(a cohort with h2={run['h2']}, male effect {run['sex_effect']})"
        if got.shape != want.shape:
            return failed(
                "2.2",
                f"It returned shape {got.shape} for {want.size} people {described}.",
                "one probability per person (row of dosages).",
            )
        if not np.isfinite(got).all() or ((got < 0) | (got > 1)).any():
            return failed(
                "2.2",
                "Some values are not probabilities between 0 and 1.",
                "norm.sf(z) gives P(N(0,1) > z), which lies between 0 and 1.",
            )
        wrong = ~np.isclose(got, want, atol=1e-4)
        if wrong.any():
            return failed("2.2", f"{int(wrong.sum())} of {want.size} people differ {described}.",
                          _hint_2_2(got, want, dosages, male, truth))  # fmt: skip
    return passed(
        "2.2",
        f"every person's probability matches on two new cohorts; the last one's "
        f"expected accuracy {expected_accuracy(got):.4f} = truth.json's "
        f"{truth['bayes_optimal']['cohort']['accuracy']:.4f}.",
    )


def _hint_2_2(got, want, dosages, male, truth) -> str:
    """Name the most likely mistake by trying the usual ones."""
    h2 = truth["parameters"]["h2"]
    effects = np.array([site["effect"] for site in truth["causal_sites"]])
    frequencies = np.array([site["allele_frequency"] for site in truth["causal_sites"]])
    threshold, sex = truth["thresholds"][0], truth["sex_effect"]["male"]
    genetic = (dosages - 2 * frequencies) @ effects
    mistakes = {
        "divide the distance to the threshold by the noise's standard deviation, sqrt(1 - h2)"
        " (not its variance, and not 1).": [
            norm.sf(threshold - genetic - sex * male),
            norm.sf((threshold - genetic - sex * male) / (1 - h2)),
        ],
        "males carry the sex effect: add truth['sex_effect']['male'] to their liability.": [
            norm.sf((threshold - genetic) / np.sqrt(1 - h2))
        ],
        "center each dosage on its expected value 2p before multiplying by the effect.": [
            norm.sf((threshold - dosages @ effects - sex * male) / np.sqrt(1 - h2))
        ],
        "a case has liability *above* the threshold: use norm.sf, not norm.cdf.": [1 - want],
        "the expected dosage is 2p (two alleles, each ALT with probability p): center on "
        "2p, not p.": [
            norm.sf((threshold - (dosages - frequencies) @ effects - sex * male) / np.sqrt(1 - h2))
        ],
        "the noise's variance is 1 - h2 (h2 is the genetic share): divide by sqrt(1 - h2), "
        "not sqrt(h2).": [norm.sf((threshold - genetic - sex * male) / np.sqrt(h2))],
        f"read h2 from truth['parameters']['h2'] (this cohort's is {h2}), not a number "
        "copied from the notebook.": [
            norm.sf((threshold - genetic - sex * male) / np.sqrt(1 - other))
            for other in (0.5,)
            if other != h2
        ],
        f"read the sex effect from truth['sex_effect'] (this cohort's is {sex}), not a "
        "number copied from the notebook.": [
            norm.sf((threshold - genetic - other * male) / np.sqrt(1 - h2))
            for other in (0.5,)
            if other != sex
        ],
    }
    for hint, candidates in mistakes.items():
        if any(np.allclose(got, c, atol=1e-4) for c in candidates):
            return hint
    if np.isclose(np.sort(got), np.sort(want), atol=1e-4).all():
        return "the values are right but not in the people's order: keep one row per person."
    return (
        "liability = genetic value + sex effect for males + noise with variance 1 - h2; "
        "a case has liability above truth['thresholds'][0]."
    )


def exercise_2_2_spread(spread: float, calls, observed, n_people: int = 150) -> CheckResult:
    """Judge 2.2 (b): the standard deviation of the Bayes-optimal rule's
    accuracy over random test sets of ``n_people`` drawn from the cohort.

    The expected value is binomial: sqrt(a (1 - a) / n), with ``a`` the rule's
    accuracy on the whole cohort, times the finite-population correction when
    people are drawn without replacement. Either way of drawing passes: the
    band is 15% either side of the value without replacement to that with
    replacement, wider than the noise of 1,000 draws (about 2%).
    """
    calls, observed = np.asarray(calls).astype(int), np.asarray(observed).astype(int)
    try:
        spread = float(spread)
    except (TypeError, ValueError):
        return failed("2.2 (b)", f"spread is {spread!r}.", "store one number in `spread`.")
    n = observed.size
    accuracy = float(np.mean(calls == observed))
    binomial = np.sqrt(accuracy * (1 - accuracy) / n_people)
    low = binomial * np.sqrt((n - n_people) / (n - 1)) * 0.85
    high = binomial * 1.15
    if low <= spread <= high:
        return passed(
            "2.2 (b)",
            f"± {spread:.3f}, as the binomial sqrt(a(1 - a)/{n_people}) = {binomial:.3f} "
            "predicts: a test set of this size moves any model's accuracy that much.",
        )
    if spread < 1e-9:
        hint = (
            "the spread is 0: the calls were compared with something that agrees with them "
            "always (the calls, or probability > 0.5); score them against the *observed* "
            "phenotypes."
        )
    elif np.isclose(spread, binomial**2, rtol=0.3) or np.isclose(
        spread * np.sqrt(1000), binomial, rtol=0.3
    ):
        hint = (
            "that is a variance, or the standard error of the *mean* accuracy over the "
            "draws: the spread is the standard deviation of the accuracies themselves "
            "(np.std of them)."
        )
    elif spread < low:
        hint = (
            "too small: score the calls against the observed phenotypes (not the "
            "probabilities), on test sets of 150 people (not more)."
        )
    else:
        hint = "too large: draw 150 people per test set, and score the rule's calls."
    return failed(
        "2.2 (b)",
        f"spread = {spread:.4f}; the accuracy of {n_people} people drawn from this cohort "
        f"varies by about {binomial:.3f}.",
        hint,
    )
