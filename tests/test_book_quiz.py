"""The {quiz} directive (book/_ext/quiz.py): a MyST page with quizzes builds to HTML
where each option opens its verdict and explanation, and malformed quizzes stop the
build with a message naming the page and the question. Every quiz in the book parses."""

from __future__ import annotations

import io
import re
import sys
import textwrap

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "book" / "_ext"))
from quiz import QuizError, inline_html, parse_options, quiz_html

PAGE = textwrap.dedent(
    """\
    # A page

    ::::{quiz} What is the dosage of `1|1`?
    - option: "2"
      correct: true
      why: Two ALT copies; phasing does not change the count.
    - option: "1"
      why: That is a heterozygote such as `0|1`.
    - option: "-1 <script>"
      why: Only a missing call is -1.
    ::::

    ::::{quiz} Which are *model-agnostic*?
    - option: Permutation importance
      correct: true
      why: It only needs predictions.
    - option: SHAP's Permutation explainer
      correct: true
      why: It only needs predictions too.
    - option: SHAP's TreeExplainer
      why: It reads the trees.
    ::::
    """
)


def build(tmp_path, page: str):
    """Build one MyST page with the quiz extension; its HTML and the build's warnings."""
    from sphinx.application import Sphinx

    source = tmp_path / "source"
    source.mkdir()
    (source / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT / 'book' / '_ext')!r})\n"
        "extensions = ['myst_parser', 'quiz']\n"
        "myst_enable_extensions = ['colon_fence']\n"
    )
    (source / "index.md").write_text(page)
    out = tmp_path / "html"
    warnings = io.StringIO()
    app = Sphinx(str(source), str(source), str(out), str(tmp_path / "doctrees"), "html",
                 status=None, warning=warnings, freshenv=True)  # fmt: skip
    app.build()
    return warnings.getvalue(), (out / "index.html").read_text()


def test_quiz_page_builds_with_feedback_for_every_option(tmp_path):
    warnings, page = build(tmp_path, PAGE)
    assert warnings == ""
    assert page.count('class="course-quiz"') == 2
    options = re.findall(r'<details class="course-quiz-option course-quiz-(right|wrong)">', page)
    assert options == ["right", "wrong", "wrong", "right", "right", "wrong"]
    assert page.count('<p class="course-quiz-feedback">') == 6
    assert "<strong>Question 1. </strong>What is the dosage of <code>1|1</code>?" in page
    assert "Question 2. " in page
    assert "That is a heterozygote such as <code>0|1</code>." in page
    assert "<script>" not in page.split("course-quiz", 1)[1].split("</ol>")[0]  # escaped
    assert "&lt;script&gt;" in page
    assert "(more than one answer is right)" in page.split("Question 2.")[1]
    assert "(more than one answer is right)" not in page.split("Question 2.")[0]
    assert ".course-quiz {" in page  # the style is inlined on the page


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("- option: a\n  why: b\n- option: c\n  why: d\n", "no option is marked 'correct: true'"),
        ("- option: a\n  correct: true\n  why: b\n- option: c\n", "option 2 ('c') has no 'why'"),
        ("- option: a\n  correct: true\n  why: b\n", "at least two options"),
        ("- option: a\n  correct: true\n  why: [b\n", "not valid YAML"),
        (
            "- option: a\n  correct: true\n  why: b\n- optoin: c\n  why: d\n",
            "option 2 has no 'option'",
        ),
    ],
)
def test_malformed_quizzes_are_rejected_by_name(body, message):
    with pytest.raises(QuizError, match=re.escape(message)) as caught:
        parse_options(body, "Q?")
    assert "'Q?'" in str(caught.value)


def test_a_malformed_quiz_fails_the_page_build_naming_the_page(tmp_path):
    warnings, page = build(
        tmp_path, "# A page\n\n:::{quiz} Q?\n- option: a\n  why: b\n- option: c\n  why: d\n:::\n"
    )
    assert "index: quiz 'Q?': no option is marked 'correct: true'" in warnings
    assert '<div class="course-quiz">' not in page


def test_inline_markup_keeps_code_literal():
    assert inline_html("`a*b*c` and *x* and **y** & <z>") == (
        "<code>a*b*c</code> and <em>x</em> and <strong>y</strong> &amp; &lt;z&gt;"
    )


def test_every_quiz_in_the_book_parses():
    """Each chapter's index page ends with 5 to 8 questions, each valid."""
    pattern = re.compile(r"^(:{3,})\{quiz\} (.+?)\n(.*?)\n\1$", re.S | re.M)
    chapters = sorted(ROOT.glob("book/0[1-7]_*/index.md"))
    assert len(chapters) == 7
    for index in chapters:
        quizzes = pattern.findall(index.read_text())
        assert 5 <= len(quizzes) <= 8, f"{index}: {len(quizzes)} quiz questions"
        for _fence, question, body in quizzes:
            options = parse_options(body, question)
            assert 3 <= len(options) <= 5, f"{index}: {question}"
            assert "Question" in quiz_html(question, options, 1)
