"""vcfml: machine learning on genomic variant data, from VCF to an explained model.

The library behind the *AutoML on Variants* course. Its parts follow the chapters:

* :mod:`vcfml.io`: read VCF/BCF into a dosage matrix, write VCF (chapter 1);
* :mod:`vcfml.simulate`: cohorts with a known answer (chapter 2);
* :mod:`vcfml.features`: genotypes + covariates + target, ready for a model;
* :mod:`vcfml.automl`: the search, the fitted pipeline and its settings (chapters 3, 4);
* :mod:`vcfml.explain`: importance, SHAP values and recovery of the truth (chapter 5);
* :mod:`vcfml.scale`: the chunked screen of data larger than memory (chapter 6);
* :mod:`vcfml.stats`: allele frequency, association scan and PCA, as PLINK 2 (chapters 1, 5).

The workflow's names are here too (``from vcfml import read_vcf, join_samples,
AutoMLSettings, run_automl, importance_table``). Those of the modelling layer load
on first use: the search engine (FLAML, LightGBM) and SHAP take seconds to import,
and reading a VCF should not pay for them.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from vcfml.io import GenotypeMatrix, read_samples_table, read_vcf, read_vcf_blocks, write_vcf

if TYPE_CHECKING:
    from vcfml.automl import AutoMLResult, AutoMLSettings, FittedModel, run_automl
    from vcfml.explain import association_table, explain_sample, importance_table
    from vcfml.features import Dataset, join_samples
    from vcfml.scale import prescreen, prescreen_vcf

__version__ = "0.1.0"

# name -> the module that defines it, imported on first use (PEP 562)
_LAZY = {
    "Dataset": "vcfml.features",
    "join_samples": "vcfml.features",
    "AutoMLSettings": "vcfml.automl",
    "AutoMLResult": "vcfml.automl",
    "FittedModel": "vcfml.automl",
    "run_automl": "vcfml.automl",
    "importance_table": "vcfml.explain",
    "explain_sample": "vcfml.explain",
    "association_table": "vcfml.explain",
    "prescreen": "vcfml.scale",
    "prescreen_vcf": "vcfml.scale",
}

__all__ = [
    "AutoMLResult",
    "AutoMLSettings",
    "Dataset",
    "FittedModel",
    "GenotypeMatrix",
    "__version__",
    "association_table",
    "explain_sample",
    "importance_table",
    "join_samples",
    "prescreen",
    "prescreen_vcf",
    "read_samples_table",
    "read_vcf",
    "read_vcf_blocks",
    "run_automl",
    "write_vcf",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'vcfml' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
