"""A BGZF reader that inflates with libdeflate: the decompression of :func:`vcfml.read_vcf`.

Why this exists: once the compiled GT parser (:mod:`vcfml.io.vcf_text`) got fast,
decompression became half of reading a VCF. htslib's BGZF reader (pysam's
``BGZFile``) inflates with zlib; libdeflate inflates a whole block at once into a
buffer of known size instead of streaming, and is faster for it. Recorded by
``benchmarks/load_vcf.py`` (RESULTS.md) on the 140 MB of text of a 2,000 x 10,000
GT:DP cohort: inflating alone takes 0.15 s here against Python's gzip's 0.31 s,
and ``read_vcf`` 0.22 s against 0.39 s with the same parser fed by htslib's
reader (medians of three runs). BGZF suits that: every block is a complete gzip
member of at most 64 KiB whose compressed size is written in its header (SAM
specification, section 4.1), so a block can be cut out of the file and inflated
on its own.

Each block's raw deflate data is inflated by libdeflate (the ``deflate`` package)
and its text checked against the CRC-32 and length in the block's footer, as
htslib checks them, so a corrupt file is caught here as it is there. Anything
that is not a well-formed BGZF block raises :class:`BgzfError` (an ``OSError``)
naming the file and the block's offset: the VCF reader then lets htslib read the
file, which either reads it or says what is wrong.
"""

from __future__ import annotations

import struct
from pathlib import Path

import deflate

_GZIP_MAGIC = b"\x1f\x8b\x08"
_FEXTRA = 4
_FIXED_HEADER = 12  # bytes before the extra subfields
_FOOTER = 8  # CRC-32 and length of the text
_MAX_TEXT = 1 << 16  # the most text a BGZF block holds
_READ_BYTES = 1 << 17  # compressed bytes read at a time (more only raised peak memory)


class BgzfError(OSError):
    """The file is not well-formed BGZF where this reader looked."""


class BgzfReader:
    """Read the decompressed text of a BGZF file, whole blocks at a time.

    :meth:`read` returns the text of as many whole blocks as reach ``size``
    bytes (more than ``size``, up to one block more; fewer only at the end), so
    callers that cut text into lines must keep a line's start until the next
    read, as they must with any reader.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._file = open(self.path, "rb")  # noqa: SIM115 (closed by close())
        self._buffer = b""
        self._position = 0  # where the next block starts in _buffer
        self._offset = 0  # file offset of _buffer[0]

    def read(self, size: int) -> bytes:
        """At least ``size`` bytes of text (whole blocks); b"" at the end."""
        parts: list[bytes | bytearray] = []
        total = 0
        while total < size:
            block_offset = self._offset + self._position
            block = self._next_block()
            if block is None:
                break
            text = self._inflate(*block)
            if text is None:
                raise self._error(
                    "the block's data does not match its CRC-32 and length", block_offset
                )
            parts.append(text)
            total += len(text)
        return b"".join(parts)

    @staticmethod
    def _inflate(data: memoryview, crc: int, length: int) -> bytearray | None:
        """The block's text, or None when it does not match its CRC-32 and length.

        The same checks as htslib's: the raw deflate data between the header
        and the footer that BSIZE points to must inflate to exactly ``length``
        bytes whose CRC-32 is ``crc`` (so a wrong BSIZE, which moves the footer,
        fails too). libdeflate is given room for one byte more than ``length``
        so that data longer than the footer says fails instead of being cut.
        """
        if length > _MAX_TEXT:
            return None
        try:
            text = deflate.deflate_decompress(data, length + 1)
        except deflate.DeflateError:
            return None
        if len(text) != length or deflate.crc32(text) != crc:
            return None
        return text

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> BgzfReader:
        return self

    def __exit__(self, *_) -> None:
        self.close()

    def _next_block(self) -> tuple[memoryview, int, int] | None:
        """The next block's raw deflate data, CRC-32 and text length (from its
        footer), or None at the end of the file."""
        if not self._have(_FIXED_HEADER):
            if self._position < len(self._buffer):
                raise self._error("the file ends inside a block header")
            return None
        start = self._position
        if self._buffer[start : start + 3] != _GZIP_MAGIC or not self._buffer[start + 3] & _FEXTRA:
            raise self._error("no BGZF block header (gzip magic with an extra field)")
        (extra_length,) = struct.unpack_from("<H", self._buffer, start + 10)
        header_length = _FIXED_HEADER + extra_length
        if not self._have(header_length):
            raise self._error("the file ends inside a block header")
        block_size = self._block_size(extra_length)  # _have may have moved the block
        if block_size < header_length + _FOOTER:
            raise self._error(f"BSIZE says {block_size} bytes, shorter than its header and footer")
        if not self._have(block_size):
            raise self._error("the file ends inside a block (truncated)")
        start = self._position
        self._position += block_size
        crc, length = struct.unpack_from("<II", self._buffer, start + block_size - _FOOTER)
        data = memoryview(self._buffer)[start + header_length : start + block_size - _FOOTER]
        return data, crc, length

    def _block_size(self, extra_length: int) -> int:
        """The block's total size, from its ``BC`` subfield (BSIZE + 1)."""
        subfields = self._position + _FIXED_HEADER
        end = subfields + extra_length
        while subfields + 4 <= end:
            (length,) = struct.unpack_from("<H", self._buffer, subfields + 2)
            if subfields + 4 + length > end:
                break  # a subfield longer than the extra field: not BGZF
            if self._buffer[subfields : subfields + 2] == b"BC" and length == 2:
                return struct.unpack_from("<H", self._buffer, subfields + 4)[0] + 1
            subfields += 4 + length
        raise self._error("a gzip member without the BGZF 'BC' field")

    def _have(self, count: int) -> bool:
        """Make ``count`` bytes from the current block's start available in
        ``_buffer``, reading more of the file if needed; False at its end."""
        while len(self._buffer) - self._position < count:
            more = self._file.read(_READ_BYTES)
            if not more:
                return False
            self._offset += self._position
            self._buffer = self._buffer[self._position :] + more
            self._position = 0
        return True

    def _error(self, problem: str, offset: int | None = None) -> BgzfError:
        """The error for the block at ``offset`` (by default the one being read)."""
        if offset is None:
            offset = self._offset + self._position
        return BgzfError(f"{self.path}: {problem} at compressed offset {offset}")
