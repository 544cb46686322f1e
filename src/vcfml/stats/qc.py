"""Per-sample and per-site quality control, computed as PLINK 2 does.

Plain functions over the (n_samples, n_sites) dosage matrix of
:func:`vcfml.read_vcf` (ALT copies, -1 missing); each returns a table with
PLINK 2's numbers so that a study's QC can be checked against ``plink2``
(``tests/test_qc.py`` compares every column):

* :func:`sample_missingness`: ``plink2 --missing``'s ``.smiss``;
* :func:`site_missingness`: its ``.vmiss``;
* :func:`heterozygosity`: ``plink2 --het``: observed and expected homozygous
  calls and the inbreeding coefficient F per sample. A sample contaminated
  by another's DNA has too many heterozygous calls (F well below 0), an
  inbred one or one of low quality too few (F above 0);
* :func:`sex_check`: the same F on chrX outside the pseudo-autosomal
  regions, where a man has one copy and so no heterozygous call: F above 0.8
  says male, below 0.2 female (PLINK 1.9's ``--check-sex`` thresholds); a
  mismatch with the recorded sex is a sample swap or a mislabel.

Why these: a sample with many missing calls is a failed array or a poor DNA
sample, a site with many is a badly clustered probe; both add noise and, when
they differ between cases and controls, false associations (Anderson et al.
2010, Nat Protoc 5:1564, "Data quality control in genetic case-control
association studies").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vcfml.stats.frequency import BLOCK_COLUMNS

SEX_F_FEMALE = 0.2  # F below: female (PLINK's --check-sex default)
SEX_F_MALE = 0.8  # F above: male


def sample_missingness(genotypes: np.ndarray) -> pd.DataFrame:
    """Missing calls per sample: ``missing``, ``observed`` (sites) and
    ``f_miss`` (their fraction), as ``.smiss``'s MISSING_CT, OBS_CT, F_MISS."""
    missing = np.zeros(genotypes.shape[0], dtype=np.int64)
    for start in range(0, genotypes.shape[1], BLOCK_COLUMNS):
        missing += (genotypes[:, start : start + BLOCK_COLUMNS] < 0).sum(axis=1)
    n_sites = genotypes.shape[1]
    return pd.DataFrame(
        {
            "missing": missing,
            "observed": n_sites,
            "f_miss": missing / max(n_sites, 1),
        }
    )


def site_missingness(genotypes: np.ndarray) -> pd.DataFrame:
    """Missing calls per site: ``missing``, ``observed`` (samples), ``f_miss``,
    as ``.vmiss``'s MISSING_CT, OBS_CT, F_MISS."""
    missing = (genotypes < 0).sum(axis=0).astype(np.int64)
    n_samples = genotypes.shape[0]
    return pd.DataFrame(
        {"missing": missing, "observed": n_samples, "f_miss": missing / max(n_samples, 1)}
    )


def heterozygosity(
    genotypes: np.ndarray, frequency: np.ndarray | None = None, ploidy: np.ndarray | None = None
) -> pd.DataFrame:
    """Observed and expected homozygous calls and F per sample, as ``plink2 --het``.

    Each polymorphic site counts where the sample has a call: expected
    homozygosity ``1 - 2p(1-p)`` with ``p`` the ALT frequency among the called
    alleles of all samples (``frequency`` to give another), and
    ``F = (O - E) / (N - E)``. Monomorphic sites are skipped, as PLINK 2 does.
    ``ploidy`` (same shape, 1 for a one-copy call) makes a haploid call count
    as homozygous, which is how PLINK reads a man's chrX (:func:`sex_check`).

    Returns ``o_hom``, ``e_hom``, ``observed`` and ``f`` (PLINK's O(HOM),
    E(HOM), OBS_CT, F).
    """
    if ploidy is not None:
        ploidy = np.broadcast_to(np.asarray(ploidy), genotypes.shape)
    if frequency is None:
        frequency = _diploid_frequency(genotypes, ploidy)
    frequency = np.asarray(frequency, dtype=np.float64)
    usable = np.flatnonzero((frequency > 0) & (frequency < 1))
    n = genotypes.shape[0]
    observed = np.zeros(n, dtype=np.int64)
    o_hom = np.zeros(n, dtype=np.int64)
    e_hom = np.zeros(n)
    for start in range(0, len(usable), BLOCK_COLUMNS):
        columns = usable[start : start + BLOCK_COLUMNS]
        block = genotypes[:, columns]
        called = block >= 0
        het = block == 1
        if ploidy is not None:
            het &= np.asarray(ploidy)[:, columns] != 1
        p = frequency[columns]
        observed += called.sum(axis=1)
        o_hom += (called & ~het).sum(axis=1)
        e_hom += called @ (1.0 - 2.0 * p * (1.0 - p))
    with np.errstate(invalid="ignore", divide="ignore"):
        f = (o_hom - e_hom) / (observed - e_hom)
    return pd.DataFrame({"o_hom": o_hom, "e_hom": e_hom, "observed": observed, "f": f})


def _diploid_frequency(genotypes: np.ndarray, ploidy: np.ndarray | None) -> np.ndarray:
    """ALT frequency counting every call as two alleles (a haploid ALT call as
    two ALT copies), as PLINK 2 does on a chromosome it reads as diploid."""
    values = genotypes.astype(np.float64)
    if ploidy is not None:
        values = np.where(np.asarray(ploidy) == 1, values * 2, values)
    called = genotypes >= 0
    alt = np.where(called, values, 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return alt / (2.0 * called.sum(axis=0))


def sex_check(
    genotypes_x: np.ndarray,
    ploidy_x: np.ndarray | None = None,
    reported_male: np.ndarray | None = None,
) -> pd.DataFrame:
    """Sex from chrX heterozygosity, as PLINK's ``--check-sex``.

    ``genotypes_x`` holds the chrX sites outside the pseudo-autosomal regions
    (:func:`~vcfml.stats.frequency.haploid_in_males`), ``ploidy_x`` each call's
    ploidy when the file wrote men's calls haploid. F is :func:`heterozygosity`
    on them; ``snp_sex`` is ``male`` above 0.8, ``female`` below 0.2 and
    ``unknown`` between. With ``reported_male``, ``status`` is ``OK`` or
    ``PROBLEM`` (PLINK's STATUS); without it, ``NA``.
    """
    table = heterozygosity(genotypes_x, ploidy=ploidy_x)
    f = table["f"].to_numpy()
    snp_sex = np.where(f > SEX_F_MALE, "male", np.where(f < SEX_F_FEMALE, "female", "unknown"))
    table["snp_sex"] = snp_sex
    if reported_male is None:
        table["reported_sex"] = "NA"
        table["status"] = "NA"
    else:
        reported = np.where(np.asarray(reported_male, dtype=bool), "male", "female")
        table["reported_sex"] = reported
        table["status"] = np.where(snp_sex == reported, "OK", "PROBLEM")
    return table
