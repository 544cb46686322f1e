"""Read VCF and BCF files into a samples x variants alt-allele dosage matrix.

htslib (through ``cyvcf2``), the C library of ``bcftools``, is the reference:
it reads the header of every file, and the records of BCF files, of regions,
and of any VCF text the fast path declines; its terse failures become errors
that name the file and the record. VCF text read whole takes the fast path,
:mod:`vcfml.io.vcf_text`: a strict reader compiled with numba that looks only
at the fixed columns and the GT sub-field. Why two paths: htslib parses every
FORMAT field (GT, DP, AD, ...) of every sample before Python sees a record, so
on a 2,000 x 10,000 GT:DP cohort its parse alone cost about 75% of a plain
cyvcf2 ``gt_types`` loop, and multi-threaded BGZF decompression saved under
10%; the compiled reader was 2.9-4.8x that loop in the recorded runs
(``benchmarks/load_vcf.py``, RESULTS.md; a shared machine).
Both paths give the same matrix and table; the tests check them against each
other and against ``bcftools`` on generated VCF text.

Genotype policy (documented in the course, chapter 1):

* a call's **dosage** is the number of copies of one ALT allele: 0, 1 or 2 for
  a diploid call, 0 or 1 for a haploid call (e.g. male chrX);
* a call with any missing allele (``./.``, ``./1``, ``.``) is **missing**, -1;
* a call with more than two alleles (triploid ``0/1/1``, tetraploid
  ``1/1/1/1``) is **missing** too, as plink2 reads it: every statistic of the
  course (frequency, PCA, scan, screen) assumes a dosage of at most 2;
* phasing (``|`` versus ``/``) does not change the dosage;
* a **multiallelic** site with ALT alleles ``G,T`` becomes one column per ALT
  allele (``allele_index`` 1 and 2), each counting copies of that allele, so
  ``1/2`` gives dosage 1 in both columns;
* extra trailing sample columns are ignored, as htslib and bcftools do.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd
from cyvcf2 import VCF

from vcfml.errors import VcfmlInputError, preview_names
from vcfml.genome import MISSING
from vcfml.io import vcf_diagnose
from vcfml.stats.frequency import allele_frequency

CONTIG_LINE = re.compile(r"^##contig=<ID=([^,>]+)(.*)>$", re.MULTILINE)
LENGTH_FIELD = re.compile(r",length=(\d+)")


VARIANT_COLUMNS = ["chrom", "pos", "id", "ref", "alt", "allele_index", "filter", "af", "phased"]


@dataclass(frozen=True)
class GenotypeMatrix:
    """Genotypes of a cohort as plain arrays and tables.

    Attributes:
        genotypes: ``int8`` array of shape (n_samples, n_variants): copies of
            the ALT allele per call, -1 for a missing call.
        variants: one row per column of ``genotypes`` with ``chrom``, ``pos``
            (1-based), ``id``, ``ref``, ``alt`` (one allele), ``allele_index``
            (which ALT allele of the record, 1-based), ``filter``, ``af`` (ALT
            allele frequency among the called alleles) and ``phased`` (all
            diploid calls at the site are phased).
        samples: sample IDs in the order of the rows of ``genotypes``.
        source: the file the genotypes were read from.
    """

    genotypes: np.ndarray
    variants: pd.DataFrame
    samples: list[str]
    source: Path | None = None
    contigs: dict[str, int | None] = field(default_factory=dict)

    @property
    def n_samples(self) -> int:
        return self.genotypes.shape[0]

    @property
    def n_variants(self) -> int:
        return self.genotypes.shape[1]

    def variant_labels(self) -> list[str]:
        """A unique, human-readable name for each column (see :func:`variant_labels`)."""
        return variant_labels(self.variants)

    def __repr__(self) -> str:
        name = self.source.name if self.source is not None else "in memory"
        return f"GenotypeMatrix({self.n_samples} samples x {self.n_variants} variants, from {name})"


def variant_labels(variants: pd.DataFrame) -> list[str]:
    """A unique, human-readable name for each variant: its ID when that is unique,
    otherwise ``chrom:pos:ref:alt``."""
    ids = variants["id"].astype(str)
    ambiguous = ids.duplicated(keep=False) | ids.isin([".", ""])
    fallback = (
        variants["chrom"].astype(str)
        + ":"
        + variants["pos"].astype(str)
        + ":"
        + variants["ref"].astype(str)
        + ":"
        + variants["alt"].astype(str)
    )
    return ids.where(~ambiguous, fallback).tolist()


def read_vcf(
    path: str | PathLike[str],
    *,
    region: str | None = None,
    samples: Sequence[str] | None = None,
    pass_only: bool = False,
    min_maf: float | None = None,
    threads: int = 1,
) -> GenotypeMatrix:
    """Read a VCF or BCF file (plain, gzip or bgzip) into a :class:`GenotypeMatrix`.

    VCF text read whole goes through the compiled GT reader of
    :mod:`vcfml.io.vcf_text` (several times faster than htslib's records; see
    there why); a region, a BCF file, or text that reader declines is read by
    htslib. Both give the same matrix and table (tested).

    Args:
        path: the VCF/BCF file.
        region: only read records overlapping ``chrom``, ``chrom:start-end``
            (1-based, inclusive). Needs a tabix (``.tbi``) or ``.csi`` index.
        samples: only read these samples, in this order.
        pass_only: keep only records whose FILTER is ``PASS``.
        min_maf: drop ALT alleles whose minor-allele frequency (among called
            alleles of the samples read) is below this value.
        threads: extra htslib decompression threads (htslib path).

    A file too large to hold whole (say 10,000 samples x 10^6 sites, 10 GB as
    int8) can be read a block of sites at a time with :func:`read_vcf_blocks`.

    Raises:
        VcfmlInputError: the file is missing, is not a VCF/BCF, is truncated or
            has a malformed record; the message names the file and the record.
    """
    path = Path(path)
    if min_maf is not None and not 0 <= min_maf <= 0.5:
        raise VcfmlInputError(path, f"min_maf must be between 0 and 0.5, got {min_maf}")
    file_samples, wanted, contigs = _read_header(path, samples)
    capacity = (_count_records(path) if region is None else None) or 1024
    from vcfml.io import vcf_text  # numba: loaded when a file is read, not on import

    fast = None
    if region is None and vcf_text.is_text_vcf(path):
        selection = _selection(file_samples, wanted)
        fast = vcf_text.read_text_dosages(path, selection, len(wanted), capacity, VARIANT_COLUMNS)
    if fast is not None:
        genotypes, table = fast
    else:
        ((genotypes, variants),) = _htslib_blocks(
            path, file_samples, wanted, region, threads, capacity
        )
        table = pd.DataFrame(variants, columns=VARIANT_COLUMNS)
        del variants
    table = _typed(table)
    keep = np.ones(len(table), dtype=bool)
    if pass_only:
        keep &= (table["filter"] == "PASS").to_numpy()
    if min_maf is not None:
        maf = np.minimum(table["af"], 1 - table["af"]).fillna(0).to_numpy()
        keep &= maf >= min_maf
    if not keep.all():
        # Boolean indexing copies; it only happens when a filter removed columns.
        genotypes = genotypes[keep]
        table = table.loc[keep].reset_index(drop=True)
    # Records were stored variant-major; the transpose is a free view that
    # presents them samples x variants (Fortran order), as the course expects.
    return GenotypeMatrix(
        genotypes=genotypes.T, variants=table, samples=wanted, source=path, contigs=contigs
    )


def read_vcf_blocks(
    path: str | PathLike[str],
    *,
    block_sites: int = 10_000,
    samples: Sequence[str] | None = None,
) -> Iterator[GenotypeMatrix]:
    """Read a VCF or BCF file a block of records at a time, for files too large
    to hold whole (10,000 samples x 10^6 sites is 10 GB as int8).

    Each yielded :class:`GenotypeMatrix` holds the next block: at most
    ``block_sites`` variant columns (a multiallelic record's columns stay in one
    block, so a block can end a few columns short of ``block_sites``; a record
    with more ALT alleles than that is a block of its own), with the same
    samples, contigs and source. The index of its ``variants`` numbers the
    columns of the whole file, so concatenating the blocks' genotypes
    (``axis=1``) and variants (``pd.concat``) gives exactly
    ``read_vcf(path, samples=samples)`` (tested). A file without variants gives
    one empty block. There is no region, FILTER or MAF option: filter each block.

    Memory does not grow with the number of sites: each block is a fresh
    ``block_sites`` x samples int8 array (a block the caller keeps is never
    overwritten) plus its variants table, and the reader holds one block of
    text; nothing is accumulated across blocks. In ``for block in ...`` the
    previous block is still bound while the next one is read, so the peak is
    about two blocks (``benchmarks/load_vcf.py``, row ``vcfml blocks``).

    VCF text goes through the compiled GT reader of :mod:`vcfml.io.vcf_text`;
    BCF, and text that reader declines, through htslib. Where the compiled
    reader meets text it declines after some blocks were yielded, htslib reads
    the file again from the start, skips the records already yielded and goes
    on from the first record of the unfinished block, so the blocks are the
    same whichever path read them; a malformed record then raises the error
    :func:`read_vcf` gives, naming the file and the record.

    Args:
        path: the VCF/BCF file (plain, gzip or bgzip).
        block_sites: variant columns per block (at least 1).
        samples: only read these samples, in this order.

    Raises:
        VcfmlInputError: as :func:`read_vcf`; a problem in the header before the
            first block, a malformed or truncated record when the iteration
            reaches it (the blocks before it have then been yielded).
    """
    path = Path(path)
    if isinstance(block_sites, bool) or not isinstance(block_sites, (int, np.integer)):
        raise VcfmlInputError(path, f"block_sites must be a whole number, got {block_sites!r}")
    if block_sites < 1:
        raise VcfmlInputError(path, f"block_sites must be at least 1, got {block_sites}")
    file_samples, wanted, contigs = _read_header(path, samples)
    return _blocks(path, file_samples, wanted, contigs, block_sites)


def _blocks(
    path: Path,
    file_samples: list[str],
    wanted: list[str],
    contigs: dict[str, int | None],
    block_sites: int,
) -> Iterator[GenotypeMatrix]:
    from vcfml.io import vcf_text

    first_column = 0
    yielded = False

    def block(genotypes: np.ndarray, table: pd.DataFrame) -> GenotypeMatrix:
        nonlocal first_column, yielded
        table = _typed(table)
        table.index = pd.RangeIndex(first_column, first_column + len(table))
        first_column += len(table)
        yielded = True
        return GenotypeMatrix(
            genotypes=genotypes.T, variants=table, samples=wanted, source=path, contigs=contigs
        )

    skip = 0
    if vcf_text.is_text_vcf(path):
        text = vcf_text.GenotypeText(path, _selection(file_samples, wanted))
        try:
            for genotypes, table in text.blocks(len(wanted), block_sites, VARIANT_COLUMNS):
                yield block(genotypes, table)
            if not text.declined:
                return
            skip = text.records_yielded
        finally:  # before htslib reads the file again, or when the caller stops early
            text.close()
    for genotypes, variants in _htslib_blocks(
        path, file_samples, wanted, None, 1, block_sites, block_sites, skip
    ):
        if len(variants["pos"]) or not yielded:
            yield block(genotypes, pd.DataFrame(variants, columns=VARIANT_COLUMNS))


def _read_header(
    path: Path, samples: Sequence[str] | None
) -> tuple[list[str], list[str], dict[str, int | None]]:
    """The file's samples, the samples to read, and the contigs, from the header."""
    header = _open(path)
    try:
        file_samples = list(header.samples)  # cyvcf2 builds this list on every access
        wanted = _requested_samples(path, file_samples, samples)
        contigs = _contig_lengths(header)
    finally:
        header.close()
    return file_samples, wanted, contigs


