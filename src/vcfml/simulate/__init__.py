"""Simulate cohorts with a known answer, written as real VCF files.

Two models: :func:`simulate_classic`, the 2019 workshop's generator, and
:func:`simulate_liability`, a liability-threshold model of a complex trait.
Both are deterministic for a given seed and return a :class:`SimulatedCohort`
whose ``write`` method produces ``cohort.vcf.gz``, ``samples.tsv`` and
``truth.json``.
"""

from vcfml.simulate.classic import simulate_classic
from vcfml.simulate.cohort import SimulatedCohort
from vcfml.simulate.liability import LiabilityModel, simulate_liability

MODELS = {"classic": simulate_classic, "liability": simulate_liability}


def simulate(model: str = "liability", **parameters) -> SimulatedCohort:
    """Simulate a cohort with the named model (``classic`` or ``liability``)."""
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
    return MODELS[model](**parameters)


__all__ = [
    "MODELS",
    "LiabilityModel",
    "SimulatedCohort",
    "simulate",
    "simulate_classic",
    "simulate_liability",
]
