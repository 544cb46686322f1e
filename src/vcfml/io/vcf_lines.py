"""The compiled loops of the VCF writer (numba), in their own module so that
``import vcfml`` does not load numba; :mod:`vcfml.io.vcf_writer` imports it
when it first formats a block.

Both loops read the simulators' (samples x sites) blocks as they come, column
by column, so no transposed or widened copy of a block is made.
"""

from __future__ import annotations

import numba
import numpy as np

# Codes into the writer's table of formatted calls (vcf_writer._GT_STRINGS).
_MISSING_DIPLOID = 3
_FIRST_HAPLOID = 4
_MISSING_HAPLOID = 6


@numba.njit(cache=True, nogil=True)
def allele_counts(genotypes, haploid_samples, haploid_sites):
    """INFO AC and AN of each site (column) of a dosage block, and whether a
    haploid call has dosage 2 (which no haploid genotype can have)."""
    n_samples, n_sites = genotypes.shape
    allele_count = np.zeros(n_sites, dtype=np.int64)
    allele_number = np.zeros(n_sites, dtype=np.int64)
    impossible = False
    for site in range(n_sites):
        count = 0
        number = 0
        haploid_site = haploid_sites[site]
        for sample in range(n_samples):
            dosage = genotypes[sample, site]
            if dosage < 0:
                continue
            count += dosage
            if haploid_site and haploid_samples[sample]:
                number += 1
                impossible |= dosage > 1
            else:
                number += 2
        allele_count[site] = count
        allele_number[site] = number
    return allele_count, allele_number, impossible


@numba.njit(cache=True, nogil=True)
def join_lines(
    genotypes,
    depth,
    with_depth,
    haploid_samples,
    haploid_sites,
    field_bytes,
    field_lengths,
    max_depth,
    prefix_bytes,
    offsets,
    out,
    line_ends,
):
    """Each site's prefix, then its calls' formatted fields; the last tab of a
    line becomes its newline. A call's field is row ``code`` of ``field_bytes``:
    the genotype's code (0/0, 0/1, 1/1, ./., 0, 1, .), times ``max_depth + 1``
    plus the depth (capped) when there is a DP. ``line_ends[site]`` gets the
    offset just past each line's newline (what the tabix index records).
    Returns the bytes written."""
    n_samples, n_sites = genotypes.shape
    at = 0
    for site in range(n_sites):
        for index in range(offsets[site], offsets[site + 1]):
            out[at] = prefix_bytes[index]
            at += 1
        haploid_site = haploid_sites[site]
        for sample in range(n_samples):
            dosage = genotypes[sample, site]
            if haploid_site and haploid_samples[sample]:
                code = _MISSING_HAPLOID if dosage < 0 else _FIRST_HAPLOID + dosage
            else:
                code = _MISSING_DIPLOID if dosage < 0 else dosage
            if with_depth:
                reads = depth[sample, site]
                reads = 0 if reads < 0 else (max_depth if reads > max_depth else reads)
                code = code * (max_depth + 1) + reads
            for index in range(field_lengths[code]):
                out[at + index] = field_bytes[code, index]
            at += field_lengths[code]
        out[at - 1] = 10  # "\n"
        line_ends[site] = at
    return at
