"""Graders of Network_Visualization.ipynb: one function per test cell.

Each check builds small networks and inputs for the student being graded (shapes,
weights, labels and targets all come from `rng`), runs the student's function and
compares it with an independent autograd computation written here, or with the
formula the function implements. The three exercises do not call one another, so a
mistake in one costs points in its own cell only.

The networks are frozen, like the pretrained SqueezeNet of the notebook, and hold a
dropout layer in training mode: a function that forgets to switch the model to
evaluation mode gets noisy gradients and fails.
"""

import torch
from torch import nn

from .core import Outcome, compare, grade, reference, rng, submitted

ref = reference("course_lib.net_visualization_pytorch")
MODULE = "course_lib.net_visualization_pytorch."


def _seed(label):
    """A torch seed for `label`, different for every student."""
    return int(rng(label).integers(2**31))


def _small_model(label, C, H, W):
    """A random, frozen conv net (float64) mapping (N, 3, H, W) to (N, C) scores,
    left in training mode with a dropout layer."""
    torch.manual_seed(_seed(label))
    model = nn.Sequential(
        nn.Conv2d(3, 4, kernel_size=3, padding=1),
        nn.Tanh(),
        nn.Conv2d(4, 4, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.Flatten(),
        nn.Dropout(0.5),
        nn.Linear(4 * H * W, C),
    ).double()
    for param in model.parameters():
        param.requires_grad_(False)
    return model.train()


def _linear_model(label, C, H, W):
    """Frozen scores = A @ flatten(image) (float64): the gradient of score t with
    respect to the image is A[t], whatever the image."""
    torch.manual_seed(_seed(label))
    model = nn.Sequential(nn.Flatten(), nn.Linear(3 * H * W, C, bias=False)).double()
    for param in model.parameters():
        param.requires_grad_(False)
    return model


def _untouched(name, tensor, before):
    """Outcome: `tensor` still holds the values of `before` and needs no gradient."""
    if not torch.equal(tensor.detach(), before):
        return Outcome(False, f"{name} was modified: work on a copy (X.clone())")
    if tensor.requires_grad or tensor.grad is not None:
        return Outcome(
            False, f"{name} now requires or holds a gradient: differentiate a copy"
        )
    return Outcome(True, f"{name} left as it was")


def _model_untouched(model, before):
    """Outcome: the parameters kept their values, stayed frozen, hold no gradient."""
    for param, value in zip(model.parameters(), before):
        if not torch.equal(param.detach(), value):
            return Outcome(False, "the model's parameters changed")
        if param.requires_grad or param.grad is not None:
            return Outcome(
                False,
                "the model's parameters were unfrozen or hold gradients: "
                "differentiate with respect to the image only",
            )
    return Outcome(True, "the model's parameters left as they were")


# ---------------------------------------------------------------------------
# Saliency maps


def _expected_saliency(model, X, y):
    """|d s_y(X_i) / d X_i|, maximal over channels, one image at a time."""
    model.eval()
    maps = []
    for i in range(len(X)):
        x = X[i : i + 1].clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(model(x)[0, int(y[i])], x)  # (1, 3, H, W)
        maps.append(grad[0].abs().max(dim=0).values)  # (H, W)
    model.train()
    return torch.stack(maps)  # (N, H, W)


def saliency_maps(points):
    student = lambda: submitted(MODULE + "compute_saliency_maps")  # noqa: E731
    r = rng("saliency_maps")
    N, C = int(r.integers(3, 6)), int(r.integers(4, 8))
    H, W = (int(v) for v in r.integers(5, 9, size=2))
    model = _small_model("saliency_maps/model", C, H, W)
    X = torch.from_numpy(r.standard_normal((N, 3, H, W)))
    y = torch.from_numpy(r.integers(0, C, size=N))
    state = {}

    def values():
        X_in, before = X.clone(), [p.detach().clone() for p in model.parameters()]
        saliency = student()(X_in, y.clone(), model)
        state.update(X_in=X_in, before=before)
        expected = _expected_saliency(model, X, y)
        if not isinstance(saliency, torch.Tensor):
            return Outcome(False, "return the saliency maps as a torch tensor")
        return compare(
            f"saliency of {N} images of {H}x{W} pixels",
            saliency.detach().numpy(),
            expected.numpy(),
            1e-8,
        )

    def untouched():
        if not state:
            return Outcome(False, "no saliency maps to check")
        return [
            _untouched("the input X", state["X_in"], X),
            _model_untouched(model, state["before"]),
        ]

    return grade(
        "compute_saliency_maps",
        points,
        [("saliency", 3, values), ("inputs and model", 1, untouched)],
    )


# ---------------------------------------------------------------------------
# Fooling images


def _fooling_linear():
    """On a linear model the ascent is exactly k unit steps along A[t] / ||A[t]||."""
    r = rng("fooling/linear")
    C, H, W = int(r.integers(4, 8)), int(r.integers(4, 8)), int(r.integers(4, 8))
    model = _linear_model("fooling/linear/model", C, H, W)
    X = torch.from_numpy(r.standard_normal((1, 3, H, W)))
    with torch.no_grad():
        target = int(model(X)[0].argmin())
        direction = model[1].weight[target].view(1, 3, H, W)
        direction = direction / direction.norm()
        for k in range(101):
            expected = X + k * direction  # (1, 3, H, W)
            if model(expected).argmax(dim=1).item() == target:
                break
    fooled = submitted(MODULE + "make_fooling_image")(X.clone(), target, model)
    if not isinstance(fooled, torch.Tensor):
        return Outcome(False, "return the fooling image as a torch tensor")
    return compare(
        f"fooling image of a linear model ({k} unit steps)",
        fooled.detach().numpy(),
        expected.numpy(),
        1e-8,
    )


def _fooled(name, model, X, target, student):
    """Outcomes: the image fools the model, its change is no larger than the
    reference ascent's (plus a step), and X is untouched."""
    X_in = X.clone()
    fooled = student(X_in, target, model)
    if not isinstance(fooled, torch.Tensor):
        message = f"{name}: return the fooling image as a torch tensor"
        return [Outcome(False, message)], X_in
    want = ref.net_visualization_pytorch.make_fooling_image(X, target, model)
    model.eval()
    with torch.no_grad():
        predicted = int(model(fooled.detach()).argmax(dim=1).item())
        change = (fooled.detach() - X).norm().item()
        allowed = (want - X).norm().item() + 1.0
    if predicted == target:
        reached = Outcome(True, f"{name}: classified as the target")
    else:
        reached = Outcome(False, f"{name}: the model still predicts another class")
    if change <= allowed:
        small = Outcome(True, f"{name}: change of L2 norm {change:.1f}, small")
    else:
        small = Outcome(
            False,
            f"{name}: change of L2 norm {change:.1f}, larger than needed; take "
            "unit-length steps and stop as soon as the target is predicted",
        )
    outcomes = [reached, small]
    return outcomes, X_in


def fooling_image(points):
    student = lambda: submitted(MODULE + "make_fooling_image")  # noqa: E731
    inputs = []

    def small():
        r = rng("fooling/small")
        C, H, W = int(r.integers(4, 8)), int(r.integers(5, 9)), int(r.integers(5, 9))
        model = _small_model("fooling/small/model", C, H, W)
        X = torch.from_numpy(r.standard_normal((1, 3, H, W)))
        with torch.no_grad():
            model.eval()
            target = int(model(X)[0].argmin())
            model.train()
        outcomes, X_in = _fooled("a small network", model, X, target, student())
        inputs.append(("a small network", X_in, X))
        return outcomes

    def shipped():
        from course_lib.data_utils import load_imagenet_val
        from course_lib.image_preprocessing import preprocess
        from course_lib.squeezenet import load_pretrained

        r = rng("fooling/shipped")
        images, labels, _ = load_imagenet_val()
        model = load_pretrained()
        # 100 unit steps fool the shipped network on most (image, target)
        # pairs, not all: draw pairs until the reference fools it.
        for _ in range(8):
            i = int(r.integers(len(images)))
            target = int(labels[i]) + int(r.integers(1, model.num_classes))
            target %= model.num_classes
            X = preprocess(images[i])  # (1, 3, 64, 64)
            want = ref.net_visualization_pytorch.make_fooling_image(X, target, model)
            with torch.no_grad():
                if model(want).argmax(dim=1).item() == target:
                    break
        outcomes, X_in = _fooled(
            f"the shipped SqueezeNet, image {i}", model, X, target, student()
        )
        inputs.append(("the shipped SqueezeNet's input", X_in, X))
        return outcomes

    def untouched():
        if not inputs:
            return Outcome(False, "no fooling image to check")
        return [_untouched(f"the image given to {name}", X_in, X)
                for name, X_in, X in inputs]

    return grade(
        "make_fooling_image",
        points,
        [
            ("unit steps", 2, _fooling_linear),
            ("small network", 1, small),
            ("shipped network", 1, shipped),
            ("input image", 1, untouched),
        ],
    )


# ---------------------------------------------------------------------------
# Class visualization


def _expected_step(model, img, target, l2_reg, learning_rate):
    """I + lr * g / ||g|| with g the gradient of s_y(I) - l2_reg * ||I||^2."""
    x = img.detach().clone().requires_grad_(True)
    objective = model(x)[0, target] - l2_reg * (x * x).sum()
    (g,) = torch.autograd.grad(objective, x)
    return (x + learning_rate * g / g.norm()).detach()


def update_step(points):
    student = lambda: submitted(MODULE + "class_visualization_update_step")  # noqa
    r = rng("update_step")
    C, H, W = int(r.integers(4, 8)), int(r.integers(5, 9)), int(r.integers(5, 9))
    l2_reg = float(r.uniform(0.05, 0.2))
    learning_rate = float(r.uniform(0.5, 3.0))

    def steps(label, model):
        """Two successive steps on the same tensor, each against the formula."""
        target = int(r.integers(C))
        img = torch.from_numpy(r.standard_normal((1, 3, H, W))).requires_grad_(True)
        handle, outcomes = img, []
        expected = img.detach().clone()
        for k in (1, 2):
            expected = _expected_step(model, expected, target, l2_reg, learning_rate)
            result = student()(img, model, target, l2_reg, learning_rate)
            if result is not None and result is not img:
                return [Outcome(False, f"{label}: update img in place and return "
                                       "nothing; the image was returned instead")]
            outcomes.append(compare(f"{label}, image after step {k}",
                                    img.detach().numpy(), expected.numpy(), 1e-8))
        outcomes.append(
            Outcome(True, f"{label}: img still requires gradient, no stale gradient")
            if handle.requires_grad and (img.grad is None or not img.grad.any())
            else Outcome(False, f"{label}: img must keep requires_grad and hold no "
                                "gradient after a step (zero it, or use "
                                "torch.autograd.grad)")
        )
        return outcomes

    def linear():
        return steps("linear model", _linear_model("update_step/linear", C, H, W))

    def small():
        model = _small_model("update_step/small", C, H, W).eval()
        return steps("small network", model)

    return grade(
        "class_visualization_update_step",
        points,
        [("linear model", 1, linear), ("small network", 1, small)],
    )
