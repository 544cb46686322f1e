"""Simulate cohorts with a known answer, written as real VCF files.

Three models: :func:`simulate_classic`, the 2019 workshop's generator,
:func:`simulate_liability`, a liability-threshold model of a complex trait on
independent sites, and :func:`simulate_coalescent`, the same trait on genomes
simulated by the coalescent (msprime + stdpopsim), with linkage disequilibrium
and a real demography. All are deterministic for a given seed and return a :class:`SimulatedCohort`
whose ``write`` method produces ``cohort.vcf.gz``, ``samples.tsv`` and
``truth.json``.

:func:`simulate_on_genotypes` (and :func:`simulate_phenotype` on a matrix) draws
only a phenotype, on genotypes that already exist (real ones, e.g. HapMap 3), the
way GCTA's ``--simu-cc`` / ``--simu-qt`` do; it writes ``samples.tsv`` and
``truth.json``.
"""

from vcfml.simulate.classic import simulate_classic
from vcfml.simulate.coalescent import simulate_coalescent
from vcfml.simulate.cohort import SimulatedCohort
from vcfml.simulate.liability import LiabilityModel, simulate_liability
from vcfml.simulate.on_genotypes import (
    PhenotypeOnGenotypes,
    simulate_on_genotypes,
    simulate_phenotype,
)

MODELS = {
    "classic": simulate_classic,
    "liability": simulate_liability,
    "coalescent": simulate_coalescent,
}


def simulate(model: str = "liability", **parameters) -> SimulatedCohort:
    """Simulate a cohort with the named model (``classic``, ``liability`` or ``coalescent``)."""
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
    return MODELS[model](**parameters)


__all__ = [
    "MODELS",
    "LiabilityModel",
    "PhenotypeOnGenotypes",
    "SimulatedCohort",
    "simulate",
    "simulate_classic",
    "simulate_coalescent",
    "simulate_liability",
    "simulate_on_genotypes",
    "simulate_phenotype",
]
