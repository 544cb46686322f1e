"""Chapter 6, scaling up: the AutoML screen, run chunk by chunk on a VCF Zarr store with Dask.

The in-memory pipeline reads the whole genotype matrix, then ranks every site by
its association with the target on the training rows of each cross-validation
fold (``vcfml.automl.screening``). Here the same ranking is computed on a VCF Zarr
store (:func:`vcfml.io.vcf_zarr.vcf_to_zarr`) one block of sites at a time, on
Dask's local scheduler or on any ``dask.distributed`` cluster. Only the sites that
some fold ranks in its top ``max_sites`` are then loaded into memory, so the AutoML
search that follows sees exactly the columns it would have used on the full matrix:
:func:`prescreen` followed by :func:`vcfml.automl.run_automl` gives the same
leaderboard and model as ``run_automl`` on everything, with memory bounded by one
block of sites plus the kept sites.

That equality holds for the one-site screen (``screen="marginal"``). The
interaction screen (``"pairs"``, and ``"auto"``, the default, which may choose
it) looks for partners of the best sites among *all* sites
(:mod:`vcfml.automl.interactions`), and a partner with no effect on its own is
rarely among the kept ones: on a prescreened dataset it searches the kept sites
only. Pass ``screen="marginal"`` to get exactly the in-memory run.
"""

from __future__ import annotations

import os
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vcfml.errors import require_extra

with require_extra("scale"):
    import dask

from vcfml.automl.screening import comparable_scores, rank_sites, screen_design, screen_males
from vcfml.automl.settings import AutoMLSettings
from vcfml.automl.splits import screened_rows
from vcfml.errors import VcfmlError
from vcfml.features import Dataset, join_samples
from vcfml.genome import build_of, call_ploidy, haploid_in_males
from vcfml.io.vcf_reader import VARIANT_COLUMNS, GenotypeMatrix
from vcfml.io.vcf_zarr import open_vcf_zarr, site_major_dosages, variants_table
from vcfml.stats.frequency import allele_frequency, minor_allele_frequency
from vcfml.stats.score import ScoreNull, score_null, score_statistics, score_sums

STATISTICS = ("maf", "score", "pvalue")


@dataclass
class Prescreen:
    """What the chunked screen keeps and how it ranked every site.

    Attributes:
        dataset: the kept sites with the covariates and target, ready for
            :func:`vcfml.automl.run_automl` (with the same settings).
        kept: indices of the kept sites in the store.
        statistics: one row per site of the store: ``maf``, ``score`` (the
            covariate-adjusted score test of the screen) and
            ``pvalue`` on all samples; the scan that chapter 5 plots.
        n_blocks: how many blocks of sites the screen was split into.
    """

    dataset: Dataset
    kept: np.ndarray
    statistics: pd.DataFrame
    n_blocks: int


def screen_weights(
    y: np.ndarray, training_rows: list[np.ndarray], covariates: np.ndarray | None = None
) -> ScoreNull:
    """The null model of each row set (:func:`vcfml.stats.score.score_null`),
    fitted once and shared by every block."""
    return score_null(y, screen_design(len(y), covariates), training_rows)


def block_statistics(
    site_major_block: np.ndarray,
    y: np.ndarray,
    training_rows: list[np.ndarray],
    covariates: np.ndarray | None = None,
    weights: ScoreNull | None = None,
    haploid: np.ndarray | None = None,
    male: np.ndarray | None = None,
) -> np.ndarray:
    """MAF, covariate-adjusted score statistic and p-value of each site of a
    block, on each set of training rows, as ``GenotypeScreen`` computes them:
    with the same functions (:func:`vcfml.stats.score.score_sums` and
    :func:`~vcfml.stats.score.score_statistics`: one compiled pass over the block
    serves every row set).

    The MAF follows the screen's one ploidy rule
    (:func:`vcfml.automl.screening.screen_ploidy`, :func:`vcfml.genome.call_ploidy`):
    at the block's ``haploid`` sites (chrX outside the PARs) a ``male`` sample's
    call counts one allele, so the same sites pass ``min_maf`` as in memory. A
    man's calls written diploid there count half (:func:`vcfml.stats.haploid_dosage`),
    judged over the block's one-copy sites (in memory: over all of them).
    ``weights`` (:func:`screen_weights`) saves refitting the null models for
    every block.

    Returns an array of shape (len(training_rows), 3, sites in the block). Runs on
    a Dask worker: plain NumPy in, plain NumPy out.
    """
    if weights is None:
        weights = screen_weights(y, training_rows, covariates)
    block = np.ascontiguousarray(site_major_block, dtype=np.int8)
    n_called, alt, statistic, pvalue = score_statistics(score_sums(block, weights), weights)
    with np.errstate(invalid="ignore", divide="ignore"):
        frequency = np.where(n_called > 0, alt / np.maximum(2 * n_called, 1), np.nan)
    maf = minor_allele_frequency(frequency)  # (sites, sets)
    if haploid is not None and male is not None and np.any(haploid) and np.any(male):
        # The few chrX sites: the frequency of vcfml.stats, with each call's ploidy.
        columns = np.flatnonzero(haploid)
        calls = block[columns].T  # samples x haploid sites
        ploidy = call_ploidy(np.ones(len(columns), dtype=bool), male)
        for index, rows in enumerate(training_rows):
            maf[columns, index] = minor_allele_frequency(
                allele_frequency(calls[rows], ploidy[rows] if np.ndim(ploidy) else ploidy)
            )
    result = np.stack([maf, statistic, pvalue], axis=1)  # (sites, 3, sets)
    return np.ascontiguousarray(result.transpose(2, 1, 0))


