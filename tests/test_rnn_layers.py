"""Tests of course_lib.rnn_layers against PyTorch, central differences and the
values the RNN notebook prints."""

import ast
import builtins
import inspect
import textwrap

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_lib import rnn_layers
from course_lib.rnn_layers import (
    affine_backward,
    affine_forward,
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
    rnn_backward,
    rnn_forward,
    rnn_step_backward,
    rnn_step_forward,
    sigmoid,
    temporal_affine_backward,
    temporal_affine_forward,
    temporal_softmax_loss,
    word_embedding_backward,
    word_embedding_forward,
)

EXERCISES = [
    "rnn_step_forward",
    "rnn_step_backward",
    "rnn_forward",
    "rnn_backward",
    "word_embedding_forward",
    "word_embedding_backward",
    "lstm_step_forward",
    "lstm_step_backward",
    "lstm_forward",
    "lstm_backward",
]


def rel_error(x, y):
    return np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y)))


def central_difference(f, x, dout, h=1e-6):
    """Gradient of sum(f(x) * dout) with respect to x, one entry at a time."""
    grad = np.zeros_like(x)
    for ix in np.ndindex(x.shape):
        old = x[ix]
        x[ix] = old + h
        plus = np.sum(f(x) * dout)
        x[ix] = old - h
        minus = np.sum(f(x) * dout)
        x[ix] = old
        grad[ix] = (plus - minus) / (2 * h)
    return grad


def tensors(*arrays):
    """float64 torch leaves that record gradients, one per NumPy array."""
    return [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]


def torch_lstm_gates(w):
    """Reorder 4H gate blocks from this kit's (i, f, o, g) to torch's (i, f, g, o)."""
    i, f, o, g = np.split(w, 4, axis=-1)
    return np.concatenate([i, f, g, o], axis=-1)


# ---------------------------------------------------------------- provided layers


def test_affine_matches_torch(rng):
    x, w, b = rng.normal(size=(3, 2, 4)), rng.normal(size=(8, 5)), rng.normal(size=5)
    dout = rng.normal(size=(3, 5))

    out, cache = affine_forward(x, w, b)
    dx, dw, db = affine_backward(dout, cache)

    xt, wt, bt = tensors(x, w, b)
    out_t = xt.reshape(3, -1) @ wt + bt
    out_t.backward(torch.tensor(dout))
    assert out.shape == (3, 5) and dx.shape == x.shape
    np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=1e-12, atol=1e-12)
    for mine, ref in [(dx, xt), (dw, wt), (db, bt)]:
        np.testing.assert_allclose(mine, ref.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_sigmoid_matches_torch_and_does_not_overflow():
    x = np.array([-1000.0, -50.0, -1.0, 0.0, 2.5, 50.0, 1000.0])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        s = sigmoid(x)
    np.testing.assert_allclose(s, torch.sigmoid(torch.tensor(x)).numpy(), rtol=1e-15)
    assert s[0] == 0.0 and s[-1] == 1.0 and s[3] == 0.5


def test_temporal_affine_matches_torch(rng):
    N, T, D, M = 2, 3, 4, 5
    x, w, b = rng.normal(size=(N, T, D)), rng.normal(size=(D, M)), rng.normal(size=M)
    dout = rng.normal(size=(N, T, M))

    out, cache = temporal_affine_forward(x, w, b)
    dx, dw, db = temporal_affine_backward(dout, cache)

    xt, wt, bt = tensors(x, w, b)
    out_t = F.linear(xt, wt.T, bt)
    out_t.backward(torch.tensor(dout))
    np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=1e-12, atol=1e-12)
    for mine, ref in [(dx, xt), (dw, wt), (db, bt)]:
        np.testing.assert_allclose(mine, ref.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_temporal_affine_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"\(N, T, D\)"):
        temporal_affine_forward(np.zeros((2, 3, 4)), np.zeros((5, 6)), np.zeros(6))


