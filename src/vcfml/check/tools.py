"""Self-checks for the exercises that run the field's own tools: bcftools and PLINK 2.

Exercise 1.3 decodes ``bcftools query`` output into dosages and reads ``plink2 --freq``;
exercise 5.4 reads ``plink2 --glm``. Each check runs the learner's function on a
cohort it makes up (a VCF with every kind of call, or a small simulated cohort with
chrX and a PAR1 site), so a function that hard-codes the course's file fails, and
compares the result with vcfml (``read_vcf``, its ``af`` column, ``vcfml scan``),
which the test suite compares with the same tools. A wrong answer gets the mistake
the learner most likely made: a transposed matrix, missing calls as 0, a REF
frequency, chrX without sex, PAR1 as chrX, odds ratios for log odds, the minor
allele as A1, covariate rows.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from vcfml.check.feedback import CheckResult, call_answer, failed, passed
from vcfml.io.vcf_reader import read_vcf
from vcfml.stats.frequency import haploid_in_males

# Every kind of call bcftools prints: unphased, phased, missing, half-missing.
TRICKY_CALLS = [
    ["0/0", "0|1", "1/1", "./.", "./1"],
    ["1|0", "1|1", ".", "0/0", "1/."],
    ["0/1", "./.", "0|0", "1/1", "0/1"],
]


def _tool(name: str) -> str | None:
    return shutil.which(name)


def _tricky_vcf(folder: Path) -> Path:
    """A bgzipped, indexed VCF with the calls of TRICKY_CALLS on chr1 and chr2."""
    samples = [f"s{index}" for index in range(len(TRICKY_CALLS[0]))]
    header = [
        "##fileformat=VCFv4.3",
        "##contig=<ID=chr1,length=10000>",
        "##contig=<ID=chr2,length=10000>",
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT"])
        + "\t"
        + "\t".join(samples),
    ]
    rows = [
        "\t".join(["chr1", str(100 * (i + 1)), f"v{i}", "A", "G", ".", "PASS", ".", "GT", *calls])
        for i, calls in enumerate(TRICKY_CALLS)
    ]
    rows.append("\t".join(["chr2", "50", "other", "C", "T", ".", "PASS", ".", "GT", *["1/1"] * 5]))
    plain = folder / "tricky.vcf"
    plain.write_text("\n".join(header + rows) + "\n")
    path = folder / "tricky.vcf.gz"
    bcftools = _tool("bcftools") or "bcftools"
    subprocess.run([bcftools, "view", "-Oz", "-o", str(path), str(plain)], check=True)
    subprocess.run([bcftools, "index", "-t", str(path)], check=True)
    return path


def _as_dosages(answer: object) -> np.ndarray:
    """The learner's matrix as floats with NaN for missing (-1 and NaN both accepted)."""
    values = np.asarray(answer, dtype=float)
    return np.where(values < 0, np.nan, values)


def _diagnose_dosages(got: np.ndarray, want: np.ndarray, where: str) -> tuple[str, str] | None:
    """None when equal; otherwise (what differs, the hint that names the mistake)."""
    if got.shape != want.shape:
        if got.shape == want.shape[::-1]:
            return (
                f"{where}: your matrix is {got.shape}, the transpose of (samples, sites) "
                f"{want.shape}.",
                "bcftools prints one line per site; the course's matrices have one row per "
                "sample. Transpose (`.T`) before returning.",
            )
        return (
            f"{where}: your matrix is {got.shape}, expected (samples, sites) {want.shape}.",
            "did you query the region you were given (`-r REGION`), with one line per site "
            "and one field per sample (`[%GT\\t]`)?",
        )
    want_missing = np.isnan(want)
    got_missing = np.isnan(got)
    same = (got == want) | (got_missing & want_missing)
    if same.all():
        return None
    if (got[want_missing & ~got_missing] == 0).any():
        return (
            f"{where}: {int((want_missing & (got == 0)).sum())} missing calls came out as 0.",
            "a '.' allele is not REF: a call with any '.' is missing (-1 or NaN), as "
            "`read_vcf` and `plink2 --vcf-half-call missing` have it.",
        )
    if (~got_missing & want_missing).any():
        return (
            f"{where}: half-missing calls such as './1' got a dosage.",
            "a call with one unknown allele has an unknown dosage: code the whole call as missing.",
        )
    return (
        f"{where}: {int((~same).sum())} calls differ, e.g. phased calls such as '0|1'.",
        "phased calls separate the alleles with '|' instead of '/'; count the '1' alleles "
        "either way.",
    )


