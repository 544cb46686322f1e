"""A simulated cohort in memory, and how it is written to disk.

A cohort on disk is a directory with three files:

* ``cohort.vcf.gz`` (+ ``.tbi``): the genotypes, as a real VCF 4.3 file;
* ``samples.tsv``: ``sample_id``, ``sex``, ``phenotype`` (and ``population``);
* ``truth.json``: the model, its parameters and seed, the causal sites and the
  Bayes-optimal accuracy and AUC, i.e. everything a learner is graded against.

A cohort is written a block of sites at a time (:meth:`SimulatedCohort.blocks`).
The liability and classic simulators return a :class:`StreamedCohort`, which
draws its genotypes again block by block when written, so that a cohort of 10^9
calls never has its matrix in memory.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from vcfml.io.paths import folder_written_whole
from vcfml.io.vcf_writer import write_vcf_blocks

VCF_NAME = "cohort.vcf.gz"
SAMPLES_NAME = "samples.tsv"
TRUTH_NAME = "truth.json"
STREAM_BLOCK = 4096  # sites per block when a cohort is drawn or written in blocks

# draw_blocks(with_depth): (genotypes, depth or None) by blocks of sites.
Blocks = Callable[[bool], Iterator[tuple[np.ndarray, np.ndarray | None]]]


def keyword_signature(model_class: type, returns: type) -> inspect.Signature:
    """The signature of a ``simulate_*(**parameters)`` function: the model
    dataclass's fields as keyword-only parameters with their defaults.

    The simulators take ``**parameters`` and build their model dataclass from
    them, so the defaults live in one place; giving the function this signature
    makes ``help()`` and editors show the real parameters, not ``**parameters``.
    """
    fields = inspect.signature(model_class, eval_str=True).parameters.values()
    keywords = [field.replace(kind=inspect.Parameter.KEYWORD_ONLY) for field in fields]
    return inspect.Signature(keywords, return_annotation=returns)


@dataclass
class SimulatedCohort:
    """Everything a simulator produces, before it is written.

    Attributes:
        genotypes: (n_samples, n_sites) int8 dosages as observed (-1 missing).
        depth: (n_samples, n_sites) uint8 read depths for FORMAT DP, or None
            (a genotype-only file).
        variants: sites table (chrom, pos, id, ref, alt).
        samples: table with sample_id, sex, phenotype (and population).
        contigs: contig lengths for the VCF header.
        truth: the JSON-ready description of the model and its answer.
        haploid: boolean per sample, True where chrX calls are haploid (males).
        haploid_sites: boolean per site, where the ``haploid`` samples get
            haploid calls; None means every chrX site (see ``write_vcf``).
    """

    genotypes: np.ndarray
    depth: np.ndarray | None
    variants: pd.DataFrame
    samples: pd.DataFrame
    contigs: dict[str, int]
    truth: dict
    haploid: np.ndarray | None = None
    haploid_sites: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, int]:
        """(n_samples, n_sites), without drawing the genotypes."""
        return len(self.samples), len(self.variants)

    def has_depth(self) -> bool:
        return self.depth is not None

    def blocks(self, with_depth: bool = True) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
        """(genotypes, depth) for consecutive blocks of sites (views, no copies);
        depth is None without one or when ``with_depth`` is False."""
        genotypes, depth = self.genotypes, self.depth if with_depth else None
        for start in range(0, self.shape[1], STREAM_BLOCK):
            stop = start + STREAM_BLOCK
            yield genotypes[:, start:stop], None if depth is None else depth[:, start:stop]

    def write(
        self,
        directory: str | PathLike[str],
        *,
        with_depth: bool | None = None,
        if_exists: str = "update",
    ) -> Path:
        """Write the cohort's three files into ``directory``.

        The files are written into a temporary sibling folder and moved into
        place only when all are complete (:func:`vcfml.io.paths.folder_written_whole`),
        so a failure or a Ctrl-C leaves no half-written cohort, and a new
        ``directory`` appears whole or not at all.

        Args:
            with_depth: ``False`` leaves FORMAT/DP out: a genotype-only file
                (GT), as the scale benchmark uses; by default DP is written
                when there is one.
            if_exists: an existing ``directory``: ``"update"`` (the default)
                replaces the cohort's files in it, one by one; ``"replace"``
                replaces the folder whole (``vcfml simulate --overwrite``);
                ``"fail"`` refuses it (``vcfml simulate``), also when another
                run creates it while this one writes.
        """
        with folder_written_whole(directory, if_exists) as folder:
            self._write_files(folder, with_depth)
        return Path(directory)

    def _write_files(self, directory: Path, with_depth: bool | None = None) -> None:
        """The cohort's files, written into an existing (temporary) folder."""
        with_depth = self.has_depth() if with_depth is None else with_depth and self.has_depth()
        command = " ".join(
            [f"model={self.truth['model']}", f"seed={self.truth['seed']}"]
            + [f"{key}={value}" for key, value in self.truth["parameters"].items()]
        )
        write_vcf_blocks(
            directory / VCF_NAME,
            self.blocks(with_depth),
            self.variants,
            self.samples["sample_id"].tolist(),
            contigs=self.contigs,
            with_depth=with_depth,
            haploid_samples=self.haploid,
            haploid_sites=self.haploid_sites,
            meta=[f"source=vcfml.simulate {command}"],
        )
        self.samples.to_csv(directory / SAMPLES_NAME, sep="\t", index=False, lineterminator="\n")
        (directory / TRUTH_NAME).write_text(json.dumps(self.truth, indent=2) + "\n")


