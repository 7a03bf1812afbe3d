"""Graders of Transformer_Captioning.ipynb: one function per test cell.

Every check builds reference modules with weights drawn for the student being graded,
runs the student's method on them (so the other exercises are the reference's, and one
mistake costs points in one cell), and compares with an independent computation in
float64 NumPy or with the private reference copy. Torch's global generator is left as
the notebook had it.
"""

import contextlib
import math
import types

import numpy as np
import torch

from course_lib import transformer_layers

from .core import Outcome, compare, grade, reference, rng, submitted

ref = reference("course_lib.transformer_layers", "course_lib.classifiers.transformer")
LAYERS = "course_lib.transformer_layers."
MODEL = "course_lib.classifiers.transformer.CaptioningTransformer."


@contextlib.contextmanager
def _seeded(label):
    """Torch's generator seeded for this student and check, restored afterwards."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(rng(label).integers(2**31)))
        yield


def _close(name, received, expected, atol):
    """Outcome of an absolute-difference comparison (values near zero, float32)."""
    if received is None:
        return Outcome(False, f"{name} is None")
    if isinstance(received, torch.Tensor):
        received = received.detach().cpu().double().numpy()
    received = np.asarray(received, dtype=np.float64)
    if received.shape != np.shape(expected):
        return Outcome(
            False,
            f"{name} has shape {received.shape}; expected shape {np.shape(expected)}",
        )
    if not np.all(np.isfinite(received)):
        return Outcome(False, f"{name} holds NaN or infinite values")
    difference = float(np.max(np.abs(received - expected)))
    if difference > atol:
        return Outcome(
            False, f"{name}: max difference {difference:.1e} (must be below {atol:.0e})"
        )
    return Outcome(True, f"{name}: max difference {difference:.1e}")


def _numpy(tensor):
    return tensor.detach().cpu().double().numpy()


# ---------------------------------------------------------------------------
# Positional encoding


def sinusoid_table(max_len, dim):
    """pe[i, j] = sin(i * 10000^(-j/dim)) for even j, cos(i * 10000^(-(j-1)/dim)) for
    odd j, in float64."""
    position = np.arange(max_len)[:, None]  # (max_len, 1)
    pair = np.arange(dim) // 2 * 2  # the even column of each sine/cosine pair
    angle = position * 10000.0 ** (-pair / dim)  # (max_len, dim)
    return np.where(np.arange(dim) % 2 == 0, np.sin(angle), np.cos(angle))


def _student_encoding(embed_dim, max_len):
    """A PositionalEncoding of the library built by the student's __init__."""
    student = submitted(LAYERS + "PositionalEncoding.__init__")
    cls = transformer_layers.PositionalEncoding
    encoder = cls.__new__(cls)
    student(encoder, embed_dim, dropout=0.1, max_len=max_len)
    return encoder


def _table(encoder):
    pe = getattr(encoder, "pe", None)
    if pe is None:
        raise AttributeError(
            "the encoder has no table `pe`: keep register_buffer('pe', pe)"
        )
    return pe


def positional_encoding(points):
    def values():
        r = rng("positional_encoding")
        outcomes = []
        for _ in range(3):
            E, L = 2 * int(r.integers(1, 11)), int(r.integers(5, 120))
            pe = _table(_student_encoding(E, L))
            want = sinusoid_table(L, E)[None]  # (1, L, E)
            outcomes.append(_close(f"pe for E={E}, max_len={L}", pe, want, 1e-5))
        return outcomes

    def long_table():
        E = 2 * int(rng("positional_encoding/long").integers(4, 17))
        pe = _table(_student_encoding(E, 5000))
        # Float32 angles put a few 1e-4 into the last rows: accepted here.
        return _close(
            f"pe for E={E}, max_len=5000", pe, sinusoid_table(5000, E)[None], 1e-3
        )

    def buffer():
        encoder = _student_encoding(8, 20)
        outcomes = []
        pe = _table(encoder)
        outcomes.append(
            Outcome(
                pe.dtype == torch.float32,
                f"pe is {str(pe.dtype).replace('torch.', '')}"
                + ("" if pe.dtype == torch.float32 else "; make it float32"),
            )
        )
        count = sum(p.numel() for p in encoder.parameters())
        outcomes.append(
            Outcome(
                count == 0,
                f"the encoding has {count} trainable parameters"
                + ("" if count == 0 else "; the table is fixed: no nn.Parameter"),
            )
        )
        # A whole captioning model built with this encoding: only the layers learn.
        words = {w: i for i, w in enumerate(["<NULL>", "<START>", "<END>", "a", "b"])}
        V, D, W, FF, layers = len(words), 6, 8, 2048, 2
        with _seeded("positional_encoding/model"):
            from course_lib.classifiers.transformer import CaptioningTransformer

            model = CaptioningTransformer(words, D, W, num_heads=2, num_layers=layers)
        attention = 4 * (W * W + W)
        layer = 2 * attention + (W * FF + FF) + (FF * W + W) + 3 * 2 * W
        expected = (D * W + W) + V * W + layers * layer + (W * V + V)
        got = sum(p.numel() for p in model.parameters())
        outcomes.append(
            Outcome(
                got == expected,
                f"a CaptioningTransformer built with it has {got} "
                f"parameters" + ("" if got == expected else f", expected {expected}"),
            )
        )
        return outcomes

    return grade(
        "PositionalEncoding.__init__",
        points,
        [
            ("table", 3, values),
            ("5000 positions", 1, long_table),
            ("fixed buffer", 1, buffer),
        ],
    )


