"""The ``vcfml`` command line.

Sub-commands mirror the library: ``simulate`` writes a cohort, ``inspect``
summarizes a VCF, ``to-zarr`` converts one to VCF Zarr, ``check-env`` checks
the machine for the course. Argument parsing uses the standard library's
argparse (no extra dependency, and ``--help`` comes for free). Errors in the
user's input are printed as one line, ``vcfml: error: ...``, with exit status 1; no
traceback.
"""

from __future__ import annotations

import argparse
import gc
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from vcfml import __version__
from vcfml.errors import VcfmlError
from vcfml.interrupts import catch_interrupts

# Options shared by both simulation models, then those of each model. Each maps
# an option to (parameter name, type, help).
COMMON_OPTIONS = {
    "--samples": ("n_samples", int, "number of samples"),
    "--sites": ("n_sites", int, "number of variant sites"),
    "--causal": (
        "n_causal",
        lambda text: _causal(text),
        "number of causal sites (coalescent: hundreds make a polygenic trait); with "
        "--genotypes also their IDs, comma-separated, or @FILE with one ID a line",
    ),
}
CLASSIC_OPTIONS = {
    "--cases": ("n_cases", int, "number of cases (classic)"),
}
LIABILITY_OPTIONS = {
    "--h2": ("h2", float, "liability-scale heritability (liability)"),
    "--prevalence": ("prevalence", float, "fraction of cases (liability)"),
    "--sex-effect": ("sex_effect", float, "liability shift of males, in SD (liability)"),
    "--mode": (
        "mode",
        str,
        "additive, dominant or recessive; or where additivity fails: dominance "
        "(additive + dominance deviations) or epistatic (additive + pairwise "
        "interactions of the causal sites) (liability)",
    ),
    "--nonadditive-share": (
        "nonadditive_share",
        float,
        "share of the genetic variance that is not additive in the dominance and "
        "epistatic modes (liability; default 0.5)",
    ),
    "--min-maf": ("min_maf", float, "minimum minor-allele frequency (liability)"),
    "--missing-rate": ("missing_rate", float, "fraction of missing calls (liability)"),
    "--fst": ("fst", float, "divergence of subpopulations (liability)"),
    "--sample-seed": (
        "sample_seed",
        int,
        "draw new people from the model of --seed, e.g. a test cohort (liability)",
    ),
    "--draw-order": (
        "draw_order",
        str,
        "row-major (default) or by-block: another random stream, several times "
        "faster, for cohorts of 10^9 calls and more (liability)",
    ),
}

COALESCENT_OPTIONS = {
    "--test-samples": (
        "n_test_samples",
        int,
        "also simulate this many people into OUT/test/: same sites and effects (coalescent)",
    ),
    "--species": ("species", str, "stdpopsim species (coalescent; default HomSap)"),
    "--demography": (
        "demography",
        str,
        "stdpopsim demographic model (coalescent; default OutOfAfrica_3G09)",
    ),
    "--genetic-map": (
        "genetic_map",
        str,
        "stdpopsim genetic map, only if already cached: vcfml never downloads (coalescent)",
    ),
    "--alpha": (
        "alpha",
        float,
        "effect variance ~ [2p(1-p)]^alpha; -1: rarer sites have larger effects (coalescent)",
    ),
    "--causal-min-maf": (
        "causal_min_maf",
        float,
        "minimum minor-allele frequency of causal sites (coalescent)",
    ),
}
PHENOTYPE = {"h2", "prevalence", "sex_effect"}  # liability options the coalescent shares

MODEL_OPTIONS = {
    "classic": CLASSIC_OPTIONS,
    "liability": LIABILITY_OPTIONS,
    "coalescent": {
        **{k: v for k, v in LIABILITY_OPTIONS.items() if v[0] in PHENOTYPE},
        **COALESCENT_OPTIONS,
    },
}
LIABILITY_FLAGS = {
    "population_prevalences": "--population-prevalences",
    "include_chrx": "--no-chrx",
    "populations": "--populations",
}
COALESCENT_FLAGS = {
    "include_chrx": "--no-chrx",
    "populations": "--populations",
    "regions": "--region",
    "population_effects": "--population-effects",
}
SIMULATION_DESTS = (
    {
        dest
        for options in (COMMON_OPTIONS, CLASSIC_OPTIONS, LIABILITY_OPTIONS, COALESCENT_OPTIONS)
        for dest, _, _ in options.values()
    }
    | set(LIABILITY_FLAGS)
    | set(COALESCENT_FLAGS)
)


