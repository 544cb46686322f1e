"""Open every page of a built site in headless Chromium and report what a reader would see broken.

Used by the browser tests and by instructors (``make site-check``) before publishing:

- a page that does not load (HTTP status other than 200);
- a JavaScript error or a console error;
- a request that leaves localhost (the site must work offline, maths included;
  such requests are blocked and reported);
- an image that does not render;
- an internal link to a page or an anchor that does not exist;
- a search for "genotype" that finds nothing;
- with ``--no-solutions``, any solution code or solution page in the files served;
- with ``--workshop workshops/NAME.yml`` (``make site-check WORKSHOP=...``), the
  workshop's site is checked and, while its solutions are not released, any
  solution page, notebook, source (``_sources``), search-index entry
  (``searchindex.js``), executed copy or pack holding solutions fails the check.

Drives Debian's ``chromium`` through Playwright (``executable_path``), so no browser
is downloaded. A screenshot of every page is saved in ``screenshots/`` beside the
site folder (``_build/html`` -> ``_build/screenshots``), or in ``--screenshots``.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import html
import html.parser
import http.server
import json
import re
import shutil
import sys
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import nbformat

sys.path.insert(0, str(Path(__file__).parent))
from exercises import SOLUTION_TAG, solution_lines

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
# Without the background-networking switches Chromium keeps trying to reach
# Google's servers, which a closed network refuses (and which are not the site's).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SEARCH_TERM = "genotype"
# How long the search page may take to show its first result (ms) before none counts.
SEARCH_WAIT_MS = 20_000
SKIPPED_FOLDERS = {"_static", "_sources", "_images", "_downloads", "reports"}


@dataclass
class SiteReport:
    pages: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    search_hits: int = 0
    screenshots: list[Path] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def find_chromium() -> str | None:
    for name in CHROMIUM_CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on a free localhost port for as long as the block runs."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


class _Anchors(html.parser.HTMLParser):
    """The ids a page defines and the links it makes."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for key in ("id", "name"):
            if values.get(key):
                self.ids.add(str(values[key]))
        if tag == "a" and values.get("href"):
            self.links.append(str(values["href"]))


def site_pages(html_dir: Path) -> list[str]:
    """Every HTML page a reader can reach, relative to the site root."""
    pages = []
    for path in sorted(html_dir.rglob("*.html")):
        relative = path.relative_to(html_dir)
        if relative.parts[0] not in SKIPPED_FOLDERS:
            pages.append(relative.as_posix())
    return pages


def broken_links(html_dir: Path, pages: list[str]) -> list[str]:
    """Internal links whose page or anchor does not exist (checked on the files)."""
    parsed: dict[str, _Anchors] = {}

    def anchors(page: str) -> _Anchors:
        if page not in parsed:
            parser = _Anchors()
            parser.feed((html_dir / page).read_text(encoding="utf-8"))
            parsed[page] = parser
        return parsed[page]

    problems = []
    for page in pages:
        for link in anchors(page).links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith("mailto:"):
                continue  # external: not fetched, the site must not depend on it
            target = urljoin("/" + page, unquote(parts.path)).lstrip("/") if parts.path else page
            if target == "" or target.endswith("/"):
                target += "index.html"
            if not (html_dir / target).exists():
                problems.append(f"{page}: broken link to {link}")
                continue
            fragment = parts.fragment
            if fragment and target.endswith(".html") and fragment not in anchors(target).ids:
                problems.append(f"{page}: link to missing anchor {link}")
    return problems


