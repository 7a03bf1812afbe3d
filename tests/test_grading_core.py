"""How a grader's score reaches nbgrader: the repr of the test cell's result."""

import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_output
from nbgrader.utils import determine_grade

from course_lib.grading.core import Outcome, grade


def graded_by_nbgrader(score, points):
    """The score nbgrader gives a test cell whose last expression is `score`."""
    cell = new_code_cell(
        "hidden.check(2)",
        metadata={"nbgrader": {"grade": True, "solution": False, "points": points,
                               "grade_id": "test_x", "locked": True}},
        outputs=[new_output("execute_result", {"text/plain": repr(score)},
                            execution_count=1)],
    )
    return determine_grade(cell)[0]


def test_numpy_verdicts_still_give_nbgrader_a_partial_score(capsys):
    """NumPy comparisons give NumPy bools; a NumPy score's repr ("np.float64(...)")
    is not a number to nbgrader, which would then give full credit."""
    checks = [
        ("inside", 1, lambda: Outcome(np.float64(2.0) <= 1, "values outside")),
        ("shape", 1, lambda: Outcome(np.bool_(True), "shape")),
    ]
    score = grade("noise", 2, checks)
    assert type(score) is float
    assert graded_by_nbgrader(score, 2) == pytest.approx(1.0)
    assert "FAIL  values outside" in capsys.readouterr().out


def test_a_check_that_raises_fails_with_its_error_and_keeps_the_others(capsys):
    def broken():
        raise IndexError("index 7 is out of bounds")

    checks = [("ok", 3, lambda: Outcome(True, "fine")), ("broken", 1, broken)]
    assert graded_by_nbgrader(grade("f", 4, checks), 4) == pytest.approx(3.0)
    assert "broken: raised IndexError: index 7 is out of bounds" in capsys.readouterr().out
