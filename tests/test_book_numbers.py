"""No book page types a result by hand.

Results (scores, AUCs, timings, ratios) on the book's Markdown pages come from an
executed cell (``{glue:text}``), from ``benchmarks/RESULTS.md`` (the ``{benchmark}``
role of ``book/_ext``) or from the exercise notebooks (``{chapter-time}``,
``{chapter-total}``), so they cannot go stale. This test looks for the numbers a page
would type instead: decimals such as 0.845 and measurements such as 577 s or 1.04 GiB
in prose, outside code, maths and roles. A short allow-list keeps definitions and
hypothetical examples; each entry says why.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "book" / "_ext"))
from benchmark_results import BenchmarkLookupError, lookup, read_sections

# A decimal below 1 with two or more digits (0.845, 0.04), or a decimal with a unit
# of time, memory or a ratio (57.4 s, 1.04 GiB, 4.42x). Whole numbers are left alone:
# most are inputs (60 s budgets, 500 samples, 5 folds).
TYPED_RESULT = re.compile(
    r"(?<![\w.])(?:0\.\d{2,}|\d+\.\d+ ?(?:s|seconds|minutes|GiB|MiB|GB|x|times)(?![\w]))"
)

# Numbers that are not results: definitions, inputs and hypothetical examples.
ALLOWED = {
    "book/01_vcf_basics/anatomy.md": {"0.75"},  # a worked example: 3 ALT alleles of 4
    "book/01_vcf_basics/index.md": {"0.71", "0.25", "0.225", "0.09"},
    # 0.71: a self-test's worked example (5/7); 0.25, 0.225, 0.09: the quiz's worked
    # example (45 ALT copies in 90 called people) and its wrong answers
    "book/02_simulation/index.md": {"0.71", "0.25", "0.05"},
    # quiz: sqrt(0.5) and the variance-vs-SD wrong answer for h2 = 0.5 (inputs);
    # 0.05: the simulator's MAF cut (an input)
    "book/02_simulation/coalescent.md": {"0.05"},  # the PCA's MAF filter (an input)
    "book/06_scaling/index.md": {"0.118", "0.20", "0.30"},
    # the quiz's worked example: merging 0.10 in 1,000 people with 0.30 in 100
    "book/glossary.md": {"0.05", "0.15", "0.01", "0.455", "0.25", "0.125"},
    # 0.25, 0.125: the kinship of first- and second-degree relatives (definitions);
    # 0.05: Bonferroni's definition; 0.15, 0.01: F_ST between continents and within
    # Europe (literature values, not results of the course); 0.455: the median of a
    # chi-square with 1 degree of freedom (a constant of genomic control)
    "book/02_simulation/models.md": {"0.90", "0.05", "0.04"},
    # 0.90/0.05/0.05: the 2019 generator's inputs; 0.04: Hanley-McNeil's standard
    # error for the stated AUC and sample size (a formula's value, cited)
    "book/05_interpretability/explaining.md": {"0.05"},  # Bonferroni's definition
    "book/04_experiments/index.md": {"0.80", "0.82", "0.86", "0.02", "0.03"},
    # a self-test's example; the quiz's standard error of an accuracy of 0.95 on 100
    # people (sqrt(0.95 x 0.05 / 100), a formula's value)
    "book/instructors/notes.md": {"0.05", "0.92"},  # MAF cut (input); 2019's published result
    "book/04_experiments/pgs.md": {"0.03"},  # the margin AutoML must win by (a target)
}

FENCE = re.compile(r"^(`{3,}|~{3,})(.*)$")
CODE_DIRECTIVES = ("{code-cell}", "{code-block}", "{code}", "{math}")
DIRECTIVE_OPTION = re.compile(r"^:[\w-]+:")
INLINE_CODE = re.compile(r"`[^`]*`")
ROLE = re.compile(r"\{[\w:-]+\}`[^`]*`")
MATH = re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$", re.DOTALL)
LINK_TARGET = re.compile(r"\]\([^)]*\)")


def prose(markdown: str) -> str:
    """The page's prose: front matter, code, maths, roles and inline code removed.

    A directive (```{figure}, ```{admonition}) keeps its content, which is prose;
    a code cell or a plain code block loses it, and so do directive options.
    """
    text = re.sub(r"\A---\n.*?\n---\n", "", markdown, flags=re.DOTALL)
    kept: list[str] = []
    open_blocks: list[tuple[str, bool]] = []  # (fence, holds code) of each open block
    for line in text.splitlines():
        stripped = line.strip()
        fence = FENCE.match(stripped)
        if fence:
            marks, info = fence.group(1), fence.group(2).strip()
            if open_blocks and not info and marks == open_blocks[-1][0]:
                open_blocks.pop()
            elif not (open_blocks and open_blocks[-1][1]):
                holds_code = not info.startswith("{") or info.startswith(CODE_DIRECTIVES)
                open_blocks.append((marks, holds_code))
            continue
        if any(holds_code for _, holds_code in open_blocks):
            continue
        if stripped.startswith(":::") or DIRECTIVE_OPTION.match(stripped):
            continue
        kept.append(line)
    text = "\n".join(kept)
    for pattern in (MATH, ROLE, INLINE_CODE, LINK_TARGET):
        text = pattern.sub(" ", text)
    return text


def typed_results(page: str, markdown: str) -> list[str]:
    """The result-like numbers a page types in its prose, less its allow-list."""
    allowed = ALLOWED.get(page, set())
    return [number for number in TYPED_RESULT.findall(prose(markdown)) if number not in allowed]


def book_pages() -> list[str]:
    return sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / "book").rglob("*.md")
        if "_build" not in path.parts
    )


@pytest.mark.parametrize("page", book_pages())
def test_no_page_types_a_result(page):
    found = typed_results(page, (ROOT / page).read_text(encoding="utf-8"))
    assert not found, (
        f"{page} types {found} in its prose: glue it from an executed cell "
        "({glue:text}), read it from benchmarks/RESULTS.md ({benchmark}), "
        "or, if it is a definition or an input, add it to ALLOWED with the reason"
    )


def test_the_check_catches_typed_results():
    """The paragraph concepts.md had before its numbers were read from RESULTS.md."""
    old = (
        "FLAML given all 10,000 sites of a 2,000-person cohort for 60 s reached a test AUC"
        " of\n0.810 (0.804 in another run: its trials depend on the clock) when the "
        "Bayes-optimal AUC\nwas 0.861, while a scan plus a logistic regression reached "
        "0.829, and `vcfml automl` 0.845.\nThe convert took 432.1 s and peaked at 1.04 GiB."
    )
    assert typed_results("book/x.md", old) == [
        "0.810",
        "0.804",
        "0.861",
        "0.829",
        "0.845",
        "432.1 s",
        "1.04 GiB",
    ]
    # the same numbers in code, maths or a role are not prose
    assert typed_results("book/x.md", "```text\nroc_auc 0.5712\n```\n") == []
    assert typed_results("book/x.md", "$h^2 \\approx 0.47$ and `0.85`") == []
    assert typed_results("book/x.md", "{benchmark}`a.py; b; c; .3f`") == []
    # prose inside a figure caption or an admonition is prose
    figure = "```{figure} a.svg\n:width: 100%\n\nThreshold 0.805.\n```\n"
    assert typed_results("book/x.md", figure) == ["0.805"]


def test_the_check_fails_on_the_pages_before_the_glue():
    """The pages as they were before results were glued: the test would have failed."""
    before = "f0e9c9a"
    known = subprocess.run(
        ["git", "cat-file", "-e", f"{before}^{{commit}}"], cwd=ROOT, capture_output=True
    )
    if known.returncode != 0:
        pytest.skip(f"commit {before} is not in this clone")
    old = subprocess.run(
        ["git", "show", f"{before}:book/03_automl_concepts/concepts.md"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert {"0.810", "0.861", "0.829", "0.845", "0.571"} <= set(
        typed_results("book/03_automl_concepts/concepts.md", old)
    )
    ladder = subprocess.run(
        ["git", "show", f"{before}:book/06_scaling/ladder.md"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "2.3 times" in typed_results("book/06_scaling/ladder.md", ladder)


def test_every_allowed_number_is_still_on_its_page():
    """An allow-list entry the page no longer needs is removed, not left to hide one."""
    for page, numbers in ALLOWED.items():
        found = set(TYPED_RESULT.findall(prose((ROOT / page).read_text(encoding="utf-8"))))
        assert numbers <= found, f"{page}: {numbers - found} no longer appear; drop them"


BENCHMARK_ROLE = re.compile(r"(?<!`)\{benchmark\}`([^`]*)`")


def test_every_benchmark_reference_names_one_recorded_number():
    """Each {benchmark} role on a page resolves in benchmarks/RESULTS.md, and its
    value is one of the numbers the table records (checked without building)."""
    sections = read_sections((ROOT / "benchmarks" / "RESULTS.md").read_text(encoding="utf-8"))
    references = [
        (page, reference)
        for page in book_pages()
        for reference in BENCHMARK_ROLE.findall((ROOT / page).read_text(encoding="utf-8"))
    ]
    assert references, "no page quotes a benchmark: is the role still used?"
    recorded = {cell for section in sections for row in section.rows for cell in row}
    recorded |= {section.date for section in sections}
    for page, reference in references:
        value = lookup(sections, reference)
        raw = lookup(sections, re.sub(r";\s*[,.]?\d*[dfg%]$", "", reference))
        assert raw in recorded, (page, reference)
        if raw != value:
            assert abs(float(raw.replace(",", "")) - float(value.replace(",", ""))) < 0.001


RESULTS_TEXT = """# Benchmark results

