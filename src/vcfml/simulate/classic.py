"""The generator of the original 2019 workshop: its recipe and quirks, one bug fixed.

The workshop post behind this course made fake variant calls like this:

1. every genotype is drawn independently: 0, 1 or 2 ALT copies with
   probabilities 0.90, 0.05 and 0.05;
2. every sample gets a gender drawn uniformly from male, female and unknown,
   and one "affected" gender is drawn from male and female;
3. a fixed number of samples are chosen at random to be cases, and a few sites
   are chosen to be causal;
4. every case that is homozygous-ALT at none of the causal sites gets one causal
   site (chosen at random) set to homozygous-ALT, and its gender redrawn from the
   genders other than the affected one.

The quirks are kept on purpose (chapter 2 discusses them): cases are planted
rather than caused, the "affected" gender ends up *depleted* among cases, and
genotypes ignore Hardy-Weinberg proportions. One departure: the 2019 code meant
step 2's draw to exclude 'unknown', but it compared integer gender codes with the
string 'unknown', so 'unknown' could be drawn (1 in 3); here it cannot. (2019 also
fed gender to the model as the number 1/2/3; the course one-hot encodes it.)
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from vcfml.simulate import bayes
from vcfml.simulate.cohort import (
    STREAM_BLOCK,
    StreamedCohort,
    causal_site_records,
    depths_from_draws,
    sample_ids,
)
from vcfml.simulate.draws import RowMajorDraws
from vcfml.simulate.genome import contig_lengths, place_sites

GENDERS = ("male", "female", "unknown")
MAX_ENUMERATED_CAUSAL = 8  # 3^8 x 3 genotype patterns is still instant


def simulate_classic(
    n_samples: int = 500,
    n_sites: int = 100,
    n_cases: int = 200,
    n_causal: int = 2,
    genotype_probabilities: tuple[float, float, float] = (0.90, 0.05, 0.05),
    seed: int = 0,
) -> StreamedCohort:
    """Simulate a cohort with the original workshop's generator (see module doc)."""
    _check(n_samples, n_sites, n_cases, n_causal, genotype_probabilities)
    rng = np.random.default_rng(seed)
    probabilities = np.asarray(genotype_probabilities, dtype=float)
    contigs = contig_lengths(include_chrx=False)
    variants = place_sites(n_sites, contigs, rng)
    # rng.choice(3, size=(n_samples, n_sites), p=probabilities), served by blocks
    # of sites: one uniform draw per call, looked up in the cumulative probabilities.
    cumulative = probabilities.cumsum()
    cumulative /= cumulative[-1]
    draws = RowMajorDraws(
        rng,
        n_samples,
        n_sites,
        lambda generator, size: cumulative.searchsorted(generator.random(size), side="right"),
        fixed_width=True,
        block=STREAM_BLOCK,
    )
    sex = rng.choice(np.array(GENDERS, dtype=object), size=n_samples)
    affected_sex = str(rng.choice(["male", "female"]))
    cases = np.sort(rng.choice(n_samples, size=n_cases, replace=False))
    causal = np.sort(rng.choice(n_sites, size=n_causal, replace=False))
    causal_genotypes = _columns(draws, causal)

    without_hit = cases[~(causal_genotypes[cases] == 2).any(axis=1)]
    planted = rng.integers(0, n_causal, size=len(without_hit))  # which causal site
    causal_genotypes[without_hit, planted] = 2
    planted_sites = causal[planted]
    other_genders = np.array([g for g in GENDERS if g != affected_sex], dtype=object)
    sex[without_hit] = rng.choice(other_genders, size=len(without_hit))

    phenotype = np.zeros(n_samples, dtype=np.int8)
    phenotype[cases] = 1
    samples = pd.DataFrame({"sample_id": sample_ids(n_samples), "sex": sex, "phenotype": phenotype})
    # read_depths(n_samples, n_sites, rng, no missing calls), by blocks of sites.
    depth_draws = RowMajorDraws(
        rng,
        n_samples,
        n_sites,
        lambda generator, size: generator.poisson(30, size),
        fixed_width=False,
        block=STREAM_BLOCK,
    )

    def blocks(with_depth: bool = True):
        for start in range(0, n_sites, STREAM_BLOCK):
            genotypes = draws.block(start).astype(np.int8)
            inside = (planted_sites >= start) & (planted_sites < start + genotypes.shape[1])
            genotypes[without_hit[inside], planted_sites[inside] - start] = 2
            if not with_depth:
                yield genotypes, None
                continue
            depth = depth_draws.block(start)
            yield genotypes, depths_from_draws(depth, np.zeros(depth.shape, dtype=bool))

    prior = n_cases / n_samples
    posterior = case_probability(causal_genotypes, sex, affected_sex, prior, probabilities)
    parameters = {
        "n_samples": n_samples,
        "n_sites": n_sites,
        "n_cases": n_cases,
        "n_causal": n_causal,
        "genotype_probabilities": [float(p) for p in probabilities],
    }
    background_af = float(probabilities[1] / 2 + probabilities[2])
    truth = {
        "model": "classic",
        "seed": seed,
        "parameters": parameters,
        "causal_sites": causal_site_records(
            variants,
            causal,
            allele_frequency=[background_af] * n_causal,
            effect=["homozygous-ALT planted in cases"] * n_causal,
        ),
        "affected_sex": affected_sex,
        "prevalence": round(prior, 6),
        "bayes_optimal": {
            "cohort": bayes.summary(posterior),
            "population": _population_ceiling(n_causal, affected_sex, prior, probabilities, rng),
        },
    }
    return StreamedCohort(variants, samples, contigs, truth, draw_blocks=blocks)