# ---------------------------------------------------------------------------
# Multi-head attention


def _attention(label, E, h):
    """A reference MultiHeadAttention in float64 and eval mode, seeded weights."""
    with _seeded(label):
        module = ref.transformer_layers.MultiHeadAttention(E, h, dropout=0.3)
    return module.double().eval()


def independent_attention(module, query, key, value, mask=None, scale=None):
    """Attention computed head by head in NumPy from the module's weights.

    Returns (output (N, S, E), weights (N, h, S, T)). `scale` replaces sqrt(E/h)
    (to tell which mistake a wrong output comes from).
    """
    h = module.num_heads
    d = module.embed_dim // h
    scale = math.sqrt(d) if scale is None else scale

    def linear(x, layer):
        return x @ _numpy(layer.weight).T + _numpy(layer.bias)

    q, k, v = (
        linear(query, module.query),
        linear(key, module.key),
        linear(value, module.value),
    )
    heads, weights = [], []
    for i in range(h):
        cols = slice(i * d, (i + 1) * d)
        scores = (
            np.einsum("nsd,ntd->nst", q[..., cols], k[..., cols]) / scale
        )  # (N, S, T)
        if mask is not None:
            scores = np.where(np.asarray(mask) != 0, scores, -np.inf)
        scores -= scores.max(axis=-1, keepdims=True)
        w = np.exp(scores)
        w /= w.sum(axis=-1, keepdims=True)  # (N, S, T)
        weights.append(w)
        heads.append(w @ v[..., cols])  # (N, S, d)
    output = linear(np.concatenate(heads, axis=-1), module.proj)  # (N, S, E)
    return output, np.stack(weights, axis=1)


def _run(student, module, query, key, value, mask=None):
    as_tensor = lambda a: torch.as_tensor(a)  # noqa: E731
    with torch.no_grad():
        kwargs = {} if mask is None else {"attn_mask": as_tensor(mask)}
        return types.MethodType(student, module)(
            as_tensor(query), as_tensor(key), as_tensor(value), **kwargs
        )


def _visible_mask(r, S, T):
    """A random boolean (S, T) mask with at least one visible key in every row."""
    mask = r.random((S, T)) < 0.5
    mask[np.arange(S), r.integers(T, size=S)] = True
    return mask


def _inputs(r, N, S, T, E, size=1.0):
    return [
        size * r.standard_normal(shape) for shape in [(N, S, E), (N, T, E), (N, T, E)]
    ]