def _selection(file_samples: list[str], wanted: list[str]) -> np.ndarray:
    """For each sample column of the file, its row in the output or -1."""
    row_of = {name: row for row, name in enumerate(wanted)}
    return np.array([row_of.get(name, -1) for name in file_samples], dtype=np.int64)


NUMBER_DTYPES = {"pos": "int64", "allele_index": "int8", "af": "float64", "phased": "bool"}


def _typed(table: pd.DataFrame) -> pd.DataFrame:
    """The variants table with its number columns in their dtypes (the compiled
    reader's table has them already: pandas' astype costs ms a block)."""
    wrong = {name: dtype for name, dtype in NUMBER_DTYPES.items() if table[name].dtype != dtype}
    return table.astype(wrong) if wrong else table


def _htslib_blocks(
    path: Path,
    file_samples: list[str],
    wanted: list[str],
    region: str | None,
    threads: int,
    capacity: int,
    block_sites: int | None = None,
    skip: int = 0,
) -> Iterator[tuple[np.ndarray, dict[str, list]]]:
    """Read the records with htslib (regions, BCF, and whatever vcf_text
    declines): a variant-major int8 matrix and variant rows per block of
    ``block_sites`` columns, or one block for the whole file when it is None;
    the first ``skip`` records are passed over."""
    vcf = _open(path)
    try:
        if threads > 1:
            vcf.set_threads(threads)
        order = None
        if wanted != file_samples:
            vcf.set_samples(wanted)
            # htslib keeps the file's order; ``order`` puts the rows in the caller's.
            chosen = set(wanted)
            in_file_order = [name for name in file_samples if name in chosen]
            row_in_file_order = {name: row for row, name in enumerate(in_file_order)}
            order = np.array([row_in_file_order[name] for name in wanted], dtype=np.int64)
            if (order == np.arange(len(order))).all():
                order = None
        records = _query(vcf, path, region) if region is not None else vcf
        yield from _record_blocks(
            records, path, file_samples, wanted, order, capacity, region, block_sites, skip
        )
    finally:
        vcf.close()


