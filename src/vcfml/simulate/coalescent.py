"""Realistic genomes: the coalescent with a published demography, and an exact truth.

The other simulators draw every site on its own. Real genomes are not like
that: people share stretches of chromosome inherited from common ancestors,
so nearby sites are correlated (linkage disequilibrium, LD), most variants are
rare, and ancestry shapes allele frequencies everywhere. This module simulates
genealogies backwards in time with msprime (the coalescent with recombination)
under a demographic model from the stdpopsim catalogue (default: HomSap
``OutOfAfrica_3G09``, Gutenkunst et al. 2009: Yoruba, Utah Europeans and Han
Chinese), drops mutations on them, and puts a liability-threshold phenotype on
top of the simulated genotypes.

Choices, and why:

* Mutation rate: the demographic model's own rate (2.35e-8 per base per
  generation for OutOfAfrica_3G09), not the chromosome's default (1.29e-8):
  the model's population sizes were inferred under that rate, so only with it
  does the simulated diversity match the data the model was fitted to. This is
  what stdpopsim's warning about the two rates recommends.
* Recombination: the species' uniform per-chromosome rate. A genetic map is
  used only when stdpopsim has already cached it; vcfml never downloads.
* Sites: biallelic sites only (a site hit by two different mutations is
  dropped); REF is the ancestral allele, ALT the derived one.
* chrX: stdpopsim simulates every chromosome as an autosome (it warns that
  non-autosomal simulation is not supported), so chrX here has the autosomal
  effective size rather than 3/4 of it. Inside PAR1 (GRCh38 chrX:10,001-2,781,479)
  everybody is diploid; outside it a male keeps one of his two simulated
  haplotypes and gets haploid VCF calls. The default chrX window straddles the
  PAR1 boundary so both kinds of site are in every cohort.
* Causal effects: the "alpha model" (Speed et al. 2012, AJHG 91:1011; Speed et
  al. 2017, Nat Genet 49:986): a causal site with ALT frequency p has effect
  variance proportional to [2p(1-p)]^alpha. We use alpha = -1 by default, the
  model behind GCTA-style standardized genotypes, where every causal site
  explains the same variance on average and rarer ones have larger effects.
  Causal sites are autosomal and have a minor-allele frequency of at least
  ``causal_min_maf`` in the simulated population. ``n_causal`` may be in the
  hundreds (a polygenic trait): the effects are scaled to ``h2`` together. Such a
  trait does not make the populations' prevalences alike: under neutral drift the
  expected gap between their mean genetic values does not depend on the number
  of loci (Whitlock 2008, Mol Ecol 17:1885; tests/test_coalescent.py).
* Heritability, threshold and the Bayes-optimal probability: effects are scaled
  so that the causal genotypes explain ``h2`` of the liability's variance in
  the simulated population (train and test people together); the threshold is
  set so that the expected prevalence there is ``prevalence``. Given a person's
  causal genotypes, sex and population, the chance of being a case is then
  exactly Phi((mean liability - threshold) / sd of the noise): the
  Bayes-optimal probability, written for every sample.
* Train and test: one msprime run simulates everybody; people are shuffled and
  split by population, so the test cohort has the same sites, the same causal
  variants and effects, and different people.
"""

from __future__ import annotations

import itertools
import json
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.stats import norm

from vcfml.errors import VcfmlError
from vcfml.simulate import bayes
from vcfml.simulate.cohort import (
    SimulatedCohort,
    causal_site_records,
    keyword_signature,
    sample_ids,
)
from vcfml.simulate.genome import variant_ids
from vcfml.stats.frequency import PAR_BOUNDS, haploid_in_males
from vcfml.stats.ld import ld_r2, tag_sets

# GRCh38 pseudo-autosomal regions of chrX, 1-based inclusive (Genome Reference Consortium).
PAR1, PAR2 = PAR_BOUNDS["GRCh38"]
# On chr22's long (q) arm: the short arm, before the centromere near 15 Mb, is mostly
# unassembled in GRCh38, so real data (1000 Genomes) have no variants there to compare with.
DEFAULT_REGIONS = ("chr22:20000001-22000000",)
DEFAULT_CHRX_REGION = "chrX:2500001-3000000"  # straddles the end of PAR1
TAG_R2 = 0.8
TEST_FOLDER = "test"


