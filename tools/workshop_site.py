"""The pages a workshop build writes for its own audience (used by ``tools/workshop.py``).

Participants get a set-up page that starts from the workshop's pack (linked from
the site, never the repository) and an introduction whose "How to start" says
the same. Instructors get one generated page, the workshop's guide: the schedule
from the chapters it teaches and their exercise times, the answer notes (what
each solution prints on the workshop's own data), and how to preview and publish
exactly what participants get.
"""

from __future__ import annotations

import re
import sys
from datetime import timedelta
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))

from course_site import exercise_minutes, reading_minutes  # noqa: E402
from workshop import (  # noqa: E402
    CONTRIBUTORS_PAGE,
    GUIDE_PAGE,
    StagedWorkshop,
    Workshop,
    course_chapters,
    instructors_only,
    shown_path,
    toc_pages,
)

HOW_TO_START = re.compile(r"^## How to start\n.*?(?=^## )", re.MULTILINE | re.DOTALL)
OUTPUT_LINES = 8  # lines of each printed output kept in the answer notes


def check_command(python: str = "3.11") -> str:
    """The environment check exactly as a participant types it in the unpacked pack."""
    constraints = f"requirements/constraints-py{python}.txt"
    return f".venv/bin/vcfml check-env --data data --constraints {constraints}"


def participants_setup_page(staged: StagedWorkshop) -> str:
    workshop = staged.workshop
    pack = staged.pack.name
    hub = ""
    if workshop.jupyterhub_url:
        hub = f"""
## On the workshop's JupyterHub

Open <{workshop.jupyterhub_url}>, upload `{pack}` with the file browser, open a
**Terminal** and run the same two commands as above (`unzip …`, `bash setup.sh`).
Then reload the page and open the exercises with the kernel **Python (vcfml)**.
"""
    return f"""# Setting up

Everything you need for this workshop is in one download, the **workshop pack**:
the exercises, the workshop's own data and a set-up script.

<p><a class="reference download" href="../{pack}" download>Download {pack}</a></p>

## On a laptop or a Linux machine

You need Python 3.10 to 3.14 (Windows: inside WSL, `wsl --install -d Ubuntu`).
In a terminal:

```bash
unzip {pack} && cd {staged.name}
bash setup.sh                 # or: PYTHON=python3.11 bash setup.sh
.venv/bin/jupyter lab exercises/
```

`setup.sh` installs the course's packages into `.venv/` in that folder (see the
pack's README for the download size), registers the Jupyter kernel
**Python (vcfml)**, which runs every AutoML cell for {workshop.automl_budget:g}
seconds, and checks your machine: one line per check, every line ✅. To check
again later, in the same folder:

```bash
{check_command()}
```

(with your Python's version in the file name). The exercise notebooks open with
the kernel **Python (vcfml)**; if Jupyter asks for a kernel, pick that one.

## On an Azure ML compute instance

Upload `{pack}` in the *Notebooks* tab, open a **Terminal** there, `cd` to the
folder you uploaded it to and run `unzip {pack} && cd {staged.name} && bash setup.sh`.
Reload the page; open the notebooks in `exercises/` and pick the kernel
**Python (vcfml)**.
{hub}
## What the check checks

| Check | Green when | Fix when red |
|---|---|---|
| Python | 3.10 to 3.14 | install Python 3.11 |
| Packages | every package the course needs at the pinned version | `bash setup.sh` again |
| Data | every file in `data/` matches `data/SHA256SUMS` | unpack the pack again |
| Memory | at least 2 GiB available | close programs |
| CPU cores | at least 2 | use a machine with 2 cores |
"""


PARTICIPANTS_START = """## How to start

Download this workshop's pack from [Setting up](setup.md), unpack it and run its
`setup.sh`; then open the exercises with the kernel **Python (vcfml)**.

"""


# What the course's pages say to someone with the repository, and what a participant
# with the pack (no Makefile, no git) reads instead: in the intro and the exercises.
NEEDS_MAKE = "**Python 3.10 or newer** and `make`."
AZURE_OPTION = re.compile(r"^- \*Optional:\* an Azure[^\n]*\n(?:  [^\n]*\n)*", re.MULTILINE)
PACK_WORDING = {
    "(in a terminal, `vcfml check-env` runs the same checks; in a clone of the repository, "
    "`make check-env` does too)": (
        "(in a terminal, in the pack's folder, `.venv/bin/vcfml check-env --data data "
        "--constraints requirements/constraints-py3.11.txt` runs the same checks; use your "
        "Python's version in the file name)"
    ),
}


def pack_wording(notebook_path: Path) -> None:
    """Say in a staged notebook's text what the pack has, where it says ``make``."""
    notebook = nbformat.read(notebook_path, as_version=4)
    changed = False
    for cell in notebook.cells:
        for course, pack in PACK_WORDING.items():
            if cell.cell_type == "markdown" and course in cell.source:
                cell.source = cell.source.replace(course, pack)
                changed = True
    if changed:
        nbformat.write(notebook, notebook_path)


