"""Graders of Generative_Adversarial_Networks.ipynb: one function per test cell.

Every check runs the student's function with the other exercises replaced by the
private reference copies (so one mistake costs points in one cell), on inputs and
sizes drawn for the student being graded, and compares with formulas computed here
independently: parameter counts summed layer by layer, losses in NumPy and their
gradients in closed form, the min-max game through autograd. PyTorch's global
random state is saved and restored around each check, so grading leaves the
notebook's random numbers alone.
"""

import math

import numpy as np
import torch
import torch.nn as nn

from .core import Outcome, compare, grade, reference, rng, submitted, substituted

ref = reference("course_lib.gan_pytorch")
GAN = "course_lib.gan_pytorch."

# Every exercise and helper an exercise may call by its bare name.
NAMES = (
    "sample_noise",
    "discriminator",
    "generator",
    "bce_loss",
    "discriminator_loss",
    "generator_loss",
    "ls_discriminator_loss",
    "ls_generator_loss",
    "get_optimizer",
    "build_dc_classifier",
    "build_dc_generator",
    "alternating_gradient_steps",
    "Flatten",
    "Unflatten",
    "initialize_weights",
    "count_params",
)
# Modules that only reshape (the kit's or PyTorch's); architectures may use either.
RESHAPES = ("Flatten", "Unflatten")


def _isolated(fn):
    """Reference versions of everything `fn` may call by its bare name."""
    return substituted(fn, **{name: getattr(ref.gan_pytorch, name) for name in NAMES})


def _checked(student_key, body):
    """A check thunk: fetch the student's function, then run `body(fn)` isolated,
    with PyTorch's random state restored afterwards."""

    def thunk():
        fn = submitted(GAN + student_key)
        with torch.random.fork_rng(devices=[]), _isolated(fn):
            return body(fn)

    return thunk


# ---------------------------------------------------------------------------
# Independent parameter counts and architectures


def _linear(n_in, n_out):
    return n_in * n_out + n_out


def _conv(c_in, c_out, k):
    return c_in * c_out * k * k + c_out


def _batch_norm(c):
    return 2 * c  # a scale and a shift per channel


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def _layers(model):
    """(name, settings) of the model's leaf modules, in order, reshapes left out."""
    leaves = [m for m in model.modules() if not list(m.children())]
    described = []
    for m in leaves:
        name = type(m).__name__
        if name in RESHAPES:
            continue
        if isinstance(m, nn.Linear):
            settings = (m.in_features, m.out_features, m.bias is not None)
        elif isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            settings = (
                m.in_channels,
                m.out_channels,
                tuple(m.kernel_size),
                tuple(m.stride),
                tuple(m.padding),
                m.bias is not None,
            )
        elif isinstance(m, nn.LeakyReLU):
            settings = (round(float(m.negative_slope), 6),)
        elif isinstance(m, nn.MaxPool2d):
            settings = (_pair(m.kernel_size), _pair(m.stride or m.kernel_size))
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            settings = (m.num_features,)
        else:
            settings = ()
        described.append((name, settings))
    return described


def _describe(layer):
    name, settings = layer
    return f"{name}{settings}" if settings else name


def _layer_outcome(what, model, expected):
    got = _layers(model)
    if got == expected:
        return Outcome(True, f"{what}: layers and their settings as specified")
    for i, (a, b) in enumerate(zip(got, expected)):
        if a != b:
            return Outcome(
                False,
                f"{what}: layer {i + 1} (not counting reshapes) is {_describe(a)}; "
                f"the architecture asks for {_describe(b)} there",
            )
    return Outcome(
        False,
        f"{what}: {len(got)} layers (not counting reshapes); expected {len(expected)}",
    )


def _count_outcome(what, model, expected):
    if not isinstance(model, nn.Module):
        return Outcome(False, f"{what}: got a {type(model).__name__}, not an nn.Module")
    count = sum(p.numel() for p in model.parameters())
    wrong = "" if count == expected else ", not the count of the specified layers"
    return Outcome(count == expected, f"{what}: {count} parameters{wrong}")


def _shape_outcome(what, out, shape):
    got = tuple(out.shape) if torch.is_tensor(out) else None
    return Outcome(
        got == shape,
        f"{what}: output shape {got}" + ("" if got == shape else f", expected {shape}"),
    )


LEAKY = ("LeakyReLU", (0.01,))