@dataclass(frozen=True)
class CoalescentModel:
    """Parameters of the coalescent simulation (see module doc).

    ``populations`` is ``"YRI:500,CEU:500"`` (names and sizes) or ``"YRI,CEU"``
    (names; ``n_samples`` is split evenly). ``n_test_samples`` people more are
    simulated in the same run, split over the populations in the same
    proportions, and written as the test cohort.
    """

    n_samples: int | None = None
    populations: str = "YRI:500,CEU:500"
    regions: Sequence[str] = DEFAULT_REGIONS
    include_chrx: bool = True
    chrx_region: str = DEFAULT_CHRX_REGION
    species: str = "HomSap"
    demography: str = "OutOfAfrica_3G09"
    genetic_map: str | None = None
    n_test_samples: int = 0
    n_causal: int = 10
    h2: float = 0.5
    prevalence: float = 0.3
    sex_effect: float = 0.5
    population_effects: Mapping[str, float] | None = None
    alpha: float = -1.0
    causal_min_maf: float = 0.05
    seed: int = 0
    region_list: tuple[str, ...] = field(init=False, repr=False)
    sizes: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        regions = [self.regions] if isinstance(self.regions, str) else list(self.regions)
        if self.include_chrx and not any(_is_chrx(parse_region(r)[0]) for r in regions):
            regions.append(self.chrx_region)
        object.__setattr__(self, "region_list", tuple(regions))
        object.__setattr__(self, "sizes", parse_populations(self.populations, self.n_samples))

    def check(self) -> None:
        problems = []
        if sum(self.sizes.values()) < 2:
            problems.append("need at least 2 samples")
        if self.n_test_samples < 0:
            problems.append(f"n_test_samples must be >= 0, got {self.n_test_samples}")
        if self.n_causal < 1:
            problems.append(f"n_causal must be at least 1, got {self.n_causal}")
        if not 0 < self.h2 < 1:
            problems.append(f"h2 must be between 0 and 1 (exclusive), got {self.h2}")
        if not 0 < self.prevalence < 1:
            problems.append(f"prevalence must be between 0 and 1, got {self.prevalence}")
        if not 0 <= self.causal_min_maf < 0.5:
            problems.append(f"causal_min_maf must be in [0, 0.5), got {self.causal_min_maf}")
        unknown = set(self.population_effects or {}) - set(self.sizes)
        if unknown:
            problems.append(f"population_effects for populations not simulated: {sorted(unknown)}")
        if problems:
            raise ValueError("; ".join(problems))


def parse_populations(text: str, n_samples: int | None) -> dict[str, int]:
    """``"YRI:500,CEU:500"`` -> sizes; ``"YRI,CEU"`` with n_samples -> an even split."""
    names, sizes = [], []
    for part in str(text).split(","):
        name, _, size = part.strip().partition(":")
        if not name:
            raise ValueError(f"populations: empty name in {text!r}")
        names.append(name)
        if size:
            if not size.isdigit():
                raise ValueError(
                    f"populations: size of {name} must be a whole number, got {size!r}"
                )
            sizes.append(int(size))
    if len(set(names)) != len(names):
        raise ValueError(f"populations: a population is named twice in {text!r}")
    if sizes and len(sizes) != len(names):
        raise ValueError(f"populations: give a size for every population or none: {text!r}")
    if not sizes:
        if n_samples is None:
            raise ValueError("populations without sizes need n_samples (--samples)")
        sizes = _split_evenly(n_samples, len(names))
    elif n_samples is not None and sum(sizes) != n_samples:
        # --samples rescales the given proportions: YRI:500,CEU:500 --samples 200 -> 100 + 100
        sizes = _split_like(n_samples, sizes)
    return dict(zip(names, sizes, strict=True))


def parse_region(text: str) -> tuple[str, int, int]:
    """``chr22:20000001-22000000`` (1-based, inclusive) -> (chrom, start, end)."""
    match = re.fullmatch(r"\s*([^:\s]+):([\d,_]+)-([\d,_]+)\s*", str(text))
    if match is None:
        raise ValueError(f"region {text!r} is not CHROM:START-END, e.g. chr22:20000001-22000000")
    chrom = match.group(1)
    start, end = (int(re.sub(r"[,_]", "", group)) for group in match.group(2, 3))
    if not 1 <= start <= end:
        raise ValueError(f"region {text!r}: need 1 <= START <= END")
    return chrom, start, end


