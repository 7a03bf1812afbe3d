"""Graders of RNN_Captioning.ipynb: one function per test cell.

Every check draws fresh inputs and shapes for the student being graded, runs the
student's code with the other exercises replaced by the reference (so one mistake
costs points in one cell), and compares with the private reference copy, or with
central differences for backward passes.
"""

import types

import numpy as np

from .core import (
    Outcome,
    compare,
    grade,
    norm_error,
    numeric_gradient,
    reference,
    rng,
    submitted,
    substituted,
)

ref = reference("course_lib.rnn_layers", "course_lib.classifiers.rnn")
LAYERS = "course_lib.rnn_layers."
# Gradients are compared with central differences over the whole array
# (`norm_error`): about 1e-9 for correct code, 1e-2 or more for a wrong derivative.
GRADIENT_TOL = 1e-6
MODEL = "course_lib.classifiers.rnn.CaptioningRNN."

# Every layer the students write, by name: what `substituted` swaps in.
LAYER_NAMES = (
    "rnn_step_forward",
    "rnn_step_backward",
    "rnn_forward",
    "rnn_backward",
    "word_embedding_forward",
    "word_embedding_backward",
    "affine_forward",
    "affine_backward",
    "temporal_affine_forward",
    "temporal_affine_backward",
    "temporal_softmax_loss",
    "sigmoid",
    "lstm_step_forward",
    "lstm_step_backward",
    "lstm_forward",
    "lstm_backward",
)


def _reference_layers(fn):
    """Reference versions of every layer `fn` may call by its bare name."""
    return substituted(
        fn, **{name: getattr(ref.rnn_layers, name) for name in LAYER_NAMES}
    )


def _shapes(label):
    """A few (N, T, D, H) for one check: small, different for every student."""
    r = rng(label)
    return [tuple(int(v) for v in r.integers(2, 7, size=4)) for _ in range(2)] + [
        (1, 1, 3, 2)
    ]


def _gradient_outcomes(names, received, numeric, tol):
    return [
        compare(name, got, want, tol, error=norm_error)
        for name, got, want in zip(names, received, numeric)
    ]


def _either(outcomes_ref, outcomes_own):
    """Backward passes earn credit if they are the derivative of the reference
    forward, or of the student's own forward (then the mistake is in the forward)."""
    return [
        a if a.passed or not b.passed else b for a, b in zip(outcomes_ref, outcomes_own)
    ]


def numeric_gradients(f, args, dout):
    """Central differences of sum(f(*args) * dout) for every argument in turn."""
    result = []
    for i in range(len(args)):

        def g(value, i=i):
            local = list(args)
            local[i] = value
            return f(*local)

        result.append(numeric_gradient(g, args[i], dout))
    return result


# ---------------------------------------------------------------------------
# Vanilla RNN


def rnn_step_forward(points):
    def check():
        student = submitted(LAYERS + "rnn_step_forward")
        outcomes = []
        for N, _, D, H in _shapes("rnn_step_forward"):
            r = rng(f"rnn_step_forward/{N}{D}{H}")
            x, h, Wx, Wh, b = (
                r.standard_normal(s) for s in [(N, D), (N, H), (D, H), (H, H), (H,)]
            )
            with _reference_layers(student):
                next_h, _ = student(x, h, Wx, Wh, b)
            want, _ = ref.rnn_layers.rnn_step_forward(x, h, Wx, Wh, b)
            outcomes.append(
                compare(f"next_h for N={N}, D={D}, H={H}", next_h, want, 1e-8)
            )
        return outcomes

    return grade("rnn_step_forward", points, [("next_h", 1, check)])


def _step_backward_outcomes(label, forward, backward):
    N, _, D, H = _shapes(label)[0]
    r = rng(label)
    x, h, Wx, Wh, b = (
        r.standard_normal(s) for s in [(N, D), (N, H), (D, H), (H, H), (H,)]
    )
    out, cache = forward(x, h, Wx, Wh, b)
    dnext_h = r.standard_normal(out.shape)
    grads = backward(dnext_h, cache)
    names = ("dx", "dprev_h", "dWx", "dWh", "db")
    if not isinstance(grads, tuple) or len(grads) != 5:
        raise TypeError("rnn_step_backward must return (dx, dprev_h, dWx, dWh, db)")
    args = [x, h, Wx, Wh, b]
    numeric_ref = numeric_gradients(
        lambda *a: ref.rnn_layers.rnn_step_forward(*a)[0], args, dnext_h
    )
    numeric_own = numeric_gradients(lambda *a: forward(*a)[0], args, dnext_h)
    return _either(
        _gradient_outcomes(names, grads, numeric_ref, GRADIENT_TOL),
        _gradient_outcomes(names, grads, numeric_own, GRADIENT_TOL),
    )


