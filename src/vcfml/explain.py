"""Which variants and covariates drove the predictions, and was that the truth?

* Global importance: mean absolute SHAP value for tree models (exact and fast
  with SHAP's TreeExplainer), and permutation importance (the drop in the run's
  metric when a feature is shuffled) for any model. Importance measured on the
  samples a model was fitted on measures memorisation too; an AutoML run's
  importance (:func:`run_importance`) is measured on its held-out test samples,
  with the model that never saw them.
* SHAP units depend on the model: scikit-learn's forests explain the
  probability of case, LightGBM, the logistic regression and the vote its
  log-odds (:func:`shap_units`).
* Each importance is mapped back to the variant's ID and genome position, and
  drawn as a Manhattan-style plot with the true causal sites marked.
* Recovery against ``truth.json``: the rank of each causal site and of sex,
  precision and recall at k, and the same for the per-site association scan;
  where the truth lists tag sets (coalescent cohorts), also LD-aware: a tag of
  a causal site counts as finding it.
* A per-sample explanation: which features pushed one person's prediction up
  or down (SHAP values). A vote of several models (``ensemble``) has no exact
  fast explainer; its SHAP values are estimated by SHAP's model-agnostic
  permutation explainer, which is affordable for a few samples, not for all.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from sklearn.inspection import permutation_importance
from sklearn.pipeline import Pipeline

from vcfml.automl.ensemble import VotingEnsemble
from vcfml.automl.metrics import METRICS
from vcfml.automl.model import FittedModel
from vcfml.automl.search import AutoMLResult
from vcfml.errors import VcfmlError
from vcfml.features import Dataset

with warnings.catch_warnings():
    # shap's colour maps use matplotlib calls that are pending deprecation; not ours to fix.
    warnings.simplefilter("ignore", PendingDeprecationWarning)
    import shap

IMPORTANCE_COLUMNS = ["feature", "chrom", "pos", "importance", "rank"]
MIN_IMPORTANCE_SAMPLES = 30  # fewer samples than this left in the budget: no importance


class BudgetSpent(VcfmlError):
    """The budget has no time left for this step (the CLI skips it and says so)."""


BACKGROUND_SAMPLES = 100  # reference samples the permutation explainer averages over


def importance_table(
    model: FittedModel,
    dataset: Dataset,
    method: str = "auto",
    n_repeats: int = 5,
    seed: int = 0,
    metric: str = "roc_auc",
    deadline: float | None = None,
) -> pd.DataFrame:
    """Global importance of every model feature on ``dataset``'s samples, ranked
    (1 = most important).

    ``method`` is ``shap`` (tree models), ``permutation`` (any model: the drop
    in ``metric`` when a feature is shuffled) or ``auto`` (SHAP for trees,
    permutation otherwise). Covariates have empty ``chrom`` and ``pos``. With a
    ``deadline`` (a ``time.perf_counter()`` value) the work is sized to end by
    then: fewer permutation repeats, then fewer samples, or SHAP values of fewer
    samples; ``attrs`` say what was done (``method``, ``units``, ``n_samples``,
    ``n_repeats``).

    Raises:
        BudgetSpent: with a ``deadline``, when not even one repeat on
            ``MIN_IMPORTANCE_SAMPLES`` samples fits before it.
    """
    if method == "auto":
        method = "shap" if model.is_tree else "permutation"
    if method == "shap" and isinstance(model.estimator_, VotingEnsemble):
        raise VcfmlError(
            "global SHAP importance of a vote of several models would take hours "
            "(no exact explainer); use method='permutation', or explain_sample for one person"
        )
    features = model.features(dataset)
    rows = len(features)
    if method == "shap":
        if deadline is not None:  # time a few samples, then explain as many as fit
            began = time.perf_counter()
            first = np.abs(shap_values(model, features[:10]))
            per_sample = (time.perf_counter() - began) / min(10, rows)
            rows = max(10, min(rows, int((deadline - time.perf_counter()) / per_sample)))
            rest = np.abs(shap_values(model, features[10:rows])) if rows > 10 else first[:0]
            values = np.vstack([first, rest]).mean(axis=0)
        else:
            values = np.abs(shap_values(model, features)).mean(axis=0)
        units = f"mean |SHAP value| ({shap_units(model)})"
    elif method == "permutation":
        target = dataset.target
        if deadline is not None:  # one prediction per feature and repeat
            began = time.perf_counter()
            model.estimator_.predict_proba(features)
            per_repeat = (time.perf_counter() - began) * features.shape[1]
            left = deadline - time.perf_counter()
            if per_repeat > left:  # not even one repeat of every sample: fewer samples
                rows = int(rows * left / per_repeat)
                if rows < MIN_IMPORTANCE_SAMPLES:
                    raise BudgetSpent(
                        f"permutation importance needs about {per_repeat:.0f}s, "
                        f"{max(0.0, left):.1f}s of the budget are left"
                    )
                sample = np.random.default_rng(seed).choice(len(features), rows, replace=False)
                features, target = features[np.sort(sample)], target[np.sort(sample)]
            n_repeats = max(1, min(n_repeats, int(left / per_repeat)))
        result = permutation_importance(
            model.estimator_,
            features,
            target,
            scoring=METRICS[metric].scoring,
            n_repeats=n_repeats,
            random_state=seed,
        )
        values = result.importances_mean
        units = f"drop in {metric}"
    else:
        raise ValueError("method must be 'auto', 'shap' or 'permutation'")
    n_variants = len(model.variants)
    table = pd.DataFrame(
        {
            "feature": model.feature_names,
            "chrom": list(model.variants["chrom"]) + [""] * (len(values) - n_variants),
            "pos": list(model.variants["pos"].astype(str)) + [""] * (len(values) - n_variants),
            "importance": values,
        }
    )
    table = table.sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)
    table["rank"] = np.arange(1, len(table) + 1)
    table.attrs.update(method=method, units=units, n_samples=rows)
    if method == "permutation":
        table.attrs["n_repeats"] = n_repeats
    return table


def run_importance(
    result: AutoMLResult, dataset: Dataset, deadline: float | None = None
) -> pd.DataFrame:
    """Importance of an AutoML run, out of sample.

    With a held-out test share, the pipeline fitted on the search samples is
    explained on the test samples, which it never saw (its sites can differ a
    little from those of the saved model, refitted on all samples). Without one
    (``test_size=0``) the saved model is explained on its own training samples,
    and ``attrs["samples"]`` says so.
    """
    settings = result.settings
    if result.holdout_model is not None and result.test_samples:
        rows = [dataset.samples.index(sample) for sample in result.test_samples]
        model, samples, where = result.holdout_model, dataset.subset(rows), "held-out test"
    else:
        model, samples, where = result.model, dataset, "training (in sample: optimistic)"
    table = importance_table(
        model, samples, seed=settings.seed, metric=settings.metric, deadline=deadline
    )
    table.attrs["samples"] = where
    table.attrs["model"] = described_model(result, model)
    return table


def described_model(result: AutoMLResult, model: FittedModel) -> str:
    """Which model an importance of ``result`` describes, said plainly: the saved
    model (``model/``, the one ``vcfml predict`` uses), or the model fitted on the
    search samples and how many of its sites the saved model shares."""
    if model is result.model:
        return "the saved model (model/, the one vcfml predict uses)"
    saved = set(result.model.variant_names)
    own = model.variant_names
    shared = sum(name in saved for name in own)
    return (
        f"the model fitted on the search samples (the held-out test samples score it), not "
        f"the saved model: that one was refitted on all samples and re-screened, and has "
        f"{shared} of this model's {len(own)} sites (it has {len(saved)})"
    )


def shap_units(model: FittedModel) -> str:
    """What a SHAP value of ``model`` adds up to: ``probability`` of case for
    scikit-learn's forests (TreeExplainer explains their predicted probability),
    ``log-odds`` of case for LightGBM (its raw margin), the logistic regression
    (its linear margin) and the vote (explained through its log-odds)."""
    if model.estimator_name in {"random_forest", "extra_trees"}:
        return "probability"
    return "log-odds"


def shap_values(
    model: FittedModel, features: np.ndarray, background: np.ndarray | None = None
) -> np.ndarray:
    """SHAP values (samples x features) of the fitted model, in the units of
    :func:`shap_units` (probability of case for forests, log-odds otherwise).

    ``background`` is the reference population for linear models (by default
    ``features`` itself): a SHAP value says how far a feature moves one sample's
    prediction away from the average over the background.
    """
    estimator = model.estimator_
    if isinstance(estimator, VotingEnsemble):
        return _permutation_shap(estimator, features, background)
    if isinstance(estimator, Pipeline):  # scaler + logistic regression
        reference = estimator[:-1].transform(features if background is None else background)
        explainer = shap.LinearExplainer(estimator[-1], reference)
        return np.asarray(explainer.shap_values(estimator[:-1].transform(features)))
    with warnings.catch_warnings():
        # LightGBM output-format notice, printed on every call.
        warnings.filterwarnings("ignore", message="LightGBM binary classifier")
        values = np.asarray(shap.TreeExplainer(estimator).shap_values(features))
    if values.ndim == 3:  # (samples, features, classes) for scikit-learn forests
        values = values[..., 1]
    return values


def _permutation_shap(
    estimator: VotingEnsemble, features: np.ndarray, background: np.ndarray | None
) -> np.ndarray:
    """Model-agnostic SHAP values of the vote's log-odds: SHAP's permutation
    explainer runs one forward and one reverse pass through the features per
    sample, which is exact for effects of up to pairs of features."""

    def log_odds(rows: np.ndarray) -> np.ndarray:
        probability = np.clip(estimator.predict_proba(rows)[:, 1], 1e-9, 1 - 1e-9)
        return np.log(probability / (1 - probability))

    reference = features if background is None else background
    masker = shap.maskers.Independent(reference, max_samples=BACKGROUND_SAMPLES)
    explainer = shap.PermutationExplainer(log_odds, masker, seed=0)
    explanation = explainer(features, max_evals=2 * features.shape[1] + 1, silent=True)
    return np.asarray(explanation.values)


def explain_sample(
    model: FittedModel, dataset: Dataset, sample_id: str, top: int = 10
) -> pd.DataFrame:
    """The features that moved one sample's prediction most, with their values;
    ``attrs["units"]`` says what the SHAP values add up to (:func:`shap_units`)."""
    index = dataset.samples.index(sample_id)
    features = model.features(dataset)
    values = shap_values(model, features[index : index + 1], background=features)[0]
    table = pd.DataFrame({"feature": model.feature_names, "value": features[index], "shap": values})
    order = np.argsort(-np.abs(values), kind="stable")[:top]
    explanation = table.iloc[order].reset_index(drop=True)
    explanation.attrs["units"] = shap_units(model)
    return explanation


def association_table(
    dataset: Dataset, min_maf: float = 0.0, male: np.ndarray | None = None
) -> pd.DataFrame:
    """The per-site association scan on all samples, adjusted for the dataset's
    covariates: :func:`vcfml.stats.association_scan` (logistic regression, as
    ``plink2 --glm``), plus ``score`` (-log10 p, higher is stronger) and ``rank``
    (1 = smallest p-value; untestable sites, e.g. monomorphic ones, come last
    with NaN results, as PLINK 2's NA).

    ``male`` (per sample) codes chrX as PLINK 2 does; by default it is taken
    from a ``sex=male`` covariate when there is one. Sites below ``min_maf``
    are left out of the ranking (NaN).
    """
    from vcfml.stats import association_scan, check_covariates, minor_allele_frequency

    if male is None and "sex=male" in dataset.covariates.columns:
        male = dataset.covariates["sex=male"].to_numpy() == 1
    # A regression has an intercept: one level of each text covariate is the baseline.
    levels = dataset.covariate_levels or {}
    baselines = [f"{name}={found[0]}" for name, found in levels.items() if found and len(found) > 2]
    design = check_covariates(dataset.covariates.drop(columns=baselines, errors="ignore"))
    table = association_scan(
        dataset.genotypes, dataset.variants, dataset.target, design, binary=True, male=male
    )
    if min_maf > 0:
        rare = minor_allele_frequency(table["a1_freq"].to_numpy()) < min_maf
        table.loc[rare, ["beta", "se", "stat", "pvalue"]] = np.nan
    table["score"] = -np.log10(table["pvalue"].clip(lower=1e-300))
    order = np.argsort(table["pvalue"].fillna(np.inf).to_numpy(), kind="stable")
    table["rank"] = 0
    table.iloc[order, table.columns.get_loc("rank")] = np.arange(1, len(order) + 1)
    return table


def recovery(
    importance: pd.DataFrame, truth: dict, association: pd.DataFrame | None = None
) -> dict:
    """How well a ranking found the truth: rank of each causal site and of sex,
    precision and recall at k (k = number of causal sites, and 10).

    When the truth lists each causal site's tags (sites in linkage
    disequilibrium with it, r² >= 0.8; coalescent cohorts do), the report also
    scores the ranking LD-aware: a top-k site *finds* a causal site when it is
    the site or one of its tags. On real genomes a model often ranks a tag above
    the causal variant itself, and the data cannot tell them apart; strict
    scoring calls that a miss, LD-aware scoring a hit.

    * ``precision_at_k``: share of the top k sites that are causal;
      ``ld_precision_at_k``: share that are causal or a tag of a causal site.
    * ``recall_at_k``: share of causal sites among the top k;
      ``ld_recall_at_k``: share of causal sites found by themselves or a tag.
    * ``causal_site_ld_ranks``: the rank of the first row that finds each site.
    """
    causal = {(str(site["chrom"]), str(site["pos"])) for site in truth["causal_sites"]}
    report = {"model": _recovery_of(importance, causal, truth)}
    if association is not None:
        scan = association.rename(columns={"score": "importance"}).copy()
        scan["feature"] = scan["id"]
        scan["pos"] = scan["pos"].astype(str)
        report["association_scan"] = _recovery_of(scan.sort_values("rank"), causal, truth)
    return report


def _finders(site: dict) -> set[tuple[str, str]]:
    """The causal site's own key and those of its tags."""
    keys = {(str(site["chrom"]), str(site["pos"]))}
    return keys | {(str(tag["chrom"]), str(tag["pos"])) for tag in site.get("tags", [])}


