"""First-order update rules for NumPy parameters.

Every rule has the signature

    next_w, config = update(w, dw, config)

- w: the current parameters, an array of any shape.
- dw: the gradient of the loss with respect to w, of the same shape.
- config: a dict of hyper-parameters and of the rule's running state (momentum,
  moving averages, step count). Missing hyper-parameters get their defaults; pass the
  returned config back in at the next step. None means an empty config.

Solvers find a rule by its name in this module, so the public functions here are
exactly the available rules.
"""

import numpy as np


def sgd(w, dw, config=None):
    """Plain stochastic gradient descent: w <- w - learning_rate * dw.

    config:
    - learning_rate: step size (default 1e-2).
    """
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)

    next_w = w - config["learning_rate"] * dw
    return next_w, config


def sgd_momentum(w, dw, config=None):
    """Stochastic gradient descent with momentum.

        v <- momentum * v - learning_rate * dw
        w <- w + v

    config:
    - learning_rate: step size (default 1e-2).
    - momentum: in [0, 1); 0 is plain SGD (default 0.9).
    - velocity: v, zeros at the first step.
    """
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))

    v = config["momentum"] * v - config["learning_rate"] * dw
    next_w = w + v

    config["velocity"] = v
    return next_w, config


def rmsprop(w, dw, config=None):
    """RMSProp: steps scaled by a moving average of squared gradients.

        cache <- decay_rate * cache + (1 - decay_rate) * dw**2
        w <- w - learning_rate * dw / (sqrt(cache) + epsilon)

    (Tieleman and Hinton, Coursera "Neural Networks for Machine Learning",
    lecture 6.5, 2012.)

    config:
    - learning_rate: step size (default 1e-2).
    - decay_rate: weight of the past in the moving average (default 0.99).
    - epsilon: keeps the division finite (default 1e-8).
    - cache: the moving average, zeros at the first step.
    """
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("cache", np.zeros_like(w))

    decay = config["decay_rate"]
    config["cache"] = decay * config["cache"] + (1 - decay) * dw**2
    step = dw / (np.sqrt(config["cache"]) + config["epsilon"])
    next_w = w - config["learning_rate"] * step
    return next_w, config


def adam(w, dw, config=None):
    """Adam: momentum and RMSProp-style scaling, with bias-corrected averages.

        t <- t + 1
        m <- beta1 * m + (1 - beta1) * dw
        v <- beta2 * v + (1 - beta2) * dw**2
        m_hat = m / (1 - beta1**t),  v_hat = v / (1 - beta2**t)
        w <- w - learning_rate * m_hat / (sqrt(v_hat) + epsilon)

    (Kingma and Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015,
    Algorithm 1.) The step count is incremented before it is used, so the first
    step divides by 1 - beta1 and 1 - beta2.

    config:
    - learning_rate: step size (default 1e-3).
    - beta1: decay of the moving average of the gradient (default 0.9).
    - beta2: decay of the moving average of its square (default 0.999).
    - epsilon: keeps the division finite (default 1e-8).
    - m, v: the moving averages, zeros at the first step.
    - t: the number of steps taken, 0 at the first step.
    """
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)
    beta1, beta2 = config["beta1"], config["beta2"]

    # 1. Count the step.
    config["t"] += 1
    t = config["t"]

    # 2. Moving averages of the gradient and of its square.
    config["m"] = beta1 * config["m"] + (1 - beta1) * dw
    config["v"] = beta2 * config["v"] + (1 - beta2) * dw**2

    # 3. Bias correction: both averages start at zero.
    m_hat = config["m"] / (1 - beta1**t)
    v_hat = config["v"] / (1 - beta2**t)

    # 4. Step.
    next_w = w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])
    return next_w, config
