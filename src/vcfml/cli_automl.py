"""``vcfml automl``, ``vcfml predict`` and ``vcfml explain``: the command-line
contract of the modelling layer (see :mod:`vcfml.automl.run_files`)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from vcfml.errors import MissingExtraError, VcfmlError, VcfmlInputError

IMPORTANCE_SHARE = 0.96  # importance gets the last 4% of the budget before MLflow's time
MIN_IMPORTANCE_SECONDS = 0.5  # less time than this left: importance is skipped
# What MLflow logging takes, measured on a busy 2-core machine: importing mlflow 3.9 s,
# creating a new SQLite store 6.1 s, then about 0.2 s per run logged.
MLFLOW_SECONDS = 4.0  # an existing store
MLFLOW_NEW_STORE_SECONDS = 10.0
MLFLOW_SKIP_SHARE = 0.5  # log when this share of that (upper) estimate is left


def add_commands(commands) -> None:
    automl = commands.add_parser("automl", help="train and tune models on a VCF cohort")
    automl.add_argument("--vcf", required=True, help="training VCF/BCF")
    automl.add_argument("--samples", required=True, help="samples table (TSV/CSV) with the target")
    automl.add_argument("--target", default="phenotype", help="column to predict")
    automl.add_argument(
        "--positive-label", help="of the two target labels, the cases' (e.g. sick of healthy/sick)"
    )
    automl.add_argument(
        "--covariates", help="comma-separated covariate columns (default: all others)"
    )
    automl.add_argument(
        "--budget",
        type=float,
        help="seconds for the whole command, reading the VCF included, except the "
        "baselines (see --no-baselines) (default: VCFML_AUTOML_BUDGET)",
    )
    automl.add_argument(
        "--test-size",
        type=float,
        default=0.2,
        help="share of samples held out for the test estimate (0: none)",
    )
    automl.add_argument("--max-trials", type=int, help="stop after this many trials")
    automl.add_argument(
        "--deterministic", action="store_true", help="exactly --max-trials trials, no clock"
    )
    automl.add_argument(
        "--metric", default="roc_auc", help="accuracy, roc_auc, balanced_accuracy, f1, log_loss"
    )
    automl.add_argument(
        "--folds", type=int, default=5, help="k of stratified k-fold cross-validation"
    )
    automl.add_argument("--validation-fraction", type=float, help="hold-out fraction instead of CV")
    automl.add_argument(
        "--estimators", help="comma-separated: logistic,lightgbm,random_forest,extra_trees"
    )
    automl.add_argument("--blocked", help="comma-separated estimators not to try")
    automl.add_argument("--n-sites", type=int, help="fix the number of screened sites")
    automl.add_argument("--max-sites", type=int, default=1000, help="most sites a model may use")
    automl.add_argument(
        "--min-maf", type=float, default=0.01, help="minimum minor-allele frequency"
    )
    automl.add_argument(
        "--screen",
        choices=("auto", "marginal", "pairs"),  # vcfml.automl.settings.SCREENS
        default="auto",
        help="how each fold ranks sites: one by one (marginal), with the partners of the "
        "strongest pairwise interactions moved up (pairs), or both, chosen per trial by the "
        "search (auto, the default)",
    )
    automl.add_argument(
        "--no-ensemble",
        action="store_true",
        help="refit the best single trial, never a vote of the best trials",
    )
    automl.add_argument(
        "--no-baselines",
        action="store_true",
        help="skip the genetics baselines (covariates only, clumping + thresholding, lasso), "
        "which otherwise run after the search, outside --budget",
    )
    automl.add_argument("--seed", type=int, default=0)
    automl.add_argument("--out", required=True, help="run directory to write")
    automl.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an existing run directory whole (default: refuse it)",
    )
    automl.add_argument("--backend", choices=["local", "azure"], default="local")
    automl.add_argument("--compute", default="cpu-cluster", help="Azure ML compute cluster (azure)")
    automl.add_argument(
        "--concurrent-trials",
        type=int,
        default=1,
        help="trials at once: Azure ML cluster nodes, or Ray workers locally (parallel extra)",
    )
    automl.add_argument(
        "--tracking-uri", help="MLflow store (default: mlflow.db beside the --out folder)"
    )
    automl.add_argument("--no-track", action="store_true", help="do not log to MLflow")
    automl.add_argument("--quiet", action="store_true", help="no progress output")
    automl.set_defaults(handler=run_automl_command)

    predict = commands.add_parser("predict", help="apply a trained run to another VCF")
    predict.add_argument("--run", required=True, help="run directory written by vcfml automl")
    predict.add_argument("--vcf", required=True)
    predict.add_argument("--samples", required=True, help="samples table with the covariates")
    predict.add_argument("--out", required=True, help="predictions TSV to write")
    predict.add_argument(
        "--missing",
        choices=["error", "impute"],
        default="error",
        help="model variants absent from the VCF: refuse when more than --max-missing-share "
        "of them are absent (fewer are filled with the training mean and counted), or fill "
        "any number with the training mean (impute)",
    )
    predict.add_argument(
        "--max-missing-share",
        type=float,
        help="share of the model's variants that may be absent with --missing error (default 0.1)",
    )
    predict.add_argument(
        "--metrics",
        help="JSON file for the alignment report and the scores (default: OUT's name + "
        ".metrics.json)",
    )
    predict.add_argument(
        "--trust",
        action="store_true",
        help="load a run saved by an older vcfml (model.joblib, a pickle: loading it runs any "
        "code it holds; only for runs you made or trust)",
    )
    predict.set_defaults(handler=run_predict_command)

    explain = commands.add_parser("explain", help="plots and recovery of the truth for a run")
    explain.add_argument("--run", required=True)
    explain.add_argument("--truth", help="truth.json of a simulated cohort")
    explain.add_argument("--out", required=True, help="folder for the plots and recovery.json")
    explain.add_argument(
        "--overwrite", action="store_true", help="replace an existing --out folder whole"
    )
    explain.set_defaults(handler=run_explain_command)


def _split(text: str | None) -> list[str] | None:
    return [item.strip() for item in text.split(",") if item.strip()] if text else None


def _load_dataset(vcf: str, samples: str, target: str, covariates=None, **options):
    import warnings

    from vcfml.features import join_samples
    from vcfml.io.vcf_reader import read_vcf

    genotypes = read_vcf(vcf)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        dataset = join_samples(genotypes, samples, target=target, covariates=covariates, **options)
    for warning in caught:  # one line each, as errors are
        print(f"vcfml: warning: {warning.message}", file=sys.stderr)
    return dataset


def run_automl_command(args: argparse.Namespace) -> None:
    # The budget counts from the start of the command (cli.main) or of this call:
    # imports and reading the VCF count.
    started = getattr(args, "started", None) or time.perf_counter()
    from vcfml.automl import AutoMLSettings, run_automl
    from vcfml.automl.run_files import check_run_dir, save_run
    from vcfml.explain import BudgetSpent, run_importance
    from vcfml.io.paths import validate_output_path

    # Before any work: a file, a folder that is no run, or an existing run without
    # --overwrite as --out (check_run_dir), and a parent that is a file.
    if args.backend != "azure":
        check_run_dir(args.out, args.overwrite)
    validate_output_path(args.out, overwrite=True)
    if args.budget is not None and args.budget <= 0:
        raise VcfmlError(f"--budget must be a positive number of seconds, got {args.budget}")
    settings = AutoMLSettings(
        metric=args.metric,
        test_size=args.test_size,
        budget=args.budget,
        max_trials=args.max_trials,
        deterministic=args.deterministic,
        folds=None if args.validation_fraction else args.folds,
        validation_fraction=args.validation_fraction,
        estimators=_split(args.estimators),
        blocked=_split(args.blocked) or (),
        n_sites=args.n_sites,
        max_sites=args.max_sites,
        min_maf=args.min_maf,
        screen=args.screen,
        seed=args.seed,
        ensemble=not args.no_ensemble,
        verbose=0 if args.quiet else 1,
        concurrent_trials=args.concurrent_trials,
    ).resolved()  # check the settings before reading any data
    dataset = _load_dataset(
        args.vcf, args.samples, args.target, _split(args.covariates),
        positive_label=args.positive_label,
    )  # fmt: skip
    out = Path(args.out)
    if args.backend == "azure":
        from vcfml.automl.azure import submit, write_job

        job = write_job(dataset, settings, out / "azure", compute=args.compute)
        print(f"wrote the Azure ML job specification {job} and its MLTable")
        summary = submit(job, out / "azure" / "outputs")
        print(f"Azure ML job {summary['job']} finished: {summary['studio_url']}")
        return
    # The end of the budget is kept for importance (a share) and MLflow (its cost).
    mlflow_seconds = 0.0 if args.no_track else _mlflow_seconds(args.tracking_uri, out)
    budget = settings.budget or 0.0
    importance_end = started + budget - mlflow_seconds
    result = run_automl(
        dataset,
        settings,
        started=started,
        reserved_seconds=mlflow_seconds + (1 - IMPORTANCE_SHARE) * budget,
    )
    notes = []
    importance = None
    if settings.budget is not None and importance_end - time.perf_counter() < (
        MIN_IMPORTANCE_SECONDS
    ):
        notes.append("skipped the importance: no budget left (importance.tsv is empty)")
    else:
        deadline = None if settings.budget is None else importance_end
        try:
            importance = run_importance(result, dataset, deadline=deadline)
        except BudgetSpent as spent:
            notes.append(f"skipped the importance: {spent} (importance.tsv is empty)")
    report = _baselines(args, dataset, result)
    inputs = {
        "vcf": str(Path(args.vcf).resolve()),
        "samples": str(Path(args.samples).resolve()),
        "target": args.target,
        "positive_label": args.positive_label,
    }
    track = not args.no_track
    outside = report.seconds  # the baselines' time is not the budget's
    if track and result.seconds_left() + outside < MLFLOW_SKIP_SHARE * mlflow_seconds:
        track = False
        notes.append(
            f"skipped MLflow logging: {max(0.0, result.seconds_left()):.1f}s of the budget left "
            f"(it takes about {mlflow_seconds:.0f}s); give a larger --budget"
        )
    held_out = set(result.test_samples) if not result.refit_on_all else set()
    model_samples = [sample for sample in dataset.samples if sample not in held_out]
    save_run(
        result,
        out,
        importance,
        inputs,
        notes,
        overwrite=args.overwrite,
        model_samples=model_samples,
        baselines=report,
    )
    _print_scores(result)
    _print_baselines(report)
    print(
        f"chosen: {result.model.estimator_name} on {len(result.model.variants)} sites "
        f"({len(result.leaderboard)} trials, {time.perf_counter() - started:.1f}s); wrote {out}/"
    )
    for note in [*result.notes, *notes]:
        print(f"note: {note}")
    if importance is not None and importance.attrs.get("model"):
        print(f"importance.tsv describes {importance.attrs['model']}")
    if track:
        from vcfml.automl.tracking import default_store, track_run

        chosen = args.tracking_uri or os.environ.get("MLFLOW_TRACKING_URI")
        deadline = None if settings.budget is None else started + settings.budget + outside
        try:
            _, logged = track_run(result, out, tracking_uri=args.tracking_uri, deadline=deadline)
        except MissingExtraError as error:  # the run itself is written and fine
            print(f"vcfml: not logged to MLflow: {error}", file=sys.stderr)
            return
        if logged < len(result.leaderboard):
            print(f"note: the budget ended after logging {logged} of the trials to MLflow")
        if chosen:
            print("logged to MLflow")
        else:
            store = os.path.relpath(default_store(out))
            print(f"logged to MLflow: mlflow ui --backend-store-uri sqlite:///{store}")


def _baselines(args, dataset, result):
    """The baselines on the run's test samples (none with ``--no-baselines``), and
    every model's test estimate per population when the samples table has one."""
    from vcfml.automl.baselines import BASELINES, baseline_report
    from vcfml.automl.by_population import population_column

    populations = population_column(args.samples, dataset.samples)
    return baseline_report(
        dataset, result, populations, names=() if args.no_baselines else BASELINES
    )


