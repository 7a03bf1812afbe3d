"""Layers of recurrent networks in NumPy: vanilla RNN, LSTM, word embedding.

Every layer has a forward function that returns its output and a cache, and a
backward function that takes the upstream gradient and that cache. Shapes use the
kit's notation: N batch, T time steps, D input dimension, H hidden dimension,
V vocabulary size. Each forward pass is vectorized over the batch and loops over
time only.

The affine, temporal affine and temporal softmax layers and `sigmoid` are given; the
RNN, LSTM and word-embedding functions are exercises.
"""

import numpy as np


def affine_forward(x, w, b):
    """Fully connected layer: out = x w + b, each example flattened to a row.

    Inputs:
    - x: (N, d_1, ..., d_k) inputs; each example is flattened to D = d_1 * ... * d_k.
    - w: (D, M) weights.
    - b: (M,) biases.

    Returns a tuple of:
    - out: (N, M) outputs.
    - cache: (x, w), for `affine_backward`.
    """
    N = x.shape[0]
    out = x.reshape(N, -1) @ w + b  # (N, M)
    return out, (x, w)


def affine_backward(dout, cache):
    """Backward pass of `affine_forward`.

    Inputs:
    - dout: (N, M) upstream gradient.
    - cache: the cache of `affine_forward`.

    Returns a tuple of:
    - dx: gradient with respect to x, of x's shape (N, d_1, ..., d_k).
    - dw: (D, M) gradient with respect to w.
    - db: (M,) gradient with respect to b.
    """
    x, w = cache
    N = x.shape[0]
    dx = (dout @ w.T).reshape(x.shape)  # (N, d_1, ..., d_k)
    dw = x.reshape(N, -1).T @ dout  # (D, M)
    db = dout.sum(axis=0)  # (M,)
    return dx, dw, db


def sigmoid(x):
    """Logistic function 1 / (1 + exp(-x)), elementwise, without overflow.

    exp is only ever taken of -|x| <= 0, so it stays in (0, 1]:
    for x >= 0, s(x) = 1 / (1 + exp(-x)); for x < 0, s(x) = exp(x) / (1 + exp(x)).
    Both share the denominator, so one division serves them.
    """
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0, z) / (1 + z)


def temporal_affine_forward(x, w, b):
    """The same affine map applied at every time step: out[:, t] = x[:, t] w + b.

    Inputs:
    - x: (N, T, D) inputs.
    - w: (D, M) weights.
    - b: (M,) biases.

    Returns a tuple of:
    - out: (N, T, M) outputs.
    - cache: (x, w), for `temporal_affine_backward`.
    """
    if x.ndim != 3 or x.shape[2] != w.shape[0]:
        raise ValueError(
            f"temporal_affine_forward expects x of shape (N, T, D) with "
            f"D = w.shape[0] = {w.shape[0]}; got x of shape {x.shape}."
        )
    N, T, D = x.shape
    M = w.shape[1]
    out = (x.reshape(N * T, D) @ w + b).reshape(N, T, M)  # (N, T, M)
    return out, (x, w)


def temporal_affine_backward(dout, cache):
    """Backward pass of `temporal_affine_forward`.

    Inputs:
    - dout: (N, T, M) upstream gradient.
    - cache: the cache of `temporal_affine_forward`.

    Returns a tuple of:
    - dx: (N, T, D) gradient with respect to x.
    - dw: (D, M) gradient with respect to w.
    - db: (M,) gradient with respect to b.
    """
    x, w = cache
    N, T, D = x.shape
    M = w.shape[1]
    dout_flat = dout.reshape(N * T, M)  # (N*T, M)
    dx = (dout_flat @ w.T).reshape(N, T, D)  # (N, T, D)
    dw = x.reshape(N * T, D).T @ dout_flat  # (D, M)
    db = dout_flat.sum(axis=0)  # (M,)
    return dx, dw, db


