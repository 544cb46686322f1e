"""Per-workshop builds of the course: one small YAML file in ``workshops/`` each.

``make book WORKSHOP=workshops/NAME.yml`` runs ``python tools/workshop.py build``:

1. the configuration is read and checked (:func:`load_workshop`), failing fast
   with the file and the key when something is wrong;
2. a copy of the book is staged in ``_build/workshops/NAME/source`` (:func:`stage`)
   with the chapters the workshop teaches, its banner, its own datasets
   (simulated with the workshop's seed, so answers differ between workshops), a
   set-up page for its pack, and the solution notebooks only when they are
   released, executed on the workshop's data: pages that are not released are
   never copied, so they cannot leak into the HTML or the search index;
3. the participants' pack is made from that copy (``tools/workshop_pack.py``);
4. the copy is built into an emptied ``_build/workshops/NAME/_build/html``, the
   pack is put beside its pages, and the build fails on any page the workshop
   does not list and on any solution it does not release.

``--instructors`` builds the instructors' site instead (every solution, the
schedule and the answer notes for the workshop's data; ``tools/workshop_site.py``)
into ``_build/instructors/NAME``. ``workshops/example.yml`` documents
every key.
"""

from __future__ import annotations

import argparse
import copy
import difflib
import os
import re
import shutil
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(ROOT / "book" / "_ext"))

from build_book import BookBuild, build, report  # noqa: E402
from check_site import site_pages, workshop_leaks  # noqa: E402
from course_site import CAPSTONE_CHAPTER, CAPSTONE_PAGE  # noqa: E402
from execute_solutions import execute as execute_notebook  # noqa: E402
from make_data import load_spec, make_datasets  # noqa: E402

from vcfml.settings import BUDGET_VARIABLE  # noqa: E402

AZURE_PAGE = "book/04_experiments/azure"
CONTRIBUTORS_PAGE = "book/contributing"
GUIDE_PAGE = "book/instructors_workshop"  # generated for the instructors' build
PARTICIPANTS, INSTRUCTORS = "participants", "instructors"
# The capstone is chapter 8, after the numbered chapters (book/_ext/course_site.py);
# a workshop file may name it by number or as "capstone".
CAPSTONE, CAPSTONE_NAME = CAPSTONE_CHAPTER, "capstone"
# A workshop that teaches chapter 7 gets the real genotypes it reads, copied as they are.
REAL_GENOMES_CHAPTER, REAL_DATA = 7, "hapmap3"
WORKSHOPS = ROOT / "workshops"
SUFFIXES = (".yml", ".yaml")
# Fewer seconds than this and FLAML's search tries too few models to teach anything.
MIN_BUDGET_SECONDS = 5


class WorkshopConfigError(ValueError):
    """A workshop file that cannot be used; the message names the file and the key."""


class DatasetSettings(BaseModel):
    """The workshop's own copy of the course datasets."""

    # Strict: YAML's `true` is no number and "4242" no seed (no silent coercion).
    model_config = ConfigDict(extra="forbid", strict=True)

    seed: int = Field(ge=1, description="added to every seed in data/datasets.yml")
    samples: int = Field(600, ge=100, le=100_000, description="liability cohort samples")
    sites: int = Field(1000, ge=100, le=1_000_000, description="liability cohort sites")