def test_temporal_softmax_loss_matches_torch_cross_entropy(rng):
    N, T, V = 7, 8, 9
    x = rng.normal(size=(N, T, V))
    y = rng.integers(V, size=(N, T))
    mask = rng.random((N, T)) > 0.5

    loss, dx = temporal_softmax_loss(x, y, mask)

    (xt,) = tensors(x)
    per_position = F.cross_entropy(
        xt.reshape(N * T, V), torch.tensor(y.reshape(N * T)), reduction="none"
    )
    loss_t = (per_position * torch.tensor(mask.reshape(N * T))).sum() / N
    loss_t.backward()
    assert loss == pytest.approx(loss_t.item(), rel=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-10, atol=1e-14)
    assert np.all(dx[~mask] == 0)


def test_temporal_softmax_loss_is_stable_for_large_scores():
    x = np.array([[[1000.0, 0.0, -1000.0]]])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        loss, dx = temporal_softmax_loss(x, np.array([[1]]), np.array([[True]]))
    assert loss == pytest.approx(1000.0)
    np.testing.assert_allclose(dx, [[[1.0, -1.0, 0.0]]], atol=1e-12)


@pytest.mark.parametrize(
    "N, T, V, p, low, high",
    [(100, 1, 10, 1.0, 2.25, 2.35), (100, 10, 10, 1.0, 22.9, 23.15)],
)
def test_temporal_softmax_loss_of_uniform_scores(rng, N, T, V, p, low, high):
    """Near-zero scores give log(V) per counted position: ~2.3 and ~23 for V = 10."""
    x = 0.001 * rng.normal(size=(N, T, V))
    y = rng.integers(V, size=(N, T))
    mask = rng.random((N, T)) <= p
    loss, _ = temporal_softmax_loss(x, y, mask)
    assert low < loss < high


def test_temporal_softmax_loss_verbose_prints_only_when_asked(rng, capsys):
    x, y = rng.normal(size=(2, 3, 4)), np.zeros((2, 3), int)
    mask = np.ones((2, 3), bool)
    temporal_softmax_loss(x, y, mask)
    assert capsys.readouterr().out == ""
    temporal_softmax_loss(x, y, mask, verbose=True)
    assert "(6, 4)" in capsys.readouterr().out


def test_temporal_softmax_loss_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="mask"):
        temporal_softmax_loss(
            np.zeros((2, 3, 4)), np.zeros((2, 3), int), np.ones((3, 2), bool)
        )


# ---------------------------------------------------------------- vanilla RNN


def test_rnn_step_forward_matches_notebook_values():
    N, D, H = 3, 10, 4
    x = np.linspace(-0.4, 0.7, num=N * D).reshape(N, D)
    prev_h = np.linspace(-0.2, 0.5, num=N * H).reshape(N, H)
    Wx = np.linspace(-0.1, 0.9, num=D * H).reshape(D, H)
    Wh = np.linspace(-0.3, 0.7, num=H * H).reshape(H, H)
    b = np.linspace(-0.2, 0.4, num=H)

    next_h, _ = rnn_step_forward(x, prev_h, Wx, Wh, b)

    expected_next_h = np.array(
        [
            [-0.58172089, -0.50182032, -0.41232771, -0.31410098],
            [0.66854692, 0.79562378, 0.87755553, 0.92795967],
            [0.97934501, 0.99144213, 0.99646691, 0.99854353],
        ]
    )
    assert rel_error(expected_next_h, next_h) < 1e-8