def _recovery_of(table: pd.DataFrame, causal: set[tuple[str, str]], truth: dict) -> dict:
    keys = list(zip(table["chrom"].astype(str), table["pos"].astype(str), strict=True))
    variant_rows = [i for i, (chrom, _) in enumerate(keys) if chrom]
    ranks = {}
    for site in truth["causal_sites"]:
        key = (str(site["chrom"]), str(site["pos"]))
        ranks[site["id"]] = int(keys.index(key)) + 1 if key in keys else None
    sex_rows = [i for i, name in enumerate(table["feature"]) if str(name).startswith("sex")]
    result = {
        "causal_site_ranks": ranks,
        "sex_rank": sex_rows[0] + 1 if sex_rows else None,
    }
    with_tags = any("tags" in site for site in truth["causal_sites"])
    finders = {site["id"]: _finders(site) for site in truth["causal_sites"]}
    if with_tags:
        result["causal_site_ld_ranks"] = {
            name: next((i + 1 for i in variant_rows if keys[i] in keys_of), None)
            for name, keys_of in finders.items()
        }
    any_finder = set().union(*finders.values()) if finders else set()
    for k in sorted({len(causal), 10}):
        top = {keys[i] for i in variant_rows[:k]}
        hits = len(top & causal)
        result[f"precision_at_{k}"] = round(hits / k, 4)
        result[f"recall_at_{k}"] = round(hits / len(causal), 4) if causal else None
        if with_tags:
            found = sum(bool(top & keys_of) for keys_of in finders.values())
            result[f"ld_precision_at_{k}"] = round(len(top & any_finder) / k, 4)
            result[f"ld_recall_at_{k}"] = round(found / len(finders), 4) if finders else None
    return result


