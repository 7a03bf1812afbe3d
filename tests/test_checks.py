"""The visible checks: a verdict per line; a failure raises only under validate."""

import numpy as np
import pytest

from course_lib import checks


@pytest.fixture(params=[None, "autograde"])
def not_validating(request, monkeypatch):
    if request.param is None:
        monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    else:
        monkeypatch.setenv("NBGRADER_EXECUTION", request.param)


@pytest.fixture
def validating(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "validate")


FAILURES = [
    (checks.report, ("dx", np.ones(3), np.ones(3) + 1e-3, 1e-7), "dx error: "),
    (checks.report, ("dx", np.ones(2), np.ones(3), 1e-7), "dx: shape (2,), expected (3,)"),
    (checks.report, ("dx", None, np.ones(3), 1e-7), "dx: got None"),
    (checks.report_close, ("out", np.zeros(2), np.ones(2), 1e-3), "out max difference: 1.00e+00"),
    (checks.report_equal, ("parameters", 3, 4, "check the layers"), "parameters: 3, expected 4"),
]


@pytest.mark.parametrize("check, args, start", FAILURES)
def test_a_failed_check_prints_and_goes_on(not_validating, check, args, start, capsys):
    check(*args)
    line = capsys.readouterr().out
    assert line.startswith(start) and "<--" in line


@pytest.mark.parametrize("check, args, start", FAILURES)
def test_a_failed_check_fails_validation_with_its_line(validating, check, args, start,
                                                       capsys):
    with pytest.raises(checks.CheckFailed) as failure:
        check(*args)
    assert str(failure.value).startswith(start)
    assert capsys.readouterr().out.strip() == str(failure.value)


PASSES = [
    (checks.report, ("dx", np.ones(3), np.ones(3) + 1e-12, 1e-7)),
    (checks.report_close, ("out", np.zeros(2), np.full(2, 1e-5), 1e-3)),
    (checks.report_equal, ("parameters", 4, 4)),
]


@pytest.mark.parametrize("check, args", PASSES)
def test_a_passed_check_says_ok_and_never_raises(validating, check, args, capsys):
    check(*args)
    assert capsys.readouterr().out.rstrip().endswith("ok")


def test_the_relative_error_of_equal_values_is_zero():
    assert checks.rel_error(np.arange(4.0), np.arange(4.0)) == 0.0
    assert checks.rel_error([1.0], [3.0]) == pytest.approx(0.5)


def test_a_loss_below_its_limit_passes_and_one_above_fails(validating, capsys):
    checks.report_below("final loss", 0.05, 0.1)
    assert capsys.readouterr().out == "final loss: 0.05  ok\n"
    with pytest.raises(checks.CheckFailed, match="final loss: 0.2  <-- should be below 0.1"):
        checks.report_below("final loss", 0.2, 0.1)