def test_rnn_step_matches_torch_rnn_cell(rng):
    N, D, H = 4, 5, 6
    x, prev_h = rng.normal(size=(N, D)), rng.normal(size=(N, H))
    Wx, Wh, b = rng.normal(size=(D, H)), rng.normal(size=(H, H)), rng.normal(size=H)
    dnext_h = rng.normal(size=(N, H))

    next_h, cache = rnn_step_forward(x, prev_h, Wx, Wh, b)
    grads = rnn_step_backward(dnext_h, cache)

    cell = torch.nn.RNNCell(D, H, nonlinearity="tanh").double()
    with torch.no_grad():
        cell.weight_ih.copy_(torch.tensor(Wx.T))
        cell.weight_hh.copy_(torch.tensor(Wh.T))
        cell.bias_ih.copy_(torch.tensor(b))
        cell.bias_hh.zero_()
    xt, ht = tensors(x, prev_h)
    next_h_t = cell(xt, ht)
    next_h_t.backward(torch.tensor(dnext_h))

    np.testing.assert_allclose(next_h, next_h_t.detach().numpy(), rtol=1e-12)
    expected = [
        xt.grad,
        ht.grad,
        cell.weight_ih.grad.T,
        cell.weight_hh.grad.T,
        cell.bias_ih.grad,
    ]
    for mine, ref in zip(grads, expected):
        np.testing.assert_allclose(mine, ref.numpy(), rtol=1e-10, atol=1e-12)


def test_rnn_forward_matches_notebook_values():
    N, T, D, H = 2, 3, 4, 5
    x = np.linspace(-0.1, 0.3, num=N * T * D).reshape(N, T, D)
    h0 = np.linspace(-0.3, 0.1, num=N * H).reshape(N, H)
    Wx = np.linspace(-0.2, 0.4, num=D * H).reshape(D, H)
    Wh = np.linspace(-0.4, 0.1, num=H * H).reshape(H, H)
    b = np.linspace(-0.7, 0.1, num=H)

    h, _ = rnn_forward(x, h0, Wx, Wh, b)

    expected_h = np.array(
        [
            [
                [-0.42070749, -0.27279261, -0.11074945, 0.05740409, 0.22236251],
                [-0.39525808, -0.22554661, -0.0409454, 0.14649412, 0.32397316],
                [-0.42305111, -0.24223728, -0.04287027, 0.15997045, 0.35014525],
            ],
            [
                [-0.55857474, -0.39065825, -0.19198182, 0.02378408, 0.23735671],
                [-0.27150199, -0.07088804, 0.13562939, 0.33099728, 0.50158768],
                [-0.51014825, -0.30524429, -0.06755202, 0.17806392, 0.40333043],
            ],
        ]
    )
    assert rel_error(expected_h, h) < 1e-7


def test_rnn_sequence_matches_torch_rnn(rng):
    N, T, D, H = 3, 6, 4, 5
    x, h0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, H))
    Wx, Wh, b = rng.normal(size=(D, H)), rng.normal(size=(H, H)), rng.normal(size=H)
    dh = rng.normal(size=(N, T, H))

    h, cache = rnn_forward(x, h0, Wx, Wh, b)
    grads = rnn_backward(dh, cache)

    rnn = torch.nn.RNN(D, H, batch_first=True).double()
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.tensor(Wx.T))
        rnn.weight_hh_l0.copy_(torch.tensor(Wh.T))
        rnn.bias_ih_l0.copy_(torch.tensor(b))
        rnn.bias_hh_l0.zero_()
    xt, h0t = tensors(x, h0)
    h_t, _ = rnn(xt, h0t[None])
    h_t.backward(torch.tensor(dh))

    np.testing.assert_allclose(h, h_t.detach().numpy(), rtol=1e-12, atol=1e-12)
    expected = [
        xt.grad,
        h0t.grad,
        rnn.weight_ih_l0.grad.T,
        rnn.weight_hh_l0.grad.T,
        rnn.bias_ih_l0.grad,
    ]
    for mine, ref in zip(grads, expected):
        np.testing.assert_allclose(mine, ref.numpy(), rtol=1e-10, atol=1e-12)


