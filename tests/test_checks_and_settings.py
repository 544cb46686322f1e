"""Exercise self-checks pass on right answers and hint on wrong ones; the
course-wide AutoML budget comes from one environment variable."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from vcfml import check
from vcfml.check.chapter1 import TEST_CALLS
from vcfml.errors import VcfmlError
from vcfml.settings import automl_budget
from vcfml.stats import allele_frequency


def right(gt: str) -> int:
    alleles = gt.replace("|", "/").split("/")
    return -1 if "." in alleles else alleles.count("1")


def test_check_passes_on_the_answer(capsys):
    assert check.exercise_1_1(right)
    assert capsys.readouterr().out.startswith("✅ Exercise 1.1: correct.")


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (lambda gt: -1 if "." in gt else gt.split("/").count("1"), "phased call separates"),
        (lambda gt: gt.replace("|", "/").split("/").count("1"), "the call is missing"),
        (lambda gt: 2 if gt == "1" else right(gt), "haploid call"),
    ],
)
def test_check_hints_without_the_answer(answer, hint, capsys):
    result = check.exercise_1_1(answer)
    out = capsys.readouterr().out
    assert not result
    assert out.startswith("❌ Exercise 1.1: not yet.")
    assert hint in out
    assert "expected" not in out.lower()


def test_check_survives_stubs_and_crashes(capsys):
    def stub(gt):
        raise NotImplementedError("Split the call")

    assert not check.exercise_1_1(stub)
    assert "still raises NotImplementedError" in capsys.readouterr().out
    assert not check.exercise_1_1(lambda gt: int(gt))
    assert "raised ValueError" in capsys.readouterr().out


def test_reference_covers_every_rule():
    assert any("|" in c for c in TEST_CALLS) and any("." in c for c in TEST_CALLS)
    assert any(len(c) == 1 for c in TEST_CALLS)


def test_budget_from_environment(monkeypatch):
    monkeypatch.delenv("VCFML_AUTOML_BUDGET", raising=False)
    assert automl_budget() == 10.0
    monkeypatch.setenv("VCFML_AUTOML_BUDGET", "300")
    assert automl_budget() == 300.0 and automl_budget(0.5) == 150.0
    for bad in ["0", "-5", "ten"]:
        monkeypatch.setenv("VCFML_AUTOML_BUDGET", bad)
        with pytest.raises(VcfmlError, match="VCFML_AUTOML_BUDGET must be a positive number"):
            automl_budget()


def test_course_settings_follow_the_budget_variable(monkeypatch):
    from vcfml.automl import course_settings

    monkeypatch.delenv("VCFML_AUTOML_BUDGET", raising=False)
    fixed = course_settings().resolved()
    assert fixed.deterministic and fixed.max_trials == 12 and fixed.budget is None
    monkeypatch.setenv("VCFML_AUTOML_BUDGET", "120")
    timed = course_settings(fraction=0.5, metric="accuracy").resolved()
    assert not timed.deterministic and timed.budget == 60 and timed.metric == "accuracy"


def test_chapter4_checks(capsys):
    import numpy as np

    y_true = np.array([1, 1, 1, 0, 0, 0, 0])
    y_pred = np.array([1, 1, 0, 0, 0, 1, 0])
    assert check.exercise_4_1(2 / 3, 3 / 4, y_true, y_pred)
    assert not check.exercise_4_1(3 / 4, 2 / 3, y_true, y_pred)
    assert "swapped" in capsys.readouterr().out


def test_chapter5_2_check(capsys):
    import numpy as np

    genotypes = np.array([[0, 2], [1, -1], [2, 2], [0, 0]], dtype=np.int8)
    population = ["a", "a", "b", "b"]
    right = np.array([0.25, 0.5])  # a: 0.25, 1.0 (the -1 skipped); b: 0.5, 0.5
    # A bare matrix does not say which calls are a man's chrX calls: the check asks for
    # the read_vcf result and the sex (exercise 5.2 requires ploidy).
    assert not check.exercise_5_2(right, genotypes, population)
    assert "which calls are a man's chrX calls" in capsys.readouterr().out


def test_chapter5_2_requires_ploidy_and_rejects_wrong_ones(capsys):
    import pandas as pd

    from vcfml import GenotypeMatrix
    from vcfml.stats import allele_frequency, call_ploidy, haploid_in_males

    # Men (rows 0, 1, 4, 5) carry one X outside the PARs: site 1 (chrX:5 Mb).
    # Site 2 is in PAR1 (chrX:1 Mb), where they carry two; site 0 is autosomal.
    calls = np.array(
        [[0, 1, 1], [1, 0, 1], [2, 2, 2], [1, -1, 0], [2, 1, 0], [0, 1, 0], [1, 0, 1], [2, 2, 1]],
        dtype=np.int8,
    )
    variants = pd.DataFrame({"chrom": ["chr1", "chrX", "chrX"], "pos": [100, 5_000_000, 1_000_000]})
    genotypes = GenotypeMatrix(calls, variants, [f"s{i}" for i in range(8)])
    population = np.array(["a"] * 4 + ["b"] * 4)
    sex = ["male", "male", "female", "female"] * 2
    male = np.array(sex) == "male"

    def difference(ploidy):
        ploidy = np.broadcast_to(np.asarray(ploidy), calls.shape)
        first = allele_frequency(calls[population == "a"], ploidy[population == "a"])
        second = allele_frequency(calls[population == "b"], ploidy[population == "b"])
        return np.abs(second - first)

    halves = difference(2)  # the hint's mean dosage / 2
    ploidy_correct = difference(call_ploidy(haploid_in_males(variants.chrom, variants.pos), male))
    assert not np.allclose(halves, ploidy_correct)  # the case tells the two apart
    assert np.allclose(halves[[0, 2]], ploidy_correct[[0, 2]])  # autosome and PAR1 agree
    # Right: a man's non-PAR chrX call counted once (as plink2 --freq), as an array or Series.
    assert check.exercise_5_2(ploidy_correct, genotypes, population, sex=sex)
    assert check.exercise_5_2(pd.Series(ploidy_correct), genotypes, population, sex=sex)
    capsys.readouterr()
    # Wrong: every call diploid, the mistake the learner's review saw pass.
    assert not check.exercise_5_2(halves, genotypes, population, sex=sex)
    assert "a man carries one X" in capsys.readouterr().out
    # Wrong: PAR1 counted as haploid too; the -1 counted as a 0; no division by 2.
    par_haploid = difference(
        call_ploidy(haploid_in_males(variants.chrom, variants.pos, None), male)
    )
    unmasked = (
        np.abs(
            np.maximum(calls[population == "b"], 0).mean(axis=0)
            - np.maximum(calls[population == "a"], 0).mean(axis=0)
        )
        / 2
    )
    for wrong in (par_haploid, unmasked, halves * 2, ploidy_correct[:2]):
        assert not check.exercise_5_2(wrong, genotypes, population, sex=sex)
    # Without the sex the check cannot know who counts once: it asks for it.
    assert not check.exercise_5_2(ploidy_correct, genotypes, population)
    output = capsys.readouterr().out
    assert "sex=samples['sex']" in output and "2 values for 3 sites" in output


def test_chapter5_ld_tags_check(capsys):
    import pandas as pd

    class Cohort:  # what read_vcf returns, as far as the check looks
        genotypes = np.array(
            [[0, 0, 2, 0, 1, 1], [1, 1, 1, 2, 0, 1], [2, 2, 0, 1, 2, 1], [1, 1, 1, 0, 1, 0]]
        )
        variants = pd.DataFrame({"id": ["c", "t", "u", "x", "d", "y"]})

    # t is c (r² 1), u is 2 - c (r² 1), x and y are in LD with no causal site
    truth = {"causal_sites": [{"id": "c"}, {"id": "d"}]}
    right = {"c": "c", "t": "c", "u": "c", "x": None, "y": None}
    assert check.exercise_5_3(right, Cohort, truth)
    different = pd.Series({"y": np.nan, "x": "", "u": "c", "t": "c", "c": "c"})
    assert check.exercise_5_3(different, Cohort, truth)  # NaN and "" mean none, any order
    strict = {"c": "c", "t": None, "u": None, "x": None, "y": None}
    assert not check.exercise_5_3(strict, Cohort, truth)
    assert "in LD with it" in capsys.readouterr().out
    assert not check.exercise_5_3({**right, "x": "d"}, Cohort, truth)
    assert "not in LD with" in capsys.readouterr().out
    assert not check.exercise_5_3({"c": "c"}, Cohort, truth)
    assert not check.exercise_5_3({**right, "nope": None}, Cohort, truth)


def test_chapter6_check_both_directions(capsys):
    def right(block):
        called = block >= 0
        counts = called.sum(axis=1)
        return np.where(
            counts > 0, np.where(called, block, 0).sum(axis=1) / np.maximum(counts, 1), 0.0
        )

    assert check.exercise_6_1(right)
    assert "✅ Exercise 6.1" in capsys.readouterr().out

    def counts_missing_as_zero(block):
        return np.where(block < 0, 0, block).mean(axis=1)

    assert not check.exercise_6_1(counts_missing_as_zero)
    assert "leave missing calls (-1) out" in capsys.readouterr().out

    def nan_for_empty_sites(block):
        values = np.where(block < 0, np.nan, block.astype(float))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # "Mean of empty slice"
            return np.nanmean(values, axis=1)

    assert not check.exercise_6_1(nan_for_empty_sites)
    assert "return 0.0 for it" in capsys.readouterr().out

    assert not check.exercise_6_1(lambda block: block.mean(axis=0))
    assert "expects (samples, sites)" in capsys.readouterr().out

    # The task's route: allele_frequency, which reduces axis 0 of (samples, sites).
    def not_transposed(block):
        return np.nan_to_num(2 * allele_frequency(block), nan=0.0)

    assert not check.exercise_6_1(not_transposed)
    assert "turn the block around" in capsys.readouterr().out

    def transposed(block):
        return np.nan_to_num(2 * allele_frequency(block.T), nan=0.0)

    assert check.exercise_6_1(transposed)
