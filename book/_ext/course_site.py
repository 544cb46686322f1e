"""Small fixes to the generated site, so that every page loads without a console error.

A Sphinx extension local to the book (``sphinx.local_extensions`` in ``_config.yml``).
Kept to what the themes get wrong with the pinned versions; each fix is tested by
the browser test (``tests/test_site_browser.py``), which fails on console errors.
It also turns links to pages a workshop leaves out into text, and gives chapter
pages the role ``{chapter-time}`N``` that adds the exercise notebooks' own minutes
to N minutes of reading (``tools/workshop_site.py`` builds schedules from the same);
any page gets ``{chapter-total}`N``` (chapter N's reading and exercise minutes, as its
page shows them) and ``{benchmark}`...```, a number read from
``benchmarks/RESULTS.md`` (``benchmark_results``), so that no page copies one.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import docname_join

sys.path.insert(0, str(Path(__file__).parent))
from benchmark_results import BenchmarkLookupError, lookup_file


def drop_repeated_scripts(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Keep the first of identical ``<script>`` entries.

    sphinx-thebe 0.3.1 registers its configuration script once per read phase, and
    Jupyter Book reads twice, so every page declared ``const THEBE_JS_URL`` twice
    and the browser reported "Identifier 'THEBE_JS_URL' has already been declared".
    """
    seen: set[tuple[str, str]] = set()
    kept = []
    for script in context.get("script_files", []):
        attributes = getattr(script, "attributes", {})
        # An inline script's filename is None or "" depending on who added it.
        key = (str(getattr(script, "filename", script) or ""), str(attributes.get("body", "")))
        if key not in seen:
            seen.add(key)
            kept.append(script)
    context["script_files"] = kept


