"""Explain why htslib refused a file, in words a course participant can act on.

htslib is the reference parser, but when it fails it says little ("cannot parse
VCF header", "error parsing variant"). These helpers run only after a failure
(or as a cheap check before opening): they look at the raw text of the file and
name the actual problem and line. They never decide what is valid; htslib does.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterator
from pathlib import Path

FIXED_COLUMNS = ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO"]
GZIP_MAGIC = b"\x1f\x8b"
BCF_MAGIC = b"BCF"
# Every BGZF file ends with this empty block; its absence means the copy was cut short.
BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")


def check_file(path: Path) -> str | None:
    """Problems that can be seen without parsing: missing, empty, truncated."""
    if not path.exists():
        return "file not found"
    if path.is_dir():
        return "is a directory, not a VCF file"
    size = path.stat().st_size
    if size == 0:
        return "file is empty"
    with path.open("rb") as handle:
        head = handle.read(18)
        if head[:2] == GZIP_MAGIC and is_bgzf(head):
            handle.seek(max(0, size - len(BGZF_EOF)))
            if handle.read() != BGZF_EOF:
                return (
                    "file is truncated (the bgzip end-of-file block is missing); "
                    "copy or download it again"
                )
    return None


def is_bgzf(head: bytes) -> bool:
    # BGZF sets FEXTRA and stores the subfield 'BC' at byte 12.
    return len(head) >= 14 and head[3] & 4 == 4 and head[12:14] == b"BC"


def _text_lines(path: Path) -> Iterator[str]:
    """Lines of a plain or gzip/bgzip text file; nothing for binary BCF."""
    with path.open("rb") as raw:
        magic = raw.read(2)
    if magic == GZIP_MAGIC:
        # A BGZF BCF file is gzip too; its content starts with the BCF magic.
        with io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", errors="replace") as handle:
            try:
                first = handle.readline()
            except (OSError, EOFError, zlib.error):
                return
            if first.startswith(BCF_MAGIC.decode()):
                return
            yield first.rstrip("\n")
            try:
                for line in handle:
                    yield line.rstrip("\n")
            except (OSError, EOFError, zlib.error):
                return
    else:
        with path.open(encoding="utf-8", errors="replace") as handle:
            for line in handle:
                yield line.rstrip("\n")


def explain_header_failure(path: Path) -> str:
    """Name what is wrong with a header htslib could not parse."""
    meta_lines = 0
    for number, line in enumerate(_text_lines(path), start=1):
        if number == 1 and not line.startswith("##fileformat=VCF"):
            return (
                "not a VCF file: line 1 should start with '##fileformat=VCF' "
                f"but starts with {line[:30]!r}"
            )
        if line.startswith("##"):
            meta_lines += 1
            continue
        if line.startswith("#CHROM"):
            return _explain_column_header(line, number)
        return (
            f"missing the '#CHROM ...' header line: line {number} is a data line "
            "but the header has not named the columns yet"
        )
    if meta_lines == 0:
        return "not a VCF or BCF file that htslib can read"
    return "missing the '#CHROM ...' header line (the file ends after the meta-information)"


def _explain_column_header(line: str, number: int) -> str:
    columns = line.split("\t")
    if columns[:8] != FIXED_COLUMNS:
        return (
            f"line {number}: the header columns must start with "
            f"{' '.join(FIXED_COLUMNS)} separated by tabs"
        )
    samples = columns[9:]
    if len(columns) > 8 and columns[8] != "FORMAT":
        return f"line {number}: column 9 of the header must be FORMAT"
    seen: set[str] = set()
    duplicates = sorted({name for name in samples if name in seen or seen.add(name)})
    if duplicates:
        return f"line {number}: duplicate sample IDs in the header: {', '.join(duplicates)}"
    return f"line {number}: htslib could not parse the header"


def explain_record_failure(
    path: Path, n_samples: int, record_number: int
) -> tuple[int | None, str]:
    """Find the line of the failing record and say what is wrong with it."""
    number, line = find_record(path, record_number)
    if _gzip_stream_breaks(path):
        return number, (
            "file is truncated or corrupt: its gzip stream breaks off in this record; "
            "copy or download it again"
        )
    if line is None:
        return None, "the file ends in the middle of a record (truncated?)"
    return number, _explain_record(line, n_samples)


def _gzip_stream_breaks(path: Path) -> bool:
    """A gzip file whose compressed stream ends early or is corrupt (a BGZF file
    cut at a block boundary is caught before, by its missing end-of-file block)."""
    with path.open("rb") as raw:
        if raw.read(2) != GZIP_MAGIC:
            return False
    try:
        with gzip.open(path, "rb") as handle:
            while handle.read(1 << 20):
                pass
    except (OSError, EOFError, zlib.error):
        return True
    return False


def find_record(path: Path, record_number: int) -> tuple[int | None, str | None]:
    """The line number (1-based, header lines counted) and text of a record;
    (None, None) for BCF or a file with fewer records."""
    records = 0
    for number, line in enumerate(_text_lines(path), start=1):
        if line.startswith("#"):
            continue
        records += 1
        if records == record_number:
            return number, line
    return None, None


def _explain_record(line: str, n_samples: int) -> str:
    fields = line.split("\t")
    expected = 9 + n_samples if n_samples else 8
    if len(fields) < expected:
        return (
            f"wrong number of columns: {len(fields)} instead of {expected} "
            f"(8 fixed + FORMAT + {n_samples} samples in the header)"
        )
    if not fields[1].isdigit() or int(fields[1]) < 1:
        return f"POS must be a positive integer, got {fields[1]!r}"
    return f"htslib could not parse this record: {line[:60]!r}"
