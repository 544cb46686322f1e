"""The chunked path (VCF Zarr + Dask) against the in-memory path on the same data.

The same cohort is read with read_vcf and converted with bio2zarr; dosages,
variants, screening statistics and a whole deterministic AutoML run must agree,
on Dask's local scheduler and on a LocalCluster started here.
"""

from __future__ import annotations

import gzip
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pysam
import pytest
from conftest import vcf_text
from hypothesis import example, given, settings
from hypothesis import strategies as st

from vcfml import read_vcf
from vcfml.automl import AutoMLSettings, run_automl
from vcfml.automl.screening import (
    GenotypeScreen,
    association_scores,
    column_means,
    screen_ploidy,
)
from vcfml.errors import VcfmlError, VcfmlInputError
from vcfml.features import join_samples
from vcfml.io.vcf_zarr import open_vcf_zarr, site_major_dosages, variants_table, vcf_to_zarr
from vcfml.scale import block_statistics, prescreen, prescreen_vcf

ROOT = Path(__file__).resolve().parents[1]

# The one-site screen: the chunked screen keeps the top sites of that ranking (scale.py).
SETTINGS = AutoMLSettings(
    deterministic=True, max_trials=5, max_sites=40, folds=3, verbose=0, screen="marginal"
)


@pytest.fixture(scope="module")
def store(liability_dir, tmp_path_factory):
    # Blocks of 150 sites: the 800 sites of the cohort span six chunks.
    out = tmp_path_factory.mktemp("zarr") / "cohort.vcz"
    return vcf_to_zarr(liability_dir / "cohort.vcf.gz", out, workers=0, variants_chunk_size=150)


@pytest.fixture(scope="module")
def in_memory(liability_dir):
    return join_samples(read_vcf(liability_dir / "cohort.vcf.gz"), liability_dir / "samples.tsv")


def test_store_holds_the_same_genotypes_and_variants(store, in_memory):
    dataset = open_vcf_zarr(store)
    dosages = site_major_dosages(dataset)
    assert dosages.numblocks[0] == 6  # lazy and chunked, not one array
    assert np.array_equal(dosages.compute().T, in_memory.genotypes)
    assert (in_memory.genotypes == -1).any()  # missing calls are part of the comparison
    males_x = in_memory.genotypes[:, (in_memory.variants["chrom"] == "chrX").to_numpy()]
    assert males_x.size and set(np.unique(males_x)) <= {-1, 0, 1, 2}
    table = variants_table(dataset, np.arange(dosages.shape[0]))
    pd.testing.assert_frame_equal(
        table.reset_index(drop=True),
        in_memory.variants.reset_index(drop=True),
        check_dtype=False,
    )


