"""Allele frequency, missingness and Hardy-Weinberg, over dosage arrays.

All functions take the (n_samples, n_sites) dosage matrix of
:func:`vcfml.read_vcf` (copies of the ALT allele, -1 for a missing call) and
return one value per site, like ``sgkit`` and ``scikit-allel``.

**Ploidy.** A dosage alone does not say how many alleles a call has: a male's
non-PAR chrX call ``1`` (haploid) and a female's ``0/1`` both have dosage 1,
but the first is one ALT allele out of one and the second one out of two.
The functions therefore take a ``ploidy`` argument: alleles per call,
anything that broadcasts to the dosage matrix. ``2`` (the default) suits
autosomes; :func:`vcfml.genome.call_ploidy` builds the array from the chromosome, the
pseudo-autosomal regions (PAR) and each sample's sex, which is how PLINK 2
decides it too (``--split-par``, the ``.psam`` SEX column). The VCF reader knows
each call's ploidy from the file and passes it directly.

**One copy written as two.** Many callers (GATK, DeepVariant) write a man's
non-PAR chrX calls, and chrY or mitochondrial calls, as diploid genotypes
(``0/0``, ``1/1``) unless told each sample's ploidy. A dosage of 2 where the
ploidy is 1 shows it: a haploid call cannot be 2. Such a sample's calls at its
one-copy sites count half their dosage (:func:`haploid_dosage`): ``1/1`` is one
ALT allele, and a heterozygous ``0/1`` half of one, which is what PLINK 2
(2.00a3.5) does with them (checked in ``tests/test_stats.py``). The dosage
matrix does not keep how each call was written, so the rule is decided per
sample over all its one-copy sites: a sample written diploid but with no
``1/1`` among them is read as written haploid, and its ``0/1`` calls then
count as one ALT allele.

**The one definition of allele frequency** used everywhere in vcfml (the
reader's ``af`` column, ``vcfml inspect``, the AutoML screen's MAF filter, VCF
Zarr, the Azure table, ``vcfml scan``'s ``a1_freq``): ALT alleles among the
called alleles, ``sum(dosage) / sum(ploidy)`` over the called genotypes of the
site, with the rule above for one copy written as two. It is PLINK 2's
``--freq`` definition (a male chrX call counts once).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# The genome's contigs, PARs and ploidy rule live in vcfml.genome (one copy);
# these names stay importable from here.
from vcfml.genome import (  # noqa: F401
    MT_NAMES,
    PAR_BOUNDS,
    X_NAMES,
    Y_NAMES,
    call_ploidy,
    haploid_in_males,
    one_copy_contig,
)

BLOCK_COLUMNS = 4096  # sites handled at a time, to bound memory


def written_diploid(genotypes: np.ndarray, ploidy: np.ndarray | int = 2) -> np.ndarray | None:
    """Per sample: were its one-copy calls (ploidy 1) written as diploid
    genotypes? True when any of them has dosage 2, which a haploid call cannot
    have (see the module docstring). ``None`` when no sample was."""
    if np.ndim(ploidy) == 0 and int(np.asarray(ploidy)) != 1:
        return None
    ploidy = ploidy_like(ploidy, genotypes.shape)
    found = np.zeros(genotypes.shape[0], dtype=bool)
    for start in range(0, genotypes.shape[1], BLOCK_COLUMNS):
        block = genotypes[:, start : start + BLOCK_COLUMNS]
        found |= ((block == 2) & (ploidy[:, start : start + BLOCK_COLUMNS] == 1)).any(axis=1)
    return found if found.any() else None


def ploidy_like(ploidy: np.ndarray | int, shape: tuple[int, ...]) -> np.ndarray:
    """``ploidy`` (a number, or an array that broadcasts) as an int8 array of the
    genotypes' ``shape``, read only.

    A ploidy with other rows than the genotypes is the usual slip after selecting
    some samples' rows of the genotypes only; numpy's broadcasting error ("operands
    could not be broadcast together with remapped shapes") does not say that, so
    this one does.
    """
    values = np.asarray(ploidy, dtype=np.int8)
    try:
        return np.broadcast_to(values, shape)
    except ValueError:
        rows = "" if values.ndim < 2 else f" {values.shape[0]} rows (samples) for {shape[0]}:"
        raise ValueError(
            f"ploidy has shape {values.shape} but the genotypes {tuple(shape)}:{rows} it needs "
            "one row per sample (row of the genotypes) and one column per site, or one "
            "number for all. If you took some samples' rows of the genotypes "
            "(genotypes[rows]), take the same rows of ploidy (ploidy[rows])."
        ) from None


def haploid_dosage(genotypes: np.ndarray, ploidy: np.ndarray | int = 2) -> np.ndarray:
    """ALT copies per call counted with each call's ploidy (-1 missing): a
    one-copy call (ploidy 1) of a sample that wrote them diploid counts half its
    dosage (``1/1`` -> 1, ``0/1`` -> 0.5), as PLINK 2 reads it; every other call
    as it is. Float32 when anything was halved, else ``genotypes`` itself."""
    halved = written_diploid(genotypes, ploidy)
    if halved is None:
        return genotypes
    ploidy = ploidy_like(ploidy, genotypes.shape)
    values = genotypes.astype(np.float32)
    half = halved[:, None] & (ploidy == 1) & (genotypes > 0)
    values[half] /= 2
    return values


def allele_counts(
    genotypes: np.ndarray, ploidy: np.ndarray | int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """ALT alleles and called alleles per site (missing calls excluded).

    One-copy calls written diploid count half their dosage (:func:`haploid_dosage`);
    the ALT counts are then float (a ``0/1`` there is half an allele, as in PLINK 2's
    ``ALT_CTS``), otherwise integers."""
    n_sites = genotypes.shape[1]
    genotypes = haploid_dosage(genotypes, ploidy)
    count_type = np.float64 if genotypes.dtype.kind == "f" else np.int64
    ploidy = ploidy_like(ploidy, genotypes.shape)
    alt = np.zeros(n_sites, dtype=count_type)
    total = np.zeros(n_sites, dtype=np.int64)
    for start in range(0, n_sites, BLOCK_COLUMNS):
        block = genotypes[:, start : start + BLOCK_COLUMNS]
        called = block >= 0
        alt[start : start + BLOCK_COLUMNS] = np.where(called, block, 0).sum(
            axis=0, dtype=count_type
        )
        total[start : start + BLOCK_COLUMNS] = np.where(
            called, ploidy[:, start : start + BLOCK_COLUMNS], 0
        ).sum(axis=0, dtype=np.int64)
    return alt, total


def allele_frequency(genotypes: np.ndarray, ploidy: np.ndarray | int = 2) -> np.ndarray:
    """ALT allele frequency per site among called alleles (NaN if nothing is called)."""
    alt, total = allele_counts(genotypes, ploidy)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, alt / np.maximum(total, 1), np.nan)


def minor_allele_frequency(frequency: np.ndarray) -> np.ndarray:
    """min(p, 1 - p); a site with no calls gets 0 (it is never kept by a MAF filter)."""
    frequency = np.nan_to_num(np.asarray(frequency, dtype=float), nan=0.0)
    return np.minimum(frequency, 1 - frequency)


def mean_dosage(genotypes: np.ndarray) -> np.ndarray:
    """Mean dosage over called genotypes (0 where nothing is called): the value
    that fills a missing call before a model sees it."""
    n_sites = genotypes.shape[1]
    means = np.zeros(n_sites)
    for start in range(0, n_sites, BLOCK_COLUMNS):
        block = genotypes[:, start : start + BLOCK_COLUMNS]
        called = block >= 0
        counts = called.sum(axis=0)
        totals = np.where(called, block, 0).sum(axis=0, dtype=np.int64)
        means[start : start + BLOCK_COLUMNS] = totals / np.maximum(counts, 1)
    return means


def missingness(genotypes: np.ndarray, axis: int = 0) -> np.ndarray:
    """Fraction of missing calls per site (``axis=0``) or per sample (``axis=1``)."""
    if genotypes.size == 0:
        return np.zeros(genotypes.shape[1 - axis])
    return (genotypes < 0).mean(axis=axis)


def hardy_weinberg(genotypes: np.ndarray, ploidy: np.ndarray | int = 2) -> pd.DataFrame:
    """Hardy-Weinberg chi-square test (1 degree of freedom) per site.

    Only diploid called genotypes count (a haploid male chrX call has no
    heterozygote to test). Columns: ``hom_ref``, ``het``, ``hom_alt`` counts,
    the observed and expected heterozygosity, ``chi2`` and ``pvalue`` (NaN for a
    site with fewer than one of either allele). PLINK 2's ``--hardy`` uses the
    exact test; for sites with expected counts of 5 or more in every class both
    agree closely, and the exact test is better for rare variants.
    """
    from scipy import special  # here: reading a VCF (this module) need not import scipy

    ploidy = ploidy_like(ploidy, genotypes.shape)
    diploid = ploidy == 2
    counts = [((genotypes == value) & diploid).sum(axis=0) for value in (0, 1, 2)]
    hom_ref, het, hom_alt = (np.asarray(c, dtype=float) for c in counts)
    n = hom_ref + het + hom_alt
    with np.errstate(invalid="ignore", divide="ignore"):
        p = (2 * hom_alt + het) / (2 * n)
        expected = np.stack([n * (1 - p) ** 2, 2 * n * p * (1 - p), n * p**2])
        observed = np.stack([hom_ref, het, hom_alt])
        chi2 = ((observed - expected) ** 2 / expected).sum(axis=0)
    testable = (n > 0) & (p > 0) & (p < 1)
    chi2 = np.where(testable, chi2, np.nan)
    return pd.DataFrame(
        {
            "hom_ref": hom_ref.astype(np.int64),
            "het": het.astype(np.int64),
            "hom_alt": hom_alt.astype(np.int64),
            "het_observed": np.where(n > 0, het / np.maximum(n, 1), np.nan),
            "het_expected": np.where(n > 0, 2 * p * (1 - p), np.nan),
            "chi2": chi2,
            "pvalue": special.chdtrc(1, chi2),
        }
    )
