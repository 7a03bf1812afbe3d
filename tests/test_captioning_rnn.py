"""Tests of course_lib.classifiers.rnn.CaptioningRNN: the notebook's known loss,
PyTorch as reference for loss and gradients, central differences, sampling."""

import inspect
import textwrap

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_lib.classifiers.rnn import CaptioningRNN

SMALL_VOCAB = {"<NULL>": 0, "cat": 2, "dog": 3}
PARAM_NAMES = ["W_embed", "W_proj", "b_proj", "Wx", "Wh", "b", "W_vocab", "b_vocab"]


def central_difference(f, x, h=1e-6):
    """Gradient of the scalar f() with respect to the array x, perturbed in place."""
    grad = np.zeros_like(x)
    for ix in np.ndindex(x.shape):
        old = x[ix]
        x[ix] = old + h
        plus = f()
        x[ix] = old - h
        minus = f()
        x[ix] = old
        grad[ix] = (plus - minus) / (2 * h)
    return grad


def torch_lstm_gates(w):
    """Reorder 4H gate blocks from this kit's (i, f, o, g) to torch's (i, f, g, o)."""
    i, f, o, g = np.split(w, 4, axis=-1)
    return np.concatenate([i, f, g, o], axis=-1)


def torch_reference_scores(model, features, captions_in):
    """The model's scores (N, T, V) written with torch.nn modules.

    Returns (scores, leaves, net): the torch leaves of the non-recurrent
    parameters and the torch.nn.RNN or LSTM that holds the recurrent ones.
    """
    W, H = model.params["Wx"].shape[0], model.params["Wh"].shape[0]
    if model.cell_type == "rnn":
        net, gates = torch.nn.RNN(W, H, batch_first=True), (lambda w: w)
    else:
        net, gates = torch.nn.LSTM(W, H, batch_first=True), torch_lstm_gates
    net = net.double()
    with torch.no_grad():
        net.weight_ih_l0.copy_(torch.tensor(gates(model.params["Wx"]).T))
        net.weight_hh_l0.copy_(torch.tensor(gates(model.params["Wh"]).T))
        net.bias_ih_l0.copy_(torch.tensor(gates(model.params["b"])))
        net.bias_hh_l0.zero_()
    leaves = {
        k: torch.tensor(model.params[k], dtype=torch.float64, requires_grad=True)
        for k in ["W_embed", "W_proj", "b_proj", "W_vocab", "b_vocab"]
    }

    h0 = (torch.tensor(features) @ leaves["W_proj"] + leaves["b_proj"])[None]
    x = F.embedding(torch.tensor(captions_in), leaves["W_embed"])
    if model.cell_type == "rnn":
        h, _ = net(x, h0)
    else:
        h, _ = net(x, (h0, torch.zeros_like(h0)))
    scores = h @ leaves["W_vocab"] + leaves["b_vocab"]
    return scores, leaves, net, gates


def torch_reference_loss(model, features, captions):
    """The captioning loss and its gradients, computed by torch autograd."""
    scores, leaves, net, gates = torch_reference_scores(
        model, features, captions[:, :-1]
    )
    V = scores.shape[-1]
    captions_out = torch.tensor(captions[:, 1:]).reshape(-1)
    per_word = F.cross_entropy(scores.reshape(-1, V), captions_out, reduction="none")
    loss = (per_word * (captions_out != model._null)).sum() / len(captions)
    loss.backward()

    grads = {k: v.grad.numpy() for k, v in leaves.items()}
    grads["Wx"] = gates(net.weight_ih_l0.grad.numpy().T)
    grads["Wh"] = gates(net.weight_hh_l0.grad.numpy().T)
    grads["b"] = gates(net.bias_ih_l0.grad.numpy())
    return loss.item(), grads


def vocabulary(V):
    """<NULL>, <START>, <END> and V - 3 made-up words, indices 0 .. V - 1."""
    special = {"<NULL>": 0, "<START>": 1, "<END>": 2}
    return special | {f"w{i}": i for i in range(3, V)}


def random_model(cell_type, word_to_idx=SMALL_VOCAB, D=4, W=5, H=6, seed=231):
    np.random.seed(seed)
    return CaptioningRNN(
        word_to_idx,
        input_dim=D,
        wordvec_dim=W,
        hidden_dim=H,
        cell_type=cell_type,
        dtype=np.float64,
    )


# ---------------------------------------------------------------- construction