class Workshop(BaseModel):
    """Everything that differs from one workshop to the next."""

    # Strict: `automl_budget: true` is no budget and `solutions_released: "yes"` no
    # boolean; the file says exactly what it means, or the check names the key.
    model_config = ConfigDict(extra="forbid", strict=True)

    title: str = Field(min_length=1)
    # Dates are read from text (see _Loader), so that 2027-02-30 is one error line.
    start_date: date = Field(strict=False)
    end_date: date = Field(strict=False)
    venue: str = Field(min_length=1)
    instructors: list[str] = Field(min_length=1)
    dataset: DatasetSettings
    chapters: list[int] | None = Field(None, min_length=1)
    solutions_released: bool = False
    show_azure: bool = False
    automl_budget: float = Field(60, ge=MIN_BUDGET_SECONDS, le=3600)
    jupyterhub_url: str | None = Field(None, pattern=r"^https?://\S+$")
    hours_per_day: float = Field(6, gt=0, le=12)
    publish: bool = False

    @field_validator("chapters", mode="before")
    @classmethod
    def _capstone_by_name(cls, value: Any) -> Any:
        """``capstone`` in ``chapters`` is the capstone's number (8)."""
        if isinstance(value, list):
            return [
                CAPSTONE if isinstance(v, str) and v.strip().lower() == CAPSTONE_NAME else v
                for v in value
            ]
        return value

    @field_validator("start_date", "end_date", mode="before")
    @classmethod
    def _iso_date(cls, value: Any) -> Any:
        """Only ``YYYY-MM-DD`` text is a date; a day that does not exist says so."""
        if isinstance(value, date):
            return value
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError(f"expected a date as YYYY-MM-DD, e.g. 2027-03-15 (got {value!r})")
        try:
            return date.fromisoformat(value)
        except ValueError as error:
            raise ValueError(f"{value} is no date: {error}") from None

    @model_validator(mode="after")
    def _consistent(self) -> Workshop:
        """Checks that involve more than one key (one key is checked by its Field)."""
        if self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        if self.chapters is not None and len(set(self.chapters)) != len(self.chapters):
            raise ValueError("chapters lists a chapter twice")
        return self

    @property
    def banner(self) -> str:
        """The line shown at the top of every page of the workshop's site."""
        if self.start_date == self.end_date:
            when = f"{self.start_date:%d %B %Y}"
        elif (self.start_date.year, self.start_date.month) == (
            self.end_date.year,
            self.end_date.month,
        ):
            when = f"{self.start_date:%d}–{self.end_date:%d %B %Y}"
        else:
            when = f"{self.start_date:%d %B} – {self.end_date:%d %B %Y}"
        return f"{self.title} · {when} · {self.venue}"


DATE_TYPES = {
    "date_type",
    "date_parsing",
    "date_from_datetime_parsing",
    "date_from_datetime_inexact",
}


def _expected_keys(model: type[BaseModel], location: tuple) -> list[str]:
    """The keys allowed where an unknown key was found (top level or ``dataset``)."""
    for part in location[:-1]:
        annotation = model.model_fields[str(part)].annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
    return list(model.model_fields)


