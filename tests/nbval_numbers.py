"""nbval compares a notebook's numbers with a relative tolerance, not as text.

nbval fails a cell when its fresh output differs from the committed one by a single
character. The course's numbers are computed in floating point, and the last digit
of a long number can differ from one CPU to another (OpenBLAS picks a kernel per
processor, numba compiles for the host): such a difference is noise, not a change.
This plugin accepts an output when, and only when, its text equals the committed
text once every decimal number in both is replaced by a placeholder, and each pair
of numbers agrees to a relative ``RELATIVE_TOLERANCE``. Whole numbers (counts,
sample sizes, ranks) must still match exactly, and so must everything else: a real
change of a shown number still fails (``tests/test_nbval_numbers.py``).

Loaded with ``-p tests.nbval_numbers`` by every pytest run of the Makefile and
``.ci/run`` (``python -m pytest`` from the repository root).
"""

from __future__ import annotations

import math
import re

RELATIVE_TOLERANCE = 1e-4
# A decimal number: digits with a decimal point, or in scientific notation.
# Whole numbers are left out on purpose: they are compared as text.
DECIMAL = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+(?=[eE]))(?:[eE][-+]?\d+)?")


def same_within_tolerance(reference: object, test: object) -> bool:
    """Whether ``test`` is ``reference`` up to the rounding noise of its decimal numbers."""
    if not (isinstance(reference, str) and isinstance(test, str)):
        return reference == test
    if DECIMAL.sub("#", reference) != DECIMAL.sub("#", test):
        return False
    return all(
        math.isclose(float(a), float(b), rel_tol=RELATIVE_TOLERANCE, abs_tol=0.0)
        for a, b in zip(DECIMAL.findall(reference), DECIMAL.findall(test), strict=True)
    )


def _flatten(cell, outputs, skip_compare=None) -> dict[str, list]:
    """Outputs keyed as nbval compares them: MIME types flattened, skipped keys out,
    each value sanitized (nbval's own ``compare_outputs`` does the same)."""
    from nbval.plugin import transform_streams_for_comparison

    skip = skip_compare or cell.parent.skip_compare
    flat: dict[str, list] = {}
    for output in transform_streams_for_comparison(outputs):
        for key, value in output.items():
            if key in skip:
                continue
            if key == "data":
                for mime, data in value.items():
                    if mime not in skip:
                        flat.setdefault(mime, []).append(cell.sanitize(data))
            else:
                flat.setdefault(key, []).append(cell.sanitize(value))
    return flat


def outputs_agree(cell, test, reference, skip_compare=None) -> bool:
    """nbval's comparison, with decimal numbers compared to a relative tolerance."""
    tested = _flatten(cell, test, skip_compare)
    committed = _flatten(cell, reference, skip_compare)
    if tested.keys() != committed.keys():
        return False
    return all(
        len(tested[key]) == len(values)
        and all(same_within_tolerance(r, t) for r, t in zip(values, tested[key], strict=True))
        for key, values in committed.items()
    )


def install() -> None:
    """Wrap nbval's ``IPyNbCell.compare_outputs``: where nbval finds a difference,
    accept it if it is rounding noise in decimal numbers only."""
    from nbval.plugin import IPyNbCell

    exact = IPyNbCell.compare_outputs
    if getattr(exact, "tolerates_rounding", False):
        return

    def compare_outputs(self, test, ref, skip_compare=None):
        if exact(self, test, ref, skip_compare):
            return True
        if outputs_agree(self, test, ref, skip_compare):
            self.comparison_traceback = []
            return True
        return False

    compare_outputs.tolerates_rounding = True
    IPyNbCell.compare_outputs = compare_outputs


def pytest_configure(config) -> None:
    install()