def simulate_coalescent(**parameters) -> CoalescentCohort:
    """Simulate a cohort under the coalescent (see the module doc).

    Every argument is a keyword, a field of :class:`CoalescentModel`:
    ``populations`` (``"YRI:500,CEU:500"``, or names with ``n_samples``),
    ``regions`` (``CHROM:START-END`` windows; ``include_chrx`` adds
    ``chrx_region``), ``species``, ``demography`` and ``genetic_map`` (stdpopsim
    names; a map only if already cached), ``n_test_samples`` (more people into
    ``test/``), the trait's ``n_causal``, ``h2``, ``prevalence``, ``sex_effect``,
    ``population_effects``, ``alpha`` and ``causal_min_maf``, and ``seed``.
    Returns the training cohort; its ``test`` attribute holds the test cohort
    when ``n_test_samples`` > 0, and ``write`` writes it into ``test/``.
    """
    try:
        model = CoalescentModel(**parameters)
    except TypeError as error:
        raise ValueError(str(error)) from error
    model.check()
    species, demography = _catalogue(model)
    rng = np.random.default_rng([model.seed, 3])

    train_sizes = model.sizes
    test_sizes = dict(
        zip(
            train_sizes,
            _split_like(model.n_test_samples, list(train_sizes.values())),
            strict=True,
        )
    )
    total = {name: train_sizes[name] + test_sizes[name] for name in train_sizes}
    regions = _regions(model, species)

    haplotypes, variants, population, tree_sequences = _simulate_regions(
        model, species, demography, regions, total
    )
    n_people = len(population)

    male = rng.random(n_people) < 0.5
    haploid_sites = _haploid_sites(variants)
    pairs = haplotypes.reshape(len(haplotypes), n_people, 2)
    calls = pairs[..., 0] + pairs[..., 1]  # (sites, people) dosages
    # Outside the PARs a man has one X: keep his first haplotype.
    calls[np.ix_(haploid_sites, male)] = pairs[..., 0][np.ix_(haploid_sites, male)]
    del pairs
    del haplotypes

    # Shuffle the people, then split each population into train and test.
    order = rng.permutation(n_people)
    in_test = np.zeros(n_people, dtype=bool)
    for name in train_sizes:
        members = order[population[order] == name]
        in_test[members[train_sizes[name] :]] = True
    train_rows = order[~in_test[order]]
    test_rows = order[in_test[order]]

    trait = _liability_trait(model, calls, variants, male, population, rng)
    threshold, noise_sd = trait["threshold"], trait["noise_sd"]
    causal, p, effects = trait["causal"], trait["frequency"], trait["effects"]
    probability, phenotype = trait["probability"], trait["phenotype"]
    population_shift = trait["population_shift"]

    shared = {
        "model": "coalescent",
        "seed": model.seed,
        "parameters": _parameters(model, train_sizes, test_sizes),
        "sex_effect": {"male": model.sex_effect, "female": 0.0},
        "population_effects": {name: float(population_shift.get(name, 0.0)) for name in total},
        "threshold": round(float(threshold), 6),
        "noise_sd": round(float(noise_sd), 6),
        "tag_r2": TAG_R2,
    }
    parts = {}
    for part, rows in (("train", train_rows), ("test", test_rows)):
        if len(rows) == 0:
            continue
        parts[part] = _cohort(
            part,
            calls[:, rows].T,  # (samples, sites) view, no transposed copy
            variants,
            population[rows],
            male[rows],
            phenotype[rows],
            probability[rows],
            causal,
            p,
            effects,
            haploid_sites,
            species,
            shared,
            model.prevalence,
        )
        parts[part].individuals = rows
        parts[part].tree_sequences = tree_sequences
    train = parts["train"]
    train.test = parts.get("test")
    return train