def test_rnn_backward_matches_central_differences(rng):
    N, T, D, H = 2, 10, 3, 5
    x, h0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, H))
    Wx, Wh, b = rng.normal(size=(D, H)), rng.normal(size=(H, H)), rng.normal(size=H)
    h, cache = rnn_forward(x, h0, Wx, Wh, b)
    dh = rng.normal(size=h.shape)

    dx, dh0, dWx, dWh, db = rnn_backward(dh, cache)

    numeric = [
        central_difference(lambda v: rnn_forward(v, h0, Wx, Wh, b)[0], x, dh),
        central_difference(lambda v: rnn_forward(x, v, Wx, Wh, b)[0], h0, dh),
        central_difference(lambda v: rnn_forward(x, h0, v, Wh, b)[0], Wx, dh),
        central_difference(lambda v: rnn_forward(x, h0, Wx, v, b)[0], Wh, dh),
        central_difference(lambda v: rnn_forward(x, h0, Wx, Wh, v)[0], b, dh),
    ]
    for analytic, num in zip([dx, dh0, dWx, dWh, db], numeric):
        assert rel_error(analytic, num) < 1e-6


def test_rnn_forward_rejects_mismatched_shapes():
    Wx, Wh, b = np.zeros((4, 5)), np.zeros((5, 5)), np.zeros(5)
    with pytest.raises(ValueError, match=r"D=4"):
        rnn_forward(np.zeros((2, 3, 6)), np.zeros((2, 5)), Wx, Wh, b)
    with pytest.raises(ValueError, match=r"h0"):
        rnn_forward(np.zeros((2, 3, 4)), np.zeros((3, 5)), Wx, Wh, b)


# ---------------------------------------------------------------- word embedding


def test_word_embedding_matches_torch_embedding(rng):
    N, T, V, D = 50, 3, 5, 6
    x = rng.integers(V, size=(N, T))
    W = rng.normal(size=(V, D))
    dout = rng.normal(size=(N, T, D))

    out, cache = word_embedding_forward(x, W)
    dW = word_embedding_backward(dout, cache)

    (Wt,) = tensors(W)
    out_t = F.embedding(torch.tensor(x), Wt)
    out_t.backward(torch.tensor(dout))
    np.testing.assert_array_equal(out, out_t.detach().numpy())
    np.testing.assert_allclose(dW, Wt.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_word_embedding_backward_matches_central_differences(rng):
    x = np.array([[0, 3, 1, 3], [2, 1, 0, 3]])
    W = rng.normal(size=(5, 3))
    dout = rng.normal(size=(2, 4, 3))
    _, cache = word_embedding_forward(x, W)
    f = lambda v: word_embedding_forward(x, v)[0]  # noqa: E731
    numeric = central_difference(f, W, dout)
    assert rel_error(word_embedding_backward(dout, cache), numeric) < 1e-7


def test_word_embedding_rejects_float_indices():
    with pytest.raises(TypeError, match="integer"):
        word_embedding_forward(np.zeros((2, 3)), np.zeros((4, 5)))


# ---------------------------------------------------------------- LSTM


def lstm_cell_reference(x, prev_h, prev_c, Wx, Wh, b):
    """torch.nn.LSTMCell with this kit's weights; returns (cell, leaves, h, c)."""
    D, H = x.shape[1], prev_h.shape[1]
    cell = torch.nn.LSTMCell(D, H).double()
    with torch.no_grad():
        cell.weight_ih.copy_(torch.tensor(torch_lstm_gates(Wx).T))
        cell.weight_hh.copy_(torch.tensor(torch_lstm_gates(Wh).T))
        cell.bias_ih.copy_(torch.tensor(torch_lstm_gates(b)))
        cell.bias_hh.zero_()
    leaves = tensors(x, prev_h, prev_c)
    next_h, next_c = cell(leaves[0], (leaves[1], leaves[2]))
    return cell, leaves, next_h, next_c


def test_lstm_step_matches_torch_lstm_cell(rng):
    N, D, H = 3, 4, 5
    x, prev_h, prev_c = (rng.normal(size=s) for s in [(N, D), (N, H), (N, H)])
    Wx, Wh = rng.normal(size=(D, 4 * H)), rng.normal(size=(H, 4 * H))
    b = rng.normal(size=4 * H)
    dnext_h, dnext_c = rng.normal(size=(N, H)), rng.normal(size=(N, H))

    next_h, next_c, cache = lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b)
    grads = lstm_step_backward(dnext_h, dnext_c, cache)

    cell, (xt, ht, ct), next_h_t, next_c_t = lstm_cell_reference(
        x, prev_h, prev_c, Wx, Wh, b
    )
    torch.autograd.backward(
        [next_h_t, next_c_t], [torch.tensor(dnext_h), torch.tensor(dnext_c)]
    )
    np.testing.assert_allclose(next_h, next_h_t.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(next_c, next_c_t.detach().numpy(), rtol=1e-12)
    expected = [
        xt.grad,
        ht.grad,
        ct.grad,
        torch_lstm_gates(cell.weight_ih.grad.numpy().T),
        torch_lstm_gates(cell.weight_hh.grad.numpy().T),
        torch_lstm_gates(cell.bias_ih.grad.numpy()),
    ]
    for mine, ref in zip(grads, expected):
        np.testing.assert_allclose(mine, np.asarray(ref), rtol=1e-10, atol=1e-12)


def test_lstm_step_gate_order_is_i_f_o_g():
    """With prev_c = 1, next_c = f + i * g and next_h = o * tanh(next_c)."""
    H = 1
    x, prev_h, prev_c = np.zeros((1, 1)), np.zeros((1, H)), np.ones((1, H))
    Wx, Wh = np.zeros((1, 4 * H)), np.zeros((H, 4 * H))
    a_i, a_f, a_o, a_g = 0.3, -0.7, 1.1, 0.5
    b = np.array([a_i, a_f, a_o, a_g])

    next_h, next_c, _ = lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b)

    s = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    expected_c = s(a_f) * 1 + s(a_i) * np.tanh(a_g)
    assert next_c[0, 0] == pytest.approx(expected_c, rel=1e-12)
    assert next_h[0, 0] == pytest.approx(s(a_o) * np.tanh(expected_c), rel=1e-12)