def _columns(draws: RowMajorDraws, columns: np.ndarray) -> np.ndarray:
    """The given columns of a matrix served by blocks (as int8 genotypes)."""
    out = np.empty((draws.n_rows, len(columns)), dtype=np.int8)
    for start in np.unique(columns // draws.block_size * draws.block_size):
        inside = (columns >= start) & (columns < start + draws.block_size)
        out[:, inside] = draws.block(int(start))[:, columns[inside] - start]
    return out


def case_probability(
    causal_genotypes: np.ndarray,
    sex: np.ndarray,
    affected_sex: str,
    prior: float,
    genotype_probabilities: np.ndarray,
) -> np.ndarray:
    """P(case | genotypes at the causal sites, gender) under the classic model."""
    case, control = _likelihoods(causal_genotypes, sex, affected_sex, genotype_probabilities)
    return prior * case / (prior * case + (1 - prior) * control)


def _likelihoods(causal_genotypes, sex, affected_sex, genotype_probabilities):
    """P(genotypes, gender | case) and P(genotypes, gender | control).

    Controls keep their independent genotypes and uniform gender. A case is
    either untouched (it already had a homozygous-ALT causal site) or planted:
    exactly one causal site is 2, the others are drawn from the non-2 genotypes,
    and the gender is uniform over the two genders other than the affected one.
    """
    q = np.asarray(genotype_probabilities, dtype=float)
    causal_genotypes = np.asarray(causal_genotypes)
    n_causal = causal_genotypes.shape[1]
    site_probability = q[causal_genotypes]  # P(genotype) per sample and causal site
    p_genotypes = site_probability.prod(axis=1)
    is_hom_alt = causal_genotypes == 2
    already_hit = is_hom_alt.any(axis=1)
    exactly_one = is_hom_alt.sum(axis=1) == 1

    likelihood_control = p_genotypes / 3
    untouched = np.where(already_hit, p_genotypes / 3, 0.0)
    # Planted: the single 2 came from any non-2 genotype (prob 1 - q2), site chosen 1/k.
    others = np.where(is_hom_alt, 1.0, site_probability).prod(axis=1)
    planted_genotypes = np.where(exactly_one, others * (1 - q[2]) / n_causal, 0.0)
    planted_sex = np.where(np.asarray(sex) != affected_sex, 0.5, 0.0)
    return untouched + planted_genotypes * planted_sex, likelihood_control


def _population_ceiling(
    n_causal: int,
    affected_sex: str,
    prior: float,
    probabilities: np.ndarray,
    rng: np.random.Generator,
) -> dict[str, float]:
    """Bayes-optimal accuracy and AUC in the whole population, exactly.

    Enumerates every pattern of causal genotypes and gender and weights it by
    its probability among cases and among controls.
    """
    if n_causal > MAX_ENUMERATED_CAUSAL:
        # Too many patterns: estimate on a large simulated population instead.
        cohort = simulate_classic(
            n_samples=50_000,
            n_sites=n_causal,
            n_cases=round(prior * 50_000),
            n_causal=n_causal,
            genotype_probabilities=tuple(probabilities),
            seed=int(rng.integers(2**31)),
        )
        return cohort.truth["bayes_optimal"]["cohort"]
    patterns = np.array(list(itertools.product(range(3), repeat=n_causal)))
    genders = np.array(GENDERS, dtype=object)
    genotypes = np.repeat(patterns, len(genders), axis=0)
    sex = np.tile(genders, len(patterns))
    case, control = _likelihoods(genotypes, sex, affected_sex, probabilities)
    weights = prior * case + (1 - prior) * control  # P(pattern) in the population
    return bayes.summary(prior * case / weights, weights)


def _check(n_samples, n_sites, n_cases, n_causal, probabilities) -> None:
    if n_samples < 2 or n_sites < 1:
        raise ValueError("need at least 2 samples and 1 site")
    if not 0 < n_cases < n_samples:
        raise ValueError(f"n_cases must be between 1 and n_samples - 1, got {n_cases}")
    if not 1 <= n_causal <= n_sites:
        raise ValueError(f"n_causal must be between 1 and n_sites, got {n_causal}")
    if len(probabilities) != 3 or abs(sum(probabilities) - 1) > 1e-9 or min(probabilities) < 0:
        raise ValueError("genotype_probabilities must be three probabilities summing to 1")