def _print_baselines(report) -> None:
    from vcfml.automl.by_population import format_groups

    metric = report.metric
    for baseline in report.results:
        if baseline.test_metrics is not None:
            test = baseline.test_metrics[metric]
            low, high = test["ci95"]
            print(
                f"baseline {baseline.name} ({baseline.n_sites} sites): test {metric} "
                f"{test['mean']:.4f} (95% CI {low:.4f} to {high:.4f})"
            )
    line = report.summary_line()
    if line:
        print(line)
    if report.results:
        print(f"the baselines took {report.seconds:.1f}s after the search (outside --budget)")
    for text in format_groups(report.by_population or {}, metric):
        print(f"test by population: {text}")


def _predict_by_population(samples, dataset, probability, metrics: dict) -> None:
    """Scores per population (``scores_by_population``) when the table has one."""
    from vcfml.automl.by_population import format_groups, population_column, scores_by_group

    populations = population_column(samples, dataset.samples)
    if populations is None:
        return
    table = scores_by_group(dataset.target, {"model": probability}, populations, "roc_auc")
    metrics["scores_by_population"] = table
    for text in format_groups(table, "roc_auc"):
        print(f"by population: {text}")


def _mlflow_seconds(tracking_uri: str | None, out: Path) -> float:
    """About how long logging to MLflow takes: longer when a SQLite store is new."""
    from vcfml.automl.tracking import default_store

    uri = tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{default_store(out)}"
    if uri.startswith("sqlite:///") and not Path(uri.removeprefix("sqlite:///")).exists():
        return MLFLOW_NEW_STORE_SECONDS
    return MLFLOW_SECONDS


