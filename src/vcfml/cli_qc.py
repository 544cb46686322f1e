"""``vcfml qc``: the quality control every real study does first, as PLINK 2 does it.

Samples, in this order: call rate (``--mind``), sex check from chrX where the
file has it and the samples table gives a sex, relatedness (KING-robust
kinship above ``--king-cutoff``: one of each related pair goes, the one in
most pairs first). A sample whose chrX F says the other sex is removed; one
whose F is between 0.2 and 0.8 is flagged (PLINK's PROBLEM) but kept: with
few chrX sites a woman's F is noisy. Then sites, on the samples kept: call rate (``--geno``),
minor-allele frequency (``--maf``), Hardy-Weinberg exact test (``--hwe``,
autosomes only, as ``plink2 --hardy``'s ``.hardy``; the Graffelman-Weir chrX
test of its ``.hardy.x`` is not ported).
Then LD pruning of the kept autosomal sites (``--indep-pairwise``), whose
list is what PCA and kinship should use.

It writes the folder ``--out`` whole or not at all (refused when it exists,
unless ``--overwrite``, which replaces it whole; see
:func:`vcfml.io.paths.folder_written_whole`): ``samples.tsv`` and ``sites.tsv`` (every number, and
why a sample or site was removed), ``related.tsv`` (pairs above third degree),
``keep_samples.txt``, ``keep_sites.txt``, ``prune.in`` (the pruned autosomal
sites; a site's ID, or ``chrom:pos:ref:alt`` where the ID is missing or not
unique), and with ``--write-vcf`` the filtered
VCF. The numbers are those of ``plink2 --missing --het --hardy
--make-king-table --indep-pairwise`` (``tests/test_qc.py``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from vcfml.errors import VcfmlInputError


def add_commands(commands) -> None:
    qc = commands.add_parser(
        "qc",
        help="sample and site quality control as PLINK 2 (missingness, sex, kinship, "
        "HWE, LD pruning)",
    )
    qc.add_argument("--vcf", required=True, help="VCF/BCF file")
    qc.add_argument("--samples", help="samples table with a 'sex' column, for the sex check")
    qc.add_argument("--out", required=True, help="folder to write the report and lists to")
    qc.add_argument(
        "--overwrite", action="store_true", help="replace an existing --out folder whole"
    )
    qc.add_argument("--mind", type=float, default=0.02, help="largest missing fraction per sample")
    qc.add_argument("--geno", type=float, default=0.02, help="largest missing fraction per site")
    qc.add_argument("--maf", type=float, default=0.01, help="smallest minor-allele frequency")
    qc.add_argument("--hwe", type=float, default=1e-6, help="smallest exact HWE p-value")
    qc.add_argument("--hwe-midp", action="store_true", help="mid-p HWE test (plink2 --hardy midp)")
    qc.add_argument(
        "--king-cutoff",
        type=float,
        default=0.177,
        help="largest KING kinship kept (0.177: no first-degree relatives; 0.354: no duplicates)",
    )
    qc.add_argument(
        "--indep-pairwise",
        nargs=3,
        metavar=("WINDOW", "STEP", "R2"),
        default=["50", "5", "0.2"],
        help="LD pruning: window and step in sites, r² threshold (as plink2)",
    )
    qc.add_argument(
        "--build",
        default="GRCh38",
        choices=["GRCh38", "GRCh37"],
        help="genome build of the chrX pseudo-autosomal regions",
    )
    qc.add_argument("--write-vcf", action="store_true", help="also write OUT/filtered.vcf.gz")
    qc.set_defaults(handler=run_qc)


def run_qc(args: argparse.Namespace) -> None:
    from vcfml.io.paths import folder_written_whole, validate_output_path
    from vcfml.io.vcf_reader import read_vcf

    window, step, r2 = parse_pairwise(args.indep_pairwise)
    for name in ("mind", "geno", "maf", "hwe"):
        value = getattr(args, name)
        if not 0 <= value <= 1:
            raise VcfmlInputError(args.vcf, f"--{name} must be between 0 and 1, got {value}")
    if_exists = "replace" if args.overwrite else "fail"
    out = validate_output_path(args.out, overwrite=args.overwrite)  # before any work
    genotypes = read_vcf(args.vcf)
    male = _reported_sex(args.samples, genotypes.samples, args.vcf)
    samples, sites, related, pruned = quality_control(
        genotypes, male=male, args=args, window=window, step=step, r2=r2
    )
    # Into a temporary sibling folder, renamed into place when every file is
    # there: a failure or Ctrl-C half way leaves no report that lacks files.
    with folder_written_whole(out, if_exists) as folder:
        _write(folder, genotypes, samples, sites, related, pruned)
        if args.write_vcf:
            target = folder / "filtered.vcf.gz"
            write_filtered_vcf(args.vcf, target, samples, sites, genotypes.variants)
    _print_summary(out, samples, sites, pruned, related)


def quality_control(genotypes, *, male, args, window, step, r2):
    """The tables of samples and sites with each number and each removal's reason."""
    from vcfml.stats import (
        autosomal,
        hardy,
        heterozygosity,
        indep_pairwise,
        king_table,
        related_pairs,
        sample_missingness,
        site_missingness,
    )
    from vcfml.stats.frequency import haploid_in_males
    from vcfml.stats.king import THIRD_DEGREE_KINSHIP

    matrix = genotypes.genotypes
    variants = genotypes.variants
    on_autosome = autosomal(variants["chrom"])
    samples = sample_missingness(matrix)
    samples.insert(0, "sample_id", genotypes.samples)
    het = heterozygosity(matrix[:, on_autosome])
    samples[["o_hom", "e_hom", "het_observed", "f"]] = het.to_numpy()
    reason = np.where(samples["f_miss"] > args.mind, f"call rate < {1 - args.mind:g}", "")

    x_sites = haploid_in_males(variants["chrom"], variants["pos"], args.build)
    if x_sites.any():
        sex = _sex_check(genotypes, x_sites, male)
        samples = pd.concat([samples, sex], axis=1)
        if male is not None:
            reason = np.where(
                (reason == "")
                & (samples["sex_status"] == "PROBLEM")
                & (samples["snp_sex"] != "unknown"),
                "sex check: chrX F says the other sex",
                reason,
            )
    kept = reason == ""
    table = king_table(matrix[np.ix_(kept, on_autosome)], list(samples["sample_id"][kept]))
    related = related_pairs(table, cutoff=THIRD_DEGREE_KINSHIP)  # third degree up: the report
    dropped = _drop_related(related[related["kinship"] > args.king_cutoff])
    reason = np.where(
        samples["sample_id"].isin(dropped), f"related: KING kinship > {args.king_cutoff:g}", reason
    )
    samples["removed"] = reason
    kept = reason == ""

    sites = variants[["chrom", "pos", "id", "ref", "alt"]].reset_index(drop=True).copy()
    missing = site_missingness(matrix[kept])
    sites[["missing", "observed", "f_miss"]] = missing.to_numpy()
    hw = hardy(matrix[kept], midp=args.hwe_midp)
    alt = (hw["het"] + 2 * hw["hom_alt"]) / (2 * (hw["hom_ref"] + hw["het"] + hw["hom_alt"]))
    sites["maf"] = np.minimum(alt, 1 - alt)
    sites = pd.concat([sites, hw], axis=1)
    diploid = on_autosome  # HWE on autosomes only (chrX needs women only, as plink2's .hardy.x)
    site_reason = np.full(len(sites), "", dtype=object)
    site_reason[(sites["f_miss"] > args.geno).to_numpy()] = f"call rate < {1 - args.geno:g}"
    low_maf = (site_reason == "") & ~(sites["maf"] >= args.maf).to_numpy()
    site_reason[low_maf] = f"MAF < {args.maf:g}"
    bad_hwe = (site_reason == "") & diploid & (sites["p_hwe"] < args.hwe).to_numpy()
    site_reason[bad_hwe] = f"HWE exact p < {args.hwe:g}"
    sites["removed"] = site_reason
    candidates = np.flatnonzero((site_reason == "") & on_autosome)
    keep_pruned = indep_pairwise(
        matrix[np.ix_(kept, candidates)], variants["chrom"].to_numpy()[candidates], window, step, r2
    )
    pruned = np.zeros(len(sites), dtype=bool)
    pruned[candidates[keep_pruned]] = True
    sites["prune_in"] = pruned
    return samples, sites, related, pruned