def exercise_1_3(bcftools_dosages: Callable[[str, str], object], path: str) -> CheckResult:
    """Check a function ``bcftools_dosages(path, region)`` that runs ``bcftools query``
    and returns the (samples, sites) dosage matrix of ``region``, missing as -1 (or NaN).

    It runs on chr1 of ``path`` and on a VCF the check writes with phased, missing and
    half-missing calls, and is compared with ``read_vcf``.
    """
    if _tool("bcftools") is None:
        return failed("1.3", "bcftools is not installed here.", "run `make check-env`.")
    with tempfile.TemporaryDirectory() as folder:
        tricky = _tricky_vcf(Path(folder))
        for vcf, region in ((str(path), "chr1"), (str(tricky), "chr1")):
            result, answer = call_answer("1.3", bcftools_dosages, vcf, region)
            if result is not None:
                return result
            want = _as_dosages(read_vcf(vcf, region=region).genotypes)
            try:
                got = _as_dosages(answer)
            except (TypeError, ValueError) as error:
                return failed(
                    "1.3",
                    f"your function returned something that is not a numeric matrix ({error}).",
                    "parse each field of bcftools' output into a number before returning.",
                )
            problem = _diagnose_dosages(got, want, f"{Path(vcf).name} {region}")
            if problem is not None:
                return failed("1.3", *problem)
    return passed(
        "1.3",
        "bcftools query, decoded by you, gives read_vcf's dosages, on the cohort and on "
        "phased, missing and half-missing calls.",
    )


def _small_cohort(folder: Path, seed: int = 11) -> Path:
    """A cohort with autosomes, chrX (non-PAR and PAR1) and a sex effect."""
    from vcfml.simulate import simulate_liability

    simulated = simulate_liability(n_samples=300, n_sites=300, seed=seed)
    return Path(simulated.write(folder / "cohort"))


def _frequencies(answer: object, variants: pd.DataFrame) -> np.ndarray:
    """The learner's ALT frequencies in VCF order: a Series indexed by ID, a
    DataFrame with ALT_FREQS (and ID), or a plain array in file order."""
    if isinstance(answer, pd.DataFrame):
        if "ALT_FREQS" not in answer.columns:
            raise ValueError(f"a table without an ALT_FREQS column (columns {list(answer)})")
        answer = (
            answer.set_index("ID")["ALT_FREQS"] if "ID" in answer.columns else answer["ALT_FREQS"]
        )
    if isinstance(answer, pd.Series) and answer.index.isin(variants["id"]).all():
        return answer.reindex(variants["id"]).to_numpy(dtype=float)
    return np.asarray(answer, dtype=float)


def exercise_1_3_freq(
    plink2_frequencies: Callable[[str, str, str], object], path: str, samples: str
) -> CheckResult:
    """Check ``plink2_frequencies(vcf, samples_tsv, out_prefix)``: run ``plink2 --freq``
    and return the ALT frequency of every site (by variant ID, or in file order).

    Compared with ``read_vcf``'s ``af`` (a man's chrX call outside the PARs counts once),
    on the course's cohort and on a small cohort the check simulates.
    """
    if _tool("plink2") is None:
        return failed("1.3", "plink2 is not installed here.", "run `make check-env`.")
    with tempfile.TemporaryDirectory() as folder:
        other = _small_cohort(Path(folder))
        cohorts = [
            (str(path), str(samples)),
            (str(other / "cohort.vcf.gz"), str(other / "samples.tsv")),
        ]
        for number, (vcf, table) in enumerate(cohorts):
            result, answer = call_answer(
                "1.3", plink2_frequencies, vcf, table, str(Path(folder) / f"freq{number}")
            )
            if result is not None:
                return result
            variants = read_vcf(vcf).variants
            want = variants["af"].to_numpy(dtype=float)
            try:
                got = _frequencies(answer, variants)
            except (TypeError, ValueError) as error:
                return failed(
                    "1.3",
                    f"could not read ALT frequencies from your answer: {error}.",
                    "return the ALT_FREQS column of plink2's .afreq file, indexed by ID.",
                )
            if got.shape != want.shape:
                return failed(
                    "1.3",
                    f"{got.size} frequencies for {want.size} sites of {Path(vcf).name}.",
                    "return one frequency per site of the VCF: the whole .afreq file.",
                )
            close = np.isclose(got, want, atol=1e-5)
            if close.all():
                continue
            haploid = haploid_in_males(variants["chrom"], variants["pos"])
            on_x = variants["chrom"].isin(["chrX", "X"]).to_numpy()
            where = f"{Path(vcf).name}: {int((~close).sum())} of {want.size} sites differ"
            if np.isclose(got, 1 - want, atol=1e-5).mean() > 0.9:
                return failed(
                    "1.3",
                    f"{where}: your numbers are 1 minus the ALT frequency.",
                    "take the ALT_FREQS column: plink2's REF is the VCF's REF, ALT its ALT.",
                )
            if not close[haploid].all() and close[~on_x].all():
                return failed(
                    "1.3",
                    f"{where}, all on chrX outside the PARs.",
                    "plink2 needs every sample's sex (a .psam with a SEX column, 1 = male, "
                    "2 = female) to count a man's chrX call once.",
                )
            if not close[on_x & ~haploid].all() and close[~(on_x & ~haploid)].all():
                return failed(
                    "1.3",
                    f"{where}, all in a pseudo-autosomal region of chrX.",
                    "inside PAR1 men have two copies: tell plink2 where the PARs are "
                    "(`--split-par hg38`).",
                )
            return failed(
                "1.3",
                f"{where}.",
                "run plink2 with `--vcf`, `--psam` and `--split-par hg38`, then `--freq`, "
                "and read the ALT_FREQS column of OUT.afreq.",
            )
    return passed(
        "1.3",
        "plink2 --freq gives vcfml's frequencies, chrX and PAR1 included, on two cohorts.",
    )


