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
    assert check.exercise_5_2(right, genotypes, population)
    assert not check.exercise_5_2(right + 0.1, genotypes, population)
    assert "skip -1" in capsys.readouterr().out


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
    assert "reduce over axis 1" in capsys.readouterr().out
