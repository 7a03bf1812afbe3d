"""Numerical gradients by centered differences, to check analytic backward passes.

Both functions perturb the input array in place, one entry at a time, and restore
it afterwards, so `f` may read its parameters from the very array being perturbed
(for example a model's `params[name]`). The centered difference
(f(x + h) - f(x - h)) / 2h has an error of order h**2.
"""

import numpy as np


def _check_float(x):
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        raise TypeError(
            f"the numerical gradient needs a floating-point NumPy array to perturb, "
            f"got {type(x).__name__} of dtype {getattr(x, 'dtype', None)}; "
            f"convert it with np.asarray(x, dtype=np.float64)."
        )


def eval_numerical_gradient(f, x, verbose=True, h=1e-5):
    """Gradient of a scalar-valued function f at x.

    Inputs:
    - f: function of one argument, the array x, returning a scalar.
    - x: floating-point array at which to take the gradient; changed during the
      call and restored to its values before returning.
    - verbose: if True, print every index with its gradient entry.
    - h: half the width of the difference.

    Returns:
    - grad: array of x's shape, grad[i] ~ df/dx[i].
    """
    _check_float(x)
    grad = np.zeros_like(x)
    for ix in np.ndindex(x.shape):
        old = x[ix]
        x[ix] = old + h
        f_plus = f(x)
        x[ix] = old - h
        f_minus = f(x)
        x[ix] = old

        grad[ix] = (f_plus - f_minus) / (2 * h)
        if verbose:
            print(ix, grad[ix])
    return grad


def eval_numerical_gradient_array(f, x, df, h=1e-5):
    """Gradient at x of sum(f(x) * df), for an array-valued function f.

    This is what a backward pass computes: with df the upstream gradient of f's
    output, the result is the gradient with respect to the input x.

    Inputs:
    - f: function of one argument, the array x, returning an array.
    - x: floating-point array at which to take the gradient; changed during the
      call and restored to its values before returning.
    - df: upstream gradient, of the shape of f(x).
    - h: half the width of the difference.

    Returns:
    - grad: array of x's shape.
    """
    _check_float(x)
    grad = np.zeros_like(x)
    for ix in np.ndindex(x.shape):
        old = x[ix]
        x[ix] = old + h
        f_plus = np.array(f(x), copy=True)  # f may return a view of x
        x[ix] = old - h
        f_minus = np.array(f(x), copy=True)
        x[ix] = old

        grad[ix] = np.sum((f_plus - f_minus) * df) / (2 * h)
    return grad


def rel_error(x, y):
    """Largest elementwise relative error, max |x - y| / max(1e-8, |x| + |y|)."""
    return np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y)))