def _open(path: Path) -> VCF:
    """Open the file with htslib, turning every failure into a readable error."""
    problem = vcf_diagnose.check_file(path)
    if problem is not None:
        raise VcfmlInputError(path, problem)
    try:
        return VCF(str(path), gts012=True)
    except Exception as error:  # htslib reports failures as bare Exception/OSError
        raise VcfmlInputError(path, vcf_diagnose.explain_header_failure(path)) from error


def _requested_samples(
    path: Path, file_samples: list[str], samples: Sequence[str] | None
) -> list[str]:
    """The samples to read, in order; checked against the header in linear time."""
    if samples is None:
        return file_samples
    samples = list(samples)
    known = set(file_samples)
    unknown = [name for name in samples if name not in known]
    if unknown:
        raise VcfmlInputError(path, f"requested samples not in the file: {preview_names(unknown)}")
    if len(set(samples)) != len(samples):
        raise VcfmlInputError(path, "the requested sample list has duplicates")
    return samples


def _query(vcf: VCF, path: Path, region: str):
    if not (Path(f"{path}.tbi").exists() or Path(f"{path}.csi").exists()):
        raise VcfmlInputError(
            path,
            "reading a region needs an index next to the file "
            f"(run `tabix -p vcf {path.name}` or `bcftools index {path.name}`)",
        )
    region = parse_region(path, region, vcf.seqnames)
    try:
        return vcf(region)
    except Exception as error:
        raise VcfmlInputError(path, f"cannot read region {region!r}: {error}") from error