def _simulate_regions(model, species, demography, regions, sizes):
    """Every region in one msprime run each (the same people in all of them):
    the (sites, 2 n_people) haplotypes, the sites table with a ``region`` column,
    the population of each person, and the tree sequences."""
    blocks, tables, tree_sequences = [], [], []
    population = None
    for index, (chrom, start, end, _) in enumerate(regions):
        seed = int(np.random.default_rng([model.seed, 4, index]).integers(1, 2**31 - 1))
        ts = _simulate_region(model, species, demography, chrom, start, end, sizes, seed)
        haplotypes, variants, population = tree_sequence_haplotypes(ts, chrom)
        variants["region"] = index
        blocks.append(haplotypes)
        tables.append(variants)
        tree_sequences.append(ts)
    variants = pd.concat(tables, ignore_index=True)
    return np.concatenate(blocks, axis=0), variants, population, tree_sequences


def _liability_trait(model, calls, variants, male, population, rng) -> dict:
    """The causal sites, their effects (alpha model), the threshold, each person's
    exact case probability and phenotype, all on everybody simulated.

    ``calls`` is the (sites, people) dosage matrix of train and test together.
    """
    frequency = calls.mean(axis=1) / 2  # autosomal sites are diploid for all
    maf = np.minimum(frequency, 1 - frequency)
    candidates = np.flatnonzero(~_is_chrx_array(variants["chrom"]) & (maf >= model.causal_min_maf))
    if len(candidates) < model.n_causal:
        raise ValueError(
            f"only {len(candidates)} autosomal sites have MAF >= {model.causal_min_maf}; "
            f"cannot choose {model.n_causal} causal sites (simulate longer regions)"
        )
    causal = np.sort(rng.choice(candidates, size=model.n_causal, replace=False))
    p = frequency[causal]
    effects = rng.standard_normal(model.n_causal) * (2 * p * (1 - p)) ** (model.alpha / 2)
    centred = calls[causal].T - 2 * p
    effects *= np.sqrt(model.h2 / np.var(centred @ effects))
    population_shift = pd.Series(model.population_effects or {}, dtype=float)
    mean_liability = (
        centred @ effects
        + model.sex_effect * male
        + population_shift.reindex(population, fill_value=0.0).to_numpy()
    )
    noise_sd = np.sqrt(1 - model.h2)
    # The threshold at which the expected share of cases among everybody simulated
    # is the prevalence; then P(case) = Phi((mean liability - threshold) / noise sd).
    threshold = brentq(
        lambda t: norm.sf((t - mean_liability) / noise_sd).mean() - model.prevalence,
        mean_liability.min() - 10,
        mean_liability.max() + 10,
        xtol=1e-12,
    )
    liability = mean_liability + noise_sd * rng.standard_normal(len(male))
    return {
        "causal": causal,
        "frequency": p,
        "effects": effects,
        "population_shift": population_shift,
        "noise_sd": noise_sd,
        "threshold": threshold,
        "probability": norm.sf((threshold - mean_liability) / noise_sd),
        "phenotype": (liability > threshold).astype(np.int8),
    }


@dataclass
class CoalescentCohort(SimulatedCohort):
    """A :class:`SimulatedCohort` that may carry its test cohort, written to ``test/``.

    ``tree_sequences`` (one per region) and ``individuals`` (the tskit
    individual of each sample) are kept in memory, not written: they let tests
    and curious learners go back to the genealogies.
    """

    test: SimulatedCohort | None = None
    individuals: np.ndarray | None = field(default=None, repr=False)
    tree_sequences: list | None = field(default=None, repr=False)

    def _write_files(self, directory: Path, with_depth: bool | None = None) -> None:
        super()._write_files(directory, with_depth)
        if self.test is not None:  # inside the same temporary folder: written whole too
            (directory / TEST_FOLDER).mkdir()
            self.test._write_files(directory / TEST_FOLDER, with_depth)


simulate_coalescent.__signature__ = keyword_signature(CoalescentModel, CoalescentCohort)