def _discriminator_layers():
    return [
        ("Linear", (784, 256, True)),
        LEAKY,
        ("Linear", (256, 256, True)),
        LEAKY,
        ("Linear", (256, 1, True)),
    ]


def _generator_layers(noise_dim):
    return [
        ("Linear", (noise_dim, 1024, True)),
        ("ReLU", ()),
        ("Linear", (1024, 1024, True)),
        ("ReLU", ()),
        ("Linear", (1024, 784, True)),
        ("Tanh", ()),
    ]


def _dc_classifier_layers():
    pool = ("MaxPool2d", ((2, 2), (2, 2)))
    return [
        ("Conv2d", (1, 32, (5, 5), (1, 1), (0, 0), True)),
        LEAKY,
        pool,
        ("Conv2d", (32, 64, (5, 5), (1, 1), (0, 0), True)),
        LEAKY,
        pool,
        ("Linear", (1024, 1024, True)),
        LEAKY,
        ("Linear", (1024, 1, True)),
    ]


def _dc_generator_layers(noise_dim):
    return [
        ("Linear", (noise_dim, 1024, True)),
        ("ReLU", ()),
        ("BatchNorm1d", (1024,)),
        ("Linear", (1024, 6272, True)),
        ("ReLU", ()),
        ("BatchNorm1d", (6272,)),
        ("ConvTranspose2d", (128, 64, (4, 4), (2, 2), (1, 1), True)),
        ("ReLU", ()),
        ("BatchNorm2d", (64,)),
        ("ConvTranspose2d", (64, 1, (4, 4), (2, 2), (1, 1), True)),
        ("Tanh", ()),
    ]


# ---------------------------------------------------------------------------
# Noise


def sample_noise(points):
    def shape(fn):
        r = rng("sample_noise/shape")
        outcomes = []
        for _ in range(2):
            N, dim = (int(v) for v in r.integers(1, 40, size=2))
            z = fn(N, dim)
            if not torch.is_tensor(z):
                kind = type(z).__name__
                outcomes.append(Outcome(False, f"returns a {kind}, not a tensor"))
                continue
            dtype = torch.get_default_dtype()
            ok = tuple(z.shape) == (N, dim) and z.dtype == dtype
            message = f"sample_noise({N}, {dim}): shape {tuple(z.shape)}, "
            message += f"dtype {z.dtype}"
            if not ok:
                message += f"; expected ({N}, {dim}) and {dtype}"
            outcomes.append(Outcome(ok, message))
        return outcomes

    def distribution(fn):
        z = fn(400, 50)
        values = np.asarray(z.detach().cpu(), dtype=np.float64).ravel()  # 20,000 draws
        inside = values.min() >= -1 and values.max() <= 1
        spread = values.min() < -0.97 and values.max() > 0.97
        shares = np.histogram(values, bins=10, range=(-1, 1))[0] / values.size
        even = np.all(np.abs(shares - 0.1) < 0.02)
        return [
            Outcome(
                inside,
                "every value lies in [-1, 1]"
                if inside
                else "some values lie outside [-1, 1]",
            ),
            Outcome(
                spread,
                "values reach close to both -1 and 1"
                if spread
                else "the values do not cover all of (-1, 1)",
            ),
            Outcome(
                even,
                "each tenth of (-1, 1) holds about a tenth of the values"
                if even
                else "the values are not spread evenly over (-1, 1): "
                "draw them uniformly",
            ),
        ]

    def seeded(fn):
        seed = int(rng("sample_noise/seed").integers(1000))
        first, again = fn(5, 7, seed=seed), fn(5, 7, seed=seed)
        other = fn(5, 7, seed=seed + 1)
        same = torch.equal(first, again)
        differ = not torch.equal(first, other)
        return [
            Outcome(
                same,
                "the same seed gives the same noise"
                if same
                else "the same seed gives different noise: draw with PyTorch's "
                "generator",
            ),
            Outcome(
                differ,
                "different seeds give different noise"
                if differ
                else "different seeds give the same noise",
            ),
        ]

    return grade(
        "sample_noise",
        points,
        [
            ("shape and dtype", 1, _checked("sample_noise", shape)),
            ("uniform on (-1, 1)", 2, _checked("sample_noise", distribution)),
            ("seed", 1, _checked("sample_noise", seeded)),
        ],
    )


# ---------------------------------------------------------------------------
# Fully connected networks