REGION = re.compile(r"^(?P<contig>.+?)(?::(?P<start>[\d,]+)(?:-(?P<end>[\d,]*))?)?$")


def parse_region(path: Path, region: str, contigs: Sequence[str]) -> str:
    """``region`` checked and spelled as the file spells its contig.

    The forms bcftools reads: ``chrom``, ``chrom:pos``, ``chrom:start-`` and
    ``chrom:start-end`` (1-based, inclusive; commas in numbers allowed). Anything
    else is an error, as bcftools' "Could not parse the region" (htslib would
    quietly read nothing). ``1`` finds contig ``chr1`` and the other way round
    (:func:`vcfml.genome.find_contig`), as ``vcfml predict`` aligns them.
    """
    from vcfml.genome import find_contig

    contigs = list(contigs)
    if region in contigs:  # a whole contig, whatever its name holds (HLA names have ':')
        return region
    match = REGION.match(region.strip())
    if (
        match is None
        or ":" in match["contig"]
        or (match["start"] is not None and not match["start"].strip(","))
    ):
        raise VcfmlInputError(
            path, f"could not parse the region {region!r}: use chrom, chrom:start-end or chrom:pos"
        )
    contig = find_contig(match["contig"], contigs)
    if contig is None:
        raise VcfmlInputError(
            path,
            f"region {region!r}: contig {match['contig']!r} is not in the file's header or index",
        )
    if match["start"] is None:
        return contig
    start = int(match["start"].replace(",", ""))
    end_text = (match["end"] or "").replace(",", "")
    if match["end"] is not None and end_text and int(end_text) < start:
        raise VcfmlInputError(path, f"region {region!r}: the end is before the start")
    if match["end"] is None:
        return f"{contig}:{start}-{start}"
    return f"{contig}:{start}-{end_text}"