def rnn_step_backward(points):
    def check():
        forward = submitted(LAYERS + "rnn_step_forward")
        backward = submitted(LAYERS + "rnn_step_backward")
        with _reference_layers(backward):
            return _step_backward_outcomes("rnn_step_backward", forward, backward)

    return grade("rnn_step_backward", points, [("gradients", 1, check)])


def rnn_forward(points):
    def check():
        student = submitted(LAYERS + "rnn_forward")
        outcomes = []
        for N, T, D, H in _shapes("rnn_forward"):
            r = rng(f"rnn_forward/{N}{T}{D}{H}")
            x, h0, Wx, Wh, b = (
                r.standard_normal(s) for s in [(N, T, D), (N, H), (D, H), (H, H), (H,)]
            )
            with _reference_layers(student):
                h, _ = student(x, h0, Wx, Wh, b)
            want, _ = ref.rnn_layers.rnn_forward(x, h0, Wx, Wh, b)
            outcomes.append(compare(f"h for N={N}, T={T}, D={D}, H={H}", h, want, 1e-8))
        return outcomes

    return grade("rnn_forward", points, [("h", 1, check)])


def rnn_backward(points):
    def check():
        forward = submitted(LAYERS + "rnn_forward")
        backward = submitted(LAYERS + "rnn_backward")
        N, T, D, H = _shapes("rnn_backward")[0]
        r = rng("rnn_backward")
        x, h0, Wx, Wh, b = (
            r.standard_normal(s) for s in [(N, T, D), (N, H), (D, H), (H, H), (H,)]
        )
        with _reference_layers(forward), _reference_layers(backward):
            out, cache = forward(x, h0, Wx, Wh, b)
            dout = r.standard_normal(out.shape)
            grads = backward(dout, cache)
            if not isinstance(grads, tuple) or len(grads) != 5:
                raise TypeError("rnn_backward must return (dx, dh0, dWx, dWh, db)")
            args = [x, h0, Wx, Wh, b]
            names = ("dx", "dh0", "dWx", "dWh", "db")
            numeric_ref = numeric_gradients(
                lambda *a: ref.rnn_layers.rnn_forward(*a)[0], args, dout
            )
            numeric_own = numeric_gradients(lambda *a: forward(*a)[0], args, dout)
            against_ref = _gradient_outcomes(names, grads, numeric_ref, GRADIENT_TOL)
            against_own = _gradient_outcomes(names, grads, numeric_own, GRADIENT_TOL)
        return _either(against_ref, against_own)

    return grade("rnn_backward", points, [("gradients", 1, check)])


# ---------------------------------------------------------------------------
# Word embedding


def word_embedding_forward(points):
    def check():
        student = submitted(LAYERS + "word_embedding_forward")
        outcomes = []
        for N, T, V, D in _shapes("word_embedding_forward"):
            r = rng(f"word_embedding_forward/{N}{T}{V}{D}")
            x = r.integers(V, size=(N, T))
            W = r.standard_normal((V, D))
            out, _ = student(x, W)
            want, _ = ref.rnn_layers.word_embedding_forward(x, W)
            outcomes.append(
                compare(f"out for N={N}, T={T}, V={V}, D={D}", out, want, 1e-12)
            )
        return outcomes

    return grade("word_embedding_forward", points, [("out", 1, check)])


def word_embedding_backward(points):
    def check(repeated):
        forward = submitted(LAYERS + "word_embedding_forward")
        backward = submitted(LAYERS + "word_embedding_backward")
        r = rng(f"word_embedding_backward/{repeated}")
        N, T, D = int(r.integers(4, 9)), int(r.integers(2, 5)), 4
        if repeated:  # many words share an index: their gradients must add up
            V = int(r.integers(3, 6))
            x = r.integers(V, size=(N, T))
        else:
            V = N * T + 2
            x = r.permutation(V)[: N * T].reshape(N, T)
        W = r.standard_normal((V, D))
        out, cache = forward(x, W)
        dout = r.standard_normal(np.shape(out))
        dW = backward(dout, cache)
        numeric = numeric_gradient(
            lambda w: ref.rnn_layers.word_embedding_forward(x, w)[0], W, dout
        )
        what = (
            "dW with repeated word indices"
            if repeated
            else "dW with distinct word indices"
        )
        return compare(what, dW, numeric, GRADIENT_TOL, error=norm_error)

    return grade(
        "word_embedding_backward",
        points,
        [
            ("distinct indices", 1, lambda: check(False)),
            ("repeated indices", 2, lambda: check(True)),
        ],
    )


# ---------------------------------------------------------------------------
# The captioning model


def _small_model(label, cell_type="rnn"):
    """A reference CaptioningRNN with random float64 parameters and a tiny vocabulary."""
    r = rng(label)
    words = ["<NULL>", "<START>", "<END>", "<UNK>"] + [
        f"w{i}" for i in range(int(r.integers(3, 7)))
    ]
    word_to_idx = {w: i for i, w in enumerate(words)}
    D, W, H = (int(v) for v in r.integers(3, 7, size=3))
    model = ref.rnn.CaptioningRNN(
        word_to_idx,
        input_dim=D,
        wordvec_dim=W,
        hidden_dim=H,
        cell_type=cell_type,
        dtype=np.float64,
    )
    for name, value in model.params.items():
        model.params[name] = r.standard_normal(value.shape) * 0.5
    return model, r


