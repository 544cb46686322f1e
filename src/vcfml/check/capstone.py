"""The capstone: an unseen cohort, from VCF to an explained model, graded
against a truth the learner never sees.

``capstone_cohort(folder)`` writes a training cohort (VCF and samples table
with phenotypes) and a new-people cohort (VCF and samples without phenotypes),
but no ``truth.json``. ``capstone(probability, candidates)`` redraws both from
the same seeds, scores the learner's predictions for the new people against
their hidden phenotypes and the Bayes-optimal ceiling, and their ten candidate
causal sites against the hidden causal sites.
"""

from __future__ import annotations

import functools
import shutil
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from vcfml.check.feedback import CheckResult, failed, passed
from vcfml.simulate.coalescent import simulate_coalescent

# A coalescent cohort (msprime + stdpopsim, OutOfAfrica_3G09): two ancestries
# (YRI and CEU) and linkage disequilibrium, over 400 kb of chr22's q arm and
# 200 kb of chrX across the end of PAR1, so that chapter 5 matters: principal
# components for the structure, LD for the candidates (a tag finds its causal
# site), a sex-adjusted scan with PLINK 2's chrX coding for the chrX sites.
MODEL = {
    "populations": "YRI:400,CEU:400",
    "regions": ["chr22:20000001-20400000"],
    "chrx_region": "chrX:2700001-2900000",
    "n_test_samples": 400,
    "n_causal": 6,
    "h2": 0.6,
    "prevalence": 0.3,
    "sex_effect": 0.3,
    "seed": 2027,
}
# Passing marks: within 0.08 of the ceiling (the AUC of 400 people has a standard
# error near 0.02), and half of the causal sites found by the ten candidates
# (a candidate finds a causal site when it is that site or a tag, r² >= 0.8).
AUC_MARGIN = 0.08
# A candidate needs evidence: at most this many of the ten may show none
# (p > 0.05) in a scan of train/ adjusted for sex and two principal components.
UNSUPPORTED_ALLOWED = 2
DROPPED_COLUMNS = ["population"]  # ancestry is read from the genotypes (chapter 5)


@functools.lru_cache(maxsize=1)
def _cohorts():
    """The training cohort and the new people (one simulation, made once per process)."""
    cohort = simulate_coalescent(**MODEL)
    new = cohort.test
    new.samples["sample_id"] = [f"new_{index:04d}" for index in range(1, len(new.samples) + 1)]
    return cohort, new


def capstone_cohort(folder: str | Path) -> dict[str, Path]:
    """Write ``train/`` and ``new/`` cohorts into ``folder``; return their file paths.

    No truth.json is written, the new people's samples table has no phenotype,
    and neither table names the population: as in a real study, ancestry is
    read from the genotypes.
    """
    folder = Path(folder)
    paths = {}
    for name, cohort in zip(("train", "new"), _cohorts(), strict=True):
        directory = folder / name
        cohort.write(directory)
        # Nothing the learner may not see: no truth, and not the new people's
        # phenotypes, which a coalescent cohort writes as train/test/.
        (directory / "truth.json").unlink()
        shutil.rmtree(directory / "test", ignore_errors=True)
        dropped = DROPPED_COLUMNS + (["phenotype"] if name == "new" else [])
        samples = cohort.samples.drop(columns=dropped, errors="ignore")
        samples.to_csv(directory / "samples.tsv", sep="\t", index=False, lineterminator="\n")
        paths[f"{name}_vcf"] = directory / "cohort.vcf.gz"
        paths[f"{name}_samples"] = directory / "samples.tsv"
    return paths