def multi_head_attention(points):
    def outputs():
        student = submitted(LAYERS + "MultiHeadAttention.forward")
        r = rng("attention/outputs")
        outcomes = []
        # (heads, query length S, key length T, mask)
        cases = [(1, 3, 3, None), (2, 2, 5, None), (4, 5, 3, "arbitrary"),
                 (2, 4, 4, "causal"), (3, 3, 6, "arbitrary")]  # fmt: skip
        for h, S, T, kind in cases:
            N, d = int(r.integers(1, 4)), int(r.integers(2, 5))
            E = h * d
            module = _attention(f"attention/{h}{S}{T}", E, h)
            query, key, value = _inputs(r, N, S, T, E)
            if kind == "causal":
                mask = np.tril(np.ones((S, T), dtype=bool))
            elif kind == "arbitrary":
                mask = _visible_mask(r, S, T)
            else:
                mask = None
            got = _run(student, module, query, key, value, mask)
            want, _ = independent_attention(module, query, key, value, mask)
            heads = f"{h} head" + "s" * (h > 1)
            where = f"{heads}, S={S}, T={T}, {kind or 'no'} mask"
            outcomes.append(compare(f"output for {where}", _numpy(got), want, 1e-7))
        return outcomes

    def masking():
        student = submitted(LAYERS + "MultiHeadAttention.forward")
        r = rng("attention/masking")
        N, S, T, h, E = 2, 4, 5, 2, 6
        module = _attention("attention/masking", E, h)
        query, key, value = _inputs(r, N, S, T, E)
        mask = _visible_mask(r, S, T)
        hidden = int(r.integers(T))  # a key no query may see
        mask[:, hidden] = False
        mask[:, (hidden + 1) % T] = True
        want, _ = independent_attention(module, query, key, value, mask)
        as_ints = _run(student, module, query, key, value, mask.astype(np.int64))
        what = "output for a mask of 0s and 1s (0 = masked)"
        outcomes = [compare(what, _numpy(as_ints), want, 1e-7)]
        moved_key, moved_value = key.copy(), value.copy()
        moved_key[:, hidden] += 5 * r.standard_normal((N, E))
        moved_value[:, hidden] += 5 * r.standard_normal((N, E))
        before = _numpy(_run(student, module, query, key, value, mask))
        after = _numpy(_run(student, module, query, moved_key, moved_value, mask))
        same = np.allclose(before, after, rtol=1e-9, atol=1e-12)
        message = "a key that every query is masked from changes nothing"
        if not same:
            message += ": the output changed, so masked keys still get weight"
        outcomes.append(Outcome(same, message))
        return outcomes

    def scaling():
        student = submitted(LAYERS + "MultiHeadAttention.forward")
        r = rng("attention/scaling")
        N, S, T, h, d = 2, 3, 4, 4, 4
        E = h * d
        module = _attention("attention/scaling", E, h)
        query, key, value = _inputs(
            r, N, S, T, E, size=3.0
        )  # scores large enough to tell
        got = _numpy(_run(student, module, query, key, value))
        want, _ = independent_attention(module, query, key, value)
        what = f"output with scores scaled by sqrt(E/h) = {math.sqrt(d):g}"
        outcome = compare(what, got, want, 1e-7)
        hints = {
            1.0: "the scores are not divided by sqrt(E/h)",
            math.sqrt(E): "the scores are divided by sqrt(E), not by sqrt(E/h), "
            "the size of one head",
        }
        for scale, hint in hints.items():
            wrong, _ = independent_attention(module, query, key, value, scale=scale)
            if not outcome.passed and compare("", got, wrong, 1e-7).passed:
                outcome = Outcome(False, f"{outcome.message}: {hint}")
        return outcome

    def dropout():
        """Dropout acts on the attention weights: self.attn_drop must receive them,
        and the output must be computed from what it returns."""
        student = submitted(LAYERS + "MultiHeadAttention.forward")
        r = rng("attention/dropout")
        N, S, T, h, E = 2, 3, 4, 2, 6
        module = _attention("attention/dropout", E, h).train()
        query, key, value = _inputs(r, N, S, T, E)
        _, weights = independent_attention(module, query, key, value)
        seen = []

        class Recorder(torch.nn.Module):
            def __init__(self, zero):
                super().__init__()
                self.zero = zero

            def forward(self, x):
                seen.append(_numpy(x).ravel())
                return torch.zeros_like(x) if self.zero else x

        module.attn_drop = Recorder(zero=False)
        _run(student, module, query, key, value)
        received = np.sort(np.concatenate(seen)) if seen else np.zeros(0)
        expected = np.sort(weights.ravel())  # the layout of the heads does not matter
        ok = received.shape == expected.shape and np.allclose(
            received, expected, atol=1e-9
        )
        outcomes = [Outcome(ok, "self.attn_drop receives the attention weights (after the softmax)"
                            + ("" if ok else ": it was " + ("never called" if not seen
                               else "given something else")))]  # fmt: skip
        module.attn_drop = Recorder(zero=True)
        got = _numpy(_run(student, module, query, key, value))
        ok = np.allclose(
            got, np.broadcast_to(_numpy(module.proj.bias), got.shape), atol=1e-9
        )
        outcomes.append(
            Outcome(
                ok, "the values are averaged with the weights self.attn_drop returns"
            )
        )
        return outcomes

    return grade(
        "MultiHeadAttention.forward",
        points,
        [
            ("outputs", 3, outputs),
            ("masking", 1, masking),
            ("scaling", 1, scaling),
            ("dropout", 1, dropout),
        ],  # fmt: skip
    )


