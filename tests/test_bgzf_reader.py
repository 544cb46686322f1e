"""The libdeflate BGZF reader (vcfml.io.bgzf_reader): it gives back exactly the
text that pysam's and vcfml's BGZF writers wrote, whatever the read sizes, and
a damaged file is an error naming the file and where, never wrong text; read_vcf
then lets htslib name the record."""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np
import pysam
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from vcfml import read_vcf, read_vcf_blocks
from vcfml.errors import VcfmlInputError
from vcfml.io.bgzf import EOF_BLOCK, ParallelBgzfWriter
from vcfml.io.bgzf_reader import BgzfError, BgzfReader


def read_all(path: Path, size: int) -> bytes:
    parts = []
    with BgzfReader(path) as reader:
        while chunk := reader.read(size):
            parts.append(chunk)
    return b"".join(parts)


# Text up to a few blocks long, runs of repeated bytes mixed with random ones
# (so that some blocks deflate well and some are stored).
texts = st.lists(
    st.one_of(
        st.binary(max_size=3000),
        st.builds(lambda b, n: b * n, st.binary(min_size=1, max_size=5), st.integers(0, 40_000)),
    ),
    max_size=8,
).map(b"".join)


# Several blocks for certain, each writer: some deflated, some stored as they are.
MANY_BLOCKS = np.random.default_rng(0).bytes(100_000) + b"x" * 200_000


@settings(max_examples=25, deadline=None)
@example(text=MANY_BLOCKS, size=70_000, writer="pysam")
@example(text=MANY_BLOCKS, size=1, writer="libdeflate")
@example(text=MANY_BLOCKS, size=1 << 20, writer="zlib")
@given(
    text=texts,
    size=st.integers(1, 200_000),
    writer=st.sampled_from(["pysam", "libdeflate", "zlib"]),
)
def test_reads_back_what_each_writer_wrote(tmp_path_factory, text, size, writer):
    path = tmp_path_factory.mktemp("bgzf") / "x.gz"
    if writer == "pysam":
        with pysam.BGZFile(str(path), "wb") as handle:
            handle.write(text)
    else:
        with ParallelBgzfWriter(path, compressor=writer, threads=2) as handle:
            handle.write(text)
    assert read_all(path, size) == text
    assert gzip.decompress(path.read_bytes()) == text  # the file itself is sound


def block_with_extra(data: bytes, extra: bytes) -> bytes:
    """A BGZF block whose extra field holds ``extra`` before the BC subfield."""
    body = zlib.compress(data, 6, wbits=-15)
    xlen = len(extra) + 6
    size = 12 + xlen + len(body) + 8
    return (
        b"\x1f\x8b\x08\x04\x00\x00\x00\x00\x00\xff"
        + struct.pack("<H", xlen)
        + extra
        + b"BC\x02\x00"
        + struct.pack("<H", size - 1)
        + body
        + struct.pack("<II", zlib.crc32(data), len(data))
    )


def test_other_extra_subfields_before_bc_are_skipped(tmp_path):
    path = tmp_path / "x.gz"
    path.write_bytes(
        block_with_extra(b"one\n", b"ZZ\x03\x00abc") + block_with_extra(b"two\n", b"") + EOF_BLOCK
    )
    assert read_all(path, 1) == b"one\ntwo\n"
    assert read_all(path, 1 << 20) == b"one\ntwo\n"


def test_read_returns_whole_blocks_of_at_least_size(tmp_path):
    path = tmp_path / "x.gz"
    path.write_bytes(
        block_with_extra(b"a" * 10, b"") + block_with_extra(b"b" * 10, b"") + EOF_BLOCK
    )
    with BgzfReader(path) as reader:
        assert reader.read(5) == b"a" * 10
        assert reader.read(11) == b"b" * 10  # the end: fewer than asked
        assert reader.read(11) == b""


@pytest.fixture
def bgzf_file(tmp_path) -> tuple[Path, bytes]:
    text = b"".join(b"line %d of the text\n" % number for number in range(20_000))
    path = tmp_path / "x.gz"
    with pysam.BGZFile(str(path), "wb") as handle:
        handle.write(text)
    return path, path.read_bytes()


def test_a_damaged_block_is_an_error_naming_file_and_offset(bgzf_file):
    path, data = bgzf_file
    (second_block,) = struct.unpack_from("<H", data, 16)
    second_block += 1
    damaged = bytearray(data)
    damaged[second_block + 100] ^= 0xFF  # inside the second block's deflate stream
    path.write_bytes(bytes(damaged))
    with pytest.raises(
        BgzfError,
        match=rf"x\.gz: the block does not inflate .* at compressed offset {second_block}$",
    ):
        read_all(path, 1000)


def test_a_wrong_checksum_is_an_error(bgzf_file):
    path, data = bgzf_file
    (first_size,) = struct.unpack_from("<H", data, 16)
    damaged = bytearray(data)
    damaged[first_size + 1 - 8] ^= 0x01  # the first block's CRC-32
    path.write_bytes(bytes(damaged))
    with pytest.raises(BgzfError, match=r"does not inflate .* at compressed offset 0$"):
        read_all(path, 1000)


@pytest.mark.parametrize(
    ("cut", "problem"),
    [
        (5, "ends inside a block header"),
        (14, "ends inside a block header"),
        (200, r"ends inside a block \(truncated\)"),
    ],
)
def test_a_cut_file_is_an_error(bgzf_file, cut, problem):
    path, data = bgzf_file
    path.write_bytes(data[:cut])
    with pytest.raises(BgzfError, match=rf"x\.gz: the file {problem} at compressed offset 0"):
        read_all(path, 1000)


def test_plain_gzip_is_not_bgzf(tmp_path):
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(b"text\n"))
    with pytest.raises(BgzfError, match="no BGZF block header"):
        read_all(path, 1000)
    path.write_bytes(gzip.compress(b"text\n")[:3] + b"\x04" + gzip.compress(b"text\n")[4:])
    with pytest.raises(BgzfError):  # an extra field, but not BGZF's
        read_all(path, 1000)


def test_read_vcf_names_the_record_of_a_damaged_block(tmp_path, liability_dir):
    """The compiled reader gives up at the damaged block and htslib, reading the
    file again, names where it breaks off; nothing is returned half read."""
    data = bytearray((liability_dir / "cohort.vcf.gz").read_bytes())
    middle = len(data) // 2
    block = 0
    while block + struct.unpack_from("<H", data, block + 16)[0] + 1 < middle:
        block += struct.unpack_from("<H", data, block + 16)[0] + 1
    data[block + 50] ^= 0xFF
    path = tmp_path / "damaged.vcf.gz"
    path.write_bytes(bytes(data))
    for read in (read_vcf, lambda path: list(read_vcf_blocks(path, block_sites=64))):
        with pytest.raises(
            VcfmlInputError,
            match=r"damaged\.vcf\.gz \(record \d+, after chr\w+:\d+\): file is truncated or corrupt",
        ):
            read(path)