def _sex_check(genotypes, x_sites: np.ndarray, male) -> pd.DataFrame:
    from vcfml.stats import sex_check

    ploidy = x_ploidy(genotypes.source, genotypes.variants, x_sites, len(genotypes.samples))
    table = sex_check(genotypes.genotypes[:, x_sites], ploidy, male)
    return table[["f", "snp_sex", "reported_sex", "status"]].rename(
        columns={"f": "x_f", "status": "sex_status"}
    )


def x_ploidy(path, variants: pd.DataFrame, x_sites: np.ndarray, n_samples: int) -> np.ndarray:
    """Each call's ploidy at the chrX sites (samples x sites): the dosage
    matrix does not keep it, and a man's haploid ALT call (dosage 1) is not a
    heterozygote. Read with cyvcf2 (htslib), one record per column in order."""
    from cyvcf2 import VCF

    wanted = variants.loc[x_sites, ["chrom", "pos", "ref", "alt"]].itertuples(index=False)
    targets = [tuple(map(str, row)) for row in wanted]
    ploidy = np.full((n_samples, len(targets)), 2, dtype=np.int8)
    position = {}
    for column, key in enumerate(targets):
        position.setdefault(key, column)
    contigs = {chrom for chrom, _, _, _ in targets}
    reader = VCF(str(path), lazy=True)
    try:
        for record in reader:
            if record.CHROM not in contigs:
                continue
            for alt in record.ALT:
                column = position.get((record.CHROM, str(record.POS), record.REF, alt))
                if column is not None:
                    ploidy[:, column] = [len(call) - 1 for call in record.genotypes]
    finally:
        reader.close()
    return ploidy