def _captions(r, model, N, T):
    """Captions that start with <START>, and some that end early in <NULL> padding."""
    V = len(model.word_to_idx)
    captions = r.integers(4, V, size=(N, T + 1))
    captions[:, 0] = model._start
    for i in range(0, N, 2):
        stop = int(r.integers(2, T + 1))
        captions[i, stop] = model._end
        captions[i, stop + 1 :] = model._null
    return captions


def captioning_loss(points):
    student = None

    def setup():
        nonlocal student
        student = submitted(MODEL + "loss")

    def loss_value():
        setup()
        outcomes = []
        for trial in range(2):
            model, r = _small_model(f"loss/{trial}")
            N, T = int(r.integers(2, 5)), int(r.integers(2, 6))
            features = r.standard_normal((N, model.params["W_proj"].shape[0]))
            captions = _captions(r, model, N, T)
            with _reference_layers(student):
                loss, _ = types.MethodType(student, model)(features, captions)
            want, _ = model.loss(features, captions)
            outcomes.append(
                compare(f"loss (N={N}, T={T}, with <NULL> padding)", loss, want, 1e-8)
            )
        return outcomes

    def gradients():
        setup()
        model, r = _small_model("loss/gradients")
        N, T = 3, 4
        features = r.standard_normal((N, model.params["W_proj"].shape[0]))
        captions = _captions(r, model, N, T)
        with _reference_layers(student):
            _, grads = types.MethodType(student, model)(features, captions)
        if not isinstance(grads, dict):
            raise TypeError(
                "loss must return (loss, grads) with grads a dict of arrays"
            )
        outcomes = []
        for name in sorted(model.params):
            param = model.params[name]

            def f(value, name=name):
                saved = model.params[name]
                model.params[name] = value
                try:
                    return np.array(model.loss(features, captions)[0])
                finally:
                    model.params[name] = saved

            numeric = numeric_gradient(f, param.copy(), np.array(1.0))
            outcomes.append(
                compare(
                    f"grads[{name!r}]", grads.get(name), numeric, GRADIENT_TOL,
                    error=norm_error,
                )
            )
        return outcomes

    return grade(
        "CaptioningRNN.loss",
        points,
        [("loss value", 1, loss_value), ("gradients", 2, gradients)],
    )


def captioning_sample(points):
    def check():
        student = submitted(MODEL + "sample")
        outcomes = []
        for trial in range(2):
            model, r = _small_model(f"sample/{trial}")
            N, max_length = int(r.integers(2, 6)), int(r.integers(3, 9))
            features = r.standard_normal((N, model.params["W_proj"].shape[0]))
            with _reference_layers(student):
                got = types.MethodType(student, model)(features, max_length=max_length)
            want = model.sample(features, max_length=max_length)
            got = np.asarray(got)
            if got.shape != want.shape:
                outcomes.append(
                    compare(
                        f"captions for N={N}, max_length={max_length}", got, want, 0
                    )
                )
                continue
            # Up to each caption's first <END>: what comes after it is never read,
            # so writing on or padding with <NULL> are both correct.
            ended = np.cumsum(want == model._end, axis=1) - (want == model._end)
            same = np.array_equal(got[ended == 0], want[ended == 0])
            outcomes.append(
                Outcome(
                    same,
                    f"greedy captions for N={N}, max_length={max_length}"
                    + (
                        ""
                        if same
                        else ": some sampled words differ from greedy decoding"
                    ),
                )
            )
        return outcomes

    def dtype():
        student = submitted(MODEL + "sample")
        model, r = _small_model("sample/dtype")
        features = r.standard_normal((2, model.params["W_proj"].shape[0]))
        with _reference_layers(student):
            got = np.asarray(types.MethodType(student, model)(features, max_length=4))
        ok = np.issubdtype(got.dtype, np.integer)
        return Outcome(
            ok,
            "captions are integer word indices" + ("" if ok else f", not {got.dtype}"),
        )

    return grade(
        "CaptioningRNN.sample",
        points,
        [("greedy words", 3, check), ("dtype", 1, dtype)],
    )


def overfit(points, solver, threshold=0.1):
    """The overfit run of the notebook reached its final-loss threshold."""

    def check():
        history = list(getattr(solver, "loss_history", []))
        if not history:
            raise ValueError("the solver has no loss history: run the training cell")
        final = float(history[-1])
        return Outcome(
            final < threshold,
            f"final training loss {final:.4f} (must be below {threshold})",
        )

    return grade("overfit", points, [("final loss", 1, check)])
