"""Simulators stream: row-major random matrices served by blocks of sites are the
very draws of the whole matrix, and the truth of a cohort of several blocks
matches the genotypes written to its VCF."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from vcfml import read_vcf
from vcfml.simulate import bayes, simulate_classic, simulate_liability
from vcfml.simulate.cohort import STREAM_BLOCK
from vcfml.simulate.draws import RowMajorDraws

DRAWS = {
    "random": (lambda generator, size: generator.random(size), True),
    "poisson": (lambda generator, size: generator.poisson(30, size), False),
}


@settings(max_examples=20, deadline=None)
@given(
    kind=st.sampled_from(sorted(DRAWS)),
    n_rows=st.integers(0, 6),
    n_columns=st.integers(1, 40),
    block=st.integers(1, 16),
    seed=st.integers(0, 2**32 - 1),
)
def test_blocks_are_the_whole_matrix_draws(kind, n_rows, n_columns, block, seed):
    draw, fixed_width = DRAWS[kind]
    whole = np.random.default_rng(seed)
    whole.integers(0, 3, 5)  # leaves a buffered 32-bit half, which must survive
    expected = draw(whole, (n_rows, n_columns))
    streamed = np.random.default_rng(seed)
    streamed.integers(0, 3, 5)
    draws = RowMajorDraws(streamed, n_rows, n_columns, draw, fixed_width=fixed_width, block=block)
    # The generator is left where the whole matrix leaves it: later draws agree.
    assert streamed.bit_generator.state == whole.bit_generator.state
    np.testing.assert_array_equal(streamed.integers(0, 3, 9), whole.integers(0, 3, 9))
    pieces = [draws.block(start) for start in range(0, n_columns, block)]
    np.testing.assert_array_equal(np.concatenate(pieces, axis=1), expected)


def test_liability_truth_matches_a_streamed_vcf(tmp_path):
    n_sites = 2 * STREAM_BLOCK + 100  # three blocks
    cohort = simulate_liability(n_samples=300, n_sites=n_sites, missing_rate=0.0, seed=4)
    written = read_vcf(cohort.write(tmp_path) / "cohort.vcf.gz")
    np.testing.assert_array_equal(written.genotypes, cohort.genotypes)
    truth = cohort.truth
    ids = written.variants["id"].tolist()
    columns = [ids.index(site["id"]) for site in truth["causal_sites"]]
    effects = np.array([site["effect"] for site in truth["causal_sites"]])
    frequency = np.array([site["allele_frequency"] for site in truth["causal_sites"]])
    male = (cohort.samples["sex"] == "male").to_numpy()
    mean = (written.genotypes[:, columns] - 2 * frequency) @ effects + 0.5 * male
    probability = norm.sf((truth["thresholds"][0] - mean) / np.sqrt(0.5))
    recomputed = bayes.summary(probability)
    assert recomputed["auc"] == pytest.approx(truth["bayes_optimal"]["cohort"]["auc"], abs=2e-4)


def test_classic_planting_reaches_a_streamed_vcf(tmp_path):
    cohort = simulate_classic(
        n_samples=200, n_sites=STREAM_BLOCK + 50, n_cases=80, n_causal=3, seed=5
    )
    written = read_vcf(cohort.write(tmp_path) / "cohort.vcf.gz")
    ids = written.variants["id"].tolist()
    columns = [ids.index(site["id"]) for site in cohort.truth["causal_sites"]]
    cases = cohort.samples["phenotype"].to_numpy() == 1
    # Every case is homozygous ALT at one causal site at least (planted or drawn).
    assert (written.genotypes[np.ix_(cases, columns)] == 2).any(axis=1).all()
    np.testing.assert_array_equal(written.genotypes, cohort.genotypes)


def test_compression_in_a_child_process_writes_the_same_bytes(tmp_path, monkeypatch):
    from vcfml.io import vcf_writer

    cohort = simulate_liability(n_samples=60, n_sites=STREAM_BLOCK + 300, seed=6)
    here = (cohort.write(tmp_path / "here") / "cohort.vcf.gz").read_bytes()
    monkeypatch.setattr(vcf_writer, "CHILD_COMPRESSION_CALLS", 0)
    spawned = []
    original = vcf_writer._CompressingChild.__init__

    def counting(self, *args):
        spawned.append(args)
        original(self, *args)

    monkeypatch.setattr(vcf_writer._CompressingChild, "__init__", counting)
    child = (cohort.write(tmp_path / "child") / "cohort.vcf.gz").read_bytes()
    assert len(spawned) == 1
    assert child == here
