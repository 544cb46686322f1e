"""``vcfml pca``: ancestry principal components as ``plink2 --pca meanimpute``,
on the sites PCA should use (autosomal, MAF >= 0.05, LD-pruned; see
:mod:`vcfml.stats.pca`), and the projection of other samples onto them.

Writes ``OUT`` (sample_id, PC1..PCk) and, next to it with OUT's suffix
replaced, ``.eigenval`` (one eigenvalue a line, full precision, as PLINK's),
``.sites`` (the IDs of the sites used, for ``plink2 --extract``) and, with
``--project``, ``.projected.tsv`` (the other file's samples on the components).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from vcfml.errors import VcfmlInputError


def add_pca_command(commands) -> None:
    pca = commands.add_parser(
        "pca",
        help="principal components of autosomal, common, LD-pruned sites (as plink2 --pca)",
    )
    pca.add_argument("--vcf", required=True, help="VCF/BCF file")
    pca.add_argument("--pcs", type=int, default=10, help="number of components")
    pca.add_argument("--out", required=True, help="TSV to write: sample_id, PC1..PCk")
    pca.add_argument(
        "--min-maf", type=float, default=0.05, help="smallest minor-allele frequency (0: all)"
    )
    pca.add_argument(
        "--indep-pairwise",
        nargs=3,
        metavar=("WINDOW", "STEP", "R2"),
        default=["50", "5", "0.2"],
        help="LD pruning before PCA, as plink2 --indep-pairwise (window and step in sites)",
    )
    pca.add_argument("--no-prune", action="store_true", help="use every autosomal site")
    pca.add_argument(
        "--project",
        metavar="VCF",
        help="also place the samples of this VCF on the components (as plink2 --score)",
    )
    pca.add_argument("--project-out", help="TSV of projected samples (default: OUT.projected.tsv)")
    pca.set_defaults(handler=run_pca)


def pca_options(args: argparse.Namespace) -> dict:
    """``min_maf`` and ``prune`` of :func:`vcfml.stats.pca_sites` from the options."""
    from vcfml.cli_qc import parse_pairwise

    if not 0 <= args.min_maf <= 0.5:
        raise VcfmlInputError("--min-maf", f"must be between 0 and 0.5, got {args.min_maf}")
    prune = None if args.no_prune else parse_pairwise(args.indep_pairwise)
    return {"min_maf": args.min_maf, "prune": prune}


def compute_pcs(genotypes, n_components: int, source, *, min_maf=0.05, prune=(50, 5, 0.2)):
    """The :class:`~vcfml.stats.PCAResult` and the boolean mask of sites used."""
    from vcfml.stats import pca, pca_sites

    if n_components < 1:
        raise VcfmlInputError(source, f"the number of PCs must be at least 1, got {n_components}")
    sites = pca_sites(
        genotypes.genotypes, genotypes.variants["chrom"], min_maf=min_maf, prune=prune
    )
    if not sites.any():
        raise VcfmlInputError(
            source, f"no autosomal site with MAF >= {min_maf:g} to compute principal components"
        )
    try:
        result = pca(genotypes.genotypes[:, sites], n_components)
    except ValueError as error:
        raise VcfmlInputError(source, f"cannot compute principal components: {error}") from error
    return result, sites


def principal_components(
    genotypes, n_components: int, source, **options
) -> tuple[pd.DataFrame, np.ndarray]:
    """PCs of a :class:`~vcfml.GenotypeMatrix` (on :func:`~vcfml.stats.pca_sites`), as a table."""
    result, _ = compute_pcs(genotypes, n_components, source, **options)
    return result.to_frame(genotypes.samples), result.eigenvalues


def run_pca(args: argparse.Namespace) -> None:
    from vcfml.cli_stats import write_table
    from vcfml.io.atomic import check_writable, write_text_atomically
    from vcfml.io.vcf_reader import read_vcf

    options = pca_options(args)
    out = check_writable(args.out)  # before the work, not after it
    genotypes = read_vcf(args.vcf)
    result, sites = compute_pcs(genotypes, args.pcs, args.vcf, **options)
    write_table(result.to_frame(genotypes.samples), out)
    eigenval = out.with_suffix(".eigenval")
    write_text_atomically(eigenval, "".join(f"{float(value)!r}\n" for value in result.eigenvalues))
    used = genotypes.variants[sites]
    write_text_atomically(out.with_suffix(".sites"), "".join(f"{name}\n" for name in used["id"]))
    shown = ", ".join(repr(float(value)) for value in result.eigenvalues)
    prune = options["prune"]
    pruning = "not pruned" if prune is None else "LD-pruned " + " ".join(map(str, prune))
    print(
        f"wrote {out}: {genotypes.n_samples} samples x {len(result.eigenvalues)} PCs from "
        f"{result.n_sites} sites (autosomal, MAF >= {options['min_maf']:g}, {pruning})"
    )
    print(f"eigenvalues ({eigenval}): {shown}")
    if args.project:
        target = Path(args.project_out or out.with_suffix(".projected.tsv"))
        check_writable(target)
        projected, found = project_file(result, used, args.project)
        write_table(projected, target)
        print(
            f"wrote {target}: {len(projected)} samples of {args.project} projected "
            f"({found} of {len(used)} sites found; a missing one counts as the reference mean)"
        )


def project_file(result, used: pd.DataFrame, path) -> tuple[pd.DataFrame, int]:
    """The samples of ``path`` on the components, matching sites by chrom, pos,
    REF and ALT (REF/ALT swapped: the dosage is flipped)."""
    from vcfml.io.vcf_reader import read_vcf
    from vcfml.stats import project

    other = read_vcf(path)
    keys = ["chrom", "pos", "ref", "alt"]
    index = {tuple(map(str, row)): k for k, row in enumerate(other.variants[keys].to_numpy())}
    matrix = np.full((other.n_samples, len(used)), -1, dtype=np.int8)
    found = 0
    for column, (chrom, pos, ref, alt) in enumerate(used[keys].astype(str).to_numpy()):
        same = index.get((chrom, pos, ref, alt))
        swapped = index.get((chrom, pos, alt, ref))
        if same is not None:
            matrix[:, column] = other.genotypes[:, same]
        elif swapped is not None:
            values = other.genotypes[:, swapped]
            matrix[:, column] = np.where(values < 0, -1, 2 - values)
        else:
            continue
        found += 1
    if found == 0:
        raise VcfmlInputError(path, "none of the sites of the components is in this file")
    scores = project(result, matrix)
    table = pd.DataFrame(scores, columns=[f"PC{i}" for i in range(1, scores.shape[1] + 1)])
    table.insert(0, "sample_id", other.samples)
    return table, found
