"""Graders of LSTM_Captioning.ipynb: one function per test cell.

As for the RNN notebook, every check draws inputs for the student being graded, runs
the student's code with the other exercises replaced by the reference, and compares
with the private reference copy or with central differences.
"""

import types

import numpy as np

from .core import Outcome, compare, grade, rng, submitted
from .rnn_captioning import (
    GRADIENT_TOL,
    LAYERS,
    MODEL,
    _captions,
    _either,
    _gradient_outcomes,
    _reference_layers,
    _shapes,
    _small_model,
    numeric_gradients,
    ref,
)


def _weights(r, N, D, H, T=None):
    x = r.standard_normal((N, D) if T is None else (N, T, D))
    return (
        x,
        r.standard_normal((D, 4 * H)),
        r.standard_normal((H, 4 * H)),
        r.standard_normal(4 * H),
    )


def lstm_step_forward(points):
    def check():
        student = submitted(LAYERS + "lstm_step_forward")
        outcomes = []
        for N, _, D, H in _shapes("lstm_step_forward"):
            r = rng(f"lstm_step_forward/{N}{D}{H}")
            x, Wx, Wh, b = _weights(r, N, D, H)
            h, c = r.standard_normal((N, H)), r.standard_normal((N, H))
            with _reference_layers(student):
                next_h, next_c, _ = student(x, h, c, Wx, Wh, b)
            want_h, want_c, _ = ref.rnn_layers.lstm_step_forward(x, h, c, Wx, Wh, b)
            where = f"N={N}, D={D}, H={H}"
            outcomes += [
                compare(f"next_h for {where}", next_h, want_h, 1e-8),
                compare(f"next_c for {where}", next_c, want_c, 1e-8),
            ]
        return outcomes

    return grade("lstm_step_forward", points, [("next_h and next_c", 1, check)])


def lstm_step_backward(points):
    def check():
        forward = submitted(LAYERS + "lstm_step_forward")
        backward = submitted(LAYERS + "lstm_step_backward")
        N, _, D, H = _shapes("lstm_step_backward")[0]
        r = rng("lstm_step_backward")
        x, Wx, Wh, b = _weights(r, N, D, H)
        h, c = r.standard_normal((N, H)), r.standard_normal((N, H))
        dnext_h, dnext_c = r.standard_normal((N, H)), r.standard_normal((N, H))
        with _reference_layers(backward):
            _, _, cache = forward(x, h, c, Wx, Wh, b)
            grads = backward(dnext_h, dnext_c, cache)
        if not isinstance(grads, tuple) or len(grads) != 6:
            raise TypeError(
                "lstm_step_backward must return (dx, dprev_h, dprev_c, dWx, dWh, db)"
            )

        # Both outputs feed the loss: differentiate sum(next_h dnext_h + next_c dnext_c).
        upstream = np.concatenate([dnext_h, dnext_c])
        args = [x, h, c, Wx, Wh, b]

        def outputs(step):
            return lambda *a: np.concatenate(step(*a)[:2])

        names = ("dx", "dprev_h", "dprev_c", "dWx", "dWh", "db")
        numeric_ref = numeric_gradients(
            outputs(ref.rnn_layers.lstm_step_forward), args, upstream
        )
        numeric_own = numeric_gradients(outputs(forward), args, upstream)
        return _either(
            _gradient_outcomes(names, grads, numeric_ref, GRADIENT_TOL),
            _gradient_outcomes(names, grads, numeric_own, GRADIENT_TOL),
        )

    return grade("lstm_step_backward", points, [("gradients", 1, check)])


def lstm_forward(points):
    def check():
        student = submitted(LAYERS + "lstm_forward")
        outcomes = []
        for N, T, D, H in _shapes("lstm_forward"):
            r = rng(f"lstm_forward/{N}{T}{D}{H}")
            x, Wx, Wh, b = _weights(r, N, D, H, T)
            h0 = r.standard_normal((N, H))
            with _reference_layers(student):
                h, _ = student(x, h0, Wx, Wh, b)
            want, _ = ref.rnn_layers.lstm_forward(x, h0, Wx, Wh, b)
            outcomes.append(compare(f"h for N={N}, T={T}, D={D}, H={H}", h, want, 1e-8))
        return outcomes

    return grade("lstm_forward", points, [("h", 1, check)])


