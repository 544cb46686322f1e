"""Self-checks for chapter 1, VCF basics."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from vcfml.check.feedback import CheckResult, call_answer, failed, passed
from vcfml.genome import build_of
from vcfml.io.vcf_reader import read_vcf
from vcfml.stats.frequency import haploid_in_males

# Calls that cover every rule of chapter 1: unphased and phased, missing and
# half-missing, haploid, allele order, and a second ALT allele (``2``), which the
# first ALT's dosage does not count (a decoder that counts every non-0 allele fails).
TEST_CALLS = [
    "0/0", "0/1", "1/0", "1/1", "0|1", "1|1", "./.", ".|.", "./1", "0", "1", ".", "1/2",
]  # fmt: skip
HINTS = {
    "phased": "a phased call separates its alleles with '|' instead of '/'; the count is the same.",
    "missing": "a '.' allele means the call is missing: the course codes the whole call as -1.",
    "haploid": "a haploid call (males on chrX) has a single allele: '1' is one copy of ALT.",
    "count": "count how many alleles of the call are '1' (the first ALT allele).",
    "second_alt": (
        "a '2' is the *second* ALT allele (a multiallelic site): it is not a copy of the "
        "first ALT, so count only the alleles that are '1'."
    ),
}


def reference_dosages(calls: list[str]) -> list[int]:
    """Decode GT strings with htslib, by writing them into a one-record VCF with
    two ALT alleles; the dosage is the first ALT's (the matrix's first column)."""
    samples = [f"s{index}" for index in range(len(calls))]
    text = "\n".join(
        [
            "##fileformat=VCFv4.3",
            "##contig=<ID=chr1,length=1000>",
            '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
            "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT"])
            + "\t"
            + "\t".join(samples),
            "\t".join(["chr1", "100", ".", "A", "G,T", ".", "PASS", ".", "GT", *calls]),
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


GT_CALL = re.compile(r"^[0-2.]([/|][0-2.])?$")  # one or two alleles of a two-ALT site
CALLS_TO_CATCH = 3


def naive_dosage(gt: str) -> int:
    """The notebook's naive decoder: splits on '/' only and never looks for '.'."""
    return gt.split("/").count("1")


def exercise_1_1_tests(tricky_calls: Sequence[str]) -> CheckResult:
    """Judge a test set for the decoder (exercise 1.1 (b)): at least three
    calls on which the naive decoder and htslib disagree, so that a comparison
    on them could fail. Only GT calls of a site with two ALT alleles count."""
    if isinstance(tricky_calls, str) or not isinstance(tricky_calls, Sequence):
        return failed(
            "1.1 (b)",
            f"tricky_calls is a {type(tricky_calls).__name__}, not a list of calls.",
            "a list of GT strings, e.g. ['0/0', ...].",
        )
    calls = list(dict.fromkeys(str(call) for call in tricky_calls))
    odd = [call for call in calls if not GT_CALL.match(call)]
    if odd:
        return failed(
            "1.1 (b)",
            f"{odd[0]!r} is not a GT call.",
            "a call is one or two alleles (0, 1, 2 or '.') separated by '/' or '|'.",
        )
    expected = reference_dosages(calls) if calls else []
    caught = [c for c, want in zip(calls, expected, strict=True) if naive_dosage(c) != want]
    if len(caught) < CALLS_TO_CATCH:
        alike = [call for call in calls if call not in caught]
        shown = ", ".join(repr(call) for call in alike[:4]) or "none"
        return failed(
            "1.1 (b)",
            f"{len(caught)} of your {len(calls)} calls catch the naive decoder "
            f"(it decodes {shown} right, as htslib does).",
            "the naive decoder splits on '/' only and never looks for '.': which calls "
            "does that get wrong? Find three.",
        )
    return passed(
        "1.1 (b)",
        f"{len(caught)} of your calls catch the naive decoder: {', '.join(map(repr, caught))}.",
    )


def _hint(call: str) -> str:
    if "2" in call:
        return HINTS["second_alt"]
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
        hint = _frequency_hint(got_af, calls, genotypes, path)
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


def _frequency_hint(got_af, calls, genotypes, path) -> str:
    """Name the mistake behind wrong frequencies by recomputing the usual ones.

    On chrX the alleles per call depend on the sample's sex (from the
    ``samples.tsv`` beside the VCF) and on the site (PAR or not), so the chrX
    mistakes (every call diploid, the PARs forgotten or inverted, the sexes
    swapped, missing calls left in the denominator) each get their own hint.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        if np.allclose(got_af, calls.mean(axis=0) / 2, atol=1e-6):
            return (
                "missing calls are -1: leave them out before averaging, or they pull the mean down."
            )
        called = calls >= 0
        alt = np.where(called, calls, 0).sum(axis=0)

        def frequency(ploidy, only_called=True):
            ploidy = np.broadcast_to(ploidy, calls.shape)
            return alt / np.where(called | (not only_called), ploidy, 0).sum(axis=0)

        male = _males(path, genotypes.samples)
        variants = genotypes.variants
        on_x = np.isin(variants["chrom"].astype(str).to_numpy(), ["chrX", "X"])
        if male is not None and on_x.any():
            non_par = haploid_in_males(
                variants["chrom"], variants["pos"], build_of(genotypes.contigs)
            )
            in_par = on_x & ~non_par
            mistakes = {
                "you counted two alleles for every call, but a man's call on chrX outside the "
                "pseudo-autosomal regions is one allele: count it once in the denominator.": 2,
                "the pseudo-autosomal regions (PARs) are the exception: there a man carries "
                "two copies (X and Y), so his PAR calls count twice, as on an autosome.": np.where(
                    np.outer(male, on_x), 1, 2
                ),
                "the PARs are inverted: a man's call is haploid *outside* the pseudo-autosomal "
                "regions and diploid inside them.": np.where(np.outer(male, in_par), 1, 2),
                "the sexes are swapped: it is a man (one X) whose non-PAR chrX call is one "
                "allele; a woman has two X chromosomes.": np.where(np.outer(~male, non_par), 1, 2),
            }
            for hint, ploidy in mistakes.items():
                if np.allclose(got_af, frequency(ploidy), atol=1e-6, equal_nan=True):
                    return hint
            right_ploidy = np.where(np.outer(male, non_par), 1, 2)
            if np.allclose(got_af, frequency(right_ploidy, only_called=False), atol=1e-6):
                return (
                    "the alleles per call are right, but the denominator also counts the "
                    "missing calls (-1): sum each call's alleles over the called genotypes only."
                )
            return (
                "on chrX, count each call's alleles: 1 for a man outside the pseudo-autosomal "
                "regions, 2 otherwise; divide the ALT copies by that sum over called calls only."
            )
        if np.allclose(got_af, 2 * frequency(2), atol=1e-6, equal_nan=True):
            return (
                "that is the mean dosage (0 to 2): a frequency is per allele, so divide by "
                "the alleles, two per called sample."
            )
    return "a diploid sample carries two alleles: divide the ALT count by twice the called samples."


def _males(path, samples) -> np.ndarray | None:
    """Which samples are male, from the samples.tsv beside the VCF (None if absent)."""
    table = Path(path).parent / "samples.tsv"
    if not table.exists():
        return None
    sex = pd.read_csv(table, sep="\t", dtype=str).set_index("sample_id")["sex"]
    if not set(samples) <= set(sex.index):
        return None
    return sex.loc[list(samples)].str.lower().isin(["male", "m", "1"]).to_numpy()
