"""What vcfml knows about the human genome, in one place.

Contig names, the pseudo-autosomal regions (PAR) of chrX, and the ploidy rule
(how many alleles a sample's call at a site has) used to live in three modules
each (the frequency functions, PCA, the AutoML screen, variant alignment), and
the copies had drifted apart: one treated ``chrx`` as an autosome, another did
not know PLINK's ``23``. Every module now asks this one.

* **Contig names.** ``chr1`` and ``1`` are the same contig; so are PLINK's
  numbers ``23`` (X), ``24`` (Y), ``26`` (MT) and the mitochondrion's ``M``
  (:func:`canonical_contig`). PLINK's ``25``/``XY`` holds chrX's PAR sites.
* **PAR bounds** per build, 1-based inclusive, the GRC coordinates (Ensembl,
  "Pseudoautosomal regions in human",
  https://www.ensembl.org/info/genome/genebuild/human_PARS.html). The build is
  recognised from the VCF header's chrX length (:func:`build_of`).
* **Ploidy rule** (:func:`call_ploidy`): a male's call on chrX outside the PARs
  has one allele, every other call on chrX and the autosomes two; chrY and the
  mitochondrion are one copy in everyone (:func:`one_copy_contig`). It is how
  PLINK 2 decides (``--split-par``, the ``.psam`` SEX column).

Plain functions over arrays, no I/O: the readers, the statistics and the AutoML
code all import it without importing each other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

MISSING = -1
"""Dosage of a missing call in every dosage matrix of vcfml."""

KEY_COLUMNS = ["chrom", "pos", "ref", "alt"]
"""The columns that identify a variant (one ALT allele)."""

# PLINK 2's --split-par b38/b37 uses only the inner bounds, so it also calls the
# telomeric ends (GRCh38 pos < 10,001 and pos > 156,030,895) PAR; vcfml calls
# them non-PAR. Those ends are N-masked sequence, so no real variant sits there;
# the inner bounds agree exactly (tests/test_stats.py checks against plink2).
PAR_BOUNDS = {
    "GRCh38": ((10_001, 2_781_479), (155_701_383, 156_030_895)),
    "GRCh37": ((60_001, 2_699_520), (154_931_044, 155_260_560)),
}
CHRX_LENGTH = {"GRCh38": 156_040_895, "GRCh37": 155_270_560}
"""chrX's length in each build: how a VCF header tells its build."""
GRCH37_CHRX_LENGTH = CHRX_LENGTH["GRCh37"]
PSEUDOAUTOSOMAL = {CHRX_LENGTH[build]: bounds for build, bounds in PAR_BOUNDS.items()}
"""The PAR bounds keyed by the chrX length that identifies the build."""

X_NAMES = {"chrX", "X", "23"}
Y_NAMES = {"chrY", "Y", "24"}
MT_NAMES = {"chrM", "chrMT", "M", "MT", "26"}

CONTIG_ALIASES = {"23": "X", "24": "Y", "25": "X", "XY": "X", "26": "MT", "M": "MT"}
"""Other spellings of contigs (after dropping a leading ``chr``, upper case):
PLINK's numbers 23-26 and the mitochondrion's two names."""

NOT_AUTOSOMAL = {"X", "Y", "MT", "XY", "PAR1", "PAR2", "23", "24", "25", "26", "M"}


def canonical_contig(name: object) -> str:
    """One spelling per contig: no ``chr`` prefix, upper case, ``X``/``Y``/``MT``
    for PLINK's 23/24/26 and for ``M``."""
    text = str(name).strip()
    if text[:3].lower() == "chr":
        text = text[3:]
    text = text.upper()
    return CONTIG_ALIASES.get(text, text)


def find_contig(name: str, names: Iterable[str]) -> str | None:
    """The spelling of contig ``name`` among ``names`` (``chr1`` for ``1`` and the
    other way round, ``chrX`` for ``23``), or None. An exact match wins."""
    names = list(names)
    if name in names:
        return name
    wanted = canonical_contig(name)
    matches = [other for other in names if canonical_contig(other) == wanted]
    return matches[0] if len(matches) == 1 else None


def _stripped(chrom: np.ndarray | pd.Series) -> pd.Series:
    return pd.Series(np.asarray(chrom).astype(str)).str.removeprefix("chr").str.upper()


def on_chrx(chrom: np.ndarray | pd.Series) -> np.ndarray:
    """Which sites are on chrX (``chrX``, ``X``, PLINK's ``23``); not PLINK's ``XY``,
    which holds only PAR sites."""
    return _stripped(chrom).isin(["X", "23"]).to_numpy()


def one_copy_contig(chrom: np.ndarray | pd.Series) -> np.ndarray:
    """Which sites are on chrY or the mitochondrion, where every call is one copy."""
    return _stripped(chrom).isin(["Y", "24", "M", "MT", "26"]).to_numpy()


def on_chry(chrom: np.ndarray | pd.Series) -> np.ndarray:
    """Which sites are on chrY."""
    return _stripped(chrom).isin(["Y", "24"]).to_numpy()


def autosomal(chrom: np.ndarray | pd.Series) -> np.ndarray:
    """Which sites are on autosomes (not chrX, chrY, MT nor PAR contigs)."""
    return (~_stripped(chrom).isin(NOT_AUTOSOMAL)).to_numpy()


def build_of(
    contigs: Mapping[str, int | None] | None, default: str | None = "GRCh38"
) -> str | None:
    """The genome build named by the header's chrX length (GRCh37 or GRCh38), else ``default``."""
    lengths = {canonical_contig(name): length for name, length in (contigs or {}).items()}
    x_length = lengths.get("X")
    for build, length in CHRX_LENGTH.items():
        if x_length == length:
            return build
    return default


def in_par(pos: np.ndarray | pd.Series, build: str | None) -> np.ndarray:
    """Which positions (on chrX) lie in the PARs of ``build`` (none for None)."""
    pos = np.asarray(pos).astype(np.int64)
    inside = np.zeros(len(pos), dtype=bool)
    if build is None:
        return inside
    if build not in PAR_BOUNDS:
        raise ValueError(f"unknown genome build {build!r}; use one of {sorted(PAR_BOUNDS)}")
    for start, end in PAR_BOUNDS[build]:
        inside |= (pos >= start) & (pos <= end)
    return inside


def haploid_in_males(
    chrom: np.ndarray | pd.Series, pos: np.ndarray | pd.Series, build: str | None = "GRCh38"
) -> np.ndarray:
    """Which sites males carry once: chrX outside the PARs of ``build``.

    ``build=None`` treats the whole of chrX as non-PAR.
    """
    return on_chrx(chrom) & ~in_par(pos, build)


def call_ploidy(haploid_sites: np.ndarray, male: np.ndarray) -> np.ndarray | int:
    """Alleles per call, (n_samples, n_sites) int8: 1 for a male at a haploid
    site, 2 otherwise. Returns plain ``2`` when no call is haploid, so that
    autosomal data costs no memory."""
    haploid_sites = np.asarray(haploid_sites, dtype=bool)
    male = np.asarray(male, dtype=bool)
    if not (haploid_sites.any() and male.any()):
        return 2
    return (2 - np.outer(male, haploid_sites)).astype(np.int8)
