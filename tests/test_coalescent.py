"""The coalescent simulator (msprime + stdpopsim), LD tools and LD-aware recovery."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, bcftools_query, dosages_from_bcftools
from scipy.stats import norm

from vcfml.cli import main
from vcfml.errors import VcfmlError
from vcfml.explain import recovery
from vcfml.simulate import bayes, simulate_coalescent, simulate_liability
from vcfml.simulate.coalescent import PAR1, parse_populations, parse_region
from vcfml.stats import adjacent_r2, ld_decay, ld_r2, site_frequency_spectrum, tag_sets

SMALL = {
    "n_samples": 60,
    "n_test_samples": 40,
    "regions": ["chr22:20000001-20300000"],
    "chrx_region": "chrX:2700001-2900000",  # straddles the end of PAR1
    "n_causal": 5,
    "seed": 5,
}


@pytest.fixture(scope="module")
def small():
    return simulate_coalescent(**SMALL)


@pytest.fixture(scope="module")
def written(small, tmp_path_factory):
    return small.write(tmp_path_factory.mktemp("coalescent") / "cohort")


def tskit_dosages(cohort) -> np.ndarray:
    """Dosages straight from tskit's genotype matrix: biallelic sites, the two
    haplotypes of each individual summed, men's first haplotype outside the PARs."""
    columns = []
    male = (cohort.samples["sex"] == "male").to_numpy()
    for ts, chrom in zip(cohort.tree_sequences, ["chr22", "chrX"], strict=True):
        matrix = ts.genotype_matrix()  # (sites, haplotypes), samples in node order
        biallelic = np.array([len(v.alleles) == 2 for v in ts.variants()])
        positions = ts.tables.sites.position[biallelic] + 1
        nodes = np.array([ts.individual(int(i)).nodes for i in cohort.individuals])
        first, second = matrix[biallelic][:, nodes[:, 0]], matrix[biallelic][:, nodes[:, 1]]
        dosage = first + second
        if chrom == "chrX":
            haploid = positions > PAR1[1]
            dosage[np.ix_(haploid, male)] = first[np.ix_(haploid, male)]
        columns.append(dosage.T)
    return np.concatenate(columns, axis=1)


def test_vcf_agrees_with_bcftools_and_tskit(small, written, bcftools):
    from_bcftools = dosages_from_bcftools(bcftools, written / "cohort.vcf.gz")
    assert np.array_equal(from_bcftools, small.genotypes)
    assert np.array_equal(tskit_dosages(small), small.genotypes)
    positions = bcftools_query(bcftools, written / "cohort.vcf.gz", "%POS\n").split()
    expected = [
        int(v.site.position) + 1
        for ts in small.tree_sequences
        for v in ts.variants()
        if len(v.alleles) == 2
    ]
    assert list(map(int, positions)) == expected
    assert small.test is not None and np.array_equal(
        dosages_from_bcftools(bcftools, written / "test" / "cohort.vcf.gz"), small.test.genotypes
    )


def test_par1_is_diploid_and_the_rest_of_chrx_haploid_for_men(small, written, bcftools):
    text = bcftools_query(bcftools, written / "cohort.vcf.gz", "%POS[\t%GT]\n", "-r", "chrX")
    male = (small.samples["sex"] == "male").to_numpy()
    in_par = outside = 0
    for line in text.splitlines():
        position, *calls = line.split("\t")
        diploid = np.array(["/" in call for call in calls])
        if int(position) <= PAR1[1]:
            in_par += 1
            assert diploid.all()
        else:
            outside += 1
            assert not diploid[male].any() and diploid[~male].all()
    assert in_par > 0 and outside > 0


def test_train_and_test_share_sites_and_effects_not_people(small):
    test = small.test
    assert len(small.samples) == 60 and len(test.samples) == 40
    assert small.variants.equals(test.variants)
    assert [s["effect"] for s in small.truth["causal_sites"]] == [
        s["effect"] for s in test.truth["causal_sites"]
    ]
    assert not set(small.individuals) & set(test.individuals)
    assert small.samples["population"].value_counts().to_dict() == {"YRI": 30, "CEU": 30}
    assert list(small.samples.columns) == ["sample_id", "sex", "population", "phenotype"]


