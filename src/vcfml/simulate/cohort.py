"""A simulated cohort in memory, and how it is written to disk.

A cohort on disk is a directory with three files:

* ``cohort.vcf.gz`` (+ ``.tbi``): the genotypes, as a real VCF 4.3 file;
* ``samples.tsv``: ``sample_id``, ``sex``, ``phenotype`` (and ``population``);
* ``truth.json``: the model, its parameters and seed, the causal sites and the
  Bayes-optimal accuracy and AUC, i.e. everything a learner is graded against.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from vcfml.io.vcf_writer import write_vcf

VCF_NAME = "cohort.vcf.gz"
SAMPLES_NAME = "samples.tsv"
TRUTH_NAME = "truth.json"


@dataclass
class SimulatedCohort:
    """Everything a simulator produces, before it is written.

    Attributes:
        genotypes: (n_samples, n_sites) int8 dosages as observed (-1 missing).
        depth: (n_samples, n_sites) uint8 read depths for FORMAT DP.
        variants: sites table (chrom, pos, id, ref, alt).
        samples: table with sample_id, sex, phenotype (and population).
        contigs: contig lengths for the VCF header.
        truth: the JSON-ready description of the model and its answer.
        haploid: boolean per sample, True where chrX calls are haploid (males).
        haploid_sites: boolean per site, where the ``haploid`` samples get
            haploid calls; None means every chrX site (see ``write_vcf``).
    """

    genotypes: np.ndarray
    depth: np.ndarray
    variants: pd.DataFrame
    samples: pd.DataFrame
    contigs: dict[str, int]
    truth: dict
    haploid: np.ndarray | None = None
    haploid_sites: np.ndarray | None = None

    def write(self, directory: str | PathLike[str]) -> Path:
        """Write the cohort's three files into ``directory`` (created if needed)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        command = " ".join(
            [f"model={self.truth['model']}", f"seed={self.truth['seed']}"]
            + [f"{key}={value}" for key, value in self.truth["parameters"].items()]
        )
        write_vcf(
            directory / VCF_NAME,
            self.genotypes,
            self.variants,
            self.samples["sample_id"].tolist(),
            contigs=self.contigs,
            depth=self.depth,
            haploid_samples=self.haploid,
            haploid_sites=self.haploid_sites,
            meta=[f"source=vcfml.simulate {command}"],
        )
        self.samples.to_csv(directory / SAMPLES_NAME, sep="\t", index=False, lineterminator="\n")
        (directory / TRUTH_NAME).write_text(json.dumps(self.truth, indent=2) + "\n")
        return directory


def sample_ids(n_samples: int) -> list[str]:
    """Zero-padded IDs so that they sort in cohort order."""
    width = max(4, len(str(n_samples)))
    return [f"sample_{index:0{width}d}" for index in range(1, n_samples + 1)]


def read_depths(n_samples: int, n_sites: int, rng: np.random.Generator, missing: np.ndarray):
    """Plausible FORMAT DP values: around 30x, low where the call is missing."""
    depth = np.minimum(rng.poisson(30, size=(n_samples, n_sites)), 99).astype(np.uint8)
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