class StreamedCohort(SimulatedCohort):
    """A cohort whose genotypes and depths are drawn again, block by block, by
    ``draw_blocks`` each time they are needed; its matrices are never stored.

    ``genotypes`` and ``depth`` assemble the whole matrix on each access, for
    small cohorts in notebooks and tests; ``write`` streams.
    """

    def __init__(
        self,
        variants: pd.DataFrame,
        samples: pd.DataFrame,
        contigs: dict[str, int],
        truth: dict,
        haploid: np.ndarray | None = None,
        *,
        draw_blocks: Blocks,
        haploid_sites: np.ndarray | None = None,
    ) -> None:
        self.variants = variants
        self.samples = samples
        self.contigs = contigs
        self.truth = truth
        self.haploid = haploid
        self.haploid_sites = haploid_sites
        self._draw_blocks = draw_blocks

    @property
    def genotypes(self) -> np.ndarray:  # type: ignore[override]
        return self._assemble(0, np.int8)

    @property
    def depth(self) -> np.ndarray:  # type: ignore[override]
        return self._assemble(1, np.uint8)

    def has_depth(self) -> bool:
        return True

    def blocks(self, with_depth: bool = True) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
        """Draws the blocks again; without depth the depths are not drawn at all
        (a genotype-only file is written about twice as fast)."""
        return self._draw_blocks(with_depth)

    def _assemble(self, part: int, dtype) -> np.ndarray:
        pieces = [block[part] for block in self.blocks(with_depth=part == 1)]
        if not pieces:
            return np.empty(self.shape, dtype=dtype)
        return np.concatenate(pieces, axis=1)

    def __repr__(self) -> str:
        n_samples, n_sites = self.shape
        return f"StreamedCohort({self.truth.get('model')}: {n_samples} samples x {n_sites} sites)"


def sample_ids(n_samples: int) -> list[str]:
    """Zero-padded IDs so that they sort in cohort order."""
    width = max(4, len(str(n_samples)))
    return [f"sample_{index:0{width}d}" for index in range(1, n_samples + 1)]


def read_depths(n_samples: int, n_sites: int, rng: np.random.Generator, missing: np.ndarray):
    """Plausible FORMAT DP values: around 30x, low where the call is missing."""
    return depths_from_draws(rng.poisson(30, size=(n_samples, n_sites)), missing)


def depths_from_draws(poisson_draws: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """DP from Poisson(30) draws: capped at 99, a tenth where the call is missing."""
    depth = np.minimum(poisson_draws, 99).astype(np.uint8)
    depth[missing] //= 10
    return depth


def causal_site_records(variants: pd.DataFrame, sites: np.ndarray, **columns) -> list[dict]:
    """Describe causal sites for truth.json: location, alleles, then model values."""
    records = []
    for row, site in enumerate(sites):
        record = {
            "chrom": str(variants["chrom"].iloc[site]),
            "pos": int(variants["pos"].iloc[site]),
            "id": str(variants["id"].iloc[site]),
            "ref": str(variants["ref"].iloc[site]),
            "alt": str(variants["alt"].iloc[site]),
        }
        for key, values in columns.items():
            value = values[row]
            record[key] = (
                round(float(value), 6) if isinstance(value, (float, np.floating)) else value
            )
        records.append(record)
    return records
