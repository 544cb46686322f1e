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
        result = failed(
            exercise,
            f"Calling it with {args!r} raised {type(error).__name__}: {error}",
            "run your function on that input in a cell of its own to see what happens.",
        )
    return result, None