def _print_scores(result) -> None:
    """The search score, saying what it is (which model, which folds) and that it
    is optimistic, then the test estimate to quote."""
    print(result.search_score_line())
    if result.test_metrics is None:
        print("no test estimate (--test-size 0): the search score above is optimistic")
        return
    metric = result.settings.metric
    test = result.test_metrics[metric]
    low, high = test["ci95"]
    print(
        f"test estimate on {test['n_samples']} held-out samples (the number to quote): "
        f"{metric} {test['mean']:.4f} (95% CI {low:.4f} to {high:.4f})"
    )


def run_predict_command(args: argparse.Namespace) -> None:
    from dataclasses import replace

    import pandas as pd

    from vcfml.automl.alignment import DEFAULT_MAX_MISSING_SHARE, align_variants
    from vcfml.evaluate import evaluate_predictions
    from vcfml.io.atomic import atomic_path, check_writable, write_text_atomically

    out = check_writable(args.out)  # before any work, not after it
    metrics_path = check_writable(args.metrics or out.with_name(out.stem + ".metrics.json"))
    share = DEFAULT_MAX_MISSING_SHARE if args.max_missing_share is None else args.max_missing_share
    if not 0 <= share <= 1:
        raise VcfmlError(f"--max-missing-share must be between 0 and 1, got {share}")
    model, run = _load_run(args.run, trust=args.trust)
    dataset = _load_dataset(
        args.vcf,
        args.samples,
        model.target_name,
        covariate_levels=model.covariate_levels,
        require_target=False,
    )
    calls, report = align_variants(
        model.variants, dataset, missing=args.missing, max_missing_share=share
    )
    print(f"alignment: {report.summary()}")
    # The aligned calls are the model's own variants, in its order, swaps flipped.
    aligned = replace(dataset, genotypes=calls, variants=model.variants.reset_index(drop=True))
    probability = model.predict_proba(aligned, missing="impute")[:, 1]
    predictions = pd.DataFrame(
        {
            "sample_id": dataset.samples,
            "probability": probability.round(6),
            "prediction": [model.classes_[int(p >= 0.5)] for p in probability],
        }
    )
    metrics: dict = {"alignment": report.to_dict()}
    trained_on = _training_samples(run, dataset.samples)
    if trained_on:
        metrics["training_samples"] = len(trained_on)
        print(
            f"vcfml: warning: {len(trained_on)} of the {len(dataset.samples)} samples were used "
            "to fit the model (run.json's model_samples), so scores on them are optimistic; "
            "the run's test estimate is in its metrics.json",
            file=sys.stderr,
        )
    if dataset.target.size:
        scores = evaluate_predictions(dataset.target, probability)
        metrics["scores"] = {
            k: round(v, 4) if isinstance(v, float) else v for k, v in scores.items()
        }
        print(json.dumps(metrics["scores"], indent=2))
        _predict_by_population(args.samples, dataset, probability, metrics)
    with atomic_path(out) as temporary:
        predictions.to_csv(temporary, sep="\t", index=False)
    write_text_atomically(metrics_path, json.dumps(metrics, indent=2, default=str) + "\n")
    print(f"wrote {len(predictions)} predictions to {out} and the report to {metrics_path}")


