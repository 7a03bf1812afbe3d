import numpy as np
import pytest

from course_lib import shape_images
from course_lib.data_utils import load_imagenet_val


@pytest.fixture
def imagenet_file(tmp_path, rng):
    """A small file in the format of the original imagenet_val_25.npz."""
    path = tmp_path / "imagenet_val_25.npz"
    X = rng.integers(0, 256, size=(4, 224, 224, 3), dtype=np.uint8)
    y = np.array([76, 78, 187, 683], dtype=np.int64)
    label_map = {76: "tarantula", 78: "tick", 187: "Yorkshire terrier", 683: "oboe"}
    np.savez(path, X=X, y=y, label_map=np.array(label_map, dtype=object))
    return path, X, y, label_map


def test_reads_the_original_format(imagenet_file):
    path, X, y, label_map = imagenet_file
    X_out, y_out, names = load_imagenet_val(path=path)
    np.testing.assert_array_equal(X_out, X)
    np.testing.assert_array_equal(y_out, y)
    assert y_out.dtype == np.int64
    assert names == label_map

    X_two, y_two, _ = load_imagenet_val(num=2, path=str(path))
    np.testing.assert_array_equal(X_two, X[:2])
    np.testing.assert_array_equal(y_two, y[:2])


def test_environment_variable_names_the_file(imagenet_file, monkeypatch):
    path, X, _, _ = imagenet_file
    monkeypatch.setenv("COURSE_LIB_IMAGENET_VAL", str(path))
    np.testing.assert_array_equal(load_imagenet_val()[0], X)


def test_defaults_to_the_drawn_shapes(monkeypatch):
    monkeypatch.delenv("COURSE_LIB_IMAGENET_VAL", raising=False)
    X, y, names = load_imagenet_val(num=5)
    assert X.shape == (5, 64, 64, 3) and X.dtype == np.uint8
    assert y.dtype == np.int64
    assert names == dict(enumerate(shape_images.CLASS_NAMES))
    assert len(set(y.tolist())) == 5  # the first images show different classes
    X_all, y_all, _ = load_imagenet_val()
    assert X_all.shape == (25, 64, 64, 3)
    np.testing.assert_array_equal(X_all[:5], X)
    np.testing.assert_array_equal(y_all[:5], y)


def test_bad_arguments_are_refused(imagenet_file, tmp_path):
    path = imagenet_file[0]
    with pytest.raises(ValueError, match="num must be between 1 and 4"):
        load_imagenet_val(num=5, path=path)
    with pytest.raises(FileNotFoundError, match="imagenet_val_25.npz"):
        load_imagenet_val(path=tmp_path / "missing.npz")
