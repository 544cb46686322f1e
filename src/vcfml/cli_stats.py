"""``vcfml scan`` and ``vcfml pca``: the association scan and principal
components of :mod:`vcfml.stats` from the command line, with PLINK 2's column
names so that results can be compared with ``plink2 --glm`` / ``--pca``."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from vcfml.errors import VcfmlError, VcfmlInputError, preview_names

MALE_CODES = {"male": True, "m": True, "1": True, "female": False, "f": False, "2": False}


def add_commands(commands) -> None:
    scan = commands.add_parser(
        "scan", help="per-site association test with covariates and PCs (as plink2 --glm)"
    )
    scan.add_argument("--vcf", required=True, help="VCF/BCF file")
    scan.add_argument("--samples", required=True, help="samples table (TSV/CSV) with the target")
    scan.add_argument(
        "--target",
        default="phenotype",
        help="column to test: two values -> logistic regression, numbers -> linear",
    )
    scan.add_argument(
        "--positive-label",
        help="of a two-valued target, the label of the cases (e.g. sick of healthy/sick)",
    )
    scan.add_argument(
        "--missing-values",
        help="comma-separated codes that mean missing in the samples table, e.g. NA "
        "(default: only an empty cell; a sample or level named NA is a value)",
    )
    scan.add_argument("--covariates", help="comma-separated covariate columns (default: none)")
    scan.add_argument(
        "--pcs", type=int, default=0, help="also adjust for the first K principal components"
    )
    scan.add_argument(
        "--build",
        default="GRCh38",
        choices=["GRCh38", "GRCh37"],
        help="genome build of the chrX pseudo-autosomal regions",
    )
    scan.add_argument("--out", required=True, help="TSV to write (one row per ALT allele)")
    scan.set_defaults(handler=run_scan)

    from vcfml.cli_pca import add_pca_command

    add_pca_command(commands)


def principal_components(genotypes, n_components: int, source) -> tuple[pd.DataFrame, np.ndarray]:
    """PCs of a :class:`~vcfml.GenotypeMatrix` on the sites PCA should use
    (autosomal, MAF >= 0.05, LD-pruned: :func:`vcfml.stats.pca_sites`), as a table."""
    from vcfml import cli_pca

    return cli_pca.principal_components(genotypes, n_components, source)


def run_scan(args: argparse.Namespace) -> None:
    from vcfml.io.atomic import check_writable
    from vcfml.io.samples_table import read_samples_table
    from vcfml.io.vcf_reader import read_vcf
    from vcfml.stats import association_scan, check_covariates

    check_writable(args.out)  # before the work, not after it
    missing_values = [code.strip() for code in (args.missing_values or "").split(",") if code]
    table = read_samples_table(args.samples, missing_values=missing_values)
    genotypes = read_vcf(args.vcf)
    if genotypes.n_samples == 0:
        raise VcfmlInputError(args.vcf, "has no samples (a sites-only VCF): nothing to scan")
    table = aligned_table(table, genotypes.samples, args.samples, args.vcf)
    target, binary, called = scan_target(table, args.target, args.samples, args.positive_label)
    if called is not None:  # PLINK's missing phenotype codes: those samples are left out
        print(
            f"{args.target!r} read as PLINK codes it (1 = control, 2 = case, -9/0 missing): "
            f"{int((~called).sum())} samples without a phenotype left out"
        )
        table = table.loc[called]
        # Read again for these samples: the reader's af then counts only them.
        genotypes = read_vcf(args.vcf, samples=list(table.index))
    names = [name.strip() for name in (args.covariates or "").split(",") if name.strip()]
    covariates = scan_covariates(table, names, args.target, args.samples)
    if args.pcs:
        pcs, _ = principal_components(genotypes, args.pcs, args.vcf)
        covariates = pd.concat(
            [covariates, pcs.drop(columns="sample_id").set_index(table.index)], axis=1
        )
    design = check_covariates(covariates, args.samples)
    male = sex_of(table, args.samples)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        try:
            result = association_scan(
                genotypes.genotypes, genotypes.variants, target, design, binary=binary,
                male=male, build=args.build, af=genotypes.variants["af"].to_numpy(),
            )  # fmt: skip
        except VcfmlError as error:  # the covariates of the samples table separate the target
            raise VcfmlInputError(args.samples, str(error)) from error
    for warning in caught:  # one line each, as errors are
        print(f"vcfml: warning: {args.samples}: {warning.message}", file=sys.stderr)
    write_table(result, args.out)
    model = "logistic" if binary else "linear"
    adjusted = ", ".join(covariates.columns) or "nothing"
    best = result["pvalue"].min()
    print(
        f"wrote {args.out}: {len(result)} sites, {model} regression of {args.target!r} "
        f"adjusted for {adjusted}; smallest p-value {best:.3g}"
    )
    untested = int(result["pvalue"].isna().sum())
    if untested:
        not_converged = result.attrs.get("not_converged", 0)
        causes = "monomorphic or collinear with the covariates (VIF > 50)"
        if binary:
            causes = (
                f"{not_converged} logistic fits did not converge; the others separated, " + causes
            )
        print(f"{untested} sites have no result (NA): {causes}")


def aligned_table(table: pd.DataFrame, samples: list[str], table_path, vcf_path) -> pd.DataFrame:
    """The samples table in the VCF's sample order; every sample on both sides."""
    only_vcf = [name for name in samples if name not in table.index]
    if only_vcf:
        raise VcfmlInputError(
            table_path,
            f"{len(only_vcf)} samples of {Path(vcf_path).name} have no row: "
            f"{preview_names(only_vcf)}",
        )
    in_vcf = set(samples)
    only_table = [name for name in table.index if name not in in_vcf]
    if only_table:
        raise VcfmlInputError(
            table_path,
            f"{len(only_table)} samples are not in {Path(vcf_path).name}: "
            f"{preview_names(only_table)}",
        )
    return table.loc[samples]


