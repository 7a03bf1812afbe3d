import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from course_lib.data_utils import load_imagenet_val
from course_lib.image_preprocessing import SQUEEZENET_MEAN, SQUEEZENET_STD
from course_lib.net_visualization_pytorch import (
    class_visualization_update_step,
    compute_saliency_maps,
    create_class_visualization,
    make_fooling_image,
    preprocess,
)
from course_lib.shape_images import CLASS_NAMES
from course_lib.squeezenet import load_pretrained

N, C, H, W = 3, 5, 6, 7


@pytest.fixture
def small_model():
    """A random conv net with dropout and trainable parameters."""
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 4, kernel_size=3, padding=1),
        nn.Tanh(),
        nn.Flatten(),
        nn.Dropout(0.5),
        nn.Linear(4 * H * W, C),
    ).double()


@pytest.fixture
def linear_model():
    """scores = A @ flatten(image): the gradient of score t is A[t] everywhere."""
    torch.manual_seed(1)
    return nn.Sequential(nn.Flatten(), nn.Linear(3 * H * W, C, bias=False)).double()


@pytest.fixture(scope="module")
def shapes():
    X, y, _ = load_imagenet_val(num=4)
    X = torch.cat([preprocess(x) for x in X])  # (4, 3, 64, 64)
    return load_pretrained(), X, torch.from_numpy(y)


def test_saliency_is_the_max_abs_gradient_of_the_correct_score(small_model):
    X = torch.randn(N, 3, H, W, dtype=torch.float64)
    y = torch.tensor([4, 0, 2])
    X_before = X.clone()
    params_before = [p.clone() for p in small_model.parameters()]
    small_model.train()  # the function must switch dropout off

    saliency = compute_saliency_maps(X, y, small_model)

    # Reference: one image at a time, gradient of its own correct score.
    small_model.eval()
    expected = torch.empty(N, H, W, dtype=torch.float64)
    for i in range(N):
        x = X[i : i + 1].clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(small_model(x)[0, y[i]], x)
        expected[i] = grad[0].abs().max(dim=0).values
    assert saliency.shape == (N, H, W)
    torch.testing.assert_close(saliency, expected, rtol=1e-10, atol=1e-12)

    # A central difference confirms one pixel of image 1 independently of autograd.
    eps = 1e-6
    channel_grads = []
    for c in range(3):
        plus, minus = X.clone(), X.clone()
        plus[1, c, 2, 3] += eps
        minus[1, c, 2, 3] -= eps
        with torch.no_grad():
            diff = small_model(plus)[1, y[1]] - small_model(minus)[1, y[1]]
        channel_grads.append(abs(diff.item()) / (2 * eps))
    assert saliency[1, 2, 3].item() == pytest.approx(max(channel_grads), rel=1e-6)

    # Nothing else changed: inputs, parameters, parameter gradients.
    torch.testing.assert_close(X, X_before, rtol=0, atol=0)
    assert not X.requires_grad and X.grad is None
    for p, before in zip(small_model.parameters(), params_before):
        torch.testing.assert_close(p, before, rtol=0, atol=0)
        assert p.grad is None


def test_fooling_follows_normalized_steps_and_stops_at_the_target(linear_model):
    torch.manual_seed(2)
    X = torch.randn(1, 3, H, W, dtype=torch.float64)
    scores = linear_model(X)[0]
    target = int(scores.argmin())
    X_before = X.clone()

    X_fooling = make_fooling_image(X, target, linear_model)

    # Each step adds A[t] / ||A[t]||; the first image classified as t is returned.
    direction = linear_model[1].weight[target].detach().view(1, 3, H, W)
    direction = direction / direction.norm()
    for k in range(101):
        expected = X + k * direction
        if linear_model(expected).argmax(dim=1).item() == target:
            break
    else:
        pytest.fail("the test's model needs more than 100 steps")
    torch.testing.assert_close(X_fooling, expected, rtol=1e-10, atol=1e-10)
    assert not X_fooling.requires_grad
    torch.testing.assert_close(X, X_before, rtol=0, atol=0)


class Unfoolable(nn.Module):
    """Scores (1, score of class 1 = sum of pixels); counts its calls."""

    def __init__(self):
        super().__init__()
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        return torch.stack([torch.ones((), dtype=x.dtype), x.sum()]).view(1, 2)


def test_fooling_gives_up_after_100_steps():
    model = Unfoolable()
    X = torch.full((1, 3, 4, 4), -1e3, dtype=torch.float64)  # sum stays < 1
    X_fooling = make_fooling_image(X, 1, model)
    assert model.calls <= 101
    assert (X_fooling - X).norm().item() == pytest.approx(100)  # 100 unit steps