# ---------------------------------------------------------------------------
# The captioning model


def _small_model(label):
    """A reference CaptioningTransformer in float64 and eval mode, every weight drawn
    at a scale that makes each layer matter."""
    r = rng(label)
    extra = [f"w{i}" for i in range(int(r.integers(3, 8)))]
    words = ["<NULL>", "<START>", "<END>", "<UNK>"] + extra
    word_to_idx = {w: i for i, w in enumerate(words)}
    D, h, d, layers = (
        int(r.integers(3, 8)),
        int(r.integers(1, 3)),
        int(r.integers(2, 4)),
        2,
    )
    with _seeded(label):
        model = ref.transformer.CaptioningTransformer(
            word_to_idx,
            input_dim=D,
            wordvec_dim=h * d * 2,
            num_heads=h,
            num_layers=layers,
            max_length=12,
        )
        with torch.no_grad():
            for p in model.parameters():
                scale = 1 / math.sqrt(p.shape[1]) if p.dim() == 2 else 0.3
                p.normal_(0.0, scale)
    return model.double().eval(), r


def _captions(r, model, N, T):
    """Captions that start with <START>, some padded with <NULL> at the end."""
    V = len(model.word_to_idx)
    captions = r.integers(3, V, size=(N, T))
    captions[:, 0] = model._start
    captions[0, int(r.integers(2, T)) :] = model._null
    return torch.as_tensor(captions)


def _forward(student, model, features, captions):
    with torch.no_grad():
        return types.MethodType(student, model)(torch.as_tensor(features), captions)


def captioning_forward(points):
    def scores():
        student = submitted(MODEL + "forward")
        outcomes = []
        for trial in range(2):
            model, r = _small_model(f"forward/{trial}")
            N, T = int(r.integers(2, 4)), int(r.integers(3, 8))
            features = r.standard_normal((N, model.visual_projection.in_features))
            captions = _captions(r, model, N, T)
            got = _forward(student, model, features, captions)
            with torch.no_grad():
                want = model(torch.as_tensor(features), captions)
            outcomes.append(
                compare(f"scores for N={N}, T={T}", _numpy(got), _numpy(want), 1e-7)
            )
        return outcomes

    def causal():
        student = submitted(MODEL + "forward")
        model, r = _small_model("forward/causal")
        N, T = 2, 6
        features = r.standard_normal((N, model.visual_projection.in_features))
        captions = _captions(r, model, N, T)
        outcomes = []
        for t in (1, 3, 5):
            changed = captions.clone()
            later = r.integers(3, len(model.word_to_idx), size=(N, T - t))
            changed[:, t:] = torch.as_tensor(later)
            before = _numpy(_forward(student, model, features, captions))[:, :t]
            after = _numpy(_forward(student, model, features, changed))[:, :t]
            same = np.allclose(before, after, rtol=1e-9, atol=1e-12)
            outcomes.append(Outcome(
                same, f"scores before position {t} do not depend on the words from {t} on"
                + ("" if same else ": a position sees later words; check the mask")))  # fmt: skip
        return outcomes

    return grade(
        "CaptioningTransformer.forward",
        points,
        [("scores", 2, scores), ("causality", 1, causal)],
    )


# ---------------------------------------------------------------------------
# Overfitting


def overfit(points, solver, threshold=0.03, iterations=200):
    """The notebook's overfit run trained `iterations` steps and ended below
    `threshold`. It reads the history of the solver the notebook trained with the
    student's layers; the graders do not train again."""

    def check():
        history = list(getattr(solver, "loss_history", []))
        if not history:
            raise ValueError("the solver has no loss history: run the training cell")
        final = float(history[-1])
        if len(history) < iterations:
            stopped = (
                f"training stopped after {len(history)} of {iterations} iterations"
            )
            return Outcome(False, stopped)
        return Outcome(
            final < threshold,
            f"final training loss {final:.4f} (must be below {threshold})",
        )

    return grade("overfit", points, [("final loss", 1, check)])