def test_bayes_probabilities_follow_the_liability_model(small):
    for cohort in (small, small.test):
        truth = cohort.truth
        sites = truth["causal_sites"]
        index = {site_id: i for i, site_id in enumerate(cohort.variants["id"])}
        columns = [index[site["id"]] for site in sites]
        p = np.array([site["allele_frequency"] for site in sites])
        effects = np.array([site["effect"] for site in sites])
        male = (cohort.samples["sex"] == "male").to_numpy()
        mean = (cohort.genotypes[:, columns] - 2 * p) @ effects + truth["sex_effect"]["male"] * male
        want = norm.sf((truth["threshold"] - mean) / truth["noise_sd"])
        got = np.array([truth["case_probability"][s] for s in cohort.samples["sample_id"]])
        assert np.allclose(got, want, atol=1e-4)
        assert truth["bayes_optimal"]["cohort"]["auc"] == round(bayes.expected_auc(got), 4)
    # the threshold makes the expected prevalence of everybody simulated the target
    everybody = np.concatenate(
        [list(c.truth["case_probability"].values()) for c in (small, small.test)]
    )
    assert everybody.mean() == pytest.approx(0.3, abs=1e-4)


def test_tag_sets_in_truth_are_the_sites_in_ld(small):
    for site in small.truth["causal_sites"]:
        column = np.flatnonzero(small.variants["id"] == site["id"])[0]
        same_contig = (small.variants["chrom"] == site["chrom"]).to_numpy()
        r = np.array(
            [
                np.corrcoef(small.genotypes[:, column], small.genotypes[:, j])[0, 1]
                if small.genotypes[:, j].std() > 0
                else 0.0
                for j in range(small.genotypes.shape[1])
            ]
        )
        tags = set(np.flatnonzero((r**2 >= 0.8 - 1e-9) & same_contig)) - {column}
        assert {t["id"] for t in site["tags"]} == set(small.variants["id"].iloc[sorted(tags)])


def test_same_seed_same_files(written, tmp_path):
    again = simulate_coalescent(**SMALL).write(tmp_path / "again")
    for name in ["cohort.vcf.gz", "cohort.vcf.gz.tbi", "samples.tsv", "truth.json"]:
        for folder in ("", "test"):
            assert (written / folder / name).read_bytes() == (again / folder / name).read_bytes()
    other = simulate_coalescent(**{**SMALL, "seed": 6}).write(tmp_path / "other")
    assert (other / "truth.json").read_bytes() != (written / "truth.json").read_bytes()


def test_coalescent_sites_are_in_ld_and_mostly_rare(small):
    autosomal = (small.variants["chrom"] == "chr22").to_numpy()
    coalescent = adjacent_r2(small.genotypes[:, autosomal]).mean()
    independent = simulate_liability(
        n_samples=60, n_sites=int(autosomal.sum()), include_chrx=False, seed=1
    )
    assert coalescent > 3 * adjacent_r2(independent.genotypes).mean()  # chance: ~1/60
    spectrum = site_frequency_spectrum(small.genotypes[:, autosomal])
    assert spectrum[1] > spectrum[10] > spectrum[40]  # rare alleles dominate


