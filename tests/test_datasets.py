"""The committed datasets in data/ regenerate byte for byte (``make data``)."""

from __future__ import annotations

import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
from make_data import load_spec, make_datasets, make_hapmap3


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


def test_hapmap3_vcf_regenerates_identically(tmp_path):
    """The real data: the VCF, its index and the samples table come back byte for
    byte from the committed PLINK files, and SHA256SUMS lists them."""
    folder = make_hapmap3(tmp_path)
    written = sorted(p.name for p in folder.iterdir())
    assert written == ["hapmap3.vcf.gz", "hapmap3.vcf.gz.tbi", "samples.tsv"]
    listed = (ROOT / "data" / "SHA256SUMS").read_text()
    for name in written:
        assert (folder / name).read_bytes() == (ROOT / "data" / "hapmap3" / name).read_bytes(), (
            f"data/hapmap3/{name} differs from what `make data` writes"
        )
        assert f"  hapmap3/{name}\n" in listed
    for name in ["HM3_thinned_autosomal_overlap.bed", "relationships_w_pops_121708.txt"]:
        assert f"  hapmap3/source/{name}\n" in listed
