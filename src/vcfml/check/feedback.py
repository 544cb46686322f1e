"""How a self-check talks to the learner."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

PASSED = "✅"
FAILED = "❌"


class CheckResult:
    """What a check returns: true when the answer is right.

    The check has already printed its feedback, so in a notebook the result
    itself displays nothing (no stray ``True`` under the green line).
    """

    def __init__(self, exercise: str, ok: bool) -> None:
        self.exercise = exercise
        self.ok = ok

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        return f"CheckResult(exercise={self.exercise!r}, ok={self.ok})"

    def _ipython_display_(self) -> None:
        """Show nothing in Jupyter: the feedback was printed."""


def passed(exercise: str, message: str) -> CheckResult:
    print(f"{PASSED} Exercise {exercise}: correct. {message}")
    return CheckResult(exercise, True)


def failed(exercise: str, message: str, hint: str) -> CheckResult:
    print(f"{FAILED} Exercise {exercise}: not yet. {message}\n   Hint: {hint}")
    return CheckResult(exercise, False)


def call_answer(
    exercise: str, function: Callable[..., Any], *args: Any
) -> tuple[CheckResult | None, Any]:
    """Call the learner's function. Returns (None, value) when it ran, or a
    failed result when it is still a stub or crashed."""
    try:
        return None, function(*args)
    except NotImplementedError:
        result = failed(
            exercise,
            "The function still raises NotImplementedError.",
            "replace the `raise NotImplementedError(...)` line with your code, "
            "run that cell again, then this one.",
        )
    except Exception as error:  # a learner's bug: report it, do not crash the notebook
        shown = ", ".join(describe(arg) for arg in args)
        result = failed(
            exercise,
            f"Calling it with ({shown}) raised {type(error).__name__}: {error}",
            "run your function on that input in a cell of its own to see what happens.",
        )
    return result, None


def describe(value: Any, width: int = 60) -> str:
    """A short description of an argument: a table's size and columns, an array's
    shape, or a repr cut to ``width`` characters (never a whole table)."""
    columns = getattr(value, "columns", None)
    shape = getattr(value, "shape", None)
    if columns is not None and shape is not None:
        names = [str(name) for name in list(columns)[:8]]
        more = ", ..." if len(columns) > 8 else ""
        return f"a table of {shape[0]} rows with columns {', '.join(names)}{more}"
    if shape is not None and len(shape) > 0:
        return f"an array of shape {tuple(shape)}"
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."
