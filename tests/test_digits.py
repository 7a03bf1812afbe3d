import gzip
import struct
import sys
import types

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

import course_lib
from course_lib import digits


@pytest.fixture
def small_splits(monkeypatch, tmp_path):
    """Embedded splits of 40 and 20 images, cached in a fresh folder."""
    monkeypatch.setenv("COURSE_LIB_DATA", str(tmp_path / "cache"))
    monkeypatch.setattr(digits, "SPLIT_SIZES", {"train": 40, "val": 20})


def write_mnist(folder, images, labels, kind="train", gz=True):
    """Write images and labels as MNIST's idx files, byte by byte as MNIST does."""
    names = digits.MNIST_FILES[kind]
    N, H, W = images.shape
    contents = (
        struct.pack(">IIII", 0x0803, N, H, W) + images.astype(np.uint8).tobytes(),
        struct.pack(">II", 0x0801, N) + labels.astype(np.uint8).tobytes(),
    )
    for name, content in zip(names, contents):
        if gz:
            (folder / f"{name}.gz").write_bytes(gzip.compress(content))
        else:
            (folder / name).write_bytes(content)


def test_generate_is_deterministic_and_redraws_any_subset():
    labels = digits.split_labels("train")[:30]
    images = digits.generate("train", labels)
    np.testing.assert_array_equal(images, digits.generate("train", labels))

    rows = np.array([3, 17, 29])
    subset = digits.generate("train", labels[rows], indices=rows)
    np.testing.assert_array_equal(subset, images[rows])


def test_generated_images_look_like_mnist():
    labels = np.arange(50) % 10
    images = digits.generate("val", labels)

    assert images.shape == (50, 28, 28) and images.dtype == np.uint8
    assert images.max() == 255
    # Ink is a small share of each image, and the border stays mostly dark.
    ink = images / 255.0
    assert 0.05 < ink.mean() < 0.3
    assert ink[:, :, :2].mean() < 0.02 and ink[:, :2, :].mean() < 0.02
    # Centers of mass near the middle, as in MNIST.
    ys, xs = np.mgrid[:28, :28]
    mass = ink.sum(axis=(1, 2))
    center_x = (ink * xs).sum(axis=(1, 2)) / mass
    center_y = (ink * ys).sum(axis=(1, 2)) / mass
    assert np.all(np.abs(center_x - 13.5) < 2) and np.all(np.abs(center_y - 13.5) < 2)


def test_digit_classes_differ():
    # Mean images of two classes drawn from different templates are far apart.
    ones = digits.generate("val", np.full(20, 1)).mean(axis=0)
    zeros = digits.generate("val", np.full(20, 0)).mean(axis=0)
    assert np.abs(ones - zeros).mean() > 20


def test_split_labels_are_balanced_and_shuffled():
    for split, size in digits.SPLIT_SIZES.items():
        labels = digits.split_labels(split)
        assert len(labels) == size
        np.testing.assert_array_equal(np.bincount(labels), np.full(10, size // 10))
        assert not np.array_equal(labels[:10], np.arange(10))


def test_embedded_dataset(small_splits):
    train, val = digits.Digits("train"), digits.Digits("val")

    assert len(train) == 40 and len(val) == 20
    image, label = train[0]
    assert image.shape == (1, 28, 28) and image.dtype == torch.float32
    assert 0 <= image.min() and image.max() <= 1
    assert label.dtype == torch.int64 and 0 <= label <= 9
    x, y = next(iter(DataLoader(train, batch_size=8)))
    assert x.shape == (8, 1, 28, 28) and y.shape == (8,)

    # The cached split is what generate draws.
    labels = digits.split_labels("train")
    np.testing.assert_array_equal(train.labels.numpy(), labels)
    expected = digits.generate("train", labels[:5])
    stored = torch.round(train.images[:5, 0] * 255).to(torch.uint8).numpy()
    np.testing.assert_array_equal(stored, expected)


def test_bad_split_is_refused(small_splits):
    with pytest.raises(ValueError, match="split must be one of"):
        digits.Digits("test")


@pytest.mark.parametrize(
    "array",
    [
        np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4),
        np.array([-5, 0, 7], dtype=np.int32),
        np.linspace(-1, 1, 6, dtype=np.float32).reshape(3, 2),
    ],
)
def test_idx_round_trip(tmp_path, array):
    path = tmp_path / "array-idx"
    digits.write_idx(path, array)
    loaded = digits.read_idx(path)
    assert loaded.dtype == array.dtype
    np.testing.assert_array_equal(loaded, array)

    (tmp_path / "array-idx.gz").write_bytes(gzip.compress(path.read_bytes()))
    np.testing.assert_array_equal(digits.read_idx(tmp_path / "array-idx.gz"), array)


def test_load_mnist_reads_the_real_layout(tmp_path, rng):
    images = rng.integers(0, 256, size=(7, 28, 28))
    labels = rng.integers(0, 10, size=7)
    write_mnist(tmp_path, images, labels, kind="t10k", gz=False)
    write_mnist(tmp_path, images[:5], labels[:5], kind="train", gz=True)

    test_images, test_labels = digits.load_mnist(tmp_path, kind="t10k")
    np.testing.assert_array_equal(test_images, images)
    np.testing.assert_array_equal(test_labels, labels)

    train = digits.Digits("train", source=tmp_path)
    assert len(train) == 5
    np.testing.assert_allclose(train.images[:, 0].numpy(), images[:5] / 255.0)
    np.testing.assert_array_equal(train.labels.numpy(), labels[:5])


def test_bad_magic_number_says_what_is_wrong(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(b"<html><body>Not Found</body></html>")
    with pytest.raises(ValueError, match="not an idx file.*3c 68 74 6d"):
        digits.read_idx(path)


def test_truncated_file_is_refused(tmp_path):
    path = tmp_path / "labels"
    path.write_bytes(struct.pack(">II", 0x0801, 10) + bytes(4))
    with pytest.raises(ValueError, match="truncated"):
        digits.read_idx(path)


def test_missing_mnist_files_point_to_the_download(tmp_path):
    with pytest.raises(FileNotFoundError, match="download_mnist"):
        digits.load_mnist(tmp_path)


def test_download_mnist_fetches_the_four_files(monkeypatch, tmp_path, rng):
    served = tmp_path / "mirror"
    served.mkdir()
    write_mnist(served, rng.integers(0, 256, size=(3, 28, 28)), np.arange(3))
    write_mnist(served, rng.integers(0, 256, size=(2, 28, 28)), np.arange(2), "t10k")
    requested = []

    def fake_fetch(url, dest, sha256=None, resume=True, progress=True):
        requested.append(url)
        dest.write_bytes((served / url.rsplit("/", 1)[1]).read_bytes())
        return dest

    # course_lib.download may not be importable in every checkout of the kit.
    try:
        from course_lib import download
    except ImportError:
        download = types.ModuleType("course_lib.download")
        monkeypatch.setitem(sys.modules, "course_lib.download", download)
        monkeypatch.setattr(course_lib, "download", download, raising=False)
    monkeypatch.setattr(download, "fetch", fake_fetch, raising=False)

    folder = digits.download_mnist(tmp_path / "mnist", mirror="https://example.org/m/")

    assert sorted(requested) == sorted(
        f"https://example.org/m/{name}.gz"
        for names in digits.MNIST_FILES.values()
        for name in names
    )
    images, labels = digits.load_mnist(folder, kind="t10k")
    assert images.shape == (2, 28, 28)
    np.testing.assert_array_equal(labels, [0, 1])
