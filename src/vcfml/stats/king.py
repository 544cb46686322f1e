"""Relatedness: the KING-robust kinship coefficient (Manichaikul et al. 2010,
Bioinformatics 26:2867), computed as ``plink2 --make-king-table``.

Why KING-robust: kinship estimated from allele frequencies (the GRM, PLINK 1's
PI_HAT) is biased when the samples come from several populations, because the
frequencies are wrong for everyone. KING compares two people's genotypes
directly: sites where both are heterozygous (HETHET) against sites where
they are opposite homozygotes (IBS0, impossible for a parent and child):

``kinship = 1/2 - (het1hom2 + het2hom1 + 4 * IBS0) / (4 * min(het1, het2))``

over the sites where both have a call, with ``het1`` and ``het2`` each
person's heterozygous calls there. That is PLINK 2's "between-family"
estimator. Duplicates (or monozygotic twins) are near 0.5, parent-child and
full siblings near 0.25, second degree 0.125, third degree 0.0625; the
bounds between them (Manichaikul et al.'s table 1) are 0.354, 0.177, 0.0884
and 0.0442.

All pairs at once, as five matrix products of 0/1 indicators (exact in
float32: every count is an integer below 2^24).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vcfml.stats.frequency import BLOCK_COLUMNS

DUPLICATE_KINSHIP = 0.354  # 2^-1.5: above, duplicates or monozygotic twins
FIRST_DEGREE_KINSHIP = 0.177  # 2^-2.5
SECOND_DEGREE_KINSHIP = 0.0884  # 2^-3.5
THIRD_DEGREE_KINSHIP = 0.0442  # 2^-4.5


def king_counts(genotypes: np.ndarray) -> dict[str, np.ndarray]:
    """Per pair (n x n): ``nsnp`` (both called), ``hethet``, ``ibs0``, and
    ``het`` (``het[i, j]``: i's heterozygous calls where j has a call)."""
    n = genotypes.shape[0]
    out = {name: np.zeros((n, n), dtype=np.float64) for name in ("nsnp", "hethet", "ibs0", "het")}
    for start in range(0, genotypes.shape[1], BLOCK_COLUMNS):
        block = genotypes[:, start : start + BLOCK_COLUMNS]
        called = (block >= 0).astype(np.float32)
        het = (block == 1).astype(np.float32)
        ref = (block == 0).astype(np.float32)
        alt = (block == 2).astype(np.float32)
        out["nsnp"] += called @ called.T
        out["hethet"] += het @ het.T
        cross = ref @ alt.T
        out["ibs0"] += cross + cross.T
        out["het"] += het @ called.T
    return out


def king_kinship(genotypes: np.ndarray) -> np.ndarray:
    """The n x n KING-robust kinship matrix (diagonal 0.5)."""
    counts = king_counts(genotypes)
    het1 = counts["het"]  # i's hets where j is called
    het2 = het1.T
    hethet, ibs0 = counts["hethet"], counts["ibs0"]
    with np.errstate(invalid="ignore", divide="ignore"):
        kinship = 0.5 - ((het1 - hethet) + (het2 - hethet) + 4 * ibs0) / (
            4 * np.minimum(het1, het2)
        )
    np.fill_diagonal(kinship, 0.5)
    return kinship


def king_table(genotypes: np.ndarray, samples: list[str]) -> pd.DataFrame:
    """One row per pair, as ``plink2 --make-king-table``'s ``.kin0``: ``id1``,
    ``id2`` (id2 earlier in the file), ``nsnp``, ``hethet`` and ``ibs0``
    (fractions of ``nsnp``) and ``kinship``; PLINK's order (id1 from the
    second sample on, id2 before it)."""
    counts = king_counts(genotypes)
    het1 = counts["het"]
    hethet, ibs0, nsnp = counts["hethet"], counts["ibs0"], counts["nsnp"]
    first, second = np.tril_indices(len(samples), k=-1)  # first > second: PLINK's order
    h1, h2 = het1[first, second], het1[second, first]
    hh, i0, m = hethet[first, second], ibs0[first, second], nsnp[first, second]
    with np.errstate(invalid="ignore", divide="ignore"):
        kinship = 0.5 - ((h1 - hh) + (h2 - hh) + 4 * i0) / (4 * np.minimum(h1, h2))
        names = np.asarray(samples, dtype=object)
        return pd.DataFrame(
            {
                "id1": names[first],
                "id2": names[second],
                "nsnp": m.astype(np.int64),
                "hethet": hh / m,
                "ibs0": i0 / m,
                "kinship": kinship,
            }
        )


def related_pairs(table: pd.DataFrame, cutoff: float = SECOND_DEGREE_KINSHIP) -> pd.DataFrame:
    """The pairs of :func:`king_table` above ``cutoff``, with their degree."""
    pairs = table[table["kinship"] > cutoff].copy()
    pairs["relation"] = pd.cut(
        pairs["kinship"],
        [
            -np.inf,
            THIRD_DEGREE_KINSHIP,
            SECOND_DEGREE_KINSHIP,
            FIRST_DEGREE_KINSHIP,
            DUPLICATE_KINSHIP,
            np.inf,
        ],
        labels=[
            "unrelated",
            "third degree",
            "second degree",
            "first degree",
            "duplicate or MZ twin",
        ],
    ).astype(str)
    return pairs.sort_values("kinship", ascending=False).reset_index(drop=True)
