"""The ``quiz`` directive: a multiple-choice question with feedback for every option.

Concept quizzes in the manner of the scikit-learn MOOC: the learner picks an option
and reads why it is right or wrong. The static site has no server and the course
avoids scripts that could fail offline, so each option is an HTML ``<details>``
element: clicking it opens its verdict and explanation. Nothing is graded or stored.

The body is YAML, so that options can hold any text without a new mini-syntax. Use a
colon fence (MyST's ``colon_fence``): a backtick fence's first line cannot hold code
in backticks, and questions often do::

    :::{quiz} Why does `./1` count as a missing call?
    - option: One allele is unknown, so the dosage is unknown.
      correct: true
      why: It could be 1 or 2.
    - option: Because `.` means REF.
      why: A missing allele says nothing about the allele.
    :::

``correct`` defaults to false; every option needs ``why`` (a wrong option without an
explanation teaches nothing), and at least one option must be correct. Text may use
backticks for code, ``*emphasis*`` and ``**strong**``; everything else is escaped.
"""

from __future__ import annotations

import html
import re
from typing import Any

import yaml
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

_EMPHASIS = [
    (re.compile(r"\*\*([^*]+)\*\*"), r"<strong>\1</strong>"),
    (re.compile(r"\*([^*]+)\*"), r"<em>\1</em>"),
]


class QuizError(ValueError):
    """A quiz whose body is not a list of options with explanations."""


def inline_html(text: str) -> str:
    """Escape ``text`` and render its backticks and emphasis.

    Code spans are protected first, so that an asterisk inside backticks stays literal.
    """
    parts = re.split(r"(`[^`]+`)", str(text).strip())
    out = []
    for part in parts:
        if part.startswith("`") and part.endswith("`") and len(part) > 1:
            out.append(f"<code>{html.escape(part[1:-1])}</code>")
            continue
        escaped = html.escape(part)
        for pattern, replacement in _EMPHASIS:
            escaped = pattern.sub(replacement, escaped)
        out.append(escaped)
    return "".join(out)


def parse_options(body: str, question: str) -> list[dict[str, Any]]:
    """The options of one quiz from its YAML body, checked."""
    try:
        options = yaml.safe_load(body)
    except yaml.YAMLError as error:
        raise QuizError(f"quiz {question!r}: the body is not valid YAML ({error})") from error
    if not isinstance(options, list) or len(options) < 2:
        raise QuizError(f"quiz {question!r}: give a list of at least two options")
    checked = []
    for number, option in enumerate(options, start=1):
        if not isinstance(option, dict) or not str(option.get("option", "")).strip():
            raise QuizError(f"quiz {question!r}: option {number} has no 'option' text")
        if not str(option.get("why", "")).strip():
            raise QuizError(
                f"quiz {question!r}: option {number} ({option['option']!r}) has no 'why': "
                "say why it is right or wrong"
            )
        unknown = set(option) - {"option", "correct", "why"}
        if unknown:
            raise QuizError(
                f"quiz {question!r}: option {number} has unknown keys {sorted(unknown)}"
            )
        checked.append(
            {
                "option": option["option"],
                "correct": bool(option.get("correct")),
                "why": option["why"],
            }
        )
    if not any(option["correct"] for option in checked):
        raise QuizError(f"quiz {question!r}: no option is marked 'correct: true'")
    return checked


def quiz_html(question: str, options: list[dict[str, Any]], number: int | None = None) -> str:
    """The HTML of one quiz: the question, then one ``<details>`` per option."""
    several = sum(option["correct"] for option in options) > 1
    label = f"Question {number}. " if number is not None else ""
    hint = " (more than one answer is right)" if several else ""
    lines = [
        '<div class="course-quiz">',
        f'<p class="course-quiz-question"><strong>{label}</strong>{inline_html(question)}'
        f"<em>{hint}</em></p>",
        '<ol class="course-quiz-options" type="A">',
    ]
    for option in options:
        verdict, css = (
            ("✅ Right.", "right") if option["correct"] else ("❌ Not this one.", "wrong")
        )
        lines.append(
            f'<li><details class="course-quiz-option course-quiz-{css}">'
            f"<summary>{inline_html(option['option'])}</summary>"
            f'<p class="course-quiz-feedback"><strong>{verdict}</strong> '
            f"{inline_html(option['why'])}</p></details></li>"
        )
    lines += ["</ol>", "</div>"]
    return "\n".join(lines)


QUIZ_CSS = """
.course-quiz { border-left: 4px solid #7b3294; padding: 0.2em 0 0.2em 1em; margin: 1.2em 0; }
.course-quiz-options details summary { cursor: pointer; }
.course-quiz-feedback { margin: 0.3em 0 0.6em 0; }
.course-quiz-right .course-quiz-feedback { color: #1a7f37; }
.course-quiz-wrong .course-quiz-feedback { color: #b42318; }
"""


class QuizDirective(SphinxDirective):
    """``{quiz} question`` with a YAML list of options (see the module docstring)."""

    required_arguments = 1
    final_argument_whitespace = True
    has_content = True

    def run(self) -> list[nodes.Node]:
        question = self.arguments[0]
        try:
            options = parse_options("\n".join(self.content), question)
        except QuizError as error:
            raise self.error(f"{self.env.docname}: {error}") from error
        # temp_data lives for one document: the questions of a page are numbered 1, 2, ...
        number = self.env.temp_data.get("course_quiz_number", 0) + 1
        self.env.temp_data["course_quiz_number"] = number
        return [nodes.raw("", quiz_html(question, options, number), format="html")]


def add_css(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Inline the quiz style on pages with a quiz (no extra file to serve)."""
    if "course-quiz" in context.get("body", ""):
        context["body"] = f"<style>{QUIZ_CSS}</style>\n" + context["body"]


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("quiz", QuizDirective)
    app.connect("html-page-context", add_css)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
