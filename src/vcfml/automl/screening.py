"""Genotype-aware preprocessing: MAF filter, imputation and association screening.

Genotype data has far more features (sites) than samples. Handing every site to
a model drowns the few causal ones in noise, so the pipeline first ranks sites
by a per-site association test and keeps the strongest.

The test is adjusted for the run's covariates (sex, age, principal
components, ...): the score test of :func:`vcfml.stats.score_test` for the
logistic model ``target ~ covariates + dosage``. Without the adjustment a site
that merely tracks a covariate ranks high: at a non-PAR chrX site males carry
0 or 1 copies and females 0, 1 or 2, so when the phenotype depends on sex every
chrX site "associates" with it and pushes causal autosomal sites out of the
model. The score test fits the covariates-only model once per fold and then
costs one compiled pass over the calls (:mod:`vcfml.stats.score`, the same code
as the streamed screen of :mod:`vcfml.scale`), so it stays cheap over 100,000
sites; it is asymptotically the same chi-square statistic as PLINK 2's Wald
test and ranks sites alike (``tests/test_stats.py``). The covariates still
enter the model as features; the screen only decides which sites join them.

Everything here is *fitted on training data only*: the allele frequencies used
by the MAF filter, the mean dosages used to fill missing calls and the ranking.
Screening on all samples before cross-validation leaks the phenotype of the
validation samples into the choice of sites, and makes a pure-noise phenotype
look predictable (chapter 3 shows it).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted, validate_data

from vcfml.automl.interactions import (
    N_ANCHORS,
    OutOfTime,
    interaction_scores,
    pair_ranking,
    strongest_pairs,
)
from vcfml.errors import VcfmlError
from vcfml.genome import build_of
from vcfml.stats import (
    allele_frequency,
    call_ploidy,
    haploid_in_males,
    mean_dosage,
    minor_allele_frequency,
    score_test,
)

if TYPE_CHECKING:
    from vcfml.features import Dataset


# Dosage matrices stay in their integer (or float) type; anything else becomes float64.
DOSAGE_DTYPES = [np.float64, np.float32, np.int8, np.int16, np.int32, np.int64]
# Scores agree across CPUs only to rounding (BLAS kernels and numba targets sum in
# different orders), and sites in perfect LD have equal scores in exact arithmetic:
# ranked on raw scores, such ties fell one way on one CPU and the other way on
# another, and the capstone kept a different 10th site under OpenBLAS's Prescott
# kernel. Scores are compared to this many significant digits, ties in genome order.
SCORE_DIGITS = 9


def rank_sites(scores: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """``eligible`` site indices, best score first: scores equal to ``SCORE_DIGITS``
    significant digits are a tie, broken by site index (genome order), so that the
    ranking is the same on every machine."""
    return eligible[np.lexsort((eligible, -comparable_scores(scores[eligible])))]


def comparable_scores(scores: np.ndarray) -> np.ndarray:
    """``scores`` rounded to ``SCORE_DIGITS`` significant digits (NaN and 0 kept)."""
    scores = np.asarray(scores, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        magnitude = np.where(scores == 0, 0.0, np.floor(np.log10(np.abs(scores))))
    unit = 10.0 ** (magnitude - (SCORE_DIGITS - 1))
    return np.where(np.isfinite(unit), np.round(scores / unit) * unit, scores)


class GenotypeScreen(TransformerMixin, BaseEstimator):
    """Keep the ``n_sites`` sites most associated with the target.

    Input is the (n_samples, n_sites) int8 dosage matrix (-1 missing). The
    output is float32: the kept sites, missing calls filled with the training
    mean dosage. Sites whose training minor-allele frequency is below
    ``min_maf`` are never kept.

    A scikit-learn transformer (``parametrize_with_checks`` in
    ``tests/test_estimator_checks.py``): a 0/1 target is screened with the
    logistic score test, any other numeric target with the linear one (as
    ``vcfml scan`` treats a quantitative phenotype); bad input raises
    ``ValueError``.

    With ``pairs`` above 0 the ranking also looks for interactions
    (:mod:`vcfml.automl.interactions`): the ``anchors`` best sites are tested
    against every eligible site, and the partners of the ``pairs`` strongest
    pairs move up to just after their anchor, so that a model given the top
    sites gets both sites of a pair whose partner has no effect on its own.
    ``marginal_ranking_`` keeps the one-site ranking, ``pairs_`` the pairs.

    Under a time budget ``fit`` takes a ``pairs_deadline``: the pairs screen
    is skipped when it would end after it, judged first from the one-site
    screen's time (the pairs screen costs about as much, ``PAIRS_COST``) and
    then block by block as it runs (:class:`~vcfml.automl.interactions.OutOfTime`).
    A skipped pairs screen leaves the one-site ranking and says why in
    ``pairs_skipped_`` (``None`` when it ran or was not asked for).
    """

    def __init__(
        self, n_sites: int = 100, min_maf: float = 0.0, pairs: int = 0, anchors: int = N_ANCHORS
    ) -> None:
        self.n_sites = n_sites
        self.min_maf = min_maf
        self.pairs = pairs
        self.anchors = anchors

    def fit(
        self,
        genotypes: np.ndarray,
        y: np.ndarray,
        covariates: np.ndarray | None = None,
        ploidy: np.ndarray | int = 2,
        pairs_deadline: float | None = None,
    ) -> GenotypeScreen:
        """Rank sites on these (training) samples.

        Args:
            covariates: (n_samples, k) numeric covariates to adjust the
                ranking for; ``None`` ranks by the unadjusted test.
            ploidy: alleles per call for the MAF filter
                (:func:`vcfml.stats.call_ploidy`); 2 counts every call as diploid.
            pairs_deadline: a ``time.perf_counter()`` value the pairs screen
                must end by, else it is skipped (``pairs_skipped_``); ``None``:
                no limit.
        """
        genotypes, y = validate_data(self, genotypes, y, dtype=DOSAGE_DTYPES)
        if genotypes.shape[0] < 2:
            raise ScreenError(f"the screen needs 2 samples or more (n_samples = {len(y)})")
        binary = type_of_target(y) == "binary"
        if binary:
            levels = np.unique(y)
            y = (y == levels[-1]).astype(float)  # 0/1 whatever the labels: 1 = the larger
        else:
            try:
                y = np.asarray(y, dtype=float)
            except (TypeError, ValueError) as error:
                raise ScreenError("the target must be binary or numeric") from error
        means = mean_dosage(genotypes)
        maf = minor_allele_frequency(allele_frequency(genotypes, ploidy))
        began = time.perf_counter()
        scores, pvalues = association_scores(genotypes, y, means, covariates, binary)
        one_site_seconds = time.perf_counter() - began
        eligible = np.flatnonzero(maf >= self.min_maf) if self.min_maf > 0 else np.arange(len(maf))
        eligible = eligible[np.isfinite(scores[eligible])]
        if eligible.size == 0:
            raise ScreenError(
                f"no variants left after filtering (min_maf={self.min_maf}, "
                f"{genotypes.shape[1]} sites, none polymorphic enough)"
            )
        order = rank_sites(scores, eligible)
        self.marginal_ranking_ = order
        self.pairs_: list[tuple[int, int, float]] = []
        self.pairs_skipped_: str | None = None
        if self.pairs > 0 and self.anchors > 0 and len(order) > 1:
            anchors = order[: self.anchors]
            pairs_began = time.perf_counter()
            try:
                statistics = _pairs_within(
                    pairs_deadline, PAIRS_COST * one_site_seconds,
                    genotypes, y, means, anchors, covariates, binary,
                )  # fmt: skip
            except OutOfTime as late:
                left = 0.0 if pairs_deadline is None else pairs_deadline - pairs_began
                self.pairs_skipped_ = (
                    f"the pairs screen would take about {late.expected:.1f}s, more than the "
                    f"{max(0.0, left):.1f}s left for it (the one-site screen took "
                    f"{one_site_seconds:.1f}s)"
                )
            else:
                self.pairs_ = strongest_pairs(statistics, anchors, eligible, self.pairs)
                order = pair_ranking(order, self.pairs_)
        self.ranking_ = order
        self.scores_ = scores
        self.pvalues_ = pvalues
        self.means_ = means
        self.maf_ = maf
        self.selected_ = np.sort(order[: self.n_sites])
        return self

    def transform(self, genotypes: np.ndarray) -> np.ndarray:
        """The kept sites, float32, missing calls (negative) filled with the
        training mean dosage."""
        check_is_fitted(self, "selected_")
        genotypes = validate_data(self, genotypes, dtype=DOSAGE_DTYPES, reset=False)
        return impute(genotypes[:, self.selected_], self.means_[self.selected_])

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names of the kept sites (``x3``, ... or the input's column names)."""
        check_is_fitted(self, "selected_")
        names = _check_feature_names_in(self, input_features)
        return np.asarray(names, dtype=object)[self.selected_]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags


# The pairs screen (30 anchors against every site) costs about as much as the
# one-site screen: two matrix products per block against one compiled pass.
# Only the first guess of whether it fits; the scan itself checks block by block.
PAIRS_COST = 1.0


def _pairs_within(
    deadline: float | None, expected: float, genotypes, y, means, anchors, covariates, binary
) -> np.ndarray:
    """:func:`~vcfml.automl.interactions.interaction_scores` if it may end by
    ``deadline``: not started when ``expected`` seconds from now are past it."""
    if deadline is not None and time.perf_counter() + expected > deadline:
        raise OutOfTime(expected)
    return interaction_scores(genotypes, y, means, anchors, covariates, binary, deadline)


class ScreenError(VcfmlError, ValueError):
    """The screen cannot rank these data (a ``ValueError``, as scikit-learn's)."""


def column_means(genotypes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean dosage of each site over called genotypes, and its minor-allele
    frequency (:func:`vcfml.stats.allele_frequency`, every call counted diploid)."""
    return mean_dosage(genotypes), minor_allele_frequency(allele_frequency(genotypes))


def impute(genotypes: np.ndarray, means: np.ndarray) -> np.ndarray:
    """float32 copy with missing calls (-1) replaced by the given column means."""
    values = genotypes.astype(np.float32)
    missing = genotypes < 0
    if missing.any():
        values[missing] = np.broadcast_to(means.astype(np.float32), values.shape)[missing]
    return values


def association_scores(
    genotypes: np.ndarray,
    y: np.ndarray,
    means: np.ndarray,
    covariates: np.ndarray | None = None,
    binary: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-site score-test chi-square of dosage against the target (0/1 with
    ``binary``, else numeric) given the covariates, and its p-value. Missing
    calls are filled with the called samples' mean dosage (``means``, which
    :func:`vcfml.stats.score_test` computes again in its one compiled pass).
    NaN for a site the covariates explain entirely (e.g. monomorphic)."""
    return score_test(genotypes, y, screen_design(len(genotypes), covariates), binary=binary)


def screen_design(n_samples: int, covariates: np.ndarray | None) -> np.ndarray:
    """The screen's design: an intercept column, then the covariates (if any), as
    float64; both screens (in memory and :mod:`vcfml.scale`) build it here."""
    design = np.ones((n_samples, 1))
    if covariates is not None and np.size(covariates):
        values = np.asarray(covariates, dtype=float).reshape(n_samples, -1)
        design = np.column_stack([design, values])
    return design


# Indicator columns that ``features.encode_covariates`` makes of a sex column
# (``sex=male`` / ``sex=M``, the other level dropped) and PLINK's numeric coding.
MALE_INDICATORS = {"sex=male": 1.0, "sex=m": 1.0, "sex=1": 1.0, "sex": 1.0}


def screen_ploidy(dataset: Dataset, rows: np.ndarray | None = None) -> np.ndarray | int:
    """Alleles per call of ``dataset`` (its samples ``rows``, default all) for the
    screen's MAF filter (:func:`vcfml.stats.call_ploidy`), so that a male's chrX
    call outside the PARs counts once, as in :func:`vcfml.stats.allele_frequency`.

    Males come from the run's sex covariate (``sex=male``, ``sex=M`` or PLINK's
    numeric ``sex``, 1 = male); the pseudo-autosomal bounds from the VCF header's
    chrX length (GRCh37's, else GRCh38's). Without a sex covariate no call is
    known to be haploid and every call counts as diploid (returns 2).
    """
    male = screen_males(dataset)
    if male is None:
        return 2
    build = build_of(dataset.contigs)
    haploid = haploid_in_males(dataset.variants["chrom"], dataset.variants["pos"], build)
    return call_ploidy(haploid, male if rows is None else male[rows])


def screen_males(dataset: Dataset) -> np.ndarray | None:
    """Per sample, True for a male, from the run's sex covariate (``sex=male``,
    ``sex=M`` or PLINK's numeric ``sex``, 1 = male); None without one. The
    chunked screen (:mod:`vcfml.scale`) takes its ploidy rule from here too."""
    covariates = dataset.covariates
    columns = {str(name).lower(): name for name in covariates.columns}
    found = [name for name in MALE_INDICATORS if name in columns]
    if not found:
        return None
    return covariates[columns[found[0]]].to_numpy() == MALE_INDICATORS[found[0]]
