"""A realistic cohort: the liability-threshold model of a complex trait.

Each person has an unobserved *liability*: the sum of small genetic effects at a
few causal sites, a sex effect and a normally distributed environmental part.
People whose liability exceeds a threshold are cases. The model is the standard
one of quantitative genetics (Falconer's liability-threshold model):

* allele frequencies follow a mildly U-shaped symmetric Beta(a, a) with a < 1,
  restricted to a minimum minor-allele frequency (0.05 by default, so every site
  is common: no rare variants, unlike real data or the coalescent model);
* genotypes are in Hardy-Weinberg proportions within each population; males
  carry one copy of chrX outside the pseudo-autosomal regions (haploid calls
  there) and two inside PAR1 and PAR2, as
  :func:`vcfml.stats.frequency.haploid_in_males` defines them (GRCh38);
* causal sites are autosomal, so the liability (and the Bayes-optimal truth)
  never depends on how a male's chrX dosage is coded;
* causal effects are scaled so that genetics explain ``h2`` of the variance of
  liability (liability-scale heritability); the action of an allele can be
  additive, dominant or recessive;
* or additivity fails on purpose, so that a linear score (a polygenic score, a
  lasso) misses part of the genetic variance a tree model can find. Mode
  ``"dominance"``: each causal site has an additive effect and a dominance
  deviation (Falconer's orthogonal coding: -2q², 2pq, -2p² for 2, 1, 0 ALT
  copies at ALT frequency p, uncorrelated with the dosage); mode
  ``"epistatic"``: an additive effect per site plus pairwise interactions of
  the causal sites taken two by two (the product of their standardized
  dosages, which no site's dosage predicts on its own). ``nonadditive_share``
  of the genetic variance (default 0.5) is the non-additive part, in the
  ancestral population; the liability is still genetic value + sex + Normal
  noise, so the Bayes-optimal probabilities stay exact
  (``tests/test_simulate_nonadditive.py`` checks them against Monte Carlo).
  The epistatic mode is a hard case on purpose, not a typical trait: centring
  the dosages before taking the product puts *all* of the interaction's
  variance into the epistatic component (none of it shows as a marginal,
  additive effect of either site), and half of the genetic variance is then
  purely epistatic. Interactions between genes do exist, but at the allele
  frequencies of common variants most of the variance they create is
  additive (Hill, Goddard & Visscher 2008, PLoS Genet 4:e1000008), and
  estimates for human complex traits find little non-additive variance. So
  this mode shows how far a screen that ranks one site at a time can miss an
  interaction, and what an interaction-aware screen recovers
  (:mod:`vcfml.automl.interactions`), rather than how often that happens;
* optional population structure: subpopulations whose allele frequencies drift
  apart by the Balding-Nichols model with a given Fst, and which can have
  different prevalences, so that non-causal sites correlate with the phenotype
  through ancestry alone (confounding, chapter 5).

Two ways to draw the genotypes (``draw_order``), the same model either way:

* ``"row-major"`` (the default, with which the course's datasets are made):
  numpy's binomial draws of the whole matrix, person by person, streamed by
  :class:`~vcfml.simulate.draws.RowMajorDraws`. The phenotype needs the causal
  sites, which sit anywhere in each person's row, so every genotype is drawn
  twice (once for the phenotype, once when written).
* ``"by-block"``, for cohorts of 10^9 calls and more: each block of
  ``STREAM_BLOCK`` sites has its own generator (seeded from the sample seed and
  the block's index), and a genotype is one single-precision uniform read
  through the Hardy-Weinberg distribution's inverse CDF. The phenotype pass then
  draws only the blocks that hold a causal site, and the next block is drawn on
  a second thread while the current one is written (``benchmarks/simulate.py``
  records the rates). Same seed, same cohort, but other random numbers than
  ``"row-major"``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm, poisson

from vcfml.simulate import bayes
from vcfml.simulate.cohort import (
    STREAM_BLOCK,
    StreamedCohort,
    causal_site_records,
    depths_from_draws,
    keyword_signature,
    sample_ids,
)
from vcfml.simulate.draws import RowMajorDraws
from vcfml.simulate.genome import contig_lengths, place_sites
from vcfml.stats.frequency import haploid_in_males

MODES = ("additive", "dominant", "recessive", "dominance", "epistatic")
NONADDITIVE = ("dominance", "epistatic")  # an additive part plus a non-additive one
DRAW_ORDERS = ("row-major", "by-block")
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
    nonadditive_share: float = 0.5
    min_maf: float = 0.05
    spectrum_shape: float = 0.5
    missing_rate: float = 0.01
    n_populations: int = 1
    fst: float = 0.1
    population_prevalences: Sequence[float] | None = None
    include_chrx: bool = True
    seed: int = 0
    sample_seed: int | None = None
    draw_order: str = "row-major"

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
        if self.mode in NONADDITIVE and not 0 <= self.nonadditive_share <= 1:
            problems.append(
                f"nonadditive_share must be between 0 and 1, got {self.nonadditive_share}"
            )
        if self.mode == "epistatic" and self.n_causal < 2:
            problems.append("the epistatic mode pairs causal sites: n_causal must be at least 2")
        if self.draw_order not in DRAW_ORDERS:
            problems.append(
                f"draw_order must be one of {', '.join(DRAW_ORDERS)}, got {self.draw_order!r}"
            )
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
    """Simulate a cohort under the liability-threshold model (see the module doc).

    Every argument is a keyword, a field of :class:`LiabilityModel`:

    - ``n_samples``, ``n_sites``: people and variant sites;
    - ``n_causal``: how many sites (autosomal, chosen at random) carry an effect;
    - ``h2``: the share of the liability's variance explained by the causal sites;
    - ``prevalence``: the expected share of cases (``population_prevalences``: one
      per subpopulation instead);
    - ``sex_effect``: what being male adds to the liability;
    - ``mode``: how an allele acts: ``"additive"``, ``"dominant"``,
      ``"recessive"``, or not additively, ``"dominance"`` and ``"epistatic"``,
      with ``nonadditive_share`` of the genetic variance non-additive;
    - ``min_maf``, ``spectrum_shape``: allele frequencies are Beta(a, a) with
      a = ``spectrum_shape``, kept at minor-allele frequency >= ``min_maf``;
    - ``missing_rate``: the share of calls written as missing (``./.``);
    - ``n_populations``, ``fst``: subpopulations drifted apart by ``fst``
      (Balding-Nichols): structure that confounds;
    - ``include_chrx``: put sites on chrX too (men haploid outside the PARs);
    - ``seed``: the model (sites, frequencies, effects); ``sample_seed``: the
      people, so the same ``seed`` with another ``sample_seed`` is a new cohort
      from the same model (a test cohort);
    - ``draw_order``: ``"row-major"`` (the course's datasets) or ``"by-block"``
      (large cohorts, drawn and written block by block).

    Returns a cohort whose ``write(folder)`` writes ``cohort.vcf.gz``,
    ``samples.tsv`` and ``truth.json``.
    """
    model = LiabilityModel(**parameters)
    model.check()
    # Two independent streams: one draws the model (sites, frequencies, causal
    # effects, thresholds), the other the people. Same seed and another
    # sample_seed give new people from the very same model: a test cohort.
    rng = np.random.default_rng([model.seed, 1])
    people_seed = model.seed if model.sample_seed is None else model.sample_seed
    people = np.random.default_rng([people_seed, 2])
    contigs = contig_lengths(include_chrx=model.include_chrx)
    variants = place_sites(model.n_sites, contigs, rng)
    is_chrx = (variants["chrom"] == "chrX").to_numpy()
    haploid_sites = haploid_in_males(variants["chrom"], variants["pos"], "GRCh38")

    ancestral_af = _allele_frequencies(model.n_sites, model, rng)
    population_af = _diverge(ancestral_af, model, rng)  # (n_populations, n_sites)
    autosomal = np.flatnonzero(~is_chrx)
    causal = np.sort(rng.choice(autosomal, size=model.n_causal, replace=False))
    additive_mode = "additive" if model.mode in NONADDITIVE else model.mode
    share = model.nonadditive_share if model.mode in NONADDITIVE else 0.0
    causal_af = ancestral_af[causal]
    effects = rng.standard_normal(model.n_causal)
    effects *= np.sqrt(
        model.h2 * (1 - share) / np.sum(effects**2 * _coded_variance(causal_af, additive_mode))
    )
    coding_mean = _coded_mean(causal_af, additive_mode)
    nonadditive = _NonAdditive.draw(model, causal_af, share, rng)

    def genetic_value(causal_genotypes: np.ndarray) -> np.ndarray:
        additive = (_code(causal_genotypes, additive_mode) - coding_mean) @ effects
        return additive + nonadditive.value(causal_genotypes)

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
    if model.draw_order == "by-block":
        by_block = GenotypesByBlock(
            people_seed, population_af, population, male, haploid_sites, model.missing_rate
        )
        causal_genotypes = by_block.genotypes_at(causal)
    else:
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

    if model.draw_order == "by-block":
        blocks = by_block.blocks
    else:
        blocks = _row_major_blocks(
            model, people, genotype_state, population_af, population, male, haploid_sites
        )

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
            **nonadditive.site_columns(),
        ),
        **nonadditive.truth(variants, causal),
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
    cohort = StreamedCohort(
        variants,
        samples,
        contigs,
        truth,
        haploid=male,
        haploid_sites=haploid_sites,
        draw_blocks=blocks,
    )
    # Each person's Bayes-optimal case probability (what truth.json summarizes).
    cohort.case_probability = cohort_probability
    return cohort


simulate_liability.__signature__ = keyword_signature(LiabilityModel, StreamedCohort)


@dataclass(frozen=True)
class _NonAdditive:
    """The non-additive part of the genetic value (modes ``dominance`` and
    ``epistatic``; zero otherwise), scaled to ``share`` x h2 of the variance."""

    mode: str
    af: np.ndarray  # ancestral ALT frequency of each causal site
    dominance: np.ndarray | None = None  # per causal site
    pairs: np.ndarray | None = None  # (n_pairs, 2) indices into the causal sites
    interaction: np.ndarray | None = None  # per pair

    @classmethod
    def draw(cls, model: LiabilityModel, af: np.ndarray, share: float, rng) -> _NonAdditive:
        if model.mode == "dominance":
            d = rng.standard_normal(len(af))
            d *= np.sqrt(model.h2 * share / np.sum(d**2 * (2 * af * (1 - af)) ** 2))
            return cls(model.mode, af, dominance=d)
        if model.mode == "epistatic":
            n_pairs = len(af) // 2
            pairs = np.arange(2 * n_pairs).reshape(n_pairs, 2)
            g = rng.standard_normal(n_pairs)
            g *= np.sqrt(model.h2 * share / np.sum(g**2))  # each product has variance 1
            return cls(model.mode, af, pairs=pairs, interaction=g)
        return cls(model.mode, af)

    def value(self, genotypes: np.ndarray) -> np.ndarray:
        p, q = self.af, 1 - self.af
        if self.dominance is not None:
            g = genotypes
            deviation = np.where(g == 2, -2 * q**2, np.where(g == 1, 2 * p * q, -2 * p**2))
            return deviation @ self.dominance
        if self.pairs is not None:
            x = (genotypes - 2 * p) / np.sqrt(2 * p * q)
            return (x[:, self.pairs[:, 0]] * x[:, self.pairs[:, 1]]) @ self.interaction
        return np.zeros(len(genotypes))

    def site_columns(self) -> dict:
        return {} if self.dominance is None else {"dominance_effect": self.dominance}

    def truth(self, variants: pd.DataFrame, causal: np.ndarray) -> dict:
        if self.pairs is None:
            return {}
        ids = variants["id"].to_numpy()[causal]
        return {
            "interactions": [
                {"sites": [str(ids[a]), str(ids[b])], "effect": round(float(effect), 6)}
                for (a, b), effect in zip(self.pairs, self.interaction, strict=True)
            ]
        }


def _row_major_blocks(
    model, people, genotype_state, population_af, population, male, haploid_sites
):
    """The written blocks of the ``"row-major"`` draw order: genotypes drawn again
    from ``genotype_state``, missing calls and depths from where ``people`` is now."""
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

    return blocks


class GenotypesByBlock:
    """Genotypes, missing calls and depths of the ``"by-block"`` draw order.

    Block ``b`` (sites ``b * STREAM_BLOCK`` onwards) is drawn by its own generator,
    ``default_rng([seed, 3, b])``: first the genotypes, then the missing calls,
    then (only when wanted) the depths. So any block can be drawn alone, in any
    order, and always gives the same values: the phenotype pass draws just the
    blocks holding causal sites, and the writer's next block is drawn on another
    thread (numpy releases the GIL while it fills and compares arrays).

    A genotype is one uniform ``u`` read through the Hardy-Weinberg inverse CDF:
    dosage = [u < P(dosage >= 1)] + [u < P(dosage = 2)], i.e. 1 - (1 - p)^2 and
    p^2 for a diploid call, p and 0 for a haploid one. Single precision: each
    probability is off by less than 2^-24 (absolute; the smallest the model uses,
    p^2 at its frequency floor of 1e-3, is 1e-6).
    """

    def __init__(self, seed, population_af, population, male, haploid_sites, missing_rate):
        self.seed, self.population, self.male = seed, population, male
        self.haploid_sites, self.missing_rate = haploid_sites, missing_rate
        # Site-major tables (sites, populations): a block is drawn site by site,
        # each site's people contiguous, the order in which the writer reads it
        # (samples x sites views in Fortran order), so that 10,000 people's calls
        # of a site sit in one stretch of memory rather than 10,000 cache lines.
        frequency = np.ascontiguousarray(population_af.T, dtype=np.float32)
        self.frequency = frequency
        self.at_least_one = 1 - (1 - frequency) ** 2
        self.two_copies = frequency**2
        self.n_sites = population_af.shape[1]

    def _per_person(self, table: np.ndarray, sites) -> np.ndarray:
        """(sites, people) values of a (sites, populations) table; one column
        broadcast when there is one population."""
        if table.shape[1] == 1:
            return table[sites]
        return table[sites][:, self.population]

    def _genotypes(self, generator: np.random.Generator, start: int) -> np.ndarray:
        """(people, sites) dosages, a Fortran-order view of a site-major draw."""
        sites = slice(start, min(start + STREAM_BLOCK, self.n_sites))
        n_sites = sites.stop - start
        uniform = generator.random((n_sites, len(self.population)), dtype=np.float32)
        dosage = (uniform < self._per_person(self.at_least_one, sites)).view(np.int8)
        dosage += (uniform < self._per_person(self.two_copies, sites)).view(np.int8)
        haploid, men = np.flatnonzero(self.haploid_sites[sites]), np.flatnonzero(self.male)
        if men.size and haploid.size:  # one copy: P(dosage = 1) = p
            frequency = self.frequency[start + haploid]
            frequency = frequency if frequency.shape[1] == 1 else frequency[:, self.population[men]]
            cells = np.ix_(haploid, men)
            dosage[cells] = uniform[cells] < frequency
        return dosage.T

    def _generator(self, start: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, 3, start // STREAM_BLOCK])

    def genotypes_at(self, sites: np.ndarray) -> np.ndarray:
        """True genotypes (no missing calls) at ``sites``, drawing only their blocks."""
        out = np.empty((len(self.population), len(sites)), dtype=np.int8)
        for start in np.unique(np.asarray(sites) // STREAM_BLOCK * STREAM_BLOCK):
            inside = (sites >= start) & (sites < start + STREAM_BLOCK)
            out[:, inside] = self._genotypes(self._generator(start), start)[
                :, sites[inside] - start
            ]
        return out

    def block(self, start: int, with_depth: bool) -> tuple[np.ndarray, np.ndarray | None]:
        """(observed genotypes, depth or None) of the block starting at ``start``."""
        generator = self._generator(start)
        genotypes = self._genotypes(generator, start)
        site_major = genotypes.shape[::-1]
        missing = (generator.random(site_major, dtype=np.float32) < self.missing_rate).T
        genotypes[missing] = -1
        depth = (
            depths_from_draws(_poisson_30(generator, site_major).T, missing) if with_depth else None
        )
        return genotypes, depth

    def blocks(self, with_depth: bool = True):
        """Every block in order, the next one drawn on a second thread meanwhile."""
        starts = range(0, self.n_sites, STREAM_BLOCK)
        with ThreadPoolExecutor(max_workers=1) as ahead:
            pending = [ahead.submit(self.block, start, with_depth) for start in starts[:1]]
            for start in starts[1:]:
                pending.append(ahead.submit(self.block, start, with_depth))
                yield pending.pop(0).result()
            if pending:
                yield pending.pop(0).result()


@functools.cache
def _poisson_30_quantiles() -> np.ndarray:
    """Poisson(30)'s quantiles at the midpoints of 65,536 equal slices of (0, 1)."""
    return poisson.ppf((np.arange(2**16) + 0.5) / 2**16, 30).astype(np.uint8)


def _poisson_30(generator: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Poisson(30) read depths by inverse CDF on 16-bit uniforms: each depth's
    probability within 2^-16 of Poisson's, at about a tenth of
    ``generator.poisson``'s cost (timed on this project's 2-core machine)."""
    return _poisson_30_quantiles()[generator.integers(0, 2**16, shape, dtype=np.uint16)]


def _parameters(model: LiabilityModel) -> dict:
    values = asdict(model)
    values.pop("seed")
    if values["sample_seed"] is None:
        values.pop("sample_seed")
    if values["mode"] not in NONADDITIVE:  # truth.json as before the non-additive modes
        values.pop("nonadditive_share")
    if values["draw_order"] == "row-major":  # the default: truth.json as before it existed
        values.pop("draw_order")
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