def solution_leaks(html_dir: Path, solutions: list[Path]) -> list[str]:
    """Solution pages or solution code found anywhere in the served files."""
    secrets: set[str] = set()
    for path in solutions:
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            if cell.cell_type != "code":
                continue
            if SOLUTION_TAG in cell.metadata.get("tags", []):
                secrets.update(line.strip() for line in cell.source.splitlines() if len(line) > 20)
            secrets.update(line for line in solution_lines(cell.source) if len(line) > 12)
    # What an exercise shows too (in another cell, or quoted in a hint) is no secret.
    for path in solutions:
        exercise = path.parent.parent / "exercises" / path.name
        if exercise.exists():
            shown = "\n".join(cell.source for cell in nbformat.read(exercise, as_version=4).cells)
            secrets = {secret for secret in secrets if secret not in shown}
    problems = []
    for path in sorted(html_dir.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(html_dir).as_posix()
        if relative.startswith("_static/"):
            continue  # theme and MathJax assets
        if "solutions/" in relative or relative.startswith("solutions"):
            problems.append(f"solution file served: {relative}")
            continue
        if path.suffix not in {".html", ".js", ".txt", ".ipynb", ".md", ".json", ".py"}:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        text = html.unescape(text)
        for secret in secrets:
            if secret in text:
                problems.append(f"solution code in {relative}: {secret!r}")
                break
    return problems


SEARCH_INDEX_DOCNAMES = re.compile(r'"?docnames"?\s*:\s*(\[[^\]]*\])')


def workshop_leaks(html_dir: Path, workshop: Any, solutions_dir: Path | None = None) -> list[str]:
    """Everything of the solutions a workshop site holds while they are not released.

    Solution pages, notebooks and sources (any file with a ``solutions`` folder in its
    path), search-index entries for solution pages, packs in the site that hold
    solutions, and any line of solution code in the served files. Empty when the
    workshop releases its solutions.
    """
    if workshop.solutions_released:
        return []
    html_dir = Path(html_dir)
    solutions_dir = solutions_dir or Path(__file__).resolve().parents[1] / "solutions"
    problems = solution_leaks(html_dir, sorted(solutions_dir.glob("*.ipynb")))
    index = html_dir / "searchindex.js"
    if index.exists():
        match = SEARCH_INDEX_DOCNAMES.search(index.read_text(encoding="utf-8"))
        docnames = json.loads(match.group(1)) if match else []
        problems += [
            f"search index lists the solution page {name}"
            for name in docnames
            if name.startswith("solutions/")
        ]
    for archive in sorted(html_dir.rglob("*.zip")):
        with zipfile.ZipFile(archive) as zipped:
            inside = [name for name in zipped.namelist() if "/solutions/" in f"/{name}"]
        if inside:
            problems.append(
                f"{archive.relative_to(html_dir)} holds solutions: {inside[0]} and "
                f"{len(inside) - 1} more"
            )
    return problems


def screenshot_name(relative: str) -> str:
    """``book/01_vcf_basics/index.html`` -> ``book__01_vcf_basics__index.png``."""
    return relative.removesuffix(".html").replace("/", "__") + ".png"


def check_site(
    html_dir: Path,
    screenshot_dir: Path | None = None,
    chromium: str | None = None,
    forbidden_solutions: list[Path] | None = None,
    workshop: Any | None = None,
) -> SiteReport:
    """Open every page of the built site ``html_dir`` in headless Chromium.

    With ``screenshot_dir``, each page is saved there as it is opened (the
    viewport, 1280 x 900). With ``workshop`` (a :class:`workshop.Workshop`), a
    solution it does not release is a problem wherever it is found.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    html_dir = Path(html_dir)
    chromium = chromium or find_chromium()
    if chromium is None:
        raise RuntimeError(
            "No Chromium found: install Debian's package (`apt-get install -y chromium`)"
        )
    report = SiteReport(pages=site_pages(html_dir))
    report.problems += broken_links(html_dir, report.pages)
    if forbidden_solutions is not None:
        report.problems += solution_leaks(html_dir, forbidden_solutions)
    if workshop is not None:
        report.problems += workshop_leaks(html_dir, workshop)
    if screenshot_dir is not None:  # only this run's pages in it
        screenshot_dir.mkdir(parents=True, exist_ok=True)
        for old in screenshot_dir.glob("*.png"):
            old.unlink()

    with serve(html_dir) as root, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        current: dict[str, str] = {"page": ""}

        def block_outside(route) -> None:
            url = route.request.url
            if url.startswith(root) or url.startswith("data:"):
                route.continue_()
            else:
                report.problems.append(f"{current['page']}: requests the network: {url}")
                route.abort()

        context.route("**/*", block_outside)
        page = context.new_page()
        page.on(
            "console",
            lambda message: (
                message.type == "error"
                and report.problems.append(f"{current['page']}: console error: {message.text}")
            ),
        )
        page.on(
            "pageerror",
            lambda error: report.problems.append(f"{current['page']}: JavaScript error: {error}"),
        )
        for relative in report.pages:
            current["page"] = relative
            response = page.goto(root + relative, wait_until="load")
            if response is None or response.status != 200:
                status = response.status if response else "no response"
                report.problems.append(f"{relative}: did not load ({status})")
                continue
            page.wait_for_load_state("networkidle")
            unrendered = page.evaluate(
                "Array.from(document.images)"
                ".filter(img => !img.complete || img.naturalWidth === 0)"
                ".map(img => img.getAttribute('src'))"
            )
            report.problems += [f"{relative}: image does not render: {src}" for src in unrendered]
            if screenshot_dir is not None:
                target = screenshot_dir / screenshot_name(relative)
                page.screenshot(path=str(target), full_page=False)
                report.screenshots.append(target)

        current["page"] = "search.html"
        page.goto(f"{root}search.html?q={SEARCH_TERM}", wait_until="load")
        with contextlib.suppress(PlaywrightTimeout):  # no result appeared: reported below
            page.wait_for_selector("ul.search li", timeout=SEARCH_WAIT_MS)
        report.search_hits = page.locator("ul.search li").count()
        if report.search_hits == 0:
            report.problems.append(f"search for {SEARCH_TERM!r} found nothing")

        browser.close()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", type=Path, nargs="?", help="the built site (default: _build/html)")
    parser.add_argument(
        "--screenshots", type=Path, help="folder for the screenshots (default: beside the site)"
    )
    parser.add_argument(
        "--workshop",
        type=Path,
        metavar="CONFIG",
        help="workshops/NAME.yml: check that workshop's site (default folder "
        "_build/workshops/NAME/_build/html) and fail on solutions it does not release",
    )
    parser.add_argument(
        "--no-solutions",
        type=Path,
        metavar="SOLUTIONS_DIR",
        help="fail if code from these solution notebooks appears in the site",
    )
    args = parser.parse_args(argv)
    forbidden = sorted(args.no_solutions.glob("*.ipynb")) if args.no_solutions else None
    workshop = None
    html_dir = args.html or Path("_build/html")
    if args.workshop is not None:
        from workshop import WorkshopConfigError, load_workshop, workshop_output

        try:
            workshop = load_workshop(args.workshop)
        except WorkshopConfigError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        html_dir = (
            args.html or workshop_output(args.workshop, None, "participants") / "_build" / "html"
        )
        released = "released" if workshop.solutions_released else "not released"
        print(f"workshop {args.workshop.stem}: solutions {released}")
    if not (html_dir / "index.html").is_file():
        print(
            f"error: no built site in {html_dir} (no index.html): build it first", file=sys.stderr
        )
        return 1
    screenshots = args.screenshots or html_dir.parent / "screenshots"
    report = check_site(html_dir, screenshots, forbidden_solutions=forbidden, workshop=workshop)
    print(
        f"{len(report.pages)} pages opened; search for {SEARCH_TERM!r}: {report.search_hits} hits"
    )
    if report.screenshots:
        print(f"{len(report.screenshots)} screenshots in {screenshots}")
    if report.problems:
        print(f"{len(report.problems)} problems:", file=sys.stderr)
        for problem in report.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    print("The site is OK.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