def test_r2_and_tags_on_a_hand_made_case():
    dosages = np.array(
        [
            # site:  0  1  2  3  4
            [0, 0, 2, 0, 1],
            [1, 1, 1, 2, 1],
            [2, 2, 0, 1, 1],
        ]
    )
    # site 1 is site 0, site 2 is 2 - site 0 (r = -1), site 3: r = 0.5 by hand,
    # site 4 does not vary (r² 0 with everything).
    r2 = ld_r2(dosages)
    assert r2[0, 1] == pytest.approx(1) and r2[0, 2] == pytest.approx(1)
    assert r2[0, 3] == pytest.approx(0.25) and r2[0, 4] == 0
    assert np.allclose(ld_r2(dosages, dosages[:, [0, 3]]), r2[:, [0, 3]])
    assert [list(t) for t in tag_sets(dosages, [0, 3])] == [[1, 2], []]
    assert [list(t) for t in tag_sets(dosages, [0], groups=[1, 1, 2, 2, 2])] == [[1]]
    rng = np.random.default_rng(0)
    noisy = rng.integers(0, 3, (50, 6))
    noisy[rng.random(noisy.shape) < 0.1] = -1
    filled = np.where(noisy < 0, np.nan, noisy).astype(float)
    filled = np.where(np.isnan(filled), np.nanmean(filled, axis=0), filled)
    assert np.allclose(ld_r2(noisy), np.corrcoef(filled.T) ** 2)


def test_ld_decay_and_spectrum_by_hand():
    dosages = np.array([[0, 0, 2, 0], [1, 1, 1, 2], [2, 2, 0, 1]])
    decay = ld_decay(dosages, [100, 150, 1100, 5000], bin_edges=[0, 100, 1000, 10000])
    # pairs 0-1 (50 bp, r² 1) | 1-2 (950, 1), 0-2 (1000 -> third bin) | the rest
    assert decay["pairs"].tolist() == [1, 1, 4]
    assert decay["mean_r2"].iloc[0] == pytest.approx(1)
    assert decay["mean_r2"].iloc[2] == pytest.approx((1 + 0.25 + 0.25 + 0.25) / 4)
    assert site_frequency_spectrum(dosages).tolist() == [0, 0, 0, 4]  # every ALT count is 3
    assert site_frequency_spectrum(dosages, folded=False).tolist() == [0, 0, 0, 4, 0, 0, 0]


def test_ld_aware_recovery_counts_tags():
    table = pd.DataFrame(
        {
            "feature": ["t1", "sex=male", "x", "c2"],
            "chrom": ["chr1", "", "chr1", "chr2"],
            "pos": ["11", "", "50", "5"],
            "importance": [3.0, 2.0, 1.0, 0.5],
        }
    )
    truth = {
        "causal_sites": [
            {"id": "c1", "chrom": "chr1", "pos": 10, "tags": [{"chrom": "chr1", "pos": 11}]},
            {"id": "c2", "chrom": "chr2", "pos": 5, "tags": []},
        ]
    }
    report = recovery(table, truth)["model"]
    assert report["causal_site_ranks"] == {"c1": None, "c2": 4}
    assert report["causal_site_ld_ranks"] == {"c1": 1, "c2": 4}
    assert report["precision_at_2"] == 0 and report["ld_precision_at_2"] == 0.5
    assert report["recall_at_2"] == 0 and report["ld_recall_at_2"] == 0.5
    assert report["recall_at_10"] == 0.5 and report["ld_recall_at_10"] == 1.0
    del truth["causal_sites"][0]["tags"], truth["causal_sites"][1]["tags"]
    assert "ld_recall_at_2" not in recovery(table, truth)["model"]