def _vcfml_scan(vcf: str, samples: str, folder: Path, *, sex: bool = True) -> pd.DataFrame:
    """``vcfml scan``, with ``--covariates sex`` (the scan chapter 5 compares with plink2)
    or without covariates (to recognize a plink2 run without sex)."""
    from vcfml.cli import main

    out = folder / f"vcfml_scan_{sex}.tsv"
    arguments = ["scan", "--vcf", vcf, "--samples", samples, "--target", "phenotype"]
    if sex:
        arguments += ["--covariates", "sex"]
    with contextlib.redirect_stdout(io.StringIO()):  # its report would name a temporary file
        status = main([*arguments, "--out", str(out)])
    if status != 0:
        raise RuntimeError(f"vcfml scan failed on {vcf}")
    return pd.read_csv(out, sep="\t")


def exercise_5_4(
    plink2_scan: Callable[[str, str, str], pd.DataFrame], path: str, samples: str
) -> CheckResult:
    """Check ``plink2_scan(vcf, samples_tsv, out_prefix)``: run ``plink2 --glm`` with
    sex as a covariate and return one row per site with ``id``, ``beta`` (log odds of
    the ALT allele) and ``pvalue``.

    Compared with ``vcfml scan --covariates sex`` on the course's cohort and on a small
    cohort the check simulates.
    """
    if _tool("plink2") is None:
        return failed("5.4", "plink2 is not installed here.", "run `make check-env`.")
    with tempfile.TemporaryDirectory() as folder:
        other = _small_cohort(Path(folder), seed=12)
        cohorts = [
            (str(path), str(samples)),
            (str(other / "cohort.vcf.gz"), str(other / "samples.tsv")),
        ]
        for number, (vcf, table) in enumerate(cohorts):
            result, answer = call_answer(
                "5.4", plink2_scan, vcf, table, str(Path(folder) / f"glm{number}")
            )
            if result is not None:
                return result
            problem = _diagnose_scan(answer, _vcfml_scan(vcf, table, Path(folder)), Path(vcf).name)
            if problem is not None and _matches_unadjusted(
                answer, _vcfml_scan(vcf, table, Path(folder), sex=False)
            ):
                problem = (
                    f"{Path(vcf).name}: your effects are those of a scan without sex.",
                    "this phenotype has a sex effect: put sex in every model with the `sex` "
                    "modifier of `--glm` (and SEX in the .psam).",
                )
            if problem is not None:
                return failed("5.4", *problem)
    return passed(
        "5.4",
        "plink2 --glm with sex gives vcfml scan's effects and p-values, chrX included, "
        "on two cohorts.",
    )


