"""Population-genetic statistics on dosage matrices: plain functions over arrays.

``ld``: linkage disequilibrium (r² between sites, tag sets, LD decay) and the
site-frequency spectrum; ``ld_plots``: their figures and a PCA of the cohort.
"""

from vcfml.stats.ld import adjacent_r2, ld_decay, ld_r2, site_frequency_spectrum, tag_sets

__all__ = ["adjacent_r2", "ld_decay", "ld_r2", "site_frequency_spectrum", "tag_sets"]