def test_population_and_region_parsing():
    assert parse_populations("YRI:500,CEU:500", None) == {"YRI": 500, "CEU": 500}
    assert parse_populations("YRI:500,CEU:500", 100) == {"YRI": 50, "CEU": 50}
    assert parse_populations("YRI,CEU,CHB", 10) == {"YRI": 4, "CEU": 3, "CHB": 3}
    assert parse_region("chr22:10,000,001-12,000,000") == ("chr22", 10_000_001, 12_000_000)
    for bad in ("chr22", "chr22:5-1", "chr22:a-b"):
        with pytest.raises(ValueError, match="region"):
            parse_region(bad)
    with pytest.raises(ValueError, match="size for every population"):
        parse_populations("YRI:5,CEU", None)


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--region", "chr22:1-60000000"], "chr22 has only 50,818,468 bases"),
        (["--region", "chr99:1-100"], "no chromosome chr99"),
        (["--populations", "YRI:10,XXX:10"], "no population XXX"),
        (["--demography", "NoSuchModel"], "no demographic model 'NoSuchModel'"),
        (["--genetic-map", "HapMapII_GRCh38"], "genetic map HapMapII_GRCh38 is not in"),
        (["--sites", "100"], "do not apply to the coalescent model: --sites"),
        (["--h2", "1.5"], "h2 must be between 0 and 1"),
    ],
)
def test_bad_coalescent_options_get_one_line(arguments, message, tmp_path, capsys):
    import stdpopsim

    cache = stdpopsim.get_cache_dir()
    stdpopsim.set_cache_dir(tmp_path / "empty-cache")  # no genetic map cached: as offline
    out = tmp_path / "out"
    try:
        code = main(["simulate", "--model", "coalescent", "--out", str(out), *arguments])
    finally:
        stdpopsim.set_cache_dir(cache)
    error = capsys.readouterr().err
    assert code == 1 and message in error and error.count("\n") == 1
    assert not out.exists()


def test_cli_writes_train_and_test(tmp_path, capsys):
    out = tmp_path / "D"
    code = main(
        [
            "simulate", "--model", "coalescent", "--samples", "30", "--test-samples", "20",
            "--region", "chr22:20000001-20100000", "--no-chrx", "--causal", "3",
            "--population-effects", "CEU:0.4", "--out", str(out),
        ]
    )  # fmt: skip
    assert code == 0
    assert "test/: 20 samples" in capsys.readouterr().out
    truth = json.loads((out / "truth.json").read_text())
    assert truth["population_effects"] == {"YRI": 0.0, "CEU": 0.4}
    assert truth["parameters"]["regions"] == ["chr22:20000001-20100000"]
    assert len(truth["causal_sites"]) == 3 and len(truth["case_probability"]) == 30
    assert (out / "test" / "cohort.vcf.gz.tbi").exists()


def test_liability_populations_still_a_number(tmp_path):
    out = tmp_path / "L"
    assert main(["simulate", "--sites", "50", "--samples", "40", "--populations", "2",
                 "--out", str(out)]) == 0  # fmt: skip
    assert set(pd.read_csv(out / "samples.tsv", sep="\t")["population"]) == {"pop1", "pop2"}
    with pytest.raises(VcfmlError, match="is a number"):
        from vcfml.cli import build_parser, run_simulate

        run_simulate(
            build_parser().parse_args(["simulate", "--populations", "YRI:5", "--out", "x"])
        )


def test_figures_show_what_they_claim(small):
    import matplotlib

    matplotlib.use("Agg")
    from vcfml.stats.ld_plots import plot_ld_decay, plot_ld_heatmap, plot_population_pca, plot_sfs

    autosomal = (small.variants["chrom"] == "chr22").to_numpy()
    dosages = small.genotypes[:, autosomal]
    spectrum = site_frequency_spectrum(dosages)
    bars = plot_sfs(spectrum, classes=10).patches
    assert [bar.get_height() for bar in bars] == spectrum[1:11].tolist()
    ax = plot_population_pca(small.genotypes, small.samples["population"])
    first, second = (np.asarray(c.get_offsets())[:, 0].mean() for c in ax.collections)
    assert first * second < 0  # PC1 puts YRI and CEU on opposite sides
    r2 = ld_r2(dosages[:, :20])
    assert np.array_equal(plot_ld_heatmap(r2).images[0].get_array(), r2)
    decay = ld_decay(dosages[:, ::10], small.variants["pos"][autosomal][::10], [0, 1e4, 1e5, 1e6])
    assert plot_ld_decay(decay).lines[0].get_ydata().tolist() == decay["mean_r2"].tolist()


def test_without_test_samples_there_is_no_test_folder(tmp_path):
    cohort = simulate_coalescent(
        n_samples=20, regions=["chr22:20000001-20050000"], include_chrx=False, n_causal=2
    )
    assert cohort.test is None
    assert set(cohort.variants["chrom"]) == {"chr22"}
    folder = cohort.write(tmp_path / "c")
    assert not (folder / "test").exists() and (folder / "cohort.vcf.gz.tbi").exists()


