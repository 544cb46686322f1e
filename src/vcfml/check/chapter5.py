"""Self-checks for chapter 5, interpretability."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from vcfml.check.feedback import CheckResult, failed, passed
from vcfml.io.vcf_reader import GenotypeMatrix
from vcfml.stats.frequency import allele_frequency, call_ploidy, haploid_in_males
from vcfml.stats.ld import ld_r2

TAG_R2 = 0.8  # r² at which a site counts as a tag, as in the coalescent truth
GRCH37_CHRX_LENGTH = 155_270_560  # else the pseudo-autosomal regions are GRCh38's


def exercise_5_1(candidates: Sequence[str], truth: dict, scan: pd.DataFrame) -> CheckResult:
    """Score ten candidate causal sites (variant IDs) against the truth.

    The bar is the per-site association scan: a list passes when it holds at
    least as many causal sites as the scan's own ten best-ranked sites
    (``scan``, from :func:`vcfml.explain.association_table`), and at least half
    of them. A list of sites that stand in for a covariate (chrX sites for sex
    in an unadjusted scan) is named in the feedback.
    """
    candidates = list(dict.fromkeys(candidates))
    if len(candidates) != 10:
        return failed(
            "5.1", f"You named {len(candidates)} distinct sites.", "name exactly ten variant IDs."
        )
    known = set(scan["id"])
    unknown = [c for c in candidates if c not in known]
    if unknown:
        return failed(
            "5.1",
            f"{len(unknown)} of your ten are not variant IDs of this cohort (e.g. {unknown[0]!r}).",
            "name variants by their ID column; covariates such as sex=male are not sites.",
        )
    causal = {site["id"] for site in truth["causal_sites"]}
    hits = len(causal & set(candidates))
    scan_top = scan.sort_values("rank")["id"].head(10)
    scan_hits = len(causal & set(scan_top))
    bar = max(scan_hits, (len(causal) + 1) // 2)
    if hits < bar:
        on_chrx = int(scan.set_index("id").loc[candidates, "chrom"].eq("chrX").sum())
        hint = (
            f"{on_chrx} of your ten are on chrX. In this cohort sex raises the risk, and a male "
            "carries one X, so a chrX dosage tells males from females: ask whether a site's "
            "association is its own or sex's."
            if on_chrx >= 3
            else "start from the sites the model found important, then fill with scan sites "
            "whose association is not explained by something else."
        )
        return failed(
            "5.1",
            f"{hits} of your ten are causal; the scan's own top ten already has {scan_hits}.",
            hint,
        )
    return passed(
        "5.1",
        f"{hits} of the {len(causal)} causal sites are in your ten "
        f"(the scan's top ten alone: {scan_hits}).",
    )


def exercise_5_2(
    frequency_difference: pd.Series,
    genotypes: np.ndarray | GenotypeMatrix,
    population: Sequence[str],
    *,
    sex: Sequence[str] | None = None,
) -> CheckResult:
    """Check the ALT-frequency difference between two populations for every site.

    Two answers are right: the mean dosage / 2 over each population's called
    genotypes (the notebook's hint), and the ploidy-correct frequency of
    :func:`vcfml.stats.allele_frequency`, where a man's call at a chrX site
    outside the pseudo-autosomal regions counts as one allele, not two. They
    differ only at those sites, so the second can be told apart (and accepted)
    when the check knows them: pass ``genotypes`` as :func:`vcfml.read_vcf`
    returns it (its variants say where the sites are) and ``sex`` per sample.
    """
    population = np.asarray(population)
    groups = sorted(set(population))
    if len(groups) != 2:
        return failed(
            "5.2", "Expected two populations.", "use the population column of samples.tsv."
        )
    variants = getattr(genotypes, "variants", None)
    contigs = getattr(genotypes, "contigs", None) or {}
    calls = np.asarray(getattr(genotypes, "genotypes", genotypes))
    got = np.asarray(frequency_difference, dtype=float)
    if got.shape != (calls.shape[1],):
        return failed(
            "5.2",
            f"{got.size} values for {calls.shape[1]} sites.",
            "one difference per site (column).",
        )
    answers = [_frequency_difference(calls, population, groups, 2)]  # mean dosage / 2
    if variants is not None and sex is not None:
        male = np.asarray([str(value).lower() in ("male", "m", "1") for value in sex])
        x_length = next((v for k, v in contigs.items() if k in ("chrX", "X")), None)
        build = "GRCh37" if x_length == GRCH37_CHRX_LENGTH else "GRCh38"
        haploid = haploid_in_males(variants["chrom"], variants["pos"], build)
        ploidy = call_ploidy(haploid, male)
        answers.append(_frequency_difference(calls, population, groups, ploidy))
    if not any(np.allclose(got, want, atol=1e-6, equal_nan=True) for want in answers):
        return failed(
            "5.2",
            "Some differences are off.",
            "ALT frequency per population = ALT copies / called alleles (skip -1): "
            "mean dosage / 2, or a man's non-PAR chrX call counted once (then pass "
            "sex= and the read_vcf result, so the check counts alike); take |difference|.",
        )
    return passed("5.2", "allele-frequency differences between the populations are right.")


def _frequency_difference(calls, population, groups, ploidy) -> np.ndarray:
    """|ALT frequency of the second group - the first's|, per site."""
    ploidy = np.broadcast_to(np.asarray(ploidy, dtype=np.int8), calls.shape)
    first, second = (
        allele_frequency(calls[population == group], ploidy[population == group])
        for group in groups
    )
    return np.abs(second - first)


def exercise_5_3(stands_for: Mapping[str, str | None], genotypes, truth: dict) -> CheckResult:
    """Check which causal site each top-ranked site finds: itself, or the causal
    site it is in LD with (r² >= 0.8, recomputed here from the genotypes), or none.

    ``stands_for`` maps a variant ID to a causal site's ID, or to None (NaN and
    "" count as None, so a pandas Series works). A site in LD with two causal
    sites may name either.
    """
    answers = dict(stands_for.items()) if hasattr(stands_for, "items") else None
    if not answers or len(answers) < 5:
        return failed(
            "5.3",
            "Expected a mapping from at least five top-ranked site IDs to a causal site or None.",
            "build a dict {site_id: causal_id or None} for the top sites of the ranking.",
        )
    ids = pd.Index(genotypes.variants["id"].astype(str))
    unknown = [site for site in answers if str(site) not in ids]
    if unknown:
        return failed("5.3", f"{unknown[0]!r} is not a site of the cohort.", "use variant IDs.")
    causal = [site["id"] for site in truth["causal_sites"] if site["id"] in ids]
    causal_columns = ids.get_indexer(causal)
    asked = ids.get_indexer([str(site) for site in answers])
    r2 = ld_r2(genotypes.genotypes[:, asked], genotypes.genotypes[:, causal_columns])
    missed = wrong = 0
    for row, (site, answer) in enumerate(answers.items()):
        finds = {name for name, value in zip(causal, r2[row], strict=True) if value >= TAG_R2}
        finds |= {str(site)} & set(causal)
        named = None if answer is None or answer == "" or pd.isna(answer) else str(answer)
        if finds and named is None:
            missed += 1
        elif named not in finds and not (named is None and not finds):
            wrong += 1
    if missed:
        return failed(
            "5.3",
            f"{missed} of your sites find a causal site that you did not name.",
            "a site also finds a causal site when it is in LD with it: compute r² "
            "(vcfml.stats.ld_r2) between the site and every causal site; r² >= 0.8 counts.",
        )
    if wrong:
        return failed(
            "5.3",
            f"{wrong} of your sites name a causal site they are not in LD with.",
            "name a causal site only when it is the site itself or r² >= 0.8 to it.",
        )
    found = sum(
        1 for answer in answers.values() if not (answer is None or answer == "" or pd.isna(answer))
    )
    return passed("5.3", f"{found} of your {len(answers)} sites find a causal site.")