def participants_pages(staged: StagedWorkshop) -> None:
    """Replace the set-up page and the introduction's "How to start" in the staged copy.

    The introduction also loses ``make`` from "What you need" (the pack needs none)
    and, when the Azure page is hidden, the optional Azure workspace; the exercises
    name the pack's check command where they name ``make check-env``.
    """
    (staged.source / "book" / "setup.md").write_text(participants_setup_page(staged))
    intro = staged.source / "book" / "intro.md"
    text = intro.read_text()
    replaced, found = HOW_TO_START.subn(PARTICIPANTS_START, text)
    if not found:
        raise RuntimeError(
            "book/intro.md has no '## How to start' section followed by another '## ' "
            "section: tools/workshop_site.py replaces it with the pack's instructions"
        )
    replaced = replaced.replace(NEEDS_MAKE, "**Python 3.10 or newer**.")
    if not staged.workshop.show_azure:
        replaced = AZURE_OPTION.sub("", replaced)
    intro.write_text(replaced)
    howto = staged.source / "book" / "exercises_howto.md"
    lines = howto.read_text().splitlines(keepends=True)
    howto.write_text("".join(line for line in lines if "](contributing.md)" not in line))
    for folder in ("exercises", "solutions"):
        for notebook in sorted((staged.source / folder).glob("*.ipynb")):
            pack_wording(notebook)


def schedule(workshop: Workshop, source: Path) -> list[dict]:
    """One row per chapter taught: reading and exercise minutes, spread over the days.

    Minutes come from the chapter page (``{chapter-time}`N``` reading) and from
    each exercise notebook's "*Time: about N minutes.*" line, as the site shows them.
    Chapters are given to days in order, a new day starting when the day's share
    of the total is reached.
    """
    chapters = course_chapters(yaml.safe_load((source / "_toc.yml").read_text()))
    rows = []
    for number in workshop.chapters:
        page = source / f"{chapters[number]['file']}.md"
        title = page.read_text().splitlines()[0].lstrip("# ").strip()
        reading = reading_minutes(page) or 0
        order = [s["file"] for s in chapters[number].get("sections", [])]
        notebooks = sorted(
            exercise_minutes(source, number),
            key=lambda item: (
                order.index(f"exercises/{item[0]}")
                if f"exercises/{item[0]}" in order
                else len(order)
            ),
        )
        rows.append(
            {
                "number": number,
                "title": title,
                "reading": reading,
                "exercises": notebooks,
                "minutes": reading + sum(minutes or 0 for _, minutes in notebooks),
            }
        )
    days = (workshop.end_date - workshop.start_date).days + 1
    share = sum(row["minutes"] for row in rows) / days
    day, done = 0, 0
    for row in rows:
        if done + row["minutes"] / 2 > share * (day + 1) and day < days - 1:
            day += 1
        row["day"] = workshop.start_date + timedelta(days=day)
        done += row["minutes"]
    return rows


