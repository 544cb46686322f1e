"""Statistics of genotype arrays, sgkit-style: plain functions over the dosage
matrix of :func:`vcfml.read_vcf` and plain tables.

* :mod:`~vcfml.stats.frequency`: the one definition of allele frequency
  (ploidy-aware), missingness, Hardy-Weinberg;
* :mod:`~vcfml.stats.association`: per-site linear and logistic regression
  with covariates; :mod:`~vcfml.stats.score`: the score test the AutoML
  screen ranks by (in memory and streamed alike);
* :mod:`~vcfml.stats.scan`: the whole scan of ``vcfml scan`` with PLINK 2's
  chrX coding;
* :mod:`~vcfml.stats.pca`: principal components as ``plink2 --pca``;
* :mod:`~vcfml.stats.qc`, :mod:`~vcfml.stats.hardy`, :mod:`~vcfml.stats.king`,
  :mod:`~vcfml.stats.prune`: quality control as PLINK 2 does it (missingness,
  heterozygosity, sex check, Hardy-Weinberg exact test, KING kinship, LD
  pruning);
* :mod:`~vcfml.stats.ld`: linkage disequilibrium (r² between sites, tag sets,
  LD decay) and the site-frequency spectrum; ``ld_plots``: their figures.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

# hardy and pca are also the names of their modules: a lazy name would be shadowed
# by the module once anything imports it, so these two load now (numpy and numba,
# which reading a VCF needs anyway).
from vcfml.stats.hardy import hardy, hwe_exact
from vcfml.stats.pca import PCAResult, autosomal, pca, pca_sites, project, relationship_matrix

if TYPE_CHECKING:
    from vcfml.stats.association import (
        ScanResult,
        check_covariates,
        linear_scan,
        logistic_scan,
    )
    from vcfml.stats.frequency import (
        allele_counts,
        allele_frequency,
        call_ploidy,
        haploid_dosage,
        haploid_in_males,
        hardy_weinberg,
        mean_dosage,
        minor_allele_frequency,
        missingness,
        one_copy_contig,
        written_diploid,
    )
    from vcfml.stats.king import king_kinship, king_table, related_pairs
    from vcfml.stats.ld import adjacent_r2, ld_decay, ld_r2, site_frequency_spectrum, tag_sets
    from vcfml.stats.prune import indep_pairwise
    from vcfml.stats.qc import heterozygosity, sample_missingness, sex_check, site_missingness
    from vcfml.stats.scan import SCAN_COLUMNS, association_scan
    from vcfml.stats.score import score_test

# name -> the module that defines it, imported on first use (PEP 562): `vcfml inspect`
# reads a VCF with vcfml.stats.frequency and should not pay for scipy or the plots.
_LAZY = {
    "ScanResult": "vcfml.stats.association",
    "check_covariates": "vcfml.stats.association",
    "linear_scan": "vcfml.stats.association",
    "logistic_scan": "vcfml.stats.association",
    "allele_counts": "vcfml.stats.frequency",
    "allele_frequency": "vcfml.stats.frequency",
    "call_ploidy": "vcfml.stats.frequency",
    "haploid_dosage": "vcfml.stats.frequency",
    "haploid_in_males": "vcfml.stats.frequency",
    "hardy_weinberg": "vcfml.stats.frequency",
    "mean_dosage": "vcfml.stats.frequency",
    "minor_allele_frequency": "vcfml.stats.frequency",
    "missingness": "vcfml.stats.frequency",
    "one_copy_contig": "vcfml.stats.frequency",
    "written_diploid": "vcfml.stats.frequency",
    "king_kinship": "vcfml.stats.king",
    "king_table": "vcfml.stats.king",
    "related_pairs": "vcfml.stats.king",
    "adjacent_r2": "vcfml.stats.ld",
    "ld_decay": "vcfml.stats.ld",
    "ld_r2": "vcfml.stats.ld",
    "site_frequency_spectrum": "vcfml.stats.ld",
    "tag_sets": "vcfml.stats.ld",
    "indep_pairwise": "vcfml.stats.prune",
    "heterozygosity": "vcfml.stats.qc",
    "sample_missingness": "vcfml.stats.qc",
    "sex_check": "vcfml.stats.qc",
    "site_missingness": "vcfml.stats.qc",
    "SCAN_COLUMNS": "vcfml.stats.scan",
    "association_scan": "vcfml.stats.scan",
    "score_test": "vcfml.stats.score",
}

__all__ = [
    "SCAN_COLUMNS",
    "PCAResult",
    "ScanResult",
    "adjacent_r2",
    "allele_counts",
    "allele_frequency",
    "association_scan",
    "autosomal",
    "call_ploidy",
    "check_covariates",
    "haploid_dosage",
    "haploid_in_males",
    "hardy",
    "hardy_weinberg",
    "heterozygosity",
    "hwe_exact",
    "indep_pairwise",
    "king_kinship",
    "king_table",
    "ld_decay",
    "ld_r2",
    "linear_scan",
    "logistic_scan",
    "mean_dosage",
    "minor_allele_frequency",
    "missingness",
    "one_copy_contig",
    "pca",
    "pca_sites",
    "project",
    "related_pairs",
    "relationship_matrix",
    "sample_missingness",
    "score_test",
    "sex_check",
    "site_frequency_spectrum",
    "site_missingness",
    "tag_sets",
    "written_diploid",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'vcfml.stats' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