def _cohort(
    part,
    dosages,
    variants,
    population,
    male,
    phenotype,
    probability,
    causal,
    frequency,
    effects,
    haploid_sites,
    species,
    shared,
    prevalence,
) -> CoalescentCohort:
    n = len(phenotype)
    ids = sample_ids(n) if part == "train" else [f"test_{i}" for i in sample_ids(n)]
    samples = pd.DataFrame(
        {
            "sample_id": ids,
            "sex": np.where(male, "male", "female"),
            "population": population,
            "phenotype": phenotype,
        }
    )
    tags = tag_sets(dosages, causal, threshold=TAG_R2, groups=variants["region"].to_numpy())
    records = causal_site_records(
        variants,
        causal,
        allele_frequency=frequency,
        effect=effects,
        mode=["additive"] * len(causal),
    )
    r2_columns = _r2_to(dosages, causal, tags)
    for record, tagged, r2 in zip(records, tags, r2_columns, strict=True):
        record["tags"] = [
            {
                "id": str(variants["id"].iloc[site]),
                "chrom": str(variants["chrom"].iloc[site]),
                "pos": int(variants["pos"].iloc[site]),
                "r2": round(float(value), 4),
            }
            for site, value in zip(tagged, r2, strict=True)
        ]
    truth = {
        **shared,
        "cohort": part,
        "causal_sites": records,
        "prevalence": {"target": prevalence, "cohort": round(float(phenotype.mean()), 6)},
        "bayes_optimal": {"cohort": bayes.summary(probability)},
        "case_probability": {
            sample: round(float(value), 6) for sample, value in zip(ids, probability, strict=True)
        },
    }
    contigs = {
        chrom: species.genome.get_chromosome(_species_id(chrom)).length
        for chrom in dict.fromkeys(variants["chrom"])
    }
    return CoalescentCohort(
        genotypes=dosages,
        depth=None,
        variants=variants[["chrom", "pos", "id", "ref", "alt"]],
        samples=samples,
        contigs=contigs,
        truth=truth,
        haploid=male,
        haploid_sites=haploid_sites,
    )


def _r2_to(dosages: np.ndarray, causal: np.ndarray, tags: list[np.ndarray]) -> list[np.ndarray]:
    return [
        ld_r2(dosages[:, tagged], dosages[:, [site]])[:, 0]
        for site, tagged in zip(causal, tags, strict=True)
    ]


def _catalogue(model: CoalescentModel):
    """The species and demographic model from stdpopsim's built-in catalogue."""
    import stdpopsim

    try:
        species = stdpopsim.get_species(model.species)
    except ValueError as error:
        raise VcfmlError(f"stdpopsim has no species {model.species!r}") from error
    try:
        demography = species.get_demographic_model(model.demography)
    except ValueError as error:
        known = ", ".join(m.id for m in species.demographic_models)
        raise VcfmlError(
            f"stdpopsim species {model.species} has no demographic model {model.demography!r}; "
            f"known: {known}"
        ) from error
    names = [p.name for p in demography.populations if p.allow_samples]
    unknown = [name for name in model.sizes if name not in names]
    if unknown:
        raise VcfmlError(
            f"demographic model {model.demography} has no population {', '.join(unknown)}; "
            f"it samples {', '.join(names)}"
        )
    if model.genetic_map is not None:
        try:
            genetic_map = species.get_genetic_map(model.genetic_map)
        except ValueError as error:
            raise VcfmlError(f"stdpopsim has no genetic map {model.genetic_map!r}") from error
        if not genetic_map.is_cached():
            raise VcfmlError(
                f"genetic map {model.genetic_map} is not in stdpopsim's cache "
                f"({genetic_map.map_cache_dir}); it would need a download, and vcfml never "
                "downloads: leave genetic_map unset for the species' uniform recombination rate"
            )
    return species, demography


def _regions(model: CoalescentModel, species) -> list[tuple[str, int, int, str]]:
    regions = []
    for text in model.region_list:
        chrom, start, end = parse_region(text)
        try:
            length = species.genome.get_chromosome(_species_id(chrom)).length
        except ValueError as error:
            raise VcfmlError(f"region {text}: {model.species} has no chromosome {chrom}") from error
        if end > length:
            raise VcfmlError(f"region {text}: {chrom} has only {length:,} bases")
        regions.append((chrom, start, end, text))
    regions.sort(key=lambda r: (_chromosome_rank(species, r[0]), r[1]))
    for before, after in itertools.pairwise(regions):
        if before[0] == after[0] and after[1] <= before[2]:
            raise VcfmlError(f"regions {before[3]} and {after[3]} overlap")
    return regions


