"""Self-checks for chapter 5, interpretability."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from vcfml.check.feedback import CheckResult, call_answer, failed, passed
from vcfml.genome import build_of
from vcfml.io.vcf_reader import GenotypeMatrix
from vcfml.stats.frequency import allele_frequency, call_ploidy, haploid_in_males
from vcfml.stats.ld import ld_r2

TAG_R2 = 0.8  # r² at which a site counts as a tag, as in the coalescent truth


def exercise_5_1(
    candidates: Sequence[str] | Callable[[pd.DataFrame, pd.DataFrame], Sequence[str]],
    truth: dict,
    scan: pd.DataFrame,
    importance: pd.DataFrame | None = None,
) -> CheckResult:
    """Judge ten candidate causal sites: does the list combine the model's
    importance with the association scan?

    ``candidates`` is either the ten variant IDs or, better, the learner's
    function ``choose(importance, scan)`` that returns them. A list is graded
    against ``truth``: exactly ten variant IDs, no covariates, and at least as
    many causal sites as the scan's own top ten (the bar of a scan alone). With
    ``importance`` (:func:`vcfml.explain.importance_table`) the list must also
    keep the sites the model uses, and hold as many causal sites as those sites
    followed by the scan's best. A function is graded on the notebook's inputs
    and then on a fresh pair of rankings where the two disagree, as on a cohort
    with a recessive causal site: the model uses it, the per-site additive scan
    ranks it 150th. A scan-only answer, which the notebook's cohort cannot tell
    apart (there the model uses the scan's top sites), fails there.
    """
    if callable(candidates):
        if importance is None:
            return failed(
                "5.1",
                "A function needs the model's importance table to choose from.",
                "call check.exercise_5_1(your_function, truth, scan, importance).",
            )
        cases = [(importance, scan, truth, "this cohort"), (*disagreeing_rankings(), "")]
        found = []
        for table, ranking, answer_key, where in cases:
            result, chosen = call_answer("5.1", candidates, table.copy(), ranking.copy())
            if result is not None:
                return result
            verdict = _judge_candidates(chosen, answer_key, ranking, table, where)
            if isinstance(verdict, tuple):
                return failed("5.1", *verdict)
            found.append(verdict)
        return passed(
            "5.1",
            f"{found[0]} on this cohort, and on a cohort where the model finds a causal site "
            "the scan ranks 150th, your function keeps it.",
        )
    verdict = _judge_candidates(candidates, truth, scan, importance, "this cohort")
    if isinstance(verdict, tuple):
        return failed("5.1", *verdict)
    return passed("5.1", f"{verdict}.")


def disagreeing_rankings() -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Importance, scan and truth of a cohort where model and scan disagree.

    200 sites; five are causal: the scan ranks three of them 1, 2 and 4, a
    recessive one 150 (an additive test hardly sees it) and a weak one 190. The
    model uses the sites ranked 1, 2 and 3 by the scan, the recessive site, and
    sex. The sites the model uses followed by the scan's best hold four causal
    sites; the scan's top ten holds three.
    """
    n_sites = 200
    chroms = [f"chr{1 + i % 22}" for i in range(n_sites)]
    chroms[5:13] = ["chrX"] * 8  # sex stand-ins, as in a scan not adjusted for sex
    scan = pd.DataFrame(
        {
            "chrom": chroms,
            "pos": 1_000_000 + 7919 * np.arange(n_sites),
            "id": [f"rs{900_001 + i}" for i in range(n_sites)],
            "pvalue": np.logspace(-30, 0, n_sites),
        }
    )
    scan["score"] = -np.log10(scan["pvalue"])
    scan["rank"] = np.arange(1, n_sites + 1)
    scan = scan.sample(frac=1, random_state=5).reset_index(drop=True)  # rows not in rank order
    by_rank = scan.set_index("rank")["id"]
    causal_ranks = [1, 2, 4, 150, 190]
    truth = {"causal_sites": [{"id": by_rank[rank]} for rank in causal_ranks]}
    used = [(by_rank[1], 0.9), (by_rank[2], 0.6), ("sex=male", 0.4), (by_rank[150], 0.3)]
    used.append((by_rank[3], 0.1))
    where = scan.set_index("id")
    importance = pd.DataFrame(
        {
            "feature": [feature for feature, _ in used],
            "chrom": [where["chrom"].get(f, "") for f, _ in used],
            "pos": [where["pos"].get(f, pd.NA) for f, _ in used],
            "importance": [value for _, value in used],
        }
    )
    importance["rank"] = np.arange(1, len(importance) + 1)
    return importance, scan, truth


def _model_sites(importance: pd.DataFrame, known: set[str]) -> list[str]:
    """The variants the model uses, most important first (covariates left out)."""
    table = importance.sort_values("importance", ascending=False)
    used = table.loc[table["importance"] > 0, "feature"].astype(str)
    return [site for site in used if site in known]


def _judge_candidates(candidates, truth, scan, importance, where) -> str | tuple[str, str]:
    """Grade one list of candidates (see :func:`exercise_5_1`): what it found,
    or (what is wrong, hint)."""
    if isinstance(candidates, str) or not isinstance(candidates, Sequence | pd.Series | np.ndarray):
        return (
            f"Expected a list of ten variant IDs, got {type(candidates).__name__}.",
            "return (or build) a list of ten variant ID strings.",
        )
    if isinstance(candidates, np.ndarray | pd.Series):
        candidates = np.asarray(candidates).ravel().tolist()  # e.g. scan[["id"]].to_numpy()
    odd = [c for c in candidates if not isinstance(c, str)]  # numpy's str_ is a str
    if odd:
        return (
            f"Expected a flat list of variant ID strings, but one item is {odd[0]!r} "
            f"({type(odd[0]).__name__}).",
            "return a plain list of ten IDs, e.g. table['id'].tolist(), not rows or a table.",
        )
    candidates = [str(c) for c in dict.fromkeys(candidates)]
    on = f" (on {where})" if where else " (on a cohort where the model and the scan disagree)"
    if len(candidates) != 10:
        return (f"You named {len(candidates)} distinct sites{on}.", "name exactly ten variant IDs.")
    known = set(scan["id"].astype(str))
    unknown = [c for c in candidates if c not in known]
    if unknown:
        return (
            f"{len(unknown)} of your ten are not variant IDs{on} (e.g. {unknown[0]!r}).",
            "name variants by their ID column; covariates such as sex=male are not sites.",
        )
    causal = {site["id"] for site in truth["causal_sites"]}
    hits = len(causal & set(candidates))
    by_scan = scan.sort_values("rank")["id"].astype(str).tolist()
    scan_hits = len(causal & set(by_scan[:10]))
    bar = max(scan_hits, (len(causal) + 1) // 2) if importance is None else scan_hits
    ranks = dict(zip(scan["id"].astype(str), scan["rank"], strict=True))
    if importance is not None:
        model = _model_sites(importance, known)
        ordered = importance.sort_values("importance", ascending=False)["feature"].astype(str)
        importance_rank = {feature: rank for rank, feature in enumerate(ordered, start=1)}
        left_out = [site for site in model[:5] if site not in candidates]
        if left_out:
            site = left_out[0]
            return (
                f"Your ten leave out {len(left_out)} of the sites the model uses{on}, e.g. "
                f"{site} (importance rank {importance_rank[site]}, scan rank {ranks[site]}).",
                "a model can use a site that a per-site additive test ranks low (a recessive "
                "effect, an interaction): keep the model's sites, then fill with the scan's.",
            )
        reference = list(dict.fromkeys(model + by_scan))[:10]
        bar = max(bar, len(causal & set(reference)))
    if hits < bar:
        on_chrx = int(scan.set_index("id").loc[candidates, "chrom"].eq("chrX").sum())
        hint = (
            f"{on_chrx} of your ten are on chrX. In this cohort sex raises the risk, and a male "
            "carries one X, so a chrX dosage tells males from females: ask whether a site's "
            "association is its own or sex's."
            if on_chrx >= 3
            else "start from the sites the model found important, then fill with the scan's "
            "best-ranked sites whose association is not explained by something else."
        )
        return (
            f"{hits} of your ten are causal{on}; the scan's own top ten already has {scan_hits}"
            + ("." if importance is None else f", and the model's sites then the scan's {bar}."),
            hint,
        )
    return (
        f"{hits} of the {len(causal)} causal sites are in your ten "
        f"(the scan's top ten alone: {scan_hits})"
    )


def exercise_5_2(
    frequency_difference: pd.Series,
    genotypes: np.ndarray | GenotypeMatrix,
    population: Sequence[str],
    *,
    sex: Sequence[str] | None = None,
) -> CheckResult:
    """Check the ALT-frequency difference between two populations for every site.

    Two answers are right: every call counted as diploid (the mean dosage / 2
    over each population's called genotypes), and the ploidy-correct frequency of
    :func:`vcfml.stats.allele_frequency` (the notebook's way), where a man's call at a chrX site
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
        haploid = haploid_in_males(variants["chrom"], variants["pos"], build_of(contigs))
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


def exercise_5_3_clumps(
    clump: Callable[[Sequence[str], np.ndarray, float], Sequence[str]],
    r2_threshold: float,
    ranked: Sequence[str],
    dosages: np.ndarray,
) -> CheckResult:
    """Judge ``clump(ranked, dosages, r2_threshold)`` and the threshold chosen.

    Clumping goes down a ranking (variant IDs, best first; ``dosages`` holds
    their columns in that order) and keeps a site as the lead of a new locus
    unless its r² with a lead already kept reaches ``r2_threshold``. The
    threshold must lie between 0.05 and 0.9 (PLINK's default is 0.5; at 1 no
    tag is merged, near 0 everything is). The function is graded on the
    notebook's ranking at that threshold, then on fresh loci of sites with
    decreasing LD at thresholds 0.2 and 0.8, against greedy clumping; the leads
    may come in any order.
    """
    if not isinstance(r2_threshold, int | float | np.floating) or not 0.05 <= r2_threshold <= 0.9:
        return failed(
            "5.3",
            f"r2_threshold = {r2_threshold!r}: choose a number between 0.05 and 0.9.",
            "at 1 no tag would join its locus, near 0 unrelated sites would; GWAS clumping "
            "often uses 0.1 to 0.5, and 0.8 is the tag threshold above.",
        )
    cases = [(list(ranked), np.asarray(dosages), float(r2_threshold), "this ranking")]
    fresh_ranked, fresh_dosages = _fresh_loci()
    cases += [(fresh_ranked, fresh_dosages, t, f"fresh loci, r² >= {t}") for t in (0.2, 0.8)]
    for sites, matrix, threshold, where in cases:
        result, leads = call_answer("5.3", clump, list(sites), matrix.copy(), threshold)
        if result is not None:
            return result
        want = _greedy_clumps(sites, matrix, threshold)
        got = [str(site) for site in leads] if isinstance(leads, Sequence | np.ndarray) else None
        if got is None or isinstance(leads, str):
            return failed(
                "5.3", f"clump returned {type(leads).__name__}.", "return a list of lead IDs."
            )
        if set(got) != set(want) or len(got) != len(set(got)):
            extra = [site for site in got if site not in want]
            what = (
                f"{len(extra)} of your leads are tags of a better-ranked lead"
                if len(got) > len(want)
                else "some loci lost their lead"
            )
            return failed(
                "5.3",
                f"On {where}: {len(got)} leads, greedy clumping gives {len(want)}; {what}.",
                "go down the ranking; keep a site when its r² with every lead kept so far is "
                "below the threshold you were given (not a fixed one).",
            )
    return passed(
        "5.3",
        f"{len(_greedy_clumps(*cases[0][:3]))} loci in this ranking at r² {r2_threshold:g}, "
        "and your function clumps fresh loci right at other thresholds.",
    )


def _greedy_clumps(ranked: Sequence[str], dosages: np.ndarray, threshold: float) -> list[str]:
    """Lead sites: down the ranking, a site not in LD with an earlier lead."""
    r2 = ld_r2(dosages)
    leads: list[int] = []
    for site in range(len(ranked)):
        if all(r2[site, lead] < threshold for lead in leads):
            leads.append(site)
    return [str(ranked[site]) for site in leads]


def _fresh_loci(seed: int = 53) -> tuple[list[str], np.ndarray]:
    """Four loci of five sites each, a site's LD with its locus falling from 1
    to about 0.1, ranked in a shuffled order: 20 IDs and their dosages."""
    rng = np.random.default_rng(seed)
    n_samples, columns = 400, []
    for _ in range(4):
        core = rng.binomial(2, 0.4, n_samples)
        for redrawn in (0.0, 0.15, 0.35, 0.6, 0.9):
            site = core.copy()
            rows = rng.random(n_samples) < redrawn
            site[rows] = rng.binomial(2, 0.4, rows.sum())
            columns.append(site)
    order = rng.permutation(len(columns))
    dosages = np.column_stack(columns)[:, order].astype(np.int8)
    return [f"locus{i // 5 + 1}_site{i % 5 + 1}" for i in order], dosages