@pytest.mark.parametrize("cell_type, k", [("rnn", 1), ("lstm", 4)])
def test_params_are_created_in_the_documented_order_and_draws(cell_type, k):
    word_to_idx = {"<NULL>": 0, "<START>": 1, "<END>": 2, "a": 3, "cat": 4}
    V, D, W, H = len(word_to_idx), 7, 5, 3

    np.random.seed(0)
    model = CaptioningRNN(word_to_idx, D, W, H, cell_type=cell_type, dtype=np.float64)

    np.random.seed(0)
    expected = {
        "W_embed": np.random.randn(V, W) / 100,
        "W_proj": np.random.randn(D, H) / np.sqrt(D),
        "b_proj": np.zeros(H),
        "Wx": np.random.randn(W, k * H) / np.sqrt(W),
        "Wh": np.random.randn(H, k * H) / np.sqrt(H),
        "b": np.zeros(k * H),
        "W_vocab": np.random.randn(H, V) / np.sqrt(H),
        "b_vocab": np.zeros(V),
    }
    assert list(model.params) == PARAM_NAMES
    for name in PARAM_NAMES:
        np.testing.assert_array_equal(model.params[name], expected[name])
    assert (model._null, model._start, model._end) == (0, 1, 2)
    assert model.idx_to_word == {i: w for w, i in word_to_idx.items()}


def test_defaults_and_dtype():
    model = CaptioningRNN(SMALL_VOCAB)
    assert model.cell_type == "rnn" and model.dtype == np.float32
    assert model.params["W_proj"].shape == (512, 128)
    assert all(v.dtype == np.float32 for v in model.params.values())
    assert model._start is None and model._end is None


def test_bad_cell_type_and_missing_null_are_explained():
    with pytest.raises(ValueError, match=r'"rnn" or "lstm".*gru'):
        CaptioningRNN(SMALL_VOCAB, cell_type="gru")
    with pytest.raises(ValueError, match="<NULL>"):
        CaptioningRNN({"cat": 0})


# ---------------------------------------------------------------- loss


def test_loss_matches_notebook_value():
    N, D, W, H = 10, 20, 30, 40
    V, T = len(SMALL_VOCAB), 13
    model = CaptioningRNN(SMALL_VOCAB, D, W, H, cell_type="rnn", dtype=np.float64)
    for k, v in model.params.items():
        model.params[k] = np.linspace(-1.4, 1.3, num=v.size).reshape(*v.shape)
    features = np.linspace(-1.5, 0.3, num=(N * D)).reshape(N, D)
    captions = (np.arange(N * T) % V).reshape(N, T)

    loss, _ = model.loss(features, captions)

    assert loss == pytest.approx(9.83235591003, abs=1e-9)