def discriminator(points):
    expected = _linear(784, 256) + _linear(256, 256) + _linear(256, 1)

    def count(fn):
        return _count_outcome("discriminator()", fn(), expected)

    def layers(fn):
        return _layer_outcome("discriminator()", fn(), _discriminator_layers())

    def output(fn):
        N = int(rng("discriminator/N").integers(2, 20))
        model = fn()
        flat = model(torch.rand(N, 784))
        square = model(torch.rand(N, 1, 28, 28))
        return [
            _shape_outcome(f"discriminator on ({N}, 784) images", flat, (N, 1)),
            _shape_outcome(f"discriminator on ({N}, 1, 28, 28) images", square, (N, 1)),
        ]

    return grade(
        "discriminator",
        points,
        [
            ("parameter count", 1, _checked("discriminator", count)),
            ("layers", 2, _checked("discriminator", layers)),
            ("output shape", 1, _checked("discriminator", output)),
        ],
    )


def generator(points):
    noise_dim = int(rng("generator/noise_dim").integers(2, 128))
    N = int(rng("generator/N").integers(2, 20))
    expected = _linear(noise_dim, 1024) + _linear(1024, 1024) + _linear(1024, 784)

    def count(fn):
        return _count_outcome(f"generator({noise_dim})", fn(noise_dim), expected)

    def layers(fn):
        return _layer_outcome(
            f"generator({noise_dim})", fn(noise_dim), _generator_layers(noise_dim)
        )

    def output(fn):
        images = fn(noise_dim)(torch.rand(N, noise_dim) * 2 - 1)
        in_range = torch.is_tensor(images) and bool(images.abs().max() <= 1)
        return [
            _shape_outcome(
                f"generator({noise_dim}) on ({N}, {noise_dim}) noise", images, (N, 784)
            ),
            Outcome(
                in_range,
                "pixels lie in [-1, 1]"
                if in_range
                else "pixels leave [-1, 1]: end with a Tanh",
            ),
        ]

    return grade(
        "generator",
        points,
        [
            ("parameter count", 1, _checked("generator", count)),
            ("layers", 2, _checked("generator", layers)),
            ("output", 1, _checked("generator", output)),
        ],
    )


# ---------------------------------------------------------------------------
# Losses, against closed forms in NumPy


def _softplus(x):
    return np.logaddexp(0.0, x)  # log(1 + e^x), without overflow


def _sigmoid(x):
    return 0.5 * (1 + np.tanh(0.5 * x))


def _logits(label, scale=3.0):
    """Two (N, 1) float32 logit tensors that need gradients, their float64 values,
    and N."""
    r = rng(label)
    N = int(r.integers(3, 40))
    real = (r.standard_normal((N, 1)) * scale + 1).astype(np.float32)
    fake = (r.standard_normal((N, 1)) * scale - 1).astype(np.float32)
    tensors = [torch.tensor(a, requires_grad=True) for a in (real, fake)]
    return tensors, [a.astype(np.float64) for a in (real, fake)], N


def _scalar(name, loss):
    """The loss as a float, or an Outcome saying why it is not a scalar tensor."""
    if not torch.is_tensor(loss):
        return Outcome(False, f"{name} is a {type(loss).__name__}, not a tensor")
    if loss.numel() != 1:
        return Outcome(
            False,
            f"{name} has shape {tuple(loss.shape)}; expected one "
            f"number (average over the minibatch)",
        )
    return float(loss.detach())


def _value_outcome(name, loss, expected):
    value = _scalar(name, loss)
    if isinstance(value, Outcome):
        return value
    return compare(name, value, expected, 1e-5)


def _gradient_outcomes(name, loss, inputs):
    """Outcomes comparing d loss / d input (autograd through the student's loss)
    with the closed-form gradients, one per (input name, tensor, expected)."""
    if not torch.is_tensor(loss) or loss.grad_fn is None:
        return [
            Outcome(
                False,
                f"{name} does not depend on {what} through autograd: no "
                f"gradient reaches it (a .detach(), .item() or NumPy "
                f"round trip cuts the graph)",
            )
            for what, _, _ in inputs
        ]
    tensors = [t for _, t, _ in inputs]
    grads = torch.autograd.grad(loss.sum(), tensors, allow_unused=True)
    outcomes = []
    for (what, _, want), got in zip(inputs, grads):
        if got is None:
            outcomes.append(Outcome(False, f"no gradient of {name} reaches {what}"))
        else:
            # float32 autograd against float64 formulas: 1e-3 (a wrong formula errs by ~1).
            outcomes.append(compare(f"d {name} / d {what}", got.numpy(), want, 1e-3))
    return outcomes