def _option_name(dest: str) -> str:
    for options in (COMMON_OPTIONS, CLASSIC_OPTIONS, LIABILITY_OPTIONS, COALESCENT_OPTIONS):
        for option, (name, _, _) in options.items():
            if name == dest:
                return option
    return {**LIABILITY_FLAGS, **COALESCENT_FLAGS}[dest]


def _causal(text: str) -> int | list[str]:
    """``10`` -> 10; ``rs1,rs2`` -> ["rs1", "rs2"]; ``@ids.txt`` -> the file's IDs."""
    if text.strip().isdigit():
        return int(text)
    if text.startswith("@"):
        try:
            lines = Path(text[1:]).read_text().split()
        except OSError as error:
            raise argparse.ArgumentTypeError(f"cannot read {text[1:]}: {error}") from None
        return [line for line in lines if line]
    return [name.strip() for name in text.split(",") if name.strip()]


def _population_effects(text: str) -> dict[str, float]:
    """``CEU:0.3,YRI:0`` -> {"CEU": 0.3, "YRI": 0.0} (liability shift per population)."""
    effects = {}
    for part in text.split(","):
        name, _, value = part.partition(":")
        try:
            effects[name.strip()] = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected NAME:SHIFT[,NAME:SHIFT...], e.g. CEU:0.3; got {text!r}"
            ) from None
    return effects


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vcfml", description="Machine learning on genomic variant (VCF) data."
    )
    parser.add_argument("--version", action="version", version=f"vcfml {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    simulate = commands.add_parser(
        "simulate",
        help="simulate a cohort with a known answer as VCF + samples + truth, "
        "or (--genotypes) a phenotype on an existing VCF",
    )
    simulate.add_argument(
        "--model",
        choices=["classic", "liability", "coalescent"],
        default=None,
        help="the simulator (default liability); not with --genotypes",
    )
    simulate.add_argument(
        "--genotypes",
        help="simulate only a phenotype, on this VCF's genotypes (GCTA --simu-cc/--simu-qt "
        "style): writes OUT/samples.tsv and OUT/truth.json; options --causal (default 10), "
        "--h2 (0.5), --prevalence (0.2) or --quantitative, --sex-effect, "
        "--population-effects, --min-maf (of random causal sites, 0.01)",
    )
    simulate.add_argument(
        "--samples-table",
        help="with --genotypes: a samples table whose sex and population columns are used",
    )
    simulate.add_argument(
        "--population-column",
        default="population",
        help="with --genotypes: the samples table's population column (default population)",
    )
    simulate.add_argument(
        "--quantitative",
        action="store_true",
        help="with --genotypes: a quantitative trait (the liability) instead of cases",
    )
    simulate.add_argument("--out", required=True, help="output directory (must not exist)")
    simulate.add_argument(
        "--overwrite", action="store_true", help="replace an existing --out folder whole"
    )
    simulate.add_argument("--seed", type=int, default=0)
    for option, (dest, kind, text) in {
        **COMMON_OPTIONS,
        **CLASSIC_OPTIONS,
        **LIABILITY_OPTIONS,
        **COALESCENT_OPTIONS,
    }.items():
        simulate.add_argument(option, dest=dest, type=kind, help=text, default=None)
    simulate.add_argument(
        "--populations",
        dest="populations",
        default=None,
        help="liability: number of subpopulations; coalescent: NAME:SIZE,... of the "
        "demographic model, e.g. YRI:500,CEU:500 (sizes scaled to --samples if given)",
    )
    simulate.add_argument(
        "--region",
        dest="regions",
        action="append",
        default=None,
        help="CHROM:START-END (1-based), repeatable (coalescent; default chr22:20000001-22000000)",
    )
    simulate.add_argument(
        "--population-effects",
        dest="population_effects",
        type=_population_effects,
        default=None,
        help="liability shift per population, e.g. CEU:0.3 (coalescent; with --genotypes: "
        "values of --population-column)",
    )
    simulate.add_argument(
        "--population-prevalences",
        dest="population_prevalences",
        type=lambda text: [float(value) for value in text.split(",")],
        default=None,
        help="comma-separated prevalence per subpopulation (liability)",
    )
    simulate.add_argument(
        "--no-chrx",
        dest="include_chrx",
        action="store_false",
        default=None,
        help="autosomes only (liability, coalescent)",
    )
    simulate.set_defaults(handler=run_simulate)

    inspect = commands.add_parser("inspect", help="summarize a VCF/BCF file")
    inspect.add_argument("file", help="VCF or BCF file (plain, gzip or bgzip)")
    inspect.add_argument("--region", help="only this region, e.g. chr1:1-1000000 (needs an index)")
    inspect.set_defaults(handler=run_inspect)

    to_zarr = commands.add_parser(
        "to-zarr", help="convert a bgzipped, indexed VCF to VCF Zarr (chapter 6)"
    )
    to_zarr.add_argument("file", help="VCF (bgzip + tabix/CSI index)")
    to_zarr.add_argument("--out", required=True, help="the Zarr store to create (e.g. cohort.vcz)")
    to_zarr.add_argument("--workers", type=int, default=2, help="worker processes (0: this one)")
    to_zarr.add_argument("--chunk", type=int, default=10_000, help="sites per chunk")
    to_zarr.set_defaults(handler=run_to_zarr)

    check_env = commands.add_parser(
        "check-env", help="check Python, packages, data, memory, cores (and Azure if configured)"
    )
    check_env.add_argument("--data", default="data", help="data folder with SHA256SUMS")
    check_env.add_argument("--constraints", help="pinned versions to compare with")
    check_env.add_argument("--azure-config", help="workspace config.json (default: search)")
    check_env.set_defaults(handler=run_check_env)

    from vcfml import cli_automl, cli_qc, cli_stats

    cli_automl.add_commands(commands)
    cli_stats.add_commands(commands)
    cli_qc.add_commands(commands)
    return parser


