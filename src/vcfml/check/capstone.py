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

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from vcfml.check.feedback import CheckResult, failed, passed
from vcfml.io.vcf_writer import write_vcf
from vcfml.simulate import simulate_liability

MODEL = {
    "n_sites": 1500,
    "n_causal": 6,
    "h2": 0.6,
    "sex_effect": 0.3,
    "prevalence": 0.25,
    "missing_rate": 0.01,
    "seed": 2027,
}
TRAIN_SAMPLES, NEW_SAMPLES, NEW_PEOPLE_SEED = 1200, 600, 31
# Passing marks: within 0.08 of the ceiling (the AUC of 600 people has a standard
# error near 0.02), and half of the causal sites among ten candidates.
AUC_MARGIN = 0.08


def _cohorts():
    train = simulate_liability(n_samples=TRAIN_SAMPLES, **MODEL)
    new = simulate_liability(n_samples=NEW_SAMPLES, sample_seed=NEW_PEOPLE_SEED, **MODEL)
    new.samples["sample_id"] = [f"new_{index:04d}" for index in range(1, NEW_SAMPLES + 1)]
    return train, new


def capstone_cohort(folder: str | Path) -> dict[str, Path]:
    """Write ``train/`` and ``new/`` cohorts into ``folder``; return their file paths."""
    folder = Path(folder)
    paths = {}
    for name, cohort in zip(("train", "new"), _cohorts(), strict=True):
        directory = folder / name
        directory.mkdir(parents=True, exist_ok=True)
        write_vcf(
            directory / "cohort.vcf.gz",
            cohort.genotypes,
            cohort.variants,
            cohort.samples["sample_id"].tolist(),
            contigs=cohort.contigs,
            depth=cohort.depth,
            haploid_samples=cohort.haploid,
            meta=["source=vcfml capstone cohort"],
        )
        samples = cohort.samples if name == "train" else cohort.samples.drop(columns="phenotype")
        samples.to_csv(directory / "samples.tsv", sep="\t", index=False, lineterminator="\n")
        paths[f"{name}_vcf"] = directory / "cohort.vcf.gz"
        paths[f"{name}_samples"] = directory / "samples.tsv"
    return paths


def capstone(probability: pd.Series, candidates: Sequence[str]) -> CheckResult:
    """Grade predictions for the new people (a Series indexed by sample ID) and
    ten candidate causal sites (variant IDs) against the hidden truth."""
    _, new = _cohorts()
    truth = new.truth
    if not isinstance(probability, pd.Series):
        return failed(
            "capstone",
            f"probability is a {type(probability).__name__}, not a pandas Series.",
            "pd.Series(model.predict_proba(new)[:, 1], index=new.samples): one value per new person.",
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
    causal = {site["id"] for site in truth["causal_sites"]}
    candidates = list(dict.fromkeys(candidates))
    if len(candidates) != 10:
        return failed(
            "capstone", f"{len(candidates)} distinct candidates.", "name ten variant IDs."
        )
    hits = len(causal & set(candidates))
    report = (
        f"AUC on the new people {auc:.3f} (Bayes-optimal {ceiling:.3f}); "
        f"{hits} of the {len(causal)} causal sites among your ten."
    )
    if auc < ceiling - AUC_MARGIN:
        return failed(
            "capstone",
            report,
            "predict probabilities (not 0/1 labels) with a model trained on train/, and read "
            "new/ with the training covariate_levels.",
        )
    if hits < len(causal) // 2:
        return failed(
            "capstone",
            report,
            "combine the sites the model uses with the scan's best, leave out covariates "
            "(sex=male is not a site), and remember that the simulator's causal sites are "
            "autosomal: a chrX site high in the model's importance may be standing in for sex.",
        )
    return passed("capstone", report)