def top_sites(maf: np.ndarray, scores: np.ndarray, count: int, min_maf: float) -> np.ndarray:
    """The ``count`` best-ranked eligible sites, ranked as ``GenotypeScreen`` ranks them."""
    eligible = np.flatnonzero(maf >= min_maf) if min_maf > 0 else np.arange(len(maf))
    eligible = eligible[np.isfinite(scores[eligible])]
    return rank_sites(scores, eligible)[:count]


def _compute(tasks: list[Any], scheduler: Any) -> list[Any]:
    """Run Dask tasks on a distributed client, a cluster address or a local scheduler."""
    if isinstance(scheduler, str) and "://" in scheduler:
        from distributed import Client

        with Client(scheduler) as client:
            return list(client.gather(client.compute(tasks)))
    if scheduler is not None and hasattr(scheduler, "gather"):  # a distributed.Client
        return list(scheduler.gather(scheduler.compute(tasks)))
    return list(dask.compute(*tasks, scheduler=scheduler))


def prescreen(
    store: str | os.PathLike[str],
    samples_table: pd.DataFrame | str | os.PathLike[str],
    *,
    target: str = "phenotype",
    covariates: list[str] | None = None,
    positive_label: str | None = None,
    settings: AutoMLSettings | None = None,
    scheduler: Any = None,
) -> Prescreen:
    """Screen every site of a VCF Zarr store with Dask; load only what AutoML can use.

    Args:
        store: a VCF Zarr store (see :func:`vcfml.io.vcf_zarr.vcf_to_zarr`).
        samples_table: sample IDs with the target and covariates, as for
            :func:`vcfml.features.join_samples`.
        settings: the AutoML settings the search will use: its folds, seed,
            ``max_sites`` and ``min_maf`` decide which sites are kept.
        scheduler: ``None`` (Dask's default local threads), ``"processes"``,
            ``"synchronous"``, a ``distributed.Client`` or a cluster address
            such as ``"tcp://scheduler:8786"``.
    """
    settings = (settings or AutoMLSettings(deterministic=True, max_trials=1)).resolved()
    dataset_zarr = open_vcf_zarr(store)
    samples = [str(name) for name in np.asarray(dataset_zarr["sample_id"].values).tolist()]
    labelled, training_rows = _labels_and_folds(
        samples, Path(store), samples_table, target, covariates, positive_label, settings
    )
    y = labelled.target
    site_major = site_major_dosages(dataset_zarr)
    blocks = site_major.to_delayed().ravel()
    covariates = labelled.covariates.to_numpy(dtype=np.float32)
    weights = screen_weights(y, training_rows, covariates)
    male = screen_males(labelled)
    haploid = _store_haploid_sites(dataset_zarr)
    bounds = np.cumsum((0, *site_major.chunks[0]))
    tasks = [
        dask.delayed(block_statistics)(
            block, y, training_rows, covariates, weights, haploid[start:stop], male
        )
        for block, start, stop in zip(blocks, bounds[:-1], bounds[1:], strict=True)
    ]
    statistics = np.concatenate(_compute(tasks, scheduler), axis=2)

    kept = _kept_sites(statistics, settings, f"{site_major.shape[0]} sites in {store}")
    (genotypes,) = _compute([site_major[kept]], scheduler)
    dataset = replace(
        labelled,
        genotypes=np.ascontiguousarray(genotypes.T),
        variants=variants_table(dataset_zarr, kept),
    )
    everyone = statistics[-1]
    table = pd.DataFrame(dict(zip(STATISTICS, everyone, strict=True)))
    return Prescreen(dataset=dataset, kept=kept, statistics=table, n_blocks=len(blocks))


