"""Errors that vcfml shows to a person.

Every problem with a user's input becomes a :class:`VcfmlInputError` whose message
names the file and, where there is one, the line or record. The command-line
interface prints that one line and exits non-zero instead of showing a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from os import PathLike


class VcfmlError(Exception):
    """Base class for errors that vcfml reports to the user in one line."""


class MissingExtraError(VcfmlError, ImportError):
    """An optional part of vcfml is used without the packages it needs."""


# Each optional extra: what it is for, and how to install it.
EXTRAS = {
    "scale": (
        "VCF Zarr and chunked screening (chapter 6)",
        'pip install -e ".[scale]" in the course folder, or `make install`',
    ),
    "tracking": (
        "logging a run to MLflow",
        'pip install -e ".[tracking]" in the course folder (`make install` has it); '
        "in a workshop pack: .venv/bin/pip install mlflow",
    ),
    "view": (
        "the interactive explanation view (Bokeh)",
        'pip install -e ".[view]" in the course folder (`make install` has it); '
        "in a workshop pack: .venv/bin/pip install bokeh",
    ),
    "azure": (
        "the Azure ML backend",
        'pip install -e ".[azure]" in an environment of its own (README, Azure ML)',
    ),
}


@contextmanager
def require_extra(extra: str) -> Iterator[None]:
    """Turn an ImportError inside the block into the ``pip install`` that fixes it."""
    try:
        yield
    except ImportError as error:
        purpose, install = EXTRAS[extra]
        raise MissingExtraError(
            f"{purpose} needs the {extra!r} extra, which is not installed here "
            f"({error.name} is missing): {install}"
        ) from error


class VcfmlInputError(VcfmlError, ValueError):
    """A file or argument given to vcfml is not what it should be."""

    def __init__(
        self,
        path: str | PathLike[str] | None,
        problem: str,
        *,
        line: int | None = None,
        record: int | None = None,
        where: str | None = None,
    ) -> None:
        self.path = None if path is None else str(path)
        self.problem = problem
        self.line = line
        self.record = record
        self.where = where
        super().__init__(self._message())

    def _message(self) -> str:
        location = []
        if self.line is not None:
            location.append(f"line {self.line}")
        if self.record is not None:
            location.append(f"record {self.record}")
        if self.where:
            location.append(self.where)
        prefix = self.path if self.path is not None else "input"
        if location:
            prefix += f" ({', '.join(location)})"
        return f"{prefix}: {self.problem}"


def preview_names(names, limit: int = 5) -> str:
    """The first few names of a list, for an error message that stays one line."""
    names = [str(name) for name in names]
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")
