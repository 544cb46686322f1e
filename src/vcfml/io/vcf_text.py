"""A compiled reader of the GT field of VCF text: the fast path of :func:`vcfml.read_vcf`.

Why this exists: htslib (through cyvcf2) parses *every* field of every sample
(GT, DP, AD, ...) into its binary form before Python sees a record, and then
each record still costs a Python step. Measured on a 2,000 x 10,000 cohort
with GT:DP (``benchmarks/load_vcf.py``), htslib's parse alone took about 75% of
the time of a plain cyvcf2 ``gt_types`` loop, so no reader built on htslib's
records can be twice as fast as that loop; multi-threaded BGZF decompression
saved under 10%. This module therefore reads the text itself, in blocks of
256 KiB, with one function compiled by numba that looks only at the fixed
columns and at the GT sub-field of each sample, and writes dosages straight
into the int8 matrix: no Python step per record or per call.

It is deliberately strict: it accepts only the plain shape of VCF text that
writers produce (GT first in FORMAT, as the VCF specification requires;
allele indices and ``.`` separated by ``/`` or ``|``; at least as many sample
columns as the header names; ``\\n`` line ends). On anything else -- a
malformed record, a GT field htslib would reject or read differently, CRLF line
ends -- it gives up and returns ``None``, and :mod:`vcfml.io.vcf_reader` reads
the file again with htslib, which either reads it or explains what is wrong.
The test suite checks both paths against each other and against ``bcftools``
on generated VCF text (phase, multiallelic, haploid, polyploid, missing).
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numba
import numpy as np
import pandas as pd
from pysam.libcbgzf import BGZFile

from vcfml.io import vcf_diagnose

BLOCK_BYTES = 1 << 18  # text parsed per call of the compiled function (256 KiB)
MAX_PLOIDY = 8
MAX_ALLELE = 1 << 20

# Return codes of _parse_lines.
DONE = 0  # every complete line of the block was parsed
FULL = 1  # the output arrays are full: grow them and call again from `position`
UNSUPPORTED = 2  # something this parser does not handle: let htslib read the file

# Columns of the per-record array written by _parse_lines.
CHROM_START, CHROM_END, POS, ID_START, ID_END, REF_START, REF_END, FILTER_START, FILTER_END = range(
    9
)
RECORD_FIELDS = 9
# Columns of the per-allele (per output column) array.
RECORD, ALLELE_INDEX, ALT_START, ALT_END, ALT_COUNT, CALLED_ALLELES, PHASED = range(7)
COLUMN_FIELDS = 7

TAB, NEWLINE, COLON, SLASH, PIPE, DOT, COMMA = (ord(c) for c in "\t\n:/|.,")
ZERO, NINE = ord("0"), ord("9")


@numba.njit(cache=True, nogil=True)
def _skip_field(text, position, end):
    """Index of the tab or newline that ends the field starting at ``position``."""
    while position < end and text[position] != TAB and text[position] != NEWLINE:
        position += 1
    return position


@numba.njit(cache=True, nogil=True)
def _parse_call(text, position, end, n_alt, alleles):
    """Parse one GT value in its general form (any ploidy, multi-digit alleles).

    Returns (position after the sample's column, ploidy, missing, phased, ok);
    ``alleles[:ploidy]`` holds the allele indices (-1 for ``.``).
    """
    ploidy = 0
    missing = False
    phased = False
    while True:
        if position >= end or ploidy == MAX_PLOIDY:
            return position, ploidy, missing, phased, False
        character = text[position]
        if character == DOT:
            alleles[ploidy] = -1
            missing = True
            position += 1
        elif ZERO <= character <= NINE:
            value = 0
            while position < end and ZERO <= text[position] <= NINE:
                value = value * 10 + text[position] - ZERO
                position += 1
                if value > MAX_ALLELE:
                    return position, ploidy, missing, phased, False
            if value > n_alt:  # the htslib path names the record in its error
                return position, ploidy, missing, phased, False
            alleles[ploidy] = value
        else:
            return position, ploidy, missing, phased, False
        ploidy += 1
        if position >= end:
            return position, ploidy, missing, phased, False
        character = text[position]
        if character == SLASH or character == PIPE:  # noqa: SIM109 (plain branches in numba)
            if ploidy == 1:
                phased = character == PIPE  # htslib's phase is that of the 2nd allele
            position += 1
            continue
        if character == COLON:
            position = _skip_field(text, position, end)
        elif character != TAB and character != NEWLINE:
            return position, ploidy, missing, phased, False
        return position, ploidy, missing, phased, True


@numba.njit(cache=True, nogil=True)
def _parse_lines(text, position, end, selection, dosages, first_column, records, columns):
    """Parse complete lines of ``text[position:end]`` (which ends with a newline).

    Writes one row of ``dosages`` per ALT allele (variant-major; the sample
    columns of the file go to the rows given by ``selection``, or nowhere for
    -1), one row of ``records`` per line and one row of ``columns`` per ALT
    allele.

    Returns (code, position reached, records written, columns written).
    """
    n_file_samples = selection.shape[0]
    n_records = 0
    n_columns = 0
    alleles = np.empty(MAX_PLOIDY, np.int64)
    starts = np.empty(8, np.int64)
    stops = np.empty(8, np.int64)
    while position < end:
        line_start = position
        if n_records == records.shape[0]:
            return FULL, line_start, n_records, n_columns
        # Fixed columns: CHROM POS ID REF ALT QUAL FILTER INFO.
        for field in range(8):
            starts[field] = position
            position = _skip_field(text, position, end)
            stops[field] = position
            if position == starts[field]:
                return UNSUPPORTED, line_start, n_records, n_columns  # an empty field
            if field < 7:
                if position >= end or text[position] != TAB:
                    return UNSUPPORTED, line_start, n_records, n_columns  # too few columns
                position += 1
        pos = 0
        for index in range(starts[1], stops[1]):
            digit = text[index] - ZERO
            if digit < 0 or digit > 9 or pos > 1 << 40:
                return UNSUPPORTED, line_start, n_records, n_columns
            pos = pos * 10 + digit
        alt_start, alt_stop = starts[4], stops[4]
        n_alt = 0
        if not (alt_stop - alt_start == 1 and text[alt_start] == DOT):
            n_alt = 1
            for index in range(alt_start, alt_stop):
                if text[index] == COMMA:
                    n_alt += 1
        column = first_column + n_columns  # the dosage row of this record's first ALT
        if n_columns + n_alt > columns.shape[0] or column + n_alt > dosages.shape[0]:
            return FULL, line_start, n_records, n_columns
        for allele in range(n_alt):
            columns[n_columns + allele, ALT_COUNT] = 0
        called_alleles = 0
        diploid_called = False
        all_phased = True
        if n_file_samples > 0:
            # FORMAT must start with GT (the VCF specification puts it first).
            if position >= end or text[position] != TAB:
                return UNSUPPORTED, line_start, n_records, n_columns
            position += 1
            if not (
                position + 2 < end
                and text[position] == ord("G")
                and text[position + 1] == ord("T")
                and (text[position + 2] == COLON or text[position + 2] == TAB)
            ):
                return UNSUPPORTED, line_start, n_records, n_columns
            position = _skip_field(text, position, end)
            alt_count = 0  # for the common biallelic case, kept in a register
            for sample in range(n_file_samples):
                if position >= end or text[position] != TAB:
                    return UNSUPPORTED, line_start, n_records, n_columns  # too few samples
                position += 1
                out = selection[sample]
                # The common case first: a diploid call of one-digit alleles.
                if position + 3 < end:
                    first = text[position] - ZERO
                    separator = text[position + 1]
                    second = text[position + 2] - ZERO
                    after = text[position + 3]
                    if (
                        0 <= first <= 9
                        and 0 <= second <= 9
                        and (separator == SLASH or separator == PIPE)  # noqa: SIM109
                        and (after == TAB or after == NEWLINE or after == COLON)  # noqa: SIM109
                    ):
                        if first > n_alt or second > n_alt:
                            return UNSUPPORTED, line_start, n_records, n_columns
                        position += 3
                        if after == COLON:
                            position = _skip_field(text, position, end)
                        if out < 0:
                            continue
                        called_alleles += 2
                        diploid_called = True
                        all_phased = all_phased and separator == PIPE
                        if n_alt == 1:
                            count = (first == 1) + (second == 1)
                            alt_count += count
                            dosages[column, out] = count
                        else:
                            for allele in range(1, n_alt + 1):
                                count = (first == allele) + (second == allele)
                                columns[n_columns + allele - 1, ALT_COUNT] += count
                                dosages[column + allele - 1, out] = count
                        continue
                position, ploidy, missing, phased, ok = _parse_call(
                    text, position, end, n_alt, alleles
                )
                if not ok:
                    return UNSUPPORTED, line_start, n_records, n_columns
                if out < 0:  # a sample not asked for: checked, not counted
                    continue
                if missing:
                    for allele in range(n_alt):
                        dosages[column + allele, out] = -1
                    continue
                called_alleles += ploidy
                if ploidy > 1:
                    diploid_called = True
                    all_phased = all_phased and phased
                for allele in range(1, n_alt + 1):
                    count = 0
                    for slot in range(ploidy):
                        if alleles[slot] == allele:
                            count += 1
                    columns[n_columns + allele - 1, ALT_COUNT] += count
                    dosages[column + allele - 1, out] = count
            if n_alt == 1:
                columns[n_columns, ALT_COUNT] += alt_count
            if position < end and text[position] == TAB:  # extra sample columns: ignored
                while position < end and text[position] != NEWLINE:
                    position += 1
        else:
            while position < end and text[position] != NEWLINE:  # sites only: skip the rest
                position += 1
        if position >= end or text[position] != NEWLINE:
            return UNSUPPORTED, line_start, n_records, n_columns
        position += 1
        record = records[n_records]
        record[CHROM_START] = starts[0]
        record[CHROM_END] = stops[0]
        record[POS] = pos
        record[ID_START] = starts[2]
        record[ID_END] = stops[2]
        record[REF_START] = starts[3]
        record[REF_END] = stops[3]
        record[FILTER_START] = starts[6]
        record[FILTER_END] = stops[6]
        piece_start = alt_start
        for allele in range(n_alt):
            piece_stop = piece_start
            while piece_stop < alt_stop and text[piece_stop] != COMMA:
                piece_stop += 1
            row = columns[n_columns + allele]
            row[RECORD] = n_records
            row[ALLELE_INDEX] = allele + 1
            row[ALT_START] = piece_start
            row[ALT_END] = piece_stop
            row[CALLED_ALLELES] = called_alleles
            row[PHASED] = 1 if diploid_called and all_phased else 0
            piece_start = piece_stop + 1
        n_records += 1
        n_columns += n_alt
    return DONE, position, n_records, n_columns


def _strings(text: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> list[str]:
    """The fields ``text[start:stop]`` as Python strings (one join and one split,
    not one slice per field)."""
    if len(starts) == 0:
        return []
    pieces = _gather(text, starts, stops)
    return pieces.tobytes().decode().split("\t")


@numba.njit(cache=True, nogil=True)
def _gather(text, starts, stops):
    """The fields, joined by tabs, as one byte array."""
    total = 0
    for index in range(starts.shape[0]):
        total += stops[index] - starts[index] + 1
    joined = np.empty(max(total - 1, 0), np.uint8)
    at = 0
    for index in range(starts.shape[0]):
        for position in range(starts[index], stops[index]):
            joined[at] = text[position]
            at += 1
        if at < joined.shape[0]:
            joined[at] = TAB
            at += 1
    return joined


def is_text_vcf(path: Path) -> bool:
    """Plain or (b)gzip-compressed VCF text (not BCF)."""
    with open(path, "rb") as handle:
        magic = handle.read(2)
    if magic == b"\x1f\x8b":
        with gzip.open(path, "rb") as handle:
            return handle.read(2) == b"##"
    return magic == b"##"


class _Columns:
    """The variants table as growing lists (one DataFrame is built at the end:
    building one per block of text cost more than parsing it), with repeated
    strings (contigs, alleles, filters) stored once."""

    SHARED = ("chrom", "ref", "alt", "filter")

    def __init__(self) -> None:
        self.strings: dict[str, list[str]] = {name: [] for name in ("id", *self.SHARED)}
        self.numbers: dict[str, list[np.ndarray]] = {
            name: [] for name in ("pos", "allele_index", "af", "phased")
        }
        self._known: dict[str, str] = {}

    def add(self, text: np.ndarray, records: np.ndarray, columns: np.ndarray) -> None:
        if len(columns) == 0:
            return
        of_record = records[columns[:, RECORD]]
        called = columns[:, CALLED_ALLELES]
        with np.errstate(invalid="ignore", divide="ignore"):
            af = columns[:, ALT_COUNT] / called
        af[called == 0] = np.nan
        spans = {
            "chrom": (of_record[:, CHROM_START], of_record[:, CHROM_END]),
            "id": (of_record[:, ID_START], of_record[:, ID_END]),
            "ref": (of_record[:, REF_START], of_record[:, REF_END]),
            "alt": (columns[:, ALT_START], columns[:, ALT_END]),
            "filter": (of_record[:, FILTER_START], of_record[:, FILTER_END]),
        }
        known = self._known
        for name, (starts, stops) in spans.items():
            values = _strings(text, starts, stops)
            if name in self.SHARED:
                values = [known.setdefault(value, value) for value in values]
            self.strings[name].extend(values)
        self.numbers["pos"].append(of_record[:, POS])
        self.numbers["allele_index"].append(columns[:, ALLELE_INDEX].astype(np.int8))
        self.numbers["af"].append(af)
        self.numbers["phased"].append(columns[:, PHASED].astype(bool))

    def table(self, names: list[str]) -> pd.DataFrame:
        if not self.strings["id"]:
            return pd.DataFrame({name: [] for name in names})
        columns = {name: np.concatenate(parts) for name, parts in self.numbers.items()}
        return pd.DataFrame({**self.strings, **columns})[names]


def read_text_dosages(
    path: Path, selection: np.ndarray, n_samples: int, capacity: int, names: list[str]
) -> tuple[np.ndarray, pd.DataFrame] | None:
    """Dosages (variant-major int8) and the variants table, or ``None`` when the
    text has anything this parser does not handle (htslib then reads the file).

    Args:
        selection: for each sample column of the file, its output row or -1.
        n_samples: number of output rows.
        capacity: expected number of output columns (grown as needed).
    """
    dosages = np.empty((max(capacity, 1), n_samples), dtype=np.int8)
    records = np.empty((2048, RECORD_FIELDS), dtype=np.int64)
    columns = np.empty((4096, COLUMN_FIELDS), dtype=np.int64)
    table = _Columns()
    n_columns = 0
    selection = np.ascontiguousarray(selection, dtype=np.int64)
    in_header = True
    for block in _line_blocks(path):
        start = 0
        if in_header:
            start = _header_end(block)
            if start == len(block):
                continue  # the header goes on in the next block
            in_header = False
        text = np.frombuffer(block, dtype=np.uint8)
        while start < len(block):
            code, start, n_records, n_new = _parse_lines(
                text, start, len(block), selection, dosages, n_columns, records, columns
            )
            if code == UNSUPPORTED:
                return None
            table.add(text, records[:n_records], columns[:n_new])
            n_columns += n_new
            if code == FULL:
                if n_records == 0:  # one record with more ALT alleles than rows
                    columns = np.empty((2 * len(columns), COLUMN_FIELDS), dtype=np.int64)
                if n_columns + len(columns) > dosages.shape[0]:
                    grown = max(n_columns + len(columns), int(dosages.shape[0] * 1.5) + 1024)
                    dosages.resize((grown, n_samples), refcheck=False)
    if in_header:
        return None  # no #CHROM line: let htslib explain
    if n_columns != dosages.shape[0]:
        dosages.resize((n_columns, n_samples), refcheck=False)
    return dosages, table.table(names)


def _line_blocks(path: Path) -> Iterator[bytes]:
    """The decompressed text in blocks of whole lines.

    A second thread decompresses the next block while the caller parses this
    one (zlib and the compiled parser both release the GIL), so on two cores
    reading costs about max(decompression, parsing) rather than their sum; one
    block ahead keeps memory bounded.
    """
    with _open_text(path) as handle, ThreadPoolExecutor(max_workers=1) as ahead:
        pending = b""
        next_chunk = ahead.submit(handle.read, BLOCK_BYTES)
        while True:
            chunk = next_chunk.result()
            if not chunk:
                break
            next_chunk = ahead.submit(handle.read, BLOCK_BYTES)
            block = pending + chunk if pending else chunk
            cut = block.rfind(b"\n") + 1
            block, pending = block[:cut], block[cut:]
            if block:
                yield block
        if pending:
            yield pending + b"\n"  # the last line may lack its newline


def _header_end(block: bytes) -> int:
    """Where the first record starts in a block of complete lines that begins
    in the header (``len(block)`` when the header goes on past the block)."""
    position = 0
    while position < len(block) and block[position] == ord("#"):
        position = block.index(b"\n", position) + 1
    return position


def _open_text(path: Path):
    """A binary reader of the decompressed text: htslib's BGZF reader (libdeflate,
    about 17% less CPU than Python's zlib) for bgzip files, gzip for other gzip
    files, the file itself for plain text."""
    with open(path, "rb") as handle:
        head = handle.read(18)
    if head[:2] != b"\x1f\x8b":
        return open(path, "rb")
    if vcf_diagnose.is_bgzf(head):
        return BGZFile(str(path), "rb")
    return gzip.open(path, "rb")