def prescreen_vcf(
    vcf: str | os.PathLike[str],
    samples_table: pd.DataFrame | str | os.PathLike[str],
    *,
    target: str = "phenotype",
    covariates: list[str] | None = None,
    positive_label: str | None = None,
    settings: AutoMLSettings | None = None,
    block_sites: int = 10_000,
    workers: int | None = None,
) -> Prescreen:
    """The same screen as :func:`prescreen`, straight from a VCF, on one machine.

    One pass, streamed: :func:`vcfml.io.vcf_reader.read_vcf_blocks` reads
    ``block_sites`` records at a time with the compiled reader, the statistics
    of :func:`block_statistics` are computed on ``workers`` threads (default one
    per core) while the next block is read, and each row set's best
    ``max_sites`` sites so far are kept with their genotypes
    (:class:`RunningTopSites`); every other block is dropped once screened. So
    memory holds a few blocks, the kept sites and the statistics on all samples
    (24 bytes a site), however many sites the file has: a 10,000 x 10^6 cohort
    (10^10 calls, 10 GB as int8) is screened in under a GiB (``benchmarks/scale.py``
    records the peak in RESULTS.md). No conversion, so on
    a single machine this is the fast way; a cluster needs the VCF Zarr store
    and :func:`prescreen`. Both keep the same sites and give the same
    statistics (tested).
    """
    from vcfml.io.vcf_reader import read_vcf_blocks

    settings = (settings or AutoMLSettings(deterministic=True, max_trials=1)).resolved()
    n_workers = workers or os.cpu_count() or 1
    pending: deque[tuple[Future, GenotypeMatrix, int]] = deque()  # blocks being screened
    everyone: list[np.ndarray] = []  # statistics on all samples, block by block
    labelled = training_rows = weights = top = None
    n_blocks = n_sites = 0
    # closing(): the reader's file and thread end here, even when a block fails.
    with (
        ThreadPoolExecutor(max_workers=n_workers) as pool,
        closing(read_vcf_blocks(vcf, block_sites=block_sites)) as blocks,
    ):

        def take_oldest() -> None:
            future, block, offset = pending.popleft()
            statistics = future.result()
            # A copy: a view would keep every row set's statistics of the block.
            everyone.append(statistics[-1].copy())
            top.add(statistics, block, offset)

        for block in blocks:
            if labelled is None:
                labelled, training_rows = _labels_and_folds(
                    block.samples, Path(vcf), samples_table, target, covariates,
                    positive_label, settings,
                )  # fmt: skip
                covariate_values = labelled.covariates.to_numpy(dtype=np.float32)
                weights = screen_weights(labelled.target, training_rows, covariate_values)
                top = RunningTopSites(len(training_rows), settings.max_sites, settings.min_maf)
                male = screen_males(labelled)
            site_major = block.genotypes.T  # a view of the reader's variant-major buffer
            haploid = haploid_in_males(
                block.variants["chrom"], block.variants["pos"], build_of(block.contigs)
            )
            statistics = pool.submit(
                block_statistics, site_major, labelled.target, training_rows,
                covariate_values, weights, haploid, male,
            )  # fmt: skip
            pending.append((statistics, block, n_sites))
            n_sites += block.n_variants
            n_blocks += 1
            while len(pending) > n_workers:
                take_oldest()
        while pending:
            take_oldest()
    if n_sites == 0:
        raise VcfmlError(f"{vcf} has no variant records: nothing to screen")
    kept, genotypes, variants = top.result(f"{n_sites} sites in {vcf}")
    dataset = replace(labelled, genotypes=genotypes, variants=variants)
    table = pd.DataFrame(dict(zip(STATISTICS, np.concatenate(everyone, axis=1), strict=True)))
    return Prescreen(dataset=dataset, kept=kept, statistics=table, n_blocks=n_blocks)


