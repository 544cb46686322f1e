"""Benchmark: does the pairs screen find the epistatic cohort's interactions, and
how many people does it take?

No AutoML: for the epistatic cohort of ``baselines.py`` (the same model and
seeds) at several sample sizes, the screens are fitted on the search samples
(the 80% ``run_automl`` keeps; a fold sees 80% of those) and compared with the
truth (truth.json's pairs):

* where the one-site screen ranks each site of each true pair, and whether the
  pairs screen (:mod:`vcfml.automl.interactions`: ``--anchors``, 30 as in
  vcfml, against every site, 10 pairs kept) keeps the pair;
* the alternative of testing every pair among the top ``--top`` one-site sites
  (fewer tests than 30 x 10,000 when ``--top`` is 200): the pair's rank among
  those, or none in the first 50;
* held-out test AUC of a penalized (L2, ``LogisticRegressionCV``) logistic
  regression on the top ``k`` one-site sites and sex, alone or with the
  products of the standardized dosages of the pairs each screen keeps (the
  anchor screen's 10; the top-``--top`` screen's 5, 10 or 20): a linear
  learner with interaction features, against the same learner without them;
  and the oracle, the same learner on the 10 causal sites and the 5 true
  products. Standardization, screens and fits use the search samples only.

Usage: python benchmarks/pair_screen.py [--sizes 1000 2000 4000] [--seeds 0 1 2]
       [--top 200] [--anchors 30] [--record] [--json PATH | --from-json PATH]
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from baselines import COHORTS, LIABILITY
from common import add_output_options, load_change, machine_state, publish, recorded_run
from sklearn.linear_model import LogisticRegressionCV
from sklearn.metrics import roc_auc_score

from vcfml.automl import AutoMLSettings
from vcfml.automl.interactions import N_ANCHORS, _standardized, interaction_scores
from vcfml.automl.screening import GenotypeScreen
from vcfml.automl.splits import holdout_split
from vcfml.simulate import bayes, simulate_liability

SITES = (10, 30, 100)  # k: top one-site sites given to the linear learner


def one_cohort(
    n_samples: int, seed: int, top: int, anchors: int = N_ANCHORS
) -> tuple[list[dict], dict]:
    model = {**LIABILITY, **COHORTS["epistatic"], "n_samples": n_samples}
    cohort = simulate_liability(**model, seed=100 + seed)
    genotypes = np.ascontiguousarray(cohort.genotypes)
    y = cohort.samples["phenotype"].to_numpy()
    sex = (cohort.samples["sex"].to_numpy() == "male").astype(float)[:, None]
    index = {site: i for i, site in enumerate(cohort.variants["id"])}
    causal = [index[site["id"]] for site in cohort.truth["causal_sites"]]
    pairs = [tuple(index[s] for s in pair["sites"]) for pair in cohort.truth["interactions"]]
    search, test = holdout_split(y, AutoMLSettings(seed=seed).resolved())
    screen = GenotypeScreen(n_sites=1000, min_maf=0.01, pairs=10, anchors=anchors)
    screen.fit(genotypes[search], y[search], sex[search])
    order, means = screen.marginal_ranking_, screen.means_
    rank = np.empty(genotypes.shape[1], dtype=int)
    rank[order] = np.arange(len(order))
    kept = {frozenset(pair[:2]) for pair in screen.pairs_}
    # every pair among the top one-site sites
    best = order[:top]
    statistics = interaction_scores(genotypes[search], y[search], means, best, sex[search])
    statistics = np.maximum(statistics[:, best], statistics[:, best].T)
    upper = np.triu_indices(top, 1)
    strongest = np.argsort(-statistics[upper], kind="stable")[:50]
    top_pairs = [(int(best[upper[0][i]]), int(best[upper[1][i]])) for i in strongest]
    position = {frozenset(pair): r for r, pair in enumerate(top_pairs)}
    found = [
        {
            "people": n_samples,
            "seed": seed,
            "effect": round(pair["effect"], 3),
            "one-site rank a": int(rank[a]),
            "one-site rank b": int(rank[b]),
            "anchor screen keeps it": frozenset((a, b)) in kept,
            f"rank among top-{top} pairs": position.get(frozenset((a, b)), "> 50"),
        }
        for (a, b), pair in zip(pairs, cohort.truth["interactions"], strict=True)
    ]

    def features(rows: np.ndarray, sites: np.ndarray, products) -> np.ndarray:
        columns = [_standardized(genotypes[np.ix_(rows, sites)], means[sites]), sex[rows]]
        if products:
            a, b = (np.array([pair[i] for pair in products]) for i in (0, 1))
            left = _standardized(genotypes[np.ix_(rows, a)], means[a])
            columns.append(left * _standardized(genotypes[np.ix_(rows, b)], means[b]))
        return np.column_stack(columns)

    def test_auc(sites: np.ndarray, products) -> float:
        fitted = LogisticRegressionCV(Cs=8, cv=5, scoring="roc_auc", max_iter=2000).fit(
            features(search, sites, products), y[search]
        )
        return roc_auc_score(y[test], fitted.predict_proba(features(test, sites, products))[:, 1])

    aucs = {"people": n_samples, "seed": seed}
    aucs["Bayes"] = bayes.expected_auc(np.asarray(cohort.case_probability)[test])
    choices = {
        "none": [], "anchor 10": [pair[:2] for pair in screen.pairs_],
        f"top-{top} 5": top_pairs[:5], f"top-{top} 10": top_pairs[:10],
        f"top-{top} 20": top_pairs[:20],
    }  # fmt: skip
    for k in SITES:
        for label, products in choices.items():
            aucs[f"k={k}, products: {label}"] = test_auc(order[:k], products)
    aucs["oracle"] = test_auc(np.asarray(causal), pairs)
    return found, aucs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000, 4000])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--top", type=int, default=200)
    parser.add_argument("--anchors", type=int, default=N_ANCHORS)
    parser.add_argument(
        "--from-json", type=Path,
        help="tabulate (and with --record, record) a --json run made with the same "
        "--seeds, --top and --anchors",
    )  # fmt: skip
    add_output_options(parser, "append the tables to benchmarks/RESULTS.md")
    args = parser.parse_args()
    if args.from_json:
        document, load = recorded_run(args.from_json)
        args.json = None
        report(args, document["found"], document["aucs"], document["machine"], load)
        return
    before = machine_state()
    found, aucs = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for n_samples in args.sizes:
            for seed in args.seeds:
                pairs, scores = one_cohort(n_samples, seed, args.top, args.anchors)
                found += pairs
                aucs.append(scores)
                print(f"{n_samples} people, seed {seed}: done", flush=True)
    after = machine_state()
    report(args, found, aucs, after, load_change(before, after))


def report(args, found: list[dict], aucs: list[dict], machine: dict, load: str) -> None:
    """Print the tables; with ``--record``/``--json`` write them (common.publish):
    the JSON is ``pair_screen.json`` with vcfml's number of anchors (the book reads
    it), ``pair_screen_<n>_anchors.json`` with another."""
    pairs_table = pd.DataFrame(found).to_markdown(index=False)
    frame = pd.DataFrame(aucs)
    kept = pd.DataFrame(found).groupby("people")["anchor screen keeps it"].agg(["sum", "size"])
    kept_table = kept.rename(columns={"sum": "true pairs kept", "size": "true pairs"})
    means = frame.drop(columns="seed").groupby("people").mean().T.round(3)
    gain = frame["k=10, products: anchor 10"] - frame["k=10, products: none"]
    gains = gain.groupby(frame["people"]).agg(["mean", "std", "min", "max"]).round(3)
    text = (
        f"Each true pair (effect: the liability per standardized product):\n\n{pairs_table}\n\n"
        f"True pairs the anchor screen keeps:\n\n{kept_table.to_markdown()}\n\n"
        f"Held-out test AUC, mean over seeds:\n\n{means.to_markdown()}\n\n"
        "k=10 with the anchor screen's products minus k=10 without, over seeds:\n\n"
        f"{gains.to_markdown()}"
    )
    print(text)
    details = (
        f", epistatic cohort, seeds {' '.join(map(str, args.seeds))}, top {args.top}, "
        f"{args.anchors} anchors; {load}"
    )
    name = "pair_screen" if args.anchors == N_ANCHORS else f"pair_screen_{args.anchors}_anchors"
    publish(
        args, "pair_screen.py", text, details, name,
        {"machine": machine, "load": load, "anchors": args.anchors, "found": found,
         "aucs": aucs},
    )  # fmt: skip


if __name__ == "__main__":
    main()
