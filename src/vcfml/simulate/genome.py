"""Where simulated variants sit: real-looking contigs, positions, IDs and alleles.

The positions carry no biology; they exist so that simulated files look and sort
like real ones (and so that genome-wide plots have a real x axis). The IDs are
``CHROM:POS:REF:ALT`` (as the coalescent simulator and many imputation servers
write them), not rsIDs: dbSNP's rsIDs are numbers in the same range any random
draw would use, so a simulated ``rs`` number looked up in dbSNP would name an
unrelated real variant, and the REF allele here is random, not the reference
genome's base.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# GRCh38 primary assembly lengths, from the reference's FASTA index.
GRCH38_LENGTHS: dict[str, int] = {
    "chr1": 248956422,
    "chr2": 242193529,
    "chr3": 198295559,
    "chr4": 190214555,
    "chr5": 181538259,
    "chr6": 170805979,
    "chr7": 159345973,
    "chr8": 145138636,
    "chr9": 138394717,
    "chr10": 133797422,
    "chr11": 135086622,
    "chr12": 133275309,
    "chr13": 114364328,
    "chr14": 107043718,
    "chr15": 101991189,
    "chr16": 90338345,
    "chr17": 83257441,
    "chr18": 80373285,
    "chr19": 58617616,
    "chr20": 64444167,
    "chr21": 46709983,
    "chr22": 50818468,
    "chrX": 156040895,
}
AUTOSOMES = [name for name in GRCH38_LENGTHS if name != "chrX"]
BASES = np.array(list("ACGT"))


def contig_lengths(include_chrx: bool) -> dict[str, int]:
    """The contigs a simulated file declares, in header order."""
    names = AUTOSOMES + (["chrX"] if include_chrx else [])
    return {name: GRCH38_LENGTHS[name] for name in names}


def place_sites(n_sites: int, contigs: dict[str, int], rng: np.random.Generator) -> pd.DataFrame:
    """Spread ``n_sites`` over the contigs in proportion to their length.

    Returns a table sorted by contig and position with columns ``chrom``,
    ``pos``, ``id`` (``CHROM:POS:REF:ALT``, unique because positions are),
    ``ref`` and ``alt`` (two different bases).
    """
    names = list(contigs)
    lengths = np.array([contigs[name] for name in names], dtype=np.int64)
    counts = rng.multinomial(n_sites, lengths / lengths.sum())
    chroms, positions = [], []
    for name, length, count in zip(names, lengths, counts, strict=True):
        chosen = _unique_positions(int(count), int(length), rng)
        chroms.append(np.full(count, name, dtype=object))
        positions.append(chosen)
    _skip_former_id_draws(n_sites, rng)
    ref_index = rng.integers(0, 4, n_sites)
    alt_index = (ref_index + rng.integers(1, 4, n_sites)) % 4  # never equal to REF
    chrom = np.concatenate(chroms) if chroms else np.array([], dtype=object)
    pos = np.concatenate(positions) if positions else np.array([], dtype=np.int64)
    ref, alt = BASES[ref_index], BASES[alt_index]
    return pd.DataFrame(
        {
            "chrom": chrom,
            "pos": pos,
            "id": variant_ids(chrom, pos, ref, alt),
            "ref": ref,
            "alt": alt,
        }
    )


def variant_ids(chrom, pos, ref, alt) -> np.ndarray:
    """``CHROM:POS:REF:ALT`` for each site: a name that says where the site is and
    cannot be mistaken for a dbSNP rsID."""
    return np.array(
        [f"{c}:{p}:{r}:{a}" for c, p, r, a in zip(chrom, pos, ref, alt, strict=True)],
        dtype=object,
    )


def _unique_positions(count: int, length: int, rng: np.random.Generator) -> np.ndarray:
    positions = np.unique(rng.integers(1, length + 1, count))
    while len(positions) < count:  # collisions are rare; top up until unique
        extra = rng.integers(1, length + 1, count - len(positions))
        positions = np.unique(np.concatenate([positions, extra]))
    return positions.astype(np.int64)


def _skip_former_id_draws(count: int, rng: np.random.Generator) -> None:
    """Advance ``rng`` as the former random-rsID draw did, discarding the numbers.

    Earlier versions named sites with random rsIDs drawn here. Making the same
    draws keeps every later draw (alleles, genotypes, phenotypes) and so every
    seed's cohort unchanged apart from its IDs, and the course's recorded results
    with them.
    """
    numbers = np.unique(rng.integers(1_000, 2_000_000_000, count))
    while len(numbers) < count:
        extra = rng.integers(1_000, 2_000_000_000, count - len(numbers))
        numbers = np.unique(np.concatenate([numbers, extra]))
    rng.shuffle(numbers)