def test_lstm_sequence_matches_torch_lstm(rng):
    N, T, D, H = 3, 5, 4, 6
    x, h0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, H))
    Wx, Wh = rng.normal(size=(D, 4 * H)), rng.normal(size=(H, 4 * H))
    b = rng.normal(size=4 * H)
    dh = rng.normal(size=(N, T, H))

    h, cache = lstm_forward(x, h0, Wx, Wh, b)
    grads = lstm_backward(dh, cache)

    lstm = torch.nn.LSTM(D, H, batch_first=True).double()
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(torch.tensor(torch_lstm_gates(Wx).T))
        lstm.weight_hh_l0.copy_(torch.tensor(torch_lstm_gates(Wh).T))
        lstm.bias_ih_l0.copy_(torch.tensor(torch_lstm_gates(b)))
        lstm.bias_hh_l0.zero_()
    xt, h0t = tensors(x, h0)
    h_t, _ = lstm(xt, (h0t[None], torch.zeros(1, N, H, dtype=torch.float64)))
    h_t.backward(torch.tensor(dh))

    np.testing.assert_allclose(h, h_t.detach().numpy(), rtol=1e-12, atol=1e-12)
    expected = [
        xt.grad.numpy(),
        h0t.grad.numpy(),
        torch_lstm_gates(lstm.weight_ih_l0.grad.numpy().T),
        torch_lstm_gates(lstm.weight_hh_l0.grad.numpy().T),
        torch_lstm_gates(lstm.bias_ih_l0.grad.numpy()),
    ]
    for mine, ref in zip(grads, expected):
        np.testing.assert_allclose(mine, ref, rtol=1e-10, atol=1e-12)