def test_the_shipped_model_is_fooled_on_the_examples_by_small_changes(shapes):
    # The first three examples, each towards every wrong class. Over all 25
    # examples, 100 unit steps fool the shipped network on 257 of 275 pairs
    # (benchmarks/squeezenet_training.md), 32 of these 33; the network trained
    # without mixup resisted on one pair in three.
    model, X, y = shapes
    X_before = X.clone()
    std, mean = SQUEEZENET_STD.view(1, 3, 1, 1), SQUEEZENET_MEAN.view(1, 3, 1, 1)
    fooled = []
    for i in range(3):
        for target in set(range(len(CLASS_NAMES))) - {int(y[i])}:
            X_fooling = make_fooling_image(X[i : i + 1], target, model)
            if model(X_fooling).argmax(dim=1).item() != target:
                continue
            fooled.append((i, target))

            # Relative change in [0, 255] pixel units.
            image = (X[i : i + 1] * std + mean) * 255  # (1, 3, 64, 64)
            change = (X_fooling - X[i : i + 1]) * std * 255  # (1, 3, 64, 64)
            assert change.norm() / image.norm() < 0.1, (i, target)
    assert len(fooled) >= 30, f"fooled {len(fooled)} of 33 pairs, expected 30 or more"
    torch.testing.assert_close(X, X_before, rtol=0, atol=0)


def test_the_notebooks_fooling_example_succeeds(shapes):
    model, X, _ = shapes
    star = CLASS_NAMES.index("star")
    X_fooling = make_fooling_image(X[:1], star, model)
    assert model(X_fooling).argmax(dim=1).item() == star


def test_update_step_matches_the_formula(linear_model):
    torch.manual_seed(3)
    img = torch.randn(1, 3, H, W, dtype=torch.float64, requires_grad=True)
    start = img.detach().clone()
    target, l2_reg, learning_rate = 2, 0.05, 1.5

    class_visualization_update_step(img, linear_model, target, l2_reg, learning_rate)

    # dJ/dI = A[t] - 2 l2_reg I for J(I) = A[t] . I - l2_reg ||I||^2.
    a = linear_model[1].weight[target].detach().view(1, 3, H, W)
    g = a - 2 * l2_reg * start
    expected = start + learning_rate * g / g.norm()
    torch.testing.assert_close(img.detach(), expected, rtol=1e-12, atol=1e-12)
    assert img.requires_grad
    assert img.grad is None or not img.grad.any()

    # A second step starts from the new image, with no stale gradient.
    class_visualization_update_step(img, linear_model, target, l2_reg, learning_rate)
    g = a - 2 * l2_reg * expected
    expected = expected + learning_rate * g / g.norm()
    torch.testing.assert_close(img.detach(), expected, rtol=1e-12, atol=1e-12)


def test_class_visualization_raises_the_target_score(shapes):
    model, _, _ = shapes
    # Zebra stripes are a texture the network learns to paint in a few steps;
    # l2_reg is the notebook's setting for this network.
    target = CLASS_NAMES.index("zebra stripes")
    image, snapshots = create_class_visualization(
        target,
        model,
        class_names=dict(enumerate(CLASS_NAMES)),
        l2_reg=1e-4,
        num_iterations=20,
        show_every=10,
        generator=torch.Generator().manual_seed(0),
    )
    assert isinstance(image, Image.Image) and image.size == (64, 64)
    assert [title for title, _ in snapshots] == [
        f"zebra stripes\nIteration {t} / 20" for t in (1, 10, 20)
    ]

    # The starting noise, drawn again from the same seed, scores lower.
    noise = torch.randn((1, 3, 64, 64), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        start = model(noise)[0, target]
        end = model(preprocess(np.asarray(image)))[0, target]
    assert end > start + 1

    # The same generator gives the same image.
    again, _ = create_class_visualization(
        target,
        model,
        l2_reg=1e-4,
        num_iterations=20,
        generator=torch.Generator().manual_seed(0),
    )
    np.testing.assert_array_equal(np.asarray(again), np.asarray(image))


@pytest.mark.parametrize("size, lr, jitter", [(224, 25.0, 16), (64, 25 * 64 / 224, 5)])
def test_class_visualization_defaults_scale_with_the_image(
    size, lr, jitter, monkeypatch
):
    import course_lib.net_visualization_pytorch as nv

    steps, shifts = [], []
    monkeypatch.setattr(
        nv, "class_visualization_update_step",
        lambda img, model, target, l2_reg, learning_rate: steps.append(
            (l2_reg, learning_rate)
        ),
    )
    real_jitter = nv.jitter
    def recording_jitter(X, ox, oy):
        shifts.append((ox, oy))
        return real_jitter(X, ox, oy)

    monkeypatch.setattr(nv, "jitter", recording_jitter)
    model = nn.Sequential(nn.Flatten(), nn.Linear(3 * size * size, 2))
    nv.create_class_visualization(
        0, model, image_size=size, num_iterations=60,
        generator=torch.Generator().manual_seed(0),
    )
    assert steps == [(1e-3, pytest.approx(lr))] * 60
    assert max(max(abs(ox), abs(oy)) for ox, oy in shifts) == jitter
