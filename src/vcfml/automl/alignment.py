"""Line up another VCF's variants with a model's variants, as real files need.

A model learned one column per variant (chrom, pos, REF, ALT). A VCF from
another lab or pipeline often spells the same variant differently:

* **contig names**: ``chr1`` or ``1``; ``chrX``, ``X`` or PLINK's ``23``;
  ``chrY``/``Y``/``24``; ``chrM``/``MT``/``26``. Both sides are compared under
  one canonical name (:func:`canonical_contig`).
* **REF and ALT swapped**: the file counts copies of the model's REF allele. The
  dosage is flipped: ``2 - dosage`` for a diploid call, ``1 - dosage`` for a
  haploid one (see *Ploidy* below). Each swap is counted.
* **strand-ambiguous swaps**: for A/T and C/G variants a swap cannot be told
  from a strand flip (the complement of A/T is T/A). VCF alleles are on the
  forward strand by definition, so they are flipped like any swap, and counted
  and named in the report so that a person can check them.
* **duplicate sites**: a model variant found in more than one column of the file
  (twice, or once as is and once swapped) is refused, naming the file and the
  site: keeping one of them silently would be a guess. Duplicates the model does
  not use are ignored.
* **missing sites**: a model variant absent from the file is filled with missing
  calls, which the model replaces with the training mean dosage. That is a
  guess, so it is counted, and more than ``max_missing_share`` of the model's
  variants missing is an error unless ``missing="impute"``.

Ploidy. A dosage alone does not say whether a call is haploid (a male's chrX):
dosage 1 is a heterozygous diploid call or a haploid ALT call. Pass ``ploidy``
(one value per sample and column of the file) when the reader provides it.
Otherwise it is inferred, only for swapped variants on chrX, chrY and chrM,
from the sample's calls over every site of the file on that contig (not only
the model's): a 2 means diploid (a haploid call cannot be 2); a 1 and no 2,
haploid; only 0 or missing calls, whatever most other samples are. On
chrX of GRCh37/GRCh38 (recognised by the contig length) the pseudo-autosomal
regions are judged apart: they are diploid when any sample that is haploid
elsewhere on chrX has a 2 there (real callers), otherwise they follow the rest
of chrX (for a caller that writes haploid male calls across all of chrX). With
few chrX sites a diploid sample may show no 2 and read as haploid: the report
gives how many samples were read as haploid, to compare with the number of
males.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from vcfml.errors import VcfmlInputError, preview_names
from vcfml.features import Dataset
from vcfml.genome import (  # noqa: F401  (canonical_contig: part of this module's API)
    CONTIG_ALIASES,
    KEY_COLUMNS,
    PSEUDOAUTOSOMAL,
    canonical_contig,
)

DEFAULT_MAX_MISSING_SHARE = 0.10
"""Share of the model's variants that may be absent (filled with the training
mean) before a prediction is refused."""

MISSING_CHOICES = ("error", "impute")
HAPLOID_CAPABLE = ("X", "Y", "MT")
STRAND_AMBIGUOUS = {frozenset({"A", "T"}), frozenset({"C", "G"})}


@dataclass
class AlignmentReport:
    """What aligning a VCF to a model's variants did, in counts.

    Attributes:
        source: the VCF, when known.
        n_model_sites: variants the model uses.
        n_found: of those, found in the file (as is or swapped).
        n_renamed: found under another contig name (``1`` for ``chr1``).
        n_swapped: found with REF and ALT swapped; their dosages were flipped.
        n_strand_ambiguous: of the swapped ones, A/T or C/G variants.
        strand_ambiguous: their names (chrom:pos:ref:alt, as in the model).
        n_missing: not in the file; filled with missing calls (imputed).
        missing: their names.
        haploid_samples: for each contig where swapped calls were flipped, how
            many samples were read as haploid there.
    """

    source: str | None
    n_model_sites: int
    n_found: int = 0
    n_renamed: int = 0
    n_swapped: int = 0
    n_strand_ambiguous: int = 0
    strand_ambiguous: list[str] = field(default_factory=list)
    n_missing: int = 0
    missing: list[str] = field(default_factory=list)
    haploid_samples: dict[str, int] = field(default_factory=dict)

    @property
    def missing_share(self) -> float:
        return self.n_missing / self.n_model_sites if self.n_model_sites else 0.0

    def to_dict(self) -> dict:
        return {**asdict(self), "missing_share": round(self.missing_share, 4)}

    def summary(self) -> str:
        """One line for a person."""
        text = (
            f"{self.n_found} of the model's {self.n_model_sites} variants found"
            f" ({self.n_renamed} under another contig name, {self.n_swapped} with REF/ALT"
            f" swapped and flipped, {self.n_strand_ambiguous} of them strand-ambiguous A/T or C/G)"
            f"; {self.n_missing} missing, imputed with the training mean"
        )
        if self.strand_ambiguous:
            text += f"; check the strand-ambiguous: {preview_names(self.strand_ambiguous)}"
        if self.haploid_samples:
            counts = ", ".join(f"{c}: {n}" for c, n in self.haploid_samples.items())
            text += f"; samples read as haploid ({counts})"
        return text


def variant_name(chrom: object, pos: object, ref: object, alt: object) -> str:
    return f"{chrom}:{pos}:{ref}:{alt}"


def align_variants(
    model_variants: pd.DataFrame,
    dataset: Dataset,
    *,
    missing: str = "error",
    max_missing_share: float = DEFAULT_MAX_MISSING_SHARE,
    ploidy: np.ndarray | None = None,
) -> tuple[np.ndarray, AlignmentReport]:
    """The dataset's calls for the model's variants, in the model's column order.

    Args:
        model_variants: the model's variants table (``chrom``, ``pos``, ``ref``, ``alt``).
        dataset: a :class:`vcfml.features.Dataset` (``genotypes``, ``variants``,
            ``samples``, and ``source``/``contigs`` when read from a file).
        missing: ``"error"`` refuses a file that lacks more than
            ``max_missing_share`` of the model's variants; ``"impute"`` accepts any
            number. Either way absent variants become missing calls (-1), counted.
        max_missing_share: the share allowed with ``missing="error"`` (0 to 1).
        ploidy: optional (n_samples, n_file_variants) ploidy of each call of the
            file; inferred for swapped chrX/chrY/chrM variants when not given.

    Returns:
        The (n_samples, n_model_variants) int8 calls (-1 missing) and the report.

    Raises:
        VcfmlInputError: a model variant appears more than once in the file, or
            too many are missing; the message names the file and the sites.
    """
    if missing not in MISSING_CHOICES:
        raise ValueError(f"missing must be one of {MISSING_CHOICES}, got {missing!r}")
    if not 0 <= max_missing_share <= 1:
        raise ValueError(f"max_missing_share must be between 0 and 1, got {max_missing_share}")
    source = None if dataset.source is None else str(dataset.source)
    label = source if source is not None else "the VCF"
    report = AlignmentReport(source=source, n_model_sites=len(model_variants))

    file_variants = dataset.variants
    file_chroms = _canonical_contigs(file_variants["chrom"])
    index, alts_at = _site_index(file_variants, file_chroms, model_variants)

    genotypes = dataset.genotypes
    calls = np.full((genotypes.shape[0], len(model_variants)), -1, dtype=np.int8)
    swapped_columns: list[tuple[int, int]] = []  # (model column, file column)
    for column, row in enumerate(model_variants[KEY_COLUMNS].astype(str).itertuples(index=False)):
        chrom, ref, alt = canonical_contig(row.chrom), row.ref.upper(), row.alt.upper()
        name = variant_name(row.chrom, row.pos, row.ref, row.alt)
        same = index.get((chrom, row.pos, ref, alt), [])
        # A swap can be flipped only when the file's record is biallelic.
        swapped = index.get((chrom, row.pos, alt, ref), [])
        if swapped and alts_at[(chrom, row.pos, alt)] > 1:
            swapped = []
        if len(same) + len(swapped) > 1:
            where = ", ".join(
                variant_name(*file_variants[KEY_COLUMNS].iloc[i]) for i in same + swapped
            )
            raise VcfmlInputError(
                label,
                f"the model's variant {name} appears {len(same) + len(swapped)} times "
                f"({where}); remove the duplicates (e.g. bcftools norm -d exact) and retry",
            )
        if not same and not swapped:
            report.missing.append(name)
            continue
        report.n_found += 1
        found = (same or swapped)[0]
        if str(file_variants["chrom"].iat[found]) != row.chrom:
            report.n_renamed += 1
        if same:
            calls[:, column] = genotypes[:, found]
            continue
        swapped_columns.append((column, found))
        report.n_swapped += 1
        if frozenset({ref, alt}) in STRAND_AMBIGUOUS:
            report.strand_ambiguous.append(name)
    report.n_missing = len(report.missing)
    report.n_strand_ambiguous = len(report.strand_ambiguous)

    if missing == "error" and report.missing_share > max_missing_share:
        # None found is another set of sites (another cohort, another simulation seed
        # or size), not a few sites lost to QC: imputing them would predict from
        # the covariates alone, so that advice is given only for a few.
        cause = (
            "none of them is: is this VCF of the same sites as the training data (a "
            "simulation with another seed or number of sites draws other variants) and "
            "the same genome build?"
            if report.n_found == 0
            else "check the genome build, or use missing='impute' (CLI: --missing impute) "
            "to fill them with the training mean dosage"
        )
        raise VcfmlInputError(
            label,
            f"{report.n_missing} of the model's {report.n_model_sites} variants are not in the "
            f"VCF ({report.missing_share:.1%}, more than the {max_missing_share:.0%} allowed "
            f"by max_missing_share: {preview_names(report.missing)}); {cause}",
        )

    if swapped_columns:
        columns = np.array([found for _, found in swapped_columns])
        if ploidy is None:
            ploidy, report.haploid_samples = _inferred_ploidy(dataset, file_chroms, columns)
        for column, found in swapped_columns:
            dosage = genotypes[:, found]
            flipped = np.asarray(ploidy[:, found], dtype=np.int8) - dosage
            calls[:, column] = np.where(dosage < 0, -1, flipped)
    return calls, report


def _canonical_contigs(names: pd.Series) -> np.ndarray:
    """:func:`canonical_contig` of each name, computed once per distinct name."""
    names = names.astype(str)
    mapping = {name: canonical_contig(name) for name in names.unique()}
    return names.map(mapping).to_numpy(dtype=object)


def _site_index(
    file_variants: pd.DataFrame, file_chroms: np.ndarray, model_variants: pd.DataFrame
) -> tuple[dict[tuple, list[int]], dict[tuple, int]]:
    """The file's columns by (chrom, pos, REF, ALT), and its ALT alleles per
    (chrom, pos, REF), for the positions the model uses only: a million-site
    file needs no million-key dictionary."""
    positions = pd.to_numeric(file_variants["pos"]).to_numpy()
    wanted = pd.to_numeric(model_variants["pos"]).to_numpy()
    candidates = np.flatnonzero(np.isin(positions, wanted))
    index: dict[tuple, list[int]] = defaultdict(list)
    alts_at: dict[tuple, int] = defaultdict(int)
    refs = file_variants["ref"].to_numpy()
    alts = file_variants["alt"].to_numpy()
    for column in candidates.tolist():
        chrom, pos = file_chroms[column], str(positions[column])
        ref, alt = str(refs[column]).upper(), str(alts[column]).upper()
        index[(chrom, pos, ref, alt)].append(column)
        alts_at[(chrom, pos, ref)] += 1
    return index, alts_at


def _inferred_ploidy(
    dataset: Dataset, file_chroms: np.ndarray, columns: np.ndarray
) -> tuple[np.ndarray | _ColumnPloidy, dict[str, int]]:
    """Per-call ploidy for the given file columns (see the module docstring)."""
    genotypes = dataset.genotypes
    chroms = file_chroms
    ploidy = _ColumnPloidy(genotypes.shape[0])
    haploid_counts: dict[str, int] = {}
    for contig in HAPLOID_CAPABLE:
        wanted = columns[chroms[columns] == contig]
        if len(wanted) == 0:
            continue
        on_contig = np.flatnonzero(chroms == contig)
        in_par = np.zeros(len(on_contig), dtype=bool)
        if contig == "X":
            in_par = _in_pseudoautosomal(dataset, on_contig)
        rest = on_contig[~in_par]
        haploid = _read_as_haploid(genotypes[:, rest]) if len(rest) else None
        par_haploid = None
        if in_par.any():
            par = on_contig[in_par]
            has_two = (genotypes[:, par] == 2).any(axis=1)
            if haploid is None or (has_two & haploid).any():
                par_haploid = np.zeros(genotypes.shape[0], dtype=bool)  # diploid for all
            else:
                par_haploid = haploid
        par_set = set(on_contig[in_par].tolist())
        for found in wanted.tolist():
            samples_haploid = par_haploid if found in par_set else haploid
            ploidy.set(found, np.where(samples_haploid, 1, 2))
        haploid_counts[contig] = int(haploid.sum()) if haploid is not None else 0
    return ploidy, haploid_counts


def _read_as_haploid(block: np.ndarray) -> np.ndarray:
    """Per sample (row): a 2 means diploid; a 1 and no 2, haploid; only 0 or
    missing calls, whatever most of the other samples are (diploid on a tie),
    so that a caller that writes hemizygous calls as 0/0 and 1/1 is followed."""
    diploid = (block == 2).any(axis=1)
    haploid = (block == 1).any(axis=1) & ~diploid
    unknown = ~diploid & ~haploid
    if haploid.sum() > diploid.sum():
        haploid |= unknown
    return haploid


def _in_pseudoautosomal(dataset: Dataset, on_contig: np.ndarray) -> np.ndarray:
    contigs = dataset.contigs or {}
    lengths = {canonical_contig(name): length for name, length in contigs.items()}
    regions = PSEUDOAUTOSOMAL.get(lengths.get("X"), ())
    positions = dataset.variants["pos"].to_numpy()[on_contig].astype(np.int64)
    inside = np.zeros(len(on_contig), dtype=bool)
    for start, end in regions:
        inside |= (positions >= start) & (positions <= end)
    return inside


class _ColumnPloidy:
    """Ploidy per sample for some file columns; 2 (diploid) for every other one."""

    def __init__(self, n_samples: int) -> None:
        self.n_samples = n_samples
        self.columns: dict[int, np.ndarray] = {}

    def set(self, column: int, values: np.ndarray) -> None:
        self.columns[column] = values

    def __getitem__(self, key: tuple) -> np.ndarray:
        _, column = key
        return self.columns.get(column, np.full(self.n_samples, 2, dtype=np.int8))
