"""Exercise self-checks pass on right answers and hint on wrong ones; the
course-wide AutoML budget comes from one environment variable."""

from __future__ import annotations

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
