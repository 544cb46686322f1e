"""Read the tables of ``benchmarks/RESULTS.md``, so book pages quote them and never copy them.

Each benchmark script appends a section to RESULTS.md when run with ``--record``:
a heading ``## SCRIPT.py, DATE (MACHINE ...)`` and a Markdown table. A page quotes
one cell with the role ``{benchmark}`` (registered by ``course_site``)::

    {benchmark}`automl_quality.py; 2,000 x 10,000; plain FLAML, all sites; test AUC; .3f`

that is: the script, then the values that pick exactly one row (each must equal one
of the row's cells), then the column, then an optional format such as ``.3f``. The
value comes from the newest section of that script that has the column and the row
(scripts record partial runs, e.g. one cohort only), so a new run replaces the number
on the page. The column ``date`` gives that section's date. A reference that matches
no row, or more than one row of a table, is an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

SECTION = re.compile(r"^## (?P<script>[\w.-]+\.py), (?P<date>\d{4}-\d{2}-\d{2})(?P<rest>.*)$")
FORMAT_SPEC = re.compile(r"^,?(\.\d+)?[dfg%]$")


class BenchmarkLookupError(ValueError):
    """A ``{benchmark}`` reference that does not name exactly one cell."""


@dataclass
class Section:
    script: str
    date: str
    heading: str
    columns: list[str]
    rows: list[list[str]]


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def read_sections(text: str) -> list[Section]:
    """Every recorded section with its first table, in the file's order."""
    sections: list[Section] = []
    current: Section | None = None
    in_table = False
    for line in text.splitlines():
        match = SECTION.match(line)
        if match:
            current = Section(match["script"], match["date"], line[3:], [], [])
            sections.append(current)
            in_table = False
            continue
        if current is None:
            continue
        if line.startswith("|"):
            if not current.columns:
                current.columns = _cells(line)
                in_table = True
            elif in_table and not set(line.replace("|", "").strip()) <= set(":- "):
                current.rows.append(_cells(line))
        elif current.columns:
            in_table = False
    return sections


def lookup(sections: list[Section], reference: str) -> str:
    """The text a ``{benchmark}`` role shows for ``reference`` (see the module docstring)."""
    parts = [part.strip() for part in reference.split(";")]
    script, rest = parts[0], parts[1:]
    mine = [section for section in sections if section.script == script]
    if not mine:
        known = sorted({section.script for section in sections})
        raise BenchmarkLookupError(f"RESULTS.md has no section for {script!r} (it has {known})")
    spec = rest.pop() if rest and FORMAT_SPEC.match(rest[-1]) else ""
    if not rest:
        raise BenchmarkLookupError(f"{reference!r} names no column")
    *keys, column = rest
    for section in reversed(mine):  # the newest run that measured this row
        rows = [row for row in section.rows if all(key in row for key in keys)]
        if column != "date" and column not in section.columns:
            continue
        if len(rows) > 1:
            raise BenchmarkLookupError(
                f"{len(rows)} rows of the {script} table of {section.date} match {keys}"
            )
        if rows:
            break
    else:
        raise BenchmarkLookupError(
            f"no {script} table in RESULTS.md has a column {column!r} and a row with {keys}"
        )
    if column == "date":
        return section.date
    value = rows[0][section.columns.index(column)]
    if not spec:
        return value
    try:
        number = float(value.replace(",", ""))
    except ValueError:
        raise BenchmarkLookupError(
            f"the {script} table of {section.date}: {column!r} of {keys} is {value!r}, not a number"
        ) from None
    return format(int(number) if spec.endswith("d") else number, spec)


def lookup_file(path: Path, reference: str) -> str:
    return lookup(read_sections(path.read_text(encoding="utf-8")), reference)
