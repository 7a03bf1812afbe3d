import inspect
import math
import textwrap

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from course_lib.transformer_layers import (
    MultiHeadAttention,
    PositionalEncoding,
    TransformerDecoder,
    TransformerDecoderLayer,
)

ATOL = 1e-5


def sinusoid_table(max_len, dim):
    """The closed-form encoding, position by position, in float64 NumPy."""
    table = np.zeros((max_len, dim))
    for i in range(max_len):
        for j in range(dim):
            if j % 2 == 0:
                table[i, j] = np.sin(i * 10000.0 ** (-j / dim))
            else:
                table[i, j] = np.cos(i * 10000.0 ** (-(j - 1) / dim))
    return table


def einsum_attention(attn, query, key, value, mask=None, weights_dropout=None):
    """Multi-head attention written from the weight matrices, head by head."""
    h = attn.num_heads
    d = attn.embed_dim // h

    def heads(x, linear):  # (N, L, E) -> (N, L, h, d)
        y = x @ linear.weight.T + linear.bias
        return y.reshape(x.shape[0], x.shape[1], h, d)

    q, k, v = heads(query, attn.query), heads(key, attn.key), heads(value, attn.value)
    scores = torch.einsum("nshd,nthd->nhst", q, k) / math.sqrt(d)
    if mask is not None:
        scores = torch.where(mask.bool(), scores, torch.tensor(float("-inf")))
    weights = torch.softmax(scores, dim=-1)
    if weights_dropout is not None:
        weights = F.dropout(weights, p=weights_dropout, training=True)
    y = torch.einsum("nhst,nthd->nshd", weights, v).reshape(query.shape)
    return y @ attn.proj.weight.T + attn.proj.bias


def random_mask(S, T, generator):
    """A boolean (S, T) mask with at least one visible key in every row."""
    mask = torch.rand(S, T, generator=generator) < 0.5
    mask[torch.arange(S), torch.randint(T, (S,), generator=generator)] = True
    return mask


def as_notebook_cell(method):
    """The method defined as a notebook cell defines it: outside its class, in a
    namespace holding only what the notebook's set-up cell imports."""
    namespace = {"np": np, "torch": torch, "nn": nn, "F": F, "math": math}
    namespace.update(PositionalEncoding=PositionalEncoding)
    namespace.update(MultiHeadAttention=MultiHeadAttention)
    exec(textwrap.dedent(inspect.getsource(method)), namespace)
    return namespace[method.__name__]


# Positional encoding


@pytest.mark.parametrize("dim, max_len", [(6, 2), (8, 50), (16, 5000)])
def test_positional_encoding_table_matches_closed_form(dim, max_len):
    pe = PositionalEncoding(dim, max_len=max_len).pe
    assert pe.shape == (1, max_len, dim)
    assert pe.dtype == torch.float32
    expected = sinusoid_table(max_len, dim)
    np.testing.assert_allclose(pe[0].numpy(), expected, rtol=0, atol=1e-6)


def test_positional_encoding_init_runs_from_a_notebook_cell(monkeypatch):
    cell = as_notebook_cell(PositionalEncoding.__init__)
    monkeypatch.setattr(PositionalEncoding, "__init__", cell)
    pe = PositionalEncoding(8, max_len=30).pe
    np.testing.assert_allclose(pe[0].numpy(), sinusoid_table(30, 8), atol=1e-6)


def test_positional_encoding_table_is_a_buffer():
    layer = PositionalEncoding(8, max_len=10)
    assert "pe" in dict(layer.named_buffers())
    assert len(list(layer.parameters())) == 0


def test_positional_encoding_rejects_odd_dimension():
    with pytest.raises(ValueError, match="even"):
        PositionalEncoding(7)


def test_positional_encoding_forward_adds_the_first_rows():
    torch.manual_seed(0)
    layer = PositionalEncoding(6, dropout=0.5, max_len=20).eval()
    x = torch.randn(3, 5, 6)
    expected = x.numpy() + sinusoid_table(5, 6)[None]
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=0, atol=ATOL)


def test_positional_encoding_dropout_in_training():
    layer = PositionalEncoding(6, dropout=0.5, max_len=20).train()
    x = torch.randn(3, 5, 6)
    torch.manual_seed(7)
    out = layer(x)
    torch.manual_seed(7)
    expected = F.dropout(x + layer.pe[:, :5], p=0.5, training=True)
    torch.testing.assert_close(out, expected)


def test_positional_encoding_rejects_too_long_input():
    layer = PositionalEncoding(6, max_len=4)
    with pytest.raises(ValueError, match="max_len"):
        layer(torch.zeros(1, 5, 6))


# Multi-head attention


def test_attention_rejects_indivisible_heads():
    with pytest.raises(ValueError, match="divisible"):
        MultiHeadAttention(10, num_heads=3)