def _simulate_region(model, species, demography, chrom, start, end, sizes, seed):
    """One msprime run over one region: its tree sequence."""
    import stdpopsim

    with warnings.catch_warnings():
        # Both warnings are decisions documented in the module doc: the model's
        # mutation rate on purpose, and chrX simulated as an autosome.
        warnings.filterwarnings("ignore", message=".*[Nn]on-autosomal.*")
        warnings.filterwarnings("ignore", message=".*mutation rate.*")
        contig = species.get_contig(
            _species_id(chrom),
            left=start - 1,
            right=end,
            mutation_rate=demography.mutation_rate,
            genetic_map=model.genetic_map,
        )
        engine = stdpopsim.get_engine("msprime")
        return engine.simulate(demography, contig, dict(sizes), seed=seed)


def tree_sequence_haplotypes(ts, chrom: str):
    """Biallelic sites of a tree sequence as an int8 (n_sites, 2 n_people) matrix.

    Columns are the two haplotypes of each person in turn (person i: columns 2i
    and 2i + 1); POS is the tskit position + 1 (tskit counts from 0, VCF from 1).
    Site-major because that is how tskit decodes them; transposing 10^8 int8
    values costs seconds, so callers keep this layout and take ``.T`` views.
    """
    people = [ts.individual(i) for i in range(ts.num_individuals)]
    nodes = np.array([person.nodes for person in people]).reshape(-1)
    column_of = {node: column for column, node in enumerate(ts.samples())}
    columns = np.array([column_of[node] for node in nodes])
    population_names = [
        json.loads(pop.metadata)["name"]
        if isinstance(pop.metadata, bytes)
        else pop.metadata["name"]
        for pop in ts.populations()
    ]
    population = np.array(
        [population_names[ts.node(person.nodes[0]).population] for person in people], dtype=object
    )
    in_order = np.array_equal(columns, np.arange(len(columns)))
    site_positions = ts.tables.sites.position
    by_site = np.empty((ts.num_sites, len(nodes)), dtype=np.int8)
    keep = np.zeros(ts.num_sites, dtype=bool)
    refs, alts = [], []
    for site, variant in enumerate(ts.variants()):  # variants come in site order
        if len(variant.alleles) != 2:
            continue
        keep[site] = True
        by_site[site] = variant.genotypes if in_order else variant.genotypes[columns]
        refs.append(variant.alleles[0])
        alts.append(variant.alleles[1])
    by_site = by_site[keep]
    positions = site_positions[keep].astype(np.int64) + 1
    variants = pd.DataFrame(
        {
            "chrom": chrom,
            "pos": positions,
            "id": variant_ids([chrom] * len(positions), positions, refs, alts),
            "ref": refs,
            "alt": alts,
        }
    )
    return by_site, variants, population


def _population_name(metadata) -> str:
    return (json.loads(metadata) if isinstance(metadata, bytes) else metadata)["name"]


def _haploid_sites(variants: pd.DataFrame) -> np.ndarray:
    """chrX sites outside PAR1 and PAR2: haploid in men (vcfml.stats' one definition)."""
    return haploid_in_males(variants["chrom"], variants["pos"], "GRCh38")


def _is_chrx(chrom: str) -> bool:
    return chrom in ("chrX", "X")


def _is_chrx_array(chroms: pd.Series) -> np.ndarray:
    return chroms.isin(["chrX", "X"]).to_numpy()


def _species_id(chrom: str) -> str:
    """stdpopsim names human chromosomes without 'chr' (``22``, ``X``)."""
    return chrom[3:] if chrom.startswith("chr") else chrom


def _chromosome_rank(species, chrom: str) -> int:
    ids = [c.id for c in species.genome.chromosomes]
    return ids.index(_species_id(chrom))


def _split_evenly(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def _split_like(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainders first)."""
    weights = np.asarray(weights, dtype=float)
    if total == 0 or weights.sum() == 0:
        return [0] * len(weights)
    exact = total * weights / weights.sum()
    sizes = np.floor(exact).astype(int)
    for i in np.argsort(-(exact - sizes), kind="stable")[: total - sizes.sum()]:
        sizes[i] += 1
    return sizes.tolist()


def _parameters(model: CoalescentModel, train_sizes: dict, test_sizes: dict) -> dict:
    values = asdict(model)
    for key in ("seed", "region_list", "sizes", "regions", "populations", "n_samples"):
        values.pop(key)
    values["regions"] = list(model.region_list)
    values["populations"] = train_sizes
    values["test_populations"] = test_sizes
    if values["population_effects"] is not None:
        values["population_effects"] = dict(values["population_effects"])
    return values
