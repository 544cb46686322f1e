"""Per-workshop builds of the course: one small YAML file in ``workshops/`` each.

``make book WORKSHOP=workshops/NAME.yml`` runs ``python tools/workshop.py build``:

1. the configuration is read and checked (:func:`load_workshop`), failing fast
   with the file and the key when something is wrong;
2. a copy of the book is staged in ``_build/workshops/NAME/source`` (:func:`stage`)
   with the chapters the workshop teaches, its banner, its own datasets
   (simulated with the workshop's seed, so answers differ between workshops),
   and the solution notebooks only when they are released: pages that are not
   released are never copied, so they cannot leak into the HTML or the search index;
3. that copy is built into ``_build/workshops/NAME/_build/html``.

``workshops/example.yml`` documents every key.
"""

from __future__ import annotations

import argparse
import copy
import shutil
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))

from build_book import BookBuild, build, report  # noqa: E402
from make_data import load_spec, make_datasets  # noqa: E402

AZURE_PAGE = "book/04_experiments/azure"


class WorkshopConfigError(ValueError):
    """A workshop file that cannot be used; the message names the file and the key."""


class DatasetSettings(BaseModel):
    """The workshop's own copy of the course datasets."""

    model_config = ConfigDict(extra="forbid")

    seed: int = Field(ge=1, description="added to every seed in data/datasets.yml")
    samples: int = Field(600, ge=100, le=100_000, description="liability cohort samples")
    sites: int = Field(1000, ge=100, le=1_000_000, description="liability cohort sites")


class Workshop(BaseModel):
    """Everything that differs from one workshop to the next."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1)
    start_date: date
    end_date: date
    venue: str = Field(min_length=1)
    instructors: list[str] = Field(min_length=1)
    dataset: DatasetSettings
    chapters: list[int] | None = Field(None, min_length=1)
    solutions_released: bool = False
    show_azure: bool = False
    automl_budget: float = Field(60, gt=0, le=3600)
    jupyterhub_url: str | None = Field(None, pattern=r"^https?://\S+$")

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


def _describe(error: dict[str, Any]) -> str:
    key = ".".join(str(part) for part in error["loc"]) or "(top level)"
    if error["type"] == "extra_forbidden":
        return f"unknown key '{key}'"
    if error["type"] == "missing":
        return f"missing required key '{key}'"
    return f"key '{key}': {error['msg']} (got {error.get('input')!r})"


def load_workshop(path: Path, chapters_available: list[int] | None = None) -> Workshop:
    """Read and check one workshop file; raise :class:`WorkshopConfigError` if unusable."""
    path = Path(path)
    if not path.is_file():
        raise WorkshopConfigError(f"{path}: no such workshop file")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise WorkshopConfigError(f"{path}: not valid YAML: {error}") from None
    if not isinstance(raw, dict):
        raise WorkshopConfigError(f"{path}: expected a mapping of keys, got {type(raw).__name__}")
    try:
        workshop = Workshop.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(_describe(e) for e in error.errors())
        raise WorkshopConfigError(f"{path}: {problems}") from None
    available = chapters_available or sorted(course_chapters())
    if workshop.chapters is None:  # every chapter of the course
        workshop = workshop.model_copy(update={"chapters": available})
    unknown = [number for number in workshop.chapters if number not in available]
    if unknown:
        raise WorkshopConfigError(
            f"{path}: key 'chapters': no chapter {unknown} in _toc.yml (the course has {available})"
        )
    return workshop


def course_chapters(toc: dict | None = None) -> dict[int, dict]:
    """The course's numbered chapters in ``_toc.yml``, by number (``book/03_...`` is 3)."""
    toc = toc or yaml.safe_load((ROOT / "_toc.yml").read_text())
    chapters = {}
    for part in toc["parts"]:
        for chapter in part["chapters"]:
            folder = chapter["file"].split("/")[1] if chapter["file"].count("/") >= 2 else ""
            if folder[:2].isdigit():
                chapters[int(folder[:2])] = chapter
    return chapters


def workshop_toc(workshop: Workshop, toc: dict) -> tuple[dict, list[str]]:
    """The workshop's table of contents, and the pages it leaves out."""
    toc = copy.deepcopy(toc)
    numbered = course_chapters(toc)
    removed: list[str] = []

    def keep(entry: dict) -> bool:
        page = entry["file"]
        if page.startswith("solutions/") and not workshop.solutions_released:
            return False
        return not (page == AZURE_PAGE and not workshop.show_azure)

    for part in toc["parts"]:
        kept_chapters = []
        for chapter in part["chapters"]:
            number = next((n for n, c in numbered.items() if c is chapter), None)
            pages = [chapter["file"], *(s["file"] for s in chapter.get("sections", []))]
            if number is not None and number not in workshop.chapters:
                removed += pages
                continue
            sections = chapter.get("sections", [])
            removed += [s["file"] for s in sections if not keep(s)]
            if sections:
                chapter["sections"] = [s for s in sections if keep(s)]
            kept_chapters.append(chapter)
        part["chapters"] = kept_chapters
    toc["parts"] = [part for part in toc["parts"] if part["chapters"]]
    return toc, removed


