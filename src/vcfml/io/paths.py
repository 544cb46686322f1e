"""Output folders: checked before any work, written whole or not at all.

A command that writes a folder of results (``vcfml simulate``'s cohort, an
AutoML run folder) checks its ``--out`` first, so that a typo costs no
minutes of work and ends in one line, not a traceback. The folder is then
written under a temporary sibling name and renamed into place when complete
(:func:`folder_written_whole`): two runs on one ``--out`` or a Ctrl-C never
leave a folder that mixes two results or holds half of one.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from os import PathLike
from pathlib import Path

from vcfml.errors import VcfmlInputError

IF_EXISTS = ("fail", "replace", "update")


def validate_output_path(
    path: str | PathLike[str], *, folder: bool = True, overwrite: bool = False
) -> Path:
    """``path`` as an output, checked before any work starts.

    Args:
        path: the ``--out`` of a command.
        folder: the output is a folder (a run folder, a cohort); else a file.
        overwrite: an existing output may be replaced (``--overwrite``); a
            folder is then replaced whole, never merged with the old one.

    Raises:
        VcfmlInputError: one line naming the path: it is a file where a folder
            is wanted (or the other way round), it exists and ``overwrite`` is
            False, or a parent is a file.
    """
    path = Path(path)
    for parent in path.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise VcfmlInputError(path, f"cannot write: {parent} is a file, not a folder")
            break
    if folder:
        if path.exists() and not path.is_dir():
            raise VcfmlInputError(path, "is a file; --out names the folder to create")
        if path.is_dir() and not overwrite:
            raise VcfmlInputError(
                path, "already exists; choose another --out, or --overwrite to replace it whole"
            )
    else:
        if path.is_dir():
            raise VcfmlInputError(path, "is a folder; --out names the file to write")
        if path.exists() and not overwrite:
            raise VcfmlInputError(path, "already exists; choose another --out or --overwrite")
    return path


@contextmanager
def folder_written_whole(path: str | PathLike[str], if_exists: str = "fail") -> Iterator[Path]:
    """A temporary sibling folder to write into; it becomes ``path`` when the block succeeds.

    The one mechanism every command that writes a folder uses (``simulate``'s
    cohort, an AutoML run folder, ``qc``'s report). The temporary folder
    (``.NAME.PID.RANDOM.tmp`` beside ``path``, made with ``mkdir``, so with the
    usual permissions, not ``mkdtemp``'s 0700) is removed whatever ends the block:
    an error, a Ctrl-C (``KeyboardInterrupt``), or another writer that got there
    first.

    Args:
        if_exists: what an existing ``path`` gets. ``"fail"``: refused, also
            when it appears while writing (the other writer wins whole);
            ``"replace"``: replaced whole (the old folder is renamed aside,
            then deleted), unless another writer changed it while this block
            ran: then that one is kept whole and this one fails; ``"update"``:
            each new file replaces its namesake inside it, other files stay (one
            file at a time: the library's default, for notebooks that write into
            a folder they made).

    Raises:
        VcfmlInputError: ``path`` is refused (see :func:`validate_output_path`),
            its parent cannot be written, or another writer got there first.
    """
    if if_exists not in IF_EXISTS:
        raise ValueError(f"if_exists must be one of {IF_EXISTS}, got {if_exists!r}")
    path = validate_output_path(path, overwrite=if_exists != "fail")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        temporary.mkdir()
    except OSError as error:
        raise VcfmlInputError(path, f"cannot write here: {error.strerror or error}") from None
    before = _stamp(path)
    try:
        yield temporary
        if if_exists != "update" and _stamp(path) != before:
            raise VcfmlInputError(
                path,
                "another run wrote it while this one was running; it is kept, and this "
                "run's results are not written",
            )
        _move_into_place(temporary, path, if_exists)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def _stamp(path: Path) -> tuple[int, int] | None:
    """Identifies what is at ``path`` now (inode and modification time), if anything:
    a folder another writer renamed into place, or changed, has another stamp."""
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_ino, found.st_mtime_ns


def _move_into_place(temporary: Path, path: Path, if_exists: str) -> None:
    if if_exists == "update" and path.is_dir():
        for item in sorted(temporary.iterdir()):
            target = path / item.name
            if item.is_dir() and target.is_dir():
                _move_into_place(item, target, "update")
            else:
                if target.is_dir():
                    shutil.rmtree(target)
                os.replace(item, target)
        return
    if if_exists == "replace" and path.exists():
        aside = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.old")
        try:
            os.rename(path, aside)
        except FileNotFoundError:  # another writer moved it first
            aside = None
        try:
            os.rename(temporary, path)
        except BaseException as error:
            if aside is not None and not path.exists():  # put the old folder back
                os.rename(aside, path)
                aside = None
            if not isinstance(error, OSError):
                raise  # Ctrl-C
            raise VcfmlInputError(
                path, f"another run wrote it at the same time ({error.strerror})"
            ) from None
        finally:
            if aside is not None:
                shutil.rmtree(aside, ignore_errors=True)
        return
    try:
        # rename (not replace): it refuses a folder that is there and not empty,
        # so a folder another run finished meanwhile is never overwritten.
        os.rename(temporary, path)
    except OSError as error:
        raise VcfmlInputError(
            path, f"appeared while writing (another run on the same --out?): {error.strerror}"
        ) from None