def _count_records(path: Path) -> int | None:
    """Number of records from the index, so the matrix can be allocated once.

    Uses its own handle: in cyvcf2 0.35 reading ``num_records`` leaves the
    handle unable to decode genotypes (a segmentation fault).
    """
    if not (Path(f"{path}.tbi").exists() or Path(f"{path}.csi").exists()):
        return None
    counter = VCF(str(path))
    try:
        return int(counter.num_records)
    except Exception:  # an index without record counts: grow the buffer as we go
        return None
    finally:
        counter.close()


def _contig_lengths(vcf: VCF) -> dict[str, int | None]:
    """Contig names and lengths from the ``##contig`` header lines."""
    lengths: dict[str, int | None] = {}
    for match in CONTIG_LINE.finditer(vcf.raw_header):
        length = LENGTH_FIELD.search(match.group(2))
        lengths[match.group(1)] = int(length.group(1)) if length else None
    return lengths


def _record_blocks(
    records,
    path: Path,
    file_samples: list[str],
    wanted: list[str],
    order: np.ndarray | None,
    capacity: int,
    region: str | None,
    block_sites: int | None,
    skip: int,
) -> Iterator[tuple[np.ndarray, dict[str, list]]]:
    """Turn htslib records into variant-major int8 matrices and variant rows, a
    block of ``block_sites`` columns at a time (one block when None); at least
    one block, empty for a file without variants."""
    n_file_samples, n_samples = len(file_samples), len(wanted)
    builder = _DosageBuilder(n_samples, capacity)
    no_samples = np.empty((0, 3), dtype=np.int16)
    record_number = 0
    iterator = iter(records)
    last = None
    yielded = False
    while True:
        try:
            record = next(iterator)
        except StopIteration:
            break
        except Exception as error:
            raise _record_error(path, n_file_samples, record_number + 1, last, region) from error
        record_number += 1
        last = record
        if record_number <= skip:  # read by the compiled path already
            continue
        alts = record.ALT
        if not alts:  # a monomorphic site has no ALT allele to count
            continue
        # A sites-only VCF has variants but no genotypes.
        if n_samples == 0:
            calls = no_samples
        else:
            calls = _genotype_array(record, path, record_number, n_file_samples, region)
        if order is not None:
            calls = calls[order]
        if calls.shape[1] > 1 and calls[:, :-1].max(initial=0) > len(alts):
            # htslib keeps an allele index beyond the ALT alleles; it would read as
            # a called non-ALT allele.
            sample = int(np.argmax((calls[:, :-1] > len(alts)).any(axis=1)))
            index = int(calls[sample, :-1].max())
            line = vcf_diagnose.find_record(path, record_number)[0] if region is None else None
            raise VcfmlInputError(
                path,
                f"sample {wanted[sample]} has GT allele index {index}, but the record has "
                f"{len(alts)} ALT allele{'s' if len(alts) > 1 else ''}",
                line=line, record=record_number, where=f"{record.CHROM}:{record.start + 1}",
            )  # fmt: skip
        if (
            block_sites is not None
            and builder.columns_added
            and builder.columns_added + len(alts) > block_sites
        ):  # the block is full: this record's columns start the next one
            yield builder.finish()
            builder = _DosageBuilder(n_samples, capacity)
            yielded = True
        filters = record.FILTERS
        # record.POS is a 32-bit int in cyvcf2 0.35 (a POS above 2^31 wraps);
        # record.start is htslib's 64-bit 0-based position.
        position = record.start + 1
        site = (record.CHROM, position, record.ID or ".", record.REF, ";".join(filters) or ".")
        if len(alts) == 1 and calls.shape[1] <= 3:
            builder.add_biallelic(calls, site, alts[0])
        else:
            builder.add_general(calls, site, alts)
    if builder.columns_added or not yielded:
        yield builder.finish()