def run_simulate(args: argparse.Namespace) -> None:
    from vcfml.io.paths import validate_output_path
    from vcfml.simulate import simulate

    validate_output_path(args.out, overwrite=args.overwrite)  # before minutes of work
    if args.genotypes is not None:
        run_simulate_on_genotypes(args)
        return
    extra = [
        name
        for name, given in [
            ("--samples-table", args.samples_table),
            ("--quantitative", args.quantitative),
            ("--population-column", args.population_column != "population"),
        ]
        if given
    ]
    if extra:
        raise VcfmlError(f"{', '.join(extra)} only apply with --genotypes")
    args.model = args.model or "liability"
    if isinstance(args.n_causal, list):
        raise VcfmlError(f"--causal of the {args.model} model is a number, not a list of sites")

    model_options = {**COMMON_OPTIONS, **MODEL_OPTIONS[args.model]}
    allowed = {dest for dest, _, _ in model_options.values()}
    if args.model == "liability":
        allowed |= set(LIABILITY_FLAGS)
    if args.model == "coalescent":
        allowed |= set(COALESCENT_FLAGS)
        allowed.discard("n_sites")  # the coalescent decides how many sites there are
    given = {
        dest: value
        for dest, value in vars(args).items()
        if dest in SIMULATION_DESTS and value is not None
    }
    misplaced = sorted(_option_name(dest) for dest in given.keys() - allowed)
    if misplaced:
        raise VcfmlError(
            f"options that do not apply to the {args.model} model: {', '.join(misplaced)}"
        )
    parameters = given
    if args.model == "liability" and "populations" in parameters:
        text = parameters.pop("populations")
        if not text.isdigit():
            raise VcfmlError(f"--populations of the liability model is a number, got {text!r}")
        parameters["n_populations"] = int(text)
    try:
        cohort = simulate(args.model, seed=args.seed, **parameters)
    except ValueError as error:
        raise VcfmlError(f"simulate {args.model}: {error}") from error
    directory = cohort.write(args.out, if_exists="replace" if args.overwrite else "fail")
    n_samples, n_sites = cohort.shape
    bayes = cohort.truth["bayes_optimal"]["cohort"]
    print(
        f"wrote {directory}/: {n_samples} samples x {n_sites} sites, "
        f"{int(cohort.samples['phenotype'].sum())} cases; "
        f"Bayes-optimal accuracy {bayes['accuracy']:.3f}, AUC {bayes['auc']:.3f}"
    )
    test = getattr(cohort, "test", None)
    if test is not None:
        bayes = test.truth["bayes_optimal"]["cohort"]
        print(
            f"wrote {directory}/test/: {len(test.samples)} samples, "
            f"{int(test.samples['phenotype'].sum())} cases; "
            f"Bayes-optimal accuracy {bayes['accuracy']:.3f}, AUC {bayes['auc']:.3f}"
        )