def lstm_backward(points):
    def check():
        forward = submitted(LAYERS + "lstm_forward")
        backward = submitted(LAYERS + "lstm_backward")
        N, T, D, H = _shapes("lstm_backward")[0]
        r = rng("lstm_backward")
        x, Wx, Wh, b = _weights(r, N, D, H, T)
        h0 = r.standard_normal((N, H))
        with _reference_layers(forward), _reference_layers(backward):
            out, cache = forward(x, h0, Wx, Wh, b)
            dout = r.standard_normal(np.shape(out))
            grads = backward(dout, cache)
            if not isinstance(grads, tuple) or len(grads) != 5:
                raise TypeError("lstm_backward must return (dx, dh0, dWx, dWh, db)")
            args = [x, h0, Wx, Wh, b]
            names = ("dx", "dh0", "dWx", "dWh", "db")
            numeric_ref = numeric_gradients(
                lambda *a: ref.rnn_layers.lstm_forward(*a)[0], args, dout
            )
            numeric_own = numeric_gradients(lambda *a: forward(*a)[0], args, dout)
        return _either(
            _gradient_outcomes(names, grads, numeric_ref, GRADIENT_TOL),
            _gradient_outcomes(names, grads, numeric_own, GRADIENT_TOL),
        )

    return grade("lstm_backward", points, [("gradients", 1, check)])


def captioning_lstm(points):
    """The `lstm` branch of CaptioningRNN.loss and .sample, written in the RNN
    notebook and carried over."""

    def loss():
        student = submitted(MODEL + "loss")
        model, r = _small_model("lstm_loss", cell_type="lstm")
        N, T = 3, 4
        features = r.standard_normal((N, model.params["W_proj"].shape[0]))
        captions = _captions(r, model, N, T)
        with _reference_layers(student):
            value, grads = types.MethodType(student, model)(features, captions)
        want, want_grads = model.loss(features, captions)
        outcomes = [compare("loss with cell_type='lstm'", value, want, 1e-8)]
        outcomes += [
            compare(
                f"grads[{name!r}] with cell_type='lstm'",
                grads.get(name),
                want_grads[name],
                1e-6,
            )
            for name in sorted(want_grads)
        ]
        return outcomes

    def sample():
        student = submitted(MODEL + "sample")
        model, r = _small_model("lstm_sample", cell_type="lstm")
        features = r.standard_normal((3, model.params["W_proj"].shape[0]))
        with _reference_layers(student):
            got = np.asarray(types.MethodType(student, model)(features, max_length=6))
        want = model.sample(features, max_length=6)
        ended = np.cumsum(want == model._end, axis=1) - (want == model._end)
        same = got.shape == want.shape and np.array_equal(
            got[ended == 0], want[ended == 0]
        )
        return Outcome(
            same, "greedy captions with cell_type='lstm'" + ("" if same else " differ")
        )

    return grade(
        "CaptioningRNN with an LSTM", points, [("loss", 2, loss), ("sample", 1, sample)]
    )


def overfit(points, threshold=0.5):
    """Train the reference model with the student's LSTM layers on 50 captions.

    The notebook's own training cell uses all of the student's code, the RNN
    notebook's included; this check retrains with only the LSTM layers taken from
    the student, so that it grades what this notebook asks.
    """
    from course_lib.captioning_solver import CaptioningSolver
    from course_lib.coco_utils import load_coco_data

    from .core import substituted

    def check():
        names = (
            "lstm_step_forward",
            "lstm_step_backward",
            "lstm_forward",
            "lstm_backward",
        )
        layers = {name: submitted(LAYERS + name) for name in names}
        model_module = ref.rnn
        np.random.seed(231)
        data = load_coco_data(max_train=50)
        model = model_module.CaptioningRNN(
            cell_type="lstm",
            word_to_idx=data["word_to_idx"],
            input_dim=data["train_features"].shape[1],
            hidden_dim=512,
            wordvec_dim=256,
        )
        solver = CaptioningSolver(
            model,
            data,
            update_rule="adam",
            num_epochs=50,
            batch_size=25,
            optim_config={"learning_rate": 5e-3},
            lr_decay=0.995,
            verbose=False,
        )
        # The reference model calls the layers by their bare names in its module.
        with substituted(model_module.CaptioningRNN.loss, **layers):
            solver.train()
        final = float(solver.loss_history[-1])
        return Outcome(
            final < threshold,
            f"final training loss {final:.4f} (must be below {threshold})",
        )

    return grade("LSTM overfit", points, [("final loss", 1, check)])
