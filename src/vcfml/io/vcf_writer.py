"""Write a dosage matrix as a real, bgzip-compressed and tabix-indexed VCF 4.3 file.

Simulated cohorts are written in the same format a variant caller produces, so
the course can inspect them with ``bcftools`` and read them back with htslib.
BGZF blocks are compressed in parallel threads, by libdeflate (faster than zlib,
for smaller files) or by zlib with the bytes htslib's ``bgzip`` writes
(:mod:`vcfml.io.bgzf`); htslib's indexer (through ``pysam``)
builds the tabix index from the offsets the writer knows (:mod:`vcfml.io.tabix`).

Formatting 10^8 genotype calls one by one in Python would take minutes, so the
calls are formatted a block of variants at a time with table look-ups: every
possible ``GT:DP`` field is formatted once, each call becomes a code into that
table, and a compiled loop (numba) copies prefixes and fields into the
block's text. :func:`write_vcf_blocks` takes the genotypes a block at a
time, so a simulator never holds the whole matrix.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable, Sequence
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd
import pysam

from vcfml.errors import VcfmlInputError
from vcfml.io.atomic import check_writable
from vcfml.io.bgzf import DEFAULT_COMPRESSOR, ParallelBgzfWriter
from vcfml.io.tabix import write_vcf_index

MAX_DEPTH = 99
FIELD_WIDTH = 8  # bytes reserved per formatted call; "./.:99\t" is the longest
BLOCK_VARIANTS = 2048
TEXT_SLICE = 1 << 20  # bytes of text formatted at a time (see write_vcf_blocks)
HAPLOID_CONTIGS = frozenset({"chrX", "X", "chrY", "Y"})

# Genotype codes used to index the formatted-field table.
_DIPLOID = ["0/0", "0/1", "1/1", "./."]
_HAPLOID = ["0", "1", "."]
_GT_STRINGS = _DIPLOID + _HAPLOID


def _field_table(with_depth: bool) -> tuple[np.ndarray, np.ndarray]:
    """Every possible formatted call, tab-terminated: (n_codes, FIELD_WIDTH) bytes
    and the length of each."""
    if with_depth:
        fields = [f"{gt}:{depth}\t" for gt in _GT_STRINGS for depth in range(MAX_DEPTH + 1)]
    else:
        fields = [f"{gt}\t" for gt in _GT_STRINGS]
    table = np.zeros((len(fields), FIELD_WIDTH), dtype=np.uint8)
    for row, field in enumerate(fields):
        table[row, : len(field)] = np.frombuffer(field.encode(), dtype=np.uint8)
    return table, np.array([len(field) for field in fields], dtype=np.int64)


def write_vcf(
    path: str | PathLike[str],
    genotypes: np.ndarray,
    variants: pd.DataFrame,
    samples: Sequence[str],
    *,
    contigs: dict[str, int],
    depth: np.ndarray | None = None,
    haploid_samples: np.ndarray | None = None,
    haploid_sites: np.ndarray | None = None,
    meta: Iterable[str] = (),
    index: bool = True,
    compression_level: int | None = None,
    compressor: str = DEFAULT_COMPRESSOR,
) -> Path:
    """Write genotypes as a bgzip-compressed VCF 4.3 file with a tabix index.

    Args:
        path: output file, normally ending in ``.vcf.gz``.
        genotypes: (n_samples, n_variants) ALT-allele dosages, -1 for missing.
        variants: one row per variant with ``chrom``, ``pos``, ``id``, ``ref``,
            ``alt`` and optionally ``filter``; sorted by contig (in the order of
            ``contigs``) and position.
        samples: sample IDs, one per row of ``genotypes``.
        contigs: contig name to length, in header order.
        depth: optional (n_samples, n_variants) read depths, written as FORMAT
            DP (values above 99 are written as 99).
        haploid_samples: optional boolean per sample; these samples get
            haploid calls on chrX/chrY (as males do).
        haploid_sites: optional boolean per variant: the sites where
            ``haploid_samples`` get haploid calls. Default: every site on
            chrX/chrY; a simulator that models the pseudo-autosomal regions
            passes False for the sites inside them (diploid for everyone).
        meta: extra ``##key=value`` lines for the header, e.g. the simulation
            command, so the file says where it came from.
        index: also write the tabix index ``path + '.tbi'``.
        compression_level: the compressor's level (libdeflate 0-12, zlib 0-9;
            None: libdeflate 2, zlib 1). On GT:DP text these make files 16% and
            a third larger than bgzip's default (zlib 6), 11 and 8 times as
            fast, which keeps writing 10^8 calls to seconds.
        compressor: "libdeflate" (the default) or "zlib", which writes the
            bytes htslib's ``bgzip`` writes at the same level; the text inside
            is the same (see :mod:`vcfml.io.bgzf`).

    Returns:
        The path written.
    """
    path = Path(path)
    genotypes = np.asarray(genotypes)
    _validate_shapes(path, genotypes, variants, samples, depth)
    blocks = (
        (
            genotypes[:, start : start + BLOCK_VARIANTS],
            None if depth is None else depth[:, start : start + BLOCK_VARIANTS],
        )
        for start in range(0, genotypes.shape[1], BLOCK_VARIANTS)
    )
    return write_vcf_blocks(
        path,
        blocks,
        variants,
        samples,
        contigs=contigs,
        with_depth=depth is not None,
        haploid_samples=haploid_samples,
        haploid_sites=haploid_sites,
        meta=meta,
        index=index,
        compression_level=compression_level,
        compressor=compressor,
    )


def write_vcf_blocks(
    path: str | PathLike[str],
    blocks: Iterable[tuple[np.ndarray, np.ndarray | None]],
    variants: pd.DataFrame,
    samples: Sequence[str],
    *,
    contigs: dict[str, int],
    with_depth: bool = False,
    haploid_samples: np.ndarray | None = None,
    haploid_sites: np.ndarray | None = None,
    meta: Iterable[str] = (),
    index: bool = True,
    compression_level: int | None = None,
    compressor: str = DEFAULT_COMPRESSOR,
    threads: int | None = None,
) -> Path:
    """Write a VCF from blocks of consecutive variants, so that the matrix never
    has to be in memory at once (how the simulators write large cohorts).

    BGZF blocks are compressed on ``threads`` threads (default: one per core)
    while this thread formats the next block of text (the compiled loops release
    the GIL too); the bytes do not depend on the number of threads.

    Args:
        blocks: ``(genotypes, depth)`` pairs, each (n_samples, block width),
            covering the rows of ``variants`` in order; ``depth`` is None when
            ``with_depth`` is False.
        threads: compression threads (None: one per core); the file's bytes do
            not depend on it.
        The other arguments are those of :func:`write_vcf`.

    Returns:
        The path written (only once every block was written: a failure leaves
        no partial file behind).
    """
    path = check_writable(path)
    _validate_table(path, variants, samples, contigs)
    tables = _field_table(with_depth)
    haploid = (
        np.zeros(len(samples), dtype=bool)
        if haploid_samples is None
        else np.asarray(haploid_samples, dtype=bool)
    )
    if haploid_sites is None:
        haploid_sites = np.isin(variants["chrom"].to_numpy(), list(HAPLOID_CONTIGS))
    if haploid.shape != (len(samples),):
        # The compiled line writer indexes it per sample without bounds checks.
        raise VcfmlInputError(
            path,
            f"haploid_samples needs one value per sample ({len(samples)}), got {haploid.shape}",
        )
    haploid_sites = np.asarray(haploid_sites, dtype=bool)
    if haploid_sites.shape != (len(variants),):
        raise VcfmlInputError(
            path,
            f"haploid_sites needs one value per variant ({len(variants)}), "
            f"got {haploid_sites.shape}",
        )
    header = _header(samples, contigs, with_depth, meta).encode()
    # A name of this writer's own in the same folder (so the rename is atomic):
    # two writers of one path never share a temporary file, and a reader sees
    # the old file or the whole new one. Its index is written beside it and
    # renamed after it.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    tmp_index = tmp.with_name(tmp.name + ".tbi")
    line_ends = []  # where each line ends in the text, for the index
    try:
        with ParallelBgzfWriter(tmp, compression_level, threads, compressor) as out:
            out.write(header)
            start = 0
            for genotypes, depth in blocks:
                genotypes = np.asarray(genotypes)
                stop = start + genotypes.shape[1]
                _validate_block(path, genotypes, depth, samples, len(variants), stop, with_depth)
                # Slices of about 1 MiB of text, so the compressing threads work
                # on one while this thread formats the next.
                step = max(1, TEXT_SLICE // (FIELD_WIDTH * max(1, len(samples))))
                for first in range(start, stop, step):
                    last = min(first + step, stop)
                    text, ends = _format_block(
                        genotypes[:, first - start : last - start],
                        None if depth is None else depth[:, first - start : last - start],
                        variants.iloc[first:last],
                        haploid,
                        haploid_sites[first:last],
                        tables,
                    )
                    line_ends.append(out.uncompressed_size + ends)
                    out.write(text)
                start = stop
            if start != len(variants):
                raise VcfmlInputError(
                    path, f"the blocks cover {start} variants, the table has {len(variants)}"
                )
        if index:
            _index(tmp, variants, out, len(header), line_ends)
        # An index left from an earlier file would point into this one: it goes
        # first, so nothing ever pairs the new VCF with the old index.
        path.with_name(path.name + ".tbi").unlink(missing_ok=True)
        os.replace(tmp, path)
        if index:
            os.replace(tmp_index, path.with_name(path.name + ".tbi"))
    except OSError as error:
        raise VcfmlInputError(path, f"cannot write: {error.strerror or error}") from error
    finally:
        tmp.unlink(missing_ok=True)
        tmp_index.unlink(missing_ok=True)
    return path


def _index(
    path: Path,
    variants: pd.DataFrame,
    out: ParallelBgzfWriter,
    header_end: int,
    line_ends: list[np.ndarray],
) -> None:
    """Write the tabix index from what the writer knows (htslib's indexer, no
    re-reading: :mod:`vcfml.io.tabix`), or else with ``pysam.tabix_index``."""
    ends = np.concatenate(line_ends) if line_ends else np.zeros(0, dtype=np.int64)
    offsets = out.virtual_offsets(np.concatenate([[header_end, out.uncompressed_size], ends]))
    written = write_vcf_index(
        path,
        variants["chrom"].tolist(),
        variants["pos"].to_numpy(),
        np.array([len(ref.encode()) for ref in variants["ref"].tolist()], dtype=np.int64),
        offsets[2:],
        int(offsets[0]),
        int(offsets[1]),
    )
    if not written:
        pysam.tabix_index(str(path), preset="vcf", force=True)


def _validate_shapes(path, genotypes, variants, samples, depth) -> None:
    if genotypes.ndim != 2 or genotypes.shape != (len(samples), len(variants)):
        raise VcfmlInputError(
            path,
            f"genotypes must be (n_samples, n_variants) = ({len(samples)}, {len(variants)}), "
            f"got {genotypes.shape}",
        )
    if depth is not None and depth.shape != genotypes.shape:
        raise VcfmlInputError(path, f"depth has shape {depth.shape}, genotypes {genotypes.shape}")


def _validate_block(path, genotypes, depth, samples, n_variants, stop, with_depth) -> None:
    if genotypes.ndim != 2 or genotypes.shape[0] != len(samples) or stop > n_variants:
        raise VcfmlInputError(
            path,
            f"a block of genotypes must be (n_samples = {len(samples)}, width) within "
            f"{n_variants} variants, got {genotypes.shape} ending at variant {stop}",
        )
    if with_depth != (depth is not None) or (depth is not None and depth.shape != genotypes.shape):
        raise VcfmlInputError(path, "each block needs a depth array of the genotypes' shape")
    if genotypes.dtype.kind not in "biuf":
        raise VcfmlInputError(path, f"dosages must be numbers, got {genotypes.dtype}")
    if genotypes.dtype.kind == "f" and genotypes.size:
        # 0.5 would be truncated to 0/0: a silent change of the data.
        whole = np.isfinite(genotypes) & (genotypes == np.round(genotypes))
        if not whole.all():
            sample, site = np.argwhere(~whole)[0]
            raise VcfmlInputError(
                path,
                f"dosages must be whole numbers -1, 0, 1 or 2 (hard calls); sample "
                f"{samples[sample]} has {genotypes[sample, site]} at block column {site}",
            )
    if genotypes.size and (genotypes.min() < -1 or genotypes.max() > 2):
        raise VcfmlInputError(path, "dosages must be -1 (missing), 0, 1 or 2")


# What VCF 4.3 forbids in each text field (section 1.6.1 and the header line):
# a tab or line end anywhere breaks the file's columns; IDs, contigs, ALT and
# FILTER take no white space either (ID and FILTER no ';' either).
FORBIDDEN = {
    "chrom": r"[\s,<>=]",
    "id": r"[\s;]",
    "alt": r"\s",
    "filter": r"[\s;]",
}
REF_BASES = r"[ACGTNacgtn]+"


def _validate_text(path: Path, variants: pd.DataFrame, samples: Sequence[str]) -> None:
    """Refuse what would make a broken or different file: a sample name with a tab
    or line end (a newline once injected a header line and lost a sample), IDs
    with white space, POS below 1, an empty or missing REF or ALT."""
    for name in samples:
        if not isinstance(name, str) or not name or any(c in name for c in "\t\n\r"):
            raise VcfmlInputError(
                path, f"sample name {name!r}: VCF sample names are non-empty, without tabs "
                "or line ends",
            )  # fmt: skip
    for column in ["chrom", "pos", "id", "ref", "alt"]:
        if column not in variants:
            raise VcfmlInputError(path, f"the variants table has no {column!r} column")
    pos = variants["pos"]
    if not pd.api.types.is_integer_dtype(pos) or (len(pos) and pos.min() < 1):
        bad = pos[~pos.map(lambda value: isinstance(value, (int, np.integer)) and value >= 1)]
        raise VcfmlInputError(
            path, f"POS must be whole numbers from 1, got {bad.iloc[0]!r} (variant {bad.index[0]})"
        )
    bad = _not_matching(variants["ref"], REF_BASES)
    if bad.any():
        row = int(bad.nonzero()[0][0])
        raise VcfmlInputError(
            path,
            f"REF {variants['ref'].iloc[row]!r} at variant {row}: REF is one or more of "
            "A, C, G, T, N",
        )
    for column, pattern in FORBIDDEN.items():
        if column not in variants:
            continue
        bad = _not_matching(variants[column], pattern, forbidden=True)
        if bad.any():
            row = int(bad.nonzero()[0][0])
            raise VcfmlInputError(
                path,
                f"{column.upper()} {variants[column].iloc[row]!r} at variant {row}: VCF needs "
                "a non-empty text without white space"
                + (" or ';'" if column in ("id", "filter") else ""),
            )


def _not_matching(values: pd.Series, pattern: str, forbidden: bool = False) -> np.ndarray:
    """Per value: not a non-empty string that fully matches ``pattern`` (or, with
    ``forbidden``, that contains no match of it). Vectorised: a simulator's
    table has 10^6 rows."""
    if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
        return np.ones(len(values), dtype=bool)  # numbers or other non-text
    text = values.str
    if forbidden:
        bad = text.contains(pattern, regex=True, na=True)
    else:
        bad = ~text.fullmatch(pattern).fillna(False).astype(bool)
    empty = text.len().fillna(0) == 0
    return (bad.fillna(True).astype(bool) | empty).to_numpy()


def _validate_table(path, variants, samples, contigs) -> None:
    if len(set(samples)) != len(samples):
        raise VcfmlInputError(path, "duplicate sample IDs")
    _validate_text(path, variants, samples)
    unknown = set(variants["chrom"]) - set(contigs)
    if unknown:
        raise VcfmlInputError(
            path, f"variants on contigs missing from the header: {sorted(unknown)}"
        )
    order = variants["chrom"].map({name: rank for rank, name in enumerate(contigs)})
    keys = order.to_numpy() * (1 << 40) + variants["pos"].to_numpy()
    if len(keys) > 1 and not (np.diff(keys) >= 0).all():
        raise VcfmlInputError(path, "variants must be sorted by contig and position")


def _header(samples, contigs, with_depth: bool, meta: Iterable[str]) -> str:
    lines = [
        "##fileformat=VCFv4.3",
        '##FILTER=<ID=PASS,Description="All filters passed">',
        *[f"##contig=<ID={name},length={length}>" for name, length in contigs.items()],
        '##INFO=<ID=AC,Number=A,Type=Integer,Description="Allele count in genotypes">',
        '##INFO=<ID=AN,Number=1,Type=Integer,Description="Number of alleles in called genotypes">',
        '##INFO=<ID=AF,Number=A,Type=Float,Description="Allele frequency in called genotypes">',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
    ]
    if with_depth:
        lines.append('##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">')
    lines.extend(f"##{line.lstrip('#')}" for line in meta)
    columns = ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", *samples]
    lines.append("\t".join(columns))
    return "\n".join(lines) + "\n"


def _format_block(
    genotypes, depth, variants, haploid, haploid_sites, tables
) -> tuple[np.ndarray, np.ndarray]:
    """Format one block of variants (``genotypes`` is n_samples x block) as VCF lines;
    ``haploid_sites`` (one per variant of the block) says where ``haploid`` samples
    get haploid calls. Returns the text as a read-only uint8 array, which the BGZF
    writer compresses in place (a ``bytes`` copy would add a fifth to the formatting
    time), and the offset in it just past each line."""
    from vcfml.io.vcf_lines import allele_counts, join_lines  # numba: loaded when first used

    genotypes = _compact(genotypes, np.int8)
    allele_count, allele_number, impossible = allele_counts(genotypes, haploid, haploid_sites)
    if impossible:
        raise VcfmlInputError(None, "haploid calls (males on chrX/chrY) must have dosage 0 or 1")
    with_depth = depth is not None
    if with_depth:
        depth = np.asarray(depth)
        if depth.dtype != np.uint8:
            depth = np.clip(depth, 0, MAX_DEPTH).astype(np.uint8)
        depth = _compact(depth, np.uint8)
    else:
        depth = np.zeros((0, 0), dtype=np.uint8)
    prefixes = _prefixes(variants, allele_count, allele_number, with_depth)
    prefix_bytes = np.frombuffer(b"".join(prefixes), dtype=np.uint8)
    offsets = np.zeros(len(prefixes) + 1, dtype=np.int64)
    np.cumsum([len(prefix) for prefix in prefixes], out=offsets[1:])
    field_bytes, field_lengths = tables
    out = np.empty(len(prefix_bytes) + genotypes.size * FIELD_WIDTH, dtype=np.uint8)
    line_ends = np.empty(len(prefixes), dtype=np.int64)
    used = join_lines(
        genotypes,
        depth,
        with_depth,
        haploid,
        haploid_sites,
        field_bytes,
        field_lengths,
        MAX_DEPTH,
        prefix_bytes,
        offsets,
        out,
        line_ends,
    )
    text = out[:used]
    text.flags.writeable = False
    return text, line_ends


def _compact(values: np.ndarray, dtype) -> np.ndarray:
    """``values`` as ``dtype`` (the simulators' int8 and uint8 blocks need no copy)."""
    values = np.asarray(values)
    return values if values.dtype == dtype else values.astype(dtype)


def _prefixes(
    variants: pd.DataFrame, allele_count: np.ndarray, allele_number: np.ndarray, with_depth: bool
) -> list[bytes]:
    """The fixed columns of each line, with INFO AC/AN/AF from the calls' counts."""
    # Plain lists: iterating pandas' Arrow-backed string columns costs ~8 us a value.
    filters = variants["filter"].tolist() if "filter" in variants else ["PASS"] * len(variants)
    form = "GT:DP" if with_depth else "GT"
    prefixes = []
    for chrom, pos, name, ref, alt, flt, ac, an in zip(
        variants["chrom"].tolist(),
        variants["pos"].tolist(),
        variants["id"].tolist(),
        variants["ref"].tolist(),
        variants["alt"].tolist(),
        filters,
        allele_count.tolist(),
        allele_number.tolist(),
        strict=True,
    ):
        af = f"{ac / an:.4g}" if an else "."
        prefixes.append(
            f"{chrom}\t{pos}\t{name}\t{ref}\t{alt}\t.\t{flt}\tAC={ac};AN={an};AF={af}\t{form}\t".encode()
        )
    return prefixes
