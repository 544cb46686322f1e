"""vcfml: machine learning on genomic variant data, from VCF to an explained model.

The library behind the *AutoML on Variants* course. Its parts follow the chapters:

* :mod:`vcfml.io`: read VCF/BCF into a dosage matrix, write VCF (chapter 1);
* :mod:`vcfml.simulate`: cohorts with a known answer (chapter 2);
* :mod:`vcfml.features`: genotypes + covariates + target, ready for a model;
* :mod:`vcfml.stats`: allele frequency, association scan and PCA, as PLINK 2 (chapters 1, 5).
"""

from vcfml.io import GenotypeMatrix, read_samples_table, read_vcf, read_vcf_blocks, write_vcf

__version__ = "0.1.0"

__all__ = [
    "GenotypeMatrix",
    "__version__",
    "read_samples_table",
    "read_vcf",
    "read_vcf_blocks",
    "write_vcf",
]
