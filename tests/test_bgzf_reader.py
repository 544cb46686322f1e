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


def block_starts(data: bytes) -> list[int]:
    """Offsets of the BGZF blocks of ``data`` (each with BC first, as writers put it)."""
    starts, at = [], 0
    while at < len(data):
        starts.append(at)
        at += struct.unpack_from("<H", data, at + 16)[0] + 1
    return starts


def set_bsize(data: bytearray, block: int, size: int) -> None:
    struct.pack_into("<H", data, block + 16, size - 1)


def size_of(data: bytes, block: int) -> int:
    return struct.unpack_from("<H", data, block + 16)[0] + 1


def flip_data_byte(data: bytearray, blocks: list[int]) -> int:
    data[blocks[1] + 100] ^= 0xFF  # inside the second block's deflate data
    return blocks[1]


def flip_crc(data: bytearray, blocks: list[int]) -> int:
    data[blocks[0] + size_of(data, blocks[0]) - 8] ^= 0x01
    return blocks[0]


def zero_length(data: bytearray, blocks: list[int]) -> int:
    end = blocks[1] + size_of(data, blocks[1])
    data[end - 4 : end] = bytes(4)
    return blocks[1]


def zero_crc_and_length(data: bytearray, blocks: list[int]) -> int:
    end = blocks[1] + size_of(data, blocks[1])
    data[end - 8 : end] = bytes(8)  # CRC 0 is the CRC of no text: only the data can tell
    return blocks[1]


def swallow_next_block(data: bytearray, blocks: list[int]) -> int:
    # BSIZE of a block spans the next one too: its own data still inflates, but
    # the footer BSIZE points to is the next block's.
    set_bsize(data, blocks[1], blocks[3] - blocks[1])
    return blocks[1]


def swallow_end_of_file_block(data: bytearray, blocks: list[int]) -> int:
    set_bsize(data, blocks[-2], len(data) - blocks[-2])  # up to the file's end
    return blocks[-2]


def bsize_shorter_than_a_header(data: bytearray, blocks: list[int]) -> int:
    set_bsize(data, blocks[1], 10)
    return blocks[1]


DAMAGES = [
    (flip_data_byte, "does not match its CRC-32 and length"),
    (flip_crc, "does not match its CRC-32 and length"),
    (zero_length, "does not match its CRC-32 and length"),
    (zero_crc_and_length, "does not match its CRC-32 and length"),
    (swallow_next_block, "does not match its CRC-32 and length"),
    (swallow_end_of_file_block, "does not match its CRC-32 and length"),
    (bsize_shorter_than_a_header, "BSIZE says 10 bytes, shorter than its header and footer"),
]


@pytest.mark.parametrize(("damage", "problem"), DAMAGES, ids=[d.__name__ for d, _ in DAMAGES])
def test_a_damaged_block_is_an_error_naming_file_and_offset(bgzf_file, damage, problem):
    """Never text that is not the file's: each damage is caught at its block."""
    path, data = bgzf_file
    damaged = bytearray(data)
    block = damage(damaged, block_starts(data))
    path.write_bytes(bytes(damaged))
    with pytest.raises(BgzfError, match=rf"x\.gz: .*{problem} at compressed offset {block}$"):
        read_all(path, 1000)


def test_a_member_without_bc_after_good_blocks_is_an_error(bgzf_file):
    path, data = bgzf_file
    plain = gzip.compress(b"more\n")
    with_other_extra = plain[:3] + b"\x04" + plain[4:10] + b"\x04\x00ZZ\x00\x00" + plain[10:]
    path.write_bytes(data[:-28] + with_other_extra)
    with pytest.raises(
        BgzfError, match=rf"without the BGZF 'BC' field at compressed offset {len(data) - 28}"
    ):
        read_all(path, 1000)
    # XLEN 4: a BC subfield whose value would lie past the extra field.
    path.write_bytes(data[:-28] + plain[:3] + b"\x04" + plain[4:10] + b"\x04\x00BC\x02\x00")
    with pytest.raises(BgzfError, match="without the BGZF 'BC' field"):
        read_all(path, 1000)


def test_concatenated_files_read_through_their_end_of_file_blocks(bgzf_file):
    path, data = bgzf_file
    text = read_all(path, 1 << 20)
    path.write_bytes(data + data)  # the first file's end-of-file block is now in the middle
    assert read_all(path, 1000) == text + text


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


@pytest.mark.parametrize("damage", [flip_data_byte, zero_crc_and_length, swallow_next_block])
def test_read_vcf_names_the_record_of_a_damaged_block(tmp_path, liability_dir, damage):
    """The compiled reader gives up at the damaged block and htslib, reading the
    file again, names where it breaks off; nothing is returned half read."""
    data = (liability_dir / "cohort.vcf.gz").read_bytes()
    damaged = bytearray(data)
    damage(damaged, block_starts(data))
    path = tmp_path / "damaged.vcf.gz"
    path.write_bytes(bytes(damaged))
    # htslib's words depend on where the damage leaves it ("truncated or corrupt",
    # or a record it cannot parse); the file and the record are always named.
    for read in (read_vcf, lambda path: list(read_vcf_blocks(path, block_sites=64))):
        with pytest.raises(
            VcfmlInputError,
            match=r"damaged\.vcf\.gz \((line \d+, )?record \d+, after chr\w+:\d+\): ",
        ):
            read(path)
