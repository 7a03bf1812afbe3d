import math

import numpy as np
import pytest
import torch
from PIL import Image

from course_lib.image_preprocessing import (
    SQUEEZENET_MEAN,
    SQUEEZENET_STD,
    blur_image,
    deprocess,
    jitter,
    preprocess,
    rescale,
)


@pytest.fixture
def image(rng):
    return rng.integers(0, 256, size=(12, 20, 3), dtype=np.uint8)  # (H, W, 3)


def test_preprocess_normalizes_with_the_imagenet_statistics(image):
    x = preprocess(image)
    assert x.shape == (1, 3, 12, 20) and x.dtype == torch.float32
    mean = np.array([0.485, 0.456, 0.406])
    std = np.array([0.229, 0.224, 0.225])
    expected = ((image / 255.0 - mean) / std).transpose(2, 0, 1)[None]
    np.testing.assert_allclose(x.numpy(), expected, rtol=0, atol=1e-5)
    torch.testing.assert_close(preprocess(Image.fromarray(image)), x)


def test_preprocess_resizes(image):
    assert preprocess(image, size=6).shape == (1, 3, 6, 10)  # shorter side
    assert preprocess(image, size=(8, 9)).shape == (1, 3, 8, 9)


def test_preprocess_refuses_other_inputs(image):
    with pytest.raises(ValueError, match=r"uint8 array of shape \(H, W, 3\)"):
        preprocess(image.astype(np.float32))
    with pytest.raises(TypeError, match="PIL image"):
        preprocess(torch.zeros(3, 4, 4))


def test_round_trip(image):
    out = np.asarray(deprocess(preprocess(image), should_rescale=False))
    np.testing.assert_array_equal(out, image)
    # A batch of one and a single image deprocess alike.
    single = np.asarray(deprocess(preprocess(image)[0], should_rescale=False))
    np.testing.assert_array_equal(single, image)


def test_deprocess_rescales_to_the_full_range():
    x = torch.randn(1, 3, 5, 7)
    out = np.asarray(deprocess(x))
    assert out.min() == 0 and out.max() == 255
    # Without rescaling, a zero image is the mean colour.
    zero = np.asarray(deprocess(torch.zeros(1, 3, 2, 2), should_rescale=False))
    np.testing.assert_array_equal(zero[0, 0], np.round(255 * SQUEEZENET_MEAN.numpy()))


def test_rescale():
    x = torch.tensor([-2.0, 0.0, 6.0])
    torch.testing.assert_close(rescale(x), torch.tensor([0.0, 0.25, 1.0]))
    torch.testing.assert_close(rescale(torch.full((3,), 5.0)), torch.zeros(3))


def test_blur_matches_a_hand_computed_kernel():
    # sigma 0.5: radius round(4 * 0.5) = 2, weights exp(-2 k^2) for k = -2..2.
    w = np.exp(-2.0 * np.arange(-2, 3) ** 2)
    w /= w.sum()
    X = torch.zeros(1, 2, 7, 7, dtype=torch.float64)
    X[0, 0, 3, 3] = 1.0  # an impulse far from the edges
    X[0, 1, 0, 3] = 1.0  # an impulse on the top edge
    blur_image(X, sigma=0.5)

    np.testing.assert_allclose(X[0, 0, 1:6, 1:6].numpy(), np.outer(w, w), atol=1e-12)
    # Mirrored edge (d c b a | a b c d): the weights beyond the edge fold back.
    column = np.array([w[2] + w[1], w[3] + w[0], w[4], 0, 0, 0, 0])
    np.testing.assert_allclose(X[0, 1, :, 3].numpy(), column * w[2], atol=1e-12)
    assert math.isclose(X.sum().item(), 2.0)  # blurring keeps the total


def test_blur_keeps_constants_and_refuses_bad_sigma():
    X = torch.full((2, 3, 4, 5), 0.7)
    torch.testing.assert_close(blur_image(X.clone(), sigma=1), X)
    with pytest.raises(ValueError, match="sigma must be positive"):
        blur_image(X, sigma=0)


@pytest.mark.parametrize("ox, oy", [(0, 0), (3, 0), (0, 2), (5, -4), (-7, 11)])
def test_jitter_is_a_roll(ox, oy):
    X = torch.arange(2 * 3 * 6 * 8, dtype=torch.float32).view(2, 3, 6, 8)
    shifted = jitter(X, ox, oy)
    expected = torch.roll(torch.roll(X, ox, dims=3), oy, dims=2)
    torch.testing.assert_close(shifted, expected)
    torch.testing.assert_close(jitter(shifted, -ox, -oy), X)
    # Shifting right by one moves column 0 to column 1.
    torch.testing.assert_close(jitter(X, 1, 0)[..., 1], X[..., 0])


def test_constants():
    torch.testing.assert_close(SQUEEZENET_MEAN, torch.tensor([0.485, 0.456, 0.406]))
    torch.testing.assert_close(SQUEEZENET_STD, torch.tensor([0.229, 0.224, 0.225]))
