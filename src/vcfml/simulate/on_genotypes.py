"""A phenotype with a known answer on anyone's genotypes (real ones included).

The other simulators draw their own people. Real genotypes (HapMap 3 in
``data/hapmap3/``) have real allele frequencies, population structure and
missing calls, but no phenotype with a known cause; this module gives them one,
the way GCTA's ``--simu-qt`` / ``--simu-cc`` do (Yang et al. 2011, AJHG 88:76):

* ``causal`` sites: a number drawn at random among the autosomal sites with
  minor-allele frequency >= ``min_maf`` in these samples, or a list of IDs;
* each causal site's genotype is standardised with its mean and SD **in these
  samples** (dosage minus its mean, over its SD); a missing call is set to the
  mean (standardised value 0), as GCTA does, so it adds nothing to the
  liability;
* effects per standardised genotype are drawn from N(0, 1) and then scaled so
  that the variance of the genetic value over these samples is exactly ``h2``:
  the heritability on the liability scale, realised in this cohort;
* liability = genetic value + ``sex_effect`` (males) + the population's shift
  (``population_effects``) + a normal residual with variance ``1 - h2``;
* binary trait (``prevalence``): a case has liability above a threshold chosen
  so that the *expected* share of cases in these samples equals the prevalence
  (the realised share varies by chance, as in a study); quantitative trait
  (``prevalence=None``): the phenotype is the liability itself.

Because the genetic, sex and population parts are fixed given the samples,
each sample's probability of being a case is known exactly,
Phi((mean liability - threshold) / sqrt(1 - h2)); ``truth.json`` records it for
every sample together with the Bayes-optimal accuracy and AUC it implies (the
ceiling of any model that sees genotypes, sex and population). For a
quantitative trait the ceiling is the R² of the expected phenotype.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.stats import norm

from vcfml.errors import VcfmlInputError
from vcfml.io.paths import folder_written_whole
from vcfml.io.samples_table import read_samples_table
from vcfml.io.vcf_reader import read_vcf, variant_labels
from vcfml.simulate import bayes
from vcfml.simulate.cohort import SAMPLES_NAME, TRUTH_NAME

NON_AUTOSOMAL = frozenset({"X", "Y", "MT", "M", "chrX", "chrY", "chrM", "chrMT"})
MISSING_CALLS = (
    "missing calls are set to the site's mean dosage in these samples (standardised "
    "value 0, as GCTA does): they add nothing to the liability"
)


@dataclass
class PhenotypeOnGenotypes:
    """A simulated phenotype: ``samples`` (sample_id, [sex], [population],
    phenotype) and ``truth`` (the JSON-ready model and its answer)."""

    samples: pd.DataFrame
    truth: dict

    def write(self, directory: str | PathLike[str], *, if_exists: str = "update") -> Path:
        """Write ``samples.tsv`` and ``truth.json`` into ``directory``, both or
        neither (a temporary sibling folder renamed into place; ``if_exists`` as
        :meth:`vcfml.simulate.cohort.SimulatedCohort.write`)."""
        with folder_written_whole(directory, if_exists) as folder:
            self.samples.to_csv(folder / SAMPLES_NAME, sep="\t", index=False, lineterminator="\n")
            (folder / TRUTH_NAME).write_text(json.dumps(self.truth, indent=2) + "\n")
        return Path(directory)


def simulate_phenotype(
    genotypes: np.ndarray,
    variants: pd.DataFrame,
    sample_ids: Sequence[str],
    *,
    causal: int | Sequence[str] = 10,
    h2: float = 0.5,
    prevalence: float | None = 0.2,
    male: np.ndarray | None = None,
    sex_effect: float = 0.0,
    population: Sequence[str] | None = None,
    population_effects: Mapping[str, float] | None = None,
    min_maf: float = 0.01,
    seed: int = 0,
) -> PhenotypeOnGenotypes:
    """Simulate a phenotype on a genotype matrix (see the module doc for the model).

    Args:
        genotypes: (n_samples, n_sites) ALT dosages, -1 missing (as ``read_vcf``).
        variants: the sites table (chrom, pos, id, ref, alt).
        sample_ids: one name per row of ``genotypes``.
        causal: how many causal sites to draw, or their IDs (or
            ``chrom:pos:ref:alt`` labels, see ``variant_labels``).
        h2: heritability on the liability scale, in (0, 1).
        prevalence: expected share of cases; None for a quantitative trait.
        male: boolean per sample (needed when ``sex_effect`` is not 0).
        sex_effect: liability shift of males, in liability SD.
        population: a label per sample (needed with ``population_effects``).
        population_effects: liability shift per population label (others: 0).
        min_maf: smallest minor-allele frequency of a randomly drawn causal site.
        seed: the random seed (causal sites, effects, residuals).

    Raises:
        ValueError: a parameter is out of range or an input is missing.
    """
    genotypes = np.asarray(genotypes)
    n_samples, n_sites = genotypes.shape
    _check(h2, prevalence, min_maf, sex_effect, male, population_effects, population, n_samples)
    rng = np.random.default_rng([seed, 5])
    called = genotypes >= 0
    counts = called.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(called, genotypes, 0).sum(axis=0) / counts
        square = np.where(called, genotypes.astype(float) ** 2, 0).sum(axis=0) / counts
    sd = np.sqrt(np.maximum(square - mean**2, 0))
    frequency = mean / 2  # ALT frequency of diploid calls (random causal sites are autosomal)
    sites = _causal_sites(causal, variants, sd, frequency, min_maf, rng)

    x = np.where(called[:, sites], genotypes[:, sites], mean[sites]).astype(float)
    x = (x - mean[sites]) / sd[sites]  # standardised; missing calls are 0
    effects = rng.standard_normal(len(sites))
    genetic = x @ effects
    scale = np.sqrt(h2 / genetic.var())
    effects *= scale
    genetic *= scale

    is_male = np.zeros(n_samples, bool) if male is None else np.asarray(male, bool)
    shifts = dict(population_effects or {})
    fixed = sex_effect * is_male
    if population is not None:
        fixed = fixed + np.array([shifts.get(str(label), 0.0) for label in population])
    mean_liability = genetic + fixed
    noise_sd = float(np.sqrt(1 - h2))
    liability = mean_liability + noise_sd * rng.standard_normal(n_samples)

    samples = pd.DataFrame({"sample_id": list(sample_ids)})
    if male is not None:
        samples["sex"] = np.where(is_male, "male", "female")
    if population is not None:
        samples["population"] = list(population)
    truth = {
        "model": "on_genotypes",
        "seed": seed,
        "parameters": {
            "causal": causal if isinstance(causal, int) else list(causal),
            "h2": h2,
            "trait": "quantitative" if prevalence is None else "binary",
            "prevalence": prevalence,
            "sex_effect": sex_effect,
            "population_effects": shifts or None,
            "min_maf": min_maf,
        },
        "missing_calls": MISSING_CALLS,
        "n_samples": n_samples,
        "n_sites": n_sites,
        "causal_sites": _site_records(variants, sites, frequency, effects, sd, mean),
        "sex_effect": {"male": sex_effect, "female": 0.0},
        "population_effects": shifts,
        "genetic_variance": round(float(genetic.var()), 6),
        "noise_sd": round(noise_sd, 6),
    }
    if prevalence is None:
        samples["phenotype"] = np.round(liability, 6)
        truth["bayes_optimal"] = {"cohort": {"r2": round(_expected_r2(mean_liability, h2), 4)}}
        truth["expected_phenotype"] = dict(
            zip(samples["sample_id"], np.round(mean_liability, 6).tolist(), strict=True)
        )
        return PhenotypeOnGenotypes(samples, truth)

    threshold = brentq(
        lambda t: norm.sf((t - mean_liability) / noise_sd).mean() - prevalence,
        mean_liability.min() - 10,
        mean_liability.max() + 10,
        xtol=1e-12,
    )
    probability = norm.sf((threshold - mean_liability) / noise_sd)
    phenotype = (liability > threshold).astype(np.int8)
    samples["phenotype"] = phenotype
    truth["threshold"] = round(float(threshold), 6)
    truth["prevalence"] = {"target": prevalence, "cohort": round(float(phenotype.mean()), 6)}
    truth["bayes_optimal"] = {"cohort": bayes.summary(probability)}
    truth["case_probability"] = dict(
        zip(samples["sample_id"], np.round(probability, 6).tolist(), strict=True)
    )
    return PhenotypeOnGenotypes(samples, truth)


def simulate_on_genotypes(
    vcf: str | PathLike[str],
    *,
    samples_table: str | PathLike[str] | None = None,
    population_column: str = "population",
    **parameters,
) -> PhenotypeOnGenotypes:
    """Read a VCF (and optionally a samples table with ``sex`` and a population
    column) and simulate a phenotype on it with :func:`simulate_phenotype`.

    The samples table must name every sample of the VCF; its ``sex`` column
    (``male``/``female``) is used when present, the population column only when
    ``population_effects`` is given or the column exists (it is copied to
    ``samples.tsv``). ``truth.json`` records the VCF's path and SHA-256.

    Raises:
        VcfmlInputError: the VCF or the table is unreadable or does not match.
    """
    vcf = Path(vcf)
    matrix = read_vcf(vcf)
    male = population = None
    if samples_table is not None:
        male, population = _sex_and_population(
            Path(samples_table), matrix.samples, population_column, parameters
        )
    elif parameters.get("sex_effect"):
        raise VcfmlInputError(vcf, "a sex effect needs a samples table with a sex column")
    elif parameters.get("population_effects"):
        raise VcfmlInputError(vcf, "population effects need a samples table with populations")
    try:
        result = simulate_phenotype(
            matrix.genotypes,
            matrix.variants,
            matrix.samples,
            male=male,
            population=population,
            **parameters,
        )
    except ValueError as error:
        raise VcfmlInputError(vcf, str(error)) from error
    result.truth["genotypes"] = {
        "vcf": str(vcf),
        "sha256": _sha256(vcf),
        "samples_table": None if samples_table is None else str(samples_table),
    }
    return result


def _check(h2, prevalence, min_maf, sex_effect, male, population_effects, population, n_samples):
    problems = []
    if not 0 < h2 < 1:
        problems.append(f"h2 must be between 0 and 1 (exclusive), got {h2}")
    if prevalence is not None and not 0 < prevalence < 1:
        problems.append(f"prevalence must be between 0 and 1 (exclusive), got {prevalence}")
    if not 0 <= min_maf < 0.5:
        problems.append(f"min_maf must be in [0, 0.5), got {min_maf}")
    if n_samples < 2:
        problems.append(f"need at least 2 samples, got {n_samples}")
    if sex_effect and male is None:
        problems.append("a sex effect needs each sample's sex")
    if population_effects and population is None:
        problems.append("population effects need each sample's population")
    if population_effects and population is not None:
        unknown = sorted(set(population_effects) - {str(label) for label in population})
        if unknown:
            problems.append(f"population effects for populations not in the data: {unknown}")
    if problems:
        raise ValueError("; ".join(problems))


def _causal_sites(causal, variants, sd, frequency, min_maf, rng) -> np.ndarray:
    """Column indices of the causal sites, in file order."""
    if isinstance(causal, (int, np.integer)):
        maf = np.minimum(frequency, 1 - frequency)
        autosomal = ~variants["chrom"].astype(str).isin(NON_AUTOSOMAL).to_numpy()
        eligible = np.flatnonzero(autosomal & (sd > 0) & (maf >= min_maf))
        if not 1 <= causal <= len(eligible):
            raise ValueError(
                f"causal must be between 1 and {len(eligible)} (autosomal sites with "
                f"MAF >= {min_maf} here), got {causal}"
            )
        return np.sort(rng.choice(eligible, size=int(causal), replace=False))
    wanted = [str(name) for name in causal]
    if not wanted or len(set(wanted)) != len(wanted):
        raise ValueError("the list of causal sites is empty or names a site twice")
    ids = pd.Series(range(len(variants)), index=variants["id"].astype(str))
    labels = pd.Series(range(len(variants)), index=variant_labels(variants))
    sites = []
    for name in wanted:
        if name in labels.index:
            sites.append(int(labels[name]))
        elif name in ids.index and not isinstance(ids[name], pd.Series):
            sites.append(int(ids[name]))
        else:
            raise ValueError(f"causal site {name!r} is not in the VCF (or its ID is not unique)")
    flat = [name for name, site in zip(wanted, sites, strict=True) if sd[site] == 0]
    if flat:
        raise ValueError(f"causal sites without variation in these samples: {flat}")
    return np.sort(np.array(sites))


def _site_records(variants, sites, frequency, effects, sd, mean) -> list[dict]:
    """truth.json's causal sites; ``effect`` is per ALT copy, so that
    (dosage - 2 * allele_frequency) @ effect gives the genetic value on diploid
    sites, as in the other simulators' truth."""
    order = {site: row for row, site in enumerate(sites)}
    records = []
    for site in sites:
        row = variants.iloc[site]
        standardised = effects[order[site]]
        records.append(
            {
                "chrom": str(row["chrom"]),
                "pos": int(row["pos"]),
                "id": str(row["id"]),
                "ref": str(row["ref"]),
                "alt": str(row["alt"]),
                "allele_frequency": round(float(frequency[site]), 6),
                "dosage_mean": round(float(mean[site]), 6),
                "dosage_sd": round(float(sd[site]), 6),
                "effect_standardised": round(float(standardised), 6),
                "effect": round(float(standardised / sd[site]), 6),
                "mode": "additive",
            }
        )
    return records