def run_explain_command(args: argparse.Namespace) -> None:
    import matplotlib

    matplotlib.use("Agg")

    from vcfml.automl.run_files import read_run
    from vcfml.io.paths import folder_written_whole, validate_output_path

    run = read_run(args.run)  # explain reads files only: the model is not loaded
    _check_model_folder(Path(args.run) / "model")
    importance = _read_importance(Path(args.run) / "importance.tsv")
    importance.attrs["method"] = run.get("importance_method")
    truth = _read_truth(Path(args.truth)) if args.truth else None
    # Checked before the scan; written whole at the end (a temporary sibling
    # folder renamed into place), as every folder vcfml writes.
    out = validate_output_path(args.out, overwrite=args.overwrite)
    with folder_written_whole(out, "replace" if args.overwrite else "fail") as folder:
        written = _write_explain(args, run, importance, truth, folder)
    print(f"wrote {', '.join(written)} to {out}/")


def _write_explain(args: argparse.Namespace, run: dict, importance, truth, out: Path) -> list[str]:
    """The plots and recovery.json of ``vcfml explain``, into the folder ``out``."""
    import numpy as np
    import pandas as pd

    from vcfml.explain import (
        association_table,
        figure_of,
        plot_importance,
        plot_manhattan,
        recovery,
    )
    from vcfml.io.atomic import write_text_atomically

    inputs = run.get("inputs", {})
    association = None
    if inputs.get("vcf") and Path(inputs["vcf"]).exists():
        from vcfml.features import join_samples
        from vcfml.io.vcf_reader import read_vcf

        genotypes = read_vcf(inputs["vcf"])  # once: the scan and the plot's contigs
        dataset = join_samples(
            genotypes, inputs["samples"], target=inputs["target"],
            positive_label=inputs.get("positive_label"),
        )  # fmt: skip
        association = association_table(dataset)
        association["-log10 p"] = -np.log10(
            pd.Series(association["pvalue"], dtype=float).clip(lower=1e-300)
        )
        ax = plot_manhattan(
            association, genotypes.contigs, "-log10 p", truth, title="Per-site association scan"
        )
        figure_of(ax).savefig(out / "manhattan_association.png", dpi=120)
        contigs = genotypes.contigs
    else:
        contigs = {chrom: None for chrom in importance["chrom"] if chrom}
    variants = importance[importance["chrom"] != ""]
    ax = plot_manhattan(
        variants, contigs, "importance", truth, title="Model importance along the genome"
    )
    figure_of(ax).savefig(out / "manhattan_importance.png", dpi=120)
    figure_of(plot_importance(importance)).savefig(out / "importance.png", dpi=120)
    written = ["manhattan_importance.png", "importance.png"]
    if association is not None:
        written.append("manhattan_association.png")
    described = run.get("importance_model")
    if described:
        print(f"importance describes {described}")
    if truth is not None:
        report = recovery(importance, truth, association)
        report["importance_model"] = described
        report["saved_model_has"] = _saved_model_sites(Path(args.run) / "model", truth)
        write_text_atomically(out / "recovery.json", json.dumps(report, indent=2) + "\n")
        written.append("recovery.json")
        ranks = report["model"]
        print(f"causal site ranks: {ranks['causal_site_ranks']}; sex rank: {ranks['sex_rank']}")
        if "causal_site_ld_ranks" in ranks:
            k = len(truth["causal_sites"])
            print(
                f"recall at {k}: strict {ranks[f'recall_at_{k}']}, "
                f"LD-aware (a tag with r² >= 0.8 counts) {ranks[f'ld_recall_at_{k}']}; "
                f"precision at {k}: strict {ranks[f'precision_at_{k}']}, "
                f"LD-aware {ranks[f'ld_precision_at_{k}']}"
            )
    return written