def run_simulate_on_genotypes(args: argparse.Namespace) -> None:
    """``vcfml simulate --genotypes FILE``: a phenotype on existing genotypes."""
    from vcfml.simulate.on_genotypes import simulate_on_genotypes

    allowed = {"n_causal", "h2", "prevalence", "sex_effect", "min_maf", "population_effects"}
    given = {
        dest: value
        for dest, value in vars(args).items()
        if dest in SIMULATION_DESTS and value is not None
    }
    misplaced = sorted(_option_name(dest) for dest in given.keys() - allowed)
    if args.model is not None:
        misplaced.insert(0, "--model")
    if misplaced:
        raise VcfmlError(f"options that do not apply with --genotypes: {', '.join(misplaced)}")
    if args.quantitative and "prevalence" in given:
        raise VcfmlError("--quantitative and --prevalence exclude each other")
    parameters = {
        "causal": given.pop("n_causal", 10),
        "prevalence": None if args.quantitative else given.pop("prevalence", 0.2),
        **given,
    }
    result = simulate_on_genotypes(
        args.genotypes,
        samples_table=args.samples_table,
        population_column=args.population_column,
        seed=args.seed,
        **parameters,
    )
    directory = result.write(args.out, if_exists="replace" if args.overwrite else "fail")
    truth = result.truth
    n_causal = len(truth["causal_sites"])
    head = f"wrote {directory}/samples.tsv and truth.json: {truth['n_samples']} samples, "
    if args.quantitative:
        r2 = truth["bayes_optimal"]["cohort"]["r2"]
        print(f"{head}{n_causal} causal sites; best possible R² {r2:.3f}")
        return
    bayes = truth["bayes_optimal"]["cohort"]
    print(
        f"{head}{int(result.samples['phenotype'].sum())} cases, {n_causal} causal sites; "
        f"Bayes-optimal accuracy {bayes['accuracy']:.3f}, AUC {bayes['auc']:.3f}; "
        f"use --vcf {args.genotypes} --samples {directory / 'samples.tsv'}"
    )


def run_inspect(args: argparse.Namespace) -> None:
    from vcfml.io.vcf_reader import read_vcf
    from vcfml.summary import summarize

    print(summarize(read_vcf(args.file, region=args.region)).to_text())


def run_to_zarr(args: argparse.Namespace) -> None:
    from vcfml.io.vcf_zarr import open_vcf_zarr, vcf_to_zarr

    store = vcf_to_zarr(args.file, args.out, workers=args.workers, variants_chunk_size=args.chunk)
    genotypes = open_vcf_zarr(store)["call_genotype"]
    sites, samples, _ = genotypes.shape
    print(f"wrote {store}: {samples} samples x {sites} sites in chunks of {args.chunk} sites")


def run_check_env(args: argparse.Namespace) -> None:
    from vcfml.check.environment import check_environment

    report = check_environment(args.data, args.constraints, args.azure_config)
    if not report.ok:
        raise SystemExit(1)


def _quiet_teardown() -> None:
    """After Ctrl-C, say nothing more: objects a library was building when the signal
    came (zarr's asyncio event loop, half-made) can fail in their finalizers at exit,
    and Python would print each as "Exception ignored ... Traceback" or a
    never-awaited-coroutine warning. The interrupt was already reported in one line,
    and the partial outputs are already removed."""
    sys.unraisablehook = lambda unraisable: None
    warnings.simplefilter("ignore")


def main(argv: Sequence[str] | None = None) -> int:
    status = _run_command(argv)
    if argv is None:
        # The `vcfml` command's process ends here. Python's last garbage collection
        # would walk every object the imports made (numba's registries alone are
        # large): 0.1 s of a 1.5 s `vcfml scan`. It skips frozen objects; outputs
        # are already closed, and atexit handlers still run.
        gc.freeze()
    return status


def _run_command(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if argv is None:  # the `vcfml` command: budgets count from the start of the process
        args.started = process_start()
        catch_interrupts()
    try:
        args.handler(args)
    except VcfmlError as error:
        print(f"vcfml: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("vcfml: interrupted", file=sys.stderr)
        _quiet_teardown()
        return 130
    except BrokenPipeError:
        return _closed_pipe()
    try:
        sys.stdout.flush()  # here, where a closed pipe can still be caught
    except BrokenPipeError:
        return _closed_pipe()
    return 0


def _closed_pipe() -> int:
    """``vcfml inspect FILE | head``: the reader stopped reading. End quietly, as
    coreutils do (status 141, killed by SIGPIPE, is what a shell shows for them);
    stdout goes to /dev/null so that Python's exit does not complain again."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 141


def process_start() -> float:
    """The ``time.perf_counter()`` value at which this process started, so that a
    command's budget covers Python's start and imports as well."""
    import time

    import psutil

    age = time.time() - psutil.Process().create_time()
    return time.perf_counter() - max(0.0, age)


if __name__ == "__main__":
    sys.exit(main())