@pytest.mark.parametrize("cell_type", ["rnn", "lstm"])
def test_loss_and_grads_match_torch(rng, cell_type):
    model = random_model(cell_type, vocabulary(7), D=6, W=5, H=4)
    for k, v in model.params.items():
        model.params[k] = v + 0.3 * rng.normal(size=v.shape)  # nonzero biases too
    features = rng.normal(size=(3, 6))
    captions = rng.integers(7, size=(3, 6))
    captions[0, 3:] = 0  # a padded caption

    loss, grads = model.loss(features, captions)
    loss_ref, grads_ref = torch_reference_loss(model, features, captions)

    assert loss == pytest.approx(loss_ref, rel=1e-12)
    assert sorted(grads) == sorted(PARAM_NAMES)
    for name in PARAM_NAMES:
        assert grads[name].shape == model.params[name].shape
        np.testing.assert_allclose(grads[name], grads_ref[name], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("cell_type", ["rnn", "lstm"])
def test_grads_match_central_differences(rng, cell_type):
    model = random_model(cell_type)
    captions = rng.integers(len(SMALL_VOCAB), size=(2, 3))
    features = rng.normal(size=(2, 4))

    _, grads = model.loss(features, captions)

    for name in PARAM_NAMES:
        numeric = central_difference(
            lambda: model.loss(features, captions)[0], model.params[name]
        )
        # Absolute roundoff of the difference quotient: ~1e-16 * loss / h ~ 1e-9.
        np.testing.assert_allclose(grads[name], numeric, rtol=1e-5, atol=1e-8)


def test_float32_model_keeps_float32_grads(rng):
    np.random.seed(1)
    model = CaptioningRNN(SMALL_VOCAB, input_dim=4, wordvec_dim=5, hidden_dim=6)
    features = rng.normal(size=(2, 4)).astype(np.float32)
    _, grads = model.loss(features, rng.integers(3, size=(2, 5)))
    assert all(g.dtype == np.float32 for g in grads.values())


def test_loss_rejects_mismatched_shapes():
    model = random_model("rnn")
    with pytest.raises(ValueError, match=r"D=4"):
        model.loss(np.zeros((2, 5)), np.zeros((2, 3), int))
    with pytest.raises(ValueError, match="captions"):
        model.loss(np.zeros((2, 4)), np.zeros((3, 3), int))


# ---------------------------------------------------------------- sample

CHAIN_VOCAB = {"<NULL>": 0, "<START>": 1, "<END>": 2, "cat": 3, "dog": 4}


def chain_model(cell_type):
    """A model whose greedy next word depends on the previous word only:
    <START> -> cat -> <END> -> dog -> dog. The hidden state is tanh(3 * e_word)
    (one-hot), and W_vocab maps it to the successor word."""
    V = len(CHAIN_VOCAB)
    k = 4 if cell_type == "lstm" else 1
    model = CaptioningRNN(CHAIN_VOCAB, 2, V, V, cell_type=cell_type, dtype=np.float64)
    successor = {1: 3, 3: 2, 2: 4, 4: 4, 0: 0}
    W_vocab = np.zeros((V, V))
    for word, nxt in successor.items():
        W_vocab[word, nxt] = 1.0
    Wx = np.zeros((V, k * V))
    Wx[:, -V:] = np.eye(V)  # the block input g (or the RNN's only block)
    b = np.zeros(k * V)
    if cell_type == "lstm":
        b[:V], b[V : 2 * V], b[2 * V : 3 * V] = 20.0, -20.0, 20.0  # i, f, o
    model.params.update(
        W_embed=3 * np.eye(V),
        W_proj=np.zeros((2, V)),
        b_proj=np.zeros(V),
        Wx=Wx,
        Wh=np.zeros((V, k * V)),
        b=b,
        W_vocab=W_vocab,
        b_vocab=np.zeros(V),
    )
    return model


@pytest.mark.parametrize("cell_type", ["rnn", "lstm"])
def test_sample_stops_at_end_and_pads_with_null(cell_type):
    model = chain_model(cell_type)
    captions = model.sample(np.zeros((3, 2)), max_length=6)

    assert captions.dtype == np.int32 and captions.shape == (3, 6)
    expected_row = [3, 2, 0, 0, 0, 0]  # cat <END>, then <NULL>; never <START>
    np.testing.assert_array_equal(captions, [expected_row] * 3)


def test_sample_fills_every_column_when_end_never_comes():
    model = chain_model("rnn")
    model.params["W_vocab"][3] = np.eye(5)[4]  # cat -> dog instead of cat -> <END>
    captions = model.sample(np.zeros((1, 2)), max_length=5)
    np.testing.assert_array_equal(captions, [[3, 4, 4, 4, 4]])


@pytest.mark.parametrize("cell_type", ["rnn", "lstm"])
def test_sample_is_greedy_decoding_of_the_torch_reference(rng, cell_type):
    """Each sampled word is the argmax of the reference scores after the words
    sampled before it, until the caption has produced <END>."""
    model = random_model(cell_type, vocabulary(12), D=6, W=5, H=8)
    for k, v in model.params.items():
        model.params[k] = 3 * rng.normal(size=v.shape)
    features = rng.normal(size=(4, 6))

    captions = model.sample(features, max_length=7)

    for n in range(4):
        inputs = [model._start]
        for word in captions[n]:
            if inputs[-1] == model._end:
                assert word == model._null
                continue
            scores, *_ = torch_reference_scores(
                model, features[n : n + 1], np.array([inputs])
            )
            assert word == int(scores[0, -1].argmax())
            inputs.append(int(word))


def test_sample_needs_start_and_matching_features():
    model = random_model("rnn")
    with pytest.raises(ValueError, match="<START>"):
        model.sample(np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"D=2"):
        chain_model("rnn").sample(np.zeros((2, 3)))


# ---------------------------------------------------------------- exercise conventions


@pytest.mark.parametrize("method", ["loss", "sample"])
def test_exercise_methods_follow_the_region_conventions(method):
    source = textwrap.dedent(inspect.getsource(getattr(CaptioningRNN, method)))
    lines = source.splitlines()
    assert sum(line.strip() == "### BEGIN SOLUTION" for line in lines) == 1
    assert sum(line.strip() == "### END SOLUTION" for line in lines) == 1
    end = next(i for i, line in enumerate(lines) if line.strip() == "### END SOLUTION")
    assert lines[end + 1].strip().startswith("return ")
    assert max(len(line) for line in lines) + 4 <= 79  # 4: the class indentation