def _load_run(run_dir: str, trust: bool = False):
    """The run's model and run.json; the loader's warnings (other package
    versions, a trusted pickle) one line each on stderr."""
    import warnings

    from vcfml.automl.run_files import load_run

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        loaded = load_run(run_dir, trust=trust)
    for warning in caught:
        print(f"vcfml: warning: {warning.message}", file=sys.stderr)
    return loaded


def _training_samples(run: dict, samples) -> list[str]:
    """The given samples that the saved model was fitted on (run.json's
    ``model_samples``)."""
    trained = set(run.get("model_samples") or [])
    return [sample for sample in samples if sample in trained]


def _saved_model_sites(folder: Path, truth: dict) -> dict[str, bool]:
    """Which causal sites (by ID) are among the saved model's features, from its
    model.json (nothing is unpickled)."""
    from vcfml.automl.model import SUMMARY_FILE
    from vcfml.automl.run_files import read_json

    features = set(read_json(folder / SUMMARY_FILE).get("features", []))
    return {str(site["id"]): str(site["id"]) in features for site in truth["causal_sites"]}


def _check_model_folder(folder: Path) -> None:
    """A run folder's model files are there (explain does not load them)."""
    from vcfml.automl.model import LEGACY_MODEL_FILE, MODEL_FILE, SUMMARY_FILE

    if not (folder / SUMMARY_FILE).exists() or not (
        (folder / MODEL_FILE).exists() or (folder / LEGACY_MODEL_FILE).exists()
    ):
        raise VcfmlInputError(
            folder, "the model files are missing: the run directory is incomplete"
        )