def set_default_colour_mode(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Give the theme a colour mode: without one pydata-sphinx-theme logs
    "Got invalid theme mode" as a console error on a reader's first visit."""
    context.setdefault("default_mode", "auto")
    if not context["default_mode"]:
        context["default_mode"] = "auto"


class UnlinkRemovedPages(SphinxPostTransform):
    """Turn links to pages a workshop leaves out into plain text.

    A workshop build (``tools/workshop.py``) lists the chapters it drops in the
    config value ``course_removed_docs``. Their pages are not built, so a link to
    one would be a broken link or a build warning; the reader gets the link text and
    "(not part of this workshop)" instead. Runs before MyST resolves references.
    """

    default_priority = 5

    def run(self, **kwargs: Any) -> None:
        removed = set(self.config.course_removed_docs)
        if not removed:
            return
        for node in list(self.document.findall(addnodes.pending_xref)):
            target = node.get("reftarget", "")
            if node.get("reftype") == "doc":  # {doc} role: relative to the page
                target = docname_join(node.get("refdoc", self.env.docname), target)
            elif node.get("refdomain") != "doc":  # a Markdown link has the docname
                continue
            if target.lstrip("/") in removed:
                text = nodes.inline("", node.astext() + " (not part of this workshop)")
                node.replace_self(text)


NOTEBOOK_TIME = re.compile(r"\*Time: about (\d+) minutes\.\*")
CHAPTER_TIME = re.compile(r"\{chapter-time\}`(\d+)`")
# The capstone is the chapter after the numbered ones (1-7). Its page, book/capstone,
# has no numbered folder, and its notebooks are known by their name, *_capstone,
# not by their number prefix (exercises/08_capstone; it was 07_ while the capstone was
# chapter 7).
CAPSTONE_CHAPTER = 8
CAPSTONE_PAGE = "book/capstone"
CAPSTONE_SUFFIX = "_capstone"


def chapter_notebooks(source: Path, chapter: int, folder: str = "exercises") -> list[Path]:
    """The notebooks of chapter ``chapter`` in ``source/folder``: ``NN_*`` for a
    numbered chapter, ``*_capstone`` for the capstone."""
    notebooks = sorted((source / folder).glob("*.ipynb"))
    if chapter == CAPSTONE_CHAPTER:
        return [notebook for notebook in notebooks if notebook.stem.endswith(CAPSTONE_SUFFIX)]
    return [
        notebook
        for notebook in notebooks
        if notebook.stem.startswith(f"{chapter:02d}_")
        and not notebook.stem.endswith(CAPSTONE_SUFFIX)
    ]


def exercise_minutes(source: Path, chapter: int) -> list[tuple[str, int | None]]:
    """Each exercise notebook of a chapter in ``source/exercises`` with its minutes.

    The minutes are the notebook's own "*Time: about N minutes.*" line (None when it
    has none); every sum of exercise time in the course starts here.
    """
    found = []
    for notebook in chapter_notebooks(source, chapter):
        match = NOTEBOOK_TIME.search(notebook.read_text(encoding="utf-8"))
        found.append((notebook.stem, int(match.group(1)) if match else None))
    return found


def reading_minutes(index_page: Path) -> int | None:
    """The reading time a chapter page states with ``{chapter-time}`N```."""
    match = CHAPTER_TIME.search(index_page.read_text(encoding="utf-8"))
    return int(match.group(1)) if match else None


def chapter_time_role(
    name: str, rawtext: str, text: str, lineno: int, inliner: Any, options=None, content=None
) -> tuple[list[nodes.Node], list[nodes.Node]]:
    """``{chapter-time}`20``` on a chapter page: "60 minutes (20 reading, 40 exercises)".

    The reading minutes are the argument; the exercise minutes are the sum over the
    chapter's exercise notebooks in this build, so the page, the notebooks and a
    workshop's schedule always agree.
    """
    env = inliner.document.settings.env
    folder = env.docname.split("/")[1] if env.docname.count("/") >= 2 else ""
    if not (folder[:2].isdigit() and text.strip().isdigit()):
        message = inliner.reporter.error(
            f"chapter-time needs reading minutes on a chapter page, got {text!r}", line=lineno
        )
        return [], [message]
    notebooks = exercise_minutes(Path(env.srcdir), int(folder[:2]))
    missing = [stem for stem, minutes in notebooks if minutes is None]
    if missing:
        message = inliner.reporter.error(
            f"exercises {missing} have no '*Time: about N minutes.*' line", line=lineno
        )
        return [], [message]
    for stem, _ in notebooks:
        env.note_dependency(str(Path(env.srcdir) / "exercises" / f"{stem}.ipynb"))
    reading = int(text)
    practice = sum(minutes or 0 for _, minutes in notebooks)
    label = "exercise" if len(notebooks) == 1 else "exercises"
    shown = f"{reading + practice} minutes ({reading} reading, {practice} {label})"
    return [nodes.inline(rawtext, shown)], []


def chapter_total_minutes(source: Path, chapter: int) -> tuple[int, int, int]:
    """Chapter ``chapter``'s (reading, exercise, total) minutes, as its page shows them."""
    pages = sorted((source / "book").glob(f"{chapter:02d}_*/index.md"))
    reading = reading_minutes(pages[0]) if pages else None
    if reading is None:
        raise ValueError(f"chapter {chapter} has no index page with {{chapter-time}}`N`")
    practice = sum(minutes or 0 for _, minutes in exercise_minutes(source, chapter))
    return reading, practice, reading + practice


def chapter_total_role(
    name: str, rawtext: str, text: str, lineno: int, inliner: Any, options=None, content=None
) -> tuple[list[nodes.Node], list[nodes.Node]]:
    """``{chapter-total}`4```: "85 minutes", chapter 4's reading plus its exercises.

    For pages that plan time (the instructors' schedule, the capstone): the same sum
    the chapter page shows, so neither can disagree with the notebooks. A chapter
    without a numbered index page (the capstone, 8) counts its exercises only.
    """
    env = inliner.document.settings.env
    source = Path(env.srcdir)
    if not text.strip().isdigit():
        message = inliner.reporter.error(f"chapter-total needs a chapter number, got {text!r}")
        return [], [message]
    chapter = int(text)
    pages = [page.relative_to(source) for page in source.glob(f"book/{chapter:02d}_*/index.md")]
    if any(str(page.with_suffix("")) in env.config.course_removed_docs for page in pages):
        return [nodes.inline(rawtext, "(not part of this workshop)")], []
    notebooks = exercise_minutes(source, chapter)
    for stem, _ in notebooks:
        env.note_dependency(str(source / "exercises" / f"{stem}.ipynb"))
    try:
        total = chapter_total_minutes(source, chapter)[2]
    except ValueError:
        if not notebooks:
            message = inliner.reporter.error(f"chapter {chapter} has no page and no exercises")
            return [], [message]
        total = sum(minutes or 0 for _, minutes in notebooks)
    return [nodes.inline(rawtext, f"{total} minutes")], []


def results_file(srcdir: str) -> Path:
    """``benchmarks/RESULTS.md`` of the book being built."""
    return Path(srcdir) / "benchmarks" / "RESULTS.md"


def benchmark_role(
    name: str, rawtext: str, text: str, lineno: int, inliner: Any, options=None, content=None
) -> tuple[list[nodes.Node], list[nodes.Node]]:
    """``{benchmark}`SCRIPT; ROW KEYS...; COLUMN; FORMAT```: one recorded number.

    Read at build time from the script's latest table in ``benchmarks/RESULTS.md``
    (``benchmark_results.lookup``); a reference that matches no single cell fails
    the build, so a page cannot quote a number the results no longer hold.
    """
    env = inliner.document.settings.env
    path = results_file(env.srcdir)
    env.note_dependency(str(path))
    try:
        value = lookup_file(path, text)
    except (BenchmarkLookupError, OSError) as error:
        return [], [inliner.reporter.error(f"benchmark {text!r}: {error}", line=lineno)]
    return [nodes.inline(rawtext, value, classes=["benchmark-result"])], []


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("course_removed_docs", [], "env")
    app.add_post_transform(UnlinkRemovedPages)
    app.setup_extension("quiz")  # the {quiz} directive, in book/_ext/quiz.py
    app.add_role("chapter-time", chapter_time_role)
    app.add_role("chapter-total", chapter_total_role)
    app.add_role("benchmark", benchmark_role)
    app.connect("html-page-context", drop_repeated_scripts, priority=900)
    app.connect("html-page-context", set_default_colour_mode)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