def schedule_markdown(rows: list[dict], hours_per_day: float | None = None) -> str:
    lines = [
        "| Day | Chapter | Reading | Exercises | Minutes |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        exercises = ", ".join(f"{stem} ({minutes} min)" for stem, minutes in row["exercises"])
        lines.append(
            f"| {row['day']:%a %d %b} | {row['title']} | {row['reading']} min | "
            f"{exercises or '–'} | {row['minutes']} |"
        )
    total = sum(row["minutes"] for row in rows)
    lines.append(f"| | **Total** | | | **{total}** ({total / 60:.1f} h) |")
    by_day: dict = {}
    for row in rows:
        by_day[row["day"]] = by_day.get(row["day"], 0) + row["minutes"]
    per_day = "; ".join(f"{day:%a %d %b}: {minutes} min" for day, minutes in by_day.items())
    text = "\n".join(lines) + f"\n\nTeaching time per day: {per_day}.\n"
    long = [day for day, minutes in by_day.items() if minutes > (hours_per_day or 24) * 60]
    if long:
        days = ", ".join(f"{day:%a %d %b} ({by_day[day] / 60:.1f} h)" for day in long)
        text += (
            f"\n```{{warning}}\nLonger than the {hours_per_day:g} hours of teaching a day "
            f"(`hours_per_day`): {days}, before set-up, breaks, lunch and questions. "
            "Teach fewer chapters (`chapters:`), add a day, or cut what each chapter's "
            "notes say to cut when late.\n```\n"
        )
    return text


def answer_notes(source: Path) -> str:
    """What each executed solution prints on the workshop's data, exercise by exercise."""
    parts = []
    for path in sorted((source / "solutions").glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        parts.append(f"### {path.stem}\n\nThe full answer: [](../solutions/{path.stem}.ipynb).\n")
        for cell in notebook.cells:
            if cell.cell_type != "code":
                continue
            text = printed_output(cell)
            if not text:
                continue
            first = cell.source.strip().splitlines()[0][:90] if cell.source.strip() else ""
            parts.append(f"`{first}`\n\n```text\n{text}\n```\n")
    return "\n".join(parts)


def printed_output(cell: nbformat.NotebookNode) -> str:
    """The text a cell printed or returned, at most :data:`OUTPUT_LINES` lines."""
    lines: list[str] = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream" and output.name == "stdout":
            lines += output.text.splitlines()
        elif output.output_type == "execute_result" and "text/plain" in output.data:
            lines += str(output.data["text/plain"]).splitlines()
    if len(lines) > OUTPUT_LINES:
        lines = [*lines[:OUTPUT_LINES], f"… ({len(lines) - OUTPUT_LINES} more lines)"]
    return "\n".join(line.rstrip() for line in lines).replace("```", "'''")


def instructors_guide(staged: StagedWorkshop, config_path: Path) -> str:
    workshop = staged.workshop
    shown = shown_path(config_path)
    name = staged.name
    released = "are" if workshop.solutions_released else "are **not**"
    published = "" if workshop.publish else "**not** "
    return f"""# Instructors: {workshop.title}

{workshop.banner}. Instructors: {", ".join(workshop.instructors)}.

This page is in the instructors' build only
(`python tools/workshop.py build {shown} --instructors`); the participants' site
and pack do not have it, nor the solutions unless they are released (today they
{released}). {chapter_notes(staged.source)}

## Schedule

Reading and exercise minutes as the chapter pages and the exercise notebooks state
them; breaks, the set-up check and questions are not included.

{schedule_markdown(schedule(workshop, staged.source), workshop.hours_per_day)}
## Answer notes for this workshop's data

Every solution below was executed on this workshop's own datasets
(`dataset.seed: {workshop.dataset.seed}`, {workshop.dataset.samples} samples ×
{workshop.dataset.sites} sites in the liability cohort) with the course's
deterministic AutoML setting. Participants run AutoML for
{workshop.automl_budget:g} s instead, so their AutoML numbers differ a little from
run to run; numbers that involve no search (counts, frequencies, the Bayes
ceiling, self-check lines) are exactly theirs.

{answer_notes(staged.source)}
## Preview exactly what participants get

```bash
make workshop-check WORKSHOP={shown}
make book WORKSHOP={shown}         # site + pack, into _build/workshops/{name}/
make site-check WORKSHOP={shown}   # every page in Chromium; fails on any solution
                                   # that is not released; screenshots of every page
                                   # in _build/workshops/{name}/_build/screenshots
make pack-check WORKSHOP={shown}   # optional, minutes: the pack set up and an AutoML
                                   # exercise run as a participant would
```

The site is `_build/workshops/{name}/_build/html/index.html`; the pack,
`_build/workshops/{name}/{name}-pack.zip`, is also in the site (the set-up page links
it). Try the pack as a participant would, in an empty folder with a fresh home:

```bash
mkdir /tmp/try && cd /tmp/try && unzip /path/to/{name}-pack.zip && cd {name}
HOME=/tmp/try bash setup.sh && HOME=/tmp/try .venv/bin/jupyter lab exercises/
```

## Publish the site

One workflow publishes on GitHub Pages, `.github/workflows/pages.yml` (`make publish`),
on every push to `main`: the course at the root and every workshop file with
`publish: true` under `workshops/NAME/`. To publish this workshop, set `publish: true` in
`{shown}` and push it to `main`; its site is then
`https://OWNER.github.io/REPOSITORY/workshops/{name}/` (today it is
{published}published). Every later push rebuilds it with this file's settings, never
with the course's: the run fails, and deploys nothing, when any solution this workshop
holds back is found under its address.

**The course at the root of the same address holds every solution** (`root: course` in
`.github/publish.yml`). If this workshop must not have them one click away, set
`root: index` there while it runs (the address then serves only a list of the
workshops), or copy `_build/workshops/{name}/_build/html/` to another static host.
GitHub settings, once: *Settings → Pages → Source* = **GitHub Actions**; the environment
*github-pages* deploys from `main` only.

To release the solutions after the workshop, set `solutions_released: true` and push
(or rebuild and copy the site again).

The pack's library holds the self-checks, which compute the right answers to compare
(see the course's instructor guide, "The self-checks hold reference code"): do not use
them to grade participants.
"""


def chapter_notes(source: Path) -> str:
    """Links to the course's own instructor pages of the chapters taught."""
    toc = yaml.safe_load((source / "_toc.yml").read_text())
    pages = [
        page
        for page in toc_pages(toc)
        if instructors_only(page) and page not in (GUIDE_PAGE, CONTRIBUTORS_PAGE)
    ]
    if not pages:
        return "The course has no per-chapter instructor notes yet."
    links = ", ".join(f"{{doc}}`/{page}`" for page in pages)
    return f"The course's notes for each chapter taught: {links}."


def instructors_pages(staged: StagedWorkshop, config_path: Path) -> None:
    """Write the guide page into the staged copy (its solutions are executed already)."""
    (staged.source / f"{GUIDE_PAGE}.md").write_text(instructors_guide(staged, config_path))
