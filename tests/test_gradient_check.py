"""Tests of course_lib.gradient_check against gradients known in closed form."""

import numpy as np
import pytest

from course_lib.gradient_check import (
    eval_numerical_gradient,
    eval_numerical_gradient_array,
    rel_error,
)


def test_numerical_gradient_of_a_cubic(rng):
    x = rng.normal(size=(3, 4))
    before = x.copy()

    grad = eval_numerical_gradient(lambda v: np.sum(v**3), x, verbose=False)

    np.testing.assert_allclose(grad, 3 * before**2, rtol=1e-8, atol=1e-9)
    np.testing.assert_array_equal(x, before)  # restored exactly


def test_numerical_gradient_prints_only_when_verbose(rng, capsys):
    x = rng.normal(size=(2, 2))
    eval_numerical_gradient(lambda v: np.sum(v), x, verbose=False)
    assert capsys.readouterr().out == ""

    eval_numerical_gradient(lambda v: np.sum(v), x)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4 and lines[0].startswith("(0, 0)")


def test_numerical_gradient_step_size_is_used():
    """For f = x**3 the centered difference overshoots by exactly h**2."""
    x = np.array([0.0])
    grad = eval_numerical_gradient(lambda v: v[0] ** 3, x, verbose=False, h=1e-2)
    assert grad[0] == pytest.approx(1e-4, rel=1e-6)


def test_numerical_gradient_array_of_a_matrix_product(rng):
    A, x = rng.normal(size=(5, 3)), rng.normal(size=(3, 2))
    dout = rng.normal(size=(5, 2))
    before = x.copy()

    grad = eval_numerical_gradient_array(lambda v: A @ v, x, dout)

    np.testing.assert_allclose(grad, A.T @ dout, rtol=1e-7, atol=1e-9)
    np.testing.assert_array_equal(x, before)


def test_numerical_gradient_array_when_f_returns_its_input(rng):
    """f(x) = x returns the perturbed array itself; the result must still be dout."""
    x, dout = rng.normal(size=4), rng.normal(size=4)
    grad = eval_numerical_gradient_array(lambda v: v, x, dout)
    np.testing.assert_allclose(grad, dout, rtol=1e-8)


def test_integer_input_is_refused_with_advice():
    with pytest.raises(TypeError, match="floating-point"):
        eval_numerical_gradient(np.sum, np.arange(3), verbose=False)


def test_rel_error():
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert rel_error(np.zeros(2), np.zeros(2)) == 0.0
    assert rel_error(np.array([1.0, 3.0]), np.array([1.0, 1.0])) == pytest.approx(0.5)
    assert rel_error(np.array([0.0]), np.array([1e-9])) == pytest.approx(0.1)