def _read_importance(path: Path):
    import pandas as pd

    from vcfml.explain import IMPORTANCE_COLUMNS

    if not path.exists():
        raise VcfmlInputError(
            path, "file not found: the run directory is incomplete; run `vcfml automl` again"
        )
    try:
        table = pd.read_csv(path, sep="\t", dtype={"chrom": str, "pos": str}, keep_default_na=False)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise VcfmlInputError(path, f"cannot parse the table: {error}") from error
    absent = [column for column in IMPORTANCE_COLUMNS if column not in table.columns]
    if absent:
        raise VcfmlInputError(path, f"missing columns: {', '.join(absent)}", line=1)
    return table


def _read_truth(path: Path) -> dict:
    """truth.json of a simulated cohort: an object with a list of causal sites."""
    from vcfml.automl.run_files import read_json

    truth = read_json(path)
    sites = truth.get("causal_sites")
    if not isinstance(sites, list):
        raise VcfmlInputError(path, "no 'causal_sites' list: is this a vcfml truth.json?")
    for number, site in enumerate(sites, start=1):
        absent = [
            key for key in ("chrom", "pos", "id") if not isinstance(site, dict) or key not in site
        ]
        if absent:
            raise VcfmlInputError(
                path, f"causal site {number} lacks {', '.join(absent)}", where="causal_sites"
            )
    return truth


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use the vcfml command")