class _DosageBuilder:
    """Collects dosages into one variant-major int8 buffer.

    Biallelic haploid/diploid records (nearly all of them) are queued and
    converted a block at a time with whole-array numpy operations; other
    records (multiallelic, polyploid) are converted one by one. The buffer grows
    with ``ndarray.resize``, which for large arrays maps to ``realloc``/``mremap``
    and so never holds two copies of the matrix at once.
    """

    BLOCK = 256  # records per conversion: bounds the queue to 256 x samples x 12 bytes

    def __init__(self, n_samples: int, capacity: int) -> None:
        self.n_samples = n_samples
        self.buffer = np.empty((max(capacity, 1), n_samples), dtype=np.int8)
        self.n_columns = 0
        # One list per variants-table column; repeated strings (contigs,
        # alleles, filters) are stored once, which keeps 10^5+ variants light.
        self.columns: dict[str, list] = {name: [] for name in VARIANT_COLUMNS}
        self._strings: dict[str, str] = {}
        # Queued records: htslib's (n_samples, 3) arrays (two alleles, then the
        # phase flag), stacked and converted together when the block is full.
        self.queue_calls: list[np.ndarray] = []
        self.queue_rows: list[tuple] = []

    def add_biallelic(self, calls: np.ndarray, site: tuple, alt: str) -> None:
        if calls.shape[1] == 2:  # a record of haploid calls only: no second allele
            calls = np.column_stack(
                [calls[:, 0], np.full(len(calls), -2, calls.dtype), calls[:, 1]]
            )
        self.queue_calls.append(calls)
        self.queue_rows.append((*site, alt))
        if len(self.queue_rows) == self.BLOCK:
            self._flush()

    def add_general(self, calls: np.ndarray, site: tuple, alts: list[str]) -> None:
        self._flush()
        alleles, phase = calls[:, :-1], calls[:, -1].astype(bool)
        # A missing allele, or more than two alleles (polyploid: missing, as in plink2).
        missing = (alleles == -1).any(axis=1) | ((alleles != -2).sum(axis=1) > 2)
        diploid_called = (
            ~missing & (alleles[:, 1] != -2) if alleles.shape[1] > 1 else missing & False
        )
        phased = bool(diploid_called.any() and phase[diploid_called].all())
        for allele_index, alt in enumerate(alts, start=1):
            dosage = self._next_columns(1)[0]
            np.sum(alleles == allele_index, axis=1, out=dosage, dtype=np.int8)
            dosage[missing] = MISSING
            called = (alleles[~missing] >= 0).sum()
            af = float((alleles[~missing] == allele_index).sum() / called) if called else np.nan
            self._add_row(site, alt, allele_index, af, phased)

    @property
    def columns_added(self) -> int:
        """Columns added so far, queued ones included."""
        return self.n_columns + len(self.queue_rows)

    def finish(self) -> tuple[np.ndarray, dict[str, list]]:
        self._flush()
        if self.n_columns != self.buffer.shape[0]:
            self.buffer.resize((self.n_columns, self.n_samples), refcheck=False)
        return self.buffer, self.columns

    def _flush(self) -> None:
        count = len(self.queue_rows)
        if count == 0:
            return
        block = np.stack(self.queue_calls)  # (count, n_samples, 3)
        first, second, phase = block[:, :, 0], block[:, :, 1], block[:, :, 2]
        missing = (first == -1) | (second == -1)
        dosage = self._next_columns(count)
        np.add(first == 1, second == 1, out=dosage, dtype=np.int8)
        dosage[missing] = MISSING
        called = ~missing
        # The one allele frequency of vcfml.stats, with each call's own ploidy.
        ploidy = np.where(second == -2, 1, 2).astype(np.int8)
        af = allele_frequency(dosage.T, ploidy.T)
        diploid_called = called & (second != -2)
        phased = diploid_called.any(axis=1) & ((phase == 1) | ~diploid_called).all(axis=1)
        chroms, positions, names, refs, filters, alts = zip(*self.queue_rows, strict=True)
        shared = self._shared
        for column, values in [
            ("chrom", map(shared, chroms)),
            ("pos", positions),
            ("id", names),
            ("ref", map(shared, refs)),
            ("alt", map(shared, alts)),
            ("allele_index", [1] * count),
            ("filter", map(shared, filters)),
            ("af", af.tolist()),
            ("phased", phased.tolist()),
        ]:
            self.columns[column].extend(values)
        self.queue_calls.clear()
        self.queue_rows.clear()

    def _shared(self, text: str) -> str:
        """One copy of each repeated string (contig, allele, filter)."""
        return self._strings.setdefault(text, text)

    def _next_columns(self, count: int) -> np.ndarray:
        needed = self.n_columns + count
        if needed > self.buffer.shape[0]:
            grown = max(needed, int(self.buffer.shape[0] * 1.5) + 1024)
            self.buffer.resize((grown, self.n_samples), refcheck=False)
        columns = self.buffer[self.n_columns : needed]
        self.n_columns = needed
        return columns

    def _add_row(self, site: tuple, alt: str, allele_index: int, af: float, phased: bool) -> None:
        chrom, pos, name, ref, filters = site
        shared = self._shared
        values = (
            shared(chrom),
            pos,
            name,
            shared(ref),
            shared(alt),
            allele_index,
            shared(filters),
            af,
            phased,
        )
        for column, value in zip(self.columns.values(), values, strict=True):
            column.append(value)


