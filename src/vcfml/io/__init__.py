"""Reading and writing the files the course uses: VCF/BCF and sample tables.

This part of vcfml only moves data between files and arrays; the methods that
analyse the arrays live elsewhere, as in scikit-allel and sgkit.
"""

from vcfml.io.samples_table import read_samples_table
from vcfml.io.vcf_reader import GenotypeMatrix, read_vcf, read_vcf_blocks
from vcfml.io.vcf_writer import write_vcf

__all__ = ["GenotypeMatrix", "read_samples_table", "read_vcf", "read_vcf_blocks", "write_vcf"]