## quality.py, 2026-01-02 (x86_64)

| cohort | method | test AUC | wall s |
|:--|:--|--:|--:|
| small | automl | 0.8447 | 52.8 |
| small | plain | did not finish | > 300 |

Reading: prose with | a pipe.

## quality.py, 2026-02-03 (x86_64), one cohort only

| cohort | method | test AUC | wall s |
|:--|:--|--:|--:|
| large | automl | 0.8109 | 53.4 |
"""


def test_benchmark_lookup_takes_the_newest_run_of_a_row():
    sections = read_sections(RESULTS_TEXT)
    assert lookup(sections, "quality.py; small; automl; test AUC; .3f") == "0.845"
    assert lookup(sections, "quality.py; large; automl; test AUC") == "0.8109"
    assert lookup(sections, "quality.py; large; automl; date") == "2026-02-03"
    assert lookup(sections, "quality.py; small; automl; date") == "2026-01-02"
    assert lookup(sections, "quality.py; small; plain; wall s") == "> 300"


@pytest.mark.parametrize(
    "reference, message",
    [
        ("other.py; small; automl; test AUC", "no section for 'other.py'"),
        ("quality.py; small; automl; seconds", "column 'seconds'"),
        ("quality.py; small; test AUC", "2 rows"),
        ("quality.py; small; plain; test AUC; .3f", "not a number"),
    ],
)
def test_benchmark_lookup_refuses_what_is_not_one_number(reference, message):
    with pytest.raises(BenchmarkLookupError, match=re.escape(message)):
        lookup(read_sections(RESULTS_TEXT), reference)


def test_planned_times_are_summed_from_the_notebooks():
    """The capstone page and the instructors' schedule show {chapter-total}, the chapter
    page's reading minutes plus its notebooks' own "*Time: about N minutes.*" lines,
    never a typed total that an edited notebook would leave behind."""
    from course_site import chapter_total_minutes, exercise_minutes, reading_minutes

    for chapter in range(1, 8):
        page = next((ROOT / "book").glob(f"{chapter:02d}_*/index.md"))
        reading, practice, total = chapter_total_minutes(ROOT, chapter)
        assert reading == reading_minutes(page)
        assert practice == sum(minutes for _, minutes in exercise_minutes(ROOT, chapter))
        assert total == reading + practice
    schedule = (ROOT / "book" / "instructors" / "index.md").read_text(encoding="utf-8")
    assert all(f"{{chapter-total}}`{chapter}`" in schedule for chapter in range(1, 9))
    capstone = (ROOT / "book" / "capstone.md").read_text(encoding="utf-8")
    assert "{chapter-total}`8`" in capstone
    assert not re.search(r"Estimated time:\*\* \d", capstone)