def _drop_related(pairs: pd.DataFrame) -> set[str]:
    """Remove one sample of each related pair: the one in most remaining pairs
    first (the later-named on a tie), until no pair is left."""
    dropped: set[str] = set()
    left = pairs[["id1", "id2"]].to_numpy().tolist()
    while left:
        counts: dict[str, int] = {}
        for a, b in left:
            counts[a] = counts.get(a, 0) + 1
            counts[b] = counts.get(b, 0) + 1
        worst = max(sorted(counts), key=lambda name: counts[name])
        dropped.add(worst)
        left = [pair for pair in left if worst not in pair]
    return dropped


def parse_pairwise(values: list[str]) -> tuple[int, int, float]:
    """WINDOW STEP R2 of ``--indep-pairwise``, checked."""
    try:
        window, step, r2 = int(values[0]), int(values[1]), float(values[2])
    except ValueError:
        raise VcfmlInputError(
            "--indep-pairwise", f"expected WINDOW STEP R2 (e.g. 50 5 0.2), got {' '.join(values)}"
        ) from None
    if window < 2 or not 1 <= step <= window or not 0 <= r2 < 1:
        raise VcfmlInputError(
            "--indep-pairwise",
            f"need WINDOW >= 2 sites, 1 <= STEP <= WINDOW and 0 <= R2 < 1; got {' '.join(values)}",
        )
    return window, step, r2


def _reported_sex(path, names: list[str], vcf) -> np.ndarray | None:
    if path is None:
        return None
    from vcfml.cli_stats import aligned_table, sex_of
    from vcfml.io.samples_table import read_samples_table

    table = aligned_table(read_samples_table(path), names, path, vcf)
    male = sex_of(table, path)
    if male is None:
        raise VcfmlInputError(path, "no 'sex' column for the sex check")
    return male


def _write(out: Path, genotypes, samples, sites, related, pruned) -> None:
    from vcfml.cli_stats import write_table
    from vcfml.io.atomic import write_text_atomically

    write_table(samples, out / "samples.tsv")
    write_table(sites, out / "sites.tsv")
    write_table(related, out / "related.tsv")
    kept = samples.loc[samples["removed"] == "", "sample_id"]
    write_text_atomically(out / "keep_samples.txt", "".join(f"{name}\n" for name in kept))
    labels = np.asarray(genotypes.variant_labels())
    keep = (sites["removed"] == "").to_numpy()
    write_text_atomically(out / "keep_sites.txt", "".join(f"{name}\n" for name in labels[keep]))
    write_text_atomically(out / "prune.in", "".join(f"{name}\n" for name in labels[pruned]))


def write_filtered_vcf(source, target: Path, samples, sites, variants) -> None:
    """The input VCF with only the kept samples and records (a record is kept
    when all its ALT alleles are), bgzipped and indexed, through htslib."""
    import pysam

    from vcfml.io.atomic import atomic_path

    keep_samples = list(samples.loc[samples["removed"] == "", "sample_id"])
    removed = sites["removed"] != ""
    drop = set(zip(sites["chrom"][removed].astype(str), sites["pos"][removed], strict=True))
    with atomic_path(target) as temporary, pysam.VariantFile(str(source)) as reader:
        reader.subset_samples(keep_samples)
        with pysam.VariantFile(str(temporary), "wz", header=reader.header) as writer:
            for record in reader:
                if (record.chrom, record.pos) not in drop:
                    writer.write(record)
    pysam.tabix_index(str(target), preset="vcf", force=True)


def _print_summary(out: Path, samples, sites, pruned, related) -> None:
    removed = samples[samples["removed"] != ""]
    print(f"samples: kept {len(samples) - len(removed)} of {len(samples)}")
    for reason, group in removed.groupby("removed"):
        names = ", ".join(group["sample_id"].head(5)) + (" ..." if len(group) > 5 else "")
        print(f"  removed {len(group)}: {reason} ({names})")
    gone = sites[sites["removed"] != ""]
    print(f"sites: kept {len(sites) - len(gone)} of {len(sites)}")
    for reason, group in gone.groupby("removed"):
        print(f"  removed {len(group)}: {reason}")
    print(f"LD pruning kept {int(pruned.sum())} autosomal sites (prune.in: for PCA and kinship)")
    print(f"{len(related)} pairs with KING kinship > 0.0442 (third degree or closer): related.tsv")
    print(f"wrote {out}/: samples.tsv, sites.tsv, related.tsv, keep_samples.txt, keep_sites.txt")