def workshop_config(workshop: Workshop, config: dict, removed: list[str]) -> dict:
    """The workshop's ``_config.yml``: its title, banner and substitutions."""
    config = copy.deepcopy(config)
    config["title"] = workshop.title
    config.setdefault("html", {})["announcement"] = workshop.banner
    parse = config.setdefault("parse", {})
    substitutions = parse.setdefault("myst_substitutions", {})
    substitutions["automl_budget"] = f"{workshop.automl_budget:g}"
    if not workshop.solutions_released:
        substitutions["solutions_note"] = (
            "Solutions for this workshop are released by your instructors after the "
            "session; until then the self-check cell tells you whether you are right."
        )
    if workshop.jupyterhub_url:
        config.setdefault("launch_buttons", {})["jupyterhub_url"] = workshop.jupyterhub_url
    sphinx_config = config.setdefault("sphinx", {}).setdefault("config", {})
    sphinx_config["course_removed_docs"] = removed
    return config


@dataclass
class StagedWorkshop:
    name: str
    source: Path
    output: Path
    workshop: Workshop


def workshop_dataset_spec(workshop: Workshop) -> dict[str, dict]:
    """data/datasets.yml with the workshop's liability cohort size."""
    spec = load_spec()
    spec["liability"]["n_samples"] = workshop.dataset.samples
    spec["liability"]["n_sites"] = workshop.dataset.sites
    for settings in spec.values():
        settings["seed"] += workshop.dataset.seed
    return spec


def stage(config_path: Path, output_root: Path | None = None) -> StagedWorkshop:
    """Copy what the workshop shows into its own folder, with its own data."""
    config_path = Path(config_path)
    workshop = load_workshop(config_path)
    name = config_path.stem
    output = (output_root or ROOT / "_build" / "workshops") / name
    source = output / "source"
    if source.exists():
        shutil.rmtree(source)
    source.mkdir(parents=True)

    toc, removed = workshop_toc(workshop, yaml.safe_load((ROOT / "_toc.yml").read_text()))
    config = workshop_config(workshop, yaml.safe_load((ROOT / "_config.yml").read_text()), removed)
    (source / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False))
    (source / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))

    shutil.copytree(ROOT / "book", source / "book", ignore=shutil.ignore_patterns("__pycache__"))
    kept = set(toc_pages(toc))
    for folder in ("exercises", "solutions"):
        (source / folder).mkdir()
        for notebook in sorted((ROOT / folder).glob("*.ipynb")):
            if f"{folder}/{notebook.stem}" in kept:
                shutil.copy2(notebook, source / folder / notebook.name)

    spec = workshop_dataset_spec(workshop)
    make_datasets(source / "data", spec=spec)
    (source / "data" / "datasets.yml").write_text(
        f"# Datasets of the workshop {name}: data/datasets.yml with its seed and size.\n"
        + yaml.safe_dump(spec, sort_keys=False)
    )
    return StagedWorkshop(name=name, source=source, output=output, workshop=workshop)


def toc_pages(toc: dict) -> list[str]:
    """Every page named in a table of contents, in order."""
    pages = [toc["root"]]
    for part in toc["parts"]:
        for chapter in part["chapters"]:
            pages.append(chapter["file"])
            pages += [section["file"] for section in chapter.get("sections", [])]
    return pages


def build_workshop(
    config_path: Path, output_root: Path | None = None, echo: bool = True
) -> tuple[StagedWorkshop, BookBuild]:
    staged = stage(config_path, output_root)
    return staged, build(source=staged.source, output=staged.output, echo=echo)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="check workshop files and say what is wrong")
    check.add_argument("configs", type=Path, nargs="+")
    build_parser = commands.add_parser("build", help="build one workshop's site")
    build_parser.add_argument("config", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            for path in args.configs:
                workshop = load_workshop(path)
                print(f"{path}: OK ({workshop.banner})")
            return 0
        staged, result = build_workshop(args.config)
    except WorkshopConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return report(result, f"The site of workshop {staged.name}")


if __name__ == "__main__":
    sys.exit(main())