def _describe(error: dict[str, Any]) -> str:
    """One short phrase per problem: the key, what is wrong, the value when it is short."""
    key = ".".join(str(part) for part in error["loc"]) or "(top level)"
    if error["type"] == "extra_forbidden":
        name = str(error["loc"][-1])
        close = difflib.get_close_matches(name, _expected_keys(Workshop, error["loc"]), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return f"unknown key '{key}'{hint}"
    if error["type"] == "missing":
        return f"missing required key '{key}'"
    if error["type"] in DATE_TYPES:
        got = error.get("input")
        return f"key '{key}': expected a date as YYYY-MM-DD, e.g. 2027-03-15 (got {got!r})"
    message = error["msg"].removeprefix("Value error, ")
    if not error["loc"]:  # a check of several keys: the whole file is the input, not shown
        return message
    if error["type"] == "value_error":  # our own validators: the message shows the value
        return f"key '{key}': {message}"
    value = error.get("input")
    shown = repr(value)
    return f"key '{key}': {message}" + (f" (got {shown})" if len(shown) <= 60 else "")


def _describe_all(errors: list[dict[str, Any]]) -> list[str]:
    """Every problem once: a required key that is missing because it was mistyped is
    reported as the typo ("did you mean ...") only."""
    described = [_describe(error) for error in errors]
    suggested = {
        text.split("(did you mean '")[1].split("'")[0]
        for text in described
        if "did you mean" in text
    }
    return [
        text
        for error, text in zip(errors, described, strict=True)
        if not (error["type"] == "missing" and str(error["loc"][-1]) in suggested)
    ]


class _Loader(yaml.SafeLoader):
    """YAML without timestamps: PyYAML turns ``2027-02-30`` into a traceback while it
    reads the file; as text, the date is checked (and reported) like any other key."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_yaml(path: Path) -> Any:
    """A workshop file's content, dates as text; :class:`WorkshopConfigError` if not YAML."""
    try:
        return yaml.load(Path(path).read_text(), Loader=_Loader)
    except yaml.YAMLError as error:
        raise WorkshopConfigError(f"{path}: not valid YAML: {error}") from None
    except ValueError as error:  # anything else PyYAML cannot build: still one line
        raise WorkshopConfigError(f"{path}: {error}") from None


def load_workshop(path: Path, chapters_available: list[int] | None = None) -> Workshop:
    """Read and check one workshop file; raise :class:`WorkshopConfigError` if unusable."""
    path = Path(path)
    if not path.is_file():
        raise WorkshopConfigError(f"{path}: no such workshop file")
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise WorkshopConfigError(f"{path}: expected a mapping of keys, got {type(raw).__name__}")
    try:
        workshop = Workshop.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(_describe_all(error.errors()))
        raise WorkshopConfigError(f"{path}: {problems}") from None
    available = chapters_available or sorted(course_chapters())
    if workshop.chapters is None:  # every chapter of the course
        workshop = workshop.model_copy(update={"chapters": available})
    unknown = [number for number in workshop.chapters if number not in available]
    if unknown:
        raise WorkshopConfigError(
            f"{path}: key 'chapters': no chapter {unknown} in _toc.yml (the course has "
            f"{chapter_list(available)})"
        )
    return workshop


def chapter_list(numbers: list[int]) -> str:
    """``1, 3, 4, 5, 8 (capstone)``: the chapters as a workshop file names them."""
    return ", ".join(
        f"{number} ({CAPSTONE_NAME})" if number == CAPSTONE else str(number) for number in numbers
    )


def course_chapters(toc: dict | None = None) -> dict[int, dict]:
    """The course's chapters in ``_toc.yml``, by number.

    A chapter in a numbered folder (``book/03_...`` is 3), and the capstone
    (``book/capstone``, chapter 8 whatever its notebooks' prefix): the numbers a
    workshop's ``chapters:`` lists.
    """
    toc = toc or yaml.safe_load((ROOT / "_toc.yml").read_text())
    chapters = {}
    for part in toc["parts"]:
        for chapter in part["chapters"]:
            folder = chapter["file"].split("/")[1] if chapter["file"].count("/") >= 2 else ""
            if folder[:2].isdigit():
                chapters[int(folder[:2])] = chapter
            elif chapter["file"] == CAPSTONE_PAGE:
                chapters[CAPSTONE] = chapter
    return chapters


def workshop_files(folder: Path = WORKSHOPS) -> list[Path]:
    """Every workshop file in ``folder`` and its subfolders (``.yml`` and ``.yaml``)."""
    return sorted(p for p in Path(folder).rglob("*") if p.suffix in SUFFIXES and p.is_file())


def same_name(path: Path, others: list[Path]) -> list[Path]:
    """The other workshop files with ``path``'s name: the name is the build folder, the
    pack's name and the published address, so two files with one name would overwrite
    each other's site and pack."""
    resolved = Path(path).resolve()
    return [
        other for other in others if other.stem == Path(path).stem and other.resolve() != resolved
    ]


def check_unique_name(path: Path, others: list[Path] | None = None) -> None:
    """Refuse a workshop whose name another file has: one of ``others``, one in
    ``workshops/`` and its subfolders, or one beside it."""
    path = Path(path)
    others = [*(others or []), *workshop_files(WORKSHOPS)]
    if path.parent.is_dir():
        others += [p for p in path.parent.iterdir() if p.suffix in SUFFIXES]
    clash = sorted({str(shown_path(other.resolve())) for other in same_name(path, others)})
    if clash:
        names = ", ".join(clash)
        raise WorkshopConfigError(
            f"{shown_path(path)}: the workshop name '{path.stem}' is also the name of {names}: "
            "rename one (the name is the build folder, the pack and the published address)"
        )


def shown_path(path: Path) -> Path:
    """``workshops/NAME.yml`` for a file in this checkout (given relative or absolute),
    else the path as given: how commands in the guide name it."""
    resolved = Path(path).resolve()
    return resolved.relative_to(ROOT) if resolved.is_relative_to(ROOT) else Path(path)


def instructors_only(page: str) -> bool:
    """Pages for instructors and contributors, left out of every participants' site.

    The instructor's guide, the per-chapter instructor notes (any page whose name,
    or a folder above it, starts with ``instructor``: ``book/instructors/notes``)
    and the contributors' page.
    """
    return any(part.startswith("instructor") for part in page.split("/")) or (
        page == CONTRIBUTORS_PAGE
    )


def workshop_toc(
    workshop: Workshop, toc: dict, audience: str = PARTICIPANTS
) -> tuple[dict, list[str]]:
    """The workshop's table of contents, and the pages it leaves out.

    Participants get the chapters taught, solutions only when released, no
    instructor or contributor pages. Instructors get the same chapters with every
    solution and their pages.
    """
    toc = copy.deepcopy(toc)
    numbered = course_chapters(toc)
    removed: list[str] = []
    for_instructors = audience == INSTRUCTORS

    def keep(entry: dict) -> bool:
        page = entry["file"]
        if for_instructors:
            return True
        if page.startswith("solutions/") and not workshop.solutions_released:
            return False
        if instructors_only(page):
            return False
        return not (page == AZURE_PAGE and not workshop.show_azure)

    for part in toc["parts"]:
        kept_chapters = []
        for chapter in part["chapters"]:
            number = next((n for n, c in numbered.items() if c is chapter), None)
            pages = [chapter["file"], *(s["file"] for s in chapter.get("sections", []))]
            if (number is not None and number not in workshop.chapters) or not keep(chapter):
                removed += pages
                continue
            sections = chapter.get("sections", [])
            removed += [s["file"] for s in sections if not keep(s)]
            if sections:
                chapter["sections"] = [s for s in sections if keep(s)]
            kept_chapters.append(chapter)
        part["chapters"] = kept_chapters
    toc["parts"] = [part for part in toc["parts"] if part["chapters"]]
    if for_instructors:
        toc["parts"].append({"caption": "This workshop", "chapters": [{"file": GUIDE_PAGE}]})
    return toc, removed


def workshop_config(
    workshop: Workshop, config: dict, removed: list[str], audience: str = PARTICIPANTS
) -> dict:
    """The workshop's ``_config.yml``: its title, banner, substitutions, no repository.

    A workshop site links no repository and launches nothing from it: GitHub and
    Binder buttons would open ``main``, with every solution and the default data.
    Participants get the pack instead (the set-up page links it).
    """
    config = copy.deepcopy(config)
    config["title"] = workshop.title
    if audience == INSTRUCTORS:
        config["title"] += " (instructors)"
    html = config.setdefault("html", {})
    html["announcement"] = workshop.banner
    html["use_repository_button"] = False
    html["use_issues_button"] = False
    html["use_edit_page_button"] = False
    config["launch_buttons"] = {"notebook_interface": "jupyterlab", "thebe": False}
    parse = config.setdefault("parse", {})
    substitutions = parse.setdefault("myst_substitutions", {})
    substitutions["automl_budget"] = (
        f"In this workshop every AutoML run searches for {workshop.automl_budget:g} "
        "seconds: the kernel *Python (vcfml)*, which the pack's `setup.sh` registers, "
        f"sets `VCFML_AUTOML_BUDGET={workshop.automl_budget:g}`."
    )
    if not workshop.solutions_released and audience == PARTICIPANTS:
        substitutions["solutions_note"] = (
            "Solutions for this workshop are released by your instructors after the "
            "session; until then the self-check cell tells you whether you are right."
        )
    execute = config.setdefault("execute", {})
    # Solutions are executed on the workshop's data before the build (stage), so
    # that the site, the pack and the answer notes show the same numbers.
    execute["exclude_patterns"] = [*execute.get("exclude_patterns", []), "solutions/*"]
    sphinx_config = config.setdefault("sphinx", {}).setdefault("config", {})
    sphinx_config["course_removed_docs"] = removed
    return config


@dataclass
class StagedWorkshop:
    name: str
    source: Path
    output: Path
    workshop: Workshop
    audience: str = PARTICIPANTS

    @property
    def html(self) -> Path:
        return self.output / "_build" / "html"

    @property
    def pack(self) -> Path:
        return self.output / f"{self.name}-pack.zip"


def workshop_dataset_spec(workshop: Workshop) -> dict[str, dict]:
    """data/datasets.yml with the workshop's liability cohort size."""
    spec = load_spec()
    spec["liability"]["n_samples"] = workshop.dataset.samples
    spec["liability"]["n_sites"] = workshop.dataset.sites
    for settings in spec.values():
        settings["seed"] += workshop.dataset.seed
    return spec


def copy_real_data(workshop: Workshop, data: Path) -> None:
    """The HapMap 3 genotypes, as committed, for a workshop that teaches chapter 7.

    They are real people's genotypes, not a simulation: a workshop seed cannot make
    its own, and nothing in them is a workshop's answer (the chapter simulates its
    phenotypes in the notebooks).
    """
    if REAL_GENOMES_CHAPTER in (workshop.chapters or []):
        shutil.copytree(ROOT / "data" / REAL_DATA, data / REAL_DATA)


def workshop_output(config_path: Path, output_root: Path | None, audience: str) -> Path:
    """``_build/workshops/NAME`` (participants) or ``_build/instructors/NAME``.

    The instructors' site (every solution) is built outside the participants' folder,
    so that copying ``_build/workshops/NAME`` somewhere can never take it along.
    """
    folder = "instructors" if audience == INSTRUCTORS else "workshops"
    return (output_root or ROOT / "_build") / folder / Path(config_path).stem


def stage(
    config_path: Path,
    output_root: Path | None = None,
    audience: str = PARTICIPANTS,
    execute: bool = True,
) -> StagedWorkshop:
    """Copy what the workshop shows into its own folder, with its own data.

    Solution notebooks that are shown (released, or the instructors' build) are
    executed on the workshop's data here, unless ``execute`` is false.
    """
    config_path = Path(config_path)
    workshop = load_workshop(config_path)
    check_unique_name(config_path)
    name = config_path.stem
    output = workshop_output(config_path, output_root, audience)
    source = output / "source"
    if source.exists():
        shutil.rmtree(source)
    source.mkdir(parents=True)

    toc, removed = workshop_toc(workshop, yaml.safe_load((ROOT / "_toc.yml").read_text()), audience)
    config = workshop_config(
        workshop, yaml.safe_load((ROOT / "_config.yml").read_text()), removed, audience
    )
    (source / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False))
    (source / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))

    shutil.copytree(ROOT / "book", source / "book", ignore=shutil.ignore_patterns("__pycache__"))
    if audience == PARTICIPANTS:  # not even unbuilt in their folder: the instructors' notes
        for page in removed:
            if instructors_only(page):
                (source / f"{page}.md").unlink(missing_ok=True)
        for folder in sorted(source.glob("book/**/instructor*"), reverse=True):
            if folder.is_dir() and not any(folder.rglob("*.md")):
                shutil.rmtree(folder)
    # Pages quote recorded benchmarks with the {benchmark} role (book/_ext).
    (source / "benchmarks").mkdir()
    shutil.copy2(ROOT / "benchmarks" / "RESULTS.md", source / "benchmarks" / "RESULTS.md")
    kept = set(toc_pages(toc))
    for folder in ("exercises", "solutions"):
        for notebook in sorted((ROOT / folder).glob("*.ipynb")):
            if f"{folder}/{notebook.stem}" in kept:
                (source / folder).mkdir(exist_ok=True)
                shutil.copy2(notebook, source / folder / notebook.name)

    staged = StagedWorkshop(
        name=name, source=source, output=output, workshop=workshop, audience=audience
    )
    from workshop_site import participants_pages

    participants_pages(staged)
    spec = workshop_dataset_spec(workshop)
    copy_real_data(workshop, source / "data")
    make_datasets(source / "data", spec=spec)  # its SHA256SUMS covers the copy too
    (source / "data" / "datasets.yml").write_text(
        f"# Datasets of the workshop {name}: data/datasets.yml with its seed and size.\n"
        + yaml.safe_dump(spec, sort_keys=False)
    )
    if execute:
        # With the course's deterministic setting (as the committed solutions), not
        # a budget the instructor's shell may have set: the same answers every build.
        budget = os.environ.pop(BUDGET_VARIABLE, None)
        try:
            for notebook in sorted((source / "solutions").glob("*.ipynb")):
                execute_notebook(notebook)
        finally:
            if budget is not None:
                os.environ[BUDGET_VARIABLE] = budget
    return staged


