"""Self-checks for the course exercises.

Every exercise ends with a call such as ``check.exercise_1_1(answer)``. A check
recomputes the expected result with vcfml itself (never a stored answer),
prints a green line when the answer is right, and otherwise a hint that points
at the idea that is missing, without giving the answer away. It returns
``True`` or ``False`` and never raises, so a learner's notebook keeps running.
"""

from vcfml.check.capstone import capstone, capstone_cohort
from vcfml.check.chapter1 import exercise_1_1, exercise_1_1_tests, exercise_1_2
from vcfml.check.chapter2 import exercise_2_1, exercise_2_1_rule, exercise_2_2, exercise_2_2_spread
from vcfml.check.chapter3 import (
    exercise_3_1,
    exercise_3_1_choice,
    exercise_3_2,
    exercise_3_2_by_k,
)
from vcfml.check.chapter4 import (
    exercise_4_0_accuracy,
    exercise_4_0_split,
    exercise_4_1,
    exercise_4_1_threshold,
    exercise_4_2,
    exercise_4_2_interval,
)
from vcfml.check.chapter5 import (
    exercise_5_1,
    exercise_5_2,
    exercise_5_2_pcs,
    exercise_5_3,
    exercise_5_3_clumps,
)
from vcfml.check.chapter6 import exercise_6_1, exercise_6_1_merge
from vcfml.check.chapter7 import (
    exercise_7_1_samples,
    exercise_7_1_sites,
    exercise_7_2_assign,
    exercise_7_2_sites,
)
from vcfml.check.environment import check_environment
from vcfml.check.pgs import exercise_4_3

__all__ = [
    "capstone",
    "capstone_cohort",
    "check_environment",
    "exercise_1_1",
    "exercise_1_1_tests",
    "exercise_1_2",
    "exercise_2_1",
    "exercise_2_1_rule",
    "exercise_2_2",
    "exercise_2_2_spread",
    "exercise_3_1",
    "exercise_3_1_choice",
    "exercise_3_2",
    "exercise_3_2_by_k",
    "exercise_4_0_accuracy",
    "exercise_4_0_split",
    "exercise_4_1",
    "exercise_4_1_threshold",
    "exercise_4_2",
    "exercise_4_2_interval",
    "exercise_4_3",
    "exercise_5_1",
    "exercise_5_2",
    "exercise_5_2_pcs",
    "exercise_5_3",
    "exercise_5_3_clumps",
    "exercise_6_1",
    "exercise_6_1_merge",
    "exercise_7_1_samples",
    "exercise_7_1_sites",
    "exercise_7_2_assign",
    "exercise_7_2_sites",
]
