"""The visible checks of the notebooks: one line a quantity, with a verdict.

The autograder runs the same lines, so a student sees here the verdicts it gives on
them; its hidden tests then check more inputs and shapes.
"""

import numpy as np


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
        print(f"{name}: got None; the function must return an array here")
        return
    received, expected = np.asarray(received), np.asarray(expected)
    if received.shape != expected.shape:
        print(
            f"{name}: shape {received.shape}, expected {expected.shape}  <-- check the shapes"
        )
        return
    error = rel_error(received, expected)
    verdict = "ok" if error < tol else f"<-- too large, should be below {tol:.0e}"
    print(f"{name} error: {error:.2e}  {verdict}")


def report_close(name, received, expected, atol):
    """Print the largest absolute difference of `received` from `expected`, and a
    verdict.

    For checks whose expected values are printed with a few decimals, or lie near
    zero, where a relative error says little. Tensors are accepted as they are
    (detached and copied to the CPU first).
    """
    if received is None:
        print(f"{name}: got None; the function must return an array here")
        return
    if hasattr(received, "detach"):  # a torch tensor, maybe part of a graph
        received = received.detach().cpu().numpy()
    received = np.asarray(received, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if received.shape != expected.shape:
        print(
            f"{name}: shape {received.shape}, expected {expected.shape}  <-- check the shapes"
        )
        return
    difference = float(np.max(np.abs(received - expected)))
    verdict = (
        "ok" if difference < atol else f"<-- too large, should be below {atol:.0e}"
    )
    print(f"{name} max difference: {difference:.2e}  {verdict}")
