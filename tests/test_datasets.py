"""The committed datasets in data/ regenerate byte for byte (``make data``)."""

from __future__ import annotations

import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
from make_data import load_spec, make_datasets


def test_committed_datasets_regenerate_identically(tmp_path):
    spec = load_spec()
    assert set(spec) == {"classic", "liability", "coalescent"}
    make_datasets(tmp_path)
    cohort_files = ["cohort.vcf.gz", "cohort.vcf.gz.tbi", "samples.tsv", "truth.json"]
    for name in spec:
        folder = ROOT / "data" / name
        committed = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.*"))
        test_files = [f"test/{file}" for file in cohort_files] if name == "coalescent" else []
        assert committed == sorted(cohort_files + test_files)
        for file in committed:
            fresh = (tmp_path / name / file).read_bytes()
            assert fresh == (ROOT / "data" / name / file).read_bytes(), (
                f"data/{name}/{file} differs from what `make data` writes"
            )


def test_seed_offset_gives_other_data(tmp_path):
    make_datasets(tmp_path, seed_offset=100, spec={"classic": load_spec()["classic"]})
    assert (tmp_path / "classic" / "truth.json").read_bytes() != (
        ROOT / "data" / "classic" / "truth.json"
    ).read_bytes()