def toc_pages(toc: dict) -> list[str]:
    """Every page named in a table of contents, in order."""
    pages = [toc["root"]]
    for part in toc["parts"]:
        for chapter in part["chapters"]:
            pages.append(chapter["file"])
            pages += [section["file"] for section in chapter.get("sections", [])]
    return pages


def stale_pages(staged: StagedWorkshop) -> list[str]:
    """Built pages that the workshop's table of contents does not list."""
    toc = yaml.safe_load((staged.source / "_toc.yml").read_text())
    expected = {f"{page}.html" for page in toc_pages(toc)} | {"index.html", "search.html"}
    expected.add("genindex.html")
    return [
        f"stale page: {page}"
        for page in site_pages(staged.html)
        if page not in expected and not page.startswith("reports/")
    ]


def build_workshop(
    config_path: Path,
    output_root: Path | None = None,
    echo: bool = True,
    audience: str = PARTICIPANTS,
) -> tuple[StagedWorkshop, BookBuild]:
    """Stage, pack and build the workshop's site into a clean folder, then check it.

    The site folder is emptied first, so pages of an earlier build (solutions
    released once, then withdrawn) cannot survive; any built page the table of
    contents does not list, and any solution in a build that does not release
    them, fails the build all the same.
    """
    from workshop_pack import pack_staged
    from workshop_site import instructors_pages

    staged = stage(config_path, output_root, audience)
    # Sphinx keeps each page's parsed tree in .doctrees and site-check its screenshots
    # beside the site: a solution page of an earlier build that released them would
    # stay there, so every build starts without them.
    for folder in ("html", "jupyter_execute", ".doctrees", "screenshots"):
        shutil.rmtree(staged.output / "_build" / folder, ignore_errors=True)
    if audience == INSTRUCTORS:
        instructors_pages(staged, config_path)
    # The instructors' site links the same pack as the participants' (its set-up page).
    pack_staged(staged, config_path)
    result = build(source=staged.source, output=staged.output, echo=echo)
    if result.ok:
        shutil.copy2(staged.pack, staged.html / staged.pack.name)
    if (staged.html / "index.html").exists():
        result.problems += stale_pages(staged)
        if audience == PARTICIPANTS:
            result.problems += workshop_leaks(staged.html, staged.workshop)
    return staged, result