def plot_manhattan(
    values: pd.DataFrame,
    contigs: dict[str, int | None],
    column: str = "importance",
    truth: dict | None = None,
    ax: Axes | None = None,
    title: str = "Genome-wide importance",
    ylabel: str | None = None,
) -> Axes:
    """Manhattan-style plot: one point per variant at its genome position.

    Contigs are laid end to end in header order, alternating colours; the true
    causal sites (from ``truth.json``) are marked with red triangles. A contig
    whose header line has no length (plink2's ``--export vcf`` writes none) is
    as long as its last plotted or causal position, or 1 without either.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(11, 3.5))
    positions = values[["chrom", "pos"]]
    if truth is not None:
        causal_positions = pd.DataFrame(truth["causal_sites"], columns=["chrom", "pos"])
        positions = pd.concat([positions, causal_positions])
    chrom = positions["chrom"].astype(str)
    last = pd.to_numeric(positions["pos"], errors="coerce").groupby(chrom).max()
    offsets, centers, position = {}, [], 0
    for name, length in contigs.items():
        offsets[name] = position
        known = last.get(str(name))
        span = length or (int(known) if pd.notna(known) else 1)
        centers.append((name, position + span / 2))
        position += span
    table = values[values["chrom"].astype(str) != ""].copy()
    table["x"] = table["chrom"].astype(str).map(offsets).astype(float) + table["pos"].astype(int)
    colours = {name: ("#1f4e79" if i % 2 == 0 else "#7fa7d1") for i, name in enumerate(contigs)}
    ax.scatter(table["x"], table[column], s=8, c=table["chrom"].map(colours), linewidths=0)
    if truth is not None:
        causal = pd.DataFrame(truth["causal_sites"])
        causal_keys = set(zip(causal["chrom"].astype(str), causal["pos"].astype(str), strict=True))
        keys = zip(table["chrom"].astype(str), table["pos"].astype(str), strict=True)
        marked = table[np.fromiter((key in causal_keys for key in keys), bool, len(table))]
        x = causal["chrom"].astype(str).map(offsets).astype(float) + causal["pos"].astype(int)
        ax.vlines(x, 0, 1, transform=ax.get_xaxis_transform(), colors="#c00000", alpha=0.25, lw=1)
        ax.scatter(
            marked["x"], marked[column], marker="^", s=60, c="#c00000", label="true causal site"
        )
        ax.legend(loc="upper right", frameon=False)
    ax.set_xticks([c for _, c in centers], [n.removeprefix("chr") for n, _ in centers], fontsize=7)
    ax.set_xlim(0, position)
    ax.set_xlabel("Genome position (chromosome)")
    ax.set_ylabel(ylabel or column)
    ax.set_title(title)
    return ax


def plot_importance(importance: pd.DataFrame, top: int = 20, ax: Axes | None = None) -> Axes:
    """Horizontal bars of the ``top`` most important features."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.3 * top + 1))
    shown = importance.head(top).iloc[::-1]
    ax.barh(shown["feature"].astype(str), shown["importance"], color="#1f4e79")
    ax.set_xlabel(importance.attrs.get("units") or "importance")
    ax.set_title(f"Top {min(top, len(importance))} features")
    return ax


def figure_of(ax: Axes) -> Figure:
    figure = ax.get_figure()
    figure.tight_layout()
    return figure