def _sex_and_population(path: Path, vcf_samples, column: str, parameters: dict):
    table = read_samples_table(path)
    absent = [name for name in vcf_samples if name not in table.index]
    if absent:
        raise VcfmlInputError(
            path, f"{len(absent)} samples of the VCF are not in the table: {', '.join(absent[:5])}"
        )
    table = table.loc[list(vcf_samples)]
    male = None
    if "sex" in table.columns:
        sex = table["sex"].astype(str).str.lower()
        bad = sorted(set(sex) - {"male", "female"})
        if bad and parameters.get("sex_effect"):
            raise VcfmlInputError(
                path, f"column sex must be male or female for a sex effect, found {bad[:3]}"
            )
        male = None if bad else (sex == "male").to_numpy()
    elif parameters.get("sex_effect"):
        raise VcfmlInputError(path, "a sex effect needs a 'sex' column")
    population = None
    if column in table.columns:
        if table[column].isna().any():
            raise VcfmlInputError(path, f"column {column} has empty values")
        population = table[column].astype(str).tolist()
    elif parameters.get("population_effects"):
        raise VcfmlInputError(path, f"no column {column!r} for the population effects")
    return male, population


def _expected_r2(mean_liability: np.ndarray, h2: float) -> float:
    """R² of predicting the phenotype by its expectation (the best predictor)."""
    explained = mean_liability.var()
    return float(explained / (explained + 1 - h2))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
