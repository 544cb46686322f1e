"""The genome-wide association scan as ``vcfml scan`` runs it: every site's
regression with covariates, chrX coded as PLINK 2 codes it, in one table.

**chrX convention (PLINK 2's default, ``--xchr-model 2``).** At a non-PAR
chrX site a male carries one copy, called haploid in the VCF (dosage 0 or 1).
PLINK 2 codes a male's genotype there as 0 or 2, so that a hemizygous male
counts like a homozygous female (the dosage-compensation model: one active X
in each sex), and adds sex as a covariate on chrX, so that the different
coding of the sexes cannot stand in for sex. vcfml does the same: the
default of the PLINK 2 version everybody checks against, and the one that
keeps a sex effect from looking like a chrX association. PAR sites (GRCh38
bounds; ``plink2 --split-par b38`` agrees except at the telomeric ends, see
:data:`vcfml.genome.PAR_BOUNDS`) are treated as autosomal. The effect
(``beta``) is per copy of the ALT allele on the female scale. A man's call
written diploid there (``1/1``, as GATK writes it) counts as one copy, and a
heterozygous one as half a copy (:func:`vcfml.stats.haploid_dosage`), as in
PLINK 2, so either way of writing gives the same result. Without a sex column
chrX is coded like an autosome (PLINK 2 does the same for samples of unknown
sex) and a warning says so.

**chrY and the mitochondrion** are one copy in everyone: dosage 0 or 1 (a call
written diploid counts half its dosage, as above), and on chrY the women's
calls are left out when sex is known, as PLINK 2 does.

The ``a1_freq`` column is the ploidy-aware ALT frequency of
:func:`vcfml.stats.allele_frequency` (a male chrX call counts one allele; on
autosomes, given the reader's ``af``, a haploid call counts one allele too):
``plink2 --freq``'s ``ALT_FREQS`` on every contig. It is not ``plink2 --glm``'s
``A1_FREQ`` on non-PAR chrX, which counts each man as two alleles of the
model's 0/2 coding (0.160 there where ``--freq`` and vcfml give 0.171); on
autosomes the two agree. ``a1`` is always the ALT allele (``--glm omit-ref``):
one row per ALT allele, whatever its frequency.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from vcfml.genome import MISSING, haploid_in_males, on_chry, one_copy_contig
from vcfml.stats.association import (
    ScanResult,
    linear_scan,
    logistic_scan,
    single_threaded_blas,
)
from vcfml.stats.frequency import allele_frequency, haploid_dosage

SCAN_COLUMNS = [
    "chrom", "pos", "id", "ref", "alt", "a1", "a1_freq", "n", "beta", "se", "stat", "pvalue",
]  # fmt: skip


def association_scan(
    genotypes: np.ndarray,
    variants: pd.DataFrame,
    target: np.ndarray,
    design: np.ndarray,
    *,
    binary: bool,
    male: np.ndarray | None = None,
    build: str | None = "GRCh38",
    af: np.ndarray | None = None,
) -> pd.DataFrame:
    """One row per site: PLINK 2's columns of ``--glm`` (see the module docstring).

    ``attrs["not_converged"]`` counts the logistic fits that did not converge
    (NaN rows; the others are monomorphic or collinear with the covariates).

    Args:
        genotypes: (n_samples, n_sites) dosages, -1 missing.
        variants: the reader's variants table (``chrom``, ``pos``, ``id``, ``ref``, ``alt``).
        target: 0/1 (``binary``) or a quantitative value per sample.
        design: intercept + covariates, from :func:`vcfml.stats.check_covariates`.
        male: per sample, True for a male; needed for chrX (None: chrX is coded
            like an autosome, without the sex covariate).
        build: the genome build whose PAR bounds apply (None: all of chrX is non-PAR).
        af: the reader's ``af`` column for these samples (each call's ploidy as
            written in the file): the ``a1_freq`` of autosomal sites, where a
            dosage alone cannot tell a haploid call ``1`` (one ALT allele of one)
            from a diploid ``0/1`` (one of two). None: every call there counts two.
    """
    fit = logistic_scan if binary else linear_scan

    def scan(*args, **kwargs) -> ScanResult:
        # The scans run their blocks of sites on threads of their own: BLAS's
        # threads on top of those only contend for the cores.
        with single_threaded_blas():
            return fit(*args, **kwargs)

    n_sites = genotypes.shape[1]
    on_x = haploid_in_males(variants["chrom"], variants["pos"], build)
    if male is None and on_x.any():
        warnings.warn(
            f"no sex given (a 'sex' column in the samples table): the {int(on_x.sum())} "
            "chrX sites outside the PARs are coded like autosomes, every call counted as "
            "two alleles, as PLINK 2 does for samples of unknown sex",
            stacklevel=2,
        )
    haploid = on_x if male is not None else np.zeros(n_sites, dtype=bool)
    one_copy = one_copy_contig(variants["chrom"])
    frequency = np.empty(n_sites)
    not_converged = np.zeros(n_sites, dtype=bool)
    result = ScanResult(
        *(np.full(n_sites, np.nan) for _ in range(4)), n=np.zeros(n_sites, dtype=np.int64)
    )
    chrom = variants["chrom"].to_numpy().astype(str)
    parts = [
        (np.flatnonzero(~haploid & ~one_copy), "diploid"),
        (np.flatnonzero(haploid & ~one_copy), "x"),
    ]
    # One part per contig: how a sample's calls were written is judged per contig.
    parts += [(np.flatnonzero(chrom == name), "one copy") for name in np.unique(chrom[one_copy])]
    for sites, part in parts:
        if sites.size == 0:
            continue
        calls = genotypes if sites.size == n_sites else genotypes[:, sites]
        if part == "x":
            # PLINK 2's coding: a man's one copy on the scale of a woman's two.
            male_column = np.asarray(male, dtype=float)
            ploidy = (2 - male_column).astype(np.int8)[:, None]
            frequency[sites] = allele_frequency(calls, ploidy)
            site_design = _with_sex(design, male_column)
            fitted = scan(
                haploid_dosage(calls, ploidy), target, site_design,
                dosage_scale=(1 + male_column)[:, None],
            )  # fmt: skip
        elif part == "one copy":
            # chrY and the mitochondrion: one copy in everyone; women have no
            # chrY, so their calls there are left out (as PLINK 2 does).
            if male is not None and on_chry(chrom[sites[:1]])[0]:
                calls = np.where(~np.asarray(male, bool)[:, None], MISSING, calls)
            frequency[sites] = allele_frequency(calls, 1)
            fitted = scan(haploid_dosage(calls, 1), target, design)
        else:
            if af is None:
                frequency[sites] = allele_frequency(calls)
            else:  # the reader's count, haploid calls once (as plink2 --freq's ALT_FREQS)
                frequency[sites] = np.asarray(af, dtype=float)[sites]
            fitted = scan(calls, target, design)
        for name in ("beta", "se", "stat", "pvalue", "n"):
            getattr(result, name)[sites] = getattr(fitted, name)
        if fitted.not_converged is not None:
            not_converged[sites] = fitted.not_converged
    table = variants[["chrom", "pos", "id", "ref", "alt"]].reset_index(drop=True).copy()
    table["a1"] = table["alt"]
    table["a1_freq"] = frequency
    table = pd.concat([table, result.to_frame()], axis=1)
    table = table[SCAN_COLUMNS]
    # NaN rows have three causes; the count of fits that did not converge is kept.
    table.attrs["not_converged"] = int(not_converged.sum())
    return table


def _with_sex(design: np.ndarray, male: np.ndarray) -> np.ndarray:
    """The design with a male indicator, unless the covariates already span it."""
    coefficients = np.linalg.lstsq(design, male, rcond=None)[0]
    residual = male - design @ coefficients
    if residual @ residual <= 1e-8 * len(male):
        return design
    return np.column_stack([design, male])