def discriminator_loss(points):
    def value(fn):
        outcomes = []
        for trial in range(2):
            (real, fake), (r, f), N = _logits(f"discriminator_loss/{trial}")
            expected = np.mean(_softplus(-r)) + np.mean(_softplus(f))
            loss = fn(real, fake)
            what = f"discriminator loss (N={N})"
            outcomes.append(_value_outcome(what, loss, expected))
        return outcomes

    def gradients(fn):
        (real, fake), (r, f), N = _logits("discriminator_loss/gradients")
        return _gradient_outcomes(
            "the discriminator loss",
            fn(real, fake),
            [
                ("logits_real", real, -_sigmoid(-r) / N),  # real images labelled 1
                ("logits_fake", fake, _sigmoid(f) / N),  # generated images labelled 0
            ],
        )

    return grade(
        "discriminator_loss",
        points,
        [
            ("value", 2, _checked("discriminator_loss", value)),
            ("gradients", 1, _checked("discriminator_loss", gradients)),
        ],
    )


def _tiny_gan(label):
    """A small generator and the reference discriminator, seeded for the student."""
    seed = int(rng(label).integers(2**31))
    torch.manual_seed(seed)
    noise_dim = 8
    # In float64, so that the two ways of computing a gradient agree to 1e-10.
    G = nn.Sequential(nn.Linear(noise_dim, 784), nn.Tanh()).double()
    D = ref.gan_pytorch.discriminator(seed=seed).double()
    z = torch.rand(6, noise_dim, dtype=torch.float64) * 2 - 1
    return G, D, z


def generator_loss(points):
    def value(fn):
        outcomes = []
        for trial in range(2):
            (_, fake), (_, f), N = _logits(f"generator_loss/{trial}")
            outcomes.append(
                _value_outcome(
                    f"generator loss (N={N})", fn(fake), np.mean(_softplus(-f))
                )
            )
        return outcomes

    def gradients(fn):
        (_, fake), (_, f), N = _logits("generator_loss/gradients")
        return _gradient_outcomes(
            "the generator loss",
            fn(fake),
            [
                ("logits_fake", fake, -_sigmoid(-f) / N),  # generated images labelled 1
            ],
        )

    def reaches_generator(fn):
        G, D, z = _tiny_gan("generator_loss/path")
        loss = fn(D(G(z)))
        if not torch.is_tensor(loss) or loss.grad_fn is None:
            return Outcome(
                False,
                "generator_loss(D(G(z))) gives no gradient to the "
                "generator's weights: keep the logits in the graph",
            )
        got = torch.autograd.grad(loss.sum(), list(G.parameters()), allow_unused=True)
        want = torch.autograd.grad(
            ref.gan_pytorch.generator_loss(D(G(z))), list(G.parameters())
        )
        if any(g is None for g in got):
            return Outcome(False, "some of the generator's weights get no gradient")
        return [
            compare(f"gradient of the generator's {name}", g.numpy(), w.numpy(), 1e-6)
            for name, g, w in zip(("weights", "biases"), got, want)
        ]

    return grade(
        "generator_loss",
        points,
        [
            ("value", 2, _checked("generator_loss", value)),
            ("gradients", 1, _checked("generator_loss", gradients)),
            ("gradient reaches G", 1, _checked("generator_loss", reaches_generator)),
        ],
    )


def ls_losses(points):
    def d_value(fn):
        outcomes = []
        for trial in range(2):
            (real, fake), (r, f), N = _logits(f"ls_discriminator_loss/{trial}")
            expected = 0.5 * np.mean((r - 1) ** 2) + 0.5 * np.mean(f**2)
            outcomes.append(
                _value_outcome(
                    f"least squares discriminator loss (N={N})",
                    fn(real, fake),
                    expected,
                )
            )
        return outcomes

    def d_gradients(fn):
        (real, fake), (r, f), N = _logits("ls_discriminator_loss/gradients")
        loss = fn(real, fake)
        return _gradient_outcomes(
            "the least squares discriminator loss",
            loss,
            [
                ("scores_real", real, (r - 1) / N),
                ("scores_fake", fake, f / N),
            ],
        )

    def g_value(fn):
        outcomes = []
        for trial in range(2):
            (_, fake), (_, f), N = _logits(f"ls_generator_loss/{trial}")
            outcomes.append(
                _value_outcome(
                    f"least squares generator loss (N={N})",
                    fn(fake),
                    0.5 * np.mean((f - 1) ** 2),
                )
            )
        return outcomes

    def g_gradients(fn):
        (_, fake), (_, f), N = _logits("ls_generator_loss/gradients")
        return _gradient_outcomes(
            "the least squares generator loss",
            fn(fake),
            [
                ("scores_fake", fake, (f - 1) / N),
            ],
        )

    return grade(
        "least squares losses",
        points,
        [
            ("discriminator value", 2, _checked("ls_discriminator_loss", d_value)),
            (
                "discriminator gradients",
                1,
                _checked("ls_discriminator_loss", d_gradients),
            ),
            ("generator value", 2, _checked("ls_generator_loss", g_value)),
            ("generator gradients", 1, _checked("ls_generator_loss", g_gradients)),
        ],
    )


