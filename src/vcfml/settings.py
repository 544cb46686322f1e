"""Course-wide settings read from the environment.

One variable sets the length of every AutoML run in the course, so the same
notebooks run in seconds in CI and for minutes in a workshop:

``VCFML_AUTOML_BUDGET``
    Seconds of search per AutoML run. A workshop config sets it for the day
    (``automl_budget`` in ``workshops/*.yml``); notebooks never hard code a
    budget, they ask :func:`vcfml.automl.course_settings` for their settings.

When the variable is not set (CI, the committed notebook outputs), course
notebooks run a small, fixed number of trials instead of a timed search, so
their outputs are the same on every machine and ``pytest --nbval`` can check
them strictly. Library calls without a budget use :data:`DEFAULT_BUDGET_SECONDS`.
"""

from __future__ import annotations

import os

from vcfml.errors import VcfmlError

BUDGET_VARIABLE = "VCFML_AUTOML_BUDGET"
DEFAULT_BUDGET_SECONDS = 10.0


def budget_is_set() -> bool:
    """True when a workshop (or a learner) has chosen an AutoML budget."""
    return bool(os.environ.get(BUDGET_VARIABLE, "").strip())


def automl_budget(fraction: float = 1.0) -> float:
    """Seconds an AutoML run may take: ``fraction`` of the course-wide budget.

    Raises:
        VcfmlError: the environment variable is not a positive number.
    """
    raw = os.environ.get(BUDGET_VARIABLE)
    if raw is None or raw.strip() == "":
        seconds = DEFAULT_BUDGET_SECONDS
    else:
        try:
            seconds = float(raw)
        except ValueError:
            seconds = float("nan")
        if not seconds > 0:
            raise VcfmlError(f"{BUDGET_VARIABLE} must be a positive number of seconds, got {raw!r}")
    if not fraction > 0:
        raise ValueError(f"fraction must be positive, got {fraction}")
    return seconds * fraction
