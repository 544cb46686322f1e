"""Regenerate the course datasets in data/ from data/datasets.yml (``make data``).

Each dataset is simulated with its seed and written with vcfml, so the files are
identical byte for byte on every machine with the pinned package versions
(checked on x86-64; libdeflate, which compresses the VCFs, is portable C).
``--seed-offset`` (used by workshop builds) shifts every seed so a workshop
gets its own data and its own answers; ``--out`` writes somewhere else.
``SHA256SUMS`` lists every file's checksum, for ``make check-env``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from vcfml.check.environment import write_checksums
from vcfml.simulate import simulate

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "data" / "datasets.yml"


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "data")
    parser.add_argument("--seed-offset", type=int, default=0)
    args = parser.parse_args()
    for folder in make_datasets(args.out, args.seed_offset):
        print(f"wrote {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
