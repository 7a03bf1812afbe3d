import numpy as np
import pytest
from PIL import Image

from course_lib import shape_images
from course_lib.shape_images import CLASS_NAMES, IMAGE_SIZE, generate

C = len(CLASS_NAMES)


def test_drawing_is_deterministic_and_independent_of_the_subset():
    X1, y1 = generate("val", range(2 * C))
    X2, y2 = generate("val", [3, C + 5])
    np.testing.assert_array_equal(X1[[3, C + 5]], X2)
    np.testing.assert_array_equal(y1[[3, C + 5]], y2)
    np.testing.assert_array_equal(generate("val", range(2 * C))[0], X1)


def test_splits_differ():
    X_train, _ = generate("train", range(C))
    X_val, _ = generate("val", range(C))
    assert not np.array_equal(X_train, X_val)


def test_shapes_types_and_labels():
    X, y = generate("train", range(2 * C))
    assert X.shape == (2 * C, IMAGE_SIZE, IMAGE_SIZE, 3) and X.dtype == np.uint8
    assert y.dtype == np.int64
    np.testing.assert_array_equal(y, np.arange(2 * C) % C)
    # Images use the whole range: objects, clutter and noise, not flat fields.
    assert X.std(axis=(1, 2, 3)).min() > 20


@pytest.mark.parametrize("split", ["train", "val"])
def test_split_sizes_are_balanced(split):
    size = shape_images.SPLIT_SIZES[split]
    assert size % C == 0
    y = np.arange(size) % C  # the labelling rule checked above
    np.testing.assert_array_equal(np.bincount(y), np.full(C, size // C))


def test_cached_val_split_matches_a_fresh_drawing():
    X, y = shape_images.load_shape_images("val")
    assert X.shape == (shape_images.SPLIT_SIZES["val"], IMAGE_SIZE, IMAGE_SIZE, 3)
    np.testing.assert_array_equal(np.bincount(y), np.full(C, len(y) // C))
    X_fresh, y_fresh = generate("val", [0, 7, len(y) - 1])
    np.testing.assert_array_equal(X[[0, 7, len(y) - 1]], X_fresh)
    np.testing.assert_array_equal(y[[0, 7, len(y) - 1]], y_fresh)


def test_unknown_split_is_refused():
    with pytest.raises(ValueError, match="split must be one of"):
        generate("test")


def test_object_masks_cover_exactly_the_pixels_the_object_paints(monkeypatch):
    indices = range(2 * C)
    X, _ = generate("val", indices)
    masks = shape_images.object_masks("val", indices)
    assert masks.shape == (2 * C, IMAGE_SIZE, IMAGE_SIZE) and masks.dtype == np.float32

    # Reference: redraw with every object painted one flat colour. The random
    # streams are consumed as before, so only pixels the object covers change.
    tint = shape_images._tint

    def magenta(obj, rng):
        alpha = tint(obj, rng).getchannel("A")
        painted = Image.new("RGBA", obj.size, (255, 0, 255, 255))
        painted.putalpha(alpha)
        return painted

    monkeypatch.setattr(shape_images, "_tint", magenta)
    X_painted, _ = generate("val", indices)
    changed = np.abs(X_painted.astype(int) - X.astype(int)).max(axis=3)  # (N, H, W)
    assert (changed[masks == 0] == 0).all()
    assert (changed[masks == 1] > 0).mean() > 0.99
    assert 0.05 < masks.mean() < 0.5  # objects fill part of the frame