PLINK_MISSING = {-9.0, 0.0}  # plink2's missing case/control codes (--missing-phenotype, 0)


def scan_target(
    table: pd.DataFrame, column: str, source, positive_label: str | None = None
) -> tuple[np.ndarray, bool, np.ndarray | None]:
    """The target as numbers, whether it is binary (logistic) or not (linear),
    and which samples have a phenotype (None: all of them).

    As plink2 reads a phenotype: numbers that are 1 and 2 apart from -9 or 0
    are case/control (2 = case) with -9 and 0 missing; two values of any kind
    are case/control (``positive_label`` names the case where the labels do
    not say it); other numbers are quantitative.
    """
    from vcfml.features import encode_target

    if column not in table.columns:
        raise VcfmlInputError(source, f"no column {column!r} to use as the target")
    values = table[column]
    if len(values) == 0:
        raise VcfmlInputError(source, "no samples: nothing to test")
    if values.isna().any():
        first = values.index[values.isna().to_numpy().argmax()]
        raise VcfmlInputError(source, f"target {column!r} is missing for sample {first}")
    levels = values.astype(str).str.strip().unique()
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if numeric and positive_label is None:
        found = set(values.astype(float).unique())
        if {1.0, 2.0} <= found and found <= {1.0, 2.0} | PLINK_MISSING and found & PLINK_MISSING:
            called = values.isin([1, 2]).to_numpy()
            return (values[called].to_numpy(dtype=float) == 2).astype(float), True, called
    if len(levels) < 2:
        raise VcfmlInputError(
            source,
            f"target {column!r} has one value ({levels[0]}) for every sample: nothing to test",
        )
    if len(levels) == 2:
        y, _ = encode_target(values, source, column, positive_label)
        return y.astype(float), True, None
    if positive_label is not None:
        raise VcfmlInputError(
            source,
            f"--positive-label {positive_label!r}: target {column!r} has {len(levels)} values, "
            "a case/control target has two",
        )
    if not numeric:
        raise VcfmlInputError(
            source,
            f"target {column!r} has {len(levels)} text values; it must have two "
            "(case/control) or be a number (quantitative)",
        )
    return values.to_numpy(dtype=float), False, None


def scan_covariates(table: pd.DataFrame, names: list[str], target: str, source) -> pd.DataFrame:
    """The named columns: numbers as they are, text as one indicator per level
    but the first (``sex=male``, ``population=pop2``, ...)."""
    from vcfml.features import encode_covariates

    unknown = [name for name in names if name not in table.columns]
    if unknown:
        raise VcfmlInputError(
            source, f"covariate column {unknown[0]!r} is not in the table ({len(unknown)} unknown)"
        )
    if target in names:
        raise VcfmlInputError(source, f"the target {target!r} cannot also be a covariate")
    if not names:
        return pd.DataFrame(index=table.index)
    encoded, levels = encode_covariates(table[names], source)
    # A regression has an intercept: one level of each text column is the baseline.
    baselines = [f"{name}={found[0]}" for name, found in levels.items() if found and len(found) > 2]
    return encoded.drop(columns=baselines)


def sex_of(table: pd.DataFrame, source) -> np.ndarray | None:
    """True for males, from a ``sex`` column (male/female, M/F or PLINK's 1/2)."""
    if "sex" not in table.columns:
        return None
    codes = table["sex"].astype(str).str.strip().str.lower()
    unknown = ~codes.isin(list(MALE_CODES))
    if unknown.any():
        sample = table.index[unknown.to_numpy().argmax()]
        raise VcfmlInputError(
            source,
            f"column 'sex' has {np.asarray(table['sex'][sample]).tolist()!r} for sample {sample}; "
            "use male/female, M/F or PLINK's 1/2",
        )
    return codes.map(MALE_CODES).to_numpy(dtype=bool)


def write_table(table: pd.DataFrame, path) -> None:
    """Write a TSV all at once: a half-written file never replaces a good one."""
    from vcfml.io.atomic import atomic_path

    # The floats formatted here, as pandas' float_format="%.6g" formats them: pandas
    # calls a Python function per value, 0.4 s of a HapMap 3 scan's 14,079 rows.
    formatted = table.copy()
    for name in table.columns[[pd.api.types.is_float_dtype(kind) for kind in table.dtypes]]:
        values = table[name].to_numpy(dtype=float, na_value=np.nan).tolist()
        formatted[name] = ["NA" if value != value else f"{value:.6g}" for value in values]
    with atomic_path(path) as temporary:
        formatted.to_csv(temporary, sep="\t", index=False, na_rep="NA")