def test_screen_statistics_match_the_in_memory_screen(store, in_memory, liability_dir):
    result = prescreen(store, liability_dir / "samples.tsv", settings=SETTINGS)
    screen = GenotypeScreen(n_sites=SETTINGS.max_sites, min_maf=SETTINGS.min_maf)
    covariates = in_memory.covariates.to_numpy(dtype=np.float32)
    # The in-memory screen as the search fits it: with its ploidy rule (chrX males once).
    screen.fit(in_memory.genotypes, in_memory.target, covariates, screen_ploidy(in_memory))
    assert np.ndim(screen_ploidy(in_memory)) == 2  # the cohort has males and chrX sites
    np.testing.assert_allclose(result.statistics["maf"], screen.maf_)
    np.testing.assert_allclose(result.statistics["score"], screen.scores_, equal_nan=True)
    np.testing.assert_allclose(result.statistics["pvalue"], screen.pvalues_, equal_nan=True)
    assert set(screen.ranking_[: SETTINGS.max_sites]) <= set(result.kept)
    assert result.n_blocks == 6
    assert SETTINGS.max_sites <= result.kept.size < in_memory.genotypes.shape[1]
    assert result.dataset.samples == in_memory.samples
    assert np.array_equal(result.dataset.genotypes, in_memory.genotypes[:, result.kept])


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_samples=st.integers(40, 90),
    n_covariates=st.integers(0, 2),
    missing=st.sampled_from([0.0, 0.1, 0.6]),
)
def test_block_statistics_equal_each_row_sets_own_screen(seed, n_samples, n_covariates, missing):
    """The one-pass sums give, for every row set, the MAF, score and p-value of the
    in-memory screen's functions fitted on that set's rows alone: with missing
    calls, covariates, monomorphic sites and sites constant within one set."""
    rng = np.random.default_rng(seed)
    genotypes = rng.integers(0, 3, (n_samples, 30)).astype(np.int8)
    genotypes[:, :3] = [0, 2, 1]  # monomorphic sites (one all heterozygous)
    genotypes[: n_samples // 2, 3] = 1  # polymorphic, constant in the first half
    genotypes[rng.random(genotypes.shape) < missing] = -1
    genotypes[:, 4] = -1  # nothing called
    y = rng.integers(0, 2, n_samples).astype(float)
    y[:2] = [0, 1]
    covariates = rng.normal(size=(n_samples, n_covariates)).astype(np.float32)  # no separation
    rows = [np.arange(n_samples // 2), rng.permutation(n_samples)[: n_samples - 3],
            np.arange(n_samples)]  # fmt: skip
    result = block_statistics(np.ascontiguousarray(genotypes.T), y, rows, covariates)
    assert result.shape == (3, 3, 30)
    for index, chosen in enumerate(rows):
        means, maf = column_means(genotypes[chosen])
        scores, pvalues = association_scores(
            genotypes[chosen], y[chosen], means, covariates[chosen]
        )
        np.testing.assert_allclose(result[index, 0], maf, rtol=1e-12)
        np.testing.assert_allclose(result[index, 1], scores, rtol=1e-6, atol=1e-9, equal_nan=True)
        np.testing.assert_allclose(result[index, 2], pvalues, rtol=1e-7, atol=1e-12, equal_nan=True)
    assert np.isnan(result[:, 1, :3]).all() and np.isnan(result[:, 1, 4]).all()
    assert np.isnan(result[0, 1, 3])  # constant among the first half's rows


def test_screen_straight_from_the_vcf_equals_the_zarr_screen(store, liability_dir):
    from_zarr = prescreen(store, liability_dir / "samples.tsv", settings=SETTINGS)
    from_vcf = prescreen_vcf(
        liability_dir / "cohort.vcf.gz",
        liability_dir / "samples.tsv",
        settings=SETTINGS,
        block_sites=150,
    )
    np.testing.assert_array_equal(from_vcf.kept, from_zarr.kept)
    pd.testing.assert_frame_equal(from_vcf.statistics, from_zarr.statistics)
    assert from_vcf.n_blocks == 6
    assert from_vcf.dataset.samples == from_zarr.dataset.samples
    np.testing.assert_array_equal(from_vcf.dataset.genotypes, from_zarr.dataset.genotypes)
    np.testing.assert_array_equal(from_vcf.dataset.target, from_zarr.dataset.target)
    pd.testing.assert_frame_equal(
        from_vcf.dataset.variants, from_zarr.dataset.variants, check_dtype=False
    )


def test_automl_on_the_prescreen_equals_automl_on_everything(store, in_memory, liability_dir):
    chunked = prescreen(store, liability_dir / "samples.tsv", settings=SETTINGS)
    expected = run_automl(in_memory, SETTINGS)
    observed = run_automl(chunked.dataset, SETTINGS)
    timing = [column for column in expected.leaderboard if "second" in column]
    pd.testing.assert_frame_equal(
        observed.leaderboard.drop(columns=timing), expected.leaderboard.drop(columns=timing)
    )
    assert observed.cv_metrics == expected.cv_metrics
    expected_p = expected.model.predict_proba(in_memory)
    observed_p = observed.model.predict_proba(chunked.dataset)
    np.testing.assert_allclose(observed_p, expected_p)


def test_local_cluster_gives_the_same_screen(store, liability_dir):
    distributed = pytest.importorskip("distributed")
    local = prescreen(store, liability_dir / "samples.tsv", settings=SETTINGS)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        by_client = prescreen(
            store, liability_dir / "samples.tsv", settings=SETTINGS, scheduler=client
        )
        by_address = prescreen(
            store,
            liability_dir / "samples.tsv",
            settings=SETTINGS,
            scheduler=cluster.scheduler_address,
        )
        ran_on = set(client.run(lambda: True))
    assert len(ran_on) == 2  # two worker processes took part
    for result in (by_client, by_address):
        np.testing.assert_array_equal(result.kept, local.kept)
        pd.testing.assert_frame_equal(result.statistics, local.statistics)
        np.testing.assert_array_equal(result.dataset.genotypes, local.dataset.genotypes)


def test_bad_inputs_name_the_file(tmp_path, liability_dir, store):
    with pytest.raises(VcfmlInputError, match="no such file"):
        vcf_to_zarr(tmp_path / "absent.vcf.gz", tmp_path / "out.vcz")
    unindexed = tmp_path / "unindexed.vcf.gz"
    unindexed.write_bytes((liability_dir / "cohort.vcf.gz").read_bytes())
    with pytest.raises(VcfmlInputError, match="needs a tabix or CSI index"):
        vcf_to_zarr(unindexed, tmp_path / "out.vcz")
    with pytest.raises(VcfmlInputError, match="already exists"):
        vcf_to_zarr(liability_dir / "cohort.vcf.gz", store)
    with pytest.raises(VcfmlInputError, match="is a folder"):
        vcf_to_zarr(tmp_path, tmp_path / "out.vcz")
    # Plain gzip cannot be indexed: the advice is bgzip, not tabix alone.
    gzipped = tmp_path / "plain_gzip.vcf.gz"
    gzipped.write_bytes(gzip.compress(gzip.decompress(unindexed.read_bytes())))
    with pytest.raises(VcfmlInputError, match=r"not bgzip-compressed.*bgzip -c"):
        vcf_to_zarr(gzipped, tmp_path / "out.vcz")
    with pytest.raises(VcfmlInputError, match="no such VCF Zarr store"):
        open_vcf_zarr(tmp_path / "nothing.vcz")
    (tmp_path / "empty.vcz").mkdir()
    with pytest.raises(VcfmlInputError, match=r"empty\.vcz"):
        open_vcf_zarr(tmp_path / "empty.vcz")
    other = tmp_path / "other.tsv"
    other.write_text("sample_id\tphenotype\nnobody\t1\nsomebody\t0\n")
    with pytest.raises(VcfmlInputError, match=r"other\.tsv"):
        prescreen(store, other, settings=SETTINGS)


def test_a_store_without_polymorphic_sites_is_refused(tmp_path):
    samples = ["a", "b", "c", "d"]
    plain = tmp_path / "flat.vcf"
    plain.write_text(vcf_text(samples, ["chr1 100 . A C . PASS . GT 0/0 0/0 0/0 0/0"]))
    store = vcf_to_zarr(
        pysam.tabix_index(str(plain), preset="vcf"), tmp_path / "flat.vcz", workers=0
    )
    table = pd.DataFrame({"phenotype": [0, 1, 0, 1]}, index=pd.Index(samples, name="sample_id"))
    settings = AutoMLSettings(deterministic=True, max_trials=1, folds=2, verbose=0, test_size=0)
    with pytest.raises(VcfmlError, match="no variants left"):
        prescreen(store, table, settings=settings)
    with pytest.raises(VcfmlError, match=r"cannot hold out a stratified test share of 0\.2"):
        prescreen(store, table, settings=replace(settings, test_size=0.2))


def test_multiallelic_sites_are_refused_with_the_fix(tmp_path):
    text = vcf_text(
        ["a", "b"],
        [
            "chr1 100 . A C,G . PASS . GT 0/1 1/2",
            "chr1 200 . C T . PASS . GT 0/0 0/1",
        ],
    )
    plain = tmp_path / "multi.vcf"
    plain.write_text(text)
    vcf = pysam.tabix_index(str(plain), preset="vcf", force=True)  # bgzip + .tbi
    store = vcf_to_zarr(vcf, tmp_path / "multi.vcz", workers=0)
    with pytest.raises(VcfmlInputError, match="bcftools norm -m-"):
        site_major_dosages(open_vcf_zarr(store))


def test_cli_converts_and_reports_bad_input(liability_dir, tmp_path, capsys):
    from vcfml.cli import main

    assert main(["to-zarr", str(liability_dir / "cohort.vcf.gz"), "--out", str(tmp_path / "c.vcz"),
                 "--workers", "0", "--chunk", "300"]) == 0  # fmt: skip
    assert "300 samples x 800 sites in chunks of 300 sites" in capsys.readouterr().out
    assert open_vcf_zarr(tmp_path / "c.vcz")["call_genotype"].data.numblocks[0] == 3
    assert main(["to-zarr", str(tmp_path / "absent.vcf.gz"), "--out", str(tmp_path / "x")]) == 1
    error = capsys.readouterr().err
    assert (
        error.startswith("vcfml: error: ") and "absent.vcf.gz" in error and "no such file" in error
    )


def test_without_the_scale_extra_the_error_says_what_to_install(
    monkeypatch, liability_dir, tmp_path, capsys
):
    """The Azure environment has no Dask: chapter 6's tools say how to get them."""
    import sys

    from vcfml.cli import main

    monkeypatch.setitem(sys.modules, "xarray", None)  # importing it now raises ImportError
    for name in ["vcfml.io.vcf_zarr", "vcfml.scale"]:
        monkeypatch.delitem(sys.modules, name, raising=False)
    with pytest.raises(ImportError, match=r"needs the 'scale' extra.*xarray is missing"):
        import vcfml.scale  # noqa: F401
    status = main(["to-zarr", str(liability_dir / "cohort.vcf.gz"), "--out", str(tmp_path / "s")])
    assert status != 0
    assert 'pip install -e ".[scale]"' in capsys.readouterr().err
    assert not (tmp_path / "s").exists()


def test_store_frequencies_follow_the_readers_definition(tmp_path):
    """A call with a missing allele (./1) is left out whole, a haploid call counts once:
    the store's ``af`` is vcfml.stats' allele frequency, the same as read_vcf's."""
    text = vcf_text(
        ["a", "b", "c", "d"],
        [
            "chr1 100 . A C . PASS . GT ./1 0/1 1/1 0/0",  # half-missing: 3 of 6 alleles
            "chrX 5000000 . C T . PASS . GT 1 0/1 0 ./.",  # two haploid calls: 2 of 4
        ],
    )
    plain = tmp_path / "mixed.vcf"
    plain.write_text(text)
    vcf = pysam.tabix_index(str(plain), preset="vcf", force=True)
    dataset = open_vcf_zarr(vcf_to_zarr(vcf, tmp_path / "mixed.vcz", workers=0))
    table = variants_table(dataset, np.arange(2))
    np.testing.assert_allclose(table["af"], [0.5, 0.5])
    np.testing.assert_allclose(table["af"], read_vcf(vcf).variants["af"])


def test_the_screen_does_not_import_the_search_engine():
    """The chapter 6 screen splits samples as the search does (automl.splits) but
    must not pay for importing FLAML, LightGBM or MLflow in each process."""
    import subprocess
    import sys

    code = (
        "import sys, vcfml.scale, vcfml.automl; "
        "print(sorted(m for m in ('flaml', 'lightgbm', 'mlflow') if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "[]"


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_sites=st.integers(1, 120),
    block=st.integers(1, 50),
    count=st.integers(1, 15),
    min_maf=st.sampled_from([0.0, 0.1]),
)
@example(seed=34, n_sites=1, block=1, count=1, min_maf=0.1)  # a first block with no eligible site
def test_running_top_sites_keep_what_the_whole_ranking_keeps(seed, n_sites, block, count, min_maf):
    """Block by block, with tied scores, NaN scores and rare sites, the running best
    of every row set is the whole ranking's (``_kept_sites``), the genotypes kept
    are those sites' columns, and no more than sets x count columns are ever held."""
    from vcfml.io.vcf_reader import GenotypeMatrix
    from vcfml.scale import RunningTopSites, _kept_sites

    rng = np.random.default_rng(seed)
    n_sets, n_samples = 3, 5
    statistics = np.empty((n_sets, 3, n_sites))
    statistics[:, 0] = rng.choice([0.05, 0.2, 0.4], size=(n_sets, n_sites))
    statistics[:, 1] = rng.choice([np.nan, 0.0, 1.0, 2.5, 7.0], size=(n_sets, n_sites))
    statistics[:, 2] = rng.random((n_sets, n_sites))
    genotypes = rng.integers(-1, 3, (n_samples, n_sites)).astype(np.int8)
    variants = pd.DataFrame({"id": [f"site{i}" for i in range(n_sites)]})
    whole_settings = replace(SETTINGS, max_sites=count, min_maf=min_maf)
    try:
        expected = _kept_sites(statistics, whole_settings, "test")
    except VcfmlError:
        expected = np.empty(0, dtype=np.int64)
    top = RunningTopSites(n_sets, count, min_maf)
    for start in range(0, n_sites, block):
        piece = GenotypeMatrix(
            genotypes=genotypes[:, start : start + block],
            variants=variants.iloc[start : start + block].reset_index(drop=True),
            samples=[f"s{i}" for i in range(n_samples)],
            source=None,
        )
        top.add(statistics[:, :, start : start + block], piece, start)
        assert top.genotypes.shape[1] == top.kept.size <= n_sets * count
    if expected.size == 0:
        with pytest.raises(VcfmlError, match="no variants left"):
            top.result("test")
        return
    kept, kept_genotypes, kept_variants = top.result("test")
    np.testing.assert_array_equal(kept, expected)
    np.testing.assert_array_equal(kept_genotypes, genotypes[:, expected])
    assert kept_variants["id"].tolist() == [f"site{i}" for i in expected]


def test_screen_of_a_vcf_without_records_says_so(tmp_path, liability_dir):
    header = [line for line in read_text_lines(liability_dir) if line.startswith("#")]
    empty = tmp_path / "empty.vcf"
    empty.write_text("".join(header))
    with pytest.raises(VcfmlError, match=r"empty\.vcf has no variant records: nothing to screen"):
        prescreen_vcf(empty, liability_dir / "samples.tsv", settings=SETTINGS)


def read_text_lines(folder):
    import gzip

    with gzip.open(folder / "cohort.vcf.gz", "rt") as handle:
        return handle.readlines()


def test_a_dosage_above_two_never_changes_another_sites_score():
    """A tetraploid dosage of 4 once indexed past the kernel's three classes and
    wrote into the next site's sums (review S4); now it counts as missing."""
    rng = np.random.default_rng(3)
    genotypes = rng.integers(0, 3, (60, 4)).astype(np.int8)
    y = rng.integers(0, 2, 60).astype(float)
    rows = [np.arange(60)]
    clean = block_statistics(np.ascontiguousarray(genotypes.T), y, rows)
    polyploid = genotypes.copy()
    polyploid[:5, 0] = 4
    polyploid[5:8, 0] = 3
    result = block_statistics(np.ascontiguousarray(polyploid.T), y, rows)
    np.testing.assert_array_equal(result[:, :, 1:], clean[:, :, 1:])
    as_missing = genotypes.copy()
    as_missing[:8, 0] = -1
    expected = block_statistics(np.ascontiguousarray(as_missing.T), y, rows)
    np.testing.assert_allclose(result[:, :, 0], expected[:, :, 0])


def test_a_tetraploid_site_leaves_the_next_sites_screen_alone(tmp_path):
    """Through the VCF: the streamed screen gives the neighbour of a tetraploid
    site the in-memory screen's score (the review saw 3.22 against 0.77)."""
    rng = np.random.default_rng(5)
    n = 80
    samples = [f"s{index}" for index in range(n)]
    y = rng.integers(0, 2, n)
    y[:2] = [0, 1]
    records = []
    for site in range(6):
        calls = ["0/0", "0/1", "1/1"]
        fields = [calls[value] for value in rng.integers(0, 3, n)]
        if site == 2:
            fields[:10] = ["1/1/1/1"] * 10
        records.append(f"chr1 {100 * (site + 1)} rs{site} A G . PASS . GT " + " ".join(fields))
    path = tmp_path / "tet.vcf"
    path.write_text(vcf_text(samples, records))
    table = pd.DataFrame({"sample_id": samples, "phenotype": y}).set_index("sample_id")
    settings = AutoMLSettings(deterministic=True, max_trials=1, max_sites=6, folds=2, verbose=0)
    streamed = prescreen_vcf(path, table, settings=settings, block_sites=2)
    dataset = join_samples(read_vcf(path), table)
    screen = GenotypeScreen(n_sites=6).fit(dataset.genotypes, dataset.target)
    np.testing.assert_allclose(streamed.statistics["score"], screen.scores_, rtol=1e-6)
    np.testing.assert_allclose(streamed.statistics["maf"], screen.maf_, rtol=1e-12)


def test_the_streamed_screen_keeps_the_in_memory_screens_sites_with_chrx():
    """data/coalescent has chrX and a sex covariate: 7 sites of the in-memory top
    1000, all chrX non-PAR near min_maf, were missing from prescreen_vcf when it
    counted every call diploid (genetics review E8). One ploidy rule: same sites."""
    from vcfml.automl.settings import course_settings
    from vcfml.automl.splits import screened_rows

    folder = ROOT / "data" / "coalescent"
    settings = course_settings().resolved()
    streamed = prescreen_vcf(
        folder / "cohort.vcf.gz", folder / "samples.tsv", settings=settings, block_sites=2000
    )
    dataset = join_samples(read_vcf(folder / "cohort.vcf.gz"), folder / "samples.tsv")
    covariates = dataset.covariates.to_numpy(dtype=np.float32)
    expected = set()
    for rows in screened_rows(dataset.target, settings):
        screen = GenotypeScreen(n_sites=settings.max_sites, min_maf=settings.min_maf)
        screen.fit(
            dataset.genotypes[rows], dataset.target[rows], covariates[rows],
            screen_ploidy(dataset, rows),
        )  # fmt: skip
        expected |= set(screen.selected_.tolist())
    chrx = dataset.variants["chrom"].to_numpy() == "chrX"
    assert chrx[sorted(expected)].any()
    assert set(streamed.kept.tolist()) == expected