def test_attention_construction_order_fixes_the_weights():
    attn = MultiHeadAttention(8, num_heads=2)
    names = [name for name, _ in attn.named_children()]
    assert names == ["key", "query", "value", "proj", "attn_drop"]
    assert isinstance(attn.attn_drop, nn.Dropout)

    torch.manual_seed(231)
    attn = MultiHeadAttention(8, num_heads=2)
    torch.manual_seed(231)
    expected = [nn.Linear(8, 8) for _ in range(4)]
    linears = [attn.key, attn.query, attn.value, attn.proj]
    for linear, reference in zip(linears, expected):
        torch.testing.assert_close(linear.weight, reference.weight, rtol=0, atol=0)
        torch.testing.assert_close(linear.bias, reference.bias, rtol=0, atol=0)


@pytest.mark.parametrize("num_heads", [1, 2, 4])
@pytest.mark.parametrize("S, T", [(3, 3), (4, 6), (5, 1)])
@pytest.mark.parametrize("mask_kind", ["none", "causal", "random"])
def test_attention_matches_references(num_heads, S, T, mask_kind):
    generator = torch.Generator().manual_seed(100 * num_heads + 10 * S + T)
    torch.manual_seed(231)
    attn = MultiHeadAttention(8, num_heads=num_heads).eval()
    query = torch.randn(2, S, 8, generator=generator)
    key = torch.randn(2, T, 8, generator=generator)
    value = torch.randn(2, T, 8, generator=generator)
    mask = {
        "none": None,
        "causal": torch.ones(S, T, dtype=torch.bool).tril(),
        "random": random_mask(S, T, generator),
    }[mask_kind]

    out = attn(query, key, value, attn_mask=mask)
    assert out.shape == (2, S, 8)

    # Reference 1: PyTorch's fused attention, fed the layer's own projections.
    def split(x, linear):
        return linear(x).view(2, -1, num_heads, 8 // num_heads).transpose(1, 2)

    with torch.no_grad():
        y = F.scaled_dot_product_attention(
            split(query, attn.query),
            split(key, attn.key),
            split(value, attn.value),
            attn_mask=mask,
        )
        expected_sdpa = attn.proj(y.transpose(1, 2).reshape(2, S, 8))
        expected_einsum = einsum_attention(attn, query, key, value, mask)
    torch.testing.assert_close(out, expected_sdpa, rtol=0, atol=ATOL)
    torch.testing.assert_close(out, expected_einsum, rtol=0, atol=ATOL)


def test_attention_forward_runs_from_a_notebook_cell(monkeypatch):
    torch.manual_seed(0)
    attn = MultiHeadAttention(8, num_heads=2).eval()
    query, key = torch.randn(2, 3, 8), torch.randn(2, 4, 8)
    mask = random_mask(3, 4, torch.Generator().manual_seed(0))
    expected = attn(query, key, key, attn_mask=mask)
    cell = as_notebook_cell(MultiHeadAttention.forward)
    monkeypatch.setattr(MultiHeadAttention, "forward", cell)
    torch.testing.assert_close(attn(query, key, key, attn_mask=mask), expected)


def test_attention_mask_accepts_zeros_and_ones():
    torch.manual_seed(0)
    attn = MultiHeadAttention(8, num_heads=2).eval()
    x = torch.randn(1, 4, 8)
    mask = torch.ones(4, 4).tril()
    torch.testing.assert_close(attn(x, x, x, mask), attn(x, x, x, mask.bool()))


def test_attention_masked_keys_do_not_matter():
    torch.manual_seed(0)
    attn = MultiHeadAttention(8, num_heads=2).eval()
    query, value = torch.randn(1, 3, 8), torch.randn(1, 5, 8)
    mask = torch.ones(3, 5, dtype=torch.bool)
    mask[:, 4] = False
    changed = value.clone()
    changed[:, 4] += 10.0
    torch.testing.assert_close(
        attn(query, value, value, mask), attn(query, changed, changed, mask)
    )


class RecordWeights(nn.Module):
    """Stands in for `attn_drop`: keeps what it is given and passes it on."""

    def forward(self, weights):
        self.seen = weights.detach().clone()
        return weights


def test_attention_dropout_sees_scaled_softmax_weights():
    torch.manual_seed(0)
    attn = MultiHeadAttention(8, num_heads=2)
    attn.attn_drop = RecordWeights()
    query, key = torch.randn(2, 3, 8), torch.randn(2, 5, 8)
    mask = random_mask(3, 5, torch.Generator().manual_seed(1))
    attn(query, key, key, attn_mask=mask)
    weights = attn.attn_drop.seen

    assert weights.shape == (2, 2, 3, 5)
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 2, 3))
    assert torch.all(weights[..., ~mask] == 0)

    # The weights are softmax(q k^T / sqrt(E/h)), not scaled by sqrt(E) or 1.
    with torch.no_grad():
        q = attn.query(query).view(2, 3, 2, 4).transpose(1, 2).numpy()
        k = attn.key(key).view(2, 5, 2, 4).transpose(1, 2).numpy()
    for scale in (math.sqrt(4), math.sqrt(8), 1.0):
        scores = np.where(mask.numpy(), q @ k.transpose(0, 1, 3, 2) / scale, -np.inf)
        expected = np.exp(scores - scores.max(-1, keepdims=True))
        expected /= expected.sum(-1, keepdims=True)
        matches = np.allclose(weights.numpy(), expected, rtol=0, atol=ATOL)
        assert matches == (scale == math.sqrt(4))