def temporal_softmax_loss(x, y, mask, verbose=False):
    """Softmax cross-entropy at every time step, summed over time, averaged over N.

    loss = -(1 / N) * sum over n, t with mask[n, t] of log softmax(x[n, t])[y[n, t]].
    Positions where the mask is False (the <NULL> padding after a caption ends)
    contribute neither to the loss nor to the gradient.

    Inputs:
    - x: (N, T, V) scores.
    - y: (N, T) integer targets, each in [0, V).
    - mask: (N, T) booleans, True where the target counts.
    - verbose: if True, print the shape of the flattened gradient.

    Returns a tuple of:
    - loss: scalar loss.
    - dx: (N, T, V) gradient of the loss with respect to x.
    """
    if x.ndim != 3 or y.shape != x.shape[:2] or mask.shape != x.shape[:2]:
        raise ValueError(
            f"temporal_softmax_loss expects scores x of shape (N, T, V) and y, mask "
            f"of shape (N, T); got x {x.shape}, y {y.shape}, mask {mask.shape}."
        )
    N, T, V = x.shape
    x_flat = x.reshape(N * T, V)  # (N*T, V)
    y_flat = y.reshape(N * T)  # (N*T,)
    mask_flat = mask.reshape(N * T)  # (N*T,)
    rows = np.arange(N * T)

    # 1. Log-probabilities; shifting by the row maximum keeps exp from overflowing.
    shifted = x_flat - x_flat.max(axis=1, keepdims=True)  # (N*T, V)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))

    # 2. Loss: negative log-likelihood of the targets at the unmasked positions.
    loss = -np.sum(mask_flat * log_probs[rows, y_flat]) / N

    # 3. Gradient: (softmax - one_hot(y)) / N at the unmasked positions, 0 elsewhere.
    dx_flat = np.exp(log_probs)  # (N*T, V)
    dx_flat[rows, y_flat] -= 1
    dx_flat *= mask_flat[:, None] / N
    if verbose:
        print(f"dx_flat: {dx_flat.shape}")
    dx = dx_flat.reshape(N, T, V)  # (N, T, V)
    return loss, dx


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    """One time step of a vanilla RNN: next_h = tanh(x Wx + prev_h Wh + b).

    Inputs:
    - x: (N, D) inputs at this time step.
    - prev_h: (N, H) hidden state of the previous time step.
    - Wx: (D, H) input-to-hidden weights.
    - Wh: (H, H) hidden-to-hidden weights.
    - b: (H,) biases.

    Returns a tuple of:
    - next_h: (N, H) next hidden state.
    - cache: whatever `rnn_step_backward` needs. Hint: the derivative of tanh
      can be written with tanh's output alone, tanh'(a) = 1 - tanh(a)**2, so
      keeping next_h saves recomputing it.
    """
    raise NotImplementedError(
        'rnn_step_forward is an exercise: write it in its cell in RNN_Captioning.ipynb and run that cell.'
    )
    return next_h, cache


def rnn_step_backward(dnext_h, cache):
    """Backward pass of one vanilla RNN time step.

    Inputs:
    - dnext_h: (N, H) gradient of the loss with respect to next_h.
    - cache: the cache of `rnn_step_forward`.

    Returns a tuple of:
    - dx: (N, D) gradient with respect to x.
    - dprev_h: (N, H) gradient with respect to prev_h.
    - dWx: (D, H) gradient with respect to Wx.
    - dWh: (H, H) gradient with respect to Wh.
    - db: (H,) gradient with respect to b.
    """
    raise NotImplementedError(
        'rnn_step_backward is an exercise: write it in its cell in RNN_Captioning.ipynb and run that cell.'
    )
    return dx, dprev_h, dWx, dWh, db


def rnn_forward(x, h0, Wx, Wh, b):
    """A vanilla RNN over a whole sequence, one `rnn_step_forward` per step.

    Inputs:
    - x: (N, T, D) input sequence.
    - h0: (N, H) initial hidden state.
    - Wx: (D, H) input-to-hidden weights.
    - Wh: (H, H) hidden-to-hidden weights.
    - b: (H,) biases.

    Returns a tuple of:
    - h: (N, T, H) hidden states of all time steps; h[:, t] is the state after
      reading x[:, t].
    - cache: whatever `rnn_backward` needs, for example the cache of every
      step together with the parameters.
    """
    D, H = Wx.shape[0], Wh.shape[0]
    if x.ndim != 3 or x.shape[2] != D or h0.shape != (len(x), H):
        raise ValueError(
            f"rnn_forward expects x of shape (N, T, D={D}) and h0 of shape "
            f"(N, H={H}); got x {x.shape} and h0 {h0.shape}."
        )
    raise NotImplementedError(
        'rnn_forward is an exercise: write it in its cell in RNN_Captioning.ipynb and run that cell.'
    )
    return h, cache


def rnn_backward(dh, cache):
    """Backward pass of `rnn_forward`, one `rnn_step_backward` per step.

    Inputs:
    - dh: (N, T, H) upstream gradient of every hidden state (for example from
      the scores computed at every step), not only of the last one.
    - cache: the cache of `rnn_forward`.

    Returns a tuple of:
    - dx: (N, T, D) gradient with respect to x.
    - dh0: (N, H) gradient with respect to h0.
    - dWx: (D, H) gradient with respect to Wx.
    - dWh: (H, H) gradient with respect to Wh.
    - db: (H,) gradient with respect to b.

    Hint: walk backwards in time. The gradient reaching h[:, t] is dh[:, t]
    plus what flows back from step t + 1; the weights are shared by all
    steps, so their gradients add up.
    """
    raise NotImplementedError(
        'rnn_backward is an exercise: write it in its cell in RNN_Captioning.ipynb and run that cell.'
    )
    return dx, dh0, dWx, dWh, db


def word_embedding_forward(x, W):
    """Look up the vector of every word: out[n, t] = W[x[n, t]].

    Inputs:
    - x: (N, T) integer word indices, each in [0, V).
    - W: (V, D) word vectors, one row per word of the vocabulary.

    Returns a tuple of:
    - out: (N, T, D) word vectors of the input words.
    - cache: whatever `word_embedding_backward` needs.
    """
    if not np.issubdtype(x.dtype, np.integer):
        raise TypeError(
            f"word_embedding_forward expects integer word indices x, got "
            f"dtype {x.dtype}; convert with x.astype(int)."
        )
    raise NotImplementedError(
        'word_embedding_forward is an exercise: write it in its cell in RNN_Captioning.ipynb and run that cell.'
    )
    return out, cache


