"""The compiled loop of the VCF writer (numba), in its own module so that
``import vcfml`` does not load numba; :mod:`vcfml.io.vcf_writer` imports it
when it first formats a block."""

from __future__ import annotations

import numba


@numba.njit(cache=True, nogil=True)
def join_lines(codes, field_bytes, field_lengths, prefix_bytes, offsets, out):
    """Each variant's prefix, then its calls' formatted fields; the last tab of a
    line becomes its newline. Returns the number of bytes written to ``out``."""
    at = 0
    for variant in range(codes.shape[0]):
        for index in range(offsets[variant], offsets[variant + 1]):
            out[at] = prefix_bytes[index]
            at += 1
        for sample in range(codes.shape[1]):
            code = codes[variant, sample]
            for index in range(field_lengths[code]):
                out[at] = field_bytes[code, index]
                at += 1
        out[at - 1] = 10  # "\n"
    return at
