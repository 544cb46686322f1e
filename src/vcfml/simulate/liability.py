"""A realistic cohort: the liability-threshold model of a complex trait.

Each person has an unobserved *liability*: the sum of small genetic effects at a
few causal sites, a sex effect and a normally distributed environmental part.
People whose liability exceeds a threshold are cases. The model is the standard
one of quantitative genetics (Falconer's liability-threshold model):

* allele frequencies follow a U-shaped spectrum (a symmetric Beta(a, a) with
  a < 1, most variants rare), restricted to a minimum minor-allele frequency;
* genotypes are in Hardy-Weinberg proportions within each population; males
  carry one copy of chrX outside the pseudo-autosomal regions (haploid calls
  there) and two inside PAR1 and PAR2, as
  :func:`vcfml.stats.frequency.haploid_in_males` defines them (GRCh38);
* causal sites are autosomal, so the liability (and the Bayes-optimal truth)
  never depends on how a male's chrX dosage is coded;
* causal effects are scaled so that genetics explain ``h2`` of the variance of
  liability (liability-scale heritability); the action of an allele can be
  additive, dominant or recessive;
* optional population structure: subpopulations whose allele frequencies drift
  apart by the Balding-Nichols model with a given Fst, and which can have
  different prevalences, so that non-causal sites correlate with the phenotype
  through ancestry alone (confounding, chapter 5).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

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
from vcfml.stats.frequency import haploid_in_males

MODES = ("additive", "dominant", "recessive")
REFERENCE_POPULATION = 200_000  # people simulated (at causal sites only) to set thresholds


@dataclass(frozen=True)
class LiabilityModel:
    """Parameters of the liability-threshold simulation (see module doc)."""

    n_samples: int = 1000
    n_sites: int = 1000
    n_causal: int = 10
    h2: float = 0.5
    prevalence: float = 0.3
    sex_effect: float = 0.5
    mode: str = "additive"
    min_maf: float = 0.05
    spectrum_shape: float = 0.5
    missing_rate: float = 0.01
    n_populations: int = 1
    fst: float = 0.1
    population_prevalences: Sequence[float] | None = None
    include_chrx: bool = True
    seed: int = 0
    sample_seed: int | None = None

    def check(self) -> None:
        problems = []
        if self.n_samples < 2 or self.n_sites < 1:
            problems.append("need at least 2 samples and 1 site")
        if not 1 <= self.n_causal <= self.n_sites:
            problems.append(f"n_causal must be between 1 and n_sites, got {self.n_causal}")
        if not 0 < self.h2 < 1:
            problems.append(f"h2 must be between 0 and 1 (exclusive), got {self.h2}")
        if not 0 < self.prevalence < 1:
            problems.append(f"prevalence must be between 0 and 1, got {self.prevalence}")
        if self.mode not in MODES:
            problems.append(f"mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        if not 0 < self.min_maf < 0.5:
            problems.append(f"min_maf must be between 0 and 0.5, got {self.min_maf}")
        if not 0 <= self.missing_rate < 1:
            problems.append(f"missing_rate must be in [0, 1), got {self.missing_rate}")
        if self.n_populations < 1:
            problems.append("n_populations must be at least 1")
        if self.n_populations > 1 and not 0 < self.fst < 1:
            problems.append(f"fst must be between 0 and 1, got {self.fst}")
        if self.population_prevalences is not None and (
            len(self.population_prevalences) != self.n_populations
            or not all(0 < p < 1 for p in self.population_prevalences)
        ):
            problems.append("population_prevalences needs one prevalence in (0, 1) per population")
        if problems:
            raise ValueError("; ".join(problems))


def simulate_liability(**parameters) -> StreamedCohort:
    """Simulate a cohort under the liability-threshold model.

    Keyword arguments are the fields of :class:`LiabilityModel`.
    """
    model = LiabilityModel(**parameters)
    model.check()
    # Two independent streams: one draws the model (sites, frequencies, causal
    # effects, thresholds), the other the people. Same seed and another
    # sample_seed give new people from the very same model: a test cohort.
    rng = np.random.default_rng([model.seed, 1])
    people = np.random.default_rng(
        [model.seed if model.sample_seed is None else model.sample_seed, 2]
    )
    contigs = contig_lengths(include_chrx=model.include_chrx)
    variants = place_sites(model.n_sites, contigs, rng)
    is_chrx = (variants["chrom"] == "chrX").to_numpy()
    haploid_sites = haploid_in_males(variants["chrom"], variants["pos"], "GRCh38")

    ancestral_af = _allele_frequencies(model.n_sites, model, rng)
    population_af = _diverge(ancestral_af, model, rng)  # (n_populations, n_sites)
    autosomal = np.flatnonzero(~is_chrx)
    causal = np.sort(rng.choice(autosomal, size=model.n_causal, replace=False))
    effects = rng.standard_normal(model.n_causal)
    effects *= np.sqrt(
        model.h2 / np.sum(effects**2 * _coded_variance(ancestral_af[causal], model.mode))
    )
    coding_mean = _coded_mean(ancestral_af[causal], model.mode)

    def genetic_value(causal_genotypes: np.ndarray) -> np.ndarray:
        return (_code(causal_genotypes, model.mode) - coding_mean) @ effects

    # Thresholds come from a large reference population with the same structure.
    ref_population = rng.integers(0, model.n_populations, REFERENCE_POPULATION)
    ref_male = rng.random(REFERENCE_POPULATION) < 0.5
    ref_genotypes = _draw_genotypes(
        population_af[:, causal], ref_population, ref_male, np.zeros(len(causal), bool), rng
    )
    noise_sd = np.sqrt(1 - model.h2)
    ref_mean = genetic_value(ref_genotypes) + model.sex_effect * ref_male
    ref_liability = ref_mean + noise_sd * rng.standard_normal(REFERENCE_POPULATION)

    population = people.integers(0, model.n_populations, model.n_samples)
    male = people.random(model.n_samples) < 0.5
    # The genotypes are drawn twice from the same state: now, keeping only the
    # causal sites (the phenotype needs them), and again block by block when the
    # cohort is written. The matrix is never in memory at once.
    genotype_state = people.bit_generator.state
    causal_genotypes = _draw_genotypes(
        population_af, population, male, haploid_sites, people, keep=causal
    )
    prevalences = np.asarray(
        model.population_prevalences or [model.prevalence] * model.n_populations, dtype=float
    )
    thresholds = np.array(
        [
            np.quantile(ref_liability[ref_population == k], 1 - prevalences[k])
            for k in range(model.n_populations)
        ]
    )

    mean_liability = genetic_value(causal_genotypes) + model.sex_effect * male
    liability = mean_liability + noise_sd * people.standard_normal(model.n_samples)
    phenotype = (liability > thresholds[population]).astype(np.int8)

    shape = (model.n_samples, model.n_sites)
    missing_draws = RowMajorDraws(
        people, *shape, lambda g, size: g.random(size), fixed_width=True, block=STREAM_BLOCK
    )
    # The depths are the last draws from ``people``: recording where each block of
    # them starts takes a pass of Poisson draws, made only when depths are wanted.
    depth_start = people.bit_generator.state

    @functools.cache
    def depth_draws() -> RowMajorDraws:
        generator = np.random.Generator(np.random.PCG64())
        generator.bit_generator.state = depth_start
        draw = lambda g, size: g.poisson(30, size)  # noqa: E731
        return RowMajorDraws(generator, *shape, draw, fixed_width=False, block=STREAM_BLOCK)

    def blocks(with_depth: bool = True):
        generator = np.random.Generator(np.random.PCG64())
        generator.bit_generator.state = genotype_state
        for start, genotypes in _genotype_blocks(
            population_af, population, male, haploid_sites, generator
        ):
            missing = missing_draws.block(start) < model.missing_rate
            observed = np.where(missing, np.int8(-1), genotypes)
            depth = depths_from_draws(depth_draws().block(start), missing) if with_depth else None
            yield observed, depth

    samples = pd.DataFrame(
        {
            "sample_id": sample_ids(model.n_samples),
            "sex": np.where(male, "male", "female"),
            "phenotype": phenotype,
        }
    )
    if model.n_populations > 1:
        samples["population"] = [f"pop{k + 1}" for k in population]

    cohort_probability = norm.sf((thresholds[population] - mean_liability) / noise_sd)
    population_probability = norm.sf((thresholds[ref_population] - ref_mean) / noise_sd)
    truth = {
        "model": "liability",
        "seed": model.seed,
        "parameters": _parameters(model),
        "causal_sites": causal_site_records(
            variants,
            causal,
            allele_frequency=ancestral_af[causal],
            effect=effects,
            mode=[model.mode] * model.n_causal,
        ),
        "sex_effect": {"male": model.sex_effect, "female": 0.0},
        "thresholds": [round(float(t), 6) for t in thresholds],
        "prevalence": {
            "target": [float(p) for p in prevalences],
            "cohort": round(float(phenotype.mean()), 6),
        },
        "bayes_optimal": {
            "cohort": bayes.summary(cohort_probability),
            "population": bayes.summary(population_probability),
        },
    }
    return StreamedCohort(
        variants,
        samples,
        contigs,
        truth,
        haploid=male,
        haploid_sites=haploid_sites,
        draw_blocks=blocks,
    )


def _parameters(model: LiabilityModel) -> dict:
    values = asdict(model)
    values.pop("seed")
    if values["sample_seed"] is None:
        values.pop("sample_seed")
    if values["population_prevalences"] is not None:
        values["population_prevalences"] = list(values["population_prevalences"])
    return values


def _allele_frequencies(n_sites: int, model: LiabilityModel, rng) -> np.ndarray:
    """ALT frequencies from a U-shaped Beta spectrum, MAF >= min_maf (by rejection)."""
    af = rng.beta(model.spectrum_shape, model.spectrum_shape, n_sites)
    bad = np.minimum(af, 1 - af) < model.min_maf
    while bad.any():
        af[bad] = rng.beta(model.spectrum_shape, model.spectrum_shape, int(bad.sum()))
        bad = np.minimum(af, 1 - af) < model.min_maf
    return af


def _diverge(af: np.ndarray, model: LiabilityModel, rng) -> np.ndarray:
    """Balding-Nichols: each population's frequency ~ Beta(p(1-F)/F, (1-p)(1-F)/F)."""
    if model.n_populations == 1:
        return af[None, :]
    scale = (1 - model.fst) / model.fst
    drifted = rng.beta(af * scale, (1 - af) * scale, size=(model.n_populations, len(af)))
    return np.clip(drifted, 1e-3, 1 - 1e-3)