def test_default_windows_are_on_the_long_arm_and_need_no_network(tmp_path, monkeypatch):
    """chr22 is acrocentric: its short arm, before the centromere (which ends near
    15.05 Mb in GRCh38), is mostly unassembled, so real data have no variants there.
    The default window, the course's dataset and the capstone's all lie beyond it, on
    the q arm. And the recombination rate is the chromosome's uniform one: with an
    empty stdpopsim cache and every network connection refused, the simulation runs."""
    import socket

    import stdpopsim
    import yaml

    from vcfml.check.capstone import MODEL as CAPSTONE
    from vcfml.simulate.coalescent import DEFAULT_REGIONS

    spec = yaml.safe_load((ROOT / "data" / "datasets.yml").read_text())["coalescent"]
    windows = [*DEFAULT_REGIONS, *spec["regions"], *CAPSTONE["regions"]]
    for window in windows:
        chrom, start, _ = parse_region(window)
        assert chrom != "chr22" or start > 16_000_000, window

    def refuse(*args, **kwargs):
        raise OSError("network refused by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    cache = stdpopsim.get_cache_dir()
    stdpopsim.set_cache_dir(tmp_path / "empty-cache")
    try:
        cohort = simulate_coalescent(
            n_samples=20, regions=["chr22:20000001-20050000"], include_chrx=False, n_causal=2
        )
    finally:
        stdpopsim.set_cache_dir(cache)
    assert cohort.variants["pos"].between(20_000_001, 20_050_000).all()
    # msprime's provenance records the recombination map it ran with: one rate over
    # the window (NaN outside it), the chromosome's own.
    record = json.loads(cohort.tree_sequences[0].provenance(0).record)
    rate_map = record["parameters"]["recombination_rate"]
    assert rate_map["position"]["__ndarray__"][1:3] == [20_000_000.0, 20_050_000.0]
    rates = np.array(rate_map["rate"]["__ndarray__"], dtype=float)
    chromosome = stdpopsim.get_species("HomSap").genome.get_chromosome("22")
    assert np.isnan(rates[[0, 2]]).all()
    assert rates[1] == pytest.approx(chromosome.recombination_rate)


def test_a_polygenic_trait_does_not_close_the_gap_between_populations():
    """Many causal loci (``n_causal``, ``--causal``) simulate a polygenic trait. Under
    neutral drift the expected squared gap in mean genetic value between two
    populations depends on their drift (F_ST) and the trait's additive variance, not
    on the number of loci (Q_ST = F_ST: Whitlock 2008, Mol Ecol 17:1885; Berg & Coop
    2014, PLoS Genet 10:e1004412): 300 loci leave a YRI-CEU gap in the share of
    expected cases as large as 5 loci do, of either sign from one seed to the next.
    The book's text on reading such gaps (coalescent.md, pgs.md) rests on this."""
    gaps: dict[int, list[float]] = {5: [], 300: []}
    for seed in range(1, 13):
        for n_causal, found in gaps.items():
            cohort = simulate_coalescent(
                populations="YRI:150,CEU:150",
                regions=["chr22:20000001-20300000"],
                include_chrx=False,
                n_causal=n_causal,
                sex_effect=0.0,
                seed=seed,
            )
            assert len(cohort.truth["causal_sites"]) == n_causal
            probability = pd.Series(cohort.truth["case_probability"])
            population = cohort.samples.set_index("sample_id")["population"]
            by_population = probability.groupby(population).mean()
            found.append(by_population["YRI"] - by_population["CEU"])
    few, many = (np.array(gaps[n]) for n in (5, 300))
    assert (many > 0).any() and (many < 0).any() and (few > 0).any() and (few < 0).any()
    rms_few, rms_many = np.sqrt(np.mean(few**2)), np.sqrt(np.mean(many**2))
    assert rms_many > 0.05 and rms_many > 0.6 * rms_few