def summary(workshop: Workshop) -> str:
    """What the build will use, as parsed: the OK line shows every value that matters."""
    released = "released" if workshop.solutions_released else "not released"
    dataset = workshop.dataset
    return (
        f"{workshop.banner}; chapters {chapter_list(workshop.chapters or [])}; "
        f"AutoML budget {workshop.automl_budget:g} s; dataset seed {dataset.seed} "
        f"({dataset.samples} samples x {dataset.sites} sites); solutions {released}; "
        f"Azure page {'shown' if workshop.show_azure else 'hidden'}; "
        f"published by pages.yml: {'yes' if workshop.publish else 'no'}"
    )


def long_days(workshop: Workshop, source: Path = ROOT) -> list[str]:
    """A warning for each day whose teaching time is longer than ``hours_per_day``."""
    from workshop_site import schedule

    by_day: dict[date, int] = {}
    for row in schedule(workshop, source):
        by_day[row["day"]] = by_day.get(row["day"], 0) + row["minutes"]
    return [
        f"{day:%a %d %b} has {minutes} min of teaching ({minutes / 60:.1f} h), more than "
        f"hours_per_day: {workshop.hours_per_day:g} (before set-up, breaks and questions): "
        "teach fewer chapters, add a day, or cut as book/instructors/notes.md suggests"
        for day, minutes in by_day.items()
        if minutes > workshop.hours_per_day * 60
    ]