def _genotype_blocks(population_af, population, male, haploid_sites, rng):
    """Hardy-Weinberg genotypes, (start, block) for blocks of STREAM_BLOCK sites;
    males get one copy at ``haploid_sites`` (chrX outside the PARs)."""
    n_sites = population_af.shape[1]
    for start in range(0, n_sites, STREAM_BLOCK):
        stop = min(start + STREAM_BLOCK, n_sites)
        frequency = population_af[population, start:stop]
        copies = np.where(male[:, None] & haploid_sites[None, start:stop], 1, 2)
        yield start, rng.binomial(copies, frequency).astype(np.int8)


def _draw_genotypes(population_af, population, male, haploid_sites, rng, keep=None) -> np.ndarray:
    """Hardy-Weinberg genotypes of the sites ``keep`` (default all), drawn a block
    of sites at a time: the generator ends where drawing every site leaves it."""
    n_sites = population_af.shape[1]
    keep = np.arange(n_sites) if keep is None else np.asarray(keep)
    genotypes = np.empty((len(population), len(keep)), dtype=np.int8)
    for start, block in _genotype_blocks(population_af, population, male, haploid_sites, rng):
        inside = (keep >= start) & (keep < start + block.shape[1])
        genotypes[:, inside] = block[:, keep[inside] - start]
    return genotypes


def _code(genotypes: np.ndarray, mode: str) -> np.ndarray:
    """How ALT copies act on liability: additive counts them, dominant needs one,
    recessive needs two."""
    if mode == "additive":
        return genotypes.astype(float)
    if mode == "dominant":
        return (genotypes >= 1).astype(float)
    return (genotypes == 2).astype(float)


def _coded_mean(af: np.ndarray, mode: str) -> np.ndarray:
    if mode == "additive":
        return 2 * af
    if mode == "dominant":
        return 1 - (1 - af) ** 2
    return af**2


def _coded_variance(af: np.ndarray, mode: str) -> np.ndarray:
    if mode == "additive":
        return 2 * af * (1 - af)
    mean = _coded_mean(af, mode)
    return mean * (1 - mean)
