"""Assemble everything GitHub Pages serves into one folder (``make publish``).

A repository has one Pages site, and each deployment replaces all of it. If the
course and each workshop deployed on their own, a push to ``main`` would replace a
running workshop's site (solutions held back) with the full course (solutions
included) at the address participants were given. So there is one deployment,
``.github/workflows/pages.yml``, and it always publishes all of them together:

- at the root, what ``.github/publish.yml`` says (``root: course``: the full course,
  solutions included, as ``make book`` builds it; ``root: index``: only a page that
  lists the workshops, no course and no solution);
- under ``workshops/NAME/``, every workshop file (``workshops/**/*.yml`` or
  ``.yaml``) with ``publish: true``, as ``make book WORKSHOP=...`` builds it.

Before anything is written, every workshop file is checked (one bad file stops the
publication with its message) and names must be unique. After assembling, every
workshop folder is checked again for solutions it does not release
(``check_site.workshop_leaks``: pages, notebooks, sources, search index, packs,
lines of solution code), and with ``root: index`` the root too; any finding fails.
The workflow uploads the folder only when this script exits 0.
"""

from __future__ import annotations

import argparse
import html
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))

from check_site import solution_leaks, workshop_leaks  # noqa: E402
from workshop import (  # noqa: E402
    WORKSHOPS,
    Workshop,
    WorkshopConfigError,
    check_unique_name,
    load_workshop,
    workshop_files,
)

SETTINGS = ROOT / ".github" / "publish.yml"
OUTPUT = ROOT / "_build" / "pages"
ROOTS = ("course", "index")
PREFIX = "workshops"  # a workshop NAME is served under workshops/NAME/


@dataclass
class Plan:
    """What one deployment serves: the root and the published workshops."""

    root: str
    workshops: dict[str, tuple[Path, Workshop]] = field(default_factory=dict)

    def describe(self) -> list[str]:
        root = {
            "course": "the full course, solutions included",
            "index": "a list of the workshops (no course, no solution)",
        }[self.root]
        lines = [f"/ : {root}"]
        for name, (path, workshop) in self.workshops.items():
            released = "released" if workshop.solutions_released else "not released"
            lines.append(f"/{PREFIX}/{name}/ : {path} (solutions {released})")
        return lines


class PublishError(ValueError):
    """Settings or workshop files that cannot be published; the message says why."""


def read_settings(path: Path = SETTINGS) -> str:
    """The ``root`` of ``.github/publish.yml`` (``course`` when the file has none)."""
    if not Path(path).is_file():
        return "course"
    settings = yaml.safe_load(Path(path).read_text()) or {}
    unknown = set(settings) - {"root"}
    if unknown:
        raise PublishError(f"{path}: unknown key {sorted(unknown)[0]!r} (the key is 'root')")
    root = settings.get("root", "course")
    if root not in ROOTS:
        raise PublishError(f"{path}: key 'root' must be one of {', '.join(ROOTS)} (got {root!r})")
    return root


def make_plan(settings: Path = SETTINGS, folder: Path = WORKSHOPS) -> Plan:
    """Every workshop file checked; those with ``publish: true`` in the plan."""
    plan = Plan(root=read_settings(settings))
    files = workshop_files(folder)
    problems = []
    for path in files:
        try:
            workshop = load_workshop(path)
            check_unique_name(path, files)
        except WorkshopConfigError as error:
            problems.append(str(error))
            continue
        if workshop.publish:
            plan.workshops[path.stem] = (path, workshop)
    if problems:
        raise PublishError("; ".join(problems))
    return plan


def index_page(plan: Plan) -> str:
    """The root page when ``root: index``: a link to each published workshop."""
    items = "\n".join(
        f'<li><a href="{PREFIX}/{name}/index.html">{html.escape(workshop.title)}</a>'
        f" ({html.escape(workshop.banner)})</li>"
        for name, (_, workshop) in plan.workshops.items()
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>AutoML on Variants: workshops</title></head>\n<body>\n"
        f"<h1>AutoML on Variants: workshops</h1>\n<ul>\n{items}\n</ul>\n</body></html>\n"
    )


