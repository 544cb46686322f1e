"""A compiled reader of the GT field of VCF text: the fast path of :func:`vcfml.read_vcf`
and of :func:`vcfml.read_vcf_blocks`.

Why this exists: htslib (through cyvcf2) parses *every* field of every sample
(GT, DP, AD, ...) into its binary form before Python sees a record, and then
each record still costs a Python step. Measured on a 2,000 x 10,000 cohort
with GT:DP (``benchmarks/load_vcf.py``), htslib's parse alone took about 75% of
the time of a plain cyvcf2 ``gt_types`` loop, so no reader built on htslib's
records can be twice as fast as that loop; multi-threaded BGZF decompression
saved under 10%. This module therefore reads the text itself (inflated by
libdeflate, :mod:`vcfml.io.bgzf_reader`), in blocks of 256 KiB, with one
function compiled by numba that looks only at the fixed columns and at the GT
sub-field of each sample, and writes dosages straight into the int8 matrix: no
Python step per record or per call.

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
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from pathlib import Path

import numba
import numpy as np
import pandas as pd

from vcfml.io import vcf_diagnose
from vcfml.io.bgzf_reader import BgzfReader

BLOCK_BYTES = 1 << 18  # text parsed per call of the compiled function (256 KiB)
MAX_PLOIDY = 8
MAX_ALLELE = 1 << 20

# Return codes of _parse_lines (and, but for SCRATCH, of GenotypeText.fill).
DONE = 0  # every complete line of the text was parsed
FULL = 1  # the dosage rows are full: give more rows (or a new buffer) and call again
UNSUPPORTED = 2  # something this parser does not handle: let htslib read the file
SCRATCH = 3  # the per-record or per-allele scratch rows are full: call again from `position`

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
            return SCRATCH, line_start, n_records, n_columns
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
        if n_columns + n_alt > columns.shape[0]:
            return SCRATCH, line_start, n_records, n_columns
        if column + n_alt > dosages.shape[0]:
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
                if missing or ploidy > 2:  # polyploid calls are missing, as in plink2
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


@numba.njit(cache=True, nogil=True)
def _gather(text, starts, stops):
    """The fields ``text[start:stop]`` joined end to end as one byte array."""
    total = 0
    for index in range(starts.shape[0]):
        total += stops[index] - starts[index]
    joined = np.empty(total, np.uint8)
    at = 0
    for index in range(starts.shape[0]):
        for position in range(starts[index], stops[index]):
            joined[at] = text[position]
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


class _Growing:
    """A 1-d array appended to in place (its capacity doubles), so that the
    variants table is a few arrays, not one small array per block of text."""

    def __init__(self, dtype) -> None:
        self._values = np.empty(256, dtype)
        self.size = 0

    def extend(self, values: np.ndarray) -> None:
        end = self.size + len(values)
        if end > len(self._values):
            self._values.resize(max(end, 2 * len(self._values)), refcheck=False)
        self._values[self.size : end] = values
        self.size = end

    def array(self) -> np.ndarray:
        return self._values[: self.size]

    def trimmed(self) -> np.ndarray:
        """The values, the spare capacity freed: for a column built on this
        memory without a copy, which must not change under it afterwards."""
        self._values.resize(self.size, refcheck=False)
        return self._values


STRING_DTYPE = pd.Series(["x"]).dtype
"""The dtype pandas gives a column of Python strings (that of the htslib path's
table): with pandas 3 and pyarrow, ``str`` stored as an Arrow string array."""


class _Columns:
    """The variants table as it grows: the string columns as their bytes and
    value offsets, the numbers as arrays. With pandas' Arrow-backed ``str`` dtype
    the table's string columns are built on these bytes without a copy and
    without one Python string per value (those, with the copies in Arrow's
    memory pool, were most of the reader's peak memory beyond the matrix)."""

    STRINGS = ("chrom", "id", "ref", "alt", "filter")
    NUMBERS = (("pos", np.int64), ("allele_index", np.int8), ("af", np.float64), ("phased", bool))

    def __init__(self) -> None:
        self.text = {name: _Growing(np.uint8) for name in self.STRINGS}
        self.lengths = {name: _Growing(np.int64) for name in self.STRINGS}
        self.numbers = {name: _Growing(dtype) for name, dtype in self.NUMBERS}

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
        for name, (starts, stops) in spans.items():
            self.text[name].extend(_gather(text, starts, stops))
            self.lengths[name].extend(stops - starts)
        self.numbers["pos"].extend(of_record[:, POS])
        self.numbers["allele_index"].extend(columns[:, ALLELE_INDEX])
        self.numbers["af"].extend(af)
        self.numbers["phased"].extend(columns[:, PHASED])

    def table(self, names: list[str]) -> pd.DataFrame | None:
        """The table, or ``None`` when a string is not UTF-8 (htslib then reads the file)."""
        if self.numbers["pos"].size == 0:
            return pd.DataFrame({name: [] for name in names})  # as the htslib path makes it
        values = {name: column.array() for name, column in self.numbers.items()}
        for name in self.STRINGS:
            offsets = np.zeros(self.lengths[name].size + 1, dtype=np.int64)
            np.cumsum(self.lengths[name].array(), out=offsets[1:])
            try:
                values[name] = _string_column(self.text[name].trimmed(), offsets)
            except UnicodeDecodeError:
                return None
        return pd.DataFrame({name: values[name] for name in names})


def _string_column(data: np.ndarray, offsets: np.ndarray):
    """A column of the strings ``data[offsets[i]:offsets[i + 1]]`` in STRING_DTYPE."""
    if getattr(STRING_DTYPE, "storage", None) == "pyarrow":
        import pyarrow as pa  # pandas has loaded it already

        array = pa.LargeStringArray.from_buffers(
            len(offsets) - 1, pa.py_buffer(offsets), pa.py_buffer(data)
        )
        try:
            array.validate(full=True)  # UTF-8, as decoding would check
        except pa.ArrowInvalid as error:
            raise UnicodeDecodeError("utf-8", b"", 0, 0, str(error)) from error
        return pd.array(array, dtype=STRING_DTYPE)
    text = data.tobytes()
    known: dict[str, str] = {}  # one object per repeated string (contigs, alleles)
    strings = []
    for start, stop in pairwise(offsets.tolist()):
        value = text[start:stop].decode()
        strings.append(known.setdefault(value, value))
    return pd.array(strings, dtype=STRING_DTYPE)


class GenotypeText:
    """The compiled reader's place in one VCF text: :meth:`fill` parses the next
    records into a caller's buffer, so the whole file (:func:`read_text_dosages`,
    one buffer that grows) and a file block by block (:meth:`blocks`, a fresh
    buffer per block; :func:`vcfml.io.vcf_reader.read_vcf_blocks`) share one loop.

    Attributes:
        records: complete records parsed so far.
        records_yielded: the records of the blocks :meth:`blocks` has yielded.
        declined: the text holds something this parser does not handle.
    """

    def __init__(self, path: Path, selection: np.ndarray) -> None:
        self.selection = np.ascontiguousarray(selection, dtype=np.int64)
        self._spans = _line_spans(path)
        self._text = np.empty(0, dtype=np.uint8)
        self._position = self._end = 0
        self._in_header = True
        self._records = np.empty((2048, RECORD_FIELDS), dtype=np.int64)
        self._columns = np.empty((4096, COLUMN_FIELDS), dtype=np.int64)
        self.records = 0
        self.records_yielded = 0
        self.declined = False

    def close(self) -> None:
        """Close the file and stop the read-ahead thread (reading is over)."""
        self._spans.close()

    def fill(self, dosages: np.ndarray, n_columns: int, table: _Columns) -> tuple[int, int]:
        """Parse records into the rows of ``dosages`` from ``n_columns`` on (and
        their variants into ``table``) until the rows are full or the text ends.

        Returns (columns filled, code): FULL, DONE at the end of the text, or
        UNSUPPORTED (``declined`` is then set; what was filled is incomplete).
        """
        while True:
            if self._position >= self._end and not self._next_span():
                if self._in_header:  # no #CHROM line: let htslib explain
                    self.declined = True
                if self.declined:
                    return n_columns, UNSUPPORTED
                return n_columns, DONE
            code, self._position, n_records, n_new = _parse_lines(
                self._text,
                self._position,
                self._end,
                self.selection,
                dosages,
                n_columns,
                self._records,
                self._columns,
            )
            if code == UNSUPPORTED:
                self.declined = True
                return n_columns, UNSUPPORTED
            table.add(self._text, self._records[:n_records], self._columns[:n_new])
            n_columns += n_new
            self.records += n_records
            if code == FULL:
                return n_columns, FULL
            if code == SCRATCH and n_records == 0:  # one record with more ALT alleles than rows
                self._columns = np.empty((2 * len(self._columns), COLUMN_FIELDS), dtype=np.int64)

    def blocks(
        self, n_samples: int, block_sites: int, names: list[str]
    ) -> Iterator[tuple[np.ndarray, pd.DataFrame]]:
        """The dosages (variant-major, a fresh array each) and variants table of
        the next ``block_sites`` columns, block after block; a record's columns
        stay in one block (a record with more ALT alleles than ``block_sites``
        makes a block of its own, of its size). At least one block, empty for a file without
        variants. Stops early, with ``declined`` set, at text it does not handle;
        ``records_yielded`` counts the records of the blocks yielded before."""
        code = FULL
        yielded = False
        while code == FULL:
            dosages = np.empty((block_sites, n_samples), dtype=np.int8)
            table = _Columns()
            n_columns, code = self.fill(dosages, 0, table)
            while code == FULL and n_columns == 0:  # a record with more ALT alleles:
                dosages.resize((len(dosages) + 1, n_samples), refcheck=False)  # just its size
                n_columns, code = self.fill(dosages, 0, table)
            if code == UNSUPPORTED:
                return
            if n_columns == 0 and yielded:
                return
            variants = table.table(names)
            if variants is None:
                self.declined = True
                return
            self.records_yielded = self.records
            yielded = True
            yield dosages[:n_columns], variants

    def _next_span(self) -> bool:
        """Move to the next span of record lines; False at the end of the text,
        or with ``declined`` set where the compressed stream is truncated or
        corrupt (htslib then names the record where it breaks off)."""
        try:
            for text, start, end in self._spans:
                if self._in_header:
                    start = _header_end(text, start, end)
                    if start == end:
                        continue  # the header goes on in the next span
                    self._in_header = False
                self._text, self._position, self._end = text, start, end
                return True
        except (EOFError, OSError, zlib.error):
            self.declined = True
        return False


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
    text = GenotypeText(path, selection)
    dosages = np.empty((max(capacity, 1), n_samples), dtype=np.int8)
    table = _Columns()
    n_columns, code = text.fill(dosages, 0, table)
    while code == FULL:
        # ndarray.resize maps to realloc/mremap: never two copies of the matrix.
        grown = int(dosages.shape[0] * 1.5) + 1024
        dosages.resize((grown, n_samples), refcheck=False)
        n_columns, code = text.fill(dosages, n_columns, table)
    if code == UNSUPPORTED:
        return None
    variants = table.table(names)
    if variants is None:
        return None
    if n_columns != dosages.shape[0]:
        dosages.resize((n_columns, n_samples), refcheck=False)
    return dosages, variants


def _line_spans(path: Path) -> Iterator[tuple[np.ndarray, int, int]]:
    """The decompressed text as spans of whole lines: ``(text, start, end)``
    with ``text[start:end]`` ending in a newline.

    A second thread decompresses the next block while the caller parses this
    one (libdeflate, zlib and the compiled parser release the GIL), so on two cores
    reading costs about max(decompression, parsing) rather than their sum; one
    block ahead keeps memory bounded: two blocks, the copy being parsed and a line.
    """
    with _open_text(path) as handle, ThreadPoolExecutor(max_workers=1) as ahead:
        pending = b""  # the start of a line that goes on in the next block
        next_chunk = ahead.submit(handle.read, BLOCK_BYTES)
        while True:
            chunk = next_chunk.result()
            if not chunk:
                break
            next_chunk = ahead.submit(handle.read, BLOCK_BYTES)
            block = pending + chunk if pending else chunk
            cut = block.rfind(b"\n") + 1
            # Slicing copies the block in this thread, and parsing that fresh copy
            # is faster than parsing the bytes where the decompressing thread wrote
            # them, in another core's cache: 0.35 s against 0.50 s for 2,000 x
            # 10,000 GT:DP here, for one more block (256 KiB) of memory.
            block, pending = block[:cut], block[cut:]
            if block:
                yield np.frombuffer(block, dtype=np.uint8), 0, len(block)
        if pending:
            block = pending + b"\n"  # the last line may lack its newline
            yield np.frombuffer(block, dtype=np.uint8), 0, len(block)


def _header_end(text: np.ndarray, start: int, end: int) -> int:
    """Where the first record starts in a span of complete lines that begins in
    the header (``end`` when the header goes on past the span)."""
    # bytes.index finds each line's end from where the line starts: linear in the
    # span, however many header lines (100,000 contigs of a draft assembly).
    span = text[start:end].tobytes()
    position = 0
    while position < len(span) and span[position] == ord("#"):
        position = span.index(b"\n", position) + 1
    return start + position


def _open_text(path: Path):
    """A binary reader of the decompressed text: :class:`BgzfReader` (libdeflate,
    a block at a time: see its module for why and how much faster) for bgzip files,
    gzip for other gzip files, the file itself for plain text."""
    with open(path, "rb") as handle:
        head = handle.read(18)
    if head[:2] != b"\x1f\x8b":
        return open(path, "rb")
    if vcf_diagnose.is_bgzf(head):
        return BgzfReader(path)
    return gzip.open(path, "rb")
