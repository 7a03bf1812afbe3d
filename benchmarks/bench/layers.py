"""The reference layers against the physical limit and against PyTorch's layers.

For the NumPy RNN and LSTM at the overfit shapes (T = 16 steps, D = 256, H = 512,
batch N = 25 and 100, float64), each direction is timed against the same matrix
products alone, one np.dot per product of the same shapes, and forward and
forward + backward against torch.nn.RNN / torch.nn.LSTM (float64, autograd).
MultiHeadAttention (the Transformer notebook's sizes, float32, training mode) is
timed against the same projections around F.scaled_dot_product_attention.
Times are medians of CPU seconds of this one-thread process, the layer and its
reference measured in alternation.
"""

import resource
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from course_lib import rnn_layers
from course_lib.transformer_layers import MultiHeadAttention

from .report import Line
from .timing import median_pair

SECTION = "Reference layers"
T, D, H = 16, 256, 512
BATCHES = (25, 100)
MIN_SHARE_IN_PRODUCTS = 0.7
MAX_RATIO_TO_TORCH = 1.5
ATTENTION = {"batch": 25, "length": 16, "embed_dim": 256, "num_heads": 2}

# cell -> (gates G: the weights have G * H columns, forward, backward, torch module)
CELLS = {
    "RNN": (1, rnn_layers.rnn_forward, rnn_layers.rnn_backward, nn.RNN),
    "LSTM": (4, rnn_layers.lstm_forward, rnn_layers.lstm_backward, nn.LSTM),
}


def measure(context):
    lines = []
    for cell in CELLS:
        for batch in BATCHES:
            lines += recurrent_lines(cell, batch, context.repeats)
    lines += attention_lines(context.repeats)
    return lines


def recurrent_lines(cell, N, repeats):
    """Forward and backward of one recurrent layer at batch N, five lines."""
    gates, forward, backward, torch_layer = CELLS[cell]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, T, D))
    h0 = rng.standard_normal((N, H))
    Wx = rng.standard_normal((D, gates * H)) / np.sqrt(D)
    Wh = rng.standard_normal((H, gates * H)) / np.sqrt(H)
    b = np.zeros(gates * H)
    dh = rng.standard_normal((N, T, H))
    _, cache = forward(x, h0, Wx, Wh, b)

    def ours_forward():
        forward(x, h0, Wx, Wh, b)

    def ours_backward():
        backward(dh, cache)

    def ours_both():
        backward(dh, forward(x, h0, Wx, Wh, b)[1])

    products = step_products(N, gates)
    torch_forward, torch_both = torch_recurrent(torch_layer, x, h0, dh)

    def line(label, ours, reference, reference_name, limit, target, why=""):
        mine, ref = median_pair(ours, reference, repeats)
        name = f"{cell}, N={N}, {label}"
        return Line(SECTION, name, mine, ref, reference_name, limit, target, "ms", why)

    in_products = (
        1 / MIN_SHARE_IN_PRODUCTS,
        f">= {MIN_SHARE_IN_PRODUCTS:.0%} in products",
    )
    like_torch = MAX_RATIO_TO_TORCH, f"<= {MAX_RATIO_TO_TORCH}x PyTorch"
    alone = "its matrix products alone"
    return [
        line(
            "forward",
            ours_forward,
            products.forward,
            alone,
            *in_products,
            WHY_OUTSIDE_PRODUCTS["forward"].format(faults=minor_faults(ours_forward)),
        ),
        line(
            "backward",
            ours_backward,
            products.backward,
            alone,
            *in_products,
            WHY_OUTSIDE_PRODUCTS["backward"].format(faults=minor_faults(ours_backward)),
        ),
        line(
            "backward",
            ours_backward,
            products.backward_and_sums,
            "its products and weight-gradient sums",
            None,
            "",
        ),
        line("forward", ours_forward, torch_forward, f"torch.nn.{cell}", *like_torch),
        line(
            "forward + backward",
            ours_both,
            torch_both,
            f"torch.nn.{cell}",
            *like_torch,
        ),
    ]


WHY_OUTSIDE_PRODUCTS = {
    "forward": (
        "besides its two products a step makes passes over arrays of N x G*H (the "
        "sum of the products and the bias; tanh for the RNN; three sigmoids, two "
        "tanh and the cell update for the LSTM) and keeps new arrays for the "
        "backward pass. Those new arrays cost page faults whenever the C allocator "
        "has handed the previous call's memory back to the system ({faults} minor "
        "faults per call in this run, about 3 ms per thousand). glibc's malloc "
        "keeps its memory once large blocks have been freed, as after PyTorch has "
        "run in the process: that is why the same forward pass measures faster in "
        "the line against PyTorch. Neither is Python overhead (a step's calls cost "
        "microseconds), so no vectorized form of the loop removes them."
    ),
    "backward": (
        "each step returns its weight gradients x_t^T da and h^T da as new arrays "
        "of (D + H) x G*H and adds them to running sums. At N = 25 the products "
        "are small, and the sums and the fresh memory for those arrays (the "
        "allocator gives it back to the system and takes it again at every step: "
        "{faults} minor page faults per call in this run) cost a good part of the "
        "products' time. The vectorized form, one product over all N*T rows after "
        "the loop for each weight gradient, removes both; but then rnn_backward "
        "would no longer use rnn_step_backward's weight gradients, which is what "
        "the exercise teaches, so the reference solution keeps the step form."
    ),
}