def test_lstm_backward_matches_central_differences(rng):
    N, T, D, H = 2, 4, 3, 3
    x, h0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, H))
    Wx, Wh = rng.normal(size=(D, 4 * H)), rng.normal(size=(H, 4 * H))
    b = rng.normal(size=4 * H)
    h, cache = lstm_forward(x, h0, Wx, Wh, b)
    dh = rng.normal(size=h.shape)

    dx, dh0, dWx, dWh, db = lstm_backward(dh, cache)

    numeric = [
        central_difference(lambda v: lstm_forward(v, h0, Wx, Wh, b)[0], x, dh),
        central_difference(lambda v: lstm_forward(x, v, Wx, Wh, b)[0], h0, dh),
        central_difference(lambda v: lstm_forward(x, h0, v, Wh, b)[0], Wx, dh),
        central_difference(lambda v: lstm_forward(x, h0, Wx, v, b)[0], Wh, dh),
        central_difference(lambda v: lstm_forward(x, h0, Wx, Wh, v)[0], b, dh),
    ]
    for analytic, num in zip([dx, dh0, dWx, dWh, db], numeric):
        assert rel_error(analytic, num) < 1e-6


def test_lstm_forward_rejects_mismatched_shapes():
    Wx, Wh, b = np.zeros((4, 20)), np.zeros((5, 20)), np.zeros(20)
    with pytest.raises(ValueError, match=r"H=5"):
        lstm_forward(np.zeros((2, 3, 4)), np.zeros((2, 20)), Wx, Wh, b)


# ---------------------------------------------------------------- exercise conventions


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_sequence_functions_call_step_functions_by_module_name(rng, monkeypatch, cell):
    """A student's step function, installed into the module, is the one used."""
    calls = []
    names = [f"{cell}_step_forward", f"{cell}_step_backward"]
    for name in names:
        original = getattr(rnn_layers, name)

        def spy(*args, _original=original, _name=name):
            calls.append(_name)
            return _original(*args)

        monkeypatch.setattr(rnn_layers, name, spy)
    k = 4 if cell == "lstm" else 1
    N, T, D, H = 2, 3, 4, 5
    forward = getattr(rnn_layers, f"{cell}_forward")
    backward = getattr(rnn_layers, f"{cell}_backward")
    x, h0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, H))
    Wx, Wh = rng.normal(size=(D, k * H)), rng.normal(size=(H, k * H))

    h, cache = forward(x, h0, Wx, Wh, np.zeros(k * H))
    backward(np.ones_like(h), cache)

    assert calls == [names[0]] * T + [names[1]] * T


@pytest.mark.parametrize("name", EXERCISES)
def test_exercise_follows_the_region_conventions(name):
    """One solution region, the return after it, only names a notebook cell has,
    lines of at most 79 columns."""
    source = textwrap.dedent(inspect.getsource(getattr(rnn_layers, name)))
    lines = source.splitlines()
    assert sum(line.strip() == "### BEGIN SOLUTION" for line in lines) == 1
    assert sum(line.strip() == "### END SOLUTION" for line in lines) == 1
    end = next(i for i, line in enumerate(lines) if line.strip() == "### END SOLUTION")
    assert lines[end + 1].strip().startswith("return ")
    assert max(len(line) for line in lines) <= 79

    function = ast.parse(source).body[0]
    assigned = {a.arg for a in function.args.args} | {
        node.id
        for node in ast.walk(function)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
    }
    module_functions = {n for n, v in vars(rnn_layers).items() if inspect.isfunction(v)}
    notebook_names = {"np", "torch", "nn", "F"} | set(dir(builtins))
    allowed = assigned | module_functions | notebook_names
    used = {
        node.id
        for node in ast.walk(function)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    }
    assert used <= allowed, f"{name} uses names a notebook lacks: {used - allowed}"
