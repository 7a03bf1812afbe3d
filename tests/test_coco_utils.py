import json

import h5py
import numpy as np
import pytest

from course_lib import captions_synth
from course_lib.coco_utils import (
    coco_dir,
    decode_captions,
    load_coco_data,
    sample_coco_minibatch,
)

KEYS = [
    "train_captions",
    "train_image_idxs",
    "val_captions",
    "val_image_idxs",
    "train_features",
    "val_features",
    "idx_to_word",
    "word_to_idx",
    "train_urls",
    "val_urls",
]
WORDS = ["<NULL>", "<START>", "<END>", "<UNK>", "a", "cat", "dog", "sits"]


@pytest.fixture
def coco_folder(tmp_path):
    """A tiny folder in the original COCO format, as the original files are."""
    folder = tmp_path / "coco_captioning"
    folder.mkdir()
    rng = np.random.default_rng(0)
    with h5py.File(folder / "coco2014_captions.h5", "w") as f:
        f["train_captions"] = rng.integers(0, 8, (6, 17)).astype(np.int32)
        f["train_image_idxs"] = np.array([0, 0, 1, 2, 2, 2], dtype=np.int32)
        f["val_captions"] = rng.integers(0, 8, (2, 17)).astype(np.int32)
        f["val_image_idxs"] = np.array([1, 0], dtype=np.int32)
    for split, n in (("train", 3), ("val", 2)):
        for suffix, dim in (("_pca", 8), ("", 16)):
            with h5py.File(folder / f"{split}2014_vgg16_fc7{suffix}.h5", "w") as f:
                f["features"] = rng.standard_normal((n, dim)).astype(np.float32)
        urls = [f"http://images.example/{split}/{i}.jpg" for i in range(n)]
        (folder / f"{split}2014_urls.txt").write_text("\n".join(urls) + "\n")
    vocab = {"idx_to_word": WORDS, "word_to_idx": {w: i for i, w in enumerate(WORDS)}}
    (folder / "coco2014_vocab.json").write_text(json.dumps(vocab))
    return folder


@pytest.fixture
def small_synthetic(tmp_path, monkeypatch):
    """A small synthetic dataset where the cache looks for the embedded one."""
    home = tmp_path / "data"
    folder = home / captions_synth.NAME
    folder.mkdir(parents=True)
    captions_synth.build(folder, num_train=40, num_val=10)
    (folder / ".complete").write_text("ok\n")
    monkeypatch.setenv("COURSE_LIB_DATA", str(home))
    monkeypatch.delenv("COURSE_LIB_COCO_DIR", raising=False)
    return folder


def test_reads_the_original_format(coco_folder):
    data = load_coco_data(coco_folder)
    assert list(data) == KEYS
    with h5py.File(coco_folder / "coco2014_captions.h5", "r") as f:
        np.testing.assert_array_equal(data["train_captions"], f["train_captions"])
        np.testing.assert_array_equal(data["val_image_idxs"], f["val_image_idxs"])
    assert data["train_features"].shape == (3, 8)
    assert data["idx_to_word"] == WORDS and data["word_to_idx"]["cat"] == 5
    assert data["val_urls"].tolist() == [
        "http://images.example/val/0.jpg",
        "http://images.example/val/1.jpg",
    ]
    assert data["train_urls"].dtype.kind == "U"

    raw = load_coco_data(coco_folder, pca_features=False)
    with h5py.File(coco_folder / "val2014_vgg16_fc7.h5", "r") as f:
        np.testing.assert_array_equal(raw["val_features"], f["features"])


def test_reads_the_synthetic_set_by_default(small_synthetic):
    assert coco_dir() == small_synthetic
    data = load_coco_data()
    assert list(data) == KEYS
    assert data["train_captions"].shape == (200, 17)
    assert data["train_features"].shape == (40, 512)
    url = data["val_urls"][3]
    assert url == (small_synthetic / "images/val/000003.png").resolve().as_uri()


def test_environment_variable_chooses_the_folder(coco_folder, monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_LIB_DATA", str(tmp_path / "unused"))
    monkeypatch.setenv("COURSE_LIB_COCO_DIR", str(coco_folder))
    assert load_coco_data()["train_features"].shape == (3, 8)
    assert not (tmp_path / "unused").exists()


def test_max_train_samples_captions_with_replacement(coco_folder):
    full = load_coco_data(coco_folder)
    np.random.seed(231)
    expected = np.random.randint(6, size=20)
    np.random.seed(231)
    small = load_coco_data(coco_folder, max_train=20)
    np.testing.assert_array_equal(
        small["train_captions"], full["train_captions"][expected]
    )
    np.testing.assert_array_equal(
        small["train_image_idxs"], full["train_image_idxs"][expected]
    )
    np.testing.assert_array_equal(small["train_features"], full["train_features"])
    np.testing.assert_array_equal(small["val_captions"], full["val_captions"])


def test_minibatch_pairs_captions_with_their_images(coco_folder):
    data = load_coco_data(coco_folder)
    np.random.seed(0)
    expected = np.random.choice(2, 5)
    np.random.seed(0)
    captions, features, urls = sample_coco_minibatch(data, batch_size=5, split="val")
    np.testing.assert_array_equal(captions, data["val_captions"][expected])
    images = data["val_image_idxs"][expected]
    np.testing.assert_array_equal(features, data["val_features"][images])
    np.testing.assert_array_equal(urls, data["val_urls"][images])
    with pytest.raises(ValueError, match="'train' or 'val'"):
        sample_coco_minibatch(data, split="test")


def test_decode_captions():
    one = np.array([1, 4, 5, 7, 0, 2, 6, 0])
    assert decode_captions(one, WORDS) == "<START> a cat sits <END>"
    two = np.array([[4, 6, 2, 5], [0, 4, 5, 0]])
    assert decode_captions(two, WORDS) == ["a dog <END>", "a cat"]
    with pytest.raises(ValueError, match="1-D"):
        decode_captions(np.zeros((1, 2, 3), dtype=int), WORDS)


def test_missing_file_says_where_and_what_to_do(coco_folder, monkeypatch):
    (coco_folder / "val2014_urls.txt").unlink()
    with pytest.raises(FileNotFoundError) as error:
        load_coco_data(coco_folder)
    message = str(error.value)
    assert "val2014_urls.txt" in message and str(coco_folder) in message
    assert "download_coco" in message

    monkeypatch.setenv("COURSE_LIB_COCO_DIR", str(coco_folder))
    with pytest.raises(FileNotFoundError, match="unset COURSE_LIB_COCO_DIR"):
        load_coco_data()


def test_synthetic_set_has_no_fc7_features(small_synthetic):
    with pytest.raises(FileNotFoundError, match="pca_features=True"):
        load_coco_data(pca_features=False)