def check_configs(paths: list[Path]) -> int:
    """Check every file (not only up to the first bad one); 0 when all are usable.

    With no path, every file in ``workshops/`` and its subfolders. Names must be unique
    across ``.yml``, ``.yaml`` and subfolders.
    """
    paths = list(paths) or [shown_path(path) for path in workshop_files(WORKSHOPS)]
    failed = 0
    for path in paths:
        try:
            workshop = load_workshop(path)
            check_unique_name(path, paths)
        except WorkshopConfigError as error:
            print(f"error: {error}", file=sys.stderr)
            failed += 1
        else:
            print(f"{path}: OK ({summary(workshop)})")
            for warning in long_days(workshop):
                print(f"warning: {path}: {warning}", file=sys.stderr)
    if failed and len(paths) > 1:
        print(f"{failed} of {len(paths)} workshop files have problems", file=sys.stderr)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="check workshop files and say what is wrong")
    check.add_argument(
        "configs",
        type=Path,
        nargs="*",
        help="workshop files (default: every .yml and .yaml in workshops/ and its subfolders)",
    )
    build_parser = commands.add_parser(
        "build", help="build one workshop's site and pack into _build/workshops/NAME"
    )
    build_parser.add_argument("config", type=Path)
    build_parser.add_argument(
        "--instructors",
        action="store_true",
        help="the instructors' site instead: every solution, the schedule and the answer "
        "notes for the workshop's data (_build/instructors/NAME)",
    )
    build_parser.add_argument(
        "--output-root",
        type=Path,
        help="build into OUTPUT_ROOT/workshops/NAME (or OUTPUT_ROOT/instructors/NAME) "
        "instead of _build/",
    )
    args = parser.parse_args(argv)
    if args.command == "check":
        return check_configs(args.configs)
    audience = INSTRUCTORS if args.instructors else PARTICIPANTS
    try:
        staged, result = build_workshop(
            args.config, output_root=args.output_root, audience=audience
        )
    except WorkshopConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    what = f"The {audience}' site of workshop {staged.name}"
    status = report(result, what)
    if status == 0 and audience == PARTICIPANTS:
        print(f"The participants' pack: {staged.pack} (linked from the set-up page)")
    return status


if __name__ == "__main__":
    sys.exit(main())