# ---------------------------------------------------------------------------
# Optimizer


def get_optimizer(points):
    def check(fn):
        r = rng("get_optimizer")
        sizes = [int(v) for v in r.integers(2, 9, size=3)]
        model = nn.Sequential(
            nn.Linear(sizes[0], sizes[1]), nn.ReLU(), nn.Linear(sizes[1], sizes[2])
        )
        optimizer = fn(model)
        if not isinstance(optimizer, torch.optim.Adam):
            kind = type(optimizer).__name__
            return Outcome(False, f"got a {kind}, not torch.optim.Adam")
        groups = optimizer.param_groups
        params = [p for group in groups for p in group["params"]]
        same = sorted(map(id, params)) == sorted(map(id, model.parameters()))
        rates = {float(group["lr"]) for group in groups}
        betas = {tuple(float(b) for b in group["betas"]) for group in groups}
        return [
            Outcome(True, "an Adam optimizer"),
            Outcome(
                same,
                "it updates every parameter of the model once"
                if same
                else "it does not update exactly the model's parameters",
            ),
            Outcome(
                rates == {1e-3},
                f"learning rate {sorted(rates)}"
                + ("" if rates == {1e-3} else ", expected 1e-3"),
            ),
            Outcome(
                betas == {(0.5, 0.999)},
                f"betas {sorted(betas)}"
                + ("" if betas == {(0.5, 0.999)} else ", expected (0.5, 0.999)"),
            ),
        ]

    return grade(
        "get_optimizer",
        points,
        [
            ("Adam settings", 1, _checked("get_optimizer", check)),
        ],
    )


# ---------------------------------------------------------------------------
# Convolutional networks


def dc_classifier(points):
    N = int(rng("dc_classifier/N").integers(2, 12))
    expected = (
        _conv(1, 32, 5) + _conv(32, 64, 5) + _linear(1024, 1024) + _linear(1024, 1)
    )

    def count(fn):
        return _count_outcome(f"build_dc_classifier({N})", fn(N), expected)

    def layers(fn):
        return _layer_outcome(
            f"build_dc_classifier({N})", fn(N), _dc_classifier_layers()
        )

    def output(fn):
        return _shape_outcome(
            f"build_dc_classifier({N}) on ({N}, 784) images",
            fn(N)(torch.rand(N, 784)),
            (N, 1),
        )

    return grade(
        "build_dc_classifier",
        points,
        [
            ("parameter count", 1, _checked("build_dc_classifier", count)),
            ("layers", 2, _checked("build_dc_classifier", layers)),
            ("output shape", 1, _checked("build_dc_classifier", output)),
        ],
    )


def _batch_norm_placement(model):
    """Outcome: three batch norms, each directly after a ReLU."""
    names = [name for name, _ in _layers(model)]
    norms = [i for i, name in enumerate(names) if name.startswith("BatchNorm")]
    if len(norms) != 3:
        return Outcome(False, f"{len(norms)} batch norm layers; the architecture has 3")
    misplaced = [i for i in norms if i == 0 or names[i - 1] != "ReLU"]
    if misplaced:
        return Outcome(
            False,
            "a batch norm layer comes before its ReLU (or "
            "elsewhere); here each one normalizes a ReLU's output",
        )
    return Outcome(True, "each batch norm normalizes the output of a ReLU")


