"""Self-checks for chapter 2, simulating data with known truth."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from vcfml.check.feedback import CheckResult, call_answer, failed, passed
from vcfml.simulate.bayes import expected_accuracy


def exercise_2_1(classic_cohort: Callable) -> CheckResult:
    """Check an implementation of the 2019 generator against its recipe.

    ``classic_cohort(n_samples, n_sites, n_cases, n_causal, seed)`` must return
    ``(genotypes, sex, phenotype, causal_sites, affected_sex)``.
    """
    result, output = call_answer("2.1", classic_cohort, 4000, 20, 1600, 2, 7)
    if result is not None:
        return result
    try:
        genotypes, sex, phenotype, causal, affected = output
        genotypes, sex, phenotype = np.asarray(genotypes), np.asarray(sex), np.asarray(phenotype)
        causal = np.asarray(causal)
    except (TypeError, ValueError):
        return failed(
            "2.1",
            "The function should return five things.",
            "return genotypes, sex, phenotype, causal_sites, affected_sex",
        )
    if genotypes.shape != (4000, 20) or phenotype.shape != (4000,) or sex.shape != (4000,):
        return failed(
            "2.1",
            f"Shapes are {genotypes.shape}, {sex.shape}, {phenotype.shape}.",
            "genotypes is samples x sites; sex and phenotype have one value per sample.",
        )
    cases = phenotype == 1
    if cases.sum() != 1600:
        return failed(
            "2.1",
            f"{int(cases.sum())} cases instead of 1600.",
            "choose exactly n_cases samples, without replacement.",
        )
    if not (genotypes[np.ix_(cases, causal)] == 2).any(axis=1).all():
        return failed(
            "2.1",
            "Some cases are not homozygous ALT at any causal site.",
            "for each case with no 2 at the causal sites, set one causal site to 2.",
        )
    controls = genotypes[~cases].ravel()
    frequencies = np.bincount(controls.astype(int), minlength=3)[:3] / controls.size
    if not np.allclose(frequencies, [0.90, 0.05, 0.05], atol=0.01):
        return failed(
            "2.1",
            "Controls' genotypes are not drawn 0/1/2 with 0.90/0.05/0.05.",
            "draw every genotype independently with those probabilities; change only cases.",
        )
    depleted = (sex[cases] == affected).mean() < (sex[~cases] == affected).mean() - 0.05
    if not depleted:
        return failed(
            "2.1",
            "The affected gender is not depleted among cases.",
            "planted cases get a gender drawn from the genders *other than* the affected one.",
        )
    return passed("2.1", "your generator follows the 2019 recipe, quirks included.")


def exercise_2_2(case_probability: np.ndarray, truth: dict) -> CheckResult:
    """Check Bayes-optimal case probabilities against the simulator's accuracy."""
    p = np.asarray(case_probability, dtype=float)
    if p.ndim != 1 or ((p < 0) | (p > 1)).any():
        return failed(
            "2.2",
            "case_probability should be one probability per sample.",
            "norm.sf(...) gives P(liability > threshold); values lie between 0 and 1.",
        )
    want = truth["bayes_optimal"]["cohort"]["accuracy"]
    got = expected_accuracy(p)
    if abs(got - want) > 0.002:
        hint = (
            "the environmental part has variance 1 - h2: divide by its standard deviation."
            if got > want
            else "liability = genetic value + sex effect for males + noise; a case has liability above the threshold."
        )
        return failed("2.2", f"Your probabilities give an expected accuracy of {got:.4f}.", hint)
    return passed("2.2", f"expected accuracy {got:.4f} matches truth.json.")