def test_attention_dropout_acts_on_weights_after_softmax():
    torch.manual_seed(0)
    attn = MultiHeadAttention(8, num_heads=2, dropout=0.3).train()
    query, key = torch.randn(2, 3, 8), torch.randn(2, 4, 8)
    torch.manual_seed(5)
    out = attn(query, key, key)
    torch.manual_seed(5)
    with torch.no_grad():
        expected = einsum_attention(attn, query, key, key, weights_dropout=0.3)
    torch.testing.assert_close(out, expected, rtol=0, atol=ATOL)


def test_attention_eval_mode_is_deterministic():
    torch.manual_seed(0)
    attn = MultiHeadAttention(8, num_heads=2, dropout=0.5).eval()
    x = torch.randn(2, 3, 8)
    torch.testing.assert_close(attn(x, x, x), attn(x, x, x), rtol=0, atol=0)


# Decoder


def test_decoder_layer_construction_order():
    layer = TransformerDecoderLayer(8, num_heads=2, dim_feedforward=16)
    names = [name for name, _ in layer.named_children()]
    assert names == [
        "self_attn", "multihead_attn", "linear1", "dropout", "linear2",
        "norm1", "norm2", "norm3", "dropout1", "dropout2", "dropout3", "activation",
    ]  # fmt: skip
    assert isinstance(layer.activation, nn.ReLU)
    assert layer.linear1.weight.shape == (16, 8)


def torch_decoder_layer(layer, dim_feedforward):
    """PyTorch's own post-norm decoder layer, carrying the weights of `layer`."""
    E = layer.norm1.normalized_shape[0]
    h = layer.self_attn.num_heads
    reference = nn.TransformerDecoderLayer(
        E, h, dim_feedforward, dropout=0.0, batch_first=True
    )
    with torch.no_grad():
        for ours, theirs in [
            (layer.self_attn, reference.self_attn),
            (layer.multihead_attn, reference.multihead_attn),
        ]:
            theirs.in_proj_weight.copy_(
                torch.cat([ours.query.weight, ours.key.weight, ours.value.weight])
            )
            theirs.in_proj_bias.copy_(
                torch.cat([ours.query.bias, ours.key.bias, ours.value.bias])
            )
            theirs.out_proj.load_state_dict(ours.proj.state_dict())
        for name in ["linear1", "linear2", "norm1", "norm2", "norm3"]:
            getattr(reference, name).load_state_dict(getattr(layer, name).state_dict())
    return reference.eval()


def test_decoder_layer_matches_pytorch():
    torch.manual_seed(0)
    layer = TransformerDecoderLayer(8, num_heads=2, dim_feedforward=16).eval()
    reference = torch_decoder_layer(layer, 16)
    tgt, memory = torch.randn(2, 5, 8), torch.randn(2, 3, 8)
    causal = torch.ones(5, 5, dtype=torch.bool).tril()

    out = layer(tgt, memory, tgt_mask=causal)
    with torch.no_grad():
        # PyTorch's boolean masks mark the pairs that may NOT attend.
        expected = reference(tgt, memory, tgt_mask=~causal)
    torch.testing.assert_close(out, expected, rtol=0, atol=ATOL)


def test_decoder_stacks_independent_copies():
    torch.manual_seed(0)
    layer = TransformerDecoderLayer(8, num_heads=2, dim_feedforward=16)
    decoder = TransformerDecoder(layer, num_layers=3).eval()
    assert len(decoder.layers) == 3
    first, second = decoder.layers[0], decoder.layers[1]
    assert first is not layer and first is not second
    torch.testing.assert_close(first.linear1.weight, layer.linear1.weight)
    assert first.linear1.weight.data_ptr() != second.linear1.weight.data_ptr()

    tgt, memory = torch.randn(2, 4, 8), torch.randn(2, 1, 8)
    causal = torch.ones(4, 4).tril()
    with torch.no_grad():
        for copy in decoder.layers:
            copy.linear2.bias.normal_()
        expected = tgt
        for copy in decoder.layers:
            expected = torch_decoder_layer(copy, 16)(
                expected, memory, tgt_mask=causal == 0
            )
        out = decoder(tgt, memory, tgt_mask=causal)
    torch.testing.assert_close(out, expected, rtol=0, atol=ATOL)