def dc_generator(points):
    r = rng("dc_generator")
    noise_dim, N = int(r.integers(2, 100)), int(r.integers(2, 10))
    expected = (
        _linear(noise_dim, 1024)
        + _batch_norm(1024)
        + _linear(1024, 7 * 7 * 128)
        + _batch_norm(7 * 7 * 128)
        + _conv(128, 64, 4)
        + _batch_norm(64)
        + _conv(64, 1, 4)
    )

    def count(fn):
        return _count_outcome(
            f"build_dc_generator({noise_dim})", fn(noise_dim), expected
        )

    def layers(fn):
        return _layer_outcome(
            f"build_dc_generator({noise_dim})",
            fn(noise_dim),
            _dc_generator_layers(noise_dim),
        )

    def placement(fn):
        return _batch_norm_placement(fn(noise_dim))

    def output(fn):
        images = fn(noise_dim)(torch.rand(N, noise_dim) * 2 - 1)
        in_range = torch.is_tensor(images) and bool(images.abs().max() <= 1)
        return [
            _shape_outcome(
                f"build_dc_generator({noise_dim}) on ({N}, {noise_dim}) noise",
                images,
                (N, 784),
            ),
            Outcome(
                in_range,
                "pixels lie in [-1, 1]"
                if in_range
                else "pixels leave [-1, 1]: end with a Tanh",
            ),
        ]

    return grade(
        "build_dc_generator",
        points,
        [
            ("parameter count", 1, _checked("build_dc_generator", count)),
            ("layers", 2, _checked("build_dc_generator", layers)),
            ("batch norm placement", 1, _checked("build_dc_generator", placement)),
            ("output", 1, _checked("build_dc_generator", output)),
        ],
    )


# ---------------------------------------------------------------------------
# The min-max game of inline question 4


def _game(x0, y0, step_size, num_steps):
    """Alternating gradient steps on f(x, y) = x y, the gradients from autograd."""
    x = torch.tensor(float(x0), dtype=torch.float64, requires_grad=True)
    y = torch.tensor(float(y0), dtype=torch.float64, requires_grad=True)
    xs, ys = [x.item()], [y.item()]
    for _ in range(num_steps):
        (dy,) = torch.autograd.grad(x * y, y)
        y = (y + step_size * dy).detach().requires_grad_()  # y maximizes: ascent
        (dx,) = torch.autograd.grad(x * y, x)
        x = (x - step_size * dx).detach().requires_grad_()  # x minimizes: descent
        xs.append(x.item())
        ys.append(y.item())
    return xs, ys


def _game_outcomes(fn, x0, y0, step_size, num_steps):
    what = f"from ({x0:g}, {y0:g}) with step size {step_size:g}, {num_steps} steps"
    result = fn(x0, y0, step_size, num_steps)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        return [Outcome(False, f"{what}: return (x_values, y_values)")]
    want_x, want_y = _game(x0, y0, step_size, num_steps)
    outcomes = []
    pairs = (("x_values", result[0], want_x), ("y_values", result[1], want_y))
    for name, got, want in pairs:
        try:
            got = [float(v) for v in got]
        except (TypeError, ValueError):
            outcomes.append(Outcome(False, f"{name} {what}: not a list of numbers"))
            continue
        if len(got) != len(want):
            outcomes.append(
                Outcome(
                    False,
                    f"{name} {what}: {len(got)} values; "
                    f"expected {len(want)} (the start and one "
                    f"per step)",
                )
            )
            continue
        wrong = [
            t
            for t, (a, b) in enumerate(zip(got, want))
            if not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
        ]
        outcomes.append(
            Outcome(
                not wrong,
                f"{name} {what}"
                + ("" if not wrong else f": wrong from t = {wrong[0]} on"),
            )
        )
    return outcomes


def minimax_steps(points):
    def table(fn):
        return _game_outcomes(fn, 1.0, 1.0, 1.0, 6)

    def other_starts(fn):
        r = rng("minimax_steps")
        outcomes = []
        for _ in range(2):
            x0, y0 = (float(v) for v in np.round(r.uniform(-2, 2, size=2), 1))
            step_size = float(r.choice([0.1, 0.25, 0.5, 2.0]))
            outcomes += _game_outcomes(fn, x0, y0, step_size, int(r.integers(2, 9)))
        return outcomes

    return grade(
        "alternating_gradient_steps",
        points,
        [
            ("the table from (1, 1)", 2, _checked("alternating_gradient_steps", table)),
            (
                "other starts and step sizes",
                1,
                _checked("alternating_gradient_steps", other_starts),
            ),
        ],
    )