def minor_faults(fn):
    """Minor page faults of one call of `fn`: pages the kernel had to hand over."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    fn()
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


@dataclass(frozen=True)
class StepProducts:
    """Callables doing a recurrent layer's matrix products and nothing else."""

    forward: Callable
    backward: Callable
    backward_and_sums: Callable  # the backward products, then dW += dW_t each step


def step_products(N, gates):
    """The matrix products of a recurrent layer over T steps, at batch N.

    Each step of the forward pass computes x_t Wx and h Wh; each step of the
    backward pass computes da Wx^T, da Wh^T, x_t^T da and h^T da, with
    a = x_t Wx + h Wh + b of shape (N, G*H). The backward pass of the layer adds
    each step's weight gradients x_t^T da and h^T da to running sums as well.
    """
    rng = np.random.default_rng(1)
    x_t, h = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    Wx, Wh = rng.standard_normal((D, gates * H)), rng.standard_normal((H, gates * H))
    da = rng.standard_normal((N, gates * H))
    dWx, dWh = np.zeros_like(Wx), np.zeros_like(Wh)

    def forward():
        for _ in range(T):
            np.dot(x_t, Wx)  # (N, G*H)
            np.dot(h, Wh)  # (N, G*H)

    def backward():
        for _ in range(T):
            np.dot(da, Wx.T)  # (N, D)
            np.dot(da, Wh.T)  # (N, H)
            np.dot(x_t.T, da)  # (D, G*H)
            np.dot(h.T, da)  # (H, G*H)

    def backward_and_sums():
        for _ in range(T):
            np.dot(da, Wx.T)  # (N, D)
            np.dot(da, Wh.T)  # (N, H)
            np.add(dWx, np.dot(x_t.T, da), out=dWx)  # (D, G*H)
            np.add(dWh, np.dot(h.T, da), out=dWh)  # (H, G*H)

    return StepProducts(forward, backward, backward_and_sums)


def torch_recurrent(torch_layer, x, h0, dh):
    """PyTorch's layer on the same data in float64: (forward, forward + backward)."""
    layer = torch_layer(D, H, batch_first=True).double()
    x = torch.from_numpy(x).requires_grad_()
    h0 = torch.from_numpy(h0)[None]  # (1, N, H)
    state = h0 if torch_layer is nn.RNN else (h0, torch.zeros_like(h0))
    dh = torch.from_numpy(dh)

    def forward():
        return layer(x, state)[0]  # (N, T, H), recording the graph as in training

    def both():
        forward().backward(dh)

    return forward, both


class ScaledDotProductAttention(nn.Module):
    """A MultiHeadAttention's own projections around PyTorch's fused attention."""

    def __init__(self, attention):
        super().__init__()
        self.attention = attention

    def forward(self, query, key, value, attn_mask=None):
        a = self.attention
        N, S, E = query.shape
        T = key.shape[1]
        h, d = a.num_heads, a.head_dim
        q = a.query(query).view(N, S, h, d).transpose(1, 2)  # (N, h, S, d)
        k = a.key(key).view(N, T, h, d).transpose(1, 2)  # (N, h, T, d)
        v = a.value(value).view(N, T, h, d).transpose(1, 2)  # (N, h, T, d)
        mask = None if attn_mask is None else attn_mask.bool()  # True: may attend
        dropout = a.attn_drop.p if self.training else 0.0
        y = F.scaled_dot_product_attention(q, k, v, mask, dropout)  # (N, h, S, d)
        return a.proj(y.transpose(1, 2).reshape(N, S, E))  # (N, S, E)


def attention_lines(repeats):
    """MultiHeadAttention, masked self-attention, against the fused attention."""
    N, S, E = ATTENTION["batch"], ATTENTION["length"], ATTENTION["embed_dim"]
    torch.manual_seed(0)
    ours = MultiHeadAttention(E, ATTENTION["num_heads"]).train()
    fused = ScaledDotProductAttention(ours).train()
    x = torch.randn(N, S, E, requires_grad=True)
    mask = torch.tril(torch.ones(S, S))
    dout = torch.randn(N, S, E)

    def forward(layer):
        return lambda: layer(x, x, x, attn_mask=mask)

    def both(layer):
        return lambda: layer(x, x, x, attn_mask=mask).backward(dout)

    name = f"MultiHeadAttention, N={N}, S={S}, E={E}"
    reference = "same projections + F.scaled_dot_product_attention"
    target = f"<= {MAX_RATIO_TO_TORCH}x PyTorch"
    lines = []
    for label, make in (("forward", forward), ("forward + backward", both)):
        mine, ref = median_pair(make(ours), make(fused), repeats * 3)
        lines.append(
            Line(
                SECTION,
                f"{name}, {label}",
                mine,
                ref,
                reference,
                MAX_RATIO_TO_TORCH,
                target,
                unit="ms",
            )
        )
    return lines
