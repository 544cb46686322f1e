"""Self-checks for chapter 1, VCF basics."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from vcfml.check.feedback import CheckResult, call_answer, failed, passed
from vcfml.io.vcf_reader import read_vcf

# Calls that cover every rule of chapter 1: unphased and phased, missing and
# half-missing, haploid, and allele order.
TEST_CALLS = ["0/0", "0/1", "1/0", "1/1", "0|1", "1|1", "./.", ".|.", "./1", "0", "1", "."]
HINTS = {
    "phased": "a phased call separates its alleles with '|' instead of '/'; the count is the same.",
    "missing": "a '.' allele means the call is missing: the course codes the whole call as -1.",
    "haploid": "a haploid call (males on chrX) has a single allele: '1' is one copy of ALT.",
    "count": "count how many alleles of the call are '1' (the first ALT allele).",
}


def reference_dosages(calls: list[str]) -> list[int]:
    """Decode GT strings with htslib, by writing them into a one-record VCF."""
    samples = [f"s{index}" for index in range(len(calls))]
    text = "\n".join(
        [
            "##fileformat=VCFv4.3",
            "##contig=<ID=chr1,length=1000>",
            '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
            "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT"])
            + "\t"
            + "\t".join(samples),
            "\t".join(["chr1", "100", ".", "A", "G", ".", "PASS", ".", "GT", *calls]),
        ]
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "calls.vcf"
        path.write_text(text + "\n")
        return read_vcf(path).genotypes[:, 0].tolist()


def exercise_1_1(gt_to_dosage: Callable[[str], int]) -> CheckResult:
    """Check a function that turns a GT string into an ALT-allele dosage."""
    expected = reference_dosages(TEST_CALLS)
    wrong = []
    for call, want in zip(TEST_CALLS, expected, strict=True):
        result, got = call_answer("1.1", gt_to_dosage, call)
        if result is not None:
            return result
        if got != want:
            wrong.append((call, got))
    if not wrong:
        return passed(
            "1.1", f"gt_to_dosage decodes all {len(TEST_CALLS)} test calls as htslib does."
        )
    call, got = wrong[0]
    shown = ", ".join(f"{c!r} -> {g!r}" for c, g in wrong[:3])
    return failed("1.1", f"{len(wrong)} of {len(TEST_CALLS)} calls differ ({shown}).", _hint(call))


def _hint(call: str) -> str:
    if "|" in call:
        return HINTS["phased"]
    if "." in call:
        return HINTS["missing"]
    if len(call) == 1:
        return HINTS["haploid"]
    return HINTS["count"]


def exercise_1_2(
    path: str,
    region: str | None,
    alt_frequency: Sequence[float],
    sample_missingness: Sequence[float] | None = None,
) -> CheckResult:
    """Check per-site ALT allele frequencies (and, when given, per-sample
    missing-call fractions) of ``region``.

    The expected frequencies are the reader's ``af`` column: ALT alleles among
    the called alleles, each call with the ploidy the file gives it, so a man's
    haploid chrX call counts once.
    """
    genotypes = read_vcf(path, region=region)
    calls = genotypes.genotypes
    expected_af = genotypes.variants["af"].to_numpy()
    expected_missing = (calls == -1).mean(axis=1)
    got_af = np.asarray(alt_frequency, dtype=float)
    if got_af.shape != expected_af.shape:
        return failed(
            "1.2",
            f"alt_frequency has {got_af.size} values for {expected_af.size} sites.",
            "compute one frequency per column of the genotype matrix (axis=0).",
        )
    if not np.allclose(got_af, expected_af, atol=1e-6):
        called = calls >= 0
        with np.errstate(invalid="ignore", divide="ignore"):
            diploid = np.where(called, calls, 0).sum(axis=0) / (2 * called.sum(axis=0))
        if np.allclose(got_af, calls.mean(axis=0) / 2, atol=1e-6):
            hint = (
                "missing calls are -1: leave them out before averaging, or they pull the mean down."
            )
        elif np.allclose(got_af, diploid, atol=1e-6, equal_nan=True):
            hint = (
                "you counted two alleles for every call, but a man's call on chrX outside the "
                "pseudo-autosomal regions is one allele: count it once in the denominator."
            )
        else:
            hint = "a diploid sample carries two alleles: divide the ALT count by twice the called samples."
        return failed("1.2", f"Some allele frequencies of {region or 'the file'} differ.", hint)
    if sample_missingness is not None:
        got_missing = np.asarray(sample_missingness, dtype=float)
        if got_missing.shape != expected_missing.shape or not np.allclose(
            got_missing, expected_missing
        ):
            return failed(
                "1.2",
                "The per-sample missingness differs.",
                "one value per sample (a row of the matrix): the fraction of its calls that are -1.",
            )
    missing_note = (
        f" and missingness of {expected_missing.size} samples"
        if sample_missingness is not None
        else ""
    )
    return passed(
        "1.2",
        f"frequencies of {expected_af.size} sites of {region or 'the file'}{missing_note} "
        "agree with htslib's decoding.",
    )
