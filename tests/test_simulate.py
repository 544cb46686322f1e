"""The simulators: deterministic, faithful to their models, honest truth files."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pandas as pd
import pytest
from conftest import bcftools_query

from vcfml import read_vcf
from vcfml.simulate import simulate, simulate_classic, simulate_liability
from vcfml.simulate.bayes import expected_accuracy, expected_auc
from vcfml.simulate.classic import case_probability
from vcfml.stats.frequency import haploid_in_males


def test_same_seed_gives_identical_files(tmp_path):
    for model, parameters in [("classic", {}), ("liability", {"n_samples": 80, "n_sites": 120})]:
        first = simulate(model, seed=3, **parameters).write(tmp_path / f"{model}-a")
        second = simulate(model, seed=3, **parameters).write(tmp_path / f"{model}-b")
        other = simulate(model, seed=4, **parameters).write(tmp_path / f"{model}-c")
        for name in ["cohort.vcf.gz", "cohort.vcf.gz.tbi", "samples.tsv", "truth.json"]:
            assert (first / name).read_bytes() == (second / name).read_bytes()
        assert (first / "cohort.vcf.gz").read_bytes() != (other / "cohort.vcf.gz").read_bytes()


def test_classic_follows_the_2019_recipe():
    cohort = simulate_classic(n_samples=3000, n_sites=50, n_cases=1200, n_causal=3, seed=1)
    truth = cohort.truth
    samples = cohort.samples
    causal = [
        int(np.flatnonzero(cohort.variants["id"] == site["id"])[0])
        for site in truth["causal_sites"]
    ]
    cases = samples["phenotype"].to_numpy() == 1
    assert cases.sum() == 1200
    # Every case is homozygous ALT at one causal site at least.
    assert (cohort.genotypes[np.ix_(cases, causal)] == 2).any(axis=1).all()
    # Controls keep the 0.90/0.05/0.05 genotype draw.
    control_calls = cohort.genotypes[~cases]
    frequencies = np.bincount(control_calls.ravel(), minlength=3) / control_calls.size
    np.testing.assert_allclose(frequencies, [0.90, 0.05, 0.05], atol=0.01)
    # The quirk: the 'affected' gender is depleted among cases.
    affected = samples["sex"] == truth["affected_sex"]
    assert affected[cases].mean() < affected[~cases].mean() - 0.1
    assert set(samples["sex"]) == {"male", "female", "unknown"}


def test_classic_bayes_ceiling_matches_a_large_cohort():
    cohort = simulate_classic(n_samples=40_000, n_sites=5, n_cases=16_000, n_causal=2, seed=2)
    truth = cohort.truth
    causal = [
        int(np.flatnonzero(cohort.variants["id"] == s["id"])[0]) for s in truth["causal_sites"]
    ]
    posterior = case_probability(
        cohort.genotypes[:, causal],
        cohort.samples["sex"].to_numpy(),
        truth["affected_sex"],
        0.4,
        np.array([0.9, 0.05, 0.05]),
    )
    realized_accuracy = ((posterior > 0.5) == cohort.samples["phenotype"].to_numpy()).mean()
    assert realized_accuracy == pytest.approx(
        truth["bayes_optimal"]["population"]["accuracy"], abs=0.01
    )
    assert truth["bayes_optimal"]["cohort"]["auc"] == pytest.approx(
        truth["bayes_optimal"]["population"]["auc"], abs=0.01
    )


def test_liability_model_hits_its_targets():
    cohort = simulate_liability(
        n_samples=20_000,
        n_sites=60,
        n_causal=5,
        h2=0.6,
        prevalence=0.2,
        sex_effect=0.0,
        missing_rate=0.05,
        min_maf=0.1,
        seed=4,
    )
    truth = cohort.truth
    assert cohort.samples["phenotype"].mean() == pytest.approx(0.2, abs=0.015)
    observed = cohort.genotypes
    assert (observed == -1).mean() == pytest.approx(0.05, abs=0.005)
    # MAF floor on the ancestral frequencies of the causal sites.
    assert all(
        min(s["allele_frequency"], 1 - s["allele_frequency"]) >= 0.1 for s in truth["causal_sites"]
    )
    # The genetic value explains h2 of the liability variance.
    ids = cohort.variants["id"].tolist()
    columns = [ids.index(s["id"]) for s in truth["causal_sites"]]
    effects = np.array([s["effect"] for s in truth["causal_sites"]])
    causal = observed[:, columns].astype(float)
    called = (causal >= 0).all(axis=1)
    genetic = causal[called] @ effects
    assert genetic.var() == pytest.approx(0.6, rel=0.08)


def test_liability_sex_effect_and_haploid_males(tmp_path):
    cohort = simulate_liability(n_samples=4000, n_sites=400, sex_effect=1.0, seed=8)
    samples = cohort.samples
    male = samples["sex"] == "male"
    assert samples.loc[male, "phenotype"].mean() > samples.loc[~male, "phenotype"].mean() + 0.15
    folder = cohort.write(tmp_path / "sexed")
    result = read_vcf(folder / "cohort.vcf.gz")
    haploid = haploid_in_males(result.variants["chrom"], result.variants["pos"], "GRCh38")
    assert haploid.any()
    male_x = result.genotypes[np.ix_(male.to_numpy(), haploid)]
    female_x = result.genotypes[np.ix_(~male.to_numpy(), haploid)]
    assert male_x.max() == 1 and female_x.max() == 2


def test_liability_males_are_diploid_inside_par1_as_bcftools_reads_them(tmp_path, bcftools):
    # 3,000 sites put a few on chrX inside PAR1 (GRCh38 chrX:10,001-2,781,479).
    cohort = simulate_liability(n_samples=40, n_sites=3000, seed=3)
    folder = cohort.write(tmp_path / "par")
    male = (cohort.samples["sex"] == "male").to_numpy()
    lines = bcftools_query(bcftools, folder / "cohort.vcf.gz", "%POS[\\t%GT]\\n", "-r", "chrX")
    inside, outside = 0, 0
    for line in lines.splitlines():
        position, *calls = line.split("\t")
        in_par1 = 10_001 <= int(position) <= 2_781_479
        inside += in_par1
        outside += not in_par1
        diploid = np.array(["/" in call for call in calls])
        assert diploid[~male].all()  # women: always two copies
        # men: two copies inside PAR1, one outside (missing calls too: "." vs "./.")
        assert diploid[male].all() if in_par1 else not diploid[male].any(), position
    assert inside >= 3 and outside >= 50
    # The truth stays exact: causal sites are autosomal, so no chrX coding enters it.
    assert all(site["chrom"] != "chrX" for site in cohort.truth["causal_sites"])


def test_population_structure_confounds(structured_dir):
    samples = pd.read_csv(structured_dir / "samples.tsv", sep="\t")
    truth = json.loads((structured_dir / "truth.json").read_text())
    assert set(samples["population"]) == {"pop1", "pop2"}
    by_population = samples.groupby("population")["phenotype"].mean()
    assert by_population["pop2"] > by_population["pop1"] + 0.2
    result = read_vcf(structured_dir / "cohort.vcf.gz")
    pop2 = (samples["population"] == "pop2").to_numpy()
    calls = np.where(result.genotypes < 0, np.nan, result.genotypes)
    difference = np.abs(np.nanmean(calls[pop2], axis=0) - np.nanmean(calls[~pop2], axis=0)) / 2
    assert np.median(difference) > 0.05  # Fst = 0.2 moves frequencies apart
    assert truth["prevalence"]["target"] == [0.1, 0.5]


def test_bayes_helpers_are_exact_on_known_cases():
    assert expected_accuracy(np.array([0.9, 0.1, 0.5])) == pytest.approx((0.9 + 0.9 + 0.5) / 3)
    assert expected_auc(np.array([1.0, 1.0, 0.0, 0.0])) == pytest.approx(1.0)
    assert expected_auc(np.array([0.5, 0.5, 0.5])) == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"h2": 1.5}, "h2 must be between 0 and 1"),
        ({"mode": "multiplicative"}, "mode must be one of"),  # epistatic is a mode now
        ({"n_causal": 0}, "n_causal must be between 1"),
        ({"n_populations": 2, "population_prevalences": [0.2]}, "one prevalence in"),
    ],
)
def test_liability_rejects_bad_parameters(parameters, message):
    with pytest.raises(ValueError, match=message):
        simulate_liability(n_samples=20, n_sites=20, **parameters)


@pytest.mark.parametrize("mode", ["dominant", "recessive"])
def test_other_modes_simulate(mode):
    cohort = simulate_liability(n_samples=500, n_sites=50, mode=mode, seed=2)
    assert cohort.truth["causal_sites"][0]["mode"] == mode
    assert 0.5 < cohort.truth["bayes_optimal"]["population"]["auc"] < 1


@pytest.mark.parametrize("fixture", ["classic_dir", "liability_dir", "structured_dir"])
def test_simulated_files_pass_bcftools_without_warnings(fixture, request, bcftools):
    folder = request.getfixturevalue(fixture)
    result = subprocess.run(
        [bcftools, "view", str(folder / "cohort.vcf.gz")], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert result.stderr == ""
    header = [line for line in result.stdout.splitlines() if line.startswith("##")]
    assert header[0] == "##fileformat=VCFv4.3"
    assert any(line.startswith("##contig=<ID=chr1,length=248956422") for line in header)
    record = next(line for line in result.stdout.splitlines() if not line.startswith("#"))
    fields = record.split("\t")
    assert fields[8] == "GT:DP" and fields[6] == "PASS" and fields[7].startswith("AC=")
    stats = subprocess.run(
        [bcftools, "stats", str(folder / "cohort.vcf.gz")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert stats.stderr == ""


def test_truth_file_describes_the_model(liability_dir):
    truth = json.loads((liability_dir / "truth.json").read_text())
    assert truth["model"] == "liability" and truth["seed"] == 5
    assert len(truth["causal_sites"]) == truth["parameters"]["n_causal"] == 10
    site = truth["causal_sites"][0]
    assert set(site) >= {"chrom", "pos", "id", "allele_frequency", "effect"}
    for scope in ("cohort", "population"):
        ceiling = truth["bayes_optimal"][scope]
        assert 0.5 < ceiling["auc"] <= 1 and 0.5 < ceiling["accuracy"] <= 1
    samples = pd.read_csv(liability_dir / "samples.tsv", sep="\t")
    assert samples.columns.tolist() == ["sample_id", "sex", "phenotype"]
    assert set(samples["sex"]) == {"male", "female"}


def test_sample_seed_draws_new_people_from_the_same_model():
    train = simulate_liability(n_samples=300, n_sites=200, seed=6)
    test = simulate_liability(n_samples=500, n_sites=200, seed=6, sample_seed=99)
    pd.testing.assert_frame_equal(train.variants, test.variants)
    assert train.truth["causal_sites"] == test.truth["causal_sites"]
    assert train.truth["thresholds"] == test.truth["thresholds"]
    assert train.truth["bayes_optimal"]["population"] == test.truth["bayes_optimal"]["population"]
    assert test.genotypes.shape == (500, 200)
    assert not np.array_equal(train.genotypes[:300], test.genotypes[:300])
    assert (
        test.truth["parameters"]["sample_seed"] == 99
        and "sample_seed" not in train.truth["parameters"]
    )


@pytest.mark.parametrize(
    ("model", "size"),
    [("classic", {}), ("liability", {"n_samples": 50, "n_sites": 80})],
)
def test_site_ids_name_the_site_and_are_not_rsids(model, size, tmp_path):
    """Simulated sites are named CHROM:POS:REF:ALT: a random rs number would name an
    unrelated real variant in dbSNP (the same number range), and the REF is random."""
    cohort = simulate(model, seed=3, **size)
    variants = cohort.variants
    expected = variants["chrom"] + ":" + variants["pos"].astype(str) + ":"
    expected += variants["ref"] + ":" + variants["alt"]
    assert variants["id"].tolist() == expected.tolist()
    assert not variants["id"].str.match(r"rs\d").any()
    assert variants["id"].is_unique
    written = read_vcf(cohort.write(tmp_path / model) / "cohort.vcf.gz")
    assert written.variants["id"].tolist() == expected.tolist()
    truth_ids = {site["id"] for site in cohort.truth["causal_sites"]}
    assert truth_ids <= set(expected)


def test_help_shows_the_simulators_real_parameters():
    """help(simulate_liability) used to show only (**parameters): the signature now
    lists the model's fields with their defaults, and the docstring says what each is."""
    import dataclasses
    import inspect
    import pydoc

    from vcfml.simulate import LiabilityModel, simulate_coalescent
    from vcfml.simulate.coalescent import CoalescentModel

    for function, model in (
        (simulate_liability, LiabilityModel),
        (simulate_coalescent, CoalescentModel),
    ):
        parameters = inspect.signature(function).parameters
        fields = [f for f in dataclasses.fields(model) if f.init]
        assert list(parameters) == [f.name for f in fields]
        assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters.values())
        assert [p.default for p in parameters.values()] == [f.default for f in fields]
        assert "**parameters" not in pydoc.render_doc(function, renderer=pydoc.plaintext)
    text = pydoc.render_doc(simulate_liability, renderer=pydoc.plaintext)
    assert "n_samples: int = 1000" in text
    documented = inspect.getdoc(simulate_liability)
    undocumented = [
        name
        for name in inspect.signature(simulate_liability).parameters
        if f"``{name}``" not in documented
    ]
    assert undocumented == []
    with pytest.raises(ValueError, match="n_causal must be between"):
        simulate_liability(n_sites=5, n_causal=6)
