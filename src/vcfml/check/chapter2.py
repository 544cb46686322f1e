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
from vcfml.simulate import simulate_liability
from vcfml.simulate.bayes import expected_accuracy

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
