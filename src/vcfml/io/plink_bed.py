"""Read PLINK 1 binary genotypes (``.bed`` + ``.bim`` + ``.fam``).

The course's real data (HapMap 3, ``data/hapmap3/source/``) come as PLINK 1
files. The format is small and fixed (https://www.cog-genomics.org/plink/1.9/formats#bed):
three magic bytes ``6c 1b 01`` (the third says variant-major), then for each
variant ``ceil(n_samples / 4)`` bytes, four samples a byte from the lowest two
bits up. The two bits, read as (high, low), are ``00`` homozygous for A1, ``01``
missing, ``10`` heterozygous, ``11`` homozygous for A2.

This module returns the count of **A1** alleles, because PLINK 2's
``--export vcf`` writes REF = A2 and ALT = A1 (its ``.bim`` convention): the
count of A1 is the VCF's ALT dosage. A table look-up over the 256 possible bytes
decodes the whole file at once (3.4 MB for HapMap 3's 957 x 14,079 calls).
Written here rather than taken from a library because the decoding is a table
of four values, and ``tests/test_plink_bed.py`` checks it call for call
against plink2's own VCF export.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from vcfml.errors import VcfmlInputError

MAGIC = bytes([0x6C, 0x1B, 0x01])
# A1 count of each 2-bit code (value = low bit + 2 * high bit): 0b00 -> 2 copies
# of A1, 0b01 -> missing, 0b10 -> 1, 0b11 -> 0.
_CODE_TO_DOSAGE = np.array([2, -1, 1, 0], dtype=np.int8)
_BYTE_TO_DOSAGES = _CODE_TO_DOSAGE[
    (np.arange(256)[:, None] >> np.array([0, 2, 4, 6])[None, :]) & 0b11
]  # (256, 4): the four samples of each possible byte

BIM_COLUMNS = ["chrom", "id", "cm", "pos", "a1", "a2"]
FAM_COLUMNS = ["fid", "iid", "father", "mother", "sex", "phenotype"]


def read_bim(path: str | PathLike[str]) -> pd.DataFrame:
    """The variants of a ``.bim`` file: chrom, id, cm, pos, a1, a2 (all as read)."""
    return _read_table(Path(path), BIM_COLUMNS, {"chrom": str, "id": str, "pos": np.int64})


def read_fam(path: str | PathLike[str]) -> pd.DataFrame:
    """The samples of a ``.fam`` file: fid, iid, father, mother, sex (1 male,
    2 female, 0 unknown), phenotype."""
    return _read_table(Path(path), FAM_COLUMNS, {"fid": str, "iid": str, "sex": np.int8})


def read_bed(
    prefix: str | PathLike[str],
) -> tuple[np.ndarray, pd.DataFrame, pd.DataFrame]:
    """Read ``PREFIX.bed/.bim/.fam``.

    Returns:
        (dosages, variants, samples): an (n_samples, n_variants) int8 matrix of
        A1 counts (-1 missing), the ``.bim`` table and the ``.fam`` table.
    """
    prefix = Path(prefix)
    variants = read_bim(prefix.with_suffix(".bim"))
    samples = read_fam(prefix.with_suffix(".fam"))
    bed = prefix.with_suffix(".bed")
    data = bed.read_bytes()
    if data[:3] != MAGIC:
        raise VcfmlInputError(
            bed,
            f"not a variant-major PLINK 1 .bed file: it starts with {data[:3].hex(' ')}, "
            f"not {MAGIC.hex(' ')}",
        )
    n_samples, n_variants = len(samples), len(variants)
    per_variant = (n_samples + 3) // 4
    expected = 3 + per_variant * n_variants
    if len(data) != expected:
        raise VcfmlInputError(
            bed,
            f"{len(data)} bytes, but {n_variants} variants x {n_samples} samples "
            f"(from the .bim and .fam) need {expected}",
        )
    packed = np.frombuffer(data, dtype=np.uint8, offset=3).reshape(n_variants, per_variant)
    dosages = _BYTE_TO_DOSAGES[packed].reshape(n_variants, per_variant * 4)[:, :n_samples]
    return np.ascontiguousarray(dosages.T), variants, samples


def _read_table(path: Path, columns: list[str], dtypes: dict) -> pd.DataFrame:
    try:
        table = pd.read_csv(path, sep=r"\s+", header=None, dtype=str)
    except FileNotFoundError as error:
        raise VcfmlInputError(path, "no such file") from error
    except pd.errors.EmptyDataError as error:
        raise VcfmlInputError(path, "the file is empty") from error
    if table.shape[1] != len(columns):
        raise VcfmlInputError(
            path, f"{table.shape[1]} columns, expected {len(columns)} ({' '.join(columns)})"
        )
    table.columns = columns
    for column, kind in dtypes.items():
        if kind is str:
            continue
        values = pd.to_numeric(table[column], errors="coerce")
        bad = np.flatnonzero(values.isna())
        if bad.size:
            raise VcfmlInputError(
                path, f"line {bad[0] + 1}: column {column} is {table[column].iloc[bad[0]]!r}"
            )
        table[column] = values.astype(kind)
    return table