def capstone(probability: pd.Series, candidates: Sequence[str]) -> CheckResult:
    """Grade predictions for the new people (a Series indexed by sample ID) and
    ten candidate causal sites (variant IDs) against the hidden truth."""
    train, new = _cohorts()
    truth = new.truth
    if not isinstance(probability, pd.Series):
        return failed(
            "capstone",
            f"probability is a {type(probability).__name__}, not a pandas Series.",
            "pd.Series(model.predict_proba(new)[:, 1], index=new.samples): one value per new "
            "person.",
        )
    wanted = new.samples["sample_id"]
    missing = sorted(set(wanted) - set(probability.index))
    if missing:
        return failed(
            "capstone",
            f"{len(missing)} new people have no prediction (e.g. {missing[0]}).",
            "predict every sample of new/samples.tsv, indexed by its sample ID.",
        )
    scores = probability.loc[wanted].to_numpy(dtype=float)
    if not np.isfinite(scores).all():
        return failed("capstone", "Some predictions are not numbers.", "check for NaN.")
    auc = roc_auc_score(new.samples["phenotype"], scores)
    ceiling = truth["bayes_optimal"]["cohort"]["auc"]
    candidates = [str(c) for c in dict.fromkeys(candidates)]
    if len(candidates) != 10:
        return failed(
            "capstone", f"{len(candidates)} distinct candidates.", "name ten variant IDs."
        )
    known = set(train.variants["id"].astype(str))
    unknown = [c for c in candidates if c not in known]
    if unknown:
        return failed(
            "capstone",
            f"{len(unknown)} of your ten are not variant IDs (e.g. {unknown[0]!r}).",
            "name sites by their ID; covariates such as sex=male or a PC are not sites.",
        )
    found = _causal_found(candidates, train.truth)
    report = (
        f"AUC on the new people {auc:.3f} (Bayes-optimal {ceiling:.3f}); your ten find "
        f"{len(found)} of the {len(train.truth['causal_sites'])} causal sites (themselves or "
        "a tag, r² >= 0.8)."
    )
    if auc < ceiling - AUC_MARGIN:
        return failed(
            "capstone",
            report,
            "predict probabilities (column 1 of predict_proba, not 0/1 labels) with a model "
            "trained on train/, and read new/ with the training covariate_levels.",
        )
    unsupported = _unsupported(candidates)
    if len(unsupported) > UNSUPPORTED_ALLOWED:
        return failed(
            "capstone",
            f"{len(unsupported)} of your ten show no association at all (p > 0.05) in a scan "
            f"of train/ adjusted for sex and two principal components (e.g. {unsupported[0]}).",
            "a candidate needs evidence that survives adjustment: take the best-ranked sites "
            "(rank 1 first) of a scan adjusted for sex and the principal components "
            "(chapter 5), not of an unadjusted scan, and not the scan's last ranks.",
        )
    if len(found) < len(train.truth["causal_sites"]) // 2:
        return failed(
            "capstone",
            report,
            "combine the sites the model uses with the scan's best, and read the scan "
            "adjusted for sex and for the ancestry the principal components capture "
            "(chapter 5): unadjusted, every site whose frequency differs between the "
            "ancestries looks associated. Tags of one locus crowd the top: clump them "
            "(exercise 5.3) so that your ten reach several loci.",
        )
    return passed("capstone", report)


def _causal_found(candidates: Sequence[str], truth: dict) -> list[str]:
    """The causal sites a candidate list finds: the site itself or one of its tags."""
    chosen = set(candidates)
    found = []
    for site in truth["causal_sites"]:
        names = {site["id"]} | {str(tag.get("id", tag)) if isinstance(tag, dict) else str(tag)
                                for tag in site.get("tags", [])}  # fmt: skip
        if names & chosen:
            found.append(site["id"])
    return found


@functools.lru_cache(maxsize=1)
def _adjusted_pvalues() -> pd.Series:
    """p-values of a scan of the training cohort adjusted for sex and two PCs
    (PLINK 2's chrX coding: males 0/2, sex a covariate), by variant ID."""
    import tempfile

    from vcfml.explain import association_table
    from vcfml.features import join_samples
    from vcfml.io.vcf_reader import read_vcf
    from vcfml.stats import autosomal, pca

    with tempfile.TemporaryDirectory() as folder:
        paths = capstone_cohort(folder)
        genotypes = read_vcf(paths["train_vcf"])
        samples = pd.read_csv(paths["train_samples"], sep="\t").set_index("sample_id")
    components = pca(genotypes.genotypes[:, autosomal(genotypes.variants["chrom"])], 2)
    table = samples.loc[genotypes.samples].join(
        components.to_frame(genotypes.samples).set_index("sample_id")
    )
    with warnings.catch_warnings():  # the check's own scan: no warnings to the learner
        warnings.simplefilter("ignore")
        scan = association_table(join_samples(genotypes, table, covariates=["sex", "PC1", "PC2"]))
    return scan.set_index(scan["id"].astype(str))["pvalue"]


def _unsupported(candidates: Sequence[str]) -> list[str]:
    pvalues = _adjusted_pvalues()
    return [c for c in candidates if not pvalues.get(c, 1.0) <= 0.05]
