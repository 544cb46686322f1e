"""What a person wants to know first about a VCF file (``vcfml inspect``).

How many samples and variants, on which contigs, how many calls are missing,
what the allele-frequency spectrum looks like, and whether calls are phased.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from vcfml.genome import MISSING
from vcfml.io.vcf_reader import GenotypeMatrix

MAF_BINS = [0.0, 0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5]


@dataclass(frozen=True)
class VcfSummary:
    """Counts and distributions describing one file."""

    source: str
    n_samples: int
    n_records: int
    n_variants: int
    n_multiallelic_records: int
    contigs: pd.DataFrame
    missing_fraction: float
    sample_missingness: pd.Series
    variant_missingness: pd.Series
    maf_spectrum: pd.Series
    n_phased_sites: int
    filters: pd.Series

    def to_text(self) -> str:
        """A readable report, as printed by ``vcfml inspect``."""
        phased = (
            "no sites"
            if self.n_variants == 0
            else "all sites phased"
            if self.n_phased_sites == self.n_variants
            else "unphased"
            if self.n_phased_sites == 0
            else f"{self.n_phased_sites} of {self.n_variants} sites phased"
        )
        lines = [
            f"file:        {self.source}",
            f"samples:     {self.n_samples}",
            f"records:     {self.n_records} ({self.n_multiallelic_records} multiallelic)",
            f"variants:    {self.n_variants} ALT alleles (one matrix column each)",
            f"phasing:     {phased}",
            f"missing:     {self.missing_fraction:.2%} of calls",
            "",
            "per-sample missing calls: " + _five_numbers(self.sample_missingness),
            "per-variant missing calls: " + _five_numbers(self.variant_missingness),
            "",
            "contigs:",
            _indent(self.contigs.to_string(index=False)),
            "",
            "minor-allele frequency spectrum (variants per bin):",
            _indent(self.maf_spectrum.to_string()),
            "",
            "FILTER:",
            _indent(self.filters.to_string()),
        ]
        return "\n".join(lines)


def maf_bin_labels() -> list[str]:
    """The spectrum's bins as intervals of minor-allele frequency: ``[0, 0.01]``
    (the first holds MAF 0 too), then ``(0.01, 0.05]`` and so on. pandas' own
    labels would show the first as ``(-0.001, 0.01]``, a frequency no site has."""
    edges = [f"{edge:g}" for edge in MAF_BINS]
    return [f"[{edges[0]}, {edges[1]}]"] + [
        f"({low}, {high}]" for low, high in itertools.pairwise(edges[1:])
    ]


def summarize(genotypes: GenotypeMatrix) -> VcfSummary:
    """Summarize a genotype matrix read with :func:`vcfml.read_vcf`."""
    calls = genotypes.genotypes
    variants = genotypes.variants
    missing = calls == MISSING
    records = variants.drop_duplicates(["chrom", "pos", "ref"])
    multiallelic = variants.groupby(["chrom", "pos", "ref"]).size()
    contigs = (
        variants.groupby("chrom", sort=False).agg(
            variants=("pos", "size"), first=("pos", "min"), last=("pos", "max")
        )
    ).reset_index()
    contigs["length"] = contigs["chrom"].map(genotypes.contigs).astype("Int64")
    maf = np.minimum(variants["af"], 1 - variants["af"])
    spectrum = pd.cut(maf, MAF_BINS, labels=maf_bin_labels(), include_lowest=True)
    spectrum = spectrum.value_counts(sort=False)
    spectrum.index = pd.Index(spectrum.index.astype(str), name="MAF")
    return VcfSummary(
        source=str(genotypes.source) if genotypes.source is not None else "in memory",
        n_samples=genotypes.n_samples,
        n_records=len(records),
        n_variants=genotypes.n_variants,
        n_multiallelic_records=int((multiallelic > 1).sum()),
        contigs=contigs,
        missing_fraction=float(missing.mean()) if calls.size else 0.0,
        # Shares over no sites (or no samples) are undefined: empty, printed "n/a",
        # instead of numpy's "Mean of empty slice" warnings.
        sample_missingness=(
            pd.Series(missing.mean(axis=1), index=genotypes.samples)
            if calls.shape[1]
            else pd.Series(dtype=float)
        ),
        variant_missingness=(
            pd.Series(missing.mean(axis=0)) if calls.shape[0] else pd.Series(dtype=float)
        ),
        maf_spectrum=spectrum.rename("variants"),
        n_phased_sites=int(variants["phased"].sum()),
        filters=variants["filter"].value_counts().rename("variants"),
    )


def _five_numbers(values: pd.Series) -> str:
    if values.empty:
        return "n/a"
    q = values.quantile([0, 0.5, 1]).to_numpy()
    return f"min {q[0]:.2%}, median {q[1]:.2%}, max {q[2]:.2%}"


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())
