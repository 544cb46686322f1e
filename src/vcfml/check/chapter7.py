"""Self-checks for chapter 7, real genomes.

Both checks run the learner's *function* on a fresh cohort the check builds,
with problems planted where the learner cannot see them, so a decision that
only happens to fit the HapMap 3 file (where flashpca's filters already removed
the bad sites) does not pass:

* 7.1 (QC): samples with a low call rate, a duplicate pair and a parent-child
  pair; sites with many missing calls, a genotyping error (no heterozygous
  calls), rare sites whose minor allele is the REF, and a site associated with
  the disease that departs from Hardy-Weinberg equilibrium in cases only.
* 7.2 (ancestry): sites on chrX and rare sites next to autosomal ones, pairs of
  sites in perfect LD; groups that differ along the second component only.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from vcfml.check.feedback import CheckResult, call_answer, failed, passed

N_CLEAN_SAMPLES = 300
LOW_CALL_RATE = 0.2  # the planted bad samples miss this share of their calls
HWE_CUTOFF = 1e-6


# --- 7.1: quality control ------------------------------------------------------------


def qc_cohort(seed: int = 71) -> dict:
    """A cohort with planted problems, and what a good QC does with each.

    Returns a dict: ``genotypes`` (samples x sites, ALT dosages, -1 missing),
    ``sample_ids``, ``case`` (bool per sample), and the answer key:
    ``low_call`` (sample IDs), ``pairs`` (the duplicate and the parent-child pair),
    ``bad_sites`` (column -> why it must go), ``case_only_hwe`` (the column of an
    associated site in HWE among controls), ``clean_sites`` (columns).
    """
    rng = np.random.default_rng(seed)
    n, n_clean_sites = N_CLEAN_SAMPLES, 2000
    frequency = rng.uniform(0.1, 0.5, n_clean_sites)
    frequency = np.where(rng.random(n_clean_sites) < 0.5, frequency, 1 - frequency)
    clean = rng.binomial(2, frequency, size=(n, n_clean_sites)).astype(np.int8)
    # Relatives: a duplicate of sample 10 (a few calls differ) and a child of 20 and 21.
    duplicate = clean[10].copy()
    flip = rng.choice(n_clean_sites, 20, replace=False)
    duplicate[flip] = rng.binomial(2, frequency[flip])
    child = (_transmit(clean[20], rng) + _transmit(clean[21], rng)).astype(np.int8)
    genotypes = np.vstack([clean, duplicate, child])
    ids = [f"S{i:03d}" for i in range(n)] + ["S010_again", "S020_child"]
    # Low call rate: three samples miss a fifth of their calls; the rest a few.
    genotypes[rng.random(genotypes.shape) < 0.002] = -1
    low = [40, 41, 42]
    for row in low:
        genotypes[row, rng.random(n_clean_sites) < LOW_CALL_RATE] = -1
    m = genotypes.shape[0]
    case = np.zeros(m, dtype=bool)
    case[rng.choice(m, m // 2, replace=False)] = True
    extra, why = [], {}
    # A site with a third of its calls missing (a badly clustered probe).
    site = rng.binomial(2, 0.4, m).astype(np.int8)
    site[rng.random(m) < 0.3] = -1
    extra.append(site)
    why[n_clean_sites] = "a third of its calls missing"
    # A genotyping error: heterozygotes called as homozygotes, in everyone.
    site = rng.binomial(2, 0.4, m)
    site[site == 1] = rng.choice([0, 2], int((site == 1).sum()))
    extra.append(site.astype(np.int8))
    why[n_clean_sites + 1] = "no heterozygous calls (out of HWE in controls too)"
    # Rare sites: ALT rare, and ALT common (the minor allele is the REF).
    for alt_frequency in (0.002, 0.998):
        extra.append(rng.binomial(2, alt_frequency, m).astype(np.int8))
    why[n_clean_sites + 2] = "minor-allele frequency below 1% (ALT rare)"
    why[n_clean_sites + 3] = "minor-allele frequency below 1% (REF rare: ALT frequency near 1)"
    # A recessive risk site: controls in HWE, cases full of ALT homozygotes.
    site = rng.binomial(2, 0.3, m)
    site[case] = rng.choice([0, 1, 2], int(case.sum()), p=[0.4, 0.2, 0.4])
    extra.append(site.astype(np.int8))
    genotypes = np.hstack([genotypes, np.column_stack(extra)])
    return {
        "genotypes": genotypes,
        "sample_ids": ids,
        "case": case,
        "low_call": [ids[row] for row in low],
        "pairs": [("S010", "S010_again", "a duplicate"), ("S020", "S020_child", "a parent-child")],
        "bad_sites": why,
        "case_only_hwe": n_clean_sites + 4,
        "clean_sites": list(range(n_clean_sites)),
    }


def _transmit(parent: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One allele of each site from a parent's genotype."""
    return np.where(parent == 1, rng.integers(0, 2, parent.shape), parent // 2)


def exercise_7_1_samples(keep_samples: Callable[[np.ndarray, list[str]], object]) -> CheckResult:
    """Judge ``keep_samples(genotypes, sample_ids)`` -> the IDs to keep, on a
    fresh cohort: the low-call-rate samples go, exactly one of each related
    pair goes, and (almost) nobody else."""
    cohort = qc_cohort()
    ids = cohort["sample_ids"]
    result, kept = call_answer("7.1 (a)", keep_samples, cohort["genotypes"].copy(), list(ids))
    if result is not None:
        return result
    if isinstance(kept, str) or not hasattr(kept, "__iter__"):
        return failed(
            "7.1 (a)",
            f"Expected the list of sample IDs to keep, got {type(kept).__name__}.",
            "return a list of the sample IDs (strings) that pass.",
        )
    kept = [str(k) for k in kept]
    unknown = [k for k in kept if k not in ids]
    if unknown:
        return failed(
            "7.1 (a)",
            f"{len(unknown)} of the returned values are not sample IDs (e.g. {unknown[0]!r}).",
            "return the IDs of the samples to keep, not row numbers or flags.",
        )
    kept_set = set(kept)
    low = [s for s in cohort["low_call"] if s in kept_set]
    if low:
        return failed(
            "7.1 (a)",
            f"On a fresh cohort you kept {len(low)} samples that miss a fifth of their calls "
            f"(e.g. {low[0]}).",
            "compute each sample's missing fraction over its row (a sample is a row) and "
            "remove those above a few percent, as plink2 --mind does.",
        )
    problems = set(cohort["low_call"]) | {s for pair in cohort["pairs"] for s in pair[:2]}
    clean = [s for s in ids if s not in problems]
    lost = [s for s in clean if s not in kept_set]
    if len(lost) > 0.02 * len(clean):
        return failed(
            "7.1 (a)",
            f"You removed {len(lost)} of the {len(clean)} samples that have no problem.",
            "a threshold that strict throws away good people: a call-rate cutoff of a few "
            "percent, a kinship cutoff at a degree of relationship (e.g. 0.177 or 0.0884).",
        )
    for first, second, kind in cohort["pairs"]:
        if first in kept_set and second in kept_set:
            return failed(
                "7.1 (a)",
                f"You kept both {first} and {second}, {kind} pair.",
                "compute KING kinship for every pair (vcfml.stats.king_table) and remove one "
                "member of each pair above your cutoff.",
            )
        if first not in kept_set and second not in kept_set:
            return failed(
                "7.1 (a)",
                f"You removed both {first} and {second}, {kind} pair: one of them is enough.",
                "a pair is a problem only when both are in the analysis; remove one member "
                "of each related pair (plink2 --king-cutoff keeps the other).",
            )
    return passed(
        "7.1 (a)",
        f"On a fresh cohort of {len(ids)} you removed the {len(cohort['low_call'])} samples "
        f"with a low call rate and one of each related pair, and kept {len(kept)}.",
    )


def exercise_7_1_sites(
    keep_sites: Callable[[np.ndarray, np.ndarray], object],
) -> CheckResult:
    """Judge ``keep_sites(genotypes, case)`` -> a boolean per site, on a fresh
    cohort: sites with many missing calls, rare sites (either allele) and
    sites out of HWE among controls go; a site out of HWE only because it is
    associated with the disease stays."""
    cohort = qc_cohort()
    genotypes = cohort["genotypes"]
    n_samples, n_sites = genotypes.shape
    result, keep = call_answer("7.1 (b)", keep_sites, genotypes.copy(), cohort["case"].copy())
    if result is not None:
        return result
    keep = np.asarray(keep)
    if keep.ndim != 1 or len(keep) != n_sites or keep.dtype != bool:
        shape = f"{keep.dtype} of shape {keep.shape}"
        hint = "return one True/False per site (column): keep or remove."
        if keep.ndim == 1 and len(keep) == n_samples:
            hint = (
                "you returned one value per sample (row): a site's call rate and frequency "
                "are computed down its column (axis=0)."
            )
        return failed("7.1 (b)", f"Expected {n_sites} booleans, one per site; got {shape}.", hint)
    for column, why in cohort["bad_sites"].items():
        if keep[column]:
            return failed(
                "7.1 (b)",
                f"On a fresh cohort you kept a site with {why}.",
                _site_hint(why),
            )
    if not keep[cohort["case_only_hwe"]]:
        return failed(
            "7.1 (b)",
            "You removed a site that is in Hardy-Weinberg equilibrium among controls and "
            "departs from it among cases only: a strongly associated site.",
            "test HWE in controls only (plink2 --hwe on controls): association with the "
            "disease changes genotype counts in cases, a genotyping error changes them in both.",
        )
    lost = int((~keep[cohort["clean_sites"]]).sum())
    if lost > 0.02 * len(cohort["clean_sites"]):
        return failed(
            "7.1 (b)",
            f"You removed {lost} of the {len(cohort['clean_sites'])} sites that have no problem "
            "(all with minor-allele frequency at least 0.1).",
            "a threshold that strict throws away good sites: a MAF cutoff around 0.01, "
            "a call-rate cutoff of a few percent, an HWE cutoff far in the tail (1e-6).",
        )
    return passed(
        "7.1 (b)",
        f"On a fresh cohort you removed the {len(cohort['bad_sites'])} planted bad sites and "
        "kept the associated site that departs from HWE in cases only.",
    )


def _site_hint(why: str) -> str:
    if "missing" in why:
        return "compute each site's missing fraction down its column and remove those above a few percent."
    if "REF rare" in why:
        return "the minor allele is the rarer of REF and ALT: MAF = min(p, 1 - p) of the ALT frequency p."
    if "ALT rare" in why:
        return "remove sites whose minor-allele frequency is below your cutoff (e.g. 0.01)."
    return "test Hardy-Weinberg equilibrium (vcfml.stats.hardy, exact test) in controls."


# --- 7.2: ancestry ---------------------------------------------------------------------


def pca_cohort(seed: int = 72) -> dict:
    """Genotypes of two populations with sites PCA should not use: chrX sites
    whose dosage differs by sex, rare sites, and pairs of identical columns."""
    rng = np.random.default_rng(seed)
    n, n_sites = 200, 300
    population = np.repeat([0, 1], n // 2)
    base = rng.uniform(0.2, 0.8, n_sites)
    frequency = np.clip(base + np.where(population[:, None] == 0, 0.1, -0.1), 0.01, 0.99)
    genotypes = rng.binomial(2, frequency).astype(np.int8)
    chrom = np.array([str(1 + i * 22 // n_sites) for i in range(n_sites)])
    # Perfect LD: 20 pairs of neighbouring columns, the second a copy of the first.
    copies = [(2 * i, 2 * i + 1) for i in range(20)]
    for first, second in copies:
        genotypes[:, second] = genotypes[:, first]
        chrom[second] = chrom[first]
    male = rng.random(n) < 0.5
    x_sites = rng.binomial(1, 0.4, size=(n, 30)) * 2
    x_sites = np.where(male[:, None], x_sites, rng.binomial(2, 0.4, size=(n, 30))).astype(np.int8)
    rare = rng.binomial(2, 0.002, size=(n, 10)).astype(np.int8)
    genotypes = np.hstack([genotypes, rare, x_sites])
    chrom = np.concatenate([chrom, ["22"] * 10, ["X"] * 30])
    variants = pd.DataFrame(
        {
            "chrom": chrom,
            "pos": np.arange(1, len(chrom) + 1) * 10_000,
            "id": [f"{c}:{(i + 1) * 10_000}" for i, c in enumerate(chrom)],
        }
    )
    return {
        "genotypes": genotypes,
        "variants": variants,
        "chrx": np.flatnonzero(chrom == "X"),
        "rare": np.arange(n_sites, n_sites + 10),
        "copies": copies,
    }


def exercise_7_2_sites(sites_for_pca: Callable[[np.ndarray, pd.DataFrame], object]) -> CheckResult:
    """Judge ``sites_for_pca(genotypes, variants)`` -> a boolean per site, on a
    fresh cohort: no chrX site, no rare site, and not both of two identical
    columns (LD pruning)."""
    cohort = pca_cohort()
    result, keep = call_answer(
        "7.2 (a)", sites_for_pca, cohort["genotypes"].copy(), cohort["variants"].copy()
    )
    if result is not None:
        return result
    keep = np.asarray(keep)
    n_sites = cohort["genotypes"].shape[1]
    if keep.shape != (n_sites,) or keep.dtype != bool:
        return failed(
            "7.2 (a)",
            f"Expected {n_sites} booleans, one per site; got {keep.dtype} of shape {keep.shape}.",
            "return one True/False per site (column of the genotypes).",
        )
    if keep[cohort["chrx"]].any():
        return failed(
            "7.2 (a)",
            f"You kept {int(keep[cohort['chrx']].sum())} chrX sites.",
            "a man has one X: his chrX dosages differ from a woman's whatever his ancestry, "
            "so a component can follow sex. Use autosomes only (vcfml.stats.autosomal).",
        )
    if keep[cohort["rare"]].any():
        return failed(
            "7.2 (a)",
            "You kept sites with a minor-allele frequency below 1%.",
            "standardizing divides by sqrt(2p(1-p)): a rare site's few carriers get huge "
            "values and can make a component of their own. Filter on MAF first.",
        )
    both = sum(bool(keep[a] and keep[b]) for a, b in cohort["copies"])
    if both:
        return failed(
            "7.2 (a)",
            f"You kept both columns of {both} pairs of sites in perfect LD.",
            "prune LD (vcfml.stats.indep_pairwise, as plink2 --indep-pairwise 50 5 0.2): "
            "a block of correlated sites counts many times and can pull a component to itself.",
        )
    autosomal_common = n_sites - len(cohort["chrx"]) - len(cohort["rare"]) - len(cohort["copies"])
    if keep.sum() < 0.5 * autosomal_common:
        return failed(
            "7.2 (a)",
            f"You kept {int(keep.sum())} sites of {autosomal_common} usable ones.",
            "remove chrX, rare sites and one of each LD pair; keep the rest.",
        )
    return passed(
        "7.2 (a)",
        f"On a fresh cohort you kept {int(keep.sum())} autosomal, common, pruned sites "
        "(no chrX, no rare site, one of each LD pair).",
    )


def ancestry_cohort(seed: int = 73) -> dict:
    """Reference samples with group labels and new samples, on ten
    components; two groups differ along PC2 only."""
    rng = np.random.default_rng(seed)
    n_components = 10
    centres = {"A": (-3.0, 0.0, 0.0), "B": (3.0, 2.0, 0.0), "C": (3.0, -2.0, 0.5)}
    # PC1 varies most, as real components do; PC4 onwards are noise.
    scale = np.array([1.0, 0.3, 0.3] + [0.2] * (n_components - 3))
    columns = [f"PC{i + 1}" for i in range(n_components)]

    def draw(count: int) -> tuple[np.ndarray, np.ndarray]:
        labels = np.repeat(list(centres), count)
        centre = np.array([centres[g] + (0.0,) * (n_components - 3) for g in labels])
        return centre + rng.normal(0, 1, (len(labels), n_components)) * (0.3 * scale), labels

    reference, reference_groups = draw(40)
    new, new_groups = draw(15)
    return {
        "reference": pd.DataFrame(reference, columns=columns),
        "groups": pd.Series(reference_groups, name="group"),
        "new": pd.DataFrame(new, columns=columns),
        "truth": new_groups,
    }


def exercise_7_2_assign(
    assign: Callable[[pd.DataFrame, pd.Series, pd.DataFrame], object],
) -> CheckResult:
    """Judge ``assign(reference_pcs, reference_groups, new_pcs)`` -> a group per
    new sample, on fresh components where two groups differ along PC2 only."""
    cohort = ancestry_cohort()
    result, labels = call_answer(
        "7.2 (b)",
        assign,
        cohort["reference"].copy(),
        cohort["groups"].copy(),
        cohort["new"].copy(),
    )
    if result is not None:
        return result
    labels = np.asarray(labels).ravel()
    truth = cohort["truth"]
    if len(labels) != len(truth):
        return failed(
            "7.2 (b)",
            f"Expected one group per new sample ({len(truth)}), got {len(labels)}.",
            "predict a group for each row of new_pcs, not for the reference samples.",
        )
    groups = set(cohort["groups"])
    odd = [label for label in labels if label not in groups]
    if odd:
        return failed(
            "7.2 (b)",
            f"{odd[0]!r} is not one of the reference groups {sorted(groups)}.",
            "return the reference group names (the labels of the nearest reference samples), "
            "not cluster numbers.",
        )
    right = float(np.mean(labels == truth))
    if right < 0.95:
        mixed = float(np.mean(labels[truth != "A"] == truth[truth != "A"]))
        hint = (
            "two groups differ along PC2 only: use several components, not PC1 alone."
            if mixed < 0.8
            else "give each new sample the group of its nearest reference samples in PC space."
        )
        return failed(
            "7.2 (b)",
            f"{right:.0%} of the new samples got their group on fresh components.",
            hint,
        )
    return passed(
        "7.2 (b)",
        f"{right:.0%} of fresh new samples assigned to their group, including two groups "
        "that differ along PC2 only.",
    )