def _matches_unadjusted(answer: object, unadjusted: pd.DataFrame) -> bool:
    """Do the learner's autosomal effects match a scan with no covariates?"""
    if not isinstance(answer, pd.DataFrame) or not {"id", "beta"} <= set(answer):
        return False
    if answer["id"].duplicated().any():
        return False
    autosomal = unadjusted[~unadjusted["chrom"].astype(str).isin(["chrX", "X"])]
    mine = answer.set_index("id").reindex(autosomal["id"])["beta"].to_numpy(dtype=float)
    want = autosomal["beta"].to_numpy()
    both = np.isfinite(mine) & np.isfinite(want)
    return bool(
        both.sum() > 0 and np.isclose(mine[both], want[both], atol=2e-3, rtol=1e-2).mean() > 0.99
    )


def _diagnose_scan(answer: object, ours: pd.DataFrame, name: str) -> tuple[str, str] | None:
    if not isinstance(answer, pd.DataFrame) or not {"id", "beta", "pvalue"} <= set(answer):
        columns = list(answer.columns) if isinstance(answer, pd.DataFrame) else type(answer)
        return (
            f"expected a table with columns id, beta and pvalue; got {columns}.",
            "rename plink2's ID, the log odds ratio and P to id, beta and pvalue.",
        )
    if answer["id"].duplicated().any():
        return (
            f"{name}: {int(answer['id'].duplicated().sum())} sites appear more than once.",
            "plink2 writes a row per covariate too (TEST = 'SEX'): keep the rows with "
            "TEST == 'ADD', or add `hide-covar` to `--glm`.",
        )
    mine = answer.set_index("id").reindex(ours["id"])
    if mine["beta"].isna().mean() > 0.5:
        return (
            f"{name}: most of the VCF's variant IDs are not in your table.",
            "return every site of the VCF, with plink2's ID column as `id`.",
        )
    both = ours["pvalue"].notna().to_numpy() & mine["pvalue"].notna().to_numpy()
    want_beta = ours["beta"].to_numpy()[both]
    got_beta = mine["beta"].to_numpy(dtype=float)[both]
    close = np.isclose(got_beta, want_beta, atol=2e-3, rtol=1e-2)
    if close.mean() >= 0.99:
        p_close = np.isclose(
            -np.log10(mine["pvalue"].to_numpy(dtype=float)[both]),
            -np.log10(ours["pvalue"].to_numpy()[both]),
            atol=0.02, rtol=0.02,
        )  # fmt: skip
        if p_close.mean() >= 0.99:
            return None
        return (
            f"{name}: the effects agree but {int((~p_close).sum())} p-values do not.",
            "take plink2's P column, for the ADD test.",
        )
    if (got_beta > 0).all() and np.isclose(
        np.log(got_beta), want_beta, atol=2e-3, rtol=1e-2
    ).mean() > 0.99:
        return (
            f"{name}: your beta is the odds ratio, not its logarithm.",
            "for a 0/1 phenotype plink2 reports OR; take np.log(OR), or ask for `cols=+beta`.",
        )
    if np.isclose(-got_beta, want_beta, atol=2e-3, rtol=1e-2)[~close].mean() > 0.9:
        return (
            f"{name}: {int((~close).sum())} sites have the effect with the opposite sign.",
            "plink2's A1 (the tested allele) is the minor allele by default, sometimes REF: "
            "add `omit-ref` to `--glm` so that A1 is always ALT.",
        )
    chrom = ours["chrom"].astype(str).to_numpy()[both]
    on_x = np.isin(chrom, ["chrX", "X"])
    if not close[on_x].all() and close[~on_x].mean() >= 0.99:
        return (
            f"{name}: the autosomes agree, but {int((~close[on_x]).sum())} chrX sites do not.",
            "plink2 needs every sample's sex (SEX in the .psam), `--split-par hg38`, and the "
            "`sex` modifier of `--glm` to put sex in the model.",
        )
    if close[on_x].all() and close[~on_x].mean() < 0.99:
        return (
            f"{name}: {int((~close).sum())} autosomal effects differ.",
            "is sex a covariate (the `sex` modifier of `--glm`)? Without it, the sex effect "
            "moves every estimate a little.",
        )
    return (
        f"{name}: {int((~close).sum())} of {int(both.sum())} effects differ from vcfml scan.",
        "run plink2 with `--vcf`, `--psam` (SEX and PHENO1 = phenotype + 1), `--split-par "
        "hg38` and `--glm sex omit-ref hide-covar allow-no-covars`, then read the log odds "
        "ratio and P.",
    )
