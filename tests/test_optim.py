"""Tests of course_lib.optim against torch.optim, whose update formulas agree."""

import numpy as np
import pytest
import torch

from course_lib import optim


def run_mine(rule, w, grads, config):
    for dw in grads:
        w, config = rule(w, dw, config)
    return w, config


def run_torch(optimizer_class, w, grads, **hyper):
    wt = torch.tensor(w, requires_grad=True)
    optimizer = optimizer_class([wt], **hyper)
    for dw in grads:
        wt.grad = torch.tensor(dw)
        optimizer.step()
    return wt.detach().numpy()


@pytest.fixture
def problem(rng):
    """Initial weights and five successive gradients."""
    return rng.normal(size=(4, 5)), [rng.normal(size=(4, 5)) for _ in range(5)]


def test_sgd(problem):
    w, grads = problem
    next_w, config = run_mine(optim.sgd, w, grads, {"learning_rate": 0.1})
    np.testing.assert_allclose(next_w, w - 0.1 * sum(grads), rtol=1e-12)
    np.testing.assert_allclose(
        next_w, run_torch(torch.optim.SGD, w, grads, lr=0.1), rtol=1e-12
    )


def test_sgd_momentum_matches_torch(problem):
    """torch keeps b = mu b + g and steps -lr b; with a fixed lr, v = -lr b."""
    w, grads = problem
    config = {"learning_rate": 0.05, "momentum": 0.8}
    next_w, config = run_mine(optim.sgd_momentum, w, grads, config)
    expected = run_torch(torch.optim.SGD, w, grads, lr=0.05, momentum=0.8)
    np.testing.assert_allclose(next_w, expected, rtol=1e-12)
    assert config["velocity"].shape == w.shape


def test_rmsprop_matches_torch(problem):
    w, grads = problem
    next_w, _ = run_mine(optim.rmsprop, w, grads, {"learning_rate": 0.01})
    expected = run_torch(torch.optim.RMSprop, w, grads, lr=0.01, alpha=0.99, eps=1e-8)
    np.testing.assert_allclose(next_w, expected, rtol=1e-10)


@pytest.mark.parametrize("beta1, beta2", [(0.9, 0.999), (0.5, 0.9)])
def test_adam_matches_torch(problem, beta1, beta2):
    w, grads = problem
    config = {"learning_rate": 5e-3, "beta1": beta1, "beta2": beta2}
    next_w, config = run_mine(optim.adam, w, grads, config)
    expected = run_torch(
        torch.optim.Adam, w, grads, lr=5e-3, betas=(beta1, beta2), eps=1e-8
    )
    np.testing.assert_allclose(next_w, expected, rtol=1e-10)
    assert config["t"] == len(grads)


def test_adam_first_step_is_bias_corrected():
    """After one step m_hat = dw and v_hat = dw**2: each weight moves by ~lr."""
    w, dw = np.zeros(3), np.array([1e-3, -2.0, 50.0])
    next_w, config = optim.adam(w, dw, {"learning_rate": 0.1})
    np.testing.assert_allclose(next_w, -0.1 * np.sign(dw), rtol=1e-4)
    assert config["t"] == 1


@pytest.mark.parametrize(
    "rule, defaults",
    [
        (optim.sgd, {"learning_rate": 1e-2}),
        (optim.sgd_momentum, {"learning_rate": 1e-2, "momentum": 0.9}),
        (optim.rmsprop, {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8}),
        (
            optim.adam,
            {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
        ),
    ],
)
def test_defaults_fill_only_missing_entries(rule, defaults):
    w, dw = np.ones(2), np.ones(2)
    _, config = rule(w, dw, None)
    assert {k: config[k] for k in defaults} == defaults

    _, config = rule(w, dw, {"learning_rate": 0.5})
    assert config["learning_rate"] == 0.5
