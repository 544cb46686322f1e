"""The tabix index of a VCF the writer has just written, without reading it back.

``tabix`` (``pysam.tabix_index``) indexes a file by decompressing and scanning all
of it; for a GT:DP file that took two thirds as long as writing it. The writer knows
what tabix would find: each record's contig, start and end, and where each line
ends in the compressed file (:meth:`vcfml.io.bgzf.ParallelBgzfWriter.virtual_offsets`).
So it hands those to htslib's own indexer (``hts_idx_push`` and friends, the
functions ``tbx_index`` calls for each line it reads), through the htslib that
pysam ships, and the index file is the one tabix writes, byte for byte (tested).

Where that htslib does not export those functions, :func:`write_vcf_index`
returns False and the caller falls back on ``pysam.tabix_index``.
"""

from __future__ import annotations

import ctypes
import functools
import struct
from collections.abc import Sequence
from os import PathLike

import numpy as np

from vcfml.errors import VcfmlError

_HTS_FMT_TBI = 2  # htslib's enum value for the .tbi format
_TBI_MIN_SHIFT, _TBI_LEVELS = 14, 5  # what tbx_index uses for a .tbi
# htslib's tbx_conf_vcf: preset TBX_VCF, sequence column 1, begin column 2, no end
# column (the end comes from REF), meta character '#', no lines skipped.
_VCF_CONF = (2, 1, 2, 0, ord("#"), 0)


@functools.cache
def _htslib() -> ctypes.CDLL | None:
    """pysam's htslib with the index functions typed, or None if it lacks them."""
    import pysam.libchtslib

    try:
        lib = ctypes.CDLL(pysam.libchtslib.__file__)
        lib.hts_idx_init.restype = ctypes.c_void_p
        lib.hts_idx_init.argtypes = [
            ctypes.c_int,
            ctypes.c_int,
            ctypes.c_uint64,
            ctypes.c_int,
            ctypes.c_int,
        ]
        lib.hts_idx_push.argtypes = [
            ctypes.c_void_p,
            ctypes.c_int,
            ctypes.c_int64,
            ctypes.c_int64,
            ctypes.c_uint64,
            ctypes.c_int,
        ]
        lib.hts_idx_finish.argtypes = [ctypes.c_void_p, ctypes.c_uint64]
        lib.hts_idx_set_meta.argtypes = [
            ctypes.c_void_p,
            ctypes.c_uint32,
            ctypes.c_char_p,
            ctypes.c_int,
        ]
        lib.hts_idx_save_as.argtypes = [
            ctypes.c_void_p,
            ctypes.c_char_p,
            ctypes.c_char_p,
            ctypes.c_int,
        ]
        lib.hts_idx_destroy.argtypes = [ctypes.c_void_p]
    except (OSError, AttributeError):
        return None
    return lib


def write_vcf_index(
    path: str | PathLike[str],
    chroms: Sequence[str],
    positions: np.ndarray,
    ref_lengths: np.ndarray,
    line_ends: np.ndarray,
    header_end: int,
    file_end: int,
) -> bool:
    """Write ``path + '.tbi'`` for a VCF whose records are given in file order.

    Args:
        path: the bgzipped VCF.
        chroms, positions, ref_lengths: each record's CHROM, POS and length of REF.
        line_ends: the virtual offset just past each record's line.
        header_end: the virtual offset just past the header.
        file_end: the virtual offset of the end of the text (the EOF block).

    Returns:
        True once written; False where pysam's htslib lacks the index functions.
    """
    lib = _htslib()
    if lib is None:
        return False
    # As tbx_parse1 reads a VCF line: 0-based begin, end = begin + len(REF).
    begins = np.maximum(np.asarray(positions, dtype=np.int64) - 1, 0)
    ends = np.maximum(begins + np.asarray(ref_lengths, dtype=np.int64), 1)
    ids: dict[str, int] = {}  # contig -> id, in order of first appearance (as tabix)
    index = lib.hts_idx_init(0, _HTS_FMT_TBI, header_end, _TBI_MIN_SHIFT, _TBI_LEVELS)
    if not index:
        raise VcfmlError(f"{path}: htslib could not start a tabix index")
    try:
        push = lib.hts_idx_push
        for chrom, begin, end, offset in zip(
            chroms, begins.tolist(), ends.tolist(), np.asarray(line_ends).tolist(), strict=True
        ):
            tid = ids.setdefault(chrom, len(ids))
            if push(index, tid, begin, end, offset, 1) < 0:
                raise VcfmlError(
                    f"{path}: htslib refused record {chrom}:{begin + 1} "
                    "(records out of order, or past the 2^29 positions a .tbi index holds)"
                )
        if lib.hts_idx_finish(index, file_end) != 0:
            raise VcfmlError(f"{path}: htslib could not finish the tabix index")
        names = b"".join(name.encode() + b"\0" for name in ids)
        meta = struct.pack("<7i", *_VCF_CONF, len(names)) + names
        lib.hts_idx_set_meta(index, len(meta), meta, 1)  # 1: htslib keeps a copy
        fspath = str(path).encode()
        if lib.hts_idx_save_as(index, fspath, fspath + b".tbi", _HTS_FMT_TBI) != 0:
            raise VcfmlError(f"{path}.tbi: htslib could not write the tabix index")
    finally:
        lib.hts_idx_destroy(index)
    return True
