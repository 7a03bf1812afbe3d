"""The visible checks of the notebooks: one line a quantity, with a verdict.

The autograder runs the same lines, so a student sees here the verdicts it gives on
them; its hidden tests then check more inputs and shapes.

A failed check prints its line and goes on, so the rest of a cell still runs; under
`nbgrader validate` (which sets NBGRADER_EXECUTION=validate) it also raises
CheckFailed, so validation names the cell instead of reporting success. The
autograder only prints: the hidden tests below the checks then still grade the cell,
with partial credit.
"""

import os

import numpy as np


class CheckFailed(AssertionError):
    """A visible check failed while `nbgrader validate` ran the notebook."""


def _say(line, passed):
    print(line)
    if not passed and os.environ.get("NBGRADER_EXECUTION") == "validate":
        raise CheckFailed(line)


def rel_error(x, y):
    """max |x - y| / max(1e-8, |x| + |y|): about 1e-8 for matching float64 values."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def report(name, received, expected, tol):
    """Print the relative error of `received` against `expected` and a verdict.

    Shapes are checked first, because a wrong shape is the most common cause of a
    large error. Nothing is returned, so a check on a cell's last line prints only
    its report.
    """
    if received is None:
        _say(f"{name}: got None  <-- return an array here", False)
        return
    received, expected = np.asarray(received), np.asarray(expected)
    if received.shape != expected.shape:
        line = f"{name}: shape {received.shape}, expected {expected.shape}"
        _say(line + "  <-- check the shapes", False)
        return
    error = rel_error(received, expected)
    verdict = "ok" if error < tol else f"<-- too large, should be below {tol:.0e}"
    _say(f"{name} error: {error:.2e}  {verdict}", error < tol)


def report_close(name, received, expected, atol):
    """Print the largest absolute difference of `received` from `expected`, and a
    verdict.

    For checks whose expected values are printed with a few decimals, or lie near
    zero, where a relative error says little. Tensors are accepted as they are
    (detached and copied to the CPU first).
    """
    if received is None:
        _say(f"{name}: got None  <-- return an array here", False)
        return
    if hasattr(received, "detach"):  # a torch tensor, maybe part of a graph
        received = received.detach().cpu().numpy()
    received = np.asarray(received, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if received.shape != expected.shape:
        line = f"{name}: shape {received.shape}, expected {expected.shape}"
        _say(line + "  <-- check the shapes", False)
        return
    difference = float(np.max(np.abs(received - expected)))
    verdict = (
        "ok" if difference < atol else f"<-- too large, should be below {atol:.0e}"
    )
    _say(f"{name} max difference: {difference:.2e}  {verdict}", difference < atol)


def report_equal(name, received, expected, hint=""):
    """Print `received` beside `expected` and a verdict, for values that must match
    exactly: counts, shapes, types, settings. `hint` says where to look if not."""
    if received == expected:
        _say(f"{name}: {received}  ok", True)
    else:
        line = f"{name}: {received}, expected {expected}  <-- {hint or 'not equal'}"
        _say(line, False)


def report_below(name, value, limit):
    """Print `value` and a verdict: it must be below `limit` (a final loss, say)."""
    value = float(value)
    verdict = "ok" if value < limit else f"<-- should be below {limit:g}"
    _say(f"{name}: {value:.4g}  {verdict}", value < limit)