def word_embedding_backward(dout, cache):
    """Backward pass of `word_embedding_forward`.

    Inputs:
    - dout: (N, T, D) upstream gradient of the word vectors.
    - cache: the cache of `word_embedding_forward`.

    Returns:
    - dW: (V, D) gradient with respect to W. A word that occurs several times
      collects the gradient of every occurrence. Hint: with repeated indices,
      fancy-indexed `+=` adds only once; look up np.add.at.
    """
    raise NotImplementedError(
        'word_embedding_backward is an exercise: write it in its cell in RNN_Captioning.ipynb and run that cell.'
    )
    return dW


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    """One time step of an LSTM.

    The 4H columns of the weights hold four gates in the order input i,
    forget f, output o, block input g:
        a = x Wx + prev_h Wh + b                                   (N, 4H)
        i, f, o = sigmoid of a[:, :H], a[:, H:2H], a[:, 2H:3H]
        g = tanh(a[:, 3H:])
        next_c = f * prev_c + i * g
        next_h = o * tanh(next_c)

    Inputs:
    - x: (N, D) inputs at this time step.
    - prev_h: (N, H) previous hidden state.
    - prev_c: (N, H) previous cell state.
    - Wx: (D, 4H) input-to-hidden weights.
    - Wh: (H, 4H) hidden-to-hidden weights.
    - b: (4H,) biases.

    Returns a tuple of:
    - next_h: (N, H) next hidden state.
    - next_c: (N, H) next cell state.
    - cache: whatever `lstm_step_backward` needs. Use the module's `sigmoid`,
      which does not overflow for large negative inputs.
    """
    raise NotImplementedError(
        'lstm_step_forward is an exercise: write it in its cell in LSTM_Captioning.ipynb and run that cell.'
    )
    return next_h, next_c, cache


def lstm_step_backward(dnext_h, dnext_c, cache):
    """Backward pass of one LSTM time step.

    Inputs:
    - dnext_h: (N, H) gradient of the loss with respect to next_h.
    - dnext_c: (N, H) gradient of the loss with respect to next_c.
    - cache: the cache of `lstm_step_forward`.

    Returns a tuple of:
    - dx: (N, D) gradient with respect to x.
    - dprev_h: (N, H) gradient with respect to prev_h.
    - dprev_c: (N, H) gradient with respect to prev_c.
    - dWx: (D, 4H) gradient with respect to Wx.
    - dWh: (H, 4H) gradient with respect to Wh.
    - db: (4H,) gradient with respect to b.

    Hint: next_c reaches the loss twice, directly and through next_h; add
    both. sigmoid'(a) = s (1 - s) and tanh'(a) = 1 - tanh(a)**2.
    """
    raise NotImplementedError(
        'lstm_step_backward is an exercise: write it in its cell in LSTM_Captioning.ipynb and run that cell.'
    )
    return dx, dprev_h, dprev_c, dWx, dWh, db


def lstm_forward(x, h0, Wx, Wh, b):
    """An LSTM run over a whole sequence, one `lstm_step_forward` per step.

    The initial cell state is zero; cell states are not returned.

    Inputs:
    - x: (N, T, D) input sequence.
    - h0: (N, H) initial hidden state.
    - Wx: (D, 4H) input-to-hidden weights.
    - Wh: (H, 4H) hidden-to-hidden weights.
    - b: (4H,) biases.

    Returns a tuple of:
    - h: (N, T, H) hidden states of all time steps.
    - cache: whatever `lstm_backward` needs.
    """
    D, H = Wx.shape[0], Wh.shape[0]
    if x.ndim != 3 or x.shape[2] != D or h0.shape != (len(x), H):
        raise ValueError(
            f"lstm_forward expects x of shape (N, T, D={D}) and h0 of shape "
            f"(N, H={H}); got x {x.shape} and h0 {h0.shape}."
        )
    raise NotImplementedError(
        'lstm_forward is an exercise: write it in its cell in LSTM_Captioning.ipynb and run that cell.'
    )
    return h, cache


def lstm_backward(dh, cache):
    """Backward pass of `lstm_forward`, one `lstm_step_backward` per step.

    Inputs:
    - dh: (N, T, H) upstream gradient of every hidden state.
    - cache: the cache of `lstm_forward`.

    Returns a tuple of:
    - dx: (N, T, D) gradient with respect to x.
    - dh0: (N, H) gradient with respect to h0.
    - dWx: (D, 4H) gradient with respect to Wx.
    - dWh: (H, 4H) gradient with respect to Wh.
    - db: (4H,) gradient with respect to b.

    Hint: as in `rnn_backward`, plus a cell-state gradient that flows back
    from step to step; no gradient reaches the last cell state from outside.
    """
    raise NotImplementedError(
        'lstm_backward is an exercise: write it in its cell in LSTM_Captioning.ipynb and run that cell.'
    )
    return dx, dh0, dWx, dWh, db