class RunningTopSites:
    """Each row set's best ``count`` eligible sites so far, with their genotypes.

    Fed the statistics of consecutive blocks, it ends with exactly what
    :func:`top_sites` picks from all the statistics at once (ranked by score,
    the earlier site first on ties: merging the running best with a block's best
    keeps that order), and the genotype columns and variants of their union;
    the genotypes of a site no set ranks any more are dropped at once.
    """

    def __init__(self, n_sets: int, count: int, min_maf: float) -> None:
        self.count, self.min_maf = count, min_maf
        self.best = [np.empty(0, dtype=np.int64)] * n_sets
        self.best_scores = [np.empty(0)] * n_sets
        self.kept = np.empty(0, dtype=np.int64)
        self.genotypes: np.ndarray | None = None  # samples x kept
        self.variants: pd.DataFrame | None = None

    def add(self, statistics: np.ndarray, block: GenotypeMatrix, offset: int) -> None:
        """``statistics`` (sets, 3, sites) of ``block``, whose first site is site ``offset``."""
        for index, (maf, scores, _) in enumerate(statistics):
            chosen = top_sites(maf, scores, self.count, self.min_maf)
            sites = np.concatenate([self.best[index], chosen + offset])
            site_scores = np.concatenate(
                [self.best_scores[index], comparable_scores(scores[chosen])]
            )
            order = np.lexsort((sites, -site_scores))[: self.count]
            self.best[index], self.best_scores[index] = sites[order], site_scores[order]
        wanted = np.unique(np.concatenate(self.best))
        still = np.isin(self.kept, wanted)
        new = wanted[wanted >= offset] - offset
        if self.genotypes is not None and still.all() and new.size == 0:
            return  # the block added nothing: no copy of the kept genotypes
        columns = [block.genotypes[:, new]]
        rows = [block.variants.iloc[new]]
        if self.genotypes is not None:
            columns.insert(0, self.genotypes[:, still])
            rows.insert(0, self.variants.iloc[np.flatnonzero(still)])
        self.kept = np.concatenate([self.kept[still], new + offset])
        self.genotypes = np.ascontiguousarray(np.concatenate(columns, axis=1))
        self.variants = pd.concat(rows, ignore_index=True)

    def result(self, where: str) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
        """The kept sites (ascending), their genotypes (samples x sites) and variants."""
        if self.kept.size == 0:
            raise _nothing_kept(self.min_maf, where)
        return self.kept, self.genotypes, self.variants.reset_index(drop=True)


def _store_haploid_sites(dataset_zarr) -> np.ndarray:
    """Which sites of a VCF Zarr store males carry once (:func:`vcfml.genome.haploid_in_males`),
    the build from the stored chrX length."""
    names = [str(name) for name in np.asarray(dataset_zarr["contig_id"].values).tolist()]
    lengths: dict[str, int | None] = dict.fromkeys(names)
    if "contig_length" in dataset_zarr:
        lengths = dict(
            zip(names, np.asarray(dataset_zarr["contig_length"].values).tolist(), strict=True)
        )
    chrom = np.asarray(names, dtype=object)[np.asarray(dataset_zarr["variant_contig"].values)]
    return haploid_in_males(chrom, dataset_zarr["variant_position"].values, build_of(lengths))


def _labels_and_folds(samples, source, samples_table, target, covariates, positive_label, settings):
    """Target and covariates in the order of ``samples``, and the rows of every
    screen the AutoML run fits (:func:`vcfml.automl.splits.screened_rows`: each
    fold's training rows, the search samples, then every row, for the statistics
    reported on all samples)."""
    empty = GenotypeMatrix(
        genotypes=np.zeros((len(samples), 0), dtype=np.int8),
        variants=pd.DataFrame(columns=VARIANT_COLUMNS),
        samples=samples,
        source=source,
    )
    labelled = join_samples(
        empty, samples_table, target=target, covariates=covariates, positive_label=positive_label
    )
    y = labelled.target
    return labelled, screened_rows(y, settings)


def _kept_sites(statistics: np.ndarray, settings: AutoMLSettings, where: str) -> np.ndarray:
    """The union of every fold's top ``max_sites`` eligible sites."""
    kept = np.unique(
        np.concatenate(
            [
                top_sites(rows[0], rows[1], settings.max_sites, settings.min_maf)
                for rows in statistics
            ]
        )
    )
    if kept.size == 0:
        raise _nothing_kept(settings.min_maf, where)
    return kept


def _nothing_kept(min_maf: float, where: str) -> VcfmlError:
    """The error of a screen that keeps no site (both screens raise it)."""
    return VcfmlError(
        f"no variants left after filtering (min_maf={min_maf}, {where}, none polymorphic enough)"
    )