def _genotype_array(
    record, path: Path, record_number: int, n_file_samples: int, region: str | None
) -> np.ndarray:
    """The (n_samples, ploidy + 1) array of a record: allele indices (-1 missing,
    -2 absent, e.g. the second slot of a haploid call) and then the phase flag."""
    try:
        genotype = record.genotype
    except Exception:  # cyvcf2: "couldn't get genotypes for variant"
        genotype = None
    if genotype is None:
        problem = (
            "this record has no GT field in FORMAT, so there are no genotypes to read"
            if "GT" not in record.FORMAT
            else "htslib could not decode the genotypes of this record"
        )
        line, text = (
            vcf_diagnose.find_record(path, record_number) if region is None else (None, None)
        )
        if text is not None and len(text.split("\t")) < 9 + n_file_samples:
            # e.g. FORMAT but no sample columns (htslib then shows no FORMAT either)
            problem = vcf_diagnose.explain_record_failure(path, n_file_samples, record_number)[1]
        raise VcfmlInputError(
            path,
            problem,
            line=line,
            record=record_number,
            where=f"{record.CHROM}:{record.start + 1}",
        )
    return genotype.array()


def _record_error(path: Path, n_file_samples: int, record_number: int, last, region: str | None):
    after = f"after {last.CHROM}:{last.start + 1}" if last is not None else "first record"
    if region is None:
        # The text has every sample column, whichever samples were asked for.
        line, problem = vcf_diagnose.explain_record_failure(path, n_file_samples, record_number)
    else:
        line, problem = None, "htslib could not parse this record"
    return VcfmlInputError(path, problem, line=line, record=record_number, where=after)
