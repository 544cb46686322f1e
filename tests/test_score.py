"""One score test: the in-memory screen and the streamed screen compute it with the
same functions (vcfml.stats.score), so their statistics are identical, not close."""

from __future__ import annotations

import numpy as np

from vcfml import read_vcf
from vcfml.automl import AutoMLSettings
from vcfml.automl.screening import GenotypeScreen, screen_ploidy
from vcfml.features import join_samples
from vcfml.scale import prescreen_vcf
from vcfml.stats import score_test

SETTINGS = AutoMLSettings(deterministic=True, max_trials=1, max_sites=40, folds=3, verbose=0)


def test_streamed_and_in_memory_screens_give_identical_statistics(liability_dir):
    """data/liability: chrX written haploid in males, 1% missing calls, a sex covariate."""
    vcf = liability_dir / "cohort.vcf.gz"
    dataset = join_samples(read_vcf(vcf), liability_dir / "samples.tsv")
    genotypes = dataset.genotypes
    chrx = (dataset.variants["chrom"] == "chrX").to_numpy()
    assert chrx.any() and (genotypes < 0).any()  # chrX and missing calls
    assert np.ndim(screen_ploidy(dataset)) == 2  # haploid calls: males on chrX
    streamed = prescreen_vcf(vcf, liability_dir / "samples.tsv", settings=SETTINGS, block_sites=97)
    screen = GenotypeScreen(n_sites=SETTINGS.max_sites, min_maf=SETTINGS.min_maf)
    covariates = dataset.covariates.to_numpy(dtype=np.float32)
    screen.fit(genotypes, dataset.target, covariates, screen_ploidy(dataset))
    np.testing.assert_array_equal(streamed.statistics["score"], screen.scores_)
    np.testing.assert_array_equal(streamed.statistics["pvalue"], screen.pvalues_)
    np.testing.assert_allclose(streamed.statistics["maf"], screen.maf_, rtol=1e-15)
    assert np.isfinite(screen.scores_[chrx]).sum() > 10  # chrX sites are compared too


def test_missing_calls_sit_at_the_called_mean():
    """A missing call filled by hand with the called mean gives the same statistic."""
    rng = np.random.default_rng(3)
    genotypes = rng.integers(0, 3, (80, 12)).astype(np.int8)
    genotypes[rng.random(genotypes.shape) < 0.1] = -1
    y = rng.integers(0, 2, 80).astype(float)
    design = np.column_stack([np.ones(80), rng.normal(size=80)])
    called = genotypes >= 0
    means = np.where(called, genotypes, 0).sum(0) / called.sum(0)
    filled = np.where(called, genotypes, means)
    for binary in (True, False):
        statistic, _ = score_test(genotypes, y, design, binary=binary)
        expected, _ = score_test(filled, y, design, binary=binary)
        np.testing.assert_allclose(statistic, expected, rtol=1e-10)


def test_a_polyploid_dosage_counts_as_missing():
    rng = np.random.default_rng(4)
    genotypes = rng.integers(0, 3, (60, 5)).astype(np.int8)
    y = rng.integers(0, 2, 60).astype(float)
    design = np.ones((60, 1))
    polyploid = genotypes.copy()
    polyploid[:3, 2] = [3, 4, 4]
    missing = polyploid.copy()
    missing[:3, 2] = -1
    np.testing.assert_array_equal(
        score_test(polyploid, y, design)[0], score_test(missing, y, design)[0]
    )
