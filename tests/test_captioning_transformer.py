import inspect
import math
import textwrap

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from course_lib import transformer_layers
from course_lib.classifiers.transformer import CaptioningTransformer

WORDS = ["<NULL>", "<START>", "<END>", "<UNK>", "a", "cat", "on", "mat", "dog"]
WORD_TO_IDX = {w: i for i, w in enumerate(WORDS)}
V, D, W, FF = len(WORDS), 12, 8, 2048


def small_model(num_layers=2, max_length=10):
    torch.manual_seed(231)
    return CaptioningTransformer(
        WORD_TO_IDX, input_dim=D, wordvec_dim=W, num_heads=2,
        num_layers=num_layers, max_length=max_length,
    )  # fmt: skip


def test_parameter_count():
    model = small_model(num_layers=3)
    attention = 4 * (W * W + W)
    feed_forward = (W * FF + FF) + (FF * W + W)
    layer = 2 * attention + feed_forward + 3 * (2 * W)
    expected = (D * W + W) + V * W + 3 * layer + (W * V + V)
    assert sum(p.numel() for p in model.parameters()) == expected


def test_construction_order_and_modules():
    model = small_model()
    names = [name for name, _ in model.named_children()]
    assert names == [
        "visual_projection", "embedding", "positional_encoding", "transformer",
        "output",
    ]  # fmt: skip
    assert model.embedding.padding_idx == WORD_TO_IDX["<NULL>"]
    assert model.positional_encoding.pe.shape == (1, 10, W)
    assert len(model.transformer.layers) == 2


def test_seeded_weights_follow_the_construction_order():
    """Replays the random draws of construction with plain PyTorch modules."""
    torch.manual_seed(231)
    nn.Linear(D, W)  # visual_projection, default init
    nn.Embedding(V, W)  # embedding
    for _ in range(2):  # the decoder layer: two attentions, feed-forward
        for _ in range(4):
            nn.Linear(W, W)
    nn.Linear(W, FF)
    nn.Linear(FF, W)

    def normal(*shape):
        return torch.empty(*shape).normal_(0.0, 0.02)

    expected = {
        "visual_projection.weight": normal(W, D),
        "embedding.weight": normal(V, W),
    }
    for i in range(2):
        prefix = f"transformer.layers.{i}."
        for attention in ("self_attn", "multihead_attn"):
            for linear in ("key", "query", "value", "proj"):
                expected[f"{prefix}{attention}.{linear}.weight"] = normal(W, W)
        expected[prefix + "linear1.weight"] = normal(FF, W)
        expected[prefix + "linear2.weight"] = normal(W, FF)
    output = nn.Linear(W, V)
    expected["output.weight"] = output.weight
    expected["output.bias"] = output.bias

    params = dict(small_model().named_parameters())
    for name, value in expected.items():
        torch.testing.assert_close(params[name], value, rtol=0, atol=0, msg=name)
    for name, value in params.items():
        if name.endswith("bias") and name != "output.bias":
            assert torch.all(value == 0), name
        if ".norm" in name and name.endswith("weight"):
            assert torch.all(value == 1), name


def test_forward_shape_and_wiring():
    model = small_model().eval()
    features = torch.randn(3, D)
    captions = torch.randint(V, (3, 6))
    scores = model(features, captions)
    assert scores.shape == (3, 6, V)

    with torch.no_grad():
        words = model.embedding.weight[captions] + model.positional_encoding.pe[:, :6]
        memory = (features @ model.visual_projection.weight.T)[:, None]
        memory = memory + model.visual_projection.bias
        causal = torch.ones(6, 6).tril()
        decoded = model.transformer(words, memory, tgt_mask=causal)
        expected = decoded @ model.output.weight.T + model.output.bias
    torch.testing.assert_close(scores, expected, rtol=0, atol=1e-5)


def test_forward_runs_from_a_notebook_cell(monkeypatch):
    model = small_model().eval()
    features, captions = torch.randn(2, D), torch.randint(V, (2, 5))
    expected = model(features, captions)

    # The notebook's namespace: its imports and the layers by their bare names.
    namespace = {"np": np, "torch": torch, "nn": nn, "F": F, "math": math}
    namespace.update(vars(transformer_layers))
    source = textwrap.dedent(inspect.getsource(CaptioningTransformer.forward))
    exec(source, namespace)
    monkeypatch.setattr(CaptioningTransformer, "forward", namespace["forward"])
    torch.testing.assert_close(model(features, captions), expected)


@pytest.mark.parametrize("t", [0, 2, 5])
def test_forward_is_causal(t):
    model = small_model().eval()
    features = torch.randn(2, D)
    captions = torch.randint(V, (2, 6))
    changed = captions.clone()
    changed[:, t] = (changed[:, t] + 1) % V
    with torch.no_grad():
        before, after = model(features, captions), model(features, changed)
    torch.testing.assert_close(before[:, :t], after[:, :t], rtol=0, atol=0)
    assert not torch.allclose(before[:, t:], after[:, t:])


def test_forward_depends_on_the_image():
    model = small_model().eval()
    captions = torch.randint(V, (2, 4))
    with torch.no_grad():
        first = model(torch.randn(2, D), captions)
        second = model(torch.randn(2, D), captions)
    assert not torch.allclose(first, second)


def greedy_reference(model, features, max_length):
    """Greedy decoding one step at a time, in evaluation mode."""
    model.eval()
    captions = torch.full((features.shape[0], 1), WORD_TO_IDX["<START>"])
    with torch.no_grad():
        for _ in range(max_length):
            best = model(features, captions)[:, -1].argmax(dim=1, keepdim=True)
            captions = torch.cat([captions, best], dim=1)
    return captions[:, 1:].numpy()


@pytest.mark.parametrize("training", [True, False])
def test_sample_is_greedy_and_restores_the_mode(training):
    model = small_model()
    with torch.no_grad():
        model.output.bias.normal_(0.0, 3.0)  # varied words, not one repeated
    features = np.random.default_rng(0).standard_normal((4, D)).astype(np.float32)
    model.train(training)

    captions = model.sample(features, max_length=7)
    assert isinstance(captions, np.ndarray)
    assert captions.dtype == np.int32
    assert captions.shape == (4, 7)
    assert model.training == training
    np.testing.assert_array_equal(captions, model.sample(features, max_length=7))

    expected = greedy_reference(model, torch.from_numpy(features), 7)
    np.testing.assert_array_equal(captions, expected)


def test_sample_builds_no_graph():
    model = small_model()
    seen = []
    model.register_forward_hook(lambda *args: seen.append(torch.is_grad_enabled()))
    model.sample(np.zeros((1, D), np.float32), max_length=3)
    assert seen == [False, False, False]


def test_sample_rejects_captions_longer_than_the_model_reads():
    model = small_model(max_length=5)
    with pytest.raises(ValueError, match="max_length"):
        model.sample(np.zeros((1, D), np.float32), max_length=6)


def test_vocabulary_needs_null_and_start():
    with pytest.raises(ValueError, match="<START>"):
        CaptioningTransformer({"<NULL>": 0, "a": 1}, input_dim=D, wordvec_dim=W)
