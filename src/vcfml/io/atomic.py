"""Write an output file completely or not at all.

A run that fails half way (full disk, interrupted, a bug) must not leave a
half-written predictions file that looks like a result. The file is written
under a temporary name in the same folder and renamed over the target with
``os.replace``, which is atomic on POSIX and Windows when both names are on one
file system; on failure the temporary file is removed and any older file of
that name is left as it was.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from os import PathLike
from pathlib import Path

from vcfml.errors import VcfmlInputError


def check_writable(path: str | PathLike[str]) -> Path:
    """Refuse early an output path whose folder does not exist (or is a file)."""
    path = Path(path)
    folder = path.parent
    if not folder.exists():
        raise VcfmlInputError(path, f"cannot write: the folder {folder} does not exist")
    if not folder.is_dir():
        raise VcfmlInputError(path, f"cannot write: {folder} is not a folder")
    if path.is_dir():
        raise VcfmlInputError(path, "cannot write: this is a folder, give a file name")
    return path


@contextmanager
def atomic_path(path: str | PathLike[str]) -> Iterator[Path]:
    """A temporary path to write to; it becomes ``path`` when the block succeeds.

    An ``OSError`` while writing becomes a one-line :class:`VcfmlInputError`
    naming ``path``; any failure removes the temporary file.
    """
    path = check_writable(path)
    # Same folder (so the rename is atomic); created by the writer, so with the
    # usual permissions; the process ID keeps two runs apart.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield temporary
        os.replace(temporary, path)
    except OSError as error:
        raise VcfmlInputError(path, f"cannot write: {error.strerror or error}") from error
    finally:
        temporary.unlink(missing_ok=True)


def write_text_atomically(path: str | PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` completely or not at all."""
    with atomic_path(path) as temporary:
        temporary.write_text(text)
    return Path(path)