def assemble(plan: Plan, course_html: Path | None, workshop_html: dict[str, Path], target: Path):
    """Copy the built sites into ``target``, emptied first: one Pages artifact."""
    if target.exists():
        shutil.rmtree(target)
    if plan.root == "course":
        if course_html is None:
            raise PublishError("root: course, but no course site was built")
        if (course_html / PREFIX).exists():
            raise PublishError(f"{course_html} has a folder {PREFIX}/, where workshops go")
        shutil.copytree(course_html, target)
    else:
        target.mkdir(parents=True)
        (target / "index.html").write_text(index_page(plan))
    for name in plan.workshops:
        shutil.copytree(workshop_html[name], target / PREFIX / name)
    # GitHub Pages runs Jekyll on the artifact unless told not to; Jekyll drops
    # folders that start with "_" (_static, _sources, _images).
    (target / ".nojekyll").touch()


def verify(plan: Plan, target: Path, solutions: Path = ROOT / "solutions") -> list[str]:
    """Every solution a workshop's address would serve while it holds them back."""
    problems = []
    served = target / PREFIX
    for name, (_, workshop) in plan.workshops.items():
        problems += [
            f"/{PREFIX}/{name}/: {problem}"
            for problem in workshop_leaks(served / name, workshop, solutions)
        ]
    folders = list(served.iterdir()) if served.exists() else []
    unexpected = sorted(p.name for p in folders if p.name not in plan.workshops)
    problems += [f"/{PREFIX}/{name}/ is served but not published" for name in unexpected]
    if plan.root == "index":
        outside = [p for p in target.iterdir() if p.name != PREFIX]
        scratch = target.parent / f"{target.name}-root-check"
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir()
        for path in outside:
            if path.is_file():
                shutil.copy2(path, scratch / path.name)
            else:
                shutil.copytree(path, scratch / path.name)
        leaks = solution_leaks(scratch, sorted(solutions.glob("*.ipynb")))
        problems += [f"/: {problem}" for problem in leaks]
        shutil.rmtree(scratch)
    return problems


def build_everything(
    plan: Plan,
    output_root: Path | None = None,
    build_course: Callable[[], Path] | None = None,
    build_one: Callable[[Path, Path | None], Path] | None = None,
) -> tuple[Path | None, dict[str, Path]]:
    """Build the root course (when it is the root) and each published workshop's site."""
    course_html = None
    if plan.root == "course":
        course_html = (build_course or _build_course)()
    sites = {
        name: (build_one or _build_workshop)(path, output_root)
        for name, (path, _) in plan.workshops.items()
    }
    return course_html, sites


def _build_course() -> Path:
    from build_book import build

    result = build()
    if not result.ok:
        raise PublishError("the course site did not build: " + "; ".join(result.problems))
    return result.html


def _build_workshop(path: Path, output_root: Path | None) -> Path:
    from workshop import build_workshop

    staged, result = build_workshop(path, output_root=output_root)
    if not result.ok:
        raise PublishError(f"{path}: the site did not build: " + "; ".join(result.problems))
    return staged.html


def site_check(plan: Plan, target: Path) -> list[str]:
    """Every page of the assembled artifact in Chromium (tools/check_site.py)."""
    from check_site import check_site

    problems = []
    parts: list[tuple[Path, Workshop | None]] = []
    if plan.root == "course":
        parts.append((target, None))
    parts += [(target / PREFIX / name, ws) for name, (_, ws) in plan.workshops.items()]
    for html_dir, workshop in parts:
        if html_dir == target and plan.workshops:
            # The workshops are checked on their own: the root's check is of the course.
            scratch = target.parent / "pages-course"
            shutil.rmtree(scratch, ignore_errors=True)
            shutil.copytree(target, scratch, ignore=shutil.ignore_patterns(PREFIX))
            html_dir = scratch
        shots = target.parent / "pages-screenshots" / html_dir.name
        report = check_site(html_dir, shots, workshop=workshop)
        problems += [f"{html_dir}: {problem}" for problem in report.problems]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("plan", "build"), help="plan: say what is published")
    parser.add_argument("--settings", type=Path, default=SETTINGS)
    parser.add_argument("--workshops", type=Path, default=WORKSHOPS)
    parser.add_argument("--output", type=Path, default=OUTPUT, help="the Pages artifact folder")
    parser.add_argument(
        "--site-check", action="store_true", help="open every page in Chromium as well"
    )
    args = parser.parse_args(argv)
    try:
        plan = make_plan(args.settings, args.workshops)
        print("\n".join(plan.describe()))
        if args.command == "plan":
            return 0
        course_html, sites = build_everything(plan)
        assemble(plan, course_html, sites, args.output)
    except PublishError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    problems = verify(plan, args.output)
    if args.site_check and not problems:
        problems += site_check(plan, args.output)
    if problems:
        print(f"NOT published: {len(problems)} problems:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    print(f"The Pages artifact is ready: {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
