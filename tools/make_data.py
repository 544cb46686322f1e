"""Regenerate the course datasets in data/ from data/datasets.yml (``make data``).

Each dataset is simulated with its seed and written with vcfml, so the files are
identical byte for byte on every machine with the pinned package versions
(checked on x86-64; libdeflate, which compresses the VCFs, is portable C).
``--seed-offset`` (used by workshop builds) shifts every seed so a workshop
gets its own data and its own answers; ``--out`` writes somewhere else.
``SHA256SUMS`` lists every file's checksum, for ``make check-env``.

The real data, ``hapmap3/``, are not simulated: :func:`make_hapmap3` converts the
committed PLINK 1 files in ``data/hapmap3/source/`` (see its ``PROVENANCE.md``)
into ``hapmap3.vcf.gz`` (+ ``.tbi``) and ``samples.tsv``, with vcfml's own reader
and writer, so the bytes do not depend on a plink2 build.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd
import yaml

from vcfml.check.environment import write_checksums
from vcfml.io.plink_bed import read_bed
from vcfml.io.vcf_writer import write_vcf
from vcfml.simulate import simulate

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "data" / "datasets.yml"
HAPMAP3_SOURCE = ROOT / "data" / "hapmap3" / "source"
HAPMAP3_PREFIX = "HM3_thinned_autosomal_overlap"
HAPMAP3_POPULATIONS = "relationships_w_pops_121708.txt"
# NCBI build 36.1 (UCSC hg18) chromosome lengths, from UCSC's hg18 chromInfo table
# (hgdownload.soe.ucsc.edu/goldenPath/hg18/database/chromInfo.txt.gz); see
# data/hapmap3/source/PROVENANCE.md for how they were checked.
NCBI36_LENGTHS = {
    "1": 247249719, "2": 242951149, "3": 199501827, "4": 191273063, "5": 180857866,
    "6": 170899992, "7": 158821424, "8": 146274826, "9": 140273252, "10": 135374737,
    "11": 134452384, "12": 132349534, "13": 114142980, "14": 106368585, "15": 100338915,
    "16": 88827254, "17": 78774742, "18": 76117153, "19": 63811651, "20": 62435964,
    "21": 46944323, "22": 49691432,
}  # fmt: skip
# HapMap 3 population -> continental group, as the 1000 Genomes Project's
# super-populations group the same populations (ASW, LWK, YRI: AFR; CEU, TSI: EUR;
# CHB, JPT: EAS; GIH: SAS; MEX as MXL: AMR); MKK (Maasai, Kenya) and CHD (Chinese
# in Denver) are not in 1000 Genomes and go with their continent of origin.
CONTINENTAL_GROUPS = {
    "ASW": "AFR", "LWK": "AFR", "MKK": "AFR", "YRI": "AFR",
    "CEU": "EUR", "TSI": "EUR",
    "CHB": "EAS", "CHD": "EAS", "JPT": "EAS",
    "GIH": "SAS",
    "MEX": "AMR",
}  # fmt: skip


def load_spec(path: Path = SPEC) -> dict[str, dict]:
    return yaml.safe_load(path.read_text())


def make_datasets(out: Path, seed_offset: int = 0, spec: dict | None = None) -> list[Path]:
    written = []
    for name, settings in (spec or load_spec()).items():
        parameters = {
            k: v for k, v in settings.items() if k not in {"description", "model", "seed"}
        }
        cohort = simulate(settings["model"], seed=settings["seed"] + seed_offset, **parameters)
        written.append(cohort.write(out / name))
    write_checksums(out)
    return written


def make_hapmap3(out: Path, source: Path = HAPMAP3_SOURCE) -> Path:
    """Convert the committed HapMap 3 PLINK files into ``out/hapmap3/``.

    REF is the ``.bim``'s A2 and ALT its A1, sample names are the IIDs, as
    ``plink2 --export vcf id-paste=iid`` writes them (a test compares every call);
    the contig lines carry NCBI build 36 lengths, which plink2's export lacks.
    ``samples.tsv``: sample_id, sex (from the .fam), population (from
    relationships_w_pops_121708.txt) and continental group.
    """
    folder = out / "hapmap3"
    folder.mkdir(parents=True, exist_ok=True)
    dosages, bim, fam = read_bed(source / HAPMAP3_PREFIX)
    unknown = sorted(set(bim["chrom"]) - set(NCBI36_LENGTHS))
    if unknown:
        raise ValueError(f"contigs without a build 36 length: {', '.join(unknown)}")
    variants = bim.rename(columns={"a2": "ref", "a1": "alt"})[["chrom", "pos", "id", "ref", "alt"]]
    populations = pd.read_csv(source / HAPMAP3_POPULATIONS, sep="\t", dtype=str)
    population = fam["iid"].map(populations.set_index("IID")["population"])
    if population.isna().any():
        raise ValueError(f"no population for {fam['iid'][population.isna()].tolist()}")
    samples = pd.DataFrame(
        {
            "sample_id": fam["iid"],
            "sex": fam["sex"].map({1: "male", 2: "female"}),
            "population": population,
            "continental_group": population.map(CONTINENTAL_GROUPS),
        }
    )
    write_vcf(
        folder / "hapmap3.vcf.gz",
        dosages,
        variants,
        samples["sample_id"].tolist(),
        contigs=NCBI36_LENGTHS,
        meta=[
            "reference=NCBI36",
            f"source=vcfml tools/make_data.py from {HAPMAP3_PREFIX}.bed/.bim/.fam "
            "(github.com/gabraham/flashpca b8044f13607a072125828547684fde8b081d6191, "
            "HapMap3/); REF = .bim A2, ALT = .bim A1",
        ],
    )
    samples.to_csv(folder / "samples.tsv", sep="\t", index=False, lineterminator="\n")
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "data")
    parser.add_argument("--seed-offset", type=int, default=0)
    args = parser.parse_args()
    for folder in make_datasets(args.out, args.seed_offset):
        print(f"wrote {folder}")
    print(f"wrote {make_hapmap3(args.out)}")
    write_checksums(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
